/* test_train_steps.c — train/trainer against PyTorch: three updates (AdamW + warm-up/decay + clipping + accumulation 2,
 * dropout off) of tiny XLM-R / BERT models with a classification, multiple-choice and QA head end with every weight
 * equal to torch's, and the same for token classification and MLM (tools/gen_train_fixtures.py → tests/fixtures/train_steps); and 1 vs 2 threads bit-identical; the lazy embedding rows equal to the dense path bit for bit. */
#include "testutil.h"
#include "core/mem.h"
#include "model/safetensors.h"
#include "train/trainer.h"
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Case { const char *key; HeadKind kind; int K; int per_batch; } Case;
/* per_batch: units per micro-batch (rows, or multiple-choice examples) */
static const Case CASES[] = {
    {"xlmr_seqcls", HEAD_SEQ_CLS, 0, 4},
    {"bert_seqcls", HEAD_SEQ_CLS, 0, 4},
    {"xlmr_choice", HEAD_MULTIPLE_CHOICE, 3, 2},
    {"bert_qa", HEAD_SPAN_QA, 2, 4},
    {"xlmr_tokcls", HEAD_TOKEN_CLS, 0, 4},
    {"bert_mlm", HEAD_MLM, 0, 4},
};

/* The fixture's rows as a FeatRows of the case's kind (pad id from the model's config). */
static void load_rows(const SafeTensors *st, HeadKind kind, int pad, int per, FeatRows *r) {
    const StTensor *ti = st_find(st, "input_ids"), *tt = st_find(st, "token_type_ids"),
                   *tm = st_find(st, "attention_mask"), *tl = st_find(st, "labels");
    assert_non_null(ti); assert_non_null(tt); assert_non_null(tm); assert_non_null(tl);
    int n = (int)ti->shape[0], T = (int)ti->shape[1];
    const int32_t *ids = st_data(st, ti), *types = st_data(st, tt), *mask = st_data(st, tm), *lab = st_data(st, tl);
    FeatKind fk = kind == HEAD_SEQ_CLS ? FEAT_PAIR : kind == HEAD_MULTIPLE_CHOICE ? FEAT_CHOICE
                : kind == HEAD_TOKEN_CLS ? FEAT_TAG : kind == HEAD_MLM ? FEAT_MLM : FEAT_QA;
    memset(r, 0, sizeof *r);
    r->kind = fk;
    r->max_len = T;
    r->pad_id = pad;
    for (int b = 0; b < n; b++) {
        size_t i = feat_rows_add(r);
        memcpy(r->ids + i * T, ids + (size_t)b * T, (size_t)T * 4);
        memcpy(r->type_ids + i * T, types + (size_t)b * T, (size_t)T * 4);
        memcpy(r->mask + i * T, mask + (size_t)b * T, (size_t)T * 4);
        int len = 0;
        for (int t = 0; t < T; t++) len += mask[(size_t)b * T + t] != 0;
        r->info[i].len = len;
        r->info[i].example = b / per;
        r->info[i].choice = b % per;
        r->info[i].nwin = 1;
        if (fk == FEAT_PAIR) r->row_label[i] = lab[b];
        if (fk == FEAT_CHOICE) r->row_label[i] = lab[b / per];
        if (fk == FEAT_QA) { r->start_pos[i] = lab[2 * b]; r->end_pos[i] = lab[2 * b + 1]; }
        if (fk == FEAT_TAG || fk == FEAT_MLM) memcpy(r->labels + i * T, lab + (size_t)b * T, (size_t)T * 4);
    }
}

static float *st_f32_copy(const SafeTensors *st, const char *name, size_t *n) {
    const StTensor *t = st_find(st, name);
    if (!t) return NULL;
    *n = st_numel(t);
    float *x = xmalloc(*n * sizeof(float) + 4);
    XsErr e = {0};
    assert_int_equal(st_read_f32(st, t, x, &e), 0);
    return x;
}

/* Tensors whose loss gradient is 0 in exact arithmetic (as in test_model_head.c): the key bias shifts every score
 * of a query alike (softmax ignores it); the multiple-choice bias shifts every choice's logit alike; QA's bias and
 * the last LayerNorm's bias shift every position's start (end) logit alike. */
static int zero_gradient(HeadKind kind, const char *name, int L) {
    char last_ln[96];
    snprintf(last_ln, sizeof last_ln, "encoder.layer.%d.output.LayerNorm.bias", L - 1);
    if (strstr(name, "attention.self.key.bias")) return 1;
    if (kind == HEAD_MULTIPLE_CHOICE && !strcmp(name, "classifier.bias")) return 1;
    return kind == HEAD_SPAN_QA && (!strcmp(name, "qa_outputs.bias") || !strcmp(name, last_ln));
}

/* TrainConfig.lazy_embedding of train_case (the default, 1, unless a test says otherwise). */
static int g_lazy = 1;

/* Trains case c for 3 updates with the fixture's batches; m receives the model. */
static void train_case(const Case *c, const SafeTensors *st, int dropout, int shuffle, Model *m, TrainStepLog log[3]) {
    char rel[96];
    snprintf(rel, sizeof rel, "model_head/%s", c->key);
    HeadConfig hc;
    XsErr e = {0};
    if (model_load_head(tu_fixture(rel), c->kind, c->K, MODEL_LOAD_STRICT, 1, m, &hc, &e)) fail_msg("%s", e.msg);
    FeatRows r;
    load_rows(st, c->kind, m->cfg.pad_token_id, c->kind == HEAD_MULTIPLE_CHOICE ? c->K : 1, &r);
    TrainConfig tc = train_config_defaults();
    tc.batch = c->per_batch;
    tc.accum = 2;
    tc.lr = 1e-3;
    tc.warmup_ratio = 0.5;
    tc.max_steps = 3;
    tc.shuffle = shuffle;
    tc.dropout = dropout;
    tc.seed = 77;
    tc.lazy_embedding = g_lazy;
    Trainer tr;
    if (trainer_init(&tr, m, &hc, &r, &tc, NULL, &e)) fail_msg("%s", e.msg);
    assert_int_equal(tr.total, 3);
    /* lazy rows are on exactly when asked for and the word embedding is not tied to an MLM decoder */
    assert_int_equal(tr.opt.lazy.k >= 0, g_lazy && c->kind != HEAD_MLM);
    for (int s = 0; s < 3; s++)
        if (trainer_step(&tr, &log[s], &e)) fail_msg("%s", e.msg);
    trainer_free(&tr);
    feat_rows_free(&r);
}

static void test_three_steps_match_torch(void **state) {
    (void)state;
    for (size_t ci = 0; ci < sizeof CASES / sizeof CASES[0]; ci++) {
        const Case *c = &CASES[ci];
        char rel[96];
        snprintf(rel, sizeof rel, "train_steps/%s.safetensors", c->key);
        SafeTensors st;
        XsErr e = {0};
        if (st_open(tu_fixture(rel), &st, &e)) fail_msg("%s", e.msg);
        Model m;
        TrainStepLog log[3];
        train_case(c, &st, 0, 0, &m, log);
        size_t n;
        float *lr = st_f32_copy(&st, "lr", &n), *gn = st_f32_copy(&st, "grad_norm", &n);
        float *loss = st_f32_copy(&st, "loss", &n);
        for (int s = 0; s < 3; s++) {
            assert_true(fabs(log[s].lr - lr[s]) <= 1e-7 * fabs(lr[s]) + 1e-12);
            if (!(fabs(log[s].grad_norm - gn[s]) <= 1e-4 * gn[s])) fail_msg("%s update %d: norm %.6f, torch %.6f; loss %.6f, torch %.6f", c->key, s, log[s].grad_norm, gn[s], log[s].loss, 0.5 * (loss[2 * s] + loss[2 * s + 1]));
            double want = 0.5 * (loss[2 * s] + loss[2 * s + 1]);
            assert_true(fabs(log[s].loss - want) <= 1e-4 * fabs(want));
        }
        assert_true(gn[0] > 1.0 && gn[1] > 1.0); /* clipping was active */
        /* every parameter of the table within 1e-5 relative of torch's (relative to the tensor's max |w|) */
        int nfinal = 0;
        for (int k = 0; k < st.n; k++) nfinal += !strncmp(st.t[k].name, "final.", 6);
        assert_int_equal(nfinal, m.tab.n);
        double worst = 0;
        const char *worst_name = "";
        int nzero = 0;
        for (int k = 0; k < m.tab.n; k++) {
            const ParamInfo *p = &m.tab.t[k];
            char name[200];
            snprintf(name, sizeof name, "final.%s%s", k < m.n_encoder || !strncmp(p->name, "pooler.", 7) ? m.prefix : "",
                     p->name);
            float *want = st_f32_copy(&st, name, &n);
            if (!want) {
                snprintf(name, sizeof name, "final.%s", p->name);
                want = st_f32_copy(&st, name, &n);
            }
            if (!want) fail_msg("%s: no reference for %s", c->key, p->name);
            assert_int_equal(n, p->numel);
            const float *got = paramset_data(&m.tab, k);
            double mx = 0;
            for (size_t i = 0; i < n; i++) mx = fmax(mx, fabs(want[i]));
            char what[240];
            snprintf(what, sizeof what, "%s %s", c->key, p->name);
            if (zero_gradient(c->kind, p->name, m.cfg.num_layers)) {
                /* both sides see rounding noise (~1e-9) that Adam's m / sqrt(v) scales up to ~lr per update, so the
                 * two noises cannot agree: only the size of the move is checked (2 updates at lr <= 6.7e-4) */
                nzero++;
                for (size_t i = 0; i < n; i++) assert_true(fabs((double)got[i] - want[i]) <= 3e-3);
                free(want);
                continue;
            }
            assert_int_equal(tu_compare(what, got, want, n, 1e-5 * mx, 1e-5), 0);
            for (size_t i = 0; i < n; i++) {
                double d = fabs((double)got[i] - want[i]) / (mx > 0 ? mx : 1);
                if (d > worst) { worst = d; worst_name = m.tab.t[k].name; }
            }
            free(want);
        }
        print_message("%-12s 3 updates: lr %.3g %.3g %.3g, norms %.4f %.4f %.4f (torch %.4f %.4f %.4f); %d tensors (%d of zero "
                      "gradient), worst |w - torch| / max|torch| %.2e (%s)\n",
                      c->key, log[0].lr, log[1].lr, log[2].lr, log[0].grad_norm, log[1].grad_norm, log[2].grad_norm, gn[0],
                      gn[1], gn[2], m.tab.n, nzero, worst, worst_name);
        free(lr); free(gn); free(loss);
        model_free(&m);
        st_close(&st);
    }
}

/* Dropout on, shuffled: 1 and 2 threads give bit-identical weights and Adam moments. */
static void test_threads_bit_identical(void **state) {
    (void)state;
    for (size_t ci = 0; ci < sizeof CASES / sizeof CASES[0]; ci += 2) {
        const Case *c = &CASES[ci];
        char rel[96];
        snprintf(rel, sizeof rel, "train_steps/%s.safetensors", c->key);
        SafeTensors st;
        XsErr e = {0};
        if (st_open(tu_fixture(rel), &st, &e)) fail_msg("%s", e.msg);
        Model m1, m2;
        TrainStepLog l1[3], l2[3];
        int saved = omp_get_max_threads();
        omp_set_num_threads(1);
        train_case(c, &st, 1, 1, &m1, l1);
        omp_set_num_threads(2);
        train_case(c, &st, 1, 1, &m2, l2);
        omp_set_num_threads(saved);
        assert_true(m1.cfg.hidden_dropout > 0); /* dropout was on */
        assert_int_equal(m1.tab.total, m2.tab.total);
        assert_memory_equal(m1.tab.block, m2.tab.block, m1.tab.total * sizeof(float));
        assert_memory_equal(m1.tab.adam_m, m2.tab.adam_m, m1.tab.total * sizeof(float));
        assert_memory_equal(m1.tab.adam_v, m2.tab.adam_v, m1.tab.total * sizeof(float));
        for (int s = 0; s < 3; s++) {
            assert_true(l1[s].loss == l2[s].loss);
            assert_true(l1[s].grad_norm == l2[s].grad_norm);
        }
        print_message("%-12s dropout on, shuffled: 1 and 2 threads bit-identical (losses %.6f %.6f %.6f)\n", c->key,
                      l1[0].loss, l1[1].loss, l1[2].loss);
        model_free(&m1);
        model_free(&m2);
        st_close(&st);
    }
}

/* The sparse word-embedding gradient (zeroed, clipped and normed on the batch's rows only) and the lazy AdamW rows
 * give what the dense path gives, bit for bit: the same losses and gradient norms at every update, the same weights
 * and Adam moments at the end (trainer_free applies the pending updates); the gradient block is all zeros after an
 * update either way; and rows never touched did change (their decay was applied, not skipped). Dropout on,
 * shuffled, every head kind (MLM: lazy rows off by themselves, the decoder is tied to the embedding). */
static void test_lazy_rows_equal_dense(void **state) {
    (void)state;
    for (size_t ci = 0; ci < sizeof CASES / sizeof CASES[0]; ci++) {
        const Case *c = &CASES[ci];
        char rel[96];
        snprintf(rel, sizeof rel, "train_steps/%s.safetensors", c->key);
        SafeTensors st;
        XsErr e = {0};
        if (st_open(tu_fixture(rel), &st, &e)) fail_msg("%s", e.msg);
        Model md, ml;
        TrainStepLog ld[3], ll[3];
        g_lazy = 0;
        train_case(c, &st, 1, 1, &md, ld);
        g_lazy = 1;
        train_case(c, &st, 1, 1, &ml, ll);
        size_t bytes = md.tab.total * sizeof(float);
        assert_int_equal(md.tab.total, ml.tab.total);
        for (int s = 0; s < 3; s++) {
            assert_true(ld[s].loss == ll[s].loss);
            assert_true(ld[s].grad_norm == ll[s].grad_norm);
        }
        assert_memory_equal(md.tab.block, ml.tab.block, bytes);
        assert_memory_equal(md.tab.adam_m, ml.tab.adam_m, bytes);
        assert_memory_equal(md.tab.adam_v, ml.tab.adam_v, bytes);
        for (size_t i = 0; i < ml.tab.total; i++)
            if (ml.tab.grad[i] != 0.0f) fail_msg("%s: gradient %zu not zeroed (%g)", c->key, i, ml.tab.grad[i]);
        /* untouched rows (m = 0 on the whole row, not the zero padding row) moved from their initial value: decayed */
        int k = params_find(&ml.tab, "embeddings.word_embeddings.weight");
        const ParamInfo *t = &ml.tab.t[k];
        Model init;
        HeadConfig hc;
        snprintf(rel, sizeof rel, "model_head/%s", c->key);
        if (model_load_head(tu_fixture(rel), c->kind, c->K, MODEL_LOAD_STRICT, 1, &init, &hc, &e)) fail_msg("%s", e.msg);
        int untouched = 0, moved = 0, W = t->shape[1];
        for (int r = 0; r < t->shape[0]; r++) {
            const float *mr = ml.tab.adam_m + t->offset + (size_t)r * W;
            int zero = 1;
            for (int i = 0; i < W; i++) zero &= mr[i] == 0.0f;
            if (!zero) continue;
            const float *p0 = init.tab.block + t->offset + (size_t)r * W;
            int nonzero = 0;
            for (int i = 0; i < W; i++) nonzero |= p0[i] != 0.0f;
            if (!nonzero) continue; /* the padding row: zeros, which decay leaves as they are */
            untouched++;
            moved += memcmp(ml.tab.block + t->offset + (size_t)r * W, init.tab.block + t->offset + (size_t)r * W,
                            (size_t)W * sizeof(float)) != 0;
        }
        if (c->kind != HEAD_MLM) {
            assert_true(untouched > 0);
            assert_int_equal(moved, untouched);
        }
        print_message("%-12s lazy rows = dense: bit-identical (%d of %d embedding rows never touched, all decayed)\n",
                      c->key, untouched, t->shape[0]);
        model_free(&init);
        model_free(&md);
        model_free(&ml);
        st_close(&st);
    }
}

/* Stopped after 2 of 3 updates (dropout on, shuffled) and continued by a fresh trainer from the weights, Adam moments,
 * step and data position of that moment: bit-identical to the uninterrupted run. */
static void test_seek_continues_exactly(void **state) {
    (void)state;
    const Case *c = &CASES[0];
    SafeTensors st;
    XsErr e = {0};
    if (st_open(tu_fixture("train_steps/xlmr_seqcls.safetensors"), &st, &e)) fail_msg("%s", e.msg);
    Model full, part;
    TrainStepLog lf[3];
    train_case(c, &st, 1, 1, &full, lf);
    /* the first 2 updates, then the state a checkpoint would hold */
    HeadConfig hc;
    if (model_load_head(tu_fixture("model_head/xlmr_seqcls"), c->kind, c->K, MODEL_LOAD_STRICT, 1, &part, &hc, &e))
        fail_msg("%s", e.msg);
    FeatRows r;
    load_rows(&st, c->kind, part.cfg.pad_token_id, 1, &r);
    TrainConfig tc = train_config_defaults();
    tc.batch = c->per_batch; tc.accum = 2; tc.lr = 1e-3; tc.warmup_ratio = 0.5; tc.max_steps = 3; tc.seed = 77;
    Trainer tr;
    TrainStepLog l;
    if (trainer_init(&tr, &part, &hc, &r, &tc, NULL, &e)) fail_msg("%s", e.msg);
    for (int s = 0; s < 2; s++) if (trainer_step(&tr, &l, &e)) fail_msg("%s", e.msg);
    trainer_sync(&tr);
    size_t bytes = part.tab.total * sizeof(float);
    float *w = xmalloc(bytes), *am = xmalloc(bytes), *av = xmalloc(bytes);
    memcpy(w, part.tab.block, bytes); memcpy(am, part.tab.adam_m, bytes); memcpy(av, part.tab.adam_v, bytes);
    uint64_t epoch = tr.task[0].order.epoch;
    size_t pos = tr.task[0].order.pos;
    int64_t step = tr.opt.step;
    trainer_free(&tr);
    model_free(&part);
    /* a fresh process, in effect: a new model and trainer, the state put back */
    if (model_load_head(tu_fixture("model_head/xlmr_seqcls"), c->kind, c->K, MODEL_LOAD_STRICT, 1, &part, &hc, &e))
        fail_msg("%s", e.msg);
    if (trainer_init(&tr, &part, &hc, &r, &tc, NULL, &e)) fail_msg("%s", e.msg);
    memcpy(part.tab.block, w, bytes); memcpy(part.tab.adam_m, am, bytes); memcpy(part.tab.adam_v, av, bytes);
    trainer_seek(&tr, step, epoch, pos);
    if (trainer_step(&tr, &l, &e)) fail_msg("%s", e.msg);
    assert_int_equal(l.step, 3);
    assert_true(l.loss == lf[2].loss && l.grad_norm == lf[2].grad_norm && l.lr == lf[2].lr);
    trainer_sync(&tr);
    assert_memory_equal(part.tab.block, full.tab.block, bytes);
    assert_memory_equal(part.tab.adam_m, full.tab.adam_m, bytes);
    assert_memory_equal(part.tab.adam_v, full.tab.adam_v, bytes);
    /* and it is not trivially so: without the seek the third update differs */
    Trainer t2;
    Model other;
    if (model_load_head(tu_fixture("model_head/xlmr_seqcls"), c->kind, c->K, MODEL_LOAD_STRICT, 1, &other, &hc, &e))
        fail_msg("%s", e.msg);
    if (trainer_init(&t2, &other, &hc, &r, &tc, NULL, &e)) fail_msg("%s", e.msg);
    memcpy(other.tab.block, w, bytes); memcpy(other.tab.adam_m, am, bytes); memcpy(other.tab.adam_v, av, bytes);
    if (trainer_step(&t2, &l, &e)) fail_msg("%s", e.msg);
    trainer_sync(&t2);
    assert_true(memcmp(other.tab.block, full.tab.block, bytes) != 0);
    print_message("xlmr_seqcls  stopped after 2 updates (epoch %llu, position %zu) and continued: bit-identical\n",
                  (unsigned long long)epoch, pos);
    trainer_free(&t2);
    model_free(&other);
    trainer_free(&tr);
    model_free(&part);
    model_free(&full);
    feat_rows_free(&r);
    free(w); free(am); free(av);
    st_close(&st);
}

/* trainer_init refuses rows of another kind, broken multiple-choice grouping, labels out of range and bad
 * hyperparameters, with a message saying which. */
static void test_init_errors(void **state) {
    (void)state;
    SafeTensors st;
    XsErr e = {0};
    if (st_open(tu_fixture("train_steps/xlmr_choice.safetensors"), &st, &e)) fail_msg("%s", e.msg);
    Model m;
    HeadConfig hc;
    if (model_load_head(tu_fixture("model_head/xlmr_choice"), HEAD_MULTIPLE_CHOICE, 3, MODEL_LOAD_STRICT, 1, &m, &hc, &e))
        fail_msg("%s", e.msg);
    FeatRows r;
    load_rows(&st, HEAD_MULTIPLE_CHOICE, m.cfg.pad_token_id, 3, &r);
    TrainConfig tc = train_config_defaults();
    tc.batch = 2;
    Trainer tr;
    HeadConfig wrong = hc;
    wrong.kind = HEAD_SEQ_CLS;
    assert_int_not_equal(trainer_init(&tr, &m, &wrong, &r, &tc, NULL, &e), 0);
    assert_non_null(strstr(e.msg, "cannot train a seq_cls head"));
    tc.batch = 0;
    assert_int_not_equal(trainer_init(&tr, &m, &hc, &r, &tc, NULL, &e), 0);
    assert_non_null(strstr(e.msg, "bad hyperparameters"));
    tc.batch = 2;
    r.row_label[3] = 3; /* example 1's label: choices are 0..2 */
    assert_int_not_equal(trainer_init(&tr, &m, &hc, &r, &tc, NULL, &e), 0);
    assert_non_null(strstr(e.msg, "row 3 (example 1) has label 3"));
    r.row_label[3] = 0;
    r.info[4].choice = 0; /* example 1 lost its second choice */
    assert_int_not_equal(trainer_init(&tr, &m, &hc, &r, &tc, NULL, &e), 0);
    assert_non_null(strstr(e.msg, "row 4 is not choice 1"));
    r.info[4].choice = 1;
    r.n--; /* not whole examples */
    assert_int_not_equal(trainer_init(&tr, &m, &hc, &r, &tc, NULL, &e), 0);
    assert_non_null(strstr(e.msg, "not whole examples of 3 choices"));
    r.n++;
    assert_int_equal(trainer_init(&tr, &m, &hc, &r, &tc, NULL, &e), 0); /* and the repaired set is accepted */
    trainer_free(&tr);
    feat_rows_free(&r);
    model_free(&m);
    st_close(&st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_steps_match_torch),
        cmocka_unit_test(test_threads_bit_identical),
        cmocka_unit_test(test_seek_continues_exactly),
        cmocka_unit_test(test_lazy_rows_equal_dense),
        cmocka_unit_test(test_init_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
