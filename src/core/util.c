/* util.c — timer, log, progress bar, whole-file read, atomic write, .npy I/O, strict number parsing. */
#define _POSIX_C_SOURCE 200809L
#include "util.h"
#include "mem.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

double time_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int log_level(void) {
    static int lvl = -1;
    if (lvl < 0) {
        const char *s = getenv("XSTILTS_LOG");
        lvl = 1;
        if (s && !strcmp(s, "quiet")) lvl = 0;
        if (s && !strcmp(s, "debug")) lvl = 2;
    }
    return lvl;
}
static char g_log_label[64];
void log_set_label(const char *label) { snprintf(g_log_label, sizeof g_log_label, "%s", label ? label : ""); }
static void vlog(int lvl, const char *tag, const char *fmt, va_list ap) {
    if (log_level() < lvl) return;
    if (g_log_label[0]) fprintf(stderr, "[%s] [%s] ", tag, g_log_label);
    else fprintf(stderr, "[%s] ", tag);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}
void log_info(const char *fmt, ...) { va_list ap; va_start(ap, fmt); vlog(1, "info", fmt, ap); va_end(ap); }
void log_warn(const char *fmt, ...) { va_list ap; va_start(ap, fmt); vlog(0, "warn", fmt, ap); va_end(ap); }
void log_debug(const char *fmt, ...) { va_list ap; va_start(ap, fmt); vlog(2, "debug", fmt, ap); va_end(ap); }

void progress_begin(Progress *p, const char *label, uint64_t total) {
    memset(p, 0, sizeof *p);
    p->label = label;
    p->total = total;
    p->t0 = p->last_draw = time_now();
    p->enabled = isatty(2) && log_level() >= 1;
}
static void progress_draw(Progress *p, int final) {
    double t = time_now(), el = t - p->t0;
    double rate = el > 0 ? (double)p->units / el : 0;
    double eta = (p->done > 0 && p->total > p->done) ? el * (double)(p->total - p->done) / (double)p->done : 0;
    fprintf(stderr, "\r%s %llu/%llu  %.0f tok/s  elapsed %.0fs  ETA %.0fs%s", p->label,
            (unsigned long long)p->done, (unsigned long long)p->total, rate, el, eta, final ? "\n" : "   ");
    p->last_draw = t;
}
void progress_step(Progress *p, uint64_t done_inc, uint64_t units_inc) {
    p->done += done_inc;
    p->units += units_inc;
    if (p->enabled && time_now() - p->last_draw > 0.25) progress_draw(p, 0);
}
void progress_end(Progress *p) {
    if (p->enabled) progress_draw(p, 1);
}

FILE *file_open_read(const char *path, XsErr *err) {
    FILE *f = fopen(path, "rb");
    if (!f) { err_set(err, path, 0, "cannot open: %s", strerror(errno)); return NULL; }
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        err_set(err, path, 0, "is a directory; expected a file");
        return NULL;
    }
    return f;
}

int file_check_readable(const char *path, XsErr *err) {
    FILE *f = file_open_read(path, err);
    if (!f) return -1;
    fclose(f);
    return 0;
}

char *file_read_all(const char *path, size_t *len, XsErr *err) {
    FILE *f = file_open_read(path, err);
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) { cap *= 2; buf = xrealloc(buf, cap); }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); err_set(err, path, 0, "read error: %s", strerror(errno)); return NULL; }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

/* What is at `path` decides how it is written: nothing or a regular file -> temp + rename (a
 * symlink is followed, so the file it points to is replaced and the link kept); "-" -> stdout;
 * a device, FIFO or socket -> written in place (never replaced); a folder -> an error. */
int out_kind(const char *path, char **target, XsErr *err) {
    *target = NULL;
    if (!strcmp(path, "-")) return OUT_STDOUT;
    if (!*path) return err_set(err, NULL, 0, "expected an output path, found an empty string");
    struct stat sb;
    if (lstat(path, &sb) != 0) {
        if (errno != ENOENT) return err_set(err, path, 0, "cannot inspect the output: %s", strerror(errno));
        *target = xstrdup(path);
        return OUT_REPLACE;
    }
    if (S_ISLNK(sb.st_mode)) {
        char *real = realpath(path, NULL);
        if (!real) return err_set(err, path, 0, "is a symbolic link whose target cannot be resolved (%s); refusing to replace it", strerror(errno));
        int rc = out_kind(real, target, err);
        free(real);
        return rc;
    }
    if (S_ISDIR(sb.st_mode)) return err_set(err, path, 0, "is a directory; expected a file path for the output");
    *target = xstrdup(path);
    return S_ISREG(sb.st_mode) ? OUT_REPLACE : OUT_IN_PLACE;
}

int out_check(const char *path, XsErr *err) {
    char *target;
    int k = out_kind(path, &target, err);
    if (k < 0) return -1;
    int rc = 0;
    if (k == OUT_REPLACE) {
        char *dir = xstrdup(target);
        char *slash = strrchr(dir, '/');
        const char *d = ".";
        if (slash == dir) d = "/";
        else if (slash) { *slash = 0; d = dir; }
        struct stat sb;
        if (stat(d, &sb) != 0 || !S_ISDIR(sb.st_mode)) rc = err_set(err, path, 0, "cannot write: folder '%s' does not exist", d);
        else if (access(d, W_OK) != 0) rc = err_set(err, path, 0, "cannot write: folder '%s' is not writable", d);
        free(dir);
    }
    free(target);
    return rc;
}

int atomic_open(AtomicFile *af, const char *path, XsErr *err) {
    memset(af, 0, sizeof *af);
    char *target;
    int k = out_kind(path, &target, err);
    if (k < 0) return -1;
    af->kind = k;
    af->path = xstrdup(path);
    if (k == OUT_STDOUT) { af->f = stdout; free(target); return 0; }
    if (k == OUT_IN_PLACE) {
        af->f = fopen(target, "wb");
        free(target);
        if (!af->f) { err_set(err, path, 0, "cannot open for writing: %s", strerror(errno)); free(af->path); af->path = NULL; return -1; }
        return 0;
    }
    size_t n = strlen(target) + 32;
    af->tmp = xmalloc(n);
    snprintf(af->tmp, n, "%s.tmp.%ld", target, (long)getpid());
    af->target = target;
    af->f = fopen(af->tmp, "wb");
    if (!af->f) {
        int e = errno;
        if (e == ENOENT) err_set(err, path, 0, "cannot create: its folder does not exist");
        else err_set(err, path, 0, "cannot create: %s", strerror(e));
        free(af->path); free(af->tmp); free(af->target);
        af->path = af->tmp = af->target = NULL;
        return -1;
    }
    return 0;
}
int atomic_commit(AtomicFile *af, XsErr *err) {
    int rc = 0;
    if (af->kind == OUT_STDOUT) {
        if (ferror(af->f) || fflush(af->f) != 0) rc = err_set(err, "<stdout>", 0, "write failed: %s", strerror(errno ? errno : EIO));
        af->f = NULL;
        free(af->path);
        af->path = NULL;
        return rc;
    }
    errno = 0;
    int bad = ferror(af->f) || fflush(af->f) != 0;
    if (!bad && af->kind == OUT_REPLACE) bad = fsync(fileno(af->f)) != 0;
    int e = errno;
    bad |= fclose(af->f) != 0;
    if (!e) e = errno ? errno : EIO;
    af->f = NULL;
    if (bad) rc = err_set(err, af->path, 0, "write failed: %s", strerror(e));
    else if (af->kind == OUT_REPLACE && rename(af->tmp, af->target) != 0) rc = err_set(err, af->path, 0, "rename failed: %s", strerror(errno));
    if (rc && af->tmp) remove(af->tmp);
    free(af->path); free(af->tmp); free(af->target);
    af->path = af->tmp = af->target = NULL;
    return rc;
}
void atomic_abort(AtomicFile *af) {
    if (af->f && af->kind != OUT_STDOUT) fclose(af->f);
    if (af->tmp) remove(af->tmp);
    free(af->path); free(af->tmp); free(af->target);
    af->f = NULL; af->path = af->tmp = af->target = NULL;
}
int file_write_atomic(const char *path, const void *data, size_t len, XsErr *err) {
    AtomicFile af;
    if (atomic_open(&af, path, err)) return -1;
    if (len && fwrite(data, 1, len, af.f) != len) {
        int e = errno;
        atomic_abort(&af);
        return err_set(err, path, 0, "write failed: %s", strerror(e ? e : EIO));
    }
    return atomic_commit(&af, err);
}

int npy_write_f32(const char *path, const float *data, size_t rows, size_t cols, XsErr *err) {
    char hdr[256];
    int n = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }", rows, cols);
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    AtomicFile af;
    if (atomic_open(&af, path, err)) return -1;
    int bad = fwrite("\x93NUMPY\x01\x00", 1, 8, af.f) != 8;
    uint16_t hl = (uint16_t)((size_t)n + pad + 1);
    unsigned char hlb[2] = {(unsigned char)(hl & 0xff), (unsigned char)(hl >> 8)};
    bad |= fwrite(hlb, 1, 2, af.f) != 2;
    bad |= fwrite(hdr, 1, (size_t)n, af.f) != (size_t)n;
    for (size_t i = 0; i < pad; i++) bad |= fputc(' ', af.f) == EOF;
    bad |= fputc('\n', af.f) == EOF;
    if (bad || (rows * cols > 0 && fwrite(data, sizeof(float), rows * cols, af.f) != rows * cols)) {
        int e = errno;
        atomic_abort(&af);
        return err_set(err, path, 0, "write failed: %s", strerror(e ? e : EIO));
    }
    return atomic_commit(&af, err);
}

float *npy_read_f32(const char *path, size_t *rows, size_t *cols, XsErr *err) {
    /* Reads the header, then the data straight into the result (no second copy of the file). */
    FILE *f = file_open_read(path, err);
    if (!f) return NULL;
    float *out = NULL;
    char *h = NULL;
    unsigned char pre[12];
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) { err_set(err, path, 0, "not a .npy file (bad magic)"); goto done; }
    unsigned major = pre[6];
    size_t hl;
    if (major == 1) hl = pre[8] | ((size_t)pre[9] << 8);
    else if (major == 2 || major == 3) {
        if (fread(pre + 10, 1, 2, f) != 2) { err_set(err, path, 0, "truncated .npy header"); goto done; }
        hl = pre[8] | ((size_t)pre[9] << 8) | ((size_t)pre[10] << 16) | ((size_t)pre[11] << 24);
    } else { err_set(err, path, 0, "unsupported .npy version %u", major); goto done; }
    if (hl > (1u << 20)) { err_set(err, path, 0, "implausible .npy header length %zu", hl); goto done; }
    h = xmalloc(hl + 1);
    if (fread(h, 1, hl, f) != hl) { err_set(err, path, 0, "truncated .npy header"); goto done; }
    h[hl] = 0;
    int f8 = 0;
    if (strstr(h, "'<f4'")) f8 = 0;
    else if (strstr(h, "'<f8'")) f8 = 1;
    else { err_set(err, path, 0, "expected dtype '<f4' or '<f8'"); goto done; }
    if (strstr(h, "'fortran_order': True")) { err_set(err, path, 0, "fortran_order arrays are not supported"); goto done; }
    char *sh = strstr(h, "'shape':");
    char *lp = sh ? strchr(sh, '(') : NULL;
    char *rp = lp ? strchr(lp, ')') : NULL;
    if (!lp || !rp) { err_set(err, path, 0, "no shape in .npy header"); goto done; }
    /* the tuple as written, for messages */
    char shape_s[128];
    snprintf(shape_s, sizeof shape_s, "%.*s", (int)(rp - lp + 1), lp);
    unsigned long long dim[3] = {0, 1, 1};
    int nd = 0;
    for (char *p = lp + 1; p < rp;) {
        while (p < rp && (*p == ' ' || *p == ',')) p++;
        if (p >= rp) break;
        if (!isdigit((unsigned char)*p)) { err_set(err, path, 0, "expected non-negative dimensions in the .npy shape, found %s", shape_s); goto done; }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno) { err_set(err, path, 0, "shape %s too large", shape_s); goto done; }
        if (nd < 3) dim[nd] = v;
        nd++;
        p = end;
    }
    if (nd < 1 || nd > 2) { err_set(err, path, 0, "expected a 1-D or 2-D array, found shape %s (%d dimensions)", shape_s, nd); goto done; }
    unsigned long long d0 = dim[0], d1 = nd == 2 ? dim[1] : 1;
    size_t esz = f8 ? 8 : 4;
    if (d1 && d0 > SIZE_MAX / 8 / d1) { err_set(err, path, 0, "shape %s too large", shape_s); goto done; }
    size_t cnt = (size_t)d0 * (size_t)d1;
    long here = ftell(f);
    if (here < 0 || fseek(f, 0, SEEK_END) != 0) { err_set(err, path, 0, "cannot seek"); goto done; }
    long fsz = ftell(f);
    if (fsz < here || (size_t)(fsz - here) != cnt * esz) {
        err_set(err, path, 0, "data size %ld bytes does not match shape %s (%zu bytes of %s)", fsz - here, shape_s, cnt * esz,
                f8 ? "<f8" : "<f4");
        goto done;
    }
    fseek(f, here, SEEK_SET);
    out = xmalloc(cnt * sizeof(float) + 1);
    if (!f8) {
        if (fread(out, 4, cnt, f) != cnt) { free(out); out = NULL; err_set(err, path, 0, "read error"); goto done; }
    } else {
        double buf[4096];
        for (size_t i = 0; i < cnt;) {
            size_t m = cnt - i < 4096 ? cnt - i : 4096;
            if (fread(buf, 8, m, f) != m) { free(out); out = NULL; err_set(err, path, 0, "read error"); goto done; }
            for (size_t j = 0; j < m; j++) out[i + j] = (float)buf[j];
            i += m;
        }
    }
    *rows = (size_t)d0;
    *cols = (size_t)d1;
done:
    free(h);
    fclose(f);
    return out;
}

int parse_long(const char *s, long *out) {
    if (!s || !*s || !(isdigit((unsigned char)*s) || *s == '-' || *s == '+')) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}
int parse_double(const char *s, double *out) {
    if (!s || !*s || isspace((unsigned char)*s)) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int json_write_atomic(const char *path, const json_t *root, XsErr *err) {
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    CHECK(s, "json_dumps failed");
    size_t n = strlen(s);
    char *buf = realloc(s, n + 2);
    CHECK(buf, "out of memory");
    buf[n] = '\n';
    buf[n + 1] = 0;
    int rc = file_write_atomic(path, buf, n + 1, err);
    free(buf);
    return rc;
}

int dir_lock(const char *dir, int *fd, XsErr *err) {
    *fd = -1;
    char path[4200];
    if (snprintf(path, sizeof path, "%s/.lock", dir) >= (int)sizeof path) return err_set(err, dir, 0, "path too long");
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0) return err_set(err, path, 0, "cannot open: %s", strerror(errno));
    if (flock(f, LOCK_EX | LOCK_NB)) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(f, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        close(f);
        if (e == EWOULDBLOCK)
            return err_set(err, dir, 0, "is in use by another xstilts process (pid %s): one run per folder at a time",
                           pid[0] ? pid : "?");
        return err_set(err, path, 0, "cannot lock: %s", strerror(e));
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) || pwrite(f, pid, (size_t)n, 0) != n) {
        int e = errno;
        close(f);
        return err_set(err, path, 0, "cannot write: %s", strerror(e));
    }
    *fd = f;
    return 0;
}

void dir_unlock(int fd) {
    if (fd >= 0) close(fd);
}
