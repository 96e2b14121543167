/* util.h — timer, logging, a progress bar (tokens/s, ETA; quiet when stderr is not a TTY),
 * and file helpers: read a whole file, write atomically (temp + rename), .npy float32 I/O. */
#ifndef XS_UTIL_H
#define XS_UTIL_H
#include "check.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

double time_now(void); /* seconds, monotonic */

/* Logging to stderr. Level from XSTILTS_LOG=quiet|info|debug (default info). */
void log_info(const char *fmt, ...) XS_PRINTF(1, 2);
/* A label printed after the level tag of every log line ("rank 1/2"); NULL or "" for none. Copied. */
void log_set_label(const char *label);
void log_warn(const char *fmt, ...) XS_PRINTF(1, 2);
void log_debug(const char *fmt, ...) XS_PRINTF(1, 2);

typedef struct Progress {
    const char *label;
    uint64_t total, done, units;  /* units: e.g. tokens processed, for the rate */
    double t0, last_draw;
    int enabled;
} Progress;
void progress_begin(Progress *p, const char *label, uint64_t total);
void progress_step(Progress *p, uint64_t done_inc, uint64_t units_inc);
void progress_end(Progress *p);

/* fopen(path, "rb") that names what went wrong: "cannot open: <strerror>", "is a directory; expected a
 * file". file_check_readable: the same check, closing the file. */
FILE *file_open_read(const char *path, XsErr *err);
int file_check_readable(const char *path, XsErr *err);
/* Reads a whole file (NUL-terminated for convenience). Returns NULL and sets err on failure. */
char *file_read_all(const char *path, size_t *len, XsErr *err);

/* Output files. What is at the path decides how it is written (out_kind):
 *   nothing or a regular file  OUT_REPLACE: "path.tmp.<pid>" beside it, then fsync + rename over it
 *                              (a symbolic link is followed: its target is replaced, the link kept);
 *   "-"                        OUT_STDOUT: standard output (flushed and checked at commit);
 *   a device, FIFO or socket   OUT_IN_PLACE: opened and written as it is, never replaced;
 *   a directory, a dangling symbolic link: an error.
 * atomic_open + write to af->f + atomic_commit (checks every write, the flush and the close). */
enum { OUT_REPLACE = 0, OUT_STDOUT = 1, OUT_IN_PLACE = 2 };
int out_kind(const char *path, char **target, XsErr *err); /* *target: malloc'd resolved path or NULL */
/* Fails early (before minutes of work) when path could not be written: a folder, a missing or
 * read-only parent folder. Returns 0 or -1 with err set. */
int out_check(const char *path, XsErr *err);
typedef struct AtomicFile { FILE *f; char *path; char *tmp; char *target; int kind; } AtomicFile;
int atomic_open(AtomicFile *af, const char *path, XsErr *err);
int atomic_commit(AtomicFile *af, XsErr *err);
void atomic_abort(AtomicFile *af);
/* root as indented JSON (keys in insertion order) + a final newline, written atomically. */
int json_write_atomic(const char *path, const json_t *root, XsErr *err);
int file_write_atomic(const char *path, const void *data, size_t len, XsErr *err);

/* An exclusive advisory lock (flock) on DIR/.lock, held until dir_unlock or the process ends (a killed process
 * releases it: no stale lock). The file holds the holder's pid. A second holder gets an error naming the folder
 * and that pid; *fd = -1 then. */
int dir_lock(const char *dir, int *fd, XsErr *err);
void dir_unlock(int fd);

/* NumPy .npy (v1.0, little-endian float32, C order, 1-D or 2-D). */
int npy_write_f32(const char *path, const float *data, size_t rows, size_t cols, XsErr *err);
/* Returns a malloc'd array; rows and cols set (cols = 1 for 1-D). Accepts <f4 and <f8 (converted). */
float *npy_read_f32(const char *path, size_t *rows, size_t *cols, XsErr *err);

/* Parses an integer / float fully (no leading space, no trailing junk), unlike atoi; a float must be
 * finite (NaN, Inf and overflow rejected). Return 0 on success. */
int parse_long(const char *s, long *out);
int parse_double(const char *s, double *out);

#endif
