/* state.c — the run folder's sealed state files and checksummed step log (state.h). */
#include "run/state.h"
#include "core/mem.h"
#include "core/seal.h"
#include "core/util.h"
#include "run/config.h"
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int is_hex64(const json_t *v) {
    if (!json_is_string(v) || json_string_length(v) != 64) return 0;
    for (const char *p = json_string_value(v); *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    return 1;
}

int run_state_hash(const char *path, char out[65], XsErr *err) {
    out[0] = 0;
    struct stat sb;
    if (lstat(path, &sb) != 0 && errno == ENOENT) return 0;
    json_t *o = json_load_sealed(path, err);
    if (!o) return -1;
    json_t *h = json_object_get(o, "config_hash");
    if (!is_hex64(h)) {
        json_decref(o);
        return err_set(err, path, 0, "field \"config_hash\": expected 64 hex digits");
    }
    snprintf(out, 65, "%s", json_string_value(h));
    json_decref(o);
    return 0;
}

int run_started_write(const char *dir, const char *hash, XsErr *err) {
    char p[4200];
    snprintf(p, sizeof p, "%s/started.json", dir);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    json_t *o = json_object();
    json_object_set_new(o, "config_hash", json_string(hash));
    json_object_set_new(o, "t", json_real((double)ts.tv_sec + ts.tv_nsec * 1e-9));
    int rc = json_write_sealed(p, o, err);
    json_decref(o);
    return rc;
}

/* ---- phase1.json ---- */

static int own_state(const char *name) {
    return !strcmp(name, "phase1.json") || !strcmp(name, "started.json") || !strcmp(name, "steps.tsv") ||
           strstr(name, ".corrupt") || strstr(name, ".tmp.");
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int run_phase1_write(const char *dir, const char *row, long seed, const char *hash, double wall_s, int64_t tokens,
                     int64_t steps, XsErr *err) {
    DIR *d = opendir(dir);
    if (!d) return err_set(err, dir, 0, "cannot open the folder: %s", strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char p[4400];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || own_state(e->d_name) || lstat(p, &sb) || !S_ISREG(sb.st_mode)) continue;
        names = xgrow(names, &cap, n, sizeof *names, 8);
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    json_t *files = seal_files(dir, (const char *const *)names, (int)n, err);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    if (!files) return -1;
    json_t *o = json_object();
    json_object_set_new(o, "format", json_string("xstilts-phase1"));
    json_object_set_new(o, "version", json_integer(RUN_FORMAT_VERSION));
    json_object_set_new(o, "row", json_string(row));
    json_object_set_new(o, "seed", json_integer(seed));
    json_object_set_new(o, "config_hash", json_string(hash));
    json_object_set_new(o, "status", json_string("done"));
    json_object_set_new(o, "wall_s", json_real(wall_s));
    json_object_set_new(o, "tokens", json_integer(tokens));
    json_object_set_new(o, "steps", json_integer(steps));
    json_object_set_new(o, "files", files);
    char p[4200];
    snprintf(p, sizeof p, "%s/phase1.json", dir);
    int rc = json_write_sealed(p, o, err);
    json_decref(o);
    return rc;
}

json_t *run_phase1_load(const char *dir, XsErr *err) {
    char p[4200];
    snprintf(p, sizeof p, "%s/phase1.json", dir);
    json_t *o = json_load_sealed(p, err);
    if (!o) return NULL;
    json_t *v;
    const char *bad = NULL, *want = NULL;
    if (!json_is_string(v = json_object_get(o, "format")) || strcmp(json_string_value(v), "xstilts-phase1"))
        bad = "format", want = "\"xstilts-phase1\"";
    else if (!json_is_integer(v = json_object_get(o, "version")) || json_integer_value(v) != RUN_FORMAT_VERSION)
        bad = "version", want = "this xstilts' format version";
    else if (!json_is_string(json_object_get(o, "row"))) bad = "row", want = "a string";
    else if (!json_is_integer(v = json_object_get(o, "seed")) || json_integer_value(v) < 0) bad = "seed", want = "an integer >= 0";
    else if (!is_hex64(json_object_get(o, "config_hash"))) bad = "config_hash", want = "64 hex digits";
    else if (!json_is_string(v = json_object_get(o, "status")) || strcmp(json_string_value(v), "done"))
        bad = "status", want = "\"done\"";
    else if (!json_is_number(v = json_object_get(o, "wall_s")) || !(json_number_value(v) >= 0) || !isfinite(json_number_value(v)))
        bad = "wall_s", want = "a number >= 0";
    else if (!json_is_integer(v = json_object_get(o, "tokens")) || json_integer_value(v) < 0) bad = "tokens", want = "an integer >= 0";
    else if (!json_is_integer(v = json_object_get(o, "steps")) || json_integer_value(v) < 0) bad = "steps", want = "an integer >= 0";
    else if (!json_is_object(json_object_get(o, "files"))) bad = "files", want = "an object {name: {bytes, sha256}}";
    if (bad) {
        json_decref(o);
        err_set(err, p, 0, "field \"%s\": expected %s", bad, want);
        return NULL;
    }
    return o;
}

int run_phase1_verify(const char *dir, XsErr *err) {
    json_t *o = run_phase1_load(dir, err);
    if (!o) return -1;
    int rc = seal_verify_files(dir, "phase1.json", json_object_get(o, "files"), err);
    json_decref(o);
    return rc;
}

/* ---- steps.tsv ---- */

/* Calls on_rec for every complete line of text (checked); *complete = the bytes up to the last newline. */
static int steps_scan(const char *path, const char *text, size_t len, int64_t n, StepRec *rec, size_t *complete, XsErr *err) {
    size_t at = 0;
    long line = 0;
    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        if (!nl) break; /* a last line cut by a kill */
        line++;
        size_t l = (size_t)(nl - (text + at)), body;
        char buf[256];
        long long s, t;
        double loss, lr;
        int ok = l < sizeof buf && !seal_line_check(text + at, l, &body);
        if (ok) {
            memcpy(buf, text + at, body);
            buf[body] = 0;
            char tail;
            ok = sscanf(buf, "%lld\t%lld\t%lf\t%lf%c", &s, &t, &loss, &lr, &tail) == 4 && s >= 1 && t >= 0;
        }
        if (!ok)
            return err_set(err, path, (int)line, "damaged record (expected step, tokens, loss, lr and their checksum, "
                                                 "tab-separated): the step log is corrupt");
        if (rec && s <= n) rec[s - 1] = (StepRec){t, loss, lr, 1};
        at += l + 1;
    }
    *complete = at;
    return 0;
}

FILE *run_steps_open(const char *path, XsErr *err) {
    struct stat sb;
    if (stat(path, &sb) == 0) {
        size_t len, complete;
        char *text = file_read_all(path, &len, err);
        if (!text) return NULL;
        int rc = steps_scan(path, text, len, 0, NULL, &complete, err);
        free(text);
        if (rc) return NULL;
        if (complete < len && truncate(path, (off_t)complete)) {
            err_set(err, path, 0, "cannot cut its torn last line: %s", strerror(errno));
            return NULL;
        }
    }
    FILE *f = fopen(path, "a");
    if (!f) err_set(err, path, 0, "cannot open for appending: %s", strerror(errno));
    return f;
}

int run_steps_append(FILE *f, int64_t step, int64_t tokens, double loss, double lr) {
    char line[256];
    int k = snprintf(line, sizeof line - SEAL_LINE_HEX - 2, "%lld\t%lld\t%.17g\t%.17g", (long long)step, (long long)tokens, loss, lr);
    size_t n = seal_line(line, (size_t)k);
    line[n++] = '\n';
    struct stat sb;
    int have = fstat(fileno(f), &sb) == 0;
    if (fwrite(line, 1, n, f) == n && fflush(f) == 0) return 0;
    int e = errno;
    clearerr(f);
    if (have && ftruncate(fileno(f), sb.st_size)) { /* nothing more to do: the reader reports a torn record */ }
    errno = e ? e : EIO;
    return -1;
}

int run_steps_read(const char *path, int64_t n, StepRec *rec, XsErr *err) {
    for (int64_t i = 0; i < n; i++) rec[i].have = 0;
    struct stat sb;
    if (stat(path, &sb) != 0) return 0;
    size_t len, complete;
    char *text = file_read_all(path, &len, err);
    if (!text) return -1;
    int rc = steps_scan(path, text, len, n, rec, &complete, err);
    free(text);
    return rc;
}

int run_state_set_aside(const char *path, char *out, size_t cap, XsErr *err) {
    for (int k = 1; k < 1000; k++) {
        if (k == 1) snprintf(out, cap, "%s.corrupt", path);
        else snprintf(out, cap, "%s.corrupt-%d", path, k);
        struct stat sb;
        if (lstat(out, &sb) == 0) continue;
        if (rename(path, out)) return err_set(err, path, 0, "cannot move the damaged file aside: %s", strerror(errno));
        return 0;
    }
    return err_set(err, path, 0, "cannot move the damaged file aside: %s.corrupt-1..999 are taken", path);
}
