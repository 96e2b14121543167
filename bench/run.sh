#!/usr/bin/env bash
# `make bench`: runs every bench/bench_*.sh in turn (each measures xstilts and its anchor —
# PyTorch, spm_encode, faiss — in the same run and prints the ratio). Results are appended to
# build/bench/results.md; docs/BENCHMARKS.md holds the recorded table.
set -u
cd "$(dirname "$0")/.."
mkdir -p build/bench
out=build/bench/results.md
echo "# make bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" > "$out"
rc=0
for b in bench/bench_*.sh; do
  echo "== $b" | tee -a "$out"
  bash "$b" 2>&1 | tee -a "$out" || { echo "FAILED: $b"; rc=1; }
done
echo "results: $out"
exit $rc
