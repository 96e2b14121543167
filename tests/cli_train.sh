#!/usr/bin/env bash
# cli_train.sh — `xstilts train` smoke test: a tiny random XLM-R (xstilts init, xlmr16k tokenizer) fine-tuned on the
# 50 German PAWS-X fixture pairs: the loss goes down (memorisation), the output folder is an HF sequence-classification
# folder that loads back (encode; train again from it with encoder-only transfer to HellaSwag, its head dropped);
# same seed -> same bytes; bad usage / input exit 1 with a clear message and write nothing.
# (Checkpoints, resume, signals, evaluation and --config: cli_train_resume.sh.)
set -eu
XS=${XS:-build/xstilts}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_fail() { # expect_fail NEEDLE CMD...: exit 1 and NEEDLE on stderr
  local needle=$1 rc=0; shift
  "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
  [ "$rc" -eq 1 ] || fail "exit $rc (want 1) for: $* ; stderr: $(cat "$TMP/err")"
  grep -qF -- "$needle" "$TMP/err" || fail "stderr lacks '$needle' for: $* ; stderr: $(cat "$TMP/err")"
  echo "ok (refused): $needle"
}
PAWSX=tests/fixtures/data/pawsx/x-final/de/dev_2k.tsv
HS=tests/fixtures/data/hellaswag/hellaswag_val.jsonl
export OMP_NUM_THREADS=1

"$XS" train --help | grep -q "usage: xstilts train" || fail "--help prints no usage"
"$XS" init --arch xlmr --size tiny --tokenizer tests/fixtures/tok/xlmr16k.model --out "$TMP/base" --seed 3 2>/dev/null

# 50 pairs, batch 10, 16 epochs = 80 updates at lr 1e-3 without dropout: the pairs are memorised
"$XS" train --task pawsx --data "$PAWSX" --model "$TMP/base" --out "$TMP/p" --epochs 16 --batch 10 --accum 1 --lr 1e-3 \
  --max-len 64 --no-dropout --seed 7 --log "$TMP/log.jsonl" 2>"$TMP/log" || fail "train: $(tail -3 "$TMP/log")"
[ "$(wc -l <"$TMP/log.jsonl")" -eq 80 ] || fail "the JSONL log has $(wc -l <"$TMP/log.jsonl") lines, expected 80"
head -1 "$TMP/log.jsonl" | grep -q '^{"step": 1, "task": "pawsx", "loss": 0\.69[0-9]*, "lr": 0, "grad_norm": [0-9.e+-]*, "tokens": [0-9]*, "tokens_per_s": [0-9.]*, "epoch": 0, "elapsed_s": [0-9.]*}$' \
  || fail "unexpected first JSONL line: $(head -1 "$TMP/log.jsonl")"
grep -q "80 updates" "$TMP/log" || fail "expected 80 updates: $(grep updates "$TMP/log")"
awk '/^step/ { n++; l[n] = $4 }
     END { a = (l[1] + l[2] + l[3] + l[4] + l[5]) / 5; b = (l[n] + l[n-1] + l[n-2] + l[n-3] + l[n-4]) / 5
           printf "loss: first 5 updates %.4f, last 5 %.4f (%d updates)\n", a, b, n
           if (n != 80 || !(b < 0.25 * a)) exit 1 }' "$TMP/log" || fail "the loss did not go down"
for f in config.json model.safetensors sentencepiece.bpe.model tokenizer_config.json; do
  [ -s "$TMP/p/$f" ] || fail "output lacks $f"
done
grep -q '"XLMRobertaForSequenceClassification"' "$TMP/p/config.json" || fail "config.json names no classification class"
find "$TMP" -name "*.tmp.*" | grep -q . && fail "a temporary folder was left behind"
[ -f "$TMP/p/checkpoint-00000080/xstilts.json" ] || fail "no final checkpoint"
# loads back: encode with it, and train from it (its classifier dropped: encoder-only transfer)
echo "Ein Satz." | "$XS" encode --model "$TMP/p" --out "$TMP/e.npy" 2>/dev/null || fail "the output folder does not load"
"$XS" train --task hellaswag --data "$HS" --model "$TMP/p" --out "$TMP/h" --max-steps 2 --batch 2 --lr 1e-4 \
  --max-len 64 2>"$TMP/log2" || fail "train from the output: $(tail -3 "$TMP/log2")"
grep -q "dropped classifier.out_proj.weight" "$TMP/log2" || fail "the old head was not reported dropped"
grep -q '"XLMRobertaForMultipleChoice"' "$TMP/h/config.json" || fail "config.json names no multiple-choice class"
# deterministic: the same run gives the same bytes
"$XS" train --task pawsx --data "$PAWSX" --model "$TMP/base" --out "$TMP/p2" --epochs 16 --batch 10 --accum 1 --lr 1e-3 \
  --max-len 64 --no-dropout --seed 7 2>/dev/null
cmp -s "$TMP/p/model.safetensors" "$TMP/p2/model.safetensors" || fail "same seed, different weights"

# bad usage and input: exit 1, nothing written
expect_fail "unknown task 'nope'" "$XS" train --task nope --data "$PAWSX" --model "$TMP/base" --out "$TMP/x"
expect_fail "are required" "$XS" train --task pawsx --data "$PAWSX" --out "$TMP/x"
expect_fail "no training file" "$XS" train --task pawsx --model "$TMP/base" --out "$TMP/x"
expect_fail "$TMP/missing.tsv" "$XS" train --task pawsx --data "$TMP/missing.tsv" --model "$TMP/base" --out "$TMP/x"
expect_fail "holds a run" "$XS" train --task pawsx --data "$PAWSX" --model "$TMP/base" --out "$TMP/p" --max-steps 1
expect_fail "option --batch expects an integer from 1" "$XS" train --task pawsx --data "$PAWSX" --model "$TMP/base" --out "$TMP/x" --batch 0
[ -e "$TMP/x" ] && fail "a refused run wrote $TMP/x"
cmp -s "$TMP/p/model.safetensors" "$TMP/p2/model.safetensors" || fail "a refused run changed an existing folder"
echo "cli_train: ok"
