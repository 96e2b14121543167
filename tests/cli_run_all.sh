#!/usr/bin/env bash
# cli_run_all.sh — tests/run-all.sh counts test cases, not only programs (issue 12 item 11): fake cmocka
# programs (summary lines as cmocka prints them, a crash without one, a skip by exit 77) and fake CLI
# scripts (xstilts runs through the counting $XS, a failure midway) give known totals, and the last
# line has the form "N passed, N failed, N skipped".
set -eu
# never recursively (a run-all.sh that ignores RUN_ALL_CLI would run this script again)
[ -z "${XSTILTS_RUN_ALL_NESTED:-}" ] || { echo "nested run: nothing to do"; exit 0; }
export XSTILTS_RUN_ALL_NESTED=1
XS=${XS:-build/xstilts}
T=$(mktemp -d /tmp/xstilts-cli-runall-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$T/b" "$T/cli"
# run-all runs $B/xstilts through its counting wrapper: a stand-in that succeeds
printf '#!/bin/sh\nexit 0\n' > "$T/b/xstilts"; chmod +x "$T/b/xstilts"
prog() { printf '#!/bin/sh\n%s\n' "$2" > "$T/$1"; chmod +x "$T/$1"; }
prog ok5 'echo "[==========] 5 test(s) run."; echo "[  PASSED  ] 5 test(s)."'
prog two_groups 'echo "[==========] 2 test(s) run."; echo "[  PASSED  ] 2 test(s)."; echo "[==========] 3 test(s) run."; echo "[  PASSED  ] 3 test(s)."'
prog bad 'echo "[==========] 4 test(s) run."; echo "[  PASSED  ] 3 test(s)."; echo "[  FAILED  ] 1 test(s), listed below:"; exit 1'
prog crash 'echo "[       OK ] a"; echo "[       OK ] b"; kill -SEGV $$'
prog skip 'echo "needs a model"; exit 77'
printf '"$XS" a\n"$XS" b\n"$XS" c\n' > "$T/cli/cli_three.sh"
printf 'set -e\n"$XS" a\n"$XS" b\nfalse\n' > "$T/cli/cli_fails.sh"
printf 'true\n' > "$T/cli/cli_none.sh"
set +e
B="$T/b" RUN_ALL_CLI="$T/cli/cli_*.sh" bash tests/run-all.sh "$T/ok5" "$T/two_groups" "$T/bad" "$T/crash" "$T/skip" > "$T/out" 2>&1
rc=$?
set -e
cat "$T/out"
[ $rc -ne 0 ] || fail "run-all exited 0 with failures"
# cases: ok5 5, two_groups 5, bad 3+1f, crash 2+1f, skip 1s; cli_three 3, cli_fails 1+1f, cli_none 1
last=$(tail -n 1 "$T/out")
[ "$last" = "20 passed, 3 failed, 1 skipped" ] || fail "last line '$last', want '20 passed, 3 failed, 1 skipped'"
grep -qx "programs: 4 passed, 3 failed, 1 skipped" "$T/out" || fail "programs line: $(grep programs: "$T/out")"
grep -q "^FAILED: bad crash cli_fails.sh$" "$T/out" || fail "FAILED line"
echo "cli_run_all: case totals as expected"
