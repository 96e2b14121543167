#!/usr/bin/env bash
# fuzz/run.sh SECONDS TARGET... — runs each libFuzzer target of build/fuzz/ for SECONDS on a working
# corpus build/fuzz/corpus/<target>, started from the committed fuzz/corpus/<target> and the seeds
# fuzz/seeds/<target> (with the dictionary fuzz/<target>.dict when there is one), one after the other
# (FUZZ_PARALLEL=N: N at a time). Crash, leak and timeout inputs land in build/fuzz/crashes/<target>/,
# the log in build/fuzz/logs/<target>.log; build/fuzz/logs/summary.txt gets one line per target
# with libFuzzer's final stats (#executions, cov, ft, corp). Exit 1 when any target found something.
#   fuzz/run.sh --merge TARGET...  minimizes (libFuzzer -merge=1) what the runs found into
#                                  fuzz/corpus/<target>: inputs that add coverage beyond the seeds,
#                                  the smallest first, at most FUZZ_CORPUS_KB (default 160) KiB. This is
#                                  committed and replayed by make check (tests/cli_fuzz_replay.sh).
set -u
FB=build/fuzz
if [ "${1:-}" = --merge ]; then
  shift
  budget=$(( ${FUZZ_CORPUS_KB:-160} * 1024 ))
  for t in "$@"; do
    mkdir -p "fuzz/corpus/$t" "$FB/corpus/$t" "$FB/logs"
    tmp=$(mktemp -d "$FB/merge.XXXXXX")
    mkdir "$tmp/seeds" "$tmp/new"
    # the seeds first (their features are not "new"), then everything found
    "$FB/$t" -merge=1 -rss_limit_mb=4096 -timeout=10 "$tmp/seeds" "fuzz/seeds/$t" > "$FB/logs/$t.merge.log" 2>&1 &&
    "$FB/$t" -merge=1 -rss_limit_mb=4096 -timeout=10 "$tmp/seeds" "fuzz/corpus/$t" "$FB/corpus/$t" >> "$FB/logs/$t.merge.log" 2>&1 \
      || { echo "merge of $t failed: $FB/logs/$t.merge.log"; rm -rf "$tmp"; exit 1; }
    # what the second merge added = the files of $tmp/seeds that are not seeds
    for f in "fuzz/seeds/$t"/*; do rm -f "$tmp/seeds/$(sha1sum < "$f" | cut -c1-40)"; done
    used=0
    for f in $(ls -Sr "$tmp/seeds"); do
      sz=$(stat -c %s "$tmp/seeds/$f")
      [ $((used + sz)) -le "$budget" ] || continue
      mv "$tmp/seeds/$f" "$tmp/new/" && used=$((used + sz))
    done
    left=$(ls "$tmp/seeds" | wc -l)
    rm -rf "fuzz/corpus/$t" && mv "$tmp/new" "fuzz/corpus/$t" && rm -rf "$tmp"
    echo "$t: $(ls "fuzz/corpus/$t" | wc -l) inputs kept, $((used / 1024)) KiB ($left larger ones left out)"
  done
  exit 0
fi
secs=${1:?usage: fuzz/run.sh SECONDS TARGET...}
shift
par=${FUZZ_PARALLEL:-1}
mkdir -p "$FB/logs"
one() {
  local t=$1 dict=()
  mkdir -p "$FB/corpus/$t" "$FB/crashes/$t" "fuzz/corpus/$t"
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  local start=$(date +%s)
  "$FB/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$FB/crashes/$t/" "${dict[@]}" "$FB/corpus/$t" "fuzz/corpus/$t" "fuzz/seeds/$t" 2>&1 |
    grep -av '^\[warn\]' > "$FB/logs/$t.log"  # the readers' warnings about bad rows: millions of lines
  local rc=${PIPESTATUS[0]} wall=$(( $(date +%s) - start ))
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
