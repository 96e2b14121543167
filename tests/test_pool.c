/* test_pool.c — model/pool: mean pooling ignores padding (values and amount), counts every token,
 * cls takes the first token, backward is the exact gradient of the (linear) forward, L2 norm.
 * Agreement with HF/XTREME end to end (real tokenizer, real model forward) is tests/cli_encode.sh. */
#include "testutil.h"
#include "core/mem.h"
#include "core/rng.h"
#include "model/pool.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { B = 3, T = 9, C = 5 };
static const int LENS[B] = {9, 4, 1};

static void fill(float *h, float *mask, uint64_t seed) {
    rng_fill_normal(h, (size_t)B * T * C, 0.0f, 1.0f, seed, 0);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) mask[b * T + t] = t < LENS[b] ? 1.0f : 0.0f;
}

static void test_parse(void **state) {
    (void)state;
    PoolKind k;
    assert_int_equal(pool_parse("mean", &k), 0);
    assert_int_equal(k, POOL_MEAN);
    assert_int_equal(pool_parse("cls", &k), 0);
    assert_int_equal(k, POOL_CLS);
    assert_int_equal(pool_parse("max", &k), -1);
    assert_int_equal(pool_parse("", &k), -1);
    assert_int_equal(pool_parse("Mean", &k), -1);
    assert_string_equal(pool_name(POOL_CLS), "cls");
}

/* Mean of row b equals the mean of its unpadded slice pooled alone, whatever sits in the padding. */
static void test_mean_ignores_padding(void **state) {
    (void)state;
    float *h = xmalloc(sizeof(float) * B * T * C), *mask = xmalloc(sizeof(float) * B * T);
    float out[B * C], out2[B * C];
    fill(h, mask, 11);
    pool_forward(POOL_MEAN, h, mask, B, T, C, out);
    for (int b = 0; b < B; b++)
        for (int t = LENS[b]; t < T; t++)
            for (int c = 0; c < C; c++) h[(b * T + t) * C + c] = 1e6f * (float)(t + 1);
    pool_forward(POOL_MEAN, h, mask, B, T, C, out2);
    assert_int_equal(tu_compare("mean, padding changed", out2, out, B * C, 0, 0), 0);
    for (int b = 0; b < B; b++) {
        float alone[C];
        pool_forward(POOL_MEAN, h + (size_t)b * T * C, NULL, 1, LENS[b], C, alone);
        assert_int_equal(tu_compare("mean, row alone", alone, out + b * C, C, 1e-6, 1e-6), 0);
    }
    /* Length 1: the mean is that token itself (specials count as tokens: nothing is dropped). */
    assert_int_equal(tu_compare("mean of one token", out + 2 * C, h + 2 * T * C, C, 0, 0), 0);
    free(h);
    free(mask);
}

/* Mean against an independent double-precision sum, with a NULL mask = all T tokens. */
static void test_mean_value(void **state) {
    (void)state;
    float *h = xmalloc(sizeof(float) * B * T * C), *mask = xmalloc(sizeof(float) * B * T);
    float out[B * C], ref[B * C];
    fill(h, mask, 12);
    pool_forward(POOL_MEAN, h, NULL, B, T, C, out);
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            double s = 0;
            for (int t = 0; t < T; t++) s += h[(b * T + t) * C + c];
            ref[b * C + c] = (float)(s / T);
        }
    assert_int_equal(tu_compare("mean, all tokens", out, ref, B * C, 1e-6, 1e-5), 0);
    free(h);
    free(mask);
}

static void test_cls(void **state) {
    (void)state;
    float *h = xmalloc(sizeof(float) * B * T * C), *mask = xmalloc(sizeof(float) * B * T);
    float out[B * C];
    fill(h, mask, 13);
    pool_forward(POOL_CLS, h, mask, B, T, C, out);
    for (int b = 0; b < B; b++) assert_memory_equal(out + b * C, h + (size_t)b * T * C, C * sizeof(float));
    free(h);
    free(mask);
}

/* Pooling is linear, so for loss = sum(out * R) a central difference is exact up to rounding:
 * compare the analytic gradient with it, element by element. */
static void test_backward(void **state) {
    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        float *h = xmalloc(sizeof(float) * B * T * C), *mask = xmalloc(sizeof(float) * B * T);
        float *dh = xcalloc((size_t)B * T * C, sizeof(float)), *fd = xcalloc((size_t)B * T * C, sizeof(float));
        float R[B * C], out[B * C];
        fill(h, mask, 14);
        rng_fill_normal(R, B * C, 0.0f, 1.0f, 15, 0);
        pool_backward((PoolKind)kind, R, mask, B, T, C, dh);
        for (size_t i = 0; i < (size_t)B * T * C; i++) {
            float keep = h[i];
            double lp = 0, lm = 0;
            h[i] = keep + 0.5f;
            pool_forward((PoolKind)kind, h, mask, B, T, C, out);
            for (int j = 0; j < B * C; j++) lp += (double)out[j] * R[j];
            h[i] = keep - 0.5f;
            pool_forward((PoolKind)kind, h, mask, B, T, C, out);
            for (int j = 0; j < B * C; j++) lm += (double)out[j] * R[j];
            h[i] = keep;
            fd[i] = (float)(lp - lm);
        }
        assert_int_equal(tu_compare(kind ? "cls backward" : "mean backward", dh, fd, B * T * C, 1e-5, 1e-4), 0);
        /* backward accumulates */
        pool_backward((PoolKind)kind, R, mask, B, T, C, dh);
        for (size_t i = 0; i < (size_t)B * T * C; i++) fd[i] *= 2;
        assert_int_equal(tu_compare("backward accumulates", dh, fd, B * T * C, 1e-5, 1e-4), 0);
        free(h); free(mask); free(dh); free(fd);
    }
}

static void test_l2(void **state) {
    (void)state;
    float x[3 * C], y[3 * C];
    rng_fill_normal(x, 3 * C, 0.0f, 3.0f, 16, 0);
    for (int c = 0; c < C; c++) x[2 * C + c] = 0.0f;
    memcpy(y, x, sizeof x);
    pool_l2_normalize(y, 3, C);
    for (int r = 0; r < 2; r++) {
        double n = 0, dot = 0, nx = 0;
        for (int c = 0; c < C; c++) { n += (double)y[r * C + c] * y[r * C + c]; dot += (double)y[r * C + c] * x[r * C + c]; nx += (double)x[r * C + c] * x[r * C + c]; }
        assert_true(fabs(n - 1.0) < 1e-6);
        assert_true(fabs(dot - sqrt(nx)) < 1e-5 * sqrt(nx)); /* same direction */
    }
    for (int c = 0; c < C; c++) assert_true(y[2 * C + c] == 0.0f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),         cmocka_unit_test(test_mean_ignores_padding),
        cmocka_unit_test(test_mean_value),    cmocka_unit_test(test_cls),
        cmocka_unit_test(test_backward),      cmocka_unit_test(test_l2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
