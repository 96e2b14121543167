/* test_core.c — core/: the counter-based RNG's independence from call order, arena bounds,
 * atomic writes, .npy round trip, strict number parsing, error formatting. */
#include "testutil.h"
#include "core/check.h"
#include "core/mem.h"
#include "core/rng.h"
#include "core/text.h"
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
    /* the parallel fill equals a serial fill in reverse order */
    rng_fill_normal(a, N, 0.0f, 0.02f, 1, 0);
    for (int i = N - 1; i >= 0; i--) b[i] = 0.0f + 0.02f * rng_normal(1, 0, 0, (uint64_t)i);
    assert_memory_equal(a, b, N * sizeof(float));
    int kept = 0;
    for (int i = 0; i < N; i++) kept += rng_uniform(42, 7, 3, (uint64_t)i) >= 0.1f;
    assert_true(kept > 8800 && kept < 9200); /* a dropout mask with p = 0.1 */
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

/* core/text: Python's strict UTF-8 decoder, str.isspace and str.strip (expected values from CPython:
 * bytes.decode("utf-8") raising at the offset given, "...".strip()). */
static void test_text(void **state) {
    (void)state;
    assert_int_equal(utf8_first_invalid("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10), -1);
    assert_int_equal(utf8_first_invalid("ab\0c", 4), -1);                  /* NUL is valid UTF-8 */
    assert_int_equal(utf8_first_invalid("x\xc0\x80", 3), 1);               /* overlong */
    assert_int_equal(utf8_first_invalid("0123456789\xed\xa0\x80", 13), 10); /* surrogate, after the fast path */
    assert_int_equal(utf8_first_invalid("\xf4\x90\x80\x80", 4), 0);        /* > U+10FFFF */
    assert_int_equal(utf8_first_invalid("ab\xe2\x82", 4), 2);              /* truncated */
    assert_int_equal(utf8_first_invalid("a\x80", 2), 1);                   /* stray continuation */
    size_t k;
    assert_int_equal(utf8_decode("\xe2\x82\xac", 3, &k), 0x20AC);
    assert_int_equal(k, 3);
    assert_int_equal(utf8_decode("\xe2\x82", 2, &k), 0xFFFD);
    assert_int_equal(k, 1);
    long line;
    size_t col;
    text_position("ab\ncd\nef", 7, &line, &col);
    assert_int_equal(line, 3);
    assert_int_equal(col, 2);
    int n_space = 0;
    for (uint32_t c = 0; c < 0x110000; c++) n_space += text_isspace(c);
    assert_int_equal(n_space, 29); /* sum(chr(c).isspace() for c in range(0x110000)) */
    assert_false(text_isspace(0x200B));
    assert_true(text_isspace(0x1F) && text_isspace(0x3000));
    /* "\u3000\x85 a\xa0b \u200b\u2028".strip() == "a\xa0b \u200b" */
    const char *s = "\xe3\x80\x80\xc2\x85 a\xc2\xa0" "b \xe2\x80\x8b\xe2\x80\xa8";
    size_t n = strlen(s);
    const char *b = text_strip(s, &n);
    assert_int_equal(b - s, 6);
    assert_int_equal(n, 8);
    assert_memory_equal(b, "a\xc2\xa0" "b \xe2\x80\x8b", 8);
    n = 3;
    text_strip(" \t\n", &n);
    assert_int_equal(n, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_known_answer), cmocka_unit_test(test_rng_order_independent),
        cmocka_unit_test(test_arena), cmocka_unit_test(test_npy_and_atomic), cmocka_unit_test(test_parse_and_err),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
