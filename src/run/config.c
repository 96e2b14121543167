/* config.c — parsing and resolving the study config (docs/RUN.md is the reference of every key). */
#include "run/config.h"
#include "core/util.h"
#include "data/choices.h"
#include "data/pairs.h"
#include "data/tagging.h"
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- the tasks a run knows and where their files are ---- */

/* An intermediate task: its type and its training files under intermediate_data (the publishers' names). */
typedef struct InterTask {
    const char *name;
    TaskType type;
    RunFileKind kind;
    int format;
    const char *train[5];    /* several files = one task on one head (ANLI+) */
    int formats[5];          /* per file when they differ (ANLI+), else -1 */
    const char *translated;  /* XTREME translate-train template under translations/, NULL: none published */
    const char *tlangs;      /* the languages XTREME translated it into */
} InterTask;

static const InterTask INTER[] = {
    {"anli", TASK_CLASSIFICATION, RF_PAIR, -1,
     {"MNLI/train.tsv", "snli_1.0/snli_1.0_train.jsonl", "anli_v1.0/R1/train.jsonl", "anli_v1.0/R2/train.jsonl",
      "anli_v1.0/R3/train.jsonl"},
     {PAIR_MNLI_TSV, PAIR_SNLI_JSONL, PAIR_ANLI_JSONL, PAIR_ANLI_JSONL, PAIR_ANLI_JSONL}, NULL, NULL},
    {"mnli", TASK_CLASSIFICATION, RF_PAIR, PAIR_MNLI_TSV, {"MNLI/train.tsv"}, {-1}, "XNLI/translate-train/en-{lang}-translated.tsv",
     "ar,bg,de,el,es,fr,hi,ru,sw,th,tr,ur,vi,zh"},
    {"qqp", TASK_CLASSIFICATION, RF_PAIR, PAIR_QQP_TSV, {"QQP/train.tsv"}, {-1}, NULL, NULL},
    {"squad", TASK_SPAN_QA, RF_QA, -1, {"squad/train-v1.1.json"}, {-1},
     "SQuAD/translate-train/squad.translate.train.en-{lang}.json", "ar,de,el,es,hi,ru,th,tr,vi,zh"},
    {"squad2", TASK_SPAN_QA, RF_QA, -1, {"squad2/train-v2.0.json"}, {-1}, NULL, NULL},
    {"hellaswag", TASK_MULTIPLE_CHOICE, RF_CHOICE, CHOICE_HELLASWAG, {"hellaswag/hellaswag_train.jsonl"}, {-1}, NULL, NULL},
    {"ccg", TASK_TAGGING, RF_TAG, TAGF_CCG_JIANT, {"ccg/ccg.train"}, {-1}, NULL, NULL},
    {"cosmosqa", TASK_MULTIPLE_CHOICE, RF_CHOICE, CHOICE_COSMOS_CSV, {"cosmosqa/train.csv"}, {-1}, NULL, NULL},
    {"commonsenseqa", TASK_MULTIPLE_CHOICE, RF_CHOICE, CHOICE_CSQA, {"commonsenseqa/train_rand_split.jsonl"}, {-1}, NULL,
     NULL},
};
enum { NINTER = sizeof INTER / sizeof INTER[0] };

/* A target's files under data/ (XTREME's download/ as scripts/download_data.sh + utils_preprocess.py write it,
 * google-research/xtreme @ 838c13b). {lang} is the language. Retrieval: prefixes, see RUN.md. */
typedef struct TargetLayout {
    const char *task;
    RunFileKind kind;
    int format;
    const char *train, *dev;       /* English; NULL: none (retrieval) */
    const char *eval_dev, *test;   /* per language; NULL: the task has no such split */
    const char *no_dev;            /* languages with no dev split (UD-POS: test-only treebanks) */
} TargetLayout;

static const TargetLayout LAYOUT[] = {
    {"xnli", RF_PAIR, PAIR_XTREME_XNLI, "xnli/train-en.tsv", "xnli/dev-en.tsv", "xnli/dev-{lang}.tsv",
     "xnli/test-{lang}.tsv", NULL},
    {"pawsx", RF_PAIR, PAIR_XTREME_PAWSX, "pawsx/train-en.tsv", "pawsx/dev-en.tsv", "pawsx/dev-{lang}.tsv",
     "pawsx/test-{lang}.tsv", NULL},
    {"udpos", RF_TAG, TAGF_COLUMNS, "udpos/train-en.tsv", "udpos/dev-en.tsv", "udpos/dev-{lang}.tsv",
     "udpos/test-{lang}.tsv", "kk,th,tl,yo"},
    {"panx", RF_TAG, TAGF_COLUMNS, "panx/train-en.tsv", "panx/dev-en.tsv", "panx/dev-{lang}.tsv", "panx/test-{lang}.tsv",
     NULL},
    {"xquad", RF_QA, -1, "squad/train-v1.1.json", "squad/dev-v1.1.json", NULL, "xquad/xquad.{lang}.json", NULL},
    {"mlqa", RF_QA, -1, "squad/train-v1.1.json", "squad/dev-v1.1.json",
     "mlqa/MLQA_V1/dev/dev-context-{lang}-question-{lang}.json", "mlqa/MLQA_V1/test/test-context-{lang}-question-{lang}.json",
     NULL},
    {"tydiqa", RF_QA, -1, "tydiqa/tydiqa-goldp-v1.1-train/tydiqa.goldp.en.train.json",
     "tydiqa/tydiqa-goldp-v1.1-dev/tydiqa.goldp.en.dev.json", NULL, "tydiqa/tydiqa-goldp-v1.1-dev/tydiqa.goldp.{lang}.dev.json",
     NULL},
    {"bucc2018", RF_LINES, -1, NULL, NULL, "bucc2018/{lang}-en.dev", "bucc2018/{lang}-en.test", NULL},
    {"tatoeba", RF_LINES, -1, NULL, NULL, NULL, "tatoeba/{lang}-en", NULL},
};
enum { NLAYOUT = sizeof LAYOUT / sizeof LAYOUT[0] };

static const InterTask *inter_find(const char *name) {
    for (int i = 0; i < NINTER; i++)
        if (!strcmp(INTER[i].name, name)) return &INTER[i];
    return NULL;
}
static const TargetLayout *layout_find(const char *name) {
    for (int i = 0; i < NLAYOUT; i++)
        if (!strcmp(LAYOUT[i].task, name)) return &LAYOUT[i];
    return NULL;
}

const char *run_intermediate_names(void) {
    static char buf[256];
    if (!buf[0]) {
        size_t k = 0;
        for (int i = 0; i < NINTER; i++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", i == 0 ? "" : i == NINTER - 1 ? " or " : ", ", INTER[i].name);
    }
    return buf;
}
const char *run_target_names(void) {
    static char buf[256];
    if (!buf[0]) {
        size_t k = 0;
        for (int i = 0; i < NLAYOUT; i++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", i == 0 ? "" : i == NLAYOUT - 1 ? " or " : ", ", LAYOUT[i].task);
    }
    return buf;
}

/* ---- small helpers ---- */

typedef struct Ctx { const char *file; const char *text; XsErr *err; } Ctx;

#define JERR(c, path, ...) json_err((c)->err, (c)->file, (c)->text, (path), __VA_ARGS__)

static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    CHECK(d, "out of memory");
    memcpy(d, s, n);
    return d;
}

static void jp(char *out, size_t cap, const char *base, const char *key) {
    snprintf(out, cap, "%s%s%s", base && base[0] ? base : "", base && base[0] ? "." : "", key);
}

/* Every key of obj must be one of allowed (NULL-terminated). */
static int check_keys(Ctx *c, const json_t *obj, const char *path, const char *const *allowed) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        int ok = 0;
        for (int i = 0; allowed[i]; i++) ok |= !strcmp(allowed[i], key);
        if (!ok) {
            char kp[256], list[512];
            size_t k = 0;
            list[0] = 0;
            for (int i = 0; allowed[i]; i++) k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", allowed[i]);
            jp(kp, sizeof kp, path, key);
            return JERR(c, kp, "unknown key \"%s\" (known: %s)", key, list);
        }
    }
    return 0;
}

/* Hyperparameter keys that mean nothing where they were written: an error naming the key. only: the keys
 * allowed (NULL-terminated) or NULL; never: keys refused (NULL-terminated) or NULL. */
static int hp_scope(Ctx *c, const json_t *obj, const char *path, const char *const *only, const char *const *never,
                    const char *why) {
    if (!json_is_object(obj)) return 0; /* hparams_apply_json reports the type */
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        int bad = 0;
        if (only) {
            bad = 1;
            for (int i = 0; only[i]; i++) bad &= !!strcmp(only[i], key);
        }
        if (never)
            for (int i = 0; never[i]; i++) bad |= !strcmp(never[i], key);
        if (bad) {
            char kp[256];
            jp(kp, sizeof kp, path, key);
            return JERR(c, kp, "\"%s\" does not apply here (%s)", key, why);
        }
    }
    return 0;
}

static const char *const RETRIEVAL_KEYS[] = {"max_len", "layer", "pool", "predict_examples", NULL};
static const char *const TRAINED_ONLY_NOT[] = {"layer", "pool", NULL};
static const char *const PHASE1_NOT[] = {"layer", "pool", "eval_every", "eval_examples", "patience", "restore_best",
                                          "predict_examples", NULL};

/* ${VAR} and ${VAR:-default} from the environment; the default may itself hold ${...}. */
static int expand_env(Ctx *c, const char *path, const char *s, char *out, size_t cap) {
    size_t k = 0;
    for (const char *p = s; *p;) {
        if (p[0] == '$' && p[1] == '{') {
            const char *e = p + 2;
            int depth = 1;
            while (*e && depth) {
                if (e[0] == '$' && e[1] == '{') { depth++; e += 2; continue; }
                if (*e == '}' && --depth == 0) break;
                e++;
            }
            if (!*e) return JERR(c, path, "unclosed ${ in \"%s\"", s);
            char name[1024];
            size_t n = (size_t)(e - p - 2);
            if (n == 0 || n >= sizeof name) return JERR(c, path, "bad ${...} in \"%s\"", s);
            memcpy(name, p + 2, n);
            name[n] = 0;
            char *colon = strstr(name, ":-");
            const char *dflt = NULL;
            if (colon) { *colon = 0; dflt = colon + 2; }
            const char *v = getenv(name);
            char dbuf[4096];
            if (!v || !*v) {
                if (!dflt)
                    return JERR(c, path, "\"%s\": the environment variable %s is not set (or write ${%s:-default})", s, name,
                                name);
                if (expand_env(c, path, dflt, dbuf, sizeof dbuf)) return -1;
                v = dbuf;
            }
            size_t vl = strlen(v);
            if (k + vl >= cap) return JERR(c, path, "path too long");
            memcpy(out + k, v, vl);
            k += vl;
            p = e + 1;
        } else {
            if (k + 1 >= cap) return JERR(c, path, "path too long");
            out[k++] = *p++;
        }
    }
    out[k] = 0;
    return 0;
}

/* base/rel unless rel is absolute (or base is NULL / "."). */
static char *join(const char *base, const char *rel) {
    if (rel[0] == '/' || !base || !base[0]) return xstrdup(rel);
    size_t n = strlen(base) + strlen(rel) + 2;
    char *s = malloc(n);
    CHECK(s, "out of memory");
    snprintf(s, n, "%s/%s", base, rel);
    return s;
}

static char *dir_of(const char *file) {
    char *d = xstrdup(file);
    char *sl = strrchr(d, '/');
    if (!sl) { free(d); return xstrdup("."); }
    if (sl == d) sl[1] = 0;
    else *sl = 0;
    return d;
}

static int is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* A folder-valued key: string, env-expanded, relative to base. */
static int get_dir(Ctx *c, const json_t *root, const char *key, const char *base, int required, char **out) {
    json_t *v = json_object_get(root, key);
    *out = NULL;
    if (!v) {
        if (required) return JERR(c, "", "missing required key \"%s\"", key);
        return 0;
    }
    if (!json_is_string(v)) return JERR(c, key, "expected a string (a folder)");
    char buf[4096];
    if (expand_env(c, key, json_string_value(v), buf, sizeof buf)) return -1;
    if (!buf[0]) return JERR(c, key, "expected a folder, found an empty string");
    *out = join(base, buf);
    return 0;
}

/* The English names of languages, as TyDi QA names its files (tydiqa-goldp-dev-arabic.json): {language}. */
static const char *language_name(const char *code) {
    static const char *const N[][2] = {{"ar", "arabic"}, {"bn", "bengali"}, {"de", "german"}, {"el", "greek"},
                                       {"en", "english"}, {"es", "spanish"}, {"fi", "finnish"}, {"fr", "french"},
                                       {"hi", "hindi"}, {"id", "indonesian"}, {"ja", "japanese"}, {"ko", "korean"},
                                       {"ru", "russian"}, {"sw", "swahili"}, {"te", "telugu"}, {"th", "thai"},
                                       {"tr", "turkish"}, {"vi", "vietnamese"}, {"zh", "chinese"}};
    for (size_t i = 0; i < sizeof N / sizeof N[0]; i++)
        if (!strcmp(N[i][0], code)) return N[i][1];
    return code;
}

static void subst_lang(const char *tmpl, const char *lang, char *out, size_t cap) {
    size_t k = 0;
    for (const char *p = tmpl; *p && k + 1 < cap;) {
        if (!strncmp(p, "{lang}", 6)) {
            k += (size_t)snprintf(out + k, cap - k, "%s", lang);
            p += 6;
        } else if (!strncmp(p, "{language}", 10)) {
            k += (size_t)snprintf(out + k, cap - k, "%s", language_name(lang));
            p += 10;
        } else out[k++] = *p++;
    }
    out[k < cap ? k : cap - 1] = 0;
}

static RunFile *files_push(RunFiles *f) {
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->v = realloc(f->v, (size_t)f->cap * sizeof *f->v);
        CHECK(f->v, "out of memory");
    }
    RunFile *r = &f->v[f->n++];
    memset(r, 0, sizeof *r);
    r->format = -1;
    return r;
}

static void files_free(RunFiles *f) {
    for (int i = 0; i < f->n; i++) { free(f->v[i].path); free(f->v[i].key); }
    free(f->v);
    memset(f, 0, sizeof *f);
}

/* Adds root/rel (rel with {lang} substituted) and checks it is a readable file. jpath: where it came from. */
static int add_file(Ctx *c, const char *jpath, RunFiles *f, const char *root, const char *tmpl, const char *lang,
                    const char *task, RunFileKind kind, RunFileRole role, int format, int unlabeled) {
    char rel[4096];
    subst_lang(tmpl, lang ? lang : "en", rel, sizeof rel);
    RunFile *r = files_push(f);
    r->path = join(root, rel);
    r->key = xstrdup(rel);
    r->task = task;
    r->kind = kind;
    r->role = role;
    r->format = format;
    r->unlabeled = unlabeled;
    snprintf(r->lang, sizeof r->lang, "%s", lang ? lang : "en");
    XsErr fe = {0};
    if (file_check_readable(r->path, &fe))
        return JERR(c, jpath, "%s file of %s%s%s: %s", role == RFR_TRAIN ? "training" : role == RFR_DEV ? "English dev" :
                    role == RFR_EVAL_DEV ? "dev" : "test", task, lang ? " " : "", lang ? lang : "", fe.msg);
    return 0;
}

/* ---- the language lists ---- */

static int langs_from_csv(const char *csv, char (**out)[16]) {
    int n = 1;
    for (const char *p = csv; *p; p++) n += *p == ',';
    *out = calloc((size_t)n, 16);
    CHECK(*out, "out of memory");
    int i = 0;
    for (const char *p = csv; *p;) {
        size_t l = strcspn(p, ",");
        snprintf((*out)[i++], 16, "%.*s", (int)l, p);
        p += l + (p[l] == ',');
    }
    return n;
}

static int csv_has(const char *csv, const char *lang) {
    if (!csv) return 0;
    size_t n = strlen(lang);
    for (const char *p = csv; *p;) {
        size_t l = strcspn(p, ",");
        if (l == n && !strncmp(p, lang, n)) return 1;
        p += l + (p[l] == ',');
    }
    return 0;
}

/* A JSON list of language codes, each in `allowed` (csv). */
static int parse_langs(Ctx *c, const json_t *v, const char *path, const char *allowed, const char *what,
                       char (**out)[16], int *n) {
    if (!json_is_array(v) || json_array_size(v) == 0) return JERR(c, path, "expected a non-empty list of language codes");
    size_t m = json_array_size(v);
    *out = calloc(m, 16);
    CHECK(*out, "out of memory");
    *n = 0;
    for (size_t i = 0; i < m; i++) {
        char ip[256];
        snprintf(ip, sizeof ip, "%s[%zu]", path, i);
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) return JERR(c, ip, "expected a language code (a string)");
        const char *s = json_string_value(e);
        if (!csv_has(allowed, s)) return JERR(c, ip, "\"%s\" is not a language of %s (known: %s)", s, what, allowed);
        for (int j = 0; j < *n; j++)
            if (!strcmp((*out)[j], s)) return JERR(c, ip, "language \"%s\" listed twice", s);
        snprintf((*out)[(*n)++], 16, "%s", s);
    }
    return 0;
}

/* ---- path overrides: "paths": {task: {train, dev, eval_dev, test, format}} ---- */

static const char *const PATH_KEYS[] = {"train", "dev", "eval_dev", "test", "format", NULL};

/* The override of `key` for task, if any: *set = 1 and *v = the JSON value (string, list or null). */
static json_t *path_override(const json_t *paths, const char *task, const char *key) {
    json_t *t = paths ? json_object_get(paths, task) : NULL;
    return t ? json_object_get(t, key) : NULL;
}

static int override_format(Ctx *c, const json_t *paths, const char *task, RunFileKind kind, int *format) {
    json_t *v = path_override(paths, task, "format");
    if (!v) return 0;
    char p[128];
    snprintf(p, sizeof p, "paths.%s.format", task);
    if (!json_is_string(v)) return JERR(c, p, "expected a reader format name (a string)");
    const char *s = json_string_value(v);
    int ok = -1;
    if (kind == RF_PAIR) { PairFormat f; ok = pair_format_parse(s, &f); *format = (int)f; }
    else if (kind == RF_CHOICE) { ChoiceFormat f; ok = choice_format_parse(s, &f); *format = (int)f; }
    else if (kind == RF_TAG) { TagFormat f; ok = tag_format_parse(s, &f); *format = (int)f; }
    else return JERR(c, p, "task %s has only one file format; \"format\" does not apply", task);
    if (ok) return JERR(c, p, "unknown format \"%s\" for %s", s, task);
    return 0;
}

/* ---- targets ---- */

static int parse_target(Ctx *c, RunConfig *cfg, const json_t *paths, const json_t *v, int i) {
    RunTarget *t = &cfg->targets[i];
    snprintf(t->jpath, sizeof t->jpath, "targets[%d]", i);
    const char *name;
    json_t *langs = NULL;
    char tp[64];
    snprintf(tp, sizeof tp, "%s", t->jpath);
    if (json_is_string(v)) name = json_string_value(v);
    else if (json_is_object(v)) {
        static const char *const K[] = {"task", "langs", "hparams", NULL};
        if (check_keys(c, v, t->jpath, K)) return -1;
        json_t *n = json_object_get(v, "task");
        if (!n) return JERR(c, t->jpath, "missing \"task\"");
        snprintf(tp, sizeof tp, "%s.task", t->jpath);
        if (!json_is_string(n)) return JERR(c, tp, "expected a task name (a string)");
        name = json_string_value(n);
        langs = json_object_get(v, "langs");
        t->hparams = json_object_get(v, "hparams");
        const TaskInfo *ti = task_find(name);
        char hp[64];
        snprintf(hp, sizeof hp, "%s.hparams", t->jpath);
        if (ti && ti->type == TASK_RETRIEVAL &&
            hp_scope(c, t->hparams, hp, RETRIEVAL_KEYS, NULL, "a retrieval target takes max_len, layer, pool and predict_examples"))
            return -1;
        if (ti && ti->type != TASK_RETRIEVAL &&
            hp_scope(c, t->hparams, hp, NULL, TRAINED_ONLY_NOT, "layer and pool are for retrieval targets"))
            return -1;
    } else return JERR(c, t->jpath, "expected a task name or {\"task\": ..., \"langs\": [...], \"hparams\": {...}}");
    const TargetLayout *L = layout_find(name);
    if (!L) {
        const TaskInfo *ti = task_find(name);
        if (ti || inter_find(name))
            return JERR(c, tp, "\"%s\" is not an XTREME target (targets: %s)", name, run_target_names());
        return JERR(c, tp, "unknown task \"%s\" (targets: %s)", name, run_target_names());
    }
    t->info = task_find(name);
    CHECK(t->info, "layout task %s missing from the registry", name);
    for (int j = 0; j < i; j++)
        if (cfg->targets[j].info == t->info) return JERR(c, tp, "target \"%s\" listed twice (also targets[%d])", name, j);
    if (langs) {
        char lp[64];
        snprintf(lp, sizeof lp, "%s.langs", t->jpath);
        if (parse_langs(c, langs, lp, t->info->xtreme_langs, t->info->label, &t->langs, &t->nlangs)) return -1;
    } else t->nlangs = langs_from_csv(t->info->xtreme_langs, &t->langs);

    /* the files, defaults overridden by paths.<task> */
    int format = L->format;
    if (override_format(c, paths, name, L->kind, &format)) return -1;
    const char *root = cfg->data;
    char op[128];
    int trainable = t->info->type != TASK_RETRIEVAL;
    const char *tmpl[4] = {L->train, L->dev, L->eval_dev, L->test};
    const json_t *per_lang[4] = {NULL, NULL, NULL, NULL};   /* eval_dev / test given per language: {lang: path(s)} */
    static const char *const KEY[4] = {"train", "dev", "eval_dev", "test"};
    for (int k = 0; k < 4; k++) {
        json_t *o = path_override(paths, name, KEY[k]);
        if (!o) continue;
        snprintf(op, sizeof op, "paths.%s.%s", name, KEY[k]);
        if (json_is_null(o)) tmpl[k] = NULL;
        else if (json_is_string(o)) {
            if (!json_string_length(o)) return JERR(c, op, "expected a path, found an empty string");
            tmpl[k] = json_string_value(o);
        } else if (k >= 2 && json_is_object(o)) {
            per_lang[k] = o;
            tmpl[k] = NULL;
            const char *lk;
            json_t *lv;
            json_object_foreach((json_t *)o, lk, lv) {
                char lp[160];
                snprintf(lp, sizeof lp, "%s.%s", op, lk);
                int listed = 0;
                for (int li = 0; li < t->nlangs; li++) listed |= !strcmp(t->langs[li], lk);
                if (!listed) return JERR(c, lp, "\"%s\" is not one of the target's languages (%s.langs)", lk, t->jpath);
                int nf = L->kind == RF_LINES ? (!strcmp(name, "bucc2018") && k == 2 ? 3 : 2) : 1;
                if (nf == 1 && !json_is_string(lv)) return JERR(c, lp, "expected a path (a string)");
                if (nf > 1 && (!json_is_array(lv) || (int)json_array_size(lv) != nf))
                    return JERR(c, lp, "expected [%s]", nf == 3 ? "sentences, English sentences, gold pairs" : "sentences, English sentences");
            }
        } else
            return JERR(c, op, "expected a path (a string; {lang} / {language} = the language's code / name)%s or null",
                        k >= 2 ? ", an object {lang: path}" : "");
        if (!trainable && k < 2 && tmpl[k]) return JERR(c, op, "%s is a retrieval task: it has no %s file", name, KEY[k]);
    }
    char where[128];
    if (trainable) {
        if (!tmpl[0]) {
            snprintf(op, sizeof op, "paths.%s.train", name);
            return JERR(c, tp, "target \"%s\" has no English training data (%s is null)", name, op);
        }
        if (!tmpl[1]) {
            snprintf(op, sizeof op, "paths.%s.dev", name);
            return JERR(c, tp, "target \"%s\" has no English dev data for early stopping (%s is null)", name, op);
        }
    }
    snprintf(where, sizeof where, "%s", t->jpath);
    /* expanded templates (env) */
    char buf[4][4096];
    for (int k = 0; k < 4; k++)
        if (tmpl[k]) {
            snprintf(op, sizeof op, "paths.%s.%s", name, KEY[k]);
            if (expand_env(c, path_override(paths, name, KEY[k]) ? op : where, tmpl[k], buf[k], sizeof buf[k])) return -1;
            tmpl[k] = buf[k];
        }
    if (trainable) {
        if (add_file(c, where, &t->files, root, tmpl[0], NULL, name, L->kind, RFR_TRAIN, format, 0)) return -1;
        if (add_file(c, where, &t->files, root, tmpl[1], NULL, name, L->kind, RFR_DEV, format, 0)) return -1;
    }
    for (int li = 0; li < t->nlangs; li++) {
        const char *lang = t->langs[li];
        for (int k = 2; k < 4; k++) {
            RunFileRole role = k == 2 ? RFR_EVAL_DEV : RFR_EVAL_TEST;
            const char *given[3] = {NULL, NULL, NULL};
            char gbuf[3][4096];
            char lp[160];
            snprintf(lp, sizeof lp, "paths.%s.%s.%s", name, KEY[k], lang);
            if (per_lang[k]) {
                json_t *lv = json_object_get(per_lang[k], lang);
                if (!lv) continue; /* this language has no such split */
                for (int q = 0; q < 3; q++) {
                    json_t *e = json_is_array(lv) ? json_array_get(lv, (size_t)q) : q == 0 ? lv : NULL;
                    if (!e) break;
                    char qp[200];
                    snprintf(qp, sizeof qp, json_is_array(lv) ? "%s[%d]" : "%s", lp, q);
                    if (!json_is_string(e)) return JERR(c, qp, "expected a path (a string)");
                    if (expand_env(c, qp, json_string_value(e), gbuf[q], sizeof gbuf[q])) return -1;
                    given[q] = gbuf[q];
                }
            } else {
                if (!tmpl[k]) continue;
                if (k == 2 && csv_has(L->no_dev, lang) && !path_override(paths, name, "eval_dev")) continue;
            }
            const char *src = per_lang[k] ? lp : where;
            if (L->kind == RF_LINES) {
                /* retrieval: prefix.{lang}, prefix.en (+ prefix.gold for BUCC dev), or the files given */
                int bucc_dev = !strcmp(name, "bucc2018") && k == 2;
                char pre[4096], f[3][4200];
                if (!given[0]) {
                    subst_lang(tmpl[k], lang, pre, sizeof pre);
                    snprintf(f[0], sizeof f[0], "%s.%s", pre, lang);
                    snprintf(f[1], sizeof f[1], "%s.en", pre);
                    snprintf(f[2], sizeof f[2], "%s.gold", pre);
                } else
                    for (int q = 0; q < 3; q++) snprintf(f[q], sizeof f[q], "%s", given[q] ? given[q] : "");
                for (int q = 0; q < 2 + bucc_dev; q++)
                    if (add_file(c, src, &t->files, root, f[q], lang, name, RF_LINES, role, -1, 0)) return -1;
                continue;
            }
            /* labels: XTREME's test files ship without; a file given here is read as its name says */
            int unl = k == 3 && (L->kind == RF_PAIR || L->kind == RF_TAG) && !path_override(paths, name, KEY[k]);
            const char *file = given[0] ? given[0] : tmpl[k];
            if (path_override(paths, name, KEY[k]) && (L->kind == RF_PAIR || L->kind == RF_TAG)) {
                char probe[4096];
                subst_lang(file, lang, probe, sizeof probe);
                if (L->kind == RF_PAIR) { PairFormat pf; int u = 0; if (!pair_format_guess(probe, &pf, &u)) unl = u; }
                else { TagFormat tf; int u = 0; char gl[16]; if (!tag_format_guess(probe, &tf, &u, gl)) unl = u; }
            }
            if (add_file(c, src, &t->files, root, file, lang, name, L->kind, role, format, unl)) return -1;
        }
    }
    return 0;
}

/* ---- rows ---- */

static int valid_name(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > RUN_NAME_MAX) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
              *p == '-'))
            return 0;
    return strcmp(s, ".") && strcmp(s, "..");
}

static int parse_sampler(Ctx *c, RunRow *r, const json_t *v) {
    char p[96];
    snprintf(p, sizeof p, "%s.sampler", r->jpath);
    if (!json_is_object(v)) return JERR(c, p, "expected {\"kind\": ..., \"temperature\": ..., \"cap\": ..., \"weights\": [...]}");
    static const char *const K[] = {"kind", "temperature", "cap", "weights", NULL};
    if (check_keys(c, v, p, K)) return -1;
    char kp[128];
    json_t *k = json_object_get(v, "kind");
    snprintf(kp, sizeof kp, "%s.kind", p);
    if (!k) return JERR(c, p, "missing \"kind\" (uniform, proportional, temperature or specified)");
    if (!json_is_string(k) || sampler_kind_parse(json_string_value(k), &r->sampler))
        return JERR(c, kp, "expected uniform, proportional, temperature or specified");
    json_t *t = json_object_get(v, "temperature"), *cap = json_object_get(v, "cap"), *w = json_object_get(v, "weights");
    if (r->sampler == SAMPLER_TEMPERATURE) {
        snprintf(kp, sizeof kp, "%s.temperature", p);
        if (!t) return JERR(c, p, "the temperature sampler needs \"temperature\"");
        if (!json_is_number(t) || !(json_number_value(t) > 0)) return JERR(c, kp, "expected a number > 0");
        r->temperature = json_number_value(t);
        if (cap) {
            snprintf(kp, sizeof kp, "%s.cap", p);
            if (!json_is_integer(cap) || json_integer_value(cap) < 0) return JERR(c, kp, "expected an integer >= 0 (0: no cap)");
            r->cap = (double)json_integer_value(cap);
        }
    } else {
        if (t) { snprintf(kp, sizeof kp, "%s.temperature", p); return JERR(c, kp, "only the temperature sampler takes a temperature"); }
        if (cap) { snprintf(kp, sizeof kp, "%s.cap", p); return JERR(c, kp, "only the temperature sampler takes a cap"); }
    }
    if (r->sampler == SAMPLER_SPECIFIED) {
        snprintf(kp, sizeof kp, "%s.weights", p);
        if (!w) return JERR(c, p, "the specified sampler needs \"weights\" (one per intermediate task)");
        if (!json_is_array(w) || (int)json_array_size(w) != r->ntasks)
            return JERR(c, kp, "expected a list of %d numbers (one per intermediate task)", r->ntasks);
        r->weights = calloc((size_t)r->ntasks, sizeof *r->weights);
        CHECK(r->weights, "out of memory");
        double sum = 0;
        for (int i = 0; i < r->ntasks; i++) {
            json_t *e = json_array_get(w, (size_t)i);
            char ep[160];
            snprintf(ep, sizeof ep, "%s[%d]", kp, i);
            if (!json_is_number(e) || json_number_value(e) < 0) return JERR(c, ep, "expected a number >= 0");
            r->weights[i] = json_number_value(e);
            sum += r->weights[i];
        }
        if (!(sum > 0)) return JERR(c, kp, "the weights are all 0");
    } else if (w) {
        snprintf(kp, sizeof kp, "%s.weights", p);
        return JERR(c, kp, "only the specified sampler takes weights");
    }
    if (r->ntasks < 2) return JERR(c, p, "a sampler needs two or more intermediate tasks");
    return 0;
}

static int parse_mlm(Ctx *c, RunConfig *cfg, RunRow *r, const json_t *v) {
    char p[96], kp[160];
    snprintf(p, sizeof p, "%s.mlm", r->jpath);
    if (!json_is_object(v)) return JERR(c, p, "expected {\"files\": [...] or \"langs\": [...], \"weight\": ...}");
    static const char *const K[] = {"files", "langs", "path", "weight", NULL};
    if (check_keys(c, v, p, K)) return -1;
    json_t *files = json_object_get(v, "files"), *langs = json_object_get(v, "langs"), *path = json_object_get(v, "path"),
           *w = json_object_get(v, "weight");
    if (!!files == !!langs) return JERR(c, p, "expected exactly one of \"files\" (text files) or \"langs\" (with \"path\")");
    r->mlm = 1;
    r->mlm_weight = 0.5;
    if (w) {
        snprintf(kp, sizeof kp, "%s.weight", p);
        if (!json_is_number(w) || !(json_number_value(w) > 0 && json_number_value(w) < 1))
            return JERR(c, kp, "expected the share of MLM batches, a number between 0 and 1 (exclusive)");
        r->mlm_weight = json_number_value(w);
    }
    if (files) {
        snprintf(kp, sizeof kp, "%s.files", p);
        if (path) { snprintf(kp, sizeof kp, "%s.path", p); return JERR(c, kp, "\"path\" goes with \"langs\", not \"files\""); }
        if (!json_is_array(files) || json_array_size(files) == 0) return JERR(c, kp, "expected a non-empty list of text files");
        for (size_t i = 0; i < json_array_size(files); i++) {
            char ep[200], buf[4096];
            snprintf(ep, sizeof ep, "%s[%zu]", kp, i);
            json_t *e = json_array_get(files, i);
            if (!json_is_string(e) || !json_string_length(e)) return JERR(c, ep, "expected a path (a string)");
            if (expand_env(c, ep, json_string_value(e), buf, sizeof buf)) return -1;
            if (add_file(c, ep, &r->train, cfg->intermediate_data, buf, NULL, "mlm", RF_TEXT, RFR_TRAIN, -1, 0)) return -1;
            snprintf(r->train.v[r->train.n - 1].lang, 16, "*");
        }
        return 0;
    }
    char (*ll)[16] = NULL;
    int nl = 0;
    snprintf(kp, sizeof kp, "%s.langs", p);
    /* any XTREME language (the union of the tasks' lists) */
    static char all[1024];
    if (!all[0]) {
        size_t k = 0;
        for (int t = 0; t < task_xtreme_count(); t++) {
            const char *csv = task_at(t)->xtreme_langs;
            for (const char *q = csv; *q;) {
                size_t l = strcspn(q, ",");
                char code[16];
                snprintf(code, sizeof code, "%.*s", (int)l, q);
                if (!csv_has(all, code)) k += (size_t)snprintf(all + k, sizeof all - k, "%s%s", k ? "," : "", code);
                q += l + (q[l] == ',');
            }
        }
    }
    if (parse_langs(c, langs, kp, all, "XTREME", &ll, &nl)) { free(ll); return -1; }
    const char *tmpl = "mlm/{lang}.txt";
    char buf[4096];
    if (path) {
        snprintf(kp, sizeof kp, "%s.path", p);
        if (!json_is_string(path) || !strstr(json_string_value(path), "{lang}"))
            { free(ll); return JERR(c, kp, "expected a path template holding {lang}"); }
        if (expand_env(c, kp, json_string_value(path), buf, sizeof buf)) { free(ll); return -1; }
        tmpl = buf;
    }
    snprintf(kp, sizeof kp, "%s.langs", p);
    for (int i = 0; i < nl; i++)
        if (add_file(c, kp, &r->train, cfg->intermediate_data, tmpl, ll[i], "mlm", RF_TEXT, RFR_TRAIN, -1, 0)) { free(ll); return -1; }
    free(ll);
    return 0;
}

static int parse_row(Ctx *c, RunConfig *cfg, const json_t *paths, const json_t *v, int i) {
    RunRow *r = &cfg->rows[i];
    snprintf(r->jpath, sizeof r->jpath, "rows[%d]", i);
    r->sampler = SAMPLER_PROPORTIONAL;
    if (!json_is_object(v)) return JERR(c, r->jpath, "expected an object {\"name\": ..., \"intermediate\": [...]}");
    static const char *const K[] = {"name", "intermediate", "sampler", "mlm", "translated", "translated_langs", "hparams",
                                    "target_hparams", "description", NULL};
    if (check_keys(c, v, r->jpath, K)) return -1;
    char p[128];
    json_t *n = json_object_get(v, "name");
    snprintf(p, sizeof p, "%s.name", r->jpath);
    if (!n) return JERR(c, r->jpath, "missing \"name\"");
    if (!json_is_string(n) || !valid_name(json_string_value(n)))
        return JERR(c, p, "expected a name of 1 to %d characters from A-Z a-z 0-9 _ . -", RUN_NAME_MAX);
    snprintf(r->name, sizeof r->name, "%s", json_string_value(n));
    for (int j = 0; j < i; j++)
        if (!strcmp(cfg->rows[j].name, r->name)) return JERR(c, p, "duplicate row name \"%s\" (also rows[%d])", r->name, j);
    json_t *it = json_object_get(v, "intermediate");
    snprintf(p, sizeof p, "%s.intermediate", r->jpath);
    if (!it) return JERR(c, r->jpath, "missing \"intermediate\" (a list of task names; [] for the baseline)");
    if (!json_is_array(it)) return JERR(c, p, "expected a list of intermediate task names ([] for the baseline)");
    r->ntasks = (int)json_array_size(it);
    if (r->ntasks > XS_MAX_TASKS) return JERR(c, p, "at most %d tasks", XS_MAX_TASKS);
    r->tasks = calloc((size_t)r->ntasks + 1, sizeof *r->tasks);
    r->types = calloc((size_t)r->ntasks + 1, sizeof *r->types);
    CHECK(r->tasks && r->types, "out of memory");
    for (int k = 0; k < r->ntasks; k++) {
        char ep[160];
        snprintf(ep, sizeof ep, "%s[%d]", p, k);
        json_t *e = json_array_get(it, (size_t)k);
        if (!json_is_string(e)) return JERR(c, ep, "expected a task name (a string)");
        const InterTask *T = inter_find(json_string_value(e));
        if (!T) {
            const TaskInfo *ti = task_find(json_string_value(e));
            if (ti && ti->type == TASK_RETRIEVAL)
                return JERR(c, ep, "\"%s\" is a retrieval task with no training data; it cannot be an intermediate task "
                            "(known: %s)", json_string_value(e), run_intermediate_names());
            return JERR(c, ep, "unknown task \"%s\" (known: %s)", json_string_value(e), run_intermediate_names());
        }
        for (int j = 0; j < k; j++)
            if (!strcmp(r->tasks[j], T->name)) return JERR(c, ep, "task \"%s\" listed twice", T->name);
        r->tasks[k] = T->name;
        r->types[k] = T->type;
    }
    json_t *s = json_object_get(v, "sampler");
    if (s && parse_sampler(c, r, s)) return -1;
    json_t *tr = json_object_get(v, "translated"), *tl = json_object_get(v, "translated_langs");
    if (tr) {
        snprintf(p, sizeof p, "%s.translated", r->jpath);
        if (!json_is_boolean(tr)) return JERR(c, p, "expected true or false");
        r->translated = json_is_true(tr);
    }
    if (tl && !r->translated) {
        snprintf(p, sizeof p, "%s.translated_langs", r->jpath);
        return JERR(c, p, "\"translated_langs\" needs \"translated\": true");
    }
    if (r->translated && r->ntasks == 0) {
        snprintf(p, sizeof p, "%s.translated", r->jpath);
        return JERR(c, p, "the baseline row has no intermediate data to translate");
    }
    /* phase-1 files: each task's English training data, then its translations */
    for (int k = 0; k < r->ntasks; k++) {
        const InterTask *T = inter_find(r->tasks[k]);
        int fmt = T->format;
        if (override_format(c, paths, T->name, T->kind, &fmt)) return -1;
        char ep[160];
        snprintf(ep, sizeof ep, "%s.intermediate[%d]", r->jpath, k);
        json_t *o = path_override(paths, T->name, "train");
        if (o) {
            char op[128], buf[4096];
            snprintf(op, sizeof op, "paths.%s.train", T->name);
            if (json_is_string(o)) {
                if (expand_env(c, op, json_string_value(o), buf, sizeof buf)) return -1;
                int f = fmt;
                if (T->kind == RF_PAIR && fmt < 0) {
                    PairFormat pf;
                    if (pair_format_guess(buf, &pf, NULL)) return JERR(c, op, "cannot tell the format from the name; add paths.%s.format", T->name);
                    f = (int)pf;
                }
                if (add_file(c, op, &r->train, cfg->intermediate_data, buf, NULL, T->name, T->kind, RFR_TRAIN, f, 0)) return -1;
            } else if (json_is_array(o) && json_array_size(o) > 0) {
                for (size_t q = 0; q < json_array_size(o); q++) {
                    char qp[160];
                    snprintf(qp, sizeof qp, "%s[%zu]", op, q);
                    json_t *e = json_array_get(o, q);
                    if (!json_is_string(e)) return JERR(c, qp, "expected a path (a string)");
                    if (expand_env(c, qp, json_string_value(e), buf, sizeof buf)) return -1;
                    int f = fmt;
                    if (T->kind == RF_PAIR) {
                        PairFormat pf;
                        if (pair_format_guess(buf, &pf, NULL) == 0) f = (int)pf;
                        else if (fmt < 0) return JERR(c, qp, "cannot tell the format from the name; add paths.%s.format", T->name);
                    }
                    if (add_file(c, qp, &r->train, cfg->intermediate_data, buf, NULL, T->name, T->kind, RFR_TRAIN, f, 0)) return -1;
                }
            } else return JERR(c, op, "expected a path or a non-empty list of paths (an intermediate task needs training data)");
        } else {
            for (int q = 0; q < 5 && T->train[q]; q++) {
                int f = T->formats[0] >= 0 || q > 0 ? T->formats[q] : fmt;
                if (add_file(c, ep, &r->train, cfg->intermediate_data, T->train[q], NULL, T->name, T->kind, RFR_TRAIN, f, 0))
                    return -1;
            }
        }
    }
    if (r->translated) {
        /* the languages: translated_langs, else every language XTREME translated each task into */
        const char *allowed = NULL;
        for (int k = 0; k < r->ntasks; k++) {
            const InterTask *T = inter_find(r->tasks[k]);
            snprintf(p, sizeof p, "%s.intermediate[%d]", r->jpath, k);
            if (!T->translated)
                return JERR(c, p, "\"translated\": XTREME published no translation of \"%s\" (translated: mnli, squad)", T->name);
            allowed = T->tlangs;
        }
        if (tl) {
            snprintf(p, sizeof p, "%s.translated_langs", r->jpath);
            /* every task must have every language: check against each */
            for (int k = 0; k < r->ntasks; k++) {
                free(r->tlangs);
                r->tlangs = NULL;
                if (parse_langs(c, tl, p, inter_find(r->tasks[k])->tlangs, "XTREME's translations of this row's tasks",
                                &r->tlangs, &r->ntlangs))
                    return -1;
            }
        }
        for (int k = 0; k < r->ntasks; k++) {
            const InterTask *T = inter_find(r->tasks[k]);
            char (*ll)[16] = r->tlangs;
            int nl = r->ntlangs;
            char (*own)[16] = NULL;
            if (!tl) { nl = langs_from_csv(T->tlangs, &own); ll = own; }
            snprintf(p, sizeof p, "%s.translated", r->jpath);
            for (int q = 0; q < nl; q++)
                if (add_file(c, p, &r->train, cfg->translations, T->translated, ll[q], T->name,
                             T->kind == RF_PAIR ? RF_TRANSLATED : T->kind, RFR_TRAIN, -1, 0)) { free(own); return -1; }
            free(own);
        }
        (void)allowed;
    }
    json_t *m = json_object_get(v, "mlm");
    if (m) {
        if (r->ntasks == 0) {
            snprintf(p, sizeof p, "%s.mlm", r->jpath);
            return JERR(c, p, "MLM is multi-tasked with intermediate tasks; the baseline row has none");
        }
        if (parse_mlm(c, cfg, r, m)) return -1;
    }
    /* phase-1 hyperparameters: defaults, hparams, intermediate_hparams, the row's */
    hparams_defaults(&r->hp, HP_INTERMEDIATE, NULL, r->ntasks ? r->types[0] : TASK_CLASSIFICATION);
    json_t *rh = json_object_get(v, "hparams");
    r->target_hparams = json_object_get(v, "target_hparams");
    snprintf(p, sizeof p, "%s.hparams", r->jpath);
    if (r->ntasks == 0 && rh) return JERR(c, p, "the baseline row has no phase 1; use \"target_hparams\"");
    if (hp_scope(c, rh, p, NULL, PHASE1_NOT, "phase 1 trains its epochs: no early stopping, no retrieval"))
        return -1;
    if (hparams_apply_json(&r->hp, cfg->hparams, c->file, c->text, "hparams", c->err)) return -1;
    r->hp.eval_every = 0; /* the global block's early stopping is phase 2's: phase 1 trains its epochs */
    if (hparams_apply_json(&r->hp, cfg->intermediate_hparams, c->file, c->text, "intermediate_hparams", c->err) ||
        hparams_apply_json(&r->hp, rh, c->file, c->text, p, c->err))
        return -1;
    for (int k = 0; k < r->ntasks; k++)
        if (r->types[k] == TASK_SPAN_QA && (r->hp.doc_stride >= r->hp.qa_max_len || r->hp.max_query_len >= r->hp.qa_max_len))
            return JERR(c, r->jpath, "QA rows of %d tokens cannot hold doc_stride %d / max_query_len %d", r->hp.qa_max_len,
                        r->hp.doc_stride, r->hp.max_query_len);
    if (r->target_hparams) {
        snprintf(p, sizeof p, "%s.target_hparams", r->jpath);
        HParams scratch;
        hparams_defaults(&scratch, HP_TARGET, "xnli", TASK_CLASSIFICATION);
        if (hparams_apply_json(&scratch, r->target_hparams, c->file, c->text, p, c->err)) return -1;
    }
    return 0;
}

int run_cell_hparams(const RunConfig *cfg, int r, int t, HParams *h, XsErr *err) {
    const RunTarget *T = &cfg->targets[t];
    const RunRow *R = &cfg->rows[r];
    hparams_defaults(h, HP_TARGET, T->info->name, T->info->type);
    char p[96];
    if (hparams_apply_json(h, cfg->hparams, cfg->file, cfg->text, "hparams", err)) return -1;
    snprintf(p, sizeof p, "%s.hparams", T->jpath);
    if (hparams_apply_json(h, T->hparams, cfg->file, cfg->text, p, err)) return -1;
    snprintf(p, sizeof p, "%s.target_hparams", R->jpath);
    if (hparams_apply_json(h, R->target_hparams, cfg->file, cfg->text, p, err)) return -1;
    if (T->info->type == TASK_SPAN_QA && (h->doc_stride >= h->max_len || h->max_query_len >= h->max_len))
        return json_err(err, cfg->file, cfg->text, T->jpath, "%s with row %s: max_len %d cannot hold doc_stride %d / "
                        "max_query_len %d", T->info->name, R->name, h->max_len, h->doc_stride, h->max_query_len);
    return 0;
}

/* ---- the whole file ---- */

void run_config_free(RunConfig *cfg) {
    for (int i = 0; i < cfg->nrows; i++) {
        RunRow *r = &cfg->rows[i];
        free(r->tasks);
        free(r->types);
        free(r->weights);
        free(r->tlangs);
        files_free(&r->train);
    }
    for (int i = 0; i < cfg->ntargets; i++) {
        free(cfg->targets[i].langs);
        files_free(&cfg->targets[i].files);
    }
    free(cfg->rows);
    free(cfg->targets);
    free(cfg->seeds);
    free(cfg->file);
    free(cfg->text);
    free(cfg->title);
    free(cfg->model);
    free(cfg->data);
    free(cfg->intermediate_data);
    free(cfg->translations);
    if (cfg->root) json_decref(cfg->root);
    memset(cfg, 0, sizeof *cfg);
}

static int load(const char *path, const RunOverrides *ov, RunConfig *cfg, XsErr *err) {
    size_t len;
    cfg->file = xstrdup(path);
    cfg->text = file_read_all(path, &len, err);
    if (!cfg->text) return -1;
    json_error_t je;
    cfg->root = json_loadb(cfg->text, len, JSON_REJECT_DUPLICATES, &je);
    if (!cfg->root) return err_set(err, NULL, 0, "%s:%d:%d: invalid JSON: %s", path, je.line, je.column, je.text);
    Ctx c = {path, cfg->text, err};
    const json_t *root = cfg->root;
    if (!json_is_object(root)) return JERR(&c, "", "expected a JSON object");
    static const char *const K[] = {"format", "version", "title", "description", "model", "data", "intermediate_data",
                                    "translations", "paths", "rows", "targets", "seeds", "hparams",
                                    "intermediate_hparams", NULL};
    if (check_keys(&c, root, "", K)) return -1;
    json_t *f = json_object_get(root, "format"), *ver = json_object_get(root, "version");
    if (f && (!json_is_string(f) || strcmp(json_string_value(f), "xstilts-study")))
        return JERR(&c, "format", "expected \"xstilts-study\"");
    if (ver && (!json_is_integer(ver) || json_integer_value(ver) != RUN_FORMAT_VERSION))
        return JERR(&c, "version", "expected %d (the only version of this format)", RUN_FORMAT_VERSION);
    json_t *d = json_object_get(root, "description");
    if (d && !json_is_string(d)) return JERR(&c, "description", "expected a string");
    json_t *ti = json_object_get(root, "title");
    if (ti && !json_is_string(ti)) return JERR(&c, "title", "expected a string");
    if (ti) cfg->title = xstrdup(json_string_value(ti));

    char *base = dir_of(path);
    int rc = -1;
    if (ov && ov->model) cfg->model = xstrdup(ov->model);
    else if (get_dir(&c, root, "model", base, 1, &cfg->model)) goto out;
    if (ov && ov->data) cfg->data = xstrdup(ov->data);
    else if (get_dir(&c, root, "data", base, 1, &cfg->data)) goto out;
    if (get_dir(&c, root, "intermediate_data", base, 0, &cfg->intermediate_data)) goto out;
    if (!cfg->intermediate_data) cfg->intermediate_data = xstrdup(cfg->data);
    if (get_dir(&c, root, "translations", base, 0, &cfg->translations)) goto out;
    if (!cfg->translations) cfg->translations = join(cfg->data, "xtreme_translations");
    if (!is_dir(cfg->model)) {
        rc = ov && ov->model ? err_set(err, cfg->model, 0, "--model: not a folder (a model folder in Hugging Face layout)")
                             : JERR(&c, "model", "%s: not a folder (a model folder in Hugging Face layout)", cfg->model);
        goto out;
    }
    if (!is_dir(cfg->data)) {
        rc = ov && ov->data ? err_set(err, cfg->data, 0, "--data: not a folder (XTREME's download/)")
                            : JERR(&c, "data", "%s: not a folder (XTREME's download/)", cfg->data);
        goto out;
    }

    cfg->hparams = json_object_get(root, "hparams");
    cfg->intermediate_hparams = json_object_get(root, "intermediate_hparams");
    {   /* the global blocks checked on their own first (unknown keys, types) */
        HParams scratch;
        hparams_defaults(&scratch, HP_TARGET, "xnli", TASK_CLASSIFICATION);
        if (hparams_apply_json(&scratch, cfg->hparams, path, cfg->text, "hparams", err)) goto out;
        if (hparams_apply_json(&scratch, cfg->intermediate_hparams, path, cfg->text, "intermediate_hparams", err)) goto out;
        if (hp_scope(&c, cfg->intermediate_hparams, "intermediate_hparams", NULL, PHASE1_NOT,
                     "phase 1 trains its epochs: no early stopping, no retrieval"))
            goto out;
    }

    json_t *paths = json_object_get(root, "paths");
    if (paths) {
        if (!json_is_object(paths)) { rc = JERR(&c, "paths", "expected an object {task: {\"train\": ..., ...}}"); goto out; }
        const char *key;
        json_t *v;
        json_object_foreach(paths, key, v) {
            char kp[128];
            snprintf(kp, sizeof kp, "paths.%s", key);
            if (!inter_find(key) && !layout_find(key)) {
                rc = JERR(&c, kp, "unknown task \"%s\" (known: %s; %s)", key, run_intermediate_names(), run_target_names());
                goto out;
            }
            if (!json_is_object(v)) { rc = JERR(&c, kp, "expected an object with train, dev, eval_dev, test, format"); goto out; }
            if (check_keys(&c, v, kp, PATH_KEYS)) goto out;
            if (inter_find(key) && !layout_find(key)) {
                static const char *const IK[] = {"train", "format", NULL};
                if (check_keys(&c, v, kp, IK)) goto out;
            }
        }
    }

    /* seeds */
    json_t *seeds = json_object_get(root, "seeds");
    if (seeds) {
        if (!json_is_array(seeds) || json_array_size(seeds) == 0) { rc = JERR(&c, "seeds", "expected a non-empty list of integers"); goto out; }
        cfg->nseeds = (int)json_array_size(seeds);
        cfg->seeds = calloc((size_t)cfg->nseeds, sizeof *cfg->seeds);
        CHECK(cfg->seeds, "out of memory");
        for (int i = 0; i < cfg->nseeds; i++) {
            char sp[32];
            snprintf(sp, sizeof sp, "seeds[%d]", i);
            json_t *e = json_array_get(seeds, (size_t)i);
            if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > 2147483647) {
                rc = JERR(&c, sp, "expected an integer from 0 to 2147483647");
                goto out;
            }
            cfg->seeds[i] = (long)json_integer_value(e);
            for (int j = 0; j < i; j++)
                if (cfg->seeds[j] == cfg->seeds[i]) { rc = JERR(&c, sp, "seed %ld listed twice", cfg->seeds[i]); goto out; }
        }
    } else {
        cfg->nseeds = 1;
        cfg->seeds = calloc(1, sizeof *cfg->seeds);
        CHECK(cfg->seeds, "out of memory");
        cfg->seeds[0] = 1;
    }

    /* targets */
    json_t *targets = json_object_get(root, "targets");
    if (!targets) { rc = JERR(&c, "", "missing required key \"targets\""); goto out; }
    if (!json_is_array(targets) || json_array_size(targets) == 0) { rc = JERR(&c, "targets", "expected a non-empty list of targets"); goto out; }
    cfg->targets = calloc(json_array_size(targets), sizeof *cfg->targets);
    CHECK(cfg->targets, "out of memory");
    for (size_t i = 0; i < json_array_size(targets); i++) {
        cfg->ntargets = (int)i + 1;
        if (parse_target(&c, cfg, paths, json_array_get(targets, i), (int)i)) goto out;
    }

    /* rows */
    json_t *rows = json_object_get(root, "rows");
    if (!rows) { rc = JERR(&c, "", "missing required key \"rows\""); goto out; }
    if (!json_is_array(rows) || json_array_size(rows) == 0) { rc = JERR(&c, "rows", "expected a non-empty list of rows"); goto out; }
    cfg->rows = calloc(json_array_size(rows), sizeof *cfg->rows);
    CHECK(cfg->rows, "out of memory");
    cfg->baseline = -1;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        cfg->nrows = (int)i + 1;
        if (parse_row(&c, cfg, paths, json_array_get(rows, i), (int)i)) goto out;
        if (cfg->rows[i].ntasks == 0) {
            if (cfg->baseline >= 0) {
                char np[64];
                snprintf(np, sizeof np, "rows[%zu].intermediate", i);
                rc = JERR(&c, np, "a second baseline row (no intermediate task; rows[%d] \"%s\" is the baseline)", cfg->baseline,
                          cfg->rows[cfg->baseline].name);
                goto out;
            }
            cfg->baseline = (int)i;
        }
    }
    /* every cell's hyperparameters resolve */
    for (int r = 0; r < cfg->nrows; r++)
        for (int t = 0; t < cfg->ntargets; t++) {
            HParams h;
            if (run_cell_hparams(cfg, r, t, &h, err)) goto out;
        }
    rc = 0;
out:
    free(base);
    return rc;
}

int run_config_load(const char *path, const RunOverrides *ov, RunConfig *cfg, XsErr *err) {
    memset(cfg, 0, sizeof *cfg);
    if (load(path, ov, cfg, err)) {
        run_config_free(cfg);
        return -1;
    }
    return 0;
}
