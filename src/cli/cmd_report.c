/* cmd_report.c — `xstilts report RUN`: rebuilds results.json, results.csv, report.md, report.html and
 * figures/ (SVG) of a run folder from its cell JSONs alone (run/report.c). */
#include "cli/cli.h"
#include "core/util.h"
#include "run/report.h"
#include <stdio.h>
#include <string.h>

static void help(void) {
    printf("usage: xstilts report RUN\n"
           "\n"
           "Rebuilds every report file of the run folder RUN from RUN/cells/<row>/<target>/seed-<s>/cell.json alone\n"
           "(RUN/run.json, when present, gives the order of rows and targets and the title):\n"
           "  RUN/results.json   every cell and every aggregate, full precision\n"
           "  RUN/results.csv    the same as one table (kind,split,row,target,language,seed,n,mean,std,delta,note)\n"
           "  RUN/report.md      the tables for terminals and repositories\n"
           "  RUN/report.html    self-contained (no network, no scripts): tables, the delta heatmap, per-language\n"
           "                     tables and training curves\n"
           "  RUN/figures/heatmap-{test,dev}.svg, RUN/figures/curves-<target>.svg\n"
           "Scores: mean over a target's languages of its major metric (percent); mean +- sample std (n-1) over seeds;\n"
           "delta = row mean - baseline mean; XTREME = evaluate.py's score over the row's XTREME targets (docs/REPORT.md).\n"
           "A malformed, misplaced or inconsistent cell.json (e.g. two config hashes for one phase-1 checkpoint) is an\n"
           "error naming the file and the field; nothing is written then.\n");
}

int cmd_report(int argc, char **argv) {
    const char *run = NULL;
    for (int i = 1; i < argc; i++) {
        if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) { help(); return 0; }
        if (argv[i][0] == '-' && argv[i][1]) arg_unknown("report", argv[i]);
        if (run) usage_error("expected one run folder, found a second: '%s'", argv[i]);
        run = argv[i];
    }
    if (!run) usage_error("expected a run folder: xstilts report RUN");
    XsErr err = {0};
    int n = 0;
    if (report_build(run, &n, &err)) xs_die("%s", err.msg);
    log_info("report: %d cells -> %s/report.html, report.md, results.json, results.csv", n, run);
    return 0;
}
