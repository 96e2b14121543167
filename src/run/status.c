/* status.c — a run folder's progress from its files alone (cells/, phase1/, run.json, run.log). */
#include "run/status.h"
#include "core/mem.h"
#include "core/util.h"
#include "core/seal.h"
#include "run/report.h"
#include "run/state.h"
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int is_dir(const char *p) {
    struct stat st;
    return !stat(p, &st) && S_ISDIR(st.st_mode);
}
static int is_file(const char *p) {
    struct stat st;
    return !stat(p, &st) && S_ISREG(st.st_mode);
}
/* A malloc'd formatted string (paths of any length). */
static char *strf(const char *fmt, ...) XS_PRINTF(1, 2);
static char *strf(const char *fmt, ...) {
    va_list ap, aq;
    va_start(ap, fmt);
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *b = xmalloc((size_t)n + 1);
    vsnprintf(b, (size_t)n + 1, fmt, aq);
    va_end(aq);
    return b;
}
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted names of the sub-folders of dir (no hidden, no staging ".tmp." ones); *n set. */
static char **subdirs(const char *dir, size_t *n) {
    DIR *d = opendir(dir);
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    if (!d) return NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp.")) continue;
        char *p = strf("%s/%s", dir, e->d_name);
        int d_ok = is_dir(p);
        free(p);
        if (!d_ok) continue;
        v = xgrow(v, &cap, *n, sizeof *v, 8);
        v[(*n)++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (*n) qsort(v, *n, sizeof *v, cmp_str);
    return v;
}
static void free_names(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}
static int dir_nonempty(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int any = 0;
    while (!any && (e = readdir(d))) any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return any;
}

static const char *names_at(const json_t *a, size_t i) {
    json_t *e = json_array_get(a, i);
    return json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "name"));
}

/* The last step run.log logged for cell "row/target/seed-s" (also accepted: "row/target/s"). */
static json_t *last_step(const json_t *events, const char *id, const char *alt) {
    json_t *best = NULL;
    for (size_t i = 0; i < json_array_size(events); i++) {
        json_t *e = json_array_get(events, i);
        const char *c = json_string_value(json_object_get(e, "cell"));
        if (c && (!strcmp(c, id) || !strcmp(c, alt)) && json_is_integer(json_object_get(e, "step"))) best = e;
    }
    return best;
}

json_t *run_status(const char *run_dir, int nevents, XsErr *err) {
    if (!is_dir(run_dir)) return err_set(err, run_dir, 0, "expected a run folder (made by xstilts run)"), NULL;
    json_t *st = json_object(), *problems = json_array(), *running = json_array(), *left = json_array(), *p1 = json_array();
    json_t *events = json_array(), *plan = NULL;
    /* run.log: every parsable line */
    char *p = strf("%s/run.log", run_dir);
    size_t len = 0;
    long bad_lines = 0;
    if (is_file(p)) {
        XsErr e2 = {0};
        char *text = file_read_all(p, &len, &e2);
        if (!text) json_array_append_new(problems, json_string(e2.msg));
        for (char *s = text; s && *s;) {
            char *nl = strchr(s, '\n');
            size_t l = nl ? (size_t)(nl - s) : strlen(s);
            if (l) {
                json_t *ev = json_loadb(s, l, 0, NULL);
                if (json_is_object(ev)) json_array_append_new(events, ev);
                else { json_decref(ev); bad_lines++; }
            }
            s = nl ? nl + 1 : s + l;
        }
        free(text);
    }
    if (bad_lines) {
        char m[256];
        snprintf(m, sizeof m, "%s/run.log: %ld line(s) are not JSON objects (e.g. the last line of a killed run)", run_dir, bad_lines);
        json_array_append_new(problems, json_string(m));
    }
    /* run.json: the plan */
    free(p);
    p = strf("%s/run.json", run_dir);
    if (is_file(p)) {
        XsErr e2 = {0};
        json_t *rj = json_load_sealed(p, &e2);
        if (!rj) json_array_append_new(problems, json_string(e2.msg));
        else if (json_array_size(json_object_get(rj, "rows")) && json_array_size(json_object_get(rj, "targets")) &&
                   json_array_size(json_object_get(rj, "seeds"))) {
            plan = json_array();
            json_t *rs = json_object_get(rj, "rows"), *ts = json_object_get(rj, "targets"), *ss = json_object_get(rj, "seeds");
            for (size_t r = 0; r < json_array_size(rs); r++)
                for (size_t t = 0; t < json_array_size(ts); t++)
                    for (size_t s = 0; s < json_array_size(ss); s++) {
                        const char *rn = names_at(rs, r), *tn = names_at(ts, t);
                        if (!rn || !tn || !json_is_integer(json_array_get(ss, s))) continue;
                        char *id = strf("%s/%s/seed-%lld", rn, tn, (long long)json_integer_value(json_array_get(ss, s)));
                        json_array_append_new(plan, json_string(id));
                        free(id);
                    }
        }
        json_decref(rj);
    }
    free(p);
    /* cells on disk */
    long done = 0;
    char *cdir = strf("%s/cells", run_dir);
    size_t nr, nt, ns;
    char **rows = subdirs(cdir, &nr);
    for (size_t r = 0; r < nr; r++) {
        char *rd = strf("%s/%s", cdir, rows[r]);
        char **tg = subdirs(rd, &nt);
        for (size_t t = 0; t < nt; t++) {
            char *td = strf("%s/%s", rd, tg[t]);
            char **sd = subdirs(td, &ns);
            for (size_t s = 0; s < ns; s++) {
                char *id = strf("%s/%s/%s", rows[r], tg[t], sd[s]);
                char *alt = strf("%s/%s/%s", rows[r], tg[t], strncmp(sd[s], "seed-", 5) ? sd[s] : sd[s] + 5);
                char *cj = strf("%s/%s/cell.json", td, sd[s]), *cd = strf("%s/%s", td, sd[s]);
                if (is_file(cj)) {
                    XsErr e2 = {0};
                    json_t *c = cell_load(cj, &e2);
                    if (c) done++;
                    else json_array_append_new(problems, json_string(e2.msg));
                    json_decref(c);
                } else if (dir_nonempty(cd)) {
                    json_t *o = json_object(), *ev = last_step(events, id, alt);
                    json_object_set_new(o, "cell", json_string(id));
                    json_object_set_new(o, "last_step", ev ? json_copy(json_object_get(ev, "step")) : json_null());
                    json_object_set_new(o, "t", ev && json_is_number(json_object_get(ev, "t")) ? json_copy(json_object_get(ev, "t")) : json_null());
                    json_array_append_new(running, o);
                }
                free(id); free(alt); free(cj); free(cd);
            }
            free_names(sd, ns);
            free(td);
        }
        free_names(tg, nt);
        free(rd);
    }
    free_names(rows, nr);
    if (plan)
        for (size_t i = 0; i < json_array_size(plan); i++) {
            const char *id = json_string_value(json_array_get(plan, i));
            int started = 0;
            for (size_t k = 0; k < json_array_size(running); k++)
                started |= !strcmp(json_string_value(json_object_get(json_array_get(running, k), "cell")), id);
            char *cj = strf("%s/%s/cell.json", cdir, id);
            if (!started && !is_file(cj)) json_array_append(left, json_array_get(plan, i));
            free(cj);
        }
    /* phase 1: RUN/phase1/<row>/seed-<s>/ */
    free(cdir);
    cdir = strf("%s/phase1", run_dir);
    rows = subdirs(cdir, &nr);
    for (size_t r = 0; r < nr; r++) {
        char *rd = strf("%s/%s", cdir, rows[r]);
        char **sd = subdirs(rd, &ns);
        for (size_t s = 0; s < ns; s++) {
            char *a = strf("%s/%s/model.safetensors", rd, sd[s]), *b = strf("%s/%s/config.json", rd, sd[s]);
            char *id = strf("%s/%s", rows[r], sd[s]);
            json_t *o = json_object();
            json_object_set_new(o, "job", json_string(id));
            /* phase1.json (sealed) says done; a damaged one is a problem (xstilts run redoes the job) */
            char *pj = strf("%s/%s/phase1.json", rd, sd[s]), *jd = strf("%s/%s", rd, sd[s]);
            const char *state = is_file(a) && is_file(b) ? "done" : "in progress";
            if (is_file(pj)) {
                XsErr e2 = {0};
                json_t *pr = run_phase1_load(jd, &e2);
                if (pr) state = "done";
                else { state = "damaged"; json_array_append_new(problems, json_string(e2.msg)); }
                json_decref(pr);
            }
            json_object_set_new(o, "state", json_string(state));
            free(pj); free(jd);
            json_array_append_new(p1, o);
            free(a); free(b); free(id);
        }
        free_names(sd, ns);
        free(rd);
    }
    free_names(rows, nr);
    free(cdir);
    json_object_set_new(st, "planned", plan ? json_integer((json_int_t)json_array_size(plan)) : json_null());
    json_object_set_new(st, "done", json_integer(done));
    json_object_set_new(st, "running", running);
    json_object_set_new(st, "left", plan ? json_integer((json_int_t)json_array_size(left)) : json_null());
    json_object_set_new(st, "left_cells", left);
    json_object_set_new(st, "phase1", p1);
    json_t *last = json_array();
    size_t ne = json_array_size(events), from = nevents >= 0 && ne > (size_t)nevents ? ne - (size_t)nevents : 0;
    for (size_t i = from; i < ne; i++) json_array_append(last, json_array_get(events, i));
    json_object_set_new(st, "events", last);
    json_object_set_new(st, "problems", problems);
    json_decref(events);
    json_decref(plan);
    return st;
}

static void clock_of(const json_t *t, char *b, size_t cap) {
    if (!json_is_number(t)) { snprintf(b, cap, "--:--:--"); return; }
    time_t s = (time_t)json_number_value(t);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(b, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

void run_status_print(FILE *f, const char *run_dir, const json_t *st) {
    json_t *running = json_object_get(st, "running"), *left = json_object_get(st, "left_cells");
    json_t *planned = json_object_get(st, "planned");
    fprintf(f, "%s: %lld cell(s) done, %zu running or stopped", run_dir, (long long)json_integer_value(json_object_get(st, "done")),
            json_array_size(running));
    if (json_is_integer(planned))
        fprintf(f, ", %lld left (of %lld planned in run.json)\n", (long long)json_integer_value(json_object_get(st, "left")),
                (long long)json_integer_value(planned));
    else fprintf(f, " (no run.json: cells not yet started are unknown)\n");
    json_t *p1 = json_object_get(st, "phase1");
    if (json_array_size(p1)) {
        fprintf(f, "phase 1:");
        for (size_t i = 0; i < json_array_size(p1); i++)
            fprintf(f, "%s %s %s", i ? "," : "", json_string_value(json_object_get(json_array_get(p1, i), "job")),
                    json_string_value(json_object_get(json_array_get(p1, i), "state")));
        fprintf(f, "\n");
    }
    for (size_t i = 0; i < json_array_size(running); i++) {
        json_t *o = json_array_get(running, i);
        char tb[64];
        clock_of(json_object_get(o, "t"), tb, sizeof tb);
        if (json_is_integer(json_object_get(o, "last_step")))
            fprintf(f, "  running or stopped: %s, last logged step %lld (%s UTC)\n", json_string_value(json_object_get(o, "cell")),
                    (long long)json_integer_value(json_object_get(o, "last_step")), tb);
        else fprintf(f, "  running or stopped: %s, no step logged yet\n", json_string_value(json_object_get(o, "cell")));
    }
    if (json_array_size(left)) {
        fprintf(f, "left:");
        size_t n = json_array_size(left), show = n > 12 ? 12 : n;
        for (size_t i = 0; i < show; i++) fprintf(f, "%s %s", i ? "," : "", json_string_value(json_array_get(left, i)));
        if (n > show) fprintf(f, " and %zu more", n - show);
        fprintf(f, "\n");
    }
    json_t *ev = json_object_get(st, "events");
    if (json_array_size(ev)) fprintf(f, "last events (run.log):\n");
    for (size_t i = 0; i < json_array_size(ev); i++) {
        json_t *e = json_array_get(ev, i), *rest = json_deep_copy(e);
        char tb[64];
        clock_of(json_object_get(e, "t"), tb, sizeof tb);
        json_object_del(rest, "t");
        json_object_del(rest, "event");
        char *s = json_dumps(rest, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
        const char *name = json_string_value(json_object_get(e, "event"));
        fprintf(f, "  %s  %-14s %s\n", tb, name ? name : "?", s ? s : "");
        free(s);
        json_decref(rest);
    }
    json_t *pr = json_object_get(st, "problems");
    for (size_t i = 0; i < json_array_size(pr); i++) fprintf(f, "problem: %s\n", json_string_value(json_array_get(pr, i)));
}
