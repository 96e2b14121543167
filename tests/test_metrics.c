/* test_metrics.c — `xstilts score` against every output of the official scripts recorded in
 * tests/fixtures/metrics/goldens.json (1e-9 absolute, 0-100 scale), and the Python-str Unicode
 * predicates of eval/squad against CPython's tables over all code points. */
#include "testutil.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/util.h"
#include "data/labels.h"
#include "eval/squad.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define FIX "tests/fixtures/metrics/"

static const char *xs_bin(void) {
    const char *x = getenv("XS");
    return x && *x ? x : "build/xstilts";
}

/* Runs a command and returns its stdout (malloc'd) and exit status. */
static char *run_capture(const char *cmd, int *status) {
    *status = -1;
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    size_t k;
    while ((k = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += k;
        if (cap - len < 2) { cap *= 2; buf = xrealloc(buf, cap); }
    }
    buf[len] = 0;
    *status = pclose(p);
    return buf;
}

static void test_official_goldens(void **state) {
    (void)state;
    json_error_t je;
    json_t *m = json_load_file(FIX "goldens.json", 0, &je);
    assert_non_null(m);
    json_t *cases = json_object_get(m, "cases");
    assert_true(json_array_size(cases) > 300);
    size_t ncmp = 0, nbad = 0, ncase = 0;
    double maxdiff = 0;
    char worst[4200] = "";
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        char cmd[4096];
        int n = snprintf(cmd, sizeof cmd, "%s score --task %s --lang %s --pred " FIX "%s --gold " FIX "%s", xs_bin(),
                         json_string_value(json_object_get(c, "task")), json_string_value(json_object_get(c, "lang")),
                         json_string_value(json_object_get(c, "pred")), json_string_value(json_object_get(c, "gold")));
        json_t *args = json_object_get(c, "args"), *a;
        size_t k;
        int prev_path = 0;
        json_array_foreach(args, k, a) {
            const char *s = json_string_value(a);
            n += snprintf(cmd + n, sizeof cmd - (size_t)n, prev_path ? " " FIX "%s" : " %s", s);
            prev_path = !strcmp(s, "--na-prob");
        }
        snprintf(cmd + n, sizeof cmd - (size_t)n, " 2>/dev/null");
        int st = -1;
        char *out = run_capture(cmd, &st);
        assert_non_null(out);
        json_t *got = json_loads(out, 0, &je);
        if (st != 0 || !got) {
            printf("FAILED to run: %s (status %d)\n", cmd, st);
            nbad++;
            free(out);
            continue;
        }
        ncase++;
        const char *key;
        json_t *want;
        json_object_foreach(json_object_get(c, "expected"), key, want) {
            json_t *g = json_object_get(got, key);
            ncmp++;
            if (!g || !json_is_number(g)) {
                printf("MISSING key %s in output of %s\n", key, cmd);
                nbad++;
                continue;
            }
            double d = fabs(json_number_value(g) - json_number_value(want));
            if (!(d <= 1e-9)) {
                printf("MISMATCH %s: got %.17g want %.17g\n  %s\n", key, json_number_value(g), json_number_value(want), cmd);
                nbad++;
            }
            if (d > maxdiff || isnan(d)) {
                maxdiff = d;
                snprintf(worst, sizeof worst, "%s %s", key, cmd);
            }
        }
        json_decref(got);
        free(out);
    }
    printf("official goldens: %zu cases, %zu metric values compared, %zu bad, max |diff| %.3g%s%s\n", ncase, ncmp, nbad,
           maxdiff, maxdiff > 0 ? " at " : "", maxdiff > 0 ? worst : "");
    json_decref(m);
    assert_int_equal(nbad, 0);
    assert_true(ncmp > 1000);
}

/* ---- CPython Unicode tables ---- */

typedef struct { unsigned char *bits[6]; } Props;
static const char *PROP_NAMES[6] = {"assigned", "space", "word", "mlqa_punct", "case_ignorable", "cased_not_ignorable"};

static uint32_t parse_hex(const char *s, char **end) { return (uint32_t)strtoul(s, end, 16); }

static void test_unicode_tables(void **state) {
    (void)state;
    size_t len;
    XsErr err = {0};
    char *txt = file_read_all(FIX "unicode_py.txt", &len, &err);
    assert_non_null(txt);
    enum { N = 0x110000 };
    Props p;
    for (int k = 0; k < 6; k++) p.bits[k] = xcalloc(N, 1);
    uint32_t *lower_to = xcalloc((size_t)N * 3, sizeof(uint32_t));
    unsigned char *lower_n = xcalloc(N, 1);
    size_t nstr = 0, str_bad = 0;
    for (char *line = strtok(txt, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        char *sp = strchr(line, ' ');
        assert_non_null(sp);
        *sp = 0;
        char *rest = sp + 1, *e;
        if (!strcmp(line, "lower")) {
            uint32_t c = parse_hex(rest, &e);
            while (*e == ' ') { lower_to[c * 3 + lower_n[c]] = parse_hex(e + 1, &e); lower_n[c]++; }
        } else if (!strcmp(line, "string")) {
            /* "string <in cps> | <out cps>" */
            uint32_t v[64];
            size_t nv = 0, nin = 0;
            for (char *q = rest; *q && nv < 64;) {
                if (*q == '|') { nin = nv; q++; while (*q == ' ') q++; continue; }
                v[nv++] = parse_hex(q, &q);
                while (*q == ' ') q++;
            }
            assert_true(nin > 0);
            uint32_t out[130];
            size_t nout = pyu_lower(v, nin, out);
            nstr++;
            if (nout != nv - nin || memcmp(out, v + nin, nout * sizeof *out)) {
                printf("lower() of string %zu differs\n", nstr);
                str_bad++;
            }
        } else {
            int k = 0;
            while (k < 6 && strcmp(PROP_NAMES[k], line)) k++;
            assert_true(k < 6);
            uint32_t a = parse_hex(rest, &e), b = parse_hex(e, &e);
            for (uint32_t c = a; c <= b; c++) p.bits[k][c] = 1;
        }
    }
    /* Compare over code points assigned in CPython's Unicode AND in utf8proc's (newer) one:
     * characters new since CPython's version are reported, not compared. */
    size_t bad[7] = {0}, newer = 0, compared = 0;
    for (uint32_t c = 0; c < N; c++) {
        if (c >= 0xD800 && c <= 0xDFFF) continue;
        int ucat = utf8proc_category((utf8proc_int32_t)c);
        if (!p.bits[0][c]) { newer += ucat != UTF8PROC_CATEGORY_CN; continue; }
        compared++;
        int got[5] = {text_isspace(c), pyu_isword(c), pyu_is_mlqa_punct(c), pyu_is_case_ignorable(c),
                      pyu_is_case_ignorable(c) ? 0 : pyu_is_cased(c)};
        for (int k = 0; k < 5; k++)
            if (got[k] != p.bits[k + 1][c]) {
                if (bad[k] < 5) printf("U+%04X: %s = %d, CPython %d\n", c, PROP_NAMES[k + 1], got[k], p.bits[k + 1][c]);
                bad[k]++;
            }
        uint32_t in = c, out[2];
        size_t no = pyu_lower(&in, 1, out);
        size_t want_n = lower_n[c] ? lower_n[c] : 1;
        const uint32_t *want = lower_n[c] ? &lower_to[c * 3] : &in;
        if (no != want_n || memcmp(out, want, no * sizeof *out)) {
            if (bad[5] < 5) printf("U+%04X: lower -> U+%04X (%zu), CPython U+%04X (%zu)\n", c, out[0], no, want[0], want_n);
            bad[5]++;
        }
    }
    printf("unicode: %zu code points compared, %zu assigned only in utf8proc's newer Unicode (not compared); "
           "mismatches space %zu word %zu punct %zu ignorable %zu cased %zu lower %zu; %zu lower() strings, %zu bad\n",
           compared, newer, bad[0], bad[1], bad[2], bad[3], bad[4], bad[5], nstr, str_bad);
    for (int k = 0; k < 6; k++) { assert_int_equal(bad[k], 0); free(p.bits[k]); }
    assert_int_equal(str_bad, 0);
    assert_true(nstr >= 10);
    assert_true(compared > 280000);
    free(lower_to); free(lower_n); free(txt);
}

/* normalize_answer on a few strings (expected values printed by the official scripts) */
static void test_normalize_examples(void **state) {
    (void)state;
    struct { const char *in; SqLang l; const char *want; } ex[] = {
        {"The  Eiffel-Tower!", SQ_SQUAD, "eiffeltower"},
        {"«the» answer", SQ_SQUAD, "« » answer"},     /* « is kept (not string.punctuation) but bounds a word */
        {"«the» answer", SQ_EN, "answer"},             /* ... but is MLQA PUNCT */
        {"der Hund, die Katze", SQ_DE, "hund katze"},
        {"الكتاب", SQ_AR, "كتاب"},
        {"北京大学 ok", SQ_ZH, "北 京 大 学 ok"},
        {"", SQ_SQUAD, ""},
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        char *n = squad_normalize(ex[i].in, ex[i].l);
        assert_string_equal(n, ex[i].want);
        free(n);
    }
    assert_int_equal(squad_lang_parse("xx"), -1);
    assert_int_equal(squad_lang_parse("zh"), SQ_ZH);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_examples),
        cmocka_unit_test(test_unicode_tables),
        cmocka_unit_test(test_official_goldens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
