#!/usr/bin/env bash
# cli_train_mpi.sh — `xstilts train` data parallel under mpirun (build/xstilts-mpi, make MPI=1; docs/SCALING.md):
# a tiny `xstilts init` model fine-tuned on the 50 PAWS-X fixture pairs by 2 ranks of 1 thread (dropout on,
# shuffled, dev evaluation every 3 updates, a checkpoint every 2): only rank 0 reports and writes (one set of
# update lines, the run folder complete); two runs give the same model.safetensors; one rank killed (SIGKILL) at
# random moments ends the job with mpirun's message within a timeout (no hang), and --resume with 2 ranks ends
# with the uninterrupted run's bytes; a 2-rank checkpoint is continued by one process with accumulation 2 (the
# same global batch); a rank that fails on bad input ends the job with its rank's message. (Equality of N ranks
# with one process within 1e-6 is tests/mpi_trainer.c's, in this same test run.) Skips without Open MPI.
set -eu
B=${B:-build}
XM="$B/xstilts-mpi"
XS1=${XS:-$B/xstilts}
if ! command -v mpirun >/dev/null 2>&1 || [ ! -x "$XM" ]; then
  echo "SKIP: no mpirun or no $XM (Open MPI not installed; make deps)"; exit 77
fi
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
MPIRUN="mpirun --oversubscribe --bind-to none -np 2"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
PAWSX=tests/fixtures/data/pawsx/x-final/de/dev_2k.tsv

"$XS1" init --arch xlmr --size tiny --tokenizer tests/fixtures/tok/uni8k.model --out "$TMP/base" --seed 3 2>/dev/null
# 50 pairs, global batch 2 ranks x 4 (= one process's 4 x accum 2): 7 updates an epoch, 2 epochs = 14 updates
ARGS=(--task "pawsx:$PAWSX" --dev "$PAWSX" --model "$TMP/base" --batch 4 --epochs 2 --lr 2e-3 --max-len 32
      --eval-every 3 --dev-examples 12 --patience 10 --save-every 2 --keep 2 --seed 5)
timeout 300 $MPIRUN "$XM" train "${ARGS[@]}" --accum 1 --out "$TMP/ref" </dev/null 2>"$TMP/ref.log" \
  || fail "2-rank run: $(tail -5 "$TMP/ref.log")"
grep -q "\[rank 0\]: 2 ranks, 1 thread(s) each; rank 0 writes" "$TMP/ref.log" || fail "no data-parallel note: $(head -3 "$TMP/ref.log")"
[ "$(grep -c '^step 1 ' "$TMP/ref.log")" -eq 1 ] || fail "update lines from more than rank 0"
grep -q "14 updates" "$TMP/ref.log" || fail "expected 14 updates: $(tail -2 "$TMP/ref.log")"
[ "$(wc -l <"$TMP/ref/log.jsonl")" -eq 14 ] || fail "the JSONL log has $(wc -l <"$TMP/ref/log.jsonl") lines, not 14"
for f in config.json model.safetensors result.json curve.json; do [ -s "$TMP/ref/$f" ] || fail "run folder lacks $f"; done
echo "2 ranks: $(grep 'updates in' "$TMP/ref.log")"

timeout 300 $MPIRUN "$XM" train "${ARGS[@]}" --accum 1 --out "$TMP/again" </dev/null 2>/dev/null || fail "second 2-rank run"
cmp -s "$TMP/ref/model.safetensors" "$TMP/again/model.safetensors" || fail "two 2-rank runs differ"
echo "ok: two 2-rank runs give the same model.safetensors"

# one rank killed mid-run: the job ends (bounded), then --resume with 2 ranks gives the same bytes
for trial in 1 2; do
  out="$TMP/k$trial"
  $MPIRUN "$XM" train "${ARGS[@]}" --accum 1 --out "$out" </dev/null 2>"$TMP/k.log" & mp=$!
  delay=$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 2 + r / 32767 * 6 }')
  sleep "$delay"
  victim=$(pgrep -P "$mp" | tail -1 || true)  # the ranks are mpirun's children
  [ -n "$victim" ] && kill -9 "$victim" 2>/dev/null || true
  start=$(date +%s)
  for _ in $(seq 120); do kill -0 "$mp" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$mp" 2>/dev/null; then kill -9 "$mp"; fail "trial $trial: the job hung after a rank was killed"; fi
  rc=0; wait "$mp" || rc=$?
  if [ -z "$victim" ] || [ "$rc" -eq 0 ]; then
    echo "trial $trial: the run ended before the kill (${delay}s)"
  else
    grep -q "exited on signal 9" "$TMP/k.log" || fail "trial $trial: no clear message: $(tail -5 "$TMP/k.log")"
    echo "ok: rank killed after ${delay}s: job ended in $(( $(date +%s) - start ))s, exit $rc ($(grep -o 'process rank [0-9]* with PID [0-9]* on node [^ ]* exited on signal 9' "$TMP/k.log" | sed 's/ with PID [0-9]*//'))"
  fi
  timeout 300 $MPIRUN "$XM" train "${ARGS[@]}" --accum 1 --out "$out" --resume </dev/null 2>"$TMP/r.log" \
    || fail "trial $trial: resume: $(tail -5 "$TMP/r.log")"
  cmp -s "$TMP/ref/model.safetensors" "$out/model.safetensors" || fail "trial $trial: resumed run differs"
  echo "ok: resumed with 2 ranks ($(grep -o 'resuming from [^ ]*' "$TMP/r.log" | sed 's|.*/||' || echo 'started over')): identical"
done

# a 2-rank checkpoint continued by one process with accumulation 2 (the same global batch)
mkdir "$TMP/one"
cp -r "$(ls -d "$TMP"/ref/checkpoint-* | head -1)" "$TMP/one/"
"$XS1" train "${ARGS[@]}" --accum 2 --out "$TMP/one" --resume 2>"$TMP/one.log" || fail "1 process resume: $(tail -3 "$TMP/one.log")"
grep -q "resuming from" "$TMP/one.log" && grep -q "14 updates" "$TMP/one.log" || fail "1 process did not continue: $(tail -3 "$TMP/one.log")"
echo "ok: a 2-rank checkpoint continued by 1 process x accum 2 ($(grep -o 'resuming from [^ ]*' "$TMP/one.log" | sed 's|.*/||'))"

# a failure on every rank (missing file) ends the job with the rank's message, nothing written
rc=0; timeout 120 $MPIRUN "$XM" train --task "pawsx:$TMP/missing.tsv" --model "$TMP/base" --out "$TMP/x" </dev/null 2>"$TMP/e.log" || rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "a missing file: exit $rc"
grep -q "xstilts \[rank [01]/2\]: train: .*missing.tsv" "$TMP/e.log" || fail "no rank message: $(tail -5 "$TMP/e.log")"
[ -e "$TMP/x" ] && fail "a refused run wrote $TMP/x"
echo "ok (refused): $(grep -o 'xstilts \[rank [01]/2\]: train: [^;]*' "$TMP/e.log" | head -1)"
echo "cli_train_mpi: ok"
