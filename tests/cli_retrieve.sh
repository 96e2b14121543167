#!/usr/bin/env bash
# cli_retrieve.sh — `xstilts retrieve` end to end on the BUCC-like fixtures (dev threshold and test pairs as
# XTREME's utils_retrieve gives them), Tatoeba mode, knn mode, bad input; and `xstilts aggregate`.
set -eu
XS=${XS:-build/xstilts}
F=tests/fixtures/retrieval
T=$(mktemp -d /tmp/xstilts-cli-retrieve-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# expect_fail "message fragment" cmd... : exit status 1 and the fragment on stderr
expect_fail() {
  local want=$1; shift
  set +e; "$@" >"${OUT_TO:-$T/out}" 2>"$T/err"; local rc=$?; set -e
  [ $rc -eq 1 ] || fail "expected exit 1, got $rc: $*"
  grep -qF -- "$want" "$T/err" || { cat "$T/err"; fail "stderr lacks '$want': $*"; }
}
# a little-endian float32 .npy from a shape string and hex bytes
mknpy() {
  local path=$1 shape=$2 hex=$3
  local h="{'descr': '<f4', 'fortran_order': False, 'shape': $shape, }"
  local pad=$(( 64 - (10 + ${#h} + 1) % 64 )); [ $pad -eq 64 ] && pad=0
  h="$h$(printf '%*s' $pad '')"
  local hl=$(( ${#h} + 1 ))
  { printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $((hl & 255)))\\x$(printf %02x $((hl >> 8)))"; printf '%s\n' "$h";
    printf "$hex"; } > "$path"
}

# --- BUCC: threshold chosen on dev, applied to test ---
"$XS" retrieve --src $F/bucc.dev.src.npy --tgt $F/bucc.dev.trg.npy --src-ids $F/bucc.dev.src --tgt-ids $F/bucc.dev.trg \
  --mode margin --dev-gold $F/bucc.dev.gold --candidates "$T/dev.cand" --out "$T/dev.pairs" > "$T/dev.json"
th=$(sed 's/.*"threshold": \([-0-9.e+]*\).*/\1/' "$T/dev.json")
f1=$(sed 's/.*"f1": \([0-9.]*\).*/\1/' "$T/dev.json")
eth=$(awk '/^threshold/ {print $2}' $F/bucc.dev.expected)
ef1=$(awk '/^F1/ {print $2}' $F/bucc.dev.expected)
awk -v a="$th" -v b="$eth" 'BEGIN { exit !((a - b) < 1e-5 && (b - a) < 1e-5) }' || fail "dev threshold $th vs XTREME $eth"
awk -v a="$f1" -v b="$ef1" 'BEGIN { exit !((a - b) < 1e-3 && (b - a) < 1e-3) }' || fail "dev F1 $f1 vs XTREME $ef1"
cut -f1,2 "$T/dev.cand" | sort > "$T/a"; cut -f1,2 $F/bucc.dev.cand.max | sort > "$T/b"
cmp -s "$T/a" "$T/b" || fail "dev candidates differ from XTREME's"
"$XS" retrieve --src $F/bucc.test.src.npy --tgt $F/bucc.test.trg.npy --src-ids $F/bucc.test.src --tgt-ids $F/bucc.test.trg \
  --mode margin --threshold "$th" --out "$T/test.pairs" > /dev/null
sort "$T/test.pairs" > "$T/a"; sort $F/bucc.test.pred > "$T/b"
cmp -s "$T/a" "$T/b" || fail "test pairs differ from XTREME's bucc_extract with the dev threshold"
echo "bucc: dev threshold $th (XTREME $eth), F1 $f1; $(wc -l < "$T/test.pairs") test pairs identical"

# --- Tatoeba mode: a side against itself finds itself, except the repeated sentence, whose two rows tie
# (which one wins depends on the last bit of the GEMM's rounding, so either is accepted) ---
"$XS" retrieve --src $F/bucc.dev.src.npy --tgt $F/bucc.dev.src.npy --mode tatoeba --out "$T/tat" > "$T/tat.json"
n=$(wc -l < "$T/tat")
cut -f2 $F/bucc.dev.src > "$T/sents"
bad=$(awk 'NR == FNR { s[NR - 1] = $0; next } { if ($1 != FNR - 1 && s[$1] != s[FNR - 1]) print FNR - 1 }' "$T/sents" "$T/tat" | wc -l)
self=$(awk '$1 == NR - 1' "$T/tat" | wc -l)
[ "$n" -eq 91 ] && [ "$bad" -eq 0 ] && [ "$self" -ge 89 ] || fail "tatoeba self-retrieval: $n lines, $self self, $bad wrong"
acc=$(awk -v c="$self" 'BEGIN { printf "%.4f", 100 * c / 91 }')
grep -q "\"accuracy\": $acc" "$T/tat.json" || fail "tatoeba accuracy $(cat "$T/tat.json") vs $acc"

# --- knn mode: k lines per query, descending ---
"$XS" retrieve --src $F/bucc.dev.src.npy --tgt $F/bucc.dev.trg.npy --mode knn --k 3 --out "$T/knn"
[ "$(wc -l < "$T/knn")" -eq 273 ] || fail "knn: expected 91 x 3 lines"
awk -F'\t' '$2 > 0 && $4 > prev + 1e-7 { bad = 1 } { prev = $4 } END { exit bad }' "$T/knn" || fail "knn not descending"

# --- bad input: clear messages, exit 1 ---
mknpy "$T/nan.npy" "(2, 2)" '\x00\x00\x80\x3f\x00\x00\x00\x00\x00\x00\xc0\x7f\x00\x00\x80\x3f'
mknpy "$T/ok.npy" "(2, 2)" '\x00\x00\x80\x3f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x3f'
mknpy "$T/empty.npy" "(0, 2)" ''
"$XS" retrieve --src "$T/ok.npy" --tgt "$T/ok.npy" --mode tatoeba --out "$T/ok.out" > /dev/null || fail "crafted ok.npy rejected"
expect_fail "found NaN in row 1" "$XS" retrieve --src "$T/nan.npy" --tgt "$T/ok.npy" --mode knn --out "$T/o"
expect_fail "expected a non-empty" "$XS" retrieve --src "$T/empty.npy" --tgt "$T/ok.npy" --mode knn --out "$T/o"
expect_fail "dimension mismatch" "$XS" retrieve --src "$T/ok.npy" --tgt $F/bucc.dev.trg.npy --mode knn --out "$T/o"
expect_fail "--mode expects knn, tatoeba or margin" "$XS" retrieve --src "$T/ok.npy" --tgt "$T/ok.npy" --mode foo --out "$T/o"
expect_fail "needs --dev-gold FILE" "$XS" retrieve --src "$T/ok.npy" --tgt "$T/ok.npy" --mode margin --out "$T/o"
expect_fail "expected 2 lines (the rows of" "$XS" retrieve --src "$T/ok.npy" --tgt "$T/ok.npy" --mode margin \
  --src-ids $F/bucc.dev.gold --threshold 1 --out "$T/o"
expect_fail "unknown option" "$XS" retrieve --bogus

# --- issue 12: every value range-checked, NaN refused, mismatches between inputs and mode are errors ---
expect_fail "--k expects an integer from 1 to 1024, found -1" "$XS" retrieve --src "$T/ok.npy" --tgt "$T/ok.npy" --mode knn --k -1 --out "$T/o"
expect_fail "--k expects an integer from 1 to 1024, found 0" "$XS" retrieve --src "$T/ok.npy" --tgt "$T/ok.npy" --mode knn --k=0 --out "$T/o"
expect_fail "--tile-rows expects an integer from 1 to 65536, found 0" "$XS" retrieve --src "$T/ok.npy" --tgt "$T/ok.npy" --mode knn --tile-rows 0 --out "$T/o"
expect_fail "--tile-cols expects an integer from 1 to 65536, found -3" "$XS" retrieve --src "$T/ok.npy" --tgt "$T/ok.npy" --mode knn --tile-cols -3 --out "$T/o"
for t in nan NaN inf -inf 1e999 '' ' 0.5'; do
  expect_fail "--threshold expects a finite number, found '$t'" "$XS" retrieve --src "$T/ok.npy" --tgt "$T/ok.npy" --mode margin --threshold "$t" --out "$T/o"
done
# gold ids that name no row (BUCC ids against row numbers: no --src-ids/--tgt-ids): an error, not F1 0
expect_fail "names src id" "$XS" retrieve --src $F/bucc.dev.src.npy --tgt $F/bucc.dev.trg.npy --mode margin --dev-gold $F/bucc.dev.gold --out "$T/o"
expect_fail "not among the" "$XS" retrieve --src $F/bucc.dev.src.npy --tgt $F/bucc.dev.trg.npy --src-ids $F/bucc.dev.src --tgt-ids $F/bucc.dev.trg \
  --mode margin --dev-gold $F/bucc.test.gold --out "$T/o"
# tatoeba: 10 target rows against 20 source rows is not line-parallel
expect_fail "line-parallel sides" "$XS" retrieve --src $F/bucc.dev.src.npy --src-rows 0:20 --tgt $F/bucc.dev.src.npy --tgt-rows 0:10 --mode tatoeba --out "$T/o"
expect_fail "--mode tatoeba predicts the top-1" "$XS" retrieve --src "$T/ok.npy" --tgt "$T/ok.npy" --mode tatoeba --k 4 --out "$T/o"
[ ! -e "$T/o" ] || fail "an output file was left behind by a failed run"
# --out - is stdout where stdout is free (knn); the modes that print JSON refuse it
"$XS" retrieve --src $F/bucc.dev.src.npy --tgt $F/bucc.dev.trg.npy --mode knn --k 3 --out - > "$T/knn.stdout" 2>/dev/null
"$XS" retrieve --src $F/bucc.dev.src.npy --tgt $F/bucc.dev.trg.npy --mode knn --k 3 --out "$T/knn.file" 2>/dev/null
cmp -s "$T/knn.stdout" "$T/knn.file" || fail "--out - differs from --out FILE"
expect_fail "--out - (stdout) applies to --mode knn only" "$XS" retrieve --src "$T/ok.npy" --tgt "$T/ok.npy" --mode tatoeba --out -
# a full stdout is an error, not exit 0
OUT_TO=/dev/full expect_fail "<stdout>: write failed: No space left on device" "$XS" retrieve --src "$T/ok.npy" --tgt "$T/ok.npy" --mode knn --out -

# --- aggregate ---
A=tests/fixtures/aggregate
"$XS" aggregate --in $A/full.in.json --out-json "$T/r.json" --out-csv "$T/r.csv" --out-md "$T/r.md" 2>/dev/null
want=$(grep '"all_task"' $A/full.expected.json | sed 's/.*: \([0-9.]*\).*/\1/')
got=$(grep '"all_task"' "$T/r.json" | sed 's/.*: \([0-9.]*\).*/\1/')
awk -v a="$got" -v b="$want" 'BEGIN { exit !((a - b) < 1e-9 && (b - a) < 1e-9) }' || fail "all_task $got vs evaluate.py $want"
grep -q "XTREME score" "$T/r.md" && grep -q "^xtreme,avg,score," "$T/r.csv" || fail "md/csv renderings"
"$XS" aggregate --in $A/partial.in.json > "$T/p.json" 2>/dev/null
grep -q '"all_task"' "$T/p.json" && fail "partial results must not get an XTREME score"
printf '{"bucc2018": {"de": {"f1": 61}}}' > "$T/inc.json"
expect_fail "task bucc2018 lacks XTREME language(s) fr, ru, zh" "$XS" aggregate --in "$T/inc.json"
"$XS" aggregate --in "$T/inc.json" --allow-incomplete 2>/dev/null | grep -q '"incomplete"' || fail "--allow-incomplete marker"
printf '{"xnli": ' > "$T/bad.json"
expect_fail "bad.json:1" "$XS" aggregate --in "$T/bad.json"
# issue 12 items 5, 6, 8: percentages checked, nothing in is an error, messages name the problem
printf '{"xnli": {"de": {"accuracy": 0.55}, "fr": {"accuracy": 0.7}}}' > "$T/frac.json"
expect_fail "expected percentages (0-100)" "$XS" aggregate --in "$T/frac.json" --allow-incomplete
printf '{"xnli": {"de": {"accuracy": 250}}}' > "$T/big.json"
expect_fail "xnli.de.accuracy: expected a percentage from 0 to 100, found 250" "$XS" aggregate --in "$T/big.json" --allow-incomplete
printf '{}' > "$T/none.json"
expect_fail "expected results for at least one XTREME task" "$XS" aggregate --in "$T/none.json"
expect_fail "$T/nope.json: cannot open: No such file or directory" "$XS" aggregate --in "$T/nope.json"
expect_fail "$T: is a directory; expected a file" "$XS" aggregate --in "$T"
OUT_TO=/dev/full expect_fail "<stdout>: write failed: No space left on device" "$XS" aggregate --in $A/full.in.json
echo "cli_retrieve: all checks passed"
