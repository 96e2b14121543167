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
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

/* philox4x32_many (8 lanes at once, an AVX2 clone where the CPU has one) gives philox4x32's values for every
 * count, including counters that carry into the high word. */
static void test_philox_many(void **state) {
    (void)state;
    uint32_t out[4 * 41];
    const uint64_t starts[] = {0, 5, 0xFFFFFFFFull - 3, 0x123456789ull};
    for (int s = 0; s < 4; s++)
        for (int n = 1; n <= 41; n += 4) {
            philox4x32_many(0xDEADBEEF12345ull, starts[s], 7, 3, n, out);
            for (int j = 0; j < n; j++) {
                uint64_t c = starts[s] + (uint64_t)j;
                Philox4 r = philox4x32(0xDEADBEEF12345ull, (uint32_t)c, (uint32_t)(c >> 32), 7, 3);
                assert_memory_equal(out + 4 * j, r.v, sizeof r.v);
            }
        }
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

/* A character device to write to: as root a fresh node in dir (a regression must not replace the
 * machine's /dev/null or /dev/full), otherwise the system's one (which a non-root user cannot replace). */
static const char *char_dev(const char *dir, const char *name, unsigned minor, char *buf, size_t cap) {
    snprintf(buf, cap, "/dev/%s", name);
    if (geteuid() != 0) return buf;
    snprintf(buf, cap, "%s/%s", dir, name);
    assert_int_equal(mknod(buf, S_IFCHR | 0666, makedev(1, minor)), 0);
    return buf;
}

/* Outputs (issue 12 item 1): only a regular file (or nothing) is replaced by temp + rename; a
 * symbolic link is written through, a FIFO / device in place, a folder refused. */
static void test_atomic_targets(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    char real[1100], link[1100], fifo[1100], sub[1100];
    snprintf(real, sizeof real, "%s/real.txt", dir);
    snprintf(link, sizeof link, "%s/link.txt", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    XsErr err = {0};
    struct stat sb;
    /* a symbolic link: the link stays, its target gets the bytes */
    assert_int_equal(file_write_atomic(real, "old", 3, &err), 0);
    assert_int_equal(symlink("real.txt", link), 0);
    assert_int_equal(file_write_atomic(link, "new!", 4, &err), 0);
    assert_int_equal(lstat(link, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    size_t n;
    char *got = file_read_all(real, &n, &err);
    assert_non_null(got);
    assert_int_equal(n, 4);
    assert_memory_equal(got, "new!", 4);
    free(got);
    /* a FIFO: written in place, its reader gets the bytes, the FIFO stays a FIFO */
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int rfd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(rfd >= 0);
    assert_int_equal(file_write_atomic(fifo, "piped", 5, &err), 0);
    char buf[16] = {0};
    assert_int_equal(read(rfd, buf, sizeof buf), 5);
    assert_memory_equal(buf, "piped", 5);
    close(rfd);
    assert_int_equal(lstat(fifo, &sb), 0);
    assert_true(S_ISFIFO(sb.st_mode));
    /* a character device: /dev/null takes the bytes and stays a device; /dev/full reports ENOSPC */
    char nb[1200], fb[1200];
    const char *dnull = char_dev(dir, "null", 3, nb, sizeof nb), *dfull = char_dev(dir, "full", 7, fb, sizeof fb);
    assert_int_equal(file_write_atomic(dnull, "x", 1, &err), 0);
    assert_int_equal(stat(dnull, &sb), 0);
    assert_true(S_ISCHR(sb.st_mode));
    float v[2] = {1, 2};
    err_clear(&err);
    assert_int_equal(npy_write_f32(dfull, v, 1, 2, &err), -1);
    assert_non_null(strstr(err.msg, "full: write failed: No space left on device"));
    assert_int_equal(stat(dfull, &sb), 0);
    assert_true(S_ISCHR(sb.st_mode));
    /* a folder is refused by name; a missing folder names the output, not the temp file */
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(file_write_atomic(sub, "x", 1, &err), -1);
    assert_non_null(strstr(err.msg, "is a directory"));
    char missing[1200];
    snprintf(missing, sizeof missing, "%s/nope/out.txt", dir);
    assert_int_equal(file_write_atomic(missing, "x", 1, &err), -1);
    assert_null(strstr(err.msg, ".tmp."));
    assert_non_null(strstr(err.msg, "nope/out.txt: cannot create: its folder does not exist"));
    assert_int_equal(out_check(missing, &err), -1);
    assert_non_null(strstr(err.msg, "does not exist"));
    assert_int_equal(out_check(sub, &err), -1);
    assert_int_equal(out_check(link, &err), 0);
    assert_int_equal(out_check("-", &err), 0);
    /* a dangling link is refused, never replaced */
    char dangling[1200];
    snprintf(dangling, sizeof dangling, "%s/dangling", dir);
    assert_int_equal(symlink("no-such-file", dangling), 0);
    assert_int_equal(file_write_atomic(dangling, "x", 1, &err), -1);
    assert_int_equal(lstat(dangling, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    tu_rmtree(dir);
    free(dir);
}

/* a .npy v1.0 file with this header dict and `data` bytes after it */
static void write_npy_raw(const char *path, const char *dict, size_t data) {
    char hdr[256];
    int n = snprintf(hdr, sizeof hdr, "%s", dict);
    size_t pad = (64 - (10 + (size_t)n + 1) % 64) % 64;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    unsigned hl = (unsigned)((size_t)n + pad + 1);
    fputc((int)(hl & 0xff), f);
    fputc((int)(hl >> 8), f);
    fwrite(hdr, 1, (size_t)n, f);
    for (size_t i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    for (size_t i = 0; i < data; i++) fputc(0, f);
    fclose(f);
}

/* Issue 12 item 8: messages say what is wrong: a folder, a 3-D shape, a negative dimension. */
static void test_read_messages(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    char p[1100];
    size_t r, c, n;
    XsErr err = {0};
    assert_null(npy_read_f32(dir, &r, &c, &err));
    assert_non_null(strstr(err.msg, ": is a directory; expected a file"));
    assert_null(file_read_all(dir, &n, &err));
    assert_non_null(strstr(err.msg, ": is a directory; expected a file"));
    snprintf(p, sizeof p, "%s/a.npy", dir);
    write_npy_raw(p, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", 96);
    assert_null(npy_read_f32(p, &r, &c, &err));
    assert_non_null(strstr(err.msg, "expected a 1-D or 2-D array, found shape (2, 3, 4) (3 dimensions)"));
    write_npy_raw(p, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }", 16);
    assert_null(npy_read_f32(p, &r, &c, &err));
    assert_non_null(strstr(err.msg, "expected non-negative dimensions in the .npy shape, found (-1, 4)"));
    assert_null(strstr(err.msg, "18446744073709551615"));
    write_npy_raw(p, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4);
    assert_null(npy_read_f32(p, &r, &c, &err));
    assert_non_null(strstr(err.msg, "found shape ()"));
    write_npy_raw(p, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 12);
    float *v = npy_read_f32(p, &r, &c, &err);
    assert_non_null(v);
    assert_int_equal(r, 3);
    assert_int_equal(c, 1);
    free(v);
    write_npy_raw(p, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 12);
    assert_null(npy_read_f32(p, &r, &c, &err));
    assert_non_null(strstr(err.msg, "data size 12 bytes does not match shape (2, 2) (16 bytes of <f4)"));
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
    /* issue 12 items 2-3: NaN, Inf, overflow and leading space are not numbers here */
    assert_int_equal(parse_double("nan", &d), -1);
    assert_int_equal(parse_double("-inf", &d), -1);
    assert_int_equal(parse_double("1e999", &d), -1);
    assert_int_equal(parse_double(" 1", &d), -1);
    assert_int_equal(parse_long(" 1", &v), -1);
    assert_int_equal(parse_long("-3", &v), 0);
    assert_int_equal(v, -3);
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

/* xgrow: capacity doubles from `first`, contents survive every move, no growth while n < cap. */
static void test_xgrow(void **state) {
    (void)state;
    int *v = NULL;
    size_t cap = 0;
    for (size_t n = 0; n < 1000; n++) {
        v = xgrow(v, &cap, n, sizeof *v, 4);
        assert_true(cap > n);
        v[n] = (int)n * 3;
    }
    assert_int_equal(cap, 1024);
    for (size_t n = 0; n < 1000; n++) assert_int_equal(v[n], (int)n * 3);
    int *same = xgrow(v, &cap, 10, sizeof *v, 4);
    assert_ptr_equal(same, v);
    assert_int_equal(cap, 1024);
    free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_known_answer), cmocka_unit_test(test_philox_many),
        cmocka_unit_test(test_rng_order_independent),
        cmocka_unit_test(test_arena), cmocka_unit_test(test_npy_and_atomic), cmocka_unit_test(test_atomic_targets), cmocka_unit_test(test_read_messages), cmocka_unit_test(test_parse_and_err),
        cmocka_unit_test(test_text), cmocka_unit_test(test_xgrow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
