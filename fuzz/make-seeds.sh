#!/usr/bin/env bash
# Writes the seed corpora fuzz/seeds/<target>/ from tests/fixtures (small files or their first
# lines) and a few hand-written inputs. Targets that read a mode byte first (fuzz.h fz_mode) get it
# prepended. Run from the repository root; the result is committed (it is the regression corpus
# with fuzz/corpus/<target>/, what the long runs added, minimized: fuzz/run.sh --merge).
set -euo pipefail
F=tests/fixtures
C=fuzz/seeds
seed() { # seed TARGET NAME MODE FILE [LINES]: MODE "" = no mode byte; LINES = keep the first LINES lines
  local t=$1 name=$2 mode=$3 file=$4 lines=${5:-}
  mkdir -p "$C/$t"
  { [ -n "$mode" ] && printf "\\$(printf %o "$mode")"
    if [ -n "$lines" ]; then head -n "$lines" "$file"; else cat "$file"; fi; } > "$C/$t/$name"
}
text() { # text TARGET NAME MODE STRING
  local t=$1 name=$2 mode=$3
  mkdir -p "$C/$t"
  { [ -n "$mode" ] && printf "\\$(printf %o "$mode")"; printf '%s' "$4"; } > "$C/$t/$name"
}
# every target but fuzz_run_state (fuzz/make-run-state-seeds.sh makes its seeds from a real run folder)
find "$C" -mindepth 1 -maxdepth 1 ! -name fuzz_run_state -exec rm -rf {} +

# safetensors: a real file (optimizer moments) and two tiny ones (F16 with metadata, BF16 scalar)
seed fuzz_safetensors adamw3 "" $F/optim/adamw3.safetensors
st_tiny() { local h=$1 data=$2 out=$3 n=${#1}; mkdir -p "$C/fuzz_safetensors"
  python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<Q',$n)+sys.argv[1].encode()+bytes.fromhex(sys.argv[2]))" "$h" "$data" > "$C/fuzz_safetensors/$out"; }
st_tiny '{"__metadata__":{"format":"pt"},"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"F64","shape":[1,1],"data_offsets":[4,12]}}' 003c00bc000000000000f03f f16_f64
st_tiny '{"s":{"dtype":"BF16","shape":[],"data_offsets":[0,2]},"i":{"dtype":"I8","shape":[3],"data_offsets":[2,5]}}' 803f010203 bf16_i8

# config.json of each architecture and head
for d in $F/model_io/*/ $F/model_head/*/; do
  [ -f "$d/config.json" ] && seed fuzz_config "$(basename "$d")" "" "$d/config.json"
done

# SentencePiece: the small unigram model with byte fallback
seed fuzz_spm unibf3k "" $F/spm/unibf3k.model

# WordPiece vocabularies: the first 400 lines (the specials, [unused], ## pieces), both cases
seed fuzz_wordpiece bert_uncased 1 $F/tok/bert-uncased-vocab.txt 400
seed fuzz_wordpiece mbert_cased 0 $F/tok/mbert-cased-vocab.txt 400

# tokenizer folder files: 0 tokenizer_config.json, 1 tokenizer.json, 2 config.json
text fuzz_tokenizer_json cfg_cased 0 '{"do_lower_case": false, "tokenizer_class": "BertTokenizer", "model_max_length": 512}'
text fuzz_tokenizer_json cfg_fast 0 '{"tokenizer_class": "BertTokenizerFast", "do_lower_case": true}'
text fuzz_tokenizer_json tj_bert 1 '{"version": "1.0", "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": false}}'
text fuzz_tokenizer_json tj_seq 1 '{"normalizer": {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "Lowercase"}, {"type": "StripAccents"}]}}'
text fuzz_tokenizer_json config_cls 2 '{"model_type": "bert", "tokenizer_class": "BertTokenizer"}'

# .npy: float32 2-D from the encode fixtures; a float64 1-D written by hand
seed fuzz_npy mean_f4 "" $F/encode/bert/0_mean.npy
mkdir -p $C/fuzz_npy
python3 -c "import sys; h=\"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\"; h=h+' '*(118-len(h))+'\n'; sys.stdout.buffer.write(b'\x93NUMPY\x01\x00'+bytes([len(h),0])+h.encode()+bytes(16))" > $C/fuzz_npy/f8_1d

# SQuAD JSON: 0 qa_read, 2 gold, 3 predictions, 4 na_prob
seed fuzz_squad squad2 0 $F/data/squad/dev-v2.0.json
seed fuzz_squad tydiqa_en 0 $F/data/tydiqa/tydiqa-goldp-dev-english.json
seed fuzz_squad xquad_zh 1 $F/data/xquad/xquad.zh.json
seed fuzz_squad gold_tydi_en 2 $F/data/tydiqa/tydiqa-goldp-dev-english.json
seed fuzz_squad preds 3 $F/metrics/squad2/pred.mixed_perturbed.json
seed fuzz_squad na_prob 4 $F/metrics/squad2/na.informed.json

# labels: 0 lines, 1 XNLI tsv, 2 PAWS-X tsv, 3 tags, 4 tags_to_id.json, 6 BUCC gold, 7 BUCC side
seed fuzz_labels xnli_gold 0 $F/metrics/xnli/gold.sw.txt 60
seed fuzz_labels bucc_pairs 0 $F/metrics/bucc2018/gold.de.tsv 40
seed fuzz_labels xnli_tsv 1 $F/data/xnli/XNLI-1.0/xnli.dev.tsv 40
seed fuzz_labels pawsx_tsv 2 $F/data/pawsx/x-final/de/dev_2k.tsv 40
seed fuzz_labels panx_tags 3 $F/metrics/panx/gold.de.tsv 80
seed fuzz_labels tags_to_id 4 $F/data/ccg/tags_to_id.json
seed fuzz_labels bucc_gold 6 $F/retrieval/bucc.dev.gold 40
seed fuzz_labels bucc_side 7 $F/retrieval/bucc.dev.src 40

# sentence pairs: the mode byte is the PairFormat (pairs.h order); +44 sets lang "de"
seed fuzz_pairs mnli_tsv 0 $F/data/mnli/MNLI/dev_matched.tsv
seed fuzz_pairs mnli_jsonl 1 $F/data/mnli/multinli_1.0/multinli_1.0_dev_matched.jsonl
seed fuzz_pairs anli 2 $F/data/anli/anli_v1.0/R1/dev.jsonl
seed fuzz_pairs snli 3 $F/data/snli/snli_1.0/snli_1.0_dev.jsonl
seed fuzz_pairs qqp 4 $F/data/qqp/QQP/dev.tsv
seed fuzz_pairs xnli_de 49 $F/data/xnli/XNLI-1.0/xnli.dev.tsv 40
seed fuzz_pairs xnli_mt 6 $F/data/xnli/XNLI-MT-1.0/multinli/multinli.train.en.tsv
seed fuzz_pairs myxnli 7 $F/data/xnli/sw.genre.dev.tsv
seed fuzz_pairs pawsx 8 $F/data/pawsx/x-final/de/dev_2k.tsv 30
seed fuzz_pairs xtreme_xnli 9 $F/data/xtreme/download/xnli/dev-sw.tsv
seed fuzz_pairs xtreme_pawsx 10 $F/data/xtreme/download/pawsx/dev-de.tsv 20

# multiple choice: 0 HellaSwag, 1 Cosmos CSV, 2 Cosmos JSONL, 3 CommonsenseQA (+8 unlabeled)
seed fuzz_choices hellaswag 0 $F/data/hellaswag/hellaswag_train.jsonl
seed fuzz_choices cosmos_csv 1 $F/data/cosmosqa/train.csv
seed fuzz_choices cosmos_jsonl 2 $F/data/cosmosqa/valid.jsonl
seed fuzz_choices csqa 3 $F/data/commonsenseqa/train_rand_split.jsonl
seed fuzz_choices csqa_hf 3 $F/data/commonsenseqa/dev_rand_split.hf-format.jsonl 3
seed fuzz_choices csqa_test 11 $F/data/commonsenseqa/test_rand_split_no_answers.jsonl

# tagging: mode = format + 5 * flags (flags bit 1 untagged, bit 4 lang fr)
seed fuzz_tagging conllu_edges 0 $F/data/ud/xtreme-edge-cases.conllu
seed fuzz_tagging conllu_fr 80 $F/data/ud/fr_gsd-ud-test.conllu 60
seed fuzz_tagging conllu_zh 0 $F/data/ud/zh_gsd-ud-test.conllu 60
seed fuzz_tagging udpos_de 1 $F/data/xtreme/download/udpos/dev-de.tsv
seed fuzz_tagging panx_test 11 $F/data/xtreme/download/panx/test-de.tsv
seed fuzz_tagging panx 2 $F/data/panx/de-dev
seed fuzz_tagging germeval 3 $F/data/germeval14/NER-de-sample.tsv
seed fuzz_tagging ccg 4 $F/data/ccg/ccg.train

# text lines (mode 1 = skip bad lines)
seed fuzz_text mixed 0 $F/data/mlm/mixed.txt
seed fuzz_text bad_utf8 1 $F/data/mlm/bad_utf8.txt
seed fuzz_text tatoeba 0 $F/tatoeba/tatoeba.cmn-eng.cmn 30

# checkpoint state (mode 2: the harness fixes format, version, files and the seal)
CK='{"format": "xstilts-train-checkpoint", "version": 1, "step": 8, "micro_batches": 64, "seed": 42,
 "optimizer": {"name": "torch.optim.AdamW", "lr": 1e-05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-08, "weight_decay": 0.01, "max_grad_norm": 1.0},
 "schedule": {"name": "linear_warmup", "warmup_ratio": 0.1, "warmup_steps": 1.6, "total_steps": 16},
 "batch": {"batch_size": 4, "accum": 8, "max_seq_len": 256, "dropout": 0.1},
 "sampler": {"kind": "temperature", "weights": [100, 300], "temperature": 2.0, "cap": null, "draws": 8},
 "tasks": [{"name": "xnli", "head": "seqcls", "data": "", "examples": 100, "epoch": 0, "position": 32},
           {"name": "mlm", "head": "mlm", "data": "text.txt", "examples": 300, "epoch": 1, "position": 0}],
 "early_stopping": {"eval_every": 1000, "patience": 30, "best_metric": null, "best_step": -1, "evals_since_best": 0},
 "table": {"tensors": 3, "floats": 100}}'
text fuzz_checkpoint state 2 "$CK"
text fuzz_checkpoint state_files 1 "${CK%\}}, \"files\": {\"model.safetensors\": {\"bytes\": 63, \"sha256\": \"00\"}, \"optimizer.safetensors\": {\"bytes\": 8, \"sha256\": \"00\"}}}"
text fuzz_checkpoint state_raw 0 "$CK"

# aggregate: results JSON (mode 1 = allow incomplete)
seed fuzz_aggregate full 0 $F/aggregate/full.in.json
seed fuzz_aggregate partial 1 $F/aggregate/partial.in.json
# run: the study configs of examples/ and one cell.json of the run-folder contract (docs/RUN.md)
seed fuzz_run_config large "" examples/xlmr-large-study.json
seed fuzz_run_config mini "" examples/mini-study.json
text fuzz_cell cell "" '{"format": "xstilts-cell", "version": 1, "row": "mnli", "target": "xnli", "seed": 1,
 "config_hash": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
 "status": "done", "major_metric": "accuracy",
 "dev": {"en": {"accuracy": 84.1}, "de": {"accuracy": 78.5}},
 "test": {"en": {"accuracy": 83.9}},
 "curve": [{"step": 1000, "loss": 0.52, "lr": 9e-6, "dev_metric": 80.1}, {"step": 2000, "loss": 0.41, "lr": 8e-6, "dev_metric": null}],
 "best_step": 1000, "wall_s": 1234.5, "tokens": 123456,
 "phase1": {"row": "mnli", "seed": 1, "wall_s": 99.5, "tokens": 1000, "config_hash": "abababababababababababababababababababababababababababababababab"}}
'
echo "seeds: $(find $C -type f | wc -l) files, $(du -sh $C | cut -f1)"
