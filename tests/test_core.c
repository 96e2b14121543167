/* test_core.c — core/: the counter-based RNG's independence from call order, arena bounds,
 * atomic writes, .npy round trip, strict number parsing, error formatting. */
#include "testutil.h"
#include "core/check.h"
#include "core/mem.h"
#include "core/rng.h"
#include "core/util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_philox_known_answer(void **state) {
    (void)state;
    /* Random123's published known-answer vector for philox4x32-10 with counter = key = 0. */
    Philox4 r = philox4x32(0, 0, 0, 0, 0);
    assert_int_equal(r.v[0], 0x6627e8d5u);
    assert_int_equal(r.v[1], 0xe169c58du);
    assert_int_equal(r.v[2], 0xbc57ac4cu);
    assert_int_equal(r.v[3], 0x9b00dbd8u);
}

static void test_rng_order_independent(void **state) {
    (void)state;
    enum { N = 10000 };
    float *a = xmalloc(N * sizeof(float)), *b = xmalloc(N * sizeof(float));
    rng_dropout_mask(a, N, 0.1f, 42, 7, 3);
    for (int i = N - 1; i >= 0; i--) b[i] = rng_uniform(42, 7, 3, (uint64_t)i) >= 0.1f ? 1.0f / 0.9f : 0.0f;
    assert_memory_equal(a, b, N * sizeof(float));
    int kept = 0;
    for (int i = 0; i < N; i++) kept += a[i] != 0;
    assert_true(kept > 8800 && kept < 9200); /* p = 0.1 */
    rng_fill_normal(a, N, 0.0f, 0.02f, 1, 0);
    double s = 0, s2 = 0;
    for (int i = 0; i < N; i++) { s += a[i]; s2 += (double)a[i] * a[i]; }
    assert_true(fabs(s / N) < 0.002);
    assert_true(fabs(sqrt(s2 / N) - 0.02) < 0.002);
    free(a);
    free(b);
}

static void test_arena(void **state) {
    (void)state;
    Arena a;
    arena_init(&a, 1024);
    float *x = arena_floats(&a, 10), *y = arena_floats(&a, 10);
    assert_true(((uintptr_t)x & 63) == 0 && ((uintptr_t)y & 63) == 0);
    assert_true(y >= x + 10);
    arena_reset(&a);
    assert_ptr_equal(arena_floats(&a, 1), x);
    arena_free(&a);
}

static void test_npy_and_atomic(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    char path[1100];
    snprintf(path, sizeof path, "%s/x.npy", dir);
    float v[6] = {1, -2, 3.5f, 0, 1e-8f, 7};
    XsErr err = {0};
    assert_int_equal(npy_write_f32(path, v, 2, 3, &err), 0);
    size_t r = 0, c = 0;
    float *w = npy_read_f32(path, &r, &c, &err);
    assert_non_null(w);
    assert_int_equal(r, 2);
    assert_int_equal(c, 3);
    assert_memory_equal(v, w, sizeof v);
    free(w);
    /* no temp file left behind */
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    assert_int_equal(access(tmp, F_OK), -1);
    /* a truncated file is an error naming the file */
    size_t len;
    char *buf = file_read_all(path, &len, &err);
    assert_int_equal(file_write_atomic(path, buf, len - 4, &err), 0);
    free(buf);
    assert_null(npy_read_f32(path, &r, &c, &err));
    assert_non_null(strstr(err.msg, "x.npy"));
    assert_non_null(strstr(err.msg, "does not match shape"));
    tu_rmtree(dir);
    free(dir);
}

static void test_parse_and_err(void **state) {
    (void)state;
    long v;
    double d;
    assert_int_equal(parse_long("123", &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(parse_long("12x", &v), -1);
    assert_int_equal(parse_long("", &v), -1);
    assert_int_equal(parse_double("1e-3", &d), 0);
    assert_int_equal(parse_double("0.5 ", &d), -1);
    XsErr e = {0};
    assert_int_equal(err_set(&e, "dev.tsv", 118, "expected %d fields, found %d", 3, 2), -1);
    assert_string_equal(e.msg, "dev.tsv:118: expected 3 fields, found 2");
    err_prefix(&e, "loading task: ");
    assert_string_equal(e.msg, "loading task: dev.tsv:118: expected 3 fields, found 2");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_known_answer), cmocka_unit_test(test_rng_order_independent),
        cmocka_unit_test(test_arena), cmocka_unit_test(test_npy_and_atomic), cmocka_unit_test(test_parse_and_err),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
