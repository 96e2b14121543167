#!/usr/bin/env bash
# bench_retrieval.sh — LASER margin mining (k=4, both directions) of N x N random D-dim unit vectors:
# `xstilts retrieve --mode margin` against faiss IndexFlatIP k-NN both ways (what XTREME's mine_bitext runs),
# both on T threads. Prints time and peak RSS of each and the speed ratio. N=200000 D=768 T=2 by default;
# N=20000 for a quick check. Data is generated once under build/bench/.
set -eu
cd "$(dirname "$0")/.."
N=${N:-200000}
D=${D:-768}
T=${T:-2}
K=4
PY=tools/.venv/bin/python
[ -x "$PY" ] || PY=python3
"$PY" -c "import numpy" 2>/dev/null || { echo "bench_retrieval: needs numpy (tools/setup-venv.sh) to generate the data; skipped"; exit 0; }
XS=${XS:-build/xstilts}
mkdir -p build/bench
pre=build/bench/retr_${N}x${D}
[ -x "$XS" ] || { echo "bench_retrieval: $XS not built"; exit 1; }
if [ ! -f "$pre.y.npy" ]; then
  "$PY" tools/bench_faiss.py gen "$N" "$D" "$pre"
fi
peak() { grep "Maximum resident set size" "$1" | awk '{printf "%.0f", $NF/1024}'; }

export OMP_NUM_THREADS=$T
/usr/bin/time -v "$XS" retrieve --src "$pre.x.npy" --tgt "$pre.y.npy" --mode margin --k $K --threshold 0 \
  --out build/bench/retr_pairs.tsv 2>build/bench/retr_xs.log >/dev/null
xs_wall=$(grep "Elapsed (wall clock)" build/bench/retr_xs.log | awk '{print $NF}')
xs_mine=$(grep -o 'retrieve: margin.*, [0-9.]* s' build/bench/retr_xs.log | awk '{print $(NF-1)}')
xs_rss=$(peak build/bench/retr_xs.log)
npairs=$(wc -l < build/bench/retr_pairs.tsv)

if "$PY" -c "import faiss" 2>/dev/null; then
  /usr/bin/time -v "$PY" tools/bench_faiss.py knn "$pre" $K "$T" >build/bench/retr_faiss.out 2>build/bench/retr_faiss.log
  fa=$(awk '/faiss_knn_seconds/ {print $2}' build/bench/retr_faiss.out)
  fa_rss=$(peak build/bench/retr_faiss.log)
else
  fa=""; fa_rss=""
fi
echo "margin mining ${N}x${N}, d=${D}, k=${K}, ${T} threads"
echo "  xstilts retrieve --mode margin: ${xs_mine} s (k-NN both ways + margin + max retrieval; wall incl. .npy load ${xs_wall}), peak RSS ${xs_rss} MiB, ${npairs} pairs"
if [ -n "$fa" ]; then
  echo "  faiss IndexFlatIP k-NN x->y and y->x: ${fa} s, peak RSS ${fa_rss} MiB"
  awk -v a="$fa" -v b="$xs_mine" 'BEGIN { printf "  speed ratio faiss/xstilts: %.2fx (>1 means xstilts is faster)\n", a / b }'
else
  echo "  faiss not available in tools/.venv: no comparison"
fi
