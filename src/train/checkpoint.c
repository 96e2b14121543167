/* checkpoint.c — training checkpoints written whole and read back only after every byte is verified
 * (checkpoint.h): model via model_save, Adam moments as safetensors, state as sealed JSON. */
#include "train/checkpoint.h"
#include "core/mem.h"
#include "core/seal.h"
#include "core/sha256.h"
#include "core/stage.h"
#include "core/util.h"
#include "model/safetensors.h"
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_FILE "xstilts.json"
#define OPT_FILE "optimizer.safetensors"
#define MAX_FILES 64

void train_state_defaults(TrainState *st) {
    memset(st, 0, sizeof *st);
    st->adam = adamw_defaults(1e-5);
    st->warmup_ratio = 0.1;
    st->max_grad_norm = 1.0;
    st->batch_size = 4;
    st->accum = 8;
    st->max_seq_len = 256;
    st->dropout = 0.1;
    st->eval_every = 1000;
    st->patience = 30;
    st->best_metric = -INFINITY;
    st->best_step = -1;
}

void checkpoint_path(const char *out, int64_t step, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/checkpoint-%08lld", out, (long long)step);
}

/* ---- writing ---- */

static json_t *num(double x) { return isfinite(x) ? json_real(x) : json_null(); }

static json_t *state_json(const TrainState *st, const ParamSet *ps) {
    json_t *r = json_object();
    json_object_set_new(r, "format", json_string(XS_CKPT_FORMAT));
    json_object_set_new(r, "version", json_integer(XS_CKPT_VERSION));
    json_object_set_new(r, "step", json_integer(st->step));
    json_object_set_new(r, "micro_batches", json_integer(st->micro_batches));
    json_object_set_new(r, "seed", json_integer((json_int_t)st->seed));
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(st->adam.hf_legacy ? "transformers.AdamW" : "torch.optim.AdamW"));
    json_object_set_new(o, "lr", num(st->adam.lr));
    json_object_set_new(o, "beta1", num(st->adam.beta1));
    json_object_set_new(o, "beta2", num(st->adam.beta2));
    json_object_set_new(o, "eps", num(st->adam.eps));
    json_object_set_new(o, "weight_decay", num(st->adam.weight_decay));
    json_object_set_new(o, "max_grad_norm", num(st->max_grad_norm));
    json_object_set_new(r, "optimizer", o);
    json_t *s = json_object();
    json_object_set_new(s, "name", json_string("linear_warmup"));
    json_object_set_new(s, "warmup_ratio", num(st->warmup_ratio));
    json_object_set_new(s, "warmup_steps", num(st->sched.warmup));
    json_object_set_new(s, "total_steps", json_integer(st->sched.total));
    json_object_set_new(r, "schedule", s);
    json_t *b = json_object();
    json_object_set_new(b, "batch_size", json_integer(st->batch_size));
    json_object_set_new(b, "accum", json_integer(st->accum));
    json_object_set_new(b, "max_seq_len", json_integer(st->max_seq_len));
    json_object_set_new(b, "dropout", num(st->dropout));
    json_object_set_new(r, "batch", b);
    json_t *sm = json_object(), *w = json_array();
    json_object_set_new(sm, "kind", json_string(sampler_kind_name(st->sampler.kind)));
    for (int i = 0; i < st->sampler.n; i++) json_array_append_new(w, num(st->sampler.w[i]));
    json_object_set_new(sm, "weights", w);
    json_object_set_new(sm, "temperature", num(st->sampler.temperature));
    json_object_set_new(sm, "cap", num(st->sampler.cap));
    json_object_set_new(sm, "draws", json_integer((json_int_t)st->sampler.draws));
    json_object_set_new(r, "sampler", sm);
    json_t *ts = json_array();
    for (int i = 0; i < st->n_tasks; i++) {
        const TrainTaskState *t = &st->tasks[i];
        json_t *j = json_object();
        json_object_set_new(j, "name", json_string(t->name));
        json_object_set_new(j, "head", json_string(t->head));
        json_object_set_new(j, "data", json_string(t->data));
        json_object_set_new(j, "examples", json_integer(t->examples));
        json_object_set_new(j, "epoch", json_integer((json_int_t)t->epoch));
        json_object_set_new(j, "position", json_integer(t->position));
        json_array_append_new(ts, j);
    }
    json_object_set_new(r, "tasks", ts);
    json_t *e = json_object();
    json_object_set_new(e, "eval_every", json_integer(st->eval_every));
    json_object_set_new(e, "patience", json_integer(st->patience));
    json_object_set_new(e, "best_metric", num(st->best_metric));
    json_object_set_new(e, "best_step", json_integer(st->best_step));
    json_object_set_new(e, "evals_since_best", json_integer(st->evals_since_best));
    json_object_set_new(r, "early_stopping", e);
    json_t *tb = json_object();
    json_object_set_new(tb, "tensors", json_integer(ps->n));
    json_object_set_new(tb, "floats", json_integer((json_int_t)paramset_numel(ps)));
    json_object_set_new(r, "table", tb);
    return r;
}

/* The table's tensors from `nb` blocks, tensor k of block w named "<pfx[w]><name>" (pfx "" allowed), F32. */
static int write_table(const char *path, const ParamSet *ps, const float *const *blocks, const char *const *pfx,
                       int nb, XsErr *err) {
    int n = ps->n;
    StWriteItem *items = xcalloc((size_t)(nb * n), sizeof *items);
    char (*names)[160] = xcalloc((size_t)(nb * n), sizeof *names);
    for (int k = 0; k < n; k++)
        for (int w = 0; w < nb; w++) {
            const ParamInfo *p = &ps->t[k];
            StWriteItem *it = &items[nb * k + w];
            snprintf(names[nb * k + w], sizeof names[0], "%s%s", pfx[w], p->name);
            it->name = names[nb * k + w];
            it->data = blocks[w] + p->offset;
            it->ndim = p->ndim;
            it->shape[0] = p->shape[0];
            it->shape[1] = p->shape[1];
        }
    int rc = st_write_f32(path, items, nb * n, err);
    free(items);
    free(names);
    return rc;
}

static int write_optimizer(const char *path, const ParamSet *ps, XsErr *err) {
    CHECK(ps->adam_m && ps->adam_v, "checkpoint_save: no Adam blocks (paramset_alloc_adam)");
    const float *blocks[2] = {ps->adam_m, ps->adam_v};
    const char *pfx[2] = {"exp_avg.", "exp_avg_sq."};
    return write_table(path, ps, blocks, pfx, 2, err);
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int checkpoint_save(const char *dir, const Model *m, const TrainState *st, const char *const *copy_files,
                    XsErr *err) {
    return checkpoint_save_best(dir, m, st, copy_files, NULL, err);
}

int checkpoint_save_best(const char *dir, const Model *m, const TrainState *st, const char *const *copy_files,
                         const float *best, XsErr *err) {
    if (st->seed > (uint64_t)INT64_MAX) return err_set(err, dir, 0, "seed %llu too large (expected < 2^63)",
                                                       (unsigned long long)st->seed);
    CHECK(st->n_tasks >= 1 && st->n_tasks <= XS_MAX_TASKS && st->sampler.n == st->n_tasks,
          "checkpoint_save: %d tasks, sampler over %d", st->n_tasks, st->sampler.n);
    char tmp[4096], path[4400];
    if (stage_begin(dir, tmp, sizeof tmp, err)) return -1;
    const char *names[MAX_FILES];
    int nf = 0;
    names[nf++] = "config.json";
    names[nf++] = "model.safetensors";
    names[nf++] = OPT_FILE;
    json_t *root = NULL;
    if (model_save(tmp, m, err)) goto fail;
    snprintf(path, sizeof path, "%s/%s", tmp, OPT_FILE);
    if (write_optimizer(path, &m->tab, err)) goto fail;
    if (best) {
        const char *pfx[1] = {""};
        snprintf(path, sizeof path, "%s/%s", tmp, XS_CKPT_BEST);
        if (write_table(path, &m->tab, &best, pfx, 1, err)) goto fail;
        names[nf++] = XS_CKPT_BEST;
    }
    for (int i = 0; copy_files && copy_files[i]; i++) {
        const char *bn = base_name(copy_files[i]);
        int dup = !strcmp(bn, STATE_FILE);
        for (int j = 0; j < nf; j++) dup |= !strcmp(bn, names[j]);
        if (dup || !*bn || nf == MAX_FILES) {
            err_set(err, copy_files[i], 0, "cannot copy into the checkpoint: %s", *bn ? "its name is taken" : "no file name");
            goto fail;
        }
        size_t len;
        char *data = file_read_all(copy_files[i], &len, err);
        if (!data) goto fail;
        snprintf(path, sizeof path, "%s/%s", tmp, bn);
        int rc = file_write_atomic(path, data, len, err);
        free(data);
        if (rc) goto fail;
        names[nf++] = bn;
    }
    root = state_json(st, &m->tab);
    json_t *files = seal_files(tmp, names, nf, err);
    if (!files) goto fail;
    json_object_set_new(root, "files", files);
    snprintf(path, sizeof path, "%s/%s", tmp, STATE_FILE);
    if (json_write_sealed(path, root, err)) goto fail;
    json_decref(root);
    if (stage_commit(tmp, dir, err)) { stage_abort(tmp); return -1; }
    return 0;
fail:
    json_decref(root);
    stage_abort(tmp);
    return err_prefix(err, "writing checkpoint %s: ", dir);
}

/* ---- reading ---- */

static json_t *load_state_json(const char *dir, char *path, size_t cap, XsErr *err) {
    snprintf(path, cap, "%s/%s", dir, STATE_FILE);
    struct stat sb;
    if (stat(path, &sb) != 0) { err_set(err, path, 0, "missing: not a training checkpoint (or not a complete one)"); return NULL; }
    json_t *root = json_load_sealed(path, err);
    if (!root) return NULL;
    json_t *f = json_object_get(root, "format"), *v = json_object_get(root, "version");
    if (!json_is_string(f) || strcmp(json_string_value(f), XS_CKPT_FORMAT)) {
        json_decref(root);
        err_set(err, path, 0, "\"format\" is not \"%s\": not an xstilts training checkpoint", XS_CKPT_FORMAT);
        return NULL;
    }
    if (!json_is_integer(v) || json_integer_value(v) != XS_CKPT_VERSION) {
        json_decref(root);
        err_set(err, path, 0, "\"version\" is not %d (a checkpoint of another xstilts version)", XS_CKPT_VERSION);
        return NULL;
    }
    return root;
}

static int verify_files(const char *dir, const char *spath, json_t *root, XsErr *err) {
    json_t *files = json_object_get(root, "files");
    if (!json_is_object(files) || !json_object_get(files, "model.safetensors") || !json_object_get(files, OPT_FILE))
        return err_set(err, spath, 0, "field \"files\": missing or without model.safetensors / %s", OPT_FILE);
    return seal_verify_files(dir, STATE_FILE, files, err);
}

int checkpoint_verify(const char *dir, XsErr *err) {
    char spath[4400];
    json_t *root = load_state_json(dir, spath, sizeof spath, err);
    if (!root) return -1;
    int rc = verify_files(dir, spath, root, err);
    json_decref(root);
    return rc;
}

/* Field access with errors that name the file and the dotted field. */
typedef struct Rd { const char *path; XsErr *err; int bad; } Rd;

static json_t *field(Rd *r, json_t *obj, const char *ctx, const char *key, int (*is)(const json_t *), const char *want) {
    if (r->bad) return NULL;
    json_t *v = json_object_get(obj, key);
    if (!v || !is(v)) {
        err_set(r->err, r->path, 0, "field \"%s%s%s\": %s (expected %s)", ctx, *ctx ? "." : "", key,
                v ? "wrong type" : "missing", want);
        r->bad = 1;
        return NULL;
    }
    return v;
}
static int is_obj(const json_t *v) { return json_is_object(v); }
static int is_arr(const json_t *v) { return json_is_array(v); }
static int is_int(const json_t *v) { return json_is_integer(v); }
static int is_str(const json_t *v) { return json_is_string(v); }
static int is_num(const json_t *v) { return json_is_number(v) || json_is_null(v); }

static int64_t get_i(Rd *r, json_t *o, const char *ctx, const char *key, int64_t min) {
    json_t *v = field(r, o, ctx, key, is_int, "an integer");
    if (!v) return 0;
    int64_t x = json_integer_value(v);
    if (x < min) {
        err_set(r->err, r->path, 0, "field \"%s.%s\": %lld (expected >= %lld)", ctx, key, (long long)x, (long long)min);
        r->bad = 1;
    }
    return x;
}
static double get_d(Rd *r, json_t *o, const char *ctx, const char *key) {
    json_t *v = field(r, o, ctx, key, is_num, "a number");
    if (!v) return 0;
    return json_is_null(v) ? -INFINITY : json_number_value(v);
}
static void get_s(Rd *r, json_t *o, const char *ctx, const char *key, char *buf, size_t cap) {
    json_t *v = field(r, o, ctx, key, is_str, "a string");
    if (!v) return;
    if (strlen(json_string_value(v)) >= cap) {
        err_set(r->err, r->path, 0, "field \"%s.%s\": longer than %zu bytes", ctx, key, cap - 1);
        r->bad = 1;
        return;
    }
    strcpy(buf, json_string_value(v));
}

static int parse_state(json_t *root, const char *path, TrainState *st, XsErr *err) {
    Rd r = {path, err, 0};
    memset(st, 0, sizeof *st);
    st->step = get_i(&r, root, "", "step", 0);
    st->micro_batches = get_i(&r, root, "", "micro_batches", 0);
    st->seed = (uint64_t)get_i(&r, root, "", "seed", 0);
    json_t *o = field(&r, root, "", "optimizer", is_obj, "an object");
    char oname[64] = "";
    get_s(&r, o, "optimizer", "name", oname, sizeof oname);
    if (!r.bad && strcmp(oname, "torch.optim.AdamW") && strcmp(oname, "transformers.AdamW"))
        return err_set(err, path, 0, "field \"optimizer.name\": \"%s\" (expected \"torch.optim.AdamW\" or \"transformers.AdamW\")", oname);
    st->adam.hf_legacy = !strcmp(oname, "transformers.AdamW");
    st->adam.lr = get_d(&r, o, "optimizer", "lr");
    st->adam.beta1 = get_d(&r, o, "optimizer", "beta1");
    st->adam.beta2 = get_d(&r, o, "optimizer", "beta2");
    st->adam.eps = get_d(&r, o, "optimizer", "eps");
    st->adam.weight_decay = get_d(&r, o, "optimizer", "weight_decay");
    st->max_grad_norm = get_d(&r, o, "optimizer", "max_grad_norm");
    json_t *s = field(&r, root, "", "schedule", is_obj, "an object");
    st->warmup_ratio = get_d(&r, s, "schedule", "warmup_ratio");
    st->sched.warmup = get_d(&r, s, "schedule", "warmup_steps");
    st->sched.total = get_i(&r, s, "schedule", "total_steps", 0);
    json_t *b = field(&r, root, "", "batch", is_obj, "an object");
    st->batch_size = (int)get_i(&r, b, "batch", "batch_size", 1);
    st->accum = (int)get_i(&r, b, "batch", "accum", 1);
    st->max_seq_len = (int)get_i(&r, b, "batch", "max_seq_len", 1);
    st->dropout = get_d(&r, b, "batch", "dropout");
    json_t *ts = field(&r, root, "", "tasks", is_arr, "an array");
    if (ts && (json_array_size(ts) < 1 || json_array_size(ts) > XS_MAX_TASKS)) {
        err_set(err, path, 0, "field \"tasks\": %zu tasks (expected 1 to %d)", json_array_size(ts), XS_MAX_TASKS);
        return -1;
    }
    for (size_t i = 0; ts && i < json_array_size(ts) && !r.bad; i++) {
        json_t *t = json_array_get(ts, i);
        TrainTaskState *x = &st->tasks[i];
        char ctx[32];
        snprintf(ctx, sizeof ctx, "tasks[%zu]", i);
        if (!json_is_object(t)) { err_set(err, path, 0, "field \"%s\": expected an object", ctx); return -1; }
        get_s(&r, t, ctx, "name", x->name, sizeof x->name);
        get_s(&r, t, ctx, "head", x->head, sizeof x->head);
        get_s(&r, t, ctx, "data", x->data, sizeof x->data);
        x->examples = get_i(&r, t, ctx, "examples", 1);
        x->epoch = (uint64_t)get_i(&r, t, ctx, "epoch", 0);
        x->position = get_i(&r, t, ctx, "position", 0);
        if (!r.bad && x->position > x->examples) {
            err_set(err, path, 0, "field \"%s.position\": %lld past the %lld examples", ctx, (long long)x->position,
                    (long long)x->examples);
            return -1;
        }
        st->n_tasks = (int)i + 1;
    }
    json_t *sm = field(&r, root, "", "sampler", is_obj, "an object");
    char kind[64] = "";
    get_s(&r, sm, "sampler", "kind", kind, sizeof kind);
    json_t *w = field(&r, sm, "sampler", "weights", is_arr, "an array of numbers");
    double temp = get_d(&r, sm, "sampler", "temperature"), cap = get_d(&r, sm, "sampler", "cap");
    int64_t draws = get_i(&r, sm, "sampler", "draws", 0);
    json_t *e = field(&r, root, "", "early_stopping", is_obj, "an object");
    st->eval_every = get_i(&r, e, "early_stopping", "eval_every", 0);
    st->patience = get_i(&r, e, "early_stopping", "patience", 0);
    st->best_metric = get_d(&r, e, "early_stopping", "best_metric");
    st->best_step = get_i(&r, e, "early_stopping", "best_step", -1);
    st->evals_since_best = get_i(&r, e, "early_stopping", "evals_since_best", 0);
    if (r.bad) return -1;
    SamplerKind k;
    if (sampler_kind_parse(kind, &k)) return err_set(err, path, 0, "field \"sampler.kind\": unknown sampler \"%s\"", kind);
    if ((int)json_array_size(w) != st->n_tasks)
        return err_set(err, path, 0, "field \"sampler.weights\": %zu weights for %d tasks", json_array_size(w), st->n_tasks);
    double wv[XS_MAX_TASKS];
    for (int i = 0; i < st->n_tasks; i++) {
        json_t *x = json_array_get(w, (size_t)i);
        if (!json_is_number(x)) return err_set(err, path, 0, "field \"sampler.weights[%d]\": expected a number", i);
        wv[i] = json_number_value(x);
    }
    if (sampler_init(&st->sampler, k, st->n_tasks, wv, temp, isfinite(cap) ? cap : 0, st->seed, err))
        return err_prefix(err, "%s: field \"sampler\": ", path);
    st->sampler.draws = (uint64_t)draws;
    return 0;
}

int checkpoint_read_state(const char *dir, TrainState *st, XsErr *err) {
    char spath[4400];
    json_t *root = load_state_json(dir, spath, sizeof spath, err);
    if (!root) return -1;
    int rc = verify_files(dir, spath, root, err);
    if (!rc) rc = parse_state(root, spath, st, err);
    json_decref(root);
    return rc;
}

int checkpoint_load_optimizer(const char *dir, ParamSet *ps, XsErr *err) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, OPT_FILE);
    SafeTensors st;
    if (st_open(path, &st, err)) return -1;
    int rc = 0;
    if (st.n != 2 * ps->n)
        rc = err_set(err, path, 0, "%d tensors, the model's table needs %d (exp_avg and exp_avg_sq of %d tensors): "
                     "the checkpoint was written for other heads or another model", st.n, 2 * ps->n, ps->n);
    for (int k = 0; k < ps->n && !rc; k++)
        for (int w = 0; w < 2 && !rc; w++) {
            const ParamInfo *p = &ps->t[k];
            char nm[160];
            snprintf(nm, sizeof nm, "%s.%s", w ? "exp_avg_sq" : "exp_avg", p->name);
            const StTensor *t = st_find(&st, nm);
            if (!t) { rc = err_set(err, path, 0, "no tensor %s: the checkpoint was written for other heads or another model", nm); break; }
            int ok = t->dtype == ST_F32 && t->ndim == p->ndim && t->shape[0] == p->shape[0] &&
                     (p->ndim == 1 || t->shape[1] == p->shape[1]);
            if (!ok) { rc = err_set(err, path, 0, "tensor %s: not F32 of the table's shape", nm); break; }
        }
    if (!rc) {
        if (!ps->adam_m) paramset_alloc_adam(ps);
        for (int k = 0; k < ps->n && !rc; k++)
            for (int w = 0; w < 2 && !rc; w++) {
                char nm[160];
                snprintf(nm, sizeof nm, "%s.%s", w ? "exp_avg_sq" : "exp_avg", ps->t[k].name);
                rc = st_read_f32(&st, st_find(&st, nm), (w ? ps->adam_v : ps->adam_m) + ps->t[k].offset, err);
            }
    }
    st_close(&st);
    return rc;
}

int checkpoint_load_best(const char *dir, const ParamSet *ps, float *best, XsErr *err) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, XS_CKPT_BEST);
    SafeTensors st;
    if (st_open(path, &st, err)) return -1;
    int rc = 0;
    if (st.n != ps->n)
        rc = err_set(err, path, 0, "%d tensors, the model's table has %d: the checkpoint was written for other heads "
                     "or another model", st.n, ps->n);
    for (int k = 0; k < ps->n && !rc; k++) {
        const ParamInfo *p = &ps->t[k];
        const StTensor *t = st_find(&st, p->name);
        if (!t) { rc = err_set(err, path, 0, "no tensor %s: the checkpoint was written for other heads or another model", p->name); break; }
        if (!(t->dtype == ST_F32 && t->ndim == p->ndim && t->shape[0] == p->shape[0] &&
              (p->ndim == 1 || t->shape[1] == p->shape[1]))) {
            rc = err_set(err, path, 0, "tensor %s: not F32 of the table's shape", p->name);
            break;
        }
    }
    if (!rc) {
        memset(best, 0, ps->total * sizeof(float));
        for (int k = 0; k < ps->n && !rc; k++)
            rc = st_read_f32(&st, st_find(&st, ps->t[k].name), best + ps->t[k].offset, err);
    }
    st_close(&st);
    return rc;
}

int checkpoint_load_weights(const char *dir, Model *m, XsErr *err) {
    if (model_load_weights(m, 0, err)) return err_prefix(err, "resuming from %s: ", dir);
    if (checkpoint_load_optimizer(dir, &m->tab, err)) { model_free(m); return -1; }
    return 0;
}

int checkpoint_load(const char *dir, Model *m, TrainState *st, XsErr *err) {
    if (checkpoint_read_state(dir, st, err)) { model_free(m); return -1; }
    return checkpoint_load_weights(dir, m, err);
}

static int64_t parse_name(const char *nm, long *pid);

int checkpoint_latest(const char *out, char *buf, size_t cap, int64_t *step) {
    buf[0] = 0;
    *step = -1;
    DIR *d = opendir(out);
    if (!d) { *step = 0; return 0; }
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d))) {
        int64_t s = parse_name(e->d_name, NULL);   /* staging folders do not parse */
        if (s < 0) continue;
        char sp[4400];
        snprintf(sp, sizeof sp, "%s/%s/%s", out, e->d_name, STATE_FILE);
        struct stat sb;
        if (stat(sp, &sb) != 0 || s <= *step) continue;
        *step = s;
        snprintf(buf, cap, "%s/%s", out, e->d_name);
        found = 1;
    }
    closedir(d);
    if (!found) *step = 0;
    return found;
}

void optim_init_from_state(Optimizer *o, const ParamSet *ps, const TrainState *st) {
    optim_init(o, ps, &st->adam, st->sched, st->max_grad_norm);
    o->step = st->step;
}

/* Removes the plain files of `dir`, then `dir`; an error (naming it) when something else is inside. */
static int remove_folder(const char *dir, XsErr *err) {
    DIR *d = opendir(dir);
    if (!d) return err_set(err, dir, 0, "cannot open folder: %s", strerror(errno));
    struct dirent *e;
    char p[4400];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode)) unlink(p);
    }
    closedir(d);
    if (rmdir(dir) != 0) return err_set(err, dir, 0, "cannot remove the old checkpoint: %s", strerror(errno));
    return 0;
}

/* Step of "checkpoint-<digits>" (tail = NULL) or of "checkpoint-<digits>.tmp.<pid>" (*pid set); -1 otherwise. */
static int64_t parse_name(const char *nm, long *pid) {
    if (strncmp(nm, "checkpoint-", 11)) return -1;
    const char *p = nm + 11;
    size_t nd = strspn(p, "0123456789");
    if (nd == 0 || nd > 18) return -1;
    int64_t step = strtoll(p, NULL, 10);
    if (!p[nd]) { if (pid) *pid = 0; return step; }
    if (!pid || strncmp(p + nd, ".tmp.", 5)) return -1;
    const char *q = p + nd + 5;
    if (!*q || strspn(q, "0123456789") != strlen(q)) return -1;
    *pid = strtol(q, NULL, 10);
    return step;
}

int checkpoint_prune(const char *out, int keep, XsErr *err) {
    CHECK(keep >= 1, "checkpoint_prune: keep %d", keep);
    DIR *d = opendir(out);
    if (!d) return err_set(err, out, 0, "cannot open folder: %s", strerror(errno));
    enum { MAXC = 4096 };
    int64_t *steps = xmalloc(sizeof(int64_t) * MAXC);
    char (*names)[256] = xmalloc(sizeof(*names) * MAXC);
    int n = 0, removed = 0, rc = 0;
    char p[4400];
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid = 0;
        int64_t s = parse_name(e->d_name, &pid);
        if (s < 0) continue;
        snprintf(p, sizeof p, "%s/%s", out, e->d_name);
        if (pid) {   /* staging folder: removed when its writer is gone */
            if (pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
                if (remove_folder(p, err)) rc = -1;
                else removed++;
            }
            continue;
        }
        char sp[4500];
        snprintf(sp, sizeof sp, "%s/%s", p, STATE_FILE);
        struct stat sb;
        if (stat(sp, &sb) == 0 && n < MAXC && strlen(e->d_name) < sizeof names[0]) {
            strcpy(names[n], e->d_name);
            steps[n++] = s;
        }
    }
    closedir(d);
    /* the keep largest steps stay */
    for (int i = 0; i < n; i++) {
        int larger = 0;
        for (int j = 0; j < n; j++) larger += steps[j] > steps[i];
        if (larger < keep) continue;
        snprintf(p, sizeof p, "%s/%s", out, names[i]);
        if (remove_folder(p, err)) rc = -1;
        else removed++;
    }
    free(steps);
    free(names);
    return rc ? -1 : removed;
}
