/* config.h — the experiment config of `xstilts run` (docs/RUN.md): model, data roots, rows (intermediate
 * configurations), targets, seeds and hyperparameters, parsed strictly from JSON and resolved into the files
 * every job will read. Every error names the config file, the line:column of the offending value and its JSON
 * path ("study.json:14:23: rows[2].intermediate[0]: unknown task \"mnly\" (known: ...)"). Nothing is trained
 * here; run_config_load only reads JSON and checks that every file the plan names exists and is readable. */
#ifndef XS_RUN_CONFIG_H
#define XS_RUN_CONFIG_H
#include "core/check.h"
#include "run/hparams.h"
#include "tasks/registry.h"
#include "train/sampler.h"
#include <jansson.h>

#define RUN_NAME_MAX 64
#define RUN_FORMAT_VERSION 1

/* How a file is read (and counted by the plan). */
typedef enum {
    RF_PAIR,         /* sentence pairs: data/pairs.h, format = PairFormat */
    RF_CHOICE,       /* multiple choice: data/choices.h, format = ChoiceFormat */
    RF_TAG,          /* tagging: data/tagging.h, format = TagFormat */
    RF_QA,           /* SQuAD-style JSON: data/squad_examples.h */
    RF_TEXT,         /* MLM text, one example a line: data/text.h */
    RF_LINES,        /* retrieval sentences / gold pairs (BUCC, Tatoeba): one item a line */
} RunFileKind;       /* (XTREME's translate-train TSV is RF_PAIR, format PAIR_XTREME_XNLI_TRANSLATED) */

typedef enum { RFR_TRAIN, RFR_DEV, RFR_EVAL_DEV, RFR_EVAL_TEST } RunFileRole;

typedef struct RunFile {
    char *path;          /* as opened (resolved against its root) */
    char *key;           /* identity for hashing: the path relative to its root, or as written when absolute */
    const char *task;    /* the task it belongs to (static name) */
    RunFileKind kind;
    RunFileRole role;
    int format;          /* PairFormat / ChoiceFormat / TagFormat; -1 where not used */
    int unlabeled;       /* shipped without gold (XTREME test files) */
    char lang[16];       /* "en" for training and early-stopping files; the evaluated language otherwise */
} RunFile;

typedef struct RunFiles { RunFile *v; int n, cap; } RunFiles;

typedef struct RunRow {
    char name[RUN_NAME_MAX + 1];
    char jpath[32];              /* "rows[3]" */
    int ntasks;                  /* 0 = the baseline */
    const char **tasks;          /* intermediate task names (static) */
    TaskType *types;
    SamplerKind sampler;         /* default proportional (jiant's default for several tasks) */
    double temperature, cap;     /* SAMPLER_TEMPERATURE */
    double *weights;             /* [ntasks] SAMPLER_SPECIFIED, else NULL */
    int mlm;                     /* continued multilingual MLM in phase 1 */
    double mlm_weight;           /* share of phase-1 batches that are MLM (0..1) */
    int translated;              /* phase 1 on XTREME's translate-train data too */
    int ntlangs;
    char (*tlangs)[16];          /* languages of the translated data (default: every one XTREME published) */
    RunFiles train;              /* every phase-1 training file (intermediate, translated, MLM) */
    HParams hp;                  /* phase 1, resolved */
    json_t *target_hparams;      /* (borrowed from the config) applied to this row's phase-2 cells */
} RunRow;

typedef struct RunTarget {
    const TaskInfo *info;
    char jpath[32];              /* "targets[1]" */
    int nlangs;
    char (*langs)[16];           /* evaluated languages (default: every XTREME language of the task) */
    RunFiles files;              /* train (English), dev (English, early stopping), eval dev / test per language */
    json_t *hparams;             /* (borrowed) this target's overrides */
} RunTarget;

typedef struct RunConfig {
    char *file;                  /* the config's path */
    char *text;                  /* its text (for line:column of values) */
    char *title;                 /* "title" (reports' heading), or NULL */
    json_t *root;
    char *model;                 /* resolved folders */
    char *data;                  /* XTREME download/ */
    char *intermediate_data;     /* the intermediate tasks' folder (default: data) */
    char *translations;          /* XTREME's translate-train files (default: data/xtreme_translations) */
    int nrows, ntargets, nseeds;
    RunRow *rows;
    RunTarget *targets;
    long *seeds;
    int baseline;                /* index of the row with no intermediate task, -1 when none */
    json_t *hparams, *intermediate_hparams;  /* borrowed */
} RunConfig;

/* CLI overrides of the config's folders (NULL: the config's). */
typedef struct RunOverrides { const char *model, *data; } RunOverrides;

/* Reads, validates and resolves path. On error (message with file:line:col and the JSON path) cfg is freed. */
int run_config_load(const char *path, const RunOverrides *ov, RunConfig *cfg, XsErr *err);
void run_config_free(RunConfig *cfg);

/* The resolved hyperparameters of the phase-2 cell (row r, target t): the target's study defaults, then the
 * config's "hparams", the target's "hparams", the row's "target_hparams". Validated by run_config_load. */
int run_cell_hparams(const RunConfig *cfg, int r, int t, HParams *h, XsErr *err);

/* The task names usable as intermediate tasks, "a, b or c". */
const char *run_intermediate_names(void);
/* The XTREME targets, "a, b or c". */
const char *run_target_names(void);

#endif
