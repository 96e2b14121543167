/* test_heads.c — model/heads: the five task heads on the tiny XLM-R and BERT encoders against HF's *For*
 * classes (fixtures from tools/gen_head_fixtures.py): logits, loss and every gradient (encoder + head), fast and
 * reference ops; central differences of an independent double-precision head (dropout on); ignore / padding. */
#include "testutil.h"
#include "core/mem.h"
#include "kernels/ops.h"
#include "model/encoder.h"
#include "model/heads.h"
#include "model/model.h"
#include "model/safetensors.h"
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Case {
    const char *arch, *key; /* "xlmr"/"bert", "seqcls"/"choice"/"tokcls"/"qa"/"mlm" */
    HeadKind kind;
    int K;                  /* num_labels as HeadConfig wants it (choices for "choice"; V for mlm: set later) */
} Case;

static const Case CASES[] = {
    {"xlmr", "seqcls", HEAD_SEQ_CLS, 3},        {"bert", "seqcls", HEAD_SEQ_CLS, 3},
    {"xlmr", "choice", HEAD_MULTIPLE_CHOICE, 3}, {"bert", "choice", HEAD_MULTIPLE_CHOICE, 3},
    {"xlmr", "tokcls", HEAD_TOKEN_CLS, 5},      {"bert", "tokcls", HEAD_TOKEN_CLS, 5},
    {"xlmr", "qa", HEAD_SPAN_QA, 2},            {"bert", "qa", HEAD_SPAN_QA, 2},
    {"xlmr", "mlm", HEAD_MLM, 0},               {"bert", "mlm", HEAD_MLM, 0},
};

/* One fixture case loaded: encoder (model_load of tests/fixtures/encoder/<arch>), head parameters from the
 * heads fixture, inputs and labels. */
typedef struct Fix {
    Model m;
    ModelConfig cfg;       /* dropout 0 */
    SafeTensors st;
    HeadConfig hc;
    HeadParams p;
    float *hblock;         /* head parameters */
    int B, T, C, nlabels;
    int32_t *ids, *types, *labels;
    float *mask;
    char key[16];
} Fix;

static const StTensor *fx_tensor(const Fix *f, const char *name) {
    char full[160];
    snprintf(full, sizeof full, "%s.%s", f->key, name);
    const StTensor *t = st_find(&f->st, full);
    if (!t) fail_msg("fixture tensor %s missing", full);
    return t;
}

static float *fx_f32(const Fix *f, const char *name, size_t want) {
    const StTensor *t = fx_tensor(f, name);
    assert_int_equal(st_numel(t), want);
    float *x = xmalloc_aligned(want * sizeof(float));
    XsErr err = {0};
    assert_int_equal(st_read_f32(&f->st, t, x, &err), 0);
    return x;
}

static int32_t *fx_i32(const Fix *f, const char *name, size_t *n) {
    const StTensor *t = fx_tensor(f, name);
    assert_int_equal(t->dtype, ST_I32);
    *n = st_numel(t);
    int32_t *x = xmalloc(*n * sizeof(int32_t) + 1);
    memcpy(x, st_data(&f->st, t), *n * sizeof(int32_t));
    return x;
}

static void fix_open(Fix *f, const Case *c) {
    memset(f, 0, sizeof *f);
    char dir[128], path[128];
    snprintf(dir, sizeof dir, "tests/fixtures/encoder/%s", c->arch);
    snprintf(path, sizeof path, "tests/fixtures/heads/%s.safetensors", c->arch);
    snprintf(f->key, sizeof f->key, "%s", c->key);
    XsErr err = {0};
    if (model_load(dir, &f->m, &err) != 0) fail_msg("model_load: %s", err.msg);
    if (st_open(path, &f->st, &err) != 0) fail_msg("st_open: %s", err.msg);
    f->cfg = f->m.cfg;
    f->cfg.hidden_dropout = f->cfg.attn_dropout = 0.0f;
    const StTensor *t = fx_tensor(f, "input_ids");
    f->B = (int)t->shape[0];
    f->T = (int)t->shape[1];
    f->C = f->cfg.hidden_size;
    size_t n;
    f->ids = fx_i32(f, "input_ids", &n);
    f->types = fx_i32(f, "token_type_ids", &n);
    f->labels = fx_i32(f, "labels", &n);
    f->nlabels = (int)n;
    f->mask = fx_f32(f, "attention_mask", (size_t)f->B * f->T);
    head_config(&f->hc, &f->cfg, c->kind, c->K);
    assert_true(f->hc.dropout == 0.0f);
    f->hblock = xmalloc_aligned(head_block_floats(&f->hc) * sizeof(float));
    head_bind_block(&f->hc, &f->p, f->hblock);
    f->p.decoder = c->kind == HEAD_MLM ? f->m.w.word_emb : NULL;
    HeadTensor ht[HEAD_MAX_TENSORS];
    int nt = head_tensors(&f->hc, ht);
    float *slot[6] = {f->p.dense_w, f->p.dense_b, f->p.ln_g, f->p.ln_b, f->p.out_w, f->p.out_b};
    for (int i = 0; i < nt; i++) {
        char name[128];
        snprintf(name, sizeof name, "param.%s", ht[i].name);
        const StTensor *st = fx_tensor(f, name);
        assert_int_equal(st->ndim, ht[i].ndim); /* the table's shapes are HF's */
        assert_int_equal(st->shape[0], ht[i].shape[0]);
        if (ht[i].ndim == 2) assert_int_equal(st->shape[1], ht[i].shape[1]);
        assert_int_equal(st_read_f32(&f->st, st, slot[ht[i].slot], &err), 0);
    }
}

static void fix_close(Fix *f) {
    free(f->ids); free(f->types); free(f->labels); free(f->mask); free(f->hblock);
    st_close(&f->st);
    model_free(&f->m);
}

/* Encoder forward (train state, dropout 0) -> head forward -> head backward -> encoder backward. Returns the
 * loss; ge / gh (zeroed by the caller's allocation) receive the gradients. */
typedef struct Run {
    EncoderState *es;
    HeadState *hs;
    float loss;
    float *eblock, *hgrad;  /* encoder gradient block, head gradient block */
    EncoderParams ge;
    HeadParams gh;
} Run;

static void run_backward(Fix *f, Run *r);
static int g_mlm_chunk = 0; /* mlm_chunk of the head states run_case makes */
static void run_case(Fix *f, Run *r, int train_head, uint64_t seed, uint32_t step, int do_backward) {
    memset(r, 0, sizeof *r);
    int B = f->B, T = f->T;
    r->es = encoder_state_new(&f->cfg, B, T, 1);
    r->hs = head_state_new(&f->hc, B, T, 0, g_mlm_chunk);
    encoder_forward(&f->cfg, &f->m.w, r->es, f->ids, f->types, f->mask, B, T, 1, 1, 0);
    const float *h = encoder_hidden(r->es, f->cfg.num_layers);
    r->loss = head_forward(&f->hc, &f->p, r->hs, h, f->labels, B, T, train_head, seed, step);
    if (do_backward) run_backward(f, r);
}

/* The backward half of run_case (after a forward with do_backward = 0). */
static void run_backward(Fix *f, Run *r) {
    int B = f->B, T = f->T, C = f->C;
    r->eblock = xmalloc_aligned(f->m.tab.total * sizeof(float));
    params_bind(&f->cfg, &f->m.tab, &r->ge, r->eblock);
    r->hgrad = xmalloc_aligned(head_block_floats(&f->hc) * sizeof(float));
    head_bind_block(&f->hc, &r->gh, r->hgrad);
    r->gh.decoder = f->hc.kind == HEAD_MLM ? r->ge.word_emb : NULL;
    float *dh = xmalloc_aligned((size_t)B * T * C * sizeof(float));
    head_backward(&f->hc, &f->p, &r->gh, r->hs, 1.0f, dh);
    encoder_backward(&f->cfg, &f->m.w, &r->ge, r->es, dh, NULL);
    free(dh);
}

static void run_free(Run *r) {
    encoder_state_free(r->es);
    head_state_free(r->hs);
    free(r->eblock); free(r->hgrad); free(r->ge.layers);
}

/* Gradient check against HF: |a-b| <= atol + rtol*|b| with rtol = 1e-4 and atol = 1e-4 of the tensor's
 * largest |HF gradient| (elements near zero are cancellation noise in both float implementations; test_encoder.c
 * measures the same). Gradients that are exactly 0 in exact arithmetic must merely be tiny in both: attention
 * key biases (see test_encoder.c); the multiple-choice classifier bias and QA's qa_outputs.bias (each shifts
 * every score of one softmax alike); and for QA the last layer's output LayerNorm bias (it shifts h at every
 * position of a sequence alike, so the start / end scores of all positions move together). */
static int exactly_zero(const char *key, const char *name, int L) {
    char last_ln[96];
    snprintf(last_ln, sizeof last_ln, "encoder.layer.%d.output.LayerNorm.bias", L - 1);
    if (strstr(name, "attention.self.key.bias")) return 1;
    if (!strcmp(key, "choice") && !strcmp(name, "classifier.bias")) return 1;
    return !strcmp(key, "qa") && (!strcmp(name, "qa_outputs.bias") || !strcmp(name, last_ln));
}

static double check_grad(const char *what, const char *key, const float *got, const float *want, size_t n,
                         const char *name, int L) {
    double mx = 0, worst = 0;
    for (size_t k = 0; k < n; k++) mx = fmax(mx, fabs(want[k]));
    if (exactly_zero(key, name, L)) {
        for (size_t k = 0; k < n; k++) assert_true(fabs(got[k]) < 1e-6 && fabs(want[k]) < 1e-6);
        return 0;
    }
    assert_int_equal(tu_compare(what, got, want, n, 1e-4 * mx, 1e-4), 0);
    for (size_t k = 0; k < n; k++) worst = fmax(worst, fabs((double)got[k] - want[k]) / mx);
    return worst;
}

static void check_case(const Case *c, int ref) {
    Fix f;
    fix_open(&f, c);
    ops_use_reference(ref);
    Run r;
    run_case(&f, &r, 1, 5, 0, 0); /* train = 1 with dropout 0: the same as HF's eval */
    const char *path = ref ? "ref" : "fast";
    char what[200];
    /* logits */
    int rows, cols;
    const float *lg = head_logits(r.hs, &rows, &cols);
    const StTensor *lt = fx_tensor(&f, "logits");
    size_t nl = st_numel(lt);
    float *want = fx_f32(&f, "logits", nl);
    snprintf(what, sizeof what, "%s %s %s logits", c->arch, c->key, path);
    if (c->kind == HEAD_MLM) { /* HF: (B,T,V) everywhere; ours: the labelled rows */
        int M;
        const int32_t *pos = head_mlm_rows(r.hs, &M);
        int expect_m = 0;
        for (int i = 0; i < f.B * f.T; i++) expect_m += f.labels[i] != -100;
        assert_int_equal(M, expect_m);
        assert_int_equal(head_n_targets(r.hs), expect_m);
        assert_int_equal(cols, f.cfg.vocab_size);
        float *sel = xmalloc((size_t)M * cols * sizeof(float));
        for (int m = 0; m < M; m++) memcpy(sel + (size_t)m * cols, want + (size_t)pos[m] * cols, (size_t)cols * sizeof(float));
        assert_int_equal(tu_compare(what, lg, sel, (size_t)M * cols, 1e-5, 1e-4), 0);
        free(sel);
    } else {
        assert_int_equal((size_t)rows * cols, nl);
        assert_int_equal(tu_compare(what, lg, want, nl, 1e-5, 1e-4), 0);
    }
    free(want);
    run_backward(&f, &r); /* after the logits: MLM's backward overwrites them */
    float *wl = fx_f32(&f, "loss", 1);
    printf("%s %s %s loss: ours %.9g HF %.9g\n", c->arch, c->key, path, r.loss, wl[0]);
    assert_true(fabs(r.loss - wl[0]) <= 1e-4 * fabs(wl[0]) + 1e-6);
    free(wl);
    /* every encoder gradient */
    double worst = 0;
    const char *worst_name = "";
    for (int i = 0; i < f.m.tab.n; i++) {
        const ParamInfo *pi = &f.m.tab.t[i];
        char name[160];
        snprintf(name, sizeof name, "grad.%s", pi->name);
        snprintf(what, sizeof what, "%s %s %s d/d %s", c->arch, c->key, path, pi->name);
        float *w = fx_f32(&f, name, pi->numel);
        double e = check_grad(what, c->key, r.eblock + pi->offset, w, pi->numel, pi->name, f.cfg.num_layers);
        if (e > worst) { worst = e; worst_name = pi->name; }
        free(w);
    }
    /* every head gradient */
    HeadTensor ht[HEAD_MAX_TENSORS];
    int nt = head_tensors(&f.hc, ht);
    float *gslot[6] = {r.gh.dense_w, r.gh.dense_b, r.gh.ln_g, r.gh.ln_b, r.gh.out_w, r.gh.out_b};
    for (int i = 0; i < nt; i++) {
        char name[160];
        snprintf(name, sizeof name, "grad.%s", ht[i].name);
        snprintf(what, sizeof what, "%s %s %s d/d %s", c->arch, c->key, path, ht[i].name);
        float *w = fx_f32(&f, name, ht[i].numel);
        double e = check_grad(what, c->key, gslot[ht[i].slot], w, ht[i].numel, ht[i].name, f.cfg.num_layers);
        if (e > worst) { worst = e; worst_name = ht[i].name; }
        free(w);
    }
    printf("%s %s %s: %d encoder + %d head gradients, worst |diff| / max|HF| of a tensor %.3g in %s\n",
           c->arch, c->key, path, f.m.tab.n, nt, worst, worst_name);
    ops_use_reference(0);
    run_free(&r);
    fix_close(&f);
}

static void test_against_hf(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        check_case(&CASES[i], 0);
        check_case(&CASES[i], 1);
    }
}

/* ---- an independent double-precision statement of each head, for central differences ---------- */
typedef struct DHead {
    const HeadConfig *hc;
    const double *w[6];    /* by HeadSlot */
    const float *dec;      /* (V,C) tied decoder, float (not differentiated here) */
    DropSpec d0, d1;       /* the forward's dropout sites (train = 1) */
} DHead;

static double d_ce(const double *lg, const int32_t *t, int N, int K, int ignore) {
    double sum = 0;
    int n = 0;
    for (int i = 0; i < N; i++) {
        if (t[i] == ignore) continue;
        const double *r = lg + (size_t)i * K;
        double m = -INFINITY, s = 0;
        for (int k = 0; k < K; k++) m = fmax(m, r[k]);
        for (int k = 0; k < K; k++) s += exp(r[k] - m);
        sum += m + log(s) - r[t[i]];
        n++;
    }
    return n ? sum / n : 0.0;
}

static void d_linear(double *out, const double *in, const double *w, const double *b, int N, int IC, int OC) {
    for (int i = 0; i < N; i++)
        for (int o = 0; o < OC; o++) {
            double acc = b ? b[o] : 0;
            for (int c = 0; c < IC; c++) acc += in[(size_t)i * IC + c] * w[(size_t)o * IC + c];
            out[(size_t)i * OC + o] = acc;
        }
}

/* HF's loss of the head on h (B,T,C) in double. */
static double d_head_loss(const DHead *d, const double *h, const int32_t *labels, int B, int T) {
    const HeadConfig *hc = d->hc;
    int C = hc->C, K = hc->num_labels, N = B * T;
    double loss = 0;
    double *x = calloc((size_t)N * C, sizeof(double)), *y = calloc((size_t)N * C, sizeof(double));
    double *lg = calloc((size_t)N * (K > 2 ? K : 2) + 2 * (size_t)N, sizeof(double));
    int32_t *t = calloc((size_t)2 * N + 2, sizeof(int32_t));
    switch (hc->kind) {
    case HEAD_SEQ_CLS:
    case HEAD_MULTIPLE_CHOICE: {
        int first = hc->kind == HEAD_SEQ_CLS && hc->arch == ARCH_XLMR, Kout = hc->kind == HEAD_SEQ_CLS ? K : 1;
        for (int r = 0; r < B; r++)
            for (int c = 0; c < C; c++)
                x[(size_t)r * C + c] = h[(size_t)r * T * C + c] * (first ? ops_drop_scale(&d->d0, (uint64_t)r * C + c) : 1.0);
        d_linear(y, x, d->w[HEAD_DENSE_W], d->w[HEAD_DENSE_B], B, C, C);
        for (int i = 0; i < B * C; i++) y[i] = tanh(y[i]) * ops_drop_scale(&d->d1, (uint64_t)i);
        d_linear(lg, y, d->w[HEAD_OUT_W], d->w[HEAD_OUT_B], B, C, Kout);
        loss = hc->kind == HEAD_SEQ_CLS ? d_ce(lg, labels, B, K, -100) : d_ce(lg, labels, B / K, K, -100);
        break;
    }
    case HEAD_TOKEN_CLS:
        for (size_t i = 0; i < (size_t)N * C; i++) x[i] = h[i] * ops_drop_scale(&d->d0, i);
        d_linear(lg, x, d->w[HEAD_OUT_W], d->w[HEAD_OUT_B], N, C, K);
        loss = d_ce(lg, labels, N, K, -100);
        break;
    case HEAD_SPAN_QA: {
        d_linear(y, h, d->w[HEAD_OUT_W], d->w[HEAD_OUT_B], N, C, 2);
        for (int i = 0; i < N; i++) { lg[i] = y[2 * i]; lg[N + i] = y[2 * i + 1]; }
        for (int b = 0; b < B; b++)
            for (int k = 0; k < 2; k++) {
                int v = labels[2 * b + k];
                t[k * B + b] = v < 0 ? 0 : v > T ? T : v;
            }
        loss = (d_ce(lg, t, B, T, T) + d_ce(lg + N, t + B, B, T, T)) / 2;
        break;
    }
    case HEAD_MLM: {
        int M = 0;
        for (int i = 0; i < N; i++) {
            if (labels[i] == -100) continue;
            memcpy(x + (size_t)M * C, h + (size_t)i * C, (size_t)C * sizeof(double));
            t[M++] = labels[i];
        }
        d_linear(y, x, d->w[HEAD_DENSE_W], d->w[HEAD_DENSE_B], M, C, C);
        for (int r = 0; r < M; r++) {
            double *v = y + (size_t)r * C, m = 0, var = 0;
            for (int c = 0; c < C; c++) v[c] = 0.5 * v[c] * (1.0 + erf(v[c] / sqrt(2.0)));
            for (int c = 0; c < C; c++) m += v[c];
            m /= C;
            for (int c = 0; c < C; c++) var += (v[c] - m) * (v[c] - m);
            var /= C;
            for (int c = 0; c < C; c++) v[c] = (v[c] - m) / sqrt(var + hc->ln_eps) * d->w[HEAD_LN_G][c] + d->w[HEAD_LN_B][c];
        }
        double *big = calloc((size_t)M * K + 1, sizeof(double));
        for (int r = 0; r < M; r++)
            for (int v = 0; v < K; v++) {
                double acc = d->w[HEAD_OUT_B][v];
                for (int c = 0; c < C; c++) acc += y[(size_t)r * C + c] * d->dec[(size_t)v * C + c];
                big[(size_t)r * K + v] = acc;
            }
        loss = d_ce(big, t, M, K, -100);
        free(big);
        break;
    }
    default: fail_msg("bad kind");
    }
    free(x); free(y); free(lg); free(t);
    return loss;
}

/* Central differences (h = 1e-5 relative, double) of d_head_loss wrt 4 elements of every head tensor and
 * 12 elements of h, against our float backward; dropout ON (p = 0.25) so its masks are checked too. */
static void fd_case(const Case *c) {
    Fix f;
    fix_open(&f, c);
    f.hc.dropout = 0.25f;
    int B = f.B, T = f.T, C = f.C;
    size_t nh = (size_t)B * T * C;
    EncoderState *es = encoder_state_new(&f.cfg, B, T, 0);
    encoder_forward(&f.cfg, &f.m.w, es, f.ids, f.types, f.mask, B, T, 0, 0, 0);
    const float *h = encoder_hidden(es, f.cfg.num_layers);
    HeadState *hs = head_state_new(&f.hc, B, T, 0, 0);
    uint64_t seed = 77;
    uint32_t step = 3;
    float loss = head_forward(&f.hc, &f.p, hs, h, f.labels, B, T, 1, seed, step);
    size_t hb = head_block_floats(&f.hc);
    float *gblk = xmalloc_aligned(hb * sizeof(float)), *dh = xmalloc_aligned(nh * sizeof(float));
    float *gdec = xmalloc_aligned((size_t)f.cfg.vocab_size * C * sizeof(float));
    HeadParams g;
    head_bind_block(&f.hc, &g, gblk);
    g.decoder = gdec;
    head_backward(&f.hc, &f.p, &g, hs, 1.0f, dh);
    /* double copies: head block and h */
    double *dblk = xmalloc(hb * sizeof(double)), *dhh = xmalloc(nh * sizeof(double));
    for (size_t i = 0; i < hb; i++) dblk[i] = f.hblock[i];
    for (size_t i = 0; i < nh; i++) dhh[i] = h[i];
    DHead d = {.hc = &f.hc, .dec = f.p.decoder};
    d.d0 = (DropSpec){0.25f, seed, HEAD_DROP_STREAM + 0, step, NULL, 0};
    d.d1 = (DropSpec){0.25f, seed, HEAD_DROP_STREAM + 1, step, NULL, 0};
    HeadTensor ht[HEAD_MAX_TENSORS];
    int nt = head_tensors(&f.hc, ht);
    float *pslot[6] = {f.p.dense_w, f.p.dense_b, f.p.ln_g, f.p.ln_b, f.p.out_w, f.p.out_b};
    float *gslot[6] = {g.dense_w, g.dense_b, g.ln_g, g.ln_b, g.out_w, g.out_b};
    for (int i = 0; i < nt; i++) d.w[ht[i].slot] = dblk + (pslot[ht[i].slot] - f.hblock);
    double ld = d_head_loss(&d, dhh, f.labels, B, T);
    printf("%s %s: loss float %.9g, double %.12g (dropout 0.25)\n", c->arch, c->key, loss, ld);
    assert_true(fabs(loss - ld) < 1e-5 * (1 + fabs(ld)));
    double worst = 0;
    const char *worst_name = "";
    int checked = 0;
    for (int i = 0; i <= nt; i++) { /* i == nt: h itself (dh) */
        size_t n = i < nt ? ht[i].numel : nh;
        double *x0 = i < nt ? (double *)d.w[ht[i].slot] : dhh;
        const float *an = i < nt ? gslot[ht[i].slot] : dh;
        const char *name = i < nt ? ht[i].name : "h (dLoss/dh)";
        double mx = 0;
        size_t pick[12];
        int np = i < nt ? 4 : 12;
        pick[0] = 0;
        for (size_t k = 0; k < n; k++)
            if (fabs(an[k]) > mx) { mx = fabs(an[k]); pick[0] = k; }
        for (int j = 1; j < np; j++) pick[j] = (n * (size_t)(7 * j + 3)) / (size_t)(7 * np + 5);
        for (int j = 0; j < np; j++) {
            size_t k = pick[j];
            double save = x0[k], step_h = 1e-5 * fmax(1.0, fabs(save));
            x0[k] = save + step_h;
            double lp = d_head_loss(&d, dhh, f.labels, B, T);
            x0[k] = save - step_h;
            double lm = d_head_loss(&d, dhh, f.labels, B, T);
            x0[k] = save;
            double fd = (lp - lm) / (2 * step_h);
            checked++;
            if (i < nt && exactly_zero(c->key, name, f.cfg.num_layers)) { /* 0 in exact arithmetic: both tiny */
                assert_true(fabs(fd) < 1e-7 && fabs(an[k]) < 1e-6);
                continue;
            }
            double e = fabs(fd - an[k]) / fmax(fabs(fd), 1e-3 * mx);
            if (e > worst) { worst = e; worst_name = name; }
        }
    }
    printf("%s %s finite differences (double head, dropout 0.25 where the head has one) vs float backward: %d elements, worst rel err %.3g"
           " in %s\n", c->arch, c->key, checked, worst, worst_name);
    assert_true(worst < 1e-4);
    free(gblk); free(dh); free(gdec); free(dblk); free(dhh);
    head_state_free(hs);
    encoder_state_free(es);
    fix_close(&f);
}

static void test_finite_differences(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) fd_case(&CASES[i]);
}

/* The tensor tables: HF names, shapes, in_base, no_decay. */
static void test_tables(void **state) {
    (void)state;
    ModelConfig cfg = {0};
    cfg.arch = ARCH_XLMR;
    cfg.hidden_size = 8;
    cfg.vocab_size = 50;
    cfg.layer_norm_eps = 1e-5f;
    HeadConfig hc;
    HeadTensor t[HEAD_MAX_TENSORS];
    head_config(&hc, &cfg, HEAD_SEQ_CLS, 3);
    assert_int_equal(head_tensors(&hc, t), 4);
    assert_string_equal(t[0].name, "classifier.dense.weight");
    assert_string_equal(t[2].name, "classifier.out_proj.weight");
    assert_int_equal(t[2].shape[0], 3);
    assert_int_equal(t[2].shape[1], 8);
    assert_int_equal(t[0].no_decay + 2 * t[1].no_decay, 2);
    head_config(&hc, &cfg, HEAD_MULTIPLE_CHOICE, 4);
    assert_int_equal(head_tensors(&hc, t), 4);
    assert_string_equal(t[0].name, "pooler.dense.weight");
    assert_int_equal(t[0].in_base, 1);
    assert_int_equal(t[2].shape[0], 1); /* one score per choice */
    head_config(&hc, &cfg, HEAD_MLM, 0);
    assert_int_equal(hc.num_labels, 50);
    assert_int_equal(head_tensors(&hc, t), 5);
    assert_string_equal(t[2].name, "lm_head.layer_norm.weight");
    assert_int_equal(t[2].no_decay, 1);
    assert_string_equal(t[4].name, "lm_head.bias");
    assert_int_equal(t[4].shape[0], 50);
    cfg.arch = ARCH_BERT;
    head_config(&hc, &cfg, HEAD_MLM, 0);
    head_tensors(&hc, t);
    assert_string_equal(t[0].name, "cls.predictions.transform.dense.weight");
    assert_string_equal(t[4].name, "cls.predictions.bias");
    head_config(&hc, &cfg, HEAD_SPAN_QA, 7);
    assert_int_equal(hc.num_labels, 2);
    assert_int_equal(head_tensors(&hc, t), 2);
    assert_string_equal(t[0].name, "qa_outputs.weight");
    for (int k = 0; k < HEAD_NKINDS; k++) {
        HeadKind back;
        assert_int_equal(head_parse(head_kind_name((HeadKind)k), &back), 0);
        assert_int_equal(back, k);
    }
    HeadKind x;
    assert_int_equal(head_parse("regression", &x), -1);
    /* init: Linear ~ N(0, std), biases 0, LayerNorm 1 */
    cfg.arch = ARCH_XLMR;
    head_config(&hc, &cfg, HEAD_MLM, 0);
    float *blk = xmalloc_aligned(head_block_floats(&hc) * sizeof(float));
    HeadParams p;
    head_bind_block(&hc, &p, blk);
    head_init_random(&hc, &p, 0.02f, 3);
    double ss = 0;
    for (int i = 0; i < 64; i++) ss += (double)p.dense_w[i] * p.dense_w[i];
    assert_true(sqrt(ss / 64) > 0.01 && sqrt(ss / 64) < 0.04);
    for (int i = 0; i < 8; i++) assert_true(p.ln_g[i] == 1.0f && p.ln_b[i] == 0.0f && p.dense_b[i] == 0.0f);
    for (int i = 0; i < 50; i++) assert_true(p.out_b[i] == 0.0f);
    free(blk);
}

/* Every target ignored: loss 0 (PyTorch: NaN), zero gradients, nothing reaches dh; MLM with nothing masked
 * runs no projection. And labels == NULL: inference, logits only. */
static void test_all_ignored(void **state) {
    (void)state;
    const Case *cs[2] = {&CASES[4], &CASES[8]}; /* xlmr tokcls, xlmr mlm */
    for (int k = 0; k < 2; k++) {
        Fix f;
        fix_open(&f, cs[k]);
        for (int i = 0; i < f.nlabels; i++) f.labels[i] = -100;
        Run r;
        run_case(&f, &r, 0, 0, 0, 1);
        assert_true(r.loss == 0.0f);
        assert_int_equal(head_n_targets(r.hs), 0);
        for (size_t i = 0; i < head_block_floats(&f.hc); i++) assert_true(r.hgrad[i] == 0.0f);
        for (size_t i = 0; i < f.m.tab.total; i++) assert_true(r.eblock[i] == 0.0f);
        run_free(&r);
        /* inference: no labels, logits of every position (MLM: all B*T rows) */
        r.es = encoder_state_new(&f.cfg, f.B, f.T, 0);
        r.hs = head_state_new(&f.hc, f.B, f.T, 0, 0);
        encoder_forward(&f.cfg, &f.m.w, r.es, f.ids, f.types, f.mask, f.B, f.T, 0, 0, 0);
        float l = head_forward(&f.hc, &f.p, r.hs, encoder_hidden(r.es, f.cfg.num_layers), NULL, f.B, f.T, 0, 0, 0);
        int rows, cols;
        head_logits(r.hs, &rows, &cols);
        assert_true(l == 0.0f);
        assert_int_equal(rows, f.B * f.T);
        encoder_state_free(r.es);
        head_state_free(r.hs);
        fix_close(&f);
    }
}

/* Token classification ignores padding: changing the hidden states (or labels' ignored entries' neighbours)
 * at positions labelled -100 changes neither the loss nor any parameter gradient; QA positions past the window
 * are ignored whatever their value (clamped to T). */
static void test_ignore_and_clamp(void **state) {
    (void)state;
    Fix f;
    fix_open(&f, &CASES[6]); /* xlmr qa: labels (3,5) (0,0) (25,4) (-3,30) */
    Run a, b;
    run_case(&f, &a, 0, 0, 0, 1);
    f.labels[4] = 1000; /* another out-of-range start: still clamped to T and ignored */
    f.labels[7] = f.T; /* exactly T: ignored */
    run_case(&f, &b, 0, 0, 0, 1);
    assert_true(a.loss == b.loss);
    assert_memory_equal(a.hgrad, b.hgrad, head_block_floats(&f.hc) * sizeof(float));
    assert_int_equal(head_n_targets(a.hs), 6); /* 8 positions; the start 25 and the end 30 are clamped to T: ignored */
    f.labels[6] = -7; /* negative: clamped to 0, a real target (HF) */
    Run c;
    run_case(&f, &c, 0, 0, 0, 1);
    f.labels[6] = 0;
    Run d;
    run_case(&f, &d, 0, 0, 0, 1);
    assert_true(c.loss == d.loss);
    run_free(&a); run_free(&b); run_free(&c); run_free(&d);
    fix_close(&f);
}

/* Dropout in the heads: reproducible for (seed, step), other masks for another step, identical for 1 and 2
 * threads, and the fast path agrees with the reference ops under the same masks. */
static void test_dropout(void **state) {
    (void)state;
    const Case *cs[3] = {&CASES[0], &CASES[3], &CASES[5]}; /* xlmr seqcls (2 sites), bert choice, bert tokcls */
    for (int k = 0; k < 3; k++) {
        Fix f;
        fix_open(&f, cs[k]);
        f.hc.dropout = 0.3f;
        float loss[4];
        float *g[4];
        for (int run = 0; run < 4; run++) { /* 0: 1 thread, 1: 2 threads, 2: another step, 3: reference */
            omp_set_num_threads(run == 1 ? 2 : 1);
            ops_use_reference(run == 3);
            Run r;
            run_case(&f, &r, 1, 42, run == 2 ? 9 : 8, 1);
            loss[run] = r.loss;
            g[run] = r.hgrad;
            r.hgrad = NULL;
            run_free(&r);
        }
        ops_use_reference(0);
        omp_set_num_threads(2);
        size_t n = head_block_floats(&f.hc);
        printf("%s %s dropout 0.3: loss %.7g (2 threads %.7g, other step %.7g, ref %.7g)\n", cs[k]->arch, cs[k]->key,
               loss[0], loss[1], loss[2], loss[3]);
        assert_true(loss[0] == loss[1]);
        assert_memory_equal(g[0], g[1], n * sizeof(float));
        assert_true(loss[0] != loss[2]);
        assert_true(fabs(loss[0] - loss[3]) < 1e-5 * fabs(loss[3]) + 1e-6);
        assert_int_equal(tu_compare("dropout grads fast vs ref", g[0], g[3], n, 1e-5, 1e-4), 0);
        for (int run = 0; run < 4; run++) free(g[run]);
        fix_close(&f);
    }
}

/* The names: the encoder's table (with the base prefix) plus the head's table (in_base ones prefixed) are
 * exactly the tensors HF's save_pretrained writes for the matching *For* class (recorded by the generator):
 * nothing missing, nothing unexpected, so a checkpoint written from these tables loads in HF and back. */
static void test_hf_names(void **state) {
    (void)state;
    for (size_t ci = 0; ci < sizeof CASES / sizeof CASES[0]; ci++) {
        const Case *c = &CASES[ci];
        Fix f;
        fix_open(&f, c);
        const StTensor *t = fx_tensor(&f, "saved_keys");
        assert_int_equal(t->dtype, ST_U8);
        size_t len = st_numel(t);
        char *txt = xmalloc(len + 1);
        memcpy(txt, st_data(&f.st, t), len);
        txt[len] = 0;
        const char *prefix = f.cfg.arch == ARCH_XLMR ? "roberta." : "bert.";
        int n_ours = f.m.tab.n, missing = 0, n_hf = 0;
        HeadTensor ht[HEAD_MAX_TENSORS];
        int nt = head_tensors(&f.hc, ht);
        char (*ours)[160] = xcalloc((size_t)(n_ours + nt), sizeof *ours);
        for (int i = 0; i < f.m.tab.n; i++) snprintf(ours[i], sizeof ours[i], "%s%s", prefix, f.m.tab.t[i].name);
        for (int i = 0; i < nt; i++)
            snprintf(ours[n_ours + i], sizeof ours[0], "%s%s", ht[i].in_base ? prefix : "", ht[i].name);
        n_ours += nt;
        int *seen = xcalloc((size_t)n_ours, sizeof *seen);
        for (char *line = strtok(txt, "\n"); line; line = strtok(NULL, "\n")) {
            n_hf++;
            int hit = 0;
            for (int i = 0; i < n_ours; i++)
                if (!strcmp(ours[i], line)) { seen[i] = 1; hit = 1; }
            if (!hit) { printf("%s %s: HF writes %s, missing from our tables\n", c->arch, c->key, line); missing++; }
        }
        int unexpected = 0;
        for (int i = 0; i < n_ours; i++)
            if (!seen[i]) { printf("%s %s: we would write %s, unknown to HF\n", c->arch, c->key, ours[i]); unexpected++; }
        printf("%s %s: %d HF tensor names, %d ours (%d head): %d missing, %d unexpected\n", c->arch, c->key, n_hf,
               n_ours, nt, missing, unexpected);
        assert_int_equal(missing, 0);
        assert_int_equal(unexpected, 0);
        assert_int_equal(n_hf, n_ours);
        free(ours); free(seen); free(txt);
        fix_close(&f);
    }
}

/* MLM with the vocabulary projection in chunks of 1, 2, 3 and 5 rows (logits recomputed in backward)
 * gives the unchunked loss and every gradient (float rounding only), holds less, and keeps no logits. */
static void test_mlm_chunked(void **state) {
    (void)state;
    for (int a = 0; a < 2; a++) {
        Fix f;
        fix_open(&f, &CASES[8 + a]);
        Run full;
        g_mlm_chunk = 0;
        run_case(&f, &full, 0, 0, 0, 1);
        int chunks[4] = {1, 2, 3, 5};
        for (int k = 0; k < 4; k++) {
            Run r;
            g_mlm_chunk = chunks[k];
            run_case(&f, &r, 0, 0, 0, 1);
            char what[96];
            snprintf(what, sizeof what, "%s mlm chunk %d: encoder grads", CASES[8 + a].arch, chunks[k]);
            assert_true(fabs(r.loss - full.loss) <= 1e-6 * fabs(full.loss));
            /* per tensor, |a-b| <= 1e-5 max|b| + 1e-4 |b|: summation order differs (GEMMs of other shapes) */
            size_t bad = 0;
            for (int i = 0; i < f.m.tab.n; i++) {
                const ParamInfo *pi = &f.m.tab.t[i];
                double mx = 0;
                if (exactly_zero("mlm", pi->name, f.cfg.num_layers)) { /* noise in both */
                    for (size_t e = 0; e < pi->numel; e++) assert_true(fabs(r.eblock[pi->offset + e]) < 1e-6);
                    continue;
                }
                for (size_t e = 0; e < pi->numel; e++) mx = fmax(mx, fabs(full.eblock[pi->offset + e]));
                bad += tu_compare(what, r.eblock + pi->offset, full.eblock + pi->offset, pi->numel, 1e-5 * mx + 1e-12, 1e-4);
            }
            assert_int_equal(bad, 0);
            snprintf(what, sizeof what, "%s mlm chunk %d: head grads", CASES[8 + a].arch, chunks[k]);
            HeadTensor ht[HEAD_MAX_TENSORS];
            int nt = head_tensors(&f.hc, ht);
            float *ga[6] = {r.gh.dense_w, r.gh.dense_b, r.gh.ln_g, r.gh.ln_b, r.gh.out_w, r.gh.out_b};
            float *gb[6] = {full.gh.dense_w, full.gh.dense_b, full.gh.ln_g, full.gh.ln_b, full.gh.out_w, full.gh.out_b};
            for (int i = 0; i < nt; i++) {
                double mx = 0;
                for (size_t e = 0; e < ht[i].numel; e++) mx = fmax(mx, fabs(gb[ht[i].slot][e]));
                bad += tu_compare(what, ga[ht[i].slot], gb[ht[i].slot], ht[i].numel, 1e-5 * mx + 1e-12, 1e-4);
            }
            assert_int_equal(bad, 0);
            int rows = -1;
            head_logits(r.hs, &rows, NULL);
            assert_int_equal(rows, 0);
            assert_true(head_state_bytes(r.hs) < head_state_bytes(full.hs));
            run_free(&r);
        }
        g_mlm_chunk = 0;
        run_free(&full);
        fix_close(&f);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),          cmocka_unit_test(test_against_hf),
        cmocka_unit_test(test_finite_differences), cmocka_unit_test(test_all_ignored),
        cmocka_unit_test(test_ignore_and_clamp), cmocka_unit_test(test_dropout), cmocka_unit_test(test_hf_names),
        cmocka_unit_test(test_mlm_chunked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
