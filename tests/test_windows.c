/* test_windows.c — QA sliding windows vs HF fast tokenizers (run_qa.py featurization: only_second,
 * overlapping stride, overflowing tokens) on XQuAD (tests/fixtures/wordpiece/windows.jsonl): window
 * count, ids, token types, context byte offsets and run_squad-style max-context flags; plus errors. */
#include "testutil.h"
#include "core/mem.h"
#include "core/util.h"
#include "tok/tokenizer.h"
#include "tok/windows.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t fnv_ints(uint32_t h, const int32_t *v, int n) {
    for (int k = 0; k < n; k++)
        for (int b = 0; b < 4; b++) h = (h ^ (((uint32_t)v[k] >> (8 * b)) & 0xff)) * 16777619u;
    return h;
}

static Tokenizer *open_tok(const char *vocab) {
    const char *rel = strcmp(vocab, "c") == 0 ? "tok/mbert-cased-vocab.txt"
                      : strcmp(vocab, "u") == 0 ? "tok/bert-uncased-vocab.txt" : "tok/xlmr16k.model";
    XsErr err = {0};
    Tokenizer *t = tokenizer_open(tu_fixture(rel), &err);
    if (!t) fail_msg("%s", err.msg);
    return t;
}

static void test_windows_goldens(void **state) {
    (void)state;
    json_error_t je;
    json_t *slice = json_load_file(tu_fixture("wordpiece/xquad-slice.json"), 0, &je);
    if (!slice) fail_msg("xquad-slice.json: %s", je.text);
    XsErr err = {0};
    size_t len;
    char *buf = file_read_all(tu_fixture("wordpiece/windows.jsonl"), &len, &err);
    assert_non_null(buf);
    Tokenizer *tok[3] = {open_tok("c"), open_tok("u"), open_tok("x")};
    long recs = 0, wins = 0, bad_count = 0, bad_ids = 0, bad_types = 0, bad_off = 0, bad_mc = 0, multi = 0;
    for (char *p = buf, *nl; p < buf + len; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(buf + len - p));
        if (!nl) nl = buf + len;
        if (nl == p) continue;
        json_t *r = json_loadb(p, (size_t)(nl - p), 0, &je);
        if (!r) fail_msg("windows.jsonl: %s", je.text);
        recs++;
        const char *v = json_string_value(json_object_get(r, "vocab"));
        Tokenizer *t = tok[v[0] == 'c' ? 0 : v[0] == 'u' ? 1 : 2];
        json_t *para = json_array_get(json_object_get(slice, json_string_value(json_object_get(r, "lang"))),
                                      (size_t)json_integer_value(json_object_get(r, "para")));
        json_t *ctx = json_object_get(para, "context"), *q = json_object_get(r, "q");
        int max_len = (int)json_integer_value(json_object_get(r, "max_len"));
        int stride = (int)json_integer_value(json_object_get(r, "stride"));
        QaWindow *w;
        int n;
        if (qa_windows(t, json_string_value(q), json_string_length(q), json_string_value(ctx), json_string_length(ctx),
                       max_len, stride, 64, &w, &n, &err))
            fail_msg("%s", err.msg);
        json_t *gw = json_object_get(r, "w");
        multi += n > 1;
        if ((size_t)n != json_array_size(gw)) {
            bad_count++;
            print_message("%s/%s %d/%d: %d windows, HF %zu\n", json_string_value(json_object_get(r, "lang")), v, max_len,
                          stride, n, json_array_size(gw));
        }
        for (int i = 0; i < n && (size_t)i < json_array_size(gw); i++) {
            wins++;
            json_t *g = json_array_get(gw, (size_t)i);
            json_t *ids = json_object_get(g, "ids"), *types = json_object_get(g, "types"), *off = json_object_get(g, "off"),
                   *mc = json_object_get(g, "mc");
            const Encoding *e = &w[i].enc;
            if (json_object_get(g, "h")) { /* stored as count + hashes (see the generator) */
                uint32_t h = 2166136261u, ho = 2166136261u;
                for (int k = 0; k < e->n; k++) {
                    int is_ctx = k >= w[i].ctx_begin && k < w[i].ctx_begin + w[i].ctx_len;
                    int32_t row[3] = {e->ids[k], e->type_ids[k], w[i].max_ctx[k]};
                    int32_t orow[2] = {is_ctx ? e->start[k] : -1, is_ctx ? e->end[k] : -1};
                    h = fnv_ints(h, row, 3);
                    ho = fnv_ints(ho, orow, 2);
                }
                int ok = e->n == json_integer_value(json_object_get(g, "n")) &&
                         h == (uint32_t)json_integer_value(json_object_get(g, "h"));
                int ok_off = ho == (uint32_t)json_integer_value(json_object_get(g, "ho"));
                bad_ids += !ok;
                bad_off += !ok_off;
                if (!ok || !ok_off)
                    print_message("%s/%s %d/%d window %d: ids/types/max-context %s, offsets %s\n",
                                  json_string_value(json_object_get(r, "lang")), v, max_len, stride, i, ok ? "ok" : "differ",
                                  ok_off ? "ok" : "differ");
                continue;
            }
            if ((size_t)e->n != json_array_size(ids)) { bad_ids++; continue; }
            int ok_ids = 1, ok_types = 1, ok_off = 1, ok_mc = 1;
            long pe = 0;
            for (int k = 0; k < e->n; k++) {
                ok_ids &= e->ids[k] == json_integer_value(json_array_get(ids, (size_t)k));
                ok_types &= e->type_ids[k] == json_integer_value(json_array_get(types, (size_t)k));
                long s = pe + json_integer_value(json_array_get(off, 2 * (size_t)k));
                long en = s + json_integer_value(json_array_get(off, 2 * (size_t)k + 1));
                pe = en;
                int is_ctx = k >= w[i].ctx_begin && k < w[i].ctx_begin + w[i].ctx_len;
                assert_int_equal(is_ctx, e->seg[k] == 1 && e->start[k] >= 0);
                if (is_ctx && (e->start[k] != s || e->end[k] != en)) {
                    if (ok_off && bad_off < 3)
                        print_message("  token %d [%d,%d), HF [%ld,%ld)\n", k, e->start[k], e->end[k], s, en);
                    ok_off = 0;
                }
                if (!is_ctx) ok_off &= s == -1 && en == -1;
                ok_mc &= w[i].max_ctx[k] == json_integer_value(json_array_get(mc, (size_t)k));
            }
            bad_ids += !ok_ids;
            bad_types += !ok_types;
            bad_off += !ok_off;
            bad_mc += !ok_mc;
            if (!(ok_ids && ok_types && ok_off && ok_mc))
                print_message("%s/%s %d/%d window %d: ids %d types %d off %d mc %d\n",
                              json_string_value(json_object_get(r, "lang")), v, max_len, stride, i, ok_ids, ok_types,
                              ok_off, ok_mc);
        }
        /* Every context token is max-context in exactly one window. */
        if (n > 0) {
            int total = w[n - 1].ctx_tok0 + w[n - 1].ctx_len;
            int *cnt = xcalloc((size_t)total + 1, sizeof *cnt);
            for (int i = 0; i < n; i++)
                for (int k = 0; k < w[i].ctx_len; k++) cnt[w[i].ctx_tok0 + k] += w[i].max_ctx[w[i].ctx_begin + k];
            for (int k = 0; k < total; k++) assert_int_equal(cnt[k], 1);
            free(cnt);
        }
        qa_windows_free(w, n);
        json_decref(r);
    }
    print_message("qa windows: %ld questions (%ld with several windows), %ld windows; mismatches vs HF fast: count %ld, "
                  "ids %ld, types %ld, offsets %ld, max-context %ld\n",
                  recs, multi, wins, bad_count, bad_ids, bad_types, bad_off, bad_mc);
    assert_true(recs >= 40 && multi >= 30);
    assert_int_equal(bad_count + bad_ids + bad_types + bad_off + bad_mc, 0);
    for (int k = 0; k < 3; k++) tokenizer_free(tok[k]);
    free(buf);
    json_decref(slice);
}

static void test_windows_edges(void **state) {
    (void)state;
    Tokenizer *t = open_tok("u");
    XsErr err = {0};
    QaWindow *w;
    int n;
    /* Empty context: one window [CLS] q [SEP] [SEP]. */
    assert_int_equal(qa_windows(t, "who?", 4, "", 0, 32, 8, 64, &w, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(w[0].ctx_len, 0);
    assert_int_equal(w[0].enc.n, 5);
    qa_windows_free(w, n);
    /* max_query cuts the question to its first tokens (XTREME max_query_length). */
    const char *q = "one two three four five six seven eight nine ten";
    const char *c = "a b c d e f g h i j k l m n o p q r s t u v w x y z";
    assert_int_equal(qa_windows(t, q, strlen(q), c, strlen(c), 20, 4, 5, &w, &n, &err), 0);
    assert_int_equal(w[0].ctx_begin, 1 + 5 + 1);
    assert_int_equal(w[0].ctx_len, 20 - 3 - 5);
    /* 26 context tokens, room 12, step 8: starts 0, 8, 16 (16 + 12 >= 26). */
    assert_int_equal(n, 3);
    assert_int_equal(w[2].ctx_tok0, 16);
    assert_int_equal(w[2].ctx_len, 10);
    qa_windows_free(w, n);
    /* No room for more than stride context tokens: an error, not a loop. */
    assert_int_equal(qa_windows(t, q, strlen(q), c, strlen(c), 16, 8, 0, &w, &n, &err), -1);
    assert_true(err.failed);
    assert_null(w);
    err_clear(&err);
    assert_int_equal(qa_windows(t, "q", 1, "\xff", 1, 64, 8, 64, &w, &n, &err), -1);
    assert_non_null(strstr(err.msg, "context"));
    tokenizer_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_windows_edges),
        cmocka_unit_test(test_windows_goldens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
