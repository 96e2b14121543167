/* cmd_status.c — `xstilts status RUN`: a running or stopped run's progress (run/status.c). Exit 0 even
 * when files are damaged: they are listed as problems. */
#include "cli/cli.h"
#include "core/util.h"
#include "run/status.h"
#include <stdio.h>
#include <stdlib.h>

static void help(void) {
    printf("usage: xstilts status RUN [--events N] [--json]\n"
           "\n"
           "Summarises the run folder RUN from its files: cells done (cell.json), running or stopped (a cell folder\n"
           "with content but no cell.json, with its last step logged in run.log), left (from run.json's plan:\n"
           "rows x targets x seeds), the phase-1 jobs (RUN/phase1/<row>/seed-<s>: done once model.safetensors and\n"
           "config.json are there), and the last N events of run.log (default 8). --json prints the same as JSON.\n"
           "Damaged files (a cell.json that does not parse, a torn last line of run.log) are listed, not fatal.\n");
}

int cmd_status(int argc, char **argv) {
    const char *run = NULL;
    OptLong ne = {8, 0};
    int as_json = 0;
    for (int i = 1; i < argc; i++) {
        if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) { help(); return 0; }
        if (arg_long_in(argc, argv, &i, "--events", 0, 1000000, &ne)) continue;
        if (arg_flag(argv, i, "--json")) { as_json = 1; continue; }
        if (argv[i][0] == '-' && argv[i][1]) arg_unknown("status", argv[i]);
        if (run) usage_error("expected one run folder, found a second: '%s'", argv[i]);
        run = argv[i];
    }
    if (!run) usage_error("expected a run folder: xstilts status RUN");
    XsErr err = {0};
    json_t *st = run_status(run, (int)ne.v, &err);
    if (!st) xs_die("%s", err.msg);
    if (as_json) {
        char *s = json_dumps(st, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
        printf("%s\n", s);
        free(s);
    } else run_status_print(stdout, run, st);
    json_decref(st);
    return 0;
}
