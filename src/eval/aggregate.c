/* aggregate.c — XTREME aggregation mirroring google-research/xtreme evaluate.py `evaluate()`: per-task
 * language averages of every metric, avg_metric (QA: (EM+F1)/2), groups, all_task; Markdown and CSV. */
#include "eval/aggregate.h"
#include "core/mem.h"
#include "core/util.h"
#include "tasks/registry.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The XTREME tasks are the registry's first task_xtreme_count() entries, in evaluate.py's order
 * (averages are summed in this order, as Python does); their metric_keys are what its METRIC_FUNCTION returns
 * (accuracy(); f1() and bucc_f1(); squad/mlqa em_f1()), the first of them required. Other keys in the input
 * (xstilts score's counts, "task", "lang", seqeval accuracy) are not metrics evaluate.py averages and are skipped. */
enum { MAXTASKS = 16 };
#define NTASKS task_xtreme_count()
#define TASK(t) task_at(t)

/* JSON has no NaN / Inf; inputs are validated finite, so a non-finite average is a bug. */
static json_t *json_real_ok(double v) {
    CHECK(isfinite(v), "aggregate produced %g: JSON has no NaN/Inf", v);
    return json_real(v);
}

static const TaskInfo *find_task(const char *name) {
    const TaskInfo *t = task_find(name);
    return t && t->xtreme_langs ? t : NULL;
}
static int is_qa(const TaskInfo *t) { return t->type == TASK_SPAN_QA; }

static int is_metric(const TaskInfo *t, const char *key) {
    for (int m = 0; m < 4 && t->metric_keys[m]; m++)
        if (!strcmp(t->metric_keys[m], key)) return 1;
    return 0;
}

/* Shape checks; the metric values of XTREME tasks must be finite numbers, and each language must carry the
 * task's required metrics (a QA task both exact_match and f1). */
static int validate(const json_t *res, const char *path, XsErr *err) {
    if (!json_is_object(res)) return err_set(err, path, 0, "expected a JSON object {task: {lang: {metric: value}}} or an array of score outputs");
    const char *task, *lang, *metric;
    json_t *tv, *lv, *mv;
    size_t nknown = 0, nvalues = 0;
    double vmax = 0;
    json_object_foreach((json_t *)res, task, tv) {
        if (!json_is_object(tv)) return err_set(err, path, 0, "%s: expected an object {lang: {metric: value}}", task);
        const TaskInfo *t = find_task(task);
        json_object_foreach(tv, lang, lv) {
            if (!json_is_object(lv)) return err_set(err, path, 0, "%s.%s: expected an object {metric: value}", task, lang);
            if (!t) continue;
            json_object_foreach(lv, metric, mv) {
                if (!is_metric(t, metric)) continue;
                if (!json_is_number(mv))
                    return err_set(err, path, 0, "%s.%s.%s: expected a number, found %s", task, lang, metric,
                                   json_is_string(mv) ? "a string" : json_is_null(mv) ? "null" : "another JSON type");
                double v = json_number_value(mv);
                if (!isfinite(v)) return err_set(err, path, 0, "%s.%s.%s: expected a finite number", task, lang, metric);
                if (v < 0 || v > 100)
                    return err_set(err, path, 0, "%s.%s.%s: expected a percentage from 0 to 100, found %.17g", task, lang, metric, v);
                nvalues++;
                if (v > vmax) vmax = v;
            }
            for (int m = 0; m < (is_qa(t) ? 2 : 1); m++)
                if (!json_object_get(lv, t->metric_keys[m]))
                    return err_set(err, path, 0, "%s.%s: expected metric %s%s", task, lang, t->metric_keys[m],
                                   is_qa(t) ? " (QA tasks need exact_match and f1)" : "");
        }
        nknown += t != NULL;
    }
    if (nknown == 0) {
        char names[256];
        size_t o = 0;
        names[0] = 0;
        for (int t = 0; t < NTASKS && o < sizeof names; t++)
            o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", t ? " " : "", TASK(t)->name);
        return err_set(err, path, 0, "expected results for at least one XTREME task (%s), found none", names);
    }
    /* evaluate.py's inputs are percentages; all values in (0, 1] are fractions read as tiny percentages */
    if (nvalues > 0 && vmax > 0 && vmax <= 1)
        return err_set(err, path, 0, "every metric value is at most 1 (largest %.17g): expected percentages (0-100), "
                       "found what look like fractions (multiply them by 100)", vmax);
    return 0;
}

/* An array of `xstilts score` outputs ({"task", "lang", metrics...}) → {task: {lang: {...}}}. */
static json_t *from_array(const json_t *arr, const char *path, XsErr *err) {
    json_t *o = json_object();
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        const char *task = json_string_value(json_object_get(e, "task")), *lang = json_string_value(json_object_get(e, "lang"));
        if (!json_is_object(e) || !task || !lang) {
            json_decref(o);
            return err_set(err, path, 0, "element %zu: expected an object with \"task\" and \"lang\" strings", i), NULL;
        }
        json_t *tv = json_object_get(o, task);
        if (!tv) json_object_set_new(o, task, tv = json_object());
        if (json_object_get(tv, lang)) {
            json_decref(o);
            return err_set(err, path, 0, "element %zu: a second result for %s/%s", i, task, lang), NULL;
        }
        json_object_set(tv, lang, e);
    }
    return o;
}

/* The per-task part of evaluate(): score[metric][lang], avg_<metric>, avg_metric into *out (NULL when no
 * language is present); *missing gets the absent languages (comma-separated, malloc'd, or NULL). */
enum { MAXMETRICS = 32 };
static int task_scores(const TaskInfo *t, const json_t *tv, json_t **out, char **missing, const char *path, XsErr *err) {
    json_t *score = json_object();
    const char *mname[MAXMETRICS];
    double msum[MAXMETRICS];
    int mcount[MAXMETRICS], nm = 0;
    size_t present = 0, mlen = 0;
    *missing = NULL;
    *out = NULL;
    for (const char *p = t->xtreme_langs; *p;) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        char lang[16];
        snprintf(lang, sizeof lang, "%.*s", (int)l, p);
        p = c ? c + 1 : p + l;
        json_t *lv = json_object_get(tv, lang);
        if (!lv) {
            *missing = xrealloc(*missing, mlen + l + 3);
            mlen += (size_t)snprintf(*missing + mlen, l + 3, "%s%s", mlen ? ", " : "", lang);
            continue;
        }
        present++;
        const char *metric;
        json_t *mv;
        json_object_foreach((json_t *)lv, metric, mv) {
            if (!is_metric(t, metric)) continue;
            int m = 0;
            while (m < nm && strcmp(mname[m], metric)) m++;
            if (m == nm) {
                if (nm == MAXMETRICS) {
                    json_decref(score);
                    return err_set(err, path, 0, "%s: expected at most %d distinct metrics", t->name, MAXMETRICS);
                }
                mname[nm] = metric;
                msum[nm] = 0;
                mcount[nm++] = 0;
                json_object_set_new(score, metric, json_object());
            }
            /* sum(score[m].values()) / len(score[m]): a double sum in language order */
            double v = json_number_value(mv);
            json_object_set_new(json_object_get(score, metric), lang, json_real_ok(v));
            msum[m] += v;
            mcount[m]++;
        }
    }
    if (present == 0) {
        json_decref(score);
        return 0;
    }
    for (int m = 0; m < nm; m++) {
        char key[160];
        snprintf(key, sizeof key, "avg_%s", mname[m]);
        json_object_set_new(score, key, json_real_ok(msum[m] / mcount[m]));
    }
    json_t *em = json_object_get(score, "avg_exact_match"), *f1 = json_object_get(score, "avg_f1");
    json_t *acc = json_object_get(score, "avg_accuracy");
    double m;
    if (is_qa(t) && (!em || !f1)) {
        json_decref(score);
        return err_set(err, path, 0, "%s: expected metrics exact_match and f1 for a QA task", t->name);
    }
    if (is_qa(t)) m = (json_real_value(em) + json_real_value(f1)) / 2;
    else if (f1) m = json_real_value(f1);
    else if (acc) m = json_real_value(acc);
    else {
        json_decref(score);
        return err_set(err, path, 0, "%s: expected an f1 or accuracy metric", t->name);
    }
    json_object_set_new(score, "avg_metric", json_real_ok(m));
    *out = score;
    return 0;
}

json_t *aggregate_xtreme(const json_t *results, const AggOpts *opts, const char *path, XsErr *err) {
    json_t *owned = NULL;
    if (json_is_array(results)) {
        if (!(owned = from_array(results, path, err))) return NULL;
        results = owned;
    }
    if (validate(results, path, err)) { json_decref(owned); return NULL; }
    int allow = opts && opts->allow_incomplete;
    json_t *tasks[MAXTASKS] = {0};
    int complete[MAXTASKS] = {0};
    CHECK(NTASKS <= MAXTASKS, "more XTREME tasks than MAXTASKS");
    json_t *incomplete = json_object(), *ignored = json_array();
    for (int t = 0; t < NTASKS; t++) {
        json_t *tv = json_object_get(results, TASK(t)->name);
        if (!tv) continue;
        char *missing = NULL;
        if (task_scores(TASK(t), tv, &tasks[t], &missing, path, err)) { free(missing); goto fail; }
        if (missing && !allow) {
            err_set(err, path, 0, "task %s lacks XTREME language(s) %s (evaluate.py would stop here; "
                    "--allow-incomplete averages over the languages present)", TASK(t)->name, missing);
            free(missing);
            goto fail;
        }
        if (missing) json_object_set_new(incomplete, TASK(t)->name, json_string(missing));
        complete[t] = tasks[t] && !missing;
        free(missing);
    }
    /* What evaluate.py silently skips: other tasks, other languages. */
    const char *task, *lang;
    json_t *tv, *lv;
    json_object_foreach((json_t *)results, task, tv) {
        const TaskInfo *x = find_task(task);
        if (!x) {
            json_array_append_new(ignored, json_string(task));
            continue;
        }
        json_object_foreach(tv, lang, lv) {
            if (task_has_lang(x, lang)) continue;
            char b[256];
            snprintf(b, sizeof b, "%s/%s", task, lang);
            json_array_append_new(ignored, json_string(b));
        }
    }
    json_t *rep = json_object();
    int all = 1;
    for (int t = 0; t < NTASKS; t++) all &= complete[t];
    if (all) {
        double s = 0;
        for (int t = 0; t < NTASKS; t++) s += json_real_value(json_object_get(tasks[t], "avg_metric"));
        json_object_set_new(rep, "all_task", json_real_ok(s / NTASKS));
    }
    for (int g = 0; g < GROUP_COUNT; g++) {
        double s = 0;
        int n = 0, ok = 1;
        for (int t = 0; t < NTASKS && ok; t++) {
            if ((int)TASK(t)->group != g) continue;
            n++;
            if (!complete[t]) ok = 0;
            else s += json_real_value(json_object_get(tasks[t], "avg_metric"));
        }
        if (ok && n) json_object_set_new(rep, task_group_name((TaskGroup)g), json_real_ok(s / n));
    }
    for (int t = 0; t < NTASKS; t++)
        if (tasks[t]) json_object_set_new(rep, TASK(t)->name, tasks[t]);
    if (json_object_size(incomplete)) json_object_set_new(rep, "incomplete", incomplete);
    else json_decref(incomplete);
    if (json_array_size(ignored)) json_object_set_new(rep, "ignored", ignored);
    else json_decref(ignored);
    json_decref(owned);
    return rep;
fail:
    for (int t = 0; t < NTASKS; t++) json_decref(tasks[t]);
    json_decref(incomplete);
    json_decref(ignored);
    json_decref(owned);
    return NULL;
}

/* ---- renderings ------------------------------------------------------------------------------------- */

static const char *group_of(const TaskInfo *t) {
    const char *l = task_group_label(t->group);
    return l ? l : "";
}

int aggregate_write_markdown(const json_t *rep, const char *out_path, XsErr *err) {
    AtomicFile af;
    if (atomic_open(&af, out_path, err)) return -1;
    FILE *f = af.f;
    json_t *inc = json_object_get(rep, "incomplete");
    fprintf(f, "# XTREME results\n\nScores in %%; a task is averaged over its XTREME languages (English included where XTREME lists it),\n"
               "QA tasks score (EM + F1) / 2, the XTREME score is the mean of the 9 task scores (google-research/xtreme evaluate.py).\n\n");
    fprintf(f, "| task | category | languages | metric | score |\n|---|---|---|---|---:|\n");
    for (int t = 0; t < NTASKS; t++) {
        json_t *ts = json_object_get(rep, TASK(t)->name);
        if (!ts) continue;
        size_t nl = 1, have = 0;
        for (const char *p = TASK(t)->xtreme_langs; *p; p++) nl += *p == ',';
        json_t *per = json_object_get(ts, is_qa(TASK(t)) ? "f1" : json_object_get(ts, "f1") ? "f1" : "accuracy");
        have = per ? json_object_size(per) : 0;
        const char *mark = inc && json_object_get(inc, TASK(t)->name) ? " (incomplete)" : "";
        if (is_qa(TASK(t)))
            fprintf(f, "| %s | %s | %zu/%zu%s | EM / F1 = %.2f / %.2f | %.2f |\n", TASK(t)->label, group_of(TASK(t)), have, nl, mark,
                    json_real_value(json_object_get(ts, "avg_exact_match")), json_real_value(json_object_get(ts, "avg_f1")),
                    json_real_value(json_object_get(ts, "avg_metric")));
        else
            fprintf(f, "| %s | %s | %zu/%zu%s | %s | %.2f |\n", TASK(t)->label, group_of(TASK(t)), have, nl, mark,
                    json_object_get(ts, "avg_f1") ? "F1" : "accuracy", json_real_value(json_object_get(ts, "avg_metric")));
    }
    for (int g = 0; g < GROUP_COUNT; g++) {
        json_t *v = json_object_get(rep, task_group_name((TaskGroup)g));
        const char *label = task_group_label((TaskGroup)g);
        if (v) fprintf(f, "| **%s** (category average) | | | | %.2f |\n", label, json_real_value(v));
        else fprintf(f, "| **%s** (category average) | | | | n/a (tasks missing or incomplete) |\n", label);
    }
    json_t *all = json_object_get(rep, "all_task");
    if (all) fprintf(f, "| **XTREME score** (mean of 9 tasks) | | | | **%.2f** |\n", json_real_value(all));
    else fprintf(f, "| **XTREME score** (mean of 9 tasks) | | | | n/a (tasks missing or incomplete) |\n");
    for (int t = 0; t < NTASKS; t++) {
        json_t *ts = json_object_get(rep, TASK(t)->name);
        if (!ts) continue;
        fprintf(f, "\n## %s (`%s`)\n\n| metric |", TASK(t)->label, TASK(t)->name);
        for (const char *p = TASK(t)->xtreme_langs; *p;) {
            const char *c = strchr(p, ',');
            size_t l = c ? (size_t)(c - p) : strlen(p);
            fprintf(f, " %.*s |", (int)l, p);
            p = c ? c + 1 : p + l;
        }
        fprintf(f, " avg |\n|---|");
        for (const char *p = TASK(t)->xtreme_langs; *p; p++)
            if (*p == ',') fprintf(f, "---:|");
        fprintf(f, "---:|---:|\n");
        const char *metric;
        json_t *per;
        json_object_foreach(ts, metric, per) {
            if (!json_is_object(per)) continue;
            fprintf(f, "| %s |", metric);
            for (const char *p = TASK(t)->xtreme_langs; *p;) {
                const char *c = strchr(p, ',');
                size_t l = c ? (size_t)(c - p) : strlen(p);
                char lang[16];
                snprintf(lang, sizeof lang, "%.*s", (int)l, p);
                json_t *v = json_object_get(per, lang);
                if (v) fprintf(f, " %.2f |", json_real_value(v));
                else fprintf(f, " – |");
                p = c ? c + 1 : p + l;
            }
            char key[128];
            snprintf(key, sizeof key, "avg_%s", metric);
            fprintf(f, " %.2f |\n", json_real_value(json_object_get(ts, key)));
        }
    }
    json_t *ign = json_object_get(rep, "ignored");
    if (inc || ign) fprintf(f, "\n## Notes\n\n");
    if (inc) {
        const char *task;
        json_t *v;
        json_object_foreach(inc, task, v) fprintf(f, "- %s is incomplete: no results for %s\n", task, json_string_value(v));
    }
    if (ign) {
        fprintf(f, "- not XTREME tasks/languages, left out of every average:");
        for (size_t i = 0; i < json_array_size(ign); i++) fprintf(f, "%s %s", i ? "," : "", json_string_value(json_array_get(ign, i)));
        fprintf(f, "\n");
    }
    return atomic_commit(&af, err);
}

int aggregate_write_csv(const json_t *rep, const char *out_path, XsErr *err) {
    AtomicFile af;
    if (atomic_open(&af, out_path, err)) return -1;
    FILE *f = af.f;
    fprintf(f, "task,language,metric,value\n");
    for (int t = 0; t < NTASKS; t++) {
        json_t *ts = json_object_get(rep, TASK(t)->name);
        if (!ts) continue;
        const char *metric;
        json_t *per;
        json_object_foreach(ts, metric, per) {
            if (json_is_object(per)) {
                const char *lang;
                json_t *v;
                json_object_foreach(per, lang, v) fprintf(f, "%s,%s,%s,%.17g\n", TASK(t)->name, lang, metric, json_real_value(v));
            } else if (!strcmp(metric, "avg_metric")) {
                fprintf(f, "%s,avg,score,%.17g\n", TASK(t)->name, json_real_value(per));
            } else {
                fprintf(f, "%s,avg,%s,%.17g\n", TASK(t)->name, metric + 4, json_real_value(per));
            }
        }
    }
    for (int g = 0; g < GROUP_COUNT; g++) {
        json_t *v = json_object_get(rep, task_group_name((TaskGroup)g));
        if (v) fprintf(f, "%s,avg,score,%.17g\n", task_group_name((TaskGroup)g), json_real_value(v));
    }
    json_t *all = json_object_get(rep, "all_task");
    if (all) fprintf(f, "xtreme,avg,score,%.17g\n", json_real_value(all));
    return atomic_commit(&af, err);
}
