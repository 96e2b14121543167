/* mpi_trainer.c — train/trainer's data-parallel mode under mpirun (tests/cli_dist_mpi.sh, np 2 and 3): a tiny XLM-R
 * with a classification head on 37 synthetic pairs (dropout on, shuffled, batch 3, accumulation 2, short last
 * batches at the epoch ends) trained by N ranks (TrainConfig rank / world) for 3 epochs:
 *   - every rank ends with the same weights, bit for bit, and the same logged losses;
 *   - they equal one process training with accumulation 2 x N over the same global batches within 1e-6 relative
 *     (max |diff| / max |w| per tensor, the attention key biases left out: see mpi_train_seam.c), and the losses
 *     logged per update agree within 1e-6;
 *   - a trainer whose rank / world disagree with dist_rank / dist_size is refused. */
#include "core/mem.h"
#include "core/sha256.h"
#include "dist/dist.h"
#include "train/trainer.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_fail = 0;
#define EXPECT(cond, ...)                                                                                           \
    do {                                                                                                            \
        if (!(cond)) {                                                                                              \
            fprintf(stderr, "mpi_trainer rank %d: FAIL %s:%d: ", dist_rank(), __FILE__, __LINE__);                  \
            fprintf(stderr, __VA_ARGS__);                                                                           \
            fputc('\n', stderr);                                                                                    \
            g_fail++;                                                                                               \
        }                                                                                                           \
    } while (0)

enum { V = 500, T = 16, NROWS = 37, NLAB = 3, MAXUP = 64 };

static void make_rows(FeatRows *r) {
    memset(r, 0, sizeof *r);
    r->kind = FEAT_PAIR;
    r->max_len = T;
    r->pad_id = 1;
    uint64_t z = 12345;
    for (int b = 0; b < NROWS; b++) {
        size_t i = feat_rows_add(r);
        z = z * 6364136223846793005ull + 1442695040888963407ull;
        int len = 4 + (int)((z >> 33) % (T - 3));
        for (int t = 0; t < T; t++) {
            z = z * 6364136223846793005ull + 1442695040888963407ull;
            r->ids[i * T + t] = t == 0 ? 0 : t < len ? 3 + (int32_t)((z >> 33) % (V - 3)) : 1;
            r->mask[i * T + t] = t < len;
            r->type_ids[i * T + t] = 0;
        }
        r->info[i].len = len;
        r->info[i].example = b;
        r->info[i].nwin = 1;
        r->row_label[i] = (int32_t)((z >> 40) % NLAB);
    }
}

static void make_model(Model *m, HeadConfig *hc) {
    ModelConfig cfg;
    CHECK(config_preset(&cfg, ARCH_XLMR, "tiny", V) == 0, "preset");
    cfg.hidden_size = 64;
    cfg.num_layers = 2;
    cfg.num_heads = 4;
    cfg.intermediate_size = 128;
    cfg.max_position = T + 2;
    model_init(m, &cfg, 1);
    head_config(hc, &m->cfg, HEAD_SEQ_CLS, NLAB);
    XsErr e = {0};
    CHECK(model_add_head(m, hc, &e) == 0, "%s", e.msg);
    model_alloc_params(m);
    model_init_random(m, 11);
}

typedef struct Losses { double loss[MAXUP]; int64_t tokens[MAXUP]; int n; } Losses;
static void on_log(const TrainStepLog *l, void *ctx) {
    Losses *L = ctx;
    if (L->n < MAXUP) {
        L->loss[L->n] = l->loss;
        L->tokens[L->n] = l->tokens;
        L->n++;
    }
}

static int train(Model *m, const HeadConfig *hc, const FeatRows *rows, int accum, int rank, int world, Losses *L,
                 XsErr *err) {
    TrainConfig c = train_config_defaults();
    c.batch = 3;
    c.accum = accum;
    c.lr = 1e-5; /* the study's */
    c.epochs = 3;
    c.seed = 9;
    c.rank = rank;
    c.world = world;
    Trainer tr;
    if (trainer_init(&tr, m, hc, rows, &c, NULL, err)) return -1;
    memset(L, 0, sizeof *L);
    int rc = trainer_run(&tr, on_log, L, err);
    trainer_free(&tr);
    return rc;
}

static double max_rel(const ParamSet *ps, const float *a, const float *b) {
    double worst = 0;
    for (int i = 0; i < ps->n; i++) {
        const ParamInfo *t = &ps->t[i];
        if (strstr(t->name, "attention.self.key.bias")) continue;
        double d = 0, mx = 0;
        for (size_t j = 0; j < t->numel; j++) {
            double x = fabs((double)a[t->offset + j] - b[t->offset + j]), y = fabs((double)b[t->offset + j]);
            if (x > d) d = x;
            if (y > mx) mx = y;
        }
        if (mx > 0 && d / mx > worst) worst = d / mx;
    }
    return worst;
}

int main(void) {
    XsErr err = {0};
    if (dist_init(&err)) {
        fprintf(stderr, "mpi_trainer: %s\n", err.msg);
        return 1;
    }
    dist_install_exit_hook();
    int N = dist_size(), R = dist_rank();
    FeatRows rows;
    make_rows(&rows);
    Model dp, one;
    HeadConfig hc;
    memset(&dp, 0, sizeof dp);
    memset(&one, 0, sizeof one);
    make_model(&dp, &hc);
    make_model(&one, &hc);
    Losses Ld, L1;
    EXPECT(train(&dp, &hc, &rows, 2, R, N, &Ld, &err) == 0, "data-parallel run: %s", err.msg);
    EXPECT(train(&one, &hc, &rows, 2 * N, 0, 1, &L1, &err) == 0, "one-process run: %s", err.msg);
    size_t n = dp.tab.total;
    /* the same bits on every rank: weights and logged losses */
    uint8_t mine[32], root[32];
    Sha256 h;
    sha256_init(&h);
    sha256_update(&h, dp.tab.block, n * sizeof(float));
    sha256_update(&h, Ld.loss, sizeof Ld.loss);
    sha256_final(&h, mine);
    memcpy(root, mine, 32);
    EXPECT(dist_bcast(root, 32, 0, &err) == 0, "%s", err.msg);
    EXPECT(memcmp(root, mine, 32) == 0, "rank %d's weights or losses differ from rank 0's", R);
    /* = one process with accumulation 2 x N */
    EXPECT(Ld.n == L1.n && Ld.n > 3, "%d updates data parallel, %d in one process", Ld.n, L1.n);
    double worst_loss = 0;
    for (int u = 0; u < Ld.n && u < L1.n; u++) {
        double d = fabs(Ld.loss[u] - L1.loss[u]) / fabs(L1.loss[u]);
        if (d > worst_loss) worst_loss = d;
        EXPECT(Ld.tokens[u] == L1.tokens[u], "update %d: %lld tokens data parallel, %lld in one process", u + 1,
               (long long)Ld.tokens[u], (long long)L1.tokens[u]);
    }
    EXPECT(worst_loss <= 1e-6, "losses differ by %.3g relative", worst_loss);
    double rel = max_rel(&dp.tab, dp.tab.block, one.tab.block);
    EXPECT(rel <= 1e-6, "weights vs one process with accumulation %d: %.3g relative", 2 * N, rel);
    size_t same = 0;
    for (size_t i = 0; i < n; i++) same += memcmp(&dp.tab.block[i], &one.tab.block[i], 4) == 0;
    /* a rank / world the process is not is refused */
    Model bad;
    memset(&bad, 0, sizeof bad);
    make_model(&bad, &hc);
    Losses Lb;
    XsErr e2 = {0};
    EXPECT(train(&bad, &hc, &rows, 1, R, N + 1, &Lb, &e2) == -1 && strstr(e2.msg, "rank"), "wrong world accepted: %s",
           e2.msg);
    if (R == 0)
        printf("mpi_trainer: %d ranks x accum 2 vs one process x accum %d, %d updates: weights %.3g max relative (%zu of "
               "%zu bitwise equal), losses %.3g\n", N, 2 * N, Ld.n, rel, same, n, worst_loss);
    model_free(&bad);
    model_free(&dp);
    model_free(&one);
    feat_rows_free(&rows);
    double f = g_fail;
    dist_allreduce_sum_f64(&f, 1, &err);
    if (R == 0) printf("mpi_trainer: %s\n", f == 0 ? "all checks passed" : "FAILED");
    dist_finalize();
    return f == 0 ? 0 : 1;
}
