/* check.c — panic/die and the XsErr helpers. Leaves formatting of results to callers. */
#include "check.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static XsExitHook g_exit_hook = NULL;
void xs_set_exit_hook(XsExitHook hook) { g_exit_hook = hook; }
static XS_NORETURN void xs_exit(int code) {
    if (g_exit_hook) g_exit_hook(code);
    exit(code);
}

void xs_panic(const char *file, int line, const char *cond, const char *fmt, ...) {
    fprintf(stderr, "xstilts: internal error at %s:%d: check `%s` failed: ", file, line, cond);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    xs_exit(2);
}

static const char *g_prog = NULL;
void xs_set_prog(const char *cmd) { g_prog = cmd; }

void xs_die(const char *fmt, ...) {
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *m = msg;
    /* one prefix: a message that names its command itself ("encode: ...") does not get it twice */
    size_t n = g_prog ? strlen(g_prog) : 0;
    if (g_prog && !strncmp(m, g_prog, n) && m[n] == ':' && m[n + 1] == ' ') m += n + 2;
    if (g_prog) fprintf(stderr, "xstilts %s: %s\n", g_prog, m);
    else fprintf(stderr, "xstilts: %s\n", m);
    xs_exit(1);
}

int err_set(XsErr *e, const char *path, long line, const char *fmt, ...) {
    if (!e) return -1;
    int n = 0;
    if (path && line > 0) n = snprintf(e->msg, sizeof e->msg, "%s:%ld: ", path, line);
    else if (path) n = snprintf(e->msg, sizeof e->msg, "%s: ", path);
    if (n < 0 || (size_t)n >= sizeof e->msg) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg + n, sizeof e->msg - (size_t)n, fmt, ap);
    va_end(ap);
    e->failed = 1;
    return -1;
}

int err_prefix(XsErr *e, const char *fmt, ...) {
    if (!e) return -1;
    char pre[512], old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    size_t np = strlen(pre), no = strnlen(old, sizeof old - 1);
    if (np > sizeof e->msg - 1) np = sizeof e->msg - 1;
    if (np + no > sizeof e->msg - 1) no = sizeof e->msg - 1 - np;
    memcpy(e->msg, pre, np);
    memcpy(e->msg + np, old, no);
    e->msg[np + no] = 0;
    e->failed = 1;
    return -1;
}

void err_clear(XsErr *e) {
    if (!e) return;
    e->failed = 0;
    e->msg[0] = 0;
}
