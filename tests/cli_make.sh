#!/usr/bin/env bash
# cli_make.sh — the build's contract (dry runs only, nothing is built or installed): a plain `make` never
# runs scripts/install-deps.sh (apt-get); `make test`/`make demo`/`make deps` do; a missing pkg-config
# package fails with its name and 'make deps'; the user's CFLAGS/LDFLAGS are kept, after ours.
set -u
unset MAKEFLAGS MFLAGS MAKELEVEL MODE WERROR OPT ARCH CFLAGS CPPFLAGS LDFLAGS  # the release build, as a user runs it
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
M="make --no-print-directory"

$M -n -B all >"${TMPDIR:-/tmp}/xs_make_all.$$" 2>&1 || fail "make -n all: $(tail -3 "${TMPDIR:-/tmp}/xs_make_all.$$")"
grep -q "bash scripts/install-deps.sh" "${TMPDIR:-/tmp}/xs_make_all.$$" && fail "plain make would run scripts/install-deps.sh"
grep -q "apt-get" "${TMPDIR:-/tmp}/xs_make_all.$$" && grep -v "^command -v pkg-config" "${TMPDIR:-/tmp}/xs_make_all.$$" | grep -q apt-get \
  && fail "plain make would run apt-get"
rm -f "${TMPDIR:-/tmp}/xs_make_all.$$"
for t in test demo deps; do
  $M -n "$t" 2>/dev/null | grep -q "bash scripts/install-deps.sh" || fail "make $t does not run scripts/install-deps.sh first"
done

out=$($M PKGS="openblas nosuchpkg-xstilts" pkgcheck 2>&1) && fail "a missing package did not fail the build"
echo "$out" | grep -q "pkg-config cannot find: nosuchpkg-xstilts" || fail "missing package not named: $out"
echo "$out" | grep -q "make deps" || fail "missing package message does not point to make deps: $out"
$M pkgcheck >/dev/null 2>&1 || fail "pkgcheck fails with every package present"

cmd=$($M -n -B CFLAGS=-DXS_USER_FLAG CPPFLAGS=-DXS_USER_CPP build/obj/core/check.o 2>/dev/null | grep "src/core/check.c")
case "$cmd" in *"-Isrc"*"-DXS_USER_CPP"*"-DXS_USER_FLAG"*) ;; *) fail "user CPPFLAGS/CFLAGS not kept after ours: $cmd" ;; esac
case "$cmd" in *-Wall*) ;; *) fail "our flags dropped when CFLAGS is given: $cmd" ;; esac
cmd=$(CFLAGS=-DXS_ENV_FLAG $M -n -B build/obj/core/check.o 2>/dev/null | grep "src/core/check.c")
case "$cmd" in *-Wall*"-DXS_ENV_FLAG"*) ;; *) fail "CFLAGS from the environment not kept: $cmd" ;; esac
cmd=$($M -n -B LDFLAGS=-Wl,-O1 build/xstilts 2>/dev/null | grep -- "-o build/xstilts")
case "$cmd" in *-fopenmp*"-Wl,-O1"*) ;; *) fail "user LDFLAGS not kept after ours: $cmd" ;; esac

[ $fails -eq 0 ] && echo "cli_make: all checks passed"
exit $fails
