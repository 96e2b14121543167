/* predict.h — a model with a task head over a TaskData (tasks/taskdata.h): eval-mode forward passes in
 * batches → one prediction per example (class, choice, per-word tags, answer text), written in the
 * official prediction format, or scored in memory with the same functions `xstilts score` uses. */
#ifndef XS_PREDICT_H
#define XS_PREDICT_H
#include "core/check.h"
#include "eval/qa_post.h"
#include "model/model_head.h"
#include "tasks/taskdata.h"
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct PredictOpts {
    int batch;           /* examples per forward pass (multiple choice: examples of nchoices rows; tagging and
                          * QA: rows = windows); 0 = 32 */
    QaPostOpts qa;       /* n-best / max answer length; zeros = 20 / 30 (XTREME run_squad) */
    double null_threshold; /* SQuAD 2.0 tasks (METRIC_SQUAD_V2): the answer is "" when the null score (the
                          * smallest start[0] + end[0] over the windows) exceeds the best span's score by more
                          * than this (HF utils_qa version_2_with_negative, null_score_diff_threshold 0.0) */
    int progress;        /* 1: a progress bar on stderr (quiet off a TTY) */
} PredictOpts;

PredictOpts predict_opts_default(void);

typedef struct Predictions {
    HeadKind head;
    size_t n;            /* examples (td->n) */
    int32_t *label;      /* [n] SEQ_CLS: class; MULTIPLE_CHOICE: choice; index into td->labels. Else NULL */
    int32_t *tags;       /* TOKEN_CLS: per-word tag indices, example i = tags[word0[i] .. word0[i + 1]) */
    size_t *word0;       /* [n + 1] */
    char **answers;      /* [n] SPAN_QA: answer text of example i (td->qa.v[i].id) */
    size_t nrows;        /* rows run through the model */
    double seconds;      /* wall time of predict_run */
} Predictions;

/* Runs m (encoder in eval mode: no dropout; head hc bound by name in m's table) over td's rows in batches of
 * up to opts->batch examples (rows for tagging/QA), each cut to its longest row (QA: padded to max_len, as
 * HF run_qa pads), with buffers and states allocated once per call. Predictions: argmax of the logits
 * (first maximum on ties, as torch.argmax); tagging: the tag at each word's first sub-token, words gathered
 * across windows (feat_tag_words); QA: eval/qa_post.h over the example's windows (n-best, max answer
 * length, XTREME's max-context rule; SQuAD 2.0: "" when the null score wins). Errors: hc not td's head kind, a label count that is not td's, rows
 * longer than the model's positions, ids outside its vocabulary, NaN logits. opts may be NULL. */
int predict_run(const Model *m, const HeadConfig *hc, const TaskData *td, Predictions *out, const PredictOpts *opts,
                XsErr *err);
void predictions_free(Predictions *p);

/* What predict_write writes for tagging. */
typedef struct PredictWriteOpts {
    int tag_words;       /* tagging: "word<TAB>tag" lines instead of the tag alone */
} PredictWriteOpts;

/* The official prediction file of td's task, atomically (path "-" = stdout): classification and multiple
 * choice: one label string per example and line (XTREME evaluate.py read_label; choice: the task's choice
 * names "0".."3" / "A".."E"); tagging: one tag per word and line, a blank line after every sentence
 * (run_tag.py / evaluate.py read_tag; opts->tag_words: "word<TAB>tag", which `xstilts score` also reads);
 * QA: {"qid": "answer", ...} JSON in example order (SQuAD predictions). opts may be NULL. */
int predict_write(const TaskData *td, const Predictions *p, const char *path, const PredictWriteOpts *opts,
                  XsErr *err);

/* Scores p against td's gold in memory with the functions behind `xstilts score` (eval/score.h
 * score_labels_mem / score_tags_mem / score_squad_mem), so the JSON *metrics_out (new object, caller
 * json_decref()s) has the same keys and values as `xstilts score` on predict_write's file and td's gold.
 * *major_out (may be NULL): accuracy (cls, choice), seqeval F1 (tagging), (EM + F1) / 2 (QA: exact_match or
 * SQuAD 2.0's exact) — the number the trainer's early stopping compares (jiant's major metric). Errors: td
 * unlabeled, MLQA without a language. Cheap: no file is read. */
int predict_score(const TaskData *td, const Predictions *p, json_t **metrics_out, double *major_out, XsErr *err);

/* predict_run + predict_score + predictions_free: one dev evaluation (the trainer's early stopping) on a TaskData
 * loaded once. metrics_out may be NULL (only the major value wanted). */
int predict_evaluate(const Model *m, const HeadConfig *hc, const TaskData *td, const PredictOpts *opts,
                     json_t **metrics_out, double *major_out, XsErr *err);

/* The folder of a model trained for td's task: config.json must name the head td needs (HF class, e.g.
 * XLMRobertaForTokenClassification) with td's label count, and its id2label names, when they are not HF's
 * generic LABEL_i, must be td's labels in order; then model_load_head(..., MODEL_LOAD_STRICT) (every head
 * tensor in the file). Errors name the folder, the head it has and the head the task needs. */
int predict_load_model(const char *dir, const TaskData *td, Model *m, HeadConfig *hc, XsErr *err);

#endif
