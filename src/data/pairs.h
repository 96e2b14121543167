/* pairs.h — sentence-pair classification examples (MNLI, ANLI, SNLI, QQP, XNLI, PAWS-X) read
 * from the files as published and from XTREME's download/ folder, streamed or collected into a
 * set. Tokenizing and featurizing are left to tasks/. */
#ifndef XS_PAIRS_H
#define XS_PAIRS_H
#include "core/check.h"
#include "data/task_labels.h"
#include <stddef.h>

typedef enum {
    PAIR_MNLI_TSV,      /* GLUE MNLI/{train,dev_matched,dev_mismatched}.tsv (header; columns by name) */
    PAIR_MNLI_JSONL,    /* multinli_1.0_{train,dev_matched,dev_mismatched}.jsonl */
    PAIR_ANLI_JSONL,    /* ANLI R{1,2,3}/{train,dev,test}.jsonl (uid, context|premise, hypothesis, label e/n/c) */
    PAIR_SNLI_JSONL,    /* snli_1.0_{train,dev,test}.jsonl */
    PAIR_QQP_TSV,       /* GLUE QQP/{train,dev}.tsv */
    PAIR_XNLI_TSV,      /* XNLI-1.0 xnli.{dev,test}.tsv, rows of opts.lang (all when NULL) */
    PAIR_XNLI_MT_TSV,   /* XNLI-MT-1.0 multinli/multinli.train.{lang}.tsv (premise, hypo, label) */
    PAIR_MYXNLI_TSV,    /* myXNLI {lang}.genre.{split}.tsv (genre, label, sentence1_xx, sentence2_xx, ...) */
    PAIR_PAWSX_TSV,     /* PAWS-X x-final/{lang}/{train,dev_2k,test_2k}.tsv */
    PAIR_XTREME_XNLI,   /* XTREME download/xnli/{train,dev,test}-{lang}.tsv (no header, csv.writer TSV) */
    PAIR_XTREME_PAWSX,  /* XTREME download/pawsx/{train,dev,test}-{lang}.tsv (same) */
    PAIR_XTREME_XNLI_TRANSLATED,  /* XTREME's translate-train gs://xtreme_translations/XNLI/translate-train/
                                   * en-{lang}-translated.tsv: English sentence 1, English sentence 2, translated
                                   * sentence 1, translated sentence 2, label ("contradictory" spelling); no header, no
                                   * quoting. The translated pair is the example */
    PAIR_XTREME_PAWSX_TRANSLATED, /* the same layout for PAWS-X (PAWSX/translate-train/en-{lang}-translated.tsv), label
                                   * 0 / 1 */
    PAIR_NFORMATS
} PairFormat;

/* Name <-> format: "mnli-tsv", "mnli-jsonl", "anli", "snli", "qqp", "xnli", "xnli-mt", "myxnli",
 * "pawsx", "xtreme-xnli", "xtreme-pawsx", "xtreme-xnli-translated", "xtreme-pawsx-translated". parse returns -1 for
 * an unknown name. */
const char *pair_format_name(PairFormat f);
int pair_format_parse(const char *name, PairFormat *f);
/* The format a file's path implies, from its name and parent folders as the publishers and
 * XTREME's download script lay them out (e.g. .../MNLI/dev_matched.tsv, .../R2/train.jsonl,
 * .../x-final/de/dev_2k.tsv, .../download/xnli/test-de.tsv). Returns -1 when the path says
 * nothing. *unlabeled (may be NULL) is set for files shipped without labels (GLUE test*.tsv,
 * XTREME test-xx.tsv). */
int pair_format_guess(const char *path, PairFormat *f, int *unlabeled);
/* The label list of a format (NLI or binary). */
const TaskLabels *pair_format_labels(PairFormat f);

typedef struct PairExample {
    char *text_a;   /* premise / sentence1 / question1 */
    char *text_b;   /* hypothesis / sentence2 / question2 */
    char *id;       /* the file's id (pairID, uid, id); the first line number when the layout has none */
    int label;      /* index into pair_format_labels(); -1 when read with opts.unlabeled */
    long line;      /* 1-based line of the row in its file */
} PairExample;

typedef struct PairReadOpts {
    int skip_bad_rows;  /* a malformed row becomes a logged, counted skip instead of an error */
    int unlabeled;      /* the file has no labels (GLUE test, XTREME test-*.tsv): label = -1 */
    const char *lang;   /* XNLI-1.0: keep rows of this language; myXNLI: sentence columns *_lang */
} PairReadOpts;

typedef struct PairReadStats {
    size_t nrows;       /* examples delivered */
    size_t nbad;        /* malformed rows skipped (skip_bad_rows) */
    size_t nnolabel;    /* rows without a gold label (NLI gold_label "-"), skipped as the publishers' readers do */
    size_t nfiltered;   /* rows of other languages (XNLI-1.0 with opts.lang) */
} PairReadStats;

/* Called once per example; ex and its strings are valid during the call only. Non-zero stops
 * the stream (return -1 and set err to fail it). */
typedef int (*PairFn)(void *ctx, const PairExample *ex, XsErr *err);

/* Streams path one row at a time (memory: one row). Returns the number of malformed rows skipped
 * (>= 0), or -1 + err ("path:line: expected ..."). st may be NULL. */
long pairs_stream(const char *path, PairFormat fmt, const PairReadOpts *opts, PairFn fn, void *ctx,
                  PairReadStats *st, XsErr *err);

typedef struct PairSet {
    PairExample *v;     /* (n) owned */
    size_t n, cap;
    PairReadStats st;
    const TaskLabels *labels;
} PairSet;

/* Reads a whole file into *out (strings owned by the set). Returns the skip count or -1 + err. */
long pairs_read(const char *path, PairFormat fmt, const PairReadOpts *opts, PairSet *out, XsErr *err);
void pairs_free(PairSet *s);

#endif
