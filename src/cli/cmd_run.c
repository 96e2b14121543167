/* cmd_run.c — `xstilts run CONFIG --out RUN`: the X-STILTs study from one config (docs/RUN.md). Parses and
 * validates the config, counts every file it names, prints the plan (--dry-run) or writes RUN/run.json and executes
 * the plan (run/exec.h): done jobs and cells are skipped, SIGINT / SIGTERM checkpoint the running job and exit 130. */
#include "cli/cli.h"
#include "core/check.h"
#include "core/util.h"
#include "run/config.h"
#include "run/exec.h"
#include "run/measure.h"
#include "run/plan.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* Training tokens per second assumed when --throughput is not given: a round figure, not a measurement of this
 * machine (docs/RUN.md says how to measure one). */
#define RUN_DEFAULT_THROUGHPUT 1000.0

static void usage(FILE *f) {
    fprintf(f,
            "usage: xstilts run CONFIG --out RUN [--dry-run | --plan-only] [--force] [--model DIR] [--data DIR]\n"
            "                   [--throughput TOKENS_PER_S | --measure]\n"
            "\n"
            "The X-STILTs study described by CONFIG (JSON, docs/RUN.md): rows of intermediate tasks x XTREME targets\n"
            "x seeds. Every key is checked (errors name CONFIG:line:column and the JSON path) and every file the plan\n"
            "reads is opened and counted with the real readers before anything starts.\n"
            "\n"
            "  --out RUN        the run folder (RUN/run.json, RUN/phase1/..., RUN/cells/...; docs/RUN.md)\n"
            "  --dry-run        print the plan: phase-1 jobs, cells, their state in RUN, examples, tokens and hours\n"
            "  --plan-only      write RUN/run.json after every check, print the plan and stop (nothing trained)\n"
            "  --force          accept cells whose config changed (stale); without it a stale cell is an error\n"
            "  --model DIR      the model folder instead of CONFIG's \"model\"\n"
            "  --data DIR       XTREME's download/ folder instead of CONFIG's \"data\"\n"
            "  --throughput N   training tokens per second for the hours (default %.0f: an assumed figure, not\n"
            "                   measured here; prediction tokens count a third)\n"
            "  --measure        measure the throughput instead: 1 + 2 timed updates of the real trainer (forward,\n"
            "                   backward, AdamW) on the model, batch and max_len of the first trained target, full rows\n"
            "\n"
            "Without --dry-run the plan is written to RUN/run.json and executed: phase 1 (intermediate training per\n"
            "row and seed), phase 2 (target fine-tuning per cell), phase 3 (prediction and scoring per language),\n"
            "RUN/cells/.../cell.json and the report. Done jobs and cells are skipped (\"nothing to do\" when all are);\n"
            "a killed run continues from its checkpoints; SIGINT / SIGTERM save a checkpoint and exit 130.\n",
            RUN_DEFAULT_THROUGHPUT);
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) { (void)sig; g_stop = 1; }

static int fail(const XsErr *e) {
    fprintf(stderr, "xstilts run: %s\n", e->msg);
    return 1;
}

static int mkdir_one(const char *p, XsErr *err) {
    if (mkdir(p, 0777) == 0 || errno == EEXIST) {
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) return 0;
        return err_set(err, p, 0, "exists and is not a folder");
    }
    return err_set(err, p, 0, "cannot create the folder: %s", strerror(errno));
}

int cmd_run(int argc, char **argv) {
    const char *config = NULL, *out = NULL, *v;
    RunOverrides ov = {NULL, NULL};
    int dry = 0, force = 0, measure = 0, plan_only = 0;
    OptDouble thr = {RUN_DEFAULT_THROUGHPUT, 0};
    for (int i = 1; i < argc; i++) {
        if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) { usage(stdout); return 0; }
        else if ((v = arg_str(argc, argv, &i, "--out"))) out = v;
        else if ((v = arg_str(argc, argv, &i, "--model"))) ov.model = v;
        else if ((v = arg_str(argc, argv, &i, "--data"))) ov.data = v;
        else if (arg_double_in(argc, argv, &i, "--throughput", 1e-3, 1e12, &thr)) {}
        else if (arg_flag(argv, i, "--dry-run")) dry = 1;
        else if (arg_flag(argv, i, "--force")) force = 1;
        else if (arg_flag(argv, i, "--plan-only")) plan_only = 1;
        else if (arg_flag(argv, i, "--measure")) measure = 1;
        else if (argv[i][0] != '-' && !config) config = argv[i];
        else arg_unknown("run", argv[i]);
    }
    if (!config) usage_error("expected a CONFIG file");
    if (!out) usage_error("--out RUN is required");
    if (dry && plan_only) usage_error("--dry-run and --plan-only exclude each other");
    if (measure && thr.set) usage_error("--measure and --throughput exclude each other");
    XsErr err = {0};
    RunConfig cfg;
    if (run_config_load(config, &ov, &cfg, &err)) return fail(&err);
    RunPlan plan;
    struct stat sb;
    int have_run = stat(out, &sb) == 0;
    if (have_run && !S_ISDIR(sb.st_mode)) {
        err_set(&err, out, 0, "exists and is not a folder");
        run_config_free(&cfg);
        return fail(&err);
    }
    int rc = 1, lock = -1;
    /* one run per folder: locked before its state is read (a folder made below is locked when made) */
    if (have_run && !dry && dir_lock(out, &lock, &err)) { run_config_free(&cfg); return fail(&err); }
    if (run_plan_build(&plan, &cfg, have_run ? out : NULL, &err)) goto fail_cfg;
    if (measure) {
        int b = 4, L = 256;
        for (int i = 0; i < plan.ncells; i++)
            if (cfg.targets[plan.cells[i].target].info->type != TASK_RETRIEVAL) {
                b = plan.cells[i].hp.train.batch;
                L = plan.cells[i].hp.max_len;
                break;
            }
        Throughput tp;
        fprintf(stderr, "xstilts run: measuring the throughput: 3 updates of %d x %d tokens on %s ...\n", b, L, cfg.model);
        if (run_measure_throughput(cfg.model, b, L, 2, &tp, &err)) goto fail_plan;
        thr.v = tp.tokens_per_s;
        snprintf(plan.throughput_how, sizeof plan.throughput_how, "measured here: %d updates of %d x %d tokens, %.2f s each",
                 tp.steps, tp.batch, tp.max_len, tp.step_s);
    } else if (thr.set) snprintf(plan.throughput_how, sizeof plan.throughput_how, "--throughput");
    else snprintf(plan.throughput_how, sizeof plan.throughput_how, "assumed, not measured: --measure or --throughput");
    if (run_plan_count(&plan, thr.v, &err)) goto fail_plan;
    char prev[65] = "";
    if (have_run && run_folder_hash(out, prev, &err)) { /* the plan is written again from the config */
        fprintf(stderr, "xstilts run: warning: %s; %s\n", err.msg, dry ? "a run writes it again from the config" : "written again from the config");
        memset(&err, 0, sizeof err);
        prev[0] = 0;
    }
    if (prev[0] && strcmp(prev, plan.config_hash))
        fprintf(stderr, "xstilts run: %s/run.json was written by another config (config_hash %.16s..., now %.16s...); "
                        "the cells it changed are stale\n", out, prev, plan.config_hash);
    int nstale = 0;
    int ncorrupt = 0;
    for (int i = 0; i < plan.ncells; i++) nstale += plan.cells[i].state == RS_STALE, ncorrupt += plan.cells[i].state == RS_CORRUPT;
    for (int i = 0; i < plan.njobs; i++) nstale += plan.jobs[i].state == RS_STALE, ncorrupt += plan.jobs[i].state == RS_CORRUPT;
    if (dry) {
        run_plan_print(&plan, stdout);
        if (nstale && !force)
            fprintf(stdout, "note: %d cells / jobs in %s were made with another config (stale); a run needs --force\n", nstale,
                    out);
        if (ncorrupt && !force)
            fprintf(stdout, "note: %d cells / jobs in %s have damaged state files (corrupt); a run needs --force or their "
                            "folders removed\n", ncorrupt, out);
        rc = 0;
        goto done;
    }
    if (ncorrupt && !force) {
        const char *d = NULL, *m = NULL;
        for (int i = 0; i < plan.njobs && !d; i++)
            if (plan.jobs[i].state == RS_CORRUPT) d = plan.jobs[i].dir, m = plan.jobs[i].damage;
        for (int i = 0; i < plan.ncells && !d; i++)
            if (plan.cells[i].state == RS_CORRUPT) d = plan.cells[i].dir, m = plan.cells[i].damage;
        err_set(&err, NULL, 0, "%d cells / phase-1 jobs have damaged state files and their work cannot be attributed to a "
                "config: remove such a folder to redo it, or run with --force (which redoes every stale or damaged folder). "
                "First: %s: %s", ncorrupt, d, m);
        goto fail_plan;
    }
    if (nstale && !force) {
        for (int i = 0; i < plan.njobs; i++)
            if (plan.jobs[i].state == RS_STALE) { err_set(&err, plan.jobs[i].dir, 0, "made with another config"); break; }
        for (int i = 0; i < plan.ncells && !err.failed; i++)
            if (plan.cells[i].state == RS_STALE) err_set(&err, plan.cells[i].dir, 0, "made with another config");
        err_prefix(&err, "%d cells / phase-1 jobs are stale (their config changed); run with --force to redo them. First: ",
                   nstale);
        goto fail_plan;
    }
    if (mkdir_one(out, &err) || (lock < 0 && dir_lock(out, &lock, &err)) || run_plan_write(&plan, out, &err)) goto fail_plan;
    if (plan_only) {
        run_plan_print(&plan, stdout);
        fprintf(stderr, "xstilts run: wrote %s/run.json (--plan-only: nothing was trained)\n", out);
        rc = 0;
        goto done;
    }
    int todo = 0;
    for (int i = 0; i < plan.njobs; i++) todo += plan.jobs[i].state != RS_DONE;
    for (int i = 0; i < plan.ncells; i++) todo += plan.cells[i].state != RS_DONE;
    if (!todo) {
        fprintf(stderr, "xstilts run: nothing to do: all %d phase-1 jobs and %d cells in %s are done (xstilts report %s "
                        "rebuilds the report)\n", plan.njobs, plan.ncells, out, out);
        rc = 0;
        goto done;
    }
    run_plan_print(&plan, stdout);
    fflush(stdout);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    RunExecOpts eo = {&g_stop, stderr, isatty(2)};
    RunExecStats es;
    int ex = run_execute(&plan, out, &eo, &es, &err);
    if (ex == RUN_EXEC_STOPPED) {
        fprintf(stderr, "xstilts run: stopped; the running job saved a checkpoint: run the same command again to continue\n");
        rc = 130;
        goto done;
    }
    if (ex) goto fail_plan;
    rc = 0;
    goto done;
fail_plan:
    fail(&err);
done:
    run_plan_free(&plan);
    run_config_free(&cfg);
    dir_unlock(lock);
    return rc;
fail_cfg:
    fail(&err);
    run_config_free(&cfg);
    dir_unlock(lock);
    return 1;
}
