/* test_model_head.c — model/model_head: heads as ParamSet entries. HF-written folders of every *For* class
 * (tools/gen_model_head_fixtures.py) load with their head and give HF's logits; xstilts-written folders read
 * back bit-exact; encoder-only transfer between heads; binding, errors; a training step whose every pointer comes
 * from the ParamSet gives HF's loss and gradients (tests/fixtures/heads). With XS_HEAD_FOLDERS=DIR set, also
 * writes the xstilts folders and their logits there for tools/check_head_folders.py (HF loads them). */
#include "testutil.h"
#include "core/mem.h"
#include "model/encoder.h"
#include "model/model_head.h"
#include "model/safetensors.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Case { const char *arch, *key; HeadKind kind; int K; } Case;
/* K: as HeadConfig wants it (choice: choices per example; mlm: 0 = vocab) */
static const Case CASES[] = {
    {"xlmr", "seqcls", HEAD_SEQ_CLS, 3},         {"xlmr", "choice", HEAD_MULTIPLE_CHOICE, 3},
    {"xlmr", "tokcls", HEAD_TOKEN_CLS, 5},       {"xlmr", "qa", HEAD_SPAN_QA, 2},
    {"xlmr", "mlm", HEAD_MLM, 0},                {"bert", "seqcls", HEAD_SEQ_CLS, 3},
    {"bert", "choice", HEAD_MULTIPLE_CHOICE, 3}, {"bert", "tokcls", HEAD_TOKEN_CLS, 5},
    {"bert", "qa", HEAD_SPAN_QA, 2},             {"bert", "mlm", HEAD_MLM, 0},
};
#define NCASES ((int)(sizeof CASES / sizeof CASES[0]))

/* The fixed batch of a case (from expected.safetensors) and HF's logits. */
typedef struct Batch {
    int B, T;
    int32_t *ids, *types;
    float *mask, *logits;
    size_t nlogits;
} Batch;

static void batch_load(const Case *c, Batch *b) {
    SafeTensors st;
    XsErr e = {0};
    assert_int_equal(st_open(tu_fixture("model_head/expected.safetensors"), &st, &e), 0);
    char name[96];
    const char *fields[] = {"input_ids", "token_type_ids", "attention_mask", "logits"};
    void *dst[4];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s_%s.%s", c->arch, c->key, fields[i]);
        const StTensor *t = st_find(&st, name);
        if (!t) fail_msg("fixture tensor %s missing", name);
        size_t n = st_numel(t);
        if (i == 0) { b->B = (int)t->shape[0]; b->T = (int)t->shape[1]; }
        if (i == 3) b->nlogits = n;
        dst[i] = xmalloc(n * 4 + 4);
        if (i < 2) {
            assert_int_equal(t->dtype, ST_I32);
            memcpy(dst[i], st_data(&st, t), n * 4);
        } else {
            assert_int_equal(st_read_f32(&st, t, dst[i], &e), 0);
        }
    }
    b->ids = dst[0]; b->types = dst[1]; b->mask = dst[2]; b->logits = dst[3];
    st_close(&st);
}

static void batch_free(Batch *b) { free(b->ids); free(b->types); free(b->mask); free(b->logits); }

/* Inference logits of m's head on b (copied; rows*cols floats). */
static float *run_logits(const Model *m, const HeadConfig *hc, const Batch *b, size_t *n) {
    HeadParams w;
    model_head_bind(m, hc, &w, NULL);
    EncoderState *es = encoder_state_new(&m->cfg, b->B, b->T, 0);
    HeadState *hs = head_state_new(hc, b->B, b->T, 0, 0);
    encoder_forward(&m->cfg, &m->w, es, b->ids, b->types, b->mask, b->B, b->T, 0, 0, 0);
    head_forward(hc, &w, hs, encoder_hidden(es, m->cfg.num_layers), NULL, b->B, b->T, 0, 0, 0);
    int rows, cols;
    const float *lg = head_logits(hs, &rows, &cols);
    *n = (size_t)rows * cols;
    if (hc->kind == HEAD_SPAN_QA) assert_int_equal(*n, (size_t)2 * b->B * b->T);
    float *out = xmalloc(*n * sizeof(float));
    memcpy(out, lg, *n * sizeof(float));
    head_state_free(hs);
    encoder_state_free(es);
    return out;
}

static double max_abs(const float *x, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

/* HF-written folders: every tensor claimed (none unused, none fresh), HF's logits within 1e-5 relative. */
static void test_hf_folders(void **state) {
    (void)state;
    for (int i = 0; i < NCASES; i++) {
        const Case *c = &CASES[i];
        char rel[64];
        snprintf(rel, sizeof rel, "model_head/%s_%s", c->arch, c->key);
        Model m;
        HeadConfig hc;
        XsErr e = {0};
        /* K = 0: from config.json's id2label (seq / token classification) */
        int K = c->kind == HEAD_SEQ_CLS || c->kind == HEAD_TOKEN_CLS ? 0 : c->K;
        if (model_load_head(tu_fixture(rel), c->kind, K, MODEL_LOAD_STRICT, 1, &m, &hc, &e)) fail_msg("%s: %s", rel, e.msg);
        assert_int_equal(hc.num_labels, c->kind == HEAD_MLM ? m.cfg.vocab_size : c->K);
        assert_int_equal(m.n_unused, 0);
        for (int k = 0; k < m.tab.n; k++) assert_true(m.tab.t[k].loaded);
        assert_int_equal(m.has_pooler, c->kind == HEAD_MULTIPLE_CHOICE || (c->kind == HEAD_SEQ_CLS && !strcmp(c->arch, "bert")));
        char cls[64];
        assert_string_equal(m.cfg.architecture, model_head_class(&m.cfg, c->kind, cls, sizeof cls));
        Batch b;
        batch_load(c, &b);
        size_t n;
        float *lg = run_logits(&m, &hc, &b, &n);
        assert_int_equal(n, b.nlogits);
        double mx = max_abs(b.logits, n);
        char what[96];
        snprintf(what, sizeof what, "%s logits", rel);
        assert_int_equal(tu_compare(what, lg, b.logits, n, 1e-5 * mx, 1e-5), 0);
        double worst = 0;
        for (size_t k = 0; k < n; k++) worst = fmax(worst, fabs((double)lg[k] - b.logits[k]) / mx);
        print_message("%-12s %zu logits, max|HF| %.3g, max|a-b|/max|HF| %.2e\n", rel + 11, n, mx, worst);
        free(lg);
        batch_free(&b);
        model_free(&m);
    }
}

/* A model of the fixtures' size built here with case c's head, HF-initialized (seed), biases and LayerNorm
 * perturbed so that every tensor matters. */
static void build(const Case *c, Model *m, HeadConfig *hc, uint64_t seed) {
    ModelConfig cfg;
    int bert = !strcmp(c->arch, "bert");
    assert_int_equal(config_preset(&cfg, bert ? ARCH_BERT : ARCH_XLMR, "tiny", 100), 0);
    cfg.hidden_size = 32; cfg.num_layers = 2; cfg.num_heads = 4; cfg.intermediate_size = 64; cfg.max_position = 40;
    cfg.initializer_range = 0.2f;
    model_init(m, &cfg, 0); /* no pooler: the head adds it when it needs one */
    head_config(hc, &m->cfg, c->kind, c->K);
    XsErr e = {0};
    assert_int_equal(model_add_head(m, hc, &e), 0);
    model_alloc_params(m);
    model_init_random(m, seed);
    for (int k = 0; k < m->tab.n; k++)
        if (m->tab.t[k].ndim == 1) {
            float *x = paramset_data(&m->tab, k);
            for (size_t i = 0; i < m->tab.t[k].numel; i++) x[i] += 0.1f * sinf((float)(3 * k + 7 * i));
        }
}

static void write_logits(const char *dir, const Batch *b, const float *lg, size_t n) {
    size_t bt = (size_t)b->B * b->T;
    float *ids = xmalloc(bt * sizeof(float)), *types = xmalloc(bt * sizeof(float));
    for (size_t i = 0; i < bt; i++) { ids[i] = (float)b->ids[i]; types[i] = (float)b->types[i]; }
    StWriteItem it[4];
    memset(it, 0, sizeof it);
    const char *names[] = {"input_ids", "token_type_ids", "attention_mask", "logits"};
    const float *data[] = {ids, types, b->mask, lg};
    for (int i = 0; i < 4; i++) {
        it[i].name = names[i];
        it[i].data = data[i];
        it[i].ndim = i < 3 ? 2 : 1;
        it[i].shape[0] = i < 3 ? b->B : (int64_t)n;
        it[i].shape[1] = i < 3 ? b->T : 0;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/xstilts_logits.safetensors", dir);
    XsErr e = {0};
    if (st_write_f32(path, it, 4, &e)) fail_msg("%s", e.msg);
    free(ids);
    free(types);
}

/* xstilts-written folders: config.json names the class and the labels, the head is written under HF's names
 * (base entries prefixed), and everything reads back bit-exact with no unused tensor. */
static void test_xstilts_folders(void **state) {
    (void)state;
    const char *keep = getenv("XS_HEAD_FOLDERS");
    char *tmp = tu_tmpdir();
    for (int i = 0; i < NCASES; i++) {
        const Case *c = &CASES[i];
        Model m, m2;
        HeadConfig hc, hc2;
        build(c, &m, &hc, 40 + (uint64_t)i);
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/%s_%s", keep ? keep : tmp, c->arch, c->key);
        XsErr e = {0};
        if (model_save(dir, &m, &e)) fail_msg("%s", e.msg);
        char w[1200];
        snprintf(w, sizeof w, "%s/model.safetensors", dir);
        SafeTensors st;
        assert_int_equal(st_open(w, &st, &e), 0);
        const char *pfx = !strcmp(c->arch, "bert") ? "bert." : "roberta.";
        char name[160];
        snprintf(name, sizeof name, "%sembeddings.word_embeddings.weight", pfx);
        assert_non_null(st_find(&st, name));
        HeadTensor t[HEAD_MAX_TENSORS];
        int nt = head_tensors(&hc, t);
        for (int k = 0; k < nt; k++) {
            snprintf(name, sizeof name, "%s%s", t[k].in_base ? pfx : "", t[k].name);
            assert_non_null(st_find(&st, name));
        }
        assert_int_equal(st.n, m.tab.n);
        st_close(&st);
        /* config.json: the class and (classification) the labels */
        ModelConfig rc;
        snprintf(w, sizeof w, "%s/config.json", dir);
        assert_int_equal(config_load(w, &rc, &e), 0);
        char cls[64];
        assert_string_equal(rc.architecture, model_head_class(&m.cfg, c->kind, cls, sizeof cls));
        assert_int_equal(rc.num_labels, c->kind == HEAD_SEQ_CLS || c->kind == HEAD_TOKEN_CLS ? c->K : 0);
        /* read back strictly: bit-exact, nothing unused */
        int K = c->kind == HEAD_SEQ_CLS || c->kind == HEAD_TOKEN_CLS ? 0 : c->K;
        if (model_load_head(dir, c->kind, K, MODEL_LOAD_STRICT, 9, &m2, &hc2, &e)) fail_msg("%s", e.msg);
        assert_int_equal(m2.n_unused, 0);
        assert_int_equal(m2.tab.n, m.tab.n);
        for (int k = 0; k < m.tab.n; k++) {
            int k2 = params_find(&m2.tab, m.tab.t[k].name);
            assert_true(k2 >= 0);
            assert_memory_equal(paramset_data(&m2.tab, k2), paramset_data(&m.tab, k), m.tab.t[k].numel * sizeof(float));
        }
        /* logits on the fixed batch (what tools/check_head_folders.py compares with HF's) */
        Batch b;
        batch_load(c, &b);
        size_t n, n2;
        float *lg = run_logits(&m, &hc, &b, &n), *lg2 = run_logits(&m2, &hc2, &b, &n2);
        assert_int_equal(n, n2);
        assert_memory_equal(lg, lg2, n * sizeof(float));
        assert_true(max_abs(lg, n) > 0.1); /* the head is not degenerate */
        if (keep) write_logits(dir, &b, lg, n);
        free(lg);
        free(lg2);
        batch_free(&b);
        model_free(&m2);
        model_free(&m);
    }
    tu_rmtree(tmp);
    free(tmp);
}

static int in_unused(const Model *m, const char *name) {
    for (int i = 0; i < m->n_unused; i++)
        if (!strcmp(m->unused[i], name)) return 1;
    return 0;
}

/* The folder's tensor `name` equals entry `name` of m. */
static void assert_from_file(const Model *m, const char *dir, const char *file_name, const char *name) {
    char w[600];
    snprintf(w, sizeof w, "%s/model.safetensors", dir);
    SafeTensors st;
    XsErr e = {0};
    assert_int_equal(st_open(w, &st, &e), 0);
    const StTensor *t = st_find(&st, file_name);
    assert_non_null(t);
    int k = params_find(&m->tab, name);
    assert_true(k >= 0);
    assert_int_equal(st_numel(t), m->tab.t[k].numel);
    float *x = xmalloc(st_numel(t) * sizeof(float));
    assert_int_equal(st_read_f32(&st, t, x, &e), 0);
    assert_memory_equal(x, paramset_data(&m->tab, k), st_numel(t) * sizeof(float));
    free(x);
    st_close(&st);
}

/* X-STILTs between phases: a sequence-classification folder loaded as a token-classification model keeps
 * the encoder (and pooler), drops and lists the other head, initializes the token head fresh. */
static void test_encoder_only_transfer(void **state) {
    (void)state;
    XsErr e = {0};
    Model m;
    HeadConfig hc;
    const char *xs = tu_fixture("model_head/xlmr_seqcls");
    assert_int_equal(model_load_head(xs, HEAD_TOKEN_CLS, 5, MODEL_LOAD_ENCODER_ONLY, 3, &m, &hc, &e), 0);
    assert_int_equal(m.n_unused, 4);
    const char *gone[] = {"classifier.dense.weight", "classifier.dense.bias", "classifier.out_proj.weight", "classifier.out_proj.bias"};
    for (int i = 0; i < 4; i++) {
        assert_true(in_unused(&m, gone[i]));
        assert_int_equal(params_find(&m.tab, gone[i]), -1);
    }
    assert_from_file(&m, xs, "roberta.embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight");
    assert_from_file(&m, xs, "roberta.encoder.layer.1.output.LayerNorm.bias", "encoder.layer.1.output.LayerNorm.bias");
    HeadParams w;
    model_head_bind(&m, &hc, &w, NULL);
    double s2 = 0;
    for (int i = 0; i < 5 * 32; i++) s2 += (double)w.out_w[i] * w.out_w[i];
    double sd = sqrt(s2 / (5 * 32));
    assert_true(sd > 0.012 && sd < 0.028); /* N(0, initializer_range = 0.02) */
    for (int i = 0; i < 5; i++) assert_true(w.out_b[i] == 0.0f);
    assert_int_equal(m.cfg.num_labels, 5);
    assert_string_equal(m.cfg.architecture, "XLMRobertaForTokenClassification");
    /* the fresh head is a function of (seed, table position): the same again, different for another seed */
    Model m2;
    HeadConfig hc2;
    HeadParams w2;
    assert_int_equal(model_load_head(xs, HEAD_TOKEN_CLS, 5, MODEL_LOAD_ENCODER_ONLY, 3, &m2, &hc2, &e), 0);
    model_head_bind(&m2, &hc2, &w2, NULL);
    assert_memory_equal(w.out_w, w2.out_w, 5 * 32 * sizeof(float));
    model_free(&m2);
    assert_int_equal(model_load_head(xs, HEAD_TOKEN_CLS, 5, MODEL_LOAD_ENCODER_ONLY, 4, &m2, &hc2, &e), 0);
    model_head_bind(&m2, &hc2, &w2, NULL);
    assert_true(memcmp(w.out_w, w2.out_w, 5 * 32 * sizeof(float)) != 0);
    model_free(&m2);
    model_free(&m);

    /* BERT: classifier.* of the seq head has the token head's names (and, with 3 labels, its shapes):
     * encoder-only drops it anyway and keeps the pooler (a base tensor) */
    const char *bs = tu_fixture("model_head/bert_seqcls");
    assert_int_equal(model_load_head(bs, HEAD_TOKEN_CLS, 3, MODEL_LOAD_ENCODER_ONLY, 3, &m, &hc, &e), 0);
    assert_int_equal(m.n_unused, 2);
    assert_true(in_unused(&m, "classifier.weight") && in_unused(&m, "classifier.bias"));
    assert_true(m.has_pooler);
    assert_from_file(&m, bs, "bert.pooler.dense.weight", "pooler.dense.weight");
    model_head_bind(&m, &hc, &w, NULL);
    for (int i = 0; i < 3; i++) assert_true(w.out_b[i] == 0.0f);
    model_free(&m);
    /* MODEL_LOAD_FRESH_OK (HF's from_pretrained rule) takes a same-named, same-shaped tensor... */
    assert_int_equal(model_load_head(bs, HEAD_TOKEN_CLS, 3, MODEL_LOAD_FRESH_OK, 3, &m, &hc, &e), 0);
    assert_int_equal(m.n_unused, 0);
    assert_from_file(&m, bs, "classifier.weight", "classifier.weight");
    model_free(&m);
    /* ...and a different shape is an error naming the tensor */
    assert_int_equal(model_load_head(bs, HEAD_TOKEN_CLS, 5, MODEL_LOAD_FRESH_OK, 3, &m, &hc, &e), -1);
    assert_non_null(strstr(e.msg, "classifier.weight"));
    assert_non_null(strstr(e.msg, "expected [5, 32], found [3, 32]"));
}

/* Registration: the pooler shared, no duplicates, errors leave the model unchanged; gradients bound. */
static void test_add_bind(void **state) {
    (void)state;
    XsErr e = {0};
    Model m;
    HeadConfig hc, hc2;
    const Case bert_choice = {"bert", "choice", HEAD_MULTIPLE_CHOICE, 4};
    build(&bert_choice, &m, &hc, 1);
    assert_true(m.has_pooler);
    int n = m.tab.n;
    assert_int_equal(n, m.n_encoder + 4); /* pooler (2) + classifier (2) */
    model_free(&m);

    ModelConfig cfg;
    assert_int_equal(config_preset(&cfg, ARCH_BERT, "tiny", 100), 0);
    model_init(&m, &cfg, 1); /* a pooler already: re-used, not added twice */
    n = m.tab.n;
    head_config(&hc, &m.cfg, HEAD_SEQ_CLS, 3);
    assert_int_equal(model_add_head(&m, &hc, &e), 0);
    assert_int_equal(m.tab.n, n + 2);
    /* the same head again, or a token head sharing classifier.*: an error, nothing added */
    assert_int_equal(model_add_head(&m, &hc, &e), -1);
    assert_non_null(strstr(e.msg, "already has a tensor 'classifier.weight'"));
    head_config(&hc2, &m.cfg, HEAD_TOKEN_CLS, 7);
    assert_int_equal(model_add_head(&m, &hc2, &e), -1);
    assert_int_equal(m.tab.n, n + 2);
    head_config(&hc2, &m.cfg, HEAD_SEQ_CLS, 1);
    assert_int_equal(model_add_head(&m, &hc2, &e), -1);
    assert_non_null(strstr(e.msg, "num_labels >= 2"));
    hc2 = hc;
    hc2.C = 64;
    assert_int_equal(model_add_head(&m, &hc2, &e), -1);
    assert_non_null(strstr(e.msg, "hidden size 64"));
    hc2 = hc;
    hc2.arch = ARCH_XLMR;
    assert_int_equal(model_add_head(&m, &hc2, &e), -1);
    /* an MLM head beside it (different names): two heads in one table */
    head_config(&hc2, &m.cfg, HEAD_MLM, 0);
    assert_int_equal(model_add_head(&m, &hc2, &e), 0);
    assert_int_equal(m.tab.n, n + 2 + 5);
    model_alloc_params(&m);
    model_alloc_grads(&m);
    HeadParams w, g, w2, g2;
    model_head_bind(&m, &hc, &w, &g);
    assert_ptr_equal(w.dense_w, m.pooler_w);
    assert_ptr_equal(w.dense_b, m.pooler_b);
    assert_ptr_equal(w.out_w, paramset_get(&m.tab, "classifier.weight"));
    assert_ptr_equal(g.out_b, paramset_grad(&m.tab, params_find(&m.tab, "classifier.bias")));
    assert_null(w.decoder);
    model_head_bind(&m, &hc2, &w2, &g2);
    assert_ptr_equal(w2.decoder, m.w.word_emb);
    assert_ptr_equal(g2.decoder, m.g.word_emb);
    assert_ptr_equal(g2.out_b, paramset_grad(&m.tab, params_find(&m.tab, "cls.predictions.bias")));
    assert_ptr_equal(w2.ln_g, paramset_get(&m.tab, "cls.predictions.transform.LayerNorm.weight"));
    model_free(&m);

    /* gradients absent: the gradient view is all NULL */
    build(&bert_choice, &m, &hc, 1);
    model_head_bind(&m, &hc, &w, &g);
    assert_null(g.out_w);
    assert_null(g.dense_w);
    model_free(&m);
}

/* Loading errors: a bare encoder folder asked for its head strictly, or for labels it does not name. */
static void test_load_errors(void **state) {
    (void)state;
    XsErr e = {0};
    Model m;
    HeadConfig hc;
    const char *enc = tu_fixture("encoder/xlmr");
    assert_int_equal(model_load_head(enc, HEAD_SEQ_CLS, 0, MODEL_LOAD_FRESH_OK, 1, &m, &hc, &e), -1);
    assert_non_null(strstr(e.msg, "config.json"));
    assert_non_null(strstr(e.msg, "needs a number of labels"));
    assert_int_equal(model_load_head(enc, HEAD_SEQ_CLS, 1, MODEL_LOAD_FRESH_OK, 1, &m, &hc, &e), -1);
    assert_non_null(strstr(e.msg, "num_labels >= 2"));
    assert_int_equal(model_load_head(enc, HEAD_TOKEN_CLS, 4, MODEL_LOAD_STRICT, 1, &m, &hc, &e), -1);
    assert_non_null(strstr(e.msg, "2 tensors missing"));
    assert_non_null(strstr(e.msg, "classifier.weight"));
    /* a fresh head on an encoder folder: every encoder tensor loaded, the head initialized */
    assert_int_equal(model_load_head(enc, HEAD_SPAN_QA, 0, MODEL_LOAD_FRESH_OK, 1, &m, &hc, &e), 0);
    assert_int_equal(hc.num_labels, 2);
    assert_int_equal(m.n_unused, 0);
    for (int k = 0; k < m.tab.n; k++) assert_true(m.tab.t[k].loaded);
    model_free(&m);
}

/* A training step with every pointer from the ParamSet: the heads fixture of test_heads.c (HF's *For* classes
 * on tests/fixtures/encoder, loss.backward()) reproduced with model_load_head + model_head_bind, the gradients
 * landing in m->tab.grad (the MLM decoder's in the word-embedding entry): loss and EVERY table entry's gradient
 * against HF's, as test_heads.c's tolerance (1e-4 of the tensor's max |HF| + 1e-4 relative). */
static int exactly_zero(const char *key, const char *name, int L) {
    char last_ln[96];
    snprintf(last_ln, sizeof last_ln, "encoder.layer.%d.output.LayerNorm.bias", L - 1);
    if (strstr(name, "attention.self.key.bias")) return 1; /* see test_heads.c: 0 in exact arithmetic */
    if (!strcmp(key, "choice") && !strcmp(name, "classifier.bias")) return 1;
    return !strcmp(key, "qa") && (!strcmp(name, "qa_outputs.bias") || !strcmp(name, last_ln));
}

static float *st_f32(const SafeTensors *st, const char *key, const char *name, size_t *n) {
    char full[200];
    snprintf(full, sizeof full, "%s.%s", key, name);
    const StTensor *t = st_find(st, full);
    if (!t) fail_msg("fixture tensor %s missing", full);
    *n = st_numel(t);
    float *x = xmalloc_aligned(*n * sizeof(float) + 64);
    XsErr e = {0};
    assert_int_equal(st_read_f32(st, t, x, &e), 0);
    return x;
}

static void test_train_step_via_paramset(void **state) {
    (void)state;
    static const struct { const char *arch, *key; HeadKind kind; int K; } HC[] = {
        {"xlmr", "seqcls", HEAD_SEQ_CLS, 3},         {"bert", "seqcls", HEAD_SEQ_CLS, 3},
        {"xlmr", "choice", HEAD_MULTIPLE_CHOICE, 3}, {"bert", "choice", HEAD_MULTIPLE_CHOICE, 3},
        {"xlmr", "tokcls", HEAD_TOKEN_CLS, 5},       {"bert", "tokcls", HEAD_TOKEN_CLS, 5},
        {"xlmr", "qa", HEAD_SPAN_QA, 2},             {"bert", "qa", HEAD_SPAN_QA, 2},
        {"xlmr", "mlm", HEAD_MLM, 0},                {"bert", "mlm", HEAD_MLM, 0},
    };
    for (int c = 0; c < 10; c++) {
        char rel[64];
        snprintf(rel, sizeof rel, "encoder/%s", HC[c].arch);
        Model m;
        HeadConfig hc;
        XsErr e = {0};
        if (model_load_head(tu_fixture(rel), HC[c].kind, HC[c].K, MODEL_LOAD_FRESH_OK, 7, &m, &hc, &e)) fail_msg("%s", e.msg);
        m.cfg.hidden_dropout = m.cfg.attn_dropout = 0.0f;
        hc.dropout = 0.0f;
        SafeTensors st;
        snprintf(rel, sizeof rel, "heads/%s.safetensors", HC[c].arch);
        assert_int_equal(st_open(tu_fixture(rel), &st, &e), 0);
        const char *key = HC[c].key;
        /* the fixture's head (and pooler) values into the table entries */
        HeadTensor ht[HEAD_MAX_TENSORS];
        int nt = head_tensors(&hc, ht);
        for (int i = 0; i < nt; i++) {
            char name[160];
            size_t n;
            snprintf(name, sizeof name, "param.%s", ht[i].name);
            float *x = st_f32(&st, key, name, &n);
            assert_int_equal(n, ht[i].numel);
            memcpy(paramset_get(&m.tab, ht[i].name), x, n * sizeof(float));
            free(x);
        }
        model_alloc_grads(&m);
        HeadParams w, g;
        model_head_bind(&m, &hc, &w, &g);
        char full[96];
        snprintf(full, sizeof full, "%s.input_ids", key);
        const StTensor *it = st_find(&st, full);
        int B = (int)it->shape[0], T = (int)it->shape[1];
        size_t n;
        float *mask = st_f32(&st, key, "attention_mask", &n);
        int32_t *ids = xmalloc((size_t)B * T * 4), *types = xmalloc((size_t)B * T * 4), *labels = xmalloc((size_t)B * T * 4);
        memcpy(ids, st_data(&st, it), (size_t)B * T * 4);
        snprintf(full, sizeof full, "%s.token_type_ids", key);
        memcpy(types, st_data(&st, st_find(&st, full)), (size_t)B * T * 4);
        snprintf(full, sizeof full, "%s.labels", key);
        const StTensor *lt = st_find(&st, full);
        memcpy(labels, st_data(&st, lt), st_numel(lt) * 4);
        EncoderState *es = encoder_state_new(&m.cfg, B, T, 1);
        HeadState *hs = head_state_new(&hc, B, T, 0, 0);
        float *dh = xmalloc_aligned((size_t)B * T * hc.C * sizeof(float));
        float loss = 0;
        for (int rep = 0; rep < 2; rep++) { /* the second step after zero_grad: the same gradients */
            paramset_zero_grad(&m.tab);
            memset(dh, 0, (size_t)B * T * hc.C * sizeof(float));
            encoder_forward(&m.cfg, &m.w, es, ids, types, mask, B, T, 1, 1, 0);
            loss = head_forward(&hc, &w, hs, encoder_hidden(es, m.cfg.num_layers), labels, B, T, 1, 1, 0);
            head_backward(&hc, &w, &g, hs, 1.0f, dh);
            encoder_backward(&m.cfg, &m.w, &m.g, es, dh, NULL);
        }
        float *wl = st_f32(&st, key, "loss", &n);
        assert_true(fabs(loss - wl[0]) <= 1e-4 * fabs(wl[0]) + 1e-6);
        double worst = 0;
        for (int k = 0; k < m.tab.n; k++) {
            const ParamInfo *p = &m.tab.t[k];
            char name[160], what[200];
            snprintf(name, sizeof name, "grad.%s", p->name);
            float *want = st_f32(&st, key, name, &n);
            assert_int_equal(n, p->numel);
            const float *got = paramset_grad(&m.tab, k);
            double mx = max_abs(want, n);
            if (exactly_zero(key, p->name, m.cfg.num_layers)) {
                for (size_t i = 0; i < n; i++) assert_true(fabs(got[i]) < 1e-6 && fabs(want[i]) < 1e-6);
            } else {
                snprintf(what, sizeof what, "%s %s d/d %s", HC[c].arch, key, p->name);
                assert_int_equal(tu_compare(what, got, want, n, 1e-4 * mx, 1e-4), 0);
                for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)got[i] - want[i]) / mx);
            }
            free(want);
        }
        print_message("%s %-6s loss %.6f (HF %.6f), %d table gradients, worst |diff|/max|HF| %.2e\n", HC[c].arch, key, loss,
                      wl[0], m.tab.n, worst);
        free(wl);
        free(dh); free(mask); free(ids); free(types); free(labels);
        head_state_free(hs);
        encoder_state_free(es);
        st_close(&st);
        model_free(&m);
    }
}

/* Several heads in one model (a multi-task job): one under HF's plain names, the others under a name prefix — two
 * sequence-classification heads of different label counts side by side, names unique, config.json naming the plain
 * head, each head loadable alone from the saved folder, all of them dropped by an encoder-only load. */
static void test_multi_head(void **state) {
    (void)state;
    XsErr e = {0};
    ModelConfig cfg;
    assert_int_equal(config_preset(&cfg, ARCH_XLMR, "tiny", 100), 0);
    cfg.max_position = 40;
    Model m;
    model_init(&m, &cfg, 0);
    HeadConfig hc[4];
    static const struct { HeadKind kind; int K; const char *prefix; } H[4] = {
        {HEAD_SEQ_CLS, 3, ""}, {HEAD_SEQ_CLS, 2, "heads.qqp."}, {HEAD_TOKEN_CLS, 5, "heads.udpos."},
        {HEAD_MULTIPLE_CHOICE, 4, "heads.hellaswag."}};
    int n0 = m.tab.n;
    for (int i = 0; i < 4; i++) {
        head_config(&hc[i], &m.cfg, H[i].kind, H[i].K);
        snprintf(hc[i].prefix, sizeof hc[i].prefix, "%s", H[i].prefix);
        assert_int_equal(model_add_head(&m, &hc[i], &e), 0);
    }
    assert_int_equal(m.tab.n, n0 + 4 + 4 + 2 + 2 + 2); /* + the pooler the multiple-choice head added */
    assert_true(params_find(&m.tab, "classifier.out_proj.weight") >= 0);
    assert_true(params_find(&m.tab, "heads.qqp.classifier.out_proj.weight") >= 0);
    assert_true(params_find(&m.tab, "heads.udpos.classifier.weight") >= 0);
    assert_true(params_find(&m.tab, "heads.hellaswag.classifier.bias") >= 0);
    assert_true(params_find(&m.tab, "pooler.dense.weight") >= 0);
    assert_true(m.tab.t[params_find(&m.tab, "heads.qqp.classifier.out_proj.bias")].no_decay);
    /* the plain head names the folder's class, whatever was added after it */
    assert_string_equal(m.cfg.architecture, "XLMRobertaForSequenceClassification");
    assert_int_equal(m.cfg.num_labels, 3);
    /* refused, the table unchanged: the same prefix twice, malformed prefixes, the base model's prefix */
    int n = m.tab.n;
    HeadConfig bad = hc[1];
    assert_int_equal(model_add_head(&m, &bad, &e), -1);
    assert_non_null(strstr(e.msg, "'heads.qqp.classifier.dense.weight'"));
    static const char *const BAD[] = {"heads.qqp", "roberta.x.", ".x.", "a..b.", "a b."};
    for (int i = 0; i < 5; i++) {
        snprintf(bad.prefix, sizeof bad.prefix, "%s", BAD[i]);
        assert_int_equal(model_add_head(&m, &bad, &e), -1);
        assert_non_null(strstr(e.msg, "prefix"));
    }
    assert_int_equal(m.tab.n, n);
    model_init_random(&m, 7);
    /* bound by name: four distinct output layers of their own shapes */
    HeadParams w[4];
    for (int i = 0; i < 4; i++) model_head_bind(&m, &hc[i], &w[i], NULL);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < i; j++) assert_true(w[i].out_w != w[j].out_w);
    assert_ptr_equal(w[1].out_w, paramset_get(&m.tab, "heads.qqp.classifier.out_proj.weight"));
    assert_ptr_equal(w[3].dense_w, m.pooler_w);
    /* saved with the list of heads, read back */
    m.cfg.n_heads = 4;
    static const char *const TASKS[4] = {"mnli", "qqp", "udpos", "hellaswag"};
    for (int i = 0; i < 4; i++) {
        snprintf(m.cfg.heads[i].task, sizeof m.cfg.heads[i].task, "%s", TASKS[i]);
        snprintf(m.cfg.heads[i].kind, sizeof m.cfg.heads[i].kind, "%s", head_kind_name(H[i].kind));
        m.cfg.heads[i].num_labels = H[i].K;
        snprintf(m.cfg.heads[i].prefix, sizeof m.cfg.heads[i].prefix, "%s", H[i].prefix);
    }
    char *tmp = tu_tmpdir();
    char dir[1100], path[1200];
    snprintf(dir, sizeof dir, "%s/multi", tmp);
    assert_int_equal(model_save(dir, &m, &e), 0);
    snprintf(path, sizeof path, "%s/config.json", dir);
    ModelConfig rc;
    assert_int_equal(config_load(path, &rc, &e), 0);
    assert_int_equal(rc.n_heads, 4);
    assert_string_equal(rc.heads[1].task, "qqp");
    assert_string_equal(rc.heads[1].prefix, "heads.qqp.");
    assert_string_equal(rc.heads[3].kind, "multiple_choice");
    assert_int_equal(rc.heads[2].num_labels, 5);
    assert_string_equal(rc.architecture, "XLMRobertaForSequenceClassification");
    assert_int_equal(rc.num_labels, 3);
    /* each prefixed head loads alone, strictly, bit-exact; the other heads' tensors are unused */
    Model q;
    HeadConfig qh;
    assert_int_equal(model_load_head_at(dir, HEAD_SEQ_CLS, 2, "heads.qqp.", MODEL_LOAD_STRICT, 0, &q, &qh, &e), 0);
    assert_int_equal(q.cfg.n_heads, 0); /* model_open: the Model's heads are the ones added */
    assert_string_equal(qh.prefix, "heads.qqp.");
    HeadParams qw;
    model_head_bind(&q, &qh, &qw, NULL);
    assert_memory_equal(qw.out_w, w[1].out_w, 2 * 128 * sizeof(float));
    assert_memory_equal(qw.dense_w, w[1].dense_w, 128 * 128 * sizeof(float));
    assert_int_equal(q.n_unused, 4 + 2 + 2);
    model_free(&q);
    assert_int_equal(model_load_head_at(dir, HEAD_TOKEN_CLS, 5, "heads.udpos.", MODEL_LOAD_STRICT, 0, &q, &qh, &e), 0);
    model_head_bind(&q, &qh, &qw, NULL);
    assert_memory_equal(qw.out_w, w[2].out_w, 5 * 128 * sizeof(float));
    model_free(&q);
    /* the plain head as before */
    assert_int_equal(model_load_head(dir, HEAD_SEQ_CLS, 0, MODEL_LOAD_STRICT, 0, &q, &qh, &e), 0);
    assert_int_equal(qh.num_labels, 3);
    model_head_bind(&q, &qh, &qw, NULL);
    assert_memory_equal(qw.out_w, w[0].out_w, 3 * 128 * sizeof(float));
    model_free(&q);
    /* a prefixed classification head needs its label count (id2label is the plain head's) */
    assert_int_equal(model_load_head_at(dir, HEAD_SEQ_CLS, 0, "heads.qqp.", MODEL_LOAD_STRICT, 0, &q, &qh, &e), -1);
    assert_non_null(strstr(e.msg, "number of labels"));
    /* phase 2 of X-STILTs: encoder-only, every head of the folder dropped and listed */
    assert_int_equal(model_load_head(dir, HEAD_TOKEN_CLS, 7, MODEL_LOAD_ENCODER_ONLY, 3, &q, &qh, &e), 0);
    assert_int_equal(q.n_unused, 4 + 4 + 2 + 2);
    int saw_qqp = 0, saw_plain = 0;
    for (int i = 0; i < q.n_unused; i++) {
        saw_qqp |= !strcmp(q.unused[i], "heads.qqp.classifier.out_proj.weight");
        saw_plain |= !strcmp(q.unused[i], "classifier.out_proj.weight");
    }
    assert_true(saw_qqp && saw_plain);
    assert_int_equal(q.tab.n, q.n_encoder + 2 + 2); /* pooler + the fresh token head */
    model_free(&q);
    model_free(&m);
    tu_rmtree(tmp);
    free(tmp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hf_folders),
        cmocka_unit_test(test_xstilts_folders),
        cmocka_unit_test(test_encoder_only_transfer),
        cmocka_unit_test(test_add_bind),
        cmocka_unit_test(test_multi_head),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_train_step_via_paramset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
