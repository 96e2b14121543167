/* mem.h — allocation that never returns NULL (out of memory is fatal), and a bump arena
 * for activations: sized once, reset every step, no malloc in the step loop. */
#ifndef XS_MEM_H
#define XS_MEM_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows array p (elements of `elem` bytes, capacity *cap) so that it holds at least n + 1 elements:
 * capacity doubles, starting at `first`. Returns the (possibly moved) array. */
void *xgrow(void *p, size_t *cap, size_t n, size_t elem, size_t first);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* 64-byte aligned, zeroed; free with xfree_aligned (== free). */
void *xmalloc_aligned(size_t n);
/* n zeroed bytes, page aligned, from fresh anonymous pages (mmap): a page becomes resident only when first written,
 * so a block whose most pages are never written (the word embedding's gradient and Adam moments under lazy rows)
 * costs memory only for the pages that are. Free with xfree_pages(p, n) (not free). */
void *xalloc_pages(size_t n);
void xfree_pages(void *p, size_t n);

typedef struct Arena {
    char *base;   /* 64-byte aligned block */
    size_t cap;   /* bytes */
    size_t used;  /* bytes handed out since the last reset */
    size_t peak;  /* high-water mark, for sizing */
} Arena;

void arena_init(Arena *a, size_t cap);
/* 64-byte aligned; CHECK-fails when the arena is too small (a sizing bug). */
void *arena_alloc(Arena *a, size_t n);
float *arena_floats(Arena *a, size_t n);
void arena_reset(Arena *a);
void arena_free(Arena *a);

#endif
