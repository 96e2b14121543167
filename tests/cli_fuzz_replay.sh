#!/usr/bin/env bash
# Replays every fuzz target (fuzz/fuzz_*.c, built without libFuzzer as $B/fuzz-replay/replay_<target>
# by `make check`) on its seeds fuzz/seeds/<target>/, on what the long runs found, minimized
# (fuzz/corpus/<target>/), and on the inputs that once crashed it (fuzz/regress/<target>/). Under `make asan` this is
# ASan + UBSan; a crash, a leak or undefined behaviour fails the test. Seconds, not a fuzzing run:
# `make fuzz-run` explores (docs/RELIABILITY.md).
set -u
B=${B:-build}
fail=0
n=0
for src in fuzz/fuzz_*.c; do
  t=$(basename "$src" .c)
  bin="$B/fuzz-replay/replay_$t"
  [ -x "$bin" ] || { echo "FAIL: $bin is missing (make check builds it)"; exit 1; }
  [ -d "fuzz/seeds/$t" ] || { echo "FAIL: fuzz/seeds/$t is missing"; exit 1; }
  dirs=("fuzz/seeds/$t")
  for d in "fuzz/corpus/$t" "fuzz/regress/$t"; do [ -d "$d" ] && dirs+=("$d"); done
  if out=$("$bin" "${dirs[@]}" 2>&1); then
    echo "ok: ${out##*: } ($t)"
    n=$((n + 1))
  else
    echo "FAIL: $t"
    echo "$out" | tail -n 40
    fail=1
  fi
done
[ "$n" -gt 0 ] || [ "$fail" -ne 0 ] || { echo "FAIL: no fuzz targets found"; exit 1; }
exit $fail
