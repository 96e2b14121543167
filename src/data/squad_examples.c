/* squad_examples.c — SQuAD-format JSON → QaExample through jansson (loading shared with
 * squad_json.c); answer spans converted from code points to bytes and checked against the context. */
#include "data/squad_examples.h"
#include "core/mem.h"
#include "data/rows.h"
#include "data/squad_json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Byte offset of every code point of s (valid UTF-8, as jansson guarantees): cp2b[i] for i in
 * [0, ncp], cp2b[ncp] = strlen(s). */
static size_t *cp_offsets(const char *s, size_t len, size_t *ncp) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
    size_t *o = xmalloc((n + 1) * sizeof *o);
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) o[k++] = i;
    o[n] = len;
    *ncp = n;
    return o;
}

static size_t cp_count(const char *s, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

typedef struct {
    const char *path;
    QaReadOpts o;
    QaFn fn;
    void *ctx;
    QaReadStats *st;
} Reader;

/* 0 ok, -1 malformed (err set), -2 stopped by the callback. */
static int read_question(Reader *r, json_t *q, QaExample *ex, const size_t *cp2b, size_t ncp, size_t ip, size_t iq, XsErr *err) {
    const char *path = r->path;
    if (!json_is_object(q))
        return err_set(err, path, 0, "data[%zu].paragraphs[%zu].qas[%zu]: expected an object", ex->article, ip, iq);
    json_t *id = json_object_get(q, "id");
    if (!json_is_string(id))
        return err_set(err, path, 0, "data[%zu].paragraphs[%zu].qas[%zu]: expected a string \"id\"", ex->article, ip, iq);
    const char *qid = json_string_value(id);
    json_t *question = json_object_get(q, "question");
    if (!json_is_string(question)) return err_set(err, path, 0, "question %s: expected a string \"question\"", qid);
    json_t *imp = json_object_get(q, "is_impossible");
    if (imp && !json_is_boolean(imp)) return err_set(err, path, 0, "question %s: expected \"is_impossible\" to be true or false", qid);
    json_t *ans = json_object_get(q, "answers");
    if (!json_is_array(ans)) return err_set(err, path, 0, "question %s: expected an \"answers\" array", qid);
    size_t na = json_array_size(ans);
    int impossible = imp && json_is_true(imp);
    if (impossible && na) return err_set(err, path, 0, "question %s: expected no answers for an unanswerable question (is_impossible), found %zu", qid, na);
    if (!impossible && !na) return err_set(err, path, 0, "question %s: expected at least one answer (or \"is_impossible\": true)", qid);
    QaAnswer *a = xcalloc(na ? na : 1, sizeof *a);
    int rc = 0;
    for (size_t k = 0; k < na && !rc; k++) {
        json_t *aj = json_array_get(ans, k);
        json_t *t = json_object_get(aj, "text"), *s = json_object_get(aj, "answer_start");
        if (!json_is_string(t)) { rc = err_set(err, path, 0, "question %s: answers[%zu]: expected a string \"text\"", qid, k); break; }
        if (!json_is_integer(s)) { rc = err_set(err, path, 0, "question %s: answers[%zu]: expected an integer \"answer_start\"", qid, k); break; }
        const char *text = json_string_value(t);
        size_t tlen = json_string_length(t), tcp = cp_count(text, tlen);
        json_int_t start = json_integer_value(s);
        if (start < 0 || (size_t)start > ncp || tcp > ncp - (size_t)start) {
            rc = err_set(err, path, 0, "question %s: answers[%zu]: answer_start %lld + %zu characters of \"%s\" is past the end of the context (%zu characters)",
                         qid, k, (long long)start, tcp, text, ncp);
            break;
        }
        size_t b0 = cp2b[start], b1 = cp2b[start + (json_int_t)tcp];
        if (b1 - b0 != tlen || memcmp(ex->context + b0, text, tlen)) {
            rc = err_set(err, path, 0, "question %s: answers[%zu]: expected \"%s\" at answer_start %lld of the context, found \"%.*s\"",
                         qid, k, text, (long long)start, (int)(b1 - b0 > 200 ? 200 : b1 - b0), ex->context + b0);
            break;
        }
        a[k].text = (char *)text;
        a[k].start = (long)start;
        a[k].byte_start = b0;
        a[k].byte_end = b1;
    }
    if (!rc) {
        ex->id = (char *)qid;
        ex->question = (char *)json_string_value(question);
        ex->answers = a;
        ex->nanswers = na;
        ex->is_impossible = impossible;
        ex->paragraph = ip;
        r->st->nquestions++;
        r->st->nimpossible += impossible;
        r->st->nanswers += na;
        if (r->fn(r->ctx, ex, err)) rc = -2;
    }
    free(a);
    return rc;
}

long qa_stream(const char *path, const QaReadOpts *opts, QaFn fn, void *ctx, QaReadStats *st, XsErr *err) {
    QaReadStats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    Reader r = {path, {0}, fn, ctx, st};
    if (opts) r.o = *opts;
    json_t *root = squad_json_load(path, err);
    if (!root) return -1;
    json_t *data = json_is_object(root) ? json_object_get(root, "data") : root;
    json_t *ver = json_is_object(root) ? json_object_get(root, "version") : NULL;
    if (json_is_string(ver)) snprintf(st->version, sizeof st->version, "%s", json_string_value(ver));
    long rc = 0;
    if (!json_is_array(data)) { rc = err_set(err, path, 0, "expected {\"data\": [articles]} or a list of articles"); goto done; }
    for (size_t ia = 0; ia < json_array_size(data); ia++) {
        json_t *art = json_array_get(data, ia);
        json_t *title = json_object_get(art, "title"), *pars = json_object_get(art, "paragraphs");
        int bad = 0;
        if (!json_is_object(art)) bad = err_set(err, path, 0, "data[%zu]: expected an article object", ia);
        else if (title && !json_is_string(title)) bad = err_set(err, path, 0, "data[%zu]: expected \"title\" to be a string", ia);
        else if (!json_is_array(pars)) bad = err_set(err, path, 0, "data[%zu]: expected a \"paragraphs\" array", ia);
        if (bad) {
            if (rows_bad(r.o.skip_bad_rows, &st->nbad, err)) { rc = -1; goto done; }
            continue;
        }
        st->narticles++;
        QaExample ex;
        memset(&ex, 0, sizeof ex);
        ex.article = ia;
        ex.title = (char *)(title ? json_string_value(title) : "");
        for (size_t ip = 0; ip < json_array_size(pars); ip++) {
            json_t *par = json_array_get(pars, ip);
            json_t *c = json_object_get(par, "context"), *qas = json_object_get(par, "qas");
            if (!json_is_string(c)) bad = err_set(err, path, 0, "data[%zu].paragraphs[%zu]: expected a string \"context\"", ia, ip);
            else if (!json_is_array(qas)) bad = err_set(err, path, 0, "data[%zu].paragraphs[%zu]: expected a \"qas\" array", ia, ip);
            if (bad) {
                bad = 0;
                if (rows_bad(r.o.skip_bad_rows, &st->nbad, err)) { rc = -1; goto done; }
                continue;
            }
            st->nparagraphs++;
            ex.context = (char *)json_string_value(c);
            size_t ncp, *cp2b = cp_offsets(ex.context, json_string_length(c), &ncp);
            for (size_t iq = 0; iq < json_array_size(qas); iq++) {
                int q = read_question(&r, json_array_get(qas, iq), &ex, cp2b, ncp, ip, iq, err);
                if (q == -2 || (q == -1 && rows_bad(r.o.skip_bad_rows, &st->nbad, err))) { free(cp2b); rc = -1; goto done; }
            }
            free(cp2b);
        }
    }
done:
    json_decref(root);
    return rc ? -1 : (long)st->nbad;
}

/* ---- collection ---- */

typedef struct {
    QaSet *set;
    size_t last_article, last_paragraph;
    const char *last_context;  /* jansson's string of the paragraph last copied */
} Collector;

static int collect(void *ctx, const QaExample *ex, XsErr *err) {
    (void)err;
    Collector *c = ctx;
    QaSet *s = c->set;
    if (!s->ncontexts || c->last_context != ex->context || c->last_article != ex->article || c->last_paragraph != ex->paragraph) {
        if (s->ncontexts == s->capcontexts) {
            s->capcontexts = s->capcontexts ? 2 * s->capcontexts : 64;
            s->contexts = xrealloc(s->contexts, s->capcontexts * sizeof *s->contexts);
        }
        s->contexts[s->ncontexts++] = xstrdup(ex->context);
        c->last_context = ex->context;
        c->last_article = ex->article;
        c->last_paragraph = ex->paragraph;
    }
    s->v = xgrow(s->v, &s->cap, s->n, sizeof *s->v, 256);
    QaExample *d = &s->v[s->n++];
    *d = *ex;
    d->id = xstrdup(ex->id);
    d->title = xstrdup(ex->title);
    d->question = xstrdup(ex->question);
    d->context = s->contexts[s->ncontexts - 1];
    d->answers = xcalloc(ex->nanswers ? ex->nanswers : 1, sizeof *d->answers);
    for (size_t k = 0; k < ex->nanswers; k++) {
        d->answers[k] = ex->answers[k];
        d->answers[k].text = xstrdup(ex->answers[k].text);
    }
    return 0;
}

static const QaSet *sort_set;
static int cmp_id(const void *a, const void *b) {
    return strcmp(sort_set->v[*(const size_t *)a].id, sort_set->v[*(const size_t *)b].id);
}

long qa_read(const char *path, const QaReadOpts *opts, QaSet *out, XsErr *err) {
    memset(out, 0, sizeof *out);
    Collector c = {out, 0, 0, NULL};
    long rc = qa_stream(path, opts, collect, &c, &out->st, err);
    if (rc >= 0) {
        size_t *o = xmalloc((out->n ? out->n : 1) * sizeof *o);
        for (size_t i = 0; i < out->n; i++) o[i] = i;
        sort_set = out;  /* qsort has no context argument in C11; reading is single-threaded */
        qsort(o, out->n, sizeof *o, cmp_id);
        sort_set = NULL;
        for (size_t i = 1; i < out->n; i++)
            if (!strcmp(out->v[o[i]].id, out->v[o[i - 1]].id)) {
                rc = err_set(err, path, 0, "question id %s occurs twice", out->v[o[i]].id);
                break;
            }
        free(o);
    }
    if (rc < 0) { qa_set_free(out); return -1; }
    return rc;
}

void qa_set_free(QaSet *s) {
    for (size_t i = 0; i < s->n; i++) {
        QaExample *e = &s->v[i];
        for (size_t k = 0; k < e->nanswers; k++) free(e->answers[k].text);
        free(e->answers);
        free(e->id); free(e->title); free(e->question);
    }
    free(s->v);
    for (size_t i = 0; i < s->ncontexts; i++) free(s->contexts[i]);
    free(s->contexts);
    memset(s, 0, sizeof *s);
}
