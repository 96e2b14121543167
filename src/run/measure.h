/* measure.h — the training throughput of a model on this machine: a few timed updates (forward, backward, AdamW)
 * of the real trainer on full-length sentence-pair rows, for `xstilts run --dry-run --measure`'s hours. */
#ifndef XS_RUN_MEASURE_H
#define XS_RUN_MEASURE_H
#include "core/check.h"

typedef struct Throughput {
    double tokens_per_s;   /* non-padding tokens of the timed updates / their wall time */
    double step_s;         /* seconds per timed update */
    int steps;             /* timed updates (one more ran first, untimed) */
    int batch, max_len;
} Throughput;

/* Loads model_dir's encoder with a fresh 2-label classification head and runs 1 + steps updates of batch rows of
 * max_len tokens (every position a token: no padding); times the last `steps`. Errors: the model, max_len beyond
 * its positions. */
int run_measure_throughput(const char *model_dir, int batch, int max_len, int steps, Throughput *out, XsErr *err);

#endif
