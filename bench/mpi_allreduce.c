/* mpi_allreduce.c [MAX_BYTES [CHUNK_BYTES]] — time of dist_allreduce_sum (the rank-order chain) against MPI_Allreduce (Open MPI's own
 * algorithm choice, no promised order) for float blocks from 4 KiB up to a given size; run under mpirun by
 * bench/bench_dist.sh. Prints one line per size: bytes, best-of-reps seconds of each, algorithm bandwidth
 * (bytes / seconds), and whether MPI_Allreduce's bits equal the chain's. */
#include "core/util.h"
#include "dist/dist.h"
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    XsErr err = {0};
    if (dist_init(&err)) {
        fprintf(stderr, "mpi_allreduce: %s\n", err.msg);
        return 1;
    }
    size_t max_bytes = argc > 1 ? strtoull(argv[1], NULL, 10) : ((size_t)1 << 30);
    if (argc > 2) dist_set_chunk_bytes(strtoull(argv[2], NULL, 10));
    int R = dist_rank(), N = dist_size();
    size_t nmax = max_bytes / sizeof(float);
    float *x = malloc(nmax * sizeof *x), *y = malloc(nmax * sizeof *y);
    if (!x || !y) dist_abort(1, "out of memory for %zu bytes", max_bytes);
    if (R == 0) printf("# %d ranks; best of reps; bandwidth = bytes / time\n# %12s %6s %12s %10s %12s %10s %s\n", N,
                       "bytes", "reps", "chain_s", "chain_GB/s", "mpi_s", "mpi_GB/s", "same_bits");
    for (size_t bytes = 4096; bytes <= max_bytes; bytes = bytes * 4 <= max_bytes || bytes == max_bytes ? bytes * 4 : max_bytes) {
        size_t n = bytes / sizeof(float);
        int reps = bytes <= ((size_t)1 << 20) ? 50 : bytes <= ((size_t)64 << 20) ? 8 : 3;
        double best_c = 1e30, best_m = 1e30;
        int same = 1;
        for (int r = 0; r < reps; r++) {
            for (size_t i = 0; i < n; i++) x[i] = y[i] = (float)((i * 2654435761u + (size_t)R * 40503u) % 1000003) * 1e-3f - 500.f;
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = time_now();
            if (dist_allreduce_sum(x, n, &err)) dist_abort(1, "%s", err.msg);
            double t1 = time_now();
            MPI_Barrier(MPI_COMM_WORLD);
            double t2 = time_now();
            MPI_Allreduce(MPI_IN_PLACE, y, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            double t3 = time_now();
            /* the slowest rank's time counts */
            double t[2] = {t1 - t0, t3 - t2}, tm[2];
            MPI_Allreduce(t, tm, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            if (tm[0] < best_c) best_c = tm[0];
            if (tm[1] < best_m) best_m = tm[1];
            if (r == 0) same = memcmp(x, y, n * sizeof(float)) == 0;
        }
        if (R == 0)
            printf("  %12zu %6d %12.6f %10.3f %12.6f %10.3f %s\n", bytes, reps, best_c, bytes / best_c / 1e9, best_m,
                   bytes / best_m / 1e9, same ? "yes" : "no");
        fflush(stdout);
        if (bytes == max_bytes) break;
    }
    free(x);
    free(y);
    dist_finalize();
    return 0;
}
