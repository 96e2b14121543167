/* registry.h — the one task table: name → type, metric, XTREME languages and category, the metric keys
 * evaluate.py averages, and the major metric reported. Pure data; scoring is eval/score.c, aggregation
 * eval/aggregate.c. Readers, featurizers and heads are to be added as fields here when they exist. */
#ifndef XS_REGISTRY_H
#define XS_REGISTRY_H
#include <stddef.h>

typedef enum {
    TASK_CLASSIFICATION,   /* one label per example (single sentence or pair) */
    TASK_MULTIPLE_CHOICE,  /* one of K (context, ending) pairs */
    TASK_TAGGING,          /* one tag per word */
    TASK_SPAN_QA,          /* extractive QA: a span of the context (SQuAD 2.0: or none) */
    TASK_RETRIEVAL,        /* no head: nearest neighbours of sentence embeddings */
    TASK_MLM               /* masked language modelling */
} TaskType;

typedef enum {
    METRIC_ACCURACY,       /* XTREME accuracy(): label strings, one per line */
    METRIC_SEQEVAL,        /* seqeval micro P/R/F1 over chunks (+ token accuracy) */
    METRIC_SQUAD_V1,       /* evaluate-v1.1.py EM/F1 */
    METRIC_SQUAD_V2,       /* evaluate-v2.0.py exact/f1 (+ HasAns/NoAns/best_*) */
    METRIC_MLQA,           /* mlqa_evaluation_v1.py EM/F1, language-specific normalization */
    METRIC_BUCC_F1,        /* P/R/F1 over mined (src, trg) id pairs */
    METRIC_TATOEBA,        /* accuracy of the predicted index */
    METRIC_NONE
} MetricKind;

/* Default hyperparameter class of a task (jiant/X-STILTs' per-type settings; docs/TRAINING.md). */
typedef enum { HP_NONE = 0, HP_CLS, HP_CHOICE, HP_TAG, HP_QA } TaskHp;

typedef enum { GROUP_NONE = -1, GROUP_CLASSIFICATION, GROUP_TAGGING, GROUP_QA, GROUP_RETRIEVAL, GROUP_COUNT } TaskGroup;

typedef struct TaskInfo {
    const char *name;            /* CLI and results.json key: "xnli", "bucc2018" */
    const char *label;           /* for reports: "XNLI", "TyDiQA-GoldP" */
    TaskType type;
    MetricKind metric;
    const char *major_metric;    /* the number the study reports, a key of the score JSON ("accuracy", "f1") */
    const char *metric_keys[4];  /* evaluate.py METRIC_FUNCTION keys aggregate averages, first required */
    const char *xtreme_langs;    /* evaluate.py XTREME_TASK2LANGS order (averages sum in it); NULL: not XTREME */
    TaskGroup group;             /* XTREME_GROUP2TASK; GROUP_NONE outside XTREME */
    /* For training and prediction (tasks/taskdata.h, tasks/predict.h); retrieval tasks: HP_NONE, 0, NULL. */
    TaskHp hp;                   /* head kind and default hyperparameters: HP_CLS → *ForSequenceClassification,
                                  * HP_CHOICE → *ForMultipleChoice, HP_TAG → *ForTokenClassification,
                                  * HP_QA → *ForQuestionAnswering */
    int max_len;                 /* default tokens per row: 256 (cls, choice, tagging), 384 (QA) */
    const char *labels;          /* label list of the head's outputs: the data/task_labels.h name (task_labels_find)
                                  * for cls/choice, "upos" / "panx" (data/tagging.h TAGS_*) for tagging; NULL for QA */
} TaskInfo;

/* Every task, XTREME's first in evaluate.py's order (pawsx xnli panx udpos bucc2018 tatoeba xquad mlqa
 * tydiqa), then the English intermediate tasks of the study (mnli anli snli qqp hellaswag cosmosqa
 * commonsenseqa squad squad2). The pointer is valid for the program's life. */
int task_count(void);
const TaskInfo *task_at(int i);
/* The XTREME tasks are exactly task_at(0 .. task_xtreme_count() - 1). */
int task_xtreme_count(void);
/* By name, or NULL. */
const TaskInfo *task_find(const char *name);
/* Is lang one of t's XTREME languages? */
int task_has_lang(const TaskInfo *t, const char *lang);
/* Number of XTREME languages of t (0 when not an XTREME task). */
int task_num_langs(const TaskInfo *t);
/* "a, b, c or d": every task name that has a metric, for messages, into buf (cap bytes, truncated). */
void task_names_list(char *buf, size_t cap);
/* Category key and label ("classification", "Classification"); GROUP_NONE gives NULL. */
const char *task_group_name(TaskGroup g);
const char *task_group_label(TaskGroup g);
/* "cls", "choice", "tag", "qa" ("none" for HP_NONE). */
const char *task_hp_name(TaskHp hp);

#endif
