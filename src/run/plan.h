/* plan.h — what a study config asks for: phase-1 jobs (one per non-baseline row and seed, shared by the row's
 * targets), cells (rows x targets x seeds; BUCC and Tatoeba take the phase-1 encoder as it is, no phase 2),
 * a sha256 config hash for each, their state in a run folder, and the size of the work (examples, tokens,
 * hours at a throughput). The run folder layout and the hashes are docs/RUN.md's contract. */
#ifndef XS_RUN_PLAN_H
#define XS_RUN_PLAN_H
#include "run/config.h"
#include "tok/tokenizer.h"
#include <stdint.h>
#include <stdio.h>

/* RS_CORRUPT: a state file of the folder fails its check (core/seal.h) and the folder's work cannot be
 * attributed to a config (started.json damaged, or the final file damaged without a started.json): refused like a
 * stale one unless --force. A damaged final file (cell.json, phase1.json) with an intact started.json of the plan's
 * hash is RS_PARTIAL with `damage` set: run moves the file aside, says so, and redoes the work from its newest
 * checkpoint. */
typedef enum { RS_TODO, RS_PARTIAL, RS_DONE, RS_STALE, RS_CORRUPT, RS_NSTATES } RunState;
const char *run_state_name(RunState s);

/* The size of one file's work, counted with the real readers (examples) and estimated tokens from a featurized
 * sample (the first RUN_SAMPLE examples, rows cut / windowed as training and prediction will). */
typedef struct FileCount {
    long long examples;       /* examples (multiple choice: questions; tagging: sentences; QA: questions; lines) */
    long long rows;           /* model rows (choices, windows), estimated from the sample */
    long long tokens;         /* non-padding tokens of those rows, estimated from the sample */
    long long sampled;        /* examples featurized for the estimate */
} FileCount;

typedef struct PlanJob {      /* phase 1 */
    int row;
    long seed;
    char hash[65];
    char dir[4096];           /* RUN/phase1/<row>/seed-<s> */
    RunState state;
    char damage[1024];        /* why a state file failed its check ("" when none): see RS_CORRUPT */
    long long examples, updates, train_tokens;
    double hours;
} PlanJob;

typedef struct PlanCell {
    int row, target;
    long seed;
    int job;                  /* index into jobs, -1 for the baseline */
    char hash[65];
    char dir[4096];           /* RUN/cells/<row>/<target>/seed-<s> */
    RunState state;
    char damage[1024];        /* why a state file failed its check ("" when none): see RS_CORRUPT */
    HParams hp;
    long long train_examples, updates, train_tokens, eval_examples, eval_tokens;
    double hours;
} PlanCell;

typedef struct RunPlan {
    const RunConfig *cfg;
    char model_id[65];        /* sha256 of the model's identity (config.json's bytes, weight files' names + sizes) */
    char config_hash[65];     /* sha256 of the canonical resolved config (run.json) */
    int njobs, ncells;
    PlanJob *jobs;
    PlanCell *cells;
    double throughput;        /* training tokens per second (forward + backward) used for hours */
    char throughput_how[200]; /* where the figure comes from ("measured: ...", "--throughput", "assumed"), printed */
    int counted;              /* examples and tokens filled in (run_plan_count) */
} RunPlan;

/* Jobs, cells and hashes; the state of each in run_dir (NULL: all RS_TODO). */
int run_plan_build(RunPlan *p, const RunConfig *cfg, const char *run_dir, XsErr *err);
/* Counts every file the plan reads with the real readers (a malformed file is an error here, before anything
 * trains), estimates tokens with the model's tokenizer, and fills examples / tokens / hours at `throughput`
 * (training tokens/s; prediction counted at a third of a training token). */
int run_plan_count(RunPlan *p, double throughput, XsErr *err);
void run_plan_free(RunPlan *p);

/* The canonical JSON hashed into config_hash, with every default filled in (run.json's body). */
json_t *run_plan_resolved(const RunPlan *p);
/* Writes RUN/run.json (atomically): run_plan_resolved + "config_hash" + the jobs and cells with their hashes. */
int run_plan_write(const RunPlan *p, const char *run_dir, XsErr *err);
/* The config_hash of RUN/run.json into out ("" when there is no run.json); -1 + err when it is unreadable. */
int run_folder_hash(const char *run_dir, char out[65], XsErr *err);
/* The human-readable plan. */
void run_plan_print(const RunPlan *p, FILE *f);

/* Counts one file (exposed for tests): examples with the reader of its kind, rows and tokens from the first
 * `sample` examples featurized at max_len (QA: max_query, stride). tok may be NULL (then rows = tokens = 0). */
int run_count_file(const RunFile *f, const Tokenizer *tok, int max_len, int doc_stride, int max_query,
                   long long sample, FileCount *out, XsErr *err);

#endif
