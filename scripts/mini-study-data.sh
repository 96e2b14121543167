#!/usr/bin/env bash
# The data folder of examples/mini-study.json, made from the real data this project's machines hold
# (../shared/data, see its PROVENANCE.md): an explicit setup step, nothing is downloaded.
#
# usage: scripts/mini-study-data.sh [SRC [OUT]]
#   SRC  the shared data folder (default: $XSTILTS_SHARED_DATA, else ../shared/data next to the repository)
#   OUT  the folder to make (default: $XSTILTS_DATA, else build/mini-study-data; the config's default)
#
# Everything is linked as it is, except XNLI: only its dev set is here (myXNLI's my.genre.dev.tsv holds the
# English and Myanmar columns, sw.genre.dev.tsv the Swahili ones; 830 premises x 3 hypotheses, the same
# order in both). It is split by premise so that no premise of the evaluation is seen in training, in any
# language: premises 1-400 (1,200 pairs, English) train, 401-500 (300 pairs, English) are the dev set of
# early stopping, 501-830 (990 pairs) the test set in en, sw and my (Myanmar: myXNLI, not an XTREME
# language; made for scripts/xnli-transfer.sh-style use, not evaluated by the mini study). The script checks the split.
set -eu
cd "$(dirname "$0")/.."
SRC=${1:-${XSTILTS_SHARED_DATA:-../shared/data}}
OUT=${2:-${XSTILTS_DATA:-build/mini-study-data}}
for f in xnli/my.genre.dev.tsv xnli/sw.genre.dev.tsv hellaswag commonsenseqa tydiqa-goldp ud tatoeba; do
  [ -e "$SRC/$f" ] || { echo "mini-study-data.sh: $SRC/$f: not found (give the shared data folder as SRC)" >&2; exit 1; }
done
SRC=$(cd "$SRC" && pwd)
tmp="$OUT.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/xnli"
for d in hellaswag commonsenseqa tydiqa-goldp ud tatoeba; do ln -s "$SRC/$d" "$tmp/$d"; done
X="$SRC/xnli"
en='genre	label	sentence1_en	sentence2_en'
my='genre	label	sentence1_my	sentence2_my'
# line 1 is the header; pair p is on line p+1
awk -F'\t' -v h="$en" 'BEGIN{OFS="\t"} NR==1{print h; next} NR<=1201{print $1,$2,$3,$4}' "$X/my.genre.dev.tsv" > "$tmp/xnli/en.genre.train.tsv"
awk -F'\t' -v h="$en" 'BEGIN{OFS="\t"} NR==1{print h; next} NR>1201 && NR<=1501{print $1,$2,$3,$4}' "$X/my.genre.dev.tsv" > "$tmp/xnli/en.genre.dev.tsv"
awk -F'\t' -v h="$en" 'BEGIN{OFS="\t"} NR==1{print h; next} NR>1501{print $1,$2,$3,$4}' "$X/my.genre.dev.tsv" > "$tmp/xnli/en.genre.test.tsv"
awk -F'\t' -v h="$my" 'BEGIN{OFS="\t"} NR==1{print h; next} NR>1501{print $1,$2,$5,$6}' "$X/my.genre.dev.tsv" > "$tmp/xnli/my.genre.test.tsv"
awk 'NR==1 || NR>1501' "$X/sw.genre.dev.tsv" > "$tmp/xnli/sw.genre.test.tsv"
for s in train dev test; do tail -n +2 "$tmp/xnli/en.genre.$s.tsv" | cut -f3 | sort -u > "$tmp/.$s"; done
if [ -n "$(comm -12 "$tmp/.train" "$tmp/.test")" ] || [ -n "$(comm -12 "$tmp/.dev" "$tmp/.test")" ] ||
   [ -n "$(comm -12 "$tmp/.train" "$tmp/.dev")" ]; then
  echo "mini-study-data.sh: XNLI premises overlap between train, dev and test" >&2; rm -rf "$tmp"; exit 1
fi
cmp -s <(cut -f2 "$tmp/xnli/en.genre.test.tsv") <(cut -f2 "$tmp/xnli/sw.genre.test.tsv") ||
  { echo "mini-study-data.sh: $X/sw.genre.dev.tsv is not aligned with my.genre.dev.tsv" >&2; rm -rf "$tmp"; exit 1; }
[ "$(wc -l < "$tmp/xnli/en.genre.train.tsv")" = 1201 ] && [ "$(wc -l < "$tmp/xnli/en.genre.test.tsv")" = 991 ] ||
  { echo "mini-study-data.sh: $X/my.genre.dev.tsv: expected 2,490 pairs" >&2; rm -rf "$tmp"; exit 1; }
rm -f "$tmp"/.train "$tmp"/.dev "$tmp"/.test
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
mv "$tmp" "$OUT"
echo "mini-study data: $OUT (XNLI split 1,200 / 300 / 990 pairs by premise; the rest linked from $SRC)"
