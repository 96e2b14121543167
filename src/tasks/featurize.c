/* featurize.c — the padded row set of tasks/featurize.h and the pair-classification and multiple-choice
 * featurizers (HF run_glue / run_swag: tokenizer pair encoding, longest-first truncation). */
#include "tasks/featurize.h"
#include "core/mem.h"
#include <stdlib.h>
#include <string.h>

void feat_rows_init(FeatRows *r, FeatKind kind, int max_len, const Tokenizer *t) {
    CHECK(max_len >= 4, "max_len %d", max_len);
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->max_len = max_len;
    r->pad_id = tokenizer_pad_id(t);
}

void feat_rows_free(FeatRows *r) {
    free(r->ids);
    free(r->mask);
    free(r->type_ids);
    free(r->labels);
    free(r->row_label);
    free(r->word);
    free(r->start_pos);
    free(r->end_pos);
    free(r->off_begin);
    free(r->off_end);
    free(r->max_ctx);
    free(r->info);
    memset(r, 0, sizeof *r);
}

#define GROW(p, per) ((p) = xrealloc((p), cap * (per) * sizeof *(p)))

static void rows_reserve(FeatRows *r, size_t need) {
    if (need <= r->cap) return;
    size_t cap = r->cap ? r->cap : 64;
    while (cap < need) cap *= 2;
    const size_t L = (size_t)r->max_len;
    GROW(r->ids, L);
    GROW(r->mask, L);
    GROW(r->type_ids, L);
    GROW(r->info, 1);
    if (r->kind == FEAT_TAG || r->kind == FEAT_MLM) GROW(r->labels, L);
    if (r->kind == FEAT_PAIR || r->kind == FEAT_CHOICE) GROW(r->row_label, 1);
    if (r->kind == FEAT_TAG) GROW(r->word, L);
    if (r->kind == FEAT_QA) {
        GROW(r->start_pos, 1);
        GROW(r->end_pos, 1);
        GROW(r->off_begin, L);
        GROW(r->off_end, L);
        GROW(r->max_ctx, L);
    }
    r->cap = cap;
}

void feat_rows_append(FeatRows *dst, const FeatRows *src, int64_t example_offset) {
    CHECK(dst->kind == src->kind && dst->max_len == src->max_len, "feat_rows_append: rows of another kind or length");
    if (src->n == 0) return;
    rows_reserve(dst, dst->n + src->n);
    const size_t L = (size_t)dst->max_len, at = dst->n, n = src->n;
#define CP(f, per) do { if (src->f) memcpy(dst->f + at * (per), src->f, n * (per) * sizeof *dst->f); } while (0)
    CP(ids, L); CP(mask, L); CP(type_ids, L); CP(labels, L); CP(row_label, 1); CP(word, L);
    CP(start_pos, 1); CP(end_pos, 1); CP(off_begin, L); CP(off_end, L); CP(max_ctx, L); CP(info, 1);
#undef CP
    for (size_t i = 0; i < n; i++) dst->info[at + i].example += example_offset;
    dst->n += n;
}

size_t feat_rows_add(FeatRows *r) {
    rows_reserve(r, r->n + 1);
    const size_t i = r->n++, L = (size_t)r->max_len, o = i * L;
    for (size_t p = 0; p < L; p++) {
        r->ids[o + p] = r->pad_id;
        r->mask[o + p] = 0;
        r->type_ids[o + p] = 0;
    }
    if (r->labels)
        for (size_t p = 0; p < L; p++) r->labels[o + p] = FEAT_IGNORE;
    if (r->word)
        for (size_t p = 0; p < L; p++) r->word[o + p] = -1;
    if (r->off_begin)
        for (size_t p = 0; p < L; p++) r->off_begin[o + p] = r->off_end[o + p] = -1;
    if (r->max_ctx) memset(r->max_ctx + o, 0, L);
    if (r->row_label) r->row_label[i] = -1;
    if (r->start_pos) r->start_pos[i] = r->end_pos[i] = 0;
    memset(&r->info[i], 0, sizeof r->info[i]);
    r->info[i].nwin = 1;
    return i;
}

/* Copies an encoding (already within max_len) into a new row. */
static size_t put_encoding(FeatRows *r, const Encoding *e, int64_t example) {
    CHECK(e->n <= r->max_len, "encoding of %d tokens in rows of %d", e->n, r->max_len);
    const size_t i = feat_rows_add(r), o = i * (size_t)r->max_len;
    for (int p = 0; p < e->n; p++) {
        r->ids[o + (size_t)p] = e->ids[p];
        r->mask[o + (size_t)p] = 1;
        r->type_ids[o + (size_t)p] = e->type_ids[p];
    }
    r->info[i].example = example;
    r->info[i].len = e->n;
    return i;
}

int feat_pair(FeatRows *r, const Tokenizer *t, const char *a, const char *b, int label, int64_t example,
              XsErr *err) {
    CHECK(r->kind == FEAT_PAIR, "feat_pair on rows of kind %d", (int)r->kind);
    Encoding e;
    encoding_init(&e);
    if (tokenizer_encode(t, a, strlen(a), b, b ? strlen(b) : 0, r->max_len, &e, err)) {
        encoding_free(&e);
        return err_prefix(err, "example %lld: ", (long long)example);
    }
    size_t i = put_encoding(r, &e, example);
    r->row_label[i] = label;
    encoding_free(&e);
    return 0;
}

enum { CHUNK = 2048 }; /* examples encoded in parallel at a time: bounds the memory of the encodings */

int feat_pairs(FeatRows *r, const Tokenizer *t, const PairSet *s, XsErr *err) {
    CHECK(r->kind == FEAT_PAIR, "feat_pairs on rows of kind %d", (int)r->kind);
    const char **ta = xmalloc(CHUNK * sizeof *ta), **tb = xmalloc(CHUNK * sizeof *tb);
    size_t *la = xmalloc(CHUNK * sizeof *la), *lb = xmalloc(CHUNK * sizeof *lb);
    Encoding *enc = xmalloc(CHUNK * sizeof *enc);
    for (int k = 0; k < CHUNK; k++) encoding_init(&enc[k]);
    int rc = 0;
    for (size_t i0 = 0; i0 < s->n && rc == 0; i0 += CHUNK) {
        int m = (int)(s->n - i0 < CHUNK ? s->n - i0 : CHUNK);
        for (int k = 0; k < m; k++) {
            const PairExample *ex = &s->v[i0 + (size_t)k];
            ta[k] = ex->text_a;
            la[k] = strlen(ex->text_a);
            tb[k] = ex->text_b ? ex->text_b : "";
            lb[k] = ex->text_b ? strlen(ex->text_b) : 0;
        }
        int bad = -1;
        if (tokenizer_encode_batch(t, ta, la, tb, lb, m, r->max_len, enc, &bad, err)) {
            const PairExample *ex = &s->v[i0 + (size_t)(bad < 0 ? 0 : bad)];
            rc = err_prefix(err, "line %ld (id %s): ", ex->line, ex->id ? ex->id : "?");
            break;
        }
        rows_reserve(r, r->n + (size_t)m);
        for (int k = 0; k < m; k++) {
            size_t row = put_encoding(r, &enc[k], (int64_t)(i0 + (size_t)k));
            r->row_label[row] = s->v[i0 + (size_t)k].label;
        }
    }
    for (int k = 0; k < CHUNK; k++) encoding_free(&enc[k]);
    free(enc);
    free(ta);
    free(tb);
    free(la);
    free(lb);
    return rc;
}

int feat_choice(FeatRows *r, const Tokenizer *t, const ChoiceExample *ex, int64_t example, XsErr *err) {
    CHECK(r->kind == FEAT_CHOICE, "feat_choice on rows of kind %d", (int)r->kind);
    CHECK(ex->nchoices >= 1 && ex->nchoices <= CHOICE_MAX, "nchoices %d", ex->nchoices);
    Encoding e;
    encoding_init(&e);
    for (int c = 0; c < ex->nchoices; c++) {
        if (tokenizer_encode(t, ex->context, strlen(ex->context), ex->choices[c], strlen(ex->choices[c]), r->max_len,
                             &e, err)) {
            encoding_free(&e);
            /* rows of the earlier choices are taken back: an example is all its choices or nothing */
            r->n -= (size_t)c;
            return err_prefix(err, "line %ld (id %s), choice %d: ", ex->line, ex->id ? ex->id : "?", c);
        }
        size_t i = put_encoding(r, &e, example);
        r->info[i].choice = c;
        r->row_label[i] = ex->label;
    }
    encoding_free(&e);
    return 0;
}

int feat_choices(FeatRows *r, const Tokenizer *t, const ChoiceSet *s, XsErr *err) {
    for (size_t i = 0; i < s->n; i++)
        if (feat_choice(r, t, &s->v[i], (int64_t)i, err)) return -1;
    return 0;
}
