/* check.h — the two error tiers: CHECK for bugs (always on, exits 2 with file:line),
 * XsErr for bad input (returned to the caller, carries the input's file:line). */
#ifndef XS_CHECK_H
#define XS_CHECK_H
#include <stddef.h>

#if defined(__GNUC__)
#define XS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define XS_NORETURN __attribute__((noreturn))
#else
#define XS_PRINTF(a, b)
#define XS_NORETURN
#endif

/* Internal error: a bug in xstilts, not in the user's input. Exit code 2. */
XS_NORETURN void xs_panic(const char *file, int line, const char *cond, const char *fmt, ...) XS_PRINTF(4, 5);
/* Fatal user-facing error (bad usage / input): prints "xstilts CMD: msg" and exits 1. CMD is what
 * xs_set_prog was given (the sub-command; the binary's main sets it), else just "xstilts: msg". */
void xs_set_prog(const char *cmd);
XS_NORETURN void xs_die(const char *fmt, ...) XS_PRINTF(1, 2);
/* Called by xs_panic and xs_die after their message, instead of exit(code), when set (NULL: plain exit).
 * dist/ installs one that ends every rank of a multi-process job (MPI_Abort); it must not return. */
typedef void (*XsExitHook)(int code);
void xs_set_exit_hook(XsExitHook hook);

#define CHECK(cond, ...) \
    do { if (!(cond)) xs_panic(__FILE__, __LINE__, #cond, __VA_ARGS__); } while (0)

/* An error about the input: "path:line: message" (line 0 → "path: message"). */
typedef struct XsErr {
    int failed;      /* 0 = no error */
    char msg[1024];
} XsErr;

/* Sets *e (if e != NULL) and returns -1 so callers can write `return err_set(e, ...)`.
 * path may be NULL (then the message has no location prefix). */
int err_set(XsErr *e, const char *path, long line, const char *fmt, ...) XS_PRINTF(4, 5);
/* Prefixes an existing message with context ("while loading X: "), returns -1. */
int err_prefix(XsErr *e, const char *fmt, ...) XS_PRINTF(2, 3);
void err_clear(XsErr *e);

#endif
