/* cmd_score.c — `xstilts score`: one prediction file + its gold → the official metrics as JSON
 * on stdout. Parses argv only; readers are in data/, metric definitions in eval/. */
#include "cli/cli.h"
#include "core/util.h"
#include "data/labels.h"
#include "data/squad_json.h"
#include "eval/metrics.h"
#include "eval/seqeval.h"
#include "eval/squad.h"
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

typedef enum { T_XNLI, T_PAWSX, T_UDPOS, T_PANX, T_XQUAD, T_TYDIQA, T_SQUAD, T_SQUAD2, T_MLQA, T_BUCC, T_TATOEBA } Task;
static const char *TASKS[] = {"xnli", "pawsx", "udpos", "panx", "xquad", "tydiqa", "squad", "squad2", "mlqa", "bucc2018", "tatoeba"};
#define NTASKS (sizeof TASKS / sizeof TASKS[0])

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void fail(XsErr *err) { xs_die("score: %s", err->msg); }

static void put_real(json_t *o, const char *k, double v) { json_object_set_new(o, k, json_real(v)); }
static void put_int(json_t *o, const char *k, size_t v) { json_object_set_new(o, k, json_integer((json_int_t)v)); }

static void score_labels(Task t, const char *lang, const char *pred_path, const char *gold_path, const char *gfmt, json_t *o) {
    XsErr err = {0};
    LabelList gold, pred;
    const char *b = base_name(gold_path);
    int fmt = 0;  /* 0 lines, 1 xnli-tsv, 2 pawsx-tsv */
    if (!strcmp(gfmt, "xnli-tsv")) fmt = 1;
    else if (!strcmp(gfmt, "pawsx-tsv")) fmt = 2;
    else if (!strcmp(gfmt, "auto")) {
        if (t == T_XNLI && (!strcmp(b, "xnli.dev.tsv") || !strcmp(b, "xnli.test.tsv"))) fmt = 1;
        if (t == T_PAWSX && (!strcmp(b, "dev_2k.tsv") || !strcmp(b, "test_2k.tsv"))) fmt = 2;
    } else if (strcmp(gfmt, "lines")) xs_die("score: --gold-format expects auto, lines, xnli-tsv or pawsx-tsv, got '%s'", gfmt);
    if (fmt && t != T_XNLI && t != T_PAWSX) xs_die("score: --gold-format %s applies to xnli/pawsx only", gfmt);
    if (fmt == 1 && !lang) xs_die("score: XNLI-1.0 TSV gold needs --lang to pick its rows");
    int rc = fmt == 1 ? labels_read_xnli_tsv(gold_path, lang, &gold, &err)
           : fmt == 2 ? labels_read_pawsx_tsv(gold_path, &gold, &err)
                      : labels_read_lines(gold_path, &gold, &err);
    if (rc) fail(&err);
    if (labels_read_lines(pred_path, &pred, &err)) fail(&err);
    if (t == T_BUCC) {
        PrfResult r;
        if (metrics_bucc(&gold, gold_path, &pred, pred_path, &r, &err)) fail(&err);
        put_real(o, "f1", r.f1); put_real(o, "precision", r.precision); put_real(o, "recall", r.recall);
        put_int(o, "num_correct", r.ncorrect); put_int(o, "num_pred", r.npred); put_int(o, "num_gold", r.ngold);
    } else {
        AccuracyResult r;
        if (metrics_accuracy(&gold, gold_path, &pred, pred_path, t == T_TATOEBA, &r, &err)) fail(&err);
        put_real(o, "accuracy", r.accuracy);
        put_int(o, "correct", r.correct); put_int(o, "total", r.n);
    }
    labels_free(&gold); labels_free(&pred);
}

static void score_tags(const char *pred_path, const char *gold_path, json_t *o) {
    XsErr err = {0};
    TagFile gold, pred;
    if (tags_read(gold_path, &gold, &err)) fail(&err);
    if (tags_read(pred_path, &pred, &err)) fail(&err);
    SeqevalResult r;
    if (seqeval_score(&gold, gold_path, &pred, pred_path, &r, &err)) fail(&err);
    /* evaluate.py f1(): each × 100 */
    put_real(o, "f1", r.f1 * 100); put_real(o, "precision", r.precision * 100); put_real(o, "recall", r.recall * 100);
    put_real(o, "accuracy", r.accuracy * 100);
    put_int(o, "num_correct_chunks", r.tp); put_int(o, "num_pred_chunks", r.npred); put_int(o, "num_gold_chunks", r.ntrue);
    put_int(o, "num_tokens", r.ntokens); put_int(o, "num_sentences", gold.nsent);
    tags_free(&gold); tags_free(&pred);
}

static void score_qa(Task t, const char *lang, const char *pred_path, const char *gold_path, int allow_missing,
                     const char *na_path, double na_thresh, json_t *o) {
    XsErr err = {0};
    SqLang sl = SQ_SQUAD;
    if (t == T_MLQA) {
        if (!lang) xs_die("score: --task mlqa needs --lang (one of en es de ar hi vi zh)");
        int l = squad_lang_parse(lang);
        if (l < 0) xs_die("score: unknown MLQA language '%s' (the MLQA script knows en es de ar hi vi zh)", lang);
        sl = (SqLang)l;
    }
    SquadGold gold;
    QaPreds pred;
    if (squad_gold_read(gold_path, &gold, &err)) fail(&err);
    if (qa_preds_read(pred_path, &pred, &err)) fail(&err);
    if (t == T_SQUAD2) {
        if (allow_missing) xs_die("score: --allow-missing does not apply to squad2 (evaluate-v2.0.py fails on a missing prediction)");
        QaProbs na;
        if (na_path && qa_probs_read(na_path, &na, &err)) fail(&err);
        SquadV2Result r;
        if (squad_evaluate_v2(&gold, &pred, na_path ? &na : NULL, na_thresh, &r, &err))
            xs_die("score: %s: %s", pred_path, err.msg);
        put_real(o, "exact", r.exact); put_real(o, "f1", r.f1); put_int(o, "total", r.total);
        if (r.has_hasans) { put_real(o, "HasAns_exact", r.hasans_exact); put_real(o, "HasAns_f1", r.hasans_f1); put_int(o, "HasAns_total", r.hasans_total); }
        if (r.has_noans) { put_real(o, "NoAns_exact", r.noans_exact); put_real(o, "NoAns_f1", r.noans_f1); put_int(o, "NoAns_total", r.noans_total); }
        if (r.has_best) {
            put_real(o, "best_exact", r.best_exact); put_real(o, "best_exact_thresh", r.best_exact_thresh);
            put_real(o, "best_f1", r.best_f1); put_real(o, "best_f1_thresh", r.best_f1_thresh);
        }
        if (na_path) qa_probs_free(&na);
    } else {
        if (na_path) xs_die("score: --na-prob applies to squad2 only");
        SquadV1Result r;
        if (squad_evaluate_v1(&gold, &pred, sl, allow_missing, &r, &err)) xs_die("score: %s: %s", pred_path, err.msg);
        if (r.missing) log_warn("score: %zu question(s) without a prediction scored 0 (--allow-missing)", r.missing);
        put_real(o, "exact_match", r.exact_match); put_real(o, "f1", r.f1);
        put_int(o, "total", r.total); put_int(o, "missing", r.missing);
    }
    qa_preds_free(&pred);
    squad_gold_free(&gold);
}

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
    if (!task || !pred || !gold) xs_die("score: --task, --pred and --gold are required (see xstilts score --help)");
    if (strcmp(fmt, "json") && strcmp(fmt, "text")) xs_die("score: --format expects json or text, got '%s'", fmt);
    size_t t = 0;
    while (t < NTASKS && strcmp(TASKS[t], task)) t++;
    if (t == NTASKS)
        xs_die("score: unknown task '%s' (expected xnli, pawsx, udpos, panx, xquad, tydiqa, squad, squad2, mlqa, bucc2018 or tatoeba)", task);
    if (allow_missing && (t < T_XQUAD || t > T_MLQA)) xs_die("score: --allow-missing applies to QA tasks only");
    json_t *o = json_object();
    json_object_set_new(o, "task", json_string(task));
    if (lang) json_object_set_new(o, "lang", json_string(lang));
    switch ((Task)t) {
    case T_XNLI: case T_PAWSX: case T_BUCC: case T_TATOEBA: score_labels((Task)t, lang, pred, gold, gfmt, o); break;
    case T_UDPOS: case T_PANX: score_tags(pred, gold, o); break;
    default: score_qa((Task)t, lang, pred, gold, allow_missing, na, na_thresh, o); break;
    }
    if (!strcmp(fmt, "json")) {
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        CHECK(s, "json_dumps failed");
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
