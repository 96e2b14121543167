/* test_train_loop.c — train/trainer around the steps: two tasks (sequence classification + token classification
 * heads on one tiny XLM-R encoder) drawn by the sampler (the trainer's task sequence is the sampler's, each task's
 * order advances by exactly its batches); early stopping with a scripted metric restores the best evaluation's
 * weights bit for bit and stops after `patience` evaluations; a run stopped by the flag at update k, its state
 * dropped, resumed from the checkpoint ends bit-identical to the uninterrupted run (dropout on, shuffled, 2 tasks,
 * evaluation and best weights in the checkpoints), also from an older checkpoint; 1 vs 2 threads bit-identical;
 * a resume with other tasks / heads is refused naming xstilts.json. */
#include "testutil.h"
#include "core/mem.h"
#include "model/safetensors.h"
#include "train/trainer.h"
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The fixture's rows (tests/fixtures/train_steps/<key>.safetensors) as a FeatRows of kind fk. */
static void load_rows(const char *key, FeatKind fk, int pad, FeatRows *r) {
    char rel[96];
    snprintf(rel, sizeof rel, "train_steps/%s.safetensors", key);
    SafeTensors st;
    XsErr e = {0};
    if (st_open(tu_fixture(rel), &st, &e)) fail_msg("%s", e.msg);
    const StTensor *ti = st_find(&st, "input_ids"), *tt = st_find(&st, "token_type_ids"),
                   *tm = st_find(&st, "attention_mask"), *tl = st_find(&st, "labels");
    assert_non_null(ti); assert_non_null(tt); assert_non_null(tm); assert_non_null(tl);
    int n = (int)ti->shape[0], T = (int)ti->shape[1];
    const int32_t *ids = st_data(&st, ti), *types = st_data(&st, tt), *mask = st_data(&st, tm), *lab = st_data(&st, tl);
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
        r->info[i].example = b;
        r->info[i].nwin = 1;
        if (fk == FEAT_PAIR) r->row_label[i] = lab[b];
        if (fk == FEAT_TAG) memcpy(r->labels + i * T, lab + (size_t)b * T, (size_t)T * 4);
    }
    st_close(&st);
}

static FeatRows g_pair, g_tag;

static int setup(void **state) {
    (void)state;
    load_rows("xlmr_seqcls", FEAT_PAIR, 1, &g_pair);
    load_rows("xlmr_tokcls", FEAT_TAG, 1, &g_tag);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    feat_rows_free(&g_pair);
    feat_rows_free(&g_tag);
    return 0;
}

/* The tiny XLM-R of model_head/xlmr_seqcls (or a checkpoint folder) with both heads: sequence classification
 * (3 labels) and token classification (5 labels); fresh head tensors initialized. from_ckpt: every tensor must be
 * in the folder (weights and Adam moments loaded by checkpoint_load_weights). */
static void make_model(const char *dir, int from_ckpt, Model *m, HeadConfig *hs, HeadConfig *ht) {
    XsErr e = {0};
    if (model_open(dir ? dir : tu_fixture("model_head/xlmr_seqcls"), m, &e)) fail_msg("%s", e.msg);
    head_config(hs, &m->cfg, HEAD_SEQ_CLS, 3);
    head_config(ht, &m->cfg, HEAD_TOKEN_CLS, 5);
    if (model_add_head(m, hs, &e) || model_add_head(m, ht, &e)) fail_msg("%s", e.msg);
    if (from_ckpt) {
        if (checkpoint_load_weights(dir, m, &e)) fail_msg("%s", e.msg);
    } else {
        if (model_load_weights(m, MODEL_LOAD_FRESH_OK, &e)) fail_msg("%s", e.msg);
        model_init_fresh(m, 3);
    }
}

static void two_tasks(TrainTask t[2], const HeadConfig *hs, const HeadConfig *ht) {
    memset(t, 0, 2 * sizeof *t);
    t[0].name = "pawsx"; t[0].head = "pawsx"; t[0].data = "pairs.tsv"; t[0].hc = *hs; t[0].rows = &g_pair;
    t[1].name = "udpos"; t[1].head = "udpos"; t[1].data = "tags.conllu"; t[1].hc = *ht; t[1].rows = &g_tag;
}

static TrainConfig base_config(void) {
    TrainConfig c = train_config_defaults();
    c.batch = 4;
    c.accum = 2;
    c.lr = 2e-3;
    c.warmup_ratio = 0.2;
    c.max_steps = 13;
    c.seed = 11;
    c.shuffle = 1;
    c.dropout = 1;
    return c;
}

/* ---- the sampler through the trainer ---- */

static void test_task_sequence_is_the_samplers(void **state) {
    (void)state;
    Model m;
    HeadConfig hs, ht;
    make_model(NULL, 0, &m, &hs, &ht);
    TrainTask t[2];
    two_tasks(t, &hs, &ht);
    TrainConfig c = base_config();
    c.accum = 1;
    c.lr = 0; /* the weights do not matter here */
    c.max_steps = 400;
    c.dropout = 0;
    double w[2] = {0.25, 0.75};
    TaskSampler s;
    XsErr e = {0};
    assert_int_equal(sampler_init(&s, SAMPLER_SPECIFIED, 2, w, 1, 0, 999 /* replaced by the run's seed */, &e), 0);
    Trainer tr;
    if (trainer_init_tasks(&tr, &m, t, 2, &s, &c, &e)) fail_msg("%s", e.msg);
    TaskSampler ref;
    assert_int_equal(sampler_init(&ref, SAMPLER_SPECIFIED, 2, w, 1, 0, c.seed, &e), 0);
    int count[2] = {0, 0};
    for (int k = 0; k < 400; k++) {
        TrainStepLog l;
        if (trainer_step(&tr, &l, &e)) fail_msg("%s", e.msg);
        assert_int_equal(l.task, sampler_next(&ref));
        count[l.task]++;
    }
    /* each update took its micro-batch from the drawn task: the orders advanced by exactly that many batches
     * (24 rows each, batch 4: 6 batches an epoch) */
    for (int i = 0; i < 2; i++)
        assert_int_equal((int64_t)tr.task[i].order.epoch * 6 + (int64_t)tr.task[i].order.pos / 4, count[i]);
    assert_true(count[0] > 60 && count[1] > 240); /* 100 and 300 expected; the proportions: test_train_sampler */
    print_message("400 updates: tasks drawn %d / %d (p 0.25 / 0.75), the sampler's sequence exactly\n", count[0], count[1]);
    /* the default sampler is proportional to the tasks' example counts */
    trainer_free(&tr);
    if (trainer_init_tasks(&tr, &m, t, 2, NULL, &c, &e)) fail_msg("%s", e.msg);
    assert_int_equal(tr.sampler.kind, SAMPLER_PROPORTIONAL);
    assert_true(tr.sampler.p[0] == 0.5 && tr.sampler.p[1] == 0.5);
    assert_int_equal(tr.total, 400);
    trainer_free(&tr);
    c.max_steps = 0;
    c.epochs = 3;
    if (trainer_init_tasks(&tr, &m, t, 2, NULL, &c, &e)) fail_msg("%s", e.msg);
    assert_int_equal(tr.total, 3 * (6 + 6)); /* epochs x the updates of every task's epoch */
    trainer_free(&tr);
    model_free(&m);
}

/* ---- early stopping ---- */

typedef struct Script {
    const double *metric;   /* per evaluation */
    int n, calls;
    int64_t steps[16];
    float *w[16];           /* weights at each evaluation */
    size_t bytes;
} Script;

static int scripted_eval(void *ctx, Model *m, int64_t step, double *metric, XsErr *err) {
    Script *s = ctx;
    if (s->calls >= s->n) return err_set(err, NULL, 0, "script: evaluation %d past its end", s->calls);
    s->steps[s->calls] = step;
    s->w[s->calls] = xmalloc(s->bytes);
    memcpy(s->w[s->calls], m->tab.block, s->bytes);
    *metric = s->metric[s->calls++];
    return 0;
}

static void script_free(Script *s) {
    for (int i = 0; i < s->calls; i++) free(s->w[i]);
}

static void test_early_stopping_restores_best(void **state) {
    (void)state;
    Model m;
    HeadConfig hs, ht;
    make_model(NULL, 0, &m, &hs, &ht);
    TrainTask t[2];
    two_tasks(t, &hs, &ht);
    /* evaluations at 2, 4, ..., best 0.7 at update 8; 0.7 again (not better) and lower ones after: with patience 3
     * the run stops after the evaluation at update 14 */
    static const double metric[] = {0.1, 0.4, 0.3, 0.7, 0.5, 0.7, 0.6, 0.9, 0.9, 0.9};
    Script s = {metric, 10, 0, {0}, {0}, m.tab.total * sizeof(float)};
    TrainConfig c = base_config();
    c.max_steps = 30;
    c.eval_every = 2;
    c.patience = 3;
    c.eval = scripted_eval;
    c.eval_ctx = &s;
    Trainer tr;
    XsErr e = {0};
    if (trainer_init_tasks(&tr, &m, t, 2, NULL, &c, &e)) fail_msg("%s", e.msg);
    if (trainer_run(&tr, NULL, NULL, &e)) fail_msg("%s", e.msg);
    assert_int_equal(s.calls, 7);
    assert_int_equal(tr.opt.step, 14);
    assert_int_equal(s.steps[3], 8);
    assert_int_equal(tr.best_step, 8);
    assert_true(tr.best_metric == 0.7);
    assert_int_equal(tr.evals_since_best, 3);
    assert_true(trainer_done(&tr));
    assert_memory_equal(m.tab.block, s.w[3], s.bytes);     /* the best evaluation's weights, bit for bit */
    assert_true(memcmp(s.w[6], s.w[3], s.bytes) != 0);      /* which are not the last ones */
    print_message("evaluations at 2..14, best 0.7 at update 8, stopped after update 14: the weights of update 8\n");
    trainer_free(&tr);
    script_free(&s);
    /* without patience the run goes on to max_steps and keeps the best (0.9 at update 16) */
    model_free(&m);
    make_model(NULL, 0, &m, &hs, &ht);
    memset(&s, 0, sizeof s);
    s.metric = metric; s.n = 10; s.bytes = m.tab.total * sizeof(float);
    c.patience = 0;
    c.max_steps = 20;
    if (trainer_init_tasks(&tr, &m, t, 2, NULL, &c, &e)) fail_msg("%s", e.msg);
    if (trainer_run(&tr, NULL, NULL, &e)) fail_msg("%s", e.msg);
    assert_int_equal(s.calls, 10);
    assert_int_equal(tr.opt.step, 20);
    assert_int_equal(tr.best_step, 16);
    assert_memory_equal(m.tab.block, s.w[7], s.bytes);
    trainer_free(&tr);
    script_free(&s);
    model_free(&m);
}

/* ---- checkpoints and resume ---- */

typedef struct Run {
    Model m;
    Trainer tr;
    int64_t best_step;
    double best_metric;
    int rc;
    TrainStepLog log[32];
    int nlog;
} Run;

static double step_metric(int64_t step) {   /* deterministic, not monotone: improvements at 3, 6, 12 */
    static const double v[] = {0, 0.2, 0.5, 0.3, 0.6, 0.1, 0.1};
    return v[step / 3 % 7];
}

static int metric_eval(void *ctx, Model *m, int64_t step, double *metric, XsErr *err) {
    (void)ctx; (void)m; (void)err;
    *metric = step_metric(step);
    return 0;
}

static volatile sig_atomic_t g_stop;
static int64_t g_stop_at;

static void stop_cb(const TrainStepLog *l, void *ctx) {
    Run *r = ctx;
    if (r->nlog < 32) r->log[r->nlog++] = *l;
    if (l->step == g_stop_at) g_stop = 1;
}

static TrainConfig ckpt_config(const char *dir) {
    TrainConfig c = base_config();
    c.eval_every = 3;
    c.patience = 5;
    c.eval = metric_eval;
    c.ckpt_dir = dir;
    c.save_every = 4;
    c.keep = 3;
    c.stop = &g_stop;
    return c;
}

/* A run from the fixture model (dir = checkpoint folder for it), or resumed from checkpoint `from`. */
static void run_from(const char *dir, const char *from, Run *r) {
    memset(r, 0, sizeof *r);
    HeadConfig hs, ht;
    XsErr e = {0};
    TrainState st;
    if (from && checkpoint_read_state(from, &st, &e)) fail_msg("%s", e.msg);
    make_model(from, from != NULL, &r->m, &hs, &ht);
    TrainTask t[2];
    two_tasks(t, &hs, &ht);
    TrainConfig c = ckpt_config(dir);
    if (trainer_init_tasks(&r->tr, &r->m, t, 2, NULL, &c, &e)) fail_msg("%s", e.msg);
    if (from && trainer_resume(&r->tr, from, &st, &e)) fail_msg("%s", e.msg);
    r->rc = trainer_run(&r->tr, stop_cb, r, &e);
    if (r->rc < 0) fail_msg("%s", e.msg);
    r->best_step = r->tr.best_step;
    r->best_metric = r->tr.best_metric;
}

static void run_free(Run *r) {
    trainer_free(&r->tr);
    model_free(&r->m);
}

static void assert_same_model(const Run *a, const Run *b) {
    size_t bytes = a->m.tab.total * sizeof(float);
    assert_int_equal(a->m.tab.total, b->m.tab.total);
    assert_memory_equal(a->m.tab.block, b->m.tab.block, bytes);
    assert_memory_equal(a->m.tab.adam_m, b->m.tab.adam_m, bytes);
    assert_memory_equal(a->m.tab.adam_v, b->m.tab.adam_v, bytes);
    assert_int_equal(a->tr.opt.step, b->tr.opt.step);
    assert_int_equal(a->best_step, b->best_step);
    assert_true(a->best_metric == b->best_metric);
}

static int exists(const char *dir, const char *name) {
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &sb) == 0;
}

static void test_stop_resume_bit_identical(void **state) {
    (void)state;
    char *d1 = tu_tmpdir(), *d2 = tu_tmpdir(), *d3 = tu_tmpdir();
    Run full, part, res;
    g_stop = 0;
    g_stop_at = -1;
    run_from(d1, NULL, &full);
    assert_int_equal(full.rc, 0);
    assert_int_equal(full.tr.opt.step, 13);
    assert_int_equal(full.best_step, 12);   /* the metric improves at 3, 6, 12 */
    /* both tasks trained */
    int seen[2] = {0, 0};
    for (int i = 0; i < full.nlog; i++) seen[full.log[i].task]++;
    assert_true(seen[0] > 0 && seen[1] > 0);
    /* checkpoints 4, 8, 12 and the end's 13; keep 3 */
    assert_false(exists(d1, "checkpoint-00000004"));
    assert_true(exists(d1, "checkpoint-00000008/xstilts.json") && exists(d1, "checkpoint-00000013/best.safetensors"));

    /* stopped by the flag after update 6: a checkpoint of update 6, TRAIN_STOPPED */
    g_stop_at = 6;
    run_from(d2, NULL, &part);
    assert_int_equal(part.rc, TRAIN_STOPPED);
    assert_int_equal(part.tr.opt.step, 6);
    char ck[4096];
    int64_t step = -1;
    assert_int_equal(checkpoint_latest(d2, ck, sizeof ck, &step), 1);
    assert_int_equal(step, 6);
    assert_true(exists(ck, "best.safetensors"));
    run_free(&part);                        /* the process state is gone */
    g_stop = 0;
    g_stop_at = -1;
    run_from(d3, ck, &res);                 /* resumed from the checkpoint alone (writing elsewhere) */
    assert_int_equal(res.rc, 0);
    assert_int_equal(res.log[0].step, 7);
    for (int i = 0; i < res.nlog; i++) {    /* the same updates: tasks, losses, norms */
        const TrainStepLog *a = &res.log[i], *b = &full.log[6 + i];
        assert_int_equal(a->step, b->step);
        assert_int_equal(a->task, b->task);
        assert_true(a->loss == b->loss && a->grad_norm == b->grad_norm && a->lr == b->lr);
    }
    assert_same_model(&res, &full);
    run_free(&res);
    /* from an older checkpoint (as after a kill between two saves): update 4, best weights of update 3 inside */
    checkpoint_path(d2, 4, ck, sizeof ck);
    assert_true(exists(ck, "best.safetensors"));
    tu_rmtree(d3);
    run_from(d3, ck, &res);
    assert_same_model(&res, &full);
    print_message("2 tasks, dropout, shuffled, eval every 3, checkpoints every 4: stopped at 6 and resumed, and "
                  "resumed from 4: bit-identical to the uninterrupted run (best update %lld)\n",
                  (long long)full.best_step);
    run_free(&res);

    /* without the resume's state (weights and moments only) the run differs: the test can fail */
    {
        Run bad;
        memset(&bad, 0, sizeof bad);
        HeadConfig hs, ht;
        XsErr e = {0};
        make_model(ck, 1, &bad.m, &hs, &ht);
        TrainTask t[2];
        two_tasks(t, &hs, &ht);
        TrainConfig c = ckpt_config(NULL);
        c.stop = NULL;
        if (trainer_init_tasks(&bad.tr, &bad.m, t, 2, NULL, &c, &e)) fail_msg("%s", e.msg);
        bad.tr.opt.step = 4;   /* the step alone: data orders, sampler and dropout counter start over */
        if (trainer_run(&bad.tr, NULL, NULL, &e)) fail_msg("%s", e.msg);
        assert_true(memcmp(bad.m.tab.block, full.m.tab.block, full.m.tab.total * sizeof(float)) != 0);
        run_free(&bad);
    }

    /* a resume with other tasks, another head or another seed is refused, naming xstilts.json */
    {
        Model m;
        HeadConfig hs, ht;
        XsErr e = {0};
        TrainState st;
        if (checkpoint_read_state(ck, &st, &e)) fail_msg("%s", e.msg);
        make_model(ck, 1, &m, &hs, &ht);
        TrainTask t[2];
        two_tasks(t, &hs, &ht);
        TrainConfig c = ckpt_config(NULL);
        Trainer tr;
        t[1].head = "ner";
        if (trainer_init_tasks(&tr, &m, t, 2, NULL, &c, &e)) fail_msg("%s", e.msg);
        assert_int_not_equal(trainer_resume(&tr, ck, &st, &e), 0);
        assert_non_null(strstr(e.msg, "xstilts.json"));
        assert_non_null(strstr(e.msg, "tasks[1].head"));
        print_message("refused: %s\n", e.msg);
        trainer_free(&tr);
        if (trainer_init_tasks(&tr, &m, t, 1, NULL, &c, &e)) fail_msg("%s", e.msg);
        assert_int_not_equal(trainer_resume(&tr, ck, &st, &e), 0);
        assert_non_null(strstr(e.msg, "task(s)"));
        trainer_free(&tr);
        two_tasks(t, &hs, &ht);
        c.seed = 12;
        if (trainer_init_tasks(&tr, &m, t, 2, NULL, &c, &e)) fail_msg("%s", e.msg);
        assert_int_not_equal(trainer_resume(&tr, ck, &st, &e), 0);
        assert_non_null(strstr(e.msg, "seed"));
        trainer_free(&tr);
        model_free(&m);
    }
    run_free(&full);
    tu_rmtree(d1);
    tu_rmtree(d2);
    tu_rmtree(d3);
    free(d1);
    free(d2);
    free(d3);
}

static void test_threads_bit_identical(void **state) {
    (void)state;
    int nt = omp_get_max_threads();
    char *d1 = tu_tmpdir(), *d2 = tu_tmpdir();
    Run a, b;
    g_stop = 0;
    g_stop_at = -1;
    omp_set_num_threads(1);
    run_from(d1, NULL, &a);
    omp_set_num_threads(2);
    run_from(d2, NULL, &b);
    omp_set_num_threads(nt);
    assert_same_model(&a, &b);
    for (int i = 0; i < a.nlog; i++) assert_true(a.log[i].loss == b.log[i].loss);
    print_message("2 tasks, eval + checkpoints: 1 and 2 threads bit-identical\n");
    run_free(&a);
    run_free(&b);
    tu_rmtree(d1);
    tu_rmtree(d2);
    free(d1);
    free(d2);
}

/* ---- refused configurations ---- */

static void test_init_errors(void **state) {
    (void)state;
    Model m;
    HeadConfig hs, ht;
    make_model(NULL, 0, &m, &hs, &ht);
    TrainTask t[2];
    two_tasks(t, &hs, &ht);
    TrainConfig c = base_config();
    Trainer tr;
    XsErr e = {0};
    t[1].head = "pawsx"; /* one head name, two configurations */
    assert_int_not_equal(trainer_init_tasks(&tr, &m, t, 2, NULL, &c, &e), 0);
    assert_non_null(strstr(e.msg, "share head pawsx"));
    two_tasks(t, &hs, &ht);
    t[1].name = "pawsx";
    assert_int_not_equal(trainer_init_tasks(&tr, &m, t, 2, NULL, &c, &e), 0);
    assert_non_null(strstr(e.msg, "given twice"));
    two_tasks(t, &hs, &ht);
    t[1].hc = hs;        /* the pair head under another name: the same tensors */
    t[1].rows = &g_pair;
    assert_int_not_equal(trainer_init_tasks(&tr, &m, t, 2, NULL, &c, &e), 0);
    assert_non_null(strstr(e.msg, "same tensors"));
    two_tasks(t, &hs, &ht);
    t[1].rows = &g_pair; /* pair rows for the tagging head */
    assert_int_not_equal(trainer_init_tasks(&tr, &m, t, 2, NULL, &c, &e), 0);
    assert_non_null(strstr(e.msg, "task udpos"));
    two_tasks(t, &hs, &ht);
    c.patience = -1;
    assert_int_not_equal(trainer_init_tasks(&tr, &m, t, 2, NULL, &c, &e), 0);
    c = base_config();
    TaskSampler s;
    double w[3] = {1, 1, 1};
    assert_int_equal(sampler_init(&s, SAMPLER_SPECIFIED, 3, w, 1, 0, 1, &e), 0);
    assert_int_not_equal(trainer_init_tasks(&tr, &m, t, 2, &s, &c, &e), 0);
    /* two tasks sharing one head (same name, same configuration) are accepted */
    t[1] = t[0];
    t[1].name = "pawsx-copy";
    assert_int_equal(trainer_init_tasks(&tr, &m, t, 2, NULL, &c, &e), 0);
    assert_true(tr.task[0].hw.out_w == tr.task[1].hw.out_w);
    trainer_free(&tr);
    model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_sequence_is_the_samplers),
        cmocka_unit_test(test_early_stopping_restores_best),
        cmocka_unit_test(test_stop_resume_bit_identical),
        cmocka_unit_test(test_threads_bit_identical),
        cmocka_unit_test(test_init_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
