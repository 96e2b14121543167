/* task_labels.c — label tables per task (see task_labels.h for the order and where it comes from).
 * Readers map published spellings (ANLI e/n/c, XNLI-MT "contradictory") onto these names. */
#include "data/task_labels.h"
#include <string.h>

static const char *const NLI[] = {"contradiction", "entailment", "neutral"};
static const char *const BINARY[] = {"0", "1"};
static const char *const CHOICE4[] = {"0", "1", "2", "3"};     /* HellaSwag, Cosmos QA: the answer index */
static const char *const CHOICE5[] = {"A", "B", "C", "D", "E"}; /* CommonsenseQA answerKey */

const TaskLabels TASK_LABELS_NLI = {"nli", NLI, 3};
const TaskLabels TASK_LABELS_BINARY = {"binary", BINARY, 2};

static const TaskLabels TABLE[] = {
    {"mnli", NLI, 3},      {"anli", NLI, 3},           {"snli", NLI, 3},
    {"xnli", NLI, 3},      {"qqp", BINARY, 2},         {"pawsx", BINARY, 2},
    {"hellaswag", CHOICE4, 4}, {"cosmosqa", CHOICE4, 4}, {"commonsenseqa", CHOICE5, 5},
};

const TaskLabels *task_labels_find(const char *task) {
    for (size_t i = 0; i < sizeof TABLE / sizeof *TABLE; i++)
        if (!strcmp(TABLE[i].task, task)) return &TABLE[i];
    return NULL;
}

int task_label_index(const TaskLabels *l, const char *s) {
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->labels[i], s)) return (int)i;
    return -1;
}
