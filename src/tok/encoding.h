/* encoding.h — growth helpers for Encoding (declared in tokenizer.h): append one token, reserve room.
 * Pure storage; what the ids mean is left to wordpiece.c / spm.c / tokenizer.c. */
#ifndef XS_ENCODING_H
#define XS_ENCODING_H
#include "tok/tokenizer.h"

/* Makes room for at least `extra` more tokens (amortised doubling; no per-token malloc). */
void encoding_reserve(Encoding *e, int extra);
/* Appends one token: id, token_type_id, byte span [start, end) (-1, -1 for specials), segment. */
void encoding_push(Encoding *e, int32_t id, int32_t type, int32_t start, int32_t end, uint8_t seg);
/* Appends tokens [from, to) of src to dst, overriding type and seg. */
void encoding_append_range(Encoding *dst, const Encoding *src, int from, int to, int32_t type, uint8_t seg);

#endif
