/* job.c — a training job (job.h): specs → data (taskdata / MLM lines) → model (encoder + one head per task) →
 * trainer with checkpoints, dev evaluation (predict + predict_score) and resume → final model in OUT. */
#include "train/job.h"
#include "train/defaults.h"
#include "core/mem.h"
#include "core/seal.h"
#include "core/util.h"
#include "model/model_head.h"
#include "tasks/predict.h"
#include "tasks/taskdata.h"
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void job_spec_defaults(JobSpec *s) {
    TaskDefaults d; /* the study's loop settings: a target's (train/defaults.h) */
    train_defaults(&d, TRAIN_ROLE_TARGET, NULL, TASK_CLASSIFICATION);
    memset(s, 0, sizeof *s);
    s->cfg = train_config_defaults();
    s->cfg.batch = d.batch;
    s->cfg.accum = d.accum;
    s->cfg.epochs = d.epochs;
    s->cfg.eval_every = d.eval_every;
    s->cfg.patience = d.patience;
    s->cfg.save_every = 1000;
    s->cfg.keep = 2;
    s->dev_examples = (size_t)d.eval_examples;
    s->sampler = SAMPLER_PROPORTIONAL;
    s->temperature = 1.0;
}

/* "pawsx, xnli, ...": the registry's tasks with a head, into buf. */
static void trainable_list(char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < task_count() && n + 1 < cap; i++)
        if (task_head_kind(task_at(i)) != HEAD_NKINDS) {
            int w = snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", task_at(i)->name);
            if (w < 0 || (size_t)w >= cap - n) break;
            n += (size_t)w;
        }
}

int job_task_defaults(const char *task, TrainConfig *cfg, int *max_len, XsErr *err) {
    int is_mlm = !strcmp(task, "mlm");
    const TaskInfo *t = is_mlm ? NULL : task_find(task);
    if (!is_mlm && (!t || task_head_kind(t) == HEAD_NKINDS)) {
        char list[1024];
        trainable_list(list, sizeof list);
        return err_set(err, NULL, 0, "unknown task '%s' for training (expected %s or mlm)", task, list);
    }
    TaskDefaults d; /* the one table: train/defaults.h, in the role the task has alone */
    train_defaults(&d, train_task_role(task), task, t ? t->type : TASK_MLM);
    train_defaults_apply(&d, cfg);
    *max_len = train_task_role(task) == TRAIN_ROLE_INTERMEDIATE && t && t->type == TASK_SPAN_QA ? d.qa_max_len : d.max_len;
    return 0;
}

static void note(const JobSpec *s, const char *fmt, ...) {
    if (!s->note) return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    s->note(s->note_ctx, buf);
}

/* One task of the job, loaded. */
typedef struct JobTask {
    const TaskInfo *info;   /* NULL for MLM */
    TaskData train, dev;
    int has_train, has_dev;
    FeatRows mlm;           /* MLM rows */
    const FeatRows *rows;
    HeadKind kind;
    int num_labels;
} JobTask;

typedef struct Job {
    const JobSpec *s;
    JobResult *r;
    int n;
    JobTask t[XS_MAX_TASKS];
    HeadConfig hc[XS_MAX_TASKS];  /* per task: its own head */
    Tokenizer *tok;
    char copy[8][4200];
    const char *copy_list[9];
    double t0;
} Job;

/* MLM: one row per non-blank line of path. */
static int load_mlm(FeatRows *r, const char *path, const Tokenizer *tok, int max_len, XsErr *err) {
    size_t len;
    char *text = file_read_all(path, &len, err);
    if (!text) return -1;
    feat_rows_init(r, FEAT_MLM, max_len, tok);
    int64_t ex = 0;
    size_t line = 1;
    for (char *p = text, *end = text + len; p < end; line++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        int blank = 1;
        for (size_t i = 0; i < n && blank; i++) blank = p[i] == ' ' || p[i] == '\t' || p[i] == '\r';
        if (!blank && feat_mlm_line(r, tok, p, n, ex++, err)) {
            free(text);
            feat_rows_free(r);
            return err_prefix(err, "%s:%zu: ", path, line);
        }
        p += n + 1;
    }
    free(text);
    if (r->n == 0) {
        feat_rows_free(r);
        return err_set(err, path, 0, "no text lines to train on");
    }
    return 0;
}

static int job_load_data(Job *j, int max_len, XsErr *err) {
    const JobSpec *s = j->s;
    for (int i = 0; i < s->ntasks; i++) {
        const JobTaskSpec *ts = &s->tasks[i];
        JobTask *t = &j->t[i];
        if (!ts->name || !ts->train) return err_set(err, NULL, 0, "task %d: a name and a training file are needed", i);
        for (int k = 0; k < i; k++)
            if (!strcmp(ts->name, s->tasks[k].name)) return err_set(err, NULL, 0, "task %s given twice", ts->name);
        if (!strcmp(ts->name, "mlm")) {
            if (ts->dev) return err_set(err, ts->dev, 0, "mlm has no dev metric (no --dev file for it)");
            if (load_mlm(&t->mlm, ts->train, j->tok, max_len, err)) return -1;
            note(s, "mlm: %zu lines of %s", t->mlm.n, ts->train);
            for (int k = 0; k < ts->nmore; k++) {
                FeatRows more;
                if (load_mlm(&more, ts->more[k], j->tok, max_len, err)) return -1;
                feat_rows_append(&t->mlm, &more, (int64_t)t->mlm.n);
                note(s, "mlm: %zu lines of %s", more.n, ts->more[k]);
                feat_rows_free(&more);
            }
            t->rows = &t->mlm;
            t->kind = HEAD_MLM;
            t->num_labels = 0;
            continue;
        }
        t->info = task_find(ts->name);
        if (!t->info || task_head_kind(t->info) == HEAD_NKINDS) {
            char list[1024];
            trainable_list(list, sizeof list);
            return err_set(err, NULL, 0, "unknown task '%s' for training (expected %s or mlm)", ts->name, list);
        }
        TaskDataOpts o = taskdata_opts_default();
        o.max_len = max_len;
        o.format = ts->format;
        o.max_examples = s->train_examples;
        if (taskdata_load(&t->train, t->info, ts->train, j->tok, &o, err)) return -1;
        t->has_train = 1;
        if (!t->train.labeled) return err_set(err, ts->train, 0, "has no gold labels: an unlabeled file cannot train");
        if (t->train.n == 0) return err_set(err, ts->train, 0, "no examples");
        t->rows = &t->train.rows;
        t->kind = t->train.head;
        t->num_labels = t->kind == HEAD_SPAN_QA ? 0 : (int)t->train.nlabels;
        size_t nex = t->train.n;
        for (int k = 0; k < ts->nmore; k++) {
            /* the rows only: the trainer reads rows (t->train's examples stay the first file's) */
            TaskData more;
            TaskDataOpts mo = o;
            mo.format = ts->more_format ? ts->more_format[k] : NULL;
            if (taskdata_load(&more, t->info, ts->more[k], j->tok, &mo, err)) return -1;
            int bad = !more.labeled || more.n == 0 || more.head != t->train.head || more.nlabels != t->train.nlabels;
            if (bad) err_set(err, ts->more[k], 0, "%s", !more.labeled ? "has no gold labels: an unlabeled file cannot train"
                             : more.n == 0 ? "no examples" : "another label set than the task's first training file");
            else {
                feat_rows_append(&t->train.rows, &more.rows, (int64_t)nex);
                nex += more.n;
                note(s, "%s: %zu more training examples (%zu rows) from %s", ts->name, more.n, more.rows.n, ts->more[k]);
            }
            taskdata_free(&more);
            if (bad) return -1;
        }
        if (ts->dev) {
            o.max_examples = s->dev_examples ? s->dev_examples : 500;
            if (taskdata_load(&t->dev, t->info, ts->dev, j->tok, &o, err)) return -1;
            t->has_dev = 1;
            if (!t->dev.labeled) return err_set(err, ts->dev, 0, "has no gold labels: a dev file must be scored");
            if (t->dev.n == 0) return err_set(err, ts->dev, 0, "no examples");
        }
        note(s, "%s: %zu training examples (%zu rows) from %s%s%s%s", ts->name, t->train.n, t->rows->n, ts->train,
             ts->dev ? ", dev " : "", ts->dev ? ts->dev : "", ts->dev ? "" : ", no dev file");
        if (t->has_dev) note(s, "%s: evaluating on the first %zu dev examples", ts->name, t->dev.n);
    }
    return 0;
}

/* The name prefix of task i's head: the first task's under HF's plain names (the folder's class), every other one
 * under "heads.<task>." (docs/HEADS.md, "Several heads in one model"). */
static void head_prefix(const JobSpec *s, int i, char *buf, size_t cap) {
    if (i == 0) buf[0] = 0;
    else snprintf(buf, cap, "heads.%s.", s->tasks[i].name);
}

/* Registers one head per task (jiant: every task its own head) in m, fills j->hc; a multi-task model lists its heads
 * in m->cfg.heads (config.json "xstilts_heads"), so that predict finds each task's head. */
static int job_add_heads(Job *j, Model *m, XsErr *err) {
    const JobSpec *s = j->s;
    for (int i = 0; i < s->ntasks; i++) {
        JobTask *t = &j->t[i];
        head_config(&j->hc[i], &m->cfg, t->kind, t->num_labels);
        if (strlen(s->tasks[i].name) + 8 > sizeof j->hc[i].prefix)
            return err_set(err, NULL, 0, "task name %s too long for a head name", s->tasks[i].name);
        head_prefix(s, i, j->hc[i].prefix, sizeof j->hc[i].prefix);
        if (model_add_head(m, &j->hc[i], err)) return err_prefix(err, "task %s: ", s->tasks[i].name);
    }
    m->cfg.n_heads = 0;
    if (s->ntasks > 1) {
        for (int i = 0; i < s->ntasks && i < MODEL_MAX_HEADS; i++) {
            ModelHeadRef *h = &m->cfg.heads[i];
            memset(h, 0, sizeof *h);
            snprintf(h->task, sizeof h->task, "%s", s->tasks[i].name);
            snprintf(h->kind, sizeof h->kind, "%s", head_kind_name(j->hc[i].kind));
            h->num_labels = j->hc[i].kind == HEAD_SPAN_QA || j->hc[i].kind == HEAD_MLM ? 0 : j->hc[i].num_labels;
            snprintf(h->prefix, sizeof h->prefix, "%s", j->hc[i].prefix);
        }
        m->cfg.n_heads = s->ntasks < MODEL_MAX_HEADS ? s->ntasks : MODEL_MAX_HEADS;
    }
    return 0;
}

/* ---- evaluation: the mean major metric of the tasks with a dev set ---- */

static int write_curve(const Job *j, XsErr *err) {
    json_t *a = json_array();
    for (size_t i = 0; i < j->r->ncurve; i++) {
        json_t *e = json_object();
        json_object_set_new(e, "step", json_integer(j->r->curve[i].step));
        json_object_set_new(e, "metric", json_real(j->r->curve[i].metric));
        json_array_append_new(a, e);
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/curve.json", j->s->out_dir);
    json_t *o = json_pack("{s:o}", "curve", a); /* sealed (core/seal.h): read back on a resume */
    int rc = json_write_sealed(path, o, err);
    json_decref(o);
    return rc;
}

static int job_eval(void *ctx, Model *m, int64_t step, double *metric, XsErr *err) {
    Job *j = ctx;
    double sum = 0;
    int n = 0;
    for (int i = 0; i < j->s->ntasks; i++) {
        JobTask *t = &j->t[i];
        if (!t->has_dev) continue;
        Predictions p;
        memset(&p, 0, sizeof p);
        PredictOpts po = predict_opts_default();
        json_t *scores = NULL;
        double major = NAN;
        if (predict_run(m, &j->hc[i], &t->dev, &p, &po, err)) return err_prefix(err, "%s dev: ", j->s->tasks[i].name);
        int rc = predict_score(&t->dev, &p, &scores, &major, err);
        predictions_free(&p);
        json_decref(scores);
        if (rc) return err_prefix(err, "%s dev: ", j->s->tasks[i].name);
        sum += major;
        n++;
    }
    *metric = n ? sum / n : NAN;
    JobResult *r = j->r;
    r->curve = xrealloc(r->curve, (r->ncurve + 1) * sizeof *r->curve);
    r->curve[r->ncurve].step = step;
    r->curve[r->ncurve].metric = *metric;
    r->ncurve++;
    return j->s->cfg.rank == 0 ? write_curve(j, err) : 0; /* data parallel: rank 0 writes */
}

/* The curve of the run before a resume at `step` (entries after it are redone); none when there is no curve.json
 * (no evaluation yet), an error when it is damaged. */
static int read_curve(Job *j, int64_t step, XsErr *err) {
    char path[4200];
    snprintf(path, sizeof path, "%s/curve.json", j->s->out_dir);
    if (access(path, F_OK)) return 0;
    json_t *o = json_load_sealed(path, err), *a = json_object_get(o, "curve");
    if (!o) return -1;
    if (!json_is_array(a)) {
        json_decref(o);
        return err_set(err, path, 0, "field \"curve\": expected an array of {step, metric}");
    }
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
        json_t *st = json_object_get(e, "step"), *mt = json_object_get(e, "metric");
        if (!json_is_integer(st) || !json_is_number(mt) || json_integer_value(st) > step) continue;
        JobResult *r = j->r;
        r->curve = xrealloc(r->curve, (r->ncurve + 1) * sizeof *r->curve);
        r->curve[r->ncurve].step = json_integer_value(st);
        r->curve[r->ncurve].metric = json_number_value(mt);
        r->ncurve++;
    }
    json_decref(o);
    return 0;
}

static void job_log(const TrainStepLog *l, void *ctx) {
    Job *j = ctx;
    j->r->steps = l->step;
    j->r->tokens += l->tokens;
    if (j->s->log) j->s->log(l, j->s->log_ctx);
}

/* ---- OUT ---- */

/* 1 when OUT holds a run: a checkpoint (complete or staged), a model or a result. */
static int out_has_run(const char *out, char *what, size_t cap) {
    DIR *d = opendir(out);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d))) {
        if (!strncmp(e->d_name, "checkpoint-", 11) || !strcmp(e->d_name, "model.safetensors") ||
            !strcmp(e->d_name, "config.json") || !strcmp(e->d_name, "result.json")) {
            snprintf(what, cap, "%s", e->d_name);
            found = 1;
        }
    }
    closedir(d);
    return found;
}

static const char *const TOKENIZER_FILES[] = {"sentencepiece.bpe.model", "vocab.txt", "tokenizer_config.json",
                                              "tokenizer.json", "special_tokens_map.json"};

static int copy_file(const char *src, const char *dst, XsErr *err) {
    size_t n;
    char *d = file_read_all(src, &n, err);
    if (!d) return -1;
    int rc = file_write_atomic(dst, d, n, err);
    free(d);
    return rc;
}

static int write_result(const Job *j, const Trainer *tr, XsErr *err) {
    const JobResult *r = j->r;
    json_t *o = json_object();
    json_object_set_new(o, "steps", json_integer(r->steps));
    json_object_set_new(o, "total_steps", json_integer(r->total));
    json_object_set_new(o, "resumed_from", json_integer(r->resumed_from));
    json_object_set_new(o, "best_step", json_integer(r->best_step));
    json_object_set_new(o, "best_metric", isfinite(r->best_metric) ? json_real(r->best_metric) : json_null());
    json_object_set_new(o, "early_stopped", json_boolean(r->early_stopped));
    json_object_set_new(o, "wall_s", json_real(r->wall_s));
    json_object_set_new(o, "tokens", json_integer(r->tokens));
    json_object_set_new(o, "tokens_per_s", json_real(r->tokens_per_s));
    json_t *c = json_array();
    for (size_t i = 0; i < r->ncurve; i++) {
        json_t *e = json_object();
        json_object_set_new(e, "step", json_integer(r->curve[i].step));
        json_object_set_new(e, "metric", json_real(r->curve[i].metric));
        json_array_append_new(c, e);
    }
    json_object_set_new(o, "curve", c);
    json_t *ts = json_array();
    for (int i = 0; i < j->s->ntasks; i++) {
        json_t *t = json_object();
        json_object_set_new(t, "name", json_string(j->s->tasks[i].name));
        json_object_set_new(t, "train", json_string(j->s->tasks[i].train));
        json_object_set_new(t, "dev", j->s->tasks[i].dev ? json_string(j->s->tasks[i].dev) : json_null());
        json_object_set_new(t, "head", json_string(tr->task[i].head));
        json_object_set_new(t, "examples", json_integer((json_int_t)tr->task[i].units));
        json_array_append_new(ts, t);
    }
    json_object_set_new(o, "tasks", ts);
    json_t *hp = json_object();
    json_object_set_new(hp, "batch", json_integer(tr->cfg.batch));
    json_object_set_new(hp, "accum", json_integer(tr->cfg.accum));
    json_object_set_new(hp, "lr", json_real(tr->cfg.lr));
    json_object_set_new(hp, "warmup_ratio", json_real(tr->cfg.warmup_ratio));
    json_object_set_new(hp, "seed", json_integer((json_int_t)tr->cfg.seed));
    json_object_set_new(hp, "max_len", json_integer(tr->Tmax));
    json_object_set_new(hp, "dropout", json_boolean(tr->cfg.dropout));
    json_object_set_new(hp, "eval_every", json_integer(tr->cfg.eval_every));
    json_object_set_new(hp, "patience", json_integer(tr->cfg.patience));
    json_object_set_new(hp, "sampler", json_string(sampler_kind_name(tr->sampler.kind)));
    json_object_set_new(o, "hyperparameters", hp);
    char path[4200];
    snprintf(path, sizeof path, "%s/result.json", j->s->out_dir);
    int rc = json_write_atomic(path, o, err);
    json_decref(o);
    return rc;
}

int train_job(const JobSpec *s, JobResult *r, XsErr *err) {
    memset(r, 0, sizeof *r);
    r->resumed_from = -1;
    r->best_step = -1;
    r->best_metric = NAN;
    if (s->ntasks < 1 || s->ntasks > XS_MAX_TASKS)
        return err_set(err, NULL, 0, "%d tasks (expected 1..%d)", s->ntasks, XS_MAX_TASKS);
    if (!s->model_dir || !s->out_dir) return err_set(err, NULL, 0, "a model folder and an output folder are needed");
    Job *j = xcalloc(1, sizeof *j);
    j->s = s;
    j->r = r;
    int rc = -1, have_model = 0, have_tr = 0;
    Model m;
    memset(&m, 0, sizeof m);
    Trainer tr;
    memset(&tr, 0, sizeof tr);
    TrainState st;
    char ck[4096] = "", what[512];
    int64_t ck_step = -1;

    /* the output folder: a run there is continued only with resume */
    int resuming = 0;
    if (s->resume) {
        /* staging folders of killed runs are garbage (checkpoint_prune keeps a live process's) */
        struct stat sb;
        if (s->cfg.rank == 0 && stat(s->out_dir, &sb) == 0 && checkpoint_prune(s->out_dir, 1 << 30, err) < 0) goto done;
        if (checkpoint_latest(s->out_dir, ck, sizeof ck, &ck_step)) resuming = 1;
    }
    if (!resuming && out_has_run(s->out_dir, what, sizeof what)) {
        err_set(err, s->out_dir, 0, "holds a run (%s)%s; nothing written", what,
                s->resume ? " but no complete checkpoint to resume from" : ": resume it, or give another folder");
        goto done;
    }
    /* lengths: the largest default of the tasks unless given */
    int max_len = s->max_len;
    for (int i = 0; i < s->ntasks && !s->max_len; i++) {
        const TaskInfo *t = s->tasks[i].name ? task_find(s->tasks[i].name) : NULL;
        int L = t && t->max_len ? t->max_len : FEAT_MAX_LEN;
        if (L > max_len) max_len = L;
    }
    if (resuming) {
        if (checkpoint_read_state(ck, &st, err)) goto done;
        /* the tasks first, for a clear message before any tensor is compared */
        char spath[4200];
        snprintf(spath, sizeof spath, "%s/xstilts.json", ck);
        if (st.n_tasks != s->ntasks) {
            err_set(err, spath, 0, "cannot resume: the checkpoint trained %d task(s) (%s%s), this run %d; nothing written",
                    st.n_tasks, st.tasks[0].name, st.n_tasks > 1 ? ", ..." : "", s->ntasks);
            goto done;
        }
        for (int i = 0; i < s->ntasks; i++)
            if (strcmp(st.tasks[i].name, s->tasks[i].name)) {
                err_set(err, spath, 0, "cannot resume: field \"tasks[%d].name\" is %s, this run's task %d is %s; "
                        "nothing written", i, st.tasks[i].name, i, s->tasks[i].name);
                goto done;
            }
        if (st.max_seq_len != max_len && s->max_len) {
            err_set(err, spath, 0, "cannot resume: field \"batch.max_seq_len\" is %d, this run's %d", st.max_seq_len,
                    max_len);
            goto done;
        }
        max_len = st.max_seq_len;
    }
    j->tok = tokenizer_open(s->model_dir, err);
    if (!j->tok) goto done;
    if (job_load_data(j, max_len, err)) goto done;

    /* the model */
    const char *src = resuming ? ck : s->model_dir;
    if (model_open(src, &m, err)) goto done;
    have_model = 1;
    if (max_len > m.cfg.max_position) {
        err_set(err, s->model_dir, 0, "rows of %d tokens exceed the model's %d positions", max_len, m.cfg.max_position);
        goto done;
    }
    if (job_add_heads(j, &m, err)) goto done;
    if (resuming) {
        have_model = 0; /* freed by checkpoint_load_weights on error */
        if (checkpoint_load_weights(ck, &m, err)) goto done;
        have_model = 1;
        note(s, "resuming from %s (update %lld of %lld)", ck, (long long)st.step, (long long)st.sched.total);
        r->resumed_from = st.step;
    } else {
        have_model = 0;
        if (model_load_weights(&m, MODEL_LOAD_ENCODER_ONLY, err)) goto done;
        have_model = 1;
        model_init_fresh(&m, s->cfg.seed);
        if (m.n_unused) {
            r->dropped = xcalloc((size_t)m.n_unused, sizeof *r->dropped);
            for (int i = 0; i < m.n_unused; i++) {
                r->dropped[i] = xstrdup(m.unused[i]);
                note(s, "dropped %s (encoder-only transfer)", m.unused[i]);
            }
            r->ndropped = m.n_unused;
        }
    }

    /* the trainer */
    TrainTask tasks[XS_MAX_TASKS];
    int any_dev = 0;
    for (int i = 0; i < s->ntasks; i++) {
        memset(&tasks[i], 0, sizeof tasks[i]);
        tasks[i].name = s->tasks[i].name;
        tasks[i].head = s->tasks[i].name; /* every task its own head */
        tasks[i].data = s->tasks[i].train;
        tasks[i].hc = j->hc[i];
        tasks[i].rows = j->t[i].rows;
        tasks[i].tok = j->t[i].kind == HEAD_MLM ? j->tok : NULL;
        any_dev |= j->t[i].has_dev;
    }
    TaskSampler sp;
    memset(&sp, 0, sizeof sp);
    {
        double w[XS_MAX_TASKS];
        for (int i = 0; i < s->ntasks; i++)
            w[i] = s->sampler == SAMPLER_SPECIFIED ? s->weights[i] : (double)(j->t[i].rows->n /
                   (size_t)(j->t[i].kind == HEAD_MULTIPLE_CHOICE ? j->hc[i].num_labels : 1));
        if (sampler_init(&sp, s->sampler, s->ntasks, w, s->temperature > 0 ? s->temperature : 1.0, s->cap,
                         s->cfg.seed, err)) {
            err_prefix(err, "sampler: ");
            goto done;
        }
    }
    TrainConfig c = s->cfg;
    c.eval = any_dev ? job_eval : NULL;
    c.eval_ctx = j;
    if (!any_dev) c.eval_every = 0;
    c.ckpt_dir = s->out_dir;
    int nc = 0;
    for (size_t k = 0; k < sizeof TOKENIZER_FILES / sizeof TOKENIZER_FILES[0]; k++) {
        snprintf(j->copy[nc], sizeof j->copy[nc], "%s/%s", s->model_dir, TOKENIZER_FILES[k]);
        if (access(j->copy[nc], R_OK) == 0) j->copy_list[nc] = j->copy[nc], nc++;
    }
    j->copy_list[nc] = NULL;
    c.copy_files = j->copy_list;
    if (trainer_init_tasks(&tr, &m, tasks, s->ntasks, &sp, &c, err)) goto done;
    have_tr = 1;
    if (resuming) {
        if (trainer_resume(&tr, ck, &st, err)) goto done;
        if (read_curve(j, st.step, err)) goto done;
    } else if (s->cfg.rank == 0 && mkdir(s->out_dir, 0777) && errno != EEXIST) {
        err_set(err, s->out_dir, 0, "cannot create the output folder (%s)", strerror(errno));
        goto done;
    }
    r->total = tr.total;
    r->steps = tr.opt.step;
    char ranks[32] = "";
    if (c.world > 1) snprintf(ranks, sizeof ranks, " x %d ranks", c.world);
    note(s, "%d task(s), %lld updates of batch %d x accum %d%s, lr %g, max_len %d, seed %llu%s", s->ntasks,
         (long long)tr.total, c.batch, c.accum, ranks, c.lr, tr.Tmax, (unsigned long long)c.seed,
         any_dev ? "" : "; no dev set: no evaluation, the last weights are kept");

    double t0 = time_now();
    int run = trainer_run(&tr, job_log, j, err);
    r->wall_s = time_now() - t0;
    r->tokens_per_s = r->wall_s > 0 ? (double)r->tokens / r->wall_s : 0;
    r->steps = tr.opt.step;
    r->best_step = tr.best_step;
    r->best_metric = tr.best_step >= 0 ? tr.best_metric : NAN;
    r->early_stopped = tr.opt.step < tr.total && trainer_done(&tr);
    if (run < 0) goto done;
    if (run == TRAIN_STOPPED) {
        rc = TRAIN_STOPPED;
        goto done;
    }
    /* the final model: the best evaluation's weights (trainer_run put them back), HF layout, tokenizer; then the
     * result, written last: its presence says the folder is complete. Data parallel: rank 0 writes (every rank
     * holds the same bits) */
    if (s->cfg.rank != 0) {
        rc = 0;
        goto done;
    }
    if (model_save(s->out_dir, &m, err)) goto done;
    for (int k = 0; k < nc; k++) {
        char dst[4200];
        const char *bn = strrchr(j->copy_list[k], '/') + 1;
        snprintf(dst, sizeof dst, "%s/%s", s->out_dir, bn);
        if (copy_file(j->copy_list[k], dst, err)) goto done;
    }
    if (write_result(j, &tr, err)) goto done;
    rc = 0;
done:
    if (have_tr) trainer_free(&tr);
    if (have_model) model_free(&m);
    for (int i = 0; i < s->ntasks; i++) {
        if (j->t[i].has_train) taskdata_free(&j->t[i].train);
        if (j->t[i].has_dev) taskdata_free(&j->t[i].dev);
        if (j->t[i].mlm.info || j->t[i].mlm.ids) feat_rows_free(&j->t[i].mlm);
    }
    if (j->tok) tokenizer_free(j->tok);
    free(j);
    return rc;
}

void job_result_free(JobResult *r) {
    free(r->curve);
    for (int i = 0; i < r->ndropped; i++) free(r->dropped[i]);
    free(r->dropped);
    memset(r, 0, sizeof *r);
}
