#!/usr/bin/env bash
# bench_tokenizer.sh — SentencePiece tokens/s: `xstilts tokenize` (1 and 2 threads) vs the C++
# `spm_encode --output_format=id` (Debian sentencepiece, single-threaded) on the same corpus, same
# run: the Tatoeba text ($XSTILTS_DATA/tatoeba if present, default data/ in the repository, else the
# vendored fixture) repeated
# REPS times. Prints a small table with tokens/s and the ratio to spm_encode.
# Env: XS (binary, default build/xstilts), MODEL (default tests/fixtures/tok/xlmr16k.model), REPS.
set -eu
cd "$(dirname "$0")/.."
XS=${XS:-build/xstilts}
MODEL=${MODEL:-tests/fixtures/tok/xlmr16k.model}
REPS=${REPS:-3}
command -v spm_encode > /dev/null || { echo "spm_encode not installed (apt-get install sentencepiece)"; exit 1; }
[ -x "$XS" ] || { echo "$XS not built (make)"; exit 1; }
src=${XSTILTS_DATA:-data}/tatoeba
[ -d "$src" ] || src=tests/fixtures/tatoeba
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for _ in $(seq "$REPS"); do cat "$src"/tatoeba.*-eng.*; done > "$tmp/corpus.txt"
lines=$(wc -l < "$tmp/corpus.txt")
bytes=$(wc -c < "$tmp/corpus.txt")

# best of 3 runs: "wall cpu" seconds (cpu = user + sys, steadier than wall on a busy machine)
best() {
  local bw=999999 bc=999999 w c
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@" < "$tmp/corpus.txt" > "$tmp/out.txt"
    read -r w u sy < "$tmp/time"
    c=$(echo "$u + $sy" | bc -l)
    bw=$(echo "if ($w < $bw) $w else $bw" | bc -l)
    bc=$(echo "if ($c < $bc) $c else $bc" | bc -l)
  done
  printf '%.3f %.3f' "$bw" "$bc"
}

read -r t_spm c_spm <<< "$(best spm_encode --model "$MODEL" --output_format=id)"
ntok=$(wc -w < "$tmp/out.txt")   # spm pieces, no specials
cp "$tmp/out.txt" "$tmp/spm.txt"
read -r t_x1 c_x1 <<< "$(OMP_NUM_THREADS=1 best "$XS" tokenize --tokenizer "$MODEL")"
read -r t_x2 c_x2 <<< "$(OMP_NUM_THREADS=2 best "$XS" tokenize --tokenizer "$MODEL")"
# same segmentation? (our ids are XLM-R's: spm id + 1, unk -> 3, plus <s> ... </s>)
agree=$(awk 'NR==FNR { a[FNR] = $0; next } {
  n = split(a[FNR], x, " "); s = "0"; for (i = 1; i <= n; i++) s = s " " (x[i] == 0 ? 3 : x[i] + 1); s = s " 2";
  if (s == $0) same++ } END { printf "%d", same }' "$tmp/spm.txt" "$tmp/out.txt")

echo "corpus: $lines lines, $bytes bytes, $ntok tokens ($src x $REPS); model $MODEL"
echo "identical segmentation on $agree / $lines lines (spm_encode is sentencepiece $(dpkg-query -W -f='${Version}' sentencepiece 2>/dev/null || echo '?'))"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-32s | %8s | %12s | %8s | %8s | %11s |\n' tokenizer "wall s" tokens/s "vs spm" "cpu s" "cpu vs spm"
printf '|%s|%s|%s|%s|%s|%s|\n' "----------------------------------" "----------" "--------------" "----------" "----------" "-------------"
row() { printf '| %-32s | %8s | %12.0f | %7.2fx | %8s | %10.2fx |\n' "$1" "$2" "$(echo "$ntok / $2" | bc -l)" \
  "$(echo "$t_spm / $2" | bc -l)" "$3" "$(echo "$c_spm / $3" | bc -l)"; }
row "spm_encode --output_format=id" "$t_spm" "$c_spm"
row "xstilts tokenize, 1 thread" "$t_x1" "$c_x1"
row "xstilts tokenize, 2 threads" "$t_x2" "$c_x2"
