#!/usr/bin/env bash
# scaling.sh — xstilts' tokens/s and peak RSS against sequence length (128/256/512) and batch (1/8/32), for
# inference and for a training step, one process per point (its own peak RSS); then tools/plot_scaling.py
# draws docs/img/scaling.svg and prints the table docs/BENCHMARKS.md holds.
# Env: XS (build/xstilts), SIZE (base), ARCH (xlmr), VOCAB (the architecture's), SEQS ("128 256 512"),
#      BATCHES ("1 8 32"), MODES ("infer train"), REPS (1), WARMUP (1), THREADS (2), PY (python3: the plot needs
#      only the standard library), OUT (build/bench/scaling.jsonl), SVG (docs/img/scaling.svg).
set -eu
cd "$(dirname "$0")/.."
XS=${XS:-build/xstilts}; SIZE=${SIZE:-base}; ARCH=${ARCH:-xlmr}; VOCAB=${VOCAB:-0}
SEQS=${SEQS:-128 256 512}; BATCHES=${BATCHES:-1 8 32}; MODES=${MODES:-infer train}
REPS=${REPS:-1}; WARMUP=${WARMUP:-1}; THREADS=${THREADS:-2}; PY=${PY:-python3}
OUT=${OUT:-build/bench/scaling.jsonl}; SVG=${SVG:-docs/img/scaling.svg}
mkdir -p "$(dirname "$OUT")"
: >"$OUT"
[ -x "$XS" ] || make -j2 >/dev/null
vopt=(); [ "$VOCAB" != 0 ] && vopt=(--vocab "$VOCAB")
for mode in $MODES; do
  for b in $BATCHES; do
    for s in $SEQS; do
      js=$(OMP_NUM_THREADS=$THREADS "$XS" bench --json --what "$mode" --arch "$ARCH" --size "$SIZE" "${vopt[@]}" \
            --batch "$b" --seq "$s" --train-batch "$b" --train-seq "$s" --reps "$REPS" --warmup "$WARMUP" \
            | grep "\"kind\": \"$mode\"")
      echo "$js" | sed "s/}\$/, \"load\": $(cut -d' ' -f1 /proc/loadavg)}/" | tee -a "$OUT"
    done
  done
done
"$PY" tools/plot_scaling.py "$OUT" "$SVG"
