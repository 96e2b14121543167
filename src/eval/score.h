/* score.h — one language's predictions + gold → the official metrics of a task (the registry's metric:
 * XTREME accuracy, seqeval, SQuAD v1.1/v2.0, MLQA, BUCC, Tatoeba) as a JSON object. Readers: data/;
 * metric definitions: eval/metrics, seqeval, squad; the task table: tasks/registry. */
#ifndef XS_SCORE_H
#define XS_SCORE_H
#include "core/check.h"
#include "data/labels.h"
#include "data/squad_json.h"
#include "tasks/registry.h"
#include <jansson.h>

typedef struct ScoreOpts {
    const char *lang;          /* language code: needed by MLQA and by XNLI-1.0 TSV gold; NULL = none */
    const char *gold_format;   /* xnli/pawsx: "auto" (NULL) | "lines" | "xnli-tsv" | "pawsx-tsv"; auto picks
                                * xnli-tsv for xnli.{dev,test}.tsv and pawsx-tsv for {dev,test}_2k.tsv */
    int allow_missing;         /* QA v1.1 / MLQA: a question without a prediction scores 0 (official scripts) */
    const char *na_prob_path;  /* squad2: {"qid": P(no answer)} or NULL */
    double na_prob_thresh;     /* squad2: no answer when the probability exceeds it (evaluate-v2.0.py: 1.0) */
} ScoreOpts;

/* Defaults: no language, auto gold format, missing predictions are an error, no na-prob, threshold 1.0. */
ScoreOpts score_opts_default(void);

/* Scores pred_path against gold_path with t's metric and adds the metric keys to `out` (an object): accuracy
 * (+ correct, total); f1, precision, recall (+ counts; seqeval also accuracy, num_tokens, num_sentences);
 * exact_match, f1 (+ total, missing); squad2: exact, f1, total, HasAns_..., NoAns_..., best_.... Values in percent.
 * Returns 0, or -1 with err: unreadable/malformed files (file:line), mismatched ids or lengths, options that
 * do not apply to the task. */
int score_task(const TaskInfo *t, const char *pred_path, const char *gold_path, const ScoreOpts *o, json_t *out,
               XsErr *err);

/* The same on what the files hold, for callers that have it in memory (tasks/predict.c): score_task reads the
 * files and calls these, so both paths give identical JSON. The paths only name the inputs in errors.
 * score_labels_mem: t's accuracy / BUCC / Tatoeba metric; score_tags_mem: seqeval; score_squad_mem: t's QA
 * metric with o's language / allow_missing / na-prob options. */
int score_labels_mem(const TaskInfo *t, const LabelList *gold, const char *gold_path, const LabelList *pred,
                     const char *pred_path, json_t *out, XsErr *err);
int score_tags_mem(const TagFile *gold, const char *gold_path, const TagFile *pred, const char *pred_path, json_t *out,
                   XsErr *err);
int score_squad_mem(const TaskInfo *t, const SquadGold *gold, const QaPreds *pred, const char *pred_path,
                    const ScoreOpts *o, json_t *out, XsErr *err);

#endif
