/* mpi_dist.c — dist_mpi.c's collectives under mpirun (driven by tests/cli_dist_mpi.sh, np 2 and 3).
 *   mpi_dist            all-reduce (float, double) equals the rank-order sum x_0 + x_1 + ... bit for bit on
 *                       every rank, for sizes around the chunk boundaries and several chunk sizes; every rank
 *                       holds the same bits; broadcast from each root; prints the result's digest (rank 0)
 *                       so the script can compare two runs.
 *   mpi_dist abort R    rank R calls dist_abort while the others wait in an all-reduce.
 *   mpi_dist die R      rank R fails through xs_die (the exit hook) while the others wait.
 *   mpi_dist kill R     rank R is killed (SIGKILL) while the others wait.
 * Exit 0 when every check held; failures are printed with the rank. */
#include "core/check.h"
#include "core/sha256.h"
#include "dist/dist.h"
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_fail = 0;
#define EXPECT(cond, ...)                                                                                           \
    do {                                                                                                            \
        if (!(cond)) {                                                                                              \
            fprintf(stderr, "mpi_dist rank %d: FAIL %s:%d: ", dist_rank(), __FILE__, __LINE__);                     \
            fprintf(stderr, __VA_ARGS__);                                                                           \
            fputc('\n', stderr);                                                                                    \
            g_fail++;                                                                                               \
        }                                                                                                           \
    } while (0)

/* Rank r's value at i: magnitudes spread over 1e-4..1e4 with both signs, so the sum's rounding depends on
 * the order of the additions (a reordering would show). splitmix64 of (r, i, seed). */
static double value(int r, size_t i, uint64_t seed) {
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + (uint64_t)r * 0xBF58476D1CE4E5B9ull + i * 0x94D049BB133111EBull + 1;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    double u = (double)(z >> 11) / 9007199254740992.0; /* [0,1) */
    double mag = 1e-4;
    for (int k = 0; k < (int)(z & 7); k++) mag *= 10;
    return (z & 8 ? -1 : 1) * u * mag;
}

static void check_f32(size_t n, uint64_t seed, uint8_t digest[32]) {
    int R = dist_rank(), N = dist_size();
    float *x = malloc((n ? n : 1) * sizeof *x), *want = malloc((n ? n : 1) * sizeof *want);
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)value(R, i, seed);
        float s = (float)value(0, i, seed);
        for (int r = 1; r < N; r++) s = s + (float)value(r, i, seed); /* rank order */
        want[i] = s;
    }
    XsErr err = {0};
    EXPECT(dist_allreduce_sum(x, n, &err) == 0, "all-reduce n=%zu: %s", n, err.msg);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += memcmp(&x[i], &want[i], sizeof(float)) != 0;
    EXPECT(bad == 0, "float all-reduce n=%zu: %zu elements differ from the rank-order sum", n, bad);
    /* every rank the same bits: rank 0's digest broadcast and compared */
    uint8_t mine[32], root[32];
    Sha256 h;
    sha256_init(&h);
    sha256_update(&h, x, n * sizeof(float));
    sha256_final(&h, mine);
    memcpy(root, mine, 32);
    EXPECT(dist_bcast(root, 32, 0, &err) == 0, "bcast: %s", err.msg);
    EXPECT(memcmp(root, mine, 32) == 0, "float all-reduce n=%zu: rank %d's result differs from rank 0's", n, R);
    if (digest) memcpy(digest, mine, 32);
    free(x);
    free(want);
}

static void check_f64(size_t n, uint64_t seed) {
    int R = dist_rank(), N = dist_size();
    double *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = value(R, i, seed) * 1e10;
    XsErr err = {0};
    EXPECT(dist_allreduce_sum_f64(x, n, &err) == 0, "f64 all-reduce: %s", err.msg);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double s = value(0, i, seed) * 1e10;
        for (int r = 1; r < N; r++) s = s + value(r, i, seed) * 1e10;
        bad += memcmp(&x[i], &s, sizeof s) != 0;
    }
    EXPECT(bad == 0, "double all-reduce n=%zu: %zu elements differ from the rank-order sum", n, bad);
    free(x);
}

static int run_checks(void) {
    int N = dist_size(), R = dist_rank();
    XsErr err = {0};
    /* chunk sizes: 64 B (16 floats: many chunks, odd tails), 4 KiB, the default 4 MiB */
    size_t chunks[] = {64, 4096, 0};
    size_t sizes[] = {0, 1, 15, 16, 17, 1023, 1024, 1025, 100003};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        dist_set_chunk_bytes(chunks[c]);
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) check_f32(sizes[s], 11 + s, NULL);
        check_f64(1000, 3 + c);
    }
    uint8_t digest[32];
    dist_set_chunk_bytes(0);
    check_f32((size_t)3 << 20, 99, digest); /* 12 MiB: three default chunks */
    /* the same block with a different chunking sums to the same bits */
    dist_set_chunk_bytes(12345 * 4);
    uint8_t d2[32];
    check_f32((size_t)3 << 20, 99, d2);
    EXPECT(memcmp(digest, d2, 32) == 0, "the result depends on the chunk size");
    dist_set_chunk_bytes(0);
    /* broadcast from every root */
    for (int root = 0; root < N; root++) {
        unsigned char buf[1000];
        for (int i = 0; i < 1000; i++) buf[i] = (unsigned char)(R == root ? (i * 7 + root) & 255 : 0);
        EXPECT(dist_bcast(buf, sizeof buf, root, &err) == 0, "bcast from %d: %s", root, err.msg);
        int bad = 0;
        for (int i = 0; i < 1000; i++) bad += buf[i] != (unsigned char)((i * 7 + root) & 255);
        EXPECT(bad == 0, "bcast from %d: %d bytes differ", root, bad);
    }
    EXPECT(dist_bcast(digest, 32, N, &err) != 0 && strstr(err.msg, "ranks"), "a root out of range is an error");
    EXPECT(dist_barrier(&err) == 0, "barrier: %s", err.msg);
    if (R == 0) {
        printf("digest ");
        for (int i = 0; i < 32; i++) printf("%02x", digest[i]);
        printf("\n");
    }
    /* every rank's failures count */
    double f = g_fail;
    dist_allreduce_sum_f64(&f, 1, &err);
    if (R == 0) printf("mpi_dist: %d ranks, %s\n", N, f == 0 ? "all checks passed" : "FAILED");
    return f == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    XsErr err = {0};
    if (dist_init(&err)) {
        fprintf(stderr, "mpi_dist: %s\n", err.msg);
        return 1;
    }
    if (strcmp(dist_backend(), "mpi") != 0) {
        fprintf(stderr, "mpi_dist: linked with the %s backend\n", dist_backend());
        return 1;
    }
    if (argc == 1) {
        int rc = run_checks();
        dist_finalize();
        return rc;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: mpi_dist [abort|die|kill RANK]\n");
        return 2;
    }
    dist_install_exit_hook();
    int victim = atoi(argv[2]);
    float x[4] = {1, 2, 3, 4};
    if (dist_rank() == victim) {
        usleep(200000); /* the others are inside the all-reduce by now */
        if (!strcmp(argv[1], "abort")) dist_abort(3, "test abort from rank %d", victim);
        if (!strcmp(argv[1], "die")) xs_die("test failure on rank %d", victim);
        if (!strcmp(argv[1], "kill")) kill(getpid(), SIGKILL);
    }
    /* the survivors wait here; they must be ended by the job, not hang */
    dist_allreduce_sum(x, 4, &err);
    dist_barrier(&err);
    fprintf(stderr, "mpi_dist rank %d: FAIL: still running after rank %d failed\n", dist_rank(), victim);
    dist_finalize();
    return 0;
}
