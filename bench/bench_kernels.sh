#!/usr/bin/env bash
# bench_kernels.sh — `make bench`'s part for issue 13: `xstilts bench` (fast kernels checked against the
# reference path, GEMM GFLOP/s vs the best sgemm of the run, inference / training-step tokens/s, peak RSS),
# then bench/compare.sh (PyTorch and ONNX Runtime on the same shapes, interleaved rounds, medians, ratios).
# Env: XS (build/xstilts), THREADS (2); compare.sh's own variables pass through.
set -eu
cd "$(dirname "$0")/.."
XS=${XS:-build/xstilts}
[ -x "$XS" ] || make -j2 >/dev/null
OMP_NUM_THREADS=${THREADS:-2} "$XS" bench --what gemm
bash bench/compare.sh
