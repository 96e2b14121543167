/* optim.c — AdamW exactly as torch.optim.AdamW's single-tensor path, HF's linear warm-up/decay
 * schedule, clip_grad_norm_ with a fixed-order double norm, and the accumulation scale (optim.h). */
#include "train/optim.h"
#include "core/check.h"
#include "core/mem.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NORM_CHUNK 8192

AdamWConfig adamw_defaults(double lr) {
    AdamWConfig c = {.lr = lr, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01};
    return c;
}

AdamScalars adamw_scalars(const AdamWConfig *c, double lr, int64_t step) {
    AdamScalars s;
    memset(&s, 0, sizeof s);
    /* Scalars as torch forms them: Python floats (double), converted to float32 where a tensor op takes them
     * (mul_, lerp_, addcmul_, division by a scalar, add_, addcdiv_). */
    const double bc1 = 1.0 - pow(c->beta1, (double)step);
    const double bc2 = 1.0 - pow(c->beta2, (double)step);
    s.legacy = c->hf_legacy != 0;
    s.eps = (float)c->eps;
    s.w1 = (float)(1.0 - c->beta1);
    s.b1 = (float)c->beta1;
    s.b2 = (float)c->beta2;
    s.w2 = (float)(1.0 - c->beta2);
    if (s.legacy) { /* transformers.AdamW (correct_bias=True), the class jiant's create_optimizer builds */
        s.neg_step = (float)(-(lr * sqrt(bc2) / bc1)); /* Python: lr * math.sqrt(bc2) / bc1 */
        s.wd = (float)(-lr * c->weight_decay);
        s.use_decay = c->weight_decay > 0.0;
    } else {
        s.neg_step = (float)(-(lr / bc1));
        s.bc2_sqrt = (float)pow(bc2, 0.5); /* Python's bias_correction2 ** 0.5 */
        s.decay = (float)(1.0 - lr * c->weight_decay);
        s.use_decay = c->weight_decay != 0.0;
    }
    return s;
}

/* One AdamW update of n consecutive elements: the one definition of the per-element arithmetic, used by the dense
 * sweep and by the lazy rows' replay (g = m = v = 0), so both give the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
/* an AVX2 + FMA clone chosen at load time where the CPU has them (Makefile: this file is compiled without errno from
 * sqrtf, so the loops vectorize): vector fma, sqrt and division are each correctly rounded as the scalar fmaf /
 * sqrtf / division, so every clone gives the same bits */
#define ADAM_CLONES __attribute__((target_clones("arch=x86-64-v3", "default"), optimize("O3", "fp-contract=off")))
#else
#define ADAM_CLONES
#endif
ADAM_CLONES
static void adam_run(float *restrict p, const float *restrict g, float *restrict m, float *restrict v, long n,
                            const AdamScalars *sc, int dk) {
    const AdamScalars s = *sc;
    if (s.legacy) {
        for (long i = 0; i < n; i++) {
            float gi = g[i];
            float mi = fmaf(gi, s.w1, m[i] * s.b1);
            float vi = fmaf(s.w2 * gi, gi, v[i] * s.b2);
            float denom = sqrtf(vi) + s.eps;
            m[i] = mi;
            v[i] = vi;
            float pi = p[i] + (s.neg_step * mi) / denom;
            if (dk) pi = fmaf(pi, s.wd, pi);
            p[i] = pi;
        }
    } else {
        for (long i = 0; i < n; i++) {
            float pi = p[i];
            if (dk) pi = pi * s.decay;
            float gi = g[i];
            float mi = fmaf(s.w1, gi - m[i], m[i]);
            float vi = fmaf(s.w2 * gi, gi, v[i] * s.b2);
            float denom = sqrtf(vi) / s.bc2_sqrt + s.eps;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi + (s.neg_step * mi) / denom;
        }
    }
}

/* Elements per work item of the dense sweep: a fixed grid, so the bits never depend on the thread count (they
 * would not anyway: the update is elementwise). */
#define ADAM_BLOCK 16384

static int lazy_on(const LazyRows *lz) { return lz && lz->k >= 0; }

/* Row r of the lazy tensor: the pending updates hist[0..nh), one after the other, as the dense sweep does them with
 * g = m = v = 0 (m and v of an untouched row are 0 and stay 0). There m = v = 0, so the step term is
 * (neg_step * 0) / (0 / bc2_sqrt + eps) = -0 when eps > 0 and neg_step <= 0 (both always so: eps is positive,
 * neg_step = -lr / bc1 with lr >= 0), and p + -0 = p for every p: the update is the decay alone — p * decay
 * (torch), fmaf(p, wd, p) after the no-op step (legacy) — each rounded as the dense sweep rounds it. Otherwise
 * (a zero eps, a negative lr) the full element update runs on the row. */
static void lazy_replay_row(const ParamSet *ps, const LazyRows *lz, int r, int dk) {
    if (lz->nh == 0) return;
    const ParamInfo *t = &ps->t[lz->k];
    const size_t o = t->offset + (size_t)r * (size_t)lz->width;
    const int W = lz->width;
    float *p = ps->block + o;
    for (int h = 0; h < lz->nh; h++) {
        const AdamScalars *sc = &lz->hist[h];
        if (!(sc->eps > 0.0f) || sc->neg_step > 0.0f) { /* not the pure-decay case: the whole update */
            float zero[64] = {0};
            for (int c = 0; c < W; c += 64) {
                int w = W - c < 64 ? W - c : 64;
                adam_run(p + c, zero, ps->adam_m + o + c, ps->adam_v + o + c, w, sc, dk);
            }
            continue;
        }
        if (!dk) continue;
        if (sc->legacy) {
            const float wd = sc->wd;
            for (int c = 0; c < W; c++) p[c] = fmaf(p[c], wd, p[c]);
        } else {
            const float d = sc->decay;
            for (int c = 0; c < W; c++) p[c] = p[c] * d;
        }
    }
}

void adamw_update_lazy(ParamSet *ps, const AdamWConfig *c, double lr, int64_t step, LazyRows *lz) {
    CHECK(ps->block && ps->grad && ps->adam_m && ps->adam_v, "adamw_update: blocks not allocated");
    CHECK(step >= 1, "adamw_update: step %lld (1-based)", (long long)step);
    const AdamScalars sc = adamw_scalars(c, lr, step);
    const int lazy = lazy_on(lz);
    if (lazy) {
        /* history full, or the update count was moved from outside (o->step set by hand): bring every untouched
         * row up to date with the updates done so far, and start over from here */
        if (lz->nh == lz->cap || step != lz->from + lz->nh + 1) { /* history full: bring every untouched row up to date, start over */
            LazyRows *w = lz;
#pragma omp parallel for schedule(static)
            for (int r = 0; r < w->rows; r++)
                if (!w->ever[r]) lazy_replay_row(ps, w, r, sc.use_decay && !ps->t[w->k].no_decay);
            lz->from = step - 1;
            lz->nh = 0;
        }
    }
    /* the work items: each tensor cut into blocks of ADAM_BLOCK elements (the lazy tensor: handled by rows below) */
    const int n = ps->n;
#pragma omp parallel
    {
        for (int k = 0; k < n; k++) {
            const ParamInfo *t = &ps->t[k];
            const int dk = sc.use_decay && !t->no_decay;
            float *p = ps->block + t->offset, *m = ps->adam_m + t->offset, *v = ps->adam_v + t->offset;
            const float *g = ps->grad + t->offset;
            if (lazy && k == lz->k) { /* touched rows (brought up to date by optim_lazy_touch): dense; the others
                                       * have this update added to hist below */
                const int W = lz->width;
#pragma omp for schedule(static) nowait
                for (int r = 0; r < lz->rows; r++) {
                    if (!lz->ever[r]) continue;
                    size_t o = (size_t)r * (size_t)W;
                    adam_run(p + o, g + o, m + o, v + o, W, &sc, dk);
                }
                continue;
            }
            const long numel = (long)t->numel, nb = (numel + ADAM_BLOCK - 1) / ADAM_BLOCK;
#pragma omp for schedule(static) nowait
            for (long b = 0; b < nb; b++) {
                long i0 = b * ADAM_BLOCK, len = numel - i0 < ADAM_BLOCK ? numel - i0 : ADAM_BLOCK;
                adam_run(p + i0, g + i0, m + i0, v + i0, len, &sc, dk);
            }
        }
    }
    if (lazy) lz->hist[lz->nh++] = sc;
}

void adamw_update(ParamSet *ps, const AdamWConfig *c, double lr, int64_t step) {
    adamw_update_lazy(ps, c, lr, step, NULL);
}

LinearSchedule schedule_linear(double warmup_ratio, int64_t total) {
    CHECK(warmup_ratio >= 0 && total >= 0, "schedule_linear: ratio %g total %lld", warmup_ratio, (long long)total);
    LinearSchedule s = {.warmup = warmup_ratio * (double)total, .total = total};
    return s;
}

double schedule_lambda(const LinearSchedule *s, int64_t k) {
    double kd = (double)k;
    if (kd < s->warmup) return kd / (s->warmup > 1.0 ? s->warmup : 1.0);
    double rest = (double)s->total - s->warmup;
    double r = (double)(s->total - k) / (rest > 1.0 ? rest : 1.0);
    return r > 0.0 ? r : 0.0;
}

void gradnorm_init(GradNorm *g, const ParamSet *ps) {
    memset(g, 0, sizeof *g);
    int n = 0;
    for (int k = 0; k < ps->n; k++) n += (int)((ps->t[k].numel + NORM_CHUNK - 1) / NORM_CHUNK);
    g->n = n;
    g->off = xmalloc(sizeof(size_t) * (size_t)(n ? n : 1));
    g->len = xmalloc(sizeof(size_t) * (size_t)(n ? n : 1));
    g->part = xmalloc(sizeof(double) * (size_t)(n ? n : 1));
    int c = 0;
    for (int k = 0; k < ps->n; k++)
        for (size_t i = 0; i < ps->t[k].numel; i += NORM_CHUNK) {
            g->off[c] = ps->t[k].offset + i;
            g->len[c] = ps->t[k].numel - i < NORM_CHUNK ? ps->t[k].numel - i : NORM_CHUNK;
            c++;
        }
}

void gradnorm_free(GradNorm *g) {
    free(g->off);
    free(g->len);
    free(g->part);
    memset(g, 0, sizeof *g);
}

double grad_global_norm_lazy(GradNorm *g, const ParamSet *ps, const LazyRows *lz) {
    CHECK(ps->grad, "grad_global_norm: no gradient block");
    const float *grad = ps->grad;
    const int c0 = lazy_on(lz) ? lz->chunk0 : 0, c1 = lazy_on(lz) ? lz->chunk0 + lz->nchunk : 0;
    const uint8_t *cnow = lazy_on(lz) ? lz->chunk_now : NULL;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < g->n; c++) {
        if (c >= c0 && c < c1 && !cnow[c - c0]) { /* rows not touched in this update: zeros, a sum of 0.0 */
            g->part[c] = 0.0;
            continue;
        }
        const float *x = grad + g->off[c];
        double s = 0;
        for (size_t i = 0; i < g->len[c]; i++) s += (double)x[i] * (double)x[i];
        g->part[c] = s;
    }
    double total = 0;
    for (int c = 0; c < g->n; c++) total += g->part[c];
    return sqrt(total);
}

double grad_global_norm(GradNorm *g, const ParamSet *ps) { return grad_global_norm_lazy(g, ps, NULL); }

void grad_clip_norm(ParamSet *ps, const LazyRows *lz, double norm, double max_norm) {
    if (max_norm <= 0) return;
    float coef = (float)max_norm / ((float)norm + 1e-6f);
    if (!(coef < 1.0f)) return; /* clamp(coef, max=1) multiplies by 1: nothing changes */
    const int lazy = lazy_on(lz);
#pragma omp parallel
    for (int k = 0; k < ps->n; k++) {
        float *x = ps->grad + ps->t[k].offset;
        if (lazy && k == lz->k) { /* only the rows touched in this update hold non-zeros (0 * coef = 0) */
            const int W = lz->width;
#pragma omp for schedule(static) nowait
            for (int j = 0; j < lz->nlist; j++) {
                float *row = x + (size_t)lz->list[j] * (size_t)W;
                for (int i = 0; i < W; i++) row[i] *= coef;
            }
            continue;
        }
        const long n = (long)ps->t[k].numel;
#pragma omp for schedule(static) nowait
        for (long i = 0; i < n; i++) x[i] *= coef;
    }
}

double grad_clip(GradNorm *g, ParamSet *ps, double max_norm) {
    double norm = grad_global_norm(g, ps);
    grad_clip_norm(ps, NULL, norm, max_norm);
    return norm;
}

float accum_loss_scale(int accum) {
    CHECK(accum >= 1, "accum_loss_scale: accum %d", accum);
    return 1.0f / (float)accum;
}

void optim_init(Optimizer *o, const ParamSet *ps, const AdamWConfig *adam, LinearSchedule sched,
                double max_grad_norm) {
    CHECK(ps->grad && ps->adam_m && ps->adam_v, "optim_init: allocate the gradient and Adam blocks first");
    memset(o, 0, sizeof *o);
    o->adam = *adam;
    o->sched = sched;
    o->max_grad_norm = max_grad_norm;
    o->lazy.k = -1;
    gradnorm_init(&o->norm, ps);
}

double optim_lr(const Optimizer *o) { return o->adam.lr * schedule_lambda(&o->sched, o->step); }

StepInfo optim_step_norm(Optimizer *o, ParamSet *ps, double norm) {
    StepInfo si;
    si.grad_norm = norm;
    grad_clip_norm(ps, &o->lazy, norm, o->max_grad_norm);
    si.lr = optim_lr(o);
    adamw_update_lazy(ps, &o->adam, si.lr, o->step + 1, &o->lazy);
    o->step++;
    return si;
}

StepInfo optim_step(Optimizer *o, ParamSet *ps) {
    return optim_step_norm(o, ps, grad_global_norm_lazy(&o->norm, ps, &o->lazy));
}

/* Updates kept before a forced flush: bounds the memory (cap x 44 bytes) and the replay length. */
#define LAZY_HIST 1024

void optim_lazy_init(Optimizer *o, const ParamSet *ps, int k) {
    CHECK(k >= 0 && k < ps->n && ps->t[k].ndim == 2, "optim_lazy_init: tensor %d is not a matrix", k);
    CHECK(o->norm.off, "optim_lazy_init: optim_init first");
    LazyRows *lz = &o->lazy;
    if (lz->ever) { /* again: start over */
        free(lz->ever);
        free(lz->now);
        free(lz->list);
        free(lz->chunk_now);
        free(lz->hist);
    }
    memset(lz, 0, sizeof *lz);
    lz->k = k;
    lz->rows = ps->t[k].shape[0];
    lz->width = ps->t[k].shape[1];
    lz->ever = xcalloc((size_t)lz->rows, 1);
    lz->now = xcalloc((size_t)lz->rows, 1);
    lz->list = xmalloc(sizeof(int32_t) * (size_t)lz->rows);
    for (int j = 0; j < k; j++) lz->chunk0 += (int)((ps->t[j].numel + NORM_CHUNK - 1) / NORM_CHUNK);
    lz->nchunk = (int)((ps->t[k].numel + NORM_CHUNK - 1) / NORM_CHUNK);
    CHECK(o->norm.off[lz->chunk0] == ps->t[k].offset, "optim_lazy_init: norm chunks out of step with the table");
    lz->chunk_now = xcalloc((size_t)lz->nchunk, 1);
    lz->cap = LAZY_HIST;
    lz->hist = xmalloc(sizeof(AdamScalars) * (size_t)lz->cap);
    optim_lazy_rebuild(o, ps);
}

void optim_lazy_rebuild(Optimizer *o, const ParamSet *ps) {
    LazyRows *lz = &o->lazy;
    if (!lazy_on(lz)) return;
    const float *m = ps->adam_m + ps->t[lz->k].offset, *v = ps->adam_v + ps->t[lz->k].offset;
    const int W = lz->width;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < lz->rows; r++) {
        const float *mr = m + (size_t)r * W, *vr = v + (size_t)r * W;
        int any = 0;
        for (int i = 0; i < W; i++) any |= (mr[i] != 0.0f) | (vr[i] != 0.0f);
        lz->ever[r] = (uint8_t)any;
    }
    lz->from = o->step;
    lz->nh = 0;
}

static int lazy_decays(const Optimizer *o, const ParamSet *ps) {
    return (o->adam.hf_legacy ? o->adam.weight_decay > 0.0 : o->adam.weight_decay != 0.0) && !ps->t[o->lazy.k].no_decay;
}

void optim_lazy_touch(Optimizer *o, ParamSet *ps, const int32_t *ids, size_t n) {
    LazyRows *lz = &o->lazy;
    if (!lazy_on(lz)) return;
    const size_t W = (size_t)lz->width;
    const int dk = lazy_decays(o, ps);
    for (size_t i = 0; i < n; i++) {
        int32_t r = ids[i];
        CHECK(r >= 0 && r < lz->rows, "optim_lazy_touch: row %d of %d", (int)r, lz->rows);
        if (lz->now[r]) continue;
        if (!lz->ever[r]) { /* first touch: the pending updates now, before the forward reads the row */
            /* the row's moments are +0 (never touched): written, not read, first, so a fresh page is mapped
             * writable at once instead of the shared zero page followed by a copy-on-write fault and a TLB
             * shootdown across threads when AdamW writes it (perf: 2.7% of a step's samples) */
            size_t mo = ps->t[lz->k].offset + (size_t)r * W;
            memset(ps->adam_m + mo, 0, W * sizeof(float));
            memset(ps->adam_v + mo, 0, W * sizeof(float));
            lazy_replay_row(ps, lz, r, dk);
            lz->ever[r] = 1;
        }
        lz->now[r] = 1;
        lz->list[lz->nlist++] = r;
        size_t a = (size_t)r * W / NORM_CHUNK, b = ((size_t)r * W + W - 1) / NORM_CHUNK;
        for (size_t c = a; c <= b; c++) lz->chunk_now[c] = 1;
    }
}

void optim_lazy_flush(Optimizer *o, ParamSet *ps) {
    LazyRows *lz = &o->lazy;
    if (!lazy_on(lz) || lz->nh == 0) return;
    const int dk = lazy_decays(o, ps);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < lz->rows; r++)
        if (!lz->ever[r]) lazy_replay_row(ps, lz, r, dk);
    lz->from += lz->nh;
    lz->nh = 0;
}

void optim_zero_grad(Optimizer *o, ParamSet *ps) {
    LazyRows *lz = &o->lazy;
    if (!lazy_on(lz)) {
        paramset_zero_grad(ps);
        return;
    }
    const ParamInfo *t = &ps->t[lz->k];
    const size_t W = (size_t)lz->width, end = t->offset + t->numel;
    memset(ps->grad, 0, t->offset * sizeof(float));
    memset(ps->grad + end, 0, (ps->total - end) * sizeof(float));
    float *g = ps->grad + t->offset;
    for (int j = 0; j < lz->nlist; j++) {
        memset(g + (size_t)lz->list[j] * W, 0, W * sizeof(float));
        lz->now[lz->list[j]] = 0;
    }
    lz->nlist = 0;
    memset(lz->chunk_now, 0, (size_t)lz->nchunk);
}

void optim_free(Optimizer *o) {
    gradnorm_free(&o->norm);
    free(o->lazy.ever);
    free(o->lazy.now);
    free(o->lazy.list);
    free(o->lazy.chunk_now);
    free(o->lazy.hist);
    memset(&o->lazy, 0, sizeof o->lazy);
    o->lazy.k = -1;
}
