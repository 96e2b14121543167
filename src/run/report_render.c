/* report_render.c — renderings of a report_results object: results.json, results.csv, report.md and a
 * self-contained report.html (well-formed XHTML, inline CSS and SVG, no scripts, no network), the delta
 * heatmap and training curves as standalone SVG. Numbers shown to people: percents with one decimal,
 * deltas signed ("+1.3", "-0.4"; one that rounds to zero is "+0.0"); CSV and JSON carry full precision. */
#include "core/mem.h"
#include "core/util.h"
#include "run/report.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- lookups and formats ------------------------------------------------------------------------------ */

static const char *S(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static double D(const json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }
static int has(const json_t *o, const char *k) { return json_is_number(json_object_get(o, k)); }

static json_t *entry(const json_t *arr, const char *row, const char *target, const char *lang) {
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        if (row && (!S(e, "row") || strcmp(S(e, "row"), row))) continue;
        if (target && (!S(e, "target") || strcmp(S(e, "target"), target))) continue;
        if (lang && (!S(e, "language") || strcmp(S(e, "language"), lang))) continue;
        return e;
    }
    return NULL;
}
static json_t *split_part(const json_t *res, const char *split, const char *part) {
    return json_object_get(json_object_get(json_object_get(res, "splits"), split), part);
}

typedef struct Num { char s[40]; } Num;
typedef struct Buf { char s[96]; } Buf;
static Num fpct(double v) { Num b; snprintf(b.s, sizeof b.s, "%.1f", v); if (!strcmp(b.s, "-0.0")) strcpy(b.s, "0.0"); return b; }
static Num fdelta(double v) { Num b; snprintf(b.s, sizeof b.s, "%+.1f", v); if (!strcmp(b.s, "-0.0")) strcpy(b.s, "+0.0"); return b; }
/* "71.2 ± 0.4", or "71.2" for one seed */
static Buf fmeanstd(const json_t *e) {
    Buf b;
    if (has(e, "std")) snprintf(b.s, sizeof b.s, "%s \xc2\xb1 %s", fpct(D(e, "mean")).s, fpct(D(e, "std")).s);
    else snprintf(b.s, sizeof b.s, "%s", fpct(D(e, "mean")).s);
    return b;
}

static int any_entries(const json_t *res, const char *split) {
    return json_array_size(split_part(res, split, "scores")) > 0;
}
static const char *split_title(const char *split) { return !strcmp(split, "test") ? "Test" : "Dev"; }
static int is_baseline(const json_t *res, const char *row) { return S(res, "baseline") && !strcmp(S(res, "baseline"), row); }

/* ---- results.json ------------------------------------------------------------------------------------- */

int report_write_json(const json_t *res, const char *path, XsErr *err) { return json_write_atomic(path, res, err); }

/* ---- results.csv -------------------------------------------------------------------------------------- */

static void csv_num(FILE *f, const json_t *o, const char *k) {
    if (has(o, k)) fprintf(f, ",%.6f", D(o, k));
    else fprintf(f, ",");
}

int report_write_csv(const json_t *res, const char *path, XsErr *err) {
    AtomicFile af;
    if (atomic_open(&af, path, err)) return -1;
    FILE *f = af.f;
    fprintf(f, "kind,split,row,target,language,seed,n,mean,std,delta,note\n");
    const char *sp[2] = {"test", "dev"};
    json_t *cells = json_object_get(res, "cells");
    for (int s = 0; s < 2; s++) {
        char key[32];
        snprintf(key, sizeof key, "%s_score", sp[s]);
        for (size_t i = 0; i < json_array_size(cells); i++) {
            json_t *c = json_array_get(cells, i);
            if (!has(c, key)) continue;
            fprintf(f, "seed,%s,%s,%s,,%lld,1,%.6f,,,\n", sp[s], S(c, "row"), S(c, "target"),
                    (long long)json_integer_value(json_object_get(c, "seed")), D(c, key));
        }
        json_t *a = split_part(res, sp[s], "scores");
        for (size_t i = 0; i < json_array_size(a); i++) {
            json_t *e = json_array_get(a, i);
            fprintf(f, "score,%s,%s,%s,,,%lld", sp[s], S(e, "row"), S(e, "target"), (long long)json_integer_value(json_object_get(e, "n")));
            csv_num(f, e, "mean"); csv_num(f, e, "std"); csv_num(f, e, "delta");
            fprintf(f, ",\n");
        }
        a = split_part(res, sp[s], "xtreme");
        for (size_t i = 0; i < json_array_size(a); i++) {
            json_t *e = json_array_get(a, i);
            fprintf(f, "xtreme,%s,%s,xtreme,,,%lld", sp[s], S(e, "row"), (long long)json_integer_value(json_object_get(e, "n")));
            csv_num(f, e, "mean"); csv_num(f, e, "std"); csv_num(f, e, "delta");
            fprintf(f, ",%s\n", json_is_true(json_object_get(e, "complete")) ? "complete" : "incomplete");
        }
        a = split_part(res, sp[s], "languages");
        for (size_t i = 0; i < json_array_size(a); i++) {
            json_t *e = json_array_get(a, i);
            fprintf(f, "language,%s,%s,%s,%s,,%lld", sp[s], S(e, "row"), S(e, "target"), S(e, "language"),
                    (long long)json_integer_value(json_object_get(e, "n")));
            csv_num(f, e, "mean"); csv_num(f, e, "std");
            fprintf(f, ",,\n");
        }
    }
    json_t *best = json_object_get(res, "best");
    for (size_t i = 0; i < json_array_size(best); i++) {
        json_t *e = json_array_get(best, i);
        fprintf(f, "best,%s,%s,%s,,,%lld", S(e, "split"), S(e, "row"), S(e, "target"), (long long)json_integer_value(json_object_get(e, "n")));
        csv_num(f, e, "mean"); csv_num(f, e, "std"); csv_num(f, e, "delta");
        fprintf(f, ",chosen on %s\n", S(e, "chosen_on"));
    }
    return atomic_commit(&af, err);
}

/* ---- tables, shared by Markdown and HTML ---------------------------------------------------------------- */

/* A table as strings: the same cells go to report.md and report.html. */
typedef struct Table {
    char caption[256];
    size_t ncol, nrow;
    char **cell;  /* (nrow + 1) x ncol, row 0 = header */
    char **cls;   /* HTML class per cell or NULL */
    int first_numeric; /* columns from here on are right-aligned */
} Table;

static void t_init(Table *t, const char *caption, size_t ncol) {
    memset(t, 0, sizeof *t);
    snprintf(t->caption, sizeof t->caption, "%s", caption);
    t->ncol = ncol;
    t->first_numeric = 1;
    t->cell = xcalloc(ncol, sizeof *t->cell);
    t->cls = xcalloc(ncol, sizeof *t->cls);
}
static void t_row(Table *t) {
    t->nrow++;
    t->cell = xrealloc(t->cell, (t->nrow + 1) * t->ncol * sizeof *t->cell);
    t->cls = xrealloc(t->cls, (t->nrow + 1) * t->ncol * sizeof *t->cls);
    memset(t->cell + t->nrow * t->ncol, 0, t->ncol * sizeof *t->cell);
    memset(t->cls + t->nrow * t->ncol, 0, t->ncol * sizeof *t->cls);
}
static void t_set(Table *t, size_t col, const char *s, const char *cls) {
    size_t i = t->nrow * t->ncol + col;
    free(t->cell[i]);
    t->cell[i] = xstrdup(s);
    if (cls) t->cls[i] = xstrdup(cls);
}
static void t_free(Table *t) {
    for (size_t i = 0; i < (t->nrow + 1) * t->ncol; i++) { free(t->cell[i]); free(t->cls[i]); }
    free(t->cell);
    free(t->cls);
}
static const char *t_get(const Table *t, size_t r, size_t c) {
    const char *s = t->cell[r * t->ncol + c];
    return s ? s : "\xe2\x80\x93"; /* – */
}

static void md_table(FILE *f, const Table *t) {
    fprintf(f, "### %s\n\n|", t->caption);
    for (size_t c = 0; c < t->ncol; c++) fprintf(f, " %s |", t_get(t, 0, c));
    fprintf(f, "\n|");
    for (size_t c = 0; c < t->ncol; c++) fprintf(f, "%s|", (int)c >= t->first_numeric ? "---:" : "---");
    fprintf(f, "\n");
    for (size_t r = 1; r <= t->nrow; r++) {
        fprintf(f, "|");
        for (size_t c = 0; c < t->ncol; c++) fprintf(f, " %s |", t_get(t, r, c));
        fprintf(f, "\n");
    }
    fprintf(f, "\n");
}

static void html_text(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '&') fputs("&amp;", f);
        else if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

static void html_table(FILE *f, const Table *t) {
    fprintf(f, "<div class=\"scroll\"><table>\n<caption>");
    html_text(f, t->caption);
    fprintf(f, "</caption>\n<thead><tr>");
    for (size_t c = 0; c < t->ncol; c++) {
        fprintf(f, "<th%s>", (int)c >= t->first_numeric ? " class=\"num\"" : "");
        html_text(f, t_get(t, 0, c));
        fprintf(f, "</th>");
    }
    fprintf(f, "</tr></thead>\n<tbody>\n");
    for (size_t r = 1; r <= t->nrow; r++) {
        fprintf(f, "<tr>");
        for (size_t c = 0; c < t->ncol; c++) {
            const char *k = t->cls[r * t->ncol + c];
            if (c == 0) fprintf(f, "<th scope=\"row\">");
            else fprintf(f, "<td class=\"%s%s%s\">", (int)c >= t->first_numeric ? "num" : "txt", k ? " " : "", k ? k : "");
            /* a cell "score (delta)" shows the delta smaller, coloured by its sign */
            const char *s = t_get(t, r, c), *p = strstr(s, " (");
            if (p && c > 0 && k && strstr(k, "sd")) {
                fwrite(s, 1, (size_t)(p - s), f);
                fprintf(f, " <span class=\"d %s\">", p[2] == '-' ? "neg" : "pos");
                html_text(f, p + 1);
                fprintf(f, "</span>");
            } else html_text(f, s);
            fprintf(f, c == 0 ? "</th>" : "</td>");
        }
        fprintf(f, "</tr>\n");
    }
    fprintf(f, "</tbody></table></div>\n");
}

/* The targets that have an entry in split's scores, in the results' order. */
static size_t split_targets(const json_t *res, const char *split, const json_t **out, size_t cap) {
    json_t *ts = json_object_get(res, "targets"), *a = split_part(res, split, "scores");
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(ts) && n < cap; i++)
        if (entry(a, NULL, S(json_array_get(ts, i), "name"), NULL)) out[n++] = json_array_get(ts, i);
    return n;
}

enum { MAXCOLS = 256, MD_WIDTH = 100 };

/* Columns per Markdown table so that its lines stay within MD_WIDTH: as many as fit after the row label
 * (columns col_w wide), spread evenly over the tables needed (7 columns → 4 + 3, not 6 + 1). */
static size_t md_chunk(const json_t *res, size_t ncols, size_t col_w) {
    size_t label = 3;
    json_t *rows = json_object_get(res, "rows");
    for (size_t i = 0; i < json_array_size(rows); i++)
        if (strlen(json_string_value(json_array_get(rows, i))) > label) label = strlen(json_string_value(json_array_get(rows, i)));
    size_t fit = label + 4 < MD_WIDTH ? (MD_WIDTH - label - 4) / col_w : 1;
    if (fit < 1) fit = 1;
    size_t ntab = (ncols + fit - 1) / fit;
    return ntab ? (ncols + ntab - 1) / ntab : 1;
}

/* Score tables of a split (targets, then XTREME); md: columns split over tables MD_WIDTH wide, else one
 * table. with_delta: cells "score (Δ)". */
static size_t score_tables(const json_t *res, const char *split, int md, int with_delta, Table **out) {
    const json_t *tg[MAXCOLS];
    size_t nt = split_targets(res, split, tg, MAXCOLS);
    json_t *xt = split_part(res, split, "xtreme"), *sc = split_part(res, split, "scores"), *rows = json_object_get(res, "rows");
    size_t ncols = nt + (json_array_size(xt) ? 1 : 0), ntab = 0, chunk = md ? md_chunk(res, ncols, 14) : ncols;
    *out = NULL;
    for (size_t c0 = 0; c0 < ncols; c0 += chunk) {
        size_t c1 = c0 + chunk < ncols ? c0 + chunk : ncols;
        *out = xrealloc(*out, (ntab + 1) * sizeof **out);
        Table *t = &(*out)[ntab++];
        char cap[128];
        snprintf(cap, sizeof cap, "%s: score (mean \xc2\xb1 std over seeds%s)", split_title(split), with_delta ? "; \xce\x94 vs baseline" : "");
        t_init(t, cap, 1 + c1 - c0);
        t_set(t, 0, "row", NULL);
        for (size_t c = c0; c < c1; c++) {
            int inc = 0;
            for (size_t i = 0; c >= nt && i < json_array_size(xt); i++) inc |= !json_is_true(json_object_get(json_array_get(xt, i), "complete"));
            t_set(t, 1 + c - c0, c < nt ? S(tg[c], "label") : inc ? "XTREME*" : "XTREME", NULL);
        }
        for (size_t r = 0; r < json_array_size(rows); r++) {
            const char *row = json_string_value(json_array_get(rows, r));
            t_row(t);
            t_set(t, 0, row, NULL);
            for (size_t c = c0; c < c1; c++) {
                json_t *e = c < nt ? entry(sc, row, S(tg[c], "name"), NULL) : entry(xt, row, NULL, NULL);
                if (!e) continue;
                char s[160];
                int inc = c >= nt && !json_is_true(json_object_get(e, "complete"));
                if (with_delta && has(e, "delta")) snprintf(s, sizeof s, "%s%s (%s)", fmeanstd(e).s, inc ? "*" : "", fdelta(D(e, "delta")).s);
                else snprintf(s, sizeof s, "%s%s", fmeanstd(e).s, inc ? "*" : "");
                t_set(t, 1 + c - c0, s, with_delta && has(e, "delta") ? "sd" : NULL);
            }
        }
    }
    return ntab;
}

static int delta_table(const json_t *res, const char *split, Table *t) {
    const json_t *tg[MAXCOLS];
    size_t nt = split_targets(res, split, tg, MAXCOLS);
    json_t *xt = split_part(res, split, "xtreme"), *sc = split_part(res, split, "scores"), *rows = json_object_get(res, "rows");
    int any = 0;
    char cap[128];
    snprintf(cap, sizeof cap, "%s: \xce\x94 vs baseline (points)", split_title(split));
    t_init(t, cap, 1 + nt + (json_array_size(xt) ? 1 : 0));
    t_set(t, 0, "row", NULL);
    for (size_t c = 0; c < nt; c++) t_set(t, 1 + c, S(tg[c], "label"), NULL);
    if (json_array_size(xt)) t_set(t, 1 + nt, "XTREME", NULL);
    for (size_t r = 0; r < json_array_size(rows); r++) {
        const char *row = json_string_value(json_array_get(rows, r));
        if (is_baseline(res, row)) continue;
        t_row(t);
        t_set(t, 0, row, NULL);
        for (size_t c = 0; c <= nt; c++) {
            json_t *e = c < nt ? entry(sc, row, S(tg[c], "name"), NULL) : entry(xt, row, NULL, NULL);
            if (!e || !has(e, "delta")) continue;
            t_set(t, 1 + c, fdelta(D(e, "delta")).s, D(e, "delta") < 0 ? "neg" : "pos");
            any = 1;
        }
    }
    return any;
}

static void best_table(const json_t *res, Table *t) {
    t_init(t, "Best intermediate task per target (chosen on dev, reported on test where it exists)", 7);
    t->first_numeric = 3;
    const char *h[7] = {"target", "row", "chosen on", "chosen mean", "reported on", "score", "\xce\x94 vs baseline"};
    for (int c = 0; c < 7; c++) t_set(t, (size_t)c, h[c], NULL);
    json_t *best = json_object_get(res, "best"), *ts = json_object_get(res, "targets");
    for (size_t i = 0; i < json_array_size(best); i++) {
        json_t *e = json_array_get(best, i);
        const char *label = S(e, "target");
        for (size_t k = 0; k < json_array_size(ts); k++)
            if (!strcmp(S(json_array_get(ts, k), "name"), label)) label = S(json_array_get(ts, k), "label");
        t_row(t);
        t_set(t, 0, label, NULL);
        t_set(t, 1, S(e, "row"), NULL);
        t_set(t, 2, S(e, "chosen_on"), NULL);
        t_set(t, 3, fpct(D(e, "chosen_mean")).s, NULL);
        t_set(t, 4, S(e, "split"), NULL);
        t_set(t, 5, fmeanstd(e).s, NULL);
        if (has(e, "delta")) t_set(t, 6, fdelta(D(e, "delta")).s, D(e, "delta") < 0 ? "neg" : "pos");
    }
}

/* Per-language tables of one target and split (md: split to stay MD_WIDTH wide; else one table). */
static size_t lang_tables(const json_t *res, const char *split, const json_t *target, int md, Table **out) {
    json_t *a = split_part(res, split, "languages"), *rows = json_object_get(res, "rows");
    const char *langs[MAXCOLS];
    size_t nl = 0, ntab = 0;
    for (size_t i = 0; i < json_array_size(a) && nl < MAXCOLS; i++) {
        json_t *e = json_array_get(a, i);
        if (strcmp(S(e, "target"), S(target, "name"))) continue;
        int seen = 0;
        for (size_t k = 0; k < nl; k++) seen |= !strcmp(langs[k], S(e, "language"));
        if (!seen) langs[nl++] = S(e, "language");
    }
    /* languages appear row by row; keep the results' language order (XTREME's) as of the first row */
    *out = NULL;
    size_t chunk = md ? md_chunk(res, nl, 7) : nl;
    for (size_t c0 = 0; c0 < nl; c0 += chunk) {
        size_t c1 = c0 + chunk < nl ? c0 + chunk : nl;
        *out = xrealloc(*out, (ntab + 1) * sizeof **out);
        Table *t = &(*out)[ntab++];
        char cap[200];
        snprintf(cap, sizeof cap, "%s: %s per language (%s, mean over seeds)", split_title(split), S(target, "label"), S(target, "major_metric"));
        t_init(t, cap, 1 + c1 - c0);
        t_set(t, 0, "row", NULL);
        for (size_t c = c0; c < c1; c++) t_set(t, 1 + c - c0, langs[c], NULL);
        for (size_t r = 0; r < json_array_size(rows); r++) {
            const char *row = json_string_value(json_array_get(rows, r));
            if (!entry(a, row, S(target, "name"), NULL)) continue;
            t_row(t);
            t_set(t, 0, row, NULL);
            for (size_t c = c0; c < c1; c++) {
                json_t *e = entry(a, row, S(target, "name"), langs[c]);
                if (e) t_set(t, 1 + c - c0, fpct(D(e, "mean")).s, NULL);
            }
        }
    }
    return ntab;
}

static void cells_table(const json_t *res, Table *t) {
    t_init(t, "Cells (one per row, target and seed)", 8);
    t->first_numeric = 2;
    const char *h[8] = {"row", "target", "seed", "dev", "test", "best step", "wall (s)", "tokens"};
    for (int c = 0; c < 8; c++) t_set(t, (size_t)c, h[c], NULL);
    json_t *cells = json_object_get(res, "cells");
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *c = json_array_get(cells, i);
        char s[64];
        t_row(t);
        t_set(t, 0, S(c, "row"), NULL);
        t_set(t, 1, S(c, "target"), NULL);
        snprintf(s, sizeof s, "%lld", (long long)json_integer_value(json_object_get(c, "seed")));
        t_set(t, 2, s, NULL);
        if (has(c, "dev_score")) t_set(t, 3, fpct(D(c, "dev_score")).s, NULL);
        if (has(c, "test_score")) t_set(t, 4, fpct(D(c, "test_score")).s, NULL);
        if (json_is_integer(json_object_get(c, "best_step"))) {
            snprintf(s, sizeof s, "%lld", (long long)json_integer_value(json_object_get(c, "best_step")));
            t_set(t, 5, s, NULL);
        }
        snprintf(s, sizeof s, "%.0f", D(c, "wall_s"));
        t_set(t, 6, s, NULL);
        snprintf(s, sizeof s, "%lld", (long long)json_integer_value(json_object_get(c, "tokens")));
        t_set(t, 7, s, NULL);
    }
}

/* "12 cells: 3 rows x 4 targets x 2 seeds; baseline row baseline." */
static void summary_line(const json_t *res, char *buf, size_t cap) {
    json_t *tot = json_object_get(res, "totals");
    size_t nc = (size_t)json_integer_value(json_object_get(tot, "cells")), nr = json_array_size(json_object_get(res, "rows"));
    size_t nt = json_array_size(json_object_get(res, "targets")), ns = json_array_size(json_object_get(res, "seeds"));
    snprintf(buf, cap, "%zu cell%s: %zu row%s \xc3\x97 %zu target%s \xc3\x97 %zu seed%s; baseline row: %s; %.2f hours and %lld tokens of "
             "training in all", nc, nc == 1 ? "" : "s", nr, nr == 1 ? "" : "s", nt, nt == 1 ? "" : "s", ns, ns == 1 ? "" : "s",
             S(res, "baseline") ? S(res, "baseline") : "none (no deltas)", D(tot, "wall_s") / 3600.0,
             (long long)json_integer_value(json_object_get(tot, "tokens")));
}

static const char *EXPLAIN =
    "Each cell's score is the mean over the target's languages of its major metric, in percent; across "
    "seeds the tables show mean \xc2\xb1 sample standard deviation (n - 1; no \xc2\xb1 for one seed). "
    "\xce\x94 = row mean - baseline mean, in points. XTREME = the XTREME score of google-research/xtreme "
    "evaluate.py over the row's XTREME targets (QA as (EM + F1) / 2); XTREME* marks rows where tasks or "
    "languages are missing: there it is the mean of the task scores present. Definitions: docs/REPORT.md.";

/* Prose wrapped at MD_WIDTH columns (UTF-8 characters counted), at spaces. */
static void md_wrap(FILE *f, const char *text) {
    size_t col = 0;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p), w = 0;
        for (size_t i = 0; i < n; i++) w += ((unsigned char)p[i] & 0xc0) != 0x80;
        if (col && col + 1 + w > MD_WIDTH) { fputc('\n', f); col = 0; }
        else if (col) { fputc(' ', f); col++; }
        fwrite(p, 1, n, f);
        col += w;
        p += n;
        while (*p == ' ') p++;
    }
    fputs("\n\n", f);
}

int report_write_md(const json_t *res, const char *path, XsErr *err) {
    AtomicFile af;
    if (atomic_open(&af, path, err)) return -1;
    FILE *f = af.f;
    char line[512];
    fprintf(f, "# %s\n\n", S(res, "title") ? S(res, "title") : "xstilts run report");
    summary_line(res, line, sizeof line);
    strcat(line, ".");
    md_wrap(f, line);
    md_wrap(f, EXPLAIN);
    const char *sp[2] = {"test", "dev"};
    for (int s = 0; s < 2; s++) {
        if (!any_entries(res, sp[s])) continue;
        fprintf(f, "## %s set\n\n", split_title(sp[s]));
        Table *ts;
        size_t n = score_tables(res, sp[s], 1, 0, &ts);
        for (size_t i = 0; i < n; i++) { md_table(f, &ts[i]); t_free(&ts[i]); }
        free(ts);
        Table t;
        if (delta_table(res, sp[s], &t)) md_table(f, &t);
        t_free(&t);
    }
    if (json_array_size(json_object_get(res, "best"))) {
        fprintf(f, "## Best intermediate task per target\n\n");
        Table t;
        best_table(res, &t);
        md_table(f, &t);
        t_free(&t);
    }
    for (int s = 0; s < 2; s++) {
        if (!any_entries(res, sp[s])) continue;
        fprintf(f, "## Per language, %s set\n\n", sp[s]);
        json_t *tgs = json_object_get(res, "targets");
        for (size_t k = 0; k < json_array_size(tgs); k++) {
            Table *ts;
            size_t n = lang_tables(res, sp[s], json_array_get(tgs, k), 1, &ts);
            for (size_t i = 0; i < n; i++) { md_table(f, &ts[i]); t_free(&ts[i]); }
            free(ts);
        }
    }
    fprintf(f, "## Cells\n\n");
    Table t;
    cells_table(res, &t);
    md_table(f, &t);
    t_free(&t);
    return atomic_commit(&af, err);
}

/* ---- SVG ---------------------------------------------------------------------------------------------- */

static const char *FONT = "font-family=\"Helvetica Neue, Helvetica, Arial, sans-serif\"";

/* Diverging scale (ColorBrewer RdBu, 5 anchors): -1 red, 0 near-white, +1 blue. */
static void diverging(double t, int rgb[3]) {
    static const double anchor[5][3] = {{178, 24, 43}, {239, 138, 98}, {247, 247, 247}, {103, 169, 207}, {33, 102, 172}};
    if (t < -1) t = -1;
    if (t > 1) t = 1;
    double x = (t + 1) * 2; /* 0..4 */
    int i = (int)floor(x);
    if (i >= 4) i = 3;
    double u = x - i;
    for (int k = 0; k < 3; k++) rgb[k] = (int)lround(anchor[i][k] + (anchor[i + 1][k] - anchor[i][k]) * u);
}

static double nice_up(double v) {
    static const double m[] = {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
    double p = pow(10, floor(log10(v)));
    for (int i = 0; i < 10; i++)
        if (m[i] * p >= v - 1e-12) return m[i] * p;
    return 10 * p;
}

static void svg_text(FILE *f, const char *s) { html_text(f, s); }

/* The heatmap as an <svg> element (standalone adds the XML declaration). 0: nothing to draw. */
static int heatmap(FILE *f, const json_t *res, const char *split, int standalone) {
    const json_t *tg[MAXCOLS];
    size_t nt = split_targets(res, split, tg, MAXCOLS);
    json_t *xt = split_part(res, split, "xtreme"), *sc = split_part(res, split, "scores"), *rows = json_object_get(res, "rows");
    const char *rnames[MAXCOLS];
    size_t nr = 0;
    double vmax = 0;
    int xinc = 0, hasx = 0;
    for (size_t r = 0; r < json_array_size(rows) && nr < MAXCOLS; r++) {
        const char *row = json_string_value(json_array_get(rows, r));
        if (is_baseline(res, row)) continue;
        rnames[nr++] = row;
        for (size_t c = 0; c <= nt; c++) {
            json_t *e = c < nt ? entry(sc, row, S(tg[c], "name"), NULL) : entry(xt, row, NULL, NULL);
            if (e && has(e, "delta")) {
                vmax = fmax(vmax, fabs(D(e, "delta")));
                if (c == nt) { hasx = 1; xinc |= !json_is_true(json_object_get(e, "complete")); }
            }
        }
    }
    if (!nr || vmax == 0) {
        int any = 0;
        for (size_t i = 0; i < json_array_size(sc); i++) any |= has(json_array_get(sc, i), "delta");
        if (!any) return 0;
    }
    vmax = nice_up(fmax(vmax, 0.5));
    size_t ncol = nt + (size_t)hasx, maxr = 4, maxc = 6;
    for (size_t r = 0; r < nr; r++) maxr = strlen(rnames[r]) > maxr ? strlen(rnames[r]) : maxr;
    for (size_t c = 0; c < nt; c++) maxc = strlen(S(tg[c], "label")) > maxc ? strlen(S(tg[c], "label")) : maxc;
    double cw = fmax(70, maxc * 7.6 + 14), ch = 46, left = maxr * 7.8 + 26, top = 78, gap = hasx ? 10 : 0;
    double gw = ncol * cw + gap, gh = nr * ch;
    double legx = left + gw + 28, legh = fmax(gh, 140), W = legx + 80, H = top + legh + (xinc ? 52 : 34);
    const char *base = S(res, "baseline");
    if (standalone) fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" %s "
               "role=\"img\">\n", W, H, W, H, FONT);
    fprintf(f, "<title>Delta vs baseline, %s set</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n", split);
    fprintf(f, "<text x=\"%.1f\" y=\"24\" font-size=\"15\" font-weight=\"600\" fill=\"#1a1a1a\">\xce\x94 vs %s", left,
            base && strcmp(base, "baseline") ? "the baseline row " : "baseline");
    if (base && strcmp(base, "baseline")) svg_text(f, base);
    fprintf(f, ", %s set</text>\n", split);
    fprintf(f, "<text x=\"%.1f\" y=\"42\" font-size=\"11.5\" fill=\"#555\">points of the target's major metric; mean over seeds; "
               "small: the row's score</text>\n", left);
    /* column labels */
    for (size_t c = 0; c < ncol; c++) {
        double x = left + c * cw + (c >= nt ? gap : 0) + cw / 2;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12.5\" font-weight=\"600\" text-anchor=\"middle\" fill=\"#222\">", x, top - 10);
        svg_text(f, c < nt ? S(tg[c], "label") : xinc ? "XTREME*" : "XTREME");
        fprintf(f, "</text>\n");
    }
    /* rows */
    for (size_t r = 0; r < nr; r++) {
        double y = top + r * ch;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12.5\" text-anchor=\"end\" fill=\"#222\">", left - 10, y + ch / 2 + 4.5);
        svg_text(f, rnames[r]);
        fprintf(f, "</text>\n");
        for (size_t c = 0; c < ncol; c++) {
            double x = left + c * cw + (c >= nt ? gap : 0);
            json_t *e = c < nt ? entry(sc, rnames[r], S(tg[c], "name"), NULL) : entry(xt, rnames[r], NULL, NULL);
            if (!e || !has(e, "delta")) {
                fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ececec\" stroke=\"#ffffff\" stroke-width=\"2\"/>\n"
                           "<text class=\"na\" x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" fill=\"#999\">n/a</text>\n",
                        x, y, cw, ch, x + cw / 2, y + ch / 2 + 4);
                continue;
            }
            double d = D(e, "delta");
            int rgb[3];
            diverging(d / vmax, rgb);
            const char *ink = fabs(d / vmax) > 0.55 ? "#ffffff" : "#1a1a1a";
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#%02x%02x%02x\" stroke=\"#ffffff\" stroke-width=\"2\"/>\n",
                    x, y, cw, ch, rgb[0], rgb[1], rgb[2]);
            fprintf(f, "<text class=\"v\" x=\"%.1f\" y=\"%.1f\" font-size=\"14\" font-weight=\"600\" text-anchor=\"middle\" fill=\"%s\">%s</text>\n",
                    x + cw / 2, y + 21, ink, fdelta(d).s);
            fprintf(f, "<text class=\"s\" x=\"%.1f\" y=\"%.1f\" font-size=\"10.5\" text-anchor=\"middle\" fill=\"%s\" fill-opacity=\"0.8\">%s</text>\n",
                    x + cw / 2, y + 36, ink, fpct(D(e, "mean")).s);
        }
    }
    /* legend: a vertical colour bar, +vmax at the top */
    fprintf(f, "<defs><linearGradient id=\"hm-grad-%s\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">\n", split);
    for (int i = 0; i <= 8; i++) {
        int rgb[3];
        diverging(1 - i / 4.0, rgb);
        fprintf(f, "<stop offset=\"%.3f\" stop-color=\"#%02x%02x%02x\"/>\n", i / 8.0, rgb[0], rgb[1], rgb[2]);
    }
    fprintf(f, "</linearGradient></defs>\n");
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"%.1f\" fill=\"url(#hm-grad-%s)\" stroke=\"#bbb\" stroke-width=\"0.5\"/>\n",
            legx, top, legh, split);
    for (int i = 0; i <= 4; i++) {
        double v = vmax * (1 - i / 2.0), y = top + legh * i / 4.0;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#666\" stroke-width=\"0.8\"/>\n", legx + 14, y, legx + 18, y);
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#444\">%s</text>\n", legx + 21, y + 4, i == 2 ? "0" : fdelta(v).s);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#444\" text-anchor=\"middle\" transform=\"rotate(90 %.1f %.1f)\">"
               "\xce\x94 (points)</text>\n", legx + 58, top + legh / 2, legx + 58, top + legh / 2);
    if (xinc)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10.5\" fill=\"#666\">* XTREME over the XTREME targets present "
                   "(incomplete: not all 9 tasks or languages)</text>\n", left, top + legh + 30);
    fprintf(f, "</svg>\n");
    return 1;
}

static const char *PALETTE[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

static double nice_step(double range, int ticks) {
    if (range <= 0) return 1;
    double raw = range / ticks, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}

static void tick_label(char *b, size_t cap, double v, double step) {
    if (step >= 1) snprintf(b, cap, "%.0f", v);
    else if (step >= 0.1) snprintf(b, cap, "%.1f", v);
    else snprintf(b, cap, "%.2f", v);
    if (!strcmp(b, "-0") || !strcmp(b, "-0.0") || !strcmp(b, "-0.00")) memmove(b, b + 1, strlen(b));
}

/* One panel: key "dev_metric" or "loss" vs step, one polyline per cell of the target. */
static void curve_panel(FILE *f, const json_t *res, const char *target, const char *key, const char *title, double ox, double oy,
                        double pw, double ph) {
    json_t *cells = json_object_get(res, "cells"), *rows = json_object_get(res, "rows");
    double x0 = 0, x1 = 1, y0 = INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *c = json_array_get(cells, i);
        if (strcmp(S(c, "target"), target)) continue;
        json_t *cv = json_object_get(c, "curve");
        for (size_t k = 0; k < json_array_size(cv); k++) {
            json_t *p = json_array_get(cv, k);
            if (!has(p, key)) continue;
            x1 = fmax(x1, (double)json_integer_value(json_object_get(p, "step")));
            y0 = fmin(y0, D(p, key));
            y1 = fmax(y1, D(p, key));
        }
    }
    if (!isfinite(y0)) { y0 = 0; y1 = 1; }
    if (!strcmp(key, "loss")) y0 = 0;
    double ys = nice_step(y1 - y0, 4), xs = nice_step(x1 - x0, 5);
    y0 = floor(y0 / ys) * ys;
    y1 = ceil(y1 / ys) * ys;
    if (y1 <= y0) y1 = y0 + ys;
    x1 = ceil(x1 / xs) * xs;
#define PX(v) (ox + ((v) - x0) / (x1 - x0) * pw)
#define PY(v) (oy + ph - ((v) - y0) / (y1 - y0) * ph)
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12.5\" font-weight=\"600\" fill=\"#222\">%s</text>\n", ox, oy - 10, title);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#ccc\" stroke-width=\"0.8\"/>\n", ox, oy, pw, ph);
    char b[32];
    for (double v = y0; v <= y1 + ys * 1e-6; v += ys) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\" stroke-width=\"0.8\"/>\n", ox, PY(v), ox + pw, PY(v));
        tick_label(b, sizeof b, v, ys);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10.5\" text-anchor=\"end\" fill=\"#555\">%s</text>\n", ox - 5, PY(v) + 3.5, b);
    }
    for (double v = x0; v <= x1 + xs * 1e-6; v += xs) {
        tick_label(b, sizeof b, v, xs);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10.5\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n", PX(v), oy + ph + 14, b);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10.5\" text-anchor=\"middle\" fill=\"#555\">step</text>\n", ox + pw / 2, oy + ph + 29);
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *c = json_array_get(cells, i);
        if (strcmp(S(c, "target"), target)) continue;
        size_t ri = 0;
        for (size_t r = 0; r < json_array_size(rows); r++)
            if (!strcmp(json_string_value(json_array_get(rows, r)), S(c, "row"))) ri = r;
        const char *col = PALETTE[ri % (sizeof PALETTE / sizeof *PALETTE)];
        json_t *cv = json_object_get(c, "curve");
        int started = 0;
        for (size_t k = 0; k < json_array_size(cv); k++) {
            json_t *p = json_array_get(cv, k);
            if (!has(p, key)) continue;
            if (!started) fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" stroke-opacity=\"0.85\" stroke-linejoin=\"round\" points=\"", col);
            fprintf(f, "%s%.1f,%.1f", started ? " " : "", PX((double)json_integer_value(json_object_get(p, "step"))), PY(D(p, key)));
            started = 1;
        }
        if (started) fprintf(f, "\"/>\n");
        /* the restored best step, on the dev panel */
        json_t *bs = json_object_get(c, "best_step");
        if (!strcmp(key, "dev_metric") && json_is_integer(bs))
            for (size_t k = 0; k < json_array_size(cv); k++) {
                json_t *p = json_array_get(cv, k);
                if (has(p, key) && json_integer_value(json_object_get(p, "step")) == json_integer_value(bs))
                    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"1\"/>\n",
                            PX((double)json_integer_value(bs)), PY(D(p, key)), col);
            }
    }
#undef PX
#undef PY
}

static int curves(FILE *f, const json_t *res, const char *target, int standalone) {
    json_t *cells = json_object_get(res, "cells"), *rows = json_object_get(res, "rows"), *ts = json_object_get(res, "targets");
    int any = 0;
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *c = json_array_get(cells, i);
        if (!strcmp(S(c, "target"), target) && json_array_size(json_object_get(c, "curve"))) any = 1;
    }
    if (!any) return 0;
    const char *label = target, *metric = "dev metric";
    for (size_t k = 0; k < json_array_size(ts); k++)
        if (!strcmp(S(json_array_get(ts, k), "name"), target)) {
            label = S(json_array_get(ts, k), "label");
            metric = S(json_array_get(ts, k), "major_metric");
        }
    double pw = 330, ph = 200, W = 2 * pw + 150, H = 40 + ph + 52 + 18 * (double)((json_array_size(rows) + 3) / 4) + 14;
    if (standalone) fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"curves\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" %s role=\"img\">\n",
            W, H, W, H, FONT);
    fprintf(f, "<title>Training curves, ");
    svg_text(f, label);
    fprintf(f, "</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
    char t1[160];
    snprintf(t1, sizeof t1, "English dev %s (%%) vs step", metric);
    curve_panel(f, res, target, "dev_metric", t1, 50, 40, pw, ph);
    curve_panel(f, res, target, "loss", "training loss vs step", 50 + pw + 60, 40, pw, ph);
    /* legend: one entry per row that has a curve */
    size_t k = 0;
    for (size_t r = 0; r < json_array_size(rows); r++) {
        const char *row = json_string_value(json_array_get(rows, r));
        int has_row = 0;
        for (size_t i = 0; i < json_array_size(cells); i++) {
            json_t *c = json_array_get(cells, i);
            has_row |= !strcmp(S(c, "target"), target) && !strcmp(S(c, "row"), row) && json_array_size(json_object_get(c, "curve"));
        }
        if (!has_row) continue;
        double x = 50 + (k % 4) * 170, y = 40 + ph + 52 + (k / 4) * 18;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"/>\n", x, y - 4, x + 20, y - 4,
                PALETTE[r % (sizeof PALETTE / sizeof *PALETTE)]);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11.5\" fill=\"#222\">", x + 26, y);
        svg_text(f, row);
        fprintf(f, "</text>\n");
        k++;
    }
    fprintf(f, "<text x=\"50\" y=\"%.1f\" font-size=\"10.5\" fill=\"#666\">one line per seed; dot: the step whose weights were kept "
               "(best on dev)</text>\n", 40 + ph + 52 + ((k + 3) / 4) * 18);
    fprintf(f, "</svg>\n");
    return 1;
}

static int svg_file(const json_t *res, const char *what, const char *path, int heat, XsErr *err) {
    AtomicFile af;
    if (atomic_open(&af, path, err)) return -1;
    int drew = heat ? heatmap(af.f, res, what, 1) : curves(af.f, res, what, 1);
    if (!drew) { /* nothing to draw: no file, and none left from an earlier report */
        atomic_abort(&af);
        if (unlink(path) && errno != ENOENT) return err_set(err, path, 0, "cannot remove the stale figure: %s", strerror(errno));
        return 0;
    }
    return atomic_commit(&af, err);
}
int report_write_heatmap_svg(const json_t *res, const char *split, const char *path, XsErr *err) {
    return svg_file(res, split, path, 1, err);
}
int report_write_curves_svg(const json_t *res, const char *target, const char *path, XsErr *err) {
    return svg_file(res, target, path, 0, err);
}

/* ---- report.html -------------------------------------------------------------------------------------- */

static const char *CSS =
    "body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1a1a1a;margin:0 auto;max-width:1180px;"
    "padding:24px 32px 64px;line-height:1.45;background:#fff}\n"
    "h1{font-size:26px;margin:0 0 6px}h2{font-size:19px;margin:34px 0 10px;padding-bottom:4px;border-bottom:1px solid #e2e2e2}\n"
    "h3{font-size:15px;margin:22px 0 6px;color:#333}p.lead{color:#444;margin:4px 0 8px}p.note{color:#555;font-size:13px;max-width:980px}\n"
    ".scroll{overflow-x:auto;margin:8px 0 14px}table{border-collapse:collapse;font-size:13.5px;font-variant-numeric:tabular-nums}\n"
    "caption{text-align:left;font-weight:600;font-size:13.5px;padding:4px 0 6px;color:#333}\n"
    "th,td{padding:5px 11px;border-bottom:1px solid #ececec;white-space:nowrap}thead th{border-bottom:2px solid #bbb;font-weight:600;"
    "text-align:left}\n"
    "tbody th{text-align:left;font-weight:500}td.num,th.num{text-align:right}tbody tr:nth-child(even){background:#fafafa}\n"
    "span.d{font-size:12px;margin-left:2px}.pos{color:#1f5fa6}.neg{color:#b2182b}td.pos,td.neg{font-weight:600}\n"
    "figure{margin:12px 0 20px}figcaption{font-size:12.5px;color:#555;margin-top:4px;max-width:900px}\n"
    ".grid{display:flex;flex-wrap:wrap;gap:8px 28px}\n";

static void html_tables(FILE *f, Table *ts, size_t n) {
    for (size_t i = 0; i < n; i++) { html_table(f, &ts[i]); t_free(&ts[i]); }
    free(ts);
}

int report_write_html(const json_t *res, const char *path, XsErr *err) {
    AtomicFile af;
    if (atomic_open(&af, path, err)) return -1;
    FILE *f = af.f;
    const char *title = S(res, "title") ? S(res, "title") : "xstilts run report";
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
               "<head>\n<meta charset=\"utf-8\"/>\n<title>");
    html_text(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", CSS);
    html_text(f, title);
    char line[512];
    summary_line(res, line, sizeof line);
    fprintf(f, "</h1>\n<p class=\"lead\">");
    html_text(f, line);
    fprintf(f, ".</p>\n<p class=\"note\">");
    html_text(f, EXPLAIN);
    fprintf(f, "</p>\n");
    const char *sp[2] = {"test", "dev"};
    for (int s = 0; s < 2; s++) {
        if (!any_entries(res, sp[s])) continue;
        fprintf(f, "<h2 id=\"%s\">%s set</h2>\n", sp[s], split_title(sp[s]));
        fprintf(f, "<figure>\n");
        if (heatmap(f, res, sp[s], 0))
            fprintf(f, "<figcaption>Change against the baseline row for every intermediate task (rows) and target (columns), "
                       "%s set, mean over seeds; red: worse, blue: better. Also saved as figures/heatmap-%s.svg.</figcaption>\n",
                    sp[s], sp[s]);
        fprintf(f, "</figure>\n");
        Table *ts;
        size_t n = score_tables(res, sp[s], 0, 1, &ts);
        html_tables(f, ts, n);
    }
    if (json_array_size(json_object_get(res, "best"))) {
        fprintf(f, "<h2 id=\"best\">Best intermediate task per target</h2>\n");
        Table t;
        best_table(res, &t);
        html_table(f, &t);
        t_free(&t);
    }
    json_t *tgs = json_object_get(res, "targets");
    fprintf(f, "<h2 id=\"curves\">Training curves</h2>\n<div class=\"grid\">\n");
    int anyc = 0;
    for (size_t k = 0; k < json_array_size(tgs); k++) {
        const char *name = S(json_array_get(tgs, k), "name");
        fprintf(f, "<figure>\n");
        if (curves(f, res, name, 0)) {
            fprintf(f, "<figcaption>");
            html_text(f, S(json_array_get(tgs, k), "label"));
            fprintf(f, ": phase-2 English fine-tuning (figures/curves-");
            html_text(f, name);
            fprintf(f, ".svg).</figcaption>\n");
            anyc = 1;
        }
        fprintf(f, "</figure>\n");
    }
    fprintf(f, "</div>\n");
    if (!anyc) fprintf(f, "<p class=\"note\">No cell has a training curve (retrieval targets train nothing).</p>\n");
    for (int s = 0; s < 2; s++) {
        if (!any_entries(res, sp[s])) continue;
        fprintf(f, "<h2 id=\"lang-%s\">Per language, %s set</h2>\n", sp[s], sp[s]);
        for (size_t k = 0; k < json_array_size(tgs); k++) {
            Table *ts;
            size_t n = lang_tables(res, sp[s], json_array_get(tgs, k), 0, &ts);
            html_tables(f, ts, n);
        }
    }
    fprintf(f, "<h2 id=\"cells\">Cells</h2>\n");
    Table t;
    cells_table(res, &t);
    html_table(f, &t);
    t_free(&t);
    fprintf(f, "<p class=\"note\">Rebuilt from RUN/cells/*/*/seed-*/cell.json by xstilts report; the same numbers are in "
               "results.json and results.csv (full precision).</p>\n</body>\n</html>\n");
    return atomic_commit(&af, err);
}

/* ---- everything ----------------------------------------------------------------------------------------- */

int report_build(const char *run_dir, int *ncells, XsErr *err) {
    json_t *res = report_results(run_dir, err);
    if (!res) return -1;
    if (ncells) *ncells = (int)json_array_size(json_object_get(res, "cells"));
    size_t n = strlen(run_dir) + 200;
    char *p = xmalloc(n);
    int rc = 0;
    snprintf(p, n, "%s/figures", run_dir);
    if (mkdir(p, 0777) && errno != EEXIST) rc = err_set(err, p, 0, "cannot create folder: %s", strerror(errno));
    const char *sp[2] = {"test", "dev"};
    for (int s = 0; s < 2 && !rc; s++) {
        snprintf(p, n, "%s/figures/heatmap-%s.svg", run_dir, sp[s]);
        rc = report_write_heatmap_svg(res, sp[s], p, err);
    }
    json_t *tgs = json_object_get(res, "targets");
    for (size_t k = 0; k < json_array_size(tgs) && !rc; k++) {
        snprintf(p, n, "%s/figures/curves-%s.svg", run_dir, S(json_array_get(tgs, k), "name"));
        rc = report_write_curves_svg(res, S(json_array_get(tgs, k), "name"), p, err);
    }
    if (!rc) { snprintf(p, n, "%s/results.json", run_dir); rc = report_write_json(res, p, err); }
    if (!rc) { snprintf(p, n, "%s/results.csv", run_dir); rc = report_write_csv(res, p, err); }
    if (!rc) { snprintf(p, n, "%s/report.md", run_dir); rc = report_write_md(res, p, err); }
    if (!rc) { snprintf(p, n, "%s/report.html", run_dir); rc = report_write_html(res, p, err); }
    free(p);
    json_decref(res);
    return rc;
}
