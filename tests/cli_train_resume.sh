#!/usr/bin/env bash
# cli_train_resume.sh — `xstilts train` never loses a run: a tiny `xstilts init` model fine-tuned on the 50 PAWS-X
# fixture pairs (dropout on, shuffled, dev evaluation every 3 updates with best-weight restore, a checkpoint every
# 2 updates) killed with SIGKILL at random moments (several trials) and continued with --resume ends with a
# model.safetensors byte-identical to the uninterrupted run's; 1 and 2 OpenMP threads give the same bytes; SIGINT
# exits 130 leaving a checkpoint of the last update, and resuming from it gives the same bytes; bad input (unknown
# task, missing file, head / task mismatch on resume, config with a wrong type, a corrupt checkpoint: flipped byte,
# truncated file) exits 1 with an error naming the file, and nothing in the run folder changes; a two-task run
# (pawsx + mlm) killed and resumed gives the same bytes too, and so does a run of two classification tasks of 2 and 3
# labels (pawsx + xnli: a head each), whose folder predict reads per task.
set -eu
XS=${XS:-build/xstilts}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_fail() { # expect_fail NEEDLE CMD...: exit 1 and NEEDLE on stderr
  local needle=$1 rc=0; shift
  "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
  [ "$rc" -eq 1 ] || fail "exit $rc (want 1) for: $* ; stderr: $(tail -3 "$TMP/err")"
  grep -qF -- "$needle" "$TMP/err" || fail "stderr lacks '$needle' for: $* ; stderr: $(tail -3 "$TMP/err")"
  echo "ok (refused): $(grep -F -- "$needle" "$TMP/err" | head -1)"
}
snapshot() { (cd "$1" && find . -type f | sort | xargs sha256sum) ; }
PAWSX=tests/fixtures/data/pawsx/x-final/de/dev_2k.tsv
HS=tests/fixtures/data/hellaswag/hellaswag_val.jsonl
export OMP_NUM_THREADS=1

"$XS" init --arch xlmr --size tiny --tokenizer tests/fixtures/tok/uni8k.model --out "$TMP/base" --seed 3 2>/dev/null
# 50 pairs, batch 4 x accum 2 (7 updates an epoch), 2 epochs = 14 updates; dev: the first 12 pairs every 3 updates
ARGS=(--task "pawsx:$PAWSX" --dev "$PAWSX" --model "$TMP/base" --batch 4 --accum 2 --epochs 2 --lr 2e-3
      --max-len 32 --eval-every 3 --dev-examples 12 --patience 10 --save-every 2 --keep 2 --seed 5)
"$XS" train "${ARGS[@]}" --out "$TMP/ref" 2>"$TMP/ref.log" || fail "reference run: $(tail -3 "$TMP/ref.log")"
grep -q "14 updates" "$TMP/ref.log" || fail "expected 14 updates: $(tail -2 "$TMP/ref.log")"
grep -q "best dev" "$TMP/ref.log" || fail "no evaluation reported"
[ "$(grep -c '"dev_metric"' "$TMP/ref/log.jsonl")" -eq 4 ] || fail "expected 4 evaluations in the JSONL log"
for f in config.json model.safetensors sentencepiece.bpe.model result.json; do
  [ -s "$TMP/ref/$f" ] || fail "the run folder lacks $f"
done
[ "$(ls -d "$TMP"/ref/checkpoint-* | wc -l)" -eq 2 ] || fail "keep 2: $(ls "$TMP/ref")"
echo "reference: $(tail -2 "$TMP/ref.log" | head -1)"

# 1 and 2 threads
OMP_NUM_THREADS=2 "$XS" train "${ARGS[@]}" --out "$TMP/t2" 2>/dev/null || fail "2 threads"
cmp -s "$TMP/ref/model.safetensors" "$TMP/t2/model.safetensors" || fail "1 and 2 threads differ"
echo "ok: 1 and 2 threads give the same model.safetensors"

# SIGKILL at random moments, then --resume until done: the same bytes
for trial in 1 2 3; do
  out="$TMP/k$trial"
  delay=$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.3 + r / 32767 * 2.5 }')
  "$XS" train "${ARGS[@]}" --out "$out" 2>"$TMP/k.log" & pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  at=$(ls -d "$out"/checkpoint-* 2>/dev/null | grep -v '\.tmp\.' | tail -1 || true)
  # resumed (with threads 2 once: the thread count is no part of the state)
  thr=1; [ "$trial" -eq 2 ] && thr=2
  OMP_NUM_THREADS=$thr "$XS" train "${ARGS[@]}" --out "$out" --resume 2>"$TMP/r.log" || fail "resume: $(tail -3 "$TMP/r.log")"
  cmp -s "$TMP/ref/model.safetensors" "$out/model.safetensors" \
    || fail "trial $trial: killed after ${delay}s (newest checkpoint ${at:-none}), resumed: different weights"
  echo "ok: killed after ${delay}s (newest checkpoint: ${at##*/}), resumed with $thr thread(s): identical ($(grep -o 'resuming from [^ ]*' "$TMP/r.log" | sed 's|.*/||' || echo 'started over'))"
done

# two tasks (PAWS-X pairs + MLM lines with dynamic masks, drawn by the sampler over one encoder): killed, resumed
MT=(--task "pawsx:$PAWSX,mlm:tests/fixtures/data/mlm/mixed.txt" --dev "$PAWSX," --model "$TMP/base" --batch 4
    --accum 1 --max-steps 12 --lr 2e-3 --max-len 32 --eval-every 4 --dev-examples 12 --save-every 2 --seed 9)
"$XS" train "${MT[@]}" --out "$TMP/mt" 2>"$TMP/mt.log" || fail "two tasks: $(tail -3 "$TMP/mt.log")"
grep -q '"task": "mlm"' "$TMP/mt/log.jsonl" && grep -q '"task": "pawsx"' "$TMP/mt/log.jsonl" || fail "both tasks drawn"
delay=$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.5 + r / 32767 * 2.0 }')
"$XS" train "${MT[@]}" --out "$TMP/mtk" 2>/dev/null & pid=$!
sleep "$delay"; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
"$XS" train "${MT[@]}" --out "$TMP/mtk" --resume 2>"$TMP/r.log" || fail "two tasks, resume: $(tail -3 "$TMP/r.log")"
cmp -s "$TMP/mt/model.safetensors" "$TMP/mtk/model.safetensors" || fail "two tasks killed after ${delay}s: different weights"
echo "ok: two tasks (pawsx + mlm) killed after ${delay}s and resumed: identical"

# two sequence-classification tasks of different label counts (PAWS-X 2, XNLI 3): a head each (XNLI's under
# heads.xnli.), listed in config.json; killed at a random moment and resumed: the same bytes; predict picks each head
XNLI=tests/fixtures/data/xnli/XNLI-1.0/xnli.dev.tsv
M2=(--task "pawsx:$PAWSX,xnli:$XNLI" --dev "$PAWSX,$XNLI" --model "$TMP/base" --batch 4 --accum 1 --max-steps 12
    --lr 2e-3 --max-len 32 --eval-every 4 --dev-examples 8 --save-every 2 --seed 11)
"$XS" train "${M2[@]}" --out "$TMP/m2" 2>"$TMP/m2.log" || fail "pawsx + xnli: $(tail -3 "$TMP/m2.log")"
grep -q '"task": "xnli"' "$TMP/m2/log.jsonl" && grep -q '"task": "pawsx"' "$TMP/m2/log.jsonl" || fail "pawsx + xnli: both drawn"
grep -q '"prefix": "heads.xnli."' "$TMP/m2/config.json" || fail "no xstilts_heads entry for xnli: $(cat "$TMP/m2/config.json")"
head -c 20000 "$TMP/m2/model.safetensors" | grep -aq '"heads.xnli.classifier.out_proj.weight":{"dtype":"F32","shape":\[3,' \
  || fail "no 3-label heads.xnli head in model.safetensors"
head -c 20000 "$TMP/m2/model.safetensors" | grep -aq '"classifier.out_proj.weight":{"dtype":"F32","shape":\[2,' \
  || fail "no 2-label plain (pawsx) head in model.safetensors"
delay=$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.5 + r / 32767 * 2.0 }')
"$XS" train "${M2[@]}" --out "$TMP/m2k" 2>/dev/null & pid=$!
sleep "$delay"; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
"$XS" train "${M2[@]}" --out "$TMP/m2k" --resume 2>"$TMP/r.log" || fail "pawsx + xnli, resume: $(tail -3 "$TMP/r.log")"
cmp -s "$TMP/m2/model.safetensors" "$TMP/m2k/model.safetensors" || fail "pawsx + xnli killed after ${delay}s: different weights"
cmp -s "$TMP/m2/config.json" "$TMP/m2k/config.json" || fail "pawsx + xnli killed after ${delay}s: different config.json"
for t in "xnli:$XNLI" "pawsx:$PAWSX"; do
  "$XS" predict --task "${t%%:*}" --data "${t#*:}" --model "$TMP/m2" --out "$TMP/p.txt" --quiet 2>/dev/null \
    || fail "predict ${t%%:*} with the two-head folder"
done
grep -qv '^[01]$' "$TMP/p.txt" && fail "pawsx predictions are not 0/1"
expect_fail "none for task udpos" "$XS" predict --task udpos --data tests/fixtures/data/ud/en_ewt-ud-dev.conllu \
  --model "$TMP/m2" --out "$TMP/p.txt" --quiet
echo "ok: two classification heads (pawsx 2, xnli 3) killed after ${delay}s and resumed: identical; predict picks each head"

# SIGINT: finish the update, checkpoint, exit 130; then resume
out="$TMP/int"
"$XS" train "${ARGS[@]}" --out "$out" 2>"$TMP/i.log" & pid=$!
for _ in $(seq 1 1200); do [ -s "$out/log.jsonl" ] && [ "$(wc -l <"$out/log.jsonl")" -ge 3 ] && break; sleep 0.05; done
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 130 ] || fail "SIGINT: exit $rc, want 130 ($(tail -2 "$TMP/i.log"))"
last=$(tail -1 "$out/log.jsonl" | sed 's/^{"step": \([0-9]*\),.*/\1/')
[ -f "$out/$(printf 'checkpoint-%08d' "$last")/xstilts.json" ] || fail "SIGINT after update $last: no checkpoint of it ($(ls "$out"))"
[ -e "$out/model.safetensors" ] && fail "a stopped run wrote the final model"
grep -q "continue with --resume" "$TMP/i.log" || fail "SIGINT: no hint"
"$XS" train "${ARGS[@]}" --out "$out" --resume 2>/dev/null || fail "resume after SIGINT"
cmp -s "$TMP/ref/model.safetensors" "$out/model.safetensors" || fail "SIGINT + resume: different weights"
echo "ok: SIGINT after update $last: exit 130, checkpoint-$last, resumed: identical"

# bad input: exit 1, the file named, nothing in the run folder changed
expect_fail "unknown task 'nope'" "$XS" train --task "nope:$PAWSX" --model "$TMP/base" --out "$TMP/x"
expect_fail "$TMP/nope/dev_2k.tsv" "$XS" train --task "pawsx:$TMP/nope/dev_2k.tsv" --model "$TMP/base" --out "$TMP/x"
expect_fail "no training file" "$XS" train --task pawsx --model "$TMP/base" --out "$TMP/x"
expect_fail "holds a run" "$XS" train "${ARGS[@]}" --out "$TMP/ref"
printf '{\n  "batch": 4,\n  "lr": "fast"\n}\n' >"$TMP/bad.json"
expect_fail "bad.json:3:9: \"lr\": expected a number" "$XS" train "${ARGS[@]}" --out "$TMP/x" --config "$TMP/bad.json"
printf '{"batch": 4,\n "lr": 1e-3,}\n' >"$TMP/bad2.json"
expect_fail "bad2.json:2" "$XS" train "${ARGS[@]}" --out "$TMP/x" --config "$TMP/bad2.json"
[ -e "$TMP/x" ] && fail "a refused run wrote $TMP/x"
# a config that works: the same run as the options (2 updates)
printf '{"task": "pawsx:%s", "batch": 4, "accum": 2, "max_steps": 2, "lr": 2e-3,\n "max_len": 32, "seed": 5, "dropout": false}\n' "$PAWSX" >"$TMP/good.json"
"$XS" train --config "$TMP/good.json" --model "$TMP/base" --out "$TMP/cfg" 2>/dev/null || fail "--config run"
"$XS" train --task "pawsx:$PAWSX" --batch 4 --accum 2 --max-steps 2 --lr 2e-3 --max-len 32 --seed 5 --no-dropout \
  --model "$TMP/base" --out "$TMP/opt" 2>/dev/null || fail "the options run"
cmp -s "$TMP/opt/model.safetensors" "$TMP/cfg/model.safetensors" || fail "--config gave another model than the options"
"$XS" train --config "$TMP/good.json" --lr 1e-3 --model "$TMP/base" --out "$TMP/cfg2" 2>/dev/null || fail "--config + option"
cmp -s "$TMP/opt/model.safetensors" "$TMP/cfg2/model.safetensors" && fail "an option did not override the config"
echo "ok: --config FILE.json = the same options on the command line; an option overrides the file"

# head / task mismatch on resume (a run of 2 left at a checkpoint)
out="$TMP/int"   # finished: resume from its newest checkpoint with another task
snap=$(snapshot "$out")
expect_fail "xstilts.json" "$XS" train --task "hellaswag:$HS" --model "$TMP/base" --out "$out" --resume --max-len 32
[ "$snap" = "$(snapshot "$out")" ] || fail "a refused resume changed $out"
# corrupt checkpoints: a flipped byte, a truncated file
ck=$(ls -d "$out"/checkpoint-* | tail -1)
cp -r "$out" "$TMP/flip"; ckf="$TMP/flip/${ck##*/}"
rm -f "$TMP/flip/model.safetensors" "$TMP/flip/result.json" "$TMP/flip/config.json"
size=$(stat -c %s "$ckf/model.safetensors")
printf '\x5a' | dd of="$ckf/model.safetensors" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
snap=$(snapshot "$TMP/flip")
expect_fail "$ckf/model.safetensors" "$XS" train "${ARGS[@]}" --out "$TMP/flip" --resume
[ "$snap" = "$(snapshot "$TMP/flip")" ] || fail "a refused resume changed the folder"
cp -r "$out" "$TMP/trunc"; ckt="$TMP/trunc/${ck##*/}"
rm -f "$TMP/trunc/model.safetensors" "$TMP/trunc/result.json" "$TMP/trunc/config.json"
truncate -s 1000 "$ckt/optimizer.safetensors"
snap=$(snapshot "$TMP/trunc")
expect_fail "$ckt/optimizer.safetensors" "$XS" train "${ARGS[@]}" --out "$TMP/trunc" --resume
[ "$snap" = "$(snapshot "$TMP/trunc")" ] || fail "a refused resume changed the folder"
echo "cli_train_resume: ok"
