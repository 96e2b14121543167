/* feat_tag.c — tagging sentences → rows with the label on each word's first sub-token (XTREME
 * utils_tag.convert_examples_to_features / HF run_ner), long sentences split into windows at word starts. */
#include "tasks/featurize.h"
#include "core/mem.h"
#include <stdlib.h>
#include <string.h>

typedef struct SubToks {
    int32_t *id, *word;  /* (n) sub-token id; word index of a word's first sub-token, -1 for the others */
    int32_t *label;      /* (n) tag index on first sub-tokens, FEAT_IGNORE elsewhere */
    size_t n, cap;
} SubToks;

static void sub_push(SubToks *s, int32_t id, int32_t word, int32_t label) {
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->id = xrealloc(s->id, s->cap * sizeof *s->id);
        s->word = xrealloc(s->word, s->cap * sizeof *s->word);
        s->label = xrealloc(s->label, s->cap * sizeof *s->label);
    }
    s->id[s->n] = id;
    s->word[s->n] = word;
    s->label[s->n] = label;
    s->n++;
}

static void sub_free(SubToks *s) {
    free(s->id);
    free(s->word);
    free(s->label);
}

/* The label of word w, or FEAT_IGNORE; -1 + err for a tag outside the set (unless ignored). */
static int word_label(const TagSentence *s, size_t w, const TagSet *set, const FeatTagOpts *opts,
                      FeatTagStats *st, int32_t *label, XsErr *err) {
    *label = FEAT_IGNORE;
    if (!set || !s->tags) return 0;
    int k = tagset_find(set, s->tags[w]);
    if (k >= 0) {
        *label = k;
        return 0;
    }
    if (opts && opts->unknown_tag_ignore) {
        if (st) st->nunknown_tags++;
        return 0;
    }
    return err_set(err, NULL, 0, "line %ld: word %zu \"%s\": expected a tag of the tag set (%zu tags), found \"%s\"",
                   s->line, w + 1, s->words[w], set->n, s->tags[w]);
}

static int sentence_subtokens(const Tokenizer *t, const TagSentence *s, const TagSet *set, const FeatTagOpts *opts,
                              FeatTagStats *st, SubToks *out, XsErr *err) {
    Encoding e;
    encoding_init(&e);
    int rc = 0;
    for (size_t w = 0; w < s->n && rc == 0; w++) {
        int32_t label;
        if (word_label(s, w, set, opts, st, &label, err)) {
            rc = -1;
            break;
        }
        encoding_clear(&e);
        size_t wl = strlen(s->words[w]);
        if (tokenizer_encode_raw(t, s->words[w], wl, &e, err)) {
            rc = err_prefix(err, "line %ld: word %zu: ", s->line, w + 1);
            break;
        }
        if (e.n == 0 && wl > 0) { /* XTREME: a word that tokenizes to nothing becomes unk_token */
            sub_push(out, tokenizer_unk_id(t), (int32_t)w, label);
            if (st) st->nempty_words++;
        }
        for (int k = 0; k < e.n; k++) sub_push(out, e.ids[k], k == 0 ? (int32_t)w : -1, k == 0 ? label : FEAT_IGNORE);
        if (st) {
            st->nwords++;
            st->nsubtok += (size_t)(e.n > 0 ? e.n : 1);
        }
    }
    encoding_free(&e);
    return rc;
}

int feat_tag(FeatRows *r, const Tokenizer *t, const TagSentence *s, const TagSet *set, int64_t example,
             const FeatTagOpts *opts, FeatTagStats *st, XsErr *err) {
    CHECK(r->kind == FEAT_TAG, "feat_tag on rows of kind %d", (int)r->kind);
    SubToks sub = {0};
    if (sentence_subtokens(t, s, set, opts, st, &sub, err)) {
        sub_free(&sub);
        return -1;
    }
    const size_t room = (size_t)r->max_len - 2, L = (size_t)r->max_len;
    /* window boundaries: [b, e) with e - b <= room, e moved back to a word start when one is inside */
    size_t first_row = r->n, b = 0;
    int32_t nwin = 0;
    do {
        size_t e = b + room < sub.n ? b + room : sub.n;
        if (e < sub.n) {
            size_t k = e;
            while (k > b && sub.word[k] < 0) k--;
            if (k > b) e = k;
            else if (st) st->nsplit_words++;
        }
        size_t i = feat_rows_add(r), o = i * L;
        r->ids[o] = tokenizer_cls_id(t);
        r->mask[o] = 1;
        for (size_t k = b; k < e; k++) {
            size_t p = o + 1 + (k - b);
            r->ids[p] = sub.id[k];
            r->mask[p] = 1;
            r->labels[p] = sub.label[k];
            r->word[p] = sub.word[k];
        }
        r->ids[o + 1 + (e - b)] = tokenizer_sep_id(t);
        r->mask[o + 1 + (e - b)] = 1;
        r->info[i].example = example;
        r->info[i].window = nwin++;
        r->info[i].len = (int32_t)(e - b + 2);
        b = e;
    } while (b < sub.n);
    for (size_t i = first_row; i < r->n; i++) r->info[i].nwin = nwin;
    if (st && nwin > 1) st->nsplit++;
    sub_free(&sub);
    return 0;
}

int feat_tags(FeatRows *r, const Tokenizer *t, const TagCorpus *c, const TagSet *set, const FeatTagOpts *opts,
              FeatTagStats *st, XsErr *err) {
    for (size_t i = 0; i < c->n; i++)
        if (feat_tag(r, t, &c->v[i], set, (int64_t)i, opts, st, err)) return -1;
    return 0;
}

size_t feat_tag_words(const FeatRows *r, size_t row0, size_t nrows, const int32_t *pred, int32_t *word_pred,
                      size_t nwords) {
    CHECK(r->kind == FEAT_TAG && row0 + nrows <= r->n, "rows %zu + %zu of %zu", row0, nrows, r->n);
    for (size_t w = 0; w < nwords; w++) word_pred[w] = -1;
    size_t got = 0;
    const size_t L = (size_t)r->max_len;
    for (size_t i = 0; i < nrows; i++)
        for (size_t p = 0; p < L; p++) {
            int32_t w = r->word[(row0 + i) * L + p];
            if (w < 0) continue;
            CHECK((size_t)w < nwords, "word %d of %zu", w, nwords);
            if (word_pred[w] < 0) got++;
            word_pred[w] = pred[i * L + p];
        }
    return got;
}
