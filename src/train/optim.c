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

/* transformers.AdamW (correct_bias=True), the class jiant's create_optimizer builds. */
static void adamw_update_legacy(ParamSet *ps, const AdamWConfig *c, double lr, int64_t step) {
    const double bc1 = 1.0 - pow(c->beta1, (double)step);
    const double bc2 = 1.0 - pow(c->beta2, (double)step);
    const float neg_step = (float)(-(lr * sqrt(bc2) / bc1));   /* Python: lr * math.sqrt(bc2) / bc1 */
    const float eps = (float)c->eps;
    const float b1 = (float)c->beta1, w1 = (float)(1.0 - c->beta1);
    const float b2 = (float)c->beta2, w2 = (float)(1.0 - c->beta2);
    const float wd = (float)(-lr * c->weight_decay);
    const int use_decay = c->weight_decay > 0.0;
#pragma omp parallel
    for (int k = 0; k < ps->n; k++) {
        const ParamInfo *t = &ps->t[k];
        float *p = ps->block + t->offset;
        const float *g = ps->grad + t->offset;
        float *m = ps->adam_m + t->offset, *v = ps->adam_v + t->offset;
        const int dk = use_decay && !t->no_decay;
        const long n = (long)t->numel;
#pragma omp for schedule(static) nowait
        for (long i = 0; i < n; i++) {
            float gi = g[i];
            float mi = fmaf(gi, w1, m[i] * b1);
            float vi = fmaf(w2 * gi, gi, v[i] * b2);
            float denom = sqrtf(vi) + eps;
            m[i] = mi;
            v[i] = vi;
            float pi = p[i] + (neg_step * mi) / denom;
            if (dk) pi = fmaf(pi, wd, pi);
            p[i] = pi;
        }
    }
}

void adamw_update(ParamSet *ps, const AdamWConfig *c, double lr, int64_t step) {
    if (c->hf_legacy) {
        CHECK(ps->block && ps->grad && ps->adam_m && ps->adam_v, "adamw_update: blocks not allocated");
        CHECK(step >= 1, "adamw_update: step %lld (1-based)", (long long)step);
        adamw_update_legacy(ps, c, lr, step);
        return;
    }
    CHECK(ps->block && ps->grad && ps->adam_m && ps->adam_v, "adamw_update: blocks not allocated");
    CHECK(step >= 1, "adamw_update: step %lld (1-based)", (long long)step);
    /* Scalars as torch forms them: Python floats (double), converted to float32 where a tensor op
     * takes them (mul_, lerp_, addcmul_, division by a scalar, add_, addcdiv_). */
    const double bc1 = 1.0 - pow(c->beta1, (double)step);
    const double bc2 = 1.0 - pow(c->beta2, (double)step);
    const float neg_step = (float)(-(lr / bc1));
    const float bc2_sqrt = (float)pow(bc2, 0.5);   /* Python's bias_correction2 ** 0.5 */
    const float eps = (float)c->eps;
    const float w1 = (float)(1.0 - c->beta1);
    const float b2 = (float)c->beta2, w2 = (float)(1.0 - c->beta2);
    const float decay = (float)(1.0 - lr * c->weight_decay);
    const int use_decay = c->weight_decay != 0.0;
#pragma omp parallel
    for (int k = 0; k < ps->n; k++) {
        const ParamInfo *t = &ps->t[k];
        float *p = ps->block + t->offset;
        const float *g = ps->grad + t->offset;
        float *m = ps->adam_m + t->offset, *v = ps->adam_v + t->offset;
        const int dk = use_decay && !t->no_decay;
        const long n = (long)t->numel;
#pragma omp for schedule(static) nowait
        for (long i = 0; i < n; i++) {
            float pi = p[i];
            if (dk) pi = pi * decay;
            float gi = g[i];
            float mi = fmaf(w1, gi - m[i], m[i]);
            float vi = fmaf(w2 * gi, gi, v[i] * b2);
            float denom = sqrtf(vi) / bc2_sqrt + eps;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi + (neg_step * mi) / denom;
        }
    }
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

double grad_global_norm(GradNorm *g, const ParamSet *ps) {
    CHECK(ps->grad, "grad_global_norm: no gradient block");
    const float *grad = ps->grad;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < g->n; c++) {
        const float *x = grad + g->off[c];
        double s = 0;
        for (size_t i = 0; i < g->len[c]; i++) s += (double)x[i] * (double)x[i];
        g->part[c] = s;
    }
    double total = 0;
    for (int c = 0; c < g->n; c++) total += g->part[c];
    return sqrt(total);
}

double grad_clip(GradNorm *g, ParamSet *ps, double max_norm) {
    double norm = grad_global_norm(g, ps);
    if (max_norm <= 0) return norm;
    float coef = (float)max_norm / ((float)norm + 1e-6f);
    if (!(coef < 1.0f)) return norm;   /* clamp(coef, max=1) multiplies by 1: nothing changes */
#pragma omp parallel
    for (int k = 0; k < ps->n; k++) {
        float *x = ps->grad + ps->t[k].offset;
        const long n = (long)ps->t[k].numel;
#pragma omp for schedule(static) nowait
        for (long i = 0; i < n; i++) x[i] *= coef;
    }
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
    gradnorm_init(&o->norm, ps);
}

double optim_lr(const Optimizer *o) { return o->adam.lr * schedule_lambda(&o->sched, o->step); }

StepInfo optim_step(Optimizer *o, ParamSet *ps) {
    StepInfo si;
    si.grad_norm = grad_clip(&o->norm, ps, o->max_grad_norm);
    si.lr = optim_lr(o);
    adamw_update(ps, &o->adam, si.lr, o->step + 1);
    o->step++;
    return si;
}

void optim_free(Optimizer *o) { gradnorm_free(&o->norm); }
