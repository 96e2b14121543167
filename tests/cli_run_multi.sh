#!/usr/bin/env bash
# cli_run_multi.sh — `xstilts run` with a multi-task row {"intermediate": ["mnli", "qqp"]}: two sequence-classification
# tasks of 3 and 2 labels trained at once in phase 1 (a random-init tiny model, the MNLI and QQP fixture slices), one
# PAWS-X target. Asserts: the phase-1 folder holds both heads (MNLI's under HF's plain names, QQP's under heads.qqp.,
# listed in config.json's "xstilts_heads"), the sampler drew both tasks, both heads learned their (tiny) training sets
# (`xstilts predict` with the phase-1 folder: QQP 100%, MNLI >= 80% on their training files, far above a constant answer),
# and phase 2 loads the encoder only: run.log notes every tensor of both heads as dropped, and the cell finishes.
set -eu
XS=${XS:-build/xstilts}
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/xstilts-run-multi-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1
F=tests/fixtures/data

"$XS" init --arch xlmr --size tiny --tokenizer tests/fixtures/tok/xlmr16k.model --out "$T/model" --seed 3 >/dev/null 2>&1 \
  || fail "init"
D=$T/data
mkdir -p "$D/MNLI" "$D/QQP"
cp $F/mnli/MNLI/train.tsv "$D/MNLI/train.tsv"          # 5 pairs, 3 labels
cp $F/qqp/QQP/dev.tsv "$D/QQP/train.tsv"               # 4 pairs, 2 labels
head -n 25 $F/pawsx/x-final/de/dev_2k.tsv > "$D/pawsx_train.tsv"
{ head -n 1 $F/pawsx/x-final/de/dev_2k.tsv; sed -n 26,37p $F/pawsx/x-final/de/dev_2k.tsv; } > "$D/pawsx_dev.tsv"
cat > "$T/study.json" <<EOF
{
  "title": "run multi-task test",
  "model": "$T/model",
  "data": "$D",
  "seeds": [1],
  "hparams": {"max_len": 32, "batch": 4, "accum": 1, "lr": 1e-3, "eval_every": 2, "eval_examples": 12, "patience": 5,
              "max_steps": 4},
  "intermediate_hparams": {"max_steps": 120, "max_len": 48, "lr": 3e-3, "dropout": false},
  "paths": {
    "pawsx": {"format": "pawsx", "train": "pawsx_train.tsv", "dev": "pawsx_dev.tsv", "eval_dev": {"de": "pawsx_dev.tsv"},
              "test": null}
  },
  "targets": [{"task": "pawsx", "langs": ["de"]}],
  "rows": [
    {"name": "mnli-qqp", "intermediate": ["mnli", "qqp"], "sampler": {"kind": "uniform"}}
  ]
}
EOF
"$XS" run "$T/study.json" --out "$T/run" >"$T/out" 2>"$T/err" || fail "run: $(tail -5 "$T/err")"
P1=$T/run/phase1/mnli-qqp/seed-1
grep -q '"status": "done"' "$P1/phase1.json" || fail "no phase1.json"
# both heads in the phase-1 folder, listed in config.json
grep -q '"prefix": "heads.qqp."' "$P1/config.json" || fail "config.json lists no qqp head: $(cat "$P1/config.json")"
grep -q '"task": "mnli"' "$P1/config.json" || fail "config.json lists no mnli head"
grep -q '"XLMRobertaForSequenceClassification"' "$P1/config.json" || fail "the folder's class is not MNLI's head"
head -c 20000 "$P1/model.safetensors" | tr '}' '\n' | grep -aq '"classifier.out_proj.weight":{"dtype":"F32","shape":\[3,' || fail "no 3-label mnli head"
head -c 20000 "$P1/model.safetensors" | tr '}' '\n' | grep -aq '"heads.qqp.classifier.out_proj.weight":{"dtype":"F32","shape":\[2,' || fail "no 2-label qqp head"
# two tasks with their own heads in the checkpoint's state
ck=$(ls -d "$P1"/checkpoint-* | tail -1)
grep -q '"head": "qqp"' "$ck/xstilts.json" && grep -q '"head": "mnli"' "$ck/xstilts.json" || fail "checkpoint heads: $(cat "$ck/xstilts.json")"
# both heads learned their training sets: predict with the phase-1 folder
# (a constant answer scores at most 40 on the 5 MNLI pairs (2 contradiction, 2 entailment, 1 neutral), 50 on the 4 QQP
# pairs; MNLI's one neutral pair is not fitted in 120 shared updates at this size, so MNLI must reach 80)
for t in "mnli:$D/MNLI/train.tsv:80" "qqp:$D/QQP/train.tsv:100"; do
  want=${t##*:}; t=${t%:*}
  "$XS" predict --task "${t%%:*}" --data "${t#*:}" --model "$P1" --out "$T/p.txt" --metrics "$T/m.json" --quiet \
    2>"$T/p.err" || fail "predict ${t%%:*}: $(tail -3 "$T/p.err")"
  acc=$(grep '"accuracy"' "$T/m.json" | tr -dc '0-9.')
  echo "phase-1 head ${t%%:*}: accuracy on its training file $acc"
  [ "${acc%%.*}" -ge "$want" ] || fail "the ${t%%:*} head did not learn its training set: accuracy $acc"
done
# phase 2: the encoder only; every tensor of both heads dropped (run.log notes), the cell done
for n in classifier.dense.weight classifier.out_proj.bias heads.qqp.classifier.dense.weight heads.qqp.classifier.out_proj.bias; do
  grep -q "dropped $n (encoder-only transfer)" "$T/run/run.log" || fail "run.log does not note $n dropped in phase 2"
done
[ "$(grep -c 'encoder-only transfer' "$T/run/run.log")" -eq 8 ] || fail "expected 8 dropped tensors: $(grep -c 'encoder-only' "$T/run/run.log")"
grep -q '"status": "done"' "$T/run/cells/mnli-qqp/pawsx/seed-1/cell.json" || fail "the pawsx cell did not finish"
grep -q '"heads' "$T/run/cells/mnli-qqp/pawsx/seed-1/model/config.json" && fail "the phase-2 model kept the phase-1 heads"
echo "cli_run_multi: ok"
