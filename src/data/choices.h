/* choices.h — multiple-choice examples (HellaSwag, Cosmos QA, CommonsenseQA) read from the files
 * as published, streamed or collected into a set; each becomes one (context, choice) pair per
 * choice in tasks/. The context/choice strings are built as jiant's task readers build them. */
#ifndef XS_CHOICES_H
#define XS_CHOICES_H
#include "core/check.h"
#include "data/task_labels.h"
#include <stddef.h>

#define CHOICE_MAX 5

typedef enum {
    CHOICE_HELLASWAG,      /* hellaswag_{train,val,test}.jsonl: context = ctx_a, choice i = ctx_b + " " + endings[i] */
    CHOICE_COSMOS_CSV,     /* Cosmos QA {train,valid,test}.csv (RFC 4180): context = context + " " + question */
    CHOICE_COSMOS_JSONL,   /* Cosmos QA {train,valid,test}.jsonl, the same fields */
    CHOICE_CSQA,           /* CommonsenseQA *_rand_split.jsonl, original (question.stem) or HF (question, choices) layout */
    CHOICE_NFORMATS
} ChoiceFormat;

/* "hellaswag", "cosmosqa-csv", "cosmosqa-jsonl", "commonsenseqa"; parse returns -1 when unknown. */
const char *choice_format_name(ChoiceFormat f);
int choice_format_parse(const char *name, ChoiceFormat *f);
/* The format a file's path implies (hellaswag_*.jsonl, *rand_split*.jsonl or a commonsenseqa
 * folder, a cosmos folder's .csv / .jsonl); -1 when the path says nothing. *unlabeled (may be
 * NULL) is set for hellaswag_test, *no_answers*, and Cosmos QA test files. */
int choice_format_guess(const char *path, ChoiceFormat *f, int *unlabeled);
/* hellaswag / cosmosqa: "0".."3"; commonsenseqa: "A".."E". */
const TaskLabels *choice_format_labels(ChoiceFormat f);

typedef struct ChoiceExample {
    char *context;               /* segment A of every (context, choice) pair */
    char *choices[CHOICE_MAX];   /* (nchoices) segment B of each pair */
    int nchoices;                /* 4 (HellaSwag, Cosmos QA) or 5 (CommonsenseQA) */
    int label;                   /* index of the right choice; -1 when read with opts.unlabeled */
    char *id;                    /* ind / id; the line number when the row has none */
    long line;                   /* 1-based first line of the row */
} ChoiceExample;

typedef struct ChoiceReadOpts {
    int skip_bad_rows;   /* a malformed row becomes a logged, counted skip instead of an error */
    int unlabeled;       /* test files without labels / answerKey: label = -1 */
} ChoiceReadOpts;

typedef struct ChoiceReadStats { size_t nrows, nbad; } ChoiceReadStats;

/* Called once per example; ex is valid during the call only. Non-zero stops the stream
 * (set err to fail it). */
typedef int (*ChoiceFn)(void *ctx, const ChoiceExample *ex, XsErr *err);

/* Streams path one row at a time. Returns the number of malformed rows skipped, or -1 + err. */
long choices_stream(const char *path, ChoiceFormat fmt, const ChoiceReadOpts *opts, ChoiceFn fn, void *ctx,
                    ChoiceReadStats *st, XsErr *err);

typedef struct ChoiceSet {
    ChoiceExample *v;    /* (n) owned */
    size_t n, cap;
    ChoiceReadStats st;
    const TaskLabels *labels;
} ChoiceSet;

long choices_read(const char *path, ChoiceFormat fmt, const ChoiceReadOpts *opts, ChoiceSet *out, XsErr *err);
void choices_free(ChoiceSet *s);

#endif
