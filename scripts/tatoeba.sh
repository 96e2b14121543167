#!/usr/bin/env bash
# Tatoeba retrieval with any model folder, as XTREME scores it: each language's sentences and their
# English translations are encoded (all languages in one `encode` call per side), every English
# sentence queries its language's sentences by exact cosine (`retrieve --mode tatoeba`), and
# `score --task tatoeba` gives the official accuracy; `aggregate` averages XTREME's 36 languages.
#
# usage: scripts/tatoeba.sh MODEL_DIR OUT_DIR
#   TATOEBA_DIR  folder with tatoeba.XXX-eng.{XXX,eng} (default: tests/fixtures/tatoeba, 100 pairs each)
#   LANGS        "xtreme" (the 36, default), "all" (every pair in TATOEBA_DIR) or a list of LASER codes
#   PAIRS        sentences per language (default: all in the files)
#   LAYER        hidden_states[LAYER] (default: the last layer)
#   PREFIX       prepended to every sentence (e.g. "query: " for e5 models; default none)
# Writes OUT_DIR/results.json ({"tatoeba": {lang: score}}), OUT_DIR/accuracy.tsv (lang, accuracy with
# English queries as XTREME, accuracy the other way round as MTEB's bitext mining),
# OUT_DIR/table.txt (languages as rows, 4 to a line) and, for the 36, OUT_DIR/report.json.
set -eu
cd "$(dirname "$0")/.."
XS=${XS:-build/xstilts}
[ $# -eq 2 ] || { sed -n '7,15p' "$0" >&2; exit 1; }
MODEL=$1
OUT=$2
DATA=${TATOEBA_DIR:-tests/fixtures/tatoeba}
LANGS=${LANGS:-xtreme}
PAIRS=${PAIRS:-}
PREFIX=${PREFIX:-}
layer_opt=()
[ -n "${LAYER:-}" ] && layer_opt=(--layer "$LAYER")

# XTREME's 36 Tatoeba languages: ISO 639-1 code (evaluate.py) and LASER's file code.
XTREME="af:afr ar:ara bg:bul bn:ben de:deu el:ell es:spa et:est eu:eus fa:pes fi:fin fr:fra he:heb hi:hin
hu:hun id:ind it:ita ja:jpn jv:jav ka:kat kk:kaz ko:kor ml:mal mr:mar nl:nld pt:por ru:rus sw:swh ta:tam
te:tel th:tha tl:tgl tr:tur ur:urd vi:vie zh:cmn"
case "$LANGS" in
xtreme) list=$XTREME ;;
all) list=$(ls "$DATA" | sed -n 's/^tatoeba\.\([a-z]*\)-eng\.eng$/\1:\1/p' | tr '\n' ' ') ;;
*) list=$(for l in $LANGS; do echo "$l:$l"; done) ;;
esac
[ -n "$list" ] || { echo "tatoeba.sh: no tatoeba.XXX-eng.eng files in $DATA" >&2; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT/pred"
: > "$OUT/src.txt"
: > "$OUT/eng.txt"
: > "$OUT/rows.tsv"
row=0
for pair in $list; do
  name=${pair%%:*}; l3=${pair##*:}
  f="$DATA/tatoeba.$l3-eng"
  [ -f "$f.$l3" ] && [ -f "$f.eng" ] || { echo "tatoeba.sh: missing $f.$l3 or $f.eng" >&2; exit 1; }
  if [ -n "$PAIRS" ]; then head -n "$PAIRS" "$f.$l3" > "$OUT/a"; head -n "$PAIRS" "$f.eng" > "$OUT/b"
  else cp "$f.$l3" "$OUT/a"; cp "$f.eng" "$OUT/b"; fi
  n=$(wc -l < "$OUT/a")
  [ "$n" -eq "$(wc -l < "$OUT/b")" ] || { echo "tatoeba.sh: $f.$l3 and $f.eng differ in length" >&2; exit 1; }
  cat "$OUT/a" >> "$OUT/src.txt"; cat "$OUT/b" >> "$OUT/eng.txt"
  printf '%s\t%s\t%d\t%d\n' "$name" "$l3" "$row" "$((row + n))" >> "$OUT/rows.tsv"
  row=$((row + n))
done
rm -f "$OUT/a" "$OUT/b"

for side in src eng; do
  sed "s/^/$PREFIX/" "$OUT/$side.txt" |
    "$XS" encode --model "$MODEL" "${layer_opt[@]}" --pool mean --out "$OUT/$side.npy"
done

printf '{"tatoeba": {' > "$OUT/results.json"
: > "$OUT/accuracy.tsv"
sep=""
while IFS=$'\t' read -r name l3 a b; do
  seq 0 $((b - a - 1)) > "$OUT/gold.txt"
  "$XS" retrieve --mode tatoeba --src "$OUT/src.npy" --tgt "$OUT/eng.npy" --src-rows "$a:$b" --tgt-rows "$a:$b" \
    --out "$OUT/pred/$name.txt" > /dev/null
  s=$("$XS" score --task tatoeba --pred "$OUT/pred/$name.txt" --gold "$OUT/gold.txt")
  acc=$(printf '%s' "$s" | sed -n 's/.*"accuracy": *\([0-9.]*\).*/\1/p')
  # the other direction: each sentence of the language queries the English ones
  "$XS" retrieve --mode tatoeba --query src --src "$OUT/src.npy" --tgt "$OUT/eng.npy" --src-rows "$a:$b" --tgt-rows "$a:$b" \
    --out "$OUT/pred/$name.rev.txt" > /dev/null
  rev=$("$XS" score --task tatoeba --pred "$OUT/pred/$name.rev.txt" --gold "$OUT/gold.txt" | sed -n 's/.*"accuracy": *\([0-9.]*\).*/\1/p')
  printf '%s\t%s\t%s\n' "$name" "$acc" "$rev" >> "$OUT/accuracy.tsv"
  printf '%s"%s": %s' "$sep" "$name" "$(printf '%s' "$s" | tr -d '\n')" >> "$OUT/results.json"
  sep=", "
done < "$OUT/rows.tsv"
printf '}}\n' >> "$OUT/results.json"
rm -f "$OUT/gold.txt"

awk -F'\t' '{ c = sprintf("%-4s %5.1f", $1, $2); line = (NR % 4 == 1) ? c : line "   |  " c; s += $2
    if (NR % 4 == 0) { print line; line = "" } }
  END { if (line != "") print line; printf "mean over %d languages: %.1f\n", NR, s / NR }' "$OUT/accuracy.tsv" > "$OUT/table.txt"
if [ "$LANGS" = xtreme ]; then
  "$XS" aggregate --in "$OUT/results.json" --out-json "$OUT/report.json"
fi
