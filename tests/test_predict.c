/* test_predict.c — tasks/taskdata + tasks/predict against Hugging Face: tiny HF-written folders with a head
 * (tools/gen_predict_fixtures.py) run over real fixture files give the labels / choices / per-word tags /
 * answer texts transformers + XTREME's post-processing give (tests/fixtures/predict/expected.json); the written
 * prediction file scored by score_task gives predict_score's JSON; errors: wrong head, label-set mismatch,
 * missing file, retrieval task, unlabeled file scored. */
#include "testutil.h"
#include "core/util.h"
#include "eval/score.h"
#include "tasks/predict.h"
#include "tasks/taskdata.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN 1e-3

static json_t *expected(void) {
    json_error_t je;
    json_t *e = json_load_file(tu_fixture("predict/expected.json"), 0, &je);
    assert_non_null(e);
    return e;
}

typedef struct Run {
    Tokenizer *tok;
    TaskData td;
    Model m;
    HeadConfig hc;
    Predictions p;
} Run;

/* Loads the task's file and the fixture folder, predicts (tokenizer: xlmr16k, or the uncased BERT vocabulary
 * for the bert_* folders). */
static void run_case(Run *r, const char *task, const char *file, const char *folder, int batch) {
    XsErr err = {0};
    r->tok = tokenizer_open(tu_fixture(strstr(folder, "bert") ? "tok/bert-uncased-vocab.txt" : "tok/xlmr16k.model"), &err);
    assert_non_null(r->tok);
    TaskDataOpts o = taskdata_opts_default();
    o.max_len = 128;
    o.qa_stride = 48;
    if (taskdata_load(&r->td, task_find(task), file, r->tok, &o, &err)) fail_msg("%s", err.msg);
    if (predict_load_model(tu_fixture(folder), &r->td, &r->m, &r->hc, &err)) fail_msg("%s", err.msg);
    PredictOpts po = predict_opts_default();
    po.batch = batch;
    if (predict_run(&r->m, &r->hc, &r->td, &r->p, &po, &err)) fail_msg("%s", err.msg);
    assert_int_equal(r->p.n, r->td.n);
}

static void run_free(Run *r) {
    predictions_free(&r->p);
    model_free(&r->m);
    taskdata_free(&r->td);
    tokenizer_free(r->tok);
}

/* The prediction file scored by score_task (what `xstilts score` runs) = predict_score, key by key. */
static void check_file_score(const Run *r, const char *gold) {
    char *dir = tu_tmpdir(), path[512], gpath[512];
    snprintf(path, sizeof path, "%s/pred", dir);
    XsErr err = {0};
    const char *gb = strrchr(gold, '/') ? strrchr(gold, '/') + 1 : gold;
    if (r->td.gold && strcmp(gb, "dev_2k.tsv")) { /* cls / choice gold for `score`: one label per line (reader's) */
        snprintf(gpath, sizeof gpath, "%s/gold", dir);
        FILE *f = fopen(gpath, "w");
        for (size_t i = 0; i < r->td.n; i++) fprintf(f, "%s\n", r->td.labels[r->td.gold[i]]);
        fclose(f);
        gold = gpath;
    }
    assert_int_equal(predict_write(&r->td, &r->p, path, NULL, &err), 0);
    json_t *a = json_object(), *b = NULL;
    ScoreOpts so = score_opts_default();
    if (score_task(r->td.task, path, gold, &so, a, &err)) fail_msg("%s", err.msg);
    double major = -1;
    if (predict_score(&r->td, &r->p, &b, &major, &err)) fail_msg("%s", err.msg);
    assert_true(json_equal(a, b));
    assert_true(json_object_size(a) >= 3);
    const TaskInfo *t = r->td.task;
    if (t->type == TASK_SPAN_QA)
        assert_true(major == (json_real_value(json_object_get(a, "exact_match")) + json_real_value(json_object_get(a, "f1"))) / 2);
    else
        assert_true(major == json_real_value(json_object_get(a, t->type == TASK_TAGGING ? "f1" : "accuracy")));
    char *s = json_dumps(b, JSON_COMPACT);
    printf("  %s: %s\n", t->name, s);
    free(s);
    json_decref(a);
    json_decref(b);
    tu_rmtree(dir);
    free(dir);
}

static void test_seqcls(void **state) {
    (void)state;
    json_t *all = expected(), *e = json_object_get(all, "xnli");
    Run r;
    const char *file = tu_fixture("data/xtreme/download/xnli/dev-sw.tsv");
    run_case(&r, "xnli", file, "predict/seqcls", 7); /* 20 examples in batches of 7: a short last batch */
    json_t *pred = json_object_get(e, "pred"), *margin = json_object_get(e, "margin");
    assert_int_equal(json_array_size(pred), r.td.n);
    size_t cmp = 0, nent = 0;
    for (size_t i = 0; i < r.td.n; i++) {
        if (json_real_value(json_array_get(margin, i)) <= MARGIN) continue;
        assert_string_equal(r.td.labels[r.p.label[i]], json_string_value(json_array_get(pred, i)));
        nent += r.p.label[i] == 1;
        cmp++;
    }
    assert_int_equal(cmp, r.td.n);
    assert_true(nent > 0 && nent < cmp); /* not one class for everything */
    check_file_score(&r, file);
    run_free(&r);
    json_decref(all);
}

/* BERT: token types 0/1 for the second sentence, the pooler under the classifier, [PAD] = 0. */
static void test_seqcls_bert(void **state) {
    (void)state;
    json_t *all = expected(), *e = json_object_get(all, "pawsx_bert");
    Run r;
    const char *file = tu_fixture("data/pawsx/x-final/de/dev_2k.tsv");
    run_case(&r, "pawsx", file, "predict/bert_seqcls", 16);
    assert_int_equal(r.m.cfg.arch, ARCH_BERT);
    json_t *pred = json_object_get(e, "pred"), *margin = json_object_get(e, "margin");
    assert_int_equal(json_array_size(pred), r.td.n);
    size_t cmp = 0, ones = 0;
    for (size_t i = 0; i < r.td.n; i++) {
        if (json_real_value(json_array_get(margin, i)) <= MARGIN) continue;
        assert_string_equal(r.td.labels[r.p.label[i]], json_string_value(json_array_get(pred, i)));
        ones += r.p.label[i] == 1;
        cmp++;
    }
    assert_int_equal(cmp, r.td.n);
    assert_true(ones > 0 && ones < cmp);
    check_file_score(&r, file); /* gold: score reads PAWS-X's dev_2k.tsv itself */
    run_free(&r);
    json_decref(all);
}

static void test_choice(void **state) {
    (void)state;
    json_t *all = expected(), *e = json_object_get(all, "commonsenseqa");
    Run r;
    const char *file = tu_fixture("data/commonsenseqa/dev_rand_split.hf-format.jsonl");
    run_case(&r, "commonsenseqa", file, "predict/choice", 8);
    json_t *pred = json_object_get(e, "pred"), *margin = json_object_get(e, "margin");
    assert_int_equal(json_array_size(pred), r.td.n);
    size_t cmp = 0;
    for (size_t i = 0; i < r.td.n; i++) {
        if (json_real_value(json_array_get(margin, i)) <= MARGIN) continue;
        assert_string_equal(r.td.labels[r.p.label[i]], json_string_value(json_array_get(pred, i)));
        cmp++;
    }
    assert_true(cmp >= r.td.n * 9 / 10);
    check_file_score(&r, file);
    run_free(&r);
    json_decref(all);
}

static void test_tokcls(void **state) {
    (void)state;
    json_t *all = expected(), *e = json_object_get(all, "udpos");
    Run r;
    const char *file = tu_fixture("data/xtreme/download/udpos/dev-en.tsv");
    run_case(&r, "udpos", file, "predict/tokcls", 5);
    json_t *pred = json_object_get(e, "pred"), *margin = json_object_get(e, "margin");
    assert_int_equal(json_array_size(pred), r.td.n);
    size_t cmp = 0, words = 0;
    for (size_t i = 0; i < r.td.n; i++) {
        json_t *tags = json_array_get(pred, i);
        assert_int_equal(json_array_size(tags), r.td.tags.v[i].n);
        if (json_real_value(json_array_get(margin, i)) <= MARGIN) continue;
        for (size_t w = 0; w < r.td.tags.v[i].n; w++)
            assert_string_equal(r.td.labels[r.p.tags[r.p.word0[i] + w]], json_string_value(json_array_get(tags, w)));
        words += r.td.tags.v[i].n;
        cmp++;
    }
    assert_true(cmp >= r.td.n * 9 / 10);
    printf("  udpos: %zu sentences, %zu words as HF\n", cmp, words);
    check_file_score(&r, file);
    run_free(&r);
    json_decref(all);
}

/* Tagging with windows: rows of 16 tokens split long sentences; every word still gets exactly one tag and the
 * file still scores (the per-word gather across windows). */
static void test_tokcls_windows(void **state) {
    (void)state;
    XsErr err = {0};
    Tokenizer *tok = tokenizer_open(tu_fixture("tok/xlmr16k.model"), &err);
    TaskData td;
    TaskDataOpts o = taskdata_opts_default();
    o.max_len = 16;
    const char *file = tu_fixture("data/xtreme/download/udpos/dev-en.tsv");
    if (taskdata_load(&td, task_find("udpos"), file, tok, &o, &err)) fail_msg("%s", err.msg);
    assert_true(td.rows.n > td.n); /* windows */
    Model m;
    HeadConfig hc;
    Predictions p;
    if (predict_load_model(tu_fixture("predict/tokcls"), &td, &m, &hc, &err)) fail_msg("%s", err.msg);
    if (predict_run(&m, &hc, &td, &p, NULL, &err)) fail_msg("%s", err.msg);
    size_t nw = 0;
    for (size_t i = 0; i < td.n; i++) nw += td.tags.v[i].n;
    assert_int_equal(p.word0[td.n], nw);
    for (size_t k = 0; k < nw; k++) assert_true(p.tags[k] >= 0 && p.tags[k] < 17);
    Run r = {.tok = tok, .td = td, .m = m, .hc = hc, .p = p};
    check_file_score(&r, file);
    run_free(&r);
}

static void test_qa(void **state) {
    (void)state;
    json_t *all = expected(), *e = json_object_get(all, "xquad");
    Run r;
    const char *file = tu_fixture("data/xquad/xquad.de.json");
    run_case(&r, "xquad", file, "predict/qa", 4);
    assert_true(r.td.rows.n > 2 * r.td.n); /* several windows per question (max-context rule used) */
    json_t *pred = json_object_get(e, "pred"), *margin = json_object_get(e, "margin");
    assert_int_equal(json_array_size(pred), r.td.n);
    size_t cmp = 0;
    for (size_t i = 0; i < r.td.n; i++) {
        if (json_real_value(json_array_get(margin, i)) <= MARGIN) continue;
        assert_string_equal(r.p.answers[i], json_string_value(json_array_get(pred, i)));
        cmp++;
    }
    assert_true(cmp >= r.td.n * 9 / 10);
    check_file_score(&r, file);
    run_free(&r);
    json_decref(all);
}

/* SQuAD 2.0: HF's version_2_with_negative decision (null score vs the best span) as the fixture; the threshold
 * decides: very low -> every answer "", very high -> the v1 answers. */
static void test_squad2(void **state) {
    (void)state;
    json_t *all = expected(), *e = json_object_get(all, "squad2");
    Run r;
    const char *file = tu_fixture("data/squad/dev-v2.0.json");
    run_case(&r, "squad2", file, "predict/qa", 2);
    json_t *pred = json_object_get(e, "pred"), *margin = json_object_get(e, "margin");
    assert_int_equal(json_array_size(pred), r.td.n);
    size_t cmp = 0;
    for (size_t i = 0; i < r.td.n; i++) {
        if (json_real_value(json_array_get(margin, i)) <= MARGIN) continue;
        assert_string_equal(r.p.answers[i], json_string_value(json_array_get(pred, i)));
        cmp++;
    }
    assert_int_equal(cmp, r.td.n);
    /* score_task and predict_score agree (squad2 keys: exact, f1, HasAns_*, NoAns_*) */
    char *dir = tu_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/pred.json", dir);
    XsErr err = {0};
    assert_int_equal(predict_write(&r.td, &r.p, path, NULL, &err), 0);
    json_t *a = json_object(), *b = NULL;
    ScoreOpts so = score_opts_default();
    if (score_task(r.td.task, path, file, &so, a, &err)) fail_msg("%s", err.msg);
    double major;
    if (predict_score(&r.td, &r.p, &b, &major, &err)) fail_msg("%s", err.msg);
    assert_true(json_equal(a, b));
    assert_non_null(json_object_get(b, "NoAns_total"));
    assert_true(major == (json_real_value(json_object_get(a, "exact")) + json_real_value(json_object_get(a, "f1"))) / 2);
    json_decref(a);
    json_decref(b);
    tu_rmtree(dir);
    free(dir);
    PredictOpts po = predict_opts_default();
    Predictions p;
    po.null_threshold = -1e30;
    assert_int_equal(predict_run(&r.m, &r.hc, &r.td, &p, &po, &err), 0);
    for (size_t i = 0; i < r.td.n; i++) assert_string_equal(p.answers[i], "");
    predictions_free(&p);
    run_free(&r);
    json_decref(all);
}

/* max_examples keeps the FIRST n; a second predict on the same TaskData gives the same predictions. */
static void test_subset_and_repeat(void **state) {
    (void)state;
    XsErr err = {0};
    Tokenizer *tok = tokenizer_open(tu_fixture("tok/xlmr16k.model"), &err);
    TaskDataOpts o = taskdata_opts_default();
    o.max_examples = 6;
    TaskData td;
    if (taskdata_load(&td, task_find("xnli"), tu_fixture("data/xtreme/download/xnli/dev-sw.tsv"), tok, &o, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(td.n, 6);
    assert_int_equal(td.rows.max_len, 256); /* the task's default */
    assert_int_equal(td.gold[1], 0);        /* line 2: contradiction */
    Model m;
    HeadConfig hc;
    Predictions a, b;
    if (predict_load_model(tu_fixture("predict/seqcls"), &td, &m, &hc, &err)) fail_msg("%s", err.msg);
    /* the model has 130 positions: rows of 256 do not fit */
    assert_int_equal(predict_run(&m, &hc, &td, &a, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "exceed the model's 128 positions"));
    taskdata_free(&td);
    o.max_len = 128;
    if (taskdata_load(&td, task_find("xnli"), tu_fixture("data/xtreme/download/xnli/dev-sw.tsv"), tok, &o, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(predict_run(&m, &hc, &td, &a, NULL, &err), 0);
    assert_int_equal(predict_run(&m, &hc, &td, &b, NULL, &err), 0);
    /* the trainer's one call: the same accuracy as scoring a's predictions */
    double major = -1, major2 = -2;
    json_t *j;
    assert_int_equal(predict_score(&td, &a, &j, &major, &err), 0);
    json_decref(j);
    assert_int_equal(predict_evaluate(&m, &hc, &td, NULL, NULL, &major2, &err), 0);
    assert_true(major == major2);
    json_t *e = expected();
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(a.label[i], b.label[i]);
        assert_string_equal(td.labels[a.label[i]],
                            json_string_value(json_array_get(json_object_get(json_object_get(e, "xnli"), "pred"), i)));
    }
    json_decref(e);
    predictions_free(&a);
    predictions_free(&b);
    model_free(&m);
    taskdata_free(&td);
    tokenizer_free(tok);
}

static void test_errors(void **state) {
    (void)state;
    XsErr err = {0};
    Tokenizer *tok = tokenizer_open(tu_fixture("tok/xlmr16k.model"), &err);
    TaskData td;
    Model m;
    HeadConfig hc;
    /* missing file: named */
    assert_int_equal(taskdata_load(&td, task_find("udpos"), "tests/fixtures/data/xtreme/download/udpos/dev-xx.tsv", tok, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "dev-xx.tsv"));
    /* retrieval task: no head */
    assert_int_equal(taskdata_load(&td, task_find("tatoeba"), tu_fixture("data/xquad/xquad.de.json"), tok, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "no head"));
    /* a PAWS-X file for xnli: label sets differ */
    assert_int_equal(taskdata_load(&td, task_find("xnli"), tu_fixture("data/xtreme/download/pawsx/dev-de.tsv"), tok, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "dev-de.tsv"));
    assert_non_null(strstr(err.msg, "task xnli has 3"));
    /* a file whose name says nothing */
    assert_int_equal(taskdata_load(&td, task_find("pawsx"), tu_fixture("predict/expected.json"), tok, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "cannot tell"));
    /* the wrong head: a token-classification folder for xnli */
    TaskDataOpts o = taskdata_opts_default();
    o.max_len = 128;
    assert_int_equal(taskdata_load(&td, task_find("xnli"), tu_fixture("data/xtreme/download/xnli/dev-sw.tsv"), tok, &o, &err), 0);
    assert_int_equal(predict_load_model(tu_fixture("predict/tokcls"), &td, &m, &hc, &err), -1);
    assert_non_null(strstr(err.msg, "has a XLMRobertaForTokenClassification head, task xnli needs XLMRobertaForSequenceClassification"));
    assert_non_null(strstr(err.msg, "predict/tokcls"));
    /* a base model without a head */
    assert_int_equal(predict_load_model(tu_fixture("model_io/xlmr_model"), &td, &m, &hc, &err), -1);
    taskdata_free(&td);
    /* tag-set mismatch: a 5-label token classifier for udpos (17 tags) */
    assert_int_equal(taskdata_load(&td, task_find("udpos"), tu_fixture("data/xtreme/download/udpos/dev-en.tsv"), tok, &o, &err), 0);
    assert_int_equal(predict_load_model(tu_fixture("model_head/xlmr_tokcls"), &td, &m, &hc, &err), -1);
    assert_non_null(strstr(err.msg, "has 5 labels"));
    assert_non_null(strstr(err.msg, "task udpos has 17"));
    /* a head with the right class but the wrong vocabulary: ids outside it */
    HeadConfig h2;
    Model m2;
    assert_int_equal(model_load_head(tu_fixture("model_head/xlmr_tokcls"), HEAD_TOKEN_CLS, 0, MODEL_LOAD_STRICT, 0, &m2, &h2, &err), 0);
    Predictions p;
    assert_int_equal(predict_run(&m2, &h2, &td, &p, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "labels, task udpos has 17"));
    model_free(&m2);
    taskdata_free(&td);
    /* an unlabeled file (XTREME test-*.tsv: guessed from the name) predicts but cannot be scored */
    if (taskdata_load(&td, task_find("xnli"), tu_fixture("data/xtreme/download/xnli/test-sw.tsv"), tok, &o, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(td.labeled, 0);
    if (predict_load_model(tu_fixture("predict/seqcls"), &td, &m, &hc, &err)) fail_msg("%s", err.msg);
    if (predict_run(&m, &hc, &td, &p, NULL, &err)) fail_msg("%s", err.msg);
    json_t *j = NULL;
    assert_int_equal(predict_score(&td, &p, &j, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "no gold"));
    predictions_free(&p);
    model_free(&m);
    taskdata_free(&td);
    tokenizer_free(tok);
}

/* A head saved with the task's label names (ModelConfig.label_names → config.json id2label) loads back for the
 * task; the same head saved with the names in another order is refused, naming the first difference. */
static void test_id2label_names(void **state) {
    (void)state;
    XsErr err = {0};
    Tokenizer *tok = tokenizer_open(tu_fixture("tok/xlmr16k.model"), &err);
    TaskDataOpts o = taskdata_opts_default();
    o.max_len = 128;
    o.max_examples = 3;
    TaskData td;
    if (taskdata_load(&td, task_find("xnli"), tu_fixture("data/xtreme/download/xnli/dev-sw.tsv"), tok, &o, &err))
        fail_msg("%s", err.msg);
    Model m, m2;
    HeadConfig hc;
    if (predict_load_model(tu_fixture("predict/seqcls"), &td, &m, &hc, &err)) fail_msg("%s", err.msg);
    char *dir = tu_tmpdir(), a[512], b[512];
    snprintf(a, sizeof a, "%s/named", dir);
    snprintf(b, sizeof b, "%s/swapped", dir);
    m.cfg.label_names = td.labels;
    assert_int_equal(model_save(a, &m, &err), 0);
    static const char *const swapped[] = {"entailment", "contradiction", "neutral"};
    m.cfg.label_names = swapped;
    assert_int_equal(model_save(b, &m, &err), 0);
    size_t n;
    char path[600];
    snprintf(path, sizeof path, "%s/config.json", a);
    char *cfg = file_read_all(path, &n, &err);
    assert_non_null(strstr(cfg, "\"2\": \"neutral\""));
    assert_non_null(strstr(cfg, "\"contradiction\": 0"));
    free(cfg);
    if (predict_load_model(a, &td, &m2, &hc, &err)) fail_msg("%s", err.msg);
    model_free(&m2);
    assert_int_equal(predict_load_model(b, &td, &m2, &hc, &err), -1);
    assert_non_null(strstr(err.msg, "id2label[0] is \"entailment\", task xnli's label 0 is \"contradiction\""));
    model_free(&m);
    tu_rmtree(dir);
    free(dir);
    taskdata_free(&td);
    tokenizer_free(tok);
}

static void test_registry_fields(void **state) {
    (void)state;
    size_t n;
    assert_int_equal(task_head_kind(task_find("xnli")), HEAD_SEQ_CLS);
    assert_int_equal(task_head_kind(task_find("hellaswag")), HEAD_MULTIPLE_CHOICE);
    assert_int_equal(task_head_kind(task_find("panx")), HEAD_TOKEN_CLS);
    assert_int_equal(task_head_kind(task_find("squad2")), HEAD_SPAN_QA);
    assert_int_equal(task_head_kind(task_find("bucc2018")), HEAD_NKINDS);
    const char *const *l = task_label_names(task_find("mnli"), &n);
    assert_int_equal(n, 3);
    assert_string_equal(l[0], "contradiction");
    l = task_label_names(task_find("commonsenseqa"), &n);
    assert_int_equal(n, 5);
    assert_string_equal(l[4], "E");
    l = task_label_names(task_find("panx"), &n);
    assert_int_equal(n, 7);
    assert_string_equal(l[6], "O");
    assert_null(task_label_names(task_find("xquad"), &n));
    assert_int_equal(task_find("tydiqa")->max_len, 384);
    assert_int_equal(task_find("qqp")->max_len, 256);
    assert_string_equal(task_hp_name(task_find("cosmosqa")->hp), "choice");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_fields), cmocka_unit_test(test_seqcls), cmocka_unit_test(test_seqcls_bert),
        cmocka_unit_test(test_choice),          cmocka_unit_test(test_tokcls),
        cmocka_unit_test(test_tokcls_windows),  cmocka_unit_test(test_qa), cmocka_unit_test(test_squad2),
        cmocka_unit_test(test_subset_and_repeat), cmocka_unit_test(test_errors), cmocka_unit_test(test_id2label_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
