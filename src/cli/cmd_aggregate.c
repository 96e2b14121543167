/* cmd_aggregate.c — `xstilts aggregate`: {task: {lang: {metric: value}}} JSON → XTREME report as JSON,
 * CSV and Markdown (atomic writes). The averaging lives in eval/aggregate.c. */
#include "cli/cli.h"
#include "core/util.h"
#include "eval/aggregate.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(void) {
    printf("usage: xstilts aggregate --in results.json [--out-json FILE] [--out-csv FILE] [--out-md FILE] [--allow-incomplete]\n"
           "\n"
           "results.json: {task: {lang: {metric: value}}} with XTREME task names (pawsx xnli udpos panx bucc2018\n"
           "tatoeba xquad mlqa tydiqa) and evaluate.py metric names (accuracy, f1, precision, recall, exact_match), in %%;\n"
           "or a JSON array of `xstilts score` outputs ({\"task\", \"lang\", metrics...}). Other keys are ignored.\n"
           "Computes what google-research/xtreme evaluate.py does: per task the average of each metric over the task's\n"
           "XTREME languages, the task score (QA: (EM+F1)/2), category averages (classification, tagging = structured\n"
           "prediction, qa, retrieval) when all their tasks are present, and all_task = the XTREME score when all 9 are.\n"
           "A task lacking one of its languages is an error unless --allow-incomplete (then it is averaged over the\n"
           "languages present, listed under \"incomplete\", and left out of category averages and the XTREME score).\n"
           "With no --out-* option the JSON report goes to stdout.\n");
}

int cmd_aggregate(int argc, char **argv) {
    const char *in = NULL, *oj = NULL, *oc = NULL, *om = NULL, *v;
    AggOpts o = {0};
    for (int i = 1; i < argc; i++) {
        if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) { help(); return 0; }
        if ((v = arg_str(argc, argv, &i, "--in"))) in = v;
        else if ((v = arg_str(argc, argv, &i, "--out-json"))) oj = v;
        else if ((v = arg_str(argc, argv, &i, "--out-csv"))) oc = v;
        else if ((v = arg_str(argc, argv, &i, "--out-md"))) om = v;
        else if (arg_flag(argv, i, "--allow-incomplete")) o.allow_incomplete = 1;
        else arg_unknown("aggregate", argv[i]);
    }
    if (!in) usage_error("--in FILE is required");
    XsErr err = {0};
    size_t len;
    char *text = file_read_all(in, &len, &err);
    if (!text) xs_die("%s", err.msg);
    json_error_t je;
    json_t *res = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!res) xs_die("%s:%d: expected JSON: %s (column %d)", in, je.line, je.text, je.column);
    json_t *rep = aggregate_xtreme(res, &o, in, &err);
    if (!rep) xs_die("%s", err.msg);
    char *txt = json_dumps(rep, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    if (!oj && !oc && !om) printf("%s\n", txt);
    if (oj) {
        size_t n = strlen(txt);
        txt[n] = '\n'; /* json_dumps' NUL becomes the trailing newline; length n+1 written */
        if (file_write_atomic(oj, txt, n + 1, &err)) xs_die("%s", err.msg);
    }
    if (oc && aggregate_write_csv(rep, oc, &err)) xs_die("%s", err.msg);
    if (om && aggregate_write_markdown(rep, om, &err)) xs_die("%s", err.msg);
    json_t *all = json_object_get(rep, "all_task");
    if (all) log_info("aggregate: XTREME score %.2f", json_real_value(all));
    else log_info("aggregate: no XTREME score (%s)", json_object_get(rep, "incomplete") ? "incomplete tasks" : "not all 9 tasks present");
    free(txt);
    json_decref(rep);
    json_decref(res);
    return 0;
}
