/* defaults.h — the study's hyperparameters per task and role: the one table behind `xstilts train` (job.h
 * job_task_defaults / job_spec_defaults) and `xstilts run` (run/hparams.h hparams_defaults). xstilts-notes §1.4
 * (jiant's scripts/benchmarks/xtreme, verified there), docs/RUN.md's table, docs/TRAINING.md. */
#ifndef XS_TRAIN_DEFAULTS_H
#define XS_TRAIN_DEFAULTS_H
#include "tasks/registry.h"
#include "train/trainer.h"

typedef enum {
    TRAIN_ROLE_INTERMEDIATE = 0, /* phase 1: an English intermediate task (alone or several at once) */
    TRAIN_ROLE_TARGET = 1        /* phase 2: a target's English fine-tuning (retrieval targets: encoding settings only) */
} TrainRole;

typedef struct TaskDefaults {
    double lr, warmup_ratio, weight_decay, max_grad_norm, adam_eps;
    int batch, accum, epochs;
    int max_len;        /* tokens per row: 256 (classification, multiple choice, tagging, MLM), 384 (QA targets),
                         * 512 (retrieval) */
    int qa_max_len;     /* intermediate role: the rows of span-QA tasks (384); targets use max_len */
    int doc_stride, max_query_len; /* QA windows: 128, 64 */
    int eval_every;     /* early stopping: every N updates (targets 1000; intermediate 0 = none, its epochs run) */
    int eval_examples;  /* the English dev subset evaluated (500) */
    int patience;       /* evaluations without improvement before stopping (30) */
} TaskDefaults;

/* The defaults of `task` (a registry name, "mlm", or NULL: by type alone) of registry type `type` in `role`:
 *   every job: AdamW lr 1e-5, weight decay 0.01, eps 1e-8, clipping 1.0, warm-up 0.1 then linear decay;
 *     doc_stride 128, max_query_len 64, qa_max_len 384, eval_examples 500, patience 30;
 *   target: 4 x 8; xnli 2 epochs, pawsx 5, tagging (udpos, panx) 10, span QA 4 x 4, 2 epochs, max_len 384,
 *     others 3; max_len 256; retrieval max_len 512; early stopping every 1000 updates;
 *   intermediate (any type, one task or several): 4 x 8 [batch unverified for phase 1], 3 epochs (jiant's simple
 *     API), max_len 256 (span-QA tasks qa_max_len 384), no early stopping. */
void train_defaults(TaskDefaults *d, TrainRole role, const char *task, TaskType type);

/* The optimizer and schedule of d into c (lr, warm-up, weight decay, clipping, batch, accum, epochs; max_steps 0:
 * from the epochs); the rest of c as it was. */
void train_defaults_apply(const TaskDefaults *d, TrainConfig *c);

/* The role a task has when `xstilts train` trains it alone: TARGET for XTREME's trained targets and for squad (the
 * English training set of XTREME's QA targets), INTERMEDIATE for the English intermediate tasks and mlm. */
TrainRole train_task_role(const char *task);

#endif
