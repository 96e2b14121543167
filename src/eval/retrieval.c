/* retrieval.c — exact cosine k-NN (tiled cblas_sgemm + running top-k lists, both directions from one
 * GEMM pass), XTREME/LASER ratio-margin mining, BUCC unify / candidates / threshold. Files: cmd_retrieve.c. */
#include "eval/retrieval.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/util.h"
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int retrieval_normalize(float *x, size_t n, size_t d, const char *what, XsErr *err) {
    for (size_t i = 0; i < n; i++) {
        float *r = x + i * d;
        double s = 0;
        for (size_t j = 0; j < d; j++) {
            if (!isfinite(r[j]))
                return err_set(err, what, 0, "expected finite embeddings, found %s in row %zu column %zu",
                               isnan(r[j]) ? "NaN" : "Inf", i, j);
            s += (double)r[j] * r[j];
        }
        /* faiss fvec_renorm_L2: rows of norm 0 are left as they are. */
        if (s > 0) {
            float inv = (float)(1.0 / sqrt(s));
            for (size_t j = 0; j < d; j++) r[j] *= inv;
        }
    }
    return 0;
}

/* ---- k-NN -------------------------------------------------------------------------------------- */

/* Inserts (s, j) into a descending list of k; callers only call it when s > ls[k-1]. Equal
 * similarities stay behind the earlier (lower-index) entries, since indices arrive in increasing order. */
static inline void topk_insert(float *ls, int32_t *li, size_t k, float s, int32_t j) {
    size_t p = k - 1;
    while (p > 0 && s > ls[p - 1]) {
        ls[p] = ls[p - 1];
        li[p] = li[p - 1];
        p--;
    }
    ls[p] = s;
    li[p] = j;
}

/* One row of the tile against its list: vectorised "anything above the k-th best?" per chunk, since
 * almost every chunk is rejected once the list has warmed up. s: (n). */
static void scan_row(const float *s, size_t n, int32_t j0, float *ls, int32_t *li, size_t k) {
    enum { CH = 128 };
    for (size_t c = 0; c < n; c += CH) {
        size_t e = c + CH < n ? c + CH : n;
        float thr = ls[k - 1];
        int any = 0;
#pragma omp simd reduction(| : any)
        for (size_t j = c; j < e; j++) any |= s[j] > thr;
        if (!any) continue;
        for (size_t j = c; j < e; j++)
            if (s[j] > ls[k - 1]) topk_insert(ls, li, k, s[j], j0 + (int32_t)j);
    }
}

enum { COLW = 64 };
/* A band of w <= COLW columns of the tile, down all its rows, against the columns' lists
 * (the backward direction). S: (rows, ldS); ls/li: the lists of the band's first column, stride k. */
static void scan_cols(const float *S, size_t ldS, size_t rows, size_t w, int32_t i0, float *ls, int32_t *li, size_t k) {
    float thr[COLW];
    for (size_t c = 0; c < COLW; c++) thr[c] = c < w ? ls[c * k + k - 1] : INFINITY;
    for (size_t r = 0; r < rows; r++) {
        const float *row = S + r * ldS;
        int any = 0;
        if (w == COLW) {
#pragma omp simd reduction(| : any)
            for (size_t c = 0; c < COLW; c++) any |= row[c] > thr[c];
        } else {
            for (size_t c = 0; c < w; c++) any |= row[c] > thr[c];
        }
        if (!any) continue;
        for (size_t c = 0; c < w; c++)
            if (row[c] > thr[c]) {
                topk_insert(ls + c * k, li + c * k, k, row[c], i0 + (int32_t)r);
                thr[c] = ls[c * k + k - 1];
            }
    }
}

static void lists_init(float *ls, int32_t *li, size_t n) {
    for (size_t i = 0; i < n; i++) {
        ls[i] = -INFINITY;
        li[i] = -1;
    }
}

void retrieval_knn(const float *x, size_t nx, const float *y, size_t ny, size_t d,
                   int32_t *fwd_idx, float *fwd_sim, size_t kf,
                   int32_t *bwd_idx, float *bwd_sim, size_t kb, const KnnOpts *opts) {
    int fwd = fwd_idx != NULL, bwd = bwd_idx != NULL;
    CHECK(!fwd || (fwd_sim && kf >= 1 && kf <= ny), "forward k=%zu must be in [1, ny=%zu]", kf, ny);
    CHECK(!bwd || (bwd_sim && kb >= 1 && kb <= nx), "backward k=%zu must be in [1, nx=%zu]", kb, nx);
    CHECK(nx < INT32_MAX && ny < INT32_MAX, "indices are int32");
    if (fwd) lists_init(fwd_sim, fwd_idx, nx * kf);
    if (bwd) lists_init(bwd_sim, bwd_idx, ny * kb);
    if (!fwd && !bwd) return;
    size_t tr = opts && opts->tile_rows ? opts->tile_rows : 2048;
    size_t tc = opts && opts->tile_cols ? opts->tile_cols : 4096;
    if (tr > nx) tr = nx;
    if (tc > ny) tc = ny;
    float *S = xmalloc_aligned(tr * tc * sizeof(float)); /* (tr, tc) */
    /* x-blocks outer, y-blocks inner: every row list sees y indices in increasing order and every
     * column list sees x indices in increasing order, which makes the tie-break index-based. */
    for (size_t i0 = 0; i0 < nx; i0 += tr) {
        size_t br = nx - i0 < tr ? nx - i0 : tr;
        for (size_t j0 = 0; j0 < ny; j0 += tc) {
            size_t bc = ny - j0 < tc ? ny - j0 : tc;
            /* S = X[i0:i0+br] · Y[j0:j0+bc]ᵀ; OpenBLAS threads it over the same OpenMP pool. */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)br, (int)bc, (int)d, 1.0f,
                        x + i0 * d, (int)d, y + j0 * d, (int)d, 0.0f, S, (int)bc);
            size_t nbands = (bc + COLW - 1) / COLW;
#pragma omp parallel
            {
                if (fwd) {
#pragma omp for schedule(static) nowait
                    for (size_t r = 0; r < br; r++)
                        scan_row(S + r * bc, bc, (int32_t)j0, fwd_sim + (i0 + r) * kf, fwd_idx + (i0 + r) * kf, kf);
                }
                if (bwd) {
#pragma omp for schedule(static)
                    for (size_t b = 0; b < nbands; b++) {
                        size_t c0 = b * COLW, w = bc - c0 < COLW ? bc - c0 : COLW;
                        scan_cols(S + c0, bc, br, w, (int32_t)i0, bwd_sim + (j0 + c0) * kb, bwd_idx + (j0 + c0) * kb, kb);
                    }
                }
            }
        }
    }
    free(S);
}

/* ---- margin mining ------------------------------------------------------------------------------- */

int retrieval_mine_mode(const char *name) {
    if (!strcmp(name, "forward") || !strcmp(name, "fwd")) return MINE_FORWARD;
    if (!strcmp(name, "backward") || !strcmp(name, "bwd")) return MINE_BACKWARD;
    if (!strcmp(name, "intersect") || !strcmp(name, "intersection")) return MINE_INTERSECT;
    if (!strcmp(name, "max")) return MINE_MAX;
    return -1;
}

/* numpy's sim.mean(axis=1) on float32: a float32 sum of the k values, divided by k. */
static void row_means(const float *sim, size_t n, size_t k, float *mean) {
    for (size_t i = 0; i < n; i++) {
        float s = 0;
        for (size_t j = 0; j < k; j++) s += sim[i * k + j];
        mean[i] = s / (float)k;
    }
}

/* utils_retrieve.score_candidates + argmax: for each query its best-margin neighbour (first maximum
 * wins, like np.argmax). cos(x, y) is the k-NN similarity itself. */
static void best_candidates(const int32_t *idx, const float *sim, size_t n, size_t k, const float *mean_q,
                            const float *mean_db, int32_t *best, float *best_score) {
    for (size_t i = 0; i < n; i++) {
        float bs = 0;
        int32_t bj = -1;
        for (size_t j = 0; j < k; j++) {
            int32_t c = idx[i * k + j];
            float s = sim[i * k + j] / ((mean_q[i] + mean_db[c]) / 2.0f);
            if (bj < 0 || s > bs) { bs = s; bj = c; }
        }
        best[i] = bj;
        best_score[i] = bs;
    }
}

typedef struct { float score; int32_t pos; } ScorePos;
/* Descending score; equal scores keep their position (np.argsort's quicksort leaves that order unspecified). */
static int cmp_scorepos(const void *a, const void *b) {
    const ScorePos *p = a, *q = b;
    if (p->score != q->score) return p->score > q->score ? -1 : 1;
    return (p->pos > q->pos) - (p->pos < q->pos);
}

size_t retrieval_mine(const float *x, size_t nx, const float *y, size_t ny, size_t d, size_t k,
                      MineMode mode, float threshold, const KnnOpts *opts, MinedPair **out) {
    CHECK(nx > 0 && ny > 0 && k > 0, "empty inputs reach retrieval_mine");
    size_t kf = k < ny ? k : ny, kb = k < nx ? k : nx;
    int32_t *fi = xmalloc(nx * kf * sizeof *fi), *bi = xmalloc(ny * kb * sizeof *bi);
    float *fs = xmalloc(nx * kf * sizeof *fs), *bs = xmalloc(ny * kb * sizeof *bs);
    retrieval_knn(x, nx, y, ny, d, fi, fs, kf, bi, bs, kb, opts);
    float *mx = xmalloc(nx * sizeof *mx), *my = xmalloc(ny * sizeof *my);
    row_means(fs, nx, kf, mx);
    row_means(bs, ny, kb, my);
    int32_t *fbest = xmalloc(nx * sizeof *fbest), *bbest = xmalloc(ny * sizeof *bbest);
    float *fscore = xmalloc(nx * sizeof *fscore), *bscore = xmalloc(ny * sizeof *bscore);
    best_candidates(fi, fs, nx, kf, mx, my, fbest, fscore);
    best_candidates(bi, bs, ny, kb, my, mx, bbest, bscore);
    free(fi); free(bi); free(fs); free(bs); free(mx); free(my);

    MinedPair *p = xmalloc((nx + ny) * sizeof *p);
    size_t np = 0;
    if (mode == MINE_FORWARD) {
        for (size_t i = 0; i < nx; i++) p[np++] = (MinedPair){(int32_t)i, fbest[i], fscore[i]};
    } else if (mode == MINE_BACKWARD) {
        for (size_t j = 0; j < ny; j++) p[np++] = (MinedPair){bbest[j], (int32_t)j, bscore[j]};
    } else if (mode == MINE_INTERSECT) {
        for (size_t i = 0; i < nx; i++)
            if (bbest[fbest[i]] == (int32_t)i) p[np++] = (MinedPair){(int32_t)i, fbest[i], fscore[i]};
    } else {
        /* "max": forward pairs then backward pairs, visited in descending score, accepted when neither
         * side was taken yet; a pair is marked taken even when its score fails the threshold. */
        size_t n = nx + ny;
        ScorePos *o = xmalloc(n * sizeof *o);
        for (size_t i = 0; i < n; i++) o[i] = (ScorePos){i < nx ? fscore[i] : bscore[i - nx], (int32_t)i};
        qsort(o, n, sizeof *o, cmp_scorepos);
        unsigned char *seen_s = xcalloc(nx, 1), *seen_t = xcalloc(ny, 1);
        for (size_t r = 0; r < n; r++) {
            size_t q = (size_t)o[r].pos;
            int32_t s = q < nx ? (int32_t)q : bbest[q - nx];
            int32_t t = q < nx ? fbest[q] : (int32_t)(q - nx);
            if (seen_s[s] || seen_t[t]) continue;
            seen_s[s] = seen_t[t] = 1;
            if (o[r].score > threshold) p[np++] = (MinedPair){s, t, o[r].score};
        }
        free(o); free(seen_s); free(seen_t);
    }
    free(fbest); free(bbest); free(fscore); free(bscore);
    *out = p;
    return np;
}

/* ---- BUCC ----------------------------------------------------------------------------------------- */

/* Python's str.strip(), copied. */
static char *py_strip(const char *s) {
    size_t n = strlen(s);
    const char *b = text_strip(s, &n);
    return xstrndup(b, n);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int bucc_read_side(const char *path, BuccSide *s, XsErr *err) {
    memset(s, 0, sizeof *s);
    size_t len;
    char *buf = file_read_all(path, &len, err);
    if (!buf) return -1;
    size_t cap = 0;
    long ln = 0;
    for (char *p = buf; p < buf + len;) {
        char *nl = memchr(p, '\n', (size_t)(buf + len - p));
        char *e = nl ? nl : buf + len;
        ln++;
        if (memchr(p, '\0', (size_t)(e - p))) {
            free(buf);
            bucc_side_free(s);
            return err_set(err, path, ln, "expected UTF-8 text, found a NUL byte");
        }
        long bad = utf8_first_invalid(p, (size_t)(e - p));
        if (bad >= 0) {
            text_utf8_error(err, path, ln, p, bad, 1);
            free(buf);
            bucc_side_free(s);
            return -1;
        }
        char *t1 = memchr(p, '\t', (size_t)(e - p));
        char *f1 = t1 ? xstrndup(p, (size_t)(t1 - p)) : xstrndup(p, (size_t)(e - p));
        char *f2;
        if (t1) {
            char *t2 = memchr(t1 + 1, '\t', (size_t)(e - t1 - 1));
            f2 = xstrndup(t1 + 1, (size_t)((t2 ? t2 : e) - t1 - 1));
        } else {
            f2 = xstrdup(f1);
        }
        char *id = py_strip(f1);
        free(f1);
        if (!*id) {
            free(id); free(f2); free(buf);
            bucc_side_free(s);
            return err_set(err, path, ln, "expected an id (\"id\" or \"id<TAB>sentence\"), found an empty line");
        }
        if (s->n == cap) {
            cap = cap ? 2 * cap : 1024;
            s->id = xrealloc(s->id, cap * sizeof *s->id);
            s->text = xrealloc(s->text, cap * sizeof *s->text);
        }
        s->id[s->n] = id;
        s->text[s->n++] = f2;
        p = nl ? nl + 1 : buf + len;
    }
    free(buf);
    if (s->n == 0) return err_set(err, path, 0, "expected at least one line, found an empty file");
    /* bucc_candidates maps rows back to ids: ids must be unique. */
    char **sorted = xmalloc(s->n * sizeof *sorted);
    memcpy(sorted, s->id, s->n * sizeof *sorted);
    qsort(sorted, s->n, sizeof *sorted, cmp_str);
    for (size_t i = 1; i < s->n; i++)
        if (!strcmp(sorted[i], sorted[i - 1])) {
            size_t at = 0;
            while (strcmp(s->id[at], sorted[i])) at++;
            err_set(err, path, (long)at + 1, "expected unique ids, found '%s' twice", sorted[i]);
            free(sorted);
            bucc_side_free(s);
            return -1;
        }
    free(sorted);
    return 0;
}

void bucc_side_free(BuccSide *s) {
    for (size_t i = 0; i < s->n; i++) { free(s->id[i]); free(s->text[i]); }
    free(s->id);
    free(s->text);
    memset(s, 0, sizeof *s);
}

typedef struct { const char *key; size_t line; } KeyLine;
static int cmp_keyline(const void *a, const void *b) {
    const KeyLine *p = a, *q = b;
    int c = strcmp(p->key, q->key);
    return c ? c : (p->line > q->line) - (p->line < q->line);
}

size_t bucc_unify(const BuccSide *s, float *emb, size_t d, int32_t *uniq_line) {
    size_t n = s->n;
    /* Group equal texts (sorted, line order kept inside a group) for first/last occurrence. */
    KeyLine *kl = xmalloc(n * sizeof *kl);
    for (size_t i = 0; i < n; i++) kl[i] = (KeyLine){s->text[i], i};
    qsort(kl, n, sizeof *kl, cmp_keyline);
    size_t *last = xmalloc(n * sizeof *last); /* for the first line of each text: its last line */
    unsigned char *is_first = xcalloc(n, 1);
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && !strcmp(kl[a].key, kl[b].key)) b++;
        is_first[kl[a].line] = 1;
        last[kl[a].line] = kl[b - 1].line;
        a = b;
    }
    /* read_sent2id drops stripped texts seen on more than one line. */
    char **st = xmalloc(n * sizeof *st);
    for (size_t i = 0; i < n; i++) st[i] = py_strip(s->text[i]);
    KeyLine *sk = xmalloc(n * sizeof *sk);
    for (size_t i = 0; i < n; i++) sk[i] = (KeyLine){st[i], i};
    qsort(sk, n, sizeof *sk, cmp_keyline);
    unsigned char *dup = xcalloc(n, 1);
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && !strcmp(sk[a].key, sk[b].key)) b++;
        if (b - a > 1)
            for (size_t c = a; c < b; c++) dup[sk[c].line] = 1;
        a = b;
    }
    /* unique_embeddings: unique u (first-occurrence order) takes the row of its last occurrence; the
     * source row is never below u, so compacting in increasing u is safe in place. */
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_first[i]) continue;
        if (last[i] != u) memmove(emb + u * d, emb + last[i] * d, d * sizeof *emb);
        uniq_line[u++] = dup[i] ? -1 : (int32_t)i;
    }
    for (size_t i = 0; i < n; i++) free(st[i]);
    free(st); free(sk); free(dup); free(kl); free(last); free(is_first);
    return u;
}

size_t bucc_candidates(const MinedPair *p, size_t np, const BuccSide *src, const int32_t *src_uniq_line,
                       const BuccSide *trg, const int32_t *trg_uniq_line, BuccCand *out) {
    size_t n = 0;
    for (size_t i = 0; i < np; i++) {
        int32_t a = src_uniq_line[p[i].src], b = trg_uniq_line[p[i].trg];
        if (a < 0 || b < 0) continue;
        /* read_candidate2score's float(str(score)) of a float32 margin is that value as a double. */
        out[n++] = (BuccCand){src->id[a], trg->id[b], (double)p[i].score};
    }
    return n;
}

int bucc_read_gold(const char *path, BuccGold *g, XsErr *err) {
    memset(g, 0, sizeof *g);
    if (labels_read_lines(path, &g->lines, err)) return -1;
    g->line = labels_pair_set(&g->lines, path, &g->n, err);
    if (!g->line) {
        bucc_gold_free(g);
        return -1;
    }
    if (g->n == 0) {
        bucc_gold_free(g);
        return err_set(err, path, 0, "expected gold pairs, found an empty file");
    }
    return 0;
}

void bucc_gold_free(BuccGold *g) {
    labels_free(&g->lines);
    free(g->line);
    memset(g, 0, sizeof *g);
}

static int gold_has(const BuccGold *g, const BuccCand *c) {
    size_t ls = strlen(c->src), lt = strlen(c->trg);
    char stackbuf[256], *key = ls + lt + 2 <= sizeof stackbuf ? stackbuf : xmalloc(ls + lt + 2);
    memcpy(key, c->src, ls);
    key[ls] = '\t';
    memcpy(key + ls + 1, c->trg, lt + 1);
    const char *kp = key;
    int hit = bsearch(&kp, g->line, g->n, sizeof *g->line, cmp_str) != NULL;
    if (key != stackbuf) free(key);
    return hit;
}

typedef struct { double score; size_t pos; } CandOrder;
static int cmp_candorder(const void *a, const void *b) {
    const CandOrder *p = a, *q = b;
    if (p->score != q->score) return p->score > q->score ? -1 : 1;
    return (p->pos > q->pos) - (p->pos < q->pos);
}

double bucc_optimize(const BuccCand *c, size_t n, const BuccGold *g) {
    CandOrder *o = xmalloc((n ? n : 1) * sizeof *o);
    for (size_t i = 0; i < n; i++) o[i] = (CandOrder){c[i].score, i};
    qsort(o, n, sizeof *o, cmp_candorder); /* Python's sorted(key=-score) is stable */
    size_t nextract = 0, ncorrect = 0;
    double th = 0, best = 0;
    for (size_t i = 0; i < n; i++) {
        nextract++;
        ncorrect += (size_t)gold_has(g, &c[o[i].pos]);
        if (ncorrect == 0) continue;
        double p = (double)ncorrect / (double)nextract, r = (double)ncorrect / (double)g->n;
        double f1 = 2 * p * r / (p + r);
        if (f1 > best) {
            best = f1;
            th = i + 1 < n ? (o[i].score + o[i + 1].score) / 2 : o[i].score;
        }
    }
    free(o);
    return th;
}

void bucc_eval(const BuccCand *c, size_t n, double th, const BuccGold *g, double *p, double *r, double *f1) {
    size_t nex = 0, ncorrect = 0;
    for (size_t i = 0; i < n; i++)
        if (c[i].score >= th) {
            nex++;
            ncorrect += (size_t)gold_has(g, &c[i]);
        }
    if (ncorrect == 0) {
        *p = *r = *f1 = 0;
        return;
    }
    double pp = (double)ncorrect / (double)nex, rr = (double)ncorrect / (double)g->n;
    *p = 100 * pp;
    *r = 100 * rr;
    *f1 = 100 * (2 * pp * rr / (pp + rr));
}

int bucc_gold_check(const BuccGold *g, const char *path, const BuccSide *src, const char *src_name, const BuccSide *trg,
                    const char *trg_name, XsErr *err) {
    if (g->n == 0) return err_set(err, path, 0, "expected \"src<TAB>trg\" gold pairs, found none");
    const BuccSide *side[2] = {src, trg};
    const char *name[2] = {src_name, trg_name};
    char **sorted[2];
    for (int k = 0; k < 2; k++) {
        sorted[k] = xmalloc((side[k]->n ? side[k]->n : 1) * sizeof(char *));
        memcpy(sorted[k], side[k]->id, side[k]->n * sizeof(char *));
        qsort(sorted[k], side[k]->n, sizeof(char *), cmp_str);
    }
    int rc = 0;
    for (size_t i = 0; i < g->n && !rc; i++) {
        const char *tab = strchr(g->line[i], '\t');
        if (!tab) { rc = err_set(err, path, 0, "expected \"src<TAB>trg\" gold pairs, found '%s'", g->line[i]); break; }
        char *pair = xstrdup(g->line[i]);
        pair[tab - g->line[i]] = 0;
        const char *id[2] = {pair, pair + (tab - g->line[i]) + 1};
        for (int k = 0; k < 2 && !rc; k++) {
            const char *key = id[k];
            if (!bsearch(&key, sorted[k], side[k]->n, sizeof(char *), cmp_str))
                rc = err_set(err, path, 0, "gold pair '%s\t%s' names %s id '%s', which is not among the %zu ids of %s", id[0],
                             id[1], k ? "trg" : "src", key, side[k]->n, name[k]);
        }
        free(pair);
    }
    free(sorted[0]);
    free(sorted[1]);
    return rc;
}

size_t bucc_mine(const BuccSide *src, float *x, const BuccSide *trg, float *y, size_t d, size_t k, MineMode mode,
                 const KnnOpts *opts, BuccCand **out, size_t *nux, size_t *nuy) {
    int32_t *su = xmalloc((src->n ? src->n : 1) * sizeof *su), *tu = xmalloc((trg->n ? trg->n : 1) * sizeof *tu);
    size_t ux = bucc_unify(src, x, d, su), uy = bucc_unify(trg, y, d, tu);
    MinedPair *pairs = NULL;
    size_t np = retrieval_mine(x, ux, y, uy, d, k, mode, 0.0f, opts, &pairs);
    BuccCand *c = xmalloc((np ? np : 1) * sizeof *c);
    size_t nc = bucc_candidates(pairs, np, src, su, trg, tu, c);
    free(pairs);
    free(su);
    free(tu);
    if (nux) *nux = ux;
    if (nuy) *nuy = uy;
    *out = c;
    return nc;
}
