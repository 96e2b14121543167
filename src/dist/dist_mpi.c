/* dist_mpi.c — dist.h over Open MPI (`make MPI=1`). The all-reduce is a pipelined chain in rank order:
 * rank 0 sends its block chunk by chunk to rank 1, rank r adds its own block to the partial sum it
 * receives from r-1 (partial + x_r) and passes it on, rank N-1 ends with (((x_0 + x_1) + ...) + x_{N-1})
 * and broadcasts it. Every element is summed in the same order on every run, whatever the chunking,
 * so results are bitwise reproducible and equal to a one-process sum in rank order. MPI_Allreduce does
 * not promise an order (its algorithm, hence the rounding, changes with the message size and N). */
#include "dist/dist.h"
#include "core/mem.h"
#include "core/util.h"
#include <limits.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_CHAIN 7301
#define MAX_COUNT ((size_t)1 << 30) /* elements per MPI call (counts are int) */

static MPI_Comm g_comm = MPI_COMM_NULL;
static int g_rank = 0, g_size = 1, g_init = 0, g_owns = 0;
static size_t g_chunk = (size_t)4 << 20;
static void *g_tmp = NULL; /* two receive chunks, grown on demand (no allocation in a steady step) */
static size_t g_tmp_bytes = 0;
static MPI_Request *g_req = NULL;
static size_t g_nreq = 0;

static int mpi_fail(XsErr *err, int rc, const char *what) {
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, s, &len) != MPI_SUCCESS) snprintf(s, sizeof s, "MPI error %d", rc);
    return err_set(err, NULL, 0, "dist: %s failed on rank %d of %d: %s", what, g_rank, g_size, s);
}

int dist_init(XsErr *err) {
    if (g_init) return 0;
    int inited = 0, rc;
    MPI_Initialized(&inited);
    if (!inited) {
        int provided = 0;
        rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Init_thread");
        g_owns = 1;
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    rc = MPI_Comm_dup(MPI_COMM_WORLD, &g_comm);
    if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Comm_dup");
    MPI_Comm_set_errhandler(g_comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(g_comm, &g_rank);
    MPI_Comm_size(g_comm, &g_size);
    g_init = 1;
    if (g_size > 1) {
        char label[64];
        snprintf(label, sizeof label, "rank %d/%d", g_rank, g_size);
        log_set_label(label);
    }
    return 0;
}

void dist_finalize(void) {
    if (!g_init) return;
    MPI_Barrier(g_comm);
    MPI_Comm_free(&g_comm);
    if (g_owns) MPI_Finalize();
    free(g_tmp);
    free(g_req);
    g_tmp = NULL;
    g_req = NULL;
    g_tmp_bytes = g_nreq = 0;
    g_init = g_owns = 0;
    g_rank = 0;
    g_size = 1;
    log_set_label(NULL);
}

int dist_rank(void) { return g_rank; }
int dist_size(void) { return g_size; }
const char *dist_backend(void) { return "mpi"; }
void dist_set_chunk_bytes(size_t bytes) { g_chunk = bytes ? bytes : (size_t)4 << 20; }

static void add_f32(void *x, const void *partial, size_t n) {
    float *a = x;
    const float *p = partial;
    for (size_t i = 0; i < n; i++) a[i] = p[i] + a[i];
}
static void add_f64(void *x, const void *partial, size_t n) {
    double *a = x;
    const double *p = partial;
    for (size_t i = 0; i < n; i++) a[i] = p[i] + a[i];
}

static int bcast_big(void *buf, size_t n, size_t elem, MPI_Datatype dt, int root, XsErr *err) {
    char *b = buf;
    for (size_t off = 0; off < n; off += MAX_COUNT) {
        size_t len = n - off < MAX_COUNT ? n - off : MAX_COUNT;
        int rc = MPI_Bcast(b + off * elem, (int)len, dt, root, g_comm);
        if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "broadcast");
    }
    return 0;
}

static int chain_allreduce(void *buf, size_t n, size_t elem, MPI_Datatype dt, void (*add)(void *, const void *, size_t),
                           XsErr *err) {
    if (!g_init) return err_set(err, NULL, 0, "dist: all-reduce before dist_init");
    if (g_size == 1 || n == 0) return 0;
    size_t S = g_chunk / elem;
    if (S == 0) S = 1;
    if (S > MAX_COUNT) S = MAX_COUNT;
    size_t nch = (n + S - 1) / S;
    int last = g_size - 1, rc;
    char *x = buf;
    if (g_rank > 0 && g_tmp_bytes < 2 * S * elem) {
        free(g_tmp);
        g_tmp = xmalloc(2 * S * elem);
        g_tmp_bytes = 2 * S * elem;
    }
    if (g_rank < last && g_nreq < nch) {
        free(g_req);
        g_req = xmalloc(nch * sizeof *g_req);
        g_nreq = nch;
    }
    MPI_Request rreq[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
    char *tmp[2] = {g_tmp, g_tmp ? (char *)g_tmp + S * elem : NULL};
#define CH_LEN(k) ((k) + 1 < nch ? S : n - (k) * S)
    if (g_rank > 0) {
        rc = MPI_Irecv(tmp[0], (int)CH_LEN(0), dt, g_rank - 1, TAG_CHAIN, g_comm, &rreq[0]);
        if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "all-reduce receive");
    }
    for (size_t k = 0; k < nch; k++) {
        size_t len = CH_LEN(k);
        char *xk = x + k * S * elem;
        if (g_rank > 0) {
            if (k + 1 < nch) {
                rc = MPI_Irecv(tmp[(k + 1) & 1], (int)CH_LEN(k + 1), dt, g_rank - 1, TAG_CHAIN, g_comm, &rreq[(k + 1) & 1]);
                if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "all-reduce receive");
            }
            rc = MPI_Wait(&rreq[k & 1], MPI_STATUS_IGNORE);
            if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "all-reduce receive");
            add(xk, tmp[k & 1], len);
        }
        if (g_rank < last) {
            rc = MPI_Isend(xk, (int)len, dt, g_rank + 1, TAG_CHAIN, g_comm, &g_req[k]);
            if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "all-reduce send");
        }
    }
#undef CH_LEN
    if (g_rank < last) {
        rc = MPI_Waitall((int)nch, g_req, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "all-reduce send");
    }
    return bcast_big(buf, n, elem, dt, last, err);
}

int dist_allreduce_sum(float *buf, size_t n, XsErr *err) {
    return chain_allreduce(buf, n, sizeof(float), MPI_FLOAT, add_f32, err);
}
int dist_allreduce_sum_f64(double *buf, size_t n, XsErr *err) {
    return chain_allreduce(buf, n, sizeof(double), MPI_DOUBLE, add_f64, err);
}

int dist_bcast(void *buf, size_t bytes, int root, XsErr *err) {
    if (!g_init) return err_set(err, NULL, 0, "dist: broadcast before dist_init");
    if (root < 0 || root >= g_size)
        return err_set(err, NULL, 0, "dist: broadcast from rank %d, but there are %d ranks", root, g_size);
    return bcast_big(buf, bytes, 1, MPI_BYTE, root, err);
}

int dist_barrier(XsErr *err) {
    if (!g_init) return err_set(err, NULL, 0, "dist: barrier before dist_init");
    int rc = MPI_Barrier(g_comm);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(err, rc, "barrier");
}

void dist_abort(int code, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "xstilts [rank %d/%d]: %s\n", g_rank, g_size, msg);
    fflush(stderr);
    if (g_init && g_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

static void exit_hook(int code) {
    dist_abort(code, "failed (exit code %d, message above); ending every rank of the job", code);
}
void dist_install_exit_hook(void) {
    if (g_init && g_size > 1) xs_set_exit_hook(exit_hook);
}
