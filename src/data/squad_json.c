/* squad_json.c — SQuAD-format gold and {qid: answer|prob} prediction JSON through jansson, with
 * errors naming the file, the JSON line/column (syntax) or the JSON path (structure). */
#include "data/squad_json.h"
#include "core/mem.h"
#include "core/util.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

json_t *squad_json_load(const char *path, XsErr *err) {
    size_t len;
    char *buf = file_read_all(path, &len, err);
    if (!buf) return NULL;
    json_error_t je;
    /* Duplicate keys: Python's json keeps the last silently; we refuse (ambiguous answers). */
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    free(buf);
    if (!root) {
        err_set(err, path, je.line, "invalid JSON at column %d: %s", je.column, je.text);
        return NULL;
    }
    return root;
}

/* ---- gold ---- */

static int read_qa(const char *path, json_t *q, size_t ia, size_t ip, size_t iq, SquadQA *out, XsErr *err) {
    if (!json_is_object(q))
        return err_set(err, path, 0, "data[%zu].paragraphs[%zu].qas[%zu]: expected an object", ia, ip, iq);
    json_t *id = json_object_get(q, "id");
    if (!json_is_string(id))
        return err_set(err, path, 0, "data[%zu].paragraphs[%zu].qas[%zu]: expected a string \"id\"", ia, ip, iq);
    json_t *ans = json_object_get(q, "answers");
    if (!json_is_array(ans))
        return err_set(err, path, 0, "question %s: expected an \"answers\" array", json_string_value(id));
    out->id = xstrdup(json_string_value(id));
    out->nanswers = json_array_size(ans);
    out->answers = xcalloc(out->nanswers ? out->nanswers : 1, sizeof(char *));
    for (size_t k = 0; k < out->nanswers; k++) {
        json_t *t = json_object_get(json_array_get(ans, k), "text");
        if (!json_is_string(t))
            return err_set(err, path, 0, "question %s: answers[%zu] has no string \"text\"", out->id, k);
        out->answers[k] = xstrdup(json_string_value(t));
    }
    return 0;
}

static int cmp_qa_id(const void *a, const void *b) {
    return strcmp((*(const SquadQA *const *)a)->id, (*(const SquadQA *const *)b)->id);
}

int squad_gold_read(const char *path, SquadGold *g, XsErr *err) {
    memset(g, 0, sizeof *g);
    json_t *root = squad_json_load(path, err);
    if (!root) return -1;
    json_t *data = root;
    if (json_is_object(root)) {
        json_t *v = json_object_get(root, "version");
        if (json_is_string(v)) g->version = xstrdup(json_string_value(v));
        data = json_object_get(root, "data");
    }
    int rc = 0;
    size_t cap = 0;
    if (!json_is_array(data)) { rc = err_set(err, path, 0, "expected {\"data\": [articles]} or a list of articles"); goto done; }
    for (size_t ia = 0; ia < json_array_size(data) && !rc; ia++) {
        json_t *pars = json_object_get(json_array_get(data, ia), "paragraphs");
        if (!json_is_array(pars)) { rc = err_set(err, path, 0, "data[%zu]: expected a \"paragraphs\" array", ia); break; }
        for (size_t ip = 0; ip < json_array_size(pars) && !rc; ip++) {
            json_t *qas = json_object_get(json_array_get(pars, ip), "qas");
            if (!json_is_array(qas)) { rc = err_set(err, path, 0, "data[%zu].paragraphs[%zu]: expected a \"qas\" array", ia, ip); break; }
            for (size_t iq = 0; iq < json_array_size(qas) && !rc; iq++) {
                if (g->n == cap) { cap = cap ? 2 * cap : 256; g->qa = xrealloc(g->qa, cap * sizeof *g->qa); }
                memset(&g->qa[g->n], 0, sizeof g->qa[g->n]);
                rc = read_qa(path, json_array_get(qas, iq), ia, ip, iq, &g->qa[g->n], err);
                g->n++;
            }
        }
    }
    if (!rc && g->n > 1) {
        /* Ids must be unique: the prediction file maps id → one answer. */
        const SquadQA **s = xmalloc(g->n * sizeof *s);
        for (size_t i = 0; i < g->n; i++) s[i] = &g->qa[i];
        qsort(s, g->n, sizeof *s, cmp_qa_id);
        for (size_t i = 1; i < g->n && !rc; i++)
            if (!strcmp(s[i]->id, s[i - 1]->id)) rc = err_set(err, path, 0, "question id %s occurs twice", s[i]->id);
        free(s);
    }
done:
    json_decref(root);
    if (rc) squad_gold_free(g);
    return rc;
}

void squad_gold_free(SquadGold *g) {
    for (size_t i = 0; i < g->n; i++) {
        for (size_t k = 0; k < g->qa[i].nanswers; k++) free(g->qa[i].answers[k]);
        free(g->qa[i].answers);
        free(g->qa[i].id);
    }
    free(g->qa);
    free(g->version);
    memset(g, 0, sizeof *g);
}

/* ---- {qid: value} maps ---- */

static char **sort_ids;
static int cmp_idx(const void *a, const void *b) {
    return strcmp(sort_ids[*(const size_t *)a], sort_ids[*(const size_t *)b]);
}
static size_t *make_order(char **ids, size_t n) {
    size_t *o = xmalloc((n ? n : 1) * sizeof *o);
    for (size_t i = 0; i < n; i++) o[i] = i;
    sort_ids = ids;  /* qsort has no context argument in C11; scoring is single-threaded */
    qsort(o, n, sizeof *o, cmp_idx);
    sort_ids = NULL;
    return o;
}
static long find_id(char **ids, const size_t *order, size_t n, const char *id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ids[order[mid]], id);
        if (c == 0) return (long)order[mid];
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return -1;
}

int qa_preds_read(const char *path, QaPreds *p, XsErr *err) {
    memset(p, 0, sizeof *p);
    json_t *root = squad_json_load(path, err);
    if (!root) return -1;
    if (!json_is_object(root)) {
        json_decref(root);
        return err_set(err, path, 0, "expected a JSON object {\"question id\": \"answer text\", ...}");
    }
    size_t n = json_object_size(root), i = 0;
    p->ids = xcalloc(n ? n : 1, sizeof(char *));
    p->texts = xcalloc(n ? n : 1, sizeof(char *));
    const char *key;
    json_t *val;
    int rc = 0;
    json_object_foreach(root, key, val) {
        if (!json_is_string(val)) {
            rc = err_set(err, path, 0, "prediction for %s: expected a string, found a JSON %s", key,
                         json_is_number(val) ? "number" : json_is_null(val) ? "null" : json_is_array(val) ? "array" : "object or boolean");
            break;
        }
        p->ids[i] = xstrdup(key);
        p->texts[i] = xstrdup(json_string_value(val));
        p->n = ++i;
    }
    json_decref(root);
    if (rc) { qa_preds_free(p); return -1; }
    p->order = make_order(p->ids, p->n);
    return 0;
}
void qa_preds_index(QaPreds *p) {
    free(p->order);
    p->order = make_order(p->ids, p->n);
}
long qa_preds_find(const QaPreds *p, const char *id) { return find_id(p->ids, p->order, p->n, id); }
void qa_preds_free(QaPreds *p) {
    for (size_t i = 0; i < p->n; i++) { free(p->ids[i]); free(p->texts[i]); }
    free(p->ids); free(p->texts); free(p->order);
    memset(p, 0, sizeof *p);
}

int qa_probs_read(const char *path, QaProbs *p, XsErr *err) {
    memset(p, 0, sizeof *p);
    json_t *root = squad_json_load(path, err);
    if (!root) return -1;
    if (!json_is_object(root)) {
        json_decref(root);
        return err_set(err, path, 0, "expected a JSON object {\"question id\": probability, ...}");
    }
    size_t n = json_object_size(root), i = 0;
    p->ids = xcalloc(n ? n : 1, sizeof(char *));
    p->probs = xcalloc(n ? n : 1, sizeof(double));
    const char *key;
    json_t *val;
    int rc = 0;
    json_object_foreach(root, key, val) {
        if (!json_is_number(val)) { rc = err_set(err, path, 0, "no-answer probability for %s: expected a number", key); break; }
        p->ids[i] = xstrdup(key);
        p->probs[i] = json_number_value(val);
        p->n = ++i;
    }
    json_decref(root);
    if (rc) { qa_probs_free(p); return -1; }
    p->order = make_order(p->ids, p->n);
    return 0;
}
long qa_probs_find(const QaProbs *p, const char *id) { return find_id(p->ids, p->order, p->n, id); }
void qa_probs_free(QaProbs *p) {
    for (size_t i = 0; i < p->n; i++) free(p->ids[i]);
    free(p->ids); free(p->probs); free(p->order);
    memset(p, 0, sizeof *p);
}
