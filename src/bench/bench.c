/* bench.c — see bench.h. */
#include "bench/bench.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/util.h"
#include "kernels/gemm.h"
#include "kernels/ops.h"
#include "model/encoder.h"
#include "model/heads.h"
#include "model/model.h"
#include "model/model_head.h"
#include "model/pool.h"
#include "tasks/featurize.h"
#include "train/trainer.h"
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

double bench_peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void fill_uniform(float *x, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
}

static void fill_ids(int32_t *ids, size_t n, int vocab, uint64_t seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        ids[i] = 3 + (int32_t)((seed >> 33) % (uint64_t)(vocab - 3)); /* never <s>, <pad>, </s> */
    }
}

/* max |a - b| / (1 + max |b|) */
static double rel_err(const float *a, const float *b, size_t n) {
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (!(e <= d)) d = e;
        if (fabs(b[i]) > m) m = fabs(b[i]);
    }
    return d / (1.0 + m);
}

int bench_validate(BenchCheck *out, XsErr *err) {
    memset(out, 0, sizeof *out);
    snprintf(out->backend, sizeof out->backend, "%s", gemm_backend());
    snprintf(out->version, sizeof out->version, "%s", gemm_backend_version());
    snprintf(out->warnings, sizeof out->warnings, "%s", gemm_warnings());
    out->gemm_err = gemm_validation_error();

    ModelConfig cfg;
    config_preset(&cfg, ARCH_XLMR, "tiny", 300);
    cfg.hidden_dropout = cfg.attn_dropout = 0.1f;
    Model m;
    model_init(&m, &cfg, 0);
    model_init_random(&m, 7);
    model_alloc_grads(&m);
    int B = 3, T = 37, C = cfg.hidden_size;
    size_t n = (size_t)B * T;
    int32_t *ids = xmalloc(n * sizeof *ids);
    float *mask = xmalloc(n * sizeof *mask), *dlast = xmalloc(n * C * sizeof *dlast);
    fill_ids(ids, n, cfg.vocab_size, 5);
    for (size_t i = 0; i < n; i++) mask[i] = (i % T) < (size_t)(T - 4 * (int)(i / T)) ? 1.0f : 0.0f; /* some padding */
    fill_uniform(dlast, n * C, 9);
    float *h[2], *g[2];
    for (int path = 0; path < 2; path++) { /* 0 reference, 1 fast */
        ops_use_reference(path == 0);
        EncoderState *s = encoder_state_new(&cfg, B, T, 1);
        paramset_zero_grad(&m.tab);
        encoder_forward(&cfg, &m.w, s, ids, NULL, mask, B, T, 1, 3, 1);
        h[path] = xmalloc(n * C * sizeof(float));
        memcpy(h[path], encoder_hidden(s, cfg.num_layers), n * C * sizeof(float));
        encoder_backward(&cfg, &m.w, &m.g, s, dlast, NULL);
        g[path] = xmalloc(m.tab.total * sizeof(float));
        memcpy(g[path], m.tab.grad, m.tab.total * sizeof(float));
        encoder_state_free(s);
    }
    ops_use_reference(0);
    out->hidden_err = rel_err(h[1], h[0], n * C);
    out->grad_err = rel_err(g[1], g[0], m.tab.total);
    for (int p = 0; p < 2; p++) {
        free(h[p]);
        free(g[p]);
    }
    free(ids);
    free(mask);
    free(dlast);
    model_free(&m);
    if (!(out->hidden_err <= 1e-4) || !(out->grad_err <= 1e-4)) {
        err_set(err, "bench", 0,
                "the fast kernels disagree with the reference path on a tiny encoder: hidden-state error %.3g, "
                "gradient error %.3g (tolerance 1e-4; GEMM backend %s)",
                out->hidden_err, out->grad_err, out->backend);
        return -1;
    }
    return 0;
}

typedef void (*GemmCall)(CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, int, int, int, const float *, int, const float *, int,
                         float, float *, int);
static void call_openblas(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float *A, int lda,
                          const float *B, int ldb, float beta, float *C, int ldc) {
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

static double time_gemm(GemmCall f, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float *A,
                        const float *B, float *C, int reps) {
    int lda = ta == CblasNoTrans ? K : M, ldb = tb == CblasNoTrans ? N : K;
    f(ta, tb, M, N, K, A, lda, B, ldb, 0.0f, C, N); /* warm-up: packing buffers, JIT */
    double best = INFINITY;
    for (int r = 0; r < reps; r++) {
        double t0 = time_now();
        f(ta, tb, M, N, K, A, lda, B, ldb, 0.0f, C, N);
        double t = time_now() - t0;
        if (t < best) best = t;
    }
    return 2.0 * M * N * K / best / 1e9;
}

int bench_gemm(int tokens, int C, int F, int reps, BenchGemm out[9], XsErr *err) {
    if (tokens < 1 || C < 1 || F < 1 || reps < 1) {
        err_set(err, "bench", 0, "gemm shape %d x %d x %d, %d reps: expected positive values", tokens, C, F, reps);
        return -1;
    }
    /* (out, in) of the three Linear kinds */
    const struct { const char *name; int oc, ic; } lin[3] = {{"attn proj (CxC)", C, C}, {"FFN up (C->F)", F, C},
                                                           {"FFN down (F->C)", C, F}};
    size_t big = (size_t)tokens * (F > C ? F : C), wsz = (size_t)F * C;
    float *A = xmalloc_aligned(big * sizeof(float)), *W = xmalloc_aligned(wsz * sizeof(float));
    float *D = xmalloc_aligned(big * sizeof(float)), *O = xmalloc_aligned((big > wsz ? big : wsz) * sizeof(float));
    fill_uniform(A, big, 1);
    fill_uniform(W, wsz, 2);
    fill_uniform(D, big, 3);
    int k = 0;
    for (int l = 0; l < 3; l++)
        for (int pass = 0; pass < 3; pass++, k++) {
            BenchGemm *g = &out[k];
            memset(g, 0, sizeof *g);
            int oc = lin[l].oc, ic = lin[l].ic;
            CBLAS_TRANSPOSE ta, tb;
            const float *a, *b;
            if (pass == 0) { /* out (tokens, oc) = inp (tokens, ic) W^T */
                g->M = tokens, g->N = oc, g->K = ic, ta = CblasNoTrans, tb = CblasTrans, a = A, b = W;
                snprintf(g->what, sizeof g->what, "%s fwd", lin[l].name);
            } else if (pass == 1) { /* dinp (tokens, ic) = dout (tokens, oc) W */
                g->M = tokens, g->N = ic, g->K = oc, ta = CblasNoTrans, tb = CblasNoTrans, a = D, b = W;
                snprintf(g->what, sizeof g->what, "%s dX", lin[l].name);
            } else { /* dW (oc, ic) = dout^T (oc x tokens) inp (tokens, ic) */
                g->M = oc, g->N = ic, g->K = tokens, ta = CblasTrans, tb = CblasNoTrans, a = D, b = A;
                snprintf(g->what, sizeof g->what, "%s dW", lin[l].name);
            }
            g->ta = ta == CblasNoTrans ? 'N' : 'T';
            g->tb = tb == CblasNoTrans ? 'N' : 'T';
            g->gflops_tiled = time_gemm(gemm_tiled, ta, tb, g->M, g->N, g->K, a, b, O, reps);
            g->gflops_whole = time_gemm(gemm_whole, ta, tb, g->M, g->N, g->K, a, b, O, reps);
            g->gflops_openblas = strcmp(gemm_backend(), "openblas") == 0
                                     ? g->gflops_whole
                                     : time_gemm(call_openblas, ta, tb, g->M, g->N, g->K, a, b, O, reps);
            g->gflops_best = fmax(g->gflops_whole, g->gflops_openblas);
        }
    free(A);
    free(W);
    free(D);
    free(O);
    return 0;
}

void bench_seqs_free(BenchSeqs *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) free(s->ids[i]);
    free(s->ids);
    free(s->len);
    memset(s, 0, sizeof *s);
}

int bench_load_ids(const char *path, int vocab, int max_len, BenchSeqs *out, XsErr *err) {
    memset(out, 0, sizeof *out);
    size_t len;
    char *text = file_read_all(path, &len, err);
    if (!text) return -1;
    TextLine *lines = NULL;
    long nl = 0;
    if (text_split_lines(text, len, path, &lines, &nl, err)) {
        free(text);
        return -1;
    }
    int32_t *buf = xmalloc((size_t)max_len * sizeof *buf);
    out->ids = xmalloc((size_t)(nl > 0 ? nl : 1) * sizeof *out->ids);
    out->len = xmalloc((size_t)(nl > 0 ? nl : 1) * sizeof *out->len);
    for (long li = 0; li < nl; li++) {
        const char *q = lines[li].s, *eol = q + lines[li].len;
        int n = 0;
        for (;;) {
            while (q < eol && *q == ' ') q++;
            if (q == eol) break;
            char *end;
            errno = 0;
            long v = strtol(q, &end, 10); /* q is not a space: strtol cannot skip past the line */
            if (end == q || end > eol || errno || (end < eol && *end != ' ') || v < 0 || v >= vocab) {
                err_set(err, path, li + 1, "\"%.*s\": expected a token id in 0..%d, space-separated",
                        (int)(eol - q < 20 ? eol - q : 20), q, vocab - 1);
                goto fail;
            }
            if (n == max_len) {
                err_set(err, path, li + 1, "more than %d ids: expected at most the model's %d positions", max_len,
                        max_len);
                goto fail;
            }
            buf[n++] = (int32_t)v;
            q = end;
        }
        if (n < 2) {
            err_set(err, path, li + 1, "%d ids: expected a sequence of at least 2 (specials included)", n);
            goto fail;
        }
        out->ids[out->n] = xmalloc((size_t)n * sizeof(int32_t));
        memcpy(out->ids[out->n], buf, (size_t)n * sizeof(int32_t));
        out->len[out->n++] = n;
        out->tokens += n;
        if (n > out->max_len) out->max_len = n;
    }
    if (out->n == 0) {
        err_set(err, path, 0, "no sequence: expected one line of token ids per sequence");
        goto fail;
    }
    free(buf);
    free(lines);
    free(text);
    return 0;
fail:
    free(buf);
    free(lines);
    free(text);
    bench_seqs_free(out);
    return -1;
}

static double matmul_flops_fwd(const ModelConfig *c, int B, int T) {
    double C = c->hidden_size, F = c->intermediate_size;
    return (double)c->num_layers * B * (2.0 * (4 * C * C + 2 * C * F) * T + 4.0 * (double)T * T * C);
}

/* The longest sequence a model of this config takes (XLM-R: positions after padding_idx). */
static int max_len_of(const ModelConfig *cfg) {
    return cfg->max_position - (cfg->arch == ARCH_XLMR ? cfg->pad_token_id + 1 : 0);
}

static int check_opts(const BenchModelOpts *o, ModelConfig *cfg, XsErr *err) {
    if (o->batch < 1 || o->seq < 4 || o->reps < 1 || o->warmup < 0 || o->vocab < 8) {
        err_set(err, "bench", 0, "batch %d, seq %d, reps %d, warmup %d, vocab %d: expected batch >= 1, seq >= 4, "
                "reps >= 1, warmup >= 0, vocab >= 8", o->batch, o->seq, o->reps, o->warmup, o->vocab);
        return -1;
    }
    if (config_preset(cfg, o->arch == 1 ? ARCH_BERT : ARCH_XLMR, o->size, o->vocab)) {
        err_set(err, "bench", 0, "size \"%s\": expected tiny, small, base or large", o->size);
        return -1;
    }
    int maxpos = max_len_of(cfg), seq = o->seqs ? o->seqs->max_len : o->seq;
    if (seq > maxpos) {
        err_set(err, "bench", 0, "seq %d: longer than the model's %d positions", seq, maxpos);
        return -1;
    }
    return 0;
}

/* Real sequences: the lines of batch `bi` (0-based), their count, longest, tokens and matmul FLOPs. */
static int seq_batch(const BenchSeqs *q, const ModelConfig *cfg, int B, int bi, int *first, int *Tb, double *tokens,
                     double *flops) {
    int f = bi * B, n = q->n - f < B ? q->n - f : B;
    *first = f;
    *Tb = 0;
    *tokens = *flops = 0;
    for (int i = f; i < f + n; i++) {
        if (q->len[i] > *Tb) *Tb = q->len[i];
        *tokens += q->len[i];
        *flops += matmul_flops_fwd(cfg, 1, q->len[i]);
    }
    return n;
}

/* Per-repetition times -> median / best; tokens/s and GFLOP/s over the sums of the timed repetitions (the
 * same as over the median when every repetition is the same work). */
static void finish(BenchRun *r, double *times, int n, double flops, double tokens, double seconds) {
    qsort(times, (size_t)n, sizeof *times, cmp_double);
    r->median_s = times[n / 2];
    r->best_s = times[0];
    r->tokens_per_s = tokens / seconds;
    r->gflops = flops / seconds / 1e9;
    r->peak_rss_mb = bench_peak_rss_mb();
    r->threads = omp_get_max_threads();
}

int bench_infer(const BenchModelOpts *o, BenchRun *r, XsErr *err) {
    memset(r, 0, sizeof *r);
    ModelConfig cfg;
    if (check_opts(o, &cfg, err)) return -1;
    Model m;
    model_init(&m, &cfg, 0);
    model_init_random(&m, o->seed);
    r->model_mb = (double)m.tab.total * 4 / 1048576.0;
    const BenchSeqs *q = o->seqs;
    int B = o->batch, T = q ? q->max_len : o->seq, nb = q ? (q->n + B - 1) / B : 1;
    size_t n = (size_t)B * T;
    int32_t *ids = xmalloc(n * sizeof *ids);
    float *mask = xmalloc(n * sizeof *mask), *pooled = xmalloc((size_t)B * cfg.hidden_size * sizeof *pooled);
    fill_ids(ids, n, cfg.vocab_size, o->seed);
    for (size_t i = 0; i < n; i++) mask[i] = 1.0f;
    for (int b = 0; b < B; b++) ids[(size_t)b * T] = 0; /* <s> / [CLS] */
    EncoderState *s = encoder_state_new(&cfg, B, T, 0);
    if (q) encoder_set_skip_padding(s, 1); /* as `xstilts encode` and `predict` run */
    double *times = xmalloc((size_t)o->reps * sizeof *times), tok_sum = 0, flop_sum = 0, time_sum = 0;
    for (int it = 0; it < o->warmup + o->reps; it++) {
        int Bb = B, Tb = T;
        double tok = (double)n, fl = matmul_flops_fwd(&cfg, B, T);
        if (q) { /* this repetition's lines, padded to their longest */
            int first;
            Bb = seq_batch(q, &cfg, B, it % nb, &first, &Tb, &tok, &fl);
            for (int b = 0; b < Bb; b++)
                for (int t = 0; t < Tb; t++) {
                    int real = t < q->len[first + b];
                    ids[(size_t)b * Tb + t] = real ? q->ids[first + b][t] : cfg.pad_token_id;
                    mask[(size_t)b * Tb + t] = real ? 1.0f : 0.0f;
                }
        }
        double t0 = time_now();
        encoder_forward(&cfg, &m.w, s, ids, NULL, mask, Bb, Tb, 0, 0, 0);
        pool_forward(POOL_MEAN, encoder_hidden(s, cfg.num_layers), mask, Bb, Tb, cfg.hidden_size, pooled);
        double dt = time_now() - t0;
        if (it >= o->warmup) {
            times[it - o->warmup] = dt;
            tok_sum += tok;
            flop_sum += fl;
            time_sum += dt;
        }
    }
    finish(r, times, o->reps, flop_sum, tok_sum, time_sum);
    free(times);
    encoder_state_free(s);
    free(ids);
    free(mask);
    free(pooled);
    model_free(&m);
    return 0;
}

int bench_train(const BenchModelOpts *o, BenchRun *r, XsErr *err) {
    memset(r, 0, sizeof *r);
    ModelConfig cfg;
    if (check_opts(o, &cfg, err)) return -1;
    Model m;
    model_init(&m, &cfg, 0);
    HeadConfig hc;
    head_config(&hc, &m.cfg, HEAD_SEQ_CLS, 3);
    if (model_add_head(&m, &hc, err)) {
        model_free(&m);
        return -1;
    }
    model_init_random(&m, o->seed);
    const BenchSeqs *q = o->seqs;
    int B = o->batch, T = q ? q->max_len : o->seq, steps = o->warmup + o->reps;
    /* batch x steps rows, labels 0..2: full-length random ids, or the real lines in file order (cycling) */
    FeatRows rows;
    memset(&rows, 0, sizeof rows);
    rows.kind = FEAT_PAIR;
    rows.max_len = T;
    rows.pad_id = cfg.pad_token_id;
    for (int i = 0; i < B * steps; i++) {
        size_t k = feat_rows_add(&rows), off = k * (size_t)T;
        if (q) {
            int line = (int)(k % (size_t)q->n);
            memcpy(rows.ids + off, q->ids[line], (size_t)q->len[line] * sizeof(int32_t));
            for (int t = 0; t < q->len[line]; t++) rows.mask[off + (size_t)t] = 1;
            rows.row_label[k] = (int32_t)(line % 3);
            rows.info[k].len = q->len[line]; /* the trainer trims a batch to its longest info.len */
            continue;
        }
        fill_ids(rows.ids + off, (size_t)T, cfg.vocab_size, o->seed + (uint64_t)k * 7919u);
        rows.ids[off] = 0;
        for (int t = 0; t < T; t++) rows.mask[off + (size_t)t] = 1;
        rows.row_label[k] = (int32_t)(k % 3);
        rows.info[k].len = T;
    }
    TrainConfig tc = train_config_defaults();
    tc.batch = B;
    tc.max_steps = steps;
    tc.lr = 1e-5;
    tc.shuffle = 0;
    tc.seed = o->seed;
    Trainer tr;
    if (trainer_init(&tr, &m, &hc, &rows, &tc, NULL, err)) {
        feat_rows_free(&rows);
        model_free(&m);
        return -1;
    }
    r->model_mb = (double)m.tab.total * 4 * 4 / 1048576.0; /* params, grads, Adam m and v */
    double *times = xmalloc((size_t)o->reps * sizeof *times);
    int rc = 0;
    double tok_sum = 0, flop_sum = 0, time_sum = 0;
    for (int it = 0; it < steps; it++) {
        TrainStepLog lg;
        double tok = (double)B * T, fl = 3.0 * matmul_flops_fwd(&cfg, B, T);
        if (q) { /* step it trains rows it*B .. it*B+B-1: their lines' real tokens */
            tok = fl = 0;
            for (int b = 0; b < B; b++) {
                int len = q->len[(int)(((size_t)it * B + b) % (size_t)q->n)];
                tok += len;
                fl += 3.0 * matmul_flops_fwd(&cfg, 1, len);
            }
        }
        double t0 = time_now();
        if (trainer_step(&tr, &lg, err)) {
            rc = -1;
            break;
        }
        double dt = time_now() - t0;
        if ((double)lg.tokens != tok) { /* what was timed is not the work the figure claims */
            err_set(err, "bench", 0, "training step %d trained %lld tokens, expected %.0f", it, (long long)lg.tokens, tok);
            rc = -1;
            break;
        }
        if ((double)lg.tokens != tok) { /* what was timed is not the work the figure claims */
            err_set(err, "bench", 0, "training step %d trained %lld tokens, expected %.0f", it, (long long)lg.tokens, tok);
            rc = -1;
            break;
        }
        if (it >= o->warmup) {
            times[it - o->warmup] = dt;
            tok_sum += tok;
            flop_sum += fl;
            time_sum += dt;
        }
    }
    if (!rc) finish(r, times, o->reps, flop_sum, tok_sum, time_sum);
    free(times);
    trainer_free(&tr);
    feat_rows_free(&rows);
    model_free(&m);
    return rc;
}
