/* report.c — cell JSONs → results object (report_results) and its renderings: JSON, CSV, Markdown,
 * XHTML with inline SVG. Everything is computed here once, into the results object; every renderer only
 * formats what that object holds, so results.json, results.csv, report.md and report.html agree. */
#include "run/report.h"
#include "core/mem.h"
#include "core/seal.h"
#include "core/util.h"
#include "eval/aggregate.h"
#include "tasks/registry.h"
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- small helpers ------------------------------------------------------------------------------------ */

/* Row and target names: [A-Za-z0-9_.-]+, at most 64 bytes (the run contract). Kept private here; the run
 * config module has its own copy of the rule (to be shared by the lead). */
static int name_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}
static int lang_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 16) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return 0;
    }
    return 1;
}
static const char *jtype(const json_t *v) {
    if (!v) return "nothing (missing)";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number with a fraction";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}
static int is_int(const json_t *v) { return json_is_integer(v); }
static int is_num(const json_t *v) { return json_is_number(v) && isfinite(json_number_value(v)); }

/* ---- cell.json ---------------------------------------------------------------------------------------- */

static int bad(XsErr *err, const char *path, const char *field, const char *want, const json_t *got) {
    if (json_is_number(got)) return err_set(err, path, 0, "field \"%s\": expected %s, found %.17g", field, want, json_number_value(got));
    return err_set(err, path, 0, "field \"%s\": expected %s, found %s", field, want, jtype(got));
}

static int check_split(const json_t *c, const char *key, const char *major, const char *path, XsErr *err) {
    json_t *s = json_object_get(c, key);
    if (!json_is_object(s)) return bad(err, path, key, "an object {language: {metric: percent}}", s);
    const char *lang, *metric;
    json_t *lv, *mv;
    json_object_foreach(s, lang, lv) {
        if (!lang_ok(lang)) return err_set(err, path, 0, "field \"%s\": \"%s\" is not a language code ([A-Za-z0-9_-], 1-16 bytes)", key, lang);
        char f[128];
        snprintf(f, sizeof f, "%s.%s", key, lang);
        if (!json_is_object(lv)) return bad(err, path, f, "an object {metric: percent}", lv);
        json_object_foreach(lv, metric, mv) {
            char g[256];
            snprintf(g, sizeof g, "%s.%s.%s", key, lang, metric);
            if (!is_num(mv)) return bad(err, path, g, "a number (percent, 0-100)", mv);
            double v = json_number_value(mv);
            if (v < 0 || v > 100) return err_set(err, path, 0, "field \"%s\": expected a percent from 0 to 100, found %.17g", g, v);
        }
        if (!json_object_get(lv, major))
            return err_set(err, path, 0, "field \"%s\": expected the major metric \"%s\" (as \"major_metric\" says)", f, major);
    }
    return 0;
}

static int check_cell(const json_t *c, const char *path, XsErr *err) {
    if (!json_is_object(c)) return err_set(err, path, 0, "expected a JSON object (an xstilts-cell), found %s", jtype(c));
    json_t *v = json_object_get(c, "format");
    if (!json_is_string(v) || strcmp(json_string_value(v), XS_CELL_FORMAT))
        return err_set(err, path, 0, "field \"format\": expected \"%s\"%s", XS_CELL_FORMAT, json_is_string(v) ? ", found another format" : "");
    v = json_object_get(c, "version");
    if (!is_int(v) || json_integer_value(v) != XS_CELL_VERSION)
        return err_set(err, path, 0, "field \"version\": expected %d (this xstilts reads cell.json version %d)", XS_CELL_VERSION, XS_CELL_VERSION);
    const char *names[] = {"row", "target"};
    for (int i = 0; i < 2; i++) {
        v = json_object_get(c, names[i]);
        if (!json_is_string(v)) return bad(err, path, names[i], "a string", v);
        if (!name_ok(json_string_value(v)))
            return err_set(err, path, 0, "field \"%s\": \"%s\" is not a name ([A-Za-z0-9_.-], 1-64 bytes)", names[i], json_string_value(v));
    }
    v = json_object_get(c, "seed");
    if (!is_int(v) || json_integer_value(v) < 0) return bad(err, path, "seed", "an integer >= 0", v);
    v = json_object_get(c, "config_hash");
    if (!json_is_string(v) || json_string_length(v) != 64) return bad(err, path, "config_hash", "a string of 64 hex digits", v);
    for (const char *p = json_string_value(v); *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return bad(err, path, "config_hash", "a string of 64 hex digits", v);
    v = json_object_get(c, "status");
    if (!json_is_string(v) || strcmp(json_string_value(v), "done")) return bad(err, path, "status", "\"done\"", v);
    v = json_object_get(c, "major_metric");
    if (!json_is_string(v) || !json_string_length(v)) return bad(err, path, "major_metric", "a metric name (a string)", v);
    const char *major = json_string_value(v);
    if (check_split(c, "dev", major, path, err) || check_split(c, "test", major, path, err)) return -1;
    v = json_object_get(c, "curve");
    if (!json_is_array(v)) return bad(err, path, "curve", "an array of {step, loss, lr, dev_metric}", v);
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *e = json_array_get(v, i), *x;
        char f[96];
        snprintf(f, sizeof f, "curve[%zu]", i);
        if (!json_is_object(e)) return bad(err, path, f, "an object {step, loss, lr, dev_metric}", e);
        snprintf(f, sizeof f, "curve[%zu].step", i);
        if (!is_int(x = json_object_get(e, "step")) || json_integer_value(x) < 0) return bad(err, path, f, "an integer >= 0", x);
        snprintf(f, sizeof f, "curve[%zu].loss", i);
        if (!is_num(x = json_object_get(e, "loss"))) return bad(err, path, f, "a number", x);
        snprintf(f, sizeof f, "curve[%zu].lr", i);
        if (!is_num(x = json_object_get(e, "lr"))) return bad(err, path, f, "a number", x);
        snprintf(f, sizeof f, "curve[%zu].dev_metric", i);
        x = json_object_get(e, "dev_metric");
        if (!json_is_null(x) && !is_num(x)) return bad(err, path, f, "a number or null", x);
    }
    v = json_object_get(c, "best_step");
    if (!json_is_null(v) && !is_int(v)) return bad(err, path, "best_step", "an integer or null", v);
    v = json_object_get(c, "wall_s");
    if (!is_num(v) || json_number_value(v) < 0) return bad(err, path, "wall_s", "a number >= 0", v);
    v = json_object_get(c, "tokens");
    if (!is_int(v) || json_integer_value(v) < 0) return bad(err, path, "tokens", "an integer >= 0", v);
    v = json_object_get(c, "phase1");
    if (!json_is_null(v)) {
        if (!json_is_object(v)) return bad(err, path, "phase1", "an object {row, seed, wall_s, tokens, config_hash} or null (baseline)", v);
        json_t *x;
        if (!json_is_string(x = json_object_get(v, "row"))) return bad(err, path, "phase1.row", "a string", x);
        if (!is_int(x = json_object_get(v, "seed"))) return bad(err, path, "phase1.seed", "an integer", x);
        if (!is_num(x = json_object_get(v, "wall_s"))) return bad(err, path, "phase1.wall_s", "a number", x);
        if (!is_int(x = json_object_get(v, "tokens"))) return bad(err, path, "phase1.tokens", "an integer", x);
        if (!json_is_string(x = json_object_get(v, "config_hash"))) return bad(err, path, "phase1.config_hash", "a string", x);
        if (strcmp(json_string_value(json_object_get(v, "row")), json_string_value(json_object_get(c, "row"))) ||
            json_integer_value(json_object_get(v, "seed")) != json_integer_value(json_object_get(c, "seed")))
            return err_set(err, path, 0, "field \"phase1\": expected the row and seed of this cell (%s, seed %lld)",
                           json_string_value(json_object_get(c, "row")), (long long)json_integer_value(json_object_get(c, "seed")));
    }
    return 0;
}

json_t *cell_load(const char *path, XsErr *err) {
    /* sealed by xstilts run (core/seal.h): a damaged or hand-edited cell is refused, never counted */
    json_t *c = json_load_sealed(path, err);
    if (!c) return NULL;
    if (check_cell(c, path, err)) { json_decref(c); return NULL; }
    return c;
}

/* ---- finding the cells -------------------------------------------------------------------------------- */

typedef struct Cell {
    json_t *j;
    char *path;       /* as found: run_dir/cells/... */
    char *rel;        /* cells/<row>/<target>/seed-<s>/cell.json */
    const char *row, *target;
    long seed;
} Cell;

typedef struct Paths { char **v; size_t n, cap; } Paths;

static int walk(const char *dir, Paths *out, int depth, XsErr *err) {
    DIR *d = opendir(dir);
    if (!d) return err_set(err, dir, 0, "cannot read folder: %s", strerror(errno));
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) && !rc) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp.")) continue; /* hidden, and staging folders */
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = xmalloc(n);
        snprintf(p, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st)) { free(p); continue; }
        if (S_ISDIR(st.st_mode)) {
            if (depth < 16) rc = walk(p, out, depth + 1, err);
            free(p);
        } else if (!strcmp(e->d_name, "cell.json")) {
            out->v = xgrow(out->v, &out->cap, out->n, sizeof *out->v, 16);
            out->v[out->n++] = p;
        } else free(p);
    }
    closedir(d);
    return rc;
}
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Ordered name lists (rows, targets). */
typedef struct Names { char **v; size_t n, cap; } Names;
static long names_find(const Names *s, const char *x) {
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], x)) return (long)i;
    return -1;
}
static void names_add(Names *s, const char *x) {
    if (names_find(s, x) >= 0) return;
    s->v = xgrow(s->v, &s->cap, s->n, sizeof *s->v, 8);
    s->v[s->n++] = xstrdup(x);
}
static void names_free(Names *s) {
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
}

/* The order run.json gives (an array of names, or of objects with "name"), when it has one. */
static void order_from(const json_t *run, const char *key, Names *out) {
    json_t *a = json_object_get(run, key);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *e = json_array_get(a, i);
        const char *n = json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "name"));
        if (n && name_ok(n)) names_add(out, n);
    }
}

static int task_rank(const char *name) {
    const TaskInfo *t = task_find(name);
    if (!t) return 1000;
    for (int i = 0; i < task_count(); i++)
        if (task_at(i) == t) return i;
    return 1000;
}

/* ---- statistics --------------------------------------------------------------------------------------- */

static json_t *jnum(double v) {
    CHECK(isfinite(v), "report: non-finite %g", v);
    return json_real(v);
}

/* {"seeds": [...], "values": [...], "n", "mean", "std"} from n values (n >= 1). */
static void put_stats(json_t *o, const long *seeds, const double *vals, size_t n) {
    json_t *sa = json_array(), *va = json_array();
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(sa, json_integer(seeds[i]));
        json_array_append_new(va, jnum(vals[i]));
        sum += vals[i];
    }
    double mean = sum / (double)n;
    json_object_set_new(o, "seeds", sa);
    json_object_set_new(o, "values", va);
    json_object_set_new(o, "n", json_integer((json_int_t)n));
    json_object_set_new(o, "mean", jnum(mean));
    if (n > 1) {
        double ss = 0;
        for (size_t i = 0; i < n; i++) ss += (vals[i] - mean) * (vals[i] - mean);
        json_object_set_new(o, "std", jnum(sqrt(ss / (double)(n - 1))));
    } else json_object_set_new(o, "std", json_null());
}

/* mean over the languages of split of the major metric; 0 when the split is empty (no score). */
static int split_score(const json_t *cell, const char *split, double *out) {
    json_t *s = json_object_get(cell, split);
    const char *major = json_string_value(json_object_get(cell, "major_metric"));
    const char *lang;
    json_t *lv;
    double sum = 0;
    size_t n = 0;
    json_object_foreach(s, lang, lv) {
        sum += json_number_value(json_object_get(lv, major));
        n++;
    }
    if (!n) return 0;
    *out = sum / (double)n;
    return 1;
}

typedef struct Run {
    Cell *cells;
    size_t ncells;
    Names rows, targets;
    long *seeds;
    size_t nseeds;
    const char *baseline; /* NULL: none */
} Run;

static const Cell *find_cell(const Run *r, const char *row, const char *target, long seed) {
    for (size_t i = 0; i < r->ncells; i++)
        if (r->cells[i].seed == seed && !strcmp(r->cells[i].row, row) && !strcmp(r->cells[i].target, target)) return &r->cells[i];
    return NULL;
}

/* Looks up an entry of an array of objects by row / target / language (NULL keys are not compared). */
static json_t *find_entry(const json_t *arr, const char *row, const char *target, const char *lang) {
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        if (row && strcmp(json_string_value(json_object_get(e, "row")), row)) continue;
        if (target && strcmp(json_string_value(json_object_get(e, "target")), target)) continue;
        if (lang && strcmp(json_string_value(json_object_get(e, "language")), lang)) continue;
        return e;
    }
    return NULL;
}

static void put_delta(json_t *e, const json_t *base) {
    if (!base) { json_object_set_new(e, "delta", json_null()); return; }
    json_object_set_new(e, "delta", jnum(json_real_value(json_object_get(e, "mean")) - json_real_value(json_object_get(base, "mean"))));
}

/* The languages of target over every cell and split, XTREME's order first, then the others sorted. */
static void target_langs(const Run *r, const char *target, const char *split, Names *out) {
    Names all = {0};
    for (size_t i = 0; i < r->ncells; i++) {
        if (strcmp(r->cells[i].target, target)) continue;
        const char *lang;
        json_t *lv;
        json_object_foreach(json_object_get(r->cells[i].j, split), lang, lv) names_add(&all, lang);
    }
    const TaskInfo *t = task_find(target);
    if (t && t->xtreme_langs)
        for (const char *p = t->xtreme_langs; *p;) {
            const char *c = strchr(p, ',');
            size_t l = c ? (size_t)(c - p) : strlen(p);
            char lang[17];
            snprintf(lang, sizeof lang, "%.*s", (int)l, p);
            if (names_find(&all, lang) >= 0) names_add(out, lang);
            p = c ? c + 1 : p + l;
        }
    if (all.n > 1) qsort(all.v, all.n, sizeof *all.v, cmp_str);
    for (size_t i = 0; i < all.n; i++) names_add(out, all.v[i]);
    names_free(&all);
}

/* One split's tables: scores, xtreme, languages. */
static int split_tables(const Run *r, const char *split, json_t **out, XsErr *err) {
    json_t *scores = json_array(), *xt = json_array(), *langs = json_array();
    double *vals = xmalloc((r->nseeds + 1) * sizeof *vals);
    long *sd = xmalloc((r->nseeds + 1) * sizeof *sd);
    int rc = 0;
    for (size_t ri = 0; ri < r->rows.n; ri++)
        for (size_t ti = 0; ti < r->targets.n; ti++) {
            size_t n = 0;
            for (size_t si = 0; si < r->nseeds; si++) {
                const Cell *c = find_cell(r, r->rows.v[ri], r->targets.v[ti], r->seeds[si]);
                if (c && split_score(c->j, split, &vals[n])) sd[n++] = r->seeds[si];
            }
            if (!n) continue;
            json_t *e = json_object();
            json_object_set_new(e, "row", json_string(r->rows.v[ri]));
            json_object_set_new(e, "target", json_string(r->targets.v[ti]));
            put_stats(e, sd, vals, n);
            json_array_append_new(scores, e);
        }
    /* deltas once every mean is known */
    for (size_t i = 0; i < json_array_size(scores); i++) {
        json_t *e = json_array_get(scores, i);
        const char *row = json_string_value(json_object_get(e, "row"));
        put_delta(e, r->baseline && strcmp(row, r->baseline) ? find_entry(scores, r->baseline, json_string_value(json_object_get(e, "target")), NULL) : NULL);
    }
    /* the XTREME column: per seed, aggregate_xtreme over the row's XTREME targets */
    for (size_t ri = 0; ri < r->rows.n && !rc; ri++) {
        size_t n = 0;
        json_t *tasks = json_array(), *incomplete = json_object();
        int complete = 1;
        for (size_t si = 0; si < r->nseeds && !rc; si++) {
            json_t *in = json_object();
            for (size_t ti = 0; ti < r->targets.n; ti++) {
                const TaskInfo *t = task_find(r->targets.v[ti]);
                const Cell *c = find_cell(r, r->rows.v[ri], r->targets.v[ti], r->seeds[si]);
                if (!t || !t->xtreme_langs || !c || !json_object_size(json_object_get(c->j, split))) continue;
                json_object_set(in, r->targets.v[ti], json_object_get(c->j, split));
            }
            if (!json_object_size(in)) { json_decref(in); continue; }
            char where[512];
            snprintf(where, sizeof where, "cells/%s/*/seed-%ld (%s)", r->rows.v[ri], r->seeds[si], split);
            AggOpts o = {.allow_incomplete = 1};
            json_t *rep = aggregate_xtreme(in, &o, where, err);
            json_decref(in);
            if (!rep) { rc = -1; break; }
            json_t *all = json_object_get(rep, "all_task");
            double v = 0;
            int k = 0;
            if (all) v = json_real_value(all);
            else {
                for (int t = 0; t < task_xtreme_count(); t++) {
                    json_t *ts = json_object_get(rep, task_at(t)->name);
                    if (!ts) continue;
                    v += json_real_value(json_object_get(ts, "avg_metric"));
                    k++;
                }
                v /= k;
                complete = 0;
            }
            for (int t = 0; t < task_xtreme_count(); t++) {
                const char *nm = task_at(t)->name;
                int have = 0;
                for (size_t q = 0; q < json_array_size(tasks); q++) have |= !strcmp(json_string_value(json_array_get(tasks, q)), nm);
                if (!have && json_object_get(rep, nm)) json_array_append_new(tasks, json_string(nm));
            }
            json_object_update_missing(incomplete, json_object_get(rep, "incomplete"));
            vals[n] = v;
            sd[n++] = r->seeds[si];
            json_decref(rep);
        }
        if (rc || !n) { json_decref(tasks); json_decref(incomplete); continue; }
        json_t *e = json_object();
        json_object_set_new(e, "row", json_string(r->rows.v[ri]));
        put_stats(e, sd, vals, n);
        json_object_set_new(e, "complete", json_boolean(complete));
        json_object_set_new(e, "tasks", tasks);
        json_object_set_new(e, "incomplete", incomplete);
        json_array_append_new(xt, e);
    }
    for (size_t i = 0; i < json_array_size(xt); i++) {
        json_t *e = json_array_get(xt, i);
        const char *row = json_string_value(json_object_get(e, "row"));
        put_delta(e, r->baseline && strcmp(row, r->baseline) ? find_entry(xt, r->baseline, NULL, NULL) : NULL);
    }
    /* per language: mean over seeds of the major metric */
    for (size_t ti = 0; ti < r->targets.n && !rc; ti++) {
        Names ls = {0};
        target_langs(r, r->targets.v[ti], split, &ls);
        for (size_t ri = 0; ri < r->rows.n; ri++)
            for (size_t li = 0; li < ls.n; li++) {
                size_t n = 0;
                for (size_t si = 0; si < r->nseeds; si++) {
                    const Cell *c = find_cell(r, r->rows.v[ri], r->targets.v[ti], r->seeds[si]);
                    if (!c) continue;
                    json_t *lv = json_object_get(json_object_get(c->j, split), ls.v[li]);
                    if (!lv) continue;
                    vals[n] = json_number_value(json_object_get(lv, json_string_value(json_object_get(c->j, "major_metric"))));
                    sd[n++] = r->seeds[si];
                }
                if (!n) continue;
                json_t *e = json_object();
                json_object_set_new(e, "target", json_string(r->targets.v[ti]));
                json_object_set_new(e, "row", json_string(r->rows.v[ri]));
                json_object_set_new(e, "language", json_string(ls.v[li]));
                put_stats(e, sd, vals, n);
                json_array_append_new(langs, e);
            }
        names_free(&ls);
    }
    free(vals);
    free(sd);
    if (rc) {
        json_decref(scores); json_decref(xt); json_decref(langs);
        return -1;
    }
    *out = json_object();
    json_object_set_new(*out, "scores", scores);
    json_object_set_new(*out, "xtreme", xt);
    json_object_set_new(*out, "languages", langs);
    return 0;
}

/* Best non-baseline row per target: highest dev mean (test mean when no row has dev), reported on test. */
static json_t *best_rows(const Run *r, const json_t *splits) {
    json_t *best = json_array();
    json_t *dev = json_object_get(json_object_get(splits, "dev"), "scores"), *test = json_object_get(json_object_get(splits, "test"), "scores");
    for (size_t ti = 0; ti < r->targets.n; ti++) {
        const char *tg = r->targets.v[ti];
        const char *on = "dev";
        json_t *choose_from = dev;
        int any = 0;
        for (size_t ri = 0; ri < r->rows.n; ri++)
            if ((!r->baseline || strcmp(r->rows.v[ri], r->baseline)) && find_entry(dev, r->rows.v[ri], tg, NULL)) any = 1;
        if (!any) { on = "test"; choose_from = test; }
        json_t *pick = NULL;
        const char *prow = NULL;
        for (size_t ri = 0; ri < r->rows.n; ri++) {
            if (r->baseline && !strcmp(r->rows.v[ri], r->baseline)) continue;
            json_t *e = find_entry(choose_from, r->rows.v[ri], tg, NULL);
            if (e && (!pick || json_real_value(json_object_get(e, "mean")) > json_real_value(json_object_get(pick, "mean")))) {
                pick = e;
                prow = r->rows.v[ri];
            }
        }
        if (!pick) continue;
        json_t *rep = find_entry(test, prow, tg, NULL);
        const char *split = rep ? "test" : "dev";
        if (!rep) rep = find_entry(dev, prow, tg, NULL);
        json_t *b = json_object();
        json_object_set_new(b, "target", json_string(tg));
        json_object_set_new(b, "row", json_string(prow));
        json_object_set_new(b, "chosen_on", json_string(on));
        json_object_set_new(b, "chosen_mean", json_copy(json_object_get(pick, "mean")));
        json_object_set_new(b, "split", json_string(split));
        json_object_set(b, "n", json_object_get(rep, "n"));
        json_object_set(b, "mean", json_object_get(rep, "mean"));
        json_object_set(b, "std", json_object_get(rep, "std"));
        json_object_set(b, "delta", json_object_get(rep, "delta"));
        json_array_append_new(best, b);
    }
    return best;
}

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static void run_free(Run *r) {
    for (size_t i = 0; i < r->ncells; i++) {
        json_decref(r->cells[i].j);
        free(r->cells[i].path);
        free(r->cells[i].rel);
    }
    free(r->cells);
    names_free(&r->rows);
    names_free(&r->targets);
    free(r->seeds);
}

/* The path must be cells/<row>/<target>/seed-<s>/cell.json and agree with the JSON. */
static int check_place(Cell *c, XsErr *err) {
    char row[80], target[80], seed[40];
    const char *p = c->rel;
    int ok = strncmp(p, "cells/", 6) == 0;
    const char *parts[3] = {0};
    size_t lens[3] = {0};
    p += 6;
    for (int i = 0; i < 3 && ok; i++) {
        const char *s = strchr(p, '/');
        if (!s) { ok = 0; break; }
        parts[i] = p;
        lens[i] = (size_t)(s - p);
        p = s + 1;
    }
    ok = ok && !strcmp(p, "cell.json") && lens[0] < sizeof row && lens[1] < sizeof target && lens[2] < sizeof seed;
    if (!ok)
        return err_set(err, c->path, 0, "a cell.json outside its place: expected RUN/cells/<row>/<target>/seed-<s>/cell.json "
                       "(a copied or misplaced cell is not merged)");
    snprintf(row, sizeof row, "%.*s", (int)lens[0], parts[0]);
    snprintf(target, sizeof target, "%.*s", (int)lens[1], parts[1]);
    snprintf(seed, sizeof seed, "%.*s", (int)lens[2], parts[2]);
    char want[40];
    snprintf(want, sizeof want, "seed-%ld", c->seed);
    if (strcmp(row, c->row) || strcmp(target, c->target) || strcmp(seed, want))
        return err_set(err, c->path, 0, "cell says row \"%s\", target \"%s\", seed %ld but lies in cells/%s/%s/%s/: a copied or "
                       "moved cell is not merged; put it back or remove it", c->row, c->target, c->seed, row, target, seed);
    return 0;
}

json_t *report_results(const char *run_dir, XsErr *err) {
    Run r = {0};
    Paths ps = {0};
    size_t cap = 0;
    json_t *runj = NULL, *res = NULL;
    size_t n = strlen(run_dir) + 32;
    char *cdir = xmalloc(n);
    snprintf(cdir, n, "%s/cells", run_dir);
    struct stat st;
    if (stat(run_dir, &st) || !S_ISDIR(st.st_mode)) {
        err_set(err, run_dir, 0, "expected a run folder (made by xstilts run)");
        goto done;
    }
    if (stat(cdir, &st) || !S_ISDIR(st.st_mode)) {
        err_set(err, cdir, 0, "no cells folder: no cell has finished yet (xstilts status shows the run's progress)");
        goto done;
    }
    if (walk(cdir, &ps, 0, err)) goto done;
    if (!ps.n) {
        err_set(err, cdir, 0, "no cell.json: no cell has finished yet (xstilts status shows the run's progress)");
        goto done;
    }
    qsort(ps.v, ps.n, sizeof *ps.v, cmp_str);
    /* run.json: optional; titles and order */
    snprintf(cdir, n, "%s/run.json", run_dir);
    if (!stat(cdir, &st)) {
        runj = json_load_sealed(cdir, err);
        if (!runj) {
            err_prefix(err, "run.json is damaged (`xstilts run CONFIG --out RUN --plan-only` writes it again; or remove it): ");
            goto done;
        }
        order_from(runj, "rows", &r.rows);
        order_from(runj, "targets", &r.targets);
    }
    r.cells = xcalloc(ps.n, sizeof *r.cells);
    for (size_t i = 0; i < ps.n; i++) {
        Cell *c = &r.cells[r.ncells];
        if (!(c->j = cell_load(ps.v[i], err))) goto done;
        r.ncells++;
        c->path = xstrdup(ps.v[i]);
        c->rel = xstrdup(ps.v[i] + strlen(run_dir) + 1);
        c->row = json_string_value(json_object_get(c->j, "row"));
        c->target = json_string_value(json_object_get(c->j, "target"));
        c->seed = (long)json_integer_value(json_object_get(c->j, "seed"));
        if (check_place(c, err)) goto done;
    }
    /* consistency between cells */
    for (size_t i = 0; i < r.ncells; i++)
        for (size_t k = i + 1; k < r.ncells; k++) {
            Cell *a = &r.cells[i], *b = &r.cells[k];
            json_t *pa = json_object_get(a->j, "phase1"), *pb = json_object_get(b->j, "phase1");
            if (!strcmp(a->row, b->row) && json_is_null(pa) != json_is_null(pb)) {
                err_set(err, b->path, 0, "row %s mixes baseline cells (phase1 null) and intermediate cells: see %s", a->row, a->path);
                goto done;
            }
            if (!strcmp(a->row, b->row) && a->seed == b->seed && !json_is_null(pa) &&
                strcmp(json_string_value(json_object_get(pa, "config_hash")), json_string_value(json_object_get(pb, "config_hash")))) {
                err_set(err, b->path, 0, "mixed config hashes: phase1.config_hash differs from %s's, though both use the phase-1 "
                        "checkpoint of row %s seed %ld (cells from two configs are not merged: re-run the stale ones)", a->path, a->row, a->seed);
                goto done;
            }
            if (!strcmp(a->target, b->target) &&
                strcmp(json_string_value(json_object_get(a->j, "major_metric")), json_string_value(json_object_get(b->j, "major_metric")))) {
                err_set(err, b->path, 0, "field \"major_metric\": \"%s\" differs from \"%s\" in %s (one target, one metric)",
                        json_string_value(json_object_get(b->j, "major_metric")), json_string_value(json_object_get(a->j, "major_metric")), a->path);
                goto done;
            }
        }
    /* order: run.json's first; the others after it (baseline rows first, then by name; targets in
     * XTREME's order, then by name) */
    {
        Names rs = {0}, ts = {0};
        for (size_t i = 0; i < r.ncells; i++) {
            if (json_is_null(json_object_get(r.cells[i].j, "phase1"))) names_add(&rs, r.cells[i].row);
            names_add(&ts, r.cells[i].target);
        }
        if (rs.n > 1) qsort(rs.v, rs.n, sizeof *rs.v, cmp_str);
        Names others = {0};
        for (size_t i = 0; i < r.ncells; i++)
            if (names_find(&rs, r.cells[i].row) < 0) names_add(&others, r.cells[i].row);
        if (others.n > 1) qsort(others.v, others.n, sizeof *others.v, cmp_str);
        /* baseline: the one named "baseline", else the first baseline row */
        if (rs.n) r.baseline = names_find(&rs, "baseline") >= 0 ? "baseline" : NULL;
        /* keep only rows with cells, in run.json's order */
        Names ordered = {0};
        for (size_t i = 0; i < r.rows.n; i++)
            if (names_find(&rs, r.rows.v[i]) >= 0 || names_find(&others, r.rows.v[i]) >= 0) names_add(&ordered, r.rows.v[i]);
        for (size_t i = 0; i < rs.n; i++) names_add(&ordered, rs.v[i]);
        for (size_t i = 0; i < others.n; i++) names_add(&ordered, others.v[i]);
        names_free(&r.rows);
        r.rows = ordered;
        for (size_t i = 0; i < r.rows.n && rs.n && !r.baseline; i++)
            if (names_find(&rs, r.rows.v[i]) >= 0) r.baseline = r.rows.v[i];
        if (r.baseline && !strcmp(r.baseline, "baseline")) r.baseline = r.rows.v[names_find(&r.rows, "baseline")];
        /* targets */
        for (size_t i = 1; i < ts.n; i++) /* insertion sort: registry rank, then name */
            for (size_t k = i; k > 0; k--) {
                int ra = task_rank(ts.v[k - 1]), rb = task_rank(ts.v[k]);
                if (ra < rb || (ra == rb && strcmp(ts.v[k - 1], ts.v[k]) <= 0)) break;
                char *t = ts.v[k]; ts.v[k] = ts.v[k - 1]; ts.v[k - 1] = t;
            }
        Names tord = {0};
        for (size_t i = 0; i < r.targets.n; i++)
            if (names_find(&ts, r.targets.v[i]) >= 0) names_add(&tord, r.targets.v[i]);
        for (size_t i = 0; i < ts.n; i++) names_add(&tord, ts.v[i]);
        names_free(&r.targets);
        r.targets = tord;
        names_free(&rs);
        names_free(&ts);
        names_free(&others);
    }
    for (size_t i = 0; i < r.ncells; i++) {
        int have = 0;
        for (size_t k = 0; k < r.nseeds; k++) have |= r.seeds[k] == r.cells[i].seed;
        if (have) continue;
        r.seeds = xgrow(r.seeds, &cap, r.nseeds, sizeof *r.seeds, 4);
        r.seeds[r.nseeds++] = r.cells[i].seed;
    }
    qsort(r.seeds, r.nseeds, sizeof *r.seeds, cmp_long);

    res = json_object();
    json_object_set_new(res, "format", json_string(XS_RESULTS_FORMAT));
    json_object_set_new(res, "version", json_integer(XS_RESULTS_VERSION));
    {
        const char *title = json_string_value(json_object_get(runj, "title"));
        if (!title) title = json_string_value(json_object_get(runj, "name"));
        json_object_set_new(res, "title", title ? json_string(title) : json_null());
        json_t *h = json_object_get(runj, "config_hash");
        json_object_set_new(res, "config_hash", json_is_string(h) ? json_copy(h) : json_null());
    }
    json_object_set_new(res, "baseline", r.baseline ? json_string(r.baseline) : json_null());
    json_t *rows = json_array(), *targets = json_array(), *seeds = json_array(), *cells = json_array();
    for (size_t i = 0; i < r.rows.n; i++) json_array_append_new(rows, json_string(r.rows.v[i]));
    for (size_t i = 0; i < r.targets.n; i++) {
        const TaskInfo *t = task_find(r.targets.v[i]);
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(r.targets.v[i]));
        json_object_set_new(o, "label", json_string(t ? t->label : r.targets.v[i]));
        for (size_t k = 0; k < r.ncells; k++)
            if (!strcmp(r.cells[k].target, r.targets.v[i])) {
                json_object_set(o, "major_metric", json_object_get(r.cells[k].j, "major_metric"));
                break;
            }
        json_object_set_new(o, "retrieval", json_boolean(t && t->type == TASK_RETRIEVAL));
        json_object_set_new(o, "xtreme", json_boolean(t && t->xtreme_langs));
        json_array_append_new(targets, o);
    }
    for (size_t i = 0; i < r.nseeds; i++) json_array_append_new(seeds, json_integer(r.seeds[i]));
    json_object_set_new(res, "rows", rows);
    json_object_set_new(res, "targets", targets);
    json_object_set_new(res, "seeds", seeds);
    double wall = 0;
    json_int_t tokens = 0;
    /* cells in table order */
    for (size_t ri = 0; ri < r.rows.n; ri++)
        for (size_t ti = 0; ti < r.targets.n; ti++)
            for (size_t si = 0; si < r.nseeds; si++) {
                const Cell *c = find_cell(&r, r.rows.v[ri], r.targets.v[ti], r.seeds[si]);
                if (!c) continue;
                json_t *o = json_object(), *j = c->j;
                json_object_set_new(o, "row", json_string(c->row));
                json_object_set_new(o, "target", json_string(c->target));
                json_object_set_new(o, "seed", json_integer(c->seed));
                json_object_set_new(o, "path", json_string(c->rel));
                json_object_set(o, "config_hash", json_object_get(j, "config_hash"));
                json_object_set(o, "major_metric", json_object_get(j, "major_metric"));
                double v;
                json_object_set_new(o, "dev_score", split_score(j, "dev", &v) ? jnum(v) : json_null());
                json_object_set_new(o, "test_score", split_score(j, "test", &v) ? jnum(v) : json_null());
                json_object_set_new(o, "dev_languages", json_integer((json_int_t)json_object_size(json_object_get(j, "dev"))));
                json_object_set_new(o, "test_languages", json_integer((json_int_t)json_object_size(json_object_get(j, "test"))));
                json_object_set(o, "best_step", json_object_get(j, "best_step"));
                json_object_set(o, "wall_s", json_object_get(j, "wall_s"));
                json_object_set(o, "tokens", json_object_get(j, "tokens"));
                json_t *p1 = json_object_get(j, "phase1");
                json_object_set_new(o, "phase1_wall_s", json_is_null(p1) ? json_null() : json_copy(json_object_get(p1, "wall_s")));
                json_object_set(o, "curve", json_object_get(j, "curve"));
                json_array_append_new(cells, o);
                wall += json_number_value(json_object_get(j, "wall_s"));
                tokens += json_integer_value(json_object_get(j, "tokens"));
            }
    json_object_set_new(res, "cells", cells);
    json_t *splits = json_object();
    json_object_set_new(res, "splits", splits);
    const char *sn[2] = {"test", "dev"};
    for (int s = 0; s < 2; s++) {
        json_t *t;
        if (split_tables(&r, sn[s], &t, err)) { json_decref(res); res = NULL; goto done; }
        json_object_set_new(splits, sn[s], t);
    }
    json_object_set_new(res, "best", best_rows(&r, splits));
    /* phase 1 runs once per (row, seed), shared by the row's targets: counted once */
    for (size_t i = 0; i < r.ncells; i++) {
        json_t *p1 = json_object_get(r.cells[i].j, "phase1");
        int first = !json_is_null(p1);
        for (size_t k = 0; k < i && first; k++)
            if (!strcmp(r.cells[k].row, r.cells[i].row) && r.cells[k].seed == r.cells[i].seed) first = 0;
        if (first) {
            wall += json_number_value(json_object_get(p1, "wall_s"));
            tokens += json_integer_value(json_object_get(p1, "tokens"));
        }
    }
    json_t *tot = json_object();
    json_object_set_new(tot, "cells", json_integer((json_int_t)r.ncells));
    json_object_set_new(tot, "wall_s", jnum(wall));
    json_object_set_new(tot, "tokens", json_integer(tokens));
    json_object_set_new(res, "totals", tot);
done:
    for (size_t i = 0; i < ps.n; i++) free(ps.v[i]);
    free(ps.v);
    free(cdir);
    json_decref(runj);
    run_free(&r);
    return res;
}
