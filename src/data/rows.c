/* rows.c — line / TSV / RFC-4180 CSV / JSON-lines row streaming with file:line errors, in bounded
 * memory (one row at a time). Field meaning and label mapping live in data/pairs, data/choices. */
#include "data/rows.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/util.h"
#include "tok/spm.h"  /* utf8_first_invalid */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int lines_open(LineReader *r, const char *path, XsErr *err) {
    memset(r, 0, sizeof *r);
    r->path = path;
    r->f = file_open_read(path, err);
    if (!r->f) return -1;
    return 0;
}

int lines_next(LineReader *r, char **line, size_t *len, XsErr *err) {
    ssize_t n = getline(&r->buf, &r->cap, r->f);
    if (n < 0) {
        if (ferror(r->f)) return err_set(err, r->path, r->lineno + 1, "read error: %s", strerror(errno)), ROWS_FATAL;
        return ROWS_EOF;
    }
    r->lineno++;
    size_t k = (size_t)n;
    if (k && r->buf[k - 1] == '\n') k--;
    r->crlf = k && r->buf[k - 1] == '\r';
    if (r->crlf) k--;
    r->buf[k] = 0;
    char *s = r->buf;
    if (r->lineno == 1 && k >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) { s += 3; k -= 3; }
    const char *nul = memchr(s, 0, k);
    if (nul) {
        err_set(err, r->path, r->lineno, "expected text, found a NUL byte at byte %zu of the line", (size_t)(nul - s) + 1);
        return ROWS_BAD;
    }
    long bad = utf8_first_invalid(s, k);
    if (bad >= 0) {
        text_utf8_error(err, r->path, r->lineno, s, bad, 1);
        return ROWS_BAD;
    }
    *line = s;
    *len = k;
    return ROWS_OK;
}

void lines_close(LineReader *r) {
    if (r->f) fclose(r->f);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

int rows_open(RowReader *r, const char *path, RowsMode mode, char delim, XsErr *err) {
    memset(r, 0, sizeof *r);
    r->mode = mode;
    r->delim = delim;
    return lines_open(&r->lr, path, err);
}

void rows_close(RowReader *r) {
    lines_close(&r->lr);
    free(r->f); free(r->off); free(r->buf);
    if (r->obj) json_decref(r->obj);
    memset(r, 0, sizeof *r);
}

static void reserve_field(RowReader *r) {
    if (r->nf == r->capf) {
        r->capf = r->capf ? 2 * r->capf : 32;
        r->f = xrealloc(r->f, r->capf * sizeof *r->f);
        r->off = xrealloc(r->off, r->capf * sizeof *r->off);
    }
}
static void push_field(RowReader *r, char *s) {
    reserve_field(r);
    r->f[r->nf++] = s;
}

static void put(RowReader *r, size_t *n, char c) {
    if (*n + 1 >= r->cap) { r->cap = r->cap ? 2 * r->cap : 4096; r->buf = xrealloc(r->buf, r->cap); }
    r->buf[(*n)++] = c;
}

/* Decodes one RFC-4180 record that starts on the line s (more lines are read while a quoted
 * field is open). Fields are NUL-separated in r->buf. */
static int csv_record(RowReader *r, char *s, XsErr *err) {
    size_t n = 0;
    r->nf = 0;
    const char *path = r->lr.path;
    for (;;) {                               /* one field per iteration */
        reserve_field(r);
        r->off[r->nf] = n;
        if (*s == '"') {
            s++;
            for (;;) {
                if (*s == 0) {               /* the quoted field goes on on the next line */
                    char *line; size_t len;
                    if (r->lr.crlf) put(r, &n, '\r');
                    int rc = lines_next(&r->lr, &line, &len, err);
                    if (rc == ROWS_EOF)
                        return err_set(err, path, r->line, "expected a closing quote for the field opened on this line, found the end of the file"), ROWS_BAD;
                    if (rc != ROWS_OK) return rc;
                    put(r, &n, '\n');
                    s = line;
                    continue;
                }
                if (*s == '"') {
                    if (s[1] == '"') { put(r, &n, '"'); s += 2; continue; }
                    s++;
                    break;
                }
                put(r, &n, *s++);
            }
            if (*s != 0 && *s != r->delim)
                return err_set(err, path, r->lr.lineno, "expected '%c' or the end of the line after a closing quote, found '%c'",
                               r->delim == '\t' ? 't' : r->delim, *s), ROWS_BAD;
        } else {
            while (*s && *s != r->delim) put(r, &n, *s++);
        }
        put(r, &n, 0);
        r->nf++;
        if (*s == 0) break;
        s++;                                 /* the delimiter */
    }
    for (size_t i = 0; i < r->nf; i++) r->f[i] = r->buf + r->off[i];
    return ROWS_OK;
}

int rows_next(RowReader *r, XsErr *err) {
    if (r->obj) { json_decref(r->obj); r->obj = NULL; }
    char *line;
    size_t len;
    int rc;
    do {
        rc = lines_next(&r->lr, &line, &len, err);
        r->line = r->lr.lineno;
        if (rc != ROWS_OK) return rc;
    } while (len == 0);
    r->text = line;
    if (r->mode == ROWS_CSV) return csv_record(r, line, err);
    if (r->mode == ROWS_JSONL) {
        json_error_t je;
        r->obj = json_loadb(line, len, 0, &je);
        if (!r->obj) return err_set(err, r->lr.path, r->line, "expected one JSON object per line: %s (column %d)", je.text, je.column), ROWS_BAD;
        if (!json_is_object(r->obj)) return err_set(err, r->lr.path, r->line, "expected a JSON object, found another JSON value"), ROWS_BAD;
        return ROWS_OK;
    }
    r->nf = 0;
    char *s = line;
    for (;;) {
        push_field(r, s);
        char *t = strchr(s, '\t');
        if (!t) break;
        *t = 0;
        s = t + 1;
    }
    return ROWS_OK;
}

long rows_find(const RowReader *r, const char *name) {
    for (size_t i = 0; i < r->nf; i++)
        if (!strcmp(r->f[i], name)) return (long)i;
    return -1;
}

int rows_bad(int skip, size_t *nbad, XsErr *err) {
    if (!skip) return -1;
    if (err) log_warn("%s (row skipped: skip_bad_rows)", err->msg);
    (*nbad)++;
    err_clear(err);
    return 0;
}

const char *json_field_str(json_t *o, const char *key, const char *path, long line, XsErr *err) {
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) {
        err_set(err, path, line, v ? "expected field \"%s\" to be a string" : "expected a string field \"%s\", found none", key);
        return NULL;
    }
    return json_string_value(v);
}

int json_field_int(json_t *o, const char *key, long *out, const char *path, long line, XsErr *err) {
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v)) { *out = (long)json_integer_value(v); return 0; }
    if (json_is_string(v) && !parse_long(json_string_value(v), out)) return 0;
    if (!v) return err_set(err, path, line, "expected an integer field \"%s\", found none", key);
    return err_set(err, path, line, "expected field \"%s\" to be an integer", key);
}
