/* test_embed.c — tasks/embed + core/text lines: the library's sentence embeddings equal HF's (fixtures of
 * tools/gen_encode_fixtures.py, shared with cli_encode.sh) for any batch size, and bad input comes back
 * as an XsErr naming source:line instead of exiting. */
#include "testutil.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/util.h"
#include "tasks/embed.h"
#include <stdlib.h>
#include <string.h>

typedef struct Fix {
    Model m;
    Tokenizer *tok;
    char *buf;
    TextLine *lines;
    long n;
    const char **texts;
    size_t *lens;
} Fix;

static void fix_open(Fix *f) {
    memset(f, 0, sizeof *f);
    XsErr e = {0};
    if (model_load(tu_fixture("encode/xlmr/model"), &f->m, &e)) fail_msg("%s", e.msg);
    f->tok = tokenizer_open(tu_fixture("tok/xlmr16k.model"), &e);
    if (!f->tok) fail_msg("%s", e.msg);
    size_t len;
    f->buf = file_read_all(tu_fixture("encode/xlmr/sentences.txt"), &len, &e);
    assert_non_null(f->buf);
    assert_int_equal(text_split_lines(f->buf, len, "sentences.txt", &f->lines, &f->n, &e), 0);
    assert_true(f->n > 20);
    f->texts = xmalloc((size_t)f->n * sizeof *f->texts);
    f->lens = xmalloc((size_t)f->n * sizeof *f->lens);
    for (long i = 0; i < f->n; i++) { f->texts[i] = f->lines[i].s; f->lens[i] = f->lines[i].len; }
}

static void fix_close(Fix *f) {
    free(f->texts); free(f->lens); free(f->lines); free(f->buf);
    tokenizer_free(f->tok);
    model_free(&f->m);
}

static void test_embed_matches_hf(void **state) {
    (void)state;
    Fix f;
    fix_open(&f);
    XsErr e = {0};
    size_t rows, cols;
    float *want = npy_read_f32(tu_fixture("encode/xlmr/1_mean.npy"), &rows, &cols, &e);
    assert_non_null(want);
    assert_int_equal(rows, (size_t)f.n);
    assert_int_equal(cols, (size_t)f.m.cfg.hidden_size);
    float *got = xmalloc(rows * cols * sizeof(float)), *got1 = xmalloc(rows * cols * sizeof(float));
    EmbedOpts o = embed_opts_default();
    o.layer = 1;
    o.batch = 7;
    o.max_len = 64;
    EmbedStats st;
    assert_int_equal(embed_texts(&f.m, f.tok, f.texts, f.lens, f.n, &o, got, &st, &e), 0);
    assert_int_equal(tu_compare("embed layer 1 mean, batch 7", got, want, rows * cols, 1e-4, 1e-4), 0);
    assert_true(st.tokens > (uint64_t)(2 * f.n)); /* every text has <s> and </s> at least */
    o.batch = 1; /* no padding at all: same values */
    assert_int_equal(embed_texts(&f.m, f.tok, f.texts, f.lens, f.n, &o, got1, NULL, &e), 0);
    assert_int_equal(tu_compare("embed batch 1 vs 7", got1, got, rows * cols, 1e-5, 1e-4), 0);
    free(want);
    want = npy_read_f32(tu_fixture("encode/xlmr/2_cls.npy"), &rows, &cols, &e);
    assert_non_null(want);
    o = embed_opts_default(); /* last layer */
    o.pool = POOL_CLS;
    o.max_len = 64;
    assert_int_equal(embed_texts(&f.m, f.tok, f.texts, f.lens, f.n, &o, got, NULL, &e), 0);
    assert_int_equal(tu_compare("embed layer 2 cls", got, want, rows * cols, 1e-4, 1e-4), 0);
    free(want); free(got); free(got1);
    fix_close(&f);
}

static void test_embed_errors(void **state) {
    (void)state;
    Fix f;
    fix_open(&f);
    XsErr e = {0};
    float *out = xmalloc((size_t)f.n * f.m.cfg.hidden_size * sizeof(float));
    EmbedOpts o = embed_opts_default();
    o.layer = f.m.cfg.num_layers + 1;
    assert_int_equal(embed_texts(&f.m, f.tok, f.texts, f.lens, f.n, &o, out, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "layer 3 outside 0..2"));
    o = embed_opts_default();
    o.max_len = embed_max_len(&f.m.cfg) + 1;
    assert_int_equal(embed_texts(&f.m, f.tok, f.texts, f.lens, f.n, &o, out, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "max length"));
    /* a text the tokenizer refuses, found through the library, named by source and line */
    o = embed_opts_default();
    o.source = "in.txt";
    f.texts[4] = "caf\xe9";
    f.lens[4] = 4;
    assert_int_equal(embed_texts(&f.m, f.tok, f.texts, f.lens, f.n, &o, out, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "in.txt:5: "));
    free(out);
    fix_close(&f);

    /* lines: CRLF and a missing last newline; bad bytes and NUL located */
    TextLine *l;
    long n;
    const char *ok = "a\r\n\nb";
    assert_int_equal(text_split_lines(ok, strlen(ok), "x", &l, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_int_equal(l[0].len, 1);
    assert_int_equal(l[1].len, 0);
    assert_memory_equal(l[2].s, "b", 1);
    free(l);
    const char *bad = "ok\nx\xc3(\n";
    assert_int_equal(text_split_lines(bad, strlen(bad), "<stdin>", &l, &n, &e), -1);
    assert_string_equal(e.msg, "<stdin>:2: expected UTF-8 text, found an invalid byte sequence at byte 2 (0xC3)");
    const char nul[] = "ok\nab\0c\n";
    assert_int_equal(text_split_lines(nul, sizeof nul - 1, "f", &l, &n, &e), -1);
    assert_string_equal(e.msg, "f:2: expected text, found a NUL byte at byte 3");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embed_matches_hf),
        cmocka_unit_test(test_embed_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
