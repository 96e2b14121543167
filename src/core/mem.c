/* mem.c — xmalloc family and the arena. */
#include "mem.h"
#include "check.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void oom(size_t n) { xs_die("out of memory allocating %zu bytes", n); }

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}
void *xcalloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) oom(count * size);
    return p;
}
void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}
char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }
char *xstrndup(const char *s, size_t n) {
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}
void *xmalloc_aligned(size_t n) {
    void *p = NULL;
    size_t m = (n + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, m ? m : 64) != 0) oom(n);
    memset(p, 0, m ? m : 64);
    return p;
}

void *xalloc_pages(size_t n) {
    void *p = mmap(NULL, n ? n : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) oom(n);
    return p;
}

void xfree_pages(void *p, size_t n) {
    if (p) munmap(p, n ? n : 1);
}

void arena_init(Arena *a, size_t cap) {
    a->base = cap ? xmalloc_aligned(cap) : NULL;
    a->cap = cap;
    a->used = a->peak = 0;
}
void *arena_alloc(Arena *a, size_t n) {
    size_t m = (n + 63) & ~(size_t)63;
    CHECK(a->used + m <= a->cap, "arena too small: need %zu more bytes, %zu of %zu used", m, a->used, a->cap);
    void *p = a->base + a->used;
    a->used += m;
    if (a->used > a->peak) a->peak = a->used;
    return p;
}
float *arena_floats(Arena *a, size_t n) { return arena_alloc(a, n * sizeof(float)); }
void arena_reset(Arena *a) { a->used = 0; }
void arena_free(Arena *a) {
    free(a->base);
    a->base = NULL;
    a->cap = a->used = 0;
}

void *xgrow(void *p, size_t *cap, size_t n, size_t elem, size_t first) {
    if (n < *cap) return p;
    size_t c = *cap ? *cap : first;
    while (c <= n) c *= 2;
    *cap = c;
    return xrealloc(p, c * elem);
}
