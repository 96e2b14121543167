/* ops_cpu.c — the fast ops: kernels/gemm.h's sgemm (oneDNN, OpenBLAS or BLIS, all OpenMP builds, so the
 * GEMMs and our loops share one thread pool) for every matrix product, OpenMP row loops, fused bias/dropout/residual/LayerNorm and bias/GELU,
 * attention per (batch, head) on strided views that skips keys past the last token. Also the
 * dispatchers behind the unsuffixed names. Semantics are those of ops_ref.c; tests hold them equal. */
#include "kernels/ops.h"
#include "core/check.h"
#include "core/rng.h"
#include "kernels/gemm.h"
#include <math.h>
#include <omp.h>
#include <string.h>

/* exp(x) for x <= 0 (clamped at -87, ~1e-38), vectorizable: Cody-Waite reduction by ln 2, degree-7
 * Taylor polynomial on |r| <= ln2/2 (truncation 5e-9), 2^n through the exponent bits; relative
 * error < 1e-7 (measured vs double exp on [-80, 0]). Selects are arithmetic so loops if-convert. */
static inline float exp_nonpos(float x) {
    x += (float)(x < -87.0f) * (-87.0f - x);
    float fn = (x * 1.44269504f + 12582912.0f) - 12582912.0f; /* round to nearest via 1.5 * 2^23 */
    float r = (x - fn * 0.693145751953125f) - fn * 1.428606765330187e-06f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = ((int32_t)fn + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* Phi(x) = 0.5 erfc(-x / sqrt 2), the normal CDF of the exact GELU, vectorizable: erfc(z), z >= 0,
 * by Numerical Recipes' erfcc (Chebyshev fit, fractional error < 1.2e-7 everywhere), so Phi keeps its
 * relative accuracy for negative x, where 1 + erff(x / sqrt 2) cancels. |gelu - exact| <= 4.6e-7 on
 * [-12, 12] (erff-based: 4.5e-7), 2.4x faster than libm erff with SSE2 alone. */
static inline float normal_cdf(float x) {
    float z = fabsf(x) * 0.70710678f, t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    float half_erfc = 0.5f * t * exp_nonpos(p - z * z);
    return half_erfc + (float)(x >= 0.0f) * (1.0f - 2.0f * half_erfc);
}

/* Elementwise loops with an AVX2 + FMA clone picked at load time where the CPU has them (target_clones: the
 * OpenMP-outlined loop bodies would be compiled for the baseline only, so each parallel loop calls a cloned span
 * function). fp-contract=off: no fused multiply-add is formed, and vector +, *, / are correctly rounded as the
 * scalar ones, so every clone gives the same bits (as optim.c's AdamW). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default"), optimize("O3", "fp-contract=off")))
#else
#define SIMD_CLONES
#endif
enum { SPAN = 16384 }; /* elements per work item of the elementwise loops */

SIMD_CLONES static void gelu_fwd_span(float *out, const float *pre, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = pre[i] * normal_cdf(pre[i]);
}
SIMD_CLONES static void gelu_bwd_span(float *dinp, const float *pre, const float *dout, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = pre[i];
        float pdf = exp_nonpos(-0.5f * x * x) * 0.39894228f;
        dinp[i] = dout[i] * (normal_cdf(x) + x * pdf);
    }
}
/* pre += bias; out = gelu(pre) (out may be pre) */
SIMD_CLONES static void bias_gelu_row(float *pre, float *out, const float *bias, int F) {
    for (int c = 0; c < F; c++) {
        float v = pre[c] + bias[c];
        pre[c] = v;
        out[c] = v * normal_cdf(v);
    }
}
/* acc[c] += rows i of src for c < w (one column block; sums in row order) */
SIMD_CLONES static void colsum_block(float *acc, const float *src, int N, int C, int w) {
    for (int i = 0; i < N; i++) {
        const float *r = src + (size_t)i * C;
        for (int c = 0; c < w; c++) acc[c] += r[c];
    }
}

static int g_ref = 0;
void ops_use_reference(int on) { g_ref = on != 0; }
int ops_reference(void) { return g_ref; }
int ops_max_threads(void) { return omp_get_max_threads(); }

/* Columns per block when a reduction runs down the rows (dbias, dgamma, embedding scatter): each
 * thread owns whole columns, so sums are race-free and independent of the thread count. */
enum { COLBLK = 64 };

static void colsum_add(float *dst, const float *src, int N, int C) {
    int nb = (C + COLBLK - 1) / COLBLK;
#pragma omp parallel for schedule(static)
    for (int blk = 0; blk < nb; blk++) {
        int c0 = blk * COLBLK, c1 = c0 + COLBLK < C ? c0 + COLBLK : C;
        float acc[COLBLK];
        for (int c = c0; c < c1; c++) acc[c - c0] = 0.0f;
        colsum_block(acc, src + c0, N, C, c1 - c0);
        for (int c = c0; c < c1; c++) dst[c] += acc[c - c0];
    }
}

void embedding_forward_cpu(float *out, const int32_t *ids, const int32_t *pos, const int32_t *types,
                           const float *wte, const float *wpe, const float *wtt, int N, int C) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        const float *a = wte + (size_t)ids[i] * C, *p = wpe + (size_t)pos[i] * C;
        const float *t = wtt + (size_t)(types ? types[i] : 0) * C;
        float *o = out + (size_t)i * C;
        for (int c = 0; c < C; c++) o[c] = (a[c] + t[c]) + p[c];
    }
}

void embedding_backward_cpu(float *dwte, float *dwpe, float *dwtt, const float *dout, const int32_t *ids,
                            const int32_t *pos, const int32_t *types, int N, int C, int pad_word, int pad_pos) {
    int nb = (C + COLBLK - 1) / COLBLK;
#pragma omp parallel for schedule(static)
    for (int blk = 0; blk < nb; blk++) {
        int c0 = blk * COLBLK, c1 = c0 + COLBLK < C ? c0 + COLBLK : C;
        for (int i = 0; i < N; i++) {
            const float *d = dout + (size_t)i * C;
            if (ids[i] != pad_word) {
                float *w = dwte + (size_t)ids[i] * C;
                for (int c = c0; c < c1; c++) w[c] += d[c];
            }
            if (pos[i] != pad_pos) {
                float *w = dwpe + (size_t)pos[i] * C;
                for (int c = c0; c < c1; c++) w[c] += d[c];
            }
            if (dwtt) {
                float *w = dwtt + (size_t)(types ? types[i] : 0) * C;
                for (int c = c0; c < c1; c++) w[c] += d[c];
            }
        }
    }
}

/* The linear layers' products: kernels/gemm.h's gemm_tiled (a fixed grid of tiles of C, one single-threaded
 * backend call per tile, so 1 and 16 threads give the same bits; one multi-threaded sgemm over the whole matrix
 * does not: measured, OpenBLAS's own split changes gradients in the last bits between 1 and 2 threads). */
#define sgemm_tiled gemm_tiled

void linear_forward_cpu(float *out, const float *inp, const float *w, const float *bias, int N, int IC, int OC) {
    float beta = 0.0f;
    if (bias) {
#pragma omp parallel for schedule(static)
        for (int i = 0; i < N; i++) memcpy(out + (size_t)i * OC, bias, (size_t)OC * sizeof(float));
        beta = 1.0f;
    }
    sgemm_tiled(CblasNoTrans, CblasTrans, N, OC, IC, inp, IC, w, IC, beta, out, OC);
}

void linear_backward_cpu(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                         const float *w, int N, int IC, int OC) {
    if (dinp) sgemm_tiled(CblasNoTrans, CblasNoTrans, N, IC, OC, dout, OC, w, IC, 1.0f, dinp, IC);
    sgemm_tiled(CblasTrans, CblasNoTrans, OC, IC, N, dout, OC, inp, IC, 1.0f, dw, IC);
    if (dbias) colsum_add(dbias, dout, N, OC);
}

/* One row of LayerNorm; statistics accumulate in double (cheap next to the GEMMs, and keeps the fast path within
 * float rounding of the reference), in 8 fixed lanes (element c into lane c % 8, the lanes then added in order,
 * the tail last): the order is the same in every clone and for every thread count, and the loops vectorize. */
SIMD_CLONES static void ln_row(float *o, float *mean, float *rstd, const float *x, const float *g, const float *b,
                               int C, float eps) {
    enum { LN = 8 };
    double acc[LN] = {0}, m = 0, v = 0;
    int c0 = C / LN * LN;
    for (int c = 0; c < c0; c += LN)
        for (int l = 0; l < LN; l++) acc[l] += x[c + l];
    for (int l = 0; l < LN; l++) m += acc[l];
    for (int c = c0; c < C; c++) m += x[c];
    m /= C;
    for (int l = 0; l < LN; l++) acc[l] = 0;
    for (int c = 0; c < c0; c += LN)
        for (int l = 0; l < LN; l++) {
            double d = x[c + l] - m;
            acc[l] += d * d;
        }
    for (int l = 0; l < LN; l++) v += acc[l];
    for (int c = c0; c < C; c++) {
        double d = x[c] - m;
        v += d * d;
    }
    float fm = (float)m, r = (float)(1.0 / sqrt(v / C + eps));
    for (int c = 0; c < C; c++) o[c] = (x[c] - fm) * r * g[c] + b[c];
    if (mean) *mean = fm;
    if (rstd) *rstd = r;
}

void layernorm_forward_cpu(float *out, float *mean, float *rstd, const float *inp, const float *g,
                           const float *b, int N, int C, float eps) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++)
        ln_row(out + (size_t)i * C, mean ? mean + i : NULL, rstd ? rstd + i : NULL, inp + (size_t)i * C, g, b, C, eps);
}

void layernorm_backward_cpu(float *dinp, float *dg, float *db, const float *dout, const float *inp,
                            const float *g, const float *mean, const float *rstd, int N, int C) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        const float *x = inp + (size_t)i * C, *d = dout + (size_t)i * C;
        float m = mean[i], r = rstd[i];
        float m1 = 0, m2 = 0;
        for (int c = 0; c < C; c++) {
            float dxh = d[c] * g[c];
            m1 += dxh;
            m2 += dxh * (x[c] - m) * r;
        }
        m1 /= (float)C;
        m2 /= (float)C;
        float *di = dinp + (size_t)i * C;
        for (int c = 0; c < C; c++) di[c] += r * (d[c] * g[c] - m1 - (x[c] - m) * r * m2);
    }
    int nb = (C + COLBLK - 1) / COLBLK;
#pragma omp parallel for schedule(static)
    for (int blk = 0; blk < nb; blk++) {
        int c0 = blk * COLBLK, c1 = c0 + COLBLK < C ? c0 + COLBLK : C;
        float ag[COLBLK], ab[COLBLK];
        for (int c = c0; c < c1; c++) ag[c - c0] = ab[c - c0] = 0.0f;
        for (int i = 0; i < N; i++) {
            const float *x = inp + (size_t)i * C, *d = dout + (size_t)i * C;
            float m = mean[i], r = rstd[i];
            for (int c = c0; c < c1; c++) {
                ag[c - c0] += d[c] * (x[c] - m) * r;
                ab[c - c0] += d[c];
            }
        }
        for (int c = c0; c < c1; c++) {
            dg[c] += ag[c - c0];
            db[c] += ab[c - c0];
        }
    }
}

void residual_layernorm_forward_cpu(float *x, float *out, float *mean, float *rstd, const float *a,
                                    const float *bias, const float *res, const DropSpec *drop, const float *g,
                                    const float *b, int N, int C, float eps) {
    int dropping = drop && drop->p > 0.0f;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        size_t o = (size_t)i * C;
        float *xr = x + o;
        const float *ar = a + o, *rr = res + o;
        if (dropping) {
            float m[COLBLK];
            for (int c0 = 0; c0 < C; c0 += COLBLK) {
                int nc = C - c0 < COLBLK ? C - c0 : COLBLK;
                ops_drop_fill(drop, o + c0, (size_t)nc, m);
                for (int c = 0; c < nc; c++) xr[c0 + c] = (ar[c0 + c] + bias[c0 + c]) * m[c] + rr[c0 + c];
            }
        } else
            for (int c = 0; c < C; c++) xr[c] = (ar[c] + bias[c]) + rr[c];
        ln_row(out + o, mean ? mean + i : NULL, rstd ? rstd + i : NULL, xr, g, b, C, eps);
    }
}

void bias_gelu_forward_cpu(float *pre, float *out, const float *bias, int N, int F) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) bias_gelu_row(pre + (size_t)i * F, out + (size_t)i * F, bias, F);
}

void gelu_forward_cpu(float *out, const float *pre, size_t n) {
    long nb = (long)((n + SPAN - 1) / SPAN);
#pragma omp parallel for schedule(static)
    for (long b = 0; b < nb; b++) {
        size_t o = (size_t)b * SPAN;
        gelu_fwd_span(out + o, pre + o, n - o < SPAN ? n - o : SPAN);
    }
}

void gelu_backward_cpu(float *dinp, const float *pre, const float *dout, size_t n) {
    long nb = (long)((n + SPAN - 1) / SPAN);
#pragma omp parallel for schedule(static)
    for (long b = 0; b < nb; b++) {
        size_t o = (size_t)b * SPAN;
        gelu_bwd_span(dinp + o, pre + o, dout + o, n - o < SPAN ? n - o : SPAN);
    }
}

void dropout_forward_cpu(float *x, int N, int C, const DropSpec *drop) {
    if (!drop || drop->p <= 0.0f) return;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        float m[COLBLK];
        for (int c0 = 0; c0 < C; c0 += COLBLK) {
            int nc = C - c0 < COLBLK ? C - c0 : COLBLK;
            size_t o = (size_t)i * C + c0;
            ops_drop_fill(drop, o, (size_t)nc, m);
            for (int c = 0; c < nc; c++) x[o + c] *= m[c];
        }
    }
}
void dropout_backward_cpu(float *dx, int N, int C, const DropSpec *drop) { dropout_forward_cpu(dx, N, C, drop); }

/* Keys past the last token of sequence b carry probability 0 (HF's finfo.min underflows in exp),
 * so every product runs over [0, klen) only. 0 = no token at all (HF: uniform over all T). */
static int key_len(const float *m, int T) {
    int n = T;
    while (n > 0 && m[n - 1] == 0.0f) n--;
    return n;
}

static int clamp_threads(int nthreads) {
    int mt = omp_get_max_threads();
    return nthreads < mt ? (nthreads > 0 ? nthreads : 1) : mt;
}

/* Softmax in place over p[0..n) with every entry live (max-subtracted, as torch.softmax). The sum in 8 fixed
 * lanes (entry j into lane j % 8, lanes added in order, the tail last): the same order in every clone. */
SIMD_CLONES static void softmax_row(float *p, int n) {
    enum { LN = 8 };
    float mx = -INFINITY, acc[LN] = {0}, sum = 0.0f;
    for (int j = 0; j < n; j++) mx = p[j] > mx ? p[j] : mx;
    int j0 = n / LN * LN;
    for (int j = 0; j < j0; j += LN)
        for (int l = 0; l < LN; l++) {
            float e = exp_nonpos(p[j + l] - mx);
            p[j + l] = e;
            acc[l] += e;
        }
    for (int l = 0; l < LN; l++) sum += acc[l];
    for (int j = j0; j < n; j++) {
        p[j] = exp_nonpos(p[j] - mx);
        sum += p[j];
    }
    float inv = 1.0f / sum;
    for (int j = 0; j < n; j++) p[j] *= inv;
}

void attention_forward_cpu(float *ctx, float *att, const float *q, const float *k, const float *v,
                           const float *mask, int B, int T, int C, int NH, const DropSpec *drop, float *scratch,
                           int nthreads) {
    int hd = C / NH;
    CHECK(hd * NH == C, "hidden %d not divisible by %d heads", C, NH);
    float scale = (float)(1.0 / sqrt((double)hd));
    int dropping = drop && drop->p > 0.0f;
    size_t per = attention_scratch_floats(T);
#pragma omp parallel for schedule(dynamic, 1) num_threads(clamp_threads(nthreads))
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH;
        float *S = scratch + (size_t)omp_get_thread_num() * per, *Pd = S + (size_t)T * T;
        const float *m = mask + (size_t)b * T;
        const float *Q = q + (size_t)b * T * C + h * hd, *K = k + (size_t)b * T * C + h * hd;
        const float *V = v + (size_t)b * T * C + h * hd;
        float *P = att ? att + (size_t)bh * T * T : S;
        int kl = key_len(m, T);
        if (kl == 0) {
            kl = T;
            for (size_t e = 0; e < (size_t)T * T; e++) P[e] = 1.0f / (float)T;
        } else {
            int dense = 1;
            for (int j = 0; j < kl; j++) dense &= m[j] != 0.0f;
            gemm_sgemm(CblasNoTrans, CblasTrans, T, kl, hd, scale, Q, C, K, C, 0.0f, P, T);
            for (int t = 0; t < T; t++) {
                float *p = P + (size_t)t * T;
                if (dense) {
                    softmax_row(p, kl);
                } else {
                    float mx = -INFINITY, sum = 0.0f;
                    for (int j = 0; j < kl; j++)
                        if (m[j] != 0.0f && p[j] > mx) mx = p[j];
                    for (int j = 0; j < kl; j++) {
                        float e = m[j] != 0.0f ? exp_nonpos(p[j] - mx) : 0.0f;
                        p[j] = e;
                        sum += e;
                    }
                    float inv = 1.0f / sum;
                    for (int j = 0; j < kl; j++) p[j] *= inv;
                }
                if (att)
                    for (int j = kl; j < T; j++) p[j] = 0.0f;
            }
        }
        const float *PP = P;
        if (dropping) {
            size_t base = (size_t)bh * T * T;
            for (int t = 0; t < T; t++) {
                float *pd = Pd + (size_t)t * T;
                const float *p = P + (size_t)t * T;
                ops_drop_fill(drop, base + (size_t)t * T, (size_t)kl, pd);
                for (int j = 0; j < kl; j++) pd[j] *= p[j];
            }
            PP = Pd;
        }
        gemm_sgemm(CblasNoTrans, CblasNoTrans, T, hd, kl, 1.0f, PP, T, V, C, 0.0f,
                    ctx + (size_t)b * T * C + h * hd, C);
    }
}

/* Softmax backward on `rows` rows of dP (leading dimension ld) whose first n entries are live:
 * dP ← P ⊙ (dP·Mk − Σ P ⊙ dP·Mk) · scale, where Mk (same layout, may be NULL) is the dropout
 * multiplier applied to P in the forward. */
static void softmax_rows_backward(float *dP, const float *P, const float *Mk, int rows, int n, int ld, float scale) {
    for (int t = 0; t < rows; t++) {
        float *d = dP + (size_t)t * ld;
        const float *p = P + (size_t)t * ld;
        if (Mk)
            for (int j = 0; j < n; j++) d[j] *= Mk[(size_t)t * ld + j];
        float dot = 0.0f;
        for (int j = 0; j < n; j++) dot += p[j] * d[j];
        for (int j = 0; j < n; j++) d[j] = p[j] * (d[j] - dot) * scale;
    }
}

void attention_backward_cpu(float *dq, float *dk, float *dv, const float *dctx, const float *att, const float *q,
                            const float *k, const float *v, const float *mask, int B, int T, int C, int NH,
                            const DropSpec *drop, float *scratch, int nthreads) {
    int hd = C / NH;
    float scale = (float)(1.0 / sqrt((double)hd));
    int dropping = drop && drop->p > 0.0f;
    size_t per = attention_scratch_floats(T);
#pragma omp parallel for schedule(dynamic, 1) num_threads(clamp_threads(nthreads))
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH;
        float *dP = scratch + (size_t)omp_get_thread_num() * per, *Pd = dP + (size_t)T * T, *Mk = Pd + (size_t)T * T;
        size_t off = (size_t)b * T * C + h * hd, base = (size_t)bh * T * T;
        const float *P = att + base, *dC = dctx + off, *Q = q + off, *K = k + off, *V = v + off;
        int kl = key_len(mask + (size_t)b * T, T);
        if (kl == 0) kl = T;
        const float *PP = P;
        if (dropping) { /* the forward's mask, regenerated: Mk = mask, Pd = P * mask */
            for (int t = 0; t < T; t++) {
                float *mk = Mk + (size_t)t * T, *pd = Pd + (size_t)t * T;
                const float *p = P + (size_t)t * T;
                ops_drop_fill(drop, base + (size_t)t * T, (size_t)kl, mk);
                for (int j = 0; j < kl; j++) pd[j] = p[j] * mk[j];
            }
            PP = Pd;
        }
        /* dV = Pd^T dctx ; dPd = dctx V^T */
        gemm_sgemm(CblasTrans, CblasNoTrans, kl, hd, T, 1.0f, PP, T, dC, C, 0.0f, dv + off, C);
        gemm_sgemm(CblasNoTrans, CblasTrans, T, kl, hd, 1.0f, dC, C, V, C, 0.0f, dP, T);
        softmax_rows_backward(dP, P, dropping ? Mk : NULL, T, kl, T, scale);
        /* dQ = dS K ; dK = dS^T Q */
        gemm_sgemm(CblasNoTrans, CblasNoTrans, T, hd, kl, 1.0f, dP, T, K, C, 0.0f, dq + off, C);
        gemm_sgemm(CblasTrans, CblasNoTrans, kl, hd, T, 1.0f, dP, T, Q, C, 0.0f, dk + off, C);
        for (int j = kl; j < T; j++) {
            memset(dk + off + (size_t)j * C, 0, (size_t)hd * sizeof(float));
            memset(dv + off + (size_t)j * C, 0, (size_t)hd * sizeof(float));
        }
    }
}

/* Dropout multipliers of query row r against the n keys of its sequence (packed rows r0..r0+n-1),
 * with the unpacked (B,NH,T,T) tensor's indices; one fill when the tokens are a prefix (right padding). */
static void packed_mask_row(const DropSpec *d, const int32_t *rowmap, int b, int h, int NH, int T, int r0, int n,
                            int r, int prefix, float *out) {
    uint64_t tq = (uint64_t)(rowmap[r] - b * T), base = (((uint64_t)b * NH + h) * T + tq) * T;
    if (prefix) {
        ops_drop_fill(d, base, (size_t)n, out);
        return;
    }
    for (int j = 0; j < n; j++) out[j] = ops_drop_scale(d, base + (uint64_t)(rowmap[r0 + j] - b * T));
}

/* Longest sequence of a packed batch (off: (B+1) row offsets). */
static int packed_max_len(const int32_t *off, int B) {
    int m = 0;
    for (int b = 0; b < B; b++) m = off[b + 1] - off[b] > m ? off[b + 1] - off[b] : m;
    return m;
}

static int is_prefix(const int32_t *rowmap, int b, int T, int r0, int n) {
    for (int j = 0; j < n; j++)
        if (rowmap[r0 + j] != b * T + j) return 0;
    return 1;
}

void attention_packed_forward_cpu(float *ctx, float *att, const float *q, const float *k, const float *v,
                                  const int32_t *off, const int32_t *rowmap, int B, int T, int C, int NH,
                                  const DropSpec *drop, float *scratch, int nthreads) {
    int hd = C / NH;
    CHECK(hd * NH == C, "hidden %d not divisible by %d heads", C, NH);
    float scale = (float)(1.0 / sqrt((double)hd));
    int dropping = drop && drop->p > 0.0f;
    size_t per = attention_scratch_floats(packed_max_len(off, B));
#pragma omp parallel for schedule(dynamic, 1) num_threads(clamp_threads(nthreads))
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH, n = off[b + 1] - off[b], r0 = off[b];
        if (n == 0) continue;
        float *S = scratch + (size_t)omp_get_thread_num() * per, *Pd = S + (size_t)n * n;
        float *P = att ? att + packed_att_offset(off, b, NH) + (size_t)h * n * n : S;
        size_t o = (size_t)r0 * C + h * hd;
        gemm_sgemm(CblasNoTrans, CblasTrans, n, n, hd, scale, q + o, C, k + o, C, 0.0f, P, n);
        for (int t = 0; t < n; t++) softmax_row(P + (size_t)t * n, n);
        const float *PP = P;
        if (dropping) {
            int prefix = rowmap ? is_prefix(rowmap, b, T, r0, n) : 1;
            for (int t = 0; t < n; t++) {
                float *pd = Pd + (size_t)t * n;
                packed_mask_row(drop, rowmap, b, h, NH, T, r0, n, r0 + t, prefix, pd);
                for (int j = 0; j < n; j++) pd[j] *= P[(size_t)t * n + j];
            }
            PP = Pd;
        }
        gemm_sgemm(CblasNoTrans, CblasNoTrans, n, hd, n, 1.0f, PP, n, v + o, C, 0.0f, ctx + o, C);
    }
}

void attention_packed_backward_cpu(float *dq, float *dk, float *dv, const float *dctx, const float *att,
                                   const float *q, const float *k, const float *v, const int32_t *off,
                                   const int32_t *rowmap, int B, int T, int C, int NH, const DropSpec *drop,
                                   float *scratch, int nthreads) {
    int hd = C / NH;
    float scale = (float)(1.0 / sqrt((double)hd));
    int dropping = drop && drop->p > 0.0f;
    size_t per = attention_scratch_floats(packed_max_len(off, B));
#pragma omp parallel for schedule(dynamic, 1) num_threads(clamp_threads(nthreads))
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH, n = off[b + 1] - off[b], r0 = off[b];
        if (n == 0) continue;
        float *dP = scratch + (size_t)omp_get_thread_num() * per, *Pd = dP + (size_t)n * n, *Mk = Pd + (size_t)n * n;
        size_t o = (size_t)r0 * C + h * hd;
        const float *P = att + packed_att_offset(off, b, NH) + (size_t)h * n * n, *PP = P;
        if (dropping) {
            int prefix = rowmap ? is_prefix(rowmap, b, T, r0, n) : 1;
            for (int t = 0; t < n; t++) {
                float *mk = Mk + (size_t)t * n, *pd = Pd + (size_t)t * n;
                packed_mask_row(drop, rowmap, b, h, NH, T, r0, n, r0 + t, prefix, mk);
                for (int j = 0; j < n; j++) pd[j] = P[(size_t)t * n + j] * mk[j];
            }
            PP = Pd;
        }
        gemm_sgemm(CblasTrans, CblasNoTrans, n, hd, n, 1.0f, PP, n, dctx + o, C, 0.0f, dv + o, C);
        gemm_sgemm(CblasNoTrans, CblasTrans, n, n, hd, 1.0f, dctx + o, C, v + o, C, 0.0f, dP, n);
        softmax_rows_backward(dP, P, dropping ? Mk : NULL, n, n, n, scale);
        gemm_sgemm(CblasNoTrans, CblasNoTrans, n, hd, n, 1.0f, dP, n, k + o, C, 0.0f, dq + o, C);
        gemm_sgemm(CblasTrans, CblasNoTrans, n, hd, n, 1.0f, dP, n, q + o, C, 0.0f, dk + o, C);
    }
}

/* ---- cross-entropy: rows in parallel, exp by exp_nonpos, double row sums ------------------- */
static int ce_count_cpu(const int32_t *targets, int N, int K, int ignore) {
    int n = 0;
    for (int i = 0; i < N; i++) {
        CHECK(targets[i] == ignore || (targets[i] >= 0 && targets[i] < K),
              "cross-entropy target %d of row %d outside [0,%d) and not the ignore index %d", targets[i], i, K, ignore);
        n += targets[i] != ignore;
    }
    return n;
}

/* Independent lanes so the loops vectorize without reassociation flags. */
#define CE_LANES 16
static float row_max(const float *x, int K) {
    float mx[CE_LANES];
    for (int j = 0; j < CE_LANES; j++) mx[j] = x[0];
    int k = 0;
    for (; k + CE_LANES <= K; k += CE_LANES)
        for (int j = 0; j < CE_LANES; j++) mx[j] = x[k + j] > mx[j] ? x[k + j] : mx[j];
    float m = x[0];
    for (int j = 0; j < CE_LANES; j++) m = mx[j] > m ? mx[j] : m;
    for (; k < K; k++) m = x[k] > m ? x[k] : m;
    return m;
}
/* sum_k exp(x[k] - m): float lanes over blocks of 1024, each block folded into a double. */
static double row_sum_exp(const float *x, int K, float m) {
    double s = 0.0;
    int k = 0;
    while (k + CE_LANES <= K) {
        float acc[CE_LANES] = {0};
        int end = k + 1024 <= K ? k + 1024 : K - (K - k) % CE_LANES;
        for (; k < end; k += CE_LANES)
            for (int j = 0; j < CE_LANES; j++) acc[j] += exp_nonpos(x[k + j] - m);
        for (int j = 0; j < CE_LANES; j++) s += acc[j];
    }
    for (; k < K; k++) s += exp_nonpos(x[k] - m);
    return s;
}

/* out[k] = exp(x[k] - l) * sc, l >= max x (out must not alias x: the caller goes through a buffer). */
static void exp_shift_scale(float *restrict out, const float *restrict x, int n, float l, float sc) {
    int k = 0;
    for (; k + CE_LANES <= n; k += CE_LANES) /* fixed-width inner loop: vectorizes (a plain one did not) */
        for (int j = 0; j < CE_LANES; j++) out[k + j] = exp_nonpos(x[k + j] - l) * sc;
    for (; k < n; k++) out[k] = exp_nonpos(x[k] - l) * sc;
}

float crossentropy_forward_cpu(float *lse, int *n_valid, const float *logits, const int32_t *targets, int N, int K,
                               int ignore) {
    int n = ce_count_cpu(targets, N, K, ignore);
    if (n_valid) *n_valid = n;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        lse[i] = 0.0f;
        if (targets[i] == ignore) continue;
        const float *x = logits + (size_t)i * K;
        float m = row_max(x, K);
        lse[i] = (float)((double)m + log(row_sum_exp(x, K, m)));
    }
    /* the row losses summed in row order, after the parallel loop: the same for any thread count */
    double sum = 0.0;
    for (int i = 0; i < N; i++)
        if (targets[i] != ignore) sum += (double)lse[i] - logits[(size_t)i * K + targets[i]];
    return n ? (float)(sum / n) : 0.0f;
}

void crossentropy_backward_cpu(float *dlogits, const float *logits, const float *lse, const int32_t *targets,
                               float dloss, int N, int K, int ignore) {
    int n = ce_count_cpu(targets, N, K, ignore);
    float scale = n ? (float)((double)dloss / n) : 0.0f;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        const float *x = logits + (size_t)i * K;
        float *d = dlogits + (size_t)i * K;
        int t = targets[i];
        if (t == ignore || n == 0) {
            memset(d, 0, (size_t)K * sizeof(float));
            continue;
        }
        /* through a stack buffer: d may alias x, which would keep the loop from vectorizing */
        float buf[256];
        for (int k0 = 0; k0 < K; k0 += 256) {
            int len = K - k0 < 256 ? K - k0 : 256;
            exp_shift_scale(buf, x + k0, len, lse[i], scale);
            memcpy(d + k0, buf, (size_t)len * sizeof(float));
        }
        d[t] -= scale;
    }
}

/* ---- dispatch ------------------------------------------------------------------------------ */
#define DISPATCH(name, ...) \
    do { if (g_ref) name##_ref(__VA_ARGS__); else name##_cpu(__VA_ARGS__); } while (0)

void embedding_forward(float *out, const int32_t *ids, const int32_t *pos, const int32_t *types, const float *wte,
                       const float *wpe, const float *wtt, int N, int C) {
    DISPATCH(embedding_forward, out, ids, pos, types, wte, wpe, wtt, N, C);
}
void embedding_backward(float *dwte, float *dwpe, float *dwtt, const float *dout, const int32_t *ids,
                        const int32_t *pos, const int32_t *types, int N, int C, int pad_word, int pad_pos) {
    DISPATCH(embedding_backward, dwte, dwpe, dwtt, dout, ids, pos, types, N, C, pad_word, pad_pos);
}
void linear_forward(float *out, const float *inp, const float *w, const float *bias, int N, int IC, int OC) {
    DISPATCH(linear_forward, out, inp, w, bias, N, IC, OC);
}
void linear_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp, const float *w,
                     int N, int IC, int OC) {
    DISPATCH(linear_backward, dinp, dw, dbias, dout, inp, w, N, IC, OC);
}
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *g, const float *b,
                       int N, int C, float eps) {
    DISPATCH(layernorm_forward, out, mean, rstd, inp, g, b, N, C, eps);
}
void layernorm_backward(float *dinp, float *dg, float *db, const float *dout, const float *inp, const float *g,
                        const float *mean, const float *rstd, int N, int C) {
    DISPATCH(layernorm_backward, dinp, dg, db, dout, inp, g, mean, rstd, N, C);
}
void residual_layernorm_forward(float *x, float *out, float *mean, float *rstd, const float *a, const float *bias,
                                const float *res, const DropSpec *drop, const float *g, const float *b, int N, int C,
                                float eps) {
    DISPATCH(residual_layernorm_forward, x, out, mean, rstd, a, bias, res, drop, g, b, N, C, eps);
}
void bias_gelu_forward(float *pre, float *out, const float *bias, int N, int F) {
    DISPATCH(bias_gelu_forward, pre, out, bias, N, F);
}
void gelu_forward(float *out, const float *pre, size_t n) { DISPATCH(gelu_forward, out, pre, n); }
void gelu_backward(float *dinp, const float *pre, const float *dout, size_t n) {
    DISPATCH(gelu_backward, dinp, pre, dout, n);
}
void dropout_forward(float *x, int N, int C, const DropSpec *drop) { DISPATCH(dropout_forward, x, N, C, drop); }
void dropout_backward(float *dx, int N, int C, const DropSpec *drop) { DISPATCH(dropout_backward, dx, N, C, drop); }
void attention_forward(float *ctx, float *att, const float *q, const float *k, const float *v, const float *mask,
                       int B, int T, int C, int NH, const DropSpec *drop, float *scratch, int nthreads) {
    DISPATCH(attention_forward, ctx, att, q, k, v, mask, B, T, C, NH, drop, scratch, nthreads);
}
void attention_backward(float *dq, float *dk, float *dv, const float *dctx, const float *att, const float *q,
                        const float *k, const float *v, const float *mask, int B, int T, int C, int NH,
                        const DropSpec *drop, float *scratch, int nthreads) {
    DISPATCH(attention_backward, dq, dk, dv, dctx, att, q, k, v, mask, B, T, C, NH, drop, scratch, nthreads);
}
void attention_packed_forward(float *ctx, float *att, const float *q, const float *k, const float *v,
                              const int32_t *off, const int32_t *rowmap, int B, int T, int C, int NH,
                              const DropSpec *drop, float *scratch, int nthreads) {
    DISPATCH(attention_packed_forward, ctx, att, q, k, v, off, rowmap, B, T, C, NH, drop, scratch, nthreads);
}
void attention_packed_backward(float *dq, float *dk, float *dv, const float *dctx, const float *att, const float *q,
                               const float *k, const float *v, const int32_t *off, const int32_t *rowmap, int B,
                               int T, int C, int NH, const DropSpec *drop, float *scratch, int nthreads) {
    DISPATCH(attention_packed_backward, dq, dk, dv, dctx, att, q, k, v, off, rowmap, B, T, C, NH, drop, scratch,
             nthreads);
}
float crossentropy_forward(float *lse, int *n_valid, const float *logits, const int32_t *targets, int N, int K,
                           int ignore) {
    return g_ref ? crossentropy_forward_ref(lse, n_valid, logits, targets, N, K, ignore)
                 : crossentropy_forward_cpu(lse, n_valid, logits, targets, N, K, ignore);
}
void crossentropy_backward(float *dlogits, const float *logits, const float *lse, const int32_t *targets, float dloss,
                           int N, int K, int ignore) {
    DISPATCH(crossentropy_backward, dlogits, logits, lse, targets, dloss, N, K, ignore);
}
