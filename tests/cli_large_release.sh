#!/usr/bin/env bash
# cli_large_release.sh — an XLM-R-large-shaped model (24 layers, hidden 1024, vocab 16,002 of
# xlmr16k.model: ~1.2 GiB of f32 weights) through `xstilts init` and `xstilts encode`: peak RSS of
# loading alone <= 1.2 x the weights' f32 size; peak RSS of encoding 16 sentences from layer 14 (XTREME's
# retrieval layer for large) <= 1.2 x weights + the encoder state it reports; output shape [16, 1024].
# Release build only (minutes under ASan); RSS is the kernel's VmHWM, and /usr/bin/time's %M when present.
set -eu
XS=${XS:-build/xstilts}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
M="$TMP/large"

"$XS" init --arch xlmr --size large --tokenizer tests/fixtures/tok/xlmr16k.model --out "$M" --seed 3
[ -f "$M/sentencepiece.bpe.model" ] || cp tests/fixtures/tok/xlmr16k.model "$M/sentencepiece.bpe.model"
grep -q '"num_hidden_layers": *24' "$M/config.json" || fail "large is not 24 layers: $(cat "$M/config.json")"
grep -q '"hidden_size": *1024' "$M/config.json" || fail "large is not hidden 1024"

le() { awk -v a="$1" -v b="$2" 'BEGIN{exit !(a <= b)}'; }

# 1. Loading alone (no input lines): peak RSS within 1.2x the f32 weights.
XSTILTS_LOG=debug "$XS" encode --model "$M" --layer 14 --out "$TMP/none.npy" </dev/null 2>"$TMP/load.log"
W=$(sed -n 's/.*encode: loaded .*: weights \([0-9.]*\) MiB f32.*/\1/p' "$TMP/load.log" | head -1)
P_LOAD=$(sed -n 's/.*encode: loaded .*, peak RSS \([0-9.]*\) MiB, RSS.*/\1/p' "$TMP/load.log" | head -1)
[ -n "$W" ] && [ -n "$P_LOAD" ] || fail "no RSS figures in the debug log: $(cat "$TMP/load.log")"
BUDGET_LOAD=$(awk -v w="$W" 'BEGIN{printf "%.1f", 1.2 * w}')
echo "load: weights $W MiB (f32), peak RSS after load $P_LOAD MiB, budget $BUDGET_LOAD MiB"
le "$P_LOAD" "$BUDGET_LOAD" || fail "loading peaked at $P_LOAD MiB > 1.2 x $W MiB"
le 1100 "$W" || fail "weights $W MiB: not a large-sized model"

# 2. Encoding 16 sentences (8 languages) from layer 14, mean pool, batch 8.
for l in deu rus cmn ara hin jpn kor ell; do head -n 2 tests/fixtures/tatoeba/tatoeba.$l-eng.$l; done >"$TMP/s.txt"
TIME=(); [ -x /usr/bin/time ] && TIME=(/usr/bin/time -f %M -o "$TMP/time.txt")
XSTILTS_LOG=debug "${TIME[@]}" "$XS" encode --model "$M" --layer 14 --pool mean --batch 8 --out "$TMP/e.npy" \
  <"$TMP/s.txt" 2>"$TMP/enc.log"
S=$(sed -n 's/.*state for B=[0-9]* T=[0-9]*: \([0-9.]*\) MiB.*/\1/p' "$TMP/enc.log" | tail -1)
P_ENC=$(sed -n 's/.*encode: peak RSS \([0-9.]*\) MiB.*/\1/p' "$TMP/enc.log" | tail -1)
[ -n "$S" ] && [ -n "$P_ENC" ] || fail "no state / peak figures in the debug log: $(cat "$TMP/enc.log")"
BUDGET_ENC=$(awk -v w="$W" -v s="$S" 'BEGIN{printf "%.1f", 1.2 * w + s}')
echo "encode: state $S MiB, peak RSS $P_ENC MiB, budget (1.2 x weights + state) $BUDGET_ENC MiB"
le "$P_ENC" "$BUDGET_ENC" || fail "encoding peaked at $P_ENC MiB > $BUDGET_ENC MiB"
if [ ${#TIME[@]} -gt 0 ]; then
  P_TIME=$(awk '{printf "%.1f", $1 / 1024}' "$TMP/time.txt" | tail -1)
  echo "encode: /usr/bin/time max RSS $P_TIME MiB"
  le "$P_TIME" "$BUDGET_ENC" || fail "/usr/bin/time: $P_TIME MiB > $BUDGET_ENC MiB"
fi

# 3. Shape [16, 1024], finite, and not all rows the same.
hl=$(od -A n -t u2 -j 8 -N 2 "$TMP/e.npy" | tr -d ' ')
head -c $((10 + hl)) "$TMP/e.npy" | grep -q "'shape': (16, 1024)" || fail "shape: $(head -c $((10 + hl)) "$TMP/e.npy" | tail -c "$hl")"
od -A n -v -t f4 -j $((10 + hl)) "$TMP/e.npy" | tr -s ' ' '\n' | sed '/^$/d' | awk '
  { if ($1 != $1 + 0 || $1 ~ /nan|inf/) bad++; row = int((NR - 1) / 1024); col = (NR - 1) % 1024
    if (row == 0) first[col] = $1; else if ($1 != first[col]) differ++ }
  END { if (NR != 16 * 1024 || bad || !differ) { print NR " values, " bad + 0 " non-finite, " differ + 0 " differ from row 0"; exit 1 } }' \
  || fail "embeddings are not 16 distinct finite rows"
echo "cli_large_release: all checks passed"
