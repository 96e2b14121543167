#!/usr/bin/env bash
# train_spm_models.sh — trains the two small SentencePiece models of tests/fixtures/spm/ with the
# Debian `spm_train` on the vendored Tatoeba text: a BPE model and a unigram model with byte_fallback
# (plus two user-defined symbols, and the identity normalizer — no charsmap — to exercise those paths). Run from the repo root; deterministic
# (one thread, no sampling of the input), so re-running reproduces the committed files.
set -eu
out=tests/fixtures/spm
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat tests/fixtures/tatoeba/tatoeba.*-eng.* > "$tmp/corpus.txt"
root=$PWD
cd "$tmp" # relative paths: the trainer spec stored in the model then does not depend on the temp dir
common="--input=corpus.txt --num_threads=1 --input_sentence_size=0 --minloglevel=2 --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1"
spm_train $common --model_prefix=bpe4k --model_type=bpe --vocab_size=4000 --character_coverage=0.9995
spm_train $common --model_prefix=unibf3k --model_type=unigram --vocab_size=3000 --byte_fallback=true \
  --character_coverage=0.98 --user_defined_symbols='<url>,@@' --normalization_rule_name=identity
cp bpe4k.model unibf3k.model "$root/$out/"
cd "$root"
ls -l "$out"/bpe4k.model "$out"/unibf3k.model
