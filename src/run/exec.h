/* exec.h — executing a study plan (docs/RUN.md "Execution"): phase 1 (intermediate training per non-baseline row
 * and seed, train_job into RUN/phase1/<row>/seed-<s>/, then phase1.json), phase 2 (per trained target cell:
 * train_job from the phase-1 folder or the config's model, English training file, early stopping on the English
 * dev subset, into RUN/cells/<row>/<target>/seed-<s>/model/), phase 3 (prediction and scoring in every language
 * the config gives files for; Tatoeba: mean-pooled middle-layer embeddings of the phase-1 encoder and top-1
 * retrieval), cell.json (atomic), run.log events and one progress line per phase. Jobs and cells whose state is
 * done are skipped; partial ones resume from their newest checkpoint; stale ones are cleared and redone (the
 * caller refuses them unless --force). Nothing here exits or parses argv. */
#ifndef XS_RUN_EXEC_H
#define XS_RUN_EXEC_H
#include "core/check.h"
#include "run/plan.h"
#include <signal.h>
#include <stdio.h>

#define RUN_EXEC_STOPPED 2    /* *stop was raised: the running job checkpointed; run again to continue */

typedef struct RunExecOpts {
    const volatile sig_atomic_t *stop; /* non-zero: the running job checkpoints and run_execute returns */
    FILE *progress;                    /* one line per phase / job / cell (NULL: none) */
    int bar;                           /* progress is a terminal: a progress bar (core/progress.h) per running phase
                                        * on it, with ETA and tokens/s (phase 1 / 2: updates; phase 3: files predicted,
                                        * retrieval sides embedded); run.log keeps every event either way */
} RunExecOpts;

typedef struct RunExecStats {
    int jobs_run, jobs_skipped, cells_run, cells_skipped;
} RunExecStats;

/* Runs every job and cell of p (built with run_plan_build against run_dir) that is not done. run_dir exists and
 * holds run.json. Returns 0, RUN_EXEC_STOPPED, or -1 with err set (the failing job / cell / file named). */
int run_execute(const RunPlan *p, const char *run_dir, const RunExecOpts *o, RunExecStats *st, XsErr *err);

#endif
