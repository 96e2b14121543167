#!/usr/bin/env bash
# compare.sh — `xstilts bench` side by side with its anchors, same shapes, same run, interleaved rounds
# (each round, for every work item: xstilts, ONNX Runtime, PyTorch; each libgomp system with both wait policies),
# one process per measurement (its own peak RSS), medians over ROUNDS >= 3; prints the issue-13 table with
# the ratios xstilts / anchor (tools/compare_table.py). xstilts and PyTorch (both libgomp) run with the default
# wait policy and with OMP_WAIT_POLICY=PASSIVE and count with the better of the two per round.
#
# Env: PY (python with torch + transformers [+ onnxruntime, onnx]; default tools/.venv/bin/python),
#      XS (default build/xstilts), ROUNDS (3), THREADS (2), REPS (timed repetitions per process, 1),
#      BATCH x SEQ (inference, 32 x 128), TBATCH x TSEQ (training, 8 x 128), SIZE (base),
#      WORK (space-separated subset of: infer-xlmr infer-bert train-xlmr real-infer-xlmr real-infer-bert
#      real-train-xlmr; default all six), OUT (folder for the raw JSON lines, default build/bench/compare).
# Real data (the real-* items; tokenized once by `xstilts tokenize` with MODEL's XLM-R SentencePiece, the same
# ids fed to every system, natural lengths, padded per batch to its longest by the anchors, packed by xstilts):
#      MODEL (a model folder with sentencepiece.bpe.model; default $XSTILTS_HOME/models/e5-small, made by
#      scripts/get-model.sh e5-small), TATOEBA (folder of tatoeba.XXX-eng.XXX files; default the vendored
#      tests/fixtures/tatoeba: the first 10 lines of every non-English file in name order, the first 1,024),
#      XNLI (a myXNLI-style TSV whose columns 3-4 are the English premise / hypothesis; default
#      ${XSTILTS_SHARED_DATA:-../shared/data}/xnli/my.genre.dev.tsv), RBATCH (32), RREPS (timed batches, 8 for
#      training; inference covers all 1,024 lines once: 32 batches).
# The environment is passed through as it is (OPENBLAS_CORETYPE included): every system sees the same one.
set -eu
cd "$(dirname "$0")/.."
PY=${PY:-tools/.venv/bin/python}
XS=${XS:-build/xstilts}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
REPS=${REPS:-1}
BATCH=${BATCH:-32}; SEQ=${SEQ:-128}; TBATCH=${TBATCH:-8}; TSEQ=${TSEQ:-128}; SIZE=${SIZE:-base}
WORK=${WORK:-infer-xlmr infer-bert train-xlmr real-infer-xlmr real-infer-bert real-train-xlmr}
MODEL=${MODEL:-${XSTILTS_HOME:-$HOME/.cache/xstilts}/models/e5-small}
TATOEBA=${TATOEBA:-tests/fixtures/tatoeba}
XNLI=${XNLI:-${XSTILTS_SHARED_DATA:-../shared/data}/xnli/my.genre.dev.tsv}
RBATCH=${RBATCH:-32}; RREPS=${RREPS:-8}
OUT=${OUT:-build/bench/compare}
mkdir -p "$OUT"
RAW="$OUT/raw.jsonl"
: >"$RAW"
[ -x "$XS" ] || make -j2 >/dev/null
[ "$ROUNDS" -ge 3 ] || { echo "compare.sh: ROUNDS=$ROUNDS: medians need at least 3" >&2; exit 1; }
HAVE_PT=1; "$PY" -c 'import torch, transformers' 2>/dev/null || HAVE_PT=0
HAVE_ORT=1; "$PY" -c 'import onnxruntime, onnx' 2>/dev/null || HAVE_ORT=0
[ "$HAVE_PT" = 1 ] || echo "SKIP PyTorch: no torch + transformers at $PY (tools/setup-venv.sh)"
[ "$HAVE_ORT" = 1 ] || echo "SKIP ONNX Runtime: no onnxruntime + onnx at $PY (tools/setup-venv.sh)"
# The real sequences: 1,024 Tatoeba lines (the first 10 of every non-English file, in name order, until 1,024)
# and the first RBATCH * RREPS English XNLI pairs (premise <TAB> hypothesis, encoded as a pair), max 128 tokens.
case " $WORK " in *" real-"*)
  [ -f "$MODEL/sentencepiece.bpe.model" ] || { echo "compare.sh: no $MODEL/sentencepiece.bpe.model (scripts/get-model.sh e5-small, or set MODEL)" >&2; exit 1; }
  for f in "$TATOEBA"/tatoeba.*-eng.*; do case "$f" in *.eng) ;; *) head -n 10 "$f" ;; esac; done | head -n 1024 \
    | "$XS" tokenize --model "$MODEL" --max-len 128 > "$OUT/tatoeba.ids"
  [ "$(wc -l < "$OUT/tatoeba.ids")" -eq 1024 ] || { echo "compare.sh: fewer than 1,024 Tatoeba lines under $TATOEBA" >&2; exit 1; }
  [ -f "$XNLI" ] || { echo "compare.sh: no XNLI file $XNLI (set XNLI or XSTILTS_SHARED_DATA)" >&2; exit 1; }
  awk -F'\t' -v n=$((RBATCH * RREPS)) 'NR > 1 && NR <= n + 1 {print $3 "\t" $4}' "$XNLI" \
    | "$XS" tokenize --model "$MODEL" --pair --max-len 128 > "$OUT/xnli-en.ids"
  ;;
esac

echo "# compare.sh $(date -u +%FT%TZ): $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
     "threads $THREADS, rounds $ROUNDS, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}"

# record LABEL JSON: one line of raw.jsonl with the system label and the load average at its end
record() { echo "{\"system\": \"$1\", \"load\": $(cut -d' ' -f1 /proc/loadavg), \"r\": $2}" >>"$RAW"; }
xs_run() { # label env mode arch batch seq [extra args]
  local label=$1 envs=$2; shift 2
  local what=$1 js
  js=$(env $envs OMP_NUM_THREADS=$THREADS "$XS" bench --json --what "$what" --arch "$2" --size "$SIZE" \
        --batch "$3" --seq "$4" --train-batch "$3" --train-seq "$4" --reps "$REPS" "${@:5}" | grep "\"kind\": \"$what\"")
  record "$label" "$js"
}
py_run() { # system env... -- args
  local sys=$1; shift
  local envs=(); while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
  local js
  js=$(env "${envs[@]}" OMP_NUM_THREADS=$THREADS "$PY" bench/anchor.py --threads "$THREADS" --size "$SIZE" \
        --reps "$REPS" "$@" 2>"$OUT/anchor.err" | tail -1) || { echo "anchor failed: $(tail -3 "$OUT/anchor.err")" >&2; return 0; }
  record "$sys" "$js"
}

for r in $(seq 1 "$ROUNDS"); do
  for w in $WORK; do
    real=(); item=$w; REPS_W=$REPS
    case $w in
      real-infer-*) item=${w#real-}; real=(--ids "$OUT/tatoeba.ids" --vocab 250002 --warmup 1); REPS_W=$((1024 / RBATCH)) ;;
      real-train-*) item=${w#real-}; real=(--ids "$OUT/xnli-en.ids" --vocab 250002 --warmup 1); REPS_W=$RREPS ;;
    esac
    mode=${item%-*}; arch=${item#*-}
    if [ ${#real[@]} -gt 0 ]; then b=$RBATCH; s=128; elif [ "$mode" = infer ]; then b=$BATCH; s=$SEQ; else b=$TBATCH; s=$TSEQ; fi
    echo "round $r: $w ($b x $s${real[1]:+, ${real[1]##*/}})  load $(cut -d' ' -f1 /proc/loadavg)"
    REPS=$REPS_W xs_run xstilts-default "" "$mode" "$arch" "$b" "$s" "${real[@]}"
    REPS=$REPS_W xs_run xstilts-passive OMP_WAIT_POLICY=PASSIVE "$mode" "$arch" "$b" "$s" "${real[@]}"
    if [ "$mode" = infer ] && [ "$HAVE_ORT" = 1 ]; then
      REPS=$REPS_W py_run ort -- --engine ort --mode infer --arch "$arch" --batch "$b" --seq "$s" --cache "$OUT/onnx" "${real[@]}"
    fi
    if [ "$HAVE_PT" = 1 ]; then
      REPS=$REPS_W py_run torch-default -- --engine torch --mode "$mode" --arch "$arch" --batch "$b" --seq "$s" "${real[@]}"
      REPS=$REPS_W py_run torch-passive OMP_WAIT_POLICY=PASSIVE -- --engine torch --mode "$mode" --arch "$arch" --batch "$b" --seq "$s" "${real[@]}"
    fi
  done
done

# The table: medians per (work, system); each system with two wait policies counts with the better per round.
"$PY" tools/compare_table.py "$RAW"
echo "raw: $RAW"
