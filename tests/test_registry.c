/* test_registry.c — tasks/registry (the task table against evaluate.py's XTREME_TASK2LANGS / GROUP2TASK)
 * and eval/score's task → metric dispatch called as a library: every official golden of
 * tests/fixtures/metrics/goldens.json (official scripts' numbers, 1e-9), and misuse as XsErr, not exit. */
#include "testutil.h"
#include "eval/score.h"
#include "tasks/registry.h"
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define FIX "tests/fixtures/metrics/"

static void test_table(void **state) {
    (void)state;
    /* evaluate.py: the 9 XTREME tasks first, in its order, with its language counts and groups */
    const char *order[] = {"pawsx", "xnli", "panx", "udpos", "bucc2018", "tatoeba", "xquad", "mlqa", "tydiqa"};
    const int nlang[] = {7, 15, 40, 33, 4, 36, 11, 7, 9};
    const TaskGroup grp[] = {GROUP_CLASSIFICATION, GROUP_CLASSIFICATION, GROUP_TAGGING, GROUP_TAGGING, GROUP_RETRIEVAL,
                             GROUP_RETRIEVAL, GROUP_QA, GROUP_QA, GROUP_QA};
    assert_int_equal(task_xtreme_count(), 9);
    for (int i = 0; i < 9; i++) {
        const TaskInfo *t = task_at(i);
        assert_string_equal(t->name, order[i]);
        assert_ptr_equal(task_find(order[i]), t);
        assert_int_equal(task_num_langs(t), nlang[i]);
        assert_int_equal(t->group, grp[i]);
        char first[8], last[8];
        snprintf(first, sizeof first, "%.*s", (int)strcspn(t->xtreme_langs, ","), t->xtreme_langs);
        snprintf(last, sizeof last, "%s", strrchr(t->xtreme_langs, ',') + 1);
        assert_true(task_has_lang(t, first) && task_has_lang(t, last));
        assert_non_null(t->metric_keys[0]);
        assert_non_null(t->major_metric);
    }
    assert_true(task_has_lang(task_find("tatoeba"), "jv"));
    assert_false(task_has_lang(task_find("bucc2018"), "en"));
    assert_false(task_has_lang(task_find("xnli"), "e"));   /* whole codes only */
    assert_false(task_has_lang(task_find("squad"), "en")); /* not an XTREME task */
    assert_int_equal(task_find("squad")->group, GROUP_NONE);
    assert_int_equal(task_find("squad2")->metric, METRIC_SQUAD_V2);
    assert_int_equal(task_find("mlqa")->metric, METRIC_MLQA);
    assert_int_equal(task_find("udpos")->type, TASK_TAGGING);
    assert_null(task_find("xnlii"));
    assert_null(task_at(task_count()));
    assert_string_equal(task_group_name(GROUP_TAGGING), "tagging");
    assert_string_equal(task_group_label(GROUP_QA), "Question answering");
    assert_null(task_group_name(GROUP_NONE));
    char names[512];
    task_names_list(names, sizeof names);
    assert_non_null(strstr(names, "pawsx, xnli, "));
    assert_non_null(strstr(names, ", squad or squad2"));
}

/* Every official golden through score_task (no CLI in between). */
static void test_score_goldens(void **state) {
    (void)state;
    json_error_t je;
    json_t *m = json_load_file(FIX "goldens.json", 0, &je);
    assert_non_null(m);
    json_t *cases = json_object_get(m, "cases"), *c;
    size_t i, ncmp = 0, nbad = 0;
    double maxdiff = 0;
    json_array_foreach(cases, i, c) {
        const TaskInfo *t = task_find(json_string_value(json_object_get(c, "task")));
        assert_non_null(t);
        char pred[512], gold[512], na[512];
        snprintf(pred, sizeof pred, FIX "%s", json_string_value(json_object_get(c, "pred")));
        snprintf(gold, sizeof gold, FIX "%s", json_string_value(json_object_get(c, "gold")));
        ScoreOpts o = score_opts_default();
        o.lang = json_string_value(json_object_get(c, "lang"));
        json_t *args = json_object_get(c, "args"), *a;
        size_t k;
        json_array_foreach(args, k, a) {
            const char *s = json_string_value(a);
            if (!strcmp(s, "--allow-missing")) o.allow_missing = 1;
            else if (!strcmp(s, "--na-prob")) {
                snprintf(na, sizeof na, FIX "%s", json_string_value(json_array_get(args, ++k)));
                o.na_prob_path = na;
            } else if (!strcmp(s, "--na-prob-thresh")) o.na_prob_thresh = atof(json_string_value(json_array_get(args, ++k)));
            else fail_msg("unknown golden arg %s", s);
        }
        XsErr err = {0};
        json_t *got = json_object();
        if (score_task(t, pred, gold, &o, got, &err)) {
            printf("FAILED %s %s: %s\n", t->name, pred, err.msg);
            nbad++;
        }
        const char *key;
        json_t *want;
        json_object_foreach(json_object_get(c, "expected"), key, want) {
            json_t *g = json_object_get(got, key);
            ncmp++;
            double d = g ? fabs(json_number_value(g) - json_number_value(want)) : INFINITY;
            if (!(d <= 1e-9)) { printf("MISMATCH %s %s %s\n", t->name, pred, key); nbad++; }
            if (d > maxdiff) maxdiff = d;
        }
        json_decref(got);
    }
    printf("score_task: %zu goldens, %zu values, %zu bad, max |diff| %.3g\n", json_array_size(cases), ncmp, nbad, maxdiff);
    json_decref(m);
    assert_int_equal(nbad, 0);
    assert_true(ncmp > 1000);
}

static void test_score_misuse(void **state) {
    (void)state;
    XsErr err = {0};
    json_t *o = json_object();
    ScoreOpts so = score_opts_default();
    so.allow_missing = 1;
    assert_int_equal(score_task(task_find("xnli"), FIX "xnli/pred.sw.perfect.txt", FIX "xnli/gold.sw.txt", &so, o, &err), -1);
    assert_non_null(strstr(err.msg, "QA tasks only"));
    so = score_opts_default();
    assert_int_equal(score_task(task_find("mlqa"), FIX "xquad/pred.en.perfect.json", FIX "xquad/gold.en.json", &so, o, &err), -1);
    assert_non_null(strstr(err.msg, "mlqa needs a language"));
    assert_int_equal(score_task(task_find("xnli"), FIX "xnli/pred.sw.perfect.txt", FIX "xnli/xnli.dev.tsv", &so, o, &err), -1);
    assert_non_null(strstr(err.msg, "needs a language"));
    so.gold_format = "csv";
    assert_int_equal(score_task(task_find("xnli"), FIX "xnli/pred.sw.perfect.txt", FIX "xnli/gold.sw.txt", &so, o, &err), -1);
    assert_non_null(strstr(err.msg, "got 'csv'"));
    so = score_opts_default();
    assert_int_equal(score_task(task_find("xnli"), FIX "xnli/pred.sw.perfect.txt", FIX "xnli/nope.txt", &so, o, &err), -1);
    assert_non_null(strstr(err.msg, "xnli/nope.txt"));
    assert_int_equal(json_object_size(o), 0); /* nothing half-written */
    json_decref(o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_score_goldens),
        cmocka_unit_test(test_score_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
