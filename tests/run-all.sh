#!/usr/bin/env bash
# Runs every unit-test binary given and every tests/cli_*.sh; exits non-zero if any failed.
# B (the build dir, e.g. build or build/asan) tells the CLI tests which xstilts to drive.
# Counts programs and test cases: a cmocka program's cases are its tests (from its summary lines); a
# CLI script's cases are the xstilts runs it checked (counted by a wrapper put in as $XS; a script
# that runs none counts as one case). A failing script counts its runs before the failure as passed
# and one failed case. The last line is "N passed, N failed, N skipped" over the cases.
# The logs go to $B/NAME.log.
set -u
export B=${B:-build}
case "$B" in /*) XS_REAL="$B/xstilts" ;; *) XS_REAL="$PWD/$B/xstilts" ;; esac
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
CNT=$(mktemp -d /tmp/xstilts-run-all-XXXXXX)
trap 'rm -rf "$CNT"' EXIT
# $XS for the CLI scripts: counts each run, then runs the real binary
printf '#!/bin/sh\nprintf x >> "$XS_COUNT"\nexec "%s" "$@"\n' "$XS_REAL" > "$CNT/xstilts"
chmod +x "$CNT/xstilts"
export XS="$CNT/xstilts"
failed=()
n=0
skipped=0
cp=0 cf=0 cs=0          # cases passed / failed / skipped
cunit=0 ccli=0          # cases counted from cmocka programs / CLI scripts
# RUN_ALL_CLI: the CLI scripts to run (a glob; default tests/cli_*.sh; tests/cli_run_all.sh sets its own)
for t in "$@" ${RUN_ALL_CLI:-tests/cli_*.sh}; do
  [ -e "$t" ] || continue
  name=$(basename "$t")
  log="$B/$name.log"
  # *_release.sh tests (minutes of work at full size, e.g. a large model's peak RSS) run in the
  # release build only; sanitizer builds list them as SKIP, never as PASS.
  if [[ "$t" == *_release.sh && "$B" != build ]]; then
    printf 'SKIP  %-40s (release build only)\n' "$name"
    skipped=$((skipped + 1)); cs=$((cs + 1))
    continue
  fi
  n=$((n + 1))
  start=$(date +%s)
  : > "$CNT/count"
  if [[ "$t" == *.sh ]]; then XS_COUNT="$CNT/count" bash "$t" >"$log" 2>&1; else "$t" >"$log" 2>&1; fi
  rc=$?
  secs=$(( $(date +%s) - start ))
  # this program's cases: p passed, f failed, s skipped
  if [[ "$t" == *.sh ]]; then
    runs=$(wc -c < "$CNT/count")
    if [ $rc -eq 0 ]; then p=$(( runs > 0 ? runs : 1 )); f=0; s=0
    elif [ $rc -eq 77 ]; then p=0; f=0; s=1
    else p=$(( runs > 0 ? runs - 1 : 0 )); f=1; s=0; fi
    what="runs"
  else
    run=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\..*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s).*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
    if [ "$run" -eq 0 ]; then  # no summary: a crash, or a program that is not cmocka
      p=$(grep -c '^\[       OK \]' "$log"); s=0
      if [ $rc -eq 0 ]; then p=$(( p > 0 ? p : 1 )); f=0; elif [ $rc -eq 77 ]; then f=0; s=1; else f=1; fi
    else
      f=$(( run - p - s ))
      [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ $f -eq 0 ] && f=1  # failed after its tests (e.g. a leak report)
    fi
    what="tests"
  fi
  cp=$((cp + p)); cf=$((cf + f)); cs=$((cs + s))
  if [[ "$t" == *.sh ]]; then ccli=$((ccli + p + f + s)); else cunit=$((cunit + p + f + s)); fi
  if [ $rc -eq 0 ]; then
    printf 'PASS  %-40s %3ss  %4d %s\n' "$name" "$secs" "$p" "$what"
  elif [ $rc -eq 77 ]; then
    # exit 77 = skipped (automake's convention); the test's last line says why
    printf 'SKIP  %-40s (%s)\n' "$name" "$(tail -n 1 "$log")"
    n=$((n - 1))
    skipped=$((skipped + 1))
  else
    printf 'FAIL  %-40s %3ss (exit %d) — log: %s\n' "$name" "$secs" "$rc" "$log"
    tail -n 30 "$log" | sed 's/^/    /'
    failed+=("$name")
  fi
done
echo "----"
echo "programs: $((n - ${#failed[@]})) passed, ${#failed[@]} failed, $skipped skipped"
echo "cases: $cunit cmocka tests + $ccli checked xstilts runs of the CLI scripts"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
fi
echo "$cp passed, $cf failed, $cs skipped"
[ ${#failed[@]} -eq 0 ]
