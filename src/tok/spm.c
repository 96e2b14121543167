/* spm.c — SentencePiece model reading (the ModelProto protobuf, parsed by hand), the piece trie and
 * the two encoders (unigram Viterbi, BPE merges). The normalizer lives in spm_normalize.c; XLM-R's
 * id layout, specials and pairs are left to tokenizer.c. */
#include "tok/spm_internal.h"
#include "core/mem.h"
#include "core/util.h"
#include "tok/encoding.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- protobuf wire format */

typedef struct {
    const uint8_t *p, *end, *base;
    const char *name;
    XsErr *err;
} Pb;

static int pb_fail(Pb *b, const char *what) {
    return err_set(b->err, b->name, 0, "corrupt SentencePiece model: %s at byte %ld (expected a serialized ModelProto)",
                   what, (long)(b->p - b->base));
}

static int pb_varint(Pb *b, uint64_t *v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (b->p >= b->end) return pb_fail(b, "truncated varint");
        uint8_t c = *b->p++;
        r |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) { *v = r; return 0; }
    }
    return pb_fail(b, "varint longer than 10 bytes");
}

/* Reads a tag; returns 1 with field/wire set, 0 at the end of the message, -1 on error. */
static int pb_tag(Pb *b, uint32_t *field, int *wire) {
    if (b->p >= b->end) return 0;
    uint64_t t;
    if (pb_varint(b, &t)) return -1;
    *field = (uint32_t)(t >> 3);
    *wire = (int)(t & 7);
    if (*field == 0) return pb_fail(b, "field number 0");
    return 1;
}

/* A length-delimited payload: [*s, *s + *n). */
static int pb_bytes(Pb *b, const uint8_t **s, size_t *n) {
    uint64_t len;
    if (pb_varint(b, &len)) return -1;
    if (len > (uint64_t)(b->end - b->p)) return pb_fail(b, "length-delimited field runs past the end (truncated file?)");
    *s = b->p;
    *n = (size_t)len;
    b->p += len;
    return 0;
}

static int pb_fixed32(Pb *b, uint32_t *v) {
    if (b->end - b->p < 4) return pb_fail(b, "truncated fixed32");
    *v = (uint32_t)b->p[0] | (uint32_t)b->p[1] << 8 | (uint32_t)b->p[2] << 16 | (uint32_t)b->p[3] << 24;
    b->p += 4;
    return 0;
}

/* Skips an unknown field by its wire type (forward compatibility, as protobuf does). */
static int pb_skip(Pb *b, int wire) {
    uint64_t v;
    const uint8_t *s;
    size_t n;
    switch (wire) {
    case 0: return pb_varint(b, &v);
    case 1:
        if (b->end - b->p < 8) return pb_fail(b, "truncated fixed64");
        b->p += 8;
        return 0;
    case 2: return pb_bytes(b, &s, &n);
    case 5: {
        uint32_t x;
        return pb_fixed32(b, &x);
    }
    default: return pb_fail(b, "unsupported wire type");
    }
}

static Pb pb_sub(const Pb *b, const uint8_t *s, size_t n) {
    Pb c = *b;
    c.p = s;
    c.end = s + n;
    return c;
}

static int pb_expect(Pb *b, int wire, int want, const char *field) {
    if (wire == want) return 0;
    return err_set(b->err, b->name, 0, "corrupt SentencePiece model: field %s has wire type %d, expected %d (at byte %ld)",
                   field, wire, want, (long)(b->p - b->base));
}

/* ---------------------------------------------------------------- piece trie */

/* The trie is built with its edges (node, byte) -> child in a temporary open-addressing hash table,
 * then laid out breadth-first with each node's children contiguous and sorted (spm_trie_child):
 * the hot upper levels share a few cache lines, which is what makes the Viterbi fast. */
typedef struct {
    uint64_t *ht;
    size_t mask;
} EdgeHash;

static uint64_t edge_hash(uint32_t key) { return (uint64_t)key * 0x9E3779B97F4A7C15ull; }

static uint32_t eh_get(const EdgeHash *h, uint32_t node, uint8_t c) {
    uint32_t key = node << 8 | c;
    size_t i = (size_t)(edge_hash(key) >> 40) & h->mask;
    for (;;) {
        uint64_t e = h->ht[i];
        if (e == UINT64_MAX) return 0;
        if ((uint32_t)(e >> 32) == key) return (uint32_t)e;
        i = (i + 1) & h->mask;
    }
}

static void eh_put(EdgeHash *h, uint32_t key, uint32_t child) {
    size_t i = (size_t)(edge_hash(key) >> 40) & h->mask;
    while (h->ht[i] != UINT64_MAX) i = (i + 1) & h->mask;
    h->ht[i] = (uint64_t)key << 32 | child;
}

typedef struct {
    uint32_t parent, child;
    uint8_t label;
} Edge;

static int edge_cmp(const void *a, const void *b) {
    const Edge *x = a, *y = b;
    if (x->parent != y->parent) return x->parent < y->parent ? -1 : 1;
    return (int)x->label - (int)y->label;
}

static int build_trie(SpmModel *m, const char *name, XsErr *err) {
    size_t total = 1;
    for (int i = 0; i < m->n; i++) total += m->plen[i];
    if (total >= (1u << 24)) return err_set(err, name, 0, "SentencePiece vocabulary too large (%zu bytes of pieces)", total);
    size_t cap = 1024; /* nodes <= total bytes, and usually far fewer: load factor <= 0.8 */
    while (cap < total + total / 4) cap *= 2;
    EdgeHash h = {xmalloc(cap * sizeof(uint64_t)), cap - 1};
    memset(h.ht, 0xff, cap * sizeof(uint64_t));
    int32_t *id = xmalloc(total * sizeof *id);
    id[0] = -1;
    uint32_t nodes = 1;
    int rc = 0;
    for (int i = 0; i < m->n && rc == 0; i++) {
        const uint8_t *s = (const uint8_t *)m->piece[i];
        uint32_t node = 0;
        for (uint32_t k = 0; k < m->plen[i]; k++) {
            uint32_t ch = eh_get(&h, node, s[k]);
            if (!ch) {
                ch = nodes++;
                id[ch] = -1;
                eh_put(&h, node << 8 | s[k], ch);
            }
            node = ch;
        }
        if (id[node] >= 0)
            rc = err_set(err, name, 0, "SentencePiece piece '%s' is defined twice (ids %d and %d)", m->piece[i], id[node], i);
        else id[node] = i;
    }
    if (rc) {
        free(h.ht);
        free(id);
        return rc;
    }
    /* edges grouped by parent, sorted by label (CSR over the old numbering) */
    uint32_t ne = nodes - 1, k = 0;
    Edge *ed = xmalloc((ne + 1) * sizeof *ed);
    for (size_t i = 0; i <= h.mask; i++)
        if (h.ht[i] != UINT64_MAX) {
            uint32_t key = (uint32_t)(h.ht[i] >> 32);
            ed[k++] = (Edge){key >> 8, (uint32_t)h.ht[i], (uint8_t)(key & 0xff)};
        }
    CHECK(k == ne, "trie edges %u vs %u", k, ne);
    free(h.ht);
    qsort(ed, ne, sizeof *ed, edge_cmp);
    uint32_t *ofirst = xcalloc(nodes + 1, sizeof *ofirst);
    for (uint32_t e = 0; e < ne; e++) ofirst[ed[e].parent + 1]++;
    for (uint32_t v = 0; v < nodes; v++) ofirst[v + 1] += ofirst[v];
    /* breadth-first renumbering */
    uint32_t *order = xmalloc(nodes * sizeof *order), *newid = xmalloc(nodes * sizeof *newid);
    uint32_t qn = 1;
    order[0] = 0;
    newid[0] = 0;
    for (uint32_t q = 0; q < qn; q++)
        for (uint32_t e = ofirst[order[q]]; e < ofirst[order[q] + 1]; e++) {
            newid[ed[e].child] = qn;
            order[qn++] = ed[e].child;
        }
    CHECK(qn == nodes, "trie BFS reached %u of %u nodes", qn, nodes);
    m->tnode = xmalloc((nodes + 1) * sizeof *m->tnode);
    m->tlabel = xmalloc(ne + 1);
    m->tchild = xmalloc((ne + 1) * sizeof *m->tchild);
    uint32_t at = 0;
    for (uint32_t v = 0; v < nodes; v++) {
        uint32_t old = order[v];
        m->tnode[v].first = at;
        m->tnode[v].id = id[old];
        for (uint32_t e = ofirst[old]; e < ofirst[old + 1]; e++) {
            m->tlabel[at] = ed[e].label;
            m->tchild[at++] = newid[ed[e].child];
        }
    }
    m->tnode[nodes].first = at;
    m->tnode[nodes].id = -1;
    memset(m->root, 0, sizeof m->root);
    for (uint32_t e = m->tnode[0].first; e < m->tnode[1].first; e++) m->root[m->tlabel[e]] = m->tchild[e];
    m->nnodes = nodes;
    /* dense child tables for wide nodes: one load instead of a binary search */
    uint32_t nd = 0;
    m->dense = xmalloc(nodes * sizeof *m->dense);
    for (uint32_t v = 0; v < nodes; v++) m->dense[v] = v > 0 && m->tnode[v + 1].first - m->tnode[v].first > 16 ? (int32_t)nd++ : -1;
    m->dpool = xcalloc((size_t)nd * 256 + 1, sizeof *m->dpool);
    for (uint32_t v = 0; v < nodes; v++)
        if (m->dense[v] >= 0)
            for (uint32_t e = m->tnode[v].first; e < m->tnode[v + 1].first; e++)
                m->dpool[(size_t)m->dense[v] * 256 + m->tlabel[e]] = m->tchild[e];
    free(order);
    free(newid);
    free(ofirst);
    free(ed);
    free(id);
    return 0;
}

int spm_piece_id(const SpmModel *m, const char *piece, size_t len) {
    uint32_t node = 0;
    for (size_t k = 0; k < len; k++) {
        node = spm_trie_child(m, node, (uint8_t)piece[k]);
        if (!node) return -1;
    }
    return len ? m->tnode[node].id : -1;
}

/* ---------------------------------------------------------------- loading */

static int parse_piece(Pb *b, SpmModel *m, int idx, char **blobp, size_t *bcap, size_t *bn) {
    uint32_t f;
    int w, r;
    const uint8_t *s = NULL;
    size_t n = 0;
    int have = 0;
    float score = 0;
    int type = SPM_NORMAL;
    while ((r = pb_tag(b, &f, &w)) == 1) {
        if (f == 1) {
            if (pb_expect(b, w, 2, "SentencePiece.piece") || pb_bytes(b, &s, &n)) return -1;
            have = 1;
        } else if (f == 2) {
            uint32_t x;
            if (pb_expect(b, w, 5, "SentencePiece.score") || pb_fixed32(b, &x)) return -1;
            memcpy(&score, &x, 4);
        } else if (f == 3) {
            uint64_t v;
            if (pb_expect(b, w, 0, "SentencePiece.type") || pb_varint(b, &v)) return -1;
            if (v < 1 || v > 6) return err_set(b->err, b->name, 0, "SentencePiece piece %d has type %llu, expected 1..6", idx,
                                               (unsigned long long)v);
            type = (int)v;
        } else if (pb_skip(b, w)) return -1;
    }
    if (r < 0) return -1;
    if (!have || n == 0) return err_set(b->err, b->name, 0, "SentencePiece piece %d is empty (expected a non-empty piece)", idx);
    if (memchr(s, 0, n)) return err_set(b->err, b->name, 0, "SentencePiece piece %d contains a NUL byte", idx);
    while (*bn + n + 1 > *bcap) {
        *bcap *= 2;
        *blobp = xrealloc(*blobp, *bcap);
    }
    memcpy(*blobp + *bn, s, n);
    (*blobp)[*bn + n] = 0;
    m->poff[idx] = (uint32_t)*bn;
    m->plen[idx] = (uint32_t)n;
    m->score[idx] = score;
    m->type[idx] = (uint8_t)type;
    *bn += n + 1;
    return 0;
}

static int parse_trainer(Pb *b, SpmModel *m) {
    uint32_t f;
    int w, r;
    while ((r = pb_tag(b, &f, &w)) == 1) {
        uint64_t v;
        if (f == 3 || f == 35 || f == 24 || f == 40) {
            if (pb_expect(b, w, 0, "TrainerSpec") || pb_varint(b, &v)) return -1;
            if (f == 3) m->model_type = (int)v;
            if (f == 35) m->byte_fallback = v != 0;
            if (f == 24) m->ws_suffix = v != 0;
        } else if (pb_skip(b, w)) return -1;
    }
    return r;
}

static int parse_normalizer(Pb *b, SpmModel *m) {
    uint32_t f;
    int w, r;
    while ((r = pb_tag(b, &f, &w)) == 1) {
        uint64_t v;
        if (f == 2) {
            const uint8_t *s = NULL;
            size_t n = 0;
            if (pb_expect(b, w, 2, "NormalizerSpec.precompiled_charsmap") || pb_bytes(b, &s, &n)) return -1;
            if (spm_charsmap_load(m, s, n, b->name, b->err)) return -1;
        } else if (f >= 3 && f <= 5) {
            if (pb_expect(b, w, 0, "NormalizerSpec") || pb_varint(b, &v)) return -1;
            if (f == 3) m->add_dummy_prefix = v != 0;
            if (f == 4) m->remove_extra_ws = v != 0;
            if (f == 5) m->escape_ws = v != 0;
        } else if (pb_skip(b, w)) return -1;
    }
    return r;
}

SpmModel *spm_load_buffer(const uint8_t *buf, size_t len, const char *name, XsErr *err) {
    SpmModel *m = xcalloc(1, sizeof *m);
    m->model_type = SPM_MODEL_UNIGRAM;
    m->add_dummy_prefix = m->remove_extra_ws = m->escape_ws = 1;
    m->unk_id = -1;
    Pb b = {buf, buf + len, buf, name, err};
    /* Pass 1: count pieces so the arrays are sized once. */
    uint32_t f;
    int w, r;
    int npieces = 0;
    while ((r = pb_tag(&b, &f, &w)) == 1) {
        if (f >= 1 && f <= 3 && w != 2) {
            pb_expect(&b, w, 2, f == 1 ? "ModelProto.pieces" : f == 2 ? "ModelProto.trainer_spec" : "ModelProto.normalizer_spec");
            goto fail;
        }
        if (f == 1) npieces++;
        if (pb_skip(&b, w)) goto fail;
    }
    if (r < 0) goto fail;
    if (npieces == 0) {
        err_set(err, name, 0, "not a SentencePiece model: no pieces found (expected a serialized ModelProto)");
        goto fail;
    }
    m->n = npieces;
    m->poff = xmalloc((size_t)npieces * sizeof *m->poff);
    m->plen = xmalloc((size_t)npieces * sizeof *m->plen);
    m->score = xmalloc((size_t)npieces * sizeof *m->score);
    m->type = xmalloc((size_t)npieces);
    size_t bcap = 4096, bn = 0;
    m->blob = xmalloc(bcap);
    b.p = buf;
    int idx = 0;
    while ((r = pb_tag(&b, &f, &w)) == 1) {
        const uint8_t *s;
        size_t n;
        if (f >= 1 && f <= 3 && w == 2) {
            if (pb_bytes(&b, &s, &n)) goto fail;
            Pb sub = pb_sub(&b, s, n);
            int rr = f == 1 ? parse_piece(&sub, m, idx++, &m->blob, &bcap, &bn) : f == 2 ? parse_trainer(&sub, m)
                                                                                            : parse_normalizer(&sub, m);
            if (rr < 0) goto fail;
        } else if (pb_skip(&b, w)) goto fail;
    }
    if (r < 0) goto fail;
    m->piece = xmalloc((size_t)m->n * sizeof *m->piece);
    for (int i = 0; i < m->n; i++) m->piece[i] = m->blob + m->poff[i];
    if (m->model_type != SPM_MODEL_UNIGRAM && m->model_type != SPM_MODEL_BPE) {
        err_set(err, name, 0, "SentencePiece model_type %d is not supported (expected UNIGRAM=1 or BPE=2)", m->model_type);
        goto fail;
    }
    if (build_trie(m, name, err)) goto fail;
    m->min_score = FLT_MAX;
    for (int i = 0; i < m->n; i++) {
        int t = m->type[i];
        if (isnan(m->score[i]) || isinf(m->score[i])) {
            err_set(err, name, 0, "SentencePiece piece %d has score %g (expected a finite number)", i, (double)m->score[i]);
            goto fail;
        }
        if (t == SPM_UNKNOWN) {
            if (m->unk_id >= 0) {
                err_set(err, name, 0, "SentencePiece model defines <unk> twice (ids %d and %d)", m->unk_id, i);
                goto fail;
            }
            m->unk_id = i;
        }
        if (t == SPM_USER_DEFINED) m->has_user_defined = 1;
        if (t == SPM_NORMAL && m->score[i] < m->min_score) m->min_score = m->score[i];
    }
    if (m->unk_id < 0) {
        err_set(err, name, 0, "SentencePiece model has no UNKNOWN piece (expected one <unk>)");
        goto fail;
    }
    for (int c = 0; c < 256; c++) {
        char p[8];
        snprintf(p, sizeof p, "<0x%02X>", c);
        int id = spm_piece_id(m, p, 6);
        m->byte_id[c] = id >= 0 ? id : m->unk_id;
    }
    return m;
fail:
    spm_free(m);
    return NULL;
}

SpmModel *spm_load(const char *path, XsErr *err) {
    size_t len;
    char *buf = file_read_all(path, &len, err);
    if (!buf) return NULL;
    SpmModel *m = spm_load_buffer((const uint8_t *)buf, len, path, err);
    free(buf);
    return m;
}

void spm_free(SpmModel *m) {
    if (!m) return;
    free(m->poff);
    free(m->plen);
    free(m->score);
    free(m->type);
    free(m->blob);
    free(m->piece);
    free(m->tnode);
    free(m->tlabel);
    free(m->tchild);
    free(m->dense);
    free(m->dpool);
    free(m->cm_array);
    free(m->cm_norm);
    free(m);
}

int spm_size(const SpmModel *m) { return m->n; }
int spm_model_type(const SpmModel *m) { return m->model_type; }
int spm_unk_id(const SpmModel *m) { return m->unk_id; }
int spm_byte_fallback(const SpmModel *m) { return m->byte_fallback; }
const char *spm_piece(const SpmModel *m, int id) { return id >= 0 && id < m->n ? m->piece[id] : NULL; }
int spm_piece_type(const SpmModel *m, int id) { return id >= 0 && id < m->n ? m->type[id] : 0; }
float spm_piece_score(const SpmModel *m, int id) { return id >= 0 && id < m->n ? m->score[id] : 0.0f; }

/* ---------------------------------------------------------------- unigram */

typedef struct {
    float score;
    int32_t start; /* -1 = not reached */
    int32_t id;
} Best;

/* Model::EncodeOptimized (unigram_model.cc of sentencepiece 0.2.3, the python reference): Viterbi
 * over byte positions with the lattice built on the fly, in float, with the same tie-breaking (the
 * first candidate wins, strict >) and the same score re-basing: once the running score leaves
 * +-1e5 it is subtracted from every reached position, which changes float rounding on long texts.
 * Appends (start, end, id) triples of the best path to res. */
static void unigram_viterbi(const SpmModel *m, const char *s, int size, Best *best, int32_t *res, int *nres) {
    const float unk_score = m->min_score - 10.0f; /* kUnkPenalty */
    for (int i = 0; i <= size; i++) best[i] = (Best){0.0f, -1, -1};
    int max_frontier = 0;
    for (int at = 0; at < size;) {
        float here = best[at].score;
        if (here < -100000.0f || here > 100000.0f) { /* kScoreResetThreshold */
            const float offset = here;
            for (int i = at; i <= max_frontier; i++)
                if (i == at || best[i].start != -1) best[i].score -= offset;
            here = 0.0f;
        }
        int mblen = spm_one_char_len((uint8_t)s[at]);
        if (mblen > size - at) mblen = size - at;
        int has_single = 0;
        uint32_t node = 0;
        for (int k = at; k < size; k++) {
            node = spm_trie_child(m, node, (uint8_t)s[k]);
            if (!node) break;
            int id = m->tnode[node].id;
            if (id < 0) continue;
            int t = m->type[id];
            if (t != SPM_NORMAL && t != SPM_USER_DEFINED) continue; /* UNUSED skipped; others are not in spm's trie */
            int len = k + 1 - at;
            if (k + 1 > max_frontier) max_frontier = k + 1;
            Best *tg = &best[k + 1];
            /* GetUserDefinedScore: a bonus so user-defined symbols always win */
            const float score = t == SPM_USER_DEFINED ? (float)(0.1 * (len - 1)) : m->score[id];
            const float cand = score + here;
            if (tg->start == -1 || cand > tg->score) *tg = (Best){cand, at, id};
            if (len == mblen) has_single = 1;
        }
        if (!has_single) {
            if (at + mblen > max_frontier) max_frontier = at + mblen;
            Best *tg = &best[at + mblen];
            const float cand = unk_score + here;
            if (tg->start == -1 || cand > tg->score) *tg = (Best){cand, at, m->unk_id};
        }
        at += mblen;
    }
    int n = 0;
    for (int end = size; end > 0; end = best[end].start) n++;
    int k = n;
    for (int end = size; end > 0; end = best[end].start) {
        k--;
        res[3 * k] = best[end].start;
        res[3 * k + 1] = end;
        res[3 * k + 2] = best[end].id;
    }
    *nres = n;
}

/* ---------------------------------------------------------------- BPE */

typedef struct {
    int left, right, size;
    float score;
} Pair;
typedef struct {
    int prev, next, start, len, freeze;
} Sym;

/* std::priority_queue order of bpe_model.cc: higher score first, then the leftmost pair. */
static int pair_before(const Pair *a, const Pair *b) {
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

typedef struct {
    Pair *v;
    int n, cap;
} Heap;

static void heap_push(Heap *h, Pair p) {
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->v = xrealloc(h->v, (size_t)h->cap * sizeof *h->v);
    }
    int i = h->n++;
    while (i > 0) {
        int par = (i - 1) / 2;
        if (!pair_before(&p, &h->v[par])) break;
        h->v[i] = h->v[par];
        i = par;
    }
    h->v[i] = p;
}

static Pair heap_pop(Heap *h) {
    Pair top = h->v[0], last = h->v[--h->n];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && pair_before(&h->v[c + 1], &h->v[c])) c++;
        if (!pair_before(&h->v[c], &last)) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n > 0) h->v[i] = last;
    return top;
}

static int bpe_lookup(const SpmModel *m, const char *s, int start, int len) {
    int id = spm_piece_id(m, s + start, (size_t)len);
    if (id < 0) return -1;
    int t = m->type[id];
    return t == SPM_NORMAL || t == SPM_USER_DEFINED || t == SPM_UNUSED ? id : -1;
}

static void bpe_add(const SpmModel *m, const char *s, Sym *sym, Heap *h, int l, int r) {
    if (l < 0 || r < 0 || sym[l].freeze || sym[r].freeze) return;
    int len = sym[l].len + sym[r].len;
    int id = bpe_lookup(m, s, sym[l].start, len);
    if (id < 0) return;
    heap_push(h, (Pair){l, r, len, m->score[id]});
}

/* Splits an UNUSED merged piece back into the two symbols it was made of (bpe_model.cc's
 * rev_merge + resegment). The split is recorded as the length of the left part. */
typedef struct {
    int start, len, left_len;
} RevMerge;

static void bpe_emit(const SpmModel *m, const char *s, int start, int len, const RevMerge *rv, int nrv, int32_t *res,
                     int *nres, int depth) {
    int id = spm_piece_id(m, s + start, (size_t)len);
    if (depth > 100) { /* kMaxBpeResegmentDepth: emitted as it is */
        if (id < 0) id = m->unk_id;
    } else if (id < 0 || (m->type[id] != SPM_NORMAL && m->type[id] != SPM_USER_DEFINED && m->type[id] != SPM_UNUSED)) {
        id = m->unk_id; /* unknown strings and reserved pieces (control / byte / unknown) */
    } else if (m->type[id] == SPM_UNUSED) {
        for (int i = nrv - 1; i >= 0; i--) /* the latest split recorded for this string */
            if (rv[i].len == len && !memcmp(s + rv[i].start, s + start, (size_t)len)) {
                bpe_emit(m, s, start, rv[i].left_len, rv, nrv, res, nres, depth + 1);
                bpe_emit(m, s, start + rv[i].left_len, len - rv[i].left_len, rv, nrv, res, nres, depth + 1);
                return;
            }
        id = m->unk_id; /* no recorded split */
    }
    res[3 * *nres] = start;
    res[3 * *nres + 1] = start + len;
    res[3 * *nres + 2] = id;
    (*nres)++;
}

/* Model::SampleEncode with alpha = 0 (bpe_model.cc). res needs 3*size entries. */
static void bpe_encode(const SpmModel *m, const char *s, int size, int32_t *res, int *nres) {
    Sym *sym = xmalloc((size_t)size * sizeof *sym);
    int ns = 0;
    for (int at = 0; at < size;) {
        int freeze = 0, len = spm_prefix_match(m, s + at, (size_t)(size - at), &freeze);
        sym[ns] = (Sym){ns - 1, at + len < size ? ns + 1 : -1, at, len, freeze};
        ns++;
        at += len;
    }
    Heap h = {0};
    RevMerge *rv = NULL;
    int nrv = 0, crv = 0;
    for (int i = 1; i < ns; i++) bpe_add(m, s, sym, &h, i - 1, i);
    while (h.n > 0) {
        Pair top = heap_pop(&h);
        Sym *L = &sym[top.left], *R = &sym[top.right];
        if (L->len == 0 || R->len == 0 || L->len + R->len != top.size) continue;
        int id = bpe_lookup(m, s, L->start, top.size);
        if (id >= 0 && m->type[id] == SPM_UNUSED) {
            if (nrv == crv) {
                crv = crv ? 2 * crv : 16;
                rv = xrealloc(rv, (size_t)crv * sizeof *rv);
            }
            rv[nrv++] = (RevMerge){L->start, top.size, L->len};
        }
        L->len += R->len;
        L->next = R->next;
        if (R->next >= 0) sym[R->next].prev = top.left;
        R->len = 0;
        bpe_add(m, s, sym, &h, L->prev, top.left);
        bpe_add(m, s, sym, &h, top.left, L->next);
    }
    *nres = 0;
    for (int i = ns ? 0 : -1; i != -1; i = sym[i].next) bpe_emit(m, s, sym[i].start, sym[i].len, rv, nrv, res, nres, 0);
    free(h.v);
    free(rv);
    free(sym);
}

/* ---------------------------------------------------------------- encode */

static int is_space_symbol(const char *s) {
    return (uint8_t)s[0] == 0xE2 && (uint8_t)s[1] == 0x96 && (uint8_t)s[2] == 0x81;
}

/* HF fast offsets: the pre-tokenizer drops whitespace and prepends U+2581 aligned to the word's
 * first character, so "▁word" spans "word" and a lone "▁" spans the character after it. */
static void token_span(const char *norm, const int32_t *n2o, const int32_t *n2oe, int size, int b, int e, int32_t *s,
                       int32_t *t) {
    if (e - b >= 3 && is_space_symbol(norm + b)) {
        if (e - b > 3) {
            *s = n2o[b + 3];
            *t = n2oe[e - 1];
        } else if (e < size) {
            *s = n2o[e];
            *t = n2oe[e];
        } else {
            *s = n2o[b];
            *t = n2oe[b];
        }
        return;
    }
    *s = n2o[b];
    *t = n2oe[e - 1];
}

int spm_encode(const SpmModel *m, const char *text, size_t len, Encoding *out, XsErr *err) {
    char *norm = NULL;
    size_t nlen = 0;
    int32_t *n2o = NULL, *n2oe = NULL;
    if (spm_normalize(m, text, len, -1, &norm, &nlen, &n2o, &n2oe, err)) return -1;
    if (nlen > 0x3fffffff) {
        free(norm);
        free(n2o);
        free(n2oe);
        return err_set(err, NULL, 0, "text too long for SentencePiece (%zu normalized bytes, expected < 1 GiB)", nlen);
    }
    int size = (int)nlen;
    int32_t *res = xmalloc(((size_t)size * 3 + 3) * sizeof *res);
    int nres = 0;
    if (size > 0) {
        if (m->model_type == SPM_MODEL_BPE) {
            bpe_encode(m, norm, size, res, &nres);
        } else {
            Best *best = xmalloc((size_t)(size + 1) * sizeof *best);
            unigram_viterbi(m, norm, size, best, res, &nres);
            free(best);
        }
    }
    /* SentencePieceProcessor::PopulateSentencePieceText: merge runs of unknowns, or byte fallback. */
    encoding_reserve(out, nres);
    int prev_unk = 0;
    for (int i = 0; i < nres; i++) {
        int b = res[3 * i], e = res[3 * i + 1], id = res[3 * i + 2];
        int is_unk = id == m->unk_id;
        int32_t os, oe;
        token_span(norm, n2o, n2oe, size, b, e, &os, &oe);
        if (is_unk && m->byte_fallback) {
            encoding_reserve(out, e - b);
            for (int k = b; k < e; k++) encoding_push(out, m->byte_id[(uint8_t)norm[k]], 0, os, oe, 0);
        } else if (is_unk && prev_unk) {
            out->end[out->n - 1] = oe;
        } else {
            encoding_push(out, id, 0, os, oe, 0);
        }
        prev_unk = is_unk;
    }
    free(res);
    free(norm);
    free(n2o);
    free(n2oe);
    return 0;
}
