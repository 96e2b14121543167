/* labels.c — line/tag/TSV readers with Python's text-mode semantics (universal newlines,
 * str.strip()), errors with file:line. What the labels mean is left to eval/metrics, eval/seqeval. */
#include "data/labels.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/util.h"
#include <stdlib.h>
#include <string.h>

/* Python str.strip() of s[0..len) in place (NUL-terminated at the new end); returns the new start. */
static char *py_strip(char *s, size_t *len) {
    char *b = (char *)text_strip(s, len);
    b[*len] = 0;
    return b;
}

/* Calls fn on every line (universal newlines: \n, \r\n, \r) after a UTF-8 check. */
typedef int (*LineFn)(void *ctx, char *line, size_t len, long lineno, XsErr *err);
static int for_lines(const char *path, LineFn fn, void *ctx, XsErr *err) {
    size_t len;
    char *buf = file_read_all(path, &len, err);
    if (!buf) return -1;
    long lineno = 1;
    long bad = utf8_first_invalid(buf, len);
    if (bad >= 0) {
        size_t col;
        text_position(buf, (size_t)bad, &lineno, &col);
        free(buf);
        return err_set(err, path, lineno, "expected UTF-8 text, found an invalid byte sequence");
    }
    lineno = 1;
    int rc = 0;
    size_t i = 0;
    while (i < len && !rc) {
        size_t j = i;
        while (j < len && buf[j] != '\n' && buf[j] != '\r') j++;
        size_t next = j < len ? j + 1 : j;
        if (j < len && buf[j] == '\r' && j + 1 < len && buf[j + 1] == '\n') next = j + 2;
        buf[j] = 0;  /* j < len, or j == len where file_read_all left a NUL */
        size_t l = j - i;
        char *s = py_strip(buf + i, &l);
        rc = fn(ctx, s, l, lineno++, err);
        i = next;
    }
    free(buf);
    return rc;
}

/* ---- one label per line ---- */

typedef struct { LabelList *out; size_t cap; int mode; const char *lang; const char *path; } LineCtx;

static void push_label(LabelList *l, size_t *cap, const char *s, long lineno) {
    if (l->n == *cap) {
        *cap = *cap ? 2 * *cap : 1024;
        l->v = xrealloc(l->v, *cap * sizeof *l->v);
        l->line = xrealloc(l->line, *cap * sizeof *l->line);
    }
    l->v[l->n] = xstrdup(s);
    l->line[l->n++] = lineno;
}

enum { MODE_LINES, MODE_XNLI, MODE_PAWSX };

static int on_label_line(void *vctx, char *s, size_t len, long lineno, XsErr *err) {
    LineCtx *c = vctx;
    (void)len;
    if (c->mode == MODE_LINES) { push_label(c->out, &c->cap, s, lineno); return 0; }
    if (lineno == 1) return 0;  /* header */
    if (!*s) return 0;          /* trailing blank line of a TSV */
    if (c->mode == MODE_XNLI) {
        char *t1 = strchr(s, '\t');
        if (!t1) return err_set(err, c->path, lineno, "expected tab-separated XNLI columns (language, gold_label, ...), found 1 field");
        *t1 = 0;
        char *t2 = strchr(t1 + 1, '\t');
        if (t2) *t2 = 0;
        if (!strcmp(s, c->lang)) push_label(c->out, &c->cap, t1 + 1, lineno);
        return 0;
    }
    char *last = strrchr(s, '\t');
    if (!last) return err_set(err, c->path, lineno, "expected tab-separated PAWS-X columns (id, sentence1, sentence2, label), found 1 field");
    push_label(c->out, &c->cap, last + 1, lineno);
    return 0;
}

static int read_labels(const char *path, int mode, const char *lang, LabelList *out, XsErr *err) {
    memset(out, 0, sizeof *out);
    LineCtx c = {out, 0, mode, lang, path};
    if (for_lines(path, on_label_line, &c, err)) { labels_free(out); return -1; }
    return 0;
}
int labels_read_lines(const char *path, LabelList *out, XsErr *err) { return read_labels(path, MODE_LINES, NULL, out, err); }
int labels_read_xnli_tsv(const char *path, const char *lang, LabelList *out, XsErr *err) {
    if (read_labels(path, MODE_XNLI, lang, out, err)) return -1;
    if (out->n == 0) { labels_free(out); return err_set(err, path, 0, "no rows with language '%s' in column 1", lang); }
    return 0;
}
int labels_read_pawsx_tsv(const char *path, LabelList *out, XsErr *err) { return read_labels(path, MODE_PAWSX, NULL, out, err); }

void labels_free(LabelList *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v); free(l->line);
    memset(l, 0, sizeof *l);
}

/* ---- tag files ---- */

typedef struct { TagFile *t; size_t cap_tags, cap_sent, cur_len; long cur_line; } TagCtx;

static void close_sentence(TagCtx *c) {
    TagFile *t = c->t;
    if (t->nsent + 2 > c->cap_sent) {
        c->cap_sent = c->cap_sent ? 2 * c->cap_sent : 256;
        t->sent = xrealloc(t->sent, c->cap_sent * sizeof *t->sent);
        t->sent_line = xrealloc(t->sent_line, c->cap_sent * sizeof *t->sent_line);
    }
    t->sent_line[t->nsent] = c->cur_line;
    t->nsent++;
    t->sent[t->nsent] = t->ntags;
    c->cur_len = 0;
}

static int on_tag_line(void *vctx, char *s, size_t len, long lineno, XsErr *err) {
    TagCtx *c = vctx;
    TagFile *t = c->t;
    (void)err;
    if (len == 0) {  /* `else: labels.append(example)` — even when example is empty */
        if (c->cur_len == 0) c->cur_line = lineno;
        close_sentence(c);
        return 0;
    }
    char *tab = strrchr(s, '\t');
    const char *tag = tab ? tab + 1 : s;
    if (t->ntags == c->cap_tags) {
        c->cap_tags = c->cap_tags ? 2 * c->cap_tags : 4096;
        t->tags = xrealloc(t->tags, c->cap_tags * sizeof *t->tags);
        t->tag_line = xrealloc(t->tag_line, c->cap_tags * sizeof *t->tag_line);
    }
    if (c->cur_len == 0) c->cur_line = lineno;
    t->tags[t->ntags] = xstrdup(tag);
    t->tag_line[t->ntags++] = lineno;
    c->cur_len++;
    return 0;
}

int tags_read(const char *path, TagFile *out, XsErr *err) {
    memset(out, 0, sizeof *out);
    TagCtx c = {out, 0, 0, 0, 0};
    out->sent = xmalloc(sizeof *out->sent);
    out->sent[0] = 0;
    c.cap_sent = 1;
    if (for_lines(path, on_tag_line, &c, err)) { tags_free(out); return -1; }
    if (c.cur_len > 0) close_sentence(&c);  /* `if example: labels.append(example)` */
    /* lines are stripped, so the text after the last tab is never empty */
    return 0;
}

void tags_free(TagFile *t) {
    for (size_t i = 0; i < t->ntags; i++) free(t->tags[i]);
    free(t->tags); free(t->tag_line); free(t->sent); free(t->sent_line);
    memset(t, 0, sizeof *t);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char **labels_pair_set(const LabelList *l, const char *path, size_t *n, XsErr *err) {
    for (size_t i = 0; i < l->n; i++) {
        const char *s = l->v[i], *t = strchr(s, '\t');
        if (!t || t == s || !t[1] || strchr(t + 1, '\t'))
            return err_set(err, path, l->line[i], "expected 'source_id<TAB>target_id', found '%s'", s), NULL;
    }
    char **v = xmalloc((l->n ? l->n : 1) * sizeof *v);
    if (l->n) memcpy(v, l->v, l->n * sizeof *v);
    qsort(v, l->n, sizeof *v, cmp_str);
    size_t m = 0;
    for (size_t i = 0; i < l->n; i++)
        if (m == 0 || strcmp(v[m - 1], v[i])) v[m++] = v[i];
    *n = m;
    return v;
}
