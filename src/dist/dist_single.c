/* dist_single.c — dist.h for one process (the default build): rank 0 of 1, collectives are no-ops. */
#include "dist/dist.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dist_init(XsErr *err) {
    (void)err;
    return 0;
}
void dist_finalize(void) {}
int dist_rank(void) { return 0; }
int dist_size(void) { return 1; }
const char *dist_backend(void) { return "single"; }
int dist_allreduce_sum(float *buf, size_t n, XsErr *err) {
    (void)buf, (void)n, (void)err;
    return 0;
}
int dist_allreduce_sum_f64(double *buf, size_t n, XsErr *err) {
    (void)buf, (void)n, (void)err;
    return 0;
}
int dist_bcast(void *buf, size_t bytes, int root, XsErr *err) {
    (void)buf, (void)bytes;
    if (root != 0) return err_set(err, NULL, 0, "dist: broadcast from rank %d, but there is one rank", root);
    return 0;
}
int dist_barrier(XsErr *err) {
    (void)err;
    return 0;
}
void dist_abort(int code, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "xstilts [rank 0/1]: %s\n", msg);
    exit(code);
}
void dist_install_exit_hook(void) {}
void dist_set_chunk_bytes(size_t bytes) { (void)bytes; }
