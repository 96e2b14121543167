/* cli.h — one function per sub-command (src/cli/cmd_*.c) and the small argv helpers they share.
 * Only src/cli parses argv; everything below it takes plain values. */
#ifndef XS_CLI_H
#define XS_CLI_H

int cmd_tokenize(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_retrieve(int argc, char **argv);
int cmd_aggregate(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* Exit codes, everywhere: 0 ok, 1 bad input or bad usage, 2 internal error (a bug: CHECK). */
#define XS_EXIT_USAGE 1

/* Usage error: prints "xstilts CMD: msg (see xstilts CMD --help)" and exits XS_EXIT_USAGE. Never
 * prints the whole usage text (that is --help's job). */
void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Options are "--name VALUE" or "--name=VALUE". Each helper returns 0 when argv[*i] is not `name`;
 * when it is, it takes the value (advancing *i past it), checks it and returns 1; a missing or bad
 * value is a usage error. Numbers are parsed whole ("12x", "", " 1" rejected); NaN and Inf never pass. */
const char *arg_str(int argc, char **argv, int *i, const char *name);
int arg_long(int argc, char **argv, int *i, const char *name, long *out);
int arg_double(int argc, char **argv, int *i, const char *name, double *out);
/* An option that may be unset: .set says whether it was given (never a magic value such as -1). */
typedef struct OptLong { long v; int set; } OptLong;
typedef struct OptDouble { double v; int set; } OptDouble;
/* The same with the range lo..hi (inclusive) checked. */
int arg_long_in(int argc, char **argv, int *i, const char *name, long lo, long hi, OptLong *o);
int arg_double_in(int argc, char **argv, int *i, const char *name, double lo, double hi, OptDouble *o);
/* True (and advances nothing) when argv[i] is exactly `name`. */
int arg_flag(char **argv, int i, const char *name);
/* Usage error for an unknown option / stray argument. */
void arg_unknown(const char *cmd, const char *arg);

#endif
