/* test_featurize_edge.c — featurizer corner cases the goldens do not reach: answers on every context token
 * of every window (the bounded start walk), untagged sentences, empty inputs, and the error paths (invalid
 * UTF-8, a question leaving no room, an example that fails half-way leaving no rows behind). */
#include "testutil.h"
#include "tasks/featurize.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Tokenizer *open_tok(const char *rel) {
    XsErr err = {0};
    Tokenizer *t = tokenizer_open(tu_fixture(rel), &err);
    if (!t) fail_msg("%s", err.msg);
    return t;
}

static const char *const TOKS[3] = {"tok/xlmr16k.model", "tok/mbert-cased-vocab.txt", "tok/bert-uncased-vocab.txt"};

/* An answer equal to one context token's bytes gives start = end = that token in every window holding
 * it (also the last context token of a window, where HF's unbounded walk runs into </s> and padding),
 * and 0/0 in the others. */
static void test_qa_answer_on_each_token(void **state) {
    (void)state;
    XsErr err = {0};
    QaSet s = {0};
    assert_true(qa_read(tu_fixture("data/xquad/xquad.de.json"), NULL, &s, &err) >= 0);
    QaExample ex = s.v[0];
    QaAnswer a = {0};
    ex.answers = &a;
    ex.nanswers = 1;
    long checked = 0, last_tok = 0;
    for (int k = 0; k < 3; k++) {
        Tokenizer *t = open_tok(TOKS[k]);
        FeatRows base;
        FeatQaOpts o = {.stride = 16};
        feat_rows_init(&base, FEAT_QA, 80, t);
        a.byte_start = 0;
        a.byte_end = 1;
        if (feat_qa(&base, t, &ex, 0, &o, &err)) fail_msg("%s", err.msg);
        assert_true(base.n >= 3);
        const size_t L = 80;
        for (size_t w = 0; w < base.n; w++)
            for (size_t p = 0; p < L; p++) {
                int32_t b0 = base.off_begin[w * L + p], b1 = base.off_end[w * L + p];
                if (b0 < 0 || b1 <= b0) continue;
                /* only tokens whose span no neighbour shares (a span shared by two pieces is ambiguous) */
                if (p + 1 < L && base.off_begin[w * L + p + 1] == b0) continue;
                if (p > 0 && base.off_end[w * L + p - 1] == b1) continue;
                a.byte_start = (size_t)b0;
                a.byte_end = (size_t)b1;
                FeatRows r;
                feat_rows_init(&r, FEAT_QA, 80, t);
                if (feat_qa(&r, t, &ex, 0, &o, &err)) fail_msg("%s", err.msg);
                assert_int_equal(r.n, base.n);
                assert_int_equal(r.start_pos[w], (int32_t)p);
                assert_int_equal(r.end_pos[w], (int32_t)p);
                int last = p + 1 == L || base.off_begin[w * L + p + 1] < 0;
                last_tok += last;
                for (size_t v = 0; v < r.n; v++) { /* in another window: the same token there, or 0/0 */
                    int32_t sp = r.start_pos[v];
                    assert_int_equal(sp, r.end_pos[v]);
                    if (sp) assert_int_equal(r.off_begin[v * L + (size_t)sp], b0);
                }
                checked++;
                feat_rows_free(&r);
            }
        feat_rows_free(&base);
        tokenizer_free(t);
    }
    fprintf(stderr, "answers on %ld single tokens (%ld the last context token of a window)\n", checked, last_tok);
    assert_true(checked > 300);
    assert_true(last_tok >= 9);
    qa_set_free(&s);
}

/* Unanswerable: every window 0/0; untagged sentences: no labels, the word map kept. */
static void test_unlabelled(void **state) {
    (void)state;
    Tokenizer *t = open_tok(TOKS[0]);
    XsErr err = {0};
    char *words[] = {"Ein", "langer", "Satz", "ohne", "Tags", "."};
    TagSentence s = {.words = words, .tags = NULL, .n = 6, .line = 3};
    FeatRows r;
    feat_rows_init(&r, FEAT_TAG, 6, t);
    TagSet set;
    const char *o[1] = {"O"};
    tagset_init_names(&set, o, 1);
    if (feat_tag(&r, t, &s, &set, 0, NULL, NULL, &err)) fail_msg("%s", err.msg);
    assert_true(r.n >= 2);
    for (size_t i = 0; i < r.n * 6; i++) assert_int_equal(r.labels[i], FEAT_IGNORE);
    int32_t pred[64], wp[6];
    assert_true(r.n * 6 <= 64);
    for (size_t i = 0; i < r.n * 6; i++) pred[i] = (int32_t)i;
    assert_int_equal(feat_tag_words(&r, 0, r.n, pred, wp, 6), 6);
    for (int w = 1; w < 6; w++) assert_true(wp[w] > wp[w - 1]); /* words in order over the windows */
    feat_rows_free(&r);
    /* an empty sentence: one row <s></s> */
    TagSentence e = {.words = words, .tags = NULL, .n = 0, .line = 4};
    feat_rows_init(&r, FEAT_TAG, 8, t);
    assert_int_equal(feat_tag(&r, t, &e, &set, 0, NULL, NULL, &err), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.info[0].len, 2);
    assert_int_equal(r.ids[0], tokenizer_cls_id(t));
    assert_int_equal(r.ids[1], tokenizer_sep_id(t));
    assert_int_equal(r.ids[2], tokenizer_pad_id(t));
    feat_rows_free(&r);
    tagset_free(&set);
    tokenizer_free(t);
}

static void test_errors(void **state) {
    (void)state;
    Tokenizer *t = open_tok(TOKS[1]);
    XsErr err = {0};
    FeatRows r;
    feat_rows_init(&r, FEAT_PAIR, 32, t);
    assert_int_equal(feat_pair(&r, t, "ok", "bad \xff byte", 0, 12, &err), -1);
    fprintf(stderr, "%s\n", err.msg);
    assert_non_null(strstr(err.msg, "example 12"));
    assert_int_equal(r.n, 0);
    feat_rows_free(&r);

    /* a choice that fails takes back the rows of the example's earlier choices */
    ChoiceExample ex = {.context = "Kontext", .nchoices = 3, .label = 0, .id = "q7", .line = 40};
    ex.choices[0] = "gut";
    ex.choices[1] = "auch gut";
    ex.choices[2] = "schlecht \xc3";
    feat_rows_init(&r, FEAT_CHOICE, 32, t);
    ChoiceExample good = ex;
    good.choices[2] = "fine";
    assert_int_equal(feat_choice(&r, t, &good, 0, &err), 0);
    assert_int_equal(r.n, 3);
    err_clear(&err);
    assert_int_equal(feat_choice(&r, t, &ex, 1, &err), -1);
    fprintf(stderr, "%s\n", err.msg);
    assert_non_null(strstr(err.msg, "line 40"));
    assert_non_null(strstr(err.msg, "choice 2"));
    assert_int_equal(r.n, 3);
    feat_rows_free(&r);

    /* a tagging word that is not UTF-8 */
    char *words[] = {"gut", "nicht\xfe"};
    char *tags[] = {"O", "O"};
    TagSentence s = {.words = words, .tags = tags, .n = 2, .line = 9};
    feat_rows_init(&r, FEAT_TAG, 32, t);
    err_clear(&err);
    assert_int_equal(feat_tag(&r, t, &s, NULL, 0, NULL, NULL, &err), -1);
    fprintf(stderr, "%s\n", err.msg);
    assert_non_null(strstr(err.msg, "line 9: word 2"));
    feat_rows_free(&r);

    /* a question that leaves no room for the stride */
    XsErr e2 = {0};
    QaSet qs = {0};
    assert_true(qa_read(tu_fixture("data/xquad/xquad.de.json"), NULL, &qs, &e2) >= 0);
    feat_rows_init(&r, FEAT_QA, 32, t);
    FeatQaOpts o = {.stride = 20};
    err_clear(&err);
    assert_int_equal(feat_qa(&r, t, &qs.v[0], 0, &o, &err), -1);
    fprintf(stderr, "%s\n", err.msg);
    assert_non_null(strstr(err.msg, qs.v[0].id));
    assert_int_equal(r.n, 0);
    feat_rows_free(&r);
    qa_set_free(&qs);

    /* MLM: an invalid line */
    feat_rows_init(&r, FEAT_MLM, 16, t);
    err_clear(&err);
    assert_int_equal(feat_mlm_line(&r, t, "a\x80", 2, 5, &err), -1);
    assert_non_null(strstr(err.msg, "example 5"));
    assert_int_equal(r.n, 0);
    feat_rows_free(&r);
    tokenizer_free(t);
}

/* Leading whitespace on the question (Python's, U+3000 included; lstrip()ed as run_qa.py does) changes
 * nothing in the rows. */
static void test_question_lstrip(void **state) {
    (void)state;
    Tokenizer *t = open_tok(TOKS[0]);
    XsErr err = {0};
    QaSet qs = {0};
    assert_true(qa_read(tu_fixture("data/xquad/xquad.de.json"), NULL, &qs, &err) >= 0);
    QaExample ex = qs.v[1];
    FeatRows a, b;
    feat_rows_init(&a, FEAT_QA, 384, t);
    feat_rows_init(&b, FEAT_QA, 384, t);
    if (feat_qa(&a, t, &ex, 0, NULL, &err)) fail_msg("%s", err.msg);
    char q[1024];
    snprintf(q, sizeof q, " \t\xe3\x80\x80%s", ex.question);
    ex.question = q;
    if (feat_qa(&b, t, &ex, 0, NULL, &err)) fail_msg("%s", err.msg);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.ids, b.ids, a.n * 384 * sizeof(int32_t));
    assert_memory_equal(a.start_pos, b.start_pos, a.n * sizeof(int32_t));
    feat_rows_free(&a);
    feat_rows_free(&b);
    qa_set_free(&qs);
    tokenizer_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qa_answer_on_each_token),
        cmocka_unit_test(test_unlabelled),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_question_lstrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
