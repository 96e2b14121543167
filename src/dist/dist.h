/* dist.h — the few collectives data-parallel training needs: init, rank, world size, an in-place sum
 * all-reduce of one block in a FIXED order (bitwise the same result on every rank and in every run),
 * broadcast, barrier, abort. Two implementations of this one header: dist_single.c (one process, no MPI:
 * the default build, in libxstilts.a) and dist_mpi.c (Open MPI: `make MPI=1` links it into
 * build/xstilts-mpi ahead of the library, so the archive's single-process object is never pulled in).
 * Code above depends only on this header. Library rule: nothing here exits except dist_abort.
 *
 * The all-reduce's order: x = (((x_0 + x_1) + x_2) + ... + x_{N-1}) element by element, in rank order,
 * whatever the block size (a pipelined chain 0 -> 1 -> ... -> N-1 in chunks, then a broadcast from N-1),
 * so the sum of N ranks equals a single process that adds the N blocks in that order. */
#ifndef XS_DIST_H
#define XS_DIST_H
#include "core/check.h"
#include <stddef.h>

/* Starts the backend (MPI_Init_thread, FUNNELED: OpenMP threads compute, the main thread communicates).
 * Needs no argc/argv (mpirun passes what MPI needs in the environment). Calling it again is a no-op.
 * A program started without mpirun is one rank of one (MPI singleton). */
int dist_init(XsErr *err);
/* Ends the backend after a barrier (MPI_Finalize); a no-op when not initialized. */
void dist_finalize(void);
/* This process's rank in [0, size) and the number of ranks (0 and 1 before dist_init). */
int dist_rank(void);
int dist_size(void);
/* "single" or "mpi". */
const char *dist_backend(void);

/* In-place element-wise sum over the ranks of buf[0..n), in rank order (see above); every rank ends with
 * the same bits. n must be equal on every rank. One rank: nothing to do. */
int dist_allreduce_sum(float *buf, size_t n, XsErr *err);
/* The same for doubles (small statistics: losses, token counts). */
int dist_allreduce_sum_f64(double *buf, size_t n, XsErr *err);
/* buf[0..bytes) from root to every rank. */
int dist_bcast(void *buf, size_t bytes, int root, XsErr *err);
int dist_barrier(XsErr *err);
/* Prints "xstilts [rank R/N]: message" on stderr and ends the whole job with exit code `code`
 * (MPI_Abort: the other ranks are killed rather than left waiting in a collective). */
XS_NORETURN void dist_abort(int code, const char *fmt, ...) XS_PRINTF(2, 3);
/* Installs dist_abort as the exit path of xs_die / CHECK (core/check.h's xs_set_exit_hook) when there is
 * more than one rank, so a rank that fails takes the job down with its message. */
void dist_install_exit_hook(void);

/* The chunk (in bytes) the chain all-reduce pipelines; 0 = the default (4 MiB). For benchmarks. */
void dist_set_chunk_bytes(size_t bytes);

#endif
