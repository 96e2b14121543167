/* test_safetensors.c — model/safetensors: F16/BF16 -> F32 bit-exact against torch's conversion
 * (fixtures from tools/gen_model_fixtures.py), every malformed-file error, and the F32 writer. */
#include "testutil.h"
#include "core/check.h"
#include "core/mem.h"
#include "core/rng.h"
#include "core/util.h"
#include "model/safetensors.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *g_dir;

static int setup(void **state) {
    (void)state;
    g_dir = tu_tmpdir();
    return g_dir ? 0 : -1;
}
static int teardown(void **state) {
    (void)state;
    tu_rmtree(g_dir);
    free(g_dir);
    return 0;
}

static float *read_all(const SafeTensors *st, const char *name, size_t *n) {
    const StTensor *t = st_find(st, name);
    assert_non_null(t);
    *n = st_numel(t);
    float *x = xmalloc((*n ? *n : 1) * sizeof(float));
    XsErr e = {0};
    assert_int_equal(st_read_f32(st, t, x, &e), 0);
    return x;
}

/* Bit patterns: all subnormals, +-0, +-inf, quiet and signalling NaNs, every 7th pattern. */
static void test_special_values_match_torch(void **state) {
    (void)state;
    SafeTensors st;
    XsErr e = {0};
    assert_int_equal(st_open(tu_fixture("model_io/special.safetensors"), &st, &e), 0);
    const char *pairs[2][2] = {{"h", "h_ref"}, {"b", "b_ref"}};
    for (int k = 0; k < 2; k++) {
        size_t n, nr;
        float *got = read_all(&st, pairs[k][0], &n), *ref = read_all(&st, pairs[k][1], &nr);
        assert_int_equal(n, nr);
        assert_true(n > 9000);
        size_t bad = 0, nans = 0;
        for (size_t i = 0; i < n; i++) {
            /* NaN payloads: torch's vectorised path (F16C) keeps them, its scalar tail loop
             * canonicalises to 0x7fffffff, so the reference itself is inconsistent: NaN == NaN. */
            if (isnan(ref[i]) && isnan(got[i])) { nans++; continue; }
            if (memcmp(&got[i], &ref[i], 4) != 0) {
                uint32_t g, r;
                memcpy(&g, &got[i], 4);
                memcpy(&r, &ref[i], 4);
                if (bad++ < 5) printf("%s[%zu]: got 0x%08x, torch 0x%08x\n", pairs[k][0], i, g, r);
            }
        }
        printf("%s: %zu values (%zu NaN), %zu differ from torch bitwise\n", pairs[k][0], n, nans, bad);
        assert_true(nans >= 10);
        assert_int_equal(bad, 0);
        free(got);
        free(ref);
    }
    st_close(&st);
}

/* Every tensor of a half / bfloat16 save_pretrained equals torch's .float() of it, bit for bit. */
static void check_lowp_model(const char *dir, StDtype want) {
    char p1[256], p2[256];
    snprintf(p1, sizeof p1, "%s/model.safetensors", tu_fixture(dir));
    snprintf(p2, sizeof p2, "%s/ref.safetensors", tu_fixture(dir));
    SafeTensors st, ref;
    XsErr e = {0};
    assert_int_equal(st_open(p1, &st, &e), 0);
    assert_int_equal(st_open(p2, &ref, &e), 0);
    assert_string_equal(st_meta(&st, "format"), "pt");
    int checked = 0;
    for (int i = 0; i < ref.n; i++) {
        const StTensor *t = st_find(&st, ref.t[i].name);
        assert_non_null(t);
        assert_int_equal(t->dtype, want);
        size_t n, nr;
        float *a = read_all(&st, t->name, &n), *b = read_all(&ref, t->name, &nr);
        assert_int_equal(n, nr);
        assert_memory_equal(a, b, n * sizeof(float));
        free(a);
        free(b);
        checked++;
    }
    printf("%s: %d tensors bit-identical to torch's float32 conversion\n", dir, checked);
    assert_true(checked >= 37);
    st_close(&st);
    st_close(&ref);
}
static void test_f16_model_matches_torch(void **state) { (void)state; check_lowp_model("model_io/xlmr_f16", ST_F16); }
static void test_bf16_model_matches_torch(void **state) { (void)state; check_lowp_model("model_io/xlmr_bf16", ST_BF16); }

/* A file made of an 8-byte length, a header (hlen_override > 0 lies about its length), data. */
static const char *write_raw(const char *name, const char *hdr, long long hlen_override, size_t data_len) {
    static char path[1100];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint64_t hl = hlen_override > 0 ? (uint64_t)hlen_override : strlen(hdr);
    fwrite(&hl, 8, 1, f);
    fwrite(hdr, 1, strlen(hdr), f);
    for (size_t i = 0; i < data_len; i++) fputc((int)(i & 0xff), f);
    fclose(f);
    return path;
}

static void expect_open_error(const char *path, const char *needle) {
    SafeTensors st;
    XsErr e = {0};
    int rc = st_open(path, &st, &e);
    printf("  %s -> %s\n", needle, rc ? e.msg : "(opened!)");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(e.msg, needle));
    assert_non_null(strstr(e.msg, path)); /* the message names the file */
}

static void test_bad_files(void **state) {
    (void)state;
    const char *a8 = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    char h[512];
    /* truncated: a valid file cut short */
    size_t len;
    XsErr e = {0};
    char *good = file_read_all(tu_fixture("model_io/xlmr_model/model.safetensors"), &len, &e);
    assert_non_null(good);
    char path[1100];
    snprintf(path, sizeof path, "%s/cut.safetensors", g_dir);
    assert_int_equal(file_write_atomic(path, good, len - 100, &e), 0);
    expect_open_error(path, "truncated");
    assert_int_equal(file_write_atomic(path, good, 5, &e), 0);
    expect_open_error(path, "truncated");
    free(good);

    snprintf(h, sizeof h, "{%s", a8);
    expect_open_error(write_raw("json.st", h, 0, 8), "malformed header JSON");
    snprintf(h, sizeof h, "{%s,%s}", a8, a8);
    expect_open_error(write_raw("dup.st", h, 0, 8), "duplicate");
    expect_open_error(write_raw("arr.st", "[1, 2]", 0, 8), "expected a JSON object");
    snprintf(h, sizeof h, "{%s}", a8);
    expect_open_error(write_raw("hlen.st", h, 100000, 8), "exceeds the file");
    expect_open_error(write_raw("dtype.st", "{\"a\":{\"dtype\":\"F12\",\"shape\":[2],\"data_offsets\":[0,8]}}", 0, 8),
                      "unknown dtype \"F12\"");
    expect_open_error(write_raw("range.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 0, 8),
                      "go past the end of the data section");
    expect_open_error(write_raw("order.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 0, 8),
                      "begin <= end");
    expect_open_error(write_raw("overlap.st",
                                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                                0, 12),
                      "overlap");
    expect_open_error(write_raw("size.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 0, 8),
                      "expected [3] x F32");
    expect_open_error(write_raw("gap.st",
                                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}",
                                0, 20),
                      "contiguous");
    snprintf(h, sizeof h, "{%s}", a8);
    expect_open_error(write_raw("tail.st", h, 0, 12), "the data section has 12 bytes but the tensors cover 8");
    expect_open_error(write_raw("neg.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 0, 8),
                      "non-negative");
    expect_open_error(write_raw("noofs.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 0, 8), "data_offsets");
    expect_open_error(write_raw("meta.st", "{\"__metadata__\":{\"format\":1}}", 0, 0), "__metadata__");
    expect_open_error(write_raw("huge.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,8],\"data_offsets\":[0,8]}}", 0, 8),
                      "overflow");
    snprintf(path, sizeof path, "%s/none.st", g_dir);
    expect_open_error(path, "cannot open");

    /* a valid file whose tensor is not a float: st_read_f32 refuses it by name */
    SafeTensors st;
    const char *ok = write_raw("i64.st", "{\"__metadata__\":{\"format\":\"pt\"},\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 0, 8);
    assert_int_equal(st_open(ok, &st, &e), 0);
    assert_int_equal(st.n, 1);
    float x;
    assert_int_equal(st_read_f32(&st, &st.t[0], &x, &e), -1);
    assert_non_null(strstr(e.msg, "'ids': dtype I64, expected a float type"));
    st_close(&st);
}

static void test_write_roundtrip(void **state) {
    (void)state;
    float a[6] = {1.5f, -2, 0, 1e-40f, 3e38f, -0.0f}, b[3] = {7, 8, 9}, s = 42;
    StWriteItem items[4] = {
        {.name = "w", .data = a, .ndim = 2, .shape = {2, 3}},
        {.name = "bias", .data = b, .ndim = 1, .shape = {3}},
        {.name = "empty", .data = NULL, .ndim = 2, .shape = {0, 5}},
        {.name = "scalar", .data = &s, .ndim = 0},
    };
    char p1[1100], p2[1100];
    snprintf(p1, sizeof p1, "%s/w1.safetensors", g_dir);
    snprintf(p2, sizeof p2, "%s/w2.safetensors", g_dir);
    XsErr e = {0};
    assert_int_equal(st_write_f32(p1, items, 4, &e), 0);
    assert_int_equal(st_write_f32(p2, items, 4, &e), 0);
    size_t n1, n2;
    char *f1 = file_read_all(p1, &n1, &e), *f2 = file_read_all(p2, &n2, &e);
    assert_int_equal(n1, n2);
    assert_memory_equal(f1, f2, n1); /* deterministic bytes */
    uint64_t hl;
    memcpy(&hl, f1, 8);
    assert_int_equal(hl % 8, 0); /* header padded to 8 like the reference writer */
    free(f1);
    free(f2);
    SafeTensors st;
    assert_int_equal(st_open(p1, &st, &e), 0);
    assert_int_equal(st.n, 4);
    assert_string_equal(st_meta(&st, "format"), "pt");
    const StTensor *t = st_find(&st, "w");
    assert_non_null(t);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], 2);
    assert_int_equal(t->shape[1], 3);
    float got[6];
    assert_int_equal(st_read_f32(&st, t, got, &e), 0);
    assert_memory_equal(got, a, sizeof a);
    t = st_find(&st, "scalar");
    assert_int_equal(t->ndim, 0);
    assert_int_equal(st_read_f32(&st, t, got, &e), 0);
    assert_true(got[0] == 42.0f);
    assert_int_equal(st_numel(st_find(&st, "empty")), 0);
    assert_null(st_find(&st, "nope"));
    st_close(&st);
    /* an unwritable path is an error, not a crash, and leaves no temp file behind */
    assert_int_equal(st_write_f32("/nonexistent-dir/x.safetensors", items, 1, &e), -1);
    assert_non_null(strstr(e.msg, "cannot create"));
}

/* Never crash on bad input: 3000 deterministic mutations (byte flips, truncations, digits
 * changed) of a real file must each open cleanly or fail with a message naming the file; what
 * opens must read. Run under ASan by `make asan`. */
static void test_mutations_never_crash(void **state) {
    (void)state;
    size_t len;
    XsErr e = {0};
    char *good = file_read_all(tu_fixture("model_io/xlmr_f16/model.safetensors"), &len, &e);
    assert_non_null(good);
    uint64_t hl;
    memcpy(&hl, good, 8);
    char *buf = xmalloc(len);
    char path[1100];
    snprintf(path, sizeof path, "%s/mut.safetensors", g_dir);
    int opened = 0, refused = 0;
    for (uint32_t it = 0; it < 3000; it++) {
        memcpy(buf, good, len);
        size_t n = len;
        uint32_t kind = (uint32_t)(rng_uniform(9, 1, it, 0) * 4);
        size_t pos = (size_t)(rng_uniform(9, 2, it, 0) * (float)(8 + hl)); /* inside length + header */
        if (pos >= len) pos = len - 1;
        if (kind == 0) buf[pos] = (char)(rng_uniform(9, 3, it, 0) * 256);
        else if (kind == 1) n = pos;                                  /* truncate */
        else if (kind == 2 && buf[pos] >= '0' && buf[pos] <= '9') buf[pos] = (char)('0' + (buf[pos] - '0' + 1 + it % 9) % 10);
        else buf[pos] ^= 0x20;
        unlink(path);                /* a fresh inode: truncating one under writeback can block */
        FILE *f = fopen(path, "wb"); /* plain write: no fsync per iteration */
        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, n, f), n);
        fclose(f);
        SafeTensors st;
        XsErr me = {0};
        if (st_open(path, &st, &me) == 0) {
            opened++;
            for (int i = 0; i < st.n; i++) {
                size_t k = st_numel(&st.t[i]);
                float *x = xmalloc((k ? k : 1) * sizeof(float));
                XsErr re = {0};
                if (st_read_f32(&st, &st.t[i], x, &re)) assert_non_null(strstr(re.msg, "expected a float type"));
                free(x);
            }
            st_close(&st);
        } else {
            refused++;
            assert_non_null(strstr(me.msg, path));
        }
    }
    printf("mutations: %d opened, %d refused with a message\n", opened, refused);
    assert_true(refused > 1000);
    free(buf);
    free(good);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_special_values_match_torch),
        cmocka_unit_test(test_f16_model_matches_torch),
        cmocka_unit_test(test_bf16_model_matches_torch),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_write_roundtrip),
        cmocka_unit_test(test_mutations_never_crash),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
