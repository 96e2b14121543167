/* test_run_hparams.c — run/hparams: the study's defaults per task (xstilts-notes §1.4), the strict JSON override
 * (unknown keys, types, ranges; nothing applied on error), the canonical JSON (re-applying it reproduces the
 * settings; retrieval hashes only what retrieval uses), the updates rule, and locating a JSON path in the text. */
#include "testutil.h"
#include "run/hparams.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *parse(const char *s) {
    json_error_t je;
    json_t *o = json_loads(s, JSON_REJECT_DUPLICATES, &je);
    assert_non_null(o);
    return o;
}

static void test_defaults(void **state) {
    (void)state;
    HParams h;
    hparams_defaults(&h, HP_TARGET, "xnli", TASK_CLASSIFICATION);
    assert_int_equal(h.train.batch, 4);
    assert_int_equal(h.train.accum, 8);
    assert_int_equal(h.train.epochs, 2);
    assert_int_equal(h.max_len, 256);
    assert_true(h.train.lr == 1e-5 && h.train.warmup_ratio == 0.1 && h.train.weight_decay == 0.01);
    assert_true(h.train.max_grad_norm == 1.0 && h.adam_eps == 1e-8);
    assert_int_equal(h.eval_every, 1000);
    assert_int_equal(h.eval_examples, 500);
    assert_int_equal(h.patience, 30);
    hparams_defaults(&h, HP_TARGET, "pawsx", TASK_CLASSIFICATION);
    assert_int_equal(h.train.epochs, 5);
    hparams_defaults(&h, HP_TARGET, "udpos", TASK_TAGGING);
    assert_int_equal(h.train.epochs, 10);
    hparams_defaults(&h, HP_TARGET, "panx", TASK_TAGGING);
    assert_int_equal(h.train.epochs, 10);
    hparams_defaults(&h, HP_TARGET, "tydiqa", TASK_SPAN_QA);
    assert_int_equal(h.train.epochs, 2);
    assert_int_equal(h.train.accum, 4);
    assert_int_equal(h.max_len, 384);
    assert_int_equal(h.doc_stride, 128);
    hparams_defaults(&h, HP_TARGET, "tatoeba", TASK_RETRIEVAL);
    assert_int_equal(h.max_len, 512);
    assert_int_equal(h.layer, -1);
    assert_int_equal(h.pool_cls, 0);
    hparams_defaults(&h, HP_INTERMEDIATE, "squad", TASK_SPAN_QA);
    assert_int_equal(h.train.epochs, 3);
    assert_int_equal(h.eval_every, 0);
    assert_int_equal(h.max_len, 256);
    assert_int_equal(h.qa_max_len, 384);
}

static void test_apply(void **state) {
    (void)state;
    HParams h, h0;
    hparams_defaults(&h, HP_TARGET, "xnli", TASK_CLASSIFICATION);
    json_t *o = parse("{\"lr\": 2e-5, \"batch\": 8, \"epochs\": 3, \"dropout\": false, \"pool\": \"cls\", \"max_steps\": 0}");
    XsErr err = {0};
    assert_int_equal(hparams_apply_json(&h, o, "c.json", NULL, "hparams", &err), 0);
    assert_true(h.train.lr == 2e-5);
    assert_int_equal(h.train.batch, 8);
    assert_int_equal(h.train.epochs, 3);
    assert_int_equal(h.train.dropout, 0);
    assert_int_equal(h.pool_cls, 1);
    json_decref(o);

    /* errors: h unchanged, message names file, line:col (text given) and the key path */
    const char *bad[][2] = {
        {"{\"lr\": \"fast\"}", "c.json:1:8: rows[1].hparams.lr: expected a number"},
        {"{\"lr\": 1.5}", "c.json:1:8: rows[1].hparams.lr: expected a learning rate below 1"},
        {"{\"batch\": 0}", "c.json:1:11: rows[1].hparams.batch: expected an integer from 1"},
        {"{\"batch\": 2.5}", "c.json:1:11: rows[1].hparams.batch: expected an integer"},
        {"{\n  \"epochs\": 1,\n  \"lrr\": 1}", "c.json:3:10: rows[1].hparams.lrr: unknown hyperparameter \"lrr\" (known: batch,"},
        {"{\"warmup_ratio\": 1.5}", "c.json:1:18: rows[1].hparams.warmup_ratio: expected a number from 0 to 1"},
        {"{\"dropout\": 1}", "c.json:1:13: rows[1].hparams.dropout: expected true or false"},
        {"{\"pool\": \"max\"}", "c.json:1:10: rows[1].hparams.pool: expected \"mean\" or \"cls\", found \"max\""},
        {"{\"layer\": -2}", "c.json:1:11: rows[1].hparams.layer: expected -1"},
        {"[1]", "c.json:1:1: rows[1].hparams: expected an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* the object sits at rows[1].hparams of a config text */
        char text[512];
        snprintf(text, sizeof text, "{\"rows\": [{}, {\"hparams\": %s}]}", bad[i][0]);
        json_t *root = parse(text);
        json_t *obj = json_object_get(json_array_get(json_object_get(root, "rows"), 1), "hparams");
        hparams_defaults(&h, HP_TARGET, "xnli", TASK_CLASSIFICATION);
        h0 = h;
        /* the expected columns are those of the value inside the bare object: shift by the prefix length */
        int line, col;
        char want[256];
        int off = (int)strlen("{\"rows\": [{}, {\"hparams\": ");
        int l0, c0;
        assert_int_equal(sscanf(bad[i][1], "c.json:%d:%d:", &l0, &c0), 2);
        snprintf(want, sizeof want, "c.json:%d:%d:%s", l0, l0 == 1 ? c0 + off : c0, strchr(strchr(bad[i][1] + 7, ':') + 1, ':') + 1);
        err_clear(&err);
        assert_int_equal(hparams_apply_json(&h, obj, "c.json", text, "rows[1].hparams", &err), -1);
        if (strncmp(err.msg, want, strlen(want))) fail_msg("case %zu: got '%s', want prefix '%s'", i, err.msg, want);
        assert_memory_equal(&h, &h0, sizeof h);
        (void)line; (void)col;
        json_decref(root);
    }
    /* the bad value is found even after a good one (apply is all-or-nothing) */
    hparams_defaults(&h, HP_TARGET, "xnli", TASK_CLASSIFICATION);
    h0 = h;
    o = parse("{\"lr\": 3e-5, \"epochs\": -1}");
    assert_int_equal(hparams_apply_json(&h, o, "c.json", NULL, "hparams", &err), -1);
    assert_memory_equal(&h, &h0, sizeof h);
    assert_non_null(strstr(err.msg, "c.json: hparams.epochs: expected an integer from 1"));
    json_decref(o);
}

static void test_canonical(void **state) {
    (void)state;
    HParams a, b;
    hparams_defaults(&a, HP_TARGET, "mlqa", TASK_SPAN_QA);
    json_t *o = parse("{\"lr\": 3e-5, \"doc_stride\": 64, \"adamw_legacy\": true, \"max_steps\": 100}");
    XsErr err = {0};
    assert_int_equal(hparams_apply_json(&a, o, NULL, NULL, "", &err), 0);
    json_decref(o);
    /* the canonical JSON re-applied onto fresh defaults gives the same settings */
    json_t *j = hparams_to_json(&a, TASK_SPAN_QA, HP_TARGET);
    hparams_defaults(&b, HP_TARGET, "mlqa", TASK_SPAN_QA);
    assert_int_equal(hparams_apply_json(&b, j, NULL, NULL, "", &err), 0);
    assert_true(b.train.lr == 3e-5 && b.doc_stride == 64 && b.train.hf_legacy == 1 && b.train.max_steps == 100);
    assert_true(memcmp(&a.train, &b.train, sizeof a.train) == 0);
    json_decref(j);
    /* retrieval hashes only max_len, layer, pool: a learning rate does not change it */
    hparams_defaults(&a, HP_TARGET, "tatoeba", TASK_RETRIEVAL);
    b = a;
    b.train.lr = 5e-5;
    json_t *ja = hparams_to_json(&a, TASK_RETRIEVAL, HP_TARGET), *jb = hparams_to_json(&b, TASK_RETRIEVAL, HP_TARGET);
    assert_true(json_equal(ja, jb));
    assert_int_equal(json_object_size(ja), 3);
    b.layer = 7;
    json_decref(jb);
    jb = hparams_to_json(&b, TASK_RETRIEVAL, HP_TARGET);
    assert_false(json_equal(ja, jb));
    json_decref(ja);
    json_decref(jb);
}

static void test_updates(void **state) {
    (void)state;
    HParams h;
    hparams_defaults(&h, HP_TARGET, "xnli", TASK_CLASSIFICATION); /* 4 x 8, 2 epochs */
    /* 392,702 MNLI examples: ceil(392702 / 4) = 98,176 micro-batches, ceil(/ 8) = 12,272 updates per epoch */
    assert_int_equal(hparams_updates(&h, 392702), 2 * 12272);
    assert_int_equal(hparams_updates(&h, 1), 2);
    assert_int_equal(hparams_updates(&h, 0), 0);
    h.train.max_steps = 77;
    assert_int_equal(hparams_updates(&h, 392702), 77);
}

static void test_locate(void **state) {
    (void)state;
    const char *t = "{\n  \"a\": {\"b\": [10, {\"c\": \"x\\\"]\"}, [1, 2]]},\n  \"d\": \"é\", \"e\": true\n}";
    int l, c;
    assert_int_equal(json_text_locate(t, "", &l, &c), 0);
    assert_int_equal(l, 1);
    assert_int_equal(c, 1);
    assert_int_equal(json_text_locate(t, "a", &l, &c), 0);
    assert_int_equal(l, 2);
    assert_int_equal(c, 8);
    assert_int_equal(json_text_locate(t, "a.b[1].c", &l, &c), 0);
    assert_int_equal(c, 25);
    assert_int_equal(json_text_locate(t, "a.b[2][1]", &l, &c), 0);
    assert_int_equal(c, 38);
    /* columns count characters (é is 2 bytes) */
    assert_int_equal(json_text_locate(t, "e", &l, &c), 0);
    assert_int_equal(l, 3);
    assert_int_equal(c, 18);
    assert_int_equal(json_text_locate(t, "a.b[3]", &l, &c), -1);
    assert_int_equal(json_text_locate(t, "a.z", &l, &c), -1);
    assert_int_equal(json_text_locate(t, "d[0]", &l, &c), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_updates),
        cmocka_unit_test(test_locate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
