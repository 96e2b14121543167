/* test_featurize.c — featurized rows vs goldens from HF tokenizers + HF/XTREME featurization logic
 * (tools/gen_featurize_goldens.py → tests/fixtures/featurize/): pairs, multiple choice, tagging windows,
 * QA windows with answer positions, MLM lines; XLM-R (xlmr16k) and BERT (mBERT cased, uncased). */
#include "testutil.h"
#include "core/util.h"
#include "data/text.h"
#include "tasks/featurize.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Tokenizer *g_tok[3];

static Tokenizer *tok_of(const char *key) {
    int k = key[0] == 'x' ? 0 : key[0] == 'c' ? 1 : 2;
    static const char *const rel[3] = {"tok/xlmr16k.model", "tok/mbert-cased-vocab.txt", "tok/bert-uncased-vocab.txt"};
    if (!g_tok[k]) {
        XsErr err = {0};
        g_tok[k] = tokenizer_open(tu_fixture(rel[k]), &err);
        if (!g_tok[k]) fail_msg("%s", err.msg);
    }
    return g_tok[k];
}

static const char *const TOKS[3] = {"x", "c", "u"};

/* Calls fn for each JSON line of a fixture. */
static void each_record(const char *rel, void (*fn)(json_t *r, void *ctx), void *ctx) {
    XsErr err = {0};
    size_t len;
    char *buf = file_read_all(tu_fixture(rel), &len, &err);
    if (!buf) fail_msg("%s", err.msg);
    for (char *p = buf, *nl; p < buf + len; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(buf + len - p));
        if (!nl) nl = buf + len;
        if (nl == p) continue;
        json_error_t je;
        json_t *r = json_loadb(p, (size_t)(nl - p), 0, &je);
        if (!r) fail_msg("%s: %s", rel, je.text);
        fn(r, ctx);
        json_decref(r);
    }
    free(buf);
}

static int jint(json_t *o, const char *k) { return (int)json_integer_value(json_object_get(o, k)); }
static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* Row i of r against a golden int list (NULL: skip) for ids / types / labels / word; checks the padding
 * and the mask. Returns the number of mismatching positions. */
static long check_row(const FeatRows *r, size_t i, json_t *ids, json_t *types, json_t *labels, json_t *word) {
    const size_t L = (size_t)r->max_len, n = json_array_size(ids), o = i * L;
    long bad = 0;
    if (n > L || (size_t)r->info[i].len != n) return 1000000;
    for (size_t p = 0; p < L; p++) {
        int in = p < n;
        bad += r->mask[o + p] != (in ? 1 : 0);
        bad += r->ids[o + p] != (in ? (int32_t)json_integer_value(json_array_get(ids, p)) : r->pad_id);
        if (types) bad += r->type_ids[o + p] != (in ? (int32_t)json_integer_value(json_array_get(types, p)) : 0);
        if (labels)
            bad += r->labels[o + p] != (in ? (int32_t)json_integer_value(json_array_get(labels, p)) : FEAT_IGNORE);
        if (word) bad += r->word[o + p] != (in ? (int32_t)json_integer_value(json_array_get(word, p)) : -1);
    }
    return bad;
}

/* ---- pairs ---- */
typedef struct { long recs, bad, truncated; } Tally;

static void pair_rec(json_t *g, void *ctx) {
    Tally *t = ctx;
    FeatRows r;
    XsErr err = {0};
    feat_rows_init(&r, FEAT_PAIR, jint(g, "max_len"), tok_of(jstr(g, "tok")));
    if (feat_pair(&r, tok_of(jstr(g, "tok")), jstr(g, "a"), jstr(g, "b"), 2, 7, &err)) fail_msg("%s", err.msg);
    assert_int_equal(r.n, 1);
    long b = check_row(&r, 0, json_object_get(g, "ids"), json_object_get(g, "types"), NULL, NULL);
    if (b) fprintf(stderr, "pair %s/%d \"%s\": %ld positions differ\n", jstr(g, "tok"), r.max_len, jstr(g, "a"), b);
    t->bad += b != 0;
    t->truncated += r.info[0].len == r.max_len;
    assert_int_equal(r.row_label[0], 2);
    assert_int_equal(r.info[0].example, 7);
    t->recs++;
    feat_rows_free(&r);
}

static void test_pairs_golden(void **state) {
    (void)state;
    Tally t = {0};
    each_record("featurize/pairs.jsonl", pair_rec, &t);
    fprintf(stderr, "pairs: %ld records, %ld truncated\n", t.recs, t.truncated);
    assert_true(t.recs >= 60);
    assert_true(t.truncated >= 20); /* max_len 20 cuts every pair */
    assert_int_equal(t.bad, 0);
}

/* feat_pairs (parallel, from the reader) gives the rows feat_pair gives one by one, with the labels. */
static void test_pairs_set(void **state) {
    (void)state;
    XsErr err = {0};
    PairSet s = {0};
    assert_true(pairs_read(tu_fixture("data/pawsx/x-final/de/dev_2k.tsv"), PAIR_PAWSX_TSV, NULL, &s, &err) >= 0);
    assert_true(s.n >= 5);
    for (int k = 0; k < 3; k++) {
        Tokenizer *t = tok_of(TOKS[k]);
        FeatRows all, one;
        feat_rows_init(&all, FEAT_PAIR, 32, t);
        feat_rows_init(&one, FEAT_PAIR, 32, t);
        if (feat_pairs(&all, t, &s, &err)) fail_msg("%s", err.msg);
        assert_int_equal(all.n, s.n);
        for (size_t i = 0; i < s.n; i++) {
            if (feat_pair(&one, t, s.v[i].text_a, s.v[i].text_b, s.v[i].label, (int64_t)i, &err)) fail_msg("%s", err.msg);
            assert_memory_equal(all.ids + i * 32, one.ids + i * 32, 32 * sizeof(int32_t));
            assert_memory_equal(all.type_ids + i * 32, one.type_ids + i * 32, 32 * sizeof(int32_t));
            assert_int_equal(all.row_label[i], s.v[i].label);
            assert_int_equal(all.info[i].example, (int64_t)i);
        }
        feat_rows_free(&all);
        feat_rows_free(&one);
    }
    pairs_free(&s);
}

/* ---- multiple choice ---- */
static void choice_rec(json_t *g, void *ctx) {
    Tally *t = ctx;
    json_t *chs = json_object_get(g, "choices"), *rows = json_object_get(g, "rows");
    ChoiceExample ex = {0};
    ex.context = (char *)jstr(g, "ctx");
    ex.nchoices = (int)json_array_size(chs);
    for (int c = 0; c < ex.nchoices; c++) ex.choices[c] = (char *)json_string_value(json_array_get(chs, (size_t)c));
    ex.label = 1;
    ex.line = 1;
    /* the readers build the same context and choices */
    XsErr err = {0};
    ChoiceSet s = {0};
    int hs = strstr(jstr(g, "src"), "hellaswag") != NULL;
    const char *path = hs ? "data/hellaswag/hellaswag_val.jsonl" : "data/commonsenseqa/train_rand_split.jsonl";
    assert_true(choices_read(tu_fixture(path), hs ? CHOICE_HELLASWAG : CHOICE_CSQA, NULL, &s, &err) >= 0);
    const ChoiceExample *re = &s.v[jint(g, "k")];
    assert_string_equal(re->context, ex.context);
    assert_int_equal(re->nchoices, ex.nchoices);
    for (int c = 0; c < ex.nchoices; c++) assert_string_equal(re->choices[c], ex.choices[c]);
    choices_free(&s);

    FeatRows r;
    feat_rows_init(&r, FEAT_CHOICE, jint(g, "max_len"), tok_of(jstr(g, "tok")));
    if (feat_choice(&r, tok_of(jstr(g, "tok")), &ex, 3, &err)) fail_msg("%s", err.msg);
    assert_int_equal(r.n, (size_t)ex.nchoices);
    for (size_t c = 0; c < r.n; c++) {
        json_t *gr = json_array_get(rows, c);
        long b = check_row(&r, c, json_object_get(gr, "ids"), json_object_get(gr, "types"), NULL, NULL);
        t->bad += b != 0;
        t->truncated += r.info[c].len == r.max_len;
        assert_int_equal(r.info[c].choice, (int)c);
        assert_int_equal(r.info[c].example, 3);
        assert_int_equal(r.row_label[c], 1);
    }
    t->recs++;
    feat_rows_free(&r);
}

static void test_choices_golden(void **state) {
    (void)state;
    Tally t = {0};
    each_record("featurize/choices.jsonl", choice_rec, &t);
    fprintf(stderr, "choices: %ld examples, %ld truncated rows\n", t.recs, t.truncated);
    assert_int_equal(t.recs, 36);
    assert_true(t.truncated >= 20);
    assert_int_equal(t.bad, 0);
}

/* ---- tagging ---- */
typedef struct {
    TagSet sets[3];  /* germeval (the slice's tags), upos, panx */
    int have_set;
    long recs, bad, split, empty, long_words, words_ok, words;
} TagCtx;

static const char *const SETS[3] = {"germeval", "upos", "panx"};

static void tag_rec(json_t *g, void *ctx) {
    TagCtx *c = ctx;
    if (!c->have_set) {
        json_t *all = json_object_get(g, "tagsets");
        assert_non_null(all);
        for (int k = 0; k < 3; k++) {
            json_t *ts = json_object_get(all, SETS[k]);
            const char *names[64];
            size_t n = json_array_size(ts);
            assert_true(n > 0 && n <= 64);
            for (size_t i = 0; i < n; i++) names[i] = json_string_value(json_array_get(ts, i));
            tagset_init_names(&c->sets[k], names, n);
        }
        /* XTREME's label lists are the library's */
        assert_int_equal(c->sets[1].n, 17);
        for (int i = 0; i < 17; i++) assert_string_equal(c->sets[1].names[i], TAGS_UPOS[i]);
        assert_int_equal(c->sets[2].n, 7);
        for (int i = 0; i < 7; i++) assert_string_equal(c->sets[2].names[i], TAGS_PANX[i]);
        c->have_set = 1;
        return;
    }
    const char *setname = jstr(g, "set");
    const TagSet *set = &c->sets[setname[0] == 'g' ? 0 : setname[0] == 'u' ? 1 : 2];
    json_t *jw = json_object_get(g, "words"), *jt = json_object_get(g, "tags");
    TagSentence s = {0};
    s.n = json_array_size(jw);
    s.words = malloc(s.n * sizeof *s.words);
    s.tags = malloc(s.n * sizeof *s.tags);
    for (size_t i = 0; i < s.n; i++) {
        s.words[i] = (char *)json_string_value(json_array_get(jw, i));
        s.tags[i] = (char *)json_string_value(json_array_get(jt, i));
    }
    s.line = 1;
    for (int k = 0; k < 3; k++) {
        Tokenizer *t = tok_of(TOKS[k]);
        json_t *rows = json_object_get(g, TOKS[k]);
        FeatRows r;
        FeatTagStats st = {0};
        XsErr err = {0};
        feat_rows_init(&r, FEAT_TAG, jint(g, "max_len"), t);
        if (feat_tag(&r, t, &s, set, 5, NULL, &st, &err)) fail_msg("%s", err.msg);
        if (r.n != json_array_size(rows)) {
            fprintf(stderr, "tag %s/%d: %zu windows, expected %zu\n", TOKS[k], r.max_len, r.n, json_array_size(rows));
            c->bad++;
            feat_rows_free(&r);
            continue;
        }
        for (size_t i = 0; i < r.n; i++) {
            json_t *gr = json_array_get(rows, i);
            long b = check_row(&r, i, json_object_get(gr, "ids"), NULL, json_object_get(gr, "labels"),
                               json_object_get(gr, "word"));
            if (b) fprintf(stderr, "tag %s/%d window %zu: %ld positions differ\n", TOKS[k], r.max_len, i, b);
            c->bad += b != 0;
            assert_int_equal(r.info[i].window, (int)i);
            assert_int_equal(r.info[i].nwin, (int)r.n);
            assert_int_equal(r.info[i].example, 5);
        }
        c->split += r.n > 1;
        c->empty += st.nempty_words;
        c->long_words += st.nsplit_words;
        /* predictions = the gold labels at first sub-tokens → one tag per word, every word */
        int32_t *wp = malloc(s.n * sizeof *wp);
        size_t got = feat_tag_words(&r, 0, r.n, r.labels, wp, s.n);
        c->words += (long)s.n;
        if (got == s.n) {
            long ok = 0;
            for (size_t w = 0; w < s.n; w++) ok += wp[w] == tagset_find(set, s.tags[w]);
            c->words_ok += ok;
        }
        free(wp);
        feat_rows_free(&r);
    }
    free(s.words);
    free(s.tags);
    c->recs++;
}

static void test_tags_golden(void **state) {
    (void)state;
    TagCtx c = {0};
    each_record("featurize/tags.jsonl", tag_rec, &c);
    fprintf(stderr, "tags: %ld sentences x 3 tokenizers, %ld split, %ld empty words, %ld words over a window, "
            "%ld/%ld words reassembled\n", c.recs, c.split, c.empty, c.long_words, c.words_ok, c.words);
    assert_int_equal(c.recs, 26);
    assert_true(c.long_words >= 3); /* the 50-letter compound at max_len 8 */
    assert_true(c.split >= 6);  /* the long sentence at 256 and 64, short ones at 16 */
    assert_true(c.empty >= 3);  /* U+200B for all three (U+00AD too for BERT) */
    assert_int_equal(c.bad, 0);
    assert_int_equal(c.words_ok, c.words);
    for (int k = 0; k < 3; k++) tagset_free(&c.sets[k]);
}

/* The GermEval reader gives the sentences the goldens were made from. */
static void test_tags_reader(void **state) {
    (void)state;
    XsErr err = {0};
    TagCorpus corp = {0};
    assert_true(tagging_read(tu_fixture("data/germeval14/germeval14-dev.slice.tsv"), TAGF_GERMEVAL, NULL, &corp, &err) >= 0);
    TagSet set;
    tagset_init(&set);
    tagset_add_corpus(&set, &corp);
    tagset_sort(&set);
    Tokenizer *t = tok_of("x");
    FeatRows all;
    feat_rows_init(&all, FEAT_TAG, 16, t);
    FeatTagStats st = {0};
    if (feat_tags(&all, t, &corp, &set, NULL, &st, &err)) fail_msg("%s", err.msg);
    assert_true(all.n > corp.n);
    assert_int_equal(st.nwords, corp.st.ntok);
    /* every word labelled exactly once, on a position whose tag is its own */
    size_t labelled = 0;
    for (size_t i = 0; i < all.n * 16; i++)
        if (all.word[i] >= 0) {
            const TagSentence *s = &corp.v[all.info[i / 16].example];
            assert_int_equal(all.labels[i], tagset_find(&set, s->tags[all.word[i]]));
            labelled++;
        }
    assert_int_equal(labelled, corp.st.ntok);
    /* an unknown tag: an error naming the line and the tag, or a counted ignore */
    TagSet small;
    const char *only_o[1] = {"O"};
    tagset_init_names(&small, only_o, 1);
    FeatRows r;
    feat_rows_init(&r, FEAT_TAG, 64, t);
    assert_int_equal(feat_tags(&r, t, &corp, &small, NULL, NULL, &err), -1);
    fprintf(stderr, "%s\n", err.msg);
    assert_non_null(strstr(err.msg, "expected a tag of the tag set"));
    assert_non_null(strstr(err.msg, "line "));
    FeatTagOpts o = {.unknown_tag_ignore = 1};
    memset(&st, 0, sizeof st);
    feat_rows_free(&r);
    feat_rows_init(&r, FEAT_TAG, 64, t);
    assert_int_equal(feat_tags(&r, t, &corp, &small, &o, &st, &err), 0);
    assert_true(st.nunknown_tags > 0);
    feat_rows_free(&r);
    feat_rows_free(&all);
    tagset_free(&small);
    tagset_free(&set);
    tag_corpus_free(&corp);
}

/* ---- span QA ---- */
static uint32_t fnv_ints(uint32_t h, const int32_t *v, int n) {
    for (int k = 0; k < n; k++)
        for (int b = 0; b < 4; b++) h = (h ^ (((uint32_t)v[k] >> (8 * b)) & 0xff)) * 16777619u;
    return h;
}

typedef struct { long recs, wins, bad, outside, impossible, inside; } QaTally;

static void qa_rec(json_t *g, void *ctx) {
    QaTally *t = ctx;
    char rel[256];
    snprintf(rel, sizeof rel, "data/%s", jstr(g, "file"));
    XsErr err = {0};
    QaSet s = {0};
    assert_true(qa_read(tu_fixture(rel), NULL, &s, &err) >= 0);
    const QaExample *ex = NULL;
    for (size_t i = 0; i < s.n; i++)
        if (strcmp(s.v[i].id, jstr(g, "id")) == 0) ex = &s.v[i];
    assert_non_null(ex);
    t->impossible += ex->is_impossible;
    for (int k = 0; k < 3; k++) {
        json_t *gw = json_object_get(g, TOKS[k]);
        if (!gw) continue;
        Tokenizer *tk = tok_of(TOKS[k]);
        FeatRows r;
        FeatQaOpts o = {.stride = jint(g, "stride")};
        feat_rows_init(&r, FEAT_QA, jint(g, "max_len"), tk);
        if (feat_qa(&r, tk, ex, 9, &o, &err)) fail_msg("%s", err.msg);
        t->recs++;
        if (r.n != json_array_size(gw)) {
            fprintf(stderr, "qa %s %s/%d: %zu windows, expected %zu\n", ex->id, TOKS[k], r.max_len, r.n,
                    json_array_size(gw));
            t->bad++;
            feat_rows_free(&r);
            continue;
        }
        int any_in = 0;
        for (size_t i = 0; i < r.n; i++) {
            json_t *w = json_array_get(gw, i);
            const size_t L = (size_t)r.max_len;
            long b;
            if (json_object_get(w, "ids")) {
                b = check_row(&r, i, json_object_get(w, "ids"), json_object_get(w, "types"), NULL, NULL);
            } else {
                int n = r.info[i].len;
                uint32_t h = fnv_ints(fnv_ints(2166136261u, r.ids + i * L, n), r.type_ids + i * L, n);
                b = (n != jint(w, "n")) + (h != (uint32_t)json_integer_value(json_object_get(w, "h")));
                for (size_t p = (size_t)n; p < L; p++) b += r.mask[i * L + p] != 0 || r.ids[i * L + p] != r.pad_id;
            }
            int32_t sp = r.start_pos[i], ep = r.end_pos[i];
            b += sp != jint(w, "s") || ep != jint(w, "e");
            if (b) fprintf(stderr, "qa %s %s/%d window %zu: %ld differences (s %d e %d, expected %d %d)\n", ex->id,
                           TOKS[k], r.max_len, i, b, sp, ep, jint(w, "s"), jint(w, "e"));
            t->bad += b != 0;
            t->wins++;
            assert_int_equal(r.info[i].window, (int)i);
            assert_int_equal(r.info[i].example, 9);
            if (sp > 0) { /* the span's bytes hold the answer */
                any_in = 1;
                t->inside++;
                int32_t b0 = r.off_begin[i * L + (size_t)sp], b1 = r.off_end[i * L + (size_t)ep];
                assert_true(b0 >= 0 && b1 >= b0);
                assert_true((size_t)b0 <= ex->answers[0].byte_start && (size_t)b1 >= ex->answers[0].byte_end);
            } else if (!ex->is_impossible) {
                t->outside++;
            }
        }
        if (!ex->is_impossible) assert_true(any_in); /* every answer is in some window */
        feat_rows_free(&r);
    }
    qa_set_free(&s);
}

static void test_qa_golden(void **state) {
    (void)state;
    QaTally t = {0};
    each_record("featurize/qa.jsonl", qa_rec, &t);
    fprintf(stderr, "qa: %ld featurizations, %ld windows (%ld with the answer, %ld answerable without), "
            "%ld unanswerable records\n", t.recs, t.wins, t.inside, t.outside, t.impossible);
    assert_true(t.recs >= 100);
    assert_true(t.outside >= 50);   /* answers outside the window → 0/0 */
    assert_true(t.impossible >= 2); /* SQuAD 2.0 */
    assert_int_equal(t.bad, 0);
}

/* ---- MLM lines ---- */
static void mlm_rec(json_t *g, void *ctx) {
    Tally *t = ctx;
    XsErr err = {0};
    TextLines tl = {0};
    assert_true(text_read(tu_fixture("data/mlm/mixed.txt"), NULL, &tl, &err) >= 0);
    size_t i = 0;
    while (i < tl.n && tl.line[i] != jint(g, "line")) i++;
    assert_true(i < tl.n);
    Tokenizer *tk = tok_of(jstr(g, "tok"));
    FeatRows r;
    feat_rows_init(&r, FEAT_MLM, jint(g, "max_len"), tk);
    if (feat_mlm_line(&r, tk, tl.v[i], strlen(tl.v[i]), (int64_t)i, &err)) fail_msg("%s", err.msg);
    long b = check_row(&r, 0, json_object_get(g, "ids"), NULL, NULL, NULL);
    if (b) fprintf(stderr, "mlm %s/%d line %d: %ld differ\n", jstr(g, "tok"), r.max_len, jint(g, "line"), b);
    t->bad += b != 0;
    t->truncated += r.info[0].len == r.max_len;
    t->recs++;
    feat_rows_free(&r);
    text_lines_free(&tl);
}

static void test_mlm_lines_golden(void **state) {
    (void)state;
    Tally t = {0};
    each_record("featurize/mlm.jsonl", mlm_rec, &t);
    assert_true(t.recs >= 24);
    assert_true(t.truncated >= 6);
    assert_int_equal(t.bad, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs_golden),     cmocka_unit_test(test_pairs_set),
        cmocka_unit_test(test_choices_golden),   cmocka_unit_test(test_tags_golden),
        cmocka_unit_test(test_tags_reader),      cmocka_unit_test(test_qa_golden),
        cmocka_unit_test(test_mlm_lines_golden),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    for (int k = 0; k < 3; k++) tokenizer_free(g_tok[k]);
    return rc;
}
