#!/usr/bin/env bash
# cli_predict.sh — `xstilts predict`: the HF-written fixture folders (tests/fixtures/predict, with the xlmr16k
# tokenizer copied in) over UD-POS / XQuAD / CommonsenseQA slices give HF's predictions (the first lines checked
# against tests/fixtures/predict/expected.json's), and --metrics equals `xstilts score` on the written file and the
# gold; a folder trained by `xstilts train` predicts PAWS-X scored against the original dev_2k.tsv; bad usage and
# input exit 1 naming what is wrong (unknown task, missing file, wrong head, label-set mismatch, no gold).
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
# the metric lines of a JSON object printed with 17 digits (task/lang/major dropped)
metric_lines() { grep -E '^  "' "$1" | grep -vE '"(task|lang|major)"' | sed 's/,$//' | sort; }
export OMP_NUM_THREADS=1
FIX=tests/fixtures
UD=$FIX/data/xtreme/download/udpos/dev-en.tsv
XQ=$FIX/data/xquad/xquad.de.json
CS=$FIX/data/commonsenseqa/dev_rand_split.hf-format.jsonl
for h in tokcls qa choice seqcls; do
  mkdir "$TMP/$h"
  cp $FIX/predict/$h/config.json $FIX/predict/$h/model.safetensors "$TMP/$h/"
  cp $FIX/tok/xlmr16k.model "$TMP/$h/sentencepiece.bpe.model"
done

"$XS" predict --help | grep -q "^usage: xstilts predict" || fail "--help"
"$XS" help predict | cmp -s - <("$XS" predict --help) || fail "help predict differs from predict --help"

# UD-POS: one tag per line, a blank line after each sentence; --metrics == score
"$XS" predict --task udpos --model "$TMP/tokcls" --data "$UD" --out "$TMP/ud.txt" --max-len 128 --batch 3 \
  --metrics "$TMP/ud.json" --quiet || fail "udpos predict"
[ "$(grep -c '^$' "$TMP/ud.txt")" -eq 14 ] || fail "udpos: expected 14 sentences"
[ "$(grep -vc '^$' "$TMP/ud.txt")" -eq "$(grep -vc '^$' "$UD")" ] || fail "udpos: one tag per word"
first=$(sed -n '/"udpos"/,$p' $FIX/predict/expected.json | grep -m1 -A2 '"pred"' | tail -1 | tr -d ' [",')
[ "$(head -1 "$TMP/ud.txt")" = "$first" ] || fail "udpos: first tag $(head -1 "$TMP/ud.txt"), HF $first"
"$XS" score --task udpos --pred "$TMP/ud.txt" --gold "$UD" >"$TMP/ud.score"
diff <(metric_lines "$TMP/ud.score") <(metric_lines "$TMP/ud.json") || fail "udpos: --metrics differs from score"
grep -q '"major": ' "$TMP/ud.json" || fail "udpos: no major"
echo "ok udpos: $(grep '"f1"' "$TMP/ud.json")"
# word<TAB>tag lines score the same
"$XS" predict --task udpos --model "$TMP/tokcls" --data "$UD" --out "$TMP/ud2.txt" --max-len 128 --tag-words --quiet
head -1 "$TMP/ud2.txt" | grep -qP '^\S+\t'"$first"'$' || fail "--tag-words: $(head -1 "$TMP/ud2.txt")"
"$XS" score --task udpos --pred "$TMP/ud2.txt" --gold "$UD" | cmp -s - "$TMP/ud.score" || fail "--tag-words scores differently"

# CoNLL-U gold (multi-word tokens fused as XTREME converts them) scores what predict wrote word for word;
# zh has no multi-word tokens, where reading the file as plain columns used to score "_" silently (0.0)
for c in de_gsd fr_gsd zh_gsd; do
  CU=$FIX/data/ud/$c-ud-test.conllu
  "$XS" predict --task udpos --model "$TMP/tokcls" --data "$CU" --out "$TMP/cu.txt" --max-len 128 \
    --metrics "$TMP/cu.json" --quiet || fail "udpos predict $c"
  "$XS" score --task udpos --pred "$TMP/cu.txt" --gold "$CU" >"$TMP/cu.score" || fail "score on $c CoNLL-U gold"
  diff <(metric_lines "$TMP/cu.score") <(metric_lines "$TMP/cu.json") || fail "$c: score on CoNLL-U differs from --metrics"
  grep -q '"accuracy": 0.0,' "$TMP/cu.score" && fail "$c: accuracy 0 (gold read from the wrong column?)"
done
# an untagged test file (XTREME test-zh.tsv: tokens only) predicts one tag per word
UDT=$FIX/data/xtreme/download/udpos/test-zh.tsv
"$XS" predict --task udpos --model "$TMP/tokcls" --data "$UDT" --out "$TMP/udt.txt" --max-len 128 --quiet || fail "untagged"
[ "$(grep -vc '^$' "$TMP/udt.txt")" -eq "$(grep -vc '^$' "$UDT")" ] || fail "untagged: one tag per word"
# XQuAD: {"qid": "answer"} JSON; windows of 128 with stride 48 as the fixture
"$XS" predict --task xquad --model "$TMP/qa" --data "$XQ" --out "$TMP/xq.json" --max-len 128 --stride 48 \
  --metrics "$TMP/xq.m.json" --quiet || fail "xquad predict"
[ "$(grep -c '": "' "$TMP/xq.json")" -eq 30 ] || fail "xquad: 30 answers expected"
"$XS" score --task xquad --pred "$TMP/xq.json" --gold "$XQ" >"$TMP/xq.score"
diff <(metric_lines "$TMP/xq.score") <(metric_lines "$TMP/xq.m.json") || fail "xquad: --metrics differs from score"
ans=$(sed -n '/"xquad"/,/\]/p' $FIX/predict/expected.json | grep -m1 -A1 '"pred"' | tail -1 | sed 's/^ *//; s/,$//')
grep -qF ": $ans" "$TMP/xq.json" || fail "xquad: HF's first answer $ans not predicted"
echo "ok xquad: $(grep '"f1"' "$TMP/xq.m.json")"
# MLQA: the scoring language is the file name's context language (MLQA's normalization for de)
cp "$XQ" "$TMP/dev-context-de-question-de.json"
"$XS" predict --task mlqa --model "$TMP/qa" --data "$TMP/dev-context-de-question-de.json" --out "$TMP/ml.json" \
  --max-len 128 --stride 48 --metrics "$TMP/ml.m.json" --quiet || fail "mlqa predict"
grep -q '"lang": "de"' "$TMP/ml.m.json" || fail "mlqa: language not taken from the file name"
"$XS" score --task mlqa --lang de --pred "$TMP/ml.json" --gold "$TMP/dev-context-de-question-de.json" >"$TMP/ml.score"
diff <(metric_lines "$TMP/ml.score") <(metric_lines "$TMP/ml.m.json") || fail "mlqa: --metrics differs from score"

# CommonsenseQA to stdout: one choice letter per line
"$XS" predict --task commonsenseqa --model "$TMP/choice" --data "$CS" --out - --max-len 128 --quiet >"$TMP/cs.txt"
[ "$(wc -l <"$TMP/cs.txt")" -eq 50 ] && ! grep -qvE '^[A-E]$' "$TMP/cs.txt" || fail "commonsenseqa: 50 letters expected"

# train -> predict: a pawsx folder written by xstilts train, scored against PAWS-X's dev_2k.tsv as published
PAWSX=$FIX/data/pawsx/x-final/de/dev_2k.tsv
"$XS" init --arch xlmr --size tiny --tokenizer $FIX/tok/xlmr16k.model --out "$TMP/base" --seed 3 2>/dev/null
"$XS" train --task pawsx --data "$PAWSX" --model "$TMP/base" --out "$TMP/p" --max-steps 3 --batch 10 --max-len 64 \
  2>/dev/null || fail "train"
"$XS" predict --task pawsx --model "$TMP/p" --data "$PAWSX" --out "$TMP/pawsx.txt" --max-len 64 --metrics "$TMP/pawsx.json" \
  --quiet || fail "pawsx predict"
"$XS" score --task pawsx --pred "$TMP/pawsx.txt" --gold "$PAWSX" >"$TMP/pawsx.score"
diff <(metric_lines "$TMP/pawsx.score") <(metric_lines "$TMP/pawsx.json") || fail "pawsx: --metrics differs from score"
[ "$(wc -l <"$TMP/pawsx.txt")" -eq 50 ] || fail "pawsx: 50 labels expected"

# bad usage and input: exit 1, clear message, nothing written
expect_fail "unknown task 'nope'" "$XS" predict --task nope --model "$TMP/tokcls" --data "$UD" --out "$TMP/x"
expect_fail "unknown task 'tatoeba' for predict" "$XS" predict --task tatoeba --model "$TMP/tokcls" --data "$UD" --out "$TMP/x"
expect_fail "are required" "$XS" predict --task udpos --data "$UD" --out "$TMP/x"
expect_fail "$TMP/nope.tsv" "$XS" predict --task udpos --model "$TMP/tokcls" --data "$TMP/nope.tsv" --out "$TMP/x"
expect_fail "has a XLMRobertaForTokenClassification head, task xnli needs XLMRobertaForSequenceClassification" \
  "$XS" predict --task xnli --model "$TMP/tokcls" --data $FIX/data/xtreme/download/xnli/dev-sw.tsv --out "$TMP/x"
expect_fail "no task head" "$XS" predict --task pawsx --model "$TMP/base" --data "$PAWSX" --out "$TMP/x" --max-len 64
cp -r "$TMP/tokcls" "$TMP/bad"
sed -i 's/"0": "ADJ"/"0": "LOC"/' "$TMP/bad/config.json"
expect_fail 'id2label[0] is "LOC", task udpos' "$XS" predict --task udpos --model "$TMP/bad" --data "$UD" --out "$TMP/x"
expect_fail "has 17 labels (id2label), task panx has 7" \
  "$XS" predict --task panx --model "$TMP/tokcls" --data $FIX/data/xtreme/download/panx/dev-en.tsv --out "$TMP/x"
expect_fail "no gold labels" "$XS" predict --task xnli --model "$TMP/seqcls" --data $FIX/data/xtreme/download/xnli/test-sw.tsv \
  --out "$TMP/x" --max-len 128 --metrics "$TMP/m.json"
expect_fail "--stride and --max-query apply to QA tasks only" "$XS" predict --task udpos --model "$TMP/tokcls" --data "$UD" \
  --out "$TMP/x" --stride 3
[ -e "$TMP/x" ] && fail "a refused run wrote $TMP/x"
echo "cli_predict: ok"
