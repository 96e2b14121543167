# xstilts — the only build. `make help` lists the targets. Dependencies come from Debian via
# pkg-config. A plain `make` never installs anything: it names what pkg-config cannot find and points
# to `make deps`; `make deps`, `make test` and `make demo` (the README's commands) run
# scripts/install-deps.sh, which installs only what is missing.
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
# The sgemm backend (src/kernels/gemm.h; measured in docs/BENCHMARKS.md): dnnl (oneDNN's dnnl_sgemm, Debian
# libdnnl-dev; the default), openblas (the OpenBLAS linked anyway), blis (Debian libblis-dev, OpenMP variant).
# A non-default backend builds into its own folder, $(B)/gemm-<name>, so objects never mix.
GEMM    ?= dnnl
ifeq ($(GEMM),dnnl)
  GEMM_DEF  := -DXS_GEMM_DNNL
  GEMM_LIBS := -ldnnl
  GEMM_HDR  := oneapi/dnnl/dnnl.h
  GEMM_DEB  := libdnnl-dev
else ifeq ($(GEMM),blis)
  GEMM_DEF  := -DXS_GEMM_BLIS
  GEMM_LIBS := -lblis
  GEMM_HDR  := blis.h
  GEMM_DEB  := libblis-dev libblis4-openmp
  B     := $(B)/gemm-blis
else ifeq ($(GEMM),openblas)
  B     := $(B)/gemm-openblas
else
  $(error GEMM=$(GEMM): expected dnnl, openblas or blis)
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
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Ours; the user's CFLAGS / CPPFLAGS / LDFLAGS (command line or environment) are never overwritten:
# they come after ours on every command line, so theirs win where they conflict (make CFLAGS=-O3).
XS_CFLAGS  := $(WARN) $(OPT) -g $(ARCH) -fopenmp -D_GNU_SOURCE -Isrc $(SAN) $(GEMM_DEF)
XS_LDFLAGS := -fopenmp $(SAN)
LDLIBS   = $(PKG_LIBS) $(GEMM_LIBS) -lm

# src/dist/dist_mpi.c is not in the library: the archive has dist_single.o (one process); the MPI programs
# (build/xstilts-mpi, build/tests/mpi_*) link dist_mpi.o ahead of the archive, which defines every dist_*
# symbol, so the linker never pulls dist_single.o in. Everything else is compiled once for both.
LIB_SRC  := $(filter-out src/cli/% src/dist/dist_mpi.c,$(wildcard src/*/*.c))
CLI_SRC  := $(wildcard src/cli/*.c)
LIB_OBJ  := $(LIB_SRC:src/%.c=$(B)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:src/%.c=$(B)/obj/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(B)/tests/%)
TESTUTIL := $(B)/obj/tests/testutil.o
# fuzz/fuzz_*.c: one libFuzzer target per parser of outside input. `make fuzz` builds them with clang
# (libFuzzer + ASan + UBSan) into build/fuzz/; `make check` builds the same sources with $(CC) and
# fuzz/replay.c as $(B)/fuzz-replay/replay_* and replays the committed corpora (tests/cli_fuzz_replay.sh).
FUZZ_TARGETS := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY  := $(FUZZ_TARGETS:%=$(B)/fuzz-replay/replay_%)

# Open MPI (issue 14): `make MPI=1` builds $(B)/xstilts-mpi and fails if Open MPI is missing; `make check`
# builds it (and the MPI test programs tests/mpi_*.c) whenever pkg-config finds ompi-c, which `make test`
# installs (scripts/install-deps.sh), so the README's test command runs the MPI tests too.
MPI     ?= 0
HAVE_MPI := $(shell pkg-config --exists ompi-c 2>/dev/null && echo 1)
MPI_CFLAGS = $(shell pkg-config --cflags ompi-c 2>/dev/null)
MPI_LIBS   = $(shell pkg-config --libs ompi-c 2>/dev/null)
MPI_OBJ  := $(B)/obj/dist/dist_mpi.o
MPI_TEST_SRC := $(wildcard tests/mpi_*.c)
MPI_BIN  := $(B)/xstilts-mpi $(MPI_TEST_SRC:tests/%.c=$(B)/tests/%)
ifeq ($(MPI),1)
  ALL_MPI := pkgcheck-mpi $(MPI_BIN)
endif
ifeq ($(HAVE_MPI),1)
  CHECK_MPI := $(MPI_BIN)
endif

.SECONDARY:
.PHONY: all test check asan ubsan bench demo deps clean help pkgcheck pkgcheck-test pkgcheck-mpi fuzz fuzz-run
all: $(B)/xstilts $(ALL_MPI)

help:
	@echo "make            build build/xstilts"
	@echo "make test       install missing packages (scripts/install-deps.sh), build and run every test"
	@echo "make check      build and run every test, installing nothing"
	@echo "make asan       the tests under AddressSanitizer + UBSan (build/asan)"
	@echo "make ubsan      the tests under UBSan alone (build/ubsan)"
	@echo "make bench      benchmarks side by side with PyTorch / spm_encode / faiss (bench/)"
	@echo "make demo       install missing packages, then the end-to-end demo on bundled real data"
	@echo "make deps       install missing Debian packages (scripts/install-deps.sh; apt-get, root or sudo)"
	@echo "make fuzz       libFuzzer targets of every input parser (clang, ASan+UBSan) into build/fuzz/ (fuzz/)"
	@echo "make fuzz-run   run each fuzz target FUZZ_SECONDS (default 60) from its corpus; logs in build/fuzz/logs/"
	@echo "make clean      remove build/"
	@echo "make MPI=1      also build/xstilts-mpi (Open MPI; run it under mpirun, docs/SCALING.md)"
	@echo "variables: GEMM=dnnl|openblas|blis (sgemm backend, default dnnl) MODE=release|asan|ubsan MPI=1 WERROR=1 ARCH=-march=native OPT=-O3 V=1 (compiler lines); CFLAGS/LDFLAGS are appended"

deps:
	@GEMM=$(GEMM) bash scripts/install-deps.sh

# Fails with the names of the pkg-config packages that are missing (no installing here).
define PKGCHECK
	@command -v pkg-config >/dev/null 2>&1 || { echo "xstilts: pkg-config not found; install it, or run 'make deps'" >&2; exit 1; }; \
	missing=""; for p in $(1); do pkg-config --exists $$p || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "xstilts: pkg-config cannot find:$$missing. Run 'make deps' to install them (scripts/install-deps.sh, apt-get)," >&2; \
	  echo "         or install them yourself (Debian: libopenblas-openmp-dev libjansson-dev libutf8proc-dev libcmocka-dev; MPI=1: libopenmpi-dev openmpi-bin)." >&2; \
	  exit 1; fi; \
	if [ -n "$(GEMM_HDR)" ] && ! echo '#include <$(GEMM_HDR)>' | $(CC) -E -x c - >/dev/null 2>&1; then \
	  echo "xstilts: GEMM=$(GEMM) needs $(GEMM_HDR) (Debian: $(GEMM_DEB)). Run 'make deps' or build with GEMM=openblas." >&2; \
	  exit 1; fi
endef
pkgcheck:
	$(call PKGCHECK,$(PKGS))
pkgcheck-test:
	$(call PKGCHECK,$(PKGS) cmocka)
pkgcheck-mpi:
	$(call PKGCHECK,$(PKGS) ompi-c)

# AdamW's element loop vectorizes only without errno from sqrtf (v >= 0: it never sets errno); values are unchanged
$(B)/obj/train/optim.o: XS_CFLAGS += -fno-math-errno

$(B)/obj/%.o: src/%.c | pkgcheck
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(XS_CFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/obj/tests/%.o: tests/%.c | pkgcheck-test
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(XS_CFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(shell pkg-config --cflags cmocka) -MMD -MP -c $< -o $@

$(MPI_OBJ): src/dist/dist_mpi.c | pkgcheck-mpi
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(XS_CFLAGS) $(PKG_CFLAGS) $(MPI_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libxstilts.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(B)/xstilts: $(CLI_OBJ) $(B)/libxstilts.a
	$(Q)$(CC) $(XS_LDFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libxstilts.a $(LDLIBS)

$(B)/xstilts-mpi: $(CLI_OBJ) $(MPI_OBJ) $(B)/libxstilts.a
	$(Q)$(CC) $(XS_LDFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(MPI_OBJ) $(B)/libxstilts.a $(LDLIBS) $(MPI_LIBS)

# the training step's timing harness (docs/TRAINING.md "Performance of the training step"); not part of `all`
$(B)/bench/train_step: bench/train_step.c $(B)/libxstilts.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(XS_CFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(XS_LDFLAGS) $(LDFLAGS) -o $@ $< $(B)/libxstilts.a $(LDLIBS)

$(B)/bench/mpi_allreduce: bench/mpi_allreduce.c $(MPI_OBJ) $(B)/libxstilts.a | pkgcheck-mpi
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(XS_CFLAGS) $(PKG_CFLAGS) $(MPI_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(XS_LDFLAGS) $(LDFLAGS) -o $@ $< $(MPI_OBJ) $(B)/libxstilts.a $(LDLIBS) $(MPI_LIBS)

$(B)/tests/mpi_%: $(B)/obj/tests/mpi_%.o $(MPI_OBJ) $(B)/libxstilts.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(XS_LDFLAGS) $(LDFLAGS) -o $@ $< $(MPI_OBJ) $(B)/libxstilts.a $(LDLIBS) $(MPI_LIBS)

$(B)/tests/%: $(B)/obj/tests/%.o $(TESTUTIL) $(B)/libxstilts.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(XS_LDFLAGS) $(LDFLAGS) -o $@ $< $(TESTUTIL) $(B)/libxstilts.a $(LDLIBS) $(shell pkg-config --libs cmocka)

$(B)/fuzz-replay/replay_%: fuzz/%.c fuzz/common.c fuzz/replay.c fuzz/fuzz.h $(B)/libxstilts.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(XS_CFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS) -Ifuzz $(XS_LDFLAGS) $(LDFLAGS) -o $@ $< fuzz/common.c fuzz/replay.c $(B)/libxstilts.a $(LDLIBS)

# ---- libFuzzer (make fuzz / make fuzz-run) ----
FUZZ_CC      ?= $(shell command -v clang-14 2>/dev/null || command -v clang 2>/dev/null || echo clang)
FB           := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -Wall -Wextra -Wno-unknown-pragmas -O1 -g -fopenmp -D_GNU_SOURCE -Isrc $(FUZZ_SAN) $(GEMM_DEF)
FUZZ_LIB_OBJ := $(LIB_SRC:src/%.c=$(FB)/obj/%.o)
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(FB)/%)
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
fuzz: $(FUZZ_BIN)

$(FB)/obj/%.o: src/%.c | pkgcheck
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(FB)/libxstilts.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(FB)/fuzz_%: fuzz/fuzz_%.c fuzz/common.c fuzz/fuzz.h $(FB)/libxstilts.a
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -Ifuzz -o $@ $< fuzz/common.c $(FB)/libxstilts.a $(PKG_LIBS) $(GEMM_LIBS) -lm

# Each target FUZZ_SECONDS from a working corpus seeded with fuzz/corpus/<target> (new inputs stay in
# build/fuzz/corpus/<target>; crashes go to build/fuzz/crashes/). FUZZ_TARGETS=... picks some.
fuzz-run: fuzz
	@bash fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Unit tests are C programs (cmocka); CLI tests are shell scripts that drive build*/xstilts.
# Every one runs; the target fails if any failed, after listing which. `test` installs what is missing
# first (one of the README's two commands), then runs `check` in a fresh make (so pkg-config is asked
# after the install).
test:
	@GEMM=$(GEMM) bash scripts/install-deps.sh
	@$(MAKE) --no-print-directory check
check: $(TEST_BIN) $(B)/xstilts $(FUZZ_REPLAY) $(CHECK_MPI)
	@B=$(B) bash tests/run-all.sh $(TEST_BIN)

asan:
	@$(MAKE) --no-print-directory MODE=asan test
ubsan:
	@$(MAKE) --no-print-directory MODE=ubsan test

bench: all
	@GEMM=$(GEMM) bash scripts/install-deps.sh --bench
	@bash bench/run.sh

demo:
	@GEMM=$(GEMM) bash scripts/install-deps.sh --models
	@$(MAKE) --no-print-directory all
	@bash scripts/demo.sh

clean:
	rm -rf build

-include $(FUZZ_LIB_OBJ:.o=.d) $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_SRC:tests/%.c=$(B)/obj/tests/%.d) $(MPI_OBJ:.o=.d)
-include $(MPI_TEST_SRC:tests/%.c=$(B)/obj/tests/%.d)
