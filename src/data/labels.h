/* labels.h — readers for the plain-text gold/prediction files XTREME's evaluate.py scores:
 * one label per line (read_label), tag files with blank lines between sentences (read_tag), the
 * original XNLI-1.0 / PAWS-X TSVs, and BUCC id-pair files. Metrics live in eval/. */
#ifndef XS_LABELS_H
#define XS_LABELS_H
#include "core/check.h"
#include "core/text.h"
#include <stddef.h>
#include <stdint.h>

/* The old name of core/text.h's text_isspace (Python str.isspace), for code written before it moved. */
#define pystr_isspace(c) text_isspace(c)

typedef struct LabelList {
    char **v;     /* (n) stripped lines / labels */
    long *line;   /* (n) 1-based line number in the file */
    size_t n;
} LabelList;

/* evaluate.py read_label: every line (universal newlines), Python-stripped; blank lines kept
 * as "" like the script. File must be UTF-8. */
int labels_read_lines(const char *path, LabelList *out, XsErr *err);
/* XNLI-1.0 xnli.{dev,test}.tsv: a header, column 0 = language, column 1 = gold_label; keeps the
 * rows whose language is lang. */
int labels_read_xnli_tsv(const char *path, const char *lang, LabelList *out, XsErr *err);
/* PAWS-X {dev_2k,test_2k}.tsv: a header (id sentence1 sentence2 label); the last column. */
int labels_read_pawsx_tsv(const char *path, LabelList *out, XsErr *err);
void labels_free(LabelList *l);
/* BUCC pair files: checks that every line is "src<TAB>trg" (two non-empty fields) and returns the
 * sorted, de-duplicated set as pointers into l (*n of them; free the array, not the strings).
 * NULL + err naming the first bad line. */
char **labels_pair_set(const LabelList *l, const char *path, size_t *n, XsErr *err);

/* evaluate.py read_tag: Python-stripped lines; a blank line ends a sentence (two blank lines
 * make an empty sentence, as in the script); a line with tabs contributes its last field
 * ("token\ttag", PAN-X "de:token\ttag"), a line without tabs is the tag itself. */
typedef struct TagFile {
    char **tags;       /* (ntags) */
    long *tag_line;    /* (ntags) */
    size_t ntags;
    size_t *sent;      /* (nsent+1) sentence s = tags[sent[s] .. sent[s+1]) */
    long *sent_line;   /* (nsent) line of the sentence's first tag (or its blank line) */
    size_t nsent;
} TagFile;
int tags_read(const char *path, TagFile *out, XsErr *err);
void tags_free(TagFile *t);

#endif
