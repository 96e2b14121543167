/* job.h — one training job as a library call (what `xstilts train` and `xstilts run` both call): task specs
 * (registry name or "mlm", training file, dev file) + a model folder + an output folder → data read and
 * featurized (tasks/taskdata.h), the model's encoder with one fresh head per task (the first task's under HF's plain
 * names, every other under "heads.<task>.", listed in config.json's "xstilts_heads"; any head of the folder dropped
 * and listed: encoder-only transfer), the multi-task trainer with checkpoints under OUT, evaluation on the
 * first dev examples with predict_score's major metric, resume from OUT's newest checkpoint, and the final model
 * (the best evaluation's weights) written to OUT in HF layout with the tokenizer files. Nothing here prints:
 * messages go to the note callback. */
#ifndef XS_JOB_H
#define XS_JOB_H
#include "core/check.h"
#include "train/trainer.h"
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

typedef struct JobTaskSpec {
    const char *name;       /* a registry task with a head ("xnli", "udpos", "hellaswag", "squad", ...) or "mlm" */
    const char *train;      /* training file (format guessed from its name, as xstilts predict); MLM: text, a line
                             * per example (empty / blank lines skipped, as HF run_mlm --line_by_line) */
    const char *dev;        /* dev file: the first JobSpec.dev_examples examples are evaluated; NULL: none (MLM: none) */
    const char *format;     /* reader layout of both files (TaskDataOpts.format); NULL: guessed from the names */
    int nmore;              /* further training files of this task (ANLI+'s five, translate-train data, MLM text per
                             * language): more[k] read with more_format[k] (NULL / a NULL entry: guessed), its
                             * examples (the first train_examples of each file) after train's: one task, one head */
    const char *const *more;
    const char *const *more_format;
} JobTaskSpec;

typedef struct JobSpec {
    const char *model_dir;  /* model folder (HF layout + tokenizer): its encoder is trained, its heads dropped */
    const char *out_dir;    /* checkpoints (OUT/checkpoint-<step>), then the model (OUT/config.json,
                             * OUT/model.safetensors, tokenizer files) and OUT/result.json */
    int ntasks;
    JobTaskSpec tasks[XS_MAX_TASKS];
    TrainConfig cfg;        /* hyperparameters and eval_every / patience / save_every / keep / stop / allreduce; the
                             * job sets eval, ckpt_dir and copy_files itself */
    int max_len;            /* tokens per row; 0: the largest default of the tasks (256; QA 384) */
    size_t dev_examples;    /* evaluated dev examples per task (the first ones); 0: 500 */
    size_t train_examples;  /* trained examples per task: the first n of its file; 0: all (MLM: all lines) */
    SamplerKind sampler;    /* the task draws; SAMPLER_PROPORTIONAL (jiant's default) to the training examples */
    double weights[XS_MAX_TASKS]; /* SAMPLER_SPECIFIED: per task */
    double temperature, cap;      /* SAMPLER_TEMPERATURE */
    int resume;             /* 0: OUT must hold no checkpoint and no model (an error otherwise; nothing written);
                             * 1: continue from OUT's newest complete checkpoint when it has one (else start) */
    TrainLogFn log;         /* after every update (may be NULL) */
    void *log_ctx;
    void (*note)(void *ctx, const char *msg); /* what the job does (data sizes, dropped tensors, resume point) */
    void *note_ctx;
} JobSpec;

/* Zeroed spec with cfg = train_config_defaults() plus the study's loop settings (a target's, train/defaults.h): 4 x 8,
 * 3 epochs, eval every 1000 updates, patience 30, dev 500; a checkpoint every 1000 updates, keep 2. */
void job_spec_defaults(JobSpec *s);
/* The study's hyperparameters for a task (notes §1.4; the table of train/defaults.h in the role the task has alone,
 * train_task_role) into *cfg and *max_len: lr 1e-5, warm-up 0.1; targets (XTREME's trained tasks, squad) 4 x 8 (QA
 * 4 x 4), epochs xnli 2, pawsx 5, udpos / panx 10, QA 2, max_len 256 (QA 384); the English intermediate tasks and
 * mlm 4 x 8, 3 epochs, max_len 256 (span QA 384). Unknown task: an error listing the known ones. */
int job_task_defaults(const char *task, TrainConfig *cfg, int *max_len, XsErr *err);

typedef struct JobEval {
    int64_t step;
    double metric;          /* mean of the tasks' major dev metrics */
} JobEval;

typedef struct JobResult {
    int64_t steps, total;   /* updates done, of the run's total */
    int64_t resumed_from;   /* step of the checkpoint resumed from, -1 for a fresh start */
    int64_t best_step;      /* -1 when nothing was evaluated */
    double best_metric;     /* NaN then */
    JobEval *curve;         /* every evaluation of the run (also those before a resume: OUT/curve.json) */
    size_t ncurve;
    int early_stopped;      /* patience exhausted */
    double wall_s;          /* this process: training loop wall time */
    int64_t tokens;         /* this process: non-padding tokens trained on */
    double tokens_per_s;
    char **dropped;         /* tensors of the model folder not used (its heads), names */
    int ndropped;
} JobResult;

/* Runs the job. Returns 0 (OUT holds the final model and result.json), TRAIN_STOPPED (cfg.stop was raised: a
 * checkpoint of the last finished update is in OUT, run again with resume = 1), or -1 with err set: an unknown
 * task, a missing / malformed file (named, with line), OUT holding a run while resume = 0, a checkpoint of other
 * tasks / heads / settings (naming its xstilts.json and the field), a corrupt checkpoint (naming the file). On
 * error nothing in OUT is overwritten. *r is filled in every case (free with job_result_free). */
int train_job(const JobSpec *s, JobResult *r, XsErr *err);
void job_result_free(JobResult *r);

#endif
