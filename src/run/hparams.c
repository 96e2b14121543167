/* hparams.c — study defaults per task, the strict JSON override, the canonical JSON, and locating a JSON path
 * in the config's text (jansson keeps no positions of values, so the text is scanned again along the path). */
#include "run/hparams.h"
#include "train/defaults.h"
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hparams_defaults(HParams *h, HpRole role, const char *task, TaskType type) {
    TaskDefaults d; /* the one table: train/defaults.h */
    train_defaults(&d, role == HP_INTERMEDIATE ? TRAIN_ROLE_INTERMEDIATE : TRAIN_ROLE_TARGET, task, type);
    memset(h, 0, sizeof *h);
    h->train = train_config_defaults();
    train_defaults_apply(&d, &h->train);
    h->train.shuffle = 1;
    h->train.dropout = 1;
    h->adam_eps = d.adam_eps;
    h->max_len = d.max_len;
    h->qa_max_len = d.qa_max_len;
    h->doc_stride = d.doc_stride;
    h->max_query_len = d.max_query_len;
    h->eval_every = d.eval_every;
    h->eval_examples = d.eval_examples;
    h->patience = d.patience;
    h->restore_best = 1;
    h->layer = -1;
    h->pool_cls = 0;
}

/* ---- locating a path in the text ---- */

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* p at '"': past the closing quote; the decoded-enough key (escapes kept raw) compared by the caller. */
static const char *skip_string(const char *p) {
    p++;
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) p++;
        p++;
    }
    return *p ? p + 1 : p;
}

static const char *skip_value(const char *p) {
    p = skip_ws(p);
    if (*p == '"') return skip_string(p);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (*p) {
            if (*p == '"') { p = skip_string(p); continue; }
            if (*p == '{' || *p == '[') depth++;
            else if (*p == '}' || *p == ']') {
                if (--depth == 0) return p + 1;
            }
            p++;
        }
        return p;
    }
    while (*p && *p != ',' && *p != '}' && *p != ']' && !isspace((unsigned char)*p)) p++;
    return p;
}

/* Does the JSON string at p (at '"') equal key (no escapes in key)? */
static int string_is(const char *p, const char *key, size_t klen) {
    const char *e = skip_string(p);
    size_t n = (size_t)(e - p);
    return n == klen + 2 && !memcmp(p + 1, key, klen);
}

int json_text_locate(const char *text, const char *path, int *line, int *col) {
    if (!text || !path) return -1;
    const char *p = skip_ws(text);
    const char *q = path;
    while (*q) {
        if (*q == '.') q++;
        if (*q == '[') {
            char *end;
            long idx = strtol(q + 1, &end, 10);
            if (*end != ']' || idx < 0) return -1;
            q = end + 1;
            p = skip_ws(p);
            if (*p != '[') return -1;
            p = skip_ws(p + 1);
            for (long i = 0; i < idx; i++) {
                p = skip_value(p);
                p = skip_ws(p);
                if (*p != ',') return -1;
                p = skip_ws(p + 1);
            }
            if (*p == ']') return -1;
        } else {
            size_t klen = strcspn(q, ".[");
            p = skip_ws(p);
            if (*p != '{') return -1;
            p = skip_ws(p + 1);
            int found = 0;
            const char *last = NULL;
            while (*p == '"') {
                int match = string_is(p, q, klen);
                p = skip_ws(skip_string(p));
                if (*p != ':') return -1;
                p = skip_ws(p + 1);
                if (match) last = p; /* a repeated key: jansson keeps the last (duplicates are rejected anyway) */
                p = skip_ws(skip_value(p));
                if (*p == ',') p = skip_ws(p + 1);
                found |= match;
            }
            if (!found) return -1;
            p = last;
            q += klen;
        }
    }
    int l = 1, c = 1;
    for (const char *s = text; s < p; s++) {
        if (*s == '\n') { l++; c = 1; }
        else if (((unsigned char)*s & 0xC0) != 0x80) c++; /* columns in characters, as jansson counts */
    }
    *line = l;
    *col = c;
    return 0;
}

int json_err(XsErr *err, const char *file, const char *text, const char *path, const char *fmt, ...) {
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line, col;
    const char *f = file ? file : "<config>";
    if (path && json_text_locate(text, path, &line, &col) == 0)
        return err_set(err, NULL, 0, "%s:%d:%d: %s: %s", f, line, col, path[0] ? path : "(top level)", msg);
    return err_set(err, NULL, 0, "%s: %s: %s", f, path && path[0] ? path : "(top level)", msg);
}

/* ---- the override ---- */

typedef enum { K_INT, K_POS_INT, K_NONNEG_INT, K_LONG, K_REAL01, K_POS_REAL, K_NONNEG_REAL, K_BOOL, K_LAYER, K_POOL } KeyKind;

typedef struct HpKey { const char *name; KeyKind kind; const char *what; } HpKey;

static const HpKey KEYS[] = {
    {"batch", K_POS_INT, "examples per micro-batch"},
    {"accum", K_POS_INT, "micro-batches per update"},
    {"lr", K_POS_REAL, "peak learning rate"},
    {"warmup_ratio", K_REAL01, "warm-up share of the updates"},
    {"weight_decay", K_NONNEG_REAL, "AdamW weight decay"},
    {"max_grad_norm", K_NONNEG_REAL, "gradient clipping (0: none)"},
    {"adam_eps", K_POS_REAL, "AdamW eps"},
    {"adamw_legacy", K_BOOL, "HF's legacy AdamW (jiant's) instead of torch's"},
    {"epochs", K_POS_INT, "passes over the data"},
    {"max_steps", K_LONG, "updates (0: from epochs)"},
    {"shuffle", K_BOOL, "seeded shuffle every epoch"},
    {"dropout", K_BOOL, "the model's dropout"},
    {"max_len", K_POS_INT, "tokens per row"},
    {"qa_max_len", K_POS_INT, "phase 1: tokens per row of the span-QA tasks"},
    {"doc_stride", K_POS_INT, "QA window overlap"},
    {"max_query_len", K_POS_INT, "QA question tokens"},
    {"eval_every", K_NONNEG_INT, "early stopping: updates between evaluations (0: none)"},
    {"eval_examples", K_NONNEG_INT, "early stopping: English dev examples (0: all)"},
    {"patience", K_POS_INT, "early stopping: evaluations without improvement"},
    {"restore_best", K_BOOL, "restore the best weights"},
    {"train_examples", K_LONG, "the first N examples of every training file (0: all)"},
    {"predict_examples", K_LONG, "phase 3: the first N examples of every evaluation file (0: all)"},
    {"layer", K_LAYER, "retrieval: hidden_states index (-1: XTREME's middle layer)"},
    {"pool", K_POOL, "retrieval pooling: \"mean\" or \"cls\""},
};
enum { NKEYS = sizeof KEYS / sizeof KEYS[0] };

const char *hparams_keys(void) {
    static char buf[512];
    if (!buf[0]) {
        size_t k = 0;
        for (int i = 0; i < NKEYS; i++) k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", i ? ", " : "", KEYS[i].name);
    }
    return buf;
}

static int set_key(HParams *h, const HpKey *k, const json_t *v, const char *file, const char *text, const char *kp,
                   XsErr *err) {
    long long iv = 0;
    double dv = 0;
    switch (k->kind) {
    case K_INT: case K_POS_INT: case K_NONNEG_INT: case K_LONG: case K_LAYER:
        if (!json_is_integer(v)) return json_err(err, file, text, kp, "expected an integer (%s)", k->what);
        iv = json_integer_value(v);
        if (k->kind == K_POS_INT && (iv < 1 || iv > 1000000))
            return json_err(err, file, text, kp, "expected an integer from 1 to 1000000, found %lld", iv);
        if ((k->kind == K_NONNEG_INT || k->kind == K_LONG) && (iv < 0 || iv > 1000000000LL))
            return json_err(err, file, text, kp, "expected an integer from 0 to 1000000000, found %lld", iv);
        if (k->kind == K_LAYER && (iv < -1 || iv > 1000))
            return json_err(err, file, text, kp, "expected -1 (XTREME's layer) or a layer index 0..1000, found %lld", iv);
        break;
    case K_REAL01: case K_POS_REAL: case K_NONNEG_REAL:
        if (!json_is_number(v)) return json_err(err, file, text, kp, "expected a number (%s)", k->what);
        dv = json_number_value(v);
        if (!isfinite(dv)) return json_err(err, file, text, kp, "expected a finite number");
        if (k->kind == K_REAL01 && (dv < 0 || dv > 1))
            return json_err(err, file, text, kp, "expected a number from 0 to 1, found %g", dv);
        if (k->kind == K_POS_REAL && !(dv > 0)) return json_err(err, file, text, kp, "expected a number > 0, found %g", dv);
        if (k->kind == K_NONNEG_REAL && dv < 0) return json_err(err, file, text, kp, "expected a number >= 0, found %g", dv);
        break;
    case K_BOOL:
        if (!json_is_boolean(v)) return json_err(err, file, text, kp, "expected true or false (%s)", k->what);
        iv = json_is_true(v);
        break;
    case K_POOL:
        if (!json_is_string(v)) return json_err(err, file, text, kp, "expected \"mean\" or \"cls\"");
        if (!strcmp(json_string_value(v), "mean")) iv = 0;
        else if (!strcmp(json_string_value(v), "cls")) iv = 1;
        else return json_err(err, file, text, kp, "expected \"mean\" or \"cls\", found \"%s\"", json_string_value(v));
        break;
    }
    const char *n = k->name;
    if (!strcmp(n, "batch")) h->train.batch = (int)iv;
    else if (!strcmp(n, "accum")) h->train.accum = (int)iv;
    else if (!strcmp(n, "lr")) {
        if (dv >= 1) return json_err(err, file, text, kp, "expected a learning rate below 1, found %g", dv);
        h->train.lr = dv;
    }
    else if (!strcmp(n, "warmup_ratio")) h->train.warmup_ratio = dv;
    else if (!strcmp(n, "weight_decay")) h->train.weight_decay = dv;
    else if (!strcmp(n, "max_grad_norm")) h->train.max_grad_norm = dv;
    else if (!strcmp(n, "adam_eps")) h->adam_eps = dv;
    else if (!strcmp(n, "adamw_legacy")) h->train.hf_legacy = (int)iv;
    else if (!strcmp(n, "epochs")) h->train.epochs = (int)iv;
    else if (!strcmp(n, "max_steps")) h->train.max_steps = iv;
    else if (!strcmp(n, "shuffle")) h->train.shuffle = (int)iv;
    else if (!strcmp(n, "dropout")) h->train.dropout = (int)iv;
    else if (!strcmp(n, "max_len")) {
        if (iv < 8) return json_err(err, file, text, kp, "expected at least 8 tokens per row, found %lld", iv);
        h->max_len = (int)iv;
    }
    else if (!strcmp(n, "qa_max_len")) {
        if (iv < 8) return json_err(err, file, text, kp, "expected at least 8 tokens per row, found %lld", iv);
        h->qa_max_len = (int)iv;
    }
    else if (!strcmp(n, "doc_stride")) h->doc_stride = (int)iv;
    else if (!strcmp(n, "max_query_len")) h->max_query_len = (int)iv;
    else if (!strcmp(n, "eval_every")) h->eval_every = (int)iv;
    else if (!strcmp(n, "eval_examples")) h->eval_examples = (int)iv;
    else if (!strcmp(n, "patience")) h->patience = (int)iv;
    else if (!strcmp(n, "restore_best")) h->restore_best = (int)iv;
    else if (!strcmp(n, "train_examples")) h->train_examples = iv;
    else if (!strcmp(n, "predict_examples")) h->predict_examples = iv;
    else if (!strcmp(n, "layer")) h->layer = (int)iv;
    else if (!strcmp(n, "pool")) h->pool_cls = (int)iv;
    else CHECK(0, "key %s has no setter", n);
    return 0;
}

int hparams_apply_json(HParams *h, const json_t *obj, const char *file, const char *text, const char *path,
                       XsErr *err) {
    if (!obj) return 0;
    if (!json_is_object(obj)) return json_err(err, file, text, path, "expected an object of hyperparameters");
    HParams t = *h;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        char kp[512];
        snprintf(kp, sizeof kp, "%s%s%s", path && path[0] ? path : "", path && path[0] ? "." : "", key);
        int i = 0;
        while (i < NKEYS && strcmp(KEYS[i].name, key)) i++;
        if (i == NKEYS) return json_err(err, file, text, kp, "unknown hyperparameter \"%s\" (known: %s)", key, hparams_keys());
        if (set_key(&t, &KEYS[i], v, file, text, kp, err)) return -1;
    }
    *h = t;
    return 0;
}

json_t *hparams_to_json(const HParams *h, TaskType type, HpRole role) {
    json_t *o = json_object();
    json_object_set_new(o, "max_len", json_integer(h->max_len));
    /* the sized-down keys only when set, so the hashes of full-data configs do not depend on them */
    if (h->predict_examples > 0 && role == HP_TARGET)
        json_object_set_new(o, "predict_examples", json_integer(h->predict_examples));
    if (type == TASK_RETRIEVAL) {
        json_object_set_new(o, "layer", json_integer(h->layer));
        json_object_set_new(o, "pool", json_string(h->pool_cls ? "cls" : "mean"));
        return o;
    }
    if (h->train_examples > 0) json_object_set_new(o, "train_examples", json_integer(h->train_examples));
    const TrainConfig *c = &h->train;
    json_object_set_new(o, "batch", json_integer(c->batch));
    json_object_set_new(o, "accum", json_integer(c->accum));
    json_object_set_new(o, "lr", json_real(c->lr));
    json_object_set_new(o, "warmup_ratio", json_real(c->warmup_ratio));
    json_object_set_new(o, "weight_decay", json_real(c->weight_decay));
    json_object_set_new(o, "max_grad_norm", json_real(c->max_grad_norm));
    json_object_set_new(o, "adam_eps", json_real(h->adam_eps));
    json_object_set_new(o, "adamw_legacy", json_boolean(c->hf_legacy));
    json_object_set_new(o, "epochs", json_integer(c->epochs));
    json_object_set_new(o, "max_steps", json_integer(c->max_steps));
    json_object_set_new(o, "shuffle", json_boolean(c->shuffle));
    json_object_set_new(o, "dropout", json_boolean(c->dropout));
    if (role == HP_INTERMEDIATE) json_object_set_new(o, "qa_max_len", json_integer(h->qa_max_len));
    if (type == TASK_SPAN_QA || role == HP_INTERMEDIATE) {
        json_object_set_new(o, "doc_stride", json_integer(h->doc_stride));
        json_object_set_new(o, "max_query_len", json_integer(h->max_query_len));
    }
    json_object_set_new(o, "eval_every", json_integer(h->eval_every));
    if (h->eval_every > 0) {
        json_object_set_new(o, "eval_examples", json_integer(h->eval_examples));
        json_object_set_new(o, "patience", json_integer(h->patience));
        json_object_set_new(o, "restore_best", json_boolean(h->restore_best));
    }
    return o;
}

long long hparams_updates(const HParams *h, long long n) {
    if (h->train.max_steps > 0) return h->train.max_steps;
    long long b = h->train.batch, a = h->train.accum;
    long long micro = (n + b - 1) / b;
    return (long long)h->train.epochs * ((micro + a - 1) / a);
}
