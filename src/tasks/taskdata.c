/* taskdata.c — a task's data file → examples (data/ readers), label list, gold, featurized rows. */
#include "tasks/taskdata.h"
#include "core/mem.h"
#include "data/task_labels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TaskDataOpts taskdata_opts_default(void) {
    TaskDataOpts o;
    memset(&o, 0, sizeof o);
    return o;
}

HeadKind task_head_kind(const TaskInfo *t) {
    switch (t->hp) {
    case HP_CLS: return HEAD_SEQ_CLS;
    case HP_CHOICE: return HEAD_MULTIPLE_CHOICE;
    case HP_TAG: return HEAD_TOKEN_CLS;
    case HP_QA: return HEAD_SPAN_QA;
    case HP_NONE: break;
    }
    return HEAD_NKINDS;
}

const char *const *task_label_names(const TaskInfo *t, size_t *n) {
    *n = 0;
    if (!t->labels) return NULL;
    if (t->hp == HP_TAG) {
        if (!strcmp(t->labels, "upos")) { *n = 17; return TAGS_UPOS; }
        if (!strcmp(t->labels, "panx")) { *n = 7; return TAGS_PANX; }
        return NULL;
    }
    const TaskLabels *l = task_labels_find(t->labels);
    if (!l) return NULL;
    *n = l->n;
    return l->labels;
}

static int load_pairs(TaskData *td, const TaskDataOpts *o, XsErr *err) {
    PairFormat f;
    int unlabeled = 0;
    if (o->format) {
        if (pair_format_parse(o->format, &f))
            return err_set(err, td->path, 0, "unknown sentence-pair layout '%s' for task %s", o->format, td->task->name);
    } else if (pair_format_guess(td->path, &f, &unlabeled))
        return err_set(err, td->path, 0,
                       "cannot tell the sentence-pair layout from the file name (task %s; known names: XTREME "
                       "download/{xnli,pawsx}/dev-en.tsv, MNLI dev_matched.tsv, ANLI R1/dev.jsonl, snli_1.0_dev.jsonl, "
                       "QQP dev.tsv, XNLI-1.0 xnli.dev.tsv, PAWS-X dev_2k.tsv); name the layout",
                       td->task->name);
    const TaskLabels *fl = pair_format_labels(f);
    if (fl->labels != td->labels || fl->n != td->nlabels)
        return err_set(err, td->path, 0, "a %s file has %zu labels (%s, ...), task %s has %zu (%s, ...)",
                       pair_format_name(f), fl->n, fl->labels[0], td->task->name, td->nlabels, td->labels[0]);
    PairReadOpts ro = {0};
    ro.unlabeled = unlabeled || o->unlabeled;
    ro.lang = o->lang;
    if (pairs_read(td->path, f, &ro, &td->pairs, err) < 0) return -1;
    td->labeled = !ro.unlabeled;
    td->n = td->pairs.n;
    return 0;
}

static int load_choices(TaskData *td, const TaskDataOpts *o, XsErr *err) {
    ChoiceFormat f;
    int unlabeled = 0;
    if (o->format) {
        if (choice_format_parse(o->format, &f))
            return err_set(err, td->path, 0, "unknown multiple-choice layout '%s' for task %s", o->format, td->task->name);
    } else if (choice_format_guess(td->path, &f, &unlabeled))
        return err_set(err, td->path, 0,
                       "cannot tell the multiple-choice layout from the file name (task %s expects e.g. "
                       "hellaswag_val.jsonl, dev_rand_split.jsonl, a cosmosqa folder's valid.csv); name the layout",
                       td->task->name);
    const TaskLabels *fl = choice_format_labels(f);
    if (fl->labels != td->labels || fl->n != td->nlabels)
        return err_set(err, td->path, 0, "a %s file has %zu choices (%s, ...), task %s has %zu (%s, ...)",
                       choice_format_name(f), fl->n, fl->labels[0], td->task->name, td->nlabels, td->labels[0]);
    ChoiceReadOpts ro = {0};
    ro.unlabeled = unlabeled || o->unlabeled;
    if (choices_read(td->path, f, &ro, &td->choices, err) < 0) return -1;
    for (size_t i = 0; i < td->choices.n; i++)
        if ((size_t)td->choices.v[i].nchoices != td->nlabels)
            return err_set(err, td->path, td->choices.v[i].line, "example %s has %d choices, task %s has %zu",
                           td->choices.v[i].id, td->choices.v[i].nchoices, td->task->name, td->nlabels);
    td->labeled = !ro.unlabeled;
    td->n = td->choices.n;
    return 0;
}

static int load_tags(TaskData *td, const TaskDataOpts *o, XsErr *err) {
    TagFormat f;
    int untagged = 0;
    char lang[16] = "";
    int guessed = tag_format_guess(td->path, &f, &untagged, lang) == 0;
    if (o->format) {
        if (tag_format_parse(o->format, &f))
            return err_set(err, td->path, 0, "unknown tagging layout '%s' for task %s", o->format, td->task->name);
    } else if (!guessed)
        return err_set(err, td->path, 0,
                       "cannot tell the tagging layout from the file name (task %s expects e.g. *.conllu, XTREME "
                       "download/%s/dev-en.tsv, PAN-X en-dev); name the layout",
                       td->task->name, td->task->name);
    if (!td->lang[0]) snprintf(td->lang, sizeof td->lang, "%s", lang);
    TagReadOpts ro = {0};
    ro.untagged = untagged || o->unlabeled;
    ro.lang = td->lang[0] ? td->lang : NULL;
    if (tagging_read(td->path, f, &ro, &td->tags, err) < 0) return -1;
    td->labeled = !ro.untagged;
    td->n = td->tags.n;
    return 0;
}

static int load_qa(TaskData *td, XsErr *err) {
    /* MLQA scores with the context language: "{dev,test}-context-XX-question-YY.json" names it */
    const char *c = strstr(td->path, "context-");
    if (!td->lang[0] && td->task->metric == METRIC_MLQA && c && !strchr(c, '/')) {
        size_t n = strcspn(c + 8, "-.");
        if (n > 0 && n < sizeof td->lang) memcpy(td->lang, c + 8, n), td->lang[n] = 0;
    }
    if (qa_read(td->path, NULL, &td->qa, err) < 0) return -1;
    td->labeled = 1;
    td->n = td->qa.n;
    return 0;
}

int taskdata_load(TaskData *td, const TaskInfo *task, const char *path, const Tokenizer *tok,
                  const TaskDataOpts *opts, XsErr *err) {
    memset(td, 0, sizeof *td);
    TaskDataOpts o = opts ? *opts : taskdata_opts_default();
    td->task = task;
    td->head = task_head_kind(task);
    if (td->head == HEAD_NKINDS)
        return err_set(err, NULL, 0, "task %s has no head to predict with (retrieval: encode + retrieve)", task->name);
    if (o.max_len < 0 || o.qa_stride < 0 || o.qa_max_query < 0)
        return err_set(err, NULL, 0, "bad data options (max_len %d, stride %d, max_query %d)", o.max_len, o.qa_stride,
                       o.qa_max_query);
    int max_len = o.max_len ? o.max_len : task->max_len;
    if (max_len < 8) return err_set(err, NULL, 0, "max_len %d: too short for a row (at least 8 tokens)", max_len);
    td->path = xstrdup(path);
    if (o.lang) snprintf(td->lang, sizeof td->lang, "%s", o.lang);
    td->labels = task_label_names(task, &td->nlabels);
    int rc = 0;
    switch (task->type) {
    case TASK_CLASSIFICATION: rc = load_pairs(td, &o, err); break;
    case TASK_MULTIPLE_CHOICE: rc = load_choices(td, &o, err); break;
    case TASK_TAGGING: rc = load_tags(td, &o, err); break;
    case TASK_SPAN_QA: rc = load_qa(td, err); break;
    default: rc = err_set(err, NULL, 0, "task %s has no data to predict", task->name); break;
    }
    if (rc) goto fail;
    if (o.max_examples && o.max_examples < td->n) td->n = o.max_examples;
    if (td->n == 0) {
        rc = err_set(err, path, 0, "no examples for task %s", task->name);
        goto fail;
    }
    /* featurize the first n: shallow copies of the sets with n cut (the sets keep owning everything) */
    switch (task->type) {
    case TASK_CLASSIFICATION: {
        feat_rows_init(&td->rows, FEAT_PAIR, max_len, tok);
        PairSet sub = td->pairs;
        sub.n = td->n;
        rc = feat_pairs(&td->rows, tok, &sub, err);
        td->gold = xmalloc(td->n * sizeof *td->gold);
        for (size_t i = 0; i < td->n; i++) td->gold[i] = td->pairs.v[i].label;
        break;
    }
    case TASK_MULTIPLE_CHOICE: {
        feat_rows_init(&td->rows, FEAT_CHOICE, max_len, tok);
        ChoiceSet sub = td->choices;
        sub.n = td->n;
        rc = feat_choices(&td->rows, tok, &sub, err);
        td->gold = xmalloc(td->n * sizeof *td->gold);
        for (size_t i = 0; i < td->n; i++) td->gold[i] = td->choices.v[i].label;
        break;
    }
    case TASK_TAGGING: {
        tagset_init_names(&td->tagset, td->labels, td->nlabels);
        feat_rows_init(&td->rows, FEAT_TAG, max_len, tok);
        TagCorpus sub = td->tags;
        sub.n = td->n;
        rc = feat_tags(&td->rows, tok, &sub, &td->tagset, NULL, NULL, err);
        if (rc) err_prefix(err, "%s: task %s: ", path, task->name);
        break;
    }
    default: {
        feat_rows_init(&td->rows, FEAT_QA, max_len, tok);
        QaSet sub = td->qa;
        sub.n = td->n;
        FeatQaOpts qo = {o.qa_stride, o.qa_max_query};
        rc = feat_qas(&td->rows, tok, &sub, &qo, err);
        if (rc) err_prefix(err, "%s: ", path);
        break;
    }
    }
    if (rc) goto fail;
    /* rows of each example: consecutive, in example order (featurize.h) */
    td->row0 = xcalloc(td->n + 1, sizeof *td->row0);
    size_t r = 0;
    for (size_t i = 0; i < td->n; i++) {
        td->row0[i] = r;
        while (r < td->rows.n && td->rows.info[r].example == (int64_t)i) r++;
        if (r == td->row0[i]) {
            rc = err_set(err, path, 0, "example %zu gave no row (featurization)", i + 1);
            goto fail;
        }
    }
    td->row0[td->n] = r;
    CHECK(r == td->rows.n, "taskdata: %zu rows, %zu claimed by examples", td->rows.n, r);
    return 0;
fail:
    taskdata_free(td);
    return -1;
}

void taskdata_free(TaskData *td) {
    pairs_free(&td->pairs);
    choices_free(&td->choices);
    tag_corpus_free(&td->tags);
    qa_set_free(&td->qa);
    tagset_free(&td->tagset);
    feat_rows_free(&td->rows);
    free(td->gold);
    free(td->row0);
    free(td->path);
    memset(td, 0, sizeof *td);
}
