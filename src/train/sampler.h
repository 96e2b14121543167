/* sampler.h — which task the next batch comes from (jiant's multi-task samplers) and the order of
 * each task's examples (a seeded shuffle per epoch). Both are pure functions of (seed, counter) on
 * the Philox counter RNG, so their whole state is a few integers: a resumed run draws exactly what
 * an uninterrupted one would. */
#ifndef XS_SAMPLER_H
#define XS_SAMPLER_H
#include "core/check.h"
#include <stddef.h>
#include <stdint.h>

#define XS_MAX_TASKS 32
/* Philox counter words reserved here (rng.h's `stream` argument): dropout and other users of the
 * counter RNG must not use streams >= XS_STREAM_RESERVED. */
#define XS_STREAM_RESERVED  0x7FFF0000u
#define XS_STREAM_SAMPLER   0x7FFFFFF0u   /* task sampler draws */
#define XS_STREAM_SHUFFLE   0x7FFF0000u   /* + task index (< XS_MAX_TASKS): per-task data order */

typedef enum {
    SAMPLER_UNIFORM = 0,       /* jiant UniformMultiTaskSampler: p_i = 1/n */
    SAMPLER_PROPORTIONAL,      /* ProportionalMultiTaskSampler: p_i ∝ n_i (jiant's default for several tasks) */
    SAMPLER_TEMPERATURE,       /* TemperatureMultiTaskSampler: p_i ∝ min(n_i, cap)^(1/T) */
    SAMPLER_SPECIFIED          /* SpecifiedProbMultiTaskSampler: p_i ∝ given weights */
} SamplerKind;

typedef struct TaskSampler {
    SamplerKind kind;
    int n;                     /* tasks, 1..XS_MAX_TASKS */
    double w[XS_MAX_TASKS];    /* the weights given: example counts, or unnormalised probabilities */
    double p[XS_MAX_TASKS];    /* normalised probabilities */
    double cdf[XS_MAX_TASKS];  /* running sums of p; the last is 1 */
    double temperature;        /* SAMPLER_TEMPERATURE */
    double cap;                /* SAMPLER_TEMPERATURE examples cap; <= 0: none */
    uint64_t seed;
    uint64_t draws;            /* the state: draws made so far (draw d uses counter d) */
} TaskSampler;

/* weights[n]: example counts (proportional, temperature) or unnormalised probabilities (specified);
 * unused (may be NULL) for uniform. Errors (no file: the caller prefixes its source) for n out of
 * range, a negative / non-finite weight, all weights 0, temperature <= 0. draws = 0. */
int sampler_init(TaskSampler *s, SamplerKind kind, int n, const double *weights, double temperature,
                 double cap, uint64_t seed, XsErr *err);
/* Index of the task of draw number s->draws (u in [0,1) with 53 bits from Philox(seed, draws);
 * the first i with u < cdf[i]); then draws++. */
int sampler_next(TaskSampler *s);
/* "uniform", "proportional", "temperature", "specified" (or jiant's class names
 * "UniformMultiTaskSampler", ...). Returns -1 for anything else. */
int sampler_kind_parse(const char *name, SamplerKind *k);
const char *sampler_kind_name(SamplerKind k);

/* ---- data order ---- */

/* perm[n] = a permutation of 0..n-1, Fisher–Yates driven by Philox(seed; i, stream, epoch): a pure
 * function of (seed, stream, epoch). j = floor(r * (i+1) / 2^64) from a 64-bit r (bias <= n / 2^64). */
void data_shuffle(uint32_t *perm, size_t n, uint64_t seed, uint32_t stream, uint64_t epoch);

typedef struct DataOrder {
    size_t n;                  /* examples */
    uint64_t seed;
    uint32_t stream;           /* XS_STREAM_SHUFFLE + task index */
    int shuffle;               /* 0: identity order every epoch */
    uint64_t epoch;            /* state: epoch and position in it */
    size_t pos;
    uint32_t *perm;            /* [n] order of the current epoch */
} DataOrder;

/* epoch 0, position 0. n >= 1 (CHECK). Allocates perm (the only allocation). */
void data_order_init(DataOrder *d, size_t n, uint64_t seed, int task, int shuffle);
/* Jumps to (epoch, pos) — what a checkpoint stores; pos <= n (CHECK). */
void data_order_seek(DataOrder *d, uint64_t epoch, size_t pos);
/* The next example index; past the last one the next epoch starts, reshuffled. No allocation. */
size_t data_order_next(DataOrder *d);
void data_order_free(DataOrder *d);

#endif
