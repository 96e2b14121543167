/* test_retrieval.c — eval/retrieval: exact k-NN vs double-precision brute force and faiss on real MiniLM
 * embeddings of all 112 Tatoeba pairs; tiling/tie invariance; margin mining, BUCC threshold and extraction vs
 * XTREME's own utils_retrieve (goldens from tools/gen_retrieval_goldens.py); bad input. */
#include "testutil.h"
#include "core/mem.h"
#include "core/rng.h"
#include "core/util.h"
#include "eval/retrieval.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEAR_TIE 1e-5 /* float32 GEMM vs double: orders may differ only between sims this close */

/* Double-precision top-k of q (d) against db (n, d): descending, lower index first on ties. */
static void brute_topk(const float *q, const float *db, size_t n, size_t d, size_t k, int32_t *idx, double *sim) {
    for (size_t r = 0; r < k; r++) { idx[r] = -1; sim[r] = -INFINITY; }
    for (size_t j = 0; j < n; j++) {
        double s = 0;
        for (size_t t = 0; t < d; t++) s += (double)q[t] * db[j * d + t];
        if (!(s > sim[k - 1])) continue;
        size_t p = k - 1;
        while (p > 0 && s > sim[p - 1]) { sim[p] = sim[p - 1]; idx[p] = idx[p - 1]; p--; }
        sim[p] = s;
        idx[p] = (int32_t)j;
    }
}
static double dot_d(const float *a, const float *b, size_t d) {
    double s = 0;
    for (size_t t = 0; t < d; t++) s += (double)a[t] * b[t];
    return s;
}

/* Compares one query's list to the reference: 2 = identical indices, 1 = they differ only among exactly equal
 * similarities (duplicate embeddings: faiss orders those by its heap, we by index), 0 = they differ among
 * near-ties (within NEAR_TIE); fails the test otherwise. gsim, when given, is checked against double. */
static int check_list(const int32_t *got, const float *gsim, const int32_t *ref, const float *q, const float *db,
                      size_t d, size_t k, const char *what, size_t qi) {
    int res = 2;
    for (size_t r = 0; r < k; r++) {
        double want = dot_d(q, db + (size_t)ref[r] * d, d), have = dot_d(q, db + (size_t)got[r] * d, d);
        if (gsim && fabs(gsim[r] - have) > 1e-6) fail_msg("%s q%zu rank %zu: sim %.9g vs double %.9g", what, qi, r, gsim[r], have);
        if (got[r] != ref[r]) {
            if (fabs(want - have) > NEAR_TIE)
                fail_msg("%s q%zu rank %zu: index %d (%.9f) vs reference %d (%.9f)", what, qi, r, got[r], have, ref[r], want);
            res = want == have && res == 2 ? 1 : want == have ? res : 0;
        }
    }
    return res;
}

static char *read_text(const char *rel) {
    XsErr err = {0};
    size_t len;
    char *s = file_read_all(tu_fixture(rel), &len, &err);
    if (!s) fail_msg("%s", err.msg);
    return s;
}

static void test_knn_tatoeba_112(void **state) {
    (void)state;
    XsErr err = {0};
    size_t n, d;
    float *e = npy_read_f32(tu_fixture("retrieval/tatoeba_emb16.npy"), &n, &d, &err);
    if (!e) fail_msg("%s", err.msg);
    assert_int_equal(n, 22400);
    assert_int_equal(d, 16);
    assert_int_equal(retrieval_normalize(e, n, d, "emb", &err), 0);
    char *fk = read_text("retrieval/faiss_knn4.txt"), *ft = read_text("retrieval/faiss_tatoeba.txt");
    char *kp = strchr(fk, '\n') + 1, *tp = strchr(ft, '\n') + 1; /* skip the comment lines */
    enum { K = 4, N = 100 };
    int32_t fi[N * K], bi[N * K], ri[K], fa[N * K];
    float fs[N * K], bs[N * K];
    double rs[K];
    size_t exact_ref = 0, exact_faiss = 0, lists = 0, tat_same = 0, tat_correct = 0, faiss_correct = 0;
    size_t ties_ref = 0, ties_faiss = 0, tat_ties = 0;
    for (size_t p = 0; p < 112; p++) {
        const float *x = e + p * 200 * d, *y = x + N * d;
        retrieval_knn(x, N, y, N, d, fi, fs, K, bi, bs, K, NULL);
        for (int dir = 0; dir < 2; dir++) {
            const float *q = dir ? y : x, *db = dir ? x : y;
            const int32_t *got = dir ? bi : fi;
            const float *gs = dir ? bs : fs;
            /* faiss line: "lang fwd|bwd i0 ... i399" */
            char lang[16], dn[8];
            int off;
            if (sscanf(kp, "%15s %7s%n", lang, dn, &off) != 2) fail_msg("faiss_knn4.txt: bad line");
            assert_string_equal(dn, dir ? "bwd" : "fwd");
            kp += off;
            for (int i = 0; i < N * K; i++) fa[i] = (int32_t)strtol(kp, &kp, 10);
            kp = strchr(kp, '\n') + 1;
            for (size_t i = 0; i < N; i++) {
                brute_topk(q + i * d, db, N, d, K, ri, rs);
                int a = check_list(got + i * K, gs + i * K, ri, q + i * d, db, d, K, lang, i);
                int b = check_list(got + i * K, NULL, fa + i * K, q + i * d, db, d, K, lang, i);
                exact_ref += a == 2;
                ties_ref += a == 1;
                exact_faiss += b == 2;
                ties_faiss += b == 1;
                lists++;
            }
        }
        /* Tatoeba as XTREME: each English sentence queries the index of the other side. */
        char lang[16];
        double acc;
        int off;
        if (sscanf(tp, "%15s %lf%n", lang, &acc, &off) != 2) fail_msg("faiss_tatoeba.txt: bad line");
        tp += off;
        size_t correct = 0;
        for (int i = 0; i < N; i++) {
            int32_t pred = (int32_t)strtol(tp, &tp, 10);
            tat_ties += bi[i * K] != pred && dot_d(y + i * d, x + (size_t)pred * d, d) == dot_d(y + i * d, x + (size_t)bi[i * K] * d, d);
            tat_same += bi[i * K] == pred;
            correct += bi[i * K] == i;
            faiss_correct += pred == i;
            if (bi[i * K] != pred && fabs(dot_d(y + i * d, x + (size_t)pred * d, d) - bs[i * K]) > NEAR_TIE)
                fail_msg("tatoeba %s query %d: %d vs XTREME %d", lang, i, bi[i * K], pred);
        }
        tat_correct += correct;
        tp = strchr(tp, '\n') + 1;
    }
    print_message("knn: top-4 lists identical to double brute force %zu/%zu (+%zu differing only among exactly equal sims), "
                  "to faiss IndexFlatIP %zu/%zu (+%zu exact ties); the rest differ only among sims within %.0e\n",
                  exact_ref, lists, ties_ref, exact_faiss, lists, ties_faiss, NEAR_TIE);
    print_message("tatoeba: %zu/11200 top-1 identical to XTREME similarity_search (%zu of the others exact ties); "
                  "accuracy %.2f%% vs XTREME %.2f%%\n", tat_same, tat_ties, 100.0 * tat_correct / 11200, 100.0 * faiss_correct / 11200);
    assert_int_equal(lists, 22400);
    /* rows with equal double dot products may round differently in the GEMM's edge kernels, so even exact
     * ties can come out in either order; everything else must agree */
    assert_true(exact_ref + ties_ref >= lists - lists / 100);
    assert_true(exact_faiss + ties_faiss >= lists - lists / 100);
    free(fk);
    free(ft);
    free(e);
}

static void fill_unit(float *x, size_t n, size_t d, uint64_t seed) {
    rng_fill_normal(x, n * d, 0.0f, 1.0f, seed, 0);
    XsErr err = {0};
    assert_int_equal(retrieval_normalize(x, n, d, "rand", &err), 0);
}

static void test_knn_tiles_and_ties(void **state) {
    (void)state;
    enum { NX = 700, NY = 900, D = 24, K = 5 };
    float *x = xmalloc(NX * D * sizeof(float)), *y = xmalloc(NY * D * sizeof(float));
    int32_t *f1 = xmalloc(NX * K * 4), *b1 = xmalloc(NY * K * 4), *f2 = xmalloc(NX * K * 4), *b2 = xmalloc(NY * K * 4);
    float *fs1 = xmalloc(NX * K * 4), *bs1 = xmalloc(NY * K * 4), *fs2 = xmalloc(NX * K * 4), *bs2 = xmalloc(NY * K * 4);
    int32_t ri[K];
    double rs[K];
    KnnOpts small = {37, 53}; /* odd tiles: partial row tiles and partial 64-wide column bands */
    /* 1. random unit vectors, default and small tiles, against the brute force */
    fill_unit(x, NX, D, 11);
    fill_unit(y, NY, D, 12);
    size_t exact = 0;
    for (int pass = 0; pass < 2; pass++) {
        retrieval_knn(x, NX, y, NY, D, f1, fs1, K, b1, bs1, K, pass ? &small : NULL);
        for (size_t i = 0; i < NX; i++) {
            brute_topk(x + i * D, y, NY, D, K, ri, rs);
            exact += check_list(f1 + i * K, fs1 + i * K, ri, x + i * D, y, D, K, "fwd", i) == 2;
        }
        for (size_t j = 0; j < NY; j++) {
            brute_topk(y + j * D, x, NX, D, K, ri, rs);
            exact += check_list(b1 + j * K, bs1 + j * K, ri, y + j * D, x, D, K, "bwd", j) == 2;
        }
    }
    print_message("random 700x900, default and 37x53 tiles: %zu/3200 lists identical to brute force\n", exact);
    assert_true(exact >= 3180);
    /* 2. vectors of small integers: every dot product is exact in float whatever the summation order, so ties
     * are real and frequent; lists must equal the brute force's (lower index first) bit for bit, any tiling */
    Philox4 r;
    for (size_t i = 0; i < NX * D; i++) { r = philox4x32(5, 0, (uint32_t)i, 0, 0); x[i] = (float)((int)(r.v[0] % 3) - 1); }
    for (size_t i = 0; i < NY * D; i++) { r = philox4x32(6, 0, (uint32_t)i, 0, 0); y[i] = (float)((int)(r.v[0] % 3) - 1); }
    retrieval_knn(x, NX, y, NY, D, f1, fs1, K, b1, bs1, K, NULL);
    retrieval_knn(x, NX, y, NY, D, f2, fs2, K, b2, bs2, K, &small);
    assert_memory_equal(f1, f2, NX * K * 4);
    assert_memory_equal(b1, b2, NY * K * 4);
    size_t ties = 0;
    for (size_t i = 0; i < NX; i++) {
        brute_topk(x + i * D, y, NY, D, K, ri, rs);
        assert_memory_equal(f1 + i * K, ri, K * 4);
        for (int k = 1; k < K; k++) ties += rs[k] == rs[k - 1];
    }
    for (size_t j = 0; j < NY; j++) {
        brute_topk(y + j * D, x, NX, D, K, ri, rs);
        assert_memory_equal(b1 + j * K, ri, K * 4);
    }
    print_message("integer vectors: all 1600 lists identical to brute force with %zu tied neighbours (lower index first)\n", ties);
    assert_true(ties > 100);
    /* one direction only, k = database size */
    fill_unit(x, NX, D, 11);
    fill_unit(y, NY, D, 12);
    retrieval_knn(x, 3, y, 4, D, f2, fs2, 4, NULL, NULL, 0, NULL);
    for (int i = 0; i < 3; i++) {
        int seen = 0;
        for (int q = 0; q < 4; q++) seen |= 1 << f2[i * 4 + q];
        assert_int_equal(seen, 15);
    }
    free(x); free(y); free(f1); free(b1); free(f2); free(b2); free(fs1); free(bs1); free(fs2); free(bs2);
}

/* "src\ttrg\tscore" lines of the official candidates, in the official order. */
typedef struct { char src[64], trg[64]; double score; } RefCand;
static RefCand *read_cands(const char *rel, size_t *n) {
    char *s = read_text(rel), *p = s;
    RefCand *c = xmalloc(1000 * sizeof *c);
    *n = 0;
    while (*p) {
        assert_true(*n < 1000);
        if (sscanf(p, "%63[^\t]\t%63[^\t]\t%lf", c[*n].src, c[*n].trg, &c[*n].score) != 3) fail_msg("%s: bad line", rel);
        (*n)++;
        p = strchr(p, '\n');
        if (!p) break;
        p++;
    }
    free(s);
    return c;
}

typedef struct {
    BuccSide src, trg;
    float *x, *y;
    size_t nx, ny, d;
    int32_t *su, *tu;
} BuccCase;

static void load_case(const char *split, BuccCase *c) {
    char p[128];
    XsErr err = {0};
    size_t d2;
    snprintf(p, sizeof p, "retrieval/bucc.%s.src.npy", split);
    c->x = npy_read_f32(tu_fixture(p), &c->nx, &c->d, &err);
    snprintf(p, sizeof p, "retrieval/bucc.%s.trg.npy", split);
    c->y = npy_read_f32(tu_fixture(p), &c->ny, &d2, &err);
    assert_non_null(c->x);
    assert_non_null(c->y);
    assert_int_equal(c->d, d2);
    assert_int_equal(retrieval_normalize(c->x, c->nx, c->d, "x", &err), 0);
    assert_int_equal(retrieval_normalize(c->y, c->ny, c->d, "y", &err), 0);
    snprintf(p, sizeof p, "retrieval/bucc.%s.src", split);
    if (bucc_read_side(tu_fixture(p), &c->src, &err)) fail_msg("%s", err.msg);
    snprintf(p, sizeof p, "retrieval/bucc.%s.trg", split);
    if (bucc_read_side(tu_fixture(p), &c->trg, &err)) fail_msg("%s", err.msg);
    assert_int_equal(c->src.n, c->nx);
    c->su = xmalloc(c->nx * 4);
    c->tu = xmalloc(c->ny * 4);
    c->nx = bucc_unify(&c->src, c->x, c->d, c->su);
    c->ny = bucc_unify(&c->trg, c->y, c->d, c->tu);
}
static void free_case(BuccCase *c) {
    bucc_side_free(&c->src);
    bucc_side_free(&c->trg);
    free(c->x); free(c->y); free(c->su); free(c->tu);
}

static size_t mine_cands(BuccCase *c, MineMode m, BuccCand **out) {
    MinedPair *p;
    size_t np = retrieval_mine(c->x, c->nx, c->y, c->ny, c->d, 4, m, 0.0f, NULL, &p);
    *out = xmalloc((np + 1) * sizeof **out);
    size_t n = bucc_candidates(p, np, &c->src, c->su, &c->trg, c->tu, *out);
    free(p);
    return n;
}

static void test_margin_vs_xtreme(void **state) {
    (void)state;
    const char *modes[] = {"max", "fwd", "bwd", "intersect"};
    size_t total = 0, same_order = 0;
    double worst = 0;
    for (int s = 0; s < 2; s++) {
        const char *split = s ? "test" : "dev";
        BuccCase c;
        load_case(split, &c);
        for (int m = 0; m < 4; m++) {
            char rel[128];
            snprintf(rel, sizeof rel, "retrieval/bucc.%s.cand.%s", split, modes[m]);
            size_t nr;
            RefCand *ref = read_cands(rel, &nr);
            BuccCand *got;
            size_t ng = mine_cands(&c, (MineMode)retrieval_mine_mode(modes[m]), &got);
            if (ng != nr) fail_msg("%s: %zu candidates, XTREME %zu", rel, ng, nr);
            for (size_t i = 0; i < nr; i++) {
                /* same pair at the same position, or (max mode) a swap of near-equal scores */
                size_t j = i;
                if (strcmp(got[i].src, ref[i].src) || strcmp(got[i].trg, ref[i].trg)) {
                    for (j = 0; j < ng; j++)
                        if (!strcmp(got[j].src, ref[i].src) && !strcmp(got[j].trg, ref[i].trg)) break;
                    if (j == ng) fail_msg("%s: XTREME pair %s %s not mined", rel, ref[i].src, ref[i].trg);
                    if (fabs(got[j].score - ref[i].score) > 1e-5 * fabs(ref[i].score)) fail_msg("%s: pair %s %s out of order", rel, ref[i].src, ref[i].trg);
                } else {
                    same_order++;
                }
                /* margin = cos / mean-of-neighbour-sims: float32 rounding of the sims (~1e-7 absolute) is amplified
                 * by 1/denominator ~ |score|/cos, so small cosines and large margins get a looser bound */
                double e = fabs(got[j].score - ref[i].score);
                double tol = 1e-5 * fabs(ref[i].score) + 1e-6 * (1 + fabs(ref[i].score)) * (1 + fabs(ref[i].score));
                if (e > tol) fail_msg("%s %s %s: margin %.9g vs XTREME %.9g", rel, ref[i].src, ref[i].trg, got[j].score, ref[i].score);
                e /= fabs(ref[i].score);
                worst = e > worst ? e : worst;
                total++;
            }
            free(ref);
            free(got);
        }
        free_case(&c);
    }
    print_message("margin: %zu/%zu candidates (4 modes, dev+test) identical pairs in XTREME's order, worst score rel. error %.2e\n",
                  same_order, total, worst);
    assert_true(same_order >= total - 2);

    /* BUCC: threshold on dev, P/R/F1, then test extraction with the dev threshold */
    BuccCase dev, test;
    load_case("dev", &dev);
    load_case("test", &test);
    BuccGold g = {0};
    XsErr err = {0};
    assert_int_equal(bucc_read_gold(tu_fixture("retrieval/bucc.dev.gold"), &g, &err), 0);
    BuccCand *dc, *tc;
    size_t nd = mine_cands(&dev, MINE_MAX, &dc), nt = mine_cands(&test, MINE_MAX, &tc);
    double th = bucc_optimize(dc, nd, &g), p, r, f1;
    bucc_eval(dc, nd, th, &g, &p, &r, &f1);
    char *ex = read_text("retrieval/bucc.dev.expected");
    double eth, ep, er, ef;
    assert_int_equal(sscanf(ex, "threshold %lf\nprecision %lf\nrecall %lf\nF1 %lf", &eth, &ep, &er, &ef), 4);
    free(ex);
    print_message("bucc dev: threshold %.9f (XTREME %.9f), P/R/F1 %.4f/%.4f/%.4f (XTREME %.4f/%.4f/%.4f)\n", th, eth, p, r, f1, ep, er, ef);
    assert_true(fabs(th - eth) < 1e-5);
    assert_true(fabs(p - ep) < 1e-9 && fabs(r - er) < 1e-9 && fabs(f1 - ef) < 1e-9);
    char *pred = read_text("retrieval/bucc.test.pred");
    size_t npred = 0, hits = 0;
    for (char *q = pred; *q; q++) npred += *q == '\n';
    for (size_t i = 0; i < nt; i++) {
        if (tc[i].score < th) continue;
        char line[160];
        snprintf(line, sizeof line, "%s\t%s\n", tc[i].src, tc[i].trg);
        hits++;
        if (!strstr(pred, line)) fail_msg("test pair %s %s not in XTREME's bucc.test.pred", tc[i].src, tc[i].trg);
    }
    print_message("bucc test: %zu pairs extracted with the dev threshold, XTREME %zu\n", hits, npred);
    assert_int_equal(hits, npred);
    free(pred);
    free(dc);
    free(tc);
    bucc_gold_free(&g);
    free_case(&dev);
    free_case(&test);
}

static void test_bad_input(void **state) {
    (void)state;
    XsErr err = {0};
    float x[6] = {1, 2, 0, 0, NAN, 1};
    assert_int_equal(retrieval_normalize(x, 3, 2, "a.npy", &err), -1);
    assert_non_null(strstr(err.msg, "a.npy"));
    assert_non_null(strstr(err.msg, "row 2"));
    assert_true(x[2] == 0 && x[3] == 0); /* a zero row stays zero */
    char *dir = tu_tmpdir(), p[1100];
    snprintf(p, sizeof p, "%s/side", dir);
    const char *dup = "a\tx\nb\ty\na\tz\n";
    assert_int_equal(file_write_atomic(p, dup, strlen(dup), &err), 0);
    BuccSide s;
    assert_int_equal(bucc_read_side(p, &s, &err), -1);
    assert_non_null(strstr(err.msg, ":1: expected unique ids"));
    const char *gold = "a\tb\nc d\n";
    assert_int_equal(file_write_atomic(p, gold, strlen(gold), &err), 0);
    BuccGold g;
    assert_int_equal(bucc_read_gold(p, &g, &err), -1);
    assert_non_null(strstr(err.msg, ":2: expected 'source_id<TAB>target_id'"));
    /* unify: identical sentences mined once; a stripped-duplicate pair is dropped */
    const char *side = "i1\thello\ni2\tworld\ni3\thello\ni4\t world \ni5\tonly\n";
    assert_int_equal(file_write_atomic(p, side, strlen(side), &err), 0);
    assert_int_equal(bucc_read_side(p, &s, &err), 0);
    float e[5] = {1, 2, 3, 4, 5};
    int32_t ul[5];
    assert_int_equal(bucc_unify(&s, e, 1, ul), 4);
    assert_true(e[0] == 3 && e[1] == 2 && e[2] == 4 && e[3] == 5); /* last occurrence's row */
    assert_int_equal(ul[0], -1); /* "hello" twice */
    assert_int_equal(ul[1], -1); /* "world" == strip(" world ") */
    assert_int_equal(ul[2], -1);
    assert_int_equal(ul[3], 4);
    bucc_side_free(&s);
    /* invalid UTF-8 is an error naming line and byte (Python's open(encoding="utf-8") raises too) */
    const char *latin1 = "i1\tok\ni2\tcaf\xe9\n";
    assert_int_equal(file_write_atomic(p, latin1, strlen(latin1), &err), 0);
    assert_int_equal(bucc_read_side(p, &s, &err), -1);
    assert_non_null(strstr(err.msg, ":2: expected UTF-8 text, found an invalid byte sequence at byte 7"));
    tu_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_knn_tatoeba_112),
        cmocka_unit_test(test_knn_tiles_and_ties),
        cmocka_unit_test(test_margin_vs_xtreme),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
