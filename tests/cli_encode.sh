#!/usr/bin/env bash
# cli_encode.sh — `xstilts encode` against Hugging Face: tiny random XLM-R / BERT models with the real
# xlmr16k / bert-uncased tokenizers, 52 Tatoeba lines in 10 scripts (+ an empty and a truncated line);
# expected embeddings from tools/gen_encode_fixtures.py (HF transformers, float64). Also: batching and
# CRLF do not change results, --normalize, empty input, and bad input / usage exit 1 with a located message.
# .npy files are compared with od + awk (no Python in tests).
set -eu
XS=${XS:-build/xstilts}
FIX=tests/fixtures/encode
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# npy_shape FILE -> "rows, cols" as written in the header
npy_shape() {
  local hl
  hl=$(od -A n -t u2 -j 8 -N 2 "$1" | tr -d ' ')
  head -c $((10 + hl)) "$1" | tail -c "$hl" | sed -n "s/.*'shape': (\([0-9]*, [0-9]*\)).*/\1/p"
}
# npy_floats FILE -> one float32 per line (data after the v1.0 header)
npy_floats() {
  local hl
  hl=$(od -A n -t u2 -j 8 -N 2 "$1" | tr -d ' ')
  od -A n -v -t f4 -j $((10 + hl)) "$1" | tr -s ' ' '\n' | sed '/^$/d'
}
# npy_compare WHAT GOT WANT ATOL: same shape, every |got - want| <= ATOL; prints the worst element.
npy_compare() {
  local what=$1 got=$2 want=$3 atol=$4
  [ "$(npy_shape "$got")" = "$(npy_shape "$want")" ] || fail "$what: shape $(npy_shape "$got"), expected $(npy_shape "$want")"
  paste <(npy_floats "$got") <(npy_floats "$want") | awk -v atol="$atol" -v what="$what" '
    { d = $1 - $2; if (d < 0) d = -d; if (d != d || $1 == "nan" || $1 == "-nan") d = 1e30
      if (d > worst) { worst = d; wi = NR - 1; wg = $1; ww = $2 }
      if (d > atol) bad++ ; n++ }
    END { printf "%-28s %5d values, worst |diff| %.3g at [%d] (got %s want %s), %d over %g\n", what, n, worst, wi, wg, ww, bad + 0, atol
          if (n == 0 || bad > 0) exit 1 }' || fail "$what: differs from the HF reference"
}
expect_fail() { # expect_fail PATTERN CMD...: exit status 1 and PATTERN in stderr
  local pat=$1; shift
  set +e; "$@" >"$TMP/out.txt" 2>"$TMP/err.txt"; local rc=$?; set -e
  [ $rc -eq 1 ] || fail "expected exit 1 from '$*', got $rc: $(cat "$TMP/err.txt")"
  grep -q -- "$pat" "$TMP/err.txt" || fail "expected '$pat' in the error of '$*', got: $(cat "$TMP/err.txt")"
}

# Model folders: fixture weights + config, tokenizer copied from tests/fixtures/tok (not duplicated).
mkdir -p "$TMP/xlmr" "$TMP/bert"
cp $FIX/xlmr/model/* "$TMP/xlmr/"
cp tests/fixtures/tok/xlmr16k.model "$TMP/xlmr/sentencepiece.bpe.model"
cp $FIX/bert/model/* "$TMP/bert/"
cp tests/fixtures/tok/bert-uncased-vocab.txt "$TMP/bert/vocab.txt"
echo '{"do_lower_case": true}' >"$TMP/bert/tokenizer_config.json"

"$XS" encode --help | grep -q -- "--layer" || fail "encode --help"

for arch in xlmr bert; do
  M="$TMP/$arch"; S=$FIX/$arch/sentences.txt; n=$(wc -l <"$S")
  # the tokenizer first: a mismatch here explains any embedding mismatch below
  "$XS" tokenize --model "$M" --max-len 64 <"$S" >"$TMP/ids.txt"
  diff "$TMP/ids.txt" $FIX/$arch/ids.txt >/dev/null || fail "$arch: input ids differ from HF's ($FIX/$arch/ids.txt)"
  "$XS" encode --model "$M" --layer 0 --pool mean --out "$TMP/0m.npy" <"$S"
  npy_compare "$arch layer 0 mean" "$TMP/0m.npy" $FIX/$arch/0_mean.npy 1e-4
  "$XS" encode --model "$M" --layer 1 --pool mean --batch 7 --out "$TMP/1m.npy" <"$S"
  npy_compare "$arch layer 1 mean, batch 7" "$TMP/1m.npy" $FIX/$arch/1_mean.npy 1e-4
  "$XS" encode --model "$M" --layer 2 --out "$TMP/2m.npy" <"$S"
  npy_compare "$arch layer 2 mean" "$TMP/2m.npy" $FIX/$arch/2_mean.npy 1e-4
  "$XS" encode --model "$M" --out "$TMP/def.npy" <"$S"   # default: last layer, mean
  cmp -s "$TMP/def.npy" "$TMP/2m.npy" || fail "$arch: default layer/pool is not the last layer's mean"
  "$XS" encode --model "$M" --layer 2 --pool cls --batch 1 --out "$TMP/2c.npy" <"$S"
  npy_compare "$arch layer 2 cls, batch 1" "$TMP/2c.npy" $FIX/$arch/2_cls.npy 1e-4
  "$XS" encode --model "$M" --layer 1 --max-len 10 --batch 5 --out "$TMP/t10.npy" <"$S"
  npy_compare "$arch layer 1 mean, max-len 10" "$TMP/t10.npy" $FIX/$arch/1_mean_max10.npy 1e-4

  # CRLF line ends and a missing final newline give the same embeddings
  sed 's/$/\r/' "$S" | head -c -1 >"$TMP/crlf.txt"
  "$XS" encode --model "$M" --layer 2 --out "$TMP/crlf.npy" <"$TMP/crlf.txt"
  cmp -s "$TMP/crlf.npy" "$TMP/2m.npy" || fail "$arch: CRLF input changed the embeddings"

  # --normalize: unit rows, same directions as the raw embeddings
  "$XS" encode --model "$M" --layer 2 --normalize --out "$TMP/nrm.npy" <"$S"
  [ "$(npy_shape "$TMP/nrm.npy")" = "$n, $(npy_shape "$TMP/2m.npy" | cut -d' ' -f2)" ] || fail "normalize shape"
  cols=$(npy_shape "$TMP/nrm.npy" | cut -d' ' -f2)
  paste <(npy_floats "$TMP/nrm.npy") <(npy_floats "$TMP/2m.npy") | awk -v C="$cols" '
    { ss += $1 * $1; dot += $1 * $2; rr += $2 * $2
      if (NR % C == 0) { if ((ss - 1) ^ 2 > 1e-10 || (dot - sqrt(rr)) ^ 2 > 1e-8 * rr) bad++; ss = dot = rr = 0; rows++ } }
    END { if (bad || rows == 0) { print "normalize: " bad " bad rows of " rows; exit 1 } }' || fail "$arch --normalize"
done

# Empty input: a (0, hidden) array, exit 0.
"$XS" encode --model "$TMP/xlmr" --out "$TMP/empty.npy" </dev/null
[ "$(npy_shape "$TMP/empty.npy")" = "0, 32" ] || fail "empty input shape: $(npy_shape "$TMP/empty.npy")"

# Bad input and usage: exit 1, the message locates the problem, no output file is left.
printf 'good line\nalso good\nbad \xff\xfe byte\n' >"$TMP/bad.txt"
expect_fail '<stdin>:3:' "$XS" encode --model "$TMP/xlmr" --out "$TMP/bad.npy" <"$TMP/bad.txt"
[ ! -e "$TMP/bad.npy" ] || fail "an output file was written for bad input"
expect_fail '<stdin>:2:' "$XS" encode --model "$TMP/xlmr" --out "$TMP/bad.npy" < <(printf 'ok\n\xc3(\n')
# issue 12 item 8: tokenize and encode locate an invalid byte the same way (line, byte counted from 1, value)
for arch in xlmr bert; do
  expect_fail '<stdin>:3: expected UTF-8 text, found an invalid byte sequence at byte 5 (0xFF)' "$XS" encode --model "$TMP/$arch" --out "$TMP/bad.npy" <"$TMP/bad.txt"
  expect_fail '<stdin>:3: expected UTF-8 text, found an invalid byte sequence at byte 5 (0xFF)' "$XS" tokenize --model "$TMP/$arch" <"$TMP/bad.txt"
done
expect_fail '--layer' "$XS" encode --model "$TMP/xlmr" --layer 3 --out "$TMP/bad.npy" <"$FIX/xlmr/sentences.txt"
# issue 12 item 2: negative layers count from the end as Python's hidden_states[-k] (2 layers: 3 states)
expect_fail '--layer expects -3..2' "$XS" encode --model "$TMP/xlmr" --layer -4 --out "$TMP/bad.npy" <"$FIX/xlmr/sentences.txt"
expect_fail '--layer expects -3..2' "$XS" encode --model "$TMP/xlmr" --layer -99 --out "$TMP/bad.npy" <"$FIX/xlmr/sentences.txt"
for neg in -1:2 -2:1 -3:0; do
  "$XS" encode --model "$TMP/xlmr" --layer "${neg%%:*}" --out "$TMP/neg.npy" <"$FIX/xlmr/sentences.txt" 2>/dev/null
  "$XS" encode --model "$TMP/xlmr" --layer "${neg##*:}" --out "$TMP/pos.npy" <"$FIX/xlmr/sentences.txt" 2>/dev/null
  cmp -s "$TMP/neg.npy" "$TMP/pos.npy" || fail "--layer ${neg%%:*} is not hidden_states[${neg##*:}]"
done
"$XS" encode --model "$TMP/xlmr" --layer=-2 --out="$TMP/eq.npy" <"$FIX/xlmr/sentences.txt" 2>/dev/null
npy_compare "layer -2 (--opt=value)" "$TMP/eq.npy" $FIX/xlmr/1_mean.npy 1e-4
for bad in -5 0 1 x 1e3 ''; do
  expect_fail "--max-len expects an integer" "$XS" encode --model "$TMP/xlmr" --max-len "$bad" --out "$TMP/bad.npy" </dev/null
done
# issue 12 item 7: a config with fewer layers than the checkpoint is an error unless --allow-unused-weights
mkdir -p "$TMP/short"; cp "$TMP/xlmr"/* "$TMP/short/"
sed 's/"num_hidden_layers": 2/"num_hidden_layers": 1/' "$TMP/xlmr/config.json" >"$TMP/short/config.json"
grep -q '"num_hidden_layers": 1' "$TMP/short/config.json" || fail "could not edit config.json"
expect_fail 'not used by config.json (num_hidden_layers 1)' "$XS" encode --model "$TMP/short" --out "$TMP/bad.npy" <"$FIX/xlmr/sentences.txt"
"$XS" encode --model "$TMP/short" --allow-unused-weights --out "$TMP/short.npy" <"$FIX/xlmr/sentences.txt" 2>"$TMP/warn.txt"
grep -q 'were not used' "$TMP/warn.txt" || fail "--allow-unused-weights: no warning"
npy_compare "1 of 2 layers, allowed" "$TMP/short.npy" $FIX/xlmr/1_mean.npy 1e-4
# ... and a BERT folder that does not say whether it is cased is lower-cased with a warning naming the assumption
mkdir -p "$TMP/nocfg"; cp "$TMP/bert"/* "$TMP/nocfg/"; rm "$TMP/nocfg/tokenizer_config.json"
"$XS" encode --model "$TMP/nocfg" --out "$TMP/nocfg.npy" <"$FIX/bert/sentences.txt" 2>"$TMP/warn.txt"
grep -q 'assuming lower-case' "$TMP/warn.txt" || fail "no warning for a BERT folder without tokenizer_config.json"
expect_fail 'needs a value' "$XS" encode --model "$TMP/xlmr" --out "$TMP/bad.npy" --layer </dev/null
expect_fail '--pool' "$XS" encode --model "$TMP/xlmr" --pool max --out "$TMP/bad.npy" </dev/null
expect_fail '--max-len' "$XS" encode --model "$TMP/xlmr" --max-len 65 --out "$TMP/bad.npy" </dev/null
expect_fail '--batch expects an integer from 1 to 65536, found 0' "$XS" encode --model "$TMP/xlmr" --batch 0 --out "$TMP/bad.npy" </dev/null
expect_fail 'required' "$XS" encode --out "$TMP/bad.npy" </dev/null
expect_fail "$TMP/nope" "$XS" encode --model "$TMP/nope" --out "$TMP/bad.npy" </dev/null
expect_fail "$TMP/nodir/e.npy" "$XS" encode --model "$TMP/xlmr" --out "$TMP/nodir/e.npy" <"$FIX/xlmr/sentences.txt"
expect_fail 'unknown option' "$XS" encode --model "$TMP/xlmr" --frobnicate --out "$TMP/bad.npy" </dev/null
[ ! -e "$TMP/bad.npy" ] || fail "an output file was written on a usage error"

# Outputs (issue 12 item 1): only a regular file is replaced (temp + rename). A symbolic link is
# written through, a FIFO and a device in place, '-' is stdout, a folder is refused by name.
S=$FIX/xlmr/sentences.txt
"$XS" encode --model "$TMP/xlmr" --layer 2 --out "$TMP/ref.npy" <"$S"
echo old >"$TMP/target.npy"
ln -s target.npy "$TMP/link.npy"
"$XS" encode --model "$TMP/xlmr" --layer 2 --out "$TMP/link.npy" <"$S"
[ -L "$TMP/link.npy" ] || fail "--out SYMLINK replaced the link"
cmp -s "$TMP/target.npy" "$TMP/ref.npy" || fail "--out SYMLINK did not write through to the target"
mkfifo "$TMP/fifo"
timeout 120 cat "$TMP/fifo" >"$TMP/from_fifo.npy" &
reader=$!
timeout 120 "$XS" encode --model "$TMP/xlmr" --layer 2 --out "$TMP/fifo" <"$S" || { echo x >"$TMP/fifo" & fail "--out FIFO failed"; }
wait $reader || true
[ -p "$TMP/fifo" ] || fail "--out FIFO replaced the FIFO"
cmp -s "$TMP/from_fifo.npy" "$TMP/ref.npy" || fail "--out FIFO: the reader did not get the .npy"
"$XS" encode --model "$TMP/xlmr" --layer 2 --out - <"$S" >"$TMP/stdout.npy"
cmp -s "$TMP/stdout.npy" "$TMP/ref.npy" || fail "--out - did not write the .npy to stdout"
# as root a regression would replace the machine's /dev/full: use a private node then
if [ "$(id -u)" = 0 ]; then mknod "$TMP/full" c 1 7; FULL=$TMP/full; else FULL=/dev/full; fi
expect_fail 'No space left on device' "$XS" encode --model "$TMP/xlmr" --out "$FULL" <"$S"
[ -c "$FULL" ] || fail "--out $FULL: the device was replaced"
expect_fail 'is a directory' "$XS" encode --model "$TMP/xlmr" --out "$TMP" </dev/null
echo "cli_encode: all checks passed"
