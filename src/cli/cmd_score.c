/* cmd_score.c — `xstilts score`: one prediction file + its gold → the official metrics as JSON
 * on stdout. Parses argv only; the task table is tasks/registry.c, the dispatch eval/score.c. */
#include "cli/cli.h"
#include "core/util.h"
#include "eval/score.h"
#include "tasks/registry.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *USAGE =
    "usage: xstilts score --task T --pred FILE --gold FILE [--lang L] [options]\n"
    "\n"
    "Scores one language's predictions with the official XTREME / SQuAD / MLQA / seqeval\n"
    "definitions and prints the metrics as JSON (0-100 scale, %.17g) on stdout.\n"
    "\n"
    "tasks and files:\n"
    "  xnli, pawsx    accuracy; pred: one label per line; gold: one label per line, or the\n"
    "                 original XNLI-1.0 xnli.{dev,test}.tsv (rows of --lang) / PAWS-X {dev,test}_2k.tsv\n"
    "  udpos, panx    seqeval micro P/R/F1 (default mode) + token accuracy; one tag per line\n"
    "                 (or token<TAB>tag), blank line between sentences, in both files\n"
    "  xquad, tydiqa, squad   SQuAD v1.1 EM/F1; pred {\"qid\": \"answer\"} JSON, gold SQuAD JSON\n"
    "  squad2         SQuAD v2.0 (evaluate-v2.0.py output dict); --na-prob FILE adds best_*\n"
    "  mlqa           MLQA EM/F1 for --lang en|es|de|ar|hi|vi|zh\n"
    "  bucc2018       P/R/F1 over 'src<TAB>trg' id pairs (one pair per line in both files)\n"
    "  tatoeba        accuracy of the predicted index per line vs the gold index per line\n"
    "\n"
    "options:\n"
    "  --lang L             language code (required for mlqa and for XNLI-1.0 TSV gold)\n"
    "  --gold-format F      auto (default) | lines | xnli-tsv | pawsx-tsv   (xnli, pawsx)\n"
    "                       auto: xnli.dev.tsv/xnli.test.tsv → xnli-tsv, dev_2k.tsv/test_2k.tsv → pawsx-tsv\n"
    "  --allow-missing      QA v1.1/MLQA: score questions without a prediction as 0 (the official\n"
    "                       scripts' behaviour); default: error\n"
    "  --na-prob FILE       squad2: {\"qid\": probability of no answer}\n"
    "  --na-prob-thresh X   squad2: predict no-answer when the probability exceeds X (default 1.0)\n"
    "  --format json|text   output format (default json)\n";

static void fail(XsErr *err) { xs_die("%s", err->msg); }

int cmd_score(int argc, char **argv) {
    const char *task = NULL, *lang = NULL, *pred = NULL, *gold = NULL, *gfmt = "auto", *na = NULL, *fmt = "json", *v;
    double na_thresh = 1.0;
    int allow_missing = 0;
    for (int i = 1; i < argc; i++) {
        if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) { fputs(USAGE, stdout); return 0; }
        if ((v = arg_str(argc, argv, &i, "--task"))) task = v;
        else if ((v = arg_str(argc, argv, &i, "--lang"))) lang = v;
        else if ((v = arg_str(argc, argv, &i, "--pred"))) pred = v;
        else if ((v = arg_str(argc, argv, &i, "--gold"))) gold = v;
        else if ((v = arg_str(argc, argv, &i, "--gold-format"))) gfmt = v;
        else if ((v = arg_str(argc, argv, &i, "--na-prob"))) na = v;
        else if ((v = arg_str(argc, argv, &i, "--format"))) fmt = v;
        else if (arg_double(argc, argv, &i, "--na-prob-thresh", &na_thresh)) {}
        else if (arg_flag(argv, i, "--allow-missing")) allow_missing = 1;
        else arg_unknown("score", argv[i]);
    }
    if (!task || !pred || !gold) usage_error("--task, --pred and --gold are required");
    if (strcmp(fmt, "json") && strcmp(fmt, "text")) usage_error("--format expects json or text, got '%s'", fmt);
    const TaskInfo *t = task_find(task);
    if (!t || t->metric == METRIC_NONE) {
        char names[512];
        task_names_list(names, sizeof names);
        usage_error("unknown task '%s' (expected %s)", task, names);
    }
    /* the library checks these too; here the messages name the flags */
    if (allow_missing && t->type != TASK_SPAN_QA) usage_error("--allow-missing applies to QA tasks only");
    if (allow_missing && t->metric == METRIC_SQUAD_V2)
        usage_error("--allow-missing does not apply to squad2 (evaluate-v2.0.py fails on a missing prediction)");
    if (na && t->metric != METRIC_SQUAD_V2) usage_error("--na-prob applies to squad2 only");
    if (strcmp(gfmt, "auto") && strcmp(gfmt, "lines") && strcmp(gfmt, "xnli-tsv") && strcmp(gfmt, "pawsx-tsv"))
        usage_error("--gold-format expects auto, lines, xnli-tsv or pawsx-tsv, got '%s'", gfmt);
    if ((!strcmp(gfmt, "xnli-tsv") || !strcmp(gfmt, "pawsx-tsv")) && strcmp(task, "xnli") && strcmp(task, "pawsx"))
        usage_error("--gold-format %s applies to xnli/pawsx only", gfmt);
    if (t->metric == METRIC_MLQA && !lang) usage_error("--task mlqa needs --lang (one of en es de ar hi vi zh)");
    const char *gb = strrchr(gold, '/') ? strrchr(gold, '/') + 1 : gold;
    if (!strcmp(task, "xnli") && !lang &&
        (!strcmp(gfmt, "xnli-tsv") || (!strcmp(gfmt, "auto") && (!strcmp(gb, "xnli.dev.tsv") || !strcmp(gb, "xnli.test.tsv")))))
        usage_error("XNLI-1.0 TSV gold needs --lang to pick its rows");
    ScoreOpts so = score_opts_default();
    so.lang = lang;
    so.gold_format = gfmt;
    so.allow_missing = allow_missing;
    so.na_prob_path = na;
    so.na_prob_thresh = na_thresh;
    XsErr err = {0};
    json_t *o = json_object();
    json_object_set_new(o, "task", json_string(task));
    if (lang) json_object_set_new(o, "lang", json_string(lang));
    if (score_task(t, pred, gold, &so, o, &err)) fail(&err);
    if (!strcmp(fmt, "json")) {
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        CHECK(s, "json_dumps failed (a metric that is not a finite number?)");
        printf("%s\n", s);
        free(s);
    } else {
        const char *k;
        json_t *val;
        json_object_foreach(o, k, val) {
            if (json_is_string(val)) printf("%s\t%s\n", k, json_string_value(val));
            else if (json_is_integer(val)) printf("%s\t%lld\n", k, (long long)json_integer_value(val));
            else printf("%s\t%.17g\n", k, json_real_value(val));
        }
    }
    json_decref(o);
    return 0;
}
