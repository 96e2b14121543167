/* qa_post.h — extractive-QA post-processing: per-window start/end logits → the answer text of one
 * example, as HF's utils_qa.postprocess_qa_predictions (SQuAD v1 style). Windows/offsets come from tok/. */
#ifndef XS_QA_POST_H
#define XS_QA_POST_H
#include "core/check.h"
#include <stddef.h>
#include <stdint.h>

/* One window (HF "feature") of an example. Plain arrays, no tokenizer types: token t covers context bytes
 * [off_begin[t], off_end[t]); off_begin[t] = -1 marks a token outside the context (question, specials,
 * padding: HF's offset_mapping None). */
typedef struct QaPostWindow {
    const float *start_logits;   /* (len) */
    const float *end_logits;     /* (len) */
    const int32_t *off_begin;    /* (len) byte offsets into the example's context, -1 = not context */
    const int32_t *off_end;      /* (len) exclusive */
    const uint8_t *max_context;  /* (len) or NULL: XTREME run_squad's token_is_max_context */
    size_t len;
} QaPostWindow;

typedef struct QaPostOpts {
    int n_best;             /* 0 → 20 */
    int max_answer_length;  /* in tokens; 0 → 30 */
} QaPostOpts;

typedef struct QaPostAnswer {
    char *text;             /* malloc'd, NUL-terminated */
    int found;              /* 0 when HF's "empty" fallback was used */
    size_t window, start, end; /* best span: window index and token positions (when found) */
    int32_t byte_begin, byte_end;
    float score;            /* start_logit + end_logit (float32, like numpy) */
} QaPostAnswer;

/* The best answer over all windows of one example: each window's n_best highest start and end logits,
 * pairs with both tokens in the context, start <= end, end - start + 1 <= max_answer_length, start token
 * max-context when that is given; highest start+end logit wins, the earliest candidate (window, start rank,
 * end rank order) on equal scores, as HF's stable sort. Text = context[off_begin[start] : off_end[end]]
 * (a reversed span gives "", like a Python slice). With no candidate at all, or a single one whose text is
 * empty, the answer is "empty" (found = 0), HF's fallback. Returns -1 with err on NaN logits or offsets
 * outside the context. context: (context_len) bytes. */
int qa_post_best(const char *context, size_t context_len, const QaPostWindow *w, size_t nwin,
                 const QaPostOpts *opts, QaPostAnswer *ans, XsErr *err);
void qa_answer_free(QaPostAnswer *a);

#endif
