/* score.c — the task → metric dispatch of `xstilts score` (and later predict/run): reads the gold and
 * prediction files the task's metric needs and fills a JSON object with the official numbers. */
#include "eval/score.h"
#include "core/util.h"
#include "data/labels.h"
#include "core/mem.h"
#include "data/squad_json.h"
#include "data/tagging.h"
#include "eval/metrics.h"
#include "eval/seqeval.h"
#include "eval/squad.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

ScoreOpts score_opts_default(void) {
    ScoreOpts o;
    memset(&o, 0, sizeof o);
    o.gold_format = "auto";
    o.na_prob_thresh = 1.0;
    return o;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* JSON has no NaN / Inf (jansson's json_real returns NULL for them and the key would silently vanish):
 * every metric here is a finite ratio of counts, so a non-finite one is a bug. */
static void put_real(json_t *o, const char *k, double v) {
    CHECK(isfinite(v), "metric %s is %g: JSON has no NaN/Inf", k, v);
    json_object_set_new(o, k, json_real(v));
}
static void put_int(json_t *o, const char *k, size_t v) { json_object_set_new(o, k, json_integer((json_int_t)v)); }

int score_labels_mem(const TaskInfo *t, const LabelList *gold, const char *gold_path, const LabelList *pred,
                     const char *pred_path, json_t *out, XsErr *err) {
    int rc;
    if (t->metric == METRIC_BUCC_F1) {
        PrfResult r;
        rc = metrics_bucc(gold, gold_path, pred, pred_path, &r, err);
        if (!rc) {
            put_real(out, "f1", r.f1); put_real(out, "precision", r.precision); put_real(out, "recall", r.recall);
            put_int(out, "num_correct", r.ncorrect); put_int(out, "num_pred", r.npred); put_int(out, "num_gold", r.ngold);
        }
    } else {
        AccuracyResult r;
        rc = metrics_accuracy(gold, gold_path, pred, pred_path, t->metric == METRIC_TATOEBA, &r, err);
        if (!rc) {
            put_real(out, "accuracy", r.accuracy);
            put_int(out, "correct", r.correct); put_int(out, "total", r.n);
        }
    }
    return rc;
}

static int score_labels(const TaskInfo *t, const char *pred_path, const char *gold_path, const ScoreOpts *o, json_t *out,
                        XsErr *err) {
    LabelList gold, pred;
    const char *b = base_name(gold_path), *gfmt = o->gold_format ? o->gold_format : "auto";
    int fmt = 0; /* 0 lines, 1 xnli-tsv, 2 pawsx-tsv */
    int xnli = !strcmp(t->name, "xnli"), pawsx = !strcmp(t->name, "pawsx");
    if (!strcmp(gfmt, "xnli-tsv")) fmt = 1;
    else if (!strcmp(gfmt, "pawsx-tsv")) fmt = 2;
    else if (!strcmp(gfmt, "auto")) {
        if (xnli && (!strcmp(b, "xnli.dev.tsv") || !strcmp(b, "xnli.test.tsv"))) fmt = 1;
        if (pawsx && (!strcmp(b, "dev_2k.tsv") || !strcmp(b, "test_2k.tsv"))) fmt = 2;
    } else if (strcmp(gfmt, "lines"))
        return err_set(err, NULL, 0, "gold format expects auto, lines, xnli-tsv or pawsx-tsv, got '%s'", gfmt);
    if (fmt && !xnli && !pawsx) return err_set(err, NULL, 0, "gold format %s applies to xnli/pawsx only", gfmt);
    if (fmt == 1 && !o->lang) return err_set(err, gold_path, 0, "XNLI-1.0 TSV gold needs a language to pick its rows");
    int rc = fmt == 1 ? labels_read_xnli_tsv(gold_path, o->lang, &gold, err)
           : fmt == 2 ? labels_read_pawsx_tsv(gold_path, &gold, err)
                      : labels_read_lines(gold_path, &gold, err);
    if (rc) return -1;
    if (labels_read_lines(pred_path, &pred, err)) { labels_free(&gold); return -1; }
    rc = score_labels_mem(t, &gold, gold_path, &pred, pred_path, out, err);
    labels_free(&gold);
    labels_free(&pred);
    return rc;
}

int score_tags_mem(const TagFile *gold, const char *gold_path, const TagFile *pred, const char *pred_path, json_t *out,
                   XsErr *err) {
    SeqevalResult r;
    int rc = seqeval_score(gold, gold_path, pred, pred_path, &r, err);
    if (!rc) {
        /* evaluate.py f1(): each × 100 */
        put_real(out, "f1", r.f1 * 100); put_real(out, "precision", r.precision * 100); put_real(out, "recall", r.recall * 100);
        put_real(out, "accuracy", r.accuracy * 100);
        put_int(out, "num_correct_chunks", r.tp); put_int(out, "num_pred_chunks", r.npred);
        put_int(out, "num_gold_chunks", r.ntrue); put_int(out, "num_tokens", r.ntokens);
        put_int(out, "num_sentences", gold->nsent);
    }
    return rc;
}

/* A gold file in a published tagging layout the tagging reader knows (CoNLL-U, PAN-X as published,
 * GermEval, jiant's CCG) is read as `predict` reads it (CoNLL-U: XTREME's conversion, multi-word tokens
 * fused, empty nodes dropped), so a prediction file written by predict from that file lines up word for
 * word. Reading such a file as plain columns would take its last column as the tag: silently wrong. */
typedef struct GoldCtx { TagFile *t; size_t cap_tags, cap_tline, cap_sent, cap_sline; } GoldCtx;

static int gold_sentence(void *vctx, const TagSentence *s, XsErr *err) {
    GoldCtx *c = vctx;
    TagFile *t = c->t;
    (void)err;
    for (size_t i = 0; i < s->n; i++) {
        t->tags = xgrow(t->tags, &c->cap_tags, t->ntags + 1, sizeof *t->tags, 4096);
        t->tag_line = xgrow(t->tag_line, &c->cap_tline, t->ntags + 1, sizeof *t->tag_line, 4096);
        t->tags[t->ntags] = xstrdup(s->tags[i]);
        t->tag_line[t->ntags++] = s->line;
    }
    t->sent = xgrow(t->sent, &c->cap_sent, t->nsent + 2, sizeof *t->sent, 1024);
    t->sent_line = xgrow(t->sent_line, &c->cap_sline, t->nsent + 1, sizeof *t->sent_line, 1024);
    t->sent_line[t->nsent] = s->line;
    t->sent[++t->nsent] = t->ntags;
    return 0;
}

static int gold_tags_read(const char *path, TagFile *out, XsErr *err) {
    TagFormat f;
    int untagged = 0;
    char lang[16];
    if (tag_format_guess(path, &f, &untagged, lang) || f == TAGF_COLUMNS) return tags_read(path, out, err);
    if (untagged) return err_set(err, path, 0, "this file carries no tags: it cannot be the gold");
    memset(out, 0, sizeof *out);
    GoldCtx c = {out, 0, 0, 1, 0};
    out->sent = xmalloc(sizeof *out->sent);
    out->sent[0] = 0;
    TagReadOpts o;
    memset(&o, 0, sizeof o);
    o.lang = lang[0] ? lang : NULL;
    if (tagging_stream(path, f, &o, gold_sentence, &c, NULL, err) < 0) { tags_free(out); return -1; }
    return 0;
}

static int score_tags(const char *pred_path, const char *gold_path, json_t *out, XsErr *err) {
    TagFile gold, pred;
    if (gold_tags_read(gold_path, &gold, err)) return -1;
    if (tags_read(pred_path, &pred, err)) { tags_free(&gold); return -1; }
    int rc = score_tags_mem(&gold, gold_path, &pred, pred_path, out, err);
    tags_free(&gold);
    tags_free(&pred);
    return rc;
}

/* The QA options check and language, shared by the file and in-memory paths. */
static int qa_setup(const TaskInfo *t, const ScoreOpts *o, SqLang *sl, XsErr *err) {
    *sl = SQ_SQUAD;
    if (t->metric == METRIC_MLQA) {
        if (!o->lang) return err_set(err, NULL, 0, "mlqa needs a language (one of en es de ar hi vi zh)");
        int l = squad_lang_parse(o->lang);
        if (l < 0) return err_set(err, NULL, 0, "unknown MLQA language '%s' (the MLQA script knows en es de ar hi vi zh)", o->lang);
        *sl = (SqLang)l;
    }
    if (t->metric == METRIC_SQUAD_V2 && o->allow_missing)
        return err_set(err, NULL, 0, "allowing missing predictions does not apply to squad2 (evaluate-v2.0.py fails on a missing prediction)");
    if (t->metric != METRIC_SQUAD_V2 && o->na_prob_path) return err_set(err, NULL, 0, "no-answer probabilities apply to squad2 only");
    return 0;
}

int score_squad_mem(const TaskInfo *t, const SquadGold *gold, const QaPreds *pred, const char *pred_path,
                    const ScoreOpts *o, json_t *out, XsErr *err) {
    SqLang sl;
    if (qa_setup(t, o, &sl, err)) return -1;
    int rc = 0;
    if (t->metric == METRIC_SQUAD_V2) {
        QaProbs na;
        int have_na = 0;
        if (o->na_prob_path) {
            if (qa_probs_read(o->na_prob_path, &na, err)) rc = -1;
            else have_na = 1;
        }
        SquadV2Result r;
        if (!rc && squad_evaluate_v2(gold, pred, have_na ? &na : NULL, o->na_prob_thresh, &r, err))
            rc = err_prefix(err, "%s: ", pred_path);
        if (!rc) {
            put_real(out, "exact", r.exact); put_real(out, "f1", r.f1); put_int(out, "total", r.total);
            if (r.has_hasans) { put_real(out, "HasAns_exact", r.hasans_exact); put_real(out, "HasAns_f1", r.hasans_f1); put_int(out, "HasAns_total", r.hasans_total); }
            if (r.has_noans) { put_real(out, "NoAns_exact", r.noans_exact); put_real(out, "NoAns_f1", r.noans_f1); put_int(out, "NoAns_total", r.noans_total); }
            if (r.has_best) {
                put_real(out, "best_exact", r.best_exact); put_real(out, "best_exact_thresh", r.best_exact_thresh);
                put_real(out, "best_f1", r.best_f1); put_real(out, "best_f1_thresh", r.best_f1_thresh);
            }
        }
        if (have_na) qa_probs_free(&na);
    } else {
        SquadV1Result r;
        if (squad_evaluate_v1(gold, pred, sl, o->allow_missing, &r, err)) rc = err_prefix(err, "%s: ", pred_path);
        if (!rc) {
            if (r.missing) log_warn("score: %zu question(s) without a prediction scored 0 (--allow-missing)", r.missing);
            put_real(out, "exact_match", r.exact_match); put_real(out, "f1", r.f1);
            put_int(out, "total", r.total); put_int(out, "missing", r.missing);
        }
    }
    return rc;
}

static int score_qa(const TaskInfo *t, const char *pred_path, const char *gold_path, const ScoreOpts *o, json_t *out,
                    XsErr *err) {
    SqLang sl;
    if (qa_setup(t, o, &sl, err)) return -1;
    SquadGold gold;
    QaPreds pred;
    if (squad_gold_read(gold_path, &gold, err)) return -1;
    if (qa_preds_read(pred_path, &pred, err)) { squad_gold_free(&gold); return -1; }
    int rc = score_squad_mem(t, &gold, &pred, pred_path, o, out, err);
    qa_preds_free(&pred);
    squad_gold_free(&gold);
    return rc;
}

int score_task(const TaskInfo *t, const char *pred_path, const char *gold_path, const ScoreOpts *o, json_t *out,
               XsErr *err) {
    if (o->allow_missing && t->type != TASK_SPAN_QA) return err_set(err, NULL, 0, "allowing missing predictions applies to QA tasks only");
    switch (t->metric) {
    case METRIC_ACCURACY: case METRIC_BUCC_F1: case METRIC_TATOEBA: return score_labels(t, pred_path, gold_path, o, out, err);
    case METRIC_SEQEVAL: return score_tags(pred_path, gold_path, out, err);
    case METRIC_SQUAD_V1: case METRIC_SQUAD_V2: case METRIC_MLQA: return score_qa(t, pred_path, gold_path, o, out, err);
    case METRIC_NONE: break;
    }
    return err_set(err, NULL, 0, "task %s has no metric to score", t->name);
}
