/* progress.c — the shared progress line (progress.h). */
#include "core/progress.h"
#include "core/util.h"
#include <math.h>
#include <string.h>

void fmt_hms(double s, char *buf, size_t cap) {
    if (!isfinite(s) || s < 0) { snprintf(buf, cap, "--:--:--"); return; }
    long t = (long)(s + 0.5);
    snprintf(buf, cap, "%02ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

void pbar_begin(ProgressBar *b, FILE *f, const char *label) {
    memset(b, 0, sizeof *b);
    b->f = f;
    snprintf(b->label, sizeof b->label, "%s", label ? label : "");
    b->min_interval = 0.2;
    pbar_clock(b);
}

void pbar_clock(ProgressBar *b) {
    b->t0 = time_now();
    b->last = -1e300;
    b->first = -1;
    b->units = 0;
}

void pbar_format(const ProgressBar *b, double now, int64_t done, int64_t total, const char *extra, char *buf, size_t cap) {
    enum { W = 24 };
    char bar[W + 1];
    int fill = total > 0 ? (int)(W * (done < total ? done : total) / total) : 0;
    for (int i = 0; i < W; i++) bar[i] = i < fill ? '#' : '.';
    bar[W] = 0;
    double el = now - b->t0;
    int64_t did = b->first >= 0 ? done - b->first : 0;
    double tps = el > 0 ? (double)b->units / el : 0;
    double eta = did > 0 && el > 0 ? el / (double)did * (double)(total - done) : NAN;
    char e[32];
    fmt_hms(eta, e, sizeof e);
    snprintf(buf, cap, "%s%s[%s] %lld/%lld%s%s %.0f tok/s ETA %s", b->label, b->label[0] ? " " : "", bar, (long long)done,
             (long long)total, extra && *extra ? " " : "", extra ? extra : "", tps, e);
}

void pbar_update_at(ProgressBar *b, double now, int64_t done, int64_t total, int64_t units, const char *extra) {
    if (b->first < 0) b->first = done > 0 ? done - 1 : 0;
    b->units += units;
    if (!b->f) return;
    if (done < total && now - b->last < b->min_interval) return;
    char line[512];
    pbar_format(b, now, done, total, extra, line, sizeof line);
    fprintf(b->f, "\r%s\033[K", line);
    fflush(b->f);
    b->last = now;
    b->drawn = 1;
}

void pbar_update(ProgressBar *b, int64_t done, int64_t total, int64_t units, const char *extra) {
    pbar_update_at(b, time_now(), done, total, units, extra);
}

void pbar_end(ProgressBar *b) {
    if (b->f && b->drawn) {
        fputc('\n', b->f);
        fflush(b->f);
    }
    b->drawn = 0;
}
