/* sampler.c — jiant's multi-task samplers and the per-epoch data shuffle on the Philox counter RNG
 * (sampler.h): every draw is a pure function of (seed, counter), so resuming needs only counters. */
#include "train/sampler.h"
#include "core/mem.h"
#include "core/rng.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *KIND_NAMES[] = {"uniform", "proportional", "temperature", "specified"};
static const char *JIANT_NAMES[] = {"UniformMultiTaskSampler", "ProportionalMultiTaskSampler",
                                    "TemperatureMultiTaskSampler", "SpecifiedProbMultiTaskSampler"};

const char *sampler_kind_name(SamplerKind k) {
    CHECK((int)k >= 0 && (int)k < 4, "sampler kind %d", (int)k);
    return KIND_NAMES[k];
}

int sampler_kind_parse(const char *name, SamplerKind *k) {
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, KIND_NAMES[i]) || !strcmp(name, JIANT_NAMES[i])) { *k = (SamplerKind)i; return 0; }
    return -1;
}

int sampler_init(TaskSampler *s, SamplerKind kind, int n, const double *weights, double temperature,
                 double cap, uint64_t seed, XsErr *err) {
    memset(s, 0, sizeof *s);
    if (n < 1 || n > XS_MAX_TASKS)
        return err_set(err, NULL, 0, "multi-task sampler: %d tasks (expected 1 to %d)", n, XS_MAX_TASKS);
    if ((int)kind < 0 || (int)kind > 3) return err_set(err, NULL, 0, "multi-task sampler: unknown kind %d", (int)kind);
    if (kind == SAMPLER_TEMPERATURE && !(temperature > 0 && isfinite(temperature)))
        return err_set(err, NULL, 0, "temperature sampler: temperature %g (expected > 0)", temperature);
    s->kind = kind;
    s->n = n;
    s->temperature = temperature;
    s->cap = cap;
    s->seed = seed;
    double raw[XS_MAX_TASKS], sum = 0;
    for (int i = 0; i < n; i++) {
        double w = kind == SAMPLER_UNIFORM ? 1.0 : weights[i];
        if (!(w >= 0 && isfinite(w)))
            return err_set(err, NULL, 0, "%s sampler: weight %g of task %d (expected a finite number >= 0)",
                           KIND_NAMES[kind], w, i + 1);
        s->w[i] = w;
        if (kind == SAMPLER_TEMPERATURE) {
            double c = cap > 0 && w > cap ? cap : w;        /* numpy clip(max=cap) */
            w = pow(c, 1.0 / temperature);
        }
        raw[i] = w;
        sum += w;
    }
    if (!(sum > 0)) return err_set(err, NULL, 0, "%s sampler: every task has weight 0", KIND_NAMES[kind]);
    double c = 0;
    for (int i = 0; i < n; i++) {
        s->p[i] = raw[i] / sum;
        c += s->p[i];
        s->cdf[i] = c;
    }
    s->cdf[n - 1] = 1.0;
    return 0;
}

static uint64_t rand64(uint64_t seed, uint64_t i, uint32_t stream, uint32_t step) {
    Philox4 r = philox4x32(seed, (uint32_t)i, (uint32_t)(i >> 32), stream, step);
    return (uint64_t)r.v[0] << 32 | r.v[1];
}

int sampler_next(TaskSampler *s) {
    double u = (double)(rand64(s->seed, s->draws, XS_STREAM_SAMPLER, 0) >> 11) * 0x1p-53;
    s->draws++;
    for (int i = 0; i < s->n - 1; i++)
        if (u < s->cdf[i] && s->p[i] > 0) return i;
    /* the last task, unless it has p = 0: then the last task with p > 0 below u's bin */
    for (int i = s->n - 1; i >= 0; i--)
        if (s->p[i] > 0) return i;
    return 0;
}

void data_shuffle(uint32_t *perm, size_t n, uint64_t seed, uint32_t stream, uint64_t epoch) {
    CHECK(n <= UINT32_MAX, "data_shuffle: %zu examples", n);
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    for (size_t i = n; i > 1; i--) {
        uint64_t r = rand64(seed, i - 1, stream, (uint32_t)epoch);
        size_t j = (size_t)(((unsigned __int128)r * i) >> 64);
        uint32_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

static void fill(DataOrder *d) {
    if (d->shuffle) data_shuffle(d->perm, d->n, d->seed, d->stream, d->epoch);
    else for (size_t i = 0; i < d->n; i++) d->perm[i] = (uint32_t)i;
}

void data_order_init(DataOrder *d, size_t n, uint64_t seed, int task, int shuffle) {
    CHECK(n >= 1, "data_order_init: no examples");
    CHECK(task >= 0 && task < XS_MAX_TASKS, "data_order_init: task %d", task);
    memset(d, 0, sizeof *d);
    d->n = n;
    d->seed = seed;
    d->stream = XS_STREAM_SHUFFLE + (uint32_t)task;
    d->shuffle = shuffle;
    d->perm = xmalloc(sizeof(uint32_t) * n);
    fill(d);
}

void data_order_seek(DataOrder *d, uint64_t epoch, size_t pos) {
    CHECK(pos <= d->n, "data_order_seek: position %zu of %zu", pos, d->n);
    if (epoch != d->epoch) {
        d->epoch = epoch;
        fill(d);
    }
    d->pos = pos;
}

size_t data_order_next(DataOrder *d) {
    if (d->pos == d->n) {
        d->epoch++;
        d->pos = 0;
        fill(d);
    }
    return d->perm[d->pos++];
}

void data_order_free(DataOrder *d) {
    free(d->perm);
    memset(d, 0, sizeof *d);
}
