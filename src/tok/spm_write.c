/* spm_write.c — serializes a SentencePiece ModelProto: the pieces from memory, the other top-level
 * fields copied from a template model (sentencepiece_model.proto; wire format: protobuf encoding). */
#include "tok/spm_write.h"
#include "core/mem.h"
#include "core/util.h"
#include <stdlib.h>
#include <string.h>

typedef struct Buf { uint8_t *p; size_t n, cap; } Buf;

static void put(Buf *b, const void *s, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}
static void put_varint(Buf *b, uint64_t v) {
    uint8_t t[10];
    int k = 0;
    do {
        t[k++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    put(b, t, (size_t)k);
}
static void put_tag(Buf *b, uint32_t field, int wire) { put_varint(b, ((uint64_t)field << 3) | (uint64_t)wire); }

/* A raw view of one field of a serialized message: [start, end) covers tag and payload. */
typedef struct Field { uint32_t num; int wire; uint64_t v; const uint8_t *start, *end, *pay; size_t paylen; } Field;

static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    uint64_t x = 0;
    for (int s = 0; s < 64 && *p < end; s += 7) {
        uint8_t c = *(*p)++;
        x |= (uint64_t)(c & 0x7f) << s;
        if (!(c & 0x80)) { *v = x; return 0; }
    }
    return -1;
}

/* Next field of [*p, end); 1 = got one, 0 = end, -1 = malformed. */
static int next_field(const uint8_t **p, const uint8_t *end, Field *f) {
    if (*p >= end) return 0;
    f->start = *p;
    uint64_t tag;
    if (get_varint(p, end, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) return -1;
    f->num = (uint32_t)(tag >> 3);
    f->wire = (int)(tag & 7);
    f->pay = *p;
    switch (f->wire) {
    case 0: if (get_varint(p, end, &f->v)) return -1; break;
    case 1: if (end - *p < 8) return -1; *p += 8; break;
    case 5: if (end - *p < 4) return -1; *p += 4; break;
    case 2:
        if (get_varint(p, end, &f->v) || f->v > (uint64_t)(end - *p)) return -1;
        f->pay = *p;
        *p += f->v;
        break;
    default: return -1;
    }
    f->paylen = (size_t)(*p - f->pay);
    f->end = *p;
    return 1;
}

int spm_write_model(const char *path, const char *const *pieces, const float *scores, const uint8_t *types, int n,
                    const char *template_path, XsErr *err) {
    size_t tlen = 0;
    uint8_t *tpl = (uint8_t *)file_read_all(template_path, &tlen, err);
    if (!tpl) return -1;
    Buf out = {0}, msg = {0};
    int rc = -1;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(pieces[i]);
        msg.n = 0;
        put_tag(&msg, 1, 2);
        put_varint(&msg, len);
        put(&msg, pieces[i], len);
        put_tag(&msg, 2, 5);
        uint32_t bits;
        memcpy(&bits, &scores[i], 4);
        uint8_t le[4] = {(uint8_t)bits, (uint8_t)(bits >> 8), (uint8_t)(bits >> 16), (uint8_t)(bits >> 24)};
        put(&msg, le, 4);
        put_tag(&msg, 3, 0);
        put_varint(&msg, types[i]);
        put_tag(&out, 1, 2);
        put_varint(&out, msg.n);
        put(&out, msg.p, msg.n);
    }
    const uint8_t *p = tpl, *end = tpl + tlen;
    Field f;
    int r, have_trainer = 0;
    while ((r = next_field(&p, end, &f)) == 1) {
        if (f.num == 1) continue; /* the template's own pieces */
        if (f.num != 2) { put(&out, f.start, (size_t)(f.end - f.start)); continue; }
        if (f.wire != 2) break;
        /* trainer_spec: every field as it is, but TrainerSpec.vocab_size (field 4) set to n. */
        have_trainer = 1;
        msg.n = 0;
        const uint8_t *q = f.pay, *qend = f.pay + f.paylen;
        Field g;
        int rr;
        while ((rr = next_field(&q, qend, &g)) == 1) {
            if (g.num == 4 && g.wire == 0) {
                put_tag(&msg, 4, 0);
                put_varint(&msg, (uint64_t)n);
            } else put(&msg, g.start, (size_t)(g.end - g.start));
        }
        if (rr < 0) { r = -1; break; }
        put_tag(&out, 2, 2);
        put_varint(&out, msg.n);
        put(&out, msg.p, msg.n);
    }
    if (r < 0 || (r == 1 && f.wire != 2)) {
        err_set(err, template_path, 0, "corrupt SentencePiece model (protobuf field at byte %zu)", (size_t)(f.start - tpl));
        goto done;
    }
    if (!have_trainer) {
        err_set(err, template_path, 0, "expected a trainer_spec in the template SentencePiece model");
        goto done;
    }
    rc = file_write_atomic(path, out.p, out.n, err);
done:
    free(tpl);
    free(out.p);
    free(msg.p);
    return rc;
}
