/* sha256.h — SHA-256 (FIPS 180-4) of bytes and of files, for corruption checks of checkpoints.
 * Streaming: init, update any number of times, final. Verified against the NIST test vectors. */
#ifndef XS_SHA256_H
#define XS_SHA256_H
#include "core/check.h"
#include <stddef.h>
#include <stdint.h>

typedef struct Sha256 {
    uint32_t h[8];
    uint64_t len;          /* bytes hashed so far */
    uint8_t buf[64];
    size_t nbuf;
} Sha256;

void sha256_init(Sha256 *s);
void sha256_update(Sha256 *s, const void *data, size_t n);
/* The 32-byte digest; s must be re-initialised before reuse. */
void sha256_final(Sha256 *s, uint8_t out[32]);
/* Lower-case hex of the digest of data[n] into hex[65] (NUL-terminated). */
void sha256_hex(const void *data, size_t n, char hex[65]);
/* Hex digest and size in bytes of a whole file (read in 1 MiB pieces). Error names the file. */
int sha256_file(const char *path, char hex[65], uint64_t *size, XsErr *err);

#endif
