/* encoding.c — Encoding storage: init/free/clear (tokenizer.h) and amortised growth (encoding.h).
 * All five arrays grow together so that index i always describes one token. */
#include "tok/encoding.h"
#include "core/mem.h"
#include <stdlib.h>
#include <string.h>

void encoding_init(Encoding *e) { memset(e, 0, sizeof *e); }

void encoding_free(Encoding *e) {
    if (!e) return;
    free(e->ids);
    free(e->type_ids);
    free(e->start);
    free(e->end);
    free(e->seg);
    memset(e, 0, sizeof *e);
}

void encoding_clear(Encoding *e) { e->n = 0; }

void encoding_reserve(Encoding *e, int extra) {
    CHECK(extra >= 0 && e->n >= 0, "bad reserve %d", extra);
    if ((long)e->n + extra <= e->cap) return;
    long cap = e->cap ? e->cap : 16;
    while (cap < (long)e->n + extra) cap *= 2;
    CHECK(cap <= 0x7fffffffL, "encoding too long (%ld tokens)", cap);
    size_t c = (size_t)cap;
    e->ids = xrealloc(e->ids, c * sizeof *e->ids);
    e->type_ids = xrealloc(e->type_ids, c * sizeof *e->type_ids);
    e->start = xrealloc(e->start, c * sizeof *e->start);
    e->end = xrealloc(e->end, c * sizeof *e->end);
    e->seg = xrealloc(e->seg, c * sizeof *e->seg);
    e->cap = (int)cap;
}

void encoding_push(Encoding *e, int32_t id, int32_t type, int32_t start, int32_t end, uint8_t seg) {
    if (e->n >= e->cap) encoding_reserve(e, 1);
    int i = e->n++;
    e->ids[i] = id;
    e->type_ids[i] = type;
    e->start[i] = start;
    e->end[i] = end;
    e->seg[i] = seg;
}

void encoding_append_range(Encoding *dst, const Encoding *src, int from, int to, int32_t type, uint8_t seg) {
    CHECK(from >= 0 && from <= to && to <= src->n, "bad range [%d,%d) of %d", from, to, src->n);
    encoding_reserve(dst, to - from);
    for (int i = from; i < to; i++) encoding_push(dst, src->ids[i], type, src->start[i], src->end[i], seg);
}
