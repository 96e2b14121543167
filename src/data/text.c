/* text.c — MLM plain-text lines over data/rows' line reader: blank lines (Python str.isspace)
 * skipped and counted, invalid UTF-8 an error or a counted skip. */
#include "data/text.h"
#include "core/mem.h"
#include "data/labels.h"
#include "data/rows.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* HF run_mlm.py (line_by_line): a line is dropped when len(line) == 0 or line.isspace(). */
static int is_blank(const char *s, size_t len) {
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0 || !pystr_isspace((uint32_t)cp)) return 0;
        i += (size_t)k;
    }
    return 1;
}

long text_stream(const char *path, const TextReadOpts *opts, TextFn fn, void *ctx, TextReadStats *st, XsErr *err) {
    TextReadStats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    int skip = opts ? opts->skip_bad_rows : 0;
    LineReader lr;
    if (lines_open(&lr, path, err)) return -1;
    long rc = 0;
    char *line;
    size_t len;
    for (;;) {
        int r = lines_next(&lr, &line, &len, err);
        if (r == ROWS_EOF) break;
        if (r == ROWS_FATAL) { rc = -1; break; }
        st->nlines++;
        if (r == ROWS_OK && memchr(line, 0, len)) {
            err_set(err, path, lr.lineno, "expected text, found a NUL byte at byte %zu of the line", (size_t)((char *)memchr(line, 0, len) - line) + 1);
            r = ROWS_BAD;
        }
        if (r == ROWS_BAD) {
            if (rows_bad(skip, &st->nbad, err)) { rc = -1; break; }
            continue;
        }
        if (is_blank(line, len)) { st->nblank++; continue; }
        st->ntext++;
        st->nbytes += len;
        if (fn(ctx, line, len, lr.lineno, err)) { rc = -1; break; }
    }
    lines_close(&lr);
    return rc ? -1 : (long)st->nbad;
}

static int collect(void *ctx, const char *text, size_t len, long line, XsErr *err) {
    (void)err;
    TextLines *t = ctx;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->v = xrealloc(t->v, t->cap * sizeof *t->v);
        t->line = xrealloc(t->line, t->cap * sizeof *t->line);
    }
    t->v[t->n] = xstrndup(text, len);
    t->line[t->n++] = line;
    return 0;
}

long text_read(const char *path, const TextReadOpts *opts, TextLines *out, XsErr *err) {
    memset(out, 0, sizeof *out);
    long rc = text_stream(path, opts, collect, out, &out->st, err);
    if (rc < 0) text_lines_free(out);
    return rc;
}

void text_lines_free(TextLines *t) {
    for (size_t i = 0; i < t->n; i++) free(t->v[i]);
    free(t->v);
    free(t->line);
    memset(t, 0, sizeof *t);
}
