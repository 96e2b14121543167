/* test_wordpiece.c — WordPiece vs HF: ids and byte offsets of wp_encode against the fast BertTokenizer's
 * goldens (tests/fixtures/wordpiece/, tools/gen_wordpiece_goldens.py) for mBERT-cased and bert-uncased,
 * span/piece consistency, invalid UTF-8, vocab lookups, and pairs/truncation through tokenizer_encode. */
#include "testutil.h"
#include "core/mem.h"
#include "core/util.h"
#include "tok/encoding.h"
#include "tok/tokenizer.h"
#include "tok/wordpiece.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

typedef struct { const char *key; const char *vocab; int lower; WordPiece *wp; } Vocab;
static Vocab g_vocab[2] = {{"c", "tok/mbert-cased-vocab.txt", 0, NULL}, {"u", "tok/bert-uncased-vocab.txt", 1, NULL}};

static WordPiece *vocab_for(int k) {
    if (!g_vocab[k].wp) {
        XsErr err = {0};
        g_vocab[k].wp = wp_load(tu_fixture(g_vocab[k].vocab), g_vocab[k].lower, &err);
        if (!g_vocab[k].wp) fail_msg("%s", err.msg);
    }
    return g_vocab[k].wp;
}

/* A JSON Lines file: returns the parsed records (caller json_decref's each). */
static json_t **read_jsonl(const char *rel, int *n) {
    XsErr err = {0};
    size_t len;
    char *buf = file_read_all(tu_fixture(rel), &len, &err);
    if (!buf) fail_msg("%s", err.msg);
    int cap = 1024, cnt = 0;
    json_t **recs = xmalloc((size_t)cap * sizeof *recs);
    for (char *p = buf, *nl; p < buf + len; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(buf + len - p));
        if (!nl) nl = buf + len;
        if (nl == p) continue;
        json_error_t je;
        json_t *r = json_loadb(p, (size_t)(nl - p), JSON_ALLOW_NUL, &je);
        if (!r) fail_msg("%s:%d: %s", rel, cnt + 1, je.text);
        if (cnt == cap) recs = xrealloc(recs, (size_t)(cap *= 2) * sizeof *recs);
        recs[cnt++] = r;
    }
    free(buf);
    *n = cnt;
    return recs;
}

/* Line `line` (1-based) of a Tatoeba fixture, from a src like "tatoeba.afr-eng.afr:3". */
static char *tatoeba_line(const char *src, size_t *len) {
    const char *colon = strrchr(src, ':');
    char path[256];
    snprintf(path, sizeof path, "tatoeba/%.*s", (int)(colon - src), src);
    long want = strtol(colon + 1, NULL, 10);
    XsErr err = {0};
    size_t flen;
    char *buf = file_read_all(tu_fixture(path), &flen, &err);
    if (!buf) fail_msg("%s", err.msg);
    char *p = buf;
    for (long i = 1; i < want; i++) p = strchr(p, '\n') + 1;
    char *nl = strchr(p, '\n');
    *len = nl ? (size_t)(nl - p) : strlen(p);
    char *out = xstrndup(p, *len);
    free(buf);
    return out;
}

static uint32_t fnv_triples(const Encoding *e, int from, int to) {
    uint32_t h = 2166136261u;
    for (int i = from; i < to; i++) {
        int32_t v[3] = {e->ids[i], e->start[i], e->end[i]};
        for (int k = 0; k < 3; k++)
            for (int b = 0; b < 4; b++) h = (h ^ (((uint32_t)v[k] >> (8 * b)) & 0xff)) * 16777619u;
    }
    return h;
}

/* The test's own normalization of an original span: drop what clean_text drops, (uncased) NFD, drop
 * Mn, lowercase; the result must equal the piece without "##" — or, where one original character
 * decomposes into several pieces (Bengali U+09CB -> U+09C7 U+09BE), contain it. */
static int span_matches(const char *text, int32_t s, int32_t e, const char *piece, int lower) {
    char buf[4096];
    size_t n = 0;
    for (int32_t i = s; i < e;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const uint8_t *)text + i, e - i, &c);
        if (k <= 0) return 0;
        i += (int32_t)k;
        utf8proc_category_t cat = utf8proc_category(c);
        if (c == 0 || c == 0xFFFD || cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF ||
            cat == UTF8PROC_CATEGORY_CO)
            continue;
        utf8proc_int32_t d[32];
        utf8proc_ssize_t nd = lower ? utf8proc_decompose_char(c, d, 32, UTF8PROC_DECOMPOSE, NULL) : (d[0] = c, 1);
        for (utf8proc_ssize_t j = 0; j < nd; j++) {
            if (lower && utf8proc_category(d[j]) == UTF8PROC_CATEGORY_MN) continue;
            if (n + 4 >= sizeof buf) return 0;
            n += (size_t)utf8proc_encode_char(lower ? utf8proc_tolower(d[j]) : d[j], (uint8_t *)buf + n);
        }
    }
    if (strncmp(piece, "##", 2) == 0 && strlen(piece) > 2) piece += 2;
    size_t pn = strlen(piece);
    if (n == pn) return memcmp(buf, piece, n) == 0;
    buf[n] = 0;
    return pn < n && strstr(buf, piece) != NULL && e - s <= 4 * 2; /* at most two original chars */
}

static void test_single_goldens(void **state) {
    (void)state;
    int n;
    json_t **recs = read_jsonl("wordpiece/single.jsonl", &n);
    assert_true(n > 5000);
    char *big = NULL;
    size_t big_len = 0, big_cap = 0;
    long bad_ids[2] = {0}, bad_off[2] = {0}, bad_span[2] = {0}, toks[2] = {0}, slow_diff[2] = {0};
    Encoding e;
    encoding_init(&e);
    for (int r = 0; r < n; r++) {
        const char *src = json_string_value(json_object_get(recs[r], "src"));
        assert_non_null(src);
        char *owned = NULL;
        const char *text;
        size_t len;
        json_t *t = json_object_get(recs[r], "t");
        if (t) { text = json_string_value(t); len = json_string_length(t); }
        else if (strncmp(src, "tatoeba.", 8) == 0) text = owned = tatoeba_line(src, &len);
        else if (strcmp(src, "huge:word") == 0) {
            len = 100000;
            owned = xmalloc(len + 1);
            memset(owned, 'z', len);
            owned[len] = 0;
            text = owned;
        } else {
            assert_string_equal(src, "huge:text");
            /* The first 3000 records' texts joined by " ", doubled, cut to 100,000 bytes at a space. */
            text = big;
            len = big_len;
        }
        if (r < 3000) {
            size_t need = big_len + len + 2;
            if (need > big_cap) big = xrealloc(big, big_cap = need * 2);
            if (r > 0) big[big_len++] = ' ';
            memcpy(big + big_len, text, len);
            big_len += len;
            if (r == 2999) {
                size_t one = big_len;
                big = xrealloc(big, 2 * one + 2);
                big[one] = ' ';
                memcpy(big + one + 1, big, one);
                big_len = 2 * one + 1 < 100000 ? 2 * one + 1 : 100000;
                while (big_len > 0 && big[big_len] != ' ') big_len--;
                big[big_len] = 0;
            }
        }
        for (int k = 0; k < 2; k++) {
            WordPiece *wp = vocab_for(k);
            json_t *g = json_object_get(recs[r], g_vocab[k].key);
            encoding_clear(&e);
            XsErr err = {0};
            if (wp_encode(wp, text, len, &e, &err) != 0) fail_msg("%s: %s", src, err.msg);
            toks[k] += e.n;
            if (json_object_get(recs[r], k ? "us" : "cs")) slow_diff[k]++;
            json_t *gn = json_object_get(g, "n");
            if (gn) {
                long want = (long)json_integer_value(gn) - 2;
                uint32_t h = (uint32_t)json_integer_value(json_object_get(g, "h"));
                /* The golden hash covers [CLS] (0,0) ... [SEP] (0,0); rebuild it around ours. */
                Encoding full;
                encoding_init(&full);
                encoding_push(&full, wp_token_id(wp, "[CLS]"), 0, 0, 0, 0);
                encoding_append_range(&full, &e, 0, e.n, 0, 0);
                encoding_push(&full, wp_token_id(wp, "[SEP]"), 0, 0, 0, 0);
                if (e.n != want || fnv_triples(&full, 0, full.n) != h) {
                    bad_ids[k]++;
                    print_message("%s [%s]: %d tokens, HF %ld (or hash differs)\n", src, g_vocab[k].key, e.n, want);
                }
                encoding_free(&full);
                continue;
            }
            json_t *ids = json_object_get(g, "ids"), *off = json_object_get(g, "off");
            int gn_ = (int)json_array_size(ids) - 2;
            int ok = e.n == gn_;
            for (int i = 0; ok && i < gn_; i++) ok = e.ids[i] == json_integer_value(json_array_get(ids, (size_t)i + 1));
            if (!ok) {
                if (bad_ids[k]++ < 5) {
                    print_message("%s [%s]: ids differ (%d vs HF %d tokens):", src, g_vocab[k].key, e.n, gn_);
                    for (int i = 0; i < e.n && i < 40; i++) print_message(" %d", e.ids[i]);
                    print_message("\n  HF:");
                    for (int i = 0; i < gn_ && i < 40; i++) print_message(" %lld", json_integer_value(json_array_get(ids, (size_t)i + 1)));
                    print_message("\n");
                }
                continue;
            }
            long pe = 0;
            for (int i = 0; i < gn_ + 1; i++) {
                long s = pe + json_integer_value(json_array_get(off, 2 * (size_t)i));
                long en = s + json_integer_value(json_array_get(off, 2 * (size_t)i + 1));
                pe = en;
                if (i == 0) continue; /* [CLS] */
                if (e.start[i - 1] != s || e.end[i - 1] != en) {
                    if (bad_off[k]++ < 5)
                        print_message("%s [%s]: token %d (%s) at [%d,%d), HF [%ld,%ld)\n", src, g_vocab[k].key, i - 1,
                                      wp_piece(wp, e.ids[i - 1]), e.start[i - 1], e.end[i - 1], s, en);
                    break;
                }
            }
            for (int i = 0; i < e.n; i++) {
                const char *piece = wp_piece(wp, e.ids[i]);
                if (piece[0] == '[' && strchr("UCSPM", piece[1]) && piece[strlen(piece) - 1] == ']') continue; /* specials */
                if (!span_matches(text, e.start[i], e.end[i], piece, g_vocab[k].lower) && bad_span[k]++ < 5)
                    print_message("%s [%s]: span [%d,%d) does not normalize to '%s'\n", src, g_vocab[k].key,
                                  e.start[i], e.end[i], piece);
            }
        }
        free(owned);
    }
    for (int k = 0; k < 2; k++)
        print_message("wordpiece %s: %d lines, %ld tokens; mismatches vs HF fast: ids %ld, offsets %ld; span/piece "
                      "violations %ld; lines where HF slow != fast: %ld\n",
                      g_vocab[k].vocab, n, toks[k], bad_ids[k], bad_off[k], bad_span[k], slow_diff[k]);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(bad_ids[k], 0);
        assert_int_equal(bad_off[k], 0);
        assert_int_equal(bad_span[k], 0);
    }
    encoding_free(&e);
    free(big);
    for (int r = 0; r < n; r++) json_decref(recs[r]);
    free(recs);
}

static void test_invalid_utf8(void **state) {
    (void)state;
    static const char *bad[] = {"\xff", "ab\xc3", "\xed\xa0\x80 surrogate", "\xc0\xaf overlong", "x\xf4\x90\x80\x80"};
    WordPiece *wp = vocab_for(0);
    Encoding e;
    encoding_init(&e);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        XsErr err = {0};
        encoding_clear(&e);
        assert_int_equal(wp_encode(wp, bad[i], strlen(bad[i]), &e, &err), -1);
        assert_true(err.failed);
        assert_non_null(strstr(err.msg, "UTF-8"));
        assert_int_equal(e.n, 0);
    }
    encoding_free(&e);
}

static void test_vocab_lookup(void **state) {
    (void)state;
    for (int k = 0; k < 2; k++) {
        WordPiece *wp = vocab_for(k);
        XsErr err = {0};
        size_t len;
        char *buf = file_read_all(tu_fixture(g_vocab[k].vocab), &len, &err);
        assert_non_null(buf);
        int lines = 0;
        for (size_t i = 0; i < len; i++) lines += buf[i] == '\n';
        free(buf);
        assert_int_equal(wp_vocab_size(wp), lines);
        for (int id = 0; id < wp_vocab_size(wp); id++) assert_int_equal(wp_token_id(wp, wp_piece(wp, id)), id);
        assert_null(wp_piece(wp, -1));
        assert_null(wp_piece(wp, wp_vocab_size(wp)));
        assert_int_equal(wp_token_id(wp, "no-such-token-xyz"), -1);
    }
    assert_int_equal(wp_token_id(vocab_for(1), "[CLS]"), 101);
    assert_int_equal(wp_token_id(vocab_for(1), "##ing"), 2075);
    XsErr err = {0};
    assert_null(wp_load("tests/fixtures/no-such-vocab.txt", 0, &err));
    assert_true(err.failed);
}

/* Vocab files: CRLF lines and trailing spaces are trimmed (HF trim_end), an empty file or one without
 * [UNK] is an error naming the file. */
static void test_vocab_files(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    char path[1100];
    XsErr err = {0};
    snprintf(path, sizeof path, "%s/crlf.txt", dir);
    const char *crlf = "[PAD]\r\n[UNK]  \r\n[CLS]\r\n[SEP]\r\nhello\t\r\n##lo\r\nhel\r\n";
    assert_int_equal(file_write_atomic(path, crlf, strlen(crlf), &err), 0);
    WordPiece *wp = wp_load(path, 1, &err);
    assert_non_null(wp);
    assert_int_equal(wp_vocab_size(wp), 7);
    assert_int_equal(wp_token_id(wp, "[UNK]"), 1);
    assert_int_equal(wp_token_id(wp, "hello"), 4);
    Encoding e;
    encoding_init(&e);
    const char *text = "Hello HELLO hello, hello[SEP]xyz";
    assert_int_equal(wp_encode(wp, text, strlen(text), &e, &err), 0);
    const int32_t want[] = {4, 4, 4, -2, 4, 3, 1}; /* "," is not in this vocab: [UNK] */
    assert_int_equal(e.n, 7);
    for (int i = 0; i < e.n; i++) assert_int_equal(e.ids[i], want[i] == -2 ? 1 : want[i]);
    assert_int_equal(e.start[5], 24); /* [SEP] where it was written */
    assert_int_equal(e.end[5], 29);
    encoding_free(&e);
    wp_free(wp);
    snprintf(path, sizeof path, "%s/empty.txt", dir);
    assert_int_equal(file_write_atomic(path, "", 0, &err), 0);
    assert_null(wp_load(path, 0, &err));
    assert_non_null(strstr(err.msg, "empty.txt"));
    err_clear(&err);
    snprintf(path, sizeof path, "%s/nounk.txt", dir);
    assert_int_equal(file_write_atomic(path, "a\nb\n", 4, &err), 0);
    assert_null(wp_load(path, 0, &err));
    assert_non_null(strstr(err.msg, "[UNK]"));
    tu_rmtree(dir);
    free(dir);
}

/* Random texts from a mix of scripts, marks, controls, specials and spaces: never a crash (ASan),
 * offsets inside the text, non-decreasing starts, ids in range; the same text twice gives the same. */
static void test_random_invariants(void **state) {
    (void)state;
    static const char *const parts[] = {"a", "Z", "é", "E\xcc\x81", "\xcc\x88", "\xe4\xb8\xad", "\xed\x95\x9c", " ", "  ", "\t", "\n",
                                        "\x01", "\xe2\x80\x8b", ",", "!", "[SEP]", "[MASK", "##", "\xef\xbc\xa1", "\xf0\x9f\x98\x80",
                                        "\xce\xa3", "\xe0\xa6\xbc", "\xc4\xb0", "\xef\xbf\xbd", "xx", "ing", "\xef\xa4\x80"};
    const int np = (int)(sizeof parts / sizeof *parts);
    uint64_t x = 88172645463325252ull;
    char text[600];
    Encoding e, e2;
    encoding_init(&e);
    encoding_init(&e2);
    for (int k = 0; k < 2; k++) {
        WordPiece *wp = vocab_for(k);
        for (int it = 0; it < 3000; it++) {
            size_t len = 0;
            int nparts = (int)(x % 40);
            for (int p = 0; p < nparts; p++) {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                const char *s = parts[x % (uint64_t)np];
                size_t l = strlen(s);
                if (len + l >= sizeof text) break;
                memcpy(text + len, s, l);
                len += l;
            }
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            encoding_clear(&e);
            encoding_clear(&e2);
            XsErr err = {0};
            assert_int_equal(wp_encode(wp, text, len, &e, &err), 0);
            assert_int_equal(wp_encode(wp, text, len, &e2, &err), 0);
            assert_int_equal(e.n, e2.n);
            for (int i = 0; i < e.n; i++) {
                assert_true(e.ids[i] >= 0 && e.ids[i] < wp_vocab_size(wp));
                assert_true(e.start[i] >= 0 && e.start[i] < e.end[i] && (size_t)e.end[i] <= len);
                if (i > 0) assert_true(e.start[i] >= e.start[i - 1]);
                assert_int_equal(e.ids[i], e2.ids[i]);
            }
        }
    }
    encoding_free(&e);
    encoding_free(&e2);
}

/* Pairs and truncation through tokenizer.c (H3's) on our vocabs: [CLS] A [SEP] B [SEP], types 0/1,
 * longest_first truncation to max_len, against HF fast (pairs.jsonl). */
static void test_pairs_goldens(void **state) {
    (void)state;
    int n;
    json_t **recs = read_jsonl("wordpiece/pairs.jsonl", &n);
    assert_true(n >= 300);
    long bad[2] = {0}, truncated = 0;
    Encoding e;
    encoding_init(&e);
    for (int k = 0; k < 2; k++) {
        XsErr err = {0};
        Tokenizer *t = tokenizer_open(tu_fixture(g_vocab[k].vocab), &err);
        if (!t) fail_msg("%s", err.msg);
        for (int r = 0; r < n; r++) {
            json_t *a = json_object_get(recs[r], "a"), *b = json_object_get(recs[r], "b");
            int max_len = (int)json_integer_value(json_object_get(recs[r], "max_len"));
            json_t *g = json_object_get(recs[r], g_vocab[k].key);
            json_t *ids = json_object_get(g, "ids"), *types = json_object_get(g, "types");
            if (tokenizer_encode(t, json_string_value(a), json_string_length(a), json_is_string(b) ? json_string_value(b) : NULL,
                                 json_is_string(b) ? json_string_length(b) : 0, max_len, &e, &err))
                fail_msg("pairs.jsonl:%d: %s", r + 1, err.msg);
            int ok = (size_t)e.n == json_array_size(ids);
            for (int i = 0; ok && i < e.n; i++)
                ok = e.ids[i] == json_integer_value(json_array_get(ids, (size_t)i)) &&
                     e.type_ids[i] == json_integer_value(json_array_get(types, (size_t)i));
            if (!ok && bad[k]++ < 5)
                print_message("pairs.jsonl:%d [%s] max_len %d: %d tokens, HF %zu (or ids/types differ)\n", r + 1,
                              g_vocab[k].key, max_len, e.n, json_array_size(ids));
            truncated += max_len > 0 && e.n == max_len;
        }
        tokenizer_free(t);
    }
    print_message("pairs/truncation: %d records x 2 vocabs (%ld truncated); mismatches vs HF fast: cased %ld, uncased %ld\n", n,
                  truncated, bad[0], bad[1]);
    assert_true(truncated > 100);
    assert_int_equal(bad[0] + bad[1], 0);
    encoding_free(&e);
    for (int r = 0; r < n; r++) json_decref(recs[r]);
    free(recs);
}

/* BertNormalizer's lowercase and strip_accents apart (tokenizer.json normalizers, issue 12 item 7):
 * ids and byte offsets of all four settings against HF tokenizers (normalizers.jsonl,
 * tools/gen_wp_normalizer_goldens.py). */
static void test_normalizer_settings(void **state) {
    (void)state;
    int n;
    json_t **recs = read_jsonl("wordpiece/normalizers.jsonl", &n);
    assert_int_equal(n, 32);
    WordPiece *wp[2][2] = {{NULL, NULL}, {NULL, NULL}};
    Encoding e;
    encoding_init(&e);
    int differ = 0;
    for (int r = 0; r < n; r++) {
        const char *t = json_string_value(json_object_get(recs[r], "t"));
        int lower = json_is_true(json_object_get(recs[r], "lower")), strip = json_is_true(json_object_get(recs[r], "strip"));
        XsErr err = {0};
        if (!wp[lower][strip]) wp[lower][strip] = wp_load_opts(tu_fixture("tok/mbert-cased-vocab.txt"), lower, strip, &err);
        assert_non_null(wp[lower][strip]);
        encoding_clear(&e);
        assert_int_equal(wp_encode(wp[lower][strip], t, strlen(t), &e, &err), 0);
        json_t *ids = json_object_get(recs[r], "ids"), *off = json_object_get(recs[r], "off");
        int ok = (size_t)e.n == json_array_size(ids);
        for (int i = 0; ok && i < e.n; i++) {
            json_t *o = json_array_get(off, (size_t)i);
            ok = e.ids[i] == json_integer_value(json_array_get(ids, (size_t)i)) &&
                 e.start[i] == json_integer_value(json_array_get(o, 0)) && e.end[i] == json_integer_value(json_array_get(o, 1));
        }
        if (!ok) fail_msg("lowercase=%d strip_accents=%d \"%s\": %d tokens, HF %zu, or ids/offsets differ", lower, strip, t, e.n,
                          json_array_size(ids));
        /* the settings matter: this text under lowercase = strip_accents (wp_load) may differ */
        if (lower != strip) {
            Encoding d;
            encoding_init(&d);
            assert_int_equal(wp_encode(vocab_for(0), t, strlen(t), &d, &err), 0);
            differ += d.n != e.n || memcmp(d.ids, e.ids, (size_t)e.n * sizeof *e.ids);
            encoding_free(&d);
        }
    }
    assert_true(differ >= 4);  /* texts where strip_accents apart from lowercase changes the tokens */
    encoding_free(&e);
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) wp_free(wp[a][b]);
    for (int r = 0; r < n; r++) json_decref(recs[r]);
    free(recs);
}

static int teardown(void **state) {
    (void)state;
    for (int k = 0; k < 2; k++) { wp_free(g_vocab[k].wp); g_vocab[k].wp = NULL; }
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocab_lookup),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_vocab_files),
        cmocka_unit_test(test_random_invariants),
        cmocka_unit_test(test_single_goldens),
        cmocka_unit_test(test_pairs_goldens),
        cmocka_unit_test(test_normalizer_settings),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
