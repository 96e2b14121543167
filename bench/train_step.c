/* train_step.c — timing harness for the training step (not a test; docs/TRAINING.md "Performance of the training
 * step"). Builds the real trainer (train/trainer.h) on a model folder with a sequence-classification head, batch x
 * len rows of seeded random token ids (every position a token: the embedding rows a batch touches are as many as
 * they can be), one warm-up update, then `steps` timed updates; prints one JSON line: tokens/s, seconds per update,
 * the time per phase of the step, peak RSS. --dense turns the lazy embedding rows off (the dense optimizer path).
 *
 *   build/bench/train_step MODEL_DIR [--batch 8] [--len 128] [--steps 3] [--dense] [--label NAME]
 *   build/bench/train_step --adamw MODEL_DIR [--steps 5]   AdamW alone over every parameter (dense), GB/s moved
 *
 * With -DXS_BENCH_BASE it compiles against a tree without the phase profile (the "before" binary). */
#include "core/rng.h"
#include "core/util.h"
#include "model/model_head.h"
#include "tasks/featurize.h"
#include "tok/tokenizer.h"
#include "train/trainer.h"
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static double peak_rss_gib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / (1024.0 * 1024.0); /* ru_maxrss: KiB on Linux */
}

static uint64_t lcg(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static int adamw_only(const char *dir, int steps) {
    XsErr err = {0};
    Model m;
    memset(&m, 0, sizeof m);
    if (model_load(dir, &m, &err)) {
        fprintf(stderr, "train_step: %s\n", err.msg);
        return 1;
    }
    ParamSet *ps = &m.tab;
    paramset_alloc_grad(ps);
    paramset_alloc_adam(ps);
    uint64_t s = 7;
    for (size_t i = 0; i < ps->total; i++) ps->grad[i] = (float)((double)lcg(&s) / 2147483648.0 - 1.0) * 1e-3f;
    AdamWConfig c = adamw_defaults(1e-5);
    adamw_update(ps, &c, 1e-5, 1); /* warm-up: first touch of m and v */
    double best = 1e30;
    for (int k = 0; k < steps; k++) {
        double t0 = time_now();
        adamw_update(ps, &c, 1e-5, k + 2);
        double dt = time_now() - t0;
        if (dt < best) best = dt;
    }
    size_t n = paramset_numel(ps);
    double bytes = 7.0 * 4.0 * (double)ps->total; /* read p, g, m, v; write p, m, v */
    printf("{\"work\": \"adamw\", \"params\": %zu, \"threads\": %d, \"best_s\": %.4f, \"bytes\": %.0f, \"gb_per_s\": %.2f,"
           " \"peak_rss_gib\": %.2f}\n",
           n, omp_get_max_threads(), best, bytes, bytes / best / 1e9, peak_rss_gib());
    model_free(&m);
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = NULL, *label = "";
    int batch = 8, len = 128, steps = 3, dense = 0, adam = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--len") && i + 1 < argc) len = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--label") && i + 1 < argc) label = argv[++i];
        else if (!strcmp(argv[i], "--dense")) dense = 1;
        else if (!strcmp(argv[i], "--adamw")) adam = 1;
        else if (argv[i][0] != '-' && !dir) dir = argv[i];
        else {
            fprintf(stderr, "usage: train_step MODEL_DIR [--batch N] [--len N] [--steps N] [--dense] [--label S] | "
                            "--adamw MODEL_DIR [--steps N]\n");
            return 2;
        }
    }
    if (!dir || batch < 1 || len < 8 || steps < 1) {
        fprintf(stderr, "train_step: a model folder and positive sizes are needed\n");
        return 2;
    }
    if (adam) return adamw_only(dir, steps);
    XsErr err = {0};
    Tokenizer *tok = tokenizer_open(dir, &err);
    if (!tok) {
        fprintf(stderr, "train_step: %s\n", err.msg);
        return 1;
    }
    Model m;
    memset(&m, 0, sizeof m);
    HeadConfig hc;
    if (model_load_head(dir, HEAD_SEQ_CLS, 2, MODEL_LOAD_ENCODER_ONLY, 1, &m, &hc, &err)) {
        fprintf(stderr, "train_step: %s\n", err.msg);
        return 1;
    }
    /* rows: a pair long enough to fill max_len (mask 1 everywhere), then the inner ids replaced by random ones */
    FeatRows rows;
    feat_rows_init(&rows, FEAT_PAIR, len, tok);
    size_t cap = (size_t)len * 48 + 64, n = 0;
    char *text = malloc(cap);
    static const char *const words = "The quick brown fox jumps over the lazy dog near the river bank. ";
    while (n + strlen(words) + 1 < cap) {
        memcpy(text + n, words, strlen(words));
        n += strlen(words);
    }
    text[n] = 0;
    int nrows = batch * (steps + 1);
    for (int i = 0; i < nrows; i++)
        if (feat_pair(&rows, tok, text, text, i & 1, i, &err)) {
            fprintf(stderr, "train_step: %s\n", err.msg);
            return 1;
        }
    uint64_t seed = 12345;
    for (int i = 0; i < nrows; i++)
        for (int t = 1; t < len - 1; t++) rows.ids[(size_t)i * len + t] = 5 + (int32_t)(lcg(&seed) % (uint64_t)(m.cfg.vocab_size - 5));
    TrainConfig tc = train_config_defaults();
    tc.batch = batch;
    tc.max_steps = steps + 1;
    tc.warmup_ratio = 0;
    tc.shuffle = 0;
#ifndef XS_BENCH_BASE
    tc.lazy_embedding = !dense;
#else
    (void)dense;
#endif
    Trainer tr;
    if (trainer_init(&tr, &m, &hc, &rows, &tc, NULL, &err)) {
        fprintf(stderr, "train_step: %s\n", err.msg);
        return 1;
    }
    TrainStepLog log;
    if (trainer_step(&tr, &log, &err)) { /* warm-up: first touches of every buffer */
        fprintf(stderr, "train_step: %s\n", err.msg);
        return 1;
    }
#ifndef XS_BENCH_BASE
    tr.prof_on = 1;
#endif
    long long tokens = 0;
    double t0 = time_now();
    for (int s = 0; s < steps; s++) {
        if (trainer_step(&tr, &log, &err)) {
            fprintf(stderr, "train_step: %s\n", err.msg);
            return 1;
        }
        tokens += log.tokens;
    }
    double dt = time_now() - t0;
    double ts = time_now();
#ifndef XS_BENCH_BASE
    trainer_sync(&tr);
#endif
    double sync_s = time_now() - ts;
    printf("{\"label\": \"%s\", \"vocab\": %d, \"hidden\": %d, \"layers\": %d, \"params\": %zu, \"batch\": %d, \"len\": %d,"
           " \"threads\": %d, \"steps\": %d, \"tokens_per_s\": %.1f, \"step_s\": %.3f",
           label, m.cfg.vocab_size, m.cfg.hidden_size, m.cfg.num_layers, paramset_numel(&m.tab), batch, len,
           omp_get_max_threads(), steps, (double)tokens / dt, dt / steps);
#ifndef XS_BENCH_BASE
    static const char *names[] = {"forward", "backward", "norm", "optim", "zero_grad"};
    for (int i = 0; i < 5; i++) printf(", \"%s_s\": %.4f", names[i], tr.prof[i] / steps);
    printf(", \"final_sync_s\": %.4f", sync_s);
#else
    (void)sync_s;
#endif
    printf(", \"peak_rss_gib\": %.2f}\n", peak_rss_gib());
    trainer_free(&tr);
    model_free(&m);
    feat_rows_free(&rows);
    free(text);
    tokenizer_free(tok);
    return 0;
}
