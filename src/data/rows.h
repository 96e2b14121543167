/* rows.h — streaming text rows for the task readers: lines (UTF-8 checked, with line numbers),
 * TSV (split on tabs, no quoting), RFC-4180 CSV (quoted multi-line fields), one JSON object per
 * line, and the bad-row policy (error, or a logged, counted skip). What the fields mean is left to
 * data/pairs and data/choices. */
#ifndef XS_ROWS_H
#define XS_ROWS_H
#include "core/check.h"
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* Return codes of the readers below. */
enum { ROWS_EOF = 0, ROWS_OK = 1, ROWS_FATAL = -1, ROWS_BAD = -2 };

typedef struct LineReader {
    FILE *f;
    const char *path;  /* borrowed, used in messages */
    char *buf;         /* (cap) the current line, NUL-terminated, without its \n or \r\n */
    size_t cap;
    long lineno;       /* 1-based number of the current line */
    int crlf;          /* the current line ended in \r\n (a CSV field spanning it keeps "\r\n", as Python's csv) */
} LineReader;

int lines_open(LineReader *r, const char *path, XsErr *err);
/* ROWS_OK with *line and *len (a UTF-8 BOM on line 1 is dropped); ROWS_EOF; ROWS_FATAL on I/O error;
 * ROWS_BAD when the line is not valid UTF-8 or holds a NUL byte (err says where; the line is
 * consumed). */
int lines_next(LineReader *r, char **line, size_t *len, XsErr *err);
void lines_close(LineReader *r);

typedef enum {
    ROWS_TSV,    /* one line = one row, split on '\t', quotes are plain text (csv quotechar=None, as GLUE/HF read) */
    ROWS_CSV,    /* RFC 4180 with the given delimiter: "..." fields, "" = ", newlines inside quotes */
    ROWS_JSONL,  /* one JSON object per line (json_loadb), nothing split */
} RowsMode;

typedef struct RowReader {
    LineReader lr;
    RowsMode mode;
    char delim;       /* ROWS_CSV only */
    char **f;         /* (nf) fields of the current row (TSV/CSV), valid until the next call */
    size_t nf, capf;
    size_t *off;      /* (capf) CSV: field offsets into buf while a record is decoded */
    char *buf;        /* (cap) CSV: the decoded record */
    size_t cap;
    json_t *obj;      /* JSONL: the current object (owned, released by the next call) */
    char *text;       /* TSV/JSONL: the current line */
    long line;        /* first line of the current row */
} RowReader;

int rows_open(RowReader *r, const char *path, RowsMode mode, char delim, XsErr *err);
/* Next row, skipping blank lines (they hold no row). ROWS_OK, ROWS_EOF, ROWS_FATAL, or ROWS_BAD
 * (a malformed row: err = "path:line: what was expected"; its lines are consumed, the caller may
 * go on). */
int rows_next(RowReader *r, XsErr *err);
void rows_close(RowReader *r);

/* Index of the column named name in the current row (a header), or -1. */
long rows_find(const RowReader *r, const char *name);

/* The bad-row policy. Called with a row error in err: when skip is set, logs the message as a
 * warning, counts it in *nbad, clears err and returns 0; otherwise returns -1 (err kept). */
int rows_bad(int skip, size_t *nbad, XsErr *err);

/* JSON field helpers for the jsonl readers: a row error "path:line: expected ..." when the field is
 * missing or has another type. */
const char *json_field_str(json_t *o, const char *key, const char *path, long line, XsErr *err);
/* An integer field, or a string holding a decimal integer (both occur in the published files). */
int json_field_int(json_t *o, const char *key, long *out, const char *path, long line, XsErr *err);

#endif
