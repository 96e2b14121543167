/* state.h — the run folder's state files, written and read through core/seal.h (docs/RUN.md "Crash safety"):
 * run.json, started.json, phase1.json (with the manifest of the phase-1 model), cell.json are sealed JSON;
 * steps.tsv is an append-only log of checksummed lines. A damaged file is an error naming it, never loaded. */
#ifndef XS_RUN_STATE_H
#define XS_RUN_STATE_H
#include "core/check.h"
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The "config_hash" of a sealed state file (run.json, started.json, phase1.json, cell.json): 0 with out = ""
 * when the file is absent, 0 with the hash, -1 + err naming the file when it is damaged or has no hash. */
int run_state_hash(const char *path, char out[65], XsErr *err);

/* DIR/started.json: {"config_hash", "t"}, sealed. */
int run_started_write(const char *dir, const char *hash, XsErr *err);

/* phase1.json of a finished job in dir: the fields of docs/RUN.md plus "files", the manifest of every regular
 * file of dir the cells read (the final model and tokenizer: everything but the run's own state files). */
int run_phase1_write(const char *dir, const char *row, long seed, const char *hash, double wall_s, int64_t tokens,
                     int64_t steps, XsErr *err);
/* Reads and checks dir/phase1.json (seal, format, version, fields and their types); NULL + err. */
json_t *run_phase1_load(const char *dir, XsErr *err);
/* run_phase1_load + every file of its manifest checked (size, sha256): 0 when the job's model can be used. */
int run_phase1_verify(const char *dir, XsErr *err);

/* steps.tsv: "step<TAB>tokens<TAB>loss<TAB>lr<TAB>checksum" per update (seal_line). */
typedef struct StepRec { int64_t tokens; double loss, lr; int have; } StepRec;
/* Opens path for appending: every complete line must carry its checksum (else an error naming path:line); a
 * last line cut short by a kill (no newline) is removed first. */
FILE *run_steps_open(const char *path, XsErr *err);
/* One record, flushed. On a failed write (a full disk) the file is cut back to where it was (no torn record
 * before later ones) and -1 returned with errno set. */
int run_steps_append(FILE *f, int64_t step, int64_t tokens, double loss, double lr);
/* The last record of each step 1..n into rec[0..n-1] (have = 0 for a step without one); an absent file is no
 * record. A damaged complete line is an error naming path:line; a cut last line is ignored. */
int run_steps_read(const char *path, int64_t n, StepRec *rec, XsErr *err);

/* Moves a damaged state file aside, to "<path>.corrupt" (".corrupt-2", ... when taken): never deleted. The new
 * path in out. */
int run_state_set_aside(const char *path, char *out, size_t cap, XsErr *err);

#endif
