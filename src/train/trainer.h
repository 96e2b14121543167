/* trainer.h — the training loop: one shared encoder, one head per task (tasks may share a head), the task of each
 * update drawn by a TaskSampler; per task a seeded data order → batch of featurized rows → encoder forward (train
 * mode) → head loss → backward → (accumulate) → all-reduce seam → clip → AdamW → zero, with no allocation inside a
 * step. Around the steps (trainer_run): evaluation every N updates with early stopping (best weights kept and
 * restored), checkpoints every N updates and at the end, a stop flag, resume (bit-identical continuation). */
#ifndef XS_TRAINER_H
#define XS_TRAINER_H
#include "core/check.h"
#include "model/encoder.h"
#include "model/model_head.h"
#include "tasks/featurize.h"
#include "train/checkpoint.h"
#include "train/optim.h"
#include "train/sampler.h"
#include <signal.h>
#include <stdint.h>

/* Evaluation callback: writes the dev metric of m (higher is better) to *metric. It must not change m's parameters
 * (it may read them, e.g. predict on a dev set). Returns 0, or -1 with err set (the run stops with that error). */
typedef int (*TrainEvalFn)(void *ctx, Model *m, int64_t step, double *metric, XsErr *err);
/* The data-parallel seam: called once per update after the accumulation loop, before clipping, with the summed
 * gradient block (n floats = ps->total) of this process. A data-parallel run replaces it with an all-reduce (mean
 * over ranks); NULL = one process (no-op). Returns 0, or -1 with err set (the update is not applied). */
typedef int (*TrainAllReduceFn)(void *ctx, float *grad, size_t n, XsErr *err);

typedef struct TrainConfig {
    int batch;              /* examples per micro-batch (multiple choice: examples of nchoices rows each) */
    int accum;              /* micro-batches per update (gradient accumulation), >= 1 */
    double lr;              /* peak learning rate */
    double warmup_ratio;    /* warm-up share of the updates (jiant: unrounded ratio * total) */
    double weight_decay;    /* 0.01 as the study (biases and LayerNorm excluded by the table) */
    double max_grad_norm;   /* 1.0; <= 0: no clipping */
    int hf_legacy;          /* AdamWConfig.hf_legacy */
    int epochs;             /* used when max_steps = 0 */
    int64_t max_steps;      /* optimizer updates of the run; 0: epochs * sum over tasks of
                             * ceil(ceil(units / batch) / accum) */
    uint64_t seed;          /* task sampler, data order, dropout and MLM masks */
    int shuffle;            /* 1: seeded shuffle every epoch; 0: file order */
    int dropout;            /* 1: the model's dropout (cfg hidden/attention, head's); 0: none (eval semantics) */
    int skip_padding;       /* encoder_set_skip_padding on the training state (ignored for span QA, see trim) */
    int trim;               /* 1: a batch is cut to its longest row (T <= rows->max_len); 0: always max_len.
                             * Span QA: always 0, and no padding skipped: HF's start/end softmax runs over every
                             * position of the padded row (run_qa pads to max_seq_length), so padding changes the
                             * loss; the other heads ignore padding and trimming changes only float rounding */
    int lazy_embedding;     /* 1: the word embedding's gradient is zeroed / clipped / normed on the batch's rows only and
                             * rows never touched get their AdamW update (a pure decay) lazily, bit-identical to the
                             * dense update (optim.h LazyRows; read the weights after trainer_sync). Off by itself
                             * with an MLM task (tied decoder), several ranks or an all-reduce hook. 0: dense */
    FeatMlmOpts mlm;        /* MLM with a tokenizer given: dynamic masks (feat_mlm_mask, epoch = data epoch) */
    /* ---- around the steps (trainer_run); all off in train_config_defaults ---- */
    int64_t eval_every;     /* evaluate (eval) every N updates; 0: never */
    int patience;           /* stop after this many evaluations in a row without improvement; 0: never early */
    TrainEvalFn eval;       /* NULL: no evaluation */
    void *eval_ctx;
    const char *ckpt_dir;   /* checkpoints go to ckpt_dir/checkpoint-<step> (NULL: none) */
    int64_t save_every;     /* a checkpoint every N updates (0: only at the end and on stop) */
    int keep;               /* checkpoints kept by checkpoint_prune (< 1: 2) */
    const char *const *copy_files; /* NULL-terminated files copied into every checkpoint (tokenizer), or NULL */
    const volatile sig_atomic_t *stop; /* non-zero: the run saves a checkpoint and returns TRAIN_STOPPED at the
                             * next update boundary (a SIGINT handler sets it); NULL: none */
    TrainAllReduceFn allreduce;
    void *allreduce_ctx;
    /* ---- data parallel (docs/SCALING.md); 0 / 0 or 0 / 1: one process ---- */
    int rank, world;        /* this process's rank of `world` (dist_rank / dist_size; checked at init). Each
                             * update draws accum x world micro-batches of batch examples in the one data order;
                             * rank r trains those with index = r mod world (dropout keyed by the global index),
                             * the gradient block is summed over the ranks (dist_allreduce_sum, rank order) and
                             * every rank takes the same step: world ranks = one process with accum x world, up
                             * to rounding. Only rank 0 writes checkpoints; every rank reads them to resume. */
} TrainConfig;

/* batch 32, accum 1, lr 1e-5, warm-up 0.1, wd 0.01, clip 1.0, 1 epoch, seed 1, shuffle, dropout, skip padding,
 * trim, MLM masks 0.15 / 0.8 / 0.1; no evaluation, no checkpoints, no stop flag, no all-reduce. */
TrainConfig train_config_defaults(void);

/* One task of a run. */
typedef struct TrainTask {
    const char *name;       /* registry name ("xnli", "mlm", ...): logs and checkpoints (< 64 bytes) */
    const char *head;       /* head name (< 64 bytes); tasks giving the same name share that head's parameters
                             * (then their HeadConfigs must be equal); NULL: the task's name */
    const char *data;       /* training file as given, recorded in checkpoints; NULL: "" */
    HeadConfig hc;          /* the head, registered in the model (model_add_head) */
    const FeatRows *rows;   /* not owned; kind must match hc.kind (trainer_head_kind) */
    const Tokenizer *tok;   /* MLM: dynamic masking; NULL: the rows' own ids / labels */
} TrainTask;

/* What one update did. */
typedef struct TrainStepLog {
    int64_t step;           /* updates done after this one (1-based) */
    int64_t total;          /* updates of the run (tr->total) */
    int task;               /* index of the task the update trained (the sampler's draw) */
    double loss;            /* mean of the micro-batches' losses (unscaled) */
    double lr;              /* learning rate the update used */
    double grad_norm;       /* pre-clip global gradient norm */
    int64_t tokens;         /* non-padding tokens in the update's micro-batches */
    uint64_t epoch;         /* data epoch of the task's last example */
    int evaluated;          /* trainer_run: 1 when an evaluation followed this update */
    double metric;          /* its metric (NaN when none) */
    int improved;           /* 1: it is the best so far (the best weights were taken) */
    int saved;              /* 1: a checkpoint was written after this update */
} TrainStepLog;

typedef struct TrainerTask {
    TrainTask t;
    char name[64], head[64], data[512];
    HeadConfig hc;          /* as trained (dropout 0 when cfg.dropout = 0) */
    HeadParams hw, hg;      /* head parameters / gradients in m->tab */
    HeadState *hs;
    int per;                /* rows per unit (nchoices for multiple choice, else 1) */
    size_t units;           /* examples the order runs over */
    int trim, skip_padding;
    DataOrder order;        /* stream XS_STREAM_SHUFFLE + task index */
} TrainerTask;

typedef struct Trainer {
    Model *m;               /* not owned */
    ModelConfig mcfg;       /* m->cfg, dropouts 0 when cfg.dropout = 0 */
    TrainConfig cfg;
    int ntasks;
    TrainerTask task[XS_MAX_TASKS];
    TaskSampler sampler;    /* the task of each update (draws = updates done) */
    int Bmax, Tmax;         /* rows per micro-batch at most, positions (over the tasks) */
    EncoderState *es;
    Optimizer opt;
    int64_t total;          /* updates of the run */
    uint64_t micro;         /* micro-batches done (dropout counter) */
    /* early stopping */
    float *best;            /* [m->tab.total] weights of the best evaluation, NULL before one */
    double best_metric;     /* -inf before the first evaluation */
    int64_t best_step;      /* -1 before */
    int64_t evals_since_best;
    int64_t saved_step;     /* step of the newest checkpoint written or resumed from (-1: none) */
    /* batch buffers, sized once */
    int32_t *ids, *types, *labels;  /* (Bmax,Tmax) ids / types; labels (Bmax*Tmax) or per kind */
    float *mask;            /* (Bmax,Tmax) */
    float *dh;              /* (Bmax,Tmax,C) */
    uint32_t *sel;          /* units of the batch + MLM scratch */
    /* time spent per phase of trainer_step (seconds, summed over the steps) when prof_on: gather + forward + loss,
     * backward, all-reduce + gradient norm, optimizer (clip + AdamW), zeroing the gradients. Benchmarks only. */
    int prof_on;
    double prof[5];
} Trainer;
enum { TRAIN_PROF_FORWARD, TRAIN_PROF_BACKWARD, TRAIN_PROF_NORM, TRAIN_PROF_OPTIM, TRAIN_PROF_ZERO };

/* Return of trainer_run when cfg.stop was raised (a checkpoint of the current step was written when ckpt_dir). */
#define TRAIN_STOPPED 2

/* The run over ntasks (1..XS_MAX_TASKS) tasks sharing m's encoder. Binds each head (model_head_bind), allocates
 * gradients and Adam moments when m has none, one encoder state for the largest batch, a head state and a data
 * order per task. sampler: the kind / weights / temperature / cap of the task draws (its seed and draws are
 * replaced: seed = cfg->seed, draws = 0); NULL: proportional to the tasks' units (jiant's default). With one task
 * the sampler always draws it and the run is the one-task loop's, bit for bit. Errors: rows / head kind mismatch,
 * an empty set, bad hyperparameters, two tasks naming one head with different configs, two head names whose
 * tensors coincide, labels out of range, broken multiple-choice grouping (each naming the task). */
int trainer_init_tasks(Trainer *tr, Model *m, const TrainTask *tasks, int ntasks, const TaskSampler *sampler,
                       const TrainConfig *cfg, XsErr *err);
/* One task (named "task", head = its kind's name): trainer_init_tasks with a single task. rows: FEAT_PAIR → SEQ_CLS,
 * FEAT_CHOICE → MULTIPLE_CHOICE (every example exactly hc->num_labels rows), FEAT_TAG → TOKEN_CLS, FEAT_QA →
 * SPAN_QA, FEAT_MLM → MLM. tok: MLM only (dynamic masking), may be NULL. */
int trainer_init(Trainer *tr, Model *m, const HeadConfig *hc, const FeatRows *rows, const TrainConfig *cfg,
                 const Tokenizer *tok, XsErr *err);
/* One update: the sampler draws a task; cfg.accum micro-batches of it (forward, loss / accum, backward), the
 * all-reduce seam, clip, AdamW at the scheduled lr, zero gradients. A non-finite loss or gradient norm is an
 * error, parameters unchanged. No allocation. */
int trainer_step(Trainer *tr, TrainStepLog *log, XsErr *err);
/* Puts a fresh one-task trainer where a run stopped after `step` updates with its data order at (epoch, pos): the
 * optimizer's step, the micro-batch counter (step * accum: dropout masks), the sampler's draws and the order. */
void trainer_seek(Trainer *tr, int64_t step, uint64_t epoch, size_t pos);
/* Applies the pending lazy updates of the word embedding's untouched rows (TrainConfig.lazy_embedding): after it
 * m's weights are those of the dense update. trainer_run, trainer_save, the evaluation and trainer_free call it; a
 * caller of trainer_step that reads the weights before trainer_free calls it first. */
void trainer_sync(Trainer *tr);
typedef void (*TrainLogFn)(const TrainStepLog *log, void *ctx);
/* Until tr->total updates are done or early stopping: before each update the stop flag (raised: checkpoint,
 * return TRAIN_STOPPED); trainer_step; every eval_every updates cfg.eval (a better metric — strictly greater —
 * keeps a copy of the weights and resets the patience count; otherwise the count grows, and at `patience` the run
 * stops); fn (may be NULL) with the update's log; every save_every updates a checkpoint (then checkpoint_prune).
 * At the end: a checkpoint (when ckpt_dir and none was written at this step), then the best weights, when there
 * was an evaluation, are copied into m. Returns 0, TRAIN_STOPPED, or -1 with err set. */
int trainer_run(Trainer *tr, TrainLogFn fn, void *ctx, XsErr *err);
/* 1 when the run is over: tr->total updates done, or patience exhausted. */
int trainer_done(const Trainer *tr);
/* The run's state as a checkpoint stores it (step, micro-batches, seed, optimizer, schedule, batch, sampler,
 * per-task order, early stopping). */
void trainer_state(const Trainer *tr, TrainState *st);
/* Writes cfg.ckpt_dir/checkpoint-<step> (the model, Adam moments, state, best.safetensors when there was an
 * evaluation, cfg.copy_files), unless a complete one of this step exists; then keeps the cfg.keep newest. */
int trainer_save(Trainer *tr, XsErr *err);
/* Continues from checkpoint folder `dir`, whose weights and Adam moments are already in tr->m (checkpoint_load /
 * checkpoint_load_weights on the model the trainer was built on): st = its state (checkpoint_read_state; NULL:
 * read here, verifying every file). The tasks (names, heads, examples), seed, batch, accum, updates, sampler and
 * early-stopping settings must be the checkpoint's — otherwise an error naming dir/xstilts.json and the field.
 * Restores the step, the micro-batch counter, the sampler's draws, every task's data order, the best metric / step
 * / patience count and the best weights (best.safetensors). The run then continues bit-identically. */
int trainer_resume(Trainer *tr, const char *dir, const TrainState *st, XsErr *err);
/* trainer_sync, then frees what the trainer owns (not the model). */
void trainer_free(Trainer *tr);

/* The head kind that trains on rows of kind k. */
HeadKind trainer_head_kind(FeatKind k);

#endif
