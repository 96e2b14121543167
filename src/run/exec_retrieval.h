/* exec_retrieval.h — phase 3 of `xstilts run`'s retrieval cells (internal to run/; exec.c calls it): no phase 2,
 * the phase-1 encoder (the config's model for the baseline row) embeds both sides of every language (hidden_states
 * [layer], -1 = round(L * 7 / 12), mean or cls pool, unit rows).
 *   Tatoeba: every English sentence queries the other side; accuracy = top-1 on its own line (as `xstilts retrieve
 *            --mode tatoeba`); predictions = the top-1 index per line.
 *   BUCC:    dev: XTREME's mining (eval/retrieval.h bucc_mine: unify, ratio margin, k = 4, "max"), the threshold
 *            that maximises F1 against the dev gold (bucc_optimize), precision / recall / F1 at it; test: the same
 *            mining, the language's dev threshold applied, scored only when a test gold file is given (XTREME's is
 *            not public). Predictions: "src_id<TAB>trg_id" per mined pair at or above the threshold. */
#ifndef XS_RUN_EXEC_RETRIEVAL_H
#define XS_RUN_EXEC_RETRIEVAL_H
#include "core/check.h"
#include "core/progress.h"
#include "run/config.h"
#include <jansson.h>
#include <stdint.h>

typedef struct RetrievalCell {
    const TaskInfo *task;     /* bucc2018 or tatoeba */
    const RunFiles *files;    /* the target's files: per language [sentences, English sentences(, gold)] */
    const HParams *hp;        /* max_len, layer, pool, predict_examples */
    const char *model_dir;    /* the phase-1 folder, or the config's model (baseline) */
    const char *pred_dir;     /* the cell's pred/ folder (exists) */
    const char *sub_dir;      /* RUN/submission/<row>/seed-<s>/<target> for test predictions; NULL: none (a limited cell) */
    ProgressBar *bar;         /* sides embedded of all (may be NULL) */
} RetrievalCell;

/* Scores the cell: dev / test get {lang: {metric: percent}}, thresholds (BUCC) {lang: threshold}, *tokens += the
 * tokens embedded. Returns 0 or -1 with err naming the file. */
int run_retrieval_cell(const RetrievalCell *c, json_t *dev, json_t *test, json_t *thresholds, int64_t *tokens, XsErr *err);

/* mkdir -p (exec.c). */
int run_mkdirs(const char *path, XsErr *err);

#endif
