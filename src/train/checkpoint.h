/* checkpoint.h — a training checkpoint: one folder written whole (staged beside its place, then
 * renamed) holding the model in HF layout (model.safetensors + config.json, via model_save), the Adam
 * moments (optimizer.safetensors: "exp_avg.<name>", "exp_avg_sq.<name>" over the ParamSet table),
 * any files copied along (tokenizer), and xstilts.json: step, schedule, sampler, data order, seed,
 * hyperparameters, tasks, early-stopping state, and the size + sha256 of every file. Reading verifies
 * every byte before anything is used and never writes. Format: docs/TRAINING.md. */
#ifndef XS_CHECKPOINT_H
#define XS_CHECKPOINT_H
#include "model/model.h"
#include "train/optim.h"
#include "train/sampler.h"
#include <stdint.h>

#define XS_CKPT_FORMAT "xstilts-train-checkpoint"
#define XS_CKPT_VERSION 1

typedef struct TrainTaskState {
    char name[64];             /* registry task name ("xnli", "mlm", ...) */
    char head[64];             /* head it trains (tasks may share one) */
    char data[512];            /* training file as given ("" when from the registry's default) */
    int64_t examples;          /* training examples (the data order's n) */
    uint64_t epoch;            /* data order: epoch and position in it (DataOrder.epoch / pos) */
    int64_t position;
} TrainTaskState;

typedef struct TrainState {
    int64_t step;              /* optimizer updates done (Optimizer.step) */
    int64_t micro_batches;     /* micro-batches done (step * accum at a checkpoint) */
    uint64_t seed;             /* the run's seed (< 2^63): sampler, shuffles, dropout */
    AdamWConfig adam;
    double warmup_ratio;       /* as given; sched.warmup = ratio * total */
    LinearSchedule sched;
    double max_grad_norm;
    int batch_size, accum, max_seq_len;
    double dropout;
    TaskSampler sampler;       /* kind, weights, temperature, cap, draws */
    int n_tasks;
    TrainTaskState tasks[XS_MAX_TASKS];
    /* evaluation / early stopping */
    int64_t eval_every, patience;
    double best_metric;        /* -inf before the first evaluation */
    int64_t best_step, evals_since_best;
} TrainState;

/* Writes the checkpoint folder `dir`, which must not exist or be an empty folder: everything goes to
 * "dir.tmp.<pid>" first, then is renamed into place; on any error the staging folder is removed and
 * nothing else changes. m needs its Adam blocks (paramset_alloc_adam). copy_files: NULL-terminated
 * paths of files copied in byte for byte under their base name (e.g. the tokenizer of the model
 * folder), or NULL. Every file's size and sha256 go into xstilts.json, itself sealed by a sha256 of its
 * canonical form. */
int checkpoint_save(const char *dir, const Model *m, const TrainState *st, const char *const *copy_files,
                    XsErr *err);

/* checkpoint_save plus XS_CKPT_BEST (when best != NULL): the table's tensors under their table names (no model
 * prefix), F32, from `best` (a block of m->tab.total floats): the weights of the best evaluation so far, listed and
 * hashed like every other file. */
#define XS_CKPT_BEST "best.safetensors"
int checkpoint_save_best(const char *dir, const Model *m, const TrainState *st, const char *const *copy_files,
                         const float *best, XsErr *err);
/* Reads dir/best.safetensors into best[ps->total] (padding zeroed). Its tensors must be exactly the table's (names,
 * shapes): otherwise an error naming the file and the tensor. Does not verify hashes (checkpoint_verify). */
int checkpoint_load_best(const char *dir, const ParamSet *ps, float *best, XsErr *err);

/* Checks dir/xstilts.json (parses, format and version, its seal) and the size and sha256 of every file
 * it lists; an error names the file and what is wrong (flipped byte, truncated, missing). */
int checkpoint_verify(const char *dir, XsErr *err);
/* checkpoint_verify, then parses the state; a missing or mistyped field is an error naming
 * xstilts.json and the field. */
int checkpoint_read_state(const char *dir, TrainState *st, XsErr *err);
/* Reads dir/optimizer.safetensors into ps->adam_m / adam_v (allocated here when absent). Its tensors
 * must be exactly the table's (names and shapes): otherwise an error naming the file and the first
 * tensor that differs (a checkpoint of other heads). Does not verify hashes (checkpoint_verify). */
int checkpoint_load_optimizer(const char *dir, ParamSet *ps, XsErr *err);
/* model_load_weights(m, 0) + checkpoint_load_optimizer, without verifying again: for a caller that
 * ran checkpoint_read_state first (to learn the tasks and add their heads). m comes from
 * model_open(dir) with the heads added (no block yet). On error m is freed. */
int checkpoint_load_weights(const char *dir, Model *m, XsErr *err);
/* The whole resume when the heads are known in advance: checkpoint_read_state (verifies every file),
 * then checkpoint_load_weights. On error m is freed. */
int checkpoint_load(const char *dir, Model *m, TrainState *st, XsErr *err);

/* "<out>/checkpoint-<step, 8 digits>" into buf. */
void checkpoint_path(const char *out, int64_t step, char *buf, size_t cap);
/* The checkpoint-<step> folder of `out` with the highest step that holds an xstilts.json (its step
 * in *step), or 0 when there is none (buf = ""). Staging folders (".tmp.") are never taken. */
int checkpoint_latest(const char *out, char *buf, size_t cap, int64_t *step);

/* Keeps the `keep` (>= 1) newest complete checkpoint-<step> folders of `out` and removes the older
 * ones, and staging folders ("checkpoint-<step>.tmp.<pid>") left by processes that no longer run
 * (a run killed while saving). Only plain files inside such folders are removed; a folder holding
 * anything else is an error naming it (and is kept). Returns the number of folders removed, or -1. */
int checkpoint_prune(const char *out, int keep, XsErr *err);

/* optim_init with the state's AdamW settings, schedule and clipping, then step = st->step. */
void optim_init_from_state(Optimizer *o, const ParamSet *ps, const TrainState *st);

/* A TrainState with the study's defaults: AdamW (lr 1e-5, wd 0.01, eps 1e-8), warm-up 0.1, clip 1.0,
 * batch 4 × accum 8, max_seq_len 256, dropout 0.1, eval every 1000, patience 30; step 0. */
void train_state_defaults(TrainState *st);

#endif
