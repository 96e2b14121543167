/* seal.h — state files that say when they are damaged. The one place where xstilts seals what it must read
 * back (training checkpoints, the run folder's cell.json, phase1.json, started.json, run.json, steps.tsv):
 *
 *  - a sealed JSON file is an object whose "sha256" member is the SHA-256 of the canonical text of the rest of
 *    the object (compact, keys sorted, reals with 17 significant digits, so they read back to the same double);
 *    it is written atomically (util.h file_write_atomic), indented, with a final newline; on reading, a missing
 *    final newline is "truncated", then the JSON, then the seal are checked, and every error names the file;
 *  - a file manifest {"NAME": {"bytes": N, "sha256": HEX}, ...} records the files of a folder another sealed file
 *    vouches for (a checkpoint's weights, a phase-1 job's final model), verified by size and digest;
 *  - a checksummed line ends with a TAB and the first 16 hex digits of the SHA-256 of what comes before the TAB
 *    (append-only logs such as steps.tsv, where a whole-file seal cannot be kept). */
#ifndef XS_SEAL_H
#define XS_SEAL_H
#include "core/check.h"
#include <jansson.h>
#include <stddef.h>

#define SEAL_KEY "sha256"
#define SEAL_LINE_HEX 16

/* The seal of root: the hex SHA-256 of its canonical text without SEAL_KEY. */
void json_seal_of(const json_t *root, char hex[65]);
/* Sets root[SEAL_KEY] and writes root atomically (indented, keys in insertion order, a final newline). */
int json_write_sealed(const char *path, json_t *root, XsErr *err);
/* Reads a sealed JSON object; NULL + err naming path when it is missing, truncated, not JSON, not an object,
 * unsealed or its seal does not match. The seal member stays in the returned object. */
json_t *json_load_sealed(const char *path, XsErr *err);
/* The same on bytes already read (path only names them in messages). */
json_t *json_loadb_sealed(const char *text, size_t len, const char *path, XsErr *err);

/* The manifest of dir/names[0..n-1] (regular files): a new object {name: {"bytes", "sha256"}}. NULL + err. */
json_t *seal_files(const char *dir, const char *const *names, int n, XsErr *err);
/* Checks every file a manifest lists (plain names only) against its size and digest. `manifest` names the file
 * the manifest came from, for messages. */
int seal_verify_files(const char *dir, const char *manifest, const json_t *files, XsErr *err);

/* Appends "\t<16 hex>" (the checksum of line[0..len)) at line[len]; line must have room for 17 more bytes + NUL.
 * Returns the new length. */
size_t seal_line(char *line, size_t len);
/* 0 when line[0..len) (no newline) ends with a matching checksum field; *body = the length before it. */
int seal_line_check(const char *line, size_t len, size_t *body);

#endif
