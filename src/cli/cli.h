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

/* If argv[*i] is `name`, returns argv[*i+1] and advances *i; exits 1 when the value is missing.
 * Returns NULL when argv[*i] is not `name`. */
const char *arg_str(int argc, char **argv, int *i, const char *name);
/* Same, parsed strictly as an integer / float; exits 1 with a message on junk. */
int arg_long(int argc, char **argv, int *i, const char *name, long *out);
int arg_double(int argc, char **argv, int *i, const char *name, double *out);
/* True (and advances nothing) when argv[i] is `name`. */
int arg_flag(char **argv, int i, const char *name);
/* Exits 1: "xstilts CMD: unknown option X (see xstilts CMD --help)". */
void arg_unknown(const char *cmd, const char *arg);

#endif
