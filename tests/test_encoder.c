/* test_encoder.c — model/encoder: every hidden state and every parameter gradient against HF
 * transformers (fixtures from tools/gen_encoder_fixtures.py, tiny XLM-R and BERT, padded batch), fast vs
 * reference ops, finite differences, dropout independent of the thread count, the layer-only state. */
#include "testutil.h"
#include "core/mem.h"
#include "kernels/ops.h"
#include "model/encoder.h"
#include "model/model.h"
#include "model/safetensors.h"
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Fix {
    Model m;
    SafeTensors st;
    int B, T, L, C;
    int32_t *ids, *types; /* (B,T) */
    float *mask;          /* (B,T) */
} Fix;

static float *fix_f32(const Fix *f, const char *name, size_t want) {
    const StTensor *t = st_find(&f->st, name);
    if (!t) fail_msg("fixture tensor %s missing", name);
    assert_int_equal(st_numel(t), want);
    float *x = xmalloc_aligned(want * sizeof(float));
    XsErr err = {0};
    assert_int_equal(st_read_f32(&f->st, t, x, &err), 0);
    return x;
}

static int32_t *fix_i32(const Fix *f, const char *name, size_t want) {
    const StTensor *t = st_find(&f->st, name);
    assert_non_null(t);
    assert_int_equal(t->dtype, ST_I32);
    assert_int_equal(st_numel(t), want);
    int32_t *x = xmalloc(want * sizeof(int32_t));
    memcpy(x, st_data(&f->st, t), want * sizeof(int32_t));
    return x;
}

static void fix_open(Fix *f, const char *arch) {
    memset(f, 0, sizeof *f);
    char dir[256], exp[300];
    snprintf(dir, sizeof dir, "tests/fixtures/encoder/%s", arch);
    snprintf(exp, sizeof exp, "%s/expected.safetensors", dir);
    XsErr err = {0};
    if (model_load(dir, &f->m, &err) != 0) fail_msg("model_load: %s", err.msg);
    if (st_open(exp, &f->st, &err) != 0) fail_msg("st_open: %s", err.msg);
    const StTensor *t = st_find(&f->st, "input_ids");
    assert_non_null(t);
    f->B = (int)t->shape[0];
    f->T = (int)t->shape[1];
    f->L = f->m.cfg.num_layers;
    f->C = f->m.cfg.hidden_size;
    size_t n = (size_t)f->B * f->T;
    f->ids = fix_i32(f, "input_ids", n);
    f->types = fix_i32(f, "token_type_ids", n);
    f->mask = fix_f32(f, "attention_mask", n);
}

static void fix_close(Fix *f) {
    free(f->ids);
    free(f->types);
    free(f->mask);
    st_close(&f->st);
    model_free(&f->m);
}

/* Every hidden state (padding positions included: HF computes them too) within 1e-4 + 1e-4|b|. */
static double check_forward(const char *arch, int ref) {
    Fix f;
    fix_open(&f, arch);
    ops_use_reference(ref);
    EncoderState *s = encoder_state_new(&f.m.cfg, f.B, f.T, 0);
    encoder_forward(&f.m.cfg, &f.m.w, s, f.ids, f.types, f.mask, f.B, f.T, 0, 0, 0);
    size_t n = (size_t)f.B * f.T * f.C;
    double worst = 0;
    for (int l = 0; l <= f.L; l++) {
        char name[64], what[96];
        snprintf(name, sizeof name, "hidden.%d", l);
        snprintf(what, sizeof what, "%s %s hidden[%d]", arch, ref ? "ref" : "fast", l);
        float *want = fix_f32(&f, name, n);
        const float *got = encoder_hidden(s, l);
        assert_int_equal(tu_compare(what, got, want, n, 1e-4, 1e-4), 0);
        for (size_t i = 0; i < n; i++) {
            double d = fabs((double)got[i] - want[i]);
            if (d > worst) worst = d;
        }
        free(want);
    }
    printf("%s %s forward: worst |diff| over all %d hidden states = %.3g\n", arch, ref ? "ref" : "fast", f.L + 1, worst);
    ops_use_reference(0);
    encoder_state_free(s);
    fix_close(&f);
    return worst;
}

static void test_forward_xlmr(void **state) { (void)state; check_forward("xlmr", 0); check_forward("xlmr", 1); }
static void test_forward_bert(void **state) { (void)state; check_forward("bert", 0); check_forward("bert", 1); }

/* Runs forward (train mode, dropout off as in the fixture's eval) + backward of
 * loss = sum(h[L] * R_last) + sum(h[1] * R_mid) into a zeroed gradient block. */
static float *grads_of(Fix *f, const float *R_last, const float *R_mid, EncoderParams *g, float *demb) {
    ModelConfig cfg = f->m.cfg;
    cfg.hidden_dropout = cfg.attn_dropout = 0.0f;
    float *block = xmalloc_aligned(f->m.tab.total * sizeof(float));
    params_bind(&cfg, &f->m.tab, g, block);
    EncoderState *s = encoder_state_new(&cfg, f->B, f->T, 1);
    encoder_forward(&cfg, &f->m.w, s, f->ids, f->types, f->mask, f->B, f->T, 1, 1, 0);
    const float *dh[8] = {0};
    dh[f->L] = R_last;
    dh[1] = R_mid;
    encoder_backward_multi(&cfg, &f->m.w, g, s, dh, demb);
    encoder_state_free(s);
    return block;
}

static void check_grads(const char *arch, int ref) {
    Fix f;
    fix_open(&f, arch);
    ops_use_reference(ref);
    size_t n = (size_t)f.B * f.T * f.C;
    float *R_last = fix_f32(&f, "R_last", n), *R_mid = fix_f32(&f, "R_mid", n), *demb = xmalloc(n * sizeof(float));
    EncoderParams g;
    float *block = grads_of(&f, R_last, R_mid, &g, demb);
    double worst = 0;
    const char *worst_name = "";
    for (int i = 0; i < f.m.n_encoder; i++) {
        const ParamInfo *p = &f.m.tab.t[i];
        char name[128], what[160];
        snprintf(name, sizeof name, "grad.%s", p->name);
        snprintf(what, sizeof what, "%s %s d/d %s", arch, ref ? "ref" : "fast", p->name);
        float *want = fix_f32(&f, name, p->numel);
        double mx = 0;
        for (size_t k = 0; k < p->numel; k++) mx = fmax(mx, fabs(want[k]));
        if (strstr(p->name, "attention.self.key.bias")) {
            /* exactly 0 in exact arithmetic: q.(k + b) shifts every score of a row by q.b, which the
             * softmax ignores; PyTorch's values are float noise, so both must merely be tiny */
            for (size_t k = 0; k < p->numel; k++) assert_true(fabs(block[p->offset + k]) < 1e-5 && fabs(want[k]) < 1e-5);
            printf("%s: mathematically 0; max |ours| %.3g, max |torch| %.3g\n", what,
                   tu_max_rel(block + p->offset, want, 0, 1), mx);
            free(want);
            continue;
        }
        /* elementwise 1e-3 relative, with a floor of 1e-4 of the tensor's largest entry for the
         * near-zero elements (cancellation there is float noise in both implementations) */
        assert_int_equal(tu_compare(what, block + p->offset, want, p->numel, 1e-4 * mx, 1e-3), 0);
        double r = tu_max_rel(block + p->offset, want, p->numel, 1e-4 * mx + 1e-30);
        if (r > worst) { worst = r; worst_name = f.m.tab.t[i].name; }
        free(want);
    }
    float *want = fix_f32(&f, "grad_inputs_embeds", n);
    assert_int_equal(tu_compare("d/d inputs_embeds", demb, want, n, 1e-5, 1e-3), 0);
    printf("%s %s gradients: worst elementwise rel err %.3g (floor 1e-4 max|g|) in %s\n", arch, ref ? "ref" : "fast",
           worst, worst_name);
    ops_use_reference(0);
    free(want); free(R_last); free(R_mid); free(demb); free(block); free(g.layers);
    fix_close(&f);
}

static void test_grads_xlmr(void **state) { (void)state; check_grads("xlmr", 0); check_grads("xlmr", 1); }
static void test_grads_bert(void **state) { (void)state; check_grads("bert", 0); check_grads("bert", 1); }

/* ---- an independent double-precision forward (test only) for finite differences ----------- */
/* The same post-LN encoder written again in double, straight from HF's modules, reading parameters
 * from a double copy of the block (table order: 5 embedding tensors, then 16 per layer in
 * LayerParams order). Its loss's central differences are accurate to ~1e-9 relative, so comparing
 * them with our float backward measures the backward alone. */
static void d_linear(double *out, const double *in, const double *w, const double *b, int N, int IC, int OC) {
    for (int i = 0; i < N; i++)
        for (int o = 0; o < OC; o++) {
            double acc = b[o];
            for (int c = 0; c < IC; c++) acc += in[(size_t)i * IC + c] * w[(size_t)o * IC + c];
            out[(size_t)i * OC + o] = acc;
        }
}
static void d_layernorm(double *x, const double *g, const double *b, int N, int C, double eps) {
    for (int i = 0; i < N; i++) {
        double *r = x + (size_t)i * C, m = 0, v = 0;
        for (int c = 0; c < C; c++) m += r[c];
        m /= C;
        for (int c = 0; c < C; c++) v += (r[c] - m) * (r[c] - m);
        v /= C;
        for (int c = 0; c < C; c++) r[c] = (r[c] - m) / sqrt(v + eps) * g[c] + b[c];
    }
}

static double d_loss(const Fix *f, const double *blk, const float *R_last, const float *R_mid) {
    const ModelConfig *cfg = &f->m.cfg;
    const ParamInfo *t = f->m.tab.t;
    int B = f->B, T = f->T, C = f->C, F = cfg->intermediate_size, NH = cfg->num_heads, hd = C / NH, N = B * T;
    double eps = cfg->layer_norm_eps;
    double *x = calloc((size_t)N * C, sizeof(double)), *h1 = calloc((size_t)N * C, sizeof(double));
    double *q = calloc((size_t)N * C, sizeof(double)), *k = calloc((size_t)N * C, sizeof(double));
    double *v = calloc((size_t)N * C, sizeof(double)), *ctx = calloc((size_t)N * C, sizeof(double));
    double *ff = calloc((size_t)N * F, sizeof(double)), *p = calloc((size_t)T, sizeof(double));
#define W(i) (blk + t[(i)].offset)
    for (int b = 0; b < B; b++) {
        int run = 0;
        for (int tt = 0; tt < T; tt++) {
            int i = b * T + tt, id = f->ids[i], pos = tt;
            if (cfg->arch == ARCH_XLMR) { /* create_position_ids_from_input_ids */
                run += id != cfg->pad_token_id;
                pos = id != cfg->pad_token_id ? run + cfg->pad_token_id : cfg->pad_token_id;
            }
            for (int c = 0; c < C; c++)
                x[(size_t)i * C + c] = W(0)[(size_t)id * C + c] + W(2)[(size_t)f->types[i] * C + c] + W(1)[(size_t)pos * C + c];
        }
    }
    d_layernorm(x, W(3), W(4), N, C, eps);
    double loss = 0;
    for (int l = 0; l < cfg->num_layers; l++) {
        int o = 5 + 16 * l;
        d_linear(q, x, W(o + 0), W(o + 1), N, C, C);
        d_linear(k, x, W(o + 2), W(o + 3), N, C, C);
        d_linear(v, x, W(o + 4), W(o + 5), N, C, C);
        for (int b = 0; b < B; b++)
            for (int hh = 0; hh < NH; hh++)
                for (int i = 0; i < T; i++) {
                    double mx = -INFINITY, sum = 0;
                    for (int j = 0; j < T; j++) {
                        if (f->mask[b * T + j] == 0.0f) continue;
                        double sc = 0;
                        for (int d = 0; d < hd; d++)
                            sc += q[((size_t)b * T + i) * C + hh * hd + d] * k[((size_t)b * T + j) * C + hh * hd + d];
                        p[j] = sc / sqrt((double)hd);
                        if (p[j] > mx) mx = p[j];
                    }
                    for (int j = 0; j < T; j++) {
                        p[j] = f->mask[b * T + j] == 0.0f ? 0.0 : exp(p[j] - mx);
                        sum += p[j];
                    }
                    for (int d = 0; d < hd; d++) {
                        double acc = 0;
                        for (int j = 0; j < T; j++) acc += p[j] / sum * v[((size_t)b * T + j) * C + hh * hd + d];
                        ctx[((size_t)b * T + i) * C + hh * hd + d] = acc;
                    }
                }
        d_linear(h1, ctx, W(o + 6), W(o + 7), N, C, C);
        for (size_t i = 0; i < (size_t)N * C; i++) h1[i] += x[i];
        d_layernorm(h1, W(o + 8), W(o + 9), N, C, eps);
        d_linear(ff, h1, W(o + 10), W(o + 11), N, C, F);
        for (size_t i = 0; i < (size_t)N * F; i++) ff[i] = 0.5 * ff[i] * (1.0 + erf(ff[i] / sqrt(2.0)));
        d_linear(x, ff, W(o + 12), W(o + 13), N, F, C);
        for (size_t i = 0; i < (size_t)N * C; i++) x[i] += h1[i];
        d_layernorm(x, W(o + 14), W(o + 15), N, C, eps);
        if (l == 0)
            for (size_t i = 0; i < (size_t)N * C; i++) loss += x[i] * R_mid[i];
    }
#undef W
    for (size_t i = 0; i < (size_t)N * C; i++) loss += x[i] * R_last[i];
    free(x); free(h1); free(q); free(k); free(v); free(ctx); free(ff); free(p);
    return loss;
}

/* Central differences of the double forward (h = 1e-4 relative: truncation ~1e-9, rounding ~1e-11)
 * against our float backward, for 3 elements of every parameter tensor (the largest gradient and
 * two others; the word embedding's padding_idx row excluded: HF zeroes its gradient by definition
 * while the loss, which reads padding positions, does depend on it), both archs. */
static void check_fd(const char *arch) {
    Fix f;
    fix_open(&f, arch);
    size_t n = (size_t)f.B * f.T * f.C, tot = f.m.tab.total;
    float *R_last = fix_f32(&f, "R_last", n), *R_mid = fix_f32(&f, "R_mid", n);
    EncoderParams g;
    float *block = grads_of(&f, R_last, R_mid, &g, NULL);
    double *dblk = xmalloc(tot * sizeof(double));
    for (size_t i = 0; i < tot; i++) dblk[i] = f.m.w.block[i];
    /* the float forward's loss agrees with the double one */
    EncoderState *s = encoder_state_new(&f.m.cfg, f.B, f.T, 0);
    encoder_forward(&f.m.cfg, &f.m.w, s, f.ids, f.types, f.mask, f.B, f.T, 0, 0, 0);
    double lf = 0, ld = d_loss(&f, dblk, R_last, R_mid);
    for (size_t i = 0; i < n; i++)
        lf += (double)encoder_hidden(s, f.L)[i] * R_last[i] + (double)encoder_hidden(s, 1)[i] * R_mid[i];
    encoder_state_free(s);
    printf("%s loss: float forward %.9g, double forward %.9g\n", arch, lf, ld);
    assert_true(fabs(lf - ld) < 1e-4 * (1 + fabs(ld)));
    double worst = 0, worst_zero = 0;
    const char *worst_name = "";
    int checked = 0;
    for (int i = 0; i < f.m.n_encoder; i++) {
        const ParamInfo *p = &f.m.tab.t[i];
        size_t pick[3] = {0, (p->numel * 7) / 13, (p->numel * 11) / 17};
        double mx = 0;
        for (size_t k = 0; k < p->numel; k++)
            if (fabs(block[p->offset + k]) > mx) { mx = fabs(block[p->offset + k]); pick[0] = k; }
        int zero = strstr(p->name, "attention.self.key.bias") != NULL; /* exactly 0, see check_grads */
        for (int j = 0; j < 3; j++) {
            size_t k = pick[j];
            if (i == 0 && (int)(k / (size_t)f.C) == f.m.cfg.pad_token_id) continue;
            double *x = dblk + p->offset + k, save = *x, h = 1e-4 * fmax(1.0, fabs(save));
            *x = save + h;
            double lp = d_loss(&f, dblk, R_last, R_mid);
            *x = save - h;
            double lm = d_loss(&f, dblk, R_last, R_mid);
            *x = save;
            double fd = (lp - lm) / (2 * h), an = block[p->offset + k];
            checked++;
            if (zero) {
                worst_zero = fmax(worst_zero, fmax(fabs(fd), fabs(an)));
                continue;
            }
            /* relative, with a floor of 1e-3 of the tensor's largest gradient for tiny entries */
            double e = fabs(fd - an) / fmax(fabs(fd), 1e-3 * mx);
            if (e > worst) { worst = e; worst_name = p->name; }
        }
    }
    printf("%s finite differences (double forward, h = 1e-4) vs float backward: %d elements, worst rel err %.3g in %s;"
           " key.bias (exactly 0): max |fd|, |ours| = %.3g\n", arch, checked, worst, worst_name, worst_zero);
    assert_true(checked >= 3 * f.m.n_encoder - 3);
    assert_true(worst < 1e-4);
    assert_true(worst_zero < 1e-5);
    free(R_last); free(R_mid); free(block); free(g.layers); free(dblk);
    fix_close(&f);
}
static void test_finite_differences(void **state) { (void)state; check_fd("bert"); check_fd("xlmr"); }

/* Training forward + backward with dropout on: identical results with 1 and 2 threads (masks are
 * counter-based), reproducible for the same (seed, step), different for another step; and the
 * fast path agrees with the reference path under the same masks. */
static void test_dropout_threads(void **state) {
    (void)state;
    Fix f;
    fix_open(&f, "xlmr");
    ModelConfig cfg = f.m.cfg;
    cfg.hidden_dropout = cfg.attn_dropout = 0.1f;
    size_t n = (size_t)f.B * f.T * f.C;
    float *R = fix_f32(&f, "R_last", n);
    float *out[4], *gr[4];
    for (int run = 0; run < 4; run++) { /* 0: 1 thread, 1: 2 threads, 2: other step, 3: reference ops */
        omp_set_num_threads(run == 1 ? 2 : 1);
        ops_use_reference(run == 3);
        EncoderParams g;
        gr[run] = xmalloc_aligned(f.m.tab.total * sizeof(float));
        params_bind(&cfg, &f.m.tab, &g, gr[run]);
        EncoderState *s = encoder_state_new(&cfg, f.B, f.T, 1);
        encoder_forward(&cfg, &f.m.w, s, f.ids, f.types, f.mask, f.B, f.T, 1, 1234, run == 2 ? 8 : 7);
        out[run] = xmalloc(n * sizeof(float));
        memcpy(out[run], encoder_hidden(s, f.L), n * sizeof(float));
        encoder_backward(&cfg, &f.m.w, &g, s, R, NULL);
        encoder_state_free(s);
        free(g.layers);
    }
    ops_use_reference(0);
    omp_set_num_threads(2);
    assert_int_equal(tu_compare("dropout fwd 1 vs 2 threads", out[1], out[0], n, 1e-6, 1e-6), 0);
    assert_int_equal(tu_compare("dropout grads 1 vs 2 threads", gr[1], gr[0], f.m.tab.total, 1e-6, 1e-5), 0);
    assert_int_equal(tu_compare("dropout fwd fast vs ref", out[0], out[3], n, 1e-4, 1e-4), 0);
    assert_int_equal(tu_compare("dropout grads fast vs ref", gr[0], gr[3], f.m.tab.total, 1e-4, 1e-3), 0);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) differ += fabsf(out[2][i] - out[0][i]) > 1e-3f;
    assert_true(differ > n / 2); /* another step, other masks */
    /* and dropout really acted: eval output differs */
    EncoderState *s = encoder_state_new(&cfg, f.B, f.T, 0);
    encoder_forward(&cfg, &f.m.w, s, f.ids, f.types, f.mask, f.B, f.T, 0, 1234, 7);
    differ = 0;
    for (size_t i = 0; i < n; i++) differ += fabsf(encoder_hidden(s, f.L)[i] - out[0][i]) > 1e-3f;
    assert_true(differ > n / 2);
    encoder_state_free(s);
    for (int run = 0; run < 4; run++) { free(out[run]); free(gr[run]); }
    free(R);
    fix_close(&f);
}

/* The layer-only inference state gives the same middle layer as the full state, bitwise. */
static void test_layer_state(void **state) {
    (void)state;
    Fix f;
    fix_open(&f, "xlmr");
    size_t n = (size_t)f.B * f.T * f.C;
    EncoderState *a = encoder_state_new(&f.m.cfg, f.B + 2, f.T + 3, 0), *b = encoder_state_new_layer(&f.m.cfg, f.B, f.T, 1);
    encoder_forward(&f.m.cfg, &f.m.w, a, f.ids, f.types, f.mask, f.B, f.T, 0, 0, 0);
    encoder_forward(&f.m.cfg, &f.m.w, b, f.ids, f.types, f.mask, f.B, f.T, 0, 0, 0);
    assert_memory_equal(encoder_hidden(a, 1), encoder_hidden(b, 1), n * sizeof(float));
    assert_true(encoder_state_bytes(b) < encoder_state_bytes(a));
    encoder_state_free(a);
    encoder_state_free(b);
    fix_close(&f);
}

/* skip_padding: tokens' hidden states equal HF's (1e-4), padding rows are 0; full and layer-only states. */
static void check_skip_padding(const char *arch) {
    Fix f;
    fix_open(&f, arch);
    size_t n = (size_t)f.B * f.T * f.C;
    EncoderState *a = encoder_state_new(&f.m.cfg, f.B, f.T, 0), *b = encoder_state_new_layer(&f.m.cfg, f.B, f.T, 1);
    encoder_set_skip_padding(a, 1);
    encoder_set_skip_padding(b, 1);
    encoder_forward(&f.m.cfg, &f.m.w, a, f.ids, f.types, f.mask, f.B, f.T, 0, 0, 0);
    encoder_forward(&f.m.cfg, &f.m.w, b, f.ids, f.types, f.mask, f.B, f.T, 0, 0, 0);
    float *tok = xmalloc(n * sizeof(float)), *ref = xmalloc(n * sizeof(float));
    for (int l = 0; l <= f.L; l++) {
        char name[64], what[96];
        snprintf(name, sizeof name, "hidden.%d", l);
        snprintf(what, sizeof what, "%s skip-padding hidden[%d] at tokens", arch, l);
        float *want = fix_f32(&f, name, n);
        const float *got = encoder_hidden(a, l);
        size_t m = 0;
        for (int i = 0; i < f.B * f.T; i++) {
            if (f.mask[i] != 0.0f) {
                memcpy(tok + m, got + (size_t)i * f.C, f.C * sizeof(float));
                memcpy(ref + m, want + (size_t)i * f.C, f.C * sizeof(float));
                m += f.C;
            } else {
                for (int c = 0; c < f.C; c++) assert_true(got[(size_t)i * f.C + c] == 0.0f);
            }
        }
        assert_int_equal(tu_compare(what, tok, ref, m, 1e-4, 1e-4), 0);
        if (l == 1) assert_memory_equal(encoder_hidden(b, 1), got, n * sizeof(float));
        free(want);
    }
    free(tok);
    free(ref);
    encoder_state_free(a);
    encoder_state_free(b);
    fix_close(&f);
}
static void test_skip_padding(void **state) { (void)state; check_skip_padding("xlmr"); check_skip_padding("bert"); }

/* Training with skip_padding = training without, when the loss reads tokens only: dropout on (the
 * packed rows keep their unpacked masks), gradients for a last- and a middle-layer loss, fast and
 * reference paths. */
static void check_skip_padding_train(const char *arch, int ref) {
    Fix f;
    fix_open(&f, arch);
    ModelConfig cfg = f.m.cfg;
    cfg.hidden_dropout = cfg.attn_dropout = 0.1f;
    ops_use_reference(ref);
    size_t n = (size_t)f.B * f.T * f.C;
    float *R_last = fix_f32(&f, "R_last", n), *R_mid = fix_f32(&f, "R_mid", n);
    for (int i = 0; i < f.B * f.T; i++)
        if (f.mask[i] == 0.0f)
            for (int c = 0; c < f.C; c++) R_last[(size_t)i * f.C + c] = R_mid[(size_t)i * f.C + c] = 0.0f;
    float *gr[2], *hid[2], *demb[2];
    for (int pk = 0; pk < 2; pk++) {
        EncoderParams g;
        gr[pk] = xmalloc_aligned(f.m.tab.total * sizeof(float));
        params_bind(&cfg, &f.m.tab, &g, gr[pk]);
        EncoderState *s = encoder_state_new(&cfg, f.B, f.T, 1);
        encoder_set_skip_padding(s, pk);
        encoder_forward(&cfg, &f.m.w, s, f.ids, f.types, f.mask, f.B, f.T, 1, 99, 3);
        hid[pk] = xmalloc(n * sizeof(float));
        demb[pk] = xmalloc(n * sizeof(float));
        memcpy(hid[pk], encoder_hidden(s, f.L), n * sizeof(float));
        const float *dh[8] = {0};
        dh[f.L] = R_last;
        dh[1] = R_mid;
        encoder_backward_multi(&cfg, &f.m.w, &g, s, dh, demb[pk]);
        encoder_state_free(s);
        free(g.layers);
    }
    ops_use_reference(0);
    for (int i = 0; i < f.B * f.T; i++) /* compare tokens; packed pads are 0 */
        if (f.mask[i] == 0.0f)
            for (int c = 0; c < f.C; c++) {
                size_t e = (size_t)i * f.C + c;
                assert_true(hid[1][e] == 0.0f && demb[1][e] == 0.0f);
                hid[0][e] = demb[0][e] = 0.0f;
            }
    char what[96];
    snprintf(what, sizeof what, "%s %s train skip-padding: last hidden", arch, ref ? "ref" : "fast");
    assert_int_equal(tu_compare(what, hid[1], hid[0], n, 1e-5, 1e-4), 0);
    snprintf(what, sizeof what, "%s %s train skip-padding: param grads", arch, ref ? "ref" : "fast");
    assert_int_equal(tu_compare(what, gr[1], gr[0], f.m.tab.total, 1e-5, 1e-3), 0);
    snprintf(what, sizeof what, "%s %s train skip-padding: demb", arch, ref ? "ref" : "fast");
    assert_int_equal(tu_compare(what, demb[1], demb[0], n, 1e-6, 1e-3), 0);
    for (int pk = 0; pk < 2; pk++) { free(gr[pk]); free(hid[pk]); free(demb[pk]); }
    free(R_last);
    free(R_mid);
    fix_close(&f);
}
static void test_skip_padding_train(void **state) {
    (void)state;
    check_skip_padding_train("xlmr", 0);
    check_skip_padding_train("bert", 0);
    check_skip_padding_train("bert", 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_xlmr), cmocka_unit_test(test_forward_bert),
        cmocka_unit_test(test_grads_xlmr),   cmocka_unit_test(test_grads_bert),
        cmocka_unit_test(test_finite_differences), cmocka_unit_test(test_dropout_threads),
        cmocka_unit_test(test_layer_state), cmocka_unit_test(test_skip_padding),
        cmocka_unit_test(test_skip_padding_train),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
