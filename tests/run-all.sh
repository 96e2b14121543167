#!/usr/bin/env bash
# Runs every unit-test binary given and every tests/cli_*.sh; exits non-zero if any failed.
# B (the build dir, e.g. build or build/asan) tells the CLI tests which xstilts to drive.
set -u
export B=${B:-build}
export XS="$PWD/$B/xstilts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
failed=()
n=0
for t in "$@" tests/cli_*.sh; do
  [ -e "$t" ] || continue
  # *_release.sh tests (minutes of work at full size, e.g. a large model's peak RSS) run in the
  # release build only; sanitizer builds list them as SKIP, never as PASS.
  if [[ "$t" == *_release.sh && "$B" != build ]]; then
    printf 'SKIP  %-40s (release build only)\n' "$(basename "$t")"
    continue
  fi
  n=$((n + 1))
  start=$(date +%s)
  if [[ "$t" == *.sh ]]; then bash "$t" >"$B/$(basename "$t").log" 2>&1; else "$t" >"$B/$(basename "$t").log" 2>&1; fi
  rc=$?
  secs=$(( $(date +%s) - start ))
  if [ $rc -eq 0 ]; then
    printf 'PASS  %-40s %3ss\n' "$(basename "$t")" "$secs"
  else
    printf 'FAIL  %-40s %3ss (exit %d) — log: %s\n' "$(basename "$t")" "$secs" "$rc" "$B/$(basename "$t").log"
    tail -n 30 "$B/$(basename "$t").log" | sed 's/^/    /'
    failed+=("$(basename "$t")")
  fi
done
echo "----"
if [ ${#failed[@]} -gt 0 ]; then
  echo "$((n - ${#failed[@]}))/$n test programs passed; FAILED: ${failed[*]}"
  exit 1
fi
echo "all $n test programs passed"
