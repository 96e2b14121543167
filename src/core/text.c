/* text.c — UTF-8 validation and decoding, Python's str.isspace / str.strip, on bytes. No Unicode
 * tables here: categories, case and normalization are utf8proc's (tok/wordpiece.c, eval/squad.c). */
#include "core/text.h"
#include "core/mem.h"
#include <stdlib.h>
#include <string.h>

long utf8_first_invalid(const char *str, size_t len) {
    const uint8_t *s = (const uint8_t *)str;
    size_t i = 0;
    while (i < len) {
        /* ASCII fast path, 8 bytes at a time */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= len) break;
        uint8_t c = s[i];
        if (c < 0x80) { i++; continue; }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; min = 0x10000; }
        else return (long)i;
        if (len - i < n) return (long)i;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return (long)i;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return (long)i;
        i += n;
    }
    return -1;
}

void text_position(const char *s, size_t at, long *line, size_t *col) {
    long ln = 1;
    size_t bol = 0;
    for (size_t i = 0; i < at; i++)
        if (s[i] == '\n') { ln++; bol = i + 1; }
    *line = ln;
    *col = at - bol + 1;
}

uint32_t utf8_decode(const char *str, size_t len, size_t *k) {
    const uint8_t *s = (const uint8_t *)str;
    uint8_t c = s[0];
    if (c < 0x80) { *k = 1; return c; }
    size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || n > len || utf8_first_invalid(str, n) >= 0) { *k = 1; return 0xFFFD; }
    uint32_t cp = c & (0x7F >> n);
    for (size_t i = 1; i < n; i++) cp = cp << 6 | (s[i] & 0x3F);
    *k = n;
    return cp;
}

int text_isspace(uint32_t c) {
    if ((c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20)) return 1;
    switch (c) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
        return 1;
    }
    return c >= 0x2000 && c <= 0x200A;
}

const char *text_strip(const char *s, size_t *len) {
    size_t n = *len, i = 0;
    while (i < n) {
        size_t k;
        if (!text_isspace(utf8_decode(s + i, n - i, &k))) break;
        i += k;
    }
    size_t end = n;
    while (end > i) {
        size_t j = end - 1;
        while (j > i && ((unsigned char)s[j] & 0xC0) == 0x80) j--; /* start of the last code point */
        size_t k;
        if (!text_isspace(utf8_decode(s + j, end - j, &k))) break;
        end = j;
    }
    *len = end - i;
    return s + i;
}

int text_split_lines(const char *buf, size_t len, const char *source, TextLine **lines_out, long *n_out, XsErr *err) {
    long n = 0, cap = 1024;
    TextLine *lines = xmalloc((size_t)cap * sizeof *lines);
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t l = end - i;
        if (l > 0 && buf[i + l - 1] == '\r') l--;
        /* the first problem of the line, in byte order */
        long bad = utf8_first_invalid(buf + i, l);
        const char *nul = memchr(buf + i, 0, bad >= 0 ? (size_t)bad : l);
        if (nul || bad >= 0) {
            free(lines);
            if (nul) return err_set(err, source, n + 1, "expected text, found a NUL byte at byte %zu", (size_t)(nul - buf - i) + 1);
            return text_utf8_error(err, source, n + 1, buf + i, bad, 0);
        }
        if (n == cap) { cap *= 2; lines = xrealloc(lines, (size_t)cap * sizeof *lines); }
        lines[n].s = buf + i;
        lines[n].len = l;
        n++;
        i = end + 1;
    }
    *lines_out = lines;
    *n_out = n;
    return 0;
}

int text_utf8_error(XsErr *err, const char *path, long line, const char *s, long bad, int of_line) {
    return err_set(err, path, line, "expected UTF-8 text, found an invalid byte sequence at byte %ld%s (0x%02X)", bad + 1,
                   of_line ? " of the line" : "", (unsigned)(unsigned char)s[bad]);
}
