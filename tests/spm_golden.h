/* spm_golden.h — reads the golden files of tests/fixtures/spm/ (written by tools/gen_spm_goldens.py)
 * for test_spm.c and test_tokenizer.c: the input lines (+ the two long lines rebuilt here) and the
 * base-64 id lines. Header-only (static functions) so each test program stays one file. */
#ifndef XS_SPM_GOLDEN_H
#define XS_SPM_GOLDEN_H
#include "core/mem.h"
#include "core/util.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *buf;     /* inputs.txt contents */
    char **line;   /* [n] pointers (not NUL-terminated inside buf: use len) */
    size_t *len;   /* [n] */
    int n;         /* stored lines + 2 long ones */
    char *long1, *long2;
} GoldInputs;

static void gold_inputs_load(GoldInputs *g) {
    XsErr err;
    err_clear(&err);
    size_t n;
    g->buf = file_read_all("tests/fixtures/spm/inputs.txt", &n, &err);
    CHECK(g->buf, "%s", err.msg);
    int cap = 8192;
    g->line = xmalloc((size_t)cap * sizeof *g->line);
    g->len = xmalloc((size_t)cap * sizeof *g->len);
    g->n = 0;
    size_t at = 0;
    while (at < n) {
        char *nl = memchr(g->buf + at, '\n', n - at);
        size_t e = nl ? (size_t)(nl - g->buf) : n;
        CHECK(g->n + 2 < cap, "too many lines");
        g->line[g->n] = g->buf + at;
        g->len[g->n++] = e - at;
        at = e + 1;
    }
    /* LONG1: the lines from the first on joined by " " until >= 100,000 bytes (the script's long_lines) */
    size_t total = 0;
    int k = 0;
    while (k < g->n && total < 100000) {
        total += g->len[k] + (k ? 1 : 0);
        k++;
    }
    g->long1 = xmalloc(total + 1);
    size_t p = 0;
    for (int i = 0; i < k; i++) {
        if (i) g->long1[p++] = ' ';
        memcpy(g->long1 + p, g->line[i], g->len[i]);
        p += g->len[i];
    }
    CHECK(p == total, "long line length %zu vs %zu", p, total);
    g->long2 = xmalloc(100000);
    for (int i = 0; i < 100000; i++) g->long2[i] = i % 2 ? 'b' : 'a';
    g->line[g->n] = g->long1;
    g->len[g->n++] = total;
    g->line[g->n] = g->long2;
    g->len[g->n++] = 100000;
}

static void gold_inputs_free(GoldInputs *g) {
    free(g->buf);
    free(g->line);
    free(g->len);
    free(g->long1);
    free(g->long2);
}

static uint64_t gold_fnv(const int32_t *ids, int n) {
    uint64_t h = 0xCBF29CE484222325ull;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 4; k++) {
            h ^= ((uint32_t)ids[i] >> (8 * k)) & 0xFF;
            h *= 0x100000001B3ull;
        }
    return h;
}

static int gold_b64(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    if (c >= 'a' && c <= 'z') return c - 'a' + 36;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

/* Compares ids[0..n) with one golden line (base-64 ids or "#N HASH"). Returns 1 when equal. When
 * they differ and `show` is set, prints both. */
static int gold_match(const char *g, size_t glen, const int32_t *ids, int n, const char *what, int line, int show) {
    if (glen > 0 && g[0] == '#') {
        int cnt = 0;
        unsigned long long h = 0;
        CHECK(sscanf(g, "#%d %llx", &cnt, &h) == 2, "bad golden hash line for %s:%d", what, line);
        int ok = cnt == n && h == gold_fnv(ids, n);
        if (!ok && show) fprintf(stderr, "%s line %d: %d ids (hash differs), expected %d\n", what, line, n, cnt);
        return ok;
    }
    CHECK(glen % 3 == 0, "bad golden line length for %s:%d", what, line);
    int gn = (int)(glen / 3), ok = gn == n;
    for (int i = 0; ok && i < n; i++) {
        int v = gold_b64(g[3 * i]) << 12 | gold_b64(g[3 * i + 1]) << 6 | gold_b64(g[3 * i + 2]);
        ok = v == ids[i];
    }
    if (!ok && show) {
        fprintf(stderr, "%s line %d:\n  got     ", what, line);
        for (int i = 0; i < n && i < 60; i++) fprintf(stderr, " %d", ids[i]);
        fprintf(stderr, "\n  expected");
        for (int i = 0; i < gn && i < 60; i++)
            fprintf(stderr, " %d", gold_b64(g[3 * i]) << 12 | gold_b64(g[3 * i + 1]) << 6 | gold_b64(g[3 * i + 2]));
        fprintf(stderr, "\n");
    }
    return ok;
}

/* The golden file split into lines (header dropped). */
typedef struct {
    char *buf;
    char **line;
    size_t *len;
    int n;
} GoldLines;

static void gold_lines_load(GoldLines *g, const char *path) {
    XsErr err;
    err_clear(&err);
    size_t n;
    g->buf = file_read_all(path, &n, &err);
    CHECK(g->buf, "%s", err.msg);
    int cap = 1024;
    g->line = xmalloc((size_t)cap * sizeof *g->line);
    g->len = xmalloc((size_t)cap * sizeof *g->len);
    g->n = 0;
    size_t at = 0;
    int first = 1;
    while (at < n) {
        char *nl = memchr(g->buf + at, '\n', n - at);
        size_t e = nl ? (size_t)(nl - g->buf) : n;
        if (!(first && g->buf[at] == '#' && g->buf[at + 1] == ' ')) {
            if (g->n == cap) {
                cap *= 2;
                g->line = xrealloc(g->line, (size_t)cap * sizeof *g->line);
                g->len = xrealloc(g->len, (size_t)cap * sizeof *g->len);
            }
            g->line[g->n] = g->buf + at;
            g->len[g->n++] = e - at;
        }
        first = 0;
        at = e + 1;
    }
}

static void gold_lines_free(GoldLines *g) {
    free(g->buf);
    free(g->line);
    free(g->len);
}

#endif
