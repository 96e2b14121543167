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
skipped=0
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
  elif [ $rc -eq 77 ]; then
    # exit 77 = skipped (automake's convention); the test's last line says why
    printf 'SKIP  %-40s (%s)\n' "$(basename "$t")" "$(tail -n 1 "$B/$(basename "$t").log")"
    n=$((n - 1))
    skipped=$((skipped + 1))
  else
    printf 'FAIL  %-40s %3ss (exit %d) — log: %s\n' "$(basename "$t")" "$secs" "$rc" "$B/$(basename "$t").log"
    tail -n 30 "$B/$(basename "$t").log" | sed 's/^/    /'
    failed+=("$(basename "$t")")
  fi
done
echo "----"
echo "$((n - ${#failed[@]})) passed, ${#failed[@]} failed, $skipped skipped"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
