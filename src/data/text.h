/* text.h — plain text for masked-LM training: one sentence or document per line (multilingual),
 * UTF-8 checked, blank lines skipped and counted, streamed line by line. Masking is left to tasks/. */
#ifndef XS_TEXT_H
#define XS_TEXT_H
#include "core/check.h"
#include <stddef.h>

typedef struct TextReadOpts {
    int skip_bad_rows;  /* a line that is not UTF-8 (or holds a NUL byte) becomes a logged, counted skip */
} TextReadOpts;

typedef struct TextReadStats {
    size_t nlines;  /* lines in the file */
    size_t ntext;   /* lines delivered */
    size_t nblank;  /* empty or whitespace-only lines skipped (as HF run_mlm --line_by_line) */
    size_t nbad;    /* malformed lines skipped (skip_bad_rows) */
    size_t nbytes;  /* bytes delivered */
} TextReadStats;

/* Called once per non-blank line: text (len bytes, NUL-terminated, without its line ending; the
 * line itself is not stripped) is valid during the call only; line is 1-based. Non-zero stops the
 * stream (return -1 and set err to fail it). */
typedef int (*TextFn)(void *ctx, const char *text, size_t len, long line, XsErr *err);

/* Streams path (memory: one line). Returns the skip count (>= 0) or -1 + err ("path:line: ...").
 * A UTF-8 byte-order mark on line 1 is dropped; "\r\n" endings are accepted. */
long text_stream(const char *path, const TextReadOpts *opts, TextFn fn, void *ctx, TextReadStats *st, XsErr *err);

typedef struct TextLines {
    char **v;     /* (n) owned */
    long *line;   /* (n) 1-based line numbers */
    size_t n, cap;
    TextReadStats st;
} TextLines;

/* Reads every non-blank line. Returns the skip count or -1 + err. */
long text_read(const char *path, const TextReadOpts *opts, TextLines *out, XsErr *err);
void text_lines_free(TextLines *t);

#endif
