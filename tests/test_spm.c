/* test_spm.c — tok/spm*.c against the python sentencepiece library (goldens of
 * tools/gen_spm_goldens.py for the BPE and byte-fallback unigram models of tools/train_spm_models.sh),
 * plus the model reader's handling of truncated / corrupt / extended protobufs, invalid UTF-8, and
 * the offsets (each token's span normalizes back to its piece). XLM-R ids are test_tokenizer.c's. */
#include "testutil.h"
#include "spm_golden.h"
#include "tok/encoding.h"
#include "tok/spm.h"
#include "tok/spm_internal.h" /* test_unused_pieces re-types pieces */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static SpmModel *load(const char *rel) {
    XsErr err;
    err_clear(&err);
    SpmModel *m = spm_load(tu_fixture(rel), &err);
    if (!m) fprintf(stderr, "%s\n", err.msg);
    assert_non_null(m);
    return m;
}

/* Raw spm ids of every golden line ("@N" then the ids of input line N). */
static void check_raw_goldens(const char *model, const char *ids) {
    SpmModel *m = load(model);
    GoldInputs in;
    gold_inputs_load(&in);
    GoldLines g;
    gold_lines_load(&g, tu_fixture(ids));
    Encoding e;
    encoding_init(&e);
    int compared = 0, bad = 0;
    for (int i = 0; i + 1 < g.n; i += 2) {
        int ln = 0;
        assert_int_equal(sscanf(g.line[i], "@%d", &ln), 1);
        assert_true(ln >= 1 && ln <= in.n);
        XsErr err;
        err_clear(&err);
        encoding_clear(&e);
        int rc = spm_encode(m, in.line[ln - 1], in.len[ln - 1], &e, &err);
        if (rc) fprintf(stderr, "line %d: %s\n", ln, err.msg);
        assert_int_equal(rc, 0);
        if (!gold_match(g.line[i + 1], g.len[i + 1], e.ids, e.n, ids, ln, bad < 5)) bad++;
        compared++;
    }
    fprintf(stderr, "%s: %d lines compared with sentencepiece, %d mismatches\n", model, compared, bad);
    assert_true(compared > 2000);
    assert_int_equal(bad, 0);
    encoding_free(&e);
    gold_lines_free(&g);
    gold_inputs_free(&in);
    spm_free(m);
}

static void test_bpe_goldens(void **state) {
    (void)state;
    check_raw_goldens("spm/bpe4k.model", "spm/bpe4k.ids");
}

static void test_byte_fallback_goldens(void **state) {
    (void)state;
    check_raw_goldens("spm/unibf3k.model", "spm/unibf3k.ids");
}

/* xlmr16k.model with normalizer / trainer options flipped by appended protobuf fields (they merge
 * into the message, in sentencepiece as here), vs sentencepiece on the same bytes. */
static void test_normalizer_option_variants(void **state) {
    (void)state;
    static const struct {
        const char *name;
        uint8_t extra[8];
        size_t n;
    } vars[] = {
        {"no_dummy_prefix", {0x1A, 2, 3 << 3, 0}, 4},
        {"keep_whitespace", {0x1A, 2, 4 << 3, 0}, 4},
        {"no_escape", {0x1A, 2, 5 << 3, 0}, 4},
        {"ws_suffix", {0x12, 3, 0xC0, 0x01, 1}, 5},
        {"keep_ws_no_dummy", {0x1A, 4, 3 << 3, 0, 4 << 3, 0}, 6},
    };
    XsErr err;
    err_clear(&err);
    size_t n;
    uint8_t *buf = (uint8_t *)file_read_all(tu_fixture("tok/xlmr16k.model"), &n, &err);
    assert_non_null(buf);
    uint8_t *ext = xmalloc(n + 8);
    memcpy(ext, buf, n);
    GoldInputs in;
    gold_inputs_load(&in);
    GoldLines g;
    gold_lines_load(&g, tu_fixture("spm/variants.ids"));
    Encoding e;
    encoding_init(&e);
    int compared = 0, bad = 0;
    SpmModel *m = NULL;
    const char *cur = "";
    for (int i = 0; i + 1 < g.n; i += 2) {
        char name[64];
        int ln = 0;
        assert_int_equal(sscanf(g.line[i], "@%63s %d", name, &ln), 2);
        assert_true(ln >= 1 && ln <= in.n);
        if (strcmp(name, cur)) {
            size_t v = 0;
            while (v < sizeof vars / sizeof *vars && strcmp(vars[v].name, name)) v++;
            assert_true(v < sizeof vars / sizeof *vars);
            memcpy(ext + n, vars[v].extra, vars[v].n);
            spm_free(m);
            m = spm_load_buffer(ext, n + vars[v].n, name, &err);
            assert_non_null(m);
            cur = vars[v].name;
        }
        encoding_clear(&e);
        assert_int_equal(spm_encode(m, in.line[ln - 1], in.len[ln - 1], &e, &err), 0);
        for (int k = 0; k < e.n; k++) assert_true(e.start[k] <= e.end[k] && e.end[k] <= (int32_t)in.len[ln - 1]);
        if (!gold_match(g.line[i + 1], g.len[i + 1], e.ids, e.n, name, ln, bad < 5)) bad++;
        compared++;
    }
    fprintf(stderr, "normalizer variants: %d lines compared with sentencepiece, %d mismatches\n", compared, bad);
    assert_true(compared > 1000);
    assert_int_equal(bad, 0);
    spm_free(m);
    encoding_free(&e);
    gold_lines_free(&g);
    gold_inputs_free(&in);
    free(ext);
    free(buf);
}

/* Every 7th piece of ids 100..2099 re-typed UNUSED after loading (the trie holds all pieces, the
 * encoders read the type): BPE must re-split merges that land on them (rev_merge), unigram must skip
 * them. Reference: sentencepiece on the same change made in the protobuf. */
static void test_unused_pieces(void **state) {
    (void)state;
    GoldInputs in;
    gold_inputs_load(&in);
    GoldLines g;
    gold_lines_load(&g, tu_fixture("spm/unused.ids"));
    Encoding e;
    encoding_init(&e);
    int compared = 0, bad = 0;
    SpmModel *m = NULL;
    char cur[64] = "";
    for (int i = 0; i + 1 < g.n; i += 2) {
        char name[64];
        int ln = 0;
        assert_int_equal(sscanf(g.line[i], "@%63s %d", name, &ln), 2);
        if (strcmp(name, cur)) {
            spm_free(m);
            m = load(!strcmp(name, "bpe4k") ? "spm/bpe4k.model" : "tok/xlmr16k.model");
            for (int id = 100; id < 2100; id += 7) {
                assert_int_equal(m->type[id], SPM_NORMAL);
                m->type[id] = SPM_UNUSED;
            }
            snprintf(cur, sizeof cur, "%s", name);
        }
        XsErr err;
        err_clear(&err);
        encoding_clear(&e);
        assert_int_equal(spm_encode(m, in.line[ln - 1], in.len[ln - 1], &e, &err), 0);
        for (int k = 0; k < e.n; k++) assert_true(m->type[e.ids[k]] != SPM_UNUSED);
        if (!gold_match(g.line[i + 1], g.len[i + 1], e.ids, e.n, name, ln, bad < 5)) bad++;
        compared++;
    }
    fprintf(stderr, "unused pieces: %d lines compared with sentencepiece, %d mismatches\n", compared, bad);
    assert_true(compared > 400);
    assert_int_equal(bad, 0);
    spm_free(m);
    encoding_free(&e);
    gold_lines_free(&g);
    gold_inputs_free(&in);
}

static uint32_t lcg(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void encode_some(const SpmModel *m) {
    const char *texts[] = {"Hello world", "  ﾊﾝｶｸ  ", "e\xcc\x81 ①", "", "日本語のテキスト"};
    Encoding e;
    encoding_init(&e);
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        XsErr err;
        err_clear(&err);
        encoding_clear(&e);
        if (spm_encode(m, texts[i], strlen(texts[i]), &e, &err) == 0)
            for (int k = 0; k < e.n; k++) assert_true(e.ids[k] >= 0 && e.ids[k] < spm_size(m));
    }
    encoding_free(&e);
}

static void test_truncated_and_corrupt(void **state) {
    (void)state;
    XsErr err;
    err_clear(&err);
    size_t n;
    uint8_t *buf = (uint8_t *)file_read_all(tu_fixture("tok/xlmr16k.model"), &n, &err);
    assert_non_null(buf);
    SpmModel *full = spm_load_buffer(buf, n, "xlmr16k.model", &err);
    assert_non_null(full);
    /* Cut inside the last field (the normalizer spec with its charsmap): a clear error. */
    size_t cuts[] = {n - 1, n - 7, n - 1000, n - 100000};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        err_clear(&err);
        SpmModel *m = spm_load_buffer(buf, cuts[i], "cut.model", &err);
        assert_null(m);
        assert_true(err.failed);
        assert_non_null(strstr(err.msg, "cut.model"));
        assert_true(strstr(err.msg, "truncated") || strstr(err.msg, "past the end"));
    }
    /* Empty and non-protobuf input. */
    err_clear(&err);
    assert_null(spm_load_buffer(buf, 0, "empty.model", &err));
    assert_non_null(strstr(err.msg, "no pieces"));
    const char *txt = "[PAD]\n[unused1]\nthe\n";
    err_clear(&err);
    assert_null(spm_load_buffer((const uint8_t *)txt, strlen(txt), "vocab.txt", &err));
    assert_true(err.failed);
    /* Random cuts: an error or (at a field boundary) a smaller valid model, never a crash. */
    uint32_t s = 12345;
    for (int t = 0; t < 60; t++) {
        size_t cut = lcg(&s) % n;
        err_clear(&err);
        SpmModel *m = spm_load_buffer(buf, cut, "cut.model", &err);
        if (m) {
            assert_true(spm_size(m) <= spm_size(full));
            encode_some(m);
            spm_free(m);
        } else {
            assert_true(err.failed && strlen(err.msg) > 10);
        }
    }
    /* Random byte corruption (in the pieces, the specs and the charsmap): no crash. */
    uint8_t *cp = xmalloc(n);
    for (int t = 0; t < 60; t++) {
        memcpy(cp, buf, n);
        int k = 1 + (int)(lcg(&s) % 4);
        for (int j = 0; j < k; j++) {
            size_t at = t % 3 == 0 ? n - 1 - lcg(&s) % 250000 : lcg(&s) % n;
            cp[at] = (uint8_t)lcg(&s);
        }
        err_clear(&err);
        SpmModel *m = spm_load_buffer(cp, n, "corrupt.model", &err);
        if (m) {
            encode_some(m);
            spm_free(m);
        } else {
            assert_true(err.failed && strstr(err.msg, "corrupt.model"));
        }
    }
    free(cp);
    spm_free(full);
    free(buf);
}

static size_t put_varint(uint8_t *p, uint64_t v) {
    size_t n = 0;
    do {
        p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

static void test_unknown_fields_skipped(void **state) {
    (void)state;
    XsErr err;
    err_clear(&err);
    size_t n;
    uint8_t *buf = (uint8_t *)file_read_all(tu_fixture("tok/xlmr16k.model"), &n, &err);
    assert_non_null(buf);
    uint8_t *ext = xmalloc(n + 64);
    memcpy(ext, buf, n);
    size_t p = n;
    p += put_varint(ext + p, 99u << 3 | 0); /* varint */
    p += put_varint(ext + p, 300);
    p += put_varint(ext + p, 100u << 3 | 1); /* fixed64 */
    memset(ext + p, 7, 8);
    p += 8;
    p += put_varint(ext + p, 101u << 3 | 5); /* fixed32 */
    memset(ext + p, 9, 4);
    p += 4;
    p += put_varint(ext + p, 102u << 3 | 2); /* bytes */
    p += put_varint(ext + p, 3);
    memcpy(ext + p, "xyz", 3);
    p += 3;
    /* a second trainer_spec holding only an unknown field: merged, changes nothing */
    p += put_varint(ext + p, 2u << 3 | 2);
    p += put_varint(ext + p, 3);
    p += put_varint(ext + p, 1000u << 3 | 0);
    ext[p++] = 1; /* its value */
    SpmModel *a = spm_load_buffer(buf, n, "a", &err), *b = spm_load_buffer(ext, p, "b", &err);
    if (!b) fprintf(stderr, "%s\n", err.msg);
    assert_non_null(a);
    assert_non_null(b);
    GoldInputs in;
    gold_inputs_load(&in);
    Encoding ea, eb;
    encoding_init(&ea);
    encoding_init(&eb);
    for (int i = 0; i < 300; i++) {
        encoding_clear(&ea);
        encoding_clear(&eb);
        assert_int_equal(spm_encode(a, in.line[i], in.len[i], &ea, &err), 0);
        assert_int_equal(spm_encode(b, in.line[i], in.len[i], &eb, &err), 0);
        assert_int_equal(ea.n, eb.n);
        assert_memory_equal(ea.ids, eb.ids, (size_t)ea.n * sizeof *ea.ids);
    }
    /* A known field with the wrong wire type is an error, not a silent skip. */
    uint8_t bad[] = {1u << 3 | 0, 5};
    err_clear(&err);
    assert_null(spm_load_buffer(bad, sizeof bad, "wire.model", &err));
    assert_non_null(strstr(err.msg, "wire type"));
    encoding_free(&ea);
    encoding_free(&eb);
    gold_inputs_free(&in);
    spm_free(a);
    spm_free(b);
    free(ext);
    free(buf);
}

static void test_invalid_utf8(void **state) {
    (void)state;
    SpmModel *m = load("tok/xlmr16k.model");
    const char *bad[] = {"\xff", "abc\xc3", "ok \xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "x\x80y", "\xe2\x96"};
    const long at[] = {0, 3, 3, 0, 0, 1, 0};
    Encoding e;
    encoding_init(&e);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        XsErr err;
        err_clear(&err);
        assert_int_equal(spm_encode(m, bad[i], strlen(bad[i]), &e, &err), -1);
        assert_non_null(strstr(err.msg, "UTF-8"));
        char want[64];
        snprintf(want, sizeof want, "at byte %ld (0x", at[i] + 1); /* counted from 1, as every message */
        assert_non_null(strstr(err.msg, want));
        assert_int_equal(utf8_first_invalid(bad[i], strlen(bad[i])), at[i]);
    }
    assert_int_equal(utf8_first_invalid("h\xc3\xa9 \xf0\x9f\x98\x80", 8), -1);
    encoding_free(&e);
    spm_free(m);
}

/* Every token's byte span, normalized on its own (no dummy prefix), gives the token's piece without
 * its leading U+2581: the offsets point at the text the piece came from. Tokens that share a source
 * character (a ligature split into two pieces) share its span, so the check runs on groups of
 * tokens with overlapping spans; groups holding an unknown or byte piece are skipped. */
static void check_offsets(const char *model) {
    SpmModel *m = load(model);
    GoldInputs in;
    gold_inputs_load(&in);
    Encoding e;
    encoding_init(&e);
    long tokens = 0, checked = 0, bad = 0, shared = 0;
    char *want = xmalloc(1 << 20);
    for (int i = 0; i < in.n - 2; i++) {
        XsErr err;
        err_clear(&err);
        encoding_clear(&e);
        assert_int_equal(spm_encode(m, in.line[i], in.len[i], &e, &err), 0);
        tokens += e.n;
        for (int k = 0; k < e.n; k++) {
            assert_true(e.start[k] >= 0 && e.start[k] <= e.end[k] && e.end[k] <= (int32_t)in.len[i]);
            if (k) assert_true(e.start[k] >= e.start[k - 1]);
        }
        for (int k0 = 0, k1; k0 < e.n; k0 = k1) {
            int32_t gs = e.start[k0], ge = e.end[k0];
            k1 = k0 + 1;
            while (k1 < e.n && e.start[k1] < ge) {
                if (e.end[k1] > ge) ge = e.end[k1];
                k1++;
            }
            if (k1 - k0 > 1) shared++;
            size_t wl = 0;
            int skip = 0;
            for (int k = k0; k < k1; k++) {
                int t = spm_piece_type(m, e.ids[k]);
                if (t != SPM_NORMAL && t != SPM_USER_DEFINED) skip = 1; /* unknown / byte pieces */
                if (skip) break;
                const char *pc = spm_piece(m, e.ids[k]);
                if (k == k0 && !strncmp(pc, "\xe2\x96\x81", 3)) pc += 3;
                size_t pl = strlen(pc);
                memcpy(want + wl, pc, pl);
                wl += pl;
            }
            if (skip || wl == 0) continue;
            char *nb;
            size_t nl;
            assert_int_equal(spm_normalize(m, in.line[i] + gs, (size_t)(ge - gs), 0, &nb, &nl, NULL, NULL, &err), 0);
            checked++;
            if (nl != wl || memcmp(nb, want, nl)) {
                if (bad < 5)
                    fprintf(stderr, "%s line %d tokens %d..%d: pieces '%.*s' but span [%d,%d) normalizes to '%s'\n", model,
                            i + 1, k0, k1 - 1, (int)wl, want, gs, ge, nb);
                bad++;
            }
            free(nb);
        }
    }
    fprintf(stderr, "%s: %ld tokens, %ld spans checked (%ld shared by several tokens), %ld mismatches\n", model, tokens,
            checked, shared, bad);
    assert_true(checked > 50000);
    assert_true(shared > 0);
    assert_int_equal(bad, 0);
    free(want);
    encoding_free(&e);
    gold_inputs_free(&in);
    spm_free(m);
}

static void test_offsets_xlmr16k(void **state) {
    (void)state;
    check_offsets("tok/xlmr16k.model");
}

static void test_offsets_bpe4k(void **state) {
    (void)state;
    check_offsets("spm/bpe4k.model");
}

static void test_fuzz_no_crash(void **state) {
    (void)state;
    const char *alpha[] = {" ", "  ", "\t", "a", "Z", "é", "e\xcc\x81", "\xcc\x81", "日", "本", "ﾊ", "ﾞ", "😀", "👍🏽",
                           "\xe2\x96\x81", "<url>", "@@", "\xef\xbc\xa1", "\xe3\x8d\xbf", "\x01", "\r", "ß", "ǅ", "\xd9\x8e"};
    const char *models[] = {"tok/xlmr16k.model", "tok/uni8k.model", "spm/bpe4k.model", "spm/unibf3k.model"};
    uint32_t s = 99;
    char text[512];
    Encoding e;
    encoding_init(&e);
    for (size_t mi = 0; mi < 4; mi++) {
        SpmModel *m = load(models[mi]);
        for (int t = 0; t < 500; t++) {
            size_t len = 0;
            int k = (int)(lcg(&s) % 40);
            for (int j = 0; j < k; j++) {
                const char *a = alpha[lcg(&s) % (sizeof alpha / sizeof *alpha)];
                size_t al = strlen(a);
                memcpy(text + len, a, al);
                len += al;
            }
            XsErr err;
            err_clear(&err);
            encoding_clear(&e);
            assert_int_equal(spm_encode(m, text, len, &e, &err), 0);
            for (int q = 0; q < e.n; q++) {
                assert_true(e.ids[q] >= 0 && e.ids[q] < spm_size(m));
                assert_true(e.start[q] >= 0 && e.start[q] <= e.end[q] && e.end[q] <= (int32_t)len);
            }
        }
        spm_free(m);
    }
    encoding_free(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bpe_goldens),
        cmocka_unit_test(test_byte_fallback_goldens),
        cmocka_unit_test(test_normalizer_option_variants),
        cmocka_unit_test(test_unused_pieces),
        cmocka_unit_test(test_truncated_and_corrupt),
        cmocka_unit_test(test_unknown_fields_skipped),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_offsets_xlmr16k),
        cmocka_unit_test(test_offsets_bpe4k),
        cmocka_unit_test(test_fuzz_no_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
