/* stage.h — a folder written as a whole: files go into a fresh "OUT.tmp.<pid>" beside OUT, which is
 * renamed into place at the end, so OUT either does not exist or is complete. */
#ifndef XS_STAGE_H
#define XS_STAGE_H
#include "core/check.h"
#include <stddef.h>

/* 1 when dir has entries other than . and .., 0 when empty, -1 when it cannot be read. */
int stage_dir_nonempty(const char *dir);
/* Checks that `out` does not exist or is an empty folder, and creates the staging folder
 * (its path in target, cap bytes). */
int stage_begin(const char *out, char *target, size_t cap, XsErr *err);
/* Renames target over out (an empty out is removed first). */
int stage_commit(const char *target, const char *out, XsErr *err);
/* Removes the staging folder and every plain file in it (after a failure). */
void stage_abort(const char *target);

#endif
