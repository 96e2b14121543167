#!/usr/bin/env bash
# fuzz/run.sh SECONDS TARGET... — runs each libFuzzer target of build/fuzz/ for SECONDS from a working
# corpus build/fuzz/corpus/<target> seeded with fuzz/corpus/<target> (fuzz/<target>.dict when present),
# one after the other (FUZZ_PARALLEL=N: N at a time). Crash, leak and timeout inputs land in
# build/fuzz/crashes/<target>/, the log in build/fuzz/logs/<target>.log; the last line per target
# is libFuzzer's final stats (execs, cov, ft, corpus). Exit 1 when any target found something.
#   fuzz/run.sh --merge TARGET...  minimizes build/fuzz/corpus/<target> + fuzz/corpus/<target> into
#                                  fuzz/corpus/<target> (what is committed and replayed by make check).
set -u
FB=build/fuzz
if [ "${1:-}" = --merge ]; then
  shift
  for t in "$@"; do
    tmp=$(mktemp -d "$FB/merge.XXXXXX")
    "$FB/$t" -merge=1 -rss_limit_mb=4096 -timeout=10 "$tmp" "fuzz/corpus/$t" "$FB/corpus/$t" > "$FB/logs/$t.merge.log" 2>&1 \
      || { echo "merge of $t failed: $FB/logs/$t.merge.log"; rm -rf "$tmp"; exit 1; }
    rm -rf "fuzz/corpus/$t" && mv "$tmp" "fuzz/corpus/$t"
    echo "$t: $(ls "fuzz/corpus/$t" | wc -l) inputs, $(du -sk "fuzz/corpus/$t" | cut -f1) KiB"
  done
  exit 0
fi
secs=${1:?usage: fuzz/run.sh SECONDS TARGET...}
shift
par=${FUZZ_PARALLEL:-1}
mkdir -p "$FB/logs"
one() {
  local t=$1 dict=()
  mkdir -p "$FB/corpus/$t" "$FB/crashes/$t"
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  local start=$(date +%s)
  "$FB/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$FB/crashes/$t/" "${dict[@]}" "$FB/corpus/$t" "fuzz/corpus/$t" > "$FB/logs/$t.log" 2>&1
  local rc=$? wall=$(( $(date +%s) - start ))
  local last=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$FB/logs/$t.log" | tail -n 1)
  printf '%s rc=%d wall=%ds %s\n' "$t" "$rc" "$wall" "$last" | tee -a "$FB/logs/summary.txt"
  return $rc
}
fail=0
pids=()
for t in "$@"; do
  one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$par" ]; then wait "${pids[0]}" || fail=1; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
exit $fail
