/* taskdata.h — one task's examples from one file, read with the data/ readers, with the task's label list
 * and the featurized rows: what predict (tasks/predict.h), the trainer's dev evaluation and run/ share.
 * The examples are kept because predictions are written per example (label lines, tag files in the input's
 * word layout, SQuAD {qid: answer} JSON) and scored against their gold. */
#ifndef XS_TASKDATA_H
#define XS_TASKDATA_H
#include "core/check.h"
#include "data/choices.h"
#include "data/pairs.h"
#include "data/squad_examples.h"
#include "data/tagging.h"
#include "model/heads.h"
#include "tasks/featurize.h"
#include "tasks/registry.h"
#include "tok/tokenizer.h"
#include <stddef.h>

typedef struct TaskDataOpts {
    int max_len;          /* tokens per row; 0 = the task's default (TaskInfo.max_len: 256, QA 384) */
    size_t max_examples;  /* 0 = all; else the FIRST n examples of the file (the trainer's dev subset) */
    int qa_stride;        /* QA window overlap; 0 = 128 */
    int qa_max_query;     /* QA question tokens; 0 = 64 */
    const char *format;   /* reader layout name (pair_format_parse / choice_format_parse / tag_format_parse);
                           * NULL = guessed from the path (pair_format_guess, ...); QA: always SQuAD JSON */
    const char *lang;     /* XNLI-1.0 TSV rows / CoNLL-U POS precedence / MLQA scoring language; NULL = none
                           * (CoNLL-U, XTREME columns: the language the file name holds; MLQA: the context
                           * language of "*-context-XX-question-YY.json") */
    int unlabeled;        /* the file has no gold (also set when the path says so: test files); prediction only */
} TaskDataOpts;

/* Zeroed: every default. */
TaskDataOpts taskdata_opts_default(void);

typedef struct TaskData {
    const TaskInfo *task;
    char *path;               /* the data file (owned copy), for messages */
    char lang[16];            /* opts.lang, or the one the file name holds; "" = none */
    HeadKind head;            /* HEAD_SEQ_CLS, HEAD_MULTIPLE_CHOICE, HEAD_TOKEN_CLS or HEAD_SPAN_QA */
    int labeled;              /* 1: gold labels / tags / answers known (predict_score possible) */
    size_t n;                 /* examples (after max_examples) */
    /* the examples, one set used per type */
    PairSet pairs;            /* TASK_CLASSIFICATION */
    ChoiceSet choices;        /* TASK_MULTIPLE_CHOICE */
    TagCorpus tags;           /* TASK_TAGGING (words, gold tag strings) */
    QaSet qa;                 /* TASK_SPAN_QA */
    /* the head's outputs: label k means labels[k] (cls: class; choice: choice index name; tagging: tag) */
    const char *const *labels;
    size_t nlabels;           /* cls: classes; choice: choices per example; tagging: tags; QA: 0 */
    TagSet tagset;            /* tagging: labels as a TagSet (feat_tags' index) */
    int32_t *gold;            /* [n] cls / choice: gold index, -1 when unlabeled; NULL for tagging and QA */
    FeatRows rows;            /* featurized once; info[r].example indexes the examples above */
    size_t *row0;             /* [n + 1] rows of example i: [row0[i], row0[i + 1]) */
} TaskData;

/* Reads path with the task's reader (the layout named by opts->format, else guessed from the path; a file
 * of another task's layout, a label set that is not the task's, a gold tag outside the task's tag set, an
 * example count that differs between choices: errors naming the file and line), keeps the first
 * opts->max_examples examples, and featurizes them with tok (pairs/choices longest-first truncation,
 * tagging windows, QA sliding windows). Retrieval tasks have no data here (error). opts may be NULL.
 * Returns 0, or -1 with err (td then holds nothing to free). */
int taskdata_load(TaskData *td, const TaskInfo *task, const char *path, const Tokenizer *tok,
                  const TaskDataOpts *opts, XsErr *err);
void taskdata_free(TaskData *td);

/* The head a task trains / predicts with (TaskInfo.hp → HeadKind); HEAD_NKINDS for retrieval tasks. */
HeadKind task_head_kind(const TaskInfo *t);
/* The task's fixed label list (cls/choice: data/task_labels.h; tagging: XTREME's UPOS / PAN-X labels.txt),
 * *n its size; NULL (n = 0) for QA and retrieval. */
const char *const *task_label_names(const TaskInfo *t, size_t *n);

#endif
