/* mpi_train_seam.c — the data-parallel training seam under mpirun (tests/cli_dist_mpi.sh, np 2 and 3), on the
 * encoder and head directly (independent of the trainer's loop): every rank holds the same tiny XLM-R with a
 * sequence-classification head; global micro-batch k of each update is rank k's slice; dropout is keyed by the
 * GLOBAL micro-batch index (update * N + k); each rank runs forward/backward on its slice with loss scale 1/N,
 * all-reduces the gradient block (dist_allreduce_sum) and takes the same AdamW step. Three updates, then:
 *   - every rank holds the same weights, bit for bit;
 *   - they equal, bit for bit, one process that computes each micro-batch's gradient on its own and adds the
 *     N gradients in rank order (the all-reduce's order);
 *   - they equal one process with gradient accumulation N over the same global batch (the trainer's
 *     accumulation: backward adds into one block) within 1e-6 relative (max |diff| / max |w| per tensor, for the
 *     first update's gradient and for the weights after 3 updates at the study's lr 1e-5):
 *     not bitwise, because backward accumulates in place (GEMM beta = 1, embedding scatter-adds), so
 *     accumulation rounds g_0 + g_1 in a different order than summing finished per-rank blocks;
 *   - and a run whose dropout is keyed by the rank-local index has a different gradient (the test can fail).
 *   mpi_train_seam bench H L T B A  prints one update's compute (A micro-batches of B x T tokens per rank) and
 *                                   all-reduce time for an encoder of hidden H, L layers, vocabulary 250002 (XLM-R's)
 *                                   with a classification head (bench/bench_dist.sh). */
#include "core/mem.h"
#include "core/sha256.h"
#include "core/util.h"
#include "dist/dist.h"
#include "model/encoder.h"
#include "model/heads.h"
#include "model/model.h"
#include "model/model_head.h"
#include "train/optim.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_fail = 0;
#define EXPECT(cond, ...)                                                                                           \
    do {                                                                                                            \
        if (!(cond)) {                                                                                              \
            fprintf(stderr, "mpi_train_seam rank %d: FAIL %s:%d: ", dist_rank(), __FILE__, __LINE__);               \
            fprintf(stderr, __VA_ARGS__);                                                                           \
            fputc('\n', stderr);                                                                                    \
            g_fail++;                                                                                               \
        }                                                                                                           \
    } while (0)

enum { NLAB = 3 };
static int V = 1000, H = 64, L = 2, T = 16, B = 4, UPDATES = 3;
static const uint64_t SEED = 5;

typedef struct Net {
    Model m;
    HeadConfig hc;
    HeadParams hw, hg;
    EncoderState *es;
    HeadState *hs;
    Optimizer opt;
    float *dh, *mask;
    int32_t *ids, *lab;
} Net;

static void net_init(Net *n) {
    ModelConfig cfg;
    memset(n, 0, sizeof *n);
    CHECK(config_preset(&cfg, ARCH_XLMR, "tiny", V) == 0, "preset");
    cfg.hidden_size = H;
    cfg.num_layers = L;
    cfg.num_heads = 4;
    cfg.intermediate_size = 2 * H;
    cfg.max_position = T + 2;
    model_init(&n->m, &cfg, 1);
    head_config(&n->hc, &n->m.cfg, HEAD_SEQ_CLS, NLAB);
    XsErr e = {0};
    CHECK(model_add_head(&n->m, &n->hc, &e) == 0, "%s", e.msg);
    model_alloc_params(&n->m);
    model_init_random(&n->m, 11); /* the same weights on every rank */
    model_alloc_grads(&n->m);
    paramset_alloc_adam(&n->m.tab);
    model_head_bind(&n->m, &n->hc, &n->hw, &n->hg);
    n->es = encoder_state_new(&n->m.cfg, B, T, 1);
    n->hs = head_state_new(&n->hc, B, T, 0, 0);
    AdamWConfig ac = adamw_defaults(1e-5); /* the study's */
    optim_init(&n->opt, &n->m.tab, &ac, schedule_linear(0.0, UPDATES), 1.0);
    n->dh = xmalloc_aligned((size_t)B * T * H * sizeof(float));
    n->mask = xmalloc((size_t)B * T * sizeof(float));
    n->ids = xmalloc((size_t)B * T * sizeof(int32_t));
    n->lab = xmalloc((size_t)B * sizeof(int32_t));
}

static void net_free(Net *n) {
    optim_free(&n->opt);
    encoder_state_free(n->es);
    head_state_free(n->hs);
    free(n->dh);
    free(n->mask);
    free(n->ids);
    free(n->lab);
    model_free(&n->m);
}

/* Global micro-batch k of update u: B rows, lengths 5..T, labels; the same on every rank. */
static void batch(int u, int k, int32_t *ids, float *mask, int32_t *lab) {
    uint64_t z = 0x9E3779B97F4A7C15ull * (uint64_t)(u * 1000 + k + 1);
    for (int b = 0; b < B; b++) {
        z = z * 6364136223846793005ull + 1442695040888963407ull;
        int len = 5 + (int)((z >> 33) % (uint64_t)(T - 4));
        for (int t = 0; t < T; t++) {
            z = z * 6364136223846793005ull + 1442695040888963407ull;
            ids[b * T + t] = t == 0 ? 0 : t < len ? 3 + (int32_t)((z >> 33) % (uint64_t)(V - 3)) : 1;
            mask[b * T + t] = t < len ? 1.f : 0.f;
        }
        lab[b] = (int32_t)((z >> 40) % NLAB);
    }
}

/* forward/backward of global micro-batch (u, k) with loss scale `scale`, dropout counter `step`; adds into grads */
static float micro(Net *n, int u, int k, float scale, uint32_t step) {
    batch(u, k, n->ids, n->mask, n->lab);
    encoder_forward(&n->m.cfg, &n->m.w, n->es, n->ids, NULL, n->mask, B, T, 1, SEED, step);
    float loss = head_forward(&n->hc, &n->hw, n->hs, encoder_hidden(n->es, L), n->lab, B, T, 1, SEED, step);
    memset(n->dh, 0, (size_t)B * T * H * sizeof(float));
    head_backward(&n->hc, &n->hw, &n->hg, n->hs, scale, n->dh);
    encoder_backward(&n->m.cfg, &n->m.w, &n->m.g, n->es, n->dh, NULL);
    return loss;
}

static void digest(const float *x, size_t n, uint8_t out[32]) {
    Sha256 h;
    sha256_init(&h);
    sha256_update(&h, x, n * sizeof(float));
    sha256_final(&h, out);
}

/* max over tensors of max|a - b| / max|b|, leaving out the attention key biases: their loss gradient is 0 in exact
 * arithmetic (a key bias shifts every score of a query alike; softmax ignores it), so what they hold is rounding
 * noise, which AdamW scales to ~lr per update whatever its size (as test_train_steps.c does) */
static double max_rel(const ParamSet *ps, const float *a, const float *b) {
    double worst = 0;
    for (int i = 0; i < ps->n; i++) {
        const ParamInfo *t = &ps->t[i];
        if (strstr(t->name, "attention.self.key.bias")) continue;
        size_t cnt = t->numel;
        double d = 0, m = 0;
        for (size_t j = 0; j < cnt; j++) {
            double x = fabs((double)a[t->offset + j] - b[t->offset + j]), y = fabs((double)b[t->offset + j]);
            if (x > d) d = x;
            if (y > m) m = y;
        }
        if (m > 0 && d / m > worst) worst = d / m;
    }
    return worst;
}

static int run_checks(void) {
    int N = dist_size(), R = dist_rank();
    XsErr err = {0};
    float scale = 1.0f / (float)N;
    Net dp, acc, ord, local;
    net_init(&dp);
    net_init(&acc);
    net_init(&ord);
    net_init(&local);
    size_t n = dp.m.tab.total;
    float *sum = xmalloc_aligned(n * sizeof(float)), *g_dp = xmalloc_aligned(n * sizeof(float));
    double grad_rel = 0, grad_rel_local = 0;
    for (int u = 0; u < UPDATES; u++) {
        /* data parallel: this rank's slice, dropout keyed by the global micro-batch index */
        micro(&dp, u, R, scale, (uint32_t)(u * N + R));
        EXPECT(dist_allreduce_sum(dp.m.tab.grad, n, &err) == 0, "%s", err.msg);
        memcpy(g_dp, dp.m.tab.grad, n * sizeof(float));
        optim_step(&dp.opt, &dp.m.tab);
        paramset_zero_grad(&dp.m.tab);
        /* the same, dropout keyed by the rank-local index (wrong: every rank draws micro-batch u's masks) */
        micro(&local, u, R, scale, (uint32_t)u);
        EXPECT(dist_allreduce_sum(local.m.tab.grad, n, &err) == 0, "%s", err.msg);
        if (u == 0) grad_rel_local = max_rel(&dp.m.tab, local.m.tab.grad, g_dp);
        optim_step(&local.opt, &local.m.tab);
        paramset_zero_grad(&local.m.tab);
        /* one process, accumulation N (backward adds into one block) */
        for (int k = 0; k < N; k++) micro(&acc, u, k, scale, (uint32_t)(u * N + k));
        if (u == 0) grad_rel = max_rel(&dp.m.tab, g_dp, acc.m.tab.grad);
        optim_step(&acc.opt, &acc.m.tab);
        paramset_zero_grad(&acc.m.tab);
        /* one process, each micro-batch's gradient on its own, summed in rank order */
        for (int k = 0; k < N; k++) {
            micro(&ord, u, k, scale, (uint32_t)(u * N + k));
            for (size_t i = 0; i < n; i++) sum[i] = k == 0 ? ord.m.tab.grad[i] : sum[i] + ord.m.tab.grad[i];
            paramset_zero_grad(&ord.m.tab);
        }
        memcpy(ord.m.tab.grad, sum, n * sizeof(float));
        optim_step(&ord.opt, &ord.m.tab);
        paramset_zero_grad(&ord.m.tab);
    }
    uint8_t mine[32], root[32];
    digest(dp.m.tab.block, n, mine);
    memcpy(root, mine, 32);
    EXPECT(dist_bcast(root, 32, 0, &err) == 0, "%s", err.msg);
    EXPECT(memcmp(mine, root, 32) == 0, "rank %d's weights differ from rank 0's", R);
    size_t diff = 0;
    for (size_t i = 0; i < n; i++) diff += memcmp(&dp.m.tab.block[i], &ord.m.tab.block[i], 4) != 0;
    EXPECT(diff == 0, "%zu weights differ from one process summing the micro-batch gradients in rank order", diff);
    double rel = max_rel(&dp.m.tab, dp.m.tab.block, acc.m.tab.block);
    EXPECT(grad_rel <= 1e-6, "first gradient vs one process with accumulation %d: %.3g relative (> 1e-6)", N, grad_rel);
    EXPECT(rel <= 1e-6, "weights vs one process with accumulation %d: %.3g relative (> 1e-6)", N, rel);
    size_t same_acc = 0;
    for (size_t i = 0; i < n; i++) same_acc += memcmp(&dp.m.tab.block[i], &acc.m.tab.block[i], 4) == 0;
    EXPECT(grad_rel_local > 1e-3, "rank-local dropout keys gave the same gradient (%.3g): the test cannot tell",
           grad_rel_local);
    if (R == 0)
        printf("mpi_train_seam: %d ranks, %zu weights: equal on every rank; bitwise = rank-order sum of per-micro-batch "
               "gradients; vs accumulation %d: gradient %.3g, weights %.3g max relative (%zu of %zu weights bitwise equal); "
               "rank-local dropout keys: gradient %.3g\n",
               N, n, N, grad_rel, rel, same_acc, n, grad_rel_local);
    free(sum);
    free(g_dp);
    net_free(&dp);
    net_free(&acc);
    net_free(&ord);
    net_free(&local);
    double f = g_fail;
    dist_allreduce_sum_f64(&f, 1, &err);
    if (R == 0) printf("mpi_train_seam: %s\n", f == 0 ? "all checks passed" : "FAILED");
    return f == 0 ? 0 : 1;
}

/* One update per rank on an encoder of hidden H, L layers and XLM-R's vocabulary: compute (forward + backward of
 * this rank's B x T micro-batch) and all-reduce of the whole gradient block, best of 3. */
static int bench(int A) {
    V = 250002;
    UPDATES = 4;
    Net n;
    net_init(&n);
    XsErr err = {0};
    double best_c = 1e30, best_a = 1e30;
    for (int u = 0; u < UPDATES; u++) {
        dist_barrier(&err);
        double t0 = time_now();
        for (int a = 0; a < A; a++)
            micro(&n, u, a * dist_size() + dist_rank(), 1.0f / (A * dist_size()),
                  (uint32_t)((u * A + a) * dist_size() + dist_rank()));
        double t1 = time_now();
        if (dist_allreduce_sum(n.m.tab.grad, n.m.tab.total, &err)) dist_abort(1, "%s", err.msg);
        double t2 = time_now();
        double t[2] = {t1 - t0, t2 - t1};
        dist_allreduce_sum_f64(t, 2, &err); /* mean over ranks */
        paramset_zero_grad(&n.m.tab);
        if (u == 0) continue; /* warm-up */
        if (t[0] < best_c) best_c = t[0];
        if (t[1] < best_a) best_a = t[1];
    }
    best_c /= dist_size();
    best_a /= dist_size();
    if (dist_rank() == 0)
        printf("step: %d ranks x %s threads, H %d L %d, %d micro-batches of %d x %d tokens per rank, block %.0f MB: "
               "compute %.3f s, all-reduce %.3f s (%.0f %% of the update)\n",
               dist_size(), getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "?", H, L, A, B, T,
               n.m.tab.total * 4e-6, best_c, best_a, 100 * best_a / (best_c + best_a));
    net_free(&n);
    return 0;
}

int main(int argc, char **argv) {
    XsErr err = {0};
    if (dist_init(&err)) {
        fprintf(stderr, "mpi_train_seam: %s\n", err.msg);
        return 1;
    }
    dist_install_exit_hook();
    int rc;
    if (argc == 7 && !strcmp(argv[1], "bench")) {
        H = atoi(argv[2]);
        L = atoi(argv[3]);
        T = atoi(argv[4]);
        B = atoi(argv[5]);
        if (H < 64 || H % 64 || L < 1 || T < 8 || T > 512 || B < 1) dist_abort(2, "bench: bad sizes");
        rc = bench(atoi(argv[6]) > 0 ? atoi(argv[6]) : 1);
    } else {
        rc = run_checks();
    }
    dist_finalize();
    return rc;
}
