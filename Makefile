# xstilts — the only build. `make help` lists the targets. Dependencies come from Debian via
# pkg-config; scripts/install-deps.sh installs whatever is missing.
CC      ?= gcc
PKGS    := openblas jansson libutf8proc
MODE    ?= release
WERROR  ?= 0
B       := build
ifeq ($(MODE),asan)
  B     := build/asan
  SAN   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
ifeq ($(MODE),ubsan)
  B     := build/ubsan
  SAN   := -fsanitize=undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
endif
OPT     ?= -O2
ARCH    ?=
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(WERROR),1)
  WARN  += -Werror
endif
# Quiet by default: no compiler lines unless V=1.
ifeq ($(V),1)
  Q :=
else
  Q := @
endif
DEPS_STAMP := build/.deps-ok
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  := $(WARN) $(OPT) -g $(ARCH) -fopenmp -D_GNU_SOURCE -Isrc $(SAN)
LDLIBS   = $(PKG_LIBS) -lm
LDFLAGS := -fopenmp $(SAN)

LIB_SRC  := $(filter-out src/cli/%,$(wildcard src/*/*.c))
CLI_SRC  := $(wildcard src/cli/*.c)
LIB_OBJ  := $(LIB_SRC:src/%.c=$(B)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:src/%.c=$(B)/obj/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(B)/tests/%)
TESTUTIL := $(B)/obj/tests/testutil.o

.SECONDARY:
.PHONY: all test asan ubsan bench demo deps clean help
all: $(B)/xstilts

help:
	@echo "make            build build/xstilts"
	@echo "make test       build and run every test (tests/test_*.c and tests/cli_*.sh)"
	@echo "make asan       the tests under AddressSanitizer + UBSan (build/asan)"
	@echo "make ubsan      the tests under UBSan alone (build/ubsan)"
	@echo "make bench      benchmarks side by side with PyTorch / spm_encode / faiss (bench/)"
	@echo "make demo       the end-to-end demo on bundled real data"
	@echo "make deps       install missing Debian packages (scripts/install-deps.sh)"
	@echo "make clean      remove build/"
	@echo "variables: MODE=release|asan|ubsan WERROR=1 ARCH=-march=native OPT=-O3 V=1 (show compiler lines)"

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/install-deps.sh
	@bash scripts/install-deps.sh
	@mkdir -p build && touch $@

$(B)/obj/%.o: src/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(B)/obj/tests/%.o: tests/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $(shell pkg-config --cflags cmocka) -MMD -MP -c $< -o $@

$(B)/libxstilts.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(B)/xstilts: $(CLI_OBJ) $(B)/libxstilts.a
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libxstilts.a $(LDLIBS)

$(B)/tests/%: $(B)/obj/tests/%.o $(TESTUTIL) $(B)/libxstilts.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(TESTUTIL) $(B)/libxstilts.a $(LDLIBS) $(shell pkg-config --libs cmocka)

# Unit tests are C programs (cmocka); CLI tests are shell scripts that drive build*/xstilts.
# Every one runs; the target fails if any failed, after listing which.
test: $(TEST_BIN) $(B)/xstilts
	@B=$(B) bash tests/run-all.sh $(TEST_BIN)

asan:
	@$(MAKE) --no-print-directory MODE=asan test
ubsan:
	@$(MAKE) --no-print-directory MODE=ubsan test

bench: all
	@bash scripts/install-deps.sh --bench
	@bash bench/run.sh

demo: all
	@bash scripts/install-deps.sh --models
	@bash scripts/demo.sh

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_SRC:tests/%.c=$(B)/obj/tests/%.d)
