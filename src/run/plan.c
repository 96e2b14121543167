/* plan.c — jobs, cells, config hashes, state in the run folder, counting and estimating the work. */
#include "run/plan.h"
#include "core/sha256.h"
#include "core/seal.h"
#include "run/state.h"
#include "core/util.h"
#include "data/choices.h"
#include "data/pairs.h"
#include "data/squad_examples.h"
#include "data/tagging.h"
#include "data/text.h"
#include "tasks/featurize.h"
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RUN_SAMPLE 2000       /* training files: examples featurized for the token estimate */
#define RUN_SAMPLE_EVAL 200   /* evaluation files */

const char *run_state_name(RunState s) {
    switch (s) {
    case RS_TODO: return "to do";
    case RS_PARTIAL: return "partial";
    case RS_DONE: return "done";
    case RS_STALE: return "stale";
    case RS_CORRUPT: return "corrupt";
    case RS_NSTATES: break;
    }
    return "?";
}

/* ---- hashing ---- */

static void hash_json(const json_t *o, char hex[65]) {
    char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(17));
    CHECK(s, "json_dumps failed");
    sha256_hex(s, strlen(s), hex);
    free(s);
}

static long long file_size(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static json_t *files_json(const RunFiles *f) {
    json_t *a = json_array();
    for (int i = 0; i < f->n; i++) {
        const RunFile *r = &f->v[i];
        static const char *const ROLE[] = {"train", "dev", "eval_dev", "test"};
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:I}", "task", r->task, "file", r->key, "role",
                                           ROLE[r->role], "lang", r->lang, "size", (json_int_t)file_size(r->path)));
    }
    return a;
}

/* The model's identity: config.json's bytes and the weight files' names and sizes (the path is not part of it:
 * a moved model folder is the same model). */
static int model_identity(const char *dir, char hex[65], XsErr *err) {
    char p[4200];
    snprintf(p, sizeof p, "%s/config.json", dir);
    char cfg_hex[65];
    uint64_t sz;
    if (sha256_file(p, cfg_hex, &sz, err)) return err_prefix(err, "model: not a model folder (Hugging Face layout): ");
    /* the weights xstilts reads (docs/MODEL_FORMAT.md: safetensors only), checked before anything starts */
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    if (file_check_readable(p, err)) return err_prefix(err, "model: ");
    json_t *o = json_pack("{s:s, s:{s:I}}", "config_sha256", cfg_hex, "weights", "model.safetensors",
                          (json_int_t)file_size(p));
    hash_json(o, hex);
    json_decref(o);
    return 0;
}

static json_t *row_json(const RunRow *r, int with_hp) {
    json_t *o = json_object();
    json_t *t = json_array();
    for (int k = 0; k < r->ntasks; k++) json_array_append_new(t, json_string(r->tasks[k]));
    json_object_set_new(o, "intermediate", t);
    if (r->ntasks > 1) {
        json_t *s = json_pack("{s:s}", "kind", sampler_kind_name(r->sampler));
        if (r->sampler == SAMPLER_TEMPERATURE) {
            json_object_set_new(s, "temperature", json_real(r->temperature));
            json_object_set_new(s, "cap", json_integer((json_int_t)r->cap));
        }
        if (r->weights) {
            json_t *w = json_array();
            for (int k = 0; k < r->ntasks; k++) json_array_append_new(w, json_real(r->weights[k]));
            json_object_set_new(s, "weights", w);
        }
        json_object_set_new(o, "sampler", s);
    } else json_object_set_new(o, "sampler", json_null());
    json_object_set_new(o, "mlm", r->mlm ? json_pack("{s:f}", "weight", r->mlm_weight) : json_null());
    json_object_set_new(o, "translated", json_boolean(r->translated));
    if (with_hp && r->ntasks) json_object_set_new(o, "hparams", hparams_to_json(&r->hp, r->types[0], HP_INTERMEDIATE));
    json_object_set_new(o, "files", files_json(&r->train));
    return o;
}

static json_t *langs_json(const RunTarget *t) {
    json_t *a = json_array();
    for (int i = 0; i < t->nlangs; i++) json_array_append_new(a, json_string(t->langs[i]));
    return a;
}

/* ---- state ---- */

static int dir_nonempty(const char *d) {
    DIR *dd = opendir(d);
    if (!dd) return 0;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(dd)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) { n = 1; break; }
    closedir(dd);
    return n;
}

int run_folder_hash(const char *run_dir, char out[65], XsErr *err) {
    char p[4200];
    snprintf(p, sizeof p, "%s/run.json", run_dir);
    return run_state_hash(p, out, err);
}

/* done: the final file with this hash; stale: a final or started file with another hash; partial: started with
 * this hash or anything else in the folder; to do: nothing there. A damaged file (run_state_hash fails): the final
 * file with an intact started.json of this hash is partial with `damage` set (redone), otherwise corrupt. */
static int detect_state(const char *dir, const char *final_name, const char *hash, RunState *st, char *damage,
                        size_t cap) {
    char h[65], p[4200];
    XsErr e = {0};
    damage[0] = 0;
    snprintf(p, sizeof p, "%s/%s", dir, final_name);
    if (run_state_hash(p, h, &e)) snprintf(damage, cap, "%s", e.msg);
    else if (h[0]) { *st = strcmp(h, hash) ? RS_STALE : RS_DONE; return 0; }
    snprintf(p, sizeof p, "%s/started.json", dir);
    memset(&e, 0, sizeof e);
    if (run_state_hash(p, h, &e)) {
        if (!damage[0]) snprintf(damage, cap, "%s", e.msg);
        *st = RS_CORRUPT;
        return 0;
    }
    if (h[0]) { *st = strcmp(h, hash) ? RS_STALE : RS_PARTIAL; return 0; }
    *st = damage[0] ? RS_CORRUPT : dir_nonempty(dir) ? RS_PARTIAL : RS_TODO;
    return 0;
}

/* ---- building ---- */

void run_plan_free(RunPlan *p) {
    free(p->jobs);
    free(p->cells);
    memset(p, 0, sizeof *p);
}

int run_plan_build(RunPlan *p, const RunConfig *cfg, const char *run_dir, XsErr *err) {
    memset(p, 0, sizeof *p);
    p->cfg = cfg;
    if (model_identity(cfg->model, p->model_id, err)) return -1;
    int nb = 0;
    for (int r = 0; r < cfg->nrows; r++) nb += cfg->rows[r].ntasks > 0;
    p->njobs = nb * cfg->nseeds;
    p->ncells = cfg->nrows * cfg->ntargets * cfg->nseeds;
    p->jobs = calloc((size_t)p->njobs + 1, sizeof *p->jobs);
    p->cells = calloc((size_t)p->ncells + 1, sizeof *p->cells);
    CHECK(p->jobs && p->cells, "out of memory");
    int j = 0;
    for (int r = 0; r < cfg->nrows; r++) {
        const RunRow *R = &cfg->rows[r];
        if (!R->ntasks) continue;
        for (int s = 0; s < cfg->nseeds; s++) {
            PlanJob *J = &p->jobs[j++];
            J->row = r;
            J->seed = cfg->seeds[s];
            json_t *o = row_json(R, 1);
            json_object_set_new(o, "kind", json_string("phase1"));
            json_object_set_new(o, "version", json_integer(RUN_FORMAT_VERSION));
            json_object_set_new(o, "model", json_string(p->model_id));
            json_object_set_new(o, "seed", json_integer(J->seed));
            hash_json(o, J->hash);
            json_decref(o);
            snprintf(J->dir, sizeof J->dir, "%s/phase1/%s/seed-%ld", run_dir ? run_dir : "RUN", R->name, J->seed);
            J->state = RS_TODO;
            if (run_dir) detect_state(J->dir, "phase1.json", J->hash, &J->state, J->damage, sizeof J->damage);
        }
    }
    int c = 0;
    for (int r = 0; r < cfg->nrows; r++)
        for (int t = 0; t < cfg->ntargets; t++)
            for (int s = 0; s < cfg->nseeds; s++) {
                PlanCell *C = &p->cells[c++];
                const RunTarget *T = &cfg->targets[t];
                C->row = r;
                C->target = t;
                C->seed = cfg->seeds[s];
                C->job = -1;
                for (int q = 0; q < p->njobs; q++)
                    if (p->jobs[q].row == r && p->jobs[q].seed == C->seed) C->job = q;
                if (run_cell_hparams(cfg, r, t, &C->hp, err)) return -1;
                C->hp.train.seed = (uint64_t)C->seed;
                json_t *o = json_object();
                json_object_set_new(o, "kind", json_string("cell"));
                json_object_set_new(o, "version", json_integer(RUN_FORMAT_VERSION));
                json_object_set_new(o, "model", json_string(p->model_id));
                json_object_set_new(o, "target", json_string(T->info->name));
                json_object_set_new(o, "langs", langs_json(T));
                json_object_set_new(o, "files", files_json(&T->files));
                json_object_set_new(o, "hparams", hparams_to_json(&C->hp, T->info->type, HP_TARGET));
                json_object_set_new(o, "seed", json_integer(C->seed));
                json_object_set_new(o, "phase1", C->job >= 0 ? json_string(p->jobs[C->job].hash) : json_null());
                hash_json(o, C->hash);
                json_decref(o);
                snprintf(C->dir, sizeof C->dir, "%s/cells/%s/%s/seed-%ld", run_dir ? run_dir : "RUN", cfg->rows[r].name,
                         T->info->name, C->seed);
                C->state = RS_TODO;
                if (run_dir) detect_state(C->dir, "cell.json", C->hash, &C->state, C->damage, sizeof C->damage);
            }
    json_t *res = run_plan_resolved(p);
    hash_json(res, p->config_hash);
    json_decref(res);
    return 0;
}

json_t *run_plan_resolved(const RunPlan *p) {
    const RunConfig *cfg = p->cfg;
    json_t *o = json_object();
    json_object_set_new(o, "format", json_string("xstilts-run"));
    json_object_set_new(o, "version", json_integer(RUN_FORMAT_VERSION));
    json_object_set_new(o, "model_id", json_string(p->model_id));
    json_t *rows = json_array();
    for (int r = 0; r < cfg->nrows; r++) {
        json_t *ro = row_json(&cfg->rows[r], 1);
        json_object_set_new(ro, "name", json_string(cfg->rows[r].name));
        json_object_set_new(ro, "baseline", json_boolean(cfg->rows[r].ntasks == 0));
        json_array_append_new(rows, ro);
    }
    json_object_set_new(o, "rows", rows);
    json_t *targets = json_array();
    for (int t = 0; t < cfg->ntargets; t++) {
        const RunTarget *T = &cfg->targets[t];
        json_array_append_new(targets, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "name", T->info->name, "task", T->info->name, "type",
                                                 T->info->type == TASK_RETRIEVAL ? "retrieval" : "trained", "major_metric",
                                                 T->info->major_metric, "langs", langs_json(T), "files", files_json(&T->files)));
    }
    json_object_set_new(o, "targets", targets);
    json_t *seeds = json_array();
    for (int s = 0; s < cfg->nseeds; s++) json_array_append_new(seeds, json_integer(cfg->seeds[s]));
    json_object_set_new(o, "seeds", seeds);
    json_t *jobs = json_array();
    for (int j = 0; j < p->njobs; j++)
        json_array_append_new(jobs, json_pack("{s:s, s:I, s:s}", "row", cfg->rows[p->jobs[j].row].name, "seed",
                                              (json_int_t)p->jobs[j].seed, "config_hash", p->jobs[j].hash));
    json_object_set_new(o, "phase1_jobs", jobs);
    json_t *cells = json_array();
    for (int c = 0; c < p->ncells; c++) {
        const PlanCell *C = &p->cells[c];
        const RunTarget *T = &cfg->targets[C->target];
        json_array_append_new(cells, json_pack("{s:s, s:s, s:I, s:s, s:o, s:o}", "row", cfg->rows[C->row].name, "target",
                                               T->info->name, "seed", (json_int_t)C->seed, "config_hash", C->hash,
                                               "phase1", C->job >= 0 ? json_string(p->jobs[C->job].hash) : json_null(),
                                               "hparams", hparams_to_json(&C->hp, T->info->type, HP_TARGET)));
    }
    json_object_set_new(o, "cells", cells);
    return o;
}

int run_plan_write(const RunPlan *p, const char *run_dir, XsErr *err) {
    json_t *o = run_plan_resolved(p);
    json_object_set_new(o, "config_hash", json_string(p->config_hash));
    json_object_set_new(o, "config_file", json_string(p->cfg->file));
    if (p->cfg->title) json_object_set_new(o, "title", json_string(p->cfg->title));
    json_object_set_new(o, "model", json_string(p->cfg->model));
    json_object_set_new(o, "data", json_string(p->cfg->data));
    json_object_set_new(o, "intermediate_data", json_string(p->cfg->intermediate_data));
    json_object_set_new(o, "translations", json_string(p->cfg->translations));
    char path[4200];
    snprintf(path, sizeof path, "%s/run.json", run_dir);
    int rc = json_write_sealed(path, o, err);
    json_decref(o);
    return rc;
}

/* ---- counting ---- */

typedef struct CountCtx {
    const Tokenizer *tok;
    int max_len, stride, max_query;
    long long sample;
    FileCount *fc;
    Encoding enc;
    FeatRows qa;
    int qa_init;
} CountCtx;

static void sample_tokens(CountCtx *c, long long rows, long long tokens) {
    c->fc->rows += rows;
    c->fc->tokens += tokens;
    c->fc->sampled++;
}

static int enc_len(CountCtx *c, const char *a, const char *b, int max_len, XsErr *err) {
    if (tokenizer_encode(c->tok, a, strlen(a), b, b ? strlen(b) : 0, max_len, &c->enc, err)) return -1;
    return c->enc.n;
}

static int on_pair(void *ctx, const PairExample *ex, XsErr *err) {
    CountCtx *c = ctx;
    c->fc->examples++;
    if (!c->tok || c->fc->sampled >= c->sample) return 0;
    int n = enc_len(c, ex->text_a, ex->text_b, c->max_len, err);
    if (n < 0) return -1;
    sample_tokens(c, 1, n);
    return 0;
}

static int on_choice(void *ctx, const ChoiceExample *ex, XsErr *err) {
    CountCtx *c = ctx;
    c->fc->examples++;
    if (!c->tok || c->fc->sampled >= c->sample) return 0;
    long long t = 0;
    for (int i = 0; i < ex->nchoices; i++) {
        int n = enc_len(c, ex->context, ex->choices[i], c->max_len, err);
        if (n < 0) return -1;
        t += n;
    }
    sample_tokens(c, ex->nchoices, t);
    return 0;
}

static int on_tag(void *ctx, const TagSentence *s, XsErr *err) {
    CountCtx *c = ctx;
    c->fc->examples++;
    if (!c->tok || c->fc->sampled >= c->sample) return 0;
    long long L = 0;
    for (size_t i = 0; i < s->n; i++) {
        encoding_clear(&c->enc);
        if (tokenizer_encode_raw(c->tok, s->words[i], strlen(s->words[i]), &c->enc, err)) return -1;
        L += c->enc.n > 0 ? c->enc.n : 1; /* a word with no piece gets one <unk> (XTREME) */
    }
    long long per = c->max_len - 2 > 0 ? c->max_len - 2 : 1;
    long long rows = L > 0 ? (L + per - 1) / per : 1;
    sample_tokens(c, rows, L + 2 * rows);
    return 0;
}

static int on_qa(void *ctx, const QaExample *ex, XsErr *err) {
    CountCtx *c = ctx;
    c->fc->examples++;
    if (!c->tok || c->fc->sampled >= c->sample) return 0;
    if (!c->qa_init || c->qa.n > 256) {
        if (c->qa_init) feat_rows_free(&c->qa);
        feat_rows_init(&c->qa, FEAT_QA, c->max_len, c->tok);
        c->qa_init = 1;
    }
    size_t n0 = c->qa.n;
    FeatQaOpts o = {c->stride, c->max_query};
    if (feat_qa(&c->qa, c->tok, ex, 0, &o, err)) return -1;
    long long t = 0;
    for (size_t i = n0; i < c->qa.n; i++) t += c->qa.info[i].len;
    sample_tokens(c, (long long)(c->qa.n - n0), t);
    return 0;
}

static int on_text(void *ctx, const char *text, size_t len, long line, XsErr *err) {
    (void)line;
    CountCtx *c = ctx;
    c->fc->examples++;
    if (!c->tok || c->fc->sampled >= c->sample) return 0;
    if (tokenizer_encode(c->tok, text, len, NULL, 0, c->max_len, &c->enc, err)) return -1;
    sample_tokens(c, 1, c->enc.n);
    return 0;
}

/* One item a line (retrieval sentences, BUCC "id<TAB>sentence", gold pairs). */
static int count_lines(const RunFile *f, CountCtx *c, XsErr *err) {
    FILE *fp = file_open_read(f->path, err);
    if (!fp) return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    size_t plen = strlen(f->path);
    int gold = plen > 5 && !strcmp(f->path + plen - 5, ".gold");
    int bucc = !strcmp(f->task, "bucc2018");
    while ((n = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (n == 0) continue;
        c->fc->examples++;
        if (!c->tok || gold || c->fc->sampled >= c->sample) continue;
        const char *a = line;
        if (bucc) {
            const char *tab = strchr(line, '\t');
            if (!tab) {
                free(line);
                fclose(fp);
                return err_set(err, f->path, lineno, "expected \"id<TAB>sentence\"");
            }
            a = tab + 1;
        }
        if (enc_len(c, a, NULL, c->max_len, err) < 0) {
            free(line);
            fclose(fp);
            return err_prefix(err, "%s:%ld: ", f->path, lineno);
        }
        sample_tokens(c, 1, c->enc.n);
    }
    free(line);
    fclose(fp);
    return 0;
}

int run_count_file(const RunFile *f, const Tokenizer *tok, int max_len, int doc_stride, int max_query, long long sample,
                   FileCount *out, XsErr *err) {
    memset(out, 0, sizeof *out);
    CountCtx c;
    memset(&c, 0, sizeof c);
    c.tok = tok;
    c.max_len = max_len;
    c.stride = doc_stride;
    c.max_query = max_query;
    c.sample = sample;
    c.fc = out;
    encoding_init(&c.enc);
    long rc = 0;
    switch (f->kind) {
    case RF_PAIR: {
        PairReadOpts o = {0, f->unlabeled, NULL};
        rc = pairs_stream(f->path, (PairFormat)f->format, &o, on_pair, &c, NULL, err);
        break;
    }
    case RF_CHOICE: {
        ChoiceReadOpts o = {0, f->unlabeled};
        rc = choices_stream(f->path, (ChoiceFormat)f->format, &o, on_choice, &c, NULL, err);
        break;
    }
    case RF_TAG: {
        TagReadOpts o;
        memset(&o, 0, sizeof o);
        o.untagged = f->unlabeled;
        rc = tagging_stream(f->path, (TagFormat)f->format, &o, on_tag, &c, NULL, err);
        break;
    }
    case RF_QA: rc = qa_stream(f->path, NULL, on_qa, &c, NULL, err); break;
    case RF_TEXT: rc = text_stream(f->path, NULL, on_text, &c, NULL, err); break;
    case RF_LINES: rc = count_lines(f, &c, err); break;
    }
    encoding_free(&c.enc);
    if (c.qa_init) feat_rows_free(&c.qa);
    if (rc < 0) return -1;
    /* extrapolate the sample to the file */
    if (out->sampled > 0 && out->sampled < out->examples) {
        double k = (double)out->examples / (double)out->sampled;
        out->rows = llround(out->rows * k);
        out->tokens = llround(out->tokens * k);
    }
    return 0;
}

/* ---- filling the plan ---- */

typedef struct CountCache {
    const char *path;
    int max_len;
    FileCount fc;
} CountCache;

typedef struct Counter {
    const Tokenizer *tok;
    CountCache *v;
    int n, cap;
} Counter;

static int count_cached(Counter *k, const RunFile *f, int max_len, int stride, int query, long long sample, FileCount *out,
                        XsErr *err) {
    for (int i = 0; i < k->n; i++)
        if (k->v[i].max_len == max_len && !strcmp(k->v[i].path, f->path)) { *out = k->v[i].fc; return 0; }
    if (run_count_file(f, k->tok, max_len, stride, query, sample, out, err)) return -1;
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 64;
        k->v = realloc(k->v, (size_t)k->cap * sizeof *k->v);
        CHECK(k->v, "out of memory");
    }
    k->v[k->n++] = (CountCache){f->path, max_len, *out};
    return 0;
}

static long long tokens_for_updates(const HParams *h, long long updates, const FileCount *fc) {
    if (fc->examples <= 0) return 0;
    double per = (double)fc->tokens / (double)fc->examples;
    return llround((double)updates * h->train.batch * h->train.accum * per);
}

/* The first n examples of a file (train_examples, predict_examples): tokens in proportion. */
static void count_cap(FileCount *fc, long long n) {
    if (n <= 0 || fc->examples <= n) return;
    fc->tokens = llround((double)fc->tokens * n / fc->examples);
    fc->examples = n;
}

int run_plan_count(RunPlan *p, double throughput, XsErr *err) {
    const RunConfig *cfg = p->cfg;
    p->throughput = throughput;
    Counter k = {0};
    k.tok = tokenizer_open(cfg->model, err);
    if (!k.tok) return err_prefix(err, "model %s: ", cfg->model);
    int rc = -1;
    for (int j = 0; j < p->njobs; j++) {
        PlanJob *J = &p->jobs[j];
        const RunRow *R = &cfg->rows[J->row];
        /* the same job for every seed: count once per row */
        if (j > 0 && p->jobs[j - 1].row == J->row) {
            J->examples = p->jobs[j - 1].examples;
            J->updates = p->jobs[j - 1].updates;
            J->train_tokens = p->jobs[j - 1].train_tokens;
            J->hours = p->jobs[j - 1].hours;
            continue;
        }
        long long ex = 0, tok = 0, mlm_tok = 0;
        for (int i = 0; i < R->train.n; i++) {
            const RunFile *f = &R->train.v[i];
            int qa = f->kind == RF_QA;
            FileCount fc;
            if (count_cached(&k, f, qa ? R->hp.qa_max_len : R->hp.max_len, R->hp.doc_stride, R->hp.max_query_len, RUN_SAMPLE,
                             &fc, err))
                goto out;
            if (!strcmp(f->task, "mlm")) { mlm_tok += fc.tokens; continue; }
            count_cap(&fc, R->hp.train_examples);
            ex += fc.examples;
            tok += fc.tokens;
        }
        /* MLM takes mlm_weight of the batches: the task data's epochs set the length, MLM adds its share */
        double scale = R->mlm ? 1.0 / (1.0 - R->mlm_weight) : 1.0;
        J->examples = ex;
        J->updates = llround(hparams_updates(&R->hp, ex) * scale);
        if (R->hp.train.max_steps > 0) {
            FileCount all = {ex, 0, tok, 0};
            J->train_tokens = tokens_for_updates(&R->hp, R->hp.train.max_steps, &all);
        } else J->train_tokens = llround((double)R->hp.train.epochs * tok * scale);
        (void)mlm_tok;
        J->hours = throughput > 0 ? J->train_tokens / throughput / 3600.0 : 0;
    }
    for (int c = 0; c < p->ncells; c++) {
        PlanCell *C = &p->cells[c];
        const RunTarget *T = &cfg->targets[C->target];
        const HParams *h = &C->hp;
        FileCount train = {0}, dev = {0};
        long long eval_ex = 0, eval_tok = 0;
        for (int i = 0; i < T->files.n; i++) {
            const RunFile *f = &T->files.v[i];
            FileCount fc;
            long long sample = f->role == RFR_TRAIN || f->role == RFR_DEV ? RUN_SAMPLE : RUN_SAMPLE_EVAL;
            if (count_cached(&k, f, h->max_len, h->doc_stride, h->max_query_len, sample, &fc, err)) goto out;
            if (f->role == RFR_TRAIN) count_cap(&fc, h->train_examples);
            else if (f->role != RFR_DEV) count_cap(&fc, h->predict_examples); /* retrieval: each side a file */
            if (f->role == RFR_TRAIN) train = fc;
            else if (f->role == RFR_DEV) dev = fc;
            else { eval_ex += fc.examples; eval_tok += fc.tokens; }
        }
        C->train_examples = train.examples;
        C->eval_examples = eval_ex;
        C->eval_tokens = eval_tok;
        if (T->info->type != TASK_RETRIEVAL) {
            C->updates = hparams_updates(h, train.examples);
            C->train_tokens = h->train.max_steps > 0 ? tokens_for_updates(h, C->updates, &train)
                                                     : (long long)h->train.epochs * train.tokens;
            if (h->eval_every > 0 && dev.examples > 0) {
                long long nev = C->updates / h->eval_every + 1; /* + the final evaluation */
                long long dex = h->eval_examples > 0 && h->eval_examples < dev.examples ? h->eval_examples : dev.examples;
                C->eval_tokens += llround((double)nev * dex * dev.tokens / dev.examples);
                C->eval_examples += nev * dex;
            }
        }
        C->hours = throughput > 0 ? (C->train_tokens + C->eval_tokens / 3.0) / throughput / 3600.0 : 0;
    }
    p->counted = 1;
    rc = 0;
out:
    free(k.v);
    tokenizer_free((Tokenizer *)k.tok);
    return rc;
}

/* ---- printing ---- */

static const char *num(long long v, char *buf) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", v < 0 ? -v : v);
    int n = (int)strlen(tmp), k = 0;
    if (v < 0) buf[k++] = '-';
    for (int i = 0; i < n; i++) {
        buf[k++] = tmp[i];
        if ((n - i - 1) % 3 == 0 && i != n - 1) buf[k++] = ',';
    }
    buf[k] = 0;
    return buf;
}

void run_plan_print(const RunPlan *p, FILE *f) {
    const RunConfig *cfg = p->cfg;
    int nret = 0;
    for (int t = 0; t < cfg->ntargets; t++) nret += cfg->targets[t].info->type == TASK_RETRIEVAL;
    int nb = 0;
    for (int r = 0; r < cfg->nrows; r++) nb += cfg->rows[r].ntasks > 0;
    char a[32], b[32], c[32], d[32], e[32];
    fprintf(f, "plan of %s\n", cfg->file);
    fprintf(f, "config_hash: %s\n", p->config_hash);
    fprintf(f, "model: %s (identity %.16s)\n", cfg->model, p->model_id);
    fprintf(f, "data: %s\n", cfg->data);
    fprintf(f, "rows: %d (baseline: %s)\n", cfg->nrows, cfg->baseline >= 0 ? cfg->rows[cfg->baseline].name : "none");
    fprintf(f, "targets: %d (%d retrieval: evaluated on the phase-1 encoder, no phase 2)\n", cfg->ntargets, nret);
    fprintf(f, "seeds: %d\n", cfg->nseeds);
    fprintf(f, "phase-1 jobs: %d (%d rows with intermediate tasks x %d seeds; each shared by the row's %d targets)\n",
            p->njobs, nb, cfg->nseeds, cfg->ntargets);
    fprintf(f, "cells: %d (%d rows x %d targets x %d seeds)\n", p->ncells, cfg->nrows, cfg->ntargets, cfg->nseeds);
    int st[RS_NSTATES] = {0}, js[RS_NSTATES] = {0}, nd = 0;
    for (int i = 0; i < p->ncells; i++) st[p->cells[i].state]++, nd += p->cells[i].damage[0] != 0;
    for (int i = 0; i < p->njobs; i++) js[p->jobs[i].state]++, nd += p->jobs[i].damage[0] != 0;
    fprintf(f, "state: cells %d done, %d partial, %d stale, %d to do; phase-1 jobs %d done, %d partial, %d stale, %d to do\n",
            st[RS_DONE], st[RS_PARTIAL], st[RS_STALE], st[RS_TODO], js[RS_DONE], js[RS_PARTIAL], js[RS_STALE], js[RS_TODO]);
    if (nd) {
        fprintf(f, "damaged state files: %d (cells %d corrupt, phase-1 jobs %d corrupt; the others are redone, their damaged "
                   "file kept as *.corrupt):\n", nd, st[RS_CORRUPT], js[RS_CORRUPT]);
        for (int i = 0; i < p->njobs; i++)
            if (p->jobs[i].damage[0]) fprintf(f, "  %s\n", p->jobs[i].damage);
        for (int i = 0; i < p->ncells; i++)
            if (p->cells[i].damage[0]) fprintf(f, "  %s\n", p->cells[i].damage);
    }
    if (!p->counted) return;

    double h1 = 0, h2 = 0;
    fprintf(f, "\nphase 1 (intermediate training), per job (x %d seeds):\n", cfg->nseeds);
    fprintf(f, "  %-20s %-34s %12s %10s %16s %9s\n", "row", "tasks", "examples", "updates", "train tokens", "hours");
    for (int j = 0; j < p->njobs; j++) {
        const PlanJob *J = &p->jobs[j];
        h1 += J->hours;
        if (j > 0 && p->jobs[j - 1].row == J->row) continue;
        const RunRow *R = &cfg->rows[J->row];
        char tasks[256];
        size_t k = 0;
        tasks[0] = 0;
        for (int i = 0; i < R->ntasks && k < sizeof tasks; i++)
            k += (size_t)snprintf(tasks + k, sizeof tasks - k, "%s%s", i ? "+" : "", R->tasks[i]);
        if (R->mlm && k < sizeof tasks) k += (size_t)snprintf(tasks + k, sizeof tasks - k, "+mlm");
        if (R->translated && k < sizeof tasks) snprintf(tasks + k, sizeof tasks - k, " (+translated)");
        fprintf(f, "  %-20s %-34.34s %12s %10s %16s %9.2f\n", R->name, tasks, num(J->examples, a), num(J->updates, b),
                num(J->train_tokens, c), J->hours);
    }
    fprintf(f, "\nphase 2 + 3 (target fine-tuning with early stopping, then prediction in every language), per cell:\n");
    fprintf(f, "  %-10s %12s %10s %16s %12s %16s %9s\n", "target", "train ex.", "updates", "train tokens", "eval ex.",
            "eval tokens", "hours");
    for (int t = 0; t < cfg->ntargets; t++) {
        /* the cell of the first row and seed stands for the target (other rows differ only by overrides) */
        const PlanCell *C = NULL;
        for (int i = 0; i < p->ncells && !C; i++)
            if (p->cells[i].target == t) C = &p->cells[i];
        fprintf(f, "  %-10s %12s %10s %16s %12s %16s %9.2f\n", cfg->targets[t].info->name, num(C->train_examples, a),
                num(C->updates, b), num(C->train_tokens, c), num(C->eval_examples, d), num(C->eval_tokens, e), C->hours);
    }
    for (int i = 0; i < p->ncells; i++) h2 += p->cells[i].hours;
    fprintf(f, "\nthroughput: %.0f training tokens/s (%s; prediction tokens counted at a third)\n", p->throughput,
            p->throughput_how[0] ? p->throughput_how : "given");
    fprintf(f, "estimated hours: phase 1 %.1f + cells %.1f = %.1f (all %d jobs and %d cells; early stopping can only "
               "shorten phase 2)\n", h1, h2, h1 + h2, p->njobs, p->ncells);
}
