#!/usr/bin/env bash
# Zero-shot cross-lingual transfer on real data: fine-tune a model folder on English XNLI pairs and
# evaluate, with `predict` + `score`, on held-out XNLI examples in English, Swahili and Myanmar.
#
# usage: scripts/xnli-transfer.sh MODEL_DIR OUT_DIR
#   XNLI_DIR   folder with myXNLI's my.genre.dev.tsv (English + Myanmar columns) and sw.genre.dev.tsv
#              (default: ../shared/data/xnli next to the repository)
#   EPOCHS LR BATCH MAXLEN SEED   training settings (defaults 3, 3e-5, 32, 128, 1; accumulation 1)
#
# XNLI dev has 830 premises with 3 hypotheses each, in the same order in both files. The first 500
# premises (1,500 pairs, English columns) are the training set; the other 330 premises (990 pairs)
# are the test set in en, sw and my, so no premise is seen in training in any language.
# XNLI is CC BY-NC 4.0: this is a measurement, not part of `make demo`.
# Writes OUT_DIR/{train.tsv,test-*.tsv} (the split), OUT_DIR/model (the fine-tuned folder),
# OUT_DIR/pred.LANG.txt, OUT_DIR/gold.LANG.txt, OUT_DIR/score.LANG.json (`score`;
# predict's in-memory OUT_DIR/metrics.LANG.json must agree), and OUT_DIR/summary.tsv (lang, accuracy).
set -eu
cd "$(dirname "$0")/.."
XS=${XS:-build/xstilts}
[ $# -eq 2 ] || { sed -n '5,8p' "$0" >&2; exit 1; }
MODEL=$1
OUT=$2
D=${XNLI_DIR:-../shared/data/xnli}
for f in my.genre.dev.tsv sw.genre.dev.tsv; do
  [ -r "$D/$f" ] || { echo "xnli-transfer.sh: $D/$f: not found (set XNLI_DIR)" >&2; exit 1; }
done
mkdir -p "$OUT"
# The split (files named *.genre.*.tsv: read as myXNLI by every command; the sentence columns of the
# file's language are sentence1_XX / sentence2_XX).
hdr_en='genre	label	sentence1_en	sentence2_en'
awk -F'\t' -v h="$hdr_en" 'BEGIN{OFS="\t"} NR==1{print h; next} NR<=1501{print $1,$2,$3,$4}' \
  "$D/my.genre.dev.tsv" > "$OUT/en.genre.train.tsv"
awk -F'\t' -v h="$hdr_en" 'BEGIN{OFS="\t"} NR==1{print h; next} NR>1501{print $1,$2,$3,$4}' \
  "$D/my.genre.dev.tsv" > "$OUT/en.genre.test.tsv"
awk -F'\t' 'BEGIN{OFS="\t"} NR==1{print "genre","label","sentence1_my","sentence2_my"; next}
  NR>1501{print $1,$2,$5,$6}' "$D/my.genre.dev.tsv" > "$OUT/my.genre.test.tsv"
awk 'NR==1 || NR>1501' "$D/sw.genre.dev.tsv" > "$OUT/sw.genre.test.tsv"
# the split is what the text above says: premises disjoint, labels aligned across the languages
tail -n +2 "$OUT/en.genre.train.tsv" | cut -f3 | sort -u > "$OUT/.p1"
tail -n +2 "$OUT/en.genre.test.tsv" | cut -f3 | sort -u > "$OUT/.p2"
[ -z "$(comm -12 "$OUT/.p1" "$OUT/.p2")" ] || { echo "xnli-transfer.sh: premises overlap" >&2; exit 1; }
cmp -s <(cut -f2 "$OUT/en.genre.test.tsv") <(cut -f2 "$OUT/sw.genre.test.tsv") ||
  { echo "xnli-transfer.sh: $D/sw.genre.dev.tsv is not aligned with my.genre.dev.tsv" >&2; exit 1; }
rm -f "$OUT/.p1" "$OUT/.p2"

rm -rf "$OUT/model"
start=$(date +%s)
"$XS" train --task "xnli:$OUT/en.genre.train.tsv" --model "$MODEL" --out "$OUT/model" \
  --epochs "${EPOCHS:-3}" --lr "${LR:-3e-5}" --batch "${BATCH:-32}" --accum 1 --max-len "${MAXLEN:-128}" \
  --seed "${SEED:-1}" --log "$OUT/train.jsonl"
echo "train_wall_s	$(( $(date +%s) - start ))" > "$OUT/summary.tsv"
for l in en sw my; do
  "$XS" predict --task xnli --model "$OUT/model" --data "$OUT/$l.genre.test.tsv" --out "$OUT/pred.$l.txt" \
    --metrics "$OUT/metrics.$l.json" --quiet
  tail -n +2 "$OUT/$l.genre.test.tsv" | cut -f2 > "$OUT/gold.$l.txt"     # XTREME's gold: a label per line
  "$XS" score --task xnli --pred "$OUT/pred.$l.txt" --gold "$OUT/gold.$l.txt" > "$OUT/score.$l.json"
  acc=$(sed -n 's/.*"accuracy": *\([0-9.]*\).*/\1/p' "$OUT/score.$l.json" | head -1)
  acc2=$(sed -n 's/.*"accuracy": *\([0-9.]*\).*/\1/p' "$OUT/metrics.$l.json" | head -1)
  [ "$acc" = "$acc2" ] || { echo "xnli-transfer.sh: score says $acc, predict says $acc2 ($l)" >&2; exit 1; }
  printf '%s\t%.1f\n' "$l" "$acc" >> "$OUT/summary.tsv"
done
cat "$OUT/summary.tsv"
