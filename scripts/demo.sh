#!/usr/bin/env bash
# `make demo`: what works end to end today, on bundled real data (tests/fixtures), no download:
#   1. tokenize real sentences in several scripts with an XLM-R-layout SentencePiece model;
#   2. write a small XLM-R-shaped model folder in Hugging Face layout (random init: no pretrained
#      weights ship with xstilts — point DEMO_MODEL at a real folder, e.g. xlm-roberta-base, to use one);
#   3. encode Tatoeba (XTREME's 36 languages, the first 100 pairs of each) and retrieve each English
#      sentence's translation by exact cosine k-NN; score with XTREME's Tatoeba accuracy;
#   4. aggregate the per-language scores into XTREME's table.
set -eu
cd "$(dirname "$0")/.."
XS=build/xstilts
FIX=tests/fixtures
OUT=build/demo
rm -rf "$OUT"
mkdir -p "$OUT/emb" "$OUT/pred"
export XSTILTS_LOG=${XSTILTS_LOG:-quiet}

echo "== 1. tokenize (XLM-R id layout: <s>=0 <pad>=1 </s>=2 <unk>=3, pieces = spm id + 1)"
for l in deu cmn ara hin rus; do head -n 1 "$FIX/tatoeba/tatoeba.$l-eng.$l"; done > "$OUT/sample.txt"
paste "$OUT/sample.txt" <("$XS" tokenize --tokenizer "$FIX/tok/xlmr16k.model" --pieces < "$OUT/sample.txt") |
  sed 's/^/   /'

MODEL=${DEMO_MODEL:-}
if [ -z "$MODEL" ]; then
  MODEL="$OUT/model"
  echo "== 2. init: a small XLM-R-shaped model (L6 C384, random N(0,0.02) init as HF) -> $MODEL"
  "$XS" init --arch xlmr --size small --tokenizer "$FIX/tok/xlmr16k.model" --out "$MODEL" --seed 1
  LAYERS="0 3"
else
  echo "== 2. using the model folder $MODEL"
  LAYERS=${DEMO_LAYERS:-"0 7"}
fi
ls -l "$MODEL" | sed 's/^/   /'

# XTREME's 36 Tatoeba languages: ISO 639-1 code (evaluate.py) and LASER's file code.
LANGS="af:afr ar:ara bg:bul bn:ben de:deu el:ell es:spa et:est eu:eus fa:pes fi:fin fr:fra he:heb hi:hin
hu:hun id:ind it:ita ja:jpn jv:jav ka:kat kk:kaz ko:kor ml:mal mr:mar nl:nld pt:por ru:rus sw:swh ta:tam
te:tel th:tha tl:tgl tr:tur ur:urd vi:vie zh:cmn"
seq 0 99 > "$OUT/gold.txt"
t0=$(date +%s)
for L in $LAYERS; do
  echo "== 3. Tatoeba, mean pool of hidden_states[$L], 36 languages x 100 pairs (both sides encoded)"
  res="$OUT/results.layer$L.json"
  printf '{"tatoeba": {' > "$res"
  sep=""
  for pair in $LANGS; do
    iso=${pair%%:*}; l3=${pair##*:}
    f="$FIX/tatoeba/tatoeba.$l3-eng"
    "$XS" encode --model "$MODEL" --layer "$L" --pool mean --out "$OUT/emb/$iso.$L.npy" < "$f.$l3"
    "$XS" encode --model "$MODEL" --layer "$L" --pool mean --out "$OUT/emb/$iso.eng.$L.npy" < "$f.eng"
    "$XS" retrieve --mode tatoeba --src "$OUT/emb/$iso.$L.npy" --tgt "$OUT/emb/$iso.eng.$L.npy" \
      --out "$OUT/pred/$iso.$L.txt" > /dev/null
    printf '%s"%s": %s' "$sep" "$iso" "$("$XS" score --task tatoeba --pred "$OUT/pred/$iso.$L.txt" --gold "$OUT/gold.txt")" >> "$res"
    sep=", "
  done
  printf '}}\n' >> "$res"
  "$XS" aggregate --in "$res" --allow-incomplete --out-md "$OUT/table.layer$L.md" --out-json "$OUT/report.layer$L.json"
  sed 's/^/   /' "$OUT/table.layer$L.md"
done
echo "   ($(( $(date +%s) - t0 )) s for encoding, retrieval and scoring)"
cat <<'EOT'

What this shows: the pipeline end to end on real text in 36 languages (tokenizer, encoder,
exact retrieval, XTREME's metric and table). With the random-init model the numbers are a
lexical-overlap baseline, not a result: mean-pooled random embeddings match translations
through shared subwords (names, numbers, cognates). Give DEMO_MODEL=/path/to/xlm-roberta-base
(and DEMO_LAYERS="7") to run the same on real weights. Outputs: build/demo/.
EOT
