/* aggregate.h — per-language metrics of every XTREME task → task averages, category averages and the XTREME
 * score, as google-research/xtreme evaluate.py computes them; plus Markdown/CSV renderings. Scoring: score. */
#ifndef XS_AGGREGATE_H
#define XS_AGGREGATE_H
#include "core/check.h"
#include <jansson.h>

typedef struct AggOpts {
    /* 0 (default): a task present with one of its XTREME languages missing is an error, as evaluate.py's
     * FileNotFoundError. 1: the task is averaged over the languages present, listed under "incomplete",
     * and kept out of the category averages and the XTREME score. */
    int allow_incomplete;
} AggOpts;

/* results: {task: {lang: {metric: number}}} (metrics in percent, evaluate.py's names: accuracy, f1,
 * precision, recall, exact_match). Returns evaluate.py's report — {"all_task": x, group: x, ...,
 * task: {metric: {lang: v}, "avg_<metric>": v, "avg_metric": v}} — with "incomplete" / "ignored" keys added
 * only when something was incomplete or not an XTREME task/language. NULL + err on bad input;
 * `path` names the input in messages. */
json_t *aggregate_xtreme(const json_t *results, const AggOpts *opts, const char *path, XsErr *err);

/* Renderings of a report from aggregate_xtreme, written atomically. */
int aggregate_write_markdown(const json_t *report, const char *out_path, XsErr *err);
int aggregate_write_csv(const json_t *report, const char *out_path, XsErr *err);

#endif
