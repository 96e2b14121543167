/* test_train_overfit.c — train/trainer: a tiny random-init model (L2, C64) overfits 32 real fixture examples of
 * every task type (pair classification, multiple choice, tagging, span QA, MLM) to >= 95% training accuracy. */
#include "testutil.h"
#include "core/mem.h"
#include "train/trainer.h"
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NUNITS 32

static Tokenizer *g_tok;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int setup(void **state) {
    (void)state;
    XsErr e = {0};
    g_tok = tokenizer_open(tu_fixture("tok/xlmr16k.model"), &e);
    if (!g_tok) fail_msg("%s", e.msg);
    return 0;
}
static int teardown(void **state) {
    (void)state;
    tokenizer_free(g_tok);
    return 0;
}

/* A tiny XLM-R of the tokenizer's vocabulary with kind's head, HF-initialized. */
static void tiny_model(Model *m, HeadConfig *hc, HeadKind kind, int K, int max_len) {
    ModelConfig cfg;
    assert_int_equal(config_preset(&cfg, ARCH_XLMR, "tiny", tokenizer_vocab_size(g_tok)), 0);
    cfg.hidden_size = 64; cfg.num_layers = 2; cfg.num_heads = 4; cfg.intermediate_size = 128;
    cfg.max_position = max_len + 2;
    model_init(m, &cfg, 0);
    head_config(hc, &m->cfg, kind, K);
    XsErr e = {0};
    if (model_add_head(m, hc, &e)) fail_msg("%s", e.msg);
    model_alloc_params(m);
    model_init_random(m, 11);
}

/* Fraction of the rows' targets the model gets right (inference, no dropout): class / choice / tag per labelled
 * token / start AND end / masked token. */
static double train_accuracy(const Model *m, const HeadConfig *hc, const FeatRows *r) {
    int L = r->max_len, per = hc->kind == HEAD_MULTIPLE_CHOICE ? hc->num_labels : 1, Bu = 8, B = Bu * per;
    EncoderState *es = encoder_state_new(&m->cfg, B, L, 0);
    HeadState *hs = head_state_new(hc, B, L, 0, 0);
    HeadParams w;
    model_head_bind(m, hc, &w, NULL);
    float *mask = xmalloc((size_t)B * L * sizeof(float));
    long right = 0, total = 0;
    for (size_t r0 = 0; r0 < r->n; r0 += (size_t)B) {
        int nb = (int)(r->n - r0 < (size_t)B ? r->n - r0 : (size_t)B);
        for (size_t i = 0; i < (size_t)nb * L; i++) mask[i] = (float)r->mask[r0 * L + i];
        encoder_forward(&m->cfg, &m->w, es, r->ids + r0 * L, r->type_ids + r0 * L, mask, nb, L, 0, 0, 0);
        const float *h = encoder_hidden(es, m->cfg.num_layers);
        int rows, cols;
        if (hc->kind == HEAD_MLM) {
            head_forward(hc, &w, hs, h, r->labels + r0 * L, nb, L, 0, 0, 0);
            const float *lg = head_logits(hs, &rows, &cols);
            int M;
            const int32_t *pos = head_mlm_rows(hs, &M);
            assert_int_equal(rows, M);
            for (int i = 0; i < M; i++) {
                int best = 0;
                for (int v = 1; v < cols; v++) if (lg[(size_t)i * cols + v] > lg[(size_t)i * cols + best]) best = v;
                right += best == r->labels[r0 * L + (size_t)pos[i]];
                total++;
            }
            continue;
        }
        head_forward(hc, &w, hs, h, NULL, nb, L, 0, 0, 0);
        const float *lg = head_logits(hs, &rows, &cols);
        for (int b = 0; b < rows && hc->kind != HEAD_SPAN_QA; b++) {
            if (hc->kind == HEAD_TOKEN_CLS && r->labels[r0 * L + (size_t)b] == FEAT_IGNORE) continue;
            int best = 0;
            for (int k = 1; k < cols; k++) if (lg[(size_t)b * cols + k] > lg[(size_t)b * cols + best]) best = k;
            int want = hc->kind == HEAD_SEQ_CLS ? r->row_label[r0 + b]
                     : hc->kind == HEAD_MULTIPLE_CHOICE ? r->row_label[r0 + (size_t)b * per]
                                                         : r->labels[r0 * L + (size_t)b];
            right += best == want;
            total++;
        }
        for (int b = 0; b < nb && hc->kind == HEAD_SPAN_QA; b++) {
            int len = r->info[r0 + b].len, s = 0, e = 0;
            const float *ls = lg + (size_t)b * L, *le = lg + (size_t)nb * L + (size_t)b * L;
            for (int t = 1; t < len; t++) {
                if (ls[t] > ls[s]) s = t;
                if (le[t] > le[e]) e = t;
            }
            right += s == r->start_pos[r0 + b] && e == r->end_pos[r0 + b];
            total++;
        }
    }
    free(mask);
    head_state_free(hs);
    encoder_state_free(es);
    assert_true(total >= NUNITS);
    return (double)right / total;
}

static void log_cb(const TrainStepLog *l, void *ctx) {
    double *first_last = ctx;
    if (l->step == 1) first_last[0] = l->loss;
    first_last[1] = l->loss;
    assert_true(isfinite(l->loss) && isfinite(l->grad_norm) && l->tokens > 0);
}

/* Trains on r (rows beyond the first NUNITS units dropped) and asserts >= 95% training accuracy, and that
 * the untrained model was far from it (the test can fail). */
static void overfit(const char *what, FeatRows *r, HeadKind kind, int K, int epochs, double lr) {
    int per = kind == HEAD_MULTIPLE_CHOICE ? K : 1;
    assert_true(r->n >= (size_t)NUNITS * per);
    r->n = (size_t)NUNITS * per;
    Model m;
    HeadConfig hc;
    tiny_model(&m, &hc, kind, K, r->max_len);
    double before = train_accuracy(&m, &hc, r);
    TrainConfig c = train_config_defaults();
    c.batch = 8;
    c.lr = lr;
    c.epochs = epochs;
    c.dropout = 0;
    c.seed = 5;
    Trainer tr;
    XsErr e = {0};
    if (trainer_init(&tr, &m, &hc, r, &c, NULL, &e)) fail_msg("%s: %s", what, e.msg);
    double fl[2] = {0, 0}, t0 = now();
    if (trainer_run(&tr, log_cb, fl, &e)) fail_msg("%s: %s", what, e.msg);
    double after = train_accuracy(&m, &hc, r);
    print_message("%-8s %3lld updates (%.1f s): loss %.3f -> %.4f, training accuracy %.3f -> %.3f\n", what,
                  (long long)tr.total, now() - t0, fl[0], fl[1], before, after);
    assert_true(before < 0.8);
    assert_true(after >= 0.95);
    assert_true(fl[1] < 0.5 * fl[0]);
    trainer_free(&tr);
    model_free(&m);
}

static void test_pairs(void **state) {
    (void)state;
    XsErr e = {0};
    PairSet s = {0};
    assert_true(pairs_read(tu_fixture("data/pawsx/x-final/de/dev_2k.tsv"), PAIR_PAWSX_TSV, NULL, &s, &e) >= 0);
    FeatRows r;
    feat_rows_init(&r, FEAT_PAIR, 64, g_tok);
    for (size_t i = 0; i < NUNITS; i++)
        if (feat_pair(&r, g_tok, s.v[i].text_a, s.v[i].text_b, s.v[i].label, (int64_t)i, &e)) fail_msg("%s", e.msg);
    overfit("pawsx", &r, HEAD_SEQ_CLS, 2, 20, 2e-3);
    feat_rows_free(&r);
    pairs_free(&s);
}

static void test_choices(void **state) {
    (void)state;
    XsErr e = {0};
    ChoiceSet s = {0};
    assert_true(choices_read(tu_fixture("data/commonsenseqa/dev_rand_split.hf-format.jsonl"), CHOICE_CSQA, NULL, &s, &e) >= 0);
    assert_true(s.n >= NUNITS);
    FeatRows r;
    feat_rows_init(&r, FEAT_CHOICE, 48, g_tok);
    for (size_t i = 0; i < NUNITS; i++)
        if (feat_choice(&r, g_tok, &s.v[i], (int64_t)i, &e)) fail_msg("%s", e.msg);
    overfit("csqa", &r, HEAD_MULTIPLE_CHOICE, s.v[0].nchoices, 20, 2e-3);
    feat_rows_free(&r);
    choices_free(&s);
}

static void test_tagging(void **state) {
    (void)state;
    XsErr e = {0};
    /* UD POS (XTREME's reading): the English, German and French fixture sentences */
    const char *files[] = {"data/ud/en_ewt-ud-dev.conllu", "data/ud/de_gsd-ud-test.conllu", "data/ud/fr_gsd-ud-test.conllu"};
    TagCorpus c[3];
    memset(c, 0, sizeof c);
    TagSet set;
    tagset_init(&set);
    for (int k = 0; k < 3; k++) {
        assert_true(tagging_read(tu_fixture(files[k]), TAGF_CONLLU, NULL, &c[k], &e) >= 0);
        tagset_add_corpus(&set, &c[k]);
    }
    tagset_sort(&set);
    FeatRows r;
    feat_rows_init(&r, FEAT_TAG, 64, g_tok);
    int64_t ex = 0;
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < c[k].n && r.n < NUNITS; i++)
            if (feat_tag(&r, g_tok, &c[k].v[i], &set, ex++, NULL, NULL, &e)) fail_msg("%s", e.msg);
    overfit("udpos", &r, HEAD_TOKEN_CLS, (int)set.n, 30, 2e-3);
    feat_rows_free(&r);
    tagset_free(&set);
    for (int k = 0; k < 3; k++) tag_corpus_free(&c[k]);
}

/* Appends row k of src to dst (same kind and max_len). */
static void copy_qa_row(FeatRows *dst, const FeatRows *src, size_t k) {
    size_t i = feat_rows_add(dst), L = (size_t)src->max_len;
    memcpy(dst->ids + i * L, src->ids + k * L, L * 4);
    memcpy(dst->mask + i * L, src->mask + k * L, L * 4);
    memcpy(dst->type_ids + i * L, src->type_ids + k * L, L * 4);
    memcpy(dst->off_begin + i * L, src->off_begin + k * L, L * 4);
    memcpy(dst->off_end + i * L, src->off_end + k * L, L * 4);
    memcpy(dst->max_ctx + i * L, src->max_ctx + k * L, L);
    dst->start_pos[i] = src->start_pos[k];
    dst->end_pos[i] = src->end_pos[k];
    dst->info[i] = src->info[k];
}

static void test_qa(void **state) {
    (void)state;
    XsErr e = {0};
    QaSet s = {0};
    assert_true(qa_read(tu_fixture("data/xquad/xquad.de.json"), NULL, &s, &e) >= 0);
    /* windows of 96 tokens that hold the answer (exact match over start and end means something) */
    FeatRows all, r;
    feat_rows_init(&all, FEAT_QA, 96, g_tok);
    feat_rows_init(&r, FEAT_QA, 96, g_tok);
    FeatQaOpts o = {.stride = 48, .max_query = 32};
    if (feat_qas(&all, g_tok, &s, &o, &e)) fail_msg("%s", e.msg);
    for (size_t k = 0; k < all.n && r.n < NUNITS; k++)
        if (all.start_pos[k] > 0) copy_qa_row(&r, &all, k);
    overfit("xquad", &r, HEAD_SPAN_QA, 2, 40, 2e-3);
    feat_rows_free(&all);
    feat_rows_free(&r);
    qa_set_free(&s);
}

static void test_mlm(void **state) {
    (void)state;
    XsErr e = {0};
    /* the German PAWS-X sentences as MLM lines (the MLM fixture file has only 7 lines) */
    PairSet s = {0};
    assert_true(pairs_read(tu_fixture("data/pawsx/x-final/de/dev_2k.tsv"), PAIR_PAWSX_TSV, NULL, &s, &e) >= 0);
    FeatRows r;
    feat_rows_init(&r, FEAT_MLM, 48, g_tok);
    for (size_t i = 0; i < s.n && r.n < NUNITS; i++)
        if (feat_mlm_line(&r, g_tok, s.v[i].text_a, strlen(s.v[i].text_a), (int64_t)i, &e)) fail_msg("%s", e.msg);
    /* fixed masks: the masked ids and labels written into the rows */
    FeatMlmOpts mo = {.prob = 0.15f, .mask_frac = 0.8f, .random_frac = 0.1f, .seed = 3};
    int32_t *ids = xmalloc(r.n * 48 * 4), *lab = xmalloc(r.n * 48 * 4);
    feat_mlm_mask(&r, g_tok, 0, r.n, &mo, 0, ids, lab);
    memcpy(r.ids, ids, r.n * 48 * 4);
    memcpy(r.labels, lab, r.n * 48 * 4);
    free(ids);
    free(lab);
    overfit("mlm", &r, HEAD_MLM, 0, 40, 4e-3);
    feat_rows_free(&r);
    pairs_free(&s);
}

/* Dynamic masking (tokenizer given): new masks every epoch from feat_mlm_mask, so the rows' own labels stay
 * untouched and the loss still falls from ln(V) as the model learns the sentences. */
static void test_mlm_dynamic(void **state) {
    (void)state;
    XsErr e = {0};
    PairSet s = {0};
    assert_true(pairs_read(tu_fixture("data/pawsx/x-final/de/dev_2k.tsv"), PAIR_PAWSX_TSV, NULL, &s, &e) >= 0);
    FeatRows r;
    feat_rows_init(&r, FEAT_MLM, 48, g_tok);
    for (size_t i = 0; i < s.n && r.n < NUNITS; i++)
        if (feat_mlm_line(&r, g_tok, s.v[i].text_a, strlen(s.v[i].text_a), (int64_t)i, &e)) fail_msg("%s", e.msg);
    Model m;
    HeadConfig hc;
    tiny_model(&m, &hc, HEAD_MLM, 0, r.max_len);
    TrainConfig c = train_config_defaults();
    c.batch = 8; c.lr = 4e-3; c.epochs = 10; c.dropout = 0; c.seed = 5; c.mlm.seed = 9;
    Trainer tr;
    if (trainer_init(&tr, &m, &hc, &r, &c, g_tok, &e)) fail_msg("%s", e.msg);
    double fl[2] = {0, 0};
    if (trainer_run(&tr, log_cb, fl, &e)) fail_msg("%s", e.msg);
    for (size_t i = 0; i < r.n * 48; i++) assert_int_equal(r.labels[i], FEAT_IGNORE); /* rows untouched */
    print_message("mlm dynamic masks, %lld updates: loss %.3f -> %.3f\n", (long long)tr.total, fl[0], fl[1]);
    assert_true(fl[0] > 8.0 && fl[1] < 0.8 * fl[0]);
    trainer_free(&tr);
    model_free(&m);
    feat_rows_free(&r);
    pairs_free(&s);
}

int main(void) {
    /* one thread: this test is about learning (test_train_steps checks 1 vs 2 threads), and the shared
     * 2-core machine makes OpenMP barriers slow under load */
    omp_set_num_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs), cmocka_unit_test(test_choices), cmocka_unit_test(test_tagging),
        cmocka_unit_test(test_qa),    cmocka_unit_test(test_mlm),     cmocka_unit_test(test_mlm_dynamic),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
