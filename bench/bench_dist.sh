# one update of an e5-small-shaped encoder (hidden 384, 12 layers, XLM-R's 250,002-row vocabulary: a 442 MB
# gradient block) on 2 x 8 x 128 tokens: 1 process with accumulation 2 (1 and 2 threads) against 2 ranks of 1
# thread with one micro-batch each and the all-reduce (tests/mpi_train_seam.c's bench mode)
make --no-print-directory -j2 MPI=1 build/tests/mpi_train_seam >/dev/null || exit 1
for t in 1 2; do
  OMP_NUM_THREADS=$t mpirun --bind-to none -np 1 build/tests/mpi_train_seam bench 384 12 128 8 2 </dev/null
done
OMP_NUM_THREADS=1 mpirun --oversubscribe --bind-to none -np 2 build/tests/mpi_train_seam bench 384 12 128 8 1 </dev/null
