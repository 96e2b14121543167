/* predict.c — eval-mode forward passes over a TaskData's rows → per-example predictions; the official
 * prediction files; in-memory scoring through eval/score.c; loading a folder with the task's head. */
#include "tasks/predict.h"
#include "core/mem.h"
#include "core/util.h"
#include "eval/score.h"
#include "model/encoder.h"
#include "tasks/embed.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

PredictOpts predict_opts_default(void) {
    PredictOpts o;
    memset(&o, 0, sizeof o);
    o.batch = 32;
    o.qa.n_best = 20;
    o.qa.max_answer_length = 30;
    return o;
}

void predictions_free(Predictions *p) {
    free(p->label);
    free(p->tags);
    free(p->word0);
    if (p->answers)
        for (size_t i = 0; i < p->n; i++) free(p->answers[i]);
    free(p->answers);
    memset(p, 0, sizeof *p);
}

/* Index of the first maximum of x[0 .. k) (torch.argmax), or -1 when a value is NaN. */
static int argmax(const float *x, int k) {
    int best = 0;
    for (int j = 0; j < k; j++) {
        if (isnan(x[j])) return -1;
        if (x[j] > x[best]) best = j;
    }
    return best;
}

int predict_run(const Model *m, const HeadConfig *hc_in, const TaskData *td, Predictions *out, const PredictOpts *opts,
                XsErr *err) {
    memset(out, 0, sizeof *out);
    PredictOpts o = opts ? *opts : predict_opts_default();
    if (o.batch <= 0) o.batch = 32;
    const FeatRows *r = &td->rows;
    HeadConfig hc = *hc_in;
    hc.dropout = 0.0f;
    if (hc.kind != td->head)
        return err_set(err, NULL, 0, "task %s predicts with a %s head, the model's is %s", td->task->name,
                       head_kind_name(td->head), head_kind_name(hc.kind));
    if ((hc.kind == HEAD_SEQ_CLS || hc.kind == HEAD_TOKEN_CLS || hc.kind == HEAD_MULTIPLE_CHOICE) &&
        (size_t)hc.num_labels != td->nlabels)
        return err_set(err, NULL, 0, "the model's %s head has %d %s, task %s has %zu", head_kind_name(hc.kind),
                       hc.num_labels, hc.kind == HEAD_MULTIPLE_CHOICE ? "choices" : "labels", td->task->name,
                       td->nlabels);
    if (r->max_len > embed_max_len(&m->cfg))
        return err_set(err, NULL, 0, "rows of %d tokens exceed the model's %d positions (use a shorter max length)",
                       r->max_len, embed_max_len(&m->cfg));
    int Tmax = r->max_len, per = hc.kind == HEAD_MULTIPLE_CHOICE ? hc.num_labels : 1;
    int V = m->cfg.vocab_size;
    for (size_t i = 0; i < r->n * (size_t)Tmax; i++)
        if (r->ids[i] < 0 || r->ids[i] >= V)
            return err_set(err, td->path, 0, "example %lld has token id %d outside the model's vocabulary (%d): "
                           "tokenizer and model disagree", (long long)r->info[i / (size_t)Tmax].example + 1, r->ids[i], V);
    CHECK(r->n % (size_t)per == 0, "predict: %zu rows, %d per example", r->n, per);
    int Bmax = o.batch * per;
    if ((size_t)Bmax > r->n) Bmax = (int)r->n;
    int qa = hc.kind == HEAD_SPAN_QA, tag = hc.kind == HEAD_TOKEN_CLS;

    double t0 = time_now();
    out->head = hc.kind;
    out->n = td->n;
    out->nrows = r->n;
    if (hc.kind == HEAD_SEQ_CLS || hc.kind == HEAD_MULTIPLE_CHOICE) out->label = xmalloc(td->n * sizeof *out->label);
    size_t bt = (size_t)Bmax * Tmax;
    int32_t *ids = xmalloc_aligned(bt * sizeof(int32_t)), *types = xmalloc_aligned(bt * sizeof(int32_t));
    float *mask = xmalloc_aligned(bt * sizeof(float));
    int32_t *tpred = tag ? xmalloc(r->n * (size_t)Tmax * sizeof(int32_t)) : NULL;
    float *qs = qa ? xmalloc(r->n * (size_t)Tmax * sizeof(float)) : NULL;
    float *qe = qa ? xmalloc(r->n * (size_t)Tmax * sizeof(float)) : NULL;
    EncoderState *es = encoder_state_new(&m->cfg, Bmax, Tmax, 0);
    encoder_set_skip_padding(es, 1);
    HeadState *hs = head_state_new(&hc, Bmax, Tmax, 0, 0);
    HeadParams hw;
    model_head_bind(m, &hc, &hw, NULL);
    Progress pg;
    if (o.progress) progress_begin(&pg, "predict", r->n);
    int rc = 0;
    for (size_t r0 = 0; r0 < r->n && !rc; r0 += (size_t)Bmax) {
        int B = (int)((r->n - r0) < (size_t)Bmax ? r->n - r0 : (size_t)Bmax), T = qa ? Tmax : 1;
        for (int b = 0; !qa && b < B; b++)
            if (r->info[r0 + b].len > T) T = r->info[r0 + b].len;
        for (int b = 0; b < B; b++) {
            size_t src = (r0 + b) * (size_t)Tmax, dst = (size_t)b * T;
            memcpy(ids + dst, r->ids + src, (size_t)T * sizeof(int32_t));
            memcpy(types + dst, r->type_ids + src, (size_t)T * sizeof(int32_t));
            for (int t = 0; t < T; t++) mask[dst + t] = (float)r->mask[src + t];
        }
        encoder_forward(&m->cfg, &m->w, es, ids, types, mask, B, T, 0, 0, 0);
        head_forward(&hc, &hw, hs, encoder_hidden(es, m->cfg.num_layers), NULL, B, T, 0, 0, 0);
        int rows, cols;
        const float *lg = head_logits(hs, &rows, &cols);
        switch (hc.kind) {
        case HEAD_SEQ_CLS:
        case HEAD_MULTIPLE_CHOICE:
            for (int i = 0; i < rows && !rc; i++) {
                size_t row = r0 + (size_t)i * per;
                int k = argmax(lg + (size_t)i * cols, cols);
                if (k < 0) rc = err_set(err, td->path, 0, "NaN logits for example %lld", (long long)r->info[row].example + 1);
                else out->label[r->info[row].example] = k;
            }
            break;
        case HEAD_TOKEN_CLS:
            for (int b = 0; b < B && !rc; b++) {
                int32_t *dst = tpred + (r0 + b) * (size_t)Tmax;
                for (int t = 0; t < Tmax; t++) dst[t] = -1;
                for (int t = 0; t < T; t++) {
                    if (r->word[(r0 + b) * (size_t)Tmax + t] < 0) continue;
                    dst[t] = argmax(lg + ((size_t)b * T + t) * cols, cols);
                    if (dst[t] < 0) {
                        rc = err_set(err, td->path, 0, "NaN logits for example %lld",
                                     (long long)r->info[r0 + b].example + 1);
                        break;
                    }
                }
            }
            break;
        case HEAD_SPAN_QA:
            for (int b = 0; b < B; b++) {
                memcpy(qs + (r0 + b) * (size_t)Tmax, lg + (size_t)b * T, (size_t)T * sizeof(float));
                memcpy(qe + (r0 + b) * (size_t)Tmax, lg + (size_t)B * T + (size_t)b * T, (size_t)T * sizeof(float));
            }
            break;
        default: CHECK(0, "predict: head %d", (int)hc.kind);
        }
        if (o.progress) progress_step(&pg, (uint64_t)B, (uint64_t)B);
    }
    if (o.progress) progress_end(&pg);
    if (!rc && tag) {
        out->word0 = xmalloc((td->n + 1) * sizeof *out->word0);
        size_t nw = 0;
        for (size_t i = 0; i < td->n; i++) {
            out->word0[i] = nw;
            nw += td->tags.v[i].n;
        }
        out->word0[td->n] = nw;
        out->tags = xmalloc((nw ? nw : 1) * sizeof *out->tags);
        for (size_t i = 0; i < td->n; i++) {
            size_t n = td->tags.v[i].n, row = td->row0[i];
            size_t got = feat_tag_words(r, row, td->row0[i + 1] - row, tpred + row * (size_t)Tmax,
                                        out->tags + out->word0[i], n);
            CHECK(got == n, "predict: sentence %zu: %zu of %zu words have a first sub-token", i, got, n);
        }
    }
    if (!rc && qa) {
        out->answers = xcalloc(td->n, sizeof *out->answers);
        QaPostWindow *w = xmalloc((size_t)r->n * sizeof *w);
        for (size_t i = 0; i < td->n && !rc; i++) {
            const QaExample *ex = &td->qa.v[i];
            size_t nw = td->row0[i + 1] - td->row0[i];
            for (size_t k = 0; k < nw; k++) {
                size_t row = td->row0[i] + k, o0 = row * (size_t)Tmax;
                w[k] = (QaPostWindow){qs + o0, qe + o0, r->off_begin + o0, r->off_end + o0, r->max_ctx + o0, (size_t)Tmax};
            }
            QaPostAnswer ans;
            if (qa_post_best(ex->context, strlen(ex->context), w, nw, &o.qa, &ans, err)) {
                rc = err_prefix(err, "%s: question %s: ", td->path, ex->id);
                break;
            }
            if (td->task->metric == METRIC_SQUAD_V2) {
                /* HF utils_qa with version_2_with_negative: null score = min over windows of start[0] + end[0];
                 * "" when it beats the best non-null span (HF's "empty" fallback scores 0) by the threshold */
                float null = INFINITY;
                for (size_t k = 0; k < nw; k++) {
                    float ns = w[k].start_logits[0] + w[k].end_logits[0];
                    if (ns < null) null = ns;
                }
                float diff = null - (ans.found ? ans.score : 0.0f);
                if ((double)diff > o.null_threshold) ans.text[0] = 0;
            }
            out->answers[i] = ans.text;
            ans.text = NULL;
            qa_answer_free(&ans);
        }
        free(w);
    }
    encoder_state_free(es);
    head_state_free(hs);
    free(ids);
    free(types);
    free(mask);
    free(tpred);
    free(qs);
    free(qe);
    out->seconds = time_now() - t0;
    if (rc) predictions_free(out);
    return rc;
}

/* ---- writing ---- */

int predict_write(const TaskData *td, const Predictions *p, const char *path, const PredictWriteOpts *opts,
                  XsErr *err) {
    CHECK(p->n == td->n && p->head == td->head, "predict_write: predictions of another TaskData");
    if (td->head == HEAD_SPAN_QA) {
        json_t *o = json_object();
        for (size_t i = 0; i < td->n; i++) json_object_set_new(o, td->qa.v[i].id, json_string(p->answers[i]));
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(o);
        CHECK(s, "json_dumps failed (an answer that is not UTF-8?)");
        AtomicFile af;
        if (atomic_open(&af, path, err)) { free(s); return -1; }
        fputs(s, af.f);
        fputc('\n', af.f);
        free(s);
        return atomic_commit(&af, err);
    }
    AtomicFile af;
    if (atomic_open(&af, path, err)) return -1;
    if (td->head == HEAD_TOKEN_CLS) {
        for (size_t i = 0; i < td->n; i++) {
            const TagSentence *s = &td->tags.v[i];
            for (size_t w = 0; w < s->n; w++) {
                const char *tag = td->labels[p->tags[p->word0[i] + w]];
                if (opts && opts->tag_words) fprintf(af.f, "%s\t%s\n", s->words[w], tag);
                else fprintf(af.f, "%s\n", tag);
            }
            fputc('\n', af.f);
        }
    } else
        for (size_t i = 0; i < td->n; i++) fprintf(af.f, "%s\n", td->labels[p->label[i]]);
    return atomic_commit(&af, err);
}

/* ---- scoring ---- */

int predict_score(const TaskData *td, const Predictions *p, json_t **metrics_out, double *major_out, XsErr *err) {
    CHECK(p->n == td->n && p->head == td->head, "predict_score: predictions of another TaskData");
    *metrics_out = NULL;
    if (!td->labeled) return err_set(err, td->path, 0, "has no gold labels to score against");
    const TaskInfo *t = td->task;
    const char *pred_name = "<predictions>";
    json_t *out = json_object();
    int rc = 0;
    double major = 0;
    if (td->head == HEAD_SEQ_CLS || td->head == HEAD_MULTIPLE_CHOICE) {
        LabelList gold = {0}, pred = {0};
        gold.v = xmalloc(td->n * sizeof(char *));
        pred.v = xmalloc(td->n * sizeof(char *));
        gold.line = xmalloc(td->n * sizeof(long));
        pred.line = xmalloc(td->n * sizeof(long));
        for (size_t i = 0; i < td->n && !rc; i++) {
            if (td->gold[i] < 0) { rc = err_set(err, td->path, 0, "example %zu has no gold label", i + 1); break; }
            gold.v[i] = (char *)td->labels[td->gold[i]];
            gold.line[i] = td->head == HEAD_SEQ_CLS ? td->pairs.v[i].line : td->choices.v[i].line;
            pred.v[i] = (char *)td->labels[p->label[i]];
            pred.line[i] = (long)i + 1;
        }
        gold.n = pred.n = td->n;
        if (!rc) rc = score_labels_mem(t, &gold, td->path, &pred, pred_name, out, err);
        if (!rc) major = json_real_value(json_object_get(out, "accuracy"));
        free(gold.v); free(pred.v); free(gold.line); free(pred.line);
    } else if (td->head == HEAD_TOKEN_CLS) {
        size_t nw = p->word0[td->n];
        TagFile gold = {0}, pred = {0};
        gold.tags = xmalloc((nw ? nw : 1) * sizeof(char *));
        pred.tags = xmalloc((nw ? nw : 1) * sizeof(char *));
        gold.tag_line = xmalloc((nw ? nw : 1) * sizeof(long));
        pred.tag_line = xmalloc((nw ? nw : 1) * sizeof(long));
        gold.sent = xmalloc((td->n + 1) * sizeof(size_t));
        pred.sent = xmalloc((td->n + 1) * sizeof(size_t));
        gold.sent_line = xmalloc(td->n * sizeof(long));
        pred.sent_line = xmalloc(td->n * sizeof(long));
        long line = 1;
        for (size_t i = 0; i < td->n; i++) {
            const TagSentence *s = &td->tags.v[i];
            size_t w0 = p->word0[i];
            gold.sent[i] = pred.sent[i] = w0;
            gold.sent_line[i] = s->line;
            pred.sent_line[i] = line;
            for (size_t w = 0; w < s->n; w++) {
                gold.tags[w0 + w] = s->tags[w];
                gold.tag_line[w0 + w] = s->line + (long)w;
                pred.tags[w0 + w] = (char *)td->labels[p->tags[w0 + w]];
                pred.tag_line[w0 + w] = line++;
            }
            line++; /* the blank line predict_write puts after each sentence */
        }
        gold.sent[td->n] = pred.sent[td->n] = nw;
        gold.ntags = pred.ntags = nw;
        gold.nsent = pred.nsent = td->n;
        rc = score_tags_mem(&gold, td->path, &pred, pred_name, out, err);
        if (!rc) major = json_real_value(json_object_get(out, "f1"));
        free(gold.tags); free(pred.tags); free(gold.tag_line); free(pred.tag_line);
        free(gold.sent); free(pred.sent); free(gold.sent_line); free(pred.sent_line);
    } else {
        SquadGold gold = {0};
        QaPreds pred = {0};
        gold.qa = xmalloc(td->n * sizeof *gold.qa);
        gold.n = pred.n = td->n;
        pred.ids = xmalloc(td->n * sizeof(char *));
        pred.texts = xmalloc(td->n * sizeof(char *));
        for (size_t i = 0; i < td->n; i++) {
            const QaExample *ex = &td->qa.v[i];
            gold.qa[i].id = ex->id;
            gold.qa[i].nanswers = ex->nanswers;
            gold.qa[i].answers = xmalloc((ex->nanswers ? ex->nanswers : 1) * sizeof(char *));
            for (size_t k = 0; k < ex->nanswers; k++) gold.qa[i].answers[k] = ex->answers[k].text;
            pred.ids[i] = ex->id;
            pred.texts[i] = p->answers[i];
        }
        qa_preds_index(&pred);
        ScoreOpts so = score_opts_default();
        so.lang = td->lang[0] ? td->lang : NULL;
        rc = score_squad_mem(t, &gold, &pred, pred_name, &so, out, err);
        if (!rc) {
            const char *em = t->metric == METRIC_SQUAD_V2 ? "exact" : "exact_match";
            major = (json_real_value(json_object_get(out, em)) + json_real_value(json_object_get(out, "f1"))) / 2;
        }
        for (size_t i = 0; i < td->n; i++) free(gold.qa[i].answers);
        free(gold.qa);
        free(pred.ids); free(pred.texts); free(pred.order);
    }
    if (rc) {
        json_decref(out);
        return -1;
    }
    *metrics_out = out;
    if (major_out) *major_out = major;
    return 0;
}

int predict_evaluate(const Model *m, const HeadConfig *hc, const TaskData *td, const PredictOpts *opts,
                     json_t **metrics_out, double *major_out, XsErr *err) {
    if (metrics_out) *metrics_out = NULL;
    Predictions p;
    if (predict_run(m, hc, td, &p, opts, err)) return -1;
    json_t *j = NULL;
    int rc = predict_score(td, &p, &j, major_out, err);
    predictions_free(&p);
    if (rc) return -1;
    if (metrics_out) *metrics_out = j;
    else json_decref(j);
    return 0;
}

/* ---- the model folder ---- */

int predict_load_model(const char *dir, const TaskData *td, Model *m, HeadConfig *hc, XsErr *err) {
    char path[4096], want[96];
    if (snprintf(path, sizeof path, "%s/config.json", dir) >= (int)sizeof path) return err_set(err, dir, 0, "path too long");
    ModelConfig cfg;
    if (config_load(path, &cfg, err)) return -1;
    if (cfg.n_heads > 0) { /* a multi-head folder (a multi-task job): the task's own head */
        const ModelHeadRef *h = NULL;
        char list[512] = "";
        size_t k = 0;
        for (int i = 0; i < cfg.n_heads; i++) {
            if (!strcmp(cfg.heads[i].task, td->task->name)) h = &cfg.heads[i];
            if (k < sizeof list) k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", cfg.heads[i].task);
        }
        if (!h)
            return err_set(err, path, 0, "a multi-task folder with heads for %s (\"xstilts_heads\"); none for task %s", list,
                           td->task->name);
        HeadKind kind;
        if (head_parse(h->kind, &kind) || kind != td->head)
            return err_set(err, path, 0, "\"xstilts_heads\": task %s's head is a %s head, the task needs %s", h->task,
                           h->kind, head_kind_name(td->head));
        if ((kind == HEAD_SEQ_CLS || kind == HEAD_TOKEN_CLS) && (size_t)h->num_labels != td->nlabels)
            return err_set(err, path, 0, "\"xstilts_heads\": task %s's head has %d labels, task %s has %zu", h->task,
                           h->num_labels, td->task->name, td->nlabels);
        if (h->prefix[0]) {
            int K = kind == HEAD_SEQ_CLS || kind == HEAD_TOKEN_CLS || kind == HEAD_MULTIPLE_CHOICE ? (int)td->nlabels : 0;
            return model_load_head_at(dir, kind, K, h->prefix, MODEL_LOAD_STRICT, 0, m, hc, err);
        }
        /* the plain head: config.json's class and id2label describe it, checked below */
    }
    model_head_class(&cfg, td->head, want, sizeof want);
    if (!cfg.architecture[0])
        return err_set(err, dir, 0, "the folder has no task head (config.json names the base model); task %s needs a "
                       "%s head (%s)", td->task->name, head_kind_name(td->head), want);
    if (strcmp(cfg.architecture, want))
        return err_set(err, dir, 0, "the folder has a %s head, task %s needs %s", cfg.architecture, td->task->name, want);
    int K = 0;
    if (td->head == HEAD_SEQ_CLS || td->head == HEAD_TOKEN_CLS) {
        if ((size_t)cfg.num_labels != td->nlabels)
            return err_set(err, path, 0, "the %s head has %d labels (id2label), task %s has %zu (%s ... %s)",
                           cfg.architecture, cfg.num_labels, td->task->name, td->nlabels, td->labels[0],
                           td->labels[td->nlabels - 1]);
        /* id2label names: HF's generic LABEL_i say nothing; real names must be the task's, in order */
        json_error_t je;
        json_t *root = json_load_file(path, 0, &je);
        json_t *map = root ? json_object_get(root, "id2label") : NULL;
        int rc = 0;
        for (size_t k = 0; map && k < td->nlabels && !rc; k++) {
            char key[32], generic[32];
            snprintf(key, sizeof key, "%zu", k);
            snprintf(generic, sizeof generic, "LABEL_%zu", k);
            const char *v = json_string_value(json_object_get(map, key));
            if (v && strcmp(v, generic) && strcmp(v, td->labels[k]))
                rc = err_set(err, path, 0, "id2label[%zu] is \"%s\", task %s's label %zu is \"%s\" (a head trained "
                             "for another label set)", k, v, td->task->name, k, td->labels[k]);
        }
        json_decref(root);
        if (rc) return -1;
        K = (int)td->nlabels;
    } else if (td->head == HEAD_MULTIPLE_CHOICE)
        K = (int)td->nlabels;
    return model_load_head(dir, td->head, K, MODEL_LOAD_STRICT, 0, m, hc, err);
}
