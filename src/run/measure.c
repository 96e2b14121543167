/* measure.c — timed updates of the real trainer (train/trainer.h) on synthetic full-length rows. */
#include "run/measure.h"
#include "core/util.h"
#include "model/model_head.h"
#include "tasks/featurize.h"
#include "tok/tokenizer.h"
#include "train/trainer.h"
#include <stdlib.h>
#include <string.h>

int run_measure_throughput(const char *model_dir, int batch, int max_len, int steps, Throughput *out, XsErr *err) {
    memset(out, 0, sizeof *out);
    if (batch < 1 || max_len < 8 || steps < 1) return err_set(err, NULL, 0, "measure: batch, max_len and steps must be positive");
    Tokenizer *tok = tokenizer_open(model_dir, err);
    if (!tok) return -1;
    int rc = -1, have_model = 0, have_tr = 0;
    Model m;
    memset(&m, 0, sizeof m);
    HeadConfig hc;
    Trainer tr;
    memset(&tr, 0, sizeof tr);
    FeatRows rows;
    feat_rows_init(&rows, FEAT_PAIR, max_len, tok);
    /* a text long enough to fill any row: the pair is cut to max_len, so every position holds a token */
    size_t cap = (size_t)max_len * 48 + 64, n = 0;
    char *text = malloc(cap);
    CHECK(text, "out of memory");
    static const char *const words = "The quick brown fox jumps over the lazy dog near the river bank. ";
    while (n + strlen(words) + 1 < cap) { memcpy(text + n, words, strlen(words)); n += strlen(words); }
    text[n] = 0;
    for (int i = 0; i < batch; i++)
        if (feat_pair(&rows, tok, text, text, i & 1, i, err)) goto out;
    if (model_load_head(model_dir, HEAD_SEQ_CLS, 2, MODEL_LOAD_ENCODER_ONLY, 1, &m, &hc, err)) goto out;
    have_model = 1;
    if (max_len > m.cfg.max_position) {
        err_set(err, model_dir, 0, "measure: max_len %d exceeds the model's %d positions", max_len, m.cfg.max_position);
        goto out;
    }
    TrainConfig tc = train_config_defaults();
    tc.batch = batch;
    tc.accum = 1;
    tc.max_steps = steps + 1;
    tc.warmup_ratio = 0;
    if (trainer_init(&tr, &m, &hc, &rows, &tc, NULL, err)) goto out;
    have_tr = 1;
    TrainStepLog log;
    if (trainer_step(&tr, &log, err)) goto out; /* warm-up: first touches of every buffer */
    long long tokens = 0;
    double t0 = time_now();
    for (int s = 0; s < steps; s++) {
        if (trainer_step(&tr, &log, err)) goto out;
        tokens += log.tokens;
    }
    double dt = time_now() - t0;
    out->tokens_per_s = dt > 0 ? (double)tokens / dt : 0;
    out->step_s = dt / steps;
    out->steps = steps;
    out->batch = batch;
    out->max_len = max_len;
    rc = 0;
out:
    if (have_tr) trainer_free(&tr);
    if (have_model) model_free(&m);
    feat_rows_free(&rows);
    free(text);
    tokenizer_free(tok);
    return rc;
}
