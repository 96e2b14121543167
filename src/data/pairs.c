/* pairs.c — the pair-classification readers: per published layout, which columns / JSON fields
 * hold the two texts, the id and the label, and how the label spellings map onto task_labels. */
#include "data/pairs.h"
#include "core/mem.h"
#include "data/rows.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per format: how rows are split, and (for files with a header) the columns by name. */
typedef struct FormatSpec {
    const char *name;
    RowsMode mode;
    char delim;
    int header;                   /* first row names the columns */
    const char *a, *b, *id, *label, *lang;  /* header column / JSON field names (NULL: none) */
    int nli;                      /* labels are NLI (else binary "0"/"1") */
} FormatSpec;

static const FormatSpec SPEC[PAIR_NFORMATS] = {
    [PAIR_MNLI_TSV]     = {"mnli-tsv", ROWS_TSV, 0, 1, "sentence1", "sentence2", "pairID", "gold_label", NULL, 1},
    [PAIR_MNLI_JSONL]   = {"mnli-jsonl", ROWS_JSONL, 0, 0, "sentence1", "sentence2", "pairID", "gold_label", NULL, 1},
    [PAIR_ANLI_JSONL]   = {"anli", ROWS_JSONL, 0, 0, "context", "hypothesis", "uid", "label", NULL, 1},
    [PAIR_SNLI_JSONL]   = {"snli", ROWS_JSONL, 0, 0, "sentence1", "sentence2", "pairID", "gold_label", NULL, 1},
    [PAIR_QQP_TSV]      = {"qqp", ROWS_TSV, 0, 1, "question1", "question2", "id", "is_duplicate", NULL, 0},
    [PAIR_XNLI_TSV]     = {"xnli", ROWS_TSV, 0, 1, "sentence1", "sentence2", "pairID", "gold_label", "language", 1},
    [PAIR_XNLI_MT_TSV]  = {"xnli-mt", ROWS_TSV, 0, 1, "premise", "hypo", NULL, "label", NULL, 1},
    [PAIR_MYXNLI_TSV]   = {"myxnli", ROWS_TSV, 0, 1, "sentence1_", "sentence2_", NULL, "label", NULL, 1},
    [PAIR_PAWSX_TSV]    = {"pawsx", ROWS_TSV, 0, 1, "sentence1", "sentence2", "id", "label", NULL, 0},
    [PAIR_XTREME_XNLI]  = {"xtreme-xnli", ROWS_CSV, '\t', 0, NULL, NULL, NULL, NULL, NULL, 1},
    [PAIR_XTREME_PAWSX] = {"xtreme-pawsx", ROWS_CSV, '\t', 0, NULL, NULL, NULL, NULL, NULL, 0},
    [PAIR_XTREME_XNLI_TRANSLATED]  = {"xtreme-xnli-translated", ROWS_TSV, 0, 0, NULL, NULL, NULL, NULL, NULL, 1},
    [PAIR_XTREME_PAWSX_TRANSLATED] = {"xtreme-pawsx-translated", ROWS_TSV, 0, 0, NULL, NULL, NULL, NULL, NULL, 0},
};

static int translated(PairFormat f) { return f == PAIR_XTREME_XNLI_TRANSLATED || f == PAIR_XTREME_PAWSX_TRANSLATED; }

const char *pair_format_name(PairFormat f) { return (unsigned)f < PAIR_NFORMATS ? SPEC[f].name : "?"; }

int pair_format_parse(const char *name, PairFormat *f) {
    for (int i = 0; i < PAIR_NFORMATS; i++)
        if (!strcmp(SPEC[i].name, name)) { *f = (PairFormat)i; return 0; }
    return -1;
}

/* The last three components of path: file name, parent folder, grandparent folder ("" if none). */
static void path_parts(const char *path, char base[256], char parent[256], char grand[256]) {
    char *out[3] = {base, parent, grand};
    size_t end = strlen(path);
    for (int k = 0; k < 3; k++) {
        out[k][0] = 0;
        while (end > 0 && path[end - 1] == '/') end--;
        size_t start = end;
        while (start > 0 && path[start - 1] != '/') start--;
        snprintf(out[k], 256, "%.*s", (int)(end - start), path + start);
        end = start;
    }
}

static int starts(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }
static int ends(const char *s, const char *x) { size_t n = strlen(s), m = strlen(x); return n >= m && !strcmp(s + n - m, x); }

int pair_format_guess(const char *path, PairFormat *f, int *unlabeled) {
    char b[256], p[256], g[256];
    path_parts(path, b, p, g);
    int un = 0, r = 0;
    if (starts(b, "multinli_1.0_") && ends(b, ".jsonl")) *f = PAIR_MNLI_JSONL;
    else if (starts(b, "snli_1.0_") && ends(b, ".jsonl")) *f = PAIR_SNLI_JSONL;
    else if ((!strcmp(p, "R1") || !strcmp(p, "R2") || !strcmp(p, "R3")) && ends(b, ".jsonl")) *f = PAIR_ANLI_JSONL;
    else if (starts(b, "multinli.train.") && ends(b, ".tsv")) *f = PAIR_XNLI_MT_TSV;
    else if (!strcmp(b, "xnli.dev.tsv") || !strcmp(b, "xnli.test.tsv")) *f = PAIR_XNLI_TSV;
    else if (strstr(b, ".genre.") && ends(b, ".tsv")) *f = PAIR_MYXNLI_TSV;
    else if (!strcmp(g, "x-final") || !strcmp(b, "dev_2k.tsv") || !strcmp(b, "test_2k.tsv")) *f = PAIR_PAWSX_TSV;
    else if (!strcmp(p, "MNLI") && ends(b, ".tsv")) *f = PAIR_MNLI_TSV, un = starts(b, "test");
    else if (!strcmp(p, "QQP") && ends(b, ".tsv")) *f = PAIR_QQP_TSV, un = starts(b, "test");
    else if (starts(b, "en-") && ends(b, "-translated.tsv") &&
             (!strcmp(g, "XNLI") || !strcmp(p, "XNLI-Translated"))) *f = PAIR_XTREME_XNLI_TRANSLATED;
    else if (starts(b, "en-") && ends(b, "-translated.tsv") && (!strcmp(g, "PAWSX") || !strcmp(p, "translated")))
        *f = PAIR_XTREME_PAWSX_TRANSLATED;
    else if (!strcmp(p, "xnli") && ends(b, ".tsv") && strchr(b, '-')) *f = PAIR_XTREME_XNLI, un = starts(b, "test-");
    else if (!strcmp(p, "pawsx") && ends(b, ".tsv") && strchr(b, '-')) *f = PAIR_XTREME_PAWSX, un = starts(b, "test-");
    else r = -1;
    if (!r && unlabeled) *unlabeled = un;
    return r;
}

const TaskLabels *pair_format_labels(PairFormat f) { return SPEC[f].nli ? &TASK_LABELS_NLI : &TASK_LABELS_BINARY; }

/* Column indices found in the header (or fixed for XTREME's header-less files). */
typedef struct Cols { long a, b, id, label, lang; size_t nf; } Cols;

enum { ROW_TAKE, ROW_NOLABEL, ROW_FILTERED, ROW_BAD };

typedef struct Reader {
    const char *path;
    PairFormat fmt;
    const FormatSpec *sp;
    const PairReadOpts *o;
    Cols c;
    char idbuf[32];
} Reader;

static char *ascii_trim(char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = 0;
    return s;
}

static int xnli_family(PairFormat f) {
    return f == PAIR_XNLI_TSV || f == PAIR_XNLI_MT_TSV || f == PAIR_MYXNLI_TSV || f == PAIR_XTREME_XNLI ||
           f == PAIR_XTREME_XNLI_TRANSLATED;
}

/* Gold label spelling → index. ROW_NOLABEL for NLI's "-" (no annotator majority: MNLI, SNLI). */
static int map_label(Reader *R, const char *raw, long line, int *label, XsErr *err) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s", raw);
    char *s = ascii_trim(tmp);
    const TaskLabels *L = pair_format_labels(R->fmt);
    if (R->sp->nli) {
        if (!strcmp(s, "-") && (R->fmt == PAIR_MNLI_TSV || R->fmt == PAIR_MNLI_JSONL || R->fmt == PAIR_SNLI_JSONL))
            return ROW_NOLABEL;
        if (R->fmt == PAIR_ANLI_JSONL) {  /* ANLI spells them e / n / c */
            s = !strcmp(s, "e") ? "entailment" : !strcmp(s, "n") ? "neutral" : !strcmp(s, "c") ? "contradiction" : "";
        } else if (!strcmp(s, "contradictory") && xnli_family(R->fmt)) {  /* XNLI-MT spelling; XTREME maps it for all XNLI files */
            s = "contradiction";
        }
    }
    int k = task_label_index(L, s);
    if (k < 0) {
        const char *want = R->fmt == PAIR_ANLI_JSONL ? "e, n or c"
                           : !R->sp->nli        ? "0 or 1"
                           : xnli_family(R->fmt) ? "entailment, neutral, contradiction or contradictory"
                                                : "entailment, neutral, contradiction or -";
        err_set(err, R->path, line, "expected a label (%s), found '%s'", want, raw);
        return ROW_BAD;
    }
    *label = k;
    return ROW_TAKE;
}

static int header_col(Reader *R, RowReader *r, const char *name, long *out, int required, XsErr *err) {
    *out = -1;
    if (!name) return 0;
    *out = rows_find(r, name);
    if (*out < 0 && required)
        return err_set(err, R->path, r->line, "expected a header row with a column '%s' (%s layout)", name, R->sp->name);
    return 0;
}

static int read_header(Reader *R, RowReader *r, XsErr *err) {
    int rc = rows_next(r, err);
    if (rc == ROWS_EOF) return err_set(err, R->path, 0, "expected a header row, found an empty file");
    if (rc != ROWS_OK) return -1;
    Cols *c = &R->c;
    c->nf = r->nf;
    const FormatSpec *sp = R->sp;
    if (R->fmt == PAIR_MYXNLI_TSV) {  /* sentence1_<lang>: the language asked for, else the first one */
        const char *lang = R->o->lang;
        char n1[64] = "", n2[64] = "";
        for (size_t i = 0; i < r->nf && !lang; i++)
            if (!strncmp(r->f[i], "sentence1_", 10)) lang = r->f[i] + 10;
        if (lang) {
            snprintf(n1, sizeof n1, "sentence1_%s", lang);
            snprintf(n2, sizeof n2, "sentence2_%s", lang);
        }
        if (header_col(R, r, n1[0] ? n1 : "sentence1_<lang>", &c->a, 1, err) ||
            header_col(R, r, n2[0] ? n2 : "sentence2_<lang>", &c->b, 1, err))
            return -1;
    } else if (header_col(R, r, sp->a, &c->a, 1, err) || header_col(R, r, sp->b, &c->b, 1, err)) {
        return -1;
    }
    if (header_col(R, r, sp->id, &c->id, 0, err) || header_col(R, r, sp->label, &c->label, !R->o->unlabeled, err) ||
        header_col(R, r, sp->lang, &c->lang, R->o->lang != NULL, err))
        return -1;
    if (R->o->unlabeled) c->label = -1;
    return 0;
}

/* Fills ex (pointing into the row) from a TSV/CSV row or a JSON object. */
static int parse_row(Reader *R, RowReader *r, PairExample *ex, PairReadStats *st, XsErr *err) {
    const char *path = R->path;
    long line = r->line;
    const char *a, *b, *id = NULL, *lab = NULL;
    memset(ex, 0, sizeof *ex);
    ex->line = line;
    ex->label = -1;
    if (r->mode == ROWS_JSONL) {
        json_t *o = r->obj;
        const char *ka = R->sp->a;
        if (R->fmt == PAIR_ANLI_JSONL && !json_object_get(o, "context") && json_object_get(o, "premise")) ka = "premise";
        if (!(a = json_field_str(o, ka, path, line, err)) || !(b = json_field_str(o, R->sp->b, path, line, err)))
            return ROW_BAD;
        if (json_object_get(o, R->sp->id) && !(id = json_field_str(o, R->sp->id, path, line, err))) return ROW_BAD;
        if (!R->o->unlabeled && !(lab = json_field_str(o, R->sp->label, path, line, err))) return ROW_BAD;
    } else if (translated(R->fmt)) {  /* XTREME translate-train: en 1, en 2, translated 1, translated 2, label */
        size_t want = R->o->unlabeled ? 4 : 5;
        if (r->nf != want) {
            err_set(err, path, line, "expected %zu tab-separated fields (English sentence 1, English sentence 2, translated "
                    "sentence 1, translated sentence 2%s), found %zu", want, R->o->unlabeled ? "" : ", label", r->nf);
            return ROW_BAD;
        }
        a = r->f[2]; b = r->f[3];
        if (!R->o->unlabeled) lab = r->f[4];
    } else if (!R->sp->header) {  /* XTREME: sentence1, sentence2[, label] */
        size_t want = R->o->unlabeled ? 2 : 3;
        if (r->nf != want) {
            err_set(err, path, line, "expected %zu tab-separated fields (sentence1, sentence2%s), found %zu", want,
                    R->o->unlabeled ? "" : ", label", r->nf);
            return ROW_BAD;
        }
        a = r->f[0]; b = r->f[1];
        if (!R->o->unlabeled) lab = r->f[2];
    } else {
        const Cols *c = &R->c;
        if (r->nf != c->nf) {
            err_set(err, path, line, "expected %zu tab-separated fields (as the header), found %zu", c->nf, r->nf);
            return ROW_BAD;
        }
        if (c->lang >= 0 && R->o->lang && strcmp(r->f[c->lang], R->o->lang)) { st->nfiltered++; return ROW_FILTERED; }
        a = r->f[c->a]; b = r->f[c->b];
        if (c->id >= 0) id = r->f[c->id];
        if (c->label >= 0) lab = r->f[c->label];
    }
    if (lab) {
        int rc = map_label(R, lab, line, &ex->label, err);
        if (rc == ROW_NOLABEL) { st->nnolabel++; return rc; }
        if (rc != ROW_TAKE) return rc;
    }
    if (!id) { snprintf(R->idbuf, sizeof R->idbuf, "%ld", line); id = R->idbuf; }
    ex->text_a = (char *)a;
    ex->text_b = (char *)b;
    ex->id = (char *)id;
    return ROW_TAKE;
}

long pairs_stream(const char *path, PairFormat fmt, const PairReadOpts *opts, PairFn fn, void *ctx,
                  PairReadStats *st_out, XsErr *err) {
    CHECK((unsigned)fmt < PAIR_NFORMATS, "bad PairFormat %d", (int)fmt);
    static const PairReadOpts none;
    Reader R = {path, fmt, &SPEC[fmt], opts ? opts : &none, {-1, -1, -1, -1, -1, 0}, ""};
    PairReadStats st = {0};
    RowReader r;
    if (rows_open(&r, path, R.sp->mode, R.sp->delim, err)) return -1;
    long ret = -1;
    if (R.sp->header && read_header(&R, &r, err)) goto done;
    for (;;) {
        int rc = rows_next(&r, err);
        if (rc == ROWS_EOF) break;
        if (rc == ROWS_FATAL) goto done;
        if (rc == ROWS_BAD) {
            if (rows_bad(R.o->skip_bad_rows, &st.nbad, err)) goto done;
            continue;
        }
        PairExample ex;
        int pr = parse_row(&R, &r, &ex, &st, err);
        if (pr == ROW_BAD) {
            if (rows_bad(R.o->skip_bad_rows, &st.nbad, err)) goto done;
            continue;
        }
        if (pr != ROW_TAKE) continue;
        st.nrows++;
        if (fn(ctx, &ex, err)) {
            if (err && err->failed) goto done;
            break;
        }
    }
    ret = (long)st.nbad;
done:
    rows_close(&r);
    if (st_out) *st_out = st;
    return ret;
}

static int collect(void *ctx, const PairExample *ex, XsErr *err) {
    (void)err;
    PairSet *s = ctx;
    s->v = xgrow(s->v, &s->cap, s->n, sizeof *s->v, 1024);
    PairExample *e = &s->v[s->n++];
    *e = *ex;
    e->text_a = xstrdup(ex->text_a);
    e->text_b = xstrdup(ex->text_b);
    e->id = xstrdup(ex->id);
    return 0;
}

long pairs_read(const char *path, PairFormat fmt, const PairReadOpts *opts, PairSet *out, XsErr *err) {
    memset(out, 0, sizeof *out);
    out->labels = pair_format_labels(fmt);
    long rc = pairs_stream(path, fmt, opts, collect, out, &out->st, err);
    if (rc < 0) pairs_free(out);
    return rc;
}

void pairs_free(PairSet *s) {
    for (size_t i = 0; i < s->n; i++) { free(s->v[i].text_a); free(s->v[i].text_b); free(s->v[i].id); }
    free(s->v);
    memset(s, 0, sizeof *s);
}
