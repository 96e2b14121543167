#!/usr/bin/env bash
# bench_dist.sh — all-reduce time and bandwidth with 2 ranks on this machine (shared memory between two
# processes, 1 thread each): the rank-order chain (dist_allreduce_sum) against MPI_Allreduce, 4 KiB up to
# DIST_BENCH_MAX bytes (default 1.1e9: XLM-R base's gradient block, ~1.1 GB). Needs Open MPI (make MPI=1).
# docs/SCALING.md records the numbers and the model built on them.
set -u
cd "$(dirname "$0")/.."
command -v mpirun >/dev/null 2>&1 || { echo "bench_dist: no mpirun (make deps installs Open MPI)"; exit 0; }
make --no-print-directory -j2 MPI=1 build/bench/mpi_allreduce >/dev/null || exit 1
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun --oversubscribe --bind-to none -np "${DIST_BENCH_NP:-2}" build/bench/mpi_allreduce "${DIST_BENCH_MAX:-1115684864}" ${DIST_BENCH_CHUNK:-} </dev/null
# one update of an e5-small-shaped encoder (hidden 384, 12 layers, XLM-R's 250,002-row vocabulary: a 442 MB
# gradient block) on 2 x 8 x 128 tokens: 1 process with accumulation 2 (1 and 2 threads) against 2 ranks of 1
# thread with one micro-batch each and the all-reduce (tests/mpi_train_seam.c's bench mode)
make --no-print-directory -j2 MPI=1 build/tests/mpi_train_seam >/dev/null || exit 1
for t in 1 2; do
  OMP_NUM_THREADS=$t mpirun --bind-to none -np 1 build/tests/mpi_train_seam bench 384 12 128 8 2 </dev/null
done
OMP_NUM_THREADS=1 mpirun --oversubscribe --bind-to none -np 2 build/tests/mpi_train_seam bench 384 12 128 8 1 </dev/null
