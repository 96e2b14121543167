/* defaults.c — the study's per-task hyperparameters (defaults.h): one table for `train` and `run`. */
#include "train/defaults.h"
#include <string.h>

void train_defaults(TaskDefaults *d, TrainRole role, const char *task, TaskType type) {
    memset(d, 0, sizeof *d);
    d->lr = 1e-5;
    d->warmup_ratio = 0.1;
    d->weight_decay = 0.01;
    d->max_grad_norm = 1.0;
    d->adam_eps = 1e-8;
    d->batch = 4;
    d->accum = 8;
    d->max_len = 256;
    d->qa_max_len = 384;
    d->doc_stride = 128;
    d->max_query_len = 64;
    d->eval_every = 1000;
    d->eval_examples = 500;
    d->patience = 30;
    if (role == TRAIN_ROLE_INTERMEDIATE) {
        d->epochs = 3;
        d->eval_every = 0; /* phase 1 runs its epochs; no early stopping (jiant's simple API) */
        return;
    }
    if (type == TASK_SPAN_QA) {
        d->accum = 4;
        d->max_len = 384;
    }
    if (type == TASK_RETRIEVAL) d->max_len = 512;
    const char *t = task ? task : "";
    if (!strcmp(t, "xnli")) d->epochs = 2;
    else if (!strcmp(t, "pawsx")) d->epochs = 5;
    else if (type == TASK_TAGGING) d->epochs = 10;
    else if (type == TASK_SPAN_QA) d->epochs = 2;
    else d->epochs = 3;
}

TrainRole train_task_role(const char *task) {
    const TaskInfo *t = task ? task_find(task) : NULL;
    if (t && ((t->xtreme_langs && t->type != TASK_RETRIEVAL) || !strcmp(t->name, "squad"))) return TRAIN_ROLE_TARGET;
    return TRAIN_ROLE_INTERMEDIATE;
}

void train_defaults_apply(const TaskDefaults *d, TrainConfig *c) {
    c->lr = d->lr;
    c->warmup_ratio = d->warmup_ratio;
    c->weight_decay = d->weight_decay;
    c->max_grad_norm = d->max_grad_norm;
    c->batch = d->batch;
    c->accum = d->accum;
    c->epochs = d->epochs;
    c->max_steps = 0;
}
