#!/usr/bin/env bash
# cli_bench.sh — `xstilts bench` measures the work it claims: the kernel check passes, inference and a training
# step run on a tiny model (bench_train fails when the trainer trained other than batch x seq tokens: the bug
# where every training row was cut to 1 token), --ids runs real sequences at natural lengths (the counts and mean
# length in the JSON are the file's), and a bad ids file is refused naming FILE:LINE.
set -eu
XS=${XS:-build/xstilts}
M=tests/fixtures/tok/xlmr16k.model
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
field() { sed -n "s/.*\"$2\": \"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$1"; }
tiny=(--size tiny --vocab 20000 --reps 2 --warmup 1)

# 1. random full-length rows: a check line, then one inference and one training line with real figures
out=$("$XS" bench --json --what infer,train "${tiny[@]}" --batch 3 --seq 16 --train-batch 2 --train-seq 24) \
  || fail "bench on random rows failed"
chk=$(grep '"kind": "check"' <<<"$out") || fail "no check line: $out"
awk -v e="$(field "$chk" hidden_err)" 'BEGIN { exit !(e < 1e-4) }' || fail "hidden_err $(field "$chk" hidden_err)"
inf=$(grep '"kind": "infer"' <<<"$out") || fail "no infer line"
trn=$(grep '"kind": "train"' <<<"$out") || fail "no train line"
[ "$(field "$inf" batch)" = 3 ] && [ "$(field "$inf" seq)" = 16 ] || fail "infer shape: $inf"
[ "$(field "$trn" batch)" = 2 ] && [ "$(field "$trn" seq)" = 24 ] && [ "$(field "$trn" data)" = random ] || fail "train shape: $trn"
for l in "$inf" "$trn"; do
  awk -v t="$(field "$l" tokens_per_s)" -v r="$(field "$l" peak_rss_mb)" 'BEGIN { exit !(t > 0 && r > 0) }' \
    || fail "tokens/s or peak RSS not positive: $l"
done

# 2. real sequences: 40 Tatoeba lines tokenized by the XLM-R-style model, natural lengths, batches of 8
cat tests/fixtures/tatoeba/tatoeba.deu-eng.deu | head -n 40 | "$XS" tokenize --tokenizer $M > "$tmp/de.ids"
[ "$(wc -l < "$tmp/de.ids")" = 40 ] || fail "tokenize gave $(wc -l < "$tmp/de.ids") lines"
max=$(tr ' ' '\n' < "$tmp/de.ids" | sort -n | tail -1)
[ "$max" -lt 20000 ] || fail "id $max outside the bench vocabulary"
mean=$(awk '{ n += NF } END { printf "%.1f", n / NR }' "$tmp/de.ids")
longest=$(awk '{ if (NF > m) m = NF } END { print m }' "$tmp/de.ids")
out=$("$XS" bench --json --what infer,train "${tiny[@]}" --batch 8 --train-batch 8 --ids "$tmp/de.ids") \
  || fail "bench --ids failed"
for kind in infer train; do
  l=$(grep "\"kind\": \"$kind\"" <<<"$out") || fail "no $kind line with --ids"
  [ "$(field "$l" data)" = de.ids ] || fail "$kind data: $l"
  [ "$(field "$l" sequences)" = 40 ] || fail "$kind sequences: $l"
  [ "$(field "$l" mean_len)" = "$mean" ] || fail "$kind mean_len $(field "$l" mean_len), want $mean"
  [ "$(field "$l" seq)" = "$longest" ] || fail "$kind seq $(field "$l" seq), want the longest line $longest"
done

# 3. bad ids files: FILE:LINE and what was expected; nothing measured
printf '0 5 2\n0 5 x 2\n' > "$tmp/word.ids"
printf '0 5 2\n0 25000 2\n' > "$tmp/vocab.ids"
printf '0 5 2\n\n' > "$tmp/short.ids"
: > "$tmp/empty.ids"
for c in "word.ids:2:.*token id in 0..19999" "vocab.ids:2:.*token id in 0..19999" "short.ids:2:.*at least 2" \
         "empty.ids.*no sequence"; do
  f=${c%%:*}; f=${f%%.\**}
  if "$XS" bench --json --what infer "${tiny[@]}" --ids "$tmp/$f" > "$tmp/out" 2> "$tmp/err"; then
    fail "$f accepted"
  fi
  grep -q "$c" "$tmp/err" || fail "$f: stderr '$(cat "$tmp/err")' does not match '$c'"
  grep -q '"kind": "infer"' "$tmp/out" && fail "$f: measured anyway"
done
echo "cli_bench: ok"
