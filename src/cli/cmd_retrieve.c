/* cmd_retrieve.c — `xstilts retrieve`: .npy embeddings → k-NN lists, Tatoeba predictions or BUCC mined
 * pairs (threshold from --dev-gold or --threshold). The maths lives in eval/retrieval.c. */
#include "cli/cli.h"
#include "core/mem.h"
#include "core/util.h"
#include "eval/retrieval.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(void) {
    printf("usage: xstilts retrieve --src A.npy --tgt B.npy --mode knn|tatoeba|margin --out FILE [options]\n"
           "\n"
           "Exact cosine retrieval between two float32 .npy embedding matrices [n, d] (rows L2-normalised here).\n"
           "\n"
           "  --mode knn       each --src row's k nearest --tgt rows: \"query<TAB>rank<TAB>index<TAB>cosine\" lines\n"
           "  --mode tatoeba   top-1 index per query, one per line (XTREME's predictions file); prints accuracy\n"
           "                   against line-parallel gold as JSON. Default --query tgt: the --tgt side (English)\n"
           "                   queries an index of the --src side, as XTREME's and jiant's Tatoeba do\n"
           "  --mode margin    LASER ratio-margin mining (BUCC); --out gets \"src_id<TAB>trg_id\" pairs with score >= T\n"
           "\n"
           "options:\n"
           "  --k N              neighbours (default 4 for margin/knn; tatoeba uses 1)\n"
           "  --retrieval M      margin pairs: max (default, XTREME BUCC) | forward | backward | intersect\n"
           "  --src-ids FILE     BUCC side file (\"id<TAB>sentence\", identical sentences mined once as XTREME does)\n"
           "  --tgt-ids FILE     or one id per line; default ids are row numbers\n"
           "  --dev-gold FILE    \"src<TAB>trg\" gold: choose T maximising F1 on these (dev) candidates; prints JSON\n"
           "  --threshold T      apply a threshold chosen on dev (test split)\n"
           "  --candidates FILE  also write every mined candidate as \"src_id<TAB>trg_id<TAB>score\"\n"
           "  --query tgt|src    tatoeba: which side queries (default tgt)\n"
           "  --src-rows A:B     use rows [A, B) of --src only (several languages encoded in one file)\n"
           "  --tgt-rows A:B     the same for --tgt\n"
           "  --tile-rows N --tile-cols N   similarity tile held in memory (default 2048 x 4096)\n");
}

/* "A:B" -> rows [A, B) of the matrix (NULL: all rows). */
static void row_range(const char *spec, const char *path, size_t n, size_t *a, size_t *b) {
    *a = 0;
    *b = n;
    if (!spec) return;
    const char *colon = strchr(spec, ':');
    char lo[32];
    long x, y;
    if (!colon || (size_t)(colon - spec) >= sizeof lo) usage_error("expected a row range START:END, found '%s'", spec);
    memcpy(lo, spec, (size_t)(colon - spec));
    lo[colon - spec] = 0;
    if (parse_long(lo, &x) || parse_long(colon + 1, &y) || x < 0 || y <= x)
        usage_error("expected a row range START:END with 0 <= START < END, found '%s'", spec);
    if ((size_t)y > n) xs_die("%s: row range %s goes past its %zu rows", path, spec, n);
    *a = (size_t)x;
    *b = (size_t)y;
}

static float *load(const char *path, const char *rows, size_t *n, size_t *d) {
    XsErr err = {0};
    float *x = npy_read_f32(path, n, d, &err);
    if (!x) xs_die("%s", err.msg);
    size_t a, b;
    row_range(rows, path, *n, &a, &b);
    if (a > 0) memmove(x, x + a * *d, (b - a) * *d * sizeof *x);
    *n = b - a;
    if (*n == 0 || *d == 0) xs_die("%s: expected a non-empty [n, d] embedding matrix, found shape (%zu, %zu)", path, *n, *d);
    if (retrieval_normalize(x, *n, *d, path, &err)) xs_die("%s", err.msg);
    return x;
}

static void read_side(const char *path, size_t rows, const char *npy, BuccSide *s) {
    XsErr err = {0};
    if (bucc_read_side(path, s, &err)) xs_die("%s", err.msg);
    if (s->n != rows) xs_die("%s: expected %zu lines (the rows of %s), found %zu", path, rows, npy, s->n);
}

static void row_ids(size_t n, BuccSide *s) {
    s->n = n;
    s->id = xmalloc(n * sizeof *s->id);
    s->text = xmalloc(n * sizeof *s->text);
    for (size_t i = 0; i < n; i++) {
        char b[32];
        snprintf(b, sizeof b, "%zu", i);
        s->id[i] = xstrdup(b);
        s->text[i] = xstrdup(b);
    }
}

/* The JSON summaries are printed by hand: JSON has no NaN / Inf, and every value here is finite by
 * construction (finite embeddings, a finite --threshold), so a non-finite one is a bug. */
static double fin(const char *what, double v) {
    CHECK(isfinite(v), "%s is %g: JSON has no NaN/Inf", what, v);
    return v;
}

static void commit(AtomicFile *af) {
    XsErr err = {0};
    if (atomic_commit(af, &err)) xs_die("%s", err.msg);
}
static FILE *open_out(AtomicFile *af, const char *path) {
    XsErr err = {0};
    if (atomic_open(af, path, &err)) xs_die("%s", err.msg);
    return af->f;
}

int cmd_retrieve(int argc, char **argv) {
    const char *src = NULL, *tgt = NULL, *mode = NULL, *out = NULL, *src_ids = NULL, *tgt_ids = NULL;
    const char *dev_gold = NULL, *cands = NULL, *retr = "max", *query = "tgt", *src_rows = NULL, *tgt_rows = NULL, *v;
    OptLong k = {0}, tile_r = {0}, tile_c = {0};
    OptDouble threshold = {0};
    for (int i = 1; i < argc; i++) {
        if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) { help(); return 0; }
        if ((v = arg_str(argc, argv, &i, "--src"))) src = v;
        else if ((v = arg_str(argc, argv, &i, "--tgt"))) tgt = v;
        else if ((v = arg_str(argc, argv, &i, "--mode"))) mode = v;
        else if ((v = arg_str(argc, argv, &i, "--out"))) out = v;
        else if ((v = arg_str(argc, argv, &i, "--src-ids"))) src_ids = v;
        else if ((v = arg_str(argc, argv, &i, "--tgt-ids"))) tgt_ids = v;
        else if ((v = arg_str(argc, argv, &i, "--dev-gold"))) dev_gold = v;
        else if ((v = arg_str(argc, argv, &i, "--candidates"))) cands = v;
        else if ((v = arg_str(argc, argv, &i, "--retrieval"))) retr = v;
        else if ((v = arg_str(argc, argv, &i, "--query"))) query = v;
        else if ((v = arg_str(argc, argv, &i, "--src-rows"))) src_rows = v;
        else if ((v = arg_str(argc, argv, &i, "--tgt-rows"))) tgt_rows = v;
        else if (arg_long_in(argc, argv, &i, "--k", 1, 1024, &k)) {}
        else if (arg_long_in(argc, argv, &i, "--tile-rows", 1, 65536, &tile_r)) {}
        else if (arg_long_in(argc, argv, &i, "--tile-cols", 1, 65536, &tile_c)) {}
        else if (arg_double_in(argc, argv, &i, "--threshold", -1e30, 1e30, &threshold)) {}
        else arg_unknown("retrieve", argv[i]);
    }
    if (!src || !tgt || !mode || !out) usage_error("--src, --tgt, --mode and --out are required");
    int m_knn = !strcmp(mode, "knn"), m_tat = !strcmp(mode, "tatoeba"), m_mar = !strcmp(mode, "margin");
    if (!m_knn && !m_tat && !m_mar) usage_error("--mode expects knn, tatoeba or margin, found '%s'", mode);
    int mm = retrieval_mine_mode(retr);
    if (mm < 0) usage_error("--retrieval expects max, forward, backward or intersect, found '%s'", retr);
    if (strcmp(query, "tgt") && strcmp(query, "src")) usage_error("--query expects tgt or src, found '%s'", query);
    if (!k.set) k.v = m_tat ? 1 : 4;
    if (m_tat && k.v != 1) usage_error("--mode tatoeba predicts the top-1 neighbour; --k applies to knn and margin");
    if (m_mar && !threshold.set && !dev_gold)
        usage_error("--mode margin needs --dev-gold FILE (dev: choose the threshold) or --threshold T (test)");
    if (m_mar && threshold.set && dev_gold) usage_error("give either --threshold or --dev-gold, not both");
    if (!m_mar && (src_ids || tgt_ids || dev_gold || threshold.set || cands))
        usage_error("--src-ids, --tgt-ids, --dev-gold, --threshold and --candidates apply to --mode margin only");
    if (!strcmp(out, "-") && !m_knn) usage_error("--out - (stdout) applies to --mode knn only: the other modes print a JSON summary on stdout");
    if (cands && !strcmp(cands, "-")) usage_error("--candidates - : stdout carries the JSON summary; give a file");

    size_t nx, dx, ny, dy;
    float *x = load(src, src_rows, &nx, &dx);
    float *y = load(tgt, tgt_rows, &ny, &dy);
    if (dx != dy) xs_die("dimension mismatch: %s has %zu columns, %s has %zu", src, dx, tgt, dy);
    KnnOpts ko = {(size_t)tile_r.v, (size_t)tile_c.v};
    AtomicFile af;
    double t0 = time_now();

    if (m_knn) {
        size_t kk = (size_t)k.v < ny ? (size_t)k.v : ny;
        int32_t *idx = xmalloc(nx * kk * sizeof *idx);
        float *sim = xmalloc(nx * kk * sizeof *sim);
        retrieval_knn(x, nx, y, ny, dx, idx, sim, kk, NULL, NULL, 0, &ko);
        FILE *f = open_out(&af, out);
        for (size_t i = 0; i < nx; i++)
            for (size_t r = 0; r < kk; r++) fprintf(f, "%zu\t%zu\t%d\t%.9g\n", i, r, idx[i * kk + r], sim[i * kk + r]);
        commit(&af);
        free(idx);
        free(sim);
    } else if (m_tat) {
        /* XTREME similarity_search(x=src, y=tgt): index x, search each y row → index into x. */
        if (nx != ny)
            xs_die("--mode tatoeba scores line-parallel sides: %s has %zu rows, %s has %zu (use --src-rows/--tgt-rows "
                   "or --mode knn)", src, nx, tgt, ny);
        int qt = !strcmp(query, "tgt");
        const float *q = qt ? y : x, *db = qt ? x : y;
        size_t nq = qt ? ny : nx, ndb = qt ? nx : ny, kk = (size_t)k.v < ndb ? (size_t)k.v : ndb;
        int32_t *idx = xmalloc(nq * kk * sizeof *idx);
        float *sim = xmalloc(nq * kk * sizeof *sim);
        retrieval_knn(q, nq, db, ndb, dx, idx, sim, kk, NULL, NULL, 0, &ko);
        FILE *f = open_out(&af, out);
        size_t correct = 0;
        for (size_t i = 0; i < nq; i++) {
            fprintf(f, "%d\n", idx[i * kk]);
            correct += idx[i * kk] == (int32_t)i;
        }
        commit(&af);
        printf("{\"queries\": %zu, \"database\": %zu, \"accuracy\": %.4f}\n", nq, ndb, fin("accuracy", 100.0 * (double)correct / (double)nq));
        free(idx);
        free(sim);
    } else {
        BuccSide ss, ts;
        if (src_ids) read_side(src_ids, nx, src, &ss); else row_ids(nx, &ss);
        if (tgt_ids) read_side(tgt_ids, ny, tgt, &ts); else row_ids(ny, &ts);
        BuccCand *c;
        size_t nux, nuy;
        size_t nc = bucc_mine(&ss, x, &ts, y, dx, (size_t)k.v, (MineMode)mm, &ko, &c, &nux, &nuy);
        if (nux < nx || nuy < ny) log_info("retrieve: unified %zu -> %zu source and %zu -> %zu target sentences", nx, nux, ny, nuy);
        if (cands) {
            FILE *f = open_out(&af, cands);
            for (size_t i = 0; i < nc; i++) fprintf(f, "%s\t%s\t%.9g\n", c[i].src, c[i].trg, c[i].score);
            commit(&af);
        }
        {
            double th = threshold.v;
            BuccGold g = {0};
            if (dev_gold) {
                XsErr err = {0};
                if (bucc_read_gold(dev_gold, &g, &err)) xs_die("%s", err.msg);
                if (bucc_gold_check(&g, dev_gold, &ss, src_ids ? src_ids : "--src (row numbers; give --src-ids for BUCC ids)", &ts,
                                    tgt_ids ? tgt_ids : "--tgt (row numbers; give --tgt-ids for BUCC ids)", &err))
                    xs_die("%s", err.msg);
                th = bucc_optimize(c, nc, &g);
            }
            FILE *f = open_out(&af, out);
            size_t nout = 0;
            for (size_t i = 0; i < nc; i++)
                if (c[i].score >= th) { fprintf(f, "%s\t%s\n", c[i].src, c[i].trg); nout++; }
            commit(&af);
            if (dev_gold) {
                double p, r, f1;
                bucc_eval(c, nc, th, &g, &p, &r, &f1);
                printf("{\"threshold\": %.17g, \"precision\": %.4f, \"recall\": %.4f, \"f1\": %.4f, \"candidates\": %zu, \"pairs\": %zu}\n",
                       fin("threshold", th), fin("precision", p), fin("recall", r), fin("f1", f1), nc, nout);
                bucc_gold_free(&g);
            } else {
                printf("{\"threshold\": %.17g, \"candidates\": %zu, \"pairs\": %zu}\n", fin("threshold", th), nc, nout);
            }
        }
        free(c);
        bucc_side_free(&ss);
        bucc_side_free(&ts);
    }
    log_info("retrieve: %s, %zu x %zu, d=%zu, %.2f s", mode, nx, ny, dx, time_now() - t0);
    free(x);
    free(y);
    return 0;
}
