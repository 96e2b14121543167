/* test_kernels.c — kernels/: every op's fast path (ops_cpu.c) against the reference loops (ops_ref.c),
 * forward and backward, on random inputs with padding, dropout on and off; dropout masks and results
 * independent of the thread count; the reference ops' backward against central differences. */
#include "testutil.h"
#include "core/mem.h"
#include "core/rng.h"
#include "kernels/ops.h"
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ATOL 2e-5
#define RTOL 2e-5

static float *randn(size_t n, uint32_t stream, float std) {
    float *x = xmalloc_aligned(n * sizeof(float));
    rng_fill_normal(x, n, 0.0f, std, 99, stream);
    return x;
}
static float *zeros(size_t n) { return xmalloc_aligned(n * sizeof(float)); }
static float *copy(const float *x, size_t n) {
    float *y = xmalloc_aligned(n * sizeof(float));
    memcpy(y, x, n * sizeof(float));
    return y;
}

static void test_linear(void **state) {
    (void)state;
    int N = 37, IC = 48, OC = 40;
    float *x = randn((size_t)N * IC, 1, 1), *w = randn((size_t)OC * IC, 2, 0.3f), *b = randn(OC, 3, 1);
    float *d = randn((size_t)N * OC, 4, 1);
    float *o1 = zeros((size_t)N * OC), *o2 = zeros((size_t)N * OC);
    linear_forward_ref(o1, x, w, b, N, IC, OC);
    linear_forward_cpu(o2, x, w, b, N, IC, OC);
    assert_int_equal(tu_compare("linear fwd", o2, o1, (size_t)N * OC, ATOL, RTOL), 0);
    linear_forward_cpu(o2, x, w, NULL, N, IC, OC);
    linear_forward_ref(o1, x, w, NULL, N, IC, OC);
    assert_int_equal(tu_compare("linear fwd nobias", o2, o1, (size_t)N * OC, ATOL, RTOL), 0);
    /* backward accumulates: start both from the same nonzero values */
    float *di1 = randn((size_t)N * IC, 5, 1), *dw1 = randn((size_t)OC * IC, 6, 1), *db1 = randn(OC, 7, 1);
    float *di2 = copy(di1, (size_t)N * IC), *dw2 = copy(dw1, (size_t)OC * IC), *db2 = copy(db1, OC);
    linear_backward_ref(di1, dw1, db1, d, x, w, N, IC, OC);
    linear_backward_cpu(di2, dw2, db2, d, x, w, N, IC, OC);
    assert_int_equal(tu_compare("linear bwd dinp", di2, di1, (size_t)N * IC, ATOL, RTOL), 0);
    assert_int_equal(tu_compare("linear bwd dw", dw2, dw1, (size_t)OC * IC, ATOL, RTOL), 0);
    assert_int_equal(tu_compare("linear bwd db", db2, db1, OC, ATOL, RTOL), 0);
    free(x); free(w); free(b); free(d); free(o1); free(o2);
    free(di1); free(dw1); free(db1); free(di2); free(dw2); free(db2);
}

static void test_layernorm_and_residual(void **state) {
    (void)state;
    int N = 29, C = 70; /* C not a multiple of the column block */
    size_t n = (size_t)N * C;
    float *x = randn(n, 1, 2), *g = randn(C, 2, 1), *b = randn(C, 3, 1), *d = randn(n, 4, 1);
    for (int i = 0; i < N; i++) x[(size_t)i * C] += 5.0f; /* a nonzero mean */
    float *o1 = zeros(n), *o2 = zeros(n), *m1 = zeros(N), *m2 = zeros(N), *r1 = zeros(N), *r2 = zeros(N);
    layernorm_forward_ref(o1, m1, r1, x, g, b, N, C, 1e-5f);
    layernorm_forward_cpu(o2, m2, r2, x, g, b, N, C, 1e-5f);
    assert_int_equal(tu_compare("ln fwd", o2, o1, n, ATOL, RTOL), 0);
    assert_int_equal(tu_compare("ln rstd", r2, r1, N, ATOL, RTOL), 0);
    float *di1 = randn(n, 5, 1), *dg1 = randn(C, 6, 1), *db1 = randn(C, 7, 1);
    float *di2 = copy(di1, n), *dg2 = copy(dg1, C), *db2 = copy(db1, C);
    layernorm_backward_ref(di1, dg1, db1, d, x, g, m1, r1, N, C);
    layernorm_backward_cpu(di2, dg2, db2, d, x, g, m1, r1, N, C);
    assert_int_equal(tu_compare("ln bwd dinp", di2, di1, n, 1e-4, 1e-4), 0);
    assert_int_equal(tu_compare("ln bwd dg", dg2, dg1, C, 1e-4, 1e-4), 0);
    assert_int_equal(tu_compare("ln bwd db", db2, db1, C, 1e-4, 1e-4), 0);
    /* fused bias + dropout + residual + LN, with and without dropout */
    float *a = randn(n, 8, 1), *res = randn(n, 9, 1), *bias = randn(C, 10, 1);
    float *x1 = zeros(n), *x2 = zeros(n);
    for (int k = 0; k < 2; k++) {
        DropSpec dr = {k ? 0.25f : 0.0f, 7, 3, 11, NULL, 0};
        residual_layernorm_forward_ref(x1, o1, m1, r1, a, bias, res, &dr, g, b, N, C, 1e-12f);
        residual_layernorm_forward_cpu(x2, o2, m2, r2, a, bias, res, &dr, g, b, N, C, 1e-12f);
        assert_int_equal(tu_compare("residual ln x", x2, x1, n, ATOL, RTOL), 0);
        assert_int_equal(tu_compare("residual ln out", o2, o1, n, ATOL, RTOL), 0);
        size_t dropped = 0;
        for (size_t i = 0; i < n; i++) dropped += fabsf(x1[i] - res[i]) == 0.0f;
        if (k) assert_true(dropped > n / 8 && dropped < n / 2); /* p = 0.25 */
        else assert_true(dropped < n / 50);
    }
    free(x); free(g); free(b); free(d); free(o1); free(o2); free(m1); free(m2); free(r1); free(r2);
    free(di1); free(dg1); free(db1); free(di2); free(dg2); free(db2); free(a); free(res); free(bias); free(x1); free(x2);
}

static void test_gelu_dropout_embedding(void **state) {
    (void)state;
    int N = 23, F = 50;
    size_t n = (size_t)N * F;
    float *x = randn(n, 1, 2), *bias = randn(F, 2, 1), *d = randn(n, 3, 1);
    float *p1 = copy(x, n), *p2 = copy(x, n), *o1 = zeros(n), *o2 = zeros(n);
    bias_gelu_forward_ref(p1, o1, bias, N, F);
    bias_gelu_forward_cpu(p2, o2, bias, N, F);
    assert_int_equal(tu_compare("gelu pre", p2, p1, n, 0, 0), 0);
    assert_int_equal(tu_compare("gelu fwd", o2, o1, n, 1e-6, 1e-6), 0);
    /* exact (erf) GELU, not the tanh approximation: gelu(1) = 0.8413447 */
    assert_true(fabsf(ops_gelu(1.0f) - 0.84134475f) < 1e-6f);
    float *r1 = zeros(n), *r2 = zeros(n);
    gelu_forward_ref(r1, p1, n);
    gelu_forward_cpu(r2, p1, n);
    assert_memory_equal(r1, o1, n * sizeof(float)); /* same as the fused op */
    assert_memory_equal(r2, o2, n * sizeof(float));
    free(r1);
    free(r2);
    gelu_backward_ref(o1, p1, d, n);
    gelu_backward_cpu(o2, p1, d, n);
    assert_int_equal(tu_compare("gelu bwd", o2, o1, n, 1e-6, 1e-5), 0);
    /* gelu' against central differences in double-ish: h = 1e-3 on float is good to ~1e-4 */
    for (float v = -4.0f; v <= 4.0f; v += 0.37f) {
        double fd = ((double)ops_gelu(v + 1e-2f) - ops_gelu(v - 1e-2f)) / 2e-2;
        assert_true(fabs(fd - ops_gelu_grad(v)) < 2e-4);
    }
    /* dropout: same mask both paths, kept fraction ~ 1-p, backward = same mask */
    DropSpec dr = {0.3f, 5, 9, 2, NULL, 0};
    float *y1 = copy(x, n), *y2 = copy(x, n);
    dropout_forward_ref(y1, N, F, &dr);
    dropout_forward_cpu(y2, N, F, &dr);
    assert_memory_equal(y1, y2, n * sizeof(float));
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) kept += y1[i] != 0.0f;
    assert_true(kept > n * 6 / 10 && kept < n * 8 / 10);
    float blk[37];
    ops_drop_fill(&dr, 1001, 37, blk); /* an unaligned start: lanes 1..3 of the first Philox block */
    for (int j = 0; j < 37; j++) assert_true(blk[j] == ops_drop_scale(&dr, 1001 + (uint64_t)j));
    { /* a long fill (64 Philox counters per block), a start in the last lane, and a packed row (rowmap: rows of
       * width 70 taken from their original positions), each element as ops_drop_scale has it */
        enum { LONG = 1000, W = 70 };
        float lng[LONG];
        ops_drop_fill(&dr, 4095, LONG, lng);
        for (int j = 0; j < LONG; j++) assert_true(lng[j] == ops_drop_scale(&dr, 4095 + (uint64_t)j));
        int32_t rowmap[3] = {4, 9, 30};
        DropSpec pk = dr;
        pk.rowmap = rowmap;
        pk.width = W;
        ops_drop_fill(&pk, W + 3, 60, lng); /* within packed row 1 */
        for (int j = 0; j < 60; j++) assert_true(lng[j] == ops_drop_scale(&dr, 9 * W + 3 + (uint64_t)j));
    }
    float *g1 = copy(d, n);
    dropout_backward_cpu(g1, N, F, &dr);
    for (size_t i = 0; i < n; i++) assert_true((g1[i] == 0.0f) == (y1[i] == 0.0f));
    /* embeddings with padding_idx rows and token types */
    int V = 17, P = 20, TV = 2, C = 70, M = 31;
    int32_t ids[31], pos[31], ty[31];
    for (int i = 0; i < M; i++) { ids[i] = (i * 7) % V; pos[i] = i % P; ty[i] = i % 3 == 0; }
    float *wte = randn((size_t)V * C, 4, 1), *wpe = randn((size_t)P * C, 5, 1), *wtt = randn((size_t)TV * C, 6, 1);
    float *e1 = zeros((size_t)M * C), *e2 = zeros((size_t)M * C), *de = randn((size_t)M * C, 7, 1);
    embedding_forward_ref(e1, ids, pos, ty, wte, wpe, wtt, M, C);
    embedding_forward_cpu(e2, ids, pos, ty, wte, wpe, wtt, M, C);
    assert_memory_equal(e1, e2, (size_t)M * C * sizeof(float));
    float *a1 = zeros((size_t)V * C), *b1 = zeros((size_t)P * C), *c1 = zeros((size_t)TV * C);
    float *a2 = zeros((size_t)V * C), *b2 = zeros((size_t)P * C), *c2 = zeros((size_t)TV * C);
    embedding_backward_ref(a1, b1, c1, de, ids, pos, ty, M, C, 0, 1);
    embedding_backward_cpu(a2, b2, c2, de, ids, pos, ty, M, C, 0, 1);
    assert_int_equal(tu_compare("emb dwte", a2, a1, (size_t)V * C, 1e-6, 1e-6), 0);
    assert_int_equal(tu_compare("emb dwpe", b2, b1, (size_t)P * C, 1e-6, 1e-6), 0);
    assert_int_equal(tu_compare("emb dwtt", c2, c1, (size_t)TV * C, 1e-6, 1e-6), 0);
    for (int c = 0; c < C; c++) assert_true(a1[c] == 0.0f && b1[C + c] == 0.0f); /* padding rows */
    free(x); free(bias); free(d); free(p1); free(p2); free(o1); free(o2); free(y1); free(y2); free(g1);
    free(wte); free(wpe); free(wtt); free(e1); free(e2); free(de); free(a1); free(b1); free(c1); free(a2); free(b2);
    free(c2);
}

/* B = 4 sequences: full, right-padded, a hole in the middle, and no token at all (HF: uniform). */
static void make_mask(float *m, int B, int T) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float v = 1.0f;
            if (b == 1) v = t < T - 5;
            if (b == 2) v = t != 3 && t < T - 2;
            if (b == 3) v = 0.0f;
            m[b * T + t] = v;
        }
}

static void run_attention(int ref, int threads, const DropSpec *dr, int B, int T, int C, int NH, const float *q,
                          const float *k, const float *v, const float *mask, const float *dctx, float *ctx, float *att,
                          float *dq, float *dk, float *dv) {
    omp_set_num_threads(threads);
    float *scr = zeros((size_t)threads * attention_scratch_floats(T));
    if (ref) {
        attention_forward_ref(ctx, att, q, k, v, mask, B, T, C, NH, dr, scr, threads);
        attention_backward_ref(dq, dk, dv, dctx, att, q, k, v, mask, B, T, C, NH, dr, scr, threads);
    } else {
        attention_forward_cpu(ctx, att, q, k, v, mask, B, T, C, NH, dr, scr, threads);
        attention_backward_cpu(dq, dk, dv, dctx, att, q, k, v, mask, B, T, C, NH, dr, scr, threads);
    }
    free(scr);
}

static void test_attention(void **state) {
    (void)state;
    int B = 4, T = 13, C = 32, NH = 4;
    size_t n = (size_t)B * T * C, na = (size_t)B * NH * T * T;
    float *q = randn(n, 1, 1), *k = randn(n, 2, 1), *v = randn(n, 3, 1), *dctx = randn(n, 4, 1);
    float mask[4 * 13];
    make_mask(mask, B, T);
    float *c1 = zeros(n), *c2 = zeros(n), *c3 = zeros(n), *a1 = zeros(na), *a2 = zeros(na), *a3 = zeros(na);
    float *q1 = zeros(n), *k1 = zeros(n), *v1 = zeros(n), *q2 = zeros(n), *k2 = zeros(n), *v2 = zeros(n);
    float *q3 = zeros(n), *k3 = zeros(n), *v3 = zeros(n);
    for (int dp = 0; dp < 2; dp++) {
        DropSpec dr = {dp ? 0.2f : 0.0f, 3, 4, 5, NULL, 0};
        run_attention(1, 1, &dr, B, T, C, NH, q, k, v, mask, dctx, c1, a1, q1, k1, v1);
        run_attention(0, 1, &dr, B, T, C, NH, q, k, v, mask, dctx, c2, a2, q2, k2, v2);
        run_attention(0, 2, &dr, B, T, C, NH, q, k, v, mask, dctx, c3, a3, q3, k3, v3);
        assert_int_equal(tu_compare("attn probs", a2, a1, na, 1e-6, 1e-5), 0);
        assert_int_equal(tu_compare("attn ctx", c2, c1, n, ATOL, RTOL), 0);
        assert_int_equal(tu_compare("attn dq", q2, q1, n, 1e-5, 1e-4), 0);
        assert_int_equal(tu_compare("attn dk", k2, k1, n, 1e-5, 1e-4), 0);
        assert_int_equal(tu_compare("attn dv", v2, v1, n, 1e-5, 1e-4), 0);
        /* one thread vs two: bitwise the same (masks are counter-based, work split per (b,h)) */
        assert_memory_equal(c2, c3, n * sizeof(float));
        assert_memory_equal(q2, q3, n * sizeof(float));
        assert_memory_equal(k2, k3, n * sizeof(float));
    }
    /* masked keys get probability exactly 0; the all-padding sequence is uniform 1/T */
    for (int t = 0; t < T; t++) {
        size_t r1 = ((size_t)(1 * NH + 2) * T + t) * T, r2 = ((size_t)(2 * NH + 1) * T + t) * T;
        size_t r3 = ((size_t)(3 * NH + 3) * T + t) * T;
        for (int j = T - 5; j < T; j++) assert_true(a1[r1 + j] == 0.0f && a2[r1 + j] == 0.0f);
        assert_true(a2[r2 + 3] == 0.0f);
        for (int j = 0; j < T; j++) assert_true(fabsf(a2[r3 + j] - 1.0f / T) < 1e-7f);
    }
    omp_set_num_threads(2);
    free(q); free(k); free(v); free(dctx); free(c1); free(c2); free(c3); free(a1); free(a2); free(a3);
    free(q1); free(k1); free(v1); free(q2); free(k2); free(v2); free(q3); free(k3); free(v3);
}

/* The attention backward against central differences of L = sum(ctx * dctx) wrt q, k and v
 * (reference path, double accumulators inside; float inputs limit the FD to ~1e-3 relative).
 * Sequence 3 has no token: its probabilities are constant (uniform) so the true derivative wrt
 * q, k is 0, but HF's autograd (scores + finfo.min) passes P*(dP - <P,dP>) through, and we match
 * HF; so the FD covers sequences 0..2 and the all-padding one is checked against HF's formula. */
static void test_attention_fd(void **state) {
    (void)state;
    int B = 4, T = 6, C = 8, NH = 2;
    size_t n = (size_t)B * T * C, na = (size_t)B * NH * T * T;
    float *q = randn(n, 11, 1), *k = randn(n, 12, 1), *v = randn(n, 13, 1), *dctx = randn(n, 14, 1);
    float mask[4 * 6];
    make_mask(mask, B, T);
    float *ctx = zeros(n), *att = zeros(na), *dq = zeros(n), *dk = zeros(n), *dv = zeros(n);
    float *scr = zeros(attention_scratch_floats(T));
    DropSpec none = {0, 0, 0, 0, NULL, 0};
    attention_forward_ref(ctx, att, q, k, v, mask, B, T, C, NH, &none, scr, 1);
    attention_backward_ref(dq, dk, dv, dctx, att, q, k, v, mask, B, T, C, NH, &none, scr, 1);
    float *xs[3] = {q, k, v}, *gs[3] = {dq, dk, dv};
    double worst = 0;
    for (int which = 0; which < 3; which++)
        for (size_t i = 0; i < 3 * (size_t)T * C; i += 5) {
            float save = xs[which][i], h = 1e-2f;
            double lp = 0, lm = 0;
            xs[which][i] = save + h;
            attention_forward_ref(ctx, NULL, q, k, v, mask, B, T, C, NH, &none, scr, 1);
            for (size_t j = 0; j < n; j++) lp += (double)ctx[j] * dctx[j];
            xs[which][i] = save - h;
            attention_forward_ref(ctx, NULL, q, k, v, mask, B, T, C, NH, &none, scr, 1);
            for (size_t j = 0; j < n; j++) lm += (double)ctx[j] * dctx[j];
            xs[which][i] = save;
            double fd = (lp - lm) / (2.0 * h), an = gs[which][i], e = fabs(fd - an) / (fabs(an) + 1e-2);
            if (e > worst) worst = e;
        }
    printf("attention FD: worst rel err %.3g\n", worst);
    assert_true(worst < 5e-3);
    /* all-padding sequence: dq = scale * sum_j dS_j k_j with dS = P (dP - <P,dP>), P = 1/T */
    int hd = C / NH;
    for (int h = 0; h < NH; h++)
        for (int t = 0; t < T; t++) {
            double dP[6], dot = 0;
            for (int j = 0; j < T; j++) {
                dP[j] = 0;
                for (int d = 0; d < hd; d++) dP[j] += (double)dctx[(size_t)(3 * T + t) * C + h * hd + d] * v[(size_t)(3 * T + j) * C + h * hd + d];
                dot += dP[j] / T;
            }
            for (int d = 0; d < hd; d++) {
                double want = 0;
                for (int j = 0; j < T; j++) want += (dP[j] - dot) / T / sqrt((double)hd) * k[(size_t)(3 * T + j) * C + h * hd + d];
                assert_true(fabs(want - dq[(size_t)(3 * T + t) * C + h * hd + d]) < 1e-5);
            }
        }
    free(q); free(k); free(v); free(dctx); free(ctx); free(att); free(dq); free(dk); free(dv); free(scr);
}

/* Packed attention (padding rows removed) = masked attention at the token rows, forward and
 * backward, with dropout (the same masks by construction), fast = reference. */
static void test_attention_packed(void **state) {
    (void)state;
    int B = 4, T = 13, C = 32, NH = 4;
    size_t n = (size_t)B * T * C, na = (size_t)B * NH * T * T;
    float *q = randn(n, 21, 1), *k = randn(n, 22, 1), *v = randn(n, 23, 1), *dctx = randn(n, 24, 1);
    float mask[4 * 13];
    make_mask(mask, B, T);
    int32_t off[5], rowmap[4 * 13];
    int r = 0;
    for (int b = 0; b < B; b++) {
        off[b] = r;
        for (int t = 0; t < T; t++)
            if (mask[b * T + t] != 0.0f) rowmap[r++] = b * T + t;
    }
    off[B] = r;
    /* dctx is 0 at padding rows: those rows then contribute nothing to dq, dk, dv at tokens */
    for (int i = 0; i < B * T; i++)
        if (mask[i] == 0.0f) memset(dctx + (size_t)i * C, 0, C * sizeof(float));
    float *pq = zeros(n), *pk = zeros(n), *pv = zeros(n), *pd = zeros(n);
    for (int i = 0; i < r; i++) {
        memcpy(pq + (size_t)i * C, q + (size_t)rowmap[i] * C, C * sizeof(float));
        memcpy(pk + (size_t)i * C, k + (size_t)rowmap[i] * C, C * sizeof(float));
        memcpy(pv + (size_t)i * C, v + (size_t)rowmap[i] * C, C * sizeof(float));
        memcpy(pd + (size_t)i * C, dctx + (size_t)rowmap[i] * C, C * sizeof(float));
    }
    float *scr = zeros(2 * attention_scratch_floats(T)), *att = zeros(na), *patt1 = zeros(na), *patt2 = zeros(na);
    float *full[4], *pk1[4], *pk2[4], *want = zeros(n);
    for (int j = 0; j < 4; j++) { full[j] = zeros(n); pk1[j] = zeros(n); pk2[j] = zeros(n); }
    for (int dp = 0; dp < 2; dp++) {
        DropSpec dr = {dp ? 0.2f : 0.0f, 3, 4, 5, NULL, 0};
        omp_set_num_threads(1);
        attention_forward_ref(full[0], att, q, k, v, mask, B, T, C, NH, &dr, scr, 1);
        attention_backward_ref(full[1], full[2], full[3], dctx, att, q, k, v, mask, B, T, C, NH, &dr, scr, 1);
        attention_packed_forward_ref(pk1[0], patt1, pq, pk, pv, off, rowmap, B, T, C, NH, &dr, scr, 1);
        attention_packed_backward_ref(pk1[1], pk1[2], pk1[3], pd, patt1, pq, pk, pv, off, rowmap, B, T, C, NH, &dr, scr, 1);
        omp_set_num_threads(2);
        attention_packed_forward_cpu(pk2[0], patt2, pq, pk, pv, off, rowmap, B, T, C, NH, &dr, scr, 2);
        attention_packed_backward_cpu(pk2[1], pk2[2], pk2[3], pd, patt2, pq, pk, pv, off, rowmap, B, T, C, NH, &dr, scr, 2);
        const char *names[4] = {"packed ctx", "packed dq", "packed dk", "packed dv"};
        for (int j = 0; j < 4; j++) {
            for (int i = 0; i < r; i++) memcpy(want + (size_t)i * C, full[j] + (size_t)rowmap[i] * C, C * sizeof(float));
            char what[64];
            snprintf(what, sizeof what, "%s ref vs masked (p=%g)", names[j], dr.p);
            assert_int_equal(tu_compare(what, pk1[j], want, (size_t)r * C, 1e-6, 1e-5), 0);
            snprintf(what, sizeof what, "%s fast vs ref (p=%g)", names[j], dr.p);
            assert_int_equal(tu_compare(what, pk2[j], pk1[j], (size_t)r * C, 1e-5, 1e-4), 0);
        }
    }
    free(q); free(k); free(v); free(dctx); free(pq); free(pk); free(pv); free(pd); free(scr); free(att); free(patt1);
    free(patt2); free(want);
    for (int j = 0; j < 4; j++) { free(full[j]); free(pk1[j]); free(pk2[j]); }
}


/* Cross-entropy: an independent double-precision statement of F.cross_entropy(ignore_index, mean). */
static double ce_double(const float *x, const int32_t *t, int N, int K, int ignore, double *grad) {
    double sum = 0;
    int n = 0;
    for (int i = 0; i < N; i++) n += t[i] != ignore;
    for (int i = 0; i < N; i++) {
        const float *r = x + (size_t)i * K;
        if (grad) for (int k = 0; k < K; k++) grad[(size_t)i * K + k] = 0;
        if (t[i] == ignore) continue;
        double m = -INFINITY, s = 0;
        for (int k = 0; k < K; k++) m = fmax(m, r[k]);
        for (int k = 0; k < K; k++) s += exp(r[k] - m);
        sum += -(r[t[i]] - m - log(s));
        if (grad)
            for (int k = 0; k < K; k++) grad[(size_t)i * K + k] = (exp(r[k] - m) / s - (k == t[i])) / n;
    }
    return sum / n;
}

static void check_ce(int N, int K, int ignore, float spread, int every_ignored) {
    size_t n = (size_t)N * K;
    float *x = randn(n, 31, spread), *lse1 = zeros(N), *lse2 = zeros(N), *g1 = zeros(n), *g2 = zeros(n);
    int32_t *t = xmalloc((size_t)N * sizeof(int32_t));
    for (int i = 0; i < N; i++) t[i] = (every_ignored || i % 4 == 1) ? ignore : (int32_t)((i * 7919u) % (unsigned)K);
    x[0] += 1000.0f; /* a huge logit: the max-subtracted form must not overflow */
    int nv1 = -1, nv2 = -1;
    float l1 = crossentropy_forward_ref(lse1, &nv1, x, t, N, K, ignore);
    float l2 = crossentropy_forward_cpu(lse2, &nv2, x, t, N, K, ignore);
    crossentropy_backward_ref(g1, x, lse1, t, 0.5f, N, K, ignore);
    crossentropy_backward_cpu(g2, x, lse2, t, 0.5f, N, K, ignore);
    int want_n = 0;
    for (int i = 0; i < N; i++) want_n += t[i] != ignore;
    assert_int_equal(nv1, want_n);
    assert_int_equal(nv2, want_n);
    if (every_ignored) { /* our documented choice: loss 0 and zero gradients (PyTorch: NaN) */
        assert_true(l1 == 0.0f && l2 == 0.0f);
        for (size_t i = 0; i < n; i++) assert_true(g1[i] == 0.0f && g2[i] == 0.0f);
    } else {
        double *gd = xmalloc(n * sizeof(double));
        double ld = ce_double(x, t, N, K, ignore, gd);
        float *gw = zeros(n);
        for (size_t i = 0; i < n; i++) gw[i] = (float)(0.5 * gd[i]);
        printf("CE N=%d K=%d: loss ref %.9g cpu %.9g double %.12g\n", N, K, l1, l2, ld);
        assert_true(fabs(l1 - ld) <= 1e-6 * fabs(ld) + 1e-7);
        assert_true(fabs(l2 - ld) <= 1e-5 * fabs(ld) + 1e-6);
        assert_int_equal(tu_compare("CE dlogits ref vs double", g1, gw, n, 1e-9, 1e-5), 0);
        assert_int_equal(tu_compare("CE dlogits cpu vs double", g2, gw, n, 1e-9, 1e-4), 0);
        /* in place (dlogits aliasing logits) gives the same */
        float *xa = copy(x, n);
        crossentropy_backward_cpu(xa, xa, lse2, t, 0.5f, N, K, ignore);
        assert_memory_equal(xa, g2, n * sizeof(float));
        free(xa); free(gd); free(gw);
    }
    for (int i = 0; i < N; i++) /* ignored rows get nothing */
        if (t[i] == ignore)
            for (int k = 0; k < K; k++) assert_true(g1[(size_t)i * K + k] == 0.0f && g2[(size_t)i * K + k] == 0.0f);
    free(x); free(lse1); free(lse2); free(g1); free(g2); free(t);
}

static void test_cross_entropy(void **state) {
    (void)state;
    check_ce(37, 50, OPS_IGNORE_INDEX, 3.0f, 0);
    check_ce(13, 11, 11, 1.0f, 0);      /* QA style: ignore_index = K (positions clamped to T) */
    check_ce(5, 250002, OPS_IGNORE_INDEX, 2.0f, 0); /* an XLM-R-sized vocabulary */
    check_ce(6, 9, OPS_IGNORE_INDEX, 1.0f, 1);      /* every target ignored */
    /* the backward against central differences of the double loss (h = 1e-2 on float logits) */
    int N = 6, K = 7;
    float *x = randn((size_t)N * K, 41, 2.0f), *lse = zeros(N), *g = zeros((size_t)N * K);
    int32_t t[6] = {3, -100, 0, 6, -100, 2};
    crossentropy_forward_ref(lse, NULL, x, t, N, K, OPS_IGNORE_INDEX);
    crossentropy_backward_ref(g, x, lse, t, 1.0f, N, K, OPS_IGNORE_INDEX);
    double worst = 0;
    for (int i = 0; i < N * K; i++) {
        float save = x[i], h = 1e-2f;
        x[i] = save + h;
        double lp = ce_double(x, t, N, K, OPS_IGNORE_INDEX, NULL);
        x[i] = save - h;
        double lm = ce_double(x, t, N, K, OPS_IGNORE_INDEX, NULL);
        x[i] = save;
        double fd = (lp - lm) / (2.0 * h);
        worst = fmax(worst, fabs(fd - g[i]));
    }
    printf("CE finite differences: worst |fd - analytic| = %.3g\n", worst);
    assert_true(worst < 1e-5);
    /* the fast path is the same for 1 and 2 threads, bitwise (rows split, loss summed in row order) */
    {
        int n2 = 64, k2 = 3001;
        float *xx = randn((size_t)n2 * k2, 51, 3.0f), *la = zeros(n2), *lb = zeros(n2);
        float *ga = zeros((size_t)n2 * k2), *gb = zeros((size_t)n2 * k2);
        int32_t *tt = xmalloc((size_t)n2 * sizeof(int32_t));
        for (int i = 0; i < n2; i++) tt[i] = i % 5 == 2 ? OPS_IGNORE_INDEX : (i * 131) % k2;
        omp_set_num_threads(1);
        float l1 = crossentropy_forward_cpu(la, NULL, xx, tt, n2, k2, OPS_IGNORE_INDEX);
        crossentropy_backward_cpu(ga, xx, la, tt, 1.0f, n2, k2, OPS_IGNORE_INDEX);
        omp_set_num_threads(2);
        float l2 = crossentropy_forward_cpu(lb, NULL, xx, tt, n2, k2, OPS_IGNORE_INDEX);
        crossentropy_backward_cpu(gb, xx, lb, tt, 1.0f, n2, k2, OPS_IGNORE_INDEX);
        assert_true(l1 == l2);
        assert_memory_equal(ga, gb, (size_t)n2 * k2 * sizeof(float));
        free(xx); free(la); free(lb); free(ga); free(gb); free(tt);
    }
    /* dispatch */
    ops_use_reference(1);
    float l = crossentropy_forward(lse, NULL, x, t, N, K, OPS_IGNORE_INDEX);
    ops_use_reference(0);
    assert_true(fabs(l - ce_double(x, t, N, K, OPS_IGNORE_INDEX, NULL)) < 1e-6);
    free(x); free(lse); free(g);
}

static void test_dispatch(void **state) {
    (void)state;
    assert_int_equal(ops_reference(), 0);
    ops_use_reference(1);
    assert_int_equal(ops_reference(), 1);
    float x[4] = {1, 2, 3, 4}, w[4] = {1, 0, 0, 1}, o[4];
    linear_forward(o, x, w, NULL, 2, 2, 2); /* identity weight */
    assert_memory_equal(o, x, sizeof x);
    ops_use_reference(0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear),     cmocka_unit_test(test_layernorm_and_residual),
        cmocka_unit_test(test_gelu_dropout_embedding), cmocka_unit_test(test_attention),
        cmocka_unit_test(test_attention_fd), cmocka_unit_test(test_attention_packed), cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_cross_entropy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
