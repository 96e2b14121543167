#!/usr/bin/env bash
# bench_encoder.sh — sentence-embedding throughput: `xstilts encode` vs PyTorch + HF transformers
# (bench/torch_encoder.py) on the same model folder and the same 1,024 real Tatoeba sentences (32 languages
# x 32 lines), max length 128, batch 32, length-sorted batches in both, fp32, 2 threads, mean pool of the
# last layer. Checks first that both give the same embeddings, then runs each twice and keeps the best.
# Env: SIZE=base|small (default base), N_RUNS (default 2), PY (default tools/.venv/bin/python),
#      THREADS (default 2), KEEP=1 keeps build/bench/encoder, XSTILTS_DATA (the real-data folder, default
#      data/ in the repository; its tatoeba/ is used when present, else tests/fixtures/tatoeba).
set -eu
cd "$(dirname "$0")/.."
SIZE=${SIZE:-base}
N_RUNS=${N_RUNS:-2}
THREADS=${THREADS:-2}
PY=${PY:-tools/.venv/bin/python}
XS=${XS:-build/xstilts}
W=build/bench/encoder
mkdir -p "$W"
DATA=${XSTILTS_DATA:-data}/tatoeba
[ -d "$DATA" ] || DATA=tests/fixtures/tatoeba
[ -x "$XS" ] || make -j2 >/dev/null

# 1,024 sentences: 32 languages (many scripts) x 32 lines. Lines 100.. of the full set (the first
# 100 are what the fixtures hold), or 0.. when only the fixtures are there.
skip=100; [ "$DATA" = tests/fixtures/tatoeba ] && skip=0
: >"$W/sents.txt"
for l in ara bul cmn deu ell est fin fra heb hin hun ind ita jpn kaz kor mar nld pes por rus spa swh tam tel tgl tha tur urd vie afr ben; do
  tail -n +$((skip + 1)) "$DATA/tatoeba.$l-eng.$l" | head -n 32 >>"$W/sents.txt"
done
n=$(wc -l <"$W/sents.txt")

# One model folder for both: xstilts init (HF's _init_weights scheme), read by HF's from_pretrained.
M="$W/xlmr-$SIZE"
if [ ! -f "$M/model.safetensors" ]; then
  "$XS" init --arch xlmr --size "$SIZE" --tokenizer tests/fixtures/tok/xlmr16k.model --out "$M" --seed 1 >/dev/null
fi
[ -f "$M/sentencepiece.bpe.model" ] || cp tests/fixtures/tok/xlmr16k.model "$M/sentencepiece.bpe.model"
L=$(sed -n 's/.*"num_hidden_layers": *\([0-9]*\).*/\1/p' "$M/config.json")
echo "model: $M (XLM-R $SIZE shape, random init, vocab 16,002 of xlmr16k.model — XLM-R's 250,002-row"
echo "       embedding only adds a table lookup), $n sentences, max-len 128, batch 32, layer $L mean, $THREADS threads"

HAVE_PT=1
"$PY" -c 'import torch, transformers' 2>/dev/null || { HAVE_PT=0; echo "SKIP PyTorch: no torch + transformers at $PY (tools/setup-venv.sh makes them); xstilts alone"; }
TIME=""; [ -x /usr/bin/time ] && TIME="/usr/bin/time -f %M -o $W/rss.txt"
gt() { awk -v a="$1" -v b="$2" 'BEGIN{exit !(a > b)}'; }
best_xs=0; best_xs_tok=0; best_xs_cpu=1e9; xs_rss=0
best_pt=0; best_pt_tok=0; best_pt_cpu=1e9; pt_rss=0
# Interleaved (xstilts, PyTorch, xstilts, ...) so both see the same background load.
for r in $(seq 1 "$N_RUNS"); do
  OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$THREADS XSTILTS_LOG=info $TIME "$XS" encode --model "$M" --layer "$L" --pool mean \
    --max-len 128 --batch 32 --out "$W/xs.npy" <"$W/sents.txt" 2>"$W/xs.log"
  line=$(grep 'encode: .* sentences/s' "$W/xs.log" | tail -1)
  re='.*(\([0-9.]*\) sentences\/s, \([0-9.]*\) tokens\/s; \([0-9.]*\) CPU s).*'
  sps=$(echo "$line" | sed -n "s/$re/\1/p"); tps=$(echo "$line" | sed -n "s/$re/\2/p"); cpu=$(echo "$line" | sed -n "s/$re/\3/p")
  [ -n "$sps" ] || { echo "could not read xstilts' rate from: $(cat "$W/xs.log")"; exit 1; }
  [ -n "$TIME" ] && xs_rss=$(( $(tail -1 "$W/rss.txt") / 1024 ))
  echo "  xstilts run $r: $sps sentences/s, $tps tokens/s, $cpu CPU s, peak RSS ${xs_rss} MiB   (load $(cut -d' ' -f1 /proc/loadavg))"
  if gt "$sps" "$best_xs"; then best_xs=$sps; best_xs_tok=$tps; fi
  if gt "$best_xs_cpu" "$cpu"; then best_xs_cpu=$cpu; fi
  [ "$HAVE_PT" = 1 ] || continue

  js=$(OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$THREADS "$PY" bench/torch_encoder.py --model "$M" --sentences "$W/sents.txt" \
    --layer "$L" --pool mean --batch 32 --max-len 128 --threads "$THREADS" --out "$W/pt.npy" 2>"$W/pt.log" | tail -1)
  sps=$(echo "$js" | sed -n 's/.*"sentences_per_s": \([0-9.e+-]*\).*/\1/p')
  tps=$(echo "$js" | sed -n 's/.*"tokens_per_s": \([0-9.e+-]*\).*/\1/p')
  rss=$(echo "$js" | sed -n 's/.*"peak_rss_mb": \([0-9.]*\).*/\1/p')
  cpu=$(echo "$js" | sed -n 's/.*"cpu_seconds": \([0-9.]*\).*/\1/p')
  [ -n "$sps" ] || { echo "PyTorch run failed: $(tail -5 "$W/pt.log")"; exit 1; }
  echo "  pytorch run $r: $(printf '%.1f' "$sps") sentences/s, $(printf '%.0f' "$tps") tokens/s, $cpu CPU s, peak RSS ${rss} MiB   (load $(cut -d' ' -f1 /proc/loadavg))"
  pt_rss=$rss
  if gt "$sps" "$best_pt"; then best_pt=$sps; best_pt_tok=$tps; fi
  if gt "$best_pt_cpu" "$cpu"; then best_pt_cpu=$cpu; fi
done

if [ "$HAVE_PT" = 0 ]; then
  printf '| xstilts encode | XLM-R-%s, %d Tatoeba sentences, len<=128, b32, %s threads | %.1f | %.0f | %s CPU s | %s MiB |\n' \
    "$SIZE" "$n" "$THREADS" "$best_xs" "$best_xs_tok" "$best_xs_cpu" "$xs_rss"
  exit 0
fi
# Same embeddings? (different tokenizer implementations and kernels: agree to float32 rounding)
"$PY" - "$W/xs.npy" "$W/pt.npy" <<'EOF'
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert a.shape == b.shape, (a.shape, b.shape)
d = np.abs(a - b)
print(f"  agreement: {a.shape[0]} embeddings, max |xstilts - pytorch| = {d.max():.2e}, mean {d.mean():.2e}")
sys.exit(0 if d.max() < 1e-3 else 1)
EOF

ratio=$(awk -v a="$best_xs" -v b="$best_pt" 'BEGIN{printf "%.2f", a / b}')
cratio=$(awk -v a="$best_xs_cpu" -v b="$best_pt_cpu" 'BEGIN{printf "%.2f", b / a}')
echo
echo "| system | work | sentences/s | tokens/s | CPU s | ratio (wall / CPU) | peak RSS |"
echo "|---|---|---|---|---|---|---|"
printf '| xstilts encode | XLM-R-%s, %d Tatoeba sentences, len<=128, b32, %s threads | %.1f | %.0f | %s | %sx / %sx | %s MiB |\n' "$SIZE" "$n" "$THREADS" "$best_xs" "$best_xs_tok" "$best_xs_cpu" "$ratio" "$cratio" "$xs_rss"
printf '| PyTorch %s + HF | same | %.1f | %.0f | %s | 1.00x | %s MiB |\n' "$("$PY" -c 'import torch; print(torch.__version__)')" "$best_pt" "$best_pt_tok" "$best_pt_cpu" "$pt_rss"
echo "encoder: xstilts / pytorch = ${ratio}x wall, ${cratio}x CPU time (goal >= 1.2x)"
[ "${KEEP:-0}" = 1 ] || rm -f "$W/xs.npy" "$W/pt.npy"
