/* metrics.h — the non-QA, non-tagging XTREME metrics as evaluate.py defines them: accuracy
 * (XNLI, PAWS-X, Tatoeba) and BUCC pair P/R/F1. QA is eval/squad, tagging eval/seqeval. */
#ifndef XS_METRICS_H
#define XS_METRICS_H
#include "core/check.h"
#include "data/labels.h"
#include <stddef.h>

typedef struct AccuracyResult { size_t correct, n; double accuracy; /* 0-100 */ } AccuracyResult;

/* accuracy(): string equality of stripped lines, float(correct) / len(predictions) * 100.
 * Different counts → error naming both files (evaluate.py asserts). When as_index, every
 * line must be a non-negative integer (Tatoeba indices); they are still compared as strings. */
int metrics_accuracy(const LabelList *gold, const char *gold_path, const LabelList *pred, const char *pred_path,
                     int as_index, AccuracyResult *res, XsErr *err);

typedef struct PrfResult { size_t ncorrect, npred, ngold; double precision, recall, f1; /* 0-100 */ } PrfResult;

/* bucc_f1(): sets of "src\ttrg" lines; duplicates count once. Every line must hold exactly two
 * non-empty tab-separated ids (evaluate.py would take anything). */
int metrics_bucc(const LabelList *gold, const char *gold_path, const LabelList *pred, const char *pred_path,
                 PrfResult *res, XsErr *err);

#endif
