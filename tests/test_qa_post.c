/* test_qa_post.c — eval/qa_post: every answer of tests/fixtures/qa_post/qa_post.json (HF utils_qa's own
 * postprocess_qa_predictions on real mBERT / XLM-R windows of XQuAD) matched byte for byte; edge cases. */
#include "testutil.h"
#include "core/mem.h"
#include "eval/qa_post.h"
#include "tok/windows.h" /* a QA task includes both: QaWindow (tokens) and QaPostWindow (logits) coexist */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    float *s, *e;
    int32_t *b, *en;
    uint8_t *mc;
} WinBuf;

static void test_golden_answers(void **state) {
    (void)state;
    json_error_t je;
    json_t *root = json_load_file(tu_fixture("qa_post/qa_post.json"), 0, &je);
    if (!root) fail_msg("qa_post.json:%d: %s", je.line, je.text);
    json_t *cases = json_object_get(root, "cases");
    size_t nc = json_array_size(cases), matched = 0, empties = 0, with_mc = 0;
    assert_true(nc >= 40);
    for (size_t c = 0; c < nc; c++) {
        json_t *cs = json_array_get(cases, c);
        const char *ctx = json_string_value(json_object_get(cs, "context"));
        const char *expected = json_string_value(json_object_get(cs, "expected"));
        json_t *wins = json_object_get(cs, "windows");
        size_t nw = json_array_size(wins);
        QaPostWindow *w = xcalloc(nw, sizeof *w);
        WinBuf *wb = xcalloc(nw, sizeof *wb);
        for (size_t i = 0; i < nw; i++) {
            json_t *wj = json_array_get(wins, i);
            json_t *js = json_object_get(wj, "start"), *je2 = json_object_get(wj, "end"), *jo = json_object_get(wj, "off");
            json_t *jm = json_object_get(wj, "max_context");
            size_t T = json_array_size(js);
            assert_int_equal(json_array_size(je2), T);
            assert_int_equal(json_array_size(jo), T);
            wb[i].s = xmalloc(T * sizeof(float));
            wb[i].e = xmalloc(T * sizeof(float));
            wb[i].b = xmalloc(T * sizeof(int32_t));
            wb[i].en = xmalloc(T * sizeof(int32_t));
            wb[i].mc = jm ? xmalloc(T) : NULL;
            for (size_t t = 0; t < T; t++) {
                wb[i].s[t] = (float)json_real_value(json_array_get(js, t));
                wb[i].e[t] = (float)json_real_value(json_array_get(je2, t));
                json_t *o = json_array_get(jo, t);
                wb[i].b[t] = json_is_null(o) ? -1 : (int32_t)json_integer_value(json_array_get(o, 0));
                wb[i].en[t] = json_is_null(o) ? -1 : (int32_t)json_integer_value(json_array_get(o, 1));
                if (jm) wb[i].mc[t] = (uint8_t)json_integer_value(json_array_get(jm, t));
            }
            w[i] = (QaPostWindow){wb[i].s, wb[i].e, wb[i].b, wb[i].en, wb[i].mc, T};
            with_mc += jm != NULL;
        }
        QaPostOpts o = {(int)json_integer_value(json_object_get(cs, "n_best")),
                        (int)json_integer_value(json_object_get(cs, "max_answer_length"))};
        QaPostAnswer a;
        XsErr err = {0};
        assert_int_equal(qa_post_best(ctx, strlen(ctx), w, nw, &o, &a, &err), 0);
        if (strcmp(a.text, expected) == 0) matched++;
        else
            print_message("case %s: got '%s', expected '%s'\n", json_string_value(json_object_get(cs, "id")), a.text, expected);
        empties += !a.found;
        qa_answer_free(&a);
        for (size_t i = 0; i < nw; i++) { free(wb[i].s); free(wb[i].e); free(wb[i].b); free(wb[i].en); free(wb[i].mc); }
        free(w);
        free(wb);
    }
    print_message("qa_post: %zu/%zu answers match HF postprocess_qa_predictions (%zu via the \"empty\" fallback, %zu windows with max-context)\n",
                  matched, nc, empties, with_mc);
    assert_int_equal(matched, nc);
    assert_true(empties >= 1);
    assert_true(with_mc >= 1);
    json_decref(root);
}

/* Hand-made window: context "abc def", tokens [CLS] abc def [SEP]. */
static void test_edges(void **state) {
    (void)state;
    const char *ctx = "abc d\xc3\xa9" "f";
    float s[4] = {9, 1, 2, 0}, e[4] = {9, 0.5f, 3, 0};
    int32_t b[4] = {-1, 0, 4, -1}, en[4] = {-1, 3, 8, -1};
    QaPostWindow w = {s, e, b, en, NULL, 4};
    QaPostAnswer a;
    XsErr err = {0};
    assert_int_equal(qa_post_best(ctx, strlen(ctx), &w, 1, NULL, &a, &err), 0);
    assert_string_equal(a.text, "d\xc3\xa9" "f"); /* 2+3 beats 1+3 and 1+0.5 */
    assert_true(a.found);
    qa_answer_free(&a);
    /* max_answer_length 1: only single-token spans: (abc,abc)=1.5, (def,def)=5 */
    QaPostOpts o = {20, 1};
    assert_int_equal(qa_post_best(ctx, strlen(ctx), &w, 1, &o, &a, &err), 0);
    assert_string_equal(a.text, "d\xc3\xa9" "f");
    qa_answer_free(&a);
    /* start token not max-context → only spans starting at "abc" */
    uint8_t mc[4] = {0, 1, 0, 0};
    w.max_context = mc;
    assert_int_equal(qa_post_best(ctx, strlen(ctx), &w, 1, NULL, &a, &err), 0);
    assert_string_equal(a.text, "abc d\xc3\xa9" "f");
    qa_answer_free(&a);
    w.max_context = NULL;
    /* n_best 1: top start = [CLS] (not context) → no candidate → HF's "empty" */
    QaPostOpts o1 = {1, 30};
    assert_int_equal(qa_post_best(ctx, strlen(ctx), &w, 1, &o1, &a, &err), 0);
    assert_string_equal(a.text, "empty");
    assert_false(a.found);
    qa_answer_free(&a);
    /* no windows at all */
    assert_int_equal(qa_post_best(ctx, strlen(ctx), &w, 0, NULL, &a, &err), 0);
    assert_string_equal(a.text, "empty");
    qa_answer_free(&a);
    /* bad input: NaN logits, offsets past the context */
    s[2] = 0.0f / 0.0f;
    assert_int_equal(qa_post_best(ctx, strlen(ctx), &w, 1, NULL, &a, &err), -1);
    assert_non_null(strstr(err.msg, "NaN"));
    s[2] = 2;
    en[2] = 99;
    assert_int_equal(qa_post_best(ctx, strlen(ctx), &w, 1, NULL, &a, &err), -1);
    assert_non_null(strstr(err.msg, "offsets"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_answers),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
