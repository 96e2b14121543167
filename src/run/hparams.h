/* hparams.h — the study's hyperparameters per task (xstilts-notes §1.4: jiant's XTREME scripts) and a strict
 * JSON override onto them, shared by `xstilts run` (every cell and phase-1 job) and `xstilts train --config`.
 *
 * HParams holds a TrainConfig (train/trainer.h: what the training loop takes today) plus what the run needs
 * that TrainConfig does not have (yet): sequence lengths, early stopping, retrieval layer and pooling, Adam's
 * eps. A JSON object is applied key by key: an unknown key, a wrong type or a value out of range is an error
 * naming the config file, the line and column of the value and its JSON path ("rows[2].hparams.lr"). */
#ifndef XS_RUN_HPARAMS_H
#define XS_RUN_HPARAMS_H
#include "core/check.h"
#include "tasks/registry.h"
#include "train/trainer.h"
#include <jansson.h>

typedef enum { HP_INTERMEDIATE = 0, HP_TARGET = 1 } HpRole;

typedef struct HParams {
    TrainConfig train;      /* batch, accum, lr, warmup_ratio, weight_decay, max_grad_norm, hf_legacy, epochs,
                             * max_steps, shuffle, dropout (seed: set per cell from the run's seeds) */
    double adam_eps;        /* 1e-8 (AdamWConfig's; not a TrainConfig field) */
    int max_len;            /* tokens per row: 256 classification / multiple choice / tagging, 384 QA, 512 retrieval */
    int qa_max_len;         /* phase 1 only: max_len of the span-QA tasks of an intermediate job (384); the others
                             * use max_len (256). Targets use max_len (384 for QA targets). */
    int doc_stride;         /* QA windows: context tokens shared by consecutive windows (128) */
    int max_query_len;      /* QA: question tokens kept (64) */
    int eval_every;         /* early stopping: evaluate every N updates (1000); 0 = no early stopping */
    int eval_examples;      /* English dev subset evaluated for early stopping (500); 0 = the whole dev file */
    int patience;           /* stop after this many evaluations without improvement (30) */
    int restore_best;       /* restore the best weights before phase 3 (1) */
    int layer;              /* retrieval: hidden_states[layer]; -1 = XTREME's (14 of 24 layers: round(L * 7 / 12)) */
    int pool_cls;           /* retrieval: 0 mean pool (XTREME, jiant), 1 first token */
    long long train_examples;   /* the FIRST n examples of every training file (0: all; a sized-down study) */
    long long predict_examples; /* phase 3: the FIRST n examples of every evaluation file, the first n pairs of a
                                 * retrieval language (0: all); a limited cell writes no submission files */
} HParams;

/* The study's defaults for `task` in `role` (jiant scripts/benchmarks/xtreme, notes §1.4):
 *   all: AdamW lr 1e-5, weight decay 0.01, eps 1e-8, clip 1.0, warm-up 0.1 linear decay, dropout on;
 *   target XNLI 4x8 2 epochs, PAWS-X 4x8 5, UD-POS / PAN-X 4x8 10, QA 4x4 2 (max_len 384, stride 128);
 *     early stopping every 1000 updates on 500 English dev examples, patience 30, best restored;
 *   retrieval: max_len 512, mean pool, layer -1 (XTREME's);
 *   intermediate (any task types, one job): 3 epochs, 4x8, max_len 256 (QA tasks: qa_max_len 384), no early
 *   stopping; the batch is the study's target batch [unverified for phase 1: jiant's guide shows batch 4]. */
void hparams_defaults(HParams *h, HpRole role, const char *task, TaskType type);

/* Applies obj (a JSON object; NULL = nothing) onto h. path: the object's JSON path for messages ("hparams",
 * "rows[1].hparams"); file / text: the config file's name and text (text may be NULL) to put line:column on
 * errors. Unknown keys, wrong types, out-of-range values are errors; nothing is applied partially on error
 * (h is unchanged). */
int hparams_apply_json(HParams *h, const json_t *obj, const char *file, const char *text, const char *path,
                       XsErr *err);

/* The keys hparams_apply_json accepts, "a, b, c", for messages and docs. */
const char *hparams_keys(void);

/* The settings that matter for a job of this kind, as a JSON object with every key hparams_apply_json takes
 * (so it can be re-applied); retrieval gets only max_len, layer, pool. Canonical: hashed into config hashes. */
json_t *hparams_to_json(const HParams *h, TaskType type, HpRole role);

/* Optimizer updates of one run over n training units (examples; multiple choice: questions) for h:
 * max_steps, else epochs * ceil(ceil(n / batch) / accum) (the trainer's rule). */
long long hparams_updates(const HParams *h, long long n);

/* ---- JSON locations: line and column of a value given its path ---- */

/* Finds the value at path ("rows[2].intermediate[0]", "" = the root) in the JSON text (already valid JSON)
 * and sets *line / *col (1-based). Returns 0, or -1 when the path is not found. */
int json_text_locate(const char *text, const char *path, int *line, int *col);
/* err_set with "file:line:col: path: message" when the path can be located in text, else "file: path: ...". */
int json_err(XsErr *err, const char *file, const char *text, const char *path, const char *fmt, ...) XS_PRINTF(5, 6);

#endif
