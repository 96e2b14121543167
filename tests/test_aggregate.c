/* test_aggregate.c — eval/aggregate against the official xtreme evaluate.py aggregation (goldens from
 * tools/gen_aggregate_goldens.py): full, partial and extra inputs (the latter with xstilts score's non-metric
 * keys), array input; missing languages; bad input; renderings. */
#include "testutil.h"
#include "core/util.h"
#include "eval/aggregate.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *load(const char *rel) {
    json_error_t je;
    json_t *j = json_load_file(tu_fixture(rel), 0, &je);
    if (!j) fail_msg("%s:%d: %s", rel, je.line, je.text);
    return j;
}

/* Every number in `ref` is in `got` at the same path within 1e-12 relative (Python sums a set of tasks in
 * hash order); returns the count compared, fails on any mismatch or missing key. */
static size_t compare(const json_t *got, const json_t *ref, const char *where) {
    size_t n = 0;
    if (json_is_object(ref)) {
        assert_true(json_is_object(got));
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)ref, k, v) {
            json_t *g = json_object_get(got, k);
            if (!g) fail_msg("%s.%s missing", where, k);
            char w[256];
            snprintf(w, sizeof w, "%s.%s", where, k);
            n += compare(g, v, w);
        }
        return n;
    }
    double a = json_number_value(got), b = json_number_value(ref);
    if (!(fabs(a - b) <= 1e-12 * fabs(b))) fail_msg("%s: got %.17g, evaluate.py %.17g", where, a, b);
    return 1;
}

static void check_case(const char *name, size_t *values, int expect_all) {
    char a[64], b[64];
    snprintf(a, sizeof a, "aggregate/%s.in.json", name);
    snprintf(b, sizeof b, "aggregate/%s.expected.json", name);
    json_t *in = load(a), *exp = load(b);
    XsErr err = {0};
    json_t *rep = aggregate_xtreme(in, NULL, a, &err);
    if (!rep) fail_msg("%s", err.msg);
    *values += compare(rep, exp, name);
    /* nothing beyond evaluate.py's keys except the "ignored" note */
    const char *k;
    json_t *v;
    json_object_foreach(rep, k, v) if (!json_object_get(exp, k)) assert_string_equal(k, "ignored");
    assert_int_equal(json_object_get(rep, "all_task") != NULL, expect_all);
    assert_null(json_object_get(rep, "incomplete"));
    json_decref(rep);
    json_decref(in);
    json_decref(exp);
}

static void test_matches_evaluate_py(void **state) {
    (void)state;
    size_t values = 0;
    check_case("full", &values, 1);
    check_case("partial", &values, 0);
    check_case("extra", &values, 1);
    print_message("aggregate: %zu values match evaluate.py (full, partial, extra)\n", values);
    assert_true(values > 1000);
    /* extra: the unknown task and the non-XTREME languages are named under "ignored" */
    json_t *in = load("aggregate/extra.in.json");
    XsErr err = {0};
    json_t *rep = aggregate_xtreme(in, NULL, "extra", &err);
    json_t *ign = json_object_get(rep, "ignored");
    assert_int_equal(json_array_size(ign), 3);
    char *s = json_dumps(ign, 0);
    assert_non_null(strstr(s, "xcopa"));
    assert_non_null(strstr(s, "xnli/my"));
    assert_non_null(strstr(s, "pawsx/it"));
    free(s);
    json_decref(rep);
    json_decref(in);
}

/* The same results as an array of `xstilts score` outputs ({"task", "lang", metrics}). */
static void test_array_input(void **state) {
    (void)state;
    json_t *in = load("aggregate/full.in.json"), *exp = load("aggregate/full.expected.json"), *arr = json_array();
    const char *task, *lang;
    json_t *tv, *lv;
    json_object_foreach(in, task, tv) json_object_foreach(tv, lang, lv) {
        json_t *e = json_deep_copy(lv);
        json_object_set_new(e, "task", json_string(task));
        json_object_set_new(e, "lang", json_string(lang));
        json_object_set_new(e, "total", json_integer(100));
        json_array_append_new(arr, e);
    }
    XsErr err = {0};
    json_t *rep = aggregate_xtreme(arr, NULL, "a.json", &err);
    if (!rep) fail_msg("%s", err.msg);
    size_t n = compare(rep, exp, "array");
    assert_true(n > 300);
    json_decref(rep);
    json_array_append(arr, json_array_get(arr, 0)); /* a second xnli/… entry */
    assert_null(aggregate_xtreme(arr, NULL, "a.json", &err));
    assert_non_null(strstr(err.msg, "a second result for"));
    json_decref(arr);
    json_decref(in);
    json_decref(exp);
}

static void test_missing_language(void **state) {
    (void)state;
    json_t *in = load("aggregate/full.in.json");
    json_t *xnli = json_object_get(in, "xnli");
    double de = json_real_value(json_object_get(json_object_get(xnli, "de"), "accuracy"));
    double sum = 0;
    const char *k;
    json_t *v;
    json_object_foreach(xnli, k, v) sum += json_real_value(json_object_get(v, "accuracy"));
    json_object_del(xnli, "de");
    XsErr err = {0};
    assert_null(aggregate_xtreme(in, NULL, "r.json", &err));
    assert_non_null(strstr(err.msg, "r.json"));
    assert_non_null(strstr(err.msg, "xnli"));
    assert_non_null(strstr(err.msg, "de"));
    AggOpts o = {1};
    json_t *rep = aggregate_xtreme(in, &o, "r.json", &err);
    assert_non_null(rep);
    assert_null(json_object_get(rep, "all_task"));
    assert_null(json_object_get(rep, "classification"));
    assert_non_null(json_object_get(rep, "qa"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(rep, "incomplete"), "xnli")), "de");
    double avg = json_real_value(json_object_get(json_object_get(rep, "xnli"), "avg_accuracy"));
    assert_true(fabs(avg - (sum - de) / 14) < 1e-9);
    json_decref(rep);
    json_decref(in);
}

static void test_bad_input(void **state) {
    (void)state;
    XsErr err = {0};
    json_error_t je;
    json_t *j = json_loads("{\"xnli\": {\"de\": {\"accuracy\": \"80\"}}}", 0, &je);
    assert_null(aggregate_xtreme(j, NULL, "r.json", &err));
    assert_non_null(strstr(err.msg, "xnli.de.accuracy: expected a number"));
    json_decref(j);
    j = json_loads("[1, 2]", 0, &je);
    assert_null(aggregate_xtreme(j, NULL, "r.json", &err));
    assert_non_null(strstr(err.msg, "element 0: expected an object with \"task\" and \"lang\""));
    json_decref(j);
    j = json_string("xnli");
    assert_null(aggregate_xtreme(j, NULL, "r.json", &err));
    assert_non_null(strstr(err.msg, "expected a JSON object"));
    json_decref(j);
    /* a QA task without exact_match */
    j = json_loads("{\"mlqa\": {\"en\": {\"f1\": 1}, \"es\": {\"f1\": 1}, \"de\": {\"f1\": 1}, \"ar\": {\"f1\": 1},"
                   "\"hi\": {\"f1\": 1}, \"vi\": {\"f1\": 1}, \"zh\": {\"f1\": 1}}}", 0, &je);
    assert_null(aggregate_xtreme(j, NULL, "r.json", &err));
    assert_non_null(strstr(err.msg, "exact_match"));
    json_decref(j);
}

/* Issue 12 item 6: values outside 0..100, fractions taken for percentages, nothing to aggregate. */
static void test_ranges_and_emptiness(void **state) {
    (void)state;
    AggOpts o = {1};
    XsErr err = {0};
    json_error_t je;
    json_t *j = json_loads("{\"xnli\": {\"de\": {\"accuracy\": 250}}}", 0, &je);
    assert_null(aggregate_xtreme(j, &o, "r.json", &err));
    assert_non_null(strstr(err.msg, "r.json: xnli.de.accuracy: expected a percentage from 0 to 100, found 250"));
    json_decref(j);
    j = json_loads("{\"xnli\": {\"de\": {\"accuracy\": -1}}}", 0, &je);
    assert_null(aggregate_xtreme(j, &o, "r.json", &err));
    assert_non_null(strstr(err.msg, "found -1"));
    json_decref(j);
    j = json_loads("{\"xnli\": {\"de\": {\"accuracy\": 0.55}, \"fr\": {\"accuracy\": 0.61}}}", 0, &je);
    assert_null(aggregate_xtreme(j, &o, "r.json", &err));
    assert_non_null(strstr(err.msg, "expected percentages (0-100)"));
    json_decref(j);
    j = json_loads("{}", 0, &je);
    assert_null(aggregate_xtreme(j, &o, "r.json", &err));
    assert_non_null(strstr(err.msg, "r.json: expected results for at least one XTREME task"));
    json_decref(j);
    j = json_loads("{\"sst2\": {\"en\": {\"accuracy\": 90}}}", 0, &je);
    assert_null(aggregate_xtreme(j, &o, "r.json", &err));
    assert_non_null(strstr(err.msg, "found none"));
    json_decref(j);
    j = json_loads("[]", 0, &je);
    assert_null(aggregate_xtreme(j, &o, "r.json", &err));
    json_decref(j);
    /* 0.55 next to 80 is a (poor) percentage, accepted */
    j = json_loads("{\"xnli\": {\"de\": {\"accuracy\": 0.55}, \"fr\": {\"accuracy\": 80}}}", 0, &je);
    json_t *r = aggregate_xtreme(j, &o, "r.json", &err);
    assert_non_null(r);
    json_decref(r);
    json_decref(j);
}

static void test_renderings(void **state) {
    (void)state;
    json_t *in = load("aggregate/full.in.json");
    XsErr err = {0};
    json_t *rep = aggregate_xtreme(in, NULL, "full", &err);
    char *dir = tu_tmpdir(), md[1100], csv[1100];
    snprintf(md, sizeof md, "%s/r.md", dir);
    snprintf(csv, sizeof csv, "%s/r.csv", dir);
    assert_int_equal(aggregate_write_markdown(rep, md, &err), 0);
    assert_int_equal(aggregate_write_csv(rep, csv, &err), 0);
    size_t len;
    char *m = file_read_all(md, &len, &err), *c = file_read_all(csv, &len, &err);
    char want[64];
    snprintf(want, sizeof want, "**%.2f**", json_real_value(json_object_get(rep, "all_task")));
    assert_non_null(strstr(m, want));
    assert_non_null(strstr(m, "| XQuAD | Question answering | 11/11 |"));
    snprintf(want, sizeof want, "xtreme,avg,score,%.17g\n", json_real_value(json_object_get(rep, "all_task")));
    assert_non_null(strstr(c, want));
    /* 1 header + 343 per-language values + 27 task averages/scores + 4 groups + 1 overall */
    size_t lines = 0;
    for (char *p = c; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 376);
    free(m);
    free(c);
    tu_rmtree(dir);
    free(dir);
    json_decref(rep);
    json_decref(in);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_evaluate_py),
        cmocka_unit_test(test_array_input),
        cmocka_unit_test(test_missing_language),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_ranges_and_emptiness),
        cmocka_unit_test(test_renderings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
