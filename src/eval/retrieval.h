/* retrieval.h — exact cosine k-NN by tiled BLAS GEMM (both directions from one pass), LASER ratio-margin
 * bitext mining, BUCC threshold selection and Tatoeba top-1. Embedding extraction is left to model/. */
#ifndef XS_RETRIEVAL_H
#define XS_RETRIEVAL_H
#include "core/check.h"
#include "data/labels.h"
#include <stddef.h>
#include <stdint.h>

/* Rejects rows holding NaN/Inf (err names `what` and the row), then L2-normalises every row in place.
 * A zero row stays zero, as faiss.normalize_L2 leaves it. x: (n, d). */
int retrieval_normalize(float *x, size_t n, size_t d, const char *what, XsErr *err);

/* Tile of the similarity matrix computed per GEMM call: memory is O(tile_rows*tile_cols + (nx+ny)*k),
 * never nx*ny. 0 = defaults (2048 x 4096 floats = 32 MiB). */
typedef struct KnnOpts {
    size_t tile_rows, tile_cols;
} KnnOpts;

/* Exact inner-product k-NN of unit vectors x (nx, d) and y (ny, d), in one pass over x·yᵀ:
 *   fwd_idx/fwd_sim (nx, kf): for each x_i its kf most similar rows of y (kf <= ny), descending;
 *   bwd_idx/bwd_sim (ny, kb): for each y_j its kb most similar rows of x (kb <= nx), descending.
 * Either direction may be NULL (kf or kb then ignored). Equal float32 similarities are ranked lower index
 * first, for any thread count and tile size (each list is filled by one thread in increasing index order). */
void retrieval_knn(const float *x, size_t nx, const float *y, size_t ny, size_t d,
                   int32_t *fwd_idx, float *fwd_sim, size_t kf,
                   int32_t *bwd_idx, float *bwd_sim, size_t kb, const KnnOpts *opts);

typedef enum { MINE_FORWARD, MINE_BACKWARD, MINE_INTERSECT, MINE_MAX } MineMode;
/* "forward" | "backward" | "intersect" | "max" (also XTREME's "fwd", "bwd"); -1 if unknown. */
int retrieval_mine_mode(const char *name);

typedef struct MinedPair {
    int32_t src, trg; /* row in x, row in y */
    float score;      /* ratio margin */
} MinedPair;

/* LASER / XTREME `mine_bitext(mode='mine', margin='ratio')` on unit vectors x (nx, d), y (ny, d):
 * kNN both ways with k' = min(k, other side), margin(x,y) = cos(x,y) / ((mean_k sim(x) + mean_k sim(y)) / 2),
 * each side's best candidate among its k' neighbours, then the mode's pairs in the reference's output
 * order (forward: by x; backward: by y; intersect: by x; max: greedy one-to-one in descending score,
 * kept when score > threshold). Returns the number of pairs, *out malloc'd. */
size_t retrieval_mine(const float *x, size_t nx, const float *y, size_t ny, size_t d, size_t k,
                      MineMode mode, float threshold, const KnnOpts *opts, MinedPair **out);

/* ---- BUCC ---------------------------------------------------------------------------------- */

/* One side of a BUCC split, read from the original `{l}-en.{split}.{l}` file ("id\tsentence" lines) or a
 * plain id list (one id per line). Per line: id = field 1, text = field 2, like XTREME's `cut -f1/-f2`
 * (a line without a tab is both). */
typedef struct BuccSide {
    char **id, **text;
    size_t n;
} BuccSide;
int bucc_read_side(const char *path, BuccSide *s, XsErr *err);
void bucc_side_free(BuccSide *s);

/* XTREME text_load_unify + unique_embeddings: identical sentences are mined once. Compacts emb (n, d) in
 * place to (n_unique, d) (each unique sentence takes the embedding of its last occurrence) and returns
 * n_unique; uniq_line[u] = first line holding unique sentence u, or -1 when XTREME's read_sent2id drops it
 * (its stripped text occurs on more than one line), so its pairs never become candidates. */
size_t bucc_unify(const BuccSide *s, float *emb, size_t d, int32_t *uniq_line /* (n) */);

typedef struct BuccCand {
    const char *src, *trg; /* ids (borrowed from the BuccSides) */
    double score;
} BuccCand;

/* Mined pairs over unified rows → candidates with ids, in mined order (XTREME read_candidate2score). */
size_t bucc_candidates(const MinedPair *p, size_t np, const BuccSide *src, const int32_t *src_uniq_line,
                       const BuccSide *trg, const int32_t *trg_uniq_line, BuccCand *out /* (np) */);

/* Gold "src\ttrg" lines (stripped, as a set): sorted pointers into the file's lines. */
typedef struct BuccGold {
    LabelList lines;
    char **line;
    size_t n;
} BuccGold;
int bucc_read_gold(const char *path, BuccGold *g, XsErr *err);
void bucc_gold_free(BuccGold *g);

/* Checks that every gold pair names a src id of src and a trg id of trg (a gold file for other ids -- another
 * language, row numbers instead of BUCC ids -- would otherwise give F1 0). src_name / trg_name name the sides in
 * the error; an empty gold is an error too. */
int bucc_gold_check(const BuccGold *g, const char *path, const BuccSide *src, const char *src_name, const BuccSide *trg,
                    const char *trg_name, XsErr *err);

/* XTREME's BUCC mining of one split, as `xstilts retrieve --mode margin` and `xstilts run` do it: the sides'
 * embeddings x (src->n, d) and y (trg->n, d) (unit rows; compacted in place by bucc_unify), ratio-margin mining with
 * k neighbours and mode (XTREME: 4, MINE_MAX), candidates with ids in mined order. Returns the candidate count,
 * *out malloc'd (ids borrowed from the sides); *nux / *nuy (may be NULL) get the unified row counts. */
size_t bucc_mine(const BuccSide *src, float *x, const BuccSide *trg, float *y, size_t d, size_t k, MineMode mode,
                 const KnnOpts *opts, BuccCand **out, size_t *nux, size_t *nuy);

/* XTREME bucc_optimize: sweep the candidates in descending score (stable), return the midpoint between the
 * F1-best candidate's score and the next one's. Where the reference would index past the end (best F1 at
 * the last candidate) the last score itself is returned; no correct candidate → 0. */
double bucc_optimize(const BuccCand *c, size_t n, const BuccGold *g);
/* P/R/F1 (in %) of the candidates with score >= th against gold, as bucc_eval reports them. */
void bucc_eval(const BuccCand *c, size_t n, double th, const BuccGold *g, double *p, double *r, double *f1);

#endif
