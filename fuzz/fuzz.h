/* fuzz.h — shared by the libFuzzer targets in fuzz/ (built by `make fuzz`, docs/RELIABILITY.md):
 * the library reads paths, so each input is written to a file in a private folder on /dev/shm
 * (or $TMPDIR) made once per process and removed at exit. Logging is silenced (XSTILTS_LOG=quiet):
 * warnings are part of the behaviour under test, not output worth the time. */
#ifndef XS_FUZZ_H
#define XS_FUZZ_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The private folder (created on first use). */
const char *fz_dir(void);
/* Writes data to fz_dir()/name and returns the path (a static buffer per call site is not needed:
 * the returned string lives until the next fz_path/fz_write call with the same slot 0..7). */
const char *fz_write(int slot, const char *name, const void *data, size_t size);
/* fz_dir()/name in slot (no file written). */
const char *fz_path(int slot, const char *name);
/* Removes fz_dir()/name if present. */
void fz_unlink(const char *name);

/* Splits the input: the first byte picks a mode (mod n); the rest is the file. */
static inline unsigned fz_mode(const uint8_t **data, size_t *size, unsigned n) {
    if (*size == 0) return 0;
    unsigned m = (*data)[0] % n;
    (*data)++;
    (*size)--;
    return m;
}

#endif
