/* ops_ref.c — the reference ops: plain loops, double accumulators, no threads. Ground truth for
 * ops_cpu.c (tests compare every op) and readable statements of the math; speed is not a goal here. */
#include "kernels/ops.h"
#include "core/check.h"
#include "core/rng.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Element i of a dropout site reads lane i % 4 of Philox(seed; counter = (i / 4, stream, step)):
 * one Philox call serves four consecutive elements. u = top 24 bits / 2^24 in [0,1). */
static float lane_uniform(uint32_t v) { return (float)(v >> 8) * (1.0f / 16777216.0f); }

static uint64_t unpacked_index(const DropSpec *d, uint64_t i) {
    if (!d->rowmap) return i;
    uint64_t w = (uint64_t)d->width;
    return (uint64_t)d->rowmap[i / w] * w + i % w;
}

float ops_drop_scale(const DropSpec *d, uint64_t i) {
    if (!d || d->p <= 0.0f) return 1.0f;
    if (d->p >= 1.0f) return 0.0f;
    i = unpacked_index(d, i);
    uint64_t c = i >> 2;
    Philox4 r = philox4x32(d->seed, (uint32_t)c, (uint32_t)(c >> 32), d->stream, d->step);
    return lane_uniform(r.v[i & 3]) >= d->p ? 1.0f / (1.0f - d->p) : 0.0f;
}

void ops_drop_fill(const DropSpec *d, uint64_t i0, size_t n, float *out) {
    if (!d || d->p <= 0.0f || d->p >= 1.0f) {
        float v = (!d || d->p <= 0.0f) ? 1.0f : 0.0f;
        for (size_t k = 0; k < n; k++) out[k] = v;
        return;
    }
    float scale = 1.0f / (1.0f - d->p), p = d->p;
    uint64_t i = unpacked_index(d, i0); /* [i0, i0 + n) lies in one row: its indices are consecutive */
    size_t k = 0;
    enum { NC = 64 }; /* Philox counters per block, 8 lanes at a time (philox4x32_many) */
    uint32_t buf[4 * NC];
    while (k < n) {
        uint64_t c = i >> 2, last = (i + (n - k) - 1) >> 2;
        int nc = last - c + 1 < NC ? (int)(last - c + 1) : NC;
        philox4x32_many(d->seed, c, d->stream, d->step, nc, buf);
        for (size_t e = (size_t)(i & 3); e < 4 * (size_t)nc && k < n; e++, k++, i++)
            out[k] = lane_uniform(buf[e]) >= p ? scale : 0.0f;
    }
}

float ops_gelu(float x) { return 0.5f * x * (1.0f + erff(x * (float)M_SQRT1_2)); }
float ops_gelu_grad(float x) {
    /* d/dx [x Phi(x)] = Phi(x) + x phi(x) */
    double cdf = 0.5 * (1.0 + erf((double)x * M_SQRT1_2));
    double pdf = exp(-0.5 * (double)x * x) * 0.3989422804014327;
    return (float)(cdf + x * pdf);
}

void embedding_forward_ref(float *out, const int32_t *ids, const int32_t *pos, const int32_t *types,
                           const float *wte, const float *wpe, const float *wtt, int N, int C) {
    for (int i = 0; i < N; i++) {
        const float *a = wte + (size_t)ids[i] * C, *p = wpe + (size_t)pos[i] * C;
        const float *t = wtt + (size_t)(types ? types[i] : 0) * C;
        /* HF order: (inputs_embeds + token_type) + position */
        for (int c = 0; c < C; c++) out[(size_t)i * C + c] = (a[c] + t[c]) + p[c];
    }
}

void embedding_backward_ref(float *dwte, float *dwpe, float *dwtt, const float *dout, const int32_t *ids,
                            const int32_t *pos, const int32_t *types, int N, int C, int pad_word, int pad_pos) {
    for (int i = 0; i < N; i++) {
        const float *d = dout + (size_t)i * C;
        for (int c = 0; c < C; c++) {
            if (ids[i] != pad_word) dwte[(size_t)ids[i] * C + c] += d[c];
            if (pos[i] != pad_pos) dwpe[(size_t)pos[i] * C + c] += d[c];
            if (dwtt) dwtt[(size_t)(types ? types[i] : 0) * C + c] += d[c];
        }
    }
}

void linear_forward_ref(float *out, const float *inp, const float *w, const float *bias, int N, int IC, int OC) {
    for (int i = 0; i < N; i++)
        for (int o = 0; o < OC; o++) {
            double s = bias ? bias[o] : 0.0;
            for (int c = 0; c < IC; c++) s += (double)inp[(size_t)i * IC + c] * w[(size_t)o * IC + c];
            out[(size_t)i * OC + o] = (float)s;
        }
}

void linear_backward_ref(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                         const float *w, int N, int IC, int OC) {
    if (dinp)
        for (int i = 0; i < N; i++)
            for (int c = 0; c < IC; c++) {
                double s = 0;
                for (int o = 0; o < OC; o++) s += (double)dout[(size_t)i * OC + o] * w[(size_t)o * IC + c];
                dinp[(size_t)i * IC + c] += (float)s;
            }
    for (int o = 0; o < OC; o++) {
        for (int c = 0; c < IC; c++) {
            double s = 0;
            for (int i = 0; i < N; i++) s += (double)dout[(size_t)i * OC + o] * inp[(size_t)i * IC + c];
            dw[(size_t)o * IC + c] += (float)s;
        }
        if (dbias) {
            double s = 0;
            for (int i = 0; i < N; i++) s += dout[(size_t)i * OC + o];
            dbias[o] += (float)s;
        }
    }
}

void layernorm_forward_ref(float *out, float *mean, float *rstd, const float *inp, const float *g,
                           const float *b, int N, int C, float eps) {
    for (int i = 0; i < N; i++) {
        const float *x = inp + (size_t)i * C;
        double m = 0, v = 0;
        for (int c = 0; c < C; c++) m += x[c];
        m /= C;
        for (int c = 0; c < C; c++) v += (x[c] - m) * (x[c] - m);
        v /= C;
        double r = 1.0 / sqrt(v + eps);
        for (int c = 0; c < C; c++) out[(size_t)i * C + c] = (float)((x[c] - m) * r * g[c] + b[c]);
        if (mean) mean[i] = (float)m;
        if (rstd) rstd[i] = (float)r;
    }
}

void layernorm_backward_ref(float *dinp, float *dg, float *db, const float *dout, const float *inp,
                            const float *g, const float *mean, const float *rstd, int N, int C) {
    for (int i = 0; i < N; i++) {
        const float *x = inp + (size_t)i * C, *d = dout + (size_t)i * C;
        double m1 = 0, m2 = 0; /* mean(dxhat), mean(dxhat * xhat) */
        for (int c = 0; c < C; c++) {
            double xh = (x[c] - mean[i]) * (double)rstd[i], dxh = (double)d[c] * g[c];
            m1 += dxh;
            m2 += dxh * xh;
            dg[c] += (float)(d[c] * xh);
            db[c] += d[c];
        }
        m1 /= C;
        m2 /= C;
        for (int c = 0; c < C; c++) {
            double xh = (x[c] - mean[i]) * (double)rstd[i], dxh = (double)d[c] * g[c];
            dinp[(size_t)i * C + c] += (float)(rstd[i] * (dxh - m1 - xh * m2));
        }
    }
}

void residual_layernorm_forward_ref(float *x, float *out, float *mean, float *rstd, const float *a,
                                    const float *bias, const float *res, const DropSpec *drop, const float *g,
                                    const float *b, int N, int C, float eps) {
    for (size_t i = 0; i < (size_t)N * C; i++)
        x[i] = (a[i] + bias[i % (size_t)C]) * ops_drop_scale(drop, i) + res[i];
    layernorm_forward_ref(out, mean, rstd, x, g, b, N, C, eps);
}

void bias_gelu_forward_ref(float *pre, float *out, const float *bias, int N, int F) {
    for (size_t i = 0; i < (size_t)N * F; i++) {
        pre[i] += bias[i % (size_t)F];
        out[i] = ops_gelu(pre[i]);
    }
}

void gelu_forward_ref(float *out, const float *pre, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = ops_gelu(pre[i]);
}

void gelu_backward_ref(float *dinp, const float *pre, const float *dout, size_t n) {
    for (size_t i = 0; i < n; i++) dinp[i] = dout[i] * ops_gelu_grad(pre[i]);
}

void dropout_forward_ref(float *x, int N, int C, const DropSpec *drop) {
    for (size_t i = 0; i < (size_t)N * C; i++) x[i] *= ops_drop_scale(drop, i);
}
void dropout_backward_ref(float *dx, int N, int C, const DropSpec *drop) { dropout_forward_ref(dx, N, C, drop); }

size_t attention_scratch_floats(int T) { return 3 * (size_t)T * T + 64; }

/* Probabilities of one query row: softmax over keys with HF's additive finfo.min mask. With at
 * least one valid key, masked keys get exactly 0 (exp underflows); with none, every score is
 * finfo.min and the row is uniform over all T keys. */
static void softmax_row_ref(float *p, const float *s, const float *m, int T) {
    int any = 0;
    for (int j = 0; j < T; j++) any |= m[j] != 0.0f;
    if (!any) {
        for (int j = 0; j < T; j++) p[j] = 1.0f / (float)T;
        return;
    }
    double mx = -INFINITY, sum = 0;
    for (int j = 0; j < T; j++)
        if (m[j] != 0.0f && s[j] > mx) mx = s[j];
    for (int j = 0; j < T; j++) sum += m[j] != 0.0f ? exp(s[j] - mx) : 0.0;
    for (int j = 0; j < T; j++) p[j] = m[j] != 0.0f ? (float)(exp(s[j] - mx) / sum) : 0.0f;
}

void attention_forward_ref(float *ctx, float *att, const float *q, const float *k, const float *v,
                           const float *mask, int B, int T, int C, int NH, const DropSpec *drop, float *scratch,
                           int nthreads) {
    (void)nthreads;
    int hd = C / NH;
    CHECK(hd * NH == C, "hidden %d not divisible by %d heads", C, NH);
    double scale = 1.0 / sqrt((double)hd);
    float *s = scratch, *p = scratch + T;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *qt = q + ((size_t)b * T + t) * C + h * hd;
                for (int j = 0; j < T; j++) {
                    const float *kj = k + ((size_t)b * T + j) * C + h * hd;
                    double acc = 0;
                    for (int d = 0; d < hd; d++) acc += (double)qt[d] * kj[d];
                    s[j] = (float)(acc * scale);
                }
                softmax_row_ref(p, s, mask + (size_t)b * T, T);
                size_t row = (((size_t)b * NH + h) * T + t) * T;
                if (att) memcpy(att + row, p, (size_t)T * sizeof(float));
                float *o = ctx + ((size_t)b * T + t) * C + h * hd;
                for (int d = 0; d < hd; d++) {
                    double acc = 0;
                    for (int j = 0; j < T; j++)
                        acc += (double)p[j] * ops_drop_scale(drop, row + j) * v[((size_t)b * T + j) * C + h * hd + d];
                    o[d] = (float)acc;
                }
            }
}

void attention_backward_ref(float *dq, float *dk, float *dv, const float *dctx, const float *att, const float *q,
                            const float *k, const float *v, const float *mask, int B, int T, int C, int NH,
                            const DropSpec *drop, float *scratch, int nthreads) {
    (void)nthreads;
    (void)mask; /* masked keys have att == 0, so they get no gradient through the probabilities */
    int hd = C / NH;
    double scale = 1.0 / sqrt((double)hd);
    float *ds = scratch;
    memset(dq, 0, (size_t)B * T * C * sizeof(float));
    memset(dk, 0, (size_t)B * T * C * sizeof(float));
    memset(dv, 0, (size_t)B * T * C * sizeof(float));
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                size_t row = (((size_t)b * NH + h) * T + t) * T;
                const float *p = att + row, *dc = dctx + ((size_t)b * T + t) * C + h * hd;
                double dot = 0;
                for (int j = 0; j < T; j++) {
                    float sc = ops_drop_scale(drop, row + j);
                    const float *vj = v + ((size_t)b * T + j) * C + h * hd;
                    float *dvj = dv + ((size_t)b * T + j) * C + h * hd;
                    double dp = 0;
                    for (int d = 0; d < hd; d++) {
                        dp += (double)dc[d] * vj[d];
                        dvj[d] += p[j] * sc * dc[d];
                    }
                    ds[j] = (float)(dp * sc); /* dL/dprobs */
                    dot += dp * sc * p[j];
                }
                for (int j = 0; j < T; j++) ds[j] = (float)(p[j] * (ds[j] - dot) * scale); /* dL/d(q.k) */
                const float *qt = q + ((size_t)b * T + t) * C + h * hd;
                float *dqt = dq + ((size_t)b * T + t) * C + h * hd;
                for (int j = 0; j < T; j++) {
                    const float *kj = k + ((size_t)b * T + j) * C + h * hd;
                    float *dkj = dk + ((size_t)b * T + j) * C + h * hd;
                    for (int d = 0; d < hd; d++) {
                        dqt[d] += ds[j] * kj[d];
                        dkj[d] += ds[j] * qt[d];
                    }
                }
            }
}

size_t packed_att_offset(const int32_t *off, int b, int NH) {
    size_t o = 0;
    for (int i = 0; i < b; i++) o += (size_t)(off[i + 1] - off[i]) * (size_t)(off[i + 1] - off[i]);
    return o * (size_t)NH;
}

/* Index of (b, h, query row r, key row j) in the unpacked (B,NH,T,T) tensor: dropout's element. */
static uint64_t packed_drop_index(const int32_t *rowmap, int b, int h, int NH, int T, int r, int j) {
    uint64_t tq = (uint64_t)(rowmap[r] - b * T), tk = (uint64_t)(rowmap[j] - b * T);
    return (((uint64_t)b * NH + h) * T + tq) * T + tk;
}

void attention_packed_forward_ref(float *ctx, float *att, const float *q, const float *k, const float *v,
                                  const int32_t *off, const int32_t *rowmap, int B, int T, int C, int NH,
                                  const DropSpec *drop, float *scratch, int nthreads) {
    (void)nthreads;
    int hd = C / NH;
    double scale = 1.0 / sqrt((double)hd);
    for (int b = 0; b < B; b++) {
        int n = off[b + 1] - off[b], r0 = off[b];
        for (int h = 0; h < NH; h++) {
            float *s = scratch, *p = scratch + n;
            for (int t = 0; t < n; t++) {
                const float *qt = q + (size_t)(r0 + t) * C + h * hd;
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j < n; j++) {
                    const float *kj = k + (size_t)(r0 + j) * C + h * hd;
                    double acc = 0;
                    for (int d = 0; d < hd; d++) acc += (double)qt[d] * kj[d];
                    s[j] = (float)(acc * scale);
                    if (s[j] > mx) mx = s[j];
                }
                for (int j = 0; j < n; j++) sum += exp(s[j] - mx);
                for (int j = 0; j < n; j++) p[j] = (float)(exp(s[j] - mx) / sum);
                if (att) memcpy(att + packed_att_offset(off, b, NH) + ((size_t)h * n + t) * n, p, (size_t)n * sizeof(float));
                float *out = ctx + (size_t)(r0 + t) * C + h * hd;
                for (int d = 0; d < hd; d++) {
                    double acc = 0;
                    for (int j = 0; j < n; j++)
                        acc += (double)p[j] * ops_drop_scale(drop, packed_drop_index(rowmap, b, h, NH, T, r0 + t, r0 + j)) *
                               v[(size_t)(r0 + j) * C + h * hd + d];
                    out[d] = (float)acc;
                }
            }
        }
    }
}

void attention_packed_backward_ref(float *dq, float *dk, float *dv, const float *dctx, const float *att,
                                   const float *q, const float *k, const float *v, const int32_t *off,
                                   const int32_t *rowmap, int B, int T, int C, int NH, const DropSpec *drop,
                                   float *scratch, int nthreads) {
    (void)nthreads;
    int hd = C / NH;
    double scale = 1.0 / sqrt((double)hd);
    size_t rows = (size_t)off[B];
    memset(dq, 0, rows * C * sizeof(float));
    memset(dk, 0, rows * C * sizeof(float));
    memset(dv, 0, rows * C * sizeof(float));
    float *ds = scratch;
    for (int b = 0; b < B; b++) {
        int n = off[b + 1] - off[b], r0 = off[b];
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < n; t++) {
                const float *p = att + packed_att_offset(off, b, NH) + ((size_t)h * n + t) * n;
                const float *dc = dctx + (size_t)(r0 + t) * C + h * hd;
                double dot = 0;
                for (int j = 0; j < n; j++) {
                    float sc = ops_drop_scale(drop, packed_drop_index(rowmap, b, h, NH, T, r0 + t, r0 + j));
                    const float *vj = v + (size_t)(r0 + j) * C + h * hd;
                    float *dvj = dv + (size_t)(r0 + j) * C + h * hd;
                    double dp = 0;
                    for (int d = 0; d < hd; d++) {
                        dp += (double)dc[d] * vj[d];
                        dvj[d] += p[j] * sc * dc[d];
                    }
                    ds[j] = (float)(dp * sc);
                    dot += dp * sc * p[j];
                }
                for (int j = 0; j < n; j++) ds[j] = (float)(p[j] * (ds[j] - dot) * scale);
                const float *qt = q + (size_t)(r0 + t) * C + h * hd;
                float *dqt = dq + (size_t)(r0 + t) * C + h * hd;
                for (int j = 0; j < n; j++) {
                    const float *kj = k + (size_t)(r0 + j) * C + h * hd;
                    float *dkj = dk + (size_t)(r0 + j) * C + h * hd;
                    for (int d = 0; d < hd; d++) {
                        dqt[d] += ds[j] * kj[d];
                        dkj[d] += ds[j] * qt[d];
                    }
                }
            }
    }
}

/* ---- cross-entropy (F.cross_entropy with ignore_index, mean reduction) ---------------------- */
static int ce_count(const int32_t *targets, int N, int K, int ignore) {
    int n = 0;
    for (int i = 0; i < N; i++) {
        CHECK(targets[i] == ignore || (targets[i] >= 0 && targets[i] < K),
              "cross-entropy target %d of row %d outside [0,%d) and not the ignore index %d", targets[i], i, K, ignore);
        n += targets[i] != ignore;
    }
    return n;
}

float crossentropy_forward_ref(float *lse, int *n_valid, const float *logits, const int32_t *targets, int N, int K,
                               int ignore) {
    int n = ce_count(targets, N, K, ignore);
    if (n_valid) *n_valid = n;
    double sum = 0.0;
    for (int i = 0; i < N; i++) {
        lse[i] = 0.0f;
        if (targets[i] == ignore) continue;
        const float *x = logits + (size_t)i * K;
        double m = x[0], s = 0.0;
        for (int k = 1; k < K; k++) m = fmax(m, x[k]);
        for (int k = 0; k < K; k++) s += exp((double)x[k] - m);
        double l = m + log(s);
        lse[i] = (float)l;
        sum += l - x[targets[i]];
    }
    return n ? (float)(sum / n) : 0.0f;
}

void crossentropy_backward_ref(float *dlogits, const float *logits, const float *lse, const int32_t *targets,
                               float dloss, int N, int K, int ignore) {
    int n = ce_count(targets, N, K, ignore);
    double scale = n ? (double)dloss / n : 0.0;
    for (int i = 0; i < N; i++) {
        const float *x = logits + (size_t)i * K;
        float *d = dlogits + (size_t)i * K;
        int t = targets[i];
        for (int k = 0; k < K; k++)
            d[k] = (t == ignore || n == 0) ? 0.0f : (float)((exp((double)x[k] - lse[i]) - (k == t)) * scale);
    }
}
