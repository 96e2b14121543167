/* text.h — Python str semantics on UTF-8 bytes, shared by readers, metrics, tokenizers and the CLI:
 * UTF-8 validation with the offset of the first bad byte, code point decoding, str.isspace(), str.strip(). */
#ifndef XS_CORE_TEXT_H
#define XS_CORE_TEXT_H
#include "core/check.h"
#include <stddef.h>
#include <stdint.h>

/* Validates UTF-8 as Python's strict decoder does (no overlongs, no surrogates, <= U+10FFFF; NUL is
 * valid). Returns -1 if s[0..len) is valid, else the byte offset of the first bad sequence. */
long utf8_first_invalid(const char *s, size_t len);
/* The one wording of an invalid-UTF-8 error, everywhere: "expected UTF-8 text, found an invalid byte
 * sequence at byte N (0xXX)", N counted from 1 (the first byte of s is byte 1); " of the line" is
 * added when of_line. bad: utf8_first_invalid(s, ...). Returns -1. */
int text_utf8_error(XsErr *err, const char *path, long line, const char *s, long bad, int of_line);
/* Line (1-based, counting '\n') and byte-in-line (1-based) of byte offset `at` of s: for error messages. */
void text_position(const char *s, size_t at, long *line, size_t *col);
/* Code point at s[0..len) (len >= 1) and its length in *k; an invalid sequence gives U+FFFD with *k = 1. */
uint32_t utf8_decode(const char *s, size_t len, size_t *k);
/* Python's str.isspace(): bidi class WS/B/S or category Zs, a fixed list since Unicode 6
 * (\t\n\v\f\r, U+001C-001F, space, U+0085, U+00A0, U+1680, U+2000-200A, U+2028/9, U+202F, U+205F, U+3000). */
int text_isspace(uint32_t c);
/* Python's str.strip() of s[0..*len) (valid UTF-8): returns the first kept byte inside s and sets *len
 * to the kept length. Copies and writes nothing. */
const char *text_strip(const char *s, size_t *len);

typedef struct TextLine { const char *s; size_t len; } TextLine; /* bytes of one line, into the buffer */
/* Splits buf[0..len) into lines: '\n' ends a line and a '\r' right before it is dropped; a last line
 * without '\n' counts; an empty input has no lines. Every line must be UTF-8 without NUL bytes, else
 * -1 with "source:LINE: expected UTF-8 text, found an invalid byte sequence at byte K (0xXX)" or
 * "...: expected text, found a NUL byte at byte K" (K 1-based in the line). On success *lines
 * (malloc'd, n entries, pointing into buf: keep buf alive) and *n. */
int text_split_lines(const char *buf, size_t len, const char *source, TextLine **lines, long *n, XsErr *err);

#endif
