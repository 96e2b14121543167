/* registry.c — the task table (google-research/xtreme evaluate.py: XTREME_TASK2LANGS, METRIC_FUNCTION,
 * XTREME_GROUP2TASK; SQuAD/MLQA official scripts) as data, with lookups. */
#include "tasks/registry.h"
#include <stdio.h>
#include <string.h>

static const TaskInfo TASKS[] = {
    {"pawsx", "PAWS-X", TASK_CLASSIFICATION, METRIC_ACCURACY, "accuracy", {"accuracy"},
     "de,en,es,fr,ja,ko,zh", GROUP_CLASSIFICATION, HP_CLS, 256, "pawsx"},
    {"xnli", "XNLI", TASK_CLASSIFICATION, METRIC_ACCURACY, "accuracy", {"accuracy"},
     "ar,bg,de,el,en,es,fr,hi,ru,sw,th,tr,ur,vi,zh", GROUP_CLASSIFICATION, HP_CLS, 256, "xnli"},
    {"panx", "PAN-X", TASK_TAGGING, METRIC_SEQEVAL, "f1", {"f1", "precision", "recall"},
     "ar,he,vi,id,jv,ms,tl,eu,ml,ta,te,af,nl,en,de,el,bn,hi,mr,ur,fa,fr,it,pt,es,bg,ru,ja,ka,ko,th,sw,yo,my,zh,kk,tr,et,fi,hu",
     GROUP_TAGGING, HP_TAG, 256, "panx"},
    {"udpos", "UD-POS", TASK_TAGGING, METRIC_SEQEVAL, "f1", {"f1", "precision", "recall"},
     "af,ar,bg,de,el,en,es,et,eu,fa,fi,fr,he,hi,hu,id,it,ja,kk,ko,mr,nl,pt,ru,ta,te,th,tl,tr,ur,vi,yo,zh", GROUP_TAGGING, HP_TAG, 256, "upos"},
    {"bucc2018", "BUCC", TASK_RETRIEVAL, METRIC_BUCC_F1, "f1", {"f1", "precision", "recall"}, "de,fr,ru,zh",
     GROUP_RETRIEVAL, HP_NONE, 0, NULL},
    {"tatoeba", "Tatoeba", TASK_RETRIEVAL, METRIC_TATOEBA, "accuracy", {"accuracy"},
     "ar,he,vi,id,jv,tl,eu,ml,ta,te,af,nl,de,el,bn,hi,mr,ur,fa,fr,it,pt,es,bg,ru,ja,ka,ko,th,sw,zh,kk,tr,et,fi,hu",
     GROUP_RETRIEVAL, HP_NONE, 0, NULL},
    {"xquad", "XQuAD", TASK_SPAN_QA, METRIC_SQUAD_V1, "f1", {"exact_match", "f1"}, "en,es,de,el,ru,tr,ar,vi,th,zh,hi",
     GROUP_QA, HP_QA, 384, NULL},
    {"mlqa", "MLQA", TASK_SPAN_QA, METRIC_MLQA, "f1", {"exact_match", "f1"}, "en,es,de,ar,hi,vi,zh", GROUP_QA, HP_QA, 384, NULL},
    {"tydiqa", "TyDiQA-GoldP", TASK_SPAN_QA, METRIC_SQUAD_V1, "f1", {"exact_match", "f1"}, "en,ar,bn,fi,id,ko,ru,sw,te",
     GROUP_QA, HP_QA, 384, NULL},
    /* English tasks outside XTREME: the study's intermediate tasks our readers read */
    {"mnli", "MNLI", TASK_CLASSIFICATION, METRIC_ACCURACY, "accuracy", {"accuracy"}, NULL, GROUP_NONE, HP_CLS, 256, "mnli"},
    {"anli", "ANLI", TASK_CLASSIFICATION, METRIC_ACCURACY, "accuracy", {"accuracy"}, NULL, GROUP_NONE, HP_CLS, 256, "anli"},
    {"snli", "SNLI", TASK_CLASSIFICATION, METRIC_ACCURACY, "accuracy", {"accuracy"}, NULL, GROUP_NONE, HP_CLS, 256, "snli"},
    {"qqp", "QQP", TASK_CLASSIFICATION, METRIC_ACCURACY, "accuracy", {"accuracy"}, NULL, GROUP_NONE, HP_CLS, 256, "qqp"},
    {"hellaswag", "HellaSwag", TASK_MULTIPLE_CHOICE, METRIC_ACCURACY, "accuracy", {"accuracy"}, NULL, GROUP_NONE,
     HP_CHOICE, 256, "hellaswag"},
    {"cosmosqa", "Cosmos QA", TASK_MULTIPLE_CHOICE, METRIC_ACCURACY, "accuracy", {"accuracy"}, NULL, GROUP_NONE,
     HP_CHOICE, 256, "cosmosqa"},
    {"commonsenseqa", "CommonsenseQA", TASK_MULTIPLE_CHOICE, METRIC_ACCURACY, "accuracy", {"accuracy"}, NULL,
     GROUP_NONE, HP_CHOICE, 256, "commonsenseqa"},
    {"squad", "SQuAD v1.1", TASK_SPAN_QA, METRIC_SQUAD_V1, "f1", {"exact_match", "f1"}, NULL, GROUP_NONE, HP_QA, 384, NULL},
    {"squad2", "SQuAD v2.0", TASK_SPAN_QA, METRIC_SQUAD_V2, "f1", {"exact", "f1"}, NULL, GROUP_NONE, HP_QA, 384, NULL},
};
enum { NTASKS = sizeof TASKS / sizeof TASKS[0] };

static const struct { const char *name, *label; } GROUPS[GROUP_COUNT] = {
    [GROUP_CLASSIFICATION] = {"classification", "Classification"},
    [GROUP_TAGGING] = {"tagging", "Structured prediction"},
    [GROUP_QA] = {"qa", "Question answering"},
    [GROUP_RETRIEVAL] = {"retrieval", "Retrieval"},
};

int task_count(void) { return NTASKS; }
const TaskInfo *task_at(int i) { return i >= 0 && i < NTASKS ? &TASKS[i] : NULL; }

int task_xtreme_count(void) {
    int n = 0;
    while (n < NTASKS && TASKS[n].xtreme_langs) n++;
    return n;
}

const TaskInfo *task_find(const char *name) {
    for (int t = 0; t < NTASKS; t++)
        if (!strcmp(TASKS[t].name, name)) return &TASKS[t];
    return NULL;
}

int task_has_lang(const TaskInfo *t, const char *lang) {
    if (!t->xtreme_langs) return 0;
    size_t n = strlen(lang);
    for (const char *p = t->xtreme_langs; *p;) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        if (l == n && !strncmp(p, lang, n)) return 1;
        p = c ? c + 1 : p + l;
    }
    return 0;
}

int task_num_langs(const TaskInfo *t) {
    if (!t->xtreme_langs) return 0;
    int n = 1;
    for (const char *p = t->xtreme_langs; *p; p++) n += *p == ',';
    return n;
}

void task_names_list(char *buf, size_t cap) {
    size_t k = 0;
    buf[0] = 0;
    int n = 0, total = 0;
    for (int t = 0; t < NTASKS; t++) total += TASKS[t].metric != METRIC_NONE;
    for (int t = 0; t < NTASKS; t++) {
        if (TASKS[t].metric == METRIC_NONE) continue;
        n++;
        if (k < cap) k += (size_t)snprintf(buf + k, cap - k, "%s%s", n == 1 ? "" : n == total ? " or " : ", ", TASKS[t].name);
    }
}

const char *task_group_name(TaskGroup g) { return g >= 0 && g < GROUP_COUNT ? GROUPS[g].name : NULL; }
const char *task_hp_name(TaskHp hp) {
    static const char *const names[] = {"none", "cls", "choice", "tag", "qa"};
    return (unsigned)hp < sizeof names / sizeof names[0] ? names[hp] : "none";
}
const char *task_group_label(TaskGroup g) { return g >= 0 && g < GROUP_COUNT ? GROUPS[g].label : NULL; }
