/* cmd_predict.c — `xstilts predict`: a model folder with a task head + a data file → the task's official
 * prediction file (and, with gold in the file, its metrics). Parses argv only; the work is tasks/taskdata.c and
 * tasks/predict.c. */
#include "cli/cli.h"
#include "core/check.h"
#include "core/util.h"
#include "tasks/predict.h"
#include "tasks/registry.h"
#include "tasks/taskdata.h"
#include "tok/tokenizer.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *USAGE =
    "usage: xstilts predict --task T --model DIR --data FILE --out FILE [options]\n"
    "\n"
    "Runs the model folder DIR (a Hugging Face folder with the task's head, e.g. written by xstilts train;\n"
    "its tokenizer files) over FILE in eval mode and writes the task's official prediction file to FILE\n"
    "(atomically; - = stdout):\n"
    "  xnli pawsx mnli anli snli qqp            one label per line (contradiction/entailment/neutral, 0/1)\n"
    "  hellaswag cosmosqa commonsenseqa         one choice per line (0-3, A-E)\n"
    "  udpos panx                               one tag per word and line, a blank line after each sentence\n"
    "  xquad mlqa tydiqa squad squad2           {\"question id\": \"answer\"} JSON (n-best 20, at most 30 tokens)\n"
    "FILE's layout is guessed from its name as `xstilts train` does (XTREME download/ files, the published\n"
    "files); --format names it. Label and tag sets are fixed per task (docs/TASKS.md).\n"
    "\n"
    "options:\n"
    "  --batch N          examples (tagging, QA: windows) per forward pass (default 32)\n"
    "  --max-len L        tokens per row (default: 256; QA 384)\n"
    "  --max-examples N   only the first N examples of FILE\n"
    "  --stride N         QA: overlap of consecutive context windows in tokens (default 128)\n"
    "  --max-query N      QA: question tokens kept (default 64)\n"
    "  --format F         FILE's layout: pairs (xnli, xtreme-xnli, pawsx, xtreme-pawsx, mnli-tsv, ...),\n"
    "                     choices (hellaswag, cosmosqa-csv, ...), tagging (conllu, columns, panx, ...)\n"
    "  --lang L           XNLI-1.0 TSV rows of L; CoNLL-U POS rules; MLQA scoring language\n"
    "  --unlabeled        FILE has no gold (also guessed for test files): predictions only\n"
    "  --tag-words        tagging: write word<TAB>tag lines (xstilts score reads both)\n"
    "  --metrics FILE     also score the predictions against FILE's gold (the same numbers as xstilts score\n"
    "                     on --out and the gold) and write the metrics JSON there (- = stdout)\n"
    "  --quiet            no progress bar and summary on stderr\n";

static void fail(const XsErr *err) { xs_die("%s", err->msg); }

int cmd_predict(int argc, char **argv) {
    const char *task = NULL, *model = NULL, *data = NULL, *out = NULL, *metrics = NULL, *fmt = NULL, *lang = NULL, *v;
    OptLong batch = {32, 0}, max_len = {0, 0}, max_ex = {0, 0}, stride = {0, 0}, max_query = {0, 0};
    int unlabeled = 0, tag_words = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) { fputs(USAGE, stdout); return 0; }
        if ((v = arg_str(argc, argv, &i, "--task"))) task = v;
        else if ((v = arg_str(argc, argv, &i, "--model"))) model = v;
        else if ((v = arg_str(argc, argv, &i, "--data"))) data = v;
        else if ((v = arg_str(argc, argv, &i, "--out"))) out = v;
        else if ((v = arg_str(argc, argv, &i, "--metrics"))) metrics = v;
        else if ((v = arg_str(argc, argv, &i, "--format"))) fmt = v;
        else if ((v = arg_str(argc, argv, &i, "--lang"))) lang = v;
        else if (arg_long_in(argc, argv, &i, "--batch", 1, 65536, &batch)) {}
        else if (arg_long_in(argc, argv, &i, "--max-len", 8, 65536, &max_len)) {}
        else if (arg_long_in(argc, argv, &i, "--max-examples", 1, 1L << 40, &max_ex)) {}
        else if (arg_long_in(argc, argv, &i, "--stride", 1, 65536, &stride)) {}
        else if (arg_long_in(argc, argv, &i, "--max-query", 1, 65536, &max_query)) {}
        else if (arg_flag(argv, i, "--unlabeled")) unlabeled = 1;
        else if (arg_flag(argv, i, "--tag-words")) tag_words = 1;
        else if (arg_flag(argv, i, "--quiet")) quiet = 1;
        else arg_unknown("predict", argv[i]);
    }
    if (!task || !model || !data || !out) usage_error("--task, --model, --data and --out are required");
    const TaskInfo *t = task_find(task);
    if (!t || t->hp == HP_NONE) {
        char names[512];
        size_t k = 0;
        names[0] = 0;
        for (int i = 0; i < task_count(); i++)
            if (task_at(i)->hp != HP_NONE && k < sizeof names)
                k += (size_t)snprintf(names + k, sizeof names - k, "%s%s", k ? ", " : "", task_at(i)->name);
        usage_error("unknown task '%s'%s (expected one of %s)", task, t ? " for predict (retrieval: encode + retrieve)" : "",
                    names);
    }
    if ((stride.set || max_query.set) && t->hp != HP_QA) usage_error("--stride and --max-query apply to QA tasks only");
    if (tag_words && t->hp != HP_TAG) usage_error("--tag-words applies to tagging tasks (udpos, panx) only");
    if (metrics && unlabeled) usage_error("--metrics needs gold labels; --unlabeled says FILE has none");

    XsErr err = {0};
    if (out_check(out, &err) || (metrics && out_check(metrics, &err))) fail(&err);
    Tokenizer *tok = tokenizer_open(model, &err);
    if (!tok) fail(&err);
    TaskDataOpts to = taskdata_opts_default();
    to.max_len = (int)max_len.v;
    to.max_examples = (size_t)max_ex.v;
    to.qa_stride = (int)stride.v;
    to.qa_max_query = (int)max_query.v;
    to.format = fmt;
    to.lang = lang;
    to.unlabeled = unlabeled;
    TaskData td;
    if (taskdata_load(&td, t, data, tok, &to, &err)) fail(&err);
    if (metrics && !td.labeled) {
        err_set(&err, data, 0, "has no gold labels (a test file?): --metrics cannot score it");
        fail(&err);
    }
    Model m;
    HeadConfig hc;
    if (predict_load_model(model, &td, &m, &hc, &err)) fail(&err);
    PredictOpts po = predict_opts_default();
    po.batch = (int)batch.v;
    po.progress = !quiet;
    Predictions p;
    if (predict_run(&m, &hc, &td, &p, &po, &err)) fail(&err);
    PredictWriteOpts wo = {tag_words};
    if (predict_write(&td, &p, out, &wo, &err)) fail(&err);
    if (!quiet)
        fprintf(stderr, "xstilts predict: %s, %zu examples (%zu rows) in %.2f s → %s\n", task, td.n, p.nrows, p.seconds,
                out);
    if (metrics) {
        json_t *mj;
        double major;
        if (predict_score(&td, &p, &mj, &major, &err)) fail(&err);
        json_t *o = json_object();
        json_object_set_new(o, "task", json_string(task));
        if (td.lang[0]) json_object_set_new(o, "lang", json_string(td.lang));
        json_object_update(o, mj);
        json_object_set_new(o, "major", json_real(major));
        json_decref(mj);
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        json_decref(o);
        CHECK(s, "json_dumps failed");
        AtomicFile af;
        if (atomic_open(&af, metrics, &err)) fail(&err);
        fprintf(af.f, "%s\n", s);
        free(s);
        if (atomic_commit(&af, &err)) fail(&err);
    }
    predictions_free(&p);
    model_free(&m);
    taskdata_free(&td);
    tokenizer_free(tok);
    return 0;
}
