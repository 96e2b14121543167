/* progress.h — the one progress line of xstilts (`xstilts train`, `xstilts run`'s phases):
 *   "\r<label> [##########..........] 12/40 <extra> 1234 tok/s ETA 00:01:23"
 * drawn on the FILE* it is given (the caller decides whether that is a terminal: a bar is for a TTY; logs are
 * JSONL elsewhere). tokens/s and the ETA count this process's own work since the clock started (pbar_clock: after
 * loading), so a resumed job's earlier updates do not inflate the rate. Nothing here decides where output goes. */
#ifndef XS_PROGRESS_H
#define XS_PROGRESS_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ProgressBar {
    FILE *f;             /* NULL: nothing is drawn (every call is a no-op but the counters) */
    char label[256];
    double t0;           /* the clock's start */
    double last;         /* last draw (redraws are at most every min_interval seconds, the last one always) */
    double min_interval; /* default 0.2 s */
    int64_t first;       /* progress when the clock started; -1: the first update sets it (its done - 1) */
    int64_t units;       /* tokens since the clock started */
    int drawn;           /* a line is on screen, not yet ended */
} ProgressBar;

void pbar_begin(ProgressBar *b, FILE *f, const char *label);
/* Restarts the clock (rate and ETA count from now; the next update sets `first`). */
void pbar_clock(ProgressBar *b);
/* done of total (units: tokens of this step, added to the rate); extra (may be NULL): text after the count. */
void pbar_update(ProgressBar *b, int64_t done, int64_t total, int64_t units, const char *extra);
/* The same at a given clock time (tests). */
void pbar_update_at(ProgressBar *b, double now, int64_t done, int64_t total, int64_t units, const char *extra);
/* Ends a drawn line with '\n' (nothing when nothing is drawn). */
void pbar_end(ProgressBar *b);
/* The line's text without "\r" and terminal codes into buf (what a draw at `now` shows). */
void pbar_format(const ProgressBar *b, double now, int64_t done, int64_t total, const char *extra, char *buf, size_t cap);
/* Seconds as "hh:mm:ss" ("--:--:--" when unknown: NaN, negative). */
void fmt_hms(double s, char *buf, size_t cap);

#endif
