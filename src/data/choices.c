/* choices.c — the multiple-choice readers: which fields of each published layout make the context,
 * the choices, the label and the id (as jiant's hellaswag / cosmosqa / commonsenseqa tasks do). */
#include "data/choices.h"
#include "core/mem.h"
#include "core/util.h"
#include "data/rows.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const NAMES[CHOICE_NFORMATS] = {"hellaswag", "cosmosqa-csv", "cosmosqa-jsonl", "commonsenseqa"};
static const char *const COSMOS_COLS[] = {"id", "context", "question", "answer0", "answer1", "answer2", "answer3", "label"};
enum { NCOSMOS = 8 };

const char *choice_format_name(ChoiceFormat f) { return (unsigned)f < CHOICE_NFORMATS ? NAMES[f] : "?"; }

int choice_format_parse(const char *name, ChoiceFormat *f) {
    for (int i = 0; i < CHOICE_NFORMATS; i++)
        if (!strcmp(NAMES[i], name)) { *f = (ChoiceFormat)i; return 0; }
    return -1;
}

int choice_format_guess(const char *path, ChoiceFormat *f, int *unlabeled) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    int jsonl = n > 6 && !strcmp(b + n - 6, ".jsonl"), csv = n > 4 && !strcmp(b + n - 4, ".csv");
    int un = 0;
    if (jsonl && !strncmp(b, "hellaswag_", 10)) *f = CHOICE_HELLASWAG, un = !strncmp(b, "hellaswag_test", 14);
    else if (jsonl && (strstr(b, "rand_split") || strstr(path, "commonsenseqa"))) *f = CHOICE_CSQA, un = strstr(b, "no_answers") != NULL;
    else if ((csv || jsonl) && (strstr(path, "cosmos") || strstr(path, "Cosmos")))
        *f = csv ? CHOICE_COSMOS_CSV : CHOICE_COSMOS_JSONL, un = !strncmp(b, "test", 4);
    else return -1;
    if (unlabeled) *unlabeled = un;
    return 0;
}

const TaskLabels *choice_format_labels(ChoiceFormat f) {
    return task_labels_find(f == CHOICE_HELLASWAG ? "hellaswag" : f == CHOICE_CSQA ? "commonsenseqa" : "cosmosqa");
}

/* Growable scratch strings: slot 0 = context, 1..CHOICE_MAX = choices, one row at a time. */
typedef struct Scratch { char *s[CHOICE_MAX + 1]; size_t cap[CHOICE_MAX + 1]; } Scratch;

static char *join(Scratch *sc, int slot, const char *a, const char *b) {  /* a + " " + b */
    size_t na = strlen(a), nb = strlen(b), need = na + nb + 2;
    if (sc->cap[slot] < need) { sc->cap[slot] = need * 2; sc->s[slot] = xrealloc(sc->s[slot], sc->cap[slot]); }
    memcpy(sc->s[slot], a, na);
    sc->s[slot][na] = ' ';
    memcpy(sc->s[slot] + na + 1, b, nb + 1);
    return sc->s[slot];
}

typedef struct Reader {
    const char *path;
    ChoiceFormat fmt;
    const ChoiceReadOpts *o;
    long col[NCOSMOS];   /* Cosmos CSV: header positions of COSMOS_COLS */
    size_t nf;           /* Cosmos CSV: header width */
    Scratch sc;
    char idbuf[32];
} Reader;

static int label_in_range(Reader *R, long v, int n, long line, int *label, XsErr *err) {
    if (v < 0 || v >= n) return err_set(err, R->path, line, "expected a label from 0 to %d, found %ld", n - 1, v);
    *label = (int)v;
    return 0;
}

static int parse_hellaswag(Reader *R, json_t *o, long line, ChoiceExample *ex, XsErr *err) {
    const char *ca = json_field_str(o, "ctx_a", R->path, line, err), *cb;
    if (!ca || !(cb = json_field_str(o, "ctx_b", R->path, line, err))) return -1;
    json_t *e = json_object_get(o, "endings");
    if (!json_is_array(e) || json_array_size(e) != 4)
        return err_set(err, R->path, line, "expected \"endings\" to be an array of 4 strings");
    for (size_t i = 0; i < 4; i++) {
        json_t *s = json_array_get(e, i);
        if (!json_is_string(s)) return err_set(err, R->path, line, "expected \"endings\" to be an array of 4 strings (item %zu is not a string)", i);
        ex->choices[i] = join(&R->sc, 1 + (int)i, cb, json_string_value(s));  /* jiant: ctx_b + " " + ending */
    }
    ex->nchoices = 4;
    ex->context = (char *)ca;
    json_t *ind = json_object_get(o, "ind");
    if (json_is_integer(ind)) { snprintf(R->idbuf, sizeof R->idbuf, "%lld", (long long)json_integer_value(ind)); ex->id = R->idbuf; }
    if (!R->o->unlabeled) {
        long v;
        if (json_field_int(o, "label", &v, R->path, line, err) || label_in_range(R, v, 4, line, &ex->label, err)) return -1;
    }
    return 0;
}

/* Cosmos QA (csv row or jsonl object): fields by name; context = context + " " + question (jiant). */
static int fill_cosmos(Reader *R, const char *const v[NCOSMOS], long line, ChoiceExample *ex, XsErr *err) {
    ex->id = (char *)v[0];
    ex->context = join(&R->sc, 0, v[1], v[2]);
    for (int i = 0; i < 4; i++) ex->choices[i] = (char *)v[3 + i];
    ex->nchoices = 4;
    if (R->o->unlabeled) return 0;
    long lab;
    if (parse_long(v[7], &lab)) return err_set(err, R->path, line, "expected an integer label from 0 to 3, found '%s'", v[7]);
    return label_in_range(R, lab, 4, line, &ex->label, err);
}

static int parse_cosmos_json(Reader *R, json_t *o, long line, ChoiceExample *ex, XsErr *err) {
    const char *v[NCOSMOS];
    char lab[32] = "";
    for (int i = 0; i < 7; i++)
        if (!(v[i] = json_field_str(o, COSMOS_COLS[i], R->path, line, err))) return -1;
    if (!R->o->unlabeled) {
        long k;
        if (json_field_int(o, "label", &k, R->path, line, err)) return -1;
        snprintf(lab, sizeof lab, "%ld", k);
    }
    v[7] = lab;
    return fill_cosmos(R, v, line, ex, err);
}

static int parse_cosmos_csv(Reader *R, RowReader *r, ChoiceExample *ex, XsErr *err) {
    if (r->nf != R->nf)
        return err_set(err, R->path, r->line, "expected %zu comma-separated fields (as the header), found %zu", R->nf, r->nf);
    const char *v[NCOSMOS];
    for (int i = 0; i < NCOSMOS; i++) v[i] = R->col[i] >= 0 ? r->f[R->col[i]] : "";
    return fill_cosmos(R, v, r->line, ex, err);
}

/* CommonsenseQA: the original layout ({"question": {"stem", "choices": [{label, text}]}}) or the
 * HF one ({"question": str, "choices": {"label": [...], "text": [...]}}), told apart by the type
 * of "question" as jiant does; choices are put in A..E order by their labels. */
static int parse_csqa(Reader *R, json_t *o, long line, ChoiceExample *ex, XsErr *err) {
    const char *path = R->path;
    json_t *q = json_object_get(o, "question"), *labels = NULL, *texts = NULL, *list = NULL;
    if (json_is_object(q)) {
        if (!(ex->context = (char *)json_field_str(q, "stem", path, line, err))) return -1;
        list = json_object_get(q, "choices");
        if (!json_is_array(list)) return err_set(err, path, line, "expected \"question\".\"choices\" to be an array of {label, text}");
    } else if (json_is_string(q)) {
        ex->context = (char *)json_string_value(q);
        json_t *c = json_object_get(o, "choices");
        labels = json_object_get(c, "label");
        texts = json_object_get(c, "text");
        if (!json_is_array(labels) || !json_is_array(texts) || json_array_size(labels) != json_array_size(texts))
            return err_set(err, path, line, "expected \"choices\" with \"label\" and \"text\" arrays of equal length");
    } else {
        return err_set(err, path, line, "expected \"question\" to be an object (original layout) or a string (HF layout)");
    }
    size_t n = list ? json_array_size(list) : json_array_size(labels);
    if (n != 5) return err_set(err, path, line, "expected 5 choices (A to E), found %zu", n);
    for (int i = 0; i < 5; i++) ex->choices[i] = NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *l = list ? json_object_get(json_array_get(list, i), "label") : json_array_get(labels, i);
        json_t *t = list ? json_object_get(json_array_get(list, i), "text") : json_array_get(texts, i);
        const char *ls = json_string_value(l);
        if (!json_is_string(t) || !ls)
            return err_set(err, path, line, "expected choice %zu to have a string label and text", i + 1);
        if (strlen(ls) != 1 || ls[0] < 'A' || ls[0] > 'E' || ex->choices[ls[0] - 'A'])
            return err_set(err, path, line, "expected choice labels A, B, C, D, E once each, found '%s'", ls);
        ex->choices[ls[0] - 'A'] = (char *)json_string_value(t);
    }
    ex->nchoices = 5;
    json_t *id = json_object_get(o, "id");
    if (json_is_string(id)) ex->id = (char *)json_string_value(id);
    if (R->o->unlabeled) return 0;
    const char *key = json_field_str(o, "answerKey", path, line, err);
    if (!key) return -1;
    if (strlen(key) != 1 || key[0] < 'A' || key[0] > 'E')
        return err_set(err, path, line, "expected answerKey A, B, C, D or E, found '%s'", key);
    ex->label = key[0] - 'A';
    return 0;
}

static int read_cosmos_header(Reader *R, RowReader *r, XsErr *err) {
    int rc = rows_next(r, err);
    if (rc == ROWS_EOF) return err_set(err, R->path, 0, "expected a header row, found an empty file");
    if (rc != ROWS_OK) return -1;
    R->nf = r->nf;
    for (int i = 0; i < NCOSMOS; i++) {
        R->col[i] = rows_find(r, COSMOS_COLS[i]);
        if (R->col[i] < 0 && !(i == 7 && R->o->unlabeled))
            return err_set(err, R->path, r->line, "expected a header row with a column '%s' (Cosmos QA csv layout)", COSMOS_COLS[i]);
    }
    return 0;
}

long choices_stream(const char *path, ChoiceFormat fmt, const ChoiceReadOpts *opts, ChoiceFn fn, void *ctx,
                    ChoiceReadStats *st_out, XsErr *err) {
    CHECK((unsigned)fmt < CHOICE_NFORMATS, "bad ChoiceFormat %d", (int)fmt);
    static const ChoiceReadOpts none;
    Reader R;
    memset(&R, 0, sizeof R);
    R.path = path;
    R.fmt = fmt;
    R.o = opts ? opts : &none;
    ChoiceReadStats st = {0, 0};
    RowReader r;
    int csv = fmt == CHOICE_COSMOS_CSV;
    if (rows_open(&r, path, csv ? ROWS_CSV : ROWS_JSONL, ',', err)) return -1;
    long ret = -1;
    if (csv && read_cosmos_header(&R, &r, err)) goto done;
    for (;;) {
        int rc = rows_next(&r, err);
        if (rc == ROWS_EOF) break;
        if (rc == ROWS_FATAL) goto done;
        ChoiceExample ex;
        memset(&ex, 0, sizeof ex);
        ex.label = -1;
        ex.line = r.line;
        int bad = rc == ROWS_BAD;
        if (rc == ROWS_OK) {
            bad = 0 != (fmt == CHOICE_HELLASWAG ? parse_hellaswag(&R, r.obj, r.line, &ex, err)
                 : fmt == CHOICE_COSMOS_JSONL ? parse_cosmos_json(&R, r.obj, r.line, &ex, err)
                 : fmt == CHOICE_CSQA ? parse_csqa(&R, r.obj, r.line, &ex, err)
                                      : parse_cosmos_csv(&R, &r, &ex, err));
        }
        if (bad) {
            if (rows_bad(R.o->skip_bad_rows, &st.nbad, err)) goto done;
            continue;
        }
        if (!ex.id) { snprintf(R.idbuf, sizeof R.idbuf, "%ld", r.line); ex.id = R.idbuf; }
        st.nrows++;
        if (fn(ctx, &ex, err)) {
            if (err && err->failed) goto done;
            break;
        }
    }
    ret = (long)st.nbad;
done:
    rows_close(&r);
    for (int i = 0; i <= CHOICE_MAX; i++) free(R.sc.s[i]);
    if (st_out) *st_out = st;
    return ret;
}

static int collect(void *ctx, const ChoiceExample *ex, XsErr *err) {
    (void)err;
    ChoiceSet *s = ctx;
    s->v = xgrow(s->v, &s->cap, s->n, sizeof *s->v, 1024);
    ChoiceExample *e = &s->v[s->n++];
    *e = *ex;
    e->context = xstrdup(ex->context);
    e->id = xstrdup(ex->id);
    for (int i = 0; i < ex->nchoices; i++) e->choices[i] = xstrdup(ex->choices[i]);
    return 0;
}

long choices_read(const char *path, ChoiceFormat fmt, const ChoiceReadOpts *opts, ChoiceSet *out, XsErr *err) {
    memset(out, 0, sizeof *out);
    out->labels = choice_format_labels(fmt);
    long rc = choices_stream(path, fmt, opts, collect, out, &out->st, err);
    if (rc < 0) choices_free(out);
    return rc;
}

void choices_free(ChoiceSet *s) {
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].context);
        free(s->v[i].id);
        for (int k = 0; k < s->v[i].nchoices; k++) free(s->v[i].choices[k]);
    }
    free(s->v);
    memset(s, 0, sizeof *s);
}
