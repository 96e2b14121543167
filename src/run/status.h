/* status.h — where a run folder stands, from what is on disk: cells done (cell.json), running or stopped
 * (a cell folder with content but no cell.json; its last step from run.log), left (RUN/run.json's plan =
 * rows x targets x seeds, when run.json is there), phase-1 jobs, and the last events of RUN/run.log.
 * Reads only; a damaged file is listed under "problems", never fatal. Format: docs/REPORT.md. */
#ifndef XS_STATUS_H
#define XS_STATUS_H
#include "core/check.h"
#include <jansson.h>
#include <stdio.h>

/* The summary as JSON (keys: planned, done, running, left, left_cells, phase1, events, problems); the
 * last `nevents` events of run.log. NULL + err only when run_dir is not a folder. */
json_t *run_status(const char *run_dir, int nevents, XsErr *err);
/* The same for people, a few lines. */
void run_status_print(FILE *f, const char *run_dir, const json_t *st);

#endif
