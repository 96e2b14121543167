/* exec.c — the three phases of a study plan (exec.h, docs/RUN.md "Execution"). */
#include "run/exec.h"
#include "core/mem.h"
#include "core/progress.h"
#include "core/seal.h"
#include "core/text.h"
#include "core/util.h"
#include "data/choices.h"
#include "data/pairs.h"
#include "data/tagging.h"
#include "eval/retrieval.h"
#include "model/model.h"
#include "model/pool.h"
#include "run/exec_retrieval.h"
#include "run/report.h"
#include "run/state.h"
#include "tasks/embed.h"
#include "tasks/predict.h"
#include "tasks/taskdata.h"
#include "tok/tokenizer.h"
#include "train/job.h"
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct Exec {
    const RunPlan *p;
    const RunConfig *cfg;
    const char *run;
    const RunExecOpts *o;
    char logpath[4200];
    ProgressBar *bar;   /* the running phase's bar (o->bar), ended before any other line */
} Exec;

static int execute(const RunPlan *p, const char *run_dir, const RunExecOpts *o, RunExecStats *st, XsErr *err);

/* ---- small helpers ---- */

static double unix_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int run_mkdirs(const char *path, XsErr *err) {
    char b[4200];
    snprintf(b, sizeof b, "%s", path);
    for (char *q = b + 1;; q++) {
        if (*q == '/' || !*q) {
            char c = *q;
            *q = 0;
            if (mkdir(b, 0777) && errno != EEXIST) return err_set(err, b, 0, "cannot create the folder: %s", strerror(errno));
            *q = c;
            if (!c) break;
        }
    }
    return 0;
}

/* Removes a folder tree (a stale job's or cell's state, redone under --force). */
static int rm_tree(const char *path, XsErr *err) {
    struct stat sb;
    if (lstat(path, &sb)) return 0;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (!d) return err_set(err, path, 0, "cannot open the folder: %s", strerror(errno));
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char q[4200];
            snprintf(q, sizeof q, "%s/%s", path, e->d_name);
            if (rm_tree(q, err)) { closedir(d); return -1; }
        }
        closedir(d);
        if (rmdir(path)) return err_set(err, path, 0, "cannot remove: %s", strerror(errno));
    } else if (unlink(path)) return err_set(err, path, 0, "cannot remove: %s", strerror(errno));
    return 0;
}

/* One JSONL event in RUN/run.log (appended; a failure to log is not an error of the run). */
static void log_event(const Exec *x, const char *event, const char *key, const char *id, json_t *extra) {
    json_t *e = json_object();
    json_object_set_new(e, "t", json_real(unix_now()));
    json_object_set_new(e, "event", json_string(event));
    if (key) json_object_set_new(e, key, json_string(id));
    if (extra) { json_object_update(e, extra); json_decref(extra); }
    char *s = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(e);
    FILE *f = fopen(x->logpath, "a");
    if (f && s) { fprintf(f, "%s\n", s); fclose(f); }
    else if (f) fclose(f);
    free(s);
}

static void progress(const Exec *x, const char *fmt, ...) XS_PRINTF(2, 3);
static void progress(const Exec *x, const char *fmt, ...) {
    if (!x->o->progress) return;
    pbar_end(x->bar);
    va_list ap;
    va_start(ap, fmt);
    fputs("xstilts run: ", x->o->progress);
    vfprintf(x->o->progress, fmt, ap);
    fputc('\n', x->o->progress);
    fflush(x->o->progress);
    va_end(ap);
}

/* A damaged state file of a job or cell (found by the plan: PlanJob/PlanCell.damage, or here): moved aside to
 * NAME.corrupt (state.h), said on stderr and in run.log ("state_corrupt"); the work is then redone. */
static int set_aside(const Exec *x, const char *dir, const char *name, const char *damage, const char *key,
                     const char *id, XsErr *err) {
    char p[4200], to[4300] = "";
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat sb;
    if (lstat(p, &sb) == 0 && run_state_set_aside(p, to, sizeof to, err)) return -1;
    log_event(x, "state_corrupt", key, id, json_pack("{s:s,s:s}", "error", damage, "kept_as", to));
    progress(x, "WARNING: %s; %s %s is redone (the damaged file is kept as %s)", damage, key, id, to[0] ? to : "-");
    return 0;
}

/* The reader layout name of a file (TaskDataOpts.format), NULL when it is guessed. */
static const char *file_format(const RunFile *f) {
    if (f->format < 0) return NULL;
    switch (f->kind) {
    case RF_PAIR: return pair_format_name((PairFormat)f->format);
    case RF_CHOICE: return choice_format_name((ChoiceFormat)f->format);
    case RF_TAG: return tag_format_name((TagFormat)f->format);
    default: return NULL;
    }
}

/* ---- one training job, with its per-update record ----
 * train_job's JobResult counts tokens and wall time of this process only, and its curve holds step and metric. A run
 * killed and resumed must produce the cell.json of an uninterrupted run, so every update is appended to
 * DIR/steps.tsv ("step<TAB>tokens<TAB>loss<TAB>lr", flushed per update); after the job the LAST record of each step
 * 1..steps is used (updates redone after a resume replace the lost ones: resumed training is deterministic). */

typedef struct TrainCtx {
    const Exec *x;
    FILE *f;
    const char *key, *id;   /* run.log: "cell" / "job" and the id */
    int64_t eval_every;
    int werr;               /* errno of the first record that could not be appended (a full disk), 0 when none */
    int64_t wstep;
} TrainCtx;

/* Starts the running phase's bar (drawn only when o->bar). */
static void bar_begin(const Exec *x, const char *phase, const char *id) {
    char label[400];
    snprintf(label, sizeof label, "%s %s", phase, id);
    pbar_begin(x->bar, x->o->bar ? x->o->progress : NULL, label);
}

static void on_step(const TrainStepLog *l, void *ctx) {
    TrainCtx *c = ctx;
    if (c->f && run_steps_append(c->f, l->step, l->tokens, l->loss, l->lr) && !c->werr) c->werr = errno, c->wstep = l->step;
    char extra[96];
    snprintf(extra, sizeof extra, "loss %.4f", l->loss);
    if (l->evaluated) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), " dev %.4f", l->metric);
    pbar_update(c->x->bar, l->step, l->total, l->tokens, extra);
    if (l->evaluated || l->saved || l->step == l->total || l->step == 1) {
        json_t *e = json_object();
        json_object_set_new(e, "step", json_integer(l->step));
        json_object_set_new(e, "total", json_integer(l->total));
        json_object_set_new(e, "loss", json_real(l->loss));
        if (l->evaluated) json_object_set_new(e, "dev_metric", json_real(l->metric));
        log_event(c->x, "step", c->key, c->id, e);
    }
}

static void on_note(void *ctx, const char *msg) {
    TrainCtx *c = ctx;
    pbar_clock(c->x->bar); /* tokens/s and the ETA count from the end of loading, as xstilts train's */
    log_event(c->x, "note", c->key, c->id, json_pack("{s:s}", "msg", msg));
}

/* The records of steps 1..n from dir/steps.tsv (rec[0..n-1]; a step without a record: have = 0); NULL + err when
 * the log is damaged. */
static StepRec *read_steps(const char *dir, int64_t n, XsErr *err) {
    StepRec *rec = xcalloc((size_t)(n > 0 ? n : 1), sizeof *rec);
    char p[4200];
    snprintf(p, sizeof p, "%s/steps.tsv", dir);
    if (run_steps_read(p, n, rec, err)) { free(rec); return NULL; }
    return rec;
}

/* Updates without a record (a kill, or a full disk, between a checkpoint and its record): said, never hidden. */
static void warn_holes(const Exec *x, const StepRec *rec, int64_t n, const char *key, const char *id) {
    int64_t holes = 0, first = 0;
    for (int64_t i = 0; i < n; i++)
        if (!rec[i].have && !holes++) first = i + 1;
    if (!holes) return;
    char m[300];
    snprintf(m, sizeof m, "%lld update(s) have no record in steps.tsv (first: %lld): the token count omits them and "
             "their loss / lr are null", (long long)holes, (long long)first);
    log_event(x, "note", key, id, json_pack("{s:s}", "msg", m));
    progress(x, "WARNING: %s %s: %s", key, id, m);
}

/* Runs spec (out_dir = model folder) with its step record in rec_dir. Returns train_job's code. */
static int run_train(const Exec *x, JobSpec *s, const char *rec_dir, const char *key, const char *id, JobResult *r,
                     XsErr *err) {
    char p[4200];
    snprintf(p, sizeof p, "%s/steps.tsv", rec_dir);
    TrainCtx c = {x, run_steps_open(p, err), key, id, s->cfg.eval_every, 0, 0};
    if (!c.f) return err_prefix(err, "%s %s: ", key, id);
    s->log = on_step;
    s->log_ctx = &c;
    s->note = on_note;
    s->note_ctx = &c;
    s->resume = 1;
    s->cfg.stop = x->o->stop;
    int rc = train_job(s, r, err);
    if (fclose(c.f) && !c.werr) c.werr = errno, c.wstep = r->steps;
    pbar_end(x->bar);
    if (c.werr && rc != -1) /* the job went on; its record is lost: an error, never a silently short count */
        rc = err_set(err, p, 0, "%s %s: cannot append the record of update %lld: %s", key, id, (long long)c.wstep,
                     strerror(c.werr));
    return rc;
}

/* The hyperparameters of h into s->cfg, keeping job_spec_defaults' loop settings (checkpoint cadence, kept). */
static void set_train(JobSpec *s, const TrainConfig *h) {
    int64_t save_every = s->cfg.save_every;
    int keep = s->cfg.keep;
    s->cfg = *h;
    s->cfg.save_every = save_every;
    s->cfg.keep = keep;
}

/* ---- phase 1 ---- */

static int phase1(const Exec *x, const PlanJob *j, RunExecStats *st, XsErr *err) {
    const RunRow *row = &x->cfg->rows[j->row];
    char id[200];
    snprintf(id, sizeof id, "%s/seed-%ld", row->name, j->seed);
    char damage[1024];
    snprintf(damage, sizeof damage, "%s", j->damage);
    if (j->state == RS_DONE) {
        /* the model the cells will read: its files checked against phase1.json's manifest when a cell needs it */
        int needed = 0;
        for (int i = 0; i < x->p->ncells; i++) needed |= x->p->cells[i].job == j - x->p->jobs && x->p->cells[i].state != RS_DONE;
        XsErr e = {0};
        if (!needed || !run_phase1_verify(j->dir, &e)) { st->jobs_skipped++; return 0; }
        snprintf(damage, sizeof damage, "%s", e.msg);
    }
    if (j->state == RS_STALE || j->state == RS_CORRUPT) {
        if (damage[0]) log_event(x, "state_corrupt", "job", id, json_pack("{s:s,s:s}", "error", damage, "action", "removed (--force)"));
        if (rm_tree(j->dir, err)) return -1;
    } else if (damage[0] && set_aside(x, j->dir, "phase1.json", damage, "job", id, err)) return -1;
    if (run_mkdirs(j->dir, err) || run_started_write(j->dir, j->hash, err)) return -1;
    JobSpec s;
    job_spec_defaults(&s);
    s.model_dir = x->cfg->model;
    s.out_dir = j->dir;
    int qa = 0;
    /* one JobTaskSpec per task: its first file as `train`, the others (ANLI+'s files, translate-train data, MLM text per
     * language) as `more`, in the config's order */
    const char **more[XS_MAX_TASKS] = {0}, **more_fmt[XS_MAX_TASKS] = {0};
    int rc0 = 0;
    for (int i = 0; i < row->train.n && !rc0; i++) {
        const RunFile *f = &row->train.v[i];
        int k = 0;
        while (k < s.ntasks && strcmp(s.tasks[k].name, f->task)) k++;
        if (k == s.ntasks) {
            if (s.ntasks == XS_MAX_TASKS) { rc0 = err_set(err, x->cfg->file, 0, "row \"%s\": more than %d tasks", row->name, XS_MAX_TASKS); break; }
            s.tasks[s.ntasks++] = (JobTaskSpec){f->task, f->path, NULL, file_format(f), 0, NULL, NULL};
            more[k] = xcalloc((size_t)row->train.n, sizeof *more[k]);
            more_fmt[k] = xcalloc((size_t)row->train.n, sizeof *more_fmt[k]);
            s.tasks[k].more = more[k];
            s.tasks[k].more_format = more_fmt[k];
        } else {
            more[k][s.tasks[k].nmore] = f->path;
            more_fmt[k][s.tasks[k].nmore++] = file_format(f);
        }
        qa |= f->kind == RF_QA;
    }
    if (rc0) {
        for (int k = 0; k < XS_MAX_TASKS; k++) { free(more[k]); free(more_fmt[k]); }
        return -1;
    }
    set_train(&s, &row->hp.train);
    s.train_examples = (size_t)row->hp.train_examples;
    s.cfg.seed = (uint64_t)j->seed;
    s.cfg.eval_every = 0;  /* intermediate tasks have no dev file in phase 1: the last update's weights */
    s.cfg.patience = 0;
    s.max_len = qa && row->hp.qa_max_len > row->hp.max_len ? row->hp.qa_max_len : row->hp.max_len;
    s.sampler = row->sampler;
    s.temperature = row->temperature;
    s.cap = row->cap;
    if (row->weights)
        for (int k = 0; k < row->ntasks && k < XS_MAX_TASKS; k++) s.weights[k] = row->weights[k];
    progress(x, "phase 1 %s: %d task(s) from %s", id, s.ntasks, x->cfg->model);
    log_event(x, "phase1_start", "job", id, NULL);
    bar_begin(x, "phase 1", id);
    double t0 = time_now();
    JobResult r;
    int rc = run_train(x, &s, j->dir, "job", id, &r, err);
    for (int k = 0; k < XS_MAX_TASKS; k++) { free(more[k]); free(more_fmt[k]); }
    if (rc) {
        int64_t done = r.steps;
        job_result_free(&r);
        if (rc == TRAIN_STOPPED) {
            log_event(x, "phase1_stopped", "job", id, json_pack("{s:I}", "step", (json_int_t)done));
            return RUN_EXEC_STOPPED;
        }
        err_prefix(err, "phase 1 %s: ", id);
        return -1;
    }
    StepRec *rec = read_steps(j->dir, r.steps, err);
    if (!rec) {
        job_result_free(&r);
        return err_prefix(err, "phase 1 %s: ", id);
    }
    int64_t tokens = 0;
    for (int64_t i = 0; i < r.steps; i++) tokens += rec[i].tokens;
    warn_holes(x, rec, r.steps, "job", id);
    free(rec);
    double wall = time_now() - t0;
    rc = run_phase1_write(j->dir, row->name, j->seed, j->hash, wall, tokens, r.steps, err);
    log_event(x, "phase1_end", "job", id, json_pack("{s:I,s:I}", "step", (json_int_t)r.steps, "tokens", (json_int_t)tokens));
    progress(x, "phase 1 %s: done, %lld updates, %lld tokens, %.1f s", id, (long long)r.steps, (long long)tokens, wall);
    job_result_free(&r);
    if (rc) return -1;
    st->jobs_run++;
    return 0;
}

/* ---- phase 3 ---- */

static const char *pred_ext(const TaskInfo *t) { return t->hp == HP_QA ? "json" : "tsv"; }

/* Predicts (and scores, with gold) one evaluation file with the cell's model. */
static int eval_file(const Exec *x, const PlanCell *c, const RunFile *f, const char *model_dir, const Tokenizer *tok,
                     json_t *dev, json_t *test, int64_t *ptokens, XsErr *err) {
    const RunTarget *t = &x->cfg->targets[c->target];
    const RunRow *row = &x->cfg->rows[c->row];
    const char *split = f->role == RFR_EVAL_DEV ? "dev" : "test";
    TaskDataOpts to = taskdata_opts_default();
    to.max_len = c->hp.max_len;
    to.qa_stride = c->hp.doc_stride;
    to.qa_max_query = c->hp.max_query_len;
    to.lang = f->lang;
    to.format = file_format(f);
    to.unlabeled = f->unlabeled;
    to.max_examples = (size_t)c->hp.predict_examples;
    TaskData td;
    if (taskdata_load(&td, t->info, f->path, tok, &to, err)) return -1;
    Model m;
    HeadConfig hc;
    if (predict_load_model(model_dir, &td, &m, &hc, err)) { taskdata_free(&td); return -1; }
    for (size_t r = 0; r < td.rows.n * (size_t)td.rows.max_len; r++) *ptokens += td.rows.mask[r] != 0; /* the bar's tok/s */
    PredictOpts po = predict_opts_default();
    Predictions pr;
    int rc = predict_run(&m, &hc, &td, &pr, &po, err);
    model_free(&m);
    if (rc) { taskdata_free(&td); return -1; }
    char path[4400];
    snprintf(path, sizeof path, "%s/pred/%s-%s.%s", c->dir, split, f->lang, pred_ext(t->info));
    rc = predict_write(&td, &pr, path, NULL, err);
    if (!rc && f->role == RFR_EVAL_TEST && c->hp.predict_examples == 0) { /* a limited cell has no full submission */
        char sub[4400];
        snprintf(sub, sizeof sub, "%s/submission/%s/seed-%ld/%s", x->run, row->name, c->seed, t->info->name);
        rc = run_mkdirs(sub, err);
        snprintf(sub + strlen(sub), sizeof sub - strlen(sub), "/test-%s.%s", f->lang, pred_ext(t->info));
        if (!rc) rc = predict_write(&td, &pr, sub, NULL, err);
    }
    if (!rc && td.labeled) {
        json_t *mj;
        rc = predict_score(&td, &pr, &mj, NULL, err);
        if (!rc) {
            /* cell.json keeps the metrics (percent), not the counts score adds (num_pred_chunks, ...) */
            static const char *const KEEP[] = {"accuracy", "f1", "precision", "recall", "exact_match", "exact", NULL};
            json_t *kept = json_object();
            for (int k = 0; KEEP[k]; k++) {
                json_t *v = json_object_get(mj, KEEP[k]);
                if (json_is_number(v)) json_object_set(kept, KEEP[k], v);
            }
            json_decref(mj);
            json_object_set_new(f->role == RFR_EVAL_DEV ? dev : test, f->lang, kept);
        }
    }
    predictions_free(&pr);
    taskdata_free(&td);
    return rc;
}

/* ---- a cell: phase 2 + 3 + cell.json ---- */

static json_t *phase1_block(const Exec *x, const PlanCell *c, XsErr *err) {
    if (c->job < 0) return json_null();
    const PlanJob *j = &x->p->jobs[c->job];
    json_t *r = run_phase1_load(j->dir, err);
    if (!r) return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "row", json_string(x->cfg->rows[j->row].name));
    json_object_set_new(o, "seed", json_integer(j->seed));
    json_object_set(o, "wall_s", json_object_get(r, "wall_s"));
    json_object_set(o, "tokens", json_object_get(r, "tokens"));
    json_object_set_new(o, "config_hash", json_string(j->hash));
    json_decref(r);
    return o;
}

static int run_cell(const Exec *x, const PlanCell *c, RunExecStats *st, XsErr *err) {
    const RunTarget *t = &x->cfg->targets[c->target];
    const RunRow *row = &x->cfg->rows[c->row];
    char id[300];
    snprintf(id, sizeof id, "%s/%s/seed-%ld", row->name, t->info->name, c->seed);
    if (c->state == RS_DONE) { st->cells_skipped++; return 0; }
    if (c->state == RS_STALE || c->state == RS_CORRUPT) {
        if (c->damage[0]) log_event(x, "state_corrupt", "cell", id, json_pack("{s:s,s:s}", "error", c->damage, "action", "removed (--force)"));
        if (rm_tree(c->dir, err)) return -1;
    } else if (c->damage[0] && set_aside(x, c->dir, "cell.json", c->damage, "cell", id, err)) return -1;
    char pred[4300], model[4300];
    snprintf(pred, sizeof pred, "%s/pred", c->dir);
    snprintf(model, sizeof model, "%s/model", c->dir);
    if (run_mkdirs(pred, err) || run_started_write(c->dir, c->hash, err)) return -1;
    const char *from = c->job >= 0 ? x->p->jobs[c->job].dir : x->cfg->model;
    double t0 = time_now();
    int64_t tokens = 0, best_step = -1;
    json_t *curve = json_array(), *dev = json_object(), *test = json_object(), *thresholds = json_object();
    int rc = 0;
    log_event(x, "cell_start", "cell", id, NULL);
    if (t->info->type == TASK_RETRIEVAL) {
        progress(x, "cell %s: embedding with %s", id, from);
        char sub[4400];
        snprintf(sub, sizeof sub, "%s/submission/%s/seed-%ld/%s", x->run, row->name, c->seed, t->info->name);
        bar_begin(x, "phase 3", id);
        RetrievalCell rcell = {t->info, &t->files, &c->hp, from, pred, c->hp.predict_examples == 0 ? sub : NULL, x->bar};
        rc = run_retrieval_cell(&rcell, dev, test, thresholds, &tokens, err);
        pbar_end(x->bar);
        if (rc) err_prefix(err, "cell %s, phase 3: ", id);
    } else {
        const RunFile *tr = NULL, *dv = NULL;
        for (int i = 0; i < t->files.n; i++) {
            if (t->files.v[i].role == RFR_TRAIN && !tr) tr = &t->files.v[i];
            if (t->files.v[i].role == RFR_DEV && !dv) dv = &t->files.v[i];
        }
        if (!tr) rc = err_set(err, x->cfg->file, 0, "target %s has no English training file", t->info->name);
        JobSpec s;
        job_spec_defaults(&s);
        s.model_dir = from;
        s.out_dir = model;
        s.ntasks = 1;
        s.tasks[0] = (JobTaskSpec){t->info->name, tr ? tr->path : NULL, dv ? dv->path : NULL, tr ? file_format(tr) : NULL, 0, NULL,
                                   NULL};
        set_train(&s, &c->hp.train);
        s.train_examples = (size_t)c->hp.train_examples;
        s.cfg.seed = (uint64_t)c->seed;
        s.cfg.eval_every = dv ? c->hp.eval_every : 0;
        if (s.cfg.eval_every > 0) s.cfg.save_every = s.cfg.eval_every; /* a checkpoint at every evaluation */
        s.cfg.patience = dv && c->hp.eval_every > 0 ? c->hp.patience : 0;
        s.max_len = c->hp.max_len;
        s.dev_examples = c->hp.eval_examples > 0 ? (size_t)c->hp.eval_examples : (size_t)1 << 40;
        JobResult r;
        memset(&r, 0, sizeof r);
        if (!rc) {
            progress(x, "cell %s: phase 2 from %s", id, from);
            log_event(x, "phase2_start", "cell", id, NULL);
            bar_begin(x, "phase 2", id);
            rc = run_train(x, &s, c->dir, "cell", id, &r, err);
            if (rc == TRAIN_STOPPED) {
                int64_t done = r.steps;
                job_result_free(&r);
                log_event(x, "phase2_stopped", "cell", id, json_pack("{s:I}", "step", (json_int_t)done));
                json_decref(curve); json_decref(dev); json_decref(test); json_decref(thresholds);
                return RUN_EXEC_STOPPED;
            }
            if (rc) err_prefix(err, "cell %s, phase 2: ", id);
        }
        if (!rc) {
            StepRec *rec = read_steps(c->dir, r.steps, err);
            if (!rec) {
                job_result_free(&r);
                json_decref(curve); json_decref(dev); json_decref(test);
                return err_prefix(err, "cell %s: ", id);
            }
            for (int64_t i = 0; i < r.steps; i++) tokens += rec[i].tokens;
            warn_holes(x, rec, r.steps, "cell", id);
            for (size_t k = 0; k < r.ncurve; k++) {
                int64_t sp = r.curve[k].step;
                const StepRec *q = sp >= 1 && sp <= r.steps && rec[sp - 1].have ? &rec[sp - 1] : NULL;
                json_array_append_new(curve, json_pack("{s:I,s:o,s:o,s:f}", "step", (json_int_t)sp, "loss",
                                                       q ? json_real(q->loss) : json_null(), "lr",
                                                       q ? json_real(q->lr) : json_null(), "dev_metric", r.curve[k].metric));
            }
            free(rec);
            best_step = r.best_step;
            log_event(x, "phase2_end", "cell", id, json_pack("{s:I}", "step", (json_int_t)r.steps));
            progress(x, "cell %s: phase 2 done, %lld updates, best step %lld; phase 3", id, (long long)r.steps,
                     (long long)best_step);
            Tokenizer *tok = tokenizer_open(model, err);
            if (!tok) rc = -1;
            int64_t nev = 0, done = 0;
            for (int i = 0; i < t->files.n; i++) nev += t->files.v[i].role == RFR_EVAL_DEV || t->files.v[i].role == RFR_EVAL_TEST;
            bar_begin(x, "phase 3", id);
            for (int i = 0; i < t->files.n && !rc; i++) {
                const RunFile *f = &t->files.v[i];
                if (f->role != RFR_EVAL_DEV && f->role != RFR_EVAL_TEST) continue;
                int64_t ptok = 0;
                rc = eval_file(x, c, f, model, tok, dev, test, &ptok, err);
                if (rc) err_prefix(err, "cell %s, phase 3: ", id);
                else pbar_update(x->bar, ++done, nev, ptok, "files predicted");
            }
            pbar_end(x->bar);
            if (tok) tokenizer_free(tok);
        }
        job_result_free(&r);
    }
    json_t *p1 = rc ? NULL : phase1_block(x, c, err);
    if (rc || !p1) {
        json_decref(curve); json_decref(dev); json_decref(test); json_decref(thresholds);
        return -1;
    }
    double wall = time_now() - t0;
    json_t *o = json_object();
    json_object_set_new(o, "format", json_string("xstilts-cell"));
    json_object_set_new(o, "version", json_integer(RUN_FORMAT_VERSION));
    json_object_set_new(o, "row", json_string(row->name));
    json_object_set_new(o, "target", json_string(t->info->name));
    json_object_set_new(o, "seed", json_integer(c->seed));
    json_object_set_new(o, "config_hash", json_string(c->hash));
    json_object_set_new(o, "status", json_string("done"));
    json_object_set_new(o, "major_metric", json_string(t->info->major_metric));
    json_object_set_new(o, "dev", dev);
    json_object_set_new(o, "test", test);
    json_object_set_new(o, "curve", curve);
    json_object_set_new(o, "best_step", best_step >= 0 ? json_integer(best_step) : json_null());
    json_object_set_new(o, "wall_s", json_real(wall));
    json_object_set_new(o, "tokens", json_integer(tokens));
    json_object_set_new(o, "phase1", p1);
    if (json_object_size(thresholds)) json_object_set(o, "thresholds", thresholds); /* BUCC: per language, from dev */
    json_decref(thresholds);
    char path[4300];
    snprintf(path, sizeof path, "%s/cell.json", c->dir);
    rc = json_write_sealed(path, o, err);
    json_decref(o);
    if (rc) return -1;
    log_event(x, "cell_end", "cell", id, json_pack("{s:f,s:I}", "wall_s", wall, "tokens", (json_int_t)tokens));
    progress(x, "cell %s: done in %.1f s", id, wall);
    st->cells_run++;
    return 0;
}

int run_execute(const RunPlan *plan, const char *run_dir, const RunExecOpts *o, RunExecStats *st, XsErr *err) {
    /* the plan's folders under run_dir (a plan built before the folder existed names them "RUN/...") */
    RunPlan copy = *plan;
    copy.jobs = xmalloc((size_t)(plan->njobs > 0 ? plan->njobs : 1) * sizeof *copy.jobs);
    copy.cells = xmalloc((size_t)(plan->ncells > 0 ? plan->ncells : 1) * sizeof *copy.cells);
    for (int i = 0; i < plan->njobs; i++) {
        copy.jobs[i] = plan->jobs[i];
        snprintf(copy.jobs[i].dir, sizeof copy.jobs[i].dir, "%s/phase1/%s/seed-%ld", run_dir,
                 plan->cfg->rows[plan->jobs[i].row].name, plan->jobs[i].seed);
    }
    for (int i = 0; i < plan->ncells; i++) {
        const PlanCell *c = &plan->cells[i];
        copy.cells[i] = *c;
        snprintf(copy.cells[i].dir, sizeof copy.cells[i].dir, "%s/cells/%s/%s/seed-%ld", run_dir,
                 plan->cfg->rows[c->row].name, plan->cfg->targets[c->target].info->name, c->seed);
    }
    int rc = execute(&copy, run_dir, o, st, err);
    free(copy.jobs);
    free(copy.cells);
    return rc;
}

static int execute(const RunPlan *p, const char *run_dir, const RunExecOpts *o, RunExecStats *st, XsErr *err) {
    ProgressBar bar;
    pbar_begin(&bar, NULL, "");
    Exec x = {p, p->cfg, run_dir, o, "", &bar};
    snprintf(x.logpath, sizeof x.logpath, "%s/run.log", run_dir);
    memset(st, 0, sizeof *st);
    int todo = 0;
    for (int i = 0; i < p->njobs; i++) todo += p->jobs[i].state != RS_DONE;
    for (int i = 0; i < p->ncells; i++) todo += p->cells[i].state != RS_DONE;
    if (!todo) {
        st->jobs_skipped = p->njobs;
        st->cells_skipped = p->ncells;
        return 0;
    }
    log_event(&x, "run_start", NULL, NULL, json_pack("{s:s,s:i,s:i}", "config_hash", p->config_hash, "jobs", p->njobs,
                                                      "cells", p->ncells));
    int rc = 0;
    /* phase 1 for all jobs first, then the cells in plan order (a cell needs its row's job) */
    for (int i = 0; i < p->njobs && !rc; i++) {
        if (o->stop && *o->stop) rc = RUN_EXEC_STOPPED;
        else rc = phase1(&x, &p->jobs[i], st, err);
    }
    for (int i = 0; i < p->ncells && !rc; i++) {
        if (o->stop && *o->stop) rc = RUN_EXEC_STOPPED;
        else rc = run_cell(&x, &p->cells[i], st, err);
    }
    if (rc == RUN_EXEC_STOPPED) {
        log_event(&x, "run_stopped", NULL, NULL, NULL);
        return rc;
    }
    if (rc) {
        log_event(&x, "run_failed", NULL, NULL, json_pack("{s:s}", "error", err->msg));
        return -1;
    }
    int ncells = 0;
    if (report_build(run_dir, &ncells, err)) { err_prefix(err, "the report: "); return -1; }
    log_event(&x, "run_end", NULL, NULL, json_pack("{s:i,s:i}", "jobs_run", st->jobs_run, "cells_run", st->cells_run));
    progress(&x, "done: %d phase-1 job(s) and %d cell(s) run, %d / %d already done; report: %s/report.md", st->jobs_run,
             st->cells_run, st->jobs_skipped, st->cells_skipped, run_dir);
    return 0;
}
