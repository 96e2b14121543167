/* cmd_train.c — `xstilts train`: argv / --config JSON → a JobSpec (train/job.h: data, model, multi-task trainer,
 * evaluation, checkpoints, resume, final model), a progress bar (TTY) or plain lines on stderr, a JSONL log, and
 * SIGINT / SIGTERM → finish the update, checkpoint, exit 130. */
#include "cli/cli.h"
#include "core/check.h"
#include "core/mem.h"
#include "core/progress.h"
#include "core/util.h"
#include "dist/dist.h"
#include "train/job.h"
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: xstilts train --task NAME[:FILE][,NAME[:FILE]...] --model DIR --out DIR [--dev FILE[,FILE...]]\n"
            "                     [--resume] [--config FILE.json] [hyperparameters]\n"
            "\n"
            "Trains the encoder of DIR with one fresh head per head kind of the tasks (DIR's own heads are dropped and\n"
            "listed: encoder-only transfer) on each task's FILE (format guessed from its name, as `xstilts predict`;\n"
            "task mlm: a text file, one example per line). With several tasks the task of every update is drawn by the\n"
            "sampler. Every --eval-every updates the model is scored on the first --dev-examples examples of each\n"
            "task's --dev file (one per task, in order; an empty entry: none) with the task's major metric (accuracy,\n"
            "F1, (EM+F1)/2; the mean over tasks); after --patience evaluations without improvement training stops;\n"
            "the best evaluation's weights are kept. Checkpoints go to OUT/checkpoint-<step> every --save-every\n"
            "updates and at the end; the final model (HF layout + tokenizer) and OUT/result.json are written to OUT.\n"
            "--resume continues from OUT's newest checkpoint, bit-identically. Ctrl-C (SIGINT / SIGTERM) finishes the\n"
            "update, writes a checkpoint and exits 130.\n"
            "\n"
            "Defaults: the study's for the first task (lr 1e-5, warm-up 0.1, batch 4 x accum 8, QA 4 x 4; epochs xnli 2,\n"
            "pawsx 5, udpos/panx 10, QA 2, others 3; max length 256, QA 384; eval every 1000 updates on 500 dev\n"
            "examples, patience 30); --config FILE.json (keys as the options without --, e.g. {\"lr\": 2e-5, \"dropout\":\n"
            "false}) overrides them and the options override the file.\n"
            "\n"
            "  --data FILE        the training file of a single task given without :FILE\n"
            "  --epochs N         passes over the data; --max-steps N: optimizer updates instead\n"
            "  --lr X             peak learning rate           --warmup R       warm-up share\n"
            "  --batch B          examples per micro-batch     --accum A        micro-batches per update\n"
            "  --seed S           sampler, data order, head init, dropout (1)\n"
            "  --max-len L        tokens per row               --no-dropout     train without dropout\n"
            "  --eval-every N     updates between evaluations  --patience N     0: never stop early\n"
            "  --dev-examples N   dev examples evaluated       --save-every N   updates between checkpoints\n"
            "  --keep K           checkpoints kept (2)\n"
            "  --sampler KIND     proportional (default), uniform, temperature, specified\n"
            "  --weights W,W,...  specified: per task         --temperature T, --cap N: temperature sampling\n"
            "  --log FILE         JSONL log, one object per update (default OUT/log.jsonl, appended)\n"
            "\n"
            "stderr: a progress bar with ETA and tokens/s on a terminal, else one line per update.\n");
}

static volatile sig_atomic_t g_stop;
/* The first SIGINT / SIGTERM asks for a checkpoint at the end of the update; a second one ends the process at
 * once (the default action), as a user pressing Ctrl-C twice expects. */
static void on_signal(int sig) {
    g_stop = 1;
    signal(sig, SIG_DFL);
}

typedef struct Cli {
    /* options as given; unset ones keep the defaults */
    char *task, *dev, *model, *out, *data, *log, *sampler, *weights;
    OptLong epochs, max_steps, batch, accum, seed, max_len, eval_every, patience, dev_examples, save_every, keep;
    OptDouble lr, warmup, temperature, cap;
    int no_dropout, dropout_set, dropout, resume;
} Cli;

/* ---- --config FILE.json ---- */

/* Line and column (1-based) of the value of "key" in text (the first occurrence), for messages. */
static void key_pos(const char *text, const char *key, int *line, int *col) {
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(text, pat);
    *line = 1;
    *col = 1;
    if (!p) return;
    p += strlen(pat);
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ':') p++;
    for (const char *q = text; q < p; q++) {
        if (*q == '\n') { (*line)++; *col = 1; }
        else (*col)++;
    }
}

static int cfg_fail(const char *path, const char *text, const char *key, const char *want) {
    int line, col;
    key_pos(text, key, &line, &col);
    fprintf(stderr, "xstilts train: %s:%d:%d: \"%s\": expected %s\n", path, line, col, key, want);
    return -1;
}

static int cfg_long(const char *path, const char *text, json_t *v, const char *key, long lo, long hi, OptLong *o) {
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char want[96];
        snprintf(want, sizeof want, "an integer from %ld to %ld", lo, hi);
        return cfg_fail(path, text, key, want);
    }
    if (!o->set) { o->v = (long)json_integer_value(v); o->set = 1; }
    return 0;
}

static int cfg_double(const char *path, const char *text, json_t *v, const char *key, double lo, double hi,
                      OptDouble *o) {
    if (!json_is_number(v) || !(json_number_value(v) >= lo && json_number_value(v) <= hi)) {
        char want[96];
        snprintf(want, sizeof want, "a number from %g to %g", lo, hi);
        return cfg_fail(path, text, key, want);
    }
    if (!o->set) { o->v = json_number_value(v); o->set = 1; }
    return 0;
}

static int cfg_str(const char *path, const char *text, json_t *v, const char *key, char **o) {
    if (!json_is_string(v)) return cfg_fail(path, text, key, "a string");
    if (!*o) *o = xstrdup(json_string_value(v));
    return 0;
}

/* Reads the config; options given on the command line (already in c) win. */
static int read_config(const char *path, Cli *c) {
    XsErr err = {0};
    size_t len;
    char *text = file_read_all(path, &len, &err);
    if (!text) { fprintf(stderr, "xstilts train: %s\n", err.msg); return -1; }
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    int rc = 0;
    if (!root) {
        fprintf(stderr, "xstilts train: %s:%d:%d: invalid JSON: %s\n", path, je.line, je.column, je.text);
        rc = -1;
    } else if (!json_is_object(root)) {
        fprintf(stderr, "xstilts train: %s:1:1: expected a JSON object of options\n", path);
        rc = -1;
    }
    const char *key;
    json_t *v;
    if (!rc) json_object_foreach(root, key, v) {
        if (rc) break;
        if (!strcmp(key, "task")) rc = cfg_str(path, text, v, key, &c->task);
        else if (!strcmp(key, "dev")) rc = cfg_str(path, text, v, key, &c->dev);
        else if (!strcmp(key, "model")) rc = cfg_str(path, text, v, key, &c->model);
        else if (!strcmp(key, "out")) rc = cfg_str(path, text, v, key, &c->out);
        else if (!strcmp(key, "data")) rc = cfg_str(path, text, v, key, &c->data);
        else if (!strcmp(key, "log")) rc = cfg_str(path, text, v, key, &c->log);
        else if (!strcmp(key, "sampler")) rc = cfg_str(path, text, v, key, &c->sampler);
        else if (!strcmp(key, "weights")) rc = cfg_str(path, text, v, key, &c->weights);
        else if (!strcmp(key, "epochs")) rc = cfg_long(path, text, v, key, 1, 1000000, &c->epochs);
        else if (!strcmp(key, "max_steps")) rc = cfg_long(path, text, v, key, 0, 1L << 40, &c->max_steps);
        else if (!strcmp(key, "batch")) rc = cfg_long(path, text, v, key, 1, 4096, &c->batch);
        else if (!strcmp(key, "accum")) rc = cfg_long(path, text, v, key, 1, 4096, &c->accum);
        else if (!strcmp(key, "seed")) rc = cfg_long(path, text, v, key, 0, (long)(((unsigned long)-1) >> 1), &c->seed);
        else if (!strcmp(key, "max_len")) rc = cfg_long(path, text, v, key, 8, 4096, &c->max_len);
        else if (!strcmp(key, "eval_every")) rc = cfg_long(path, text, v, key, 0, 1L << 40, &c->eval_every);
        else if (!strcmp(key, "patience")) rc = cfg_long(path, text, v, key, 0, 1000000, &c->patience);
        else if (!strcmp(key, "dev_examples")) rc = cfg_long(path, text, v, key, 1, 1L << 40, &c->dev_examples);
        else if (!strcmp(key, "save_every")) rc = cfg_long(path, text, v, key, 0, 1L << 40, &c->save_every);
        else if (!strcmp(key, "keep")) rc = cfg_long(path, text, v, key, 1, 1000, &c->keep);
        else if (!strcmp(key, "lr")) rc = cfg_double(path, text, v, key, 0, 1, &c->lr);
        else if (!strcmp(key, "warmup")) rc = cfg_double(path, text, v, key, 0, 1, &c->warmup);
        else if (!strcmp(key, "temperature")) rc = cfg_double(path, text, v, key, 1e-6, 1e6, &c->temperature);
        else if (!strcmp(key, "cap")) rc = cfg_double(path, text, v, key, 0, 1e18, &c->cap);
        else if (!strcmp(key, "dropout")) {
            if (!json_is_boolean(v)) rc = cfg_fail(path, text, key, "true or false");
            else if (!c->dropout_set) { c->dropout = json_is_true(v); c->dropout_set = 1; }
        } else if (!strcmp(key, "resume")) {
            if (!json_is_boolean(v)) rc = cfg_fail(path, text, key, "true or false");
            else c->resume |= json_is_true(v);
        } else {
            int line, col;
            key_pos(text, key, &line, &col);
            fprintf(stderr, "xstilts train: %s:%d:%d: unknown key \"%s\" (expected the options' names without --, "
                            "'-' as '_': lr, batch, accum, epochs, max_steps, ...)\n", path, line, col, key);
            rc = -1;
        }
    }
    json_decref(root);
    free(text);
    return rc;
}

/* ---- progress and log ---- */

typedef struct Prog {
    const JobSpec *spec;
    const char *log_path;
    FILE *jsonl;
    int tty;
    double t0;
    int64_t first_step, total, tokens;
    int log_failed;
    ProgressBar bar;  /* the TTY line (core/progress.h) */
} Prog;

static void on_update(const TrainStepLog *l, void *ctx) {
    Prog *p = ctx;
    if (dist_rank() != 0) return; /* rank 0 reports (the losses and tokens are the whole global batch's) */
    double now = time_now();
    if (p->first_step < 0) {
        p->first_step = l->step - 1;
        p->total = l->total;
    }
    double el = now - p->t0;
    p->tokens += l->tokens;
    double tps = el > 0 ? (double)p->tokens / el : 0;
    const char *task = p->spec->tasks[l->task].name;
    if (p->tty) {
        char extra[160];
        snprintf(extra, sizeof extra, "%s loss %.4f lr %.2e", task, l->loss, l->lr);
        pbar_update(&p->bar, l->step, p->total, l->tokens, extra);
        if (l->evaluated) {
            pbar_end(&p->bar);
            fprintf(stderr, "  dev %.4f at update %lld%s\n", l->metric, (long long)l->step, l->improved ? " (best)" : "");
        }
    } else {
        fprintf(stderr, "step %lld loss %.6f lr %.6g grad_norm %.4f tokens %lld tok/s %.0f task %s", (long long)l->step,
                l->loss, l->lr, l->grad_norm, (long long)l->tokens, tps, task);
        if (l->evaluated) fprintf(stderr, " dev %.6f%s", l->metric, l->improved ? " best" : "");
        fprintf(stderr, "\n");
    }
    if (!p->jsonl && !p->log_failed) {
        p->jsonl = fopen(p->log_path, "a");
        if (!p->jsonl) {
            p->log_failed = 1;
            fprintf(stderr, "xstilts train: %s: cannot write the log (%s)\n", p->log_path, strerror(errno));
        }
    }
    if (p->jsonl) {
        fprintf(p->jsonl, "{\"step\": %lld, \"task\": \"%s\", \"loss\": %.9g, \"lr\": %.9g, \"grad_norm\": %.9g, "
                          "\"tokens\": %lld, \"tokens_per_s\": %.1f, \"epoch\": %llu, \"elapsed_s\": %.3f",
                (long long)l->step, task, l->loss, l->lr, l->grad_norm, (long long)l->tokens, tps,
                (unsigned long long)l->epoch, el);
        if (l->evaluated) fprintf(p->jsonl, ", \"dev_metric\": %.9g, \"best\": %s", l->metric, l->improved ? "true" : "false");
        if (l->saved) fprintf(p->jsonl, ", \"checkpoint\": true");
        fprintf(p->jsonl, "}\n");
        fflush(p->jsonl);
    }
}

static void on_note(void *ctx, const char *msg) {
    Prog *p = ctx;
    p->t0 = time_now(); /* the clock of tokens/s and the ETA starts when the job has loaded everything */
    pbar_clock(&p->bar);
    if (dist_rank() == 0) fprintf(stderr, "xstilts train%s: %s\n", dist_size() > 1 ? " [rank 0]" : "", msg);
}

/* Splits s at commas into v (at most cap entries, the string modified); returns the count. */
static int split(char *s, char **v, int cap) {
    int n = 0;
    for (char *p = s; n < cap;) {
        char *c = strchr(p, ',');
        v[n++] = p;
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

int cmd_train(int argc, char **argv) {
    Cli c;
    memset(&c, 0, sizeof c);
    const char *config = NULL, *v;
    long big = 1L << 40;
    for (int i = 1; i < argc; i++) {
        if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) { usage(stdout); return 0; }
        else if ((v = arg_str(argc, argv, &i, "--task"))) c.task = xstrdup(v);
        else if ((v = arg_str(argc, argv, &i, "--dev"))) c.dev = xstrdup(v);
        else if ((v = arg_str(argc, argv, &i, "--data"))) c.data = xstrdup(v);
        else if ((v = arg_str(argc, argv, &i, "--model"))) c.model = xstrdup(v);
        else if ((v = arg_str(argc, argv, &i, "--out"))) c.out = xstrdup(v);
        else if ((v = arg_str(argc, argv, &i, "--log"))) c.log = xstrdup(v);
        else if ((v = arg_str(argc, argv, &i, "--config"))) config = v;
        else if ((v = arg_str(argc, argv, &i, "--sampler"))) c.sampler = xstrdup(v);
        else if ((v = arg_str(argc, argv, &i, "--weights"))) c.weights = xstrdup(v);
        else if (arg_long_in(argc, argv, &i, "--epochs", 1, 1000000, &c.epochs)) {}
        else if (arg_long_in(argc, argv, &i, "--max-steps", 0, big, &c.max_steps)) {}
        else if (arg_long_in(argc, argv, &i, "--batch", 1, 4096, &c.batch)) {}
        else if (arg_long_in(argc, argv, &i, "--accum", 1, 4096, &c.accum)) {}
        else if (arg_long_in(argc, argv, &i, "--seed", 0, (long)(((unsigned long)-1) >> 1), &c.seed)) {}
        else if (arg_long_in(argc, argv, &i, "--max-len", 8, 4096, &c.max_len)) {}
        else if (arg_long_in(argc, argv, &i, "--eval-every", 0, big, &c.eval_every)) {}
        else if (arg_long_in(argc, argv, &i, "--patience", 0, 1000000, &c.patience)) {}
        else if (arg_long_in(argc, argv, &i, "--dev-examples", 1, big, &c.dev_examples)) {}
        else if (arg_long_in(argc, argv, &i, "--save-every", 0, big, &c.save_every)) {}
        else if (arg_long_in(argc, argv, &i, "--keep", 1, 1000, &c.keep)) {}
        else if (arg_double_in(argc, argv, &i, "--lr", 0, 1, &c.lr)) {}
        else if (arg_double_in(argc, argv, &i, "--warmup", 0, 1, &c.warmup)) {}
        else if (arg_double_in(argc, argv, &i, "--temperature", 1e-6, 1e6, &c.temperature)) {}
        else if (arg_double_in(argc, argv, &i, "--cap", 0, 1e18, &c.cap)) {}
        else if (arg_flag(argv, i, "--no-dropout")) { c.dropout = 0; c.dropout_set = 1; }
        else if (arg_flag(argv, i, "--resume")) c.resume = 1;
        else arg_unknown("train", argv[i]);
    }
    int rc = 1;
    JobSpec s;
    job_spec_defaults(&s);
    JobResult res;
    memset(&res, 0, sizeof res);
    Prog prog;
    memset(&prog, 0, sizeof prog);
    char log_default[4200];
    if (config && read_config(config, &c)) goto done;
    if (!c.task || !c.model || !c.out) {
        usage(stderr);
        fprintf(stderr, "xstilts train: --task, --model and --out are required\n");
        goto done;
    }
    /* tasks: NAME[:FILE],... */
    char *names[XS_MAX_TASKS + 1];
    int nt = split(c.task, names, XS_MAX_TASKS + 1);
    if (nt > XS_MAX_TASKS) { fprintf(stderr, "xstilts train: more than %d tasks\n", XS_MAX_TASKS); goto done; }
    for (int i = 0; i < nt; i++) {
        char *colon = strchr(names[i], ':');
        if (colon) *colon = 0;
        s.tasks[i].name = names[i];
        s.tasks[i].train = colon ? colon + 1 : (nt == 1 ? c.data : NULL);
        if (!*names[i]) { fprintf(stderr, "xstilts train: --task: an empty task name\n"); goto done; }
        if (!s.tasks[i].train || !*s.tasks[i].train) {
            fprintf(stderr, "xstilts train: task %s: no training file (NAME:FILE%s)\n", names[i],
                    nt == 1 ? ", or --data FILE" : "");
            goto done;
        }
    }
    if (c.data && (nt > 1 || s.tasks[0].train != c.data)) {
        fprintf(stderr, "xstilts train: --data is for one task given without :FILE\n");
        goto done;
    }
    s.ntasks = nt;
    if (c.dev) {
        char *devs[XS_MAX_TASKS + 1];
        int nd = split(c.dev, devs, XS_MAX_TASKS + 1);
        if (nd != nt) {
            fprintf(stderr, "xstilts train: --dev gives %d file(s) for %d task(s) (one per task, in order; an empty "
                            "entry for none)\n", nd, nt);
            goto done;
        }
        for (int i = 0; i < nt; i++) s.tasks[i].dev = *devs[i] ? devs[i] : NULL;
    }
    /* defaults: the study's for the first task, then config / options */
    XsErr err = {0};
    int max_len = 0;
    if (job_task_defaults(s.tasks[0].name, &s.cfg, &max_len, &err)) {
        fprintf(stderr, "xstilts train: %s\n", err.msg);
        goto done;
    }
    if (c.epochs.set) s.cfg.epochs = (int)c.epochs.v;
    if (c.max_steps.set) s.cfg.max_steps = c.max_steps.v;
    if (c.batch.set) s.cfg.batch = (int)c.batch.v;
    if (c.accum.set) s.cfg.accum = (int)c.accum.v;
    if (c.seed.set) s.cfg.seed = (uint64_t)c.seed.v;
    if (c.lr.set) s.cfg.lr = c.lr.v;
    if (c.warmup.set) s.cfg.warmup_ratio = c.warmup.v;
    if (c.dropout_set) s.cfg.dropout = c.dropout;
    if (c.eval_every.set) s.cfg.eval_every = c.eval_every.v;
    if (c.patience.set) s.cfg.patience = (int)c.patience.v;
    if (c.save_every.set) s.cfg.save_every = c.save_every.v;
    if (c.keep.set) s.cfg.keep = (int)c.keep.v;
    if (c.dev_examples.set) s.dev_examples = (size_t)c.dev_examples.v;
    s.max_len = c.max_len.set ? (int)c.max_len.v : 0;
    if (c.sampler && sampler_kind_parse(c.sampler, &s.sampler)) {
        fprintf(stderr, "xstilts train: unknown sampler '%s' (expected proportional, uniform, temperature or specified)\n",
                c.sampler);
        goto done;
    }
    if (c.temperature.set) s.temperature = c.temperature.v;
    if (c.cap.set) s.cap = c.cap.v;
    if (s.sampler == SAMPLER_SPECIFIED) {
        char *w[XS_MAX_TASKS + 1];
        int nw = c.weights ? split(c.weights, w, XS_MAX_TASKS + 1) : 0;
        if (nw != nt) {
            fprintf(stderr, "xstilts train: --sampler specified needs --weights with one number per task (%d)\n", nt);
            goto done;
        }
        for (int i = 0; i < nt; i++) {
            char *end;
            s.weights[i] = strtod(w[i], &end);
            if (end == w[i] || *end || !(s.weights[i] >= 0) || !isfinite(s.weights[i])) {
                fprintf(stderr, "xstilts train: --weights: '%s' is not a weight (a number >= 0)\n", w[i]);
                goto done;
            }
        }
    }
    s.model_dir = c.model;
    s.out_dir = c.out;
    s.resume = c.resume;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    s.cfg.stop = &g_stop;
    /* data parallel under mpirun (build/xstilts-mpi; the one-process build: rank 0 of 1) */
    if (dist_init(&err)) {
        fprintf(stderr, "xstilts train: %s\n", err.msg);
        goto done;
    }
    s.cfg.rank = dist_rank();
    s.cfg.world = dist_size();
    if (s.cfg.world > 1) {
        dist_install_exit_hook(); /* a rank that fails ends the job instead of leaving the others in a collective */
        if (!getenv("OMP_NUM_THREADS")) { /* the cores of this node (mpirun's binding) shared by its ranks */
            const char *ls = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
            int local = ls && atoi(ls) > 0 ? atoi(ls) : 1, t = omp_get_num_procs() / local;
            omp_set_num_threads(t > 0 ? t : 1);
        }
        if (dist_rank() == 0)
            fprintf(stderr, "xstilts train [rank 0]: %d ranks, %d thread(s) each; rank 0 writes %s\n", s.cfg.world,
                    omp_get_max_threads(), c.out);
    }
    snprintf(log_default, sizeof log_default, "%s/log.jsonl", c.out);
    prog.spec = &s;
    prog.log_path = c.log ? c.log : log_default;
    prog.tty = isatty(2);
    pbar_begin(&prog.bar, prog.tty ? stderr : NULL, "");
    prog.first_step = -1;
    s.log = on_update;
    s.log_ctx = &prog;
    s.note = on_note;
    s.note_ctx = &prog;
    int jr = train_job(&s, &res, &err);
    pbar_end(&prog.bar);
    if (jr < 0) {
        if (dist_size() > 1) dist_abort(1, "train: %s", err.msg);
        fprintf(stderr, "xstilts train: %s\n", err.msg);
        goto done;
    }
    if (jr == TRAIN_STOPPED) {
        if (dist_rank() == 0) fprintf(stderr, "xstilts train: stopped after update %lld of %lld; checkpoint in %s (continue with --resume)\n",
                (long long)res.steps, (long long)res.total, c.out);
        rc = 130;
        goto done;
    }
    if (dist_rank() == 0) {
        fprintf(stderr, "xstilts train: %lld updates in %.1f s (%.0f tokens/s)%s", (long long)res.steps, res.wall_s,
                res.tokens_per_s, res.early_stopped ? ", stopped early" : "");
        if (res.best_step >= 0) fprintf(stderr, "; best dev %.4f at update %lld (its weights kept)", res.best_metric,
                                        (long long)res.best_step);
        fprintf(stderr, "\nxstilts train: wrote %s\n", c.out);
    }
    rc = 0;
done:
    dist_finalize(); /* after a barrier: every rank is done, rank 0's files are written */
    if (prog.jsonl) fclose(prog.jsonl);
    job_result_free(&res);
    free(c.task); free(c.dev); free(c.model); free(c.out); free(c.data); free(c.log); free(c.sampler); free(c.weights);
    return rc;
}
