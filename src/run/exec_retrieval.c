/* exec_retrieval.c — phase 3 of retrieval cells: Tatoeba and BUCC (exec_retrieval.h). The mining, threshold and
 * scoring are eval/retrieval.h's, the same calls `xstilts retrieve` makes. */
#include "run/exec_retrieval.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/util.h"
#include "eval/retrieval.h"
#include "model/model.h"
#include "model/pool.h"
#include "tasks/embed.h"
#include "tok/tokenizer.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct Enc {
    const RetrievalCell *c;
    Model m;
    Tokenizer *tok;
    EmbedOpts eo;
    int D;
    int64_t done, total, *tokens;
} Enc;

static int enc_open(Enc *e, const RetrievalCell *c, int normalize, int64_t *tokens, XsErr *err) {
    memset(e, 0, sizeof *e);
    e->c = c;
    e->tokens = tokens;
    e->tok = tokenizer_open(c->model_dir, err);
    if (!e->tok) return -1;
    if (model_load_opts(c->model_dir, &e->m, 1, err)) { tokenizer_free(e->tok); return -1; }
    int L = e->m.cfg.num_layers;
    e->eo = embed_opts_default();
    e->eo.layer = c->hp->layer >= 0 ? c->hp->layer : (int)lround(L * 7.0 / 12.0);
    if (e->eo.layer > L) e->eo.layer = L;
    e->eo.pool = c->hp->pool_cls ? POOL_CLS : POOL_MEAN;
    e->eo.max_len = c->hp->max_len < embed_max_len(&e->m.cfg) ? c->hp->max_len : embed_max_len(&e->m.cfg);
    e->eo.normalize = normalize;
    e->D = e->m.cfg.hidden_size;
    for (int i = 0; i < c->files->n; i++) {
        const char *p = c->files->v[i].path;
        size_t n = strlen(p);
        e->total += !(n > 5 && !strcmp(p + n - 5, ".gold"));
    }
    return 0;
}

static void enc_close(Enc *e) {
    model_free(&e->m);
    tokenizer_free(e->tok);
}

/* n texts (lens: bytes; NULL: NUL-terminated) → a malloc'd (n, D) matrix. */
static float *enc_embed(Enc *e, const char *const *tx, const size_t *lens, long n, const char *path, XsErr *err) {
    size_t *ln = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *ln);
    for (long k = 0; k < n; k++) ln[k] = lens ? lens[k] : strlen(tx[k]);
    float *emb = xcalloc((size_t)(n > 0 ? n : 1) * (size_t)e->D, sizeof(float));
    e->eo.source = path;
    EmbedStats es;
    memset(&es, 0, sizeof es);
    int rc = embed_texts(&e->m, e->tok, tx, ln, n, &e->eo, emb, &es, err);
    free(ln);
    if (rc) { free(emb); return NULL; }
    *e->tokens += (int64_t)es.tokens;
    e->done++;
    if (e->c->bar) {
        char extra[64];
        snprintf(extra, sizeof extra, "sides embedded");
        pbar_update(e->c->bar, e->done, e->total, (int64_t)es.tokens, extra);
    }
    return emb;
}

/* Writes text to the cell's pred/<split>-<lang>.tsv and, for test files of an unlimited cell, the submission. */
static int write_pred(const RetrievalCell *c, const char *split, const char *lang, const char *text, size_t len, XsErr *err) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s-%s.tsv", c->pred_dir, split, lang);
    if (file_write_atomic(path, text, len, err)) return -1;
    if (strcmp(split, "test") || !c->sub_dir) return 0;
    if (run_mkdirs(c->sub_dir, err)) return -1;
    snprintf(path, sizeof path, "%s/test-%s.tsv", c->sub_dir, lang);
    return file_write_atomic(path, text, len, err);
}

/* ---- Tatoeba ---- */

static int tatoeba(const RetrievalCell *c, json_t *test, int64_t *tokens, XsErr *err) {
    Enc e;
    if (enc_open(&e, c, 1, tokens, err)) return -1;
    const RunFiles *fs = c->files;
    int rc = 0;
    for (int i = 0; i + 1 < fs->n && !rc; i++) {
        const RunFile *a = &fs->v[i], *b = &fs->v[i + 1];
        if (a->role != RFR_EVAL_TEST || b->role != RFR_EVAL_TEST || strcmp(a->lang, b->lang)) continue;
        i++;
        float *emb[2] = {NULL, NULL};
        long n[2] = {0, 0};
        char *buf[2] = {NULL, NULL};
        TextLine *lines[2] = {NULL, NULL};
        for (int s = 0; s < 2 && !rc; s++) {
            const RunFile *f = s ? b : a;
            size_t len;
            buf[s] = file_read_all(f->path, &len, err);
            if (!buf[s] || text_split_lines(buf[s], len, f->path, &lines[s], &n[s], err)) { rc = -1; break; }
            if (c->hp->predict_examples > 0 && n[s] > c->hp->predict_examples) n[s] = (long)c->hp->predict_examples;
            const char **tx = xmalloc((size_t)(n[s] > 0 ? n[s] : 1) * sizeof *tx);
            size_t *ln = xmalloc((size_t)(n[s] > 0 ? n[s] : 1) * sizeof *ln);
            for (long k = 0; k < n[s]; k++) { tx[k] = lines[s][k].s; ln[k] = lines[s][k].len; }
            if (!(emb[s] = enc_embed(&e, tx, ln, n[s], f->path, err))) rc = -1;
            free(tx);
            free(ln);
        }
        if (!rc && n[0] != n[1]) rc = err_set(err, b->path, 0, "has %ld lines, %s has %ld: Tatoeba sides must be line-parallel", n[1], a->path, n[0]);
        if (!rc && n[0] == 0) rc = err_set(err, a->path, 0, "is empty");
        if (!rc) {
            /* index the language side, query with English (xstilts retrieve --mode tatoeba, --query tgt) */
            size_t nq = (size_t)n[1];
            int32_t *idx = xmalloc(nq * sizeof *idx);
            float *sim = xmalloc(nq * sizeof *sim);
            retrieval_knn(emb[1], nq, emb[0], (size_t)n[0], (size_t)e.D, idx, sim, 1, NULL, NULL, 0, NULL);
            size_t correct = 0, cap = nq * 12 + 1, k = 0;
            char *out = xmalloc(cap);
            for (size_t q = 0; q < nq; q++) {
                correct += idx[q] == (int32_t)q;
                k += (size_t)snprintf(out + k, cap - k, "%d\n", idx[q]);
            }
            rc = write_pred(c, "test", a->lang, out, k, err);
            if (!rc) json_object_set_new(test, a->lang, json_pack("{s:f}", "accuracy", 100.0 * (double)correct / (double)nq));
            free(out);
            free(idx);
            free(sim);
        }
        for (int s = 0; s < 2; s++) { free(emb[s]); free(lines[s]); free(buf[s]); }
    }
    enc_close(&e);
    return rc;
}

/* ---- BUCC ---- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Keeps the gold pairs whose two ids are on the (shortened: predict_examples) sides; g stays sorted. */
static void gold_keep_known(BuccGold *g, const BuccSide *src, const BuccSide *trg) {
    const BuccSide *side[2] = {src, trg};
    char **sorted[2];
    for (int k = 0; k < 2; k++) {
        sorted[k] = xmalloc((side[k]->n ? side[k]->n : 1) * sizeof(char *));
        memcpy(sorted[k], side[k]->id, side[k]->n * sizeof(char *));
        qsort(sorted[k], side[k]->n, sizeof(char *), cmp_str);
    }
    size_t w = 0;
    for (size_t i = 0; i < g->n; i++) {
        char *pair = xstrdup(g->line[i]), *tab = strchr(pair, '\t');
        int keep = tab != NULL;
        if (tab) {
            *tab = 0;
            const char *id[2] = {pair, tab + 1};
            for (int k = 0; k < 2 && keep; k++) keep = bsearch(&id[k], sorted[k], side[k]->n, sizeof(char *), cmp_str) != NULL;
        }
        free(pair);
        if (keep) g->line[w++] = g->line[i];
    }
    g->n = w;
    free(sorted[0]);
    free(sorted[1]);
}

/* One split of one language: its two sides read (the first predict_examples lines), embedded, unit rows, mined. */
typedef struct Split {
    BuccSide s[2];
    BuccCand *cand;
    size_t ncand;
} Split;

static void split_free(Split *sp) {
    free(sp->cand);
    bucc_side_free(&sp->s[0]);
    bucc_side_free(&sp->s[1]);
}

static int mine_split(Enc *e, const RunFile *src, const RunFile *trg, Split *sp, XsErr *err) {
    memset(sp, 0, sizeof *sp);
    const RunFile *f[2] = {src, trg};
    float *emb[2] = {NULL, NULL};
    int rc = 0;
    for (int s = 0; s < 2 && !rc; s++) {
        if (bucc_read_side(f[s]->path, &sp->s[s], err)) { rc = -1; break; }
        BuccSide *bs = &sp->s[s];
        int64_t lim = e->c->hp->predict_examples;
        if (lim > 0 && bs->n > (size_t)lim) {
            for (size_t k = (size_t)lim; k < bs->n; k++) { free(bs->id[k]); free(bs->text[k]); }
            bs->n = (size_t)lim;
        }
        if (!(emb[s] = enc_embed(e, (const char *const *)bs->text, NULL, (long)bs->n, f[s]->path, err))) { rc = -1; break; }
        /* as `xstilts retrieve` reads `xstilts encode`'s .npy: NaN/Inf rejected, rows scaled to unit norm */
        rc = retrieval_normalize(emb[s], bs->n, (size_t)e->D, f[s]->path, err);
    }
    if (!rc) sp->ncand = bucc_mine(&sp->s[0], emb[0], &sp->s[1], emb[1], (size_t)e->D, 4, MINE_MAX, NULL, &sp->cand, NULL, NULL);
    free(emb[0]);
    free(emb[1]);
    if (rc) split_free(sp);
    return rc;
}

/* "src<TAB>trg\n" for every candidate with score >= th, in mined order. */
static char *pairs_text(const Split *sp, double th, size_t *len, size_t *npairs) {
    size_t cap = 1, k = 0;
    for (size_t i = 0; i < sp->ncand; i++) cap += strlen(sp->cand[i].src) + strlen(sp->cand[i].trg) + 2;
    char *out = xmalloc(cap);
    *npairs = 0;
    for (size_t i = 0; i < sp->ncand; i++)
        if (sp->cand[i].score >= th) {
            k += (size_t)snprintf(out + k, cap - k, "%s\t%s\n", sp->cand[i].src, sp->cand[i].trg);
            (*npairs)++;
        }
    out[k] = 0;
    *len = k;
    return out;
}

/* Scores sp against gold file path (P/R/F1 in percent at th) into into[lang]; th < 0 … chosen here (dev). */
static int score_split(const RetrievalCell *c, const Split *sp, const RunFile *gold, int choose, double *th, json_t *into,
                       XsErr *err) {
    BuccGold g;
    if (bucc_read_gold(gold->path, &g, err)) return -1;
    if (c->hp->predict_examples > 0) gold_keep_known(&g, &sp->s[0], &sp->s[1]);
    else if (bucc_gold_check(&g, gold->path, &sp->s[0], "the sentences", &sp->s[1], "the English sentences", err)) {
        bucc_gold_free(&g);
        return -1;
    }
    double p = 0, r = 0, f1 = 0;
    if (g.n > 0) {
        if (choose) *th = bucc_optimize(sp->cand, sp->ncand, &g);
        bucc_eval(sp->cand, sp->ncand, *th, &g, &p, &r, &f1);
    } else if (choose)
        *th = 0; /* a limited cell may keep no gold pair: F1 0 */
    json_object_set_new(into, gold->lang, json_pack("{s:f,s:f,s:f}", "f1", f1, "precision", p, "recall", r));
    bucc_gold_free(&g);
    return 0;
}

static int bucc(const RetrievalCell *c, json_t *dev, json_t *test, json_t *thresholds, int64_t *tokens, XsErr *err) {
    Enc e;
    if (enc_open(&e, c, 0, tokens, err)) return -1;
    const RunFiles *fs = c->files;
    int rc = 0;
    /* dev first (every language's threshold), then test; a group = consecutive files of one role and language */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        RunFileRole role = pass == 0 ? RFR_EVAL_DEV : RFR_EVAL_TEST;
        for (int i = 0; i < fs->n && !rc;) {
            int j = i;
            while (j < fs->n && fs->v[j].role == fs->v[i].role && !strcmp(fs->v[j].lang, fs->v[i].lang)) j++;
            int ng = j - i;
            const RunFile *g = &fs->v[i];
            i = j;
            if (g->role != role) continue;
            if (ng < 2) { rc = err_set(err, g->path, 0, "BUCC %s: expected the sentences and the English sentences", g->lang); break; }
            const char *split = pass == 0 ? "dev" : "test";
            double th = 0;
            if (pass == 1) {
                json_t *t = json_object_get(thresholds, g->lang);
                if (!json_is_number(t)) {
                    rc = err_set(err, g->path, 0, "BUCC %s: no dev gold to choose the threshold the test split needs (give "
                                 "paths.bucc2018.eval_dev.%s)", g->lang, g->lang);
                    break;
                }
                th = json_number_value(t);
            } else if (ng < 3) {
                rc = err_set(err, g->path, 0, "BUCC %s dev: no gold file to choose the threshold", g->lang);
                break;
            }
            Split sp;
            if (mine_split(&e, &g[0], &g[1], &sp, err)) { rc = -1; break; }
            if (ng >= 3) rc = score_split(c, &sp, &g[2], pass == 0, &th, pass == 0 ? dev : test, err);
            if (!rc && pass == 0) json_object_set_new(thresholds, g->lang, json_real(th));
            if (!rc) {
                size_t len, np;
                char *txt = pairs_text(&sp, th, &len, &np);
                rc = write_pred(c, split, g->lang, txt, len, err);
                free(txt);
            }
            split_free(&sp);
        }
    }
    enc_close(&e);
    return rc;
}

int run_retrieval_cell(const RetrievalCell *c, json_t *dev, json_t *test, json_t *thresholds, int64_t *tokens, XsErr *err) {
    if (!strcmp(c->task->name, "tatoeba")) return tatoeba(c, test, tokens, err);
    if (!strcmp(c->task->name, "bucc2018")) return bucc(c, dev, test, thresholds, tokens, err);
    return err_set(err, NULL, 0, "target %s: no retrieval scoring for it in `xstilts run`", c->task->name);
}
