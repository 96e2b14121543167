#!/usr/bin/env bash
# cli_tokenize.sh — `xstilts tokenize` end to end: ids, pairs with truncation, pieces and offsets
# against HF goldens (tests/fixtures/spm, tools/gen_spm_goldens.py), chunking and threads, and
# errors naming <stdin>:LINE.
set -eu
XS=${XS:-build/xstilts}
F=tests/fixtures/spm
M=tests/fixtures/tok/xlmr16k.model
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. pairs (<s> A </s></s> B </s>) with longest-first truncation vs HF fast, one run per max_len
for ml in 0 6 9 12 17 24; do
  awk -F'\t' -v ml=$ml '$1 == ml { print $2 "\t" $3 }' $F/xlmr16k.pairs > "$tmp/pairs.in"
  awk -F'\t' -v ml=$ml '$1 == ml { print $4 }' $F/xlmr16k.pairs > "$tmp/pairs.want"
  [ -s "$tmp/pairs.in" ] || fail "no pairs with max_len $ml"
  lim=(--max-len "$ml"); [ "$ml" = 0 ] && lim=()   # 0 in the fixture: no limit (no --max-len)
  "$XS" tokenize --tokenizer $M --pair "${lim[@]}" < "$tmp/pairs.in" > "$tmp/pairs.got"
  cmp -s "$tmp/pairs.got" "$tmp/pairs.want" || { diff "$tmp/pairs.got" "$tmp/pairs.want" | head; fail "pairs max_len $ml"; }
done

# 2. single lines vs the slow reference ids recorded in xlmr16k.fast.txt (lines where HF fast differs)
n=0
while IFS=$'\t' read -r ln fast slow; do
  case "$slow" in \#*) continue ;; esac
  got=$(sed -n "${ln}p" $F/inputs.txt | "$XS" tokenize --tokenizer $M)
  [ "$got" = "$slow" ] || fail "line $ln: got '$got', want '$slow' (sentencepiece)"
  n=$((n + 1))
done < $F/xlmr16k.fast.txt
[ $n -ge 3 ] || fail "too few slow/fast lines checked ($n)"

# 3. --offsets vs HF fast's offset_mapping (first 150 lines of the offsets golden, less those with
#    combining diacritics U+0300-036F, where HF aligns a composed character to its first code point)
: > "$tmp/off.in"; : > "$tmp/off.want2"
head -n 150 $F/xlmr16k.offsets | while IFS=$'\t' read -r ln offs; do
  line=$(sed -n "${ln}p" $F/inputs.txt)
  if printf '%s' "$line" | LC_ALL=C grep -q $'[\xcc\xcd]'; then continue; fi
  printf '%s\n' "$line" >> "$tmp/off.in"
  printf '%s\n' "$offs" >> "$tmp/off.want2"
done
[ "$(wc -l < "$tmp/off.in")" -gt 100 ] || fail "too few offset lines"
"$XS" tokenize --tokenizer $M --offsets < "$tmp/off.in" | sed -e 's/^- *//' -e 's/ *-$//' > "$tmp/off.got"
cmp -s "$tmp/off.got" "$tmp/off.want2" || { diff "$tmp/off.got" "$tmp/off.want2" | head; fail "offsets"; }

# 4. --pieces (HF convert_ids_to_tokens gives <s> ▁Hello ▁world ! </s>) and several fields
got=$(printf 'Hello  world!  \n' | "$XS" tokenize --tokenizer $M --pieces)
[ "$got" = "<s> ▁Hello ▁world ! </s>" ] || fail "pieces: '$got'"
got=$(printf 'Hello  world!  \n' | "$XS" tokenize --tokenizer $M --ids --pieces --offsets)
[ "$got" = "$(printf '0 4851 608 33 2\t<s> ▁Hello ▁world ! </s>\t- 0:5 7:12 12:13 -')" ] || fail "fields: '$got'"

# 5. every line in, one line out, across chunk boundaries; threads do not change the output
for i in 1 2; do cat $F/inputs.txt; done > "$tmp/big.in"
OMP_NUM_THREADS=1 "$XS" tokenize --tokenizer $M < "$tmp/big.in" > "$tmp/big1"
OMP_NUM_THREADS=2 "$XS" tokenize --tokenizer $M < "$tmp/big.in" > "$tmp/big2"
[ "$(wc -l < "$tmp/big1")" = "$(wc -l < "$tmp/big.in")" ] || fail "line count"
cmp -s "$tmp/big1" "$tmp/big2" || fail "threads change the output"
paste -d'\t' "$tmp/big.in" <(tail -n +2 "$tmp/big.in") | head -n 9000 > "$tmp/bigpair.in"
OMP_NUM_THREADS=1 "$XS" tokenize --tokenizer $M --pair --max-len 40 < "$tmp/bigpair.in" > "$tmp/bp1"
OMP_NUM_THREADS=2 "$XS" tokenize --tokenizer $M --pair --max-len 40 < "$tmp/bigpair.in" > "$tmp/bp2"
[ "$(wc -l < "$tmp/bp1")" = 9000 ] || fail "pair line count"
cmp -s "$tmp/bp1" "$tmp/bp2" || fail "threads change the pair output"
[ -z "$("$XS" tokenize --tokenizer $M < /dev/null)" ] || fail "empty input"
# a line without a final newline, and an empty line: <s> </s>
got=$(printf 'a\n\nb' | "$XS" tokenize --tokenizer $M | tr '\n' '|')
[ "$got" = "0 11 2|0 2|0 356 2|" ] || fail "last line / empty line: '$got'"

# 6. --model DIR
mkdir "$tmp/xlmr"
cp $M "$tmp/xlmr/sentencepiece.bpe.model"
head -n 300 $F/inputs.txt > "$tmp/few.in"
"$XS" tokenize --model "$tmp/xlmr" < "$tmp/few.in" > "$tmp/m1"
"$XS" tokenize --tokenizer $M < "$tmp/few.in" > "$tmp/m2"
cmp -s "$tmp/m1" "$tmp/m2" || fail "--model DIR differs from --tokenizer FILE"

# 7. errors name <stdin>:LINE and exit 1
printf 'ok\nfine\nbad \xff byte\nnever\n' > "$tmp/bad.in"
if "$XS" tokenize --tokenizer $M < "$tmp/bad.in" > "$tmp/out" 2> "$tmp/err"; then fail "invalid UTF-8 accepted"; fi
grep -q '<stdin>:3: .*UTF-8' "$tmp/err" || { cat "$tmp/err"; fail "error does not name <stdin>:3"; }
[ "$(wc -l < "$tmp/out")" = 2 ] || fail "lines before the bad one should be printed"
{ head -n 5000 "$tmp/big.in"; printf 'x\xc3\n'; } > "$tmp/bad2.in"
if "$XS" tokenize --tokenizer $M < "$tmp/bad2.in" > /dev/null 2> "$tmp/err"; then fail "invalid UTF-8 accepted (chunk 2)"; fi
grep -q '<stdin>:5001:' "$tmp/err" || { cat "$tmp/err"; fail "error does not name <stdin>:5001"; }
printf 'a\tb\nno tab here\n' > "$tmp/pair.in"
if "$XS" tokenize --tokenizer $M --pair < "$tmp/pair.in" > /dev/null 2> "$tmp/err"; then fail "pair without TAB accepted"; fi
grep -q '<stdin>:2: .*TAB' "$tmp/err" || { cat "$tmp/err"; fail "pair error"; }
if "$XS" tokenize --tokenizer $M --max-len 1 < "$tmp/pair.in" > /dev/null 2> "$tmp/err"; then fail "max-len 1 accepted"; fi
grep -q -- '--max-len expects an integer from 2' "$tmp/err" || fail "max-len error"
# issue 12 item 2: 0 and negatives are not "no limit": --max-len is a range-checked number or absent
for bad in 0 -5 x 2.5 ''; do
  if "$XS" tokenize --tokenizer $M --max-len "$bad" </dev/null >/dev/null 2>"$tmp/err"; then fail "--max-len '$bad' accepted"; fi
  grep -q -- '--max-len expects an integer' "$tmp/err" || fail "--max-len '$bad': $(cat "$tmp/err")"
done
# --opt=value is the same as --opt value
printf 'hello world\n' | "$XS" tokenize --tokenizer=$M --max-len=3 >"$tmp/eq.out"
printf 'hello world\n' | "$XS" tokenize --tokenizer $M --max-len 3 >"$tmp/sp.out"
cmp -s "$tmp/eq.out" "$tmp/sp.out" && [ "$(wc -w <"$tmp/eq.out")" = 3 ] || fail "--opt=value differs from --opt value"
set +e
"$XS" tokenize --bogus < /dev/null > /dev/null 2>&1; [ $? = 1 ] || fail "unknown option should exit 1"
"$XS" tokenize < /dev/null > /dev/null 2>&1; [ $? = 1 ] || fail "missing --tokenizer should exit 1"
"$XS" tokenize --tokenizer /nonexistent.model < /dev/null > /dev/null 2>&1; [ $? = 1 ] || fail "missing file should exit 1"
"$XS" tokenize --help > /dev/null; [ $? = 0 ] || fail "--help"
set -e
echo "cli_tokenize: all checks passed"
