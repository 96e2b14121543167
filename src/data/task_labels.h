/* task_labels.h — the label list of every classification / multiple-choice task, in one place:
 * a reader turns a gold label into its index here, a head's output k means labels[k]. */
#ifndef XS_TASK_LABELS_H
#define XS_TASK_LABELS_H
#include <stddef.h>

typedef struct TaskLabels {
    const char *task;            /* "mnli", "anli", "snli", "xnli", "qqp", "pawsx", "hellaswag", "cosmosqa", "commonsenseqa" */
    const char *const *labels;   /* (n) in head-output order */
    size_t n;
} TaskLabels;

/* NLI (MNLI, ANLI, SNLI, XNLI share one head): contradiction, entailment, neutral — the order of
 * HF transformers' MnliProcessor/XnliProcessor.get_labels() and of jiant's mnli/snli/xnli tasks
 * (ANLI's c/e/n in jiant is the same order). NOT the HF `datasets` glue/mnli order (e, n, c). */
extern const TaskLabels TASK_LABELS_NLI;
/* QQP is_duplicate and PAWS-X label: "0", "1" (HF QqpProcessor, jiant qqp/pawsx). */
extern const TaskLabels TASK_LABELS_BINARY;

/* The list of a task by name (case-sensitive, the names above), or NULL. */
const TaskLabels *task_labels_find(const char *task);
/* Index of s in l, or -1. */
int task_label_index(const TaskLabels *l, const char *s);

#endif
