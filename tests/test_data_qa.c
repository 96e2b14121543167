/* test_data_qa.c — data/squad_examples: a SQuAD v2.0 file in the published layout (unanswerable
 * questions, non-ASCII contexts), real XQuAD (de, zh) and TyDiQA-GoldP (en, ar) slices cross-checked
 * with the scoring reader (data/squad_json), every malformed-question message, skip_bad_rows. */
#include "testutil.h"
#include "core/mem.h"
#include "data/squad_examples.h"
#include "data/squad_json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static QaSet read_ok(const char *rel) {
    QaSet s;
    XsErr err = {0};
    if (qa_read(tu_fixture(rel), NULL, &s, &err) < 0) fail_msg("%s: %s", rel, err.msg);
    return s;
}

/* Every answer's byte span holds its text, and the character offset agrees with it. */
static void check_spans(const QaSet *s) {
    for (size_t i = 0; i < s->n; i++) {
        const QaExample *e = &s->v[i];
        for (size_t k = 0; k < e->nanswers; k++) {
            const QaAnswer *a = &e->answers[k];
            assert_int_equal(a->byte_end - a->byte_start, strlen(a->text));
            assert_memory_equal(e->context + a->byte_start, a->text, strlen(a->text));
            size_t cps = 0;
            for (size_t b = 0; b < a->byte_start; b++) cps += ((unsigned char)e->context[b] & 0xC0) != 0x80;
            assert_int_equal(cps, (size_t)a->start);
        }
    }
}

static void test_squad_v2(void **state) {
    (void)state;
    QaSet s = read_ok("data/squad/dev-v2.0.json");
    assert_int_equal(s.n, 5);
    assert_int_equal(s.st.nimpossible, 2);
    assert_int_equal(s.st.nanswers, 3);
    assert_int_equal(s.st.narticles, 1);
    assert_int_equal(s.st.nparagraphs, 2);
    assert_string_equal(s.st.version, "v2.0");
    assert_int_equal(s.ncontexts, 2);
    const QaExample *e = &s.v[0];
    assert_string_equal(e->id, "5a8d7bf7df8bba001a0f9001");
    assert_string_equal(e->title, "Xstilts_v2_sample");
    assert_string_equal(e->question, "Wie lang ist der Zürichsee?");
    assert_false(e->is_impossible);
    assert_int_equal(e->nanswers, 1);
    assert_string_equal(e->answers[0].text, "42 Kilometer");
    assert_int_equal(e->answers[0].start, 50);
    assert_int_equal(e->answers[0].byte_start, 54);  /* "ü" and "ö" before it: 2 bytes each */
    assert_int_equal(e->answers[0].byte_end, 66);
    e = &s.v[1];
    assert_true(e->is_impossible);
    assert_int_equal(e->nanswers, 0);
    assert_ptr_equal(e->context, s.v[0].context);     /* one copy per paragraph */
    e = &s.v[2];
    assert_string_equal(e->answers[0].text, "the centre of Beijing");
    assert_int_equal(e->answers[0].start, 41);
    assert_int_equal(e->answers[0].byte_start, 69);   /* 14 CJK characters of 3 bytes */
    assert_int_equal(e->paragraph, 1);
    assert_string_equal(s.v[3].answers[0].text, "北京");
    assert_int_equal(s.v[3].answers[0].byte_start, 0);
    assert_true(s.v[4].is_impossible);
    check_spans(&s);
    qa_set_free(&s);
}

/* The same questions and answer texts as the scoring reader finds, on real files. */
static void test_real_slices(void **state) {
    (void)state;
    static const struct { const char *rel; size_t nq, na, narticles; const char *last_id, *last_text; long last_start; size_t last_byte; } F[] = {
        {"data/xquad/xquad.de.json", 30, 30, 1, "56d99f99dc89441400fdb62c", "17", 293, 293},
        {"data/xquad/xquad.zh.json", 30, 30, 1, "56d99f99dc89441400fdb62c", "17", 104, 256},
        {"data/tydiqa/tydiqa-goldp-dev-english.json", 6, 9, 6, "english-7916249696124721578-1", "1919", 65, 65},
        {"data/tydiqa/tydiqa-goldp-dev-arabic.json", 4, 6, 4, "arabic--7165672200361826550-0", "مدينة جبيل اللبنانية", 48, 87},
    };
    for (size_t f = 0; f < sizeof F / sizeof *F; f++) {
        QaSet s = read_ok(F[f].rel);
        assert_int_equal(s.n, F[f].nq);
        assert_int_equal(s.st.nanswers, F[f].na);
        assert_int_equal(s.st.narticles, F[f].narticles);
        assert_int_equal(s.st.nimpossible, 0);
        const QaExample *last = &s.v[s.n - 1];
        assert_string_equal(last->id, F[f].last_id);
        assert_string_equal(last->answers[0].text, F[f].last_text);
        assert_int_equal(last->answers[0].start, F[f].last_start);
        assert_int_equal(last->answers[0].byte_start, F[f].last_byte);
        check_spans(&s);
        SquadGold g;
        XsErr err = {0};
        assert_int_equal(squad_gold_read(tu_fixture(F[f].rel), &g, &err), 0);
        assert_int_equal(g.n, s.n);
        for (size_t i = 0; i < s.n; i++) {
            assert_string_equal(g.qa[i].id, s.v[i].id);
            assert_int_equal(g.qa[i].nanswers, s.v[i].nanswers);
            for (size_t k = 0; k < g.qa[i].nanswers; k++) assert_string_equal(g.qa[i].answers[k], s.v[i].answers[k].text);
        }
        squad_gold_free(&g);
        qa_set_free(&s);
    }
    QaSet s = read_ok("data/xquad/xquad.zh.json");
    assert_string_equal(s.v[0].question, "黑豹队的防守丢了多少分？");
    assert_string_equal(s.v[0].title, "Super_Bowl_50");
    assert_int_equal(s.v[0].answers[0].byte_start, 28);
    qa_set_free(&s);
}

static char *tmp_dir;
static char tmp_path[4096];
static const char *write_tmp(const char *text) {
    if (!tmp_dir) tmp_dir = tu_tmpdir();
    snprintf(tmp_path, sizeof tmp_path, "%s/bad.json", tmp_dir);
    FILE *f = fopen(tmp_path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return tmp_path;
}

/* One paragraph around qas_json; expects "<path>: <msg>". */
static void expect_error(const char *json, const char *msg) {
    const char *p = write_tmp(json);
    QaSet s;
    XsErr err = {0};
    assert_int_equal(qa_read(p, NULL, &s, &err), -1);
    char want[2048];
    snprintf(want, sizeof want, "%s%s", p, msg);
    if (strcmp(err.msg, want)) fail_msg("expected\n  %s\ngot\n  %s", want, err.msg);
    assert_int_equal(s.n, 0);
}

#define PAR(qas) "{\"version\": \"1.1\", \"data\": [{\"title\": \"T\", \"paragraphs\": [{\"context\": \"Zürich liegt am See.\", \"qas\": [" qas "]}]}]}"

static void test_malformed_all(void **state) {
    (void)state;
    /* "Zürich liegt am See.": "See" is at character 16. */
    expect_error(PAR("{\"id\": \"q1\", \"question\": \"Wo?\", \"answers\": [{\"text\": \"See\", \"answer_start\": 15}]}"),
                 ": question q1: answers[0]: expected \"See\" at answer_start 15 of the context, found \" Se\"");
    expect_error(PAR("{\"id\": \"q1\", \"question\": \"Wo?\", \"answers\": [{\"text\": \"See.\", \"answer_start\": 17}]}"),
                 ": question q1: answers[0]: answer_start 17 + 4 characters of \"See.\" is past the end of the context (20 characters)");
    expect_error(PAR("{\"id\": \"q1\", \"question\": \"Wo?\", \"answers\": [{\"text\": \"See\", \"answer_start\": -1}]}"),
                 ": question q1: answers[0]: answer_start -1 + 3 characters of \"See\" is past the end of the context (20 characters)");
    expect_error(PAR("{\"id\": \"q1\", \"question\": \"Wo?\", \"answers\": [{\"text\": \"See\", \"answer_start\": \"16\"}]}"),
                 ": question q1: answers[0]: expected an integer \"answer_start\"");
    expect_error(PAR("{\"id\": \"q1\", \"question\": \"Wo?\", \"answers\": [{\"answer_start\": 16}]}"),
                 ": question q1: answers[0]: expected a string \"text\"");
    expect_error(PAR("{\"id\": \"q1\", \"answers\": []}"), ": question q1: expected a string \"question\"");
    expect_error(PAR("{\"question\": \"Wo?\", \"answers\": []}"), ": data[0].paragraphs[0].qas[0]: expected a string \"id\"");
    expect_error(PAR("{\"id\": \"q1\", \"question\": \"Wo?\"}"), ": question q1: expected an \"answers\" array");
    expect_error(PAR("{\"id\": \"q1\", \"question\": \"Wo?\", \"answers\": []}"),
                 ": question q1: expected at least one answer (or \"is_impossible\": true)");
    expect_error(PAR("{\"id\": \"q1\", \"question\": \"Wo?\", \"is_impossible\": true, \"answers\": [{\"text\": \"See\", \"answer_start\": 16}]}"),
                 ": question q1: expected no answers for an unanswerable question (is_impossible), found 1");
    expect_error(PAR("{\"id\": \"q1\", \"question\": \"Wo?\", \"is_impossible\": \"no\", \"answers\": []}"),
                 ": question q1: expected \"is_impossible\" to be true or false");
    expect_error(PAR("{\"id\": \"q1\", \"question\": \"Wo?\", \"answers\": [{\"text\": \"See\", \"answer_start\": 16}]},"
                     "{\"id\": \"q1\", \"question\": \"Was?\", \"answers\": [{\"text\": \"Zürich\", \"answer_start\": 0}]}"),
                 ": question id q1 occurs twice");
    expect_error("{\"data\": [{\"title\": \"T\", \"paragraphs\": [{\"qas\": []}]}]}", ": data[0].paragraphs[0]: expected a string \"context\"");
    expect_error("{\"data\": [{\"title\": \"T\", \"paragraphs\": [{\"context\": \"x\"}]}]}", ": data[0].paragraphs[0]: expected a \"qas\" array");
    expect_error("{\"data\": [{\"title\": 3, \"paragraphs\": []}]}", ": data[0]: expected \"title\" to be a string");
    expect_error("{\"data\": [{\"title\": \"T\"}]}", ": data[0]: expected a \"paragraphs\" array");
    expect_error("{\"data\": {}}", ": expected {\"data\": [articles]} or a list of articles");
    expect_error("{\"data\": [\n  {\"title\": \"T\",, }]}", ":2: invalid JSON at column 17: string or '}' expected near ','");
}

static void test_skip_bad_rows(void **state) {
    (void)state;
    const char *p = write_tmp(
        "[{\"paragraphs\": [{\"context\": \"Zürich liegt am See.\", \"qas\": ["
        "{\"id\": \"a\", \"question\": \"Wo?\", \"answers\": [{\"text\": \"See\", \"answer_start\": 16}]},"
        "{\"id\": \"b\", \"question\": \"Wo?\", \"answers\": [{\"text\": \"See\", \"answer_start\": 3}]},"
        "{\"id\": \"c\", \"question\": \"Was?\", \"answers\": [{\"text\": \"Zürich\", \"answer_start\": 0}, {\"text\": \"Zürich liegt\", \"answer_start\": 0}]}]},"
        "{\"qas\": []}]}]");
    QaReadOpts o = {.skip_bad_rows = 1};
    QaSet s;
    XsErr err = {0};
    assert_int_equal(qa_read(p, &o, &s, &err), 2);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.v[0].id, "a");
    assert_string_equal(s.v[1].id, "c");
    assert_int_equal(s.v[1].nanswers, 2);
    assert_int_equal(s.v[1].answers[1].byte_end, 13);
    assert_int_equal(s.st.nbad, 2);
    assert_string_equal(s.st.version, "");  /* a bare list of articles has none */
    assert_string_equal(s.v[0].title, "");
    qa_set_free(&s);
}

static int stop_first(void *ctx, const QaExample *ex, XsErr *err) {
    (void)ctx;
    return err_set(err, NULL, 0, "stopped at %s", ex->id);
}

static void test_stream_stop(void **state) {
    (void)state;
    XsErr err = {0};
    QaReadStats st;
    assert_int_equal(qa_stream(tu_fixture("data/squad/dev-v2.0.json"), NULL, stop_first, NULL, &st, &err), -1);
    assert_string_equal(err.msg, "stopped at 5a8d7bf7df8bba001a0f9001");
    assert_int_equal(st.nquestions, 1);
}

static int teardown(void **state) {
    (void)state;
    if (tmp_dir) { tu_rmtree(tmp_dir); free(tmp_dir); tmp_dir = NULL; }
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_squad_v2),
        cmocka_unit_test(test_real_slices),
        cmocka_unit_test(test_malformed_all),
        cmocka_unit_test(test_skip_bad_rows),
        cmocka_unit_test(test_stream_stop),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
