#!/usr/bin/env bash
# cli_init.sh — `xstilts init`: the folder layout, the vocab size taken from the tokenizer, same seed ->
# same bytes, refusal to overwrite a non-empty folder (unless --force), clear messages for bad usage, --head
# (HF names, config.json class and labels; HF loads them: tools/check_head_folders.py),
# and that the folder loads back (`xstilts encode` on it). Weight values are checked in test_model_io.
set -eu
XS=${XS:-build/xstilts}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_fail NEEDLE CMD...: CMD must exit 1 and print NEEDLE on stderr
expect_fail() {
  local needle=$1 rc=0; shift
  "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
  [ "$rc" -eq 1 ] || fail "exit $rc (want 1) for: $* ; stderr: $(cat "$TMP/err")"
  grep -qF -- "$needle" "$TMP/err" || fail "stderr lacks '$needle' for: $* ; stderr: $(cat "$TMP/err")"
  echo "ok (refused): $needle"
}
SPM=tests/fixtures/tok/xlmr16k.model
VOCAB=tests/fixtures/tok/bert-uncased-vocab.txt

"$XS" init --help | grep -q "usage: xstilts init" || fail "--help prints no usage"

# XLM-R tiny. 16002 = 16000 pieces + fairseq's offset + <mask>: what HF's XLMRobertaTokenizer reports
# for this model (len(tokenizer), checked with tools/check_init_loads_in_hf.py).
"$XS" init --arch xlmr --size tiny --tokenizer "$SPM" --out "$TMP/x" --seed 5 2>"$TMP/log"
for f in config.json model.safetensors sentencepiece.bpe.model tokenizer_config.json; do
  [ -s "$TMP/x/$f" ] || fail "missing $f"
done
cmp -s "$SPM" "$TMP/x/sentencepiece.bpe.model" || fail "tokenizer not copied verbatim"
grep -q '"vocab_size": 16002' "$TMP/x/config.json" || fail "vocab_size: $(grep vocab "$TMP/x/config.json")"
grep -q '"model_type": "xlm-roberta"' "$TMP/x/config.json" || fail "model_type"
grep -q '"num_hidden_layers": 2' "$TMP/x/config.json" || fail "tiny is 2 layers"
grep -q '"hidden_size": 128' "$TMP/x/config.json" || fail "tiny is hidden 128"
grep -q '"XLMRobertaTokenizer"' "$TMP/x/tokenizer_config.json" || fail "tokenizer_class"
ls "$TMP" | grep -q tmp && fail "temporary folder left behind: $(ls "$TMP")"

# same seed -> same bytes; another seed -> other weights
"$XS" init --arch xlmr --size tiny --tokenizer "$SPM" --out "$TMP/x2" --seed 5 2>/dev/null
cmp -s "$TMP/x/model.safetensors" "$TMP/x2/model.safetensors" || fail "same seed, different bytes"
cmp -s "$TMP/x/config.json" "$TMP/x2/config.json" || fail "same seed, different config"
"$XS" init --arch xlmr --size tiny --tokenizer "$SPM" --out "$TMP/x3" --seed 6 2>/dev/null
cmp -s "$TMP/x/model.safetensors" "$TMP/x3/model.safetensors" && fail "seed ignored"

# a non-empty folder is refused, untouched; --force replaces; an empty folder is fine
expect_fail "not empty (use --force" "$XS" init --arch xlmr --size tiny --tokenizer "$SPM" --out "$TMP/x" --seed 6
cmp -s "$TMP/x/model.safetensors" "$TMP/x2/model.safetensors" || fail "refused write still changed the folder"
"$XS" init --arch xlmr --size tiny --tokenizer "$SPM" --out "$TMP/x" --seed 6 --force 2>/dev/null
cmp -s "$TMP/x/model.safetensors" "$TMP/x3/model.safetensors" || fail "--force did not rewrite"
mkdir "$TMP/empty"
"$XS" init --arch xlmr --size tiny --tokenizer "$TMP/x" --out "$TMP/empty" 2>/dev/null # tokenizer from a folder
[ -s "$TMP/empty/model.safetensors" ] || fail "empty folder not filled"

# BERT: vocab.txt copied, pad 0, lower-casing inferred from the vocabulary (an uncased one here)
"$XS" init --arch bert --size tiny --tokenizer "$VOCAB" --out "$TMP/b" 2>/dev/null
cmp -s "$VOCAB" "$TMP/b/vocab.txt" || fail "vocab.txt not copied"
grep -q '"vocab_size": 30522' "$TMP/b/config.json" || fail "bert vocab_size (30522 lines in the file)"
grep -q '"pad_token_id": 0' "$TMP/b/config.json" || fail "bert pad 0"
grep -q '"type_vocab_size": 2' "$TMP/b/config.json" || fail "bert type_vocab 2"
grep -q '"do_lower_case": true' "$TMP/b/tokenizer_config.json" || fail "uncased vocab -> do_lower_case true"
"$XS" init --arch bert --size tiny --tokenizer "$VOCAB" --lowercase no --out "$TMP/b2" 2>/dev/null
grep -q '"do_lower_case": false' "$TMP/b2/tokenizer_config.json" || fail "--lowercase no"

# --head: the tensors of HF's class under its names (checked against HF by tools/check_head_folders.py)
"$XS" init --arch xlmr --size tiny --tokenizer "$SPM" --out "$TMP/h1" --head token_cls --num-labels 5 2>/dev/null
grep -q '"XLMRobertaForTokenClassification"' "$TMP/h1/config.json" || fail "--head: architectures"
grep -q '"4": "LABEL_4"' "$TMP/h1/config.json" || fail "--num-labels 5: id2label"
hdr() { head -c 20000 "$1/model.safetensors" | tr -d '\0'; }
hdr "$TMP/h1" | grep -q '"classifier.weight":{"dtype":"F32","shape":\[5,128\]' || fail "token head tensor: $(hdr "$TMP/h1" | head -c 300)"
hdr "$TMP/h1" | grep -q '"roberta.embeddings.word_embeddings.weight"' || fail "encoder not under roberta."
hdr "$TMP/h1" | grep -q 'pooler' && fail "a token head writes no pooler (HF's class has none)"
"$XS" init --arch bert --size tiny --tokenizer "$VOCAB" --out "$TMP/h2" --head multiple_choice 2>/dev/null
hdr "$TMP/h2" | grep -q '"bert.pooler.dense.weight"' || fail "multiple choice needs the pooler"
hdr "$TMP/h2" | grep -q '"classifier.weight":{"dtype":"F32","shape":\[1,128\]' || fail "multiple-choice classifier (1,C)"
grep -q id2label "$TMP/h2/config.json" && fail "multiple choice has no labels"
expect_fail "needs --num-labels N (N >= 2)" "$XS" init --arch xlmr --size tiny --tokenizer "$SPM" --out "$TMP/e8" --head seq_cls
expect_fail "expected seq_cls, multiple_choice" "$XS" init --arch xlmr --size tiny --tokenizer "$SPM" --out "$TMP/e9" --head cls
expect_fail "applies to --head seq_cls and token_cls" "$XS" init --arch xlmr --size tiny --tokenizer "$SPM" --out "$TMP/e10" --head mlm --num-labels 3
for d in e8 e9 e10; do [ ! -e "$TMP/$d" ] || fail "failed init left $d behind"; done

# bad usage: each refused with a message saying what was expected
expect_fail "expected a WordPiece" "$XS" init --arch bert --size tiny --tokenizer "$SPM" --out "$TMP/e1"
expect_fail "expected a SentencePiece" "$XS" init --arch xlmr --size tiny --tokenizer "$VOCAB" --out "$TMP/e2"
expect_fail "expected tiny, small, base or large" "$XS" init --arch xlmr --size huge --tokenizer "$SPM" --out "$TMP/e3"
expect_fail "expected xlmr or bert" "$XS" init --arch gpt --size tiny --tokenizer "$SPM" --out "$TMP/e4"
expect_fail "are required" "$XS" init --arch xlmr --size tiny --tokenizer "$SPM"
expect_fail "unknown option" "$XS" init --arch xlmr --size tiny --tokenizer "$SPM" --out "$TMP/e5" --bogus
expect_fail "expects an integer" "$XS" init --arch xlmr --size tiny --tokenizer "$SPM" --out "$TMP/e6" --seed 1x
expect_fail "$TMP/nope.model" "$XS" init --arch xlmr --size tiny --tokenizer "$TMP/nope.model" --out "$TMP/e7"
touch "$TMP/file"
expect_fail "not a folder" "$XS" init --arch xlmr --size tiny --tokenizer "$SPM" --out "$TMP/file"
for d in e1 e2 e3 e4 e5 e6 e7; do [ ! -e "$TMP/$d" ] || fail "failed init left $d behind"; done

# the folder loads back: encode two lines with it
printf 'Hello world.\nHallo Welt.\n' | "$XS" encode --model "$TMP/x" --out "$TMP/e.npy" 2>"$TMP/enc.log" ||
  fail "encode could not use the init folder: $(cat "$TMP/enc.log")"
[ -s "$TMP/e.npy" ] || fail "no embeddings"
echo "cli_init: all checks passed"
