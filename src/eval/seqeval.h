/* seqeval.h — seqeval 1.2.2's default-mode (conlleval-compatible) chunking and micro
 * precision/recall/F1, plus its accuracy_score. Reading tag files is left to data/labels. */
#ifndef XS_SEQEVAL_H
#define XS_SEQEVAL_H
#include "core/check.h"
#include "data/labels.h"
#include <stddef.h>

typedef struct SeqevalResult {
    size_t tp, npred, ntrue;        /* chunk counts, micro-summed over types */
    double precision, recall, f1;   /* 0-1, exactly as seqeval returns them */
    size_t correct_tokens, ntokens;
    double accuracy;                /* accuracy_score, 0-1 */
} SeqevalResult;

/* One chunk of get_entities(): [start, end] inclusive over the flattened sequence. */
typedef struct SeqChunk { const char *type; size_t type_len; size_t start, end; } SeqChunk;

/* get_entities(seq) for a list of sentences (each followed by an 'O', like seqeval flattens
 * nested lists). Returns a malloc'd array, sets *n. */
SeqChunk *seqeval_entities(char *const *tags, const size_t *sent /* (nsent+1) */, size_t nsent, size_t *n);

/* f1_score / precision_score / recall_score (average='micro', mode=None) and accuracy_score.
 * Sentence counts and lengths must agree (seqeval's check_consistent_length): otherwise an
 * error naming both files and the first differing sentence. */
int seqeval_score(const TagFile *gold, const char *gold_path, const TagFile *pred, const char *pred_path,
                  SeqevalResult *res, XsErr *err);

#endif
