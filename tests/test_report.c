/* test_report.c — xstilts report against an independent recomputation. A generator writes fake but
 * plausible cell JSONs (3 rows x 4 targets — one retrieval, one QA, one with no dev set — x 2 seeds, with a
 * missing language and a missing cell) with fprintf, keeping every value it wrote in memory; the test then
 * computes every aggregate from those in-memory values (its own loops: long double sums, a different std
 * formula, its own XTREME task scores from the XTREME language lists) and checks EVERY number of
 * results.json, every line of results.csv, every table cell of report.md and report.html and every label of
 * the heatmap SVGs against it. Also: run.json ordering, error cases (bad JSON, bad fields, misplaced or
 * copied cells, mixed phase-1 hashes), atomic writes (nothing written on error).
 * `test_report --demo DIR` writes a larger synthetic run folder (for tools/screenshot-report.sh and
 * tests/cli_report.sh) and exits. */
#include "testutil.h"
#include "core/util.h"
#include "core/seal.h"
#include "run/report.h"
#include "run/status.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the generator ------------------------------------------------------------------------------------ */

typedef struct TSpec {
    const char *name, *label, *major;
    const char *metrics[3];
    const char *test_langs, *dev_langs; /* comma-separated, "" = none */
    int curve, qa;
} TSpec;

static const TSpec SMALL_T[] = {
    {"xnli", "XNLI", "accuracy", {"accuracy"}, "en,ar,bg,de,el,es,fr,hi,ru,sw,th,tr,ur,vi,zh", "en,de,fr", 1, 0},
    {"panx", "PAN-X", "f1", {"f1", "precision", "recall"}, "en,de,fr,hi,sw", "en", 1, 0},
    {"tatoeba", "Tatoeba", "accuracy", {"accuracy"}, "ar,de,fr,hi,sw,zh", "", 0, 0},
    {"xquad", "XQuAD", "f1", {"exact_match", "f1"}, "en,es,de,el,ru,tr,ar,vi,th,zh,hi", "", 1, 1},
};
static const char *SMALL_R[] = {"baseline", "mnli", "squad"};
static const long SMALL_S[] = {1, 2};

static const TSpec DEMO_T[] = {
    {"pawsx", "PAWS-X", "accuracy", {"accuracy"}, "de,en,es,fr,ja,ko,zh", "en,de,fr", 1, 0},
    {"xnli", "XNLI", "accuracy", {"accuracy"}, "en,ar,bg,de,el,es,fr,hi,ru,sw,th,tr,ur,vi,zh", "en,de,fr", 1, 0},
    {"udpos", "UD-POS", "f1", {"f1", "precision", "recall"}, "en,de,es,fr,hi,ru,tr,zh", "en", 1, 0},
    {"panx", "PAN-X", "f1", {"f1", "precision", "recall"}, "en,de,fr,hi,sw,ru,zh", "en", 1, 0},
    {"tatoeba", "Tatoeba", "accuracy", {"accuracy"}, "ar,de,fr,hi,sw,zh,ru,es", "", 0, 0},
    {"xquad", "XQuAD", "f1", {"exact_match", "f1"}, "en,es,de,el,ru,tr,ar,vi,th,zh,hi", "", 1, 1},
};
static const char *DEMO_R[] = {"baseline", "mnli", "qnli", "hellaswag", "commonsenseqa", "squad", "all-nine"};
static const long DEMO_S[] = {1, 2, 3};

typedef struct Val { int r, t, s, dev; char lang[8]; const char *metric; double v; } Val;
typedef struct Gen {
    const TSpec *T; size_t nt;
    const char **R; size_t nr;
    const long *Sd; size_t ns;
    Val *v; size_t nv, cap;
    int present[8][8][4];      /* cell written */
    double wall[8][8][4], p1wall[8][4];
    long long tokens[8][8][4], p1tokens[8][4];
    long best_step[8][8][4];   /* -1: null */
} Gen;

static double clamp100(double x) { return x < 0 ? 0 : x > 100 ? 100 : x; }
static int lang_index(const char *l) { int h = 0; for (; *l; l++) h = h * 31 + *l; return abs(h) % 97; }

/* The demo's row effects (points; rows x targets of DEMO_R x DEMO_T): made up to look like a study — sentence-pair
 * tasks help classification, SQuAD helps QA, every intermediate task helps retrieval, tagging suffers a little. */
static const double DEMO_EFF[7][6] = {
    {0, 0, 0, 0, 0, 0},
    {2.1, 3.4, -0.6, -1.2, 4.8, 0.9},
    {1.2, 1.1, -0.3, -0.8, 3.1, 1.7},
    {0.4, 0.8, -1.1, -2.3, 2.2, -0.5},
    {0.6, 1.4, -0.9, -1.7, 1.5, 0.2},
    {1.5, 0.6, -0.4, -0.6, 5.6, 3.9},
    {1.8, 2.5, -0.2, -0.9, 6.1, 2.8},
};
static int g_demo = 0;

static double value(int r, int t, int s, int dev, const char *lang, int mi, const TSpec *T) {
    static const double base[] = {71, 73, 79, 62, 45, 66};
    double eff = r == 0 ? 0 : g_demo ? DEMO_EFF[r][t] + 0.5 * sin(7.3 * s + 1.9 * r + 2.9 * t) : 3.4 * sin(1.3 * r + 2.1 * t + 0.7);
    if (g_demo && r == 0) eff = 0.5 * sin(7.3 * s + 2.9 * t);
    double lo = !strcmp(lang, "en") ? 9 : -(lang_index(lang) % 13) + 2 * sin(lang_index(lang));
    double noise = 0.9 * sin(5.1 * s + 3.3 * r + 1.7 * t + 0.37 * lang_index(lang)) + (dev ? 1.5 : 0);
    double f = base[t % 6] + eff + lo + noise;
    const char *m = T->metrics[mi];
    if (!strcmp(m, "precision")) f += 1.3 + 0.1 * sin(r + s);
    if (!strcmp(m, "recall")) f -= 1.1 + 0.1 * cos(r + s);
    if (!strcmp(m, "exact_match")) f -= 14.2 + 0.5 * sin(s * 2.0 + r);
    return clamp100(f);
}

static void hash_of(char *out, int a, int b, int c) {
    unsigned x = 2166136261u ^ (unsigned)(a * 131 + b * 17 + c);
    for (int i = 0; i < 8; i++) { x = x * 16777619u + 12345u; snprintf(out + 8 * i, 9, "%08x", x); }
}

static void mkdirs(const char *path) {
    char b[1024];
    snprintf(b, sizeof b, "%s", path);
    for (char *p = b + 1; *p; p++)
        if (*p == '/') { *p = 0; mkdir(b, 0777); *p = '/'; }
    mkdir(b, 0777);
}

/* langs "a,b,c" → each, minus `skip` */
static int split_langs(const char *list, char out[64][8]) {
    int n = 0;
    for (const char *p = list; *p;) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        snprintf(out[n++], 8, "%.*s", (int)l, p);
        p = c ? c + 1 : p + l;
    }
    return n;
}

static void write_split(FILE *f, Gen *g, int r, int t, int s, int dev, const char *skip) {
    const TSpec *T = &g->T[t];
    char langs[64][8];
    int n = split_langs(dev ? T->dev_langs : T->test_langs, langs), first = 1;
    fprintf(f, "  \"%s\": {", dev ? "dev" : "test");
    for (int i = 0; i < n; i++) {
        if (skip && !strcmp(langs[i], skip)) continue;
        fprintf(f, "%s\n    \"%s\": {", first ? "" : ",", langs[i]);
        first = 0;
        for (int m = 0; m < 3 && T->metrics[m]; m++) {
            double v = value(r, t, (int)g->Sd[s], dev, langs[i], m, T);
            fprintf(f, "%s\"%s\": %.17g", m ? ", " : "", T->metrics[m], v);
            if (g->nv == g->cap) { g->cap = g->cap ? 2 * g->cap : 256; g->v = realloc(g->v, g->cap * sizeof *g->v); assert_non_null(g->v); }
            Val *x = &g->v[g->nv++];
            x->r = r; x->t = t; x->s = s; x->dev = dev; snprintf(x->lang, sizeof x->lang, "%.7s", langs[i]);
            x->metric = T->metrics[m]; x->v = v;
        }
        fprintf(f, "}");
    }
    fprintf(f, "%s},\n", first ? "" : "\n  ");
}

/* Seals a JSON file as xstilts run does (core/seal.h): the cells and run.json here are written by hand. Returns 0 when
 * the file is JSON (then sealed), -1 when it is not (left as it is). */
static int reseal(const char *path) {
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
    if (!o) return -1;
    XsErr err = {0};
    json_object_del(o, SEAL_KEY);
    assert_int_equal(json_write_sealed(path, o, &err), 0);
    json_decref(o);
    return 0;
}

/* Writes one cell; skip_lang: a test language left out (NULL: none). */
static void write_cell(Gen *g, const char *run, int r, int t, int s, const char *skip_lang) {
    const TSpec *T = &g->T[t];
    char dir[1024], path[1100], h[65];
    snprintf(dir, sizeof dir, "%s/cells/%s/%s/seed-%ld", run, g->R[r], T->name, g->Sd[s]);
    mkdirs(dir);
    snprintf(path, sizeof path, "%s/cell.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    hash_of(h, r, t, s);
    fprintf(f, "{\n  \"format\": \"xstilts-cell\", \"version\": 1,\n  \"row\": \"%s\", \"target\": \"%s\", \"seed\": %ld,\n"
               "  \"config_hash\": \"%s\",\n  \"status\": \"done\",\n  \"major_metric\": \"%s\",\n",
            g->R[r], T->name, g->Sd[s], h, T->major);
    write_split(f, g, r, t, s, 1, NULL);
    write_split(f, g, r, t, s, 0, skip_lang);
    fprintf(f, "  \"curve\": [");
    long best = -1;
    if (T->curve) {
        double bestv = -1;
        for (int k = 0; k < 9; k++) {
            long step = 50L * k;
            double dm = 30 + (value(r, t, (int)g->Sd[s], 1, "en", 0, T) - 30) * (1 - exp(-step / 90.0)) + 0.6 * sin(k * 1.9 + s + r);
            double loss = 0.28 + 0.9 * exp(-step / 120.0) + 0.03 * sin(k * 2.3 + r + t) + 0.02 * r;
            if (k > 0 && dm > bestv) { bestv = dm; best = step; }
            if (k == 0) fprintf(f, "\n    {\"step\": 0, \"loss\": %.17g, \"lr\": 0, \"dev_metric\": null}", loss);
            else fprintf(f, ",\n    {\"step\": %ld, \"loss\": %.17g, \"lr\": %.17g, \"dev_metric\": %.17g}", step, loss, 3e-5 * (1 - k / 9.0), dm);
        }
        fprintf(f, "\n  ");
    }
    g->best_step[r][t][s] = best;
    g->wall[r][t][s] = 100.25 + 37 * r + 11 * t + g->Sd[s];
    g->tokens[r][t][s] = 100000LL * (t + 1) + 1000 * r + g->Sd[s];
    fprintf(f, "],\n  \"best_step\": ");
    if (best >= 0) fprintf(f, "%ld", best); else fprintf(f, "null");
    fprintf(f, ",\n  \"wall_s\": %.17g, \"tokens\": %lld,\n  \"phase1\": ", g->wall[r][t][s], g->tokens[r][t][s]);
    if (r == 0) fprintf(f, "null\n}\n");
    else {
        hash_of(h, r, 99, s);
        g->p1wall[r][s] = 500.5 + 10 * r + g->Sd[s];
        g->p1tokens[r][s] = 2000000LL + r;
        fprintf(f, "{\"row\": \"%s\", \"seed\": %ld, \"wall_s\": %.17g, \"tokens\": %lld, \"config_hash\": \"%s\"}\n}\n",
                g->R[r], g->Sd[s], g->p1wall[r][s], g->p1tokens[r][s], h);
    }
    fclose(f);
    assert_int_equal(reseal(path), 0);
    g->present[r][t][s] = 1;
}

/* The small grid: squad/xnli/seed-2 lacks "sw" on test; squad/panx/seed-2 is missing. */
static void gen_small(Gen *g, const char *run) {
    memset(g, 0, sizeof *g);
    g->T = SMALL_T; g->nt = 4; g->R = SMALL_R; g->nr = 3; g->Sd = SMALL_S; g->ns = 2;
    for (int r = 0; r < 3; r++)
        for (int t = 0; t < 4; t++)
            for (int s = 0; s < 2; s++) {
                if (r == 2 && t == 1 && s == 1) continue;
                write_cell(g, run, r, t, s, r == 2 && t == 0 && s == 1 ? "sw" : NULL);
            }
}

static void gen_demo(Gen *g, const char *run) {
    memset(g, 0, sizeof *g);
    g->T = DEMO_T; g->nt = 6; g->R = DEMO_R; g->nr = 7; g->Sd = DEMO_S; g->ns = 3;
    g_demo = 1;
    mkdirs(run);
    for (int r = 0; r < 7; r++)
        for (int t = 0; t < 6; t++)
            for (int s = 0; s < 3; s++) write_cell(g, run, r, t, s, NULL);
    char p[1024];
    snprintf(p, sizeof p, "%s/run.json", run);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "{\"title\": \"Synthetic demo run (generated test data, not results)\", \"rows\": [");
    for (int r = 0; r < 7; r++) fprintf(f, "%s{\"name\": \"%s\"}", r ? ", " : "", DEMO_R[r]);
    fprintf(f, "], \"targets\": [");
    for (int t = 0; t < 6; t++) fprintf(f, "%s\"%s\"", t ? ", " : "", DEMO_T[t].name);
    fprintf(f, "], \"seeds\": [1, 2, 3]}\n");
    fclose(f);
    assert_int_equal(reseal(p), 0);
}

/* ---- the independent recomputation ------------------------------------------------------------------- */

/* One split of one cell: its score (mean of the major metric over the languages), 0 if none. */
static int cell_score(const Gen *g, int r, int t, int s, int dev, double *out) {
    long double sum = 0;
    int n = 0;
    for (size_t i = 0; i < g->nv; i++) {
        const Val *x = &g->v[i];
        if (x->r == r && x->t == t && x->s == s && x->dev == dev && !strcmp(x->metric, g->T[t].major)) { sum += x->v; n++; }
    }
    if (!n || !g->present[r][t][s]) return 0;
    *out = (double)(sum / n);
    return 1;
}
static double metric_mean(const Gen *g, int r, int t, int s, int dev, const char *metric) {
    long double sum = 0;
    int n = 0;
    for (size_t i = 0; i < g->nv; i++) {
        const Val *x = &g->v[i];
        if (x->r == r && x->t == t && x->s == s && x->dev == dev && !strcmp(x->metric, metric)) { sum += x->v; n++; }
    }
    return n ? (double)(sum / n) : NAN;
}

typedef struct St { int n; double mean, std, delta; int has_std, has_delta; long seeds[8]; } St;

/* mean and sample std via sum of squares (a different formula from the library's two-pass one) */
static St stats(const double *v, const long *sd, int n) {
    St s = {0};
    s.n = n;
    long double a = 0, b = 0;
    for (int i = 0; i < n; i++) { a += v[i]; b += (long double)v[i] * v[i]; s.seeds[i] = sd[i]; }
    s.mean = (double)(a / n);
    if (n > 1) { s.has_std = 1; s.std = (double)sqrtl(fabsl((b - a * a / n) / (n - 1))); }
    return s;
}

static St score_st(const Gen *g, int r, int t, int dev) {
    double v[8];
    long sd[8];
    int n = 0;
    for (size_t s = 0; s < g->ns; s++)
        if (cell_score(g, r, t, (int)s, dev, &v[n])) sd[n++] = g->Sd[s];
    St st = stats(v, sd, n ? n : 1);
    st.n = n;
    if (n && r > 0) {
        St b = score_st(g, 0, t, dev);
        if (b.n) { st.has_delta = 1; st.delta = st.mean - b.mean; }
    }
    return st;
}

/* The XTREME column: per seed, the mean of the XTREME task scores present (the grid never has all 9 tasks,
 * so it is always the incomplete form); QA task score = (mean EM + mean F1) / 2. */
static St xtreme_st(const Gen *g, int r, int dev) {
    double v[8];
    long sd[8];
    int n = 0;
    for (size_t s = 0; s < g->ns; s++) {
        long double sum = 0;
        int k = 0;
        for (size_t t = 0; t < g->nt; t++) {
            double x;
            if (!cell_score(g, r, (int)t, (int)s, dev, &x)) continue;
            if (g->T[t].qa) x = (metric_mean(g, r, (int)t, (int)s, dev, "exact_match") + metric_mean(g, r, (int)t, (int)s, dev, "f1")) / 2;
            sum += x;
            k++;
        }
        if (k) { v[n] = (double)(sum / k); sd[n++] = g->Sd[s]; }
    }
    St st = stats(v, sd, n ? n : 1);
    st.n = n;
    if (n && r > 0) {
        St b = xtreme_st(g, 0, dev);
        if (b.n) { st.has_delta = 1; st.delta = st.mean - b.mean; }
    }
    return st;
}

static St lang_st(const Gen *g, int r, int t, int dev, const char *lang) {
    double v[8];
    long sd[8];
    int n = 0;
    for (size_t s = 0; s < g->ns; s++)
        for (size_t i = 0; i < g->nv; i++) {
            const Val *x = &g->v[i];
            if (x->r == r && x->t == t && x->s == (int)s && x->dev == dev && !strcmp(x->lang, lang) && !strcmp(x->metric, g->T[t].major)) {
                v[n] = x->v;
                sd[n++] = g->Sd[s];
            }
        }
    St st = stats(v, sd, n ? n : 1);
    st.n = n;
    return st;
}

/* best row per target: highest dev mean among non-baseline rows (test when no row has dev) */
static int best_row(const Gen *g, int t, int *on_dev) {
    int any_dev = 0, pick = -1;
    for (size_t r = 1; r < g->nr; r++) any_dev |= score_st(g, (int)r, t, 1).n > 0;
    *on_dev = any_dev;
    double bv = -1;
    for (size_t r = 1; r < g->nr; r++) {
        St s = score_st(g, (int)r, t, any_dev);
        if (s.n && s.mean > bv) { bv = s.mean; pick = (int)r; }
    }
    return pick;
}

/* the formats of docs/REPORT.md */
static void f1d(char *b, double v) { snprintf(b, 32, "%.1f", v); if (!strcmp(b, "-0.0")) strcpy(b, "0.0"); }
static void fdl(char *b, double v) { snprintf(b, 32, "%+.1f", v); if (!strcmp(b, "-0.0")) strcpy(b, "+0.0"); }
static void fms(char *b, const St *s) {
    char m[32], d[32];
    f1d(m, s->mean);
    if (s->has_std) { f1d(d, s->std); snprintf(b, 96, "%s \xc2\xb1 %s", m, d); }
    else snprintf(b, 96, "%s", m);
}

static const double TOL = 2e-6; /* results.json: 9 significant digits; results.csv: 6 decimals */
static void near(const char *what, double got, double want) {
    if (fabs(got - want) > TOL) {
        fprintf(stderr, "%s: got %.9g, want %.9g\n", what, got, want);
        fail();
    }
}

/* ---- reading the tables back -------------------------------------------------------------------------- */

typedef struct PTable { char caption[256]; int ncol, nrow; char cell[64][24][96]; } PTable;

static void unescape(char *s) {
    static const char *from[] = {"&amp;", "&lt;", "&gt;", "&quot;"}, to[] = {'&', '<', '>', '"'};
    for (char *p = s; *p; p++)
        for (int k = 0; k < 4; k++)
            if (!strncmp(p, from[k], strlen(from[k]))) { *p = to[k]; memmove(p + 1, p + strlen(from[k]), strlen(p + strlen(from[k])) + 1); }
}

static int md_cells(const char *line, char out[24][96]) {
    int n = 0;
    const char *p = line;
    assert_true(*p == '|');
    p++;
    while (*p && *p != '\n') {
        const char *e = strchr(p, '|');
        assert_non_null(e);
        const char *a = p, *b = e;
        while (a < b && *a == ' ') a++;
        while (b > a && b[-1] == ' ') b--;
        assert_true(n < 24);
        snprintf(out[n++], 96, "%.*s", (int)(b - a), a);
        p = e + 1;
    }
    return n;
}

/* Every "### caption" + table of a Markdown file. */
static int parse_md(const char *text, PTable *tabs, int cap) {
    int nt = 0;
    for (const char *p = text; (p = strstr(p, "\n### "));) {
        p += 5;
        assert_true(nt < cap);
        PTable *t = &tabs[nt++];
        memset(t, 0, sizeof *t);
        const char *e = strchr(p, '\n');
        snprintf(t->caption, sizeof t->caption, "%.*s", (int)(e - p), p);
        p = e + 2; /* blank line */
        assert_true(*p == '|');
        t->ncol = md_cells(p, t->cell[0]);
        p = strchr(p, '\n') + 1; /* separator */
        p = strchr(p, '\n') + 1;
        while (*p == '|') {
            assert_true(t->nrow < 63);
            int n = md_cells(p, t->cell[++t->nrow]);
            assert_int_equal(n, t->ncol);
            p = strchr(p, '\n') + 1;
        }
    }
    return nt;
}

/* The cells of one <tr>…</tr>, tags stripped, entities decoded. */
static int html_cells(const char *p, const char *end, char out[24][96]) {
    int n = 0;
    for (;;) {
        const char *th = strstr(p, "<th"), *td = strstr(p, "<td"), *c = th && (!td || th < td) ? th : td;
        if (!c || c >= end) break;
        const char *a = strchr(c, '>') + 1, *b = strstr(a, "</t");
        char buf[512];
        size_t k = 0;
        int in_tag = 0;
        for (const char *q = a; q < b && k + 1 < sizeof buf; q++) {
            if (*q == '<') in_tag = 1;
            else if (*q == '>') in_tag = 0;
            else if (!in_tag) buf[k++] = *q;
        }
        buf[k] = 0;
        unescape(buf);
        assert_true(n < 24);
        snprintf(out[n++], 96, "%.95s", buf);
        p = b + 4;
    }
    return n;
}

static int parse_html(const char *text, PTable *tabs, int cap) {
    int nt = 0;
    for (const char *p = text; (p = strstr(p, "<caption>"));) {
        assert_true(nt < cap);
        PTable *t = &tabs[nt++];
        memset(t, 0, sizeof *t);
        p += 9;
        const char *e = strstr(p, "</caption>");
        snprintf(t->caption, sizeof t->caption, "%.*s", (int)(e - p), p);
        unescape(t->caption);
        const char *h = strstr(e, "<thead><tr>"), *he = strstr(h, "</tr></thead>");
        t->ncol = html_cells(h, he, t->cell[0]);
        const char *body_end = strstr(he, "</tbody>");
        for (const char *r = strstr(he, "<tr>"); r && r < body_end; r = strstr(r + 4, "<tr>")) {
            const char *re = strstr(r, "</tr>");
            assert_true(t->nrow < 63);
            int n = html_cells(r, re, t->cell[++t->nrow]);
            assert_int_equal(n, t->ncol);
        }
        p = body_end;
    }
    return nt;
}

/* ---- checking the tables ------------------------------------------------------------------------------ */

static int row_of(const Gen *g, const char *name) {
    for (size_t r = 0; r < g->nr; r++) if (!strcmp(g->R[r], name)) return (int)r;
    fprintf(stderr, "unknown row '%s'\n", name);
    fail();
    return -1;
}
static int target_of_label(const Gen *g, const char *label) {
    for (size_t t = 0; t < g->nt; t++) if (!strcmp(g->T[t].label, label)) return (int)t;
    return -1;
}
static int target_of_name(const Gen *g, const char *name) {
    for (size_t t = 0; t < g->nt; t++) if (!strcmp(g->T[t].name, name)) return (int)t;
    fprintf(stderr, "unknown target '%s'\n", name);
    fail();
    return -1;
}
static void same(const char *where, const char *got, const char *want) {
    if (strcmp(got, want)) {
        fprintf(stderr, "%s: got '%s', want '%s'\n", where, got, want);
        fail();
    }
}
#define DASH "\xe2\x80\x93"

typedef struct Seen { int score[2], delta[2], best, cells, lang[2][8]; long checked; } Seen;

/* Checks one table against the recomputation; counts what it saw. */
static void check_table(const Gen *g, const PTable *t, Seen *seen) {
    char want[160], where[400];
    int dev = !strncmp(t->caption, "Dev: ", 5);
    if (strstr(t->caption, ": score (mean \xc2\xb1 std over seeds")) {
        int with_delta = strstr(t->caption, "\xce\x94 vs baseline") != NULL;
        assert_int_equal(t->nrow, (int)g->nr); /* every row */
        for (int c = 1; c < t->ncol; c++) {
            int tg = target_of_label(g, t->cell[0][c]);
            if (tg < 0) same("XTREME header", t->cell[0][c], "XTREME*");
            seen->score[dev]++;
            for (int i = 1; i <= t->nrow; i++) {
                int r = row_of(g, t->cell[i][0]);
                St s = tg >= 0 ? score_st(g, r, tg, dev) : xtreme_st(g, r, dev);
                if (!s.n) strcpy(want, DASH);
                else {
                    fms(want, &s);
                    if (tg < 0) strcat(want, "*");
                    if (with_delta && s.has_delta) {
                        char d[32];
                        fdl(d, s.delta);
                        strcat(want, " (");
                        strcat(want, d);
                        strcat(want, ")");
                    }
                }
                snprintf(where, sizeof where, "%.200s [%.60s, %.60s]", t->caption, t->cell[i][0], t->cell[0][c]);
                same(where, t->cell[i][c], want);
                seen->checked++;
            }
        }
    } else if (strstr(t->caption, ": \xce\x94 vs baseline (points)")) {
        assert_int_equal(t->nrow, (int)g->nr - 1); /* every row but the baseline */
        seen->delta[dev]++;
        for (int c = 1; c < t->ncol; c++) {
            int tg = target_of_label(g, t->cell[0][c]);
            if (tg < 0) same("XTREME header", t->cell[0][c], "XTREME");
            for (int i = 1; i <= t->nrow; i++) {
                int r = row_of(g, t->cell[i][0]);
                assert_true(r > 0);
                St s = tg >= 0 ? score_st(g, r, tg, dev) : xtreme_st(g, r, dev);
                if (s.has_delta) fdl(want, s.delta);
                else strcpy(want, DASH);
                snprintf(where, sizeof where, "%.200s [%.60s, %.60s]", t->caption, t->cell[i][0], t->cell[0][c]);
                same(where, t->cell[i][c], want);
                seen->checked++;
            }
        }
    } else if (!strncmp(t->caption, "Best intermediate task per target", 33)) {
        seen->best++;
        assert_int_equal(t->ncol, 7);
        assert_int_equal(t->nrow, (int)g->nt); /* every target has a best row in these grids */
        for (int i = 1; i <= t->nrow; i++) {
            int tg = target_of_label(g, t->cell[i][0]), on_dev;
            assert_true(tg >= 0);
            int r = best_row(g, tg, &on_dev);
            snprintf(where, sizeof where, "best [%.60s]", t->cell[i][0]);
            same(where, t->cell[i][1], g->R[r]);
            same(where, t->cell[i][2], on_dev ? "dev" : "test");
            f1d(want, score_st(g, r, tg, on_dev).mean);
            same(where, t->cell[i][3], want);
            St rep = score_st(g, r, tg, 0);
            int on_test = rep.n > 0;
            if (!on_test) rep = score_st(g, r, tg, 1);
            same(where, t->cell[i][4], on_test ? "test" : "dev");
            fms(want, &rep);
            same(where, t->cell[i][5], want);
            if (rep.has_delta) fdl(want, rep.delta); else strcpy(want, DASH);
            same(where, t->cell[i][6], want);
            seen->checked += 5;
        }
    } else if (strstr(t->caption, " per language (")) {
        char label[64];
        const char *a = t->caption + (dev ? 5 : 6), *b = strstr(a, " per language");
        snprintf(label, sizeof label, "%.*s", (int)(b - a), a);
        int tg = target_of_label(g, label);
        assert_true(tg >= 0);
        snprintf(want, sizeof want, " per language (%s, mean over seeds)", g->T[tg].major);
        assert_non_null(strstr(t->caption, want));
        seen->lang[dev][tg]++;
        int rows_with = 0;
        for (size_t r = 0; r < g->nr; r++) rows_with += score_st(g, (int)r, tg, dev).n > 0;
        assert_int_equal(t->nrow, rows_with);
        for (int c = 1; c < t->ncol; c++)
            for (int i = 1; i <= t->nrow; i++) {
                St s = lang_st(g, row_of(g, t->cell[i][0]), tg, dev, t->cell[0][c]);
                if (s.n) f1d(want, s.mean); else strcpy(want, DASH);
                snprintf(where, sizeof where, "%.200s [%.60s, %.60s]", t->caption, t->cell[i][0], t->cell[0][c]);
                same(where, t->cell[i][c], want);
                seen->checked++;
            }
    } else if (!strncmp(t->caption, "Cells (", 7)) {
        seen->cells++;
        int ncell = 0;
        for (size_t r = 0; r < g->nr; r++)
            for (size_t tg = 0; tg < g->nt; tg++)
                for (size_t s = 0; s < g->ns; s++) ncell += g->present[r][tg][s];
        assert_int_equal(t->nrow, ncell);
        for (int i = 1; i <= t->nrow; i++) {
            int r = row_of(g, t->cell[i][0]), tg = target_of_name(g, t->cell[i][1]), s = -1;
            for (size_t k = 0; k < g->ns; k++) if (atol(t->cell[i][2]) == g->Sd[k]) s = (int)k;
            assert_true(s >= 0 && g->present[r][tg][s]);
            snprintf(where, sizeof where, "cells [%.60s/%.60s/%.60s]", t->cell[i][0], t->cell[i][1], t->cell[i][2]);
            double x;
            if (cell_score(g, r, tg, s, 1, &x)) f1d(want, x); else strcpy(want, DASH);
            same(where, t->cell[i][3], want);
            if (cell_score(g, r, tg, s, 0, &x)) f1d(want, x); else strcpy(want, DASH);
            same(where, t->cell[i][4], want);
            if (g->best_step[r][tg][s] >= 0) snprintf(want, sizeof want, "%ld", g->best_step[r][tg][s]); else strcpy(want, DASH);
            same(where, t->cell[i][5], want);
            snprintf(want, sizeof want, "%.0f", g->wall[r][tg][s]);
            same(where, t->cell[i][6], want);
            snprintf(want, sizeof want, "%lld", g->tokens[r][tg][s]);
            same(where, t->cell[i][7], want);
            seen->checked += 6;
        }
    } else {
        fprintf(stderr, "a table the test does not know: '%s'\n", t->caption);
        fail();
    }
}

/* Every table of a report checked, and every table the recomputation expects present. */
static void check_tables(const Gen *g, const PTable *tabs, int n, const char *what, int delta_tables) {
    Seen seen = {0};
    for (int i = 0; i < n; i++) check_table(g, &tabs[i], &seen);
    for (int dev = 0; dev < 2; dev++) {
        int cols = 0, xt = 0;
        for (size_t t = 0; t < g->nt; t++) {
            int any = 0;
            for (size_t r = 0; r < g->nr; r++) any |= score_st(g, (int)r, (int)t, dev).n > 0;
            cols += any;
            if (any) assert_true(seen.lang[dev][t] >= 1);
        }
        for (size_t r = 0; r < g->nr; r++) xt |= xtreme_st(g, (int)r, dev).n > 0;
        assert_int_equal(seen.score[dev], cols + xt); /* every target column and the XTREME column */
        assert_int_equal(seen.delta[dev] > 0, delta_tables); /* HTML: the deltas are in the score cells */
    }
    assert_int_equal(seen.best, 1);
    assert_int_equal(seen.cells, 1);
    fprintf(stderr, "%s: %d tables, %ld table cells checked\n", what, n, seen.checked);
    assert_true(seen.checked > 200);
}

static void summary_expected(const Gen *g, char *out, size_t cap) {
    int ncell = 0;
    double wall = 0;
    long long tok = 0;
    for (size_t r = 0; r < g->nr; r++)
        for (size_t s = 0; s < g->ns; s++) {
            int any = 0;
            for (size_t t = 0; t < g->nt; t++)
                if (g->present[r][t][s]) { ncell++; wall += g->wall[r][t][s]; tok += g->tokens[r][t][s]; any = 1; }
            if (any && r > 0) { wall += g->p1wall[r][s]; tok += g->p1tokens[r][s]; }
        }
    snprintf(out, cap, "%d cell%s: %zu row%s \xc3\x97 %zu target%s \xc3\x97 %zu seed%s; baseline row: baseline; %.2f hours and %lld tokens "
             "of training in all", ncell, ncell == 1 ? "" : "s", g->nr, g->nr == 1 ? "" : "s", g->nt, g->nt == 1 ? "" : "s", g->ns,
             g->ns == 1 ? "" : "s", wall / 3600.0, tok);
}

/* ---- results.json, results.csv, heatmaps ------------------------------------------------------------- */

static double jd(const json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }
static const char *js(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static void check_st_json(const char *what, const json_t *e, const St *s, int with_delta) {
    assert_true(s->n > 0);
    assert_int_equal(json_integer_value(json_object_get(e, "n")), s->n);
    json_t *sd = json_object_get(e, "seeds"), *vals = json_object_get(e, "values");
    assert_int_equal(json_array_size(sd), s->n);
    assert_int_equal(json_array_size(vals), s->n);
    for (int i = 0; i < s->n; i++) assert_int_equal(json_integer_value(json_array_get(sd, (size_t)i)), s->seeds[i]);
    near(what, jd(e, "mean"), s->mean);
    if (s->has_std) near(what, jd(e, "std"), s->std);
    else assert_true(json_is_null(json_object_get(e, "std")));
    if (with_delta) {
        if (s->has_delta) near(what, jd(e, "delta"), s->delta);
        else assert_true(json_is_null(json_object_get(e, "delta")));
    }
}

/* the distinct languages of target t in a split */
static int langs_of(const Gen *g, int t, int dev, char out[64][8]) {
    int n = 0;
    for (size_t i = 0; i < g->nv; i++) {
        const Val *x = &g->v[i];
        if (x->t != t || x->dev != dev) continue;
        int seen = 0;
        for (int k = 0; k < n; k++) seen |= !strcmp(out[k], x->lang);
        if (!seen) snprintf(out[n++], 8, "%s", x->lang);
    }
    return n;
}

static void check_json(const Gen *g, const char *path) {
    json_error_t je;
    json_t *res = json_load_file(path, 0, &je);
    assert_non_null(res);
    same("format", js(res, "format"), "xstilts-results");
    same("baseline", js(res, "baseline"), "baseline");
    json_t *rows = json_object_get(res, "rows");
    assert_int_equal(json_array_size(rows), g->nr);
    for (size_t r = 0; r < g->nr; r++) same("row order", json_string_value(json_array_get(rows, r)), g->R[r]);
    int ncell = 0;
    json_t *cells = json_object_get(res, "cells");
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *c = json_array_get(cells, i);
        int r = row_of(g, js(c, "row")), t = target_of_name(g, js(c, "target")), s = -1;
        for (size_t k = 0; k < g->ns; k++) if (json_integer_value(json_object_get(c, "seed")) == g->Sd[k]) s = (int)k;
        assert_true(s >= 0 && g->present[r][t][s]);
        double x;
        for (int dev = 0; dev < 2; dev++) {
            const char *k = dev ? "dev_score" : "test_score";
            if (cell_score(g, r, t, s, dev, &x)) near(k, jd(c, k), x);
            else assert_true(json_is_null(json_object_get(c, k)));
        }
        near("wall_s", jd(c, "wall_s"), g->wall[r][t][s]);
        assert_int_equal(json_integer_value(json_object_get(c, "tokens")), g->tokens[r][t][s]);
        if (g->best_step[r][t][s] >= 0) assert_int_equal(json_integer_value(json_object_get(c, "best_step")), g->best_step[r][t][s]);
        else assert_true(json_is_null(json_object_get(c, "best_step")));
        ncell++;
    }
    long nscores = 0, nxt = 0, nlang = 0;
    for (int dev = 0; dev < 2; dev++) {
        json_t *sp = json_object_get(json_object_get(res, "splits"), dev ? "dev" : "test");
        json_t *a = json_object_get(sp, "scores");
        long want = 0;
        for (size_t r = 0; r < g->nr; r++)
            for (size_t t = 0; t < g->nt; t++) want += score_st(g, (int)r, (int)t, dev).n > 0;
        assert_int_equal(json_array_size(a), want);
        for (size_t i = 0; i < json_array_size(a); i++) {
            json_t *e = json_array_get(a, i);
            St s = score_st(g, row_of(g, js(e, "row")), target_of_name(g, js(e, "target")), dev);
            check_st_json("score", e, &s, 1);
            nscores++;
        }
        a = json_object_get(sp, "xtreme");
        want = 0;
        for (size_t r = 0; r < g->nr; r++) want += xtreme_st(g, (int)r, dev).n > 0;
        assert_int_equal(json_array_size(a), want);
        for (size_t i = 0; i < json_array_size(a); i++) {
            json_t *e = json_array_get(a, i);
            St s = xtreme_st(g, row_of(g, js(e, "row")), dev);
            check_st_json("xtreme", e, &s, 1);
            assert_true(json_is_false(json_object_get(e, "complete")));
            nxt++;
        }
        a = json_object_get(sp, "languages");
        want = 0;
        for (size_t t = 0; t < g->nt; t++) {
            char ls[64][8];
            int nl = langs_of(g, (int)t, dev, ls);
            for (size_t r = 0; r < g->nr; r++)
                for (int l = 0; l < nl; l++) want += lang_st(g, (int)r, (int)t, dev, ls[l]).n > 0;
        }
        assert_int_equal(json_array_size(a), want);
        for (size_t i = 0; i < json_array_size(a); i++) {
            json_t *e = json_array_get(a, i);
            St s = lang_st(g, row_of(g, js(e, "row")), target_of_name(g, js(e, "target")), dev, js(e, "language"));
            check_st_json("language", e, &s, 0);
            nlang++;
        }
    }
    json_t *best = json_object_get(res, "best");
    assert_int_equal(json_array_size(best), g->nt);
    for (size_t i = 0; i < json_array_size(best); i++) {
        json_t *e = json_array_get(best, i);
        int t = target_of_name(g, js(e, "target")), on_dev, r = best_row(g, t, &on_dev);
        same("best row", js(e, "row"), g->R[r]);
        same("chosen_on", js(e, "chosen_on"), on_dev ? "dev" : "test");
        near("chosen_mean", jd(e, "chosen_mean"), score_st(g, r, t, on_dev).mean);
        St rep = score_st(g, r, t, 0);
        same("best split", js(e, "split"), rep.n ? "test" : "dev");
        if (!rep.n) rep = score_st(g, r, t, 1);
        near("best mean", jd(e, "mean"), rep.mean);
        if (rep.has_std) near("best std", jd(e, "std"), rep.std);
        if (rep.has_delta) near("best delta", jd(e, "delta"), rep.delta);
    }
    json_t *tot = json_object_get(res, "totals");
    assert_int_equal(json_integer_value(json_object_get(tot, "cells")), ncell);
    char sum[400], want[400];
    summary_expected(g, want, sizeof want);
    snprintf(sum, sizeof sum, "%d cells: %zu rows \xc3\x97 %zu targets \xc3\x97 %zu seeds; baseline row: baseline; %.2f hours and %lld tokens "
             "of training in all", ncell, g->nr, g->nt, g->ns, jd(tot, "wall_s") / 3600.0, (long long)json_integer_value(json_object_get(tot, "tokens")));
    same("totals", sum, want);
    fprintf(stderr, "results.json: %d cells, %ld scores, %ld xtreme, %ld per-language entries checked\n", ncell, nscores, nxt, nlang);
    json_decref(res);
}

static void csv_field(const char *what, const char *got, int has, double want) {
    if (!has) { same(what, got, ""); return; }
    assert_true(*got);
    near(what, atof(got), want);
}

static void check_csv(const Gen *g, const char *path) {
    XsErr err = {0};
    size_t len;
    char *text = file_read_all(path, &len, &err);
    assert_non_null(text);
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    same("csv header", line, "kind,split,row,target,language,seed,n,mean,std,delta,note");
    long counts[5] = {0};
    while ((line = strtok_r(NULL, "\n", &save))) {
        char f[11][64];
        int n = 0;
        for (char *p = line;; ) {
            char *c = strchr(p, ',');
            assert_true(n < 11);
            snprintf(f[n++], 64, "%.*s", c ? (int)(c - p) : (int)strlen(p), p);
            if (!c) break;
            p = c + 1;
        }
        assert_int_equal(n, 11);
        int dev = !strcmp(f[1], "dev");
        assert_true(dev || !strcmp(f[1], "test"));
        int r = row_of(g, f[2]);
        St s;
        if (!strcmp(f[0], "seed")) {
            int t = target_of_name(g, f[3]), si = -1;
            for (size_t k = 0; k < g->ns; k++) if (atol(f[5]) == g->Sd[k]) si = (int)k;
            double x;
            assert_true(si >= 0 && cell_score(g, r, t, si, dev, &x));
            same("seed n", f[6], "1");
            csv_field("seed value", f[7], 1, x);
            same("seed std", f[8], "");
            counts[0]++;
            continue;
        }
        if (!strcmp(f[0], "score")) { s = score_st(g, r, target_of_name(g, f[3]), dev); counts[1]++; }
        else if (!strcmp(f[0], "xtreme")) { same("xtreme target", f[3], "xtreme"); s = xtreme_st(g, r, dev); same("note", f[10], "incomplete"); counts[2]++; }
        else if (!strcmp(f[0], "language")) { s = lang_st(g, r, target_of_name(g, f[3]), dev, f[4]); counts[3]++; }
        else if (!strcmp(f[0], "best")) {
            int t = target_of_name(g, f[3]), on_dev, br = best_row(g, t, &on_dev);
            assert_int_equal(r, br);
            s = score_st(g, r, t, dev);
            same("best split", f[1], score_st(g, r, t, 0).n ? "test" : "dev");
            same("best note", f[10], on_dev ? "chosen on dev" : "chosen on test");
            counts[4]++;
        } else { fprintf(stderr, "csv: unknown kind '%s'\n", f[0]); fail(); return; }
        assert_true(s.n > 0);
        assert_int_equal(atol(f[6]), s.n);
        csv_field("mean", f[7], 1, s.mean);
        csv_field("std", f[8], s.has_std, s.std);
        csv_field("delta", f[9], s.has_delta && strcmp(f[0], "language"), s.delta);
    }
    long want[5] = {0};
    for (int dev = 0; dev < 2; dev++)
        for (size_t r = 0; r < g->nr; r++) {
            want[2] += xtreme_st(g, (int)r, dev).n > 0;
            for (size_t t = 0; t < g->nt; t++) {
                St s = score_st(g, (int)r, (int)t, dev);
                want[0] += s.n;
                want[1] += s.n > 0;
                char ls[64][8];
                int nl = langs_of(g, (int)t, dev, ls);
                for (int l = 0; l < nl; l++) want[3] += lang_st(g, (int)r, (int)t, dev, ls[l]).n > 0;
            }
        }
    want[4] = (long)g->nt;
    for (int k = 0; k < 5; k++) assert_int_equal(counts[k], want[k]);
    fprintf(stderr, "results.csv: %ld seed, %ld score, %ld xtreme, %ld language, %ld best lines checked\n", counts[0], counts[1], counts[2],
            counts[3], counts[4]);
    free(text);
}

/* The labels of a heatmap <svg> (class v: delta, s: the row's score, na: no delta), in document order. */
static void check_heatmap(const Gen *g, const char *svg, int dev) {
    const char *end = strstr(svg, "</svg>");
    assert_non_null(end);
    const char *p = svg;
    char want[64];
    int xcol = 0;
    for (size_t r = 1; r < g->nr; r++) xcol |= xtreme_st(g, (int)r, dev).has_delta;
    long n = 0;
    for (size_t r = 1; r < g->nr; r++)
        for (size_t c = 0; c <= g->nt; c++) {
            St s;
            if (c < g->nt) {
                int any = 0;
                for (size_t q = 0; q < g->nr; q++) any |= score_st(g, (int)q, (int)c, dev).n > 0;
                if (!any) continue;
                s = score_st(g, (int)r, (int)c, dev);
            } else {
                if (!xcol) continue;
                s = xtreme_st(g, (int)r, dev);
            }
            const char *v = strstr(p, "<text class=\""), *q;
            assert_true(v && v < end);
            q = v + 13;
            if (!s.has_delta) {
                assert_int_equal(strncmp(q, "na\"", 3), 0);
                p = q;
                continue;
            }
            assert_int_equal(strncmp(q, "v\"", 2), 0);
            fdl(want, s.delta);
            q = strchr(q, '>') + 1;
            assert_int_equal(strncmp(q, want, strlen(want)), 0);
            assert_true(q[strlen(want)] == '<');
            v = strstr(q, "<text class=\"s\"");
            assert_non_null(v);
            q = strchr(v, '>') + 1;
            f1d(want, s.mean);
            if (strncmp(q, want, strlen(want))) fprintf(stderr, "heatmap score: got %.12s, want %s (row %zu col %zu)\n", q, want, r, c);
            assert_int_equal(strncmp(q, want, strlen(want)), 0);
            assert_true(q[strlen(want)] == '<');
            p = q;
            n++;
        }
    assert_true(n > 0);
    /* no further cell labels */
    const char *more = strstr(p, "<text class=\"v\"");
    assert_true(!more || more > end);
}

static char *slurp(const char *path) {
    XsErr err = {0};
    size_t len;
    char *t = file_read_all(path, &len, &err);
    if (!t) fprintf(stderr, "%s\n", err.msg);
    assert_non_null(t);
    return t;
}
static int exists(const char *p) { struct stat st; return stat(p, &st) == 0; }

static void test_small_report(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    Gen *g = calloc(1, sizeof *g);
    gen_small(g, dir);
    XsErr err = {0};
    int n = 0;
    if (report_build(dir, &n, &err)) fprintf(stderr, "%s\n", err.msg);
    assert_false(err.failed);
    assert_int_equal(n, 23);
    char p[1100];
    snprintf(p, sizeof p, "%s/results.json", dir);
    check_json(g, p);
    snprintf(p, sizeof p, "%s/results.csv", dir);
    check_csv(g, p);
    static PTable tabs[64];
    char want[400];
    summary_expected(g, want, sizeof want);
    snprintf(p, sizeof p, "%s/report.md", dir);
    char *md = slurp(p);
    int nt = parse_md(md, tabs, 64);
    check_tables(g, tabs, nt, "report.md", 1);
    char *flat = strdup(md); /* the prose is wrapped */
    for (char *q = flat; *q; q++) if (*q == '\n') *q = ' ';
    assert_non_null(strstr(flat, want));
    free(flat);
    /* every line <= 100 columns wide */
    for (const char *l = md; *l;) {
        const char *e = strchr(l, '\n');
        size_t cols = 0;
        for (const char *q = l; q < e; q++) cols += ((unsigned char)*q & 0xc0) != 0x80;
        if (cols > 100) { fprintf(stderr, "report.md line wider than 100: %.*s\n", (int)(e - l), l); fail(); }
        l = e + 1;
    }
    free(md);
    snprintf(p, sizeof p, "%s/report.html", dir);
    char *html = slurp(p);
    nt = parse_html(html, tabs, 64);
    check_tables(g, tabs, nt, "report.html", 0);
    assert_non_null(strstr(html, want));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "http://www.w3.org/1999/xhtml\" lang") == NULL ? "missing xmlns" : NULL);
    /* the heatmaps inlined: test then dev */
    const char *h1 = strstr(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\"");
    assert_non_null(h1);
    check_heatmap(g, h1, 0);
    const char *h2 = strstr(strstr(h1, "</svg>"), "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\"");
    assert_non_null(h2);
    check_heatmap(g, h2, 1);
    free(html);
    for (int dev = 0; dev < 2; dev++) {
        snprintf(p, sizeof p, "%s/figures/heatmap-%s.svg", dir, dev ? "dev" : "test");
        char *svg = slurp(p);
        check_heatmap(g, svg, dev);
        free(svg);
    }
    /* curves: one per target that trains; none for the retrieval target */
    snprintf(p, sizeof p, "%s/figures/curves-xnli.svg", dir);
    assert_true(exists(p));
    snprintf(p, sizeof p, "%s/figures/curves-tatoeba.svg", dir);
    assert_false(exists(p));
    /* rebuilding gives the same bytes */
    snprintf(p, sizeof p, "%s/report.html", dir);
    char *a = slurp(p);
    if (report_build(dir, NULL, &err)) fprintf(stderr, "rebuild: %s\n", err.msg);
    assert_false(err.failed);
    char *b = slurp(p);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(g->v);
    free(g);
    tu_rmtree(dir);
    free(dir);
}

/* run.json orders rows and targets and gives the title; rows it lacks come after */
static void test_run_json_order(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    Gen *g = calloc(1, sizeof *g);
    gen_small(g, dir);
    char p[1100];
    snprintf(p, sizeof p, "%s/run.json", dir);
    FILE *f = fopen(p, "w");
    fprintf(f, "{\"title\": \"A <small> & grid\", \"config_hash\": \"abc\", \"rows\": [{\"name\": \"squad\", \"intermediate\": [\"squad\"]}, "
               "\"baseline\"], \"targets\": [\"xquad\", {\"name\": \"xnli\"}], \"seeds\": [1, 2]}\n");
    fclose(f);
    assert_int_equal(reseal(p), 0);
    XsErr err = {0};
    assert_int_equal(report_build(dir, NULL, &err), 0);
    snprintf(p, sizeof p, "%s/results.json", dir);
    json_t *res = json_load_file(p, 0, NULL);
    const char *rows[] = {"squad", "baseline", "mnli"}, *tg[] = {"xquad", "xnli", "panx", "tatoeba"};
    for (int i = 0; i < 3; i++) same("row order", json_string_value(json_array_get(json_object_get(res, "rows"), (size_t)i)), rows[i]);
    for (int i = 0; i < 4; i++) same("target order", js(json_array_get(json_object_get(res, "targets"), (size_t)i), "name"), tg[i]);
    same("title", js(res, "title"), "A <small> & grid");
    same("baseline", js(res, "baseline"), "baseline");
    json_decref(res);
    snprintf(p, sizeof p, "%s/report.md", dir);
    char *md = slurp(p);
    assert_int_equal(strncmp(md, "# A <small> & grid\n", 19), 0);
    free(md);
    snprintf(p, sizeof p, "%s/report.html", dir);
    char *html = slurp(p);
    assert_non_null(strstr(html, "<title>A &lt;small&gt; &amp; grid</title>"));
    free(html);
    free(g->v);
    free(g);
    tu_rmtree(dir);
    free(dir);
}

/* Replaces the first `from` in file by `to`, unsealed (a hand edit). */
static void edit_raw(const char *path, const char *from, const char *to) {
    char *t = slurp(path);
    char *at = strstr(t, from);
    assert_non_null(at);
    FILE *f = fopen(path, "w");
    fwrite(t, 1, (size_t)(at - t), f);
    fputs(to, f);
    fputs(at + strlen(from), f);
    fclose(f);
    free(t);
}

/* edit_raw, then sealed again when it is still JSON (to reach the field checks behind the seal). */
static void edit(const char *path, const char *from, const char *to) {
    edit_raw(path, from, to);
    reseal(path);
}

static void expect_error(const char *dir, const char *sub1, const char *sub2) {
    XsErr err = {0};
    char p[1100];
    snprintf(p, sizeof p, "%s/report.html", dir);
    unlink(p);
    assert_int_equal(report_build(dir, NULL, &err), -1);
    fprintf(stderr, "  error: %s\n", err.msg);
    if (!strstr(err.msg, sub1) || (sub2 && !strstr(err.msg, sub2))) {
        fprintf(stderr, "want '%s' and '%s' in the message\n", sub1, sub2 ? sub2 : "");
        fail();
    }
    assert_false(exists(p)); /* nothing written */
}

static void test_errors(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    Gen *g = calloc(1, sizeof *g);
    char p[1100], q[1100], cmd[2400];
    expect_error(dir, "no cells folder", NULL);
    gen_small(g, dir);
    snprintf(p, sizeof p, "%s/cells/mnli/xnli/seed-1/cell.json", dir);
    snprintf(q, sizeof q, "%s/keep.json", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", p, q);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", q, p);
    /* bad JSON: file, line and column */
    edit(p, "\"status\": \"done\",", "\"status\": \"done\",,");
    expect_error(dir, "cells/mnli/xnli/seed-1/cell.json:8: column 20", "invalid JSON");
    assert_int_equal(system(cmd), 0);
    /* a hand edit, a flipped byte, a truncation: the seal (core/seal.h) refuses the cell */
    edit_raw(p, "\"status\": \"done\"", "\"status\": \"dome\"");
    expect_error(dir, "cells/mnli/xnli/seed-1/cell.json: its content does not match its \"sha256\" seal", NULL);
    assert_int_equal(system(cmd), 0);
    edit_raw(p, "\"sha256\"", "\"sha257\"");
    expect_error(dir, "cells/mnli/xnli/seed-1/cell.json: no \"sha256\" seal", NULL);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(truncate(p, 40), 0);
    expect_error(dir, "cells/mnli/xnli/seed-1/cell.json: truncated (40 bytes", NULL);
    assert_int_equal(system(cmd), 0);
    /* wrong types, by field path */
    edit(p, "\"seed\": 1", "\"seed\": \"1\"");
    expect_error(dir, "cells/mnli/xnli/seed-1/cell.json: field \"seed\"", "expected an integer");
    assert_int_equal(system(cmd), 0);
    edit(p, "\"de\": {\n      \"accuracy\": ", "\"de\": {\"accuracy\": \"x\", \"z\": ");
    expect_error(dir, "field \"dev.de.accuracy\"", "expected a number");
    assert_int_equal(system(cmd), 0);
    edit(p, "\"major_metric\": \"accuracy\"", "\"major_metric\": \"f1\"");
    expect_error(dir, "field \"dev.en\": expected the major metric \"f1\"", NULL);
    assert_int_equal(system(cmd), 0);
    edit(p, "\"format\": \"xstilts-cell\"", "\"format\": \"other\"");
    expect_error(dir, "field \"format\"", NULL);
    assert_int_equal(system(cmd), 0);
    edit(p, "\"step\": 50,", "\"step\": -50,");
    expect_error(dir, "field \"curve[1].step\"", NULL);
    assert_int_equal(system(cmd), 0);
    edit(p, "\"tokens\": 2000001", "\"tokenz\": 2000001");
    expect_error(dir, "field \"phase1.tokens\"", NULL);
    assert_int_equal(system(cmd), 0);
    /* a cell copied elsewhere (a duplicate of mnli/xnli/1) is not merged */
    snprintf(q, sizeof q, "%s/cells/mnli/xnli/seed-9", dir);
    mkdirs(q);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/'", p, q);
    assert_int_equal(system(cmd), 0);
    expect_error(dir, "cells/mnli/xnli/seed-9/cell.json", "lies in cells/mnli/xnli/seed-9/");
    snprintf(cmd, sizeof cmd, "rm -r '%s'", q);
    assert_int_equal(system(cmd), 0);
    snprintf(q, sizeof q, "%s/cells/mnli/xnli/seed-1/backup", dir);
    mkdirs(q);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/cell.json'", p, q);
    assert_int_equal(system(cmd), 0);
    expect_error(dir, "cells/mnli/xnli/seed-1/backup/cell.json: a cell.json outside its place", NULL);
    snprintf(cmd, sizeof cmd, "rm -r '%s'", q);
    assert_int_equal(system(cmd), 0);
    /* mixed hashes: another phase-1 config for mnli seed 1 */
    snprintf(q, sizeof q, "%s/cells/mnli/panx/seed-1/cell.json", dir);
    char h[65];
    hash_of(h, 1, 99, 0);
    char from[100];
    snprintf(from, sizeof from, "\"config_hash\": \"%s\"\n  }", h);
    edit(q, from, "\"config_hash\": \"0000\"}");
    expect_error(dir, "mixed config hashes", "mnli seed 1");
    free(g->v);
    free(g);
    tu_rmtree(dir);
    free(dir);
}

static void put(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_status(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    Gen *g = calloc(1, sizeof *g);
    gen_small(g, dir);
    char p[1100];
    /* a cell with a checkpoint but no cell.json, a phase-1 job done and one in progress */
    snprintf(p, sizeof p, "%s/cells/squad/panx/seed-2/ckpt-000100", dir);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/phase1/mnli/seed-1", dir);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/phase1/mnli/seed-1/model.safetensors", dir);
    put(p, "x");
    snprintf(p, sizeof p, "%s/phase1/mnli/seed-1/config.json", dir);
    put(p, "{}");
    snprintf(p, sizeof p, "%s/phase1/squad/seed-2", dir);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/run.json", dir);
    put(p, "{\"rows\": [\"baseline\", \"mnli\", \"squad\"], \"targets\": [\"xnli\", \"panx\", \"tatoeba\", \"xquad\", \"udpos\"], \"seeds\": [1, 2]}\n");
    assert_int_equal(reseal(p), 0);
    snprintf(p, sizeof p, "%s/run.log", dir);
    put(p, "{\"t\": 1700000000, \"event\": \"start\"}\n"
           "{\"t\": 1700000100, \"event\": \"step\", \"cell\": \"squad/panx/seed-2\", \"step\": 100, \"loss\": 0.5}\n"
           "{\"t\": 1700000200, \"event\": \"step\", \"cell\": \"squad/panx/seed-2\", \"step\": 150, \"loss\": 0.4}\n"
           "{\"t\": 1700000300, \"event\": \"step\", \"cell\": \"mnli/xnli/seed-1\", \"step\": 999}\n"
           "{\"t\": 17000004");
    XsErr err = {0};
    json_t *st = run_status(dir, 3, &err);
    assert_non_null(st);
    assert_int_equal(json_integer_value(json_object_get(st, "done")), 23);
    assert_int_equal(json_integer_value(json_object_get(st, "planned")), 30);
    json_t *run = json_object_get(st, "running");
    assert_int_equal(json_array_size(run), 1);
    same("running cell", js(json_array_get(run, 0), "cell"), "squad/panx/seed-2");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(run, 0), "last_step")), 150);
    assert_int_equal(json_integer_value(json_object_get(st, "left")), 6); /* udpos x 3 rows x 2 seeds */
    json_t *p1 = json_object_get(st, "phase1");
    assert_int_equal(json_array_size(p1), 2);
    same("phase1 done", js(json_array_get(p1, 0), "state"), "done");
    same("phase1 running", js(json_array_get(p1, 1), "state"), "in progress");
    assert_int_equal(json_array_size(json_object_get(st, "events")), 3);
    json_t *pr = json_object_get(st, "problems");
    assert_int_equal(json_array_size(pr), 1); /* the torn last line of run.log */
    assert_non_null(strstr(json_string_value(json_array_get(pr, 0)), "run.log: 1 line(s)"));
    json_decref(st);
    /* a damaged cell.json is a problem, not a failure */
    snprintf(p, sizeof p, "%s/cells/mnli/xnli/seed-1/cell.json", dir);
    put(p, "{");
    st = run_status(dir, 8, &err);
    assert_non_null(st);
    assert_int_equal(json_integer_value(json_object_get(st, "done")), 22);
    assert_int_equal(json_array_size(json_object_get(st, "problems")), 2);
    json_decref(st);
    snprintf(p, sizeof p, "%s/nope", dir);
    assert_null(run_status(p, 8, &err));
    free(g->v);
    free(g);
    tu_rmtree(dir);
    free(dir);
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--seal")) /* for the CLI tests' hand-made state files */
        return reseal(argv[2]) ? 1 : 0;
    if (argc == 3 && !strcmp(argv[1], "--demo")) {
        Gen *g = calloc(1, sizeof *g);
        gen_demo(g, argv[2]);
        free(g->v);
        free(g);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_report),
        cmocka_unit_test(test_run_json_order),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
