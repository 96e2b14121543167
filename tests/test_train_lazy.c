/* test_train_lazy.c — train/optim's lazy embedding rows (LazyRows) against the dense optimizer over many updates:
 * a table with a word embedding of 1,000 rows (chunks of the norm straddling rows), decayed and no-decay tensors;
 * each update gives gradient to a few rows drawn from a skewed distribution (most rows untouched for hundreds of
 * updates, some never) plus a touched row whose gradient is exactly zero; the dense run zeroes, norms, clips and
 * updates every element; the lazy run only the touched rows, with the untouched rows' pure-decay updates replayed.
 * Over 300 updates (the history, cut to 64 updates, fills and is flushed several times), a flush in the middle (a checkpoint), a
 * fresh optimizer continuing from the flushed state (resume), 1 thread (lazy) vs 2 (dense), torch and legacy AdamW,
 * warm-up (lr 0 at the first update), clipping active: every gradient norm equal, and the weights and both moments
 * bit-identical. */
#include "testutil.h"
#include "train/optim.h"
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V 1000
#define C 24
#define UPDATES 300
#define FLUSH_AT 100
#define RESUME_AT 200
#define HIST 64 /* the history's capacity here (1,024 in use): full and flushed every 64 updates */

static void build(ParamSet *ps) {
    paramset_init(ps);
    paramset_add(ps, "embeddings.word_embeddings.weight", V, C);
    paramset_add(ps, "embeddings.LayerNorm.weight", C, 0);
    paramset_add(ps, "encoder.layer.0.attention.self.query.weight", C, C);
    paramset_add(ps, "encoder.layer.0.attention.self.query.bias", C, 0);
    paramset_alloc(ps);
    paramset_alloc_grad(ps);
    paramset_alloc_adam(ps);
}

static uint64_t next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}
static float unit(uint64_t *s) { return (float)((double)(next(s) >> 11) / 9007199254740992.0) * 2.0f - 1.0f; }

/* The rows of update u and their gradients, the same for both runs: rows r = floor(V * x^4) (x uniform: row 0 often,
 * the high rows rarely or never), row 1 with a zero gradient; every other tensor dense. Returns the number of ids. */
static int batch(uint64_t *s, int32_t *ids, ParamSet *ps) {
    int n = 6;
    for (int i = 0; i < n; i++) {
        double x = (double)(next(s) >> 11) / 9007199254740992.0;
        ids[i] = (int32_t)(V * x * x * x * x);
    }
    ids[n++] = 1;
    ids[n++] = ids[0]; /* a repeated id */
    float *wg = paramset_grad(ps, 0);
    for (int i = 0; i < n; i++) {
        if (ids[i] == 1) continue;
        for (int c = 0; c < C; c++) wg[(size_t)ids[i] * C + c] += 0.1f * unit(s);
    }
    for (int k = 1; k < ps->n; k++) {
        float *g = paramset_grad(ps, k);
        for (size_t i = 0; i < ps->t[k].numel; i++) g[i] = 0.05f * unit(s);
    }
    return n;
}

static void run(int legacy) {
    ParamSet dense, lazy;
    build(&dense);
    build(&lazy);
    uint64_t s = 99;
    for (size_t i = 0; i < dense.total; i++) dense.block[i] = 0.05f * unit(&s);
    memcpy(lazy.block, dense.block, dense.total * sizeof(float));
    float *init = malloc(dense.total * sizeof(float));
    memcpy(init, dense.block, dense.total * sizeof(float));
    AdamWConfig ad = adamw_defaults(2e-3);
    ad.hf_legacy = legacy;
    ad.weight_decay = 0.5; /* strong enough that 300 decays move every untouched row visibly */
    LinearSchedule sch = schedule_linear(0.05, UPDATES);
    Optimizer od, ol;
    optim_init(&od, &dense, &ad, sch, 1.0);
    optim_init(&ol, &lazy, &ad, sch, 1.0);
    optim_lazy_init(&ol, &lazy, 0);
    assert_int_equal(ol.lazy.k, 0);
    ol.lazy.cap = HIST;
    uint64_t sd = 7, sl = 7;
    int32_t ids[16];
    int saved = omp_get_max_threads(), clipped = 0;
    for (int u = 1; u <= UPDATES; u++) {
        omp_set_num_threads(2);
        batch(&sd, ids, &dense);
        double nd = grad_global_norm(&od.norm, &dense);
        StepInfo a = optim_step(&od, &dense);
        paramset_zero_grad(&dense);
        omp_set_num_threads(1);
        int n = batch(&sl, ids, &lazy);
        optim_lazy_touch(&ol, &lazy, ids, (size_t)n);
        double nl = grad_global_norm_lazy(&ol.norm, &lazy, &ol.lazy);
        StepInfo b = optim_step_norm(&ol, &lazy, nl);
        optim_zero_grad(&ol, &lazy);
        if (!(nd == nl && a.grad_norm == b.grad_norm && a.lr == b.lr))
            fail_msg("update %d: norm dense %.17g lazy %.17g", u, nd, nl);
        clipped += nd > 1.0;
        if (u == FLUSH_AT) { /* a checkpoint: the weights made whole, equal to the dense ones right now */
            optim_lazy_flush(&ol, &lazy);
            assert_int_equal(ol.lazy.nh, 0);
            assert_memory_equal(lazy.block, dense.block, dense.total * sizeof(float));
        }
        if (u == RESUME_AT) { /* resume: a fresh optimizer over the flushed weights and moments */
            optim_lazy_flush(&ol, &lazy);
            int64_t step = ol.step;
            optim_free(&ol);
            optim_init(&ol, &lazy, &ad, sch, 1.0);
            ol.step = step;
            optim_lazy_init(&ol, &lazy, 0);
            ol.lazy.cap = HIST;
            assert_int_equal(ol.lazy.from, RESUME_AT);
        }
        if (u == RESUME_AT + 2 || u == RESUME_AT - 2) /* the history is in use between flushes */
            assert_true(ol.lazy.nh > 0);
    }
    omp_set_num_threads(saved);
    assert_true(clipped > 10 && clipped < UPDATES); /* clipping was active, and not always */
    /* rows never touched exist and are pending until the flush */
    int never = 0;
    for (int r = 0; r < V; r++) never += !ol.lazy.ever[r];
    assert_true(never > 50);
    optim_lazy_flush(&ol, &lazy);
    size_t bytes = dense.total * sizeof(float);
    assert_memory_equal(lazy.block, dense.block, bytes);
    assert_memory_equal(lazy.adam_m, dense.adam_m, bytes);
    assert_memory_equal(lazy.adam_v, dense.adam_v, bytes);
    for (size_t i = 0; i < lazy.total; i++) assert_true(lazy.grad[i] == 0.0f);
    /* not trivially equal: the never-touched rows decayed (the decay product over 300 updates is far from 1) */
    int moved = 0;
    for (int r = 0; r < V; r++)
        if (!ol.lazy.ever[r]) moved += fabsf(lazy.block[(size_t)r * C]) < 0.999f * fabsf(init[(size_t)r * C]);
    assert_int_equal(moved, never);
    print_message("%s: %d updates, %d rows never touched: lazy (1 thread) = dense (2 threads) bit for bit, "
                  "%d updates clipped\n", legacy ? "transformers.AdamW" : "torch.optim.AdamW", UPDATES, never, clipped);
    optim_free(&od);
    optim_free(&ol);
    paramset_free(&dense);
    paramset_free(&lazy);
    free(init);
}

static void test_lazy_equals_dense_torch(void **state) {
    (void)state;
    run(0);
}

static void test_lazy_equals_dense_legacy(void **state) {
    (void)state;
    run(1);
}

/* The first update touched nothing on most rows: a flush with nothing pending leaves the block as it is; zeroing
 * clears the touched rows only and the touch marks. */
static void test_zero_and_flush(void **state) {
    (void)state;
    ParamSet ps;
    build(&ps);
    AdamWConfig ad = adamw_defaults(1e-3);
    Optimizer o;
    optim_init(&o, &ps, &ad, schedule_linear(0, 10), 1.0);
    optim_lazy_init(&o, &ps, 0);
    for (size_t i = 0; i < ps.total; i++) ps.block[i] = 1.0f;
    optim_lazy_flush(&o, &ps); /* nothing pending */
    for (size_t i = 0; i < ps.total; i++) assert_true(ps.block[i] == 1.0f);
    int32_t ids[3] = {5, 999, 5};
    optim_lazy_touch(&o, &ps, ids, 3);
    assert_int_equal(o.lazy.nlist, 2);
    assert_true(o.lazy.now[5] && o.lazy.now[999] && o.lazy.ever[5] && !o.lazy.ever[6]);
    float *g = paramset_grad(&ps, 0);
    g[5 * C] = 2.0f;
    g[999 * C + C - 1] = 3.0f;
    paramset_grad(&ps, 2)[7] = 4.0f;
    optim_zero_grad(&o, &ps);
    for (size_t i = 0; i < ps.total; i++) assert_true(ps.grad[i] == 0.0f);
    assert_int_equal(o.lazy.nlist, 0);
    assert_true(!o.lazy.now[5] && !o.lazy.now[999]);
    optim_free(&o);
    paramset_free(&ps);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lazy_equals_dense_torch),
        cmocka_unit_test(test_lazy_equals_dense_legacy),
        cmocka_unit_test(test_zero_and_flush),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
