/* bench.h — the measurements behind `xstilts bench` (src/cli/cmd_bench.c) and bench/compare.sh: the fast
 * kernels checked against the reference path first, then GEMM throughput at the encoder's shapes against the
 * best sgemm measured in the same process, and end-to-end tokens/s of inference (encoder forward + mean pool)
 * and of a training step (trainer_step: forward, sequence-classification loss, backward, clipping, AdamW) on a
 * randomly initialised model built in memory. Times are medians over repetitions after a warm-up. Nothing
 * here prints or exits; docs/BENCHMARKS.md has the recorded figures. */
#ifndef XS_BENCH_H
#define XS_BENCH_H
#include "core/check.h"
#include <stddef.h>
#include <stdint.h>

/* Result of bench_validate. */
typedef struct BenchCheck {
    char backend[32];       /* GEMM backend in use after its own validation (gemm_backend) */
    char version[160];
    char warnings[512];     /* gemm_warnings(): fallback / threading, "" when none */
    double gemm_err;        /* gemm_validation_error() */
    double hidden_err;      /* tiny encoder, fast vs reference ops: max |diff| / (1 + max |ref|), last hidden state */
    double grad_err;        /* the same over every parameter gradient of one backward */
} BenchCheck;

/* Fast path vs reference path (ops_use_reference) on a tiny encoder (forward with dropout, backward) and the
 * GEMM backend's validation. Returns -1 with err naming the disagreement when a figure exceeds its tolerance
 * (hidden / grad 1e-4; a GEMM fallback is reported in warnings, not an error). Leaves the fast path selected. */
int bench_validate(BenchCheck *out, XsErr *err);

/* One GEMM of the encoder at `tokens` rows. */
typedef struct BenchGemm {
    char what[40];          /* "fc1 fwd", "fc1 dW", ... */
    int M, N, K;
    char ta, tb;            /* 'N' / 'T' */
    double gflops_tiled;    /* gemm_tiled: what the linear layers run (thread-count independent) */
    double gflops_whole;    /* the backend's own multi-threaded call over the whole matrix */
    double gflops_openblas; /* cblas_sgemm of the linked OpenBLAS, whole matrix (== whole when it is the backend) */
    double gflops_best;     /* the best of the direct calls above, this process */
} BenchGemm;

/* The 9 GEMMs of a layer (QKV/out projection, FFN up, FFN down; forward, dinp, dW) for `tokens` rows, hidden C,
 * FFN F; each timed `reps` times (best-of kept: the ceiling) after a warm-up. out: 9 entries. */
int bench_gemm(int tokens, int C, int F, int reps, BenchGemm out[9], XsErr *err);

typedef struct BenchModelOpts {
    int arch;               /* ModelArch: 0 XLM-R, 1 BERT */
    const char *size;       /* config_preset size: "base", "large", "small", "tiny" */
    int vocab;              /* embedding rows (XLM-R 250002, mBERT 119547) */
    int batch, seq;         /* rows x tokens, every token real (no padding) */
    int reps, warmup;       /* timed repetitions (median), untimed first ones */
    unsigned long long seed;
    const struct BenchSeqs *seqs; /* real sequences (bench_load_ids) instead of batch x seq random ids, or NULL */
} BenchModelOpts;

/* Real sequences for natural-length runs: one per line of an ids file. */
typedef struct BenchSeqs {
    int n, max_len;         /* sequences, the longest */
    int32_t **ids;          /* [n] model input ids, specials included */
    int *len;               /* [n] */
    long long tokens;       /* sum of len */
} BenchSeqs;

/* Reads `path`: one sequence per line, its model input ids space-separated (what `xstilts tokenize` prints).
 * Every id must be in [0, vocab) and every line hold 2..max_len ids; errors name path:line. */
int bench_load_ids(const char *path, int vocab, int max_len, BenchSeqs *out, XsErr *err);
void bench_seqs_free(BenchSeqs *s);


/* With real sequences (o->seqs), repetition i (warm-ups first) takes batch i mod ceil(n / batch): `batch`
 * consecutive lines padded to their longest, the padding skipped as `xstilts encode` / `train` skip it;
 * tokens_per_s = real tokens / seconds summed over the timed repetitions (median_s, best_s: per batch). */
typedef struct BenchRun {
    double tokens_per_s;    /* batch * seq / median seconds per repetition */
    double median_s, best_s;
    double gflops;          /* matmul FLOPs (forward: L (2 (4C^2 + 2CF) T + 4 T^2 C) per sequence; training 3x) / median */
    double peak_rss_mb;     /* process high-water mark after the run (getrusage) */
    double model_mb;        /* parameters (+ gradients + Adam moments in training) */
    int threads;
} BenchRun;

/* Inference: encoder forward (train = 0) + mean pooling of the last layer, B x T. */
int bench_infer(const BenchModelOpts *o, BenchRun *r, XsErr *err);
/* One training update of a sequence-classification head (3 labels), batch x seq, dropout on, AdamW (wd 0.01,
 * clip 1.0) through trainer_step. */
int bench_train(const BenchModelOpts *o, BenchRun *r, XsErr *err);

/* Current process peak RSS in MiB. */
double bench_peak_rss_mb(void);

#endif
