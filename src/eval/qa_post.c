/* qa_post.c — HF utils_qa.postprocess_qa_predictions (version_2_with_negative=False) on plain arrays:
 * n-best start/end selection, span filtering, best score, byte slice of the context. Windows: tok/. */
#include "eval/qa_post.h"
#include "core/mem.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct { float v; int32_t i; } ValIdx;
/* np.argsort(logits)[-1:-n-1:-1]: descending value; on equal values the higher index first, which is what
 * reversing a stable ascending argsort gives (numpy's default introsort leaves exact ties unspecified). */
static int cmp_desc(const void *a, const void *b) {
    const ValIdx *p = a, *q = b;
    if (p->v != q->v) return p->v > q->v ? -1 : 1;
    return (p->i < q->i) - (p->i > q->i);
}

/* Fills top[0..*m) with the indices of the n largest values of x (len). */
static void top_n(const float *x, size_t len, int n, ValIdx *scratch, int32_t *top, int *m) {
    for (size_t t = 0; t < len; t++) scratch[t] = (ValIdx){x[t], (int32_t)t};
    qsort(scratch, len, sizeof *scratch, cmp_desc);
    *m = (size_t)n < len ? n : (int)len;
    for (int r = 0; r < *m; r++) top[r] = scratch[r].i;
}

int qa_post_best(const char *context, size_t context_len, const QaPostWindow *w, size_t nwin,
                 const QaPostOpts *opts, QaPostAnswer *ans, XsErr *err) {
    int n_best = opts && opts->n_best > 0 ? opts->n_best : 20;
    int max_len = opts && opts->max_answer_length > 0 ? opts->max_answer_length : 30;
    memset(ans, 0, sizeof *ans);
    size_t maxlen = 0;
    for (size_t f = 0; f < nwin; f++) maxlen = w[f].len > maxlen ? w[f].len : maxlen;
    for (size_t f = 0; f < nwin; f++)
        for (size_t t = 0; t < w[f].len; t++) {
            if (isnan(w[f].start_logits[t]) || isnan(w[f].end_logits[t]))
                return err_set(err, NULL, 0, "window %zu token %zu: expected finite logits, found NaN", f, t);
            int32_t b = w[f].off_begin[t], e = w[f].off_end[t];
            if (b >= 0 && (e < 0 || (size_t)b > context_len || (size_t)e > context_len))
                return err_set(err, NULL, 0, "window %zu token %zu: expected offsets within the %zu-byte context, found [%d, %d)",
                               f, t, context_len, b, e);
        }
    ValIdx *scratch = xmalloc((maxlen ? maxlen : 1) * sizeof *scratch);
    int32_t *ts = xmalloc((size_t)n_best * sizeof *ts), *te = xmalloc((size_t)n_best * sizeof *te);
    size_t ncand = 0;
    for (size_t f = 0; f < nwin; f++) {
        const QaPostWindow *q = &w[f];
        int ms, me;
        top_n(q->start_logits, q->len, n_best, scratch, ts, &ms);
        top_n(q->end_logits, q->len, n_best, scratch, te, &me);
        for (int a = 0; a < ms; a++) {
            int32_t s = ts[a];
            if (q->off_begin[s] < 0) continue;
            if (q->max_context && !q->max_context[s]) continue;
            for (int b = 0; b < me; b++) {
                int32_t e = te[b];
                if (q->off_begin[e] < 0) continue;
                if (e < s || e - s + 1 > max_len) continue;
                float score = q->start_logits[s] + q->end_logits[e];
                /* sorted(..., reverse=True) is stable: on equal scores the first candidate stays first. */
                if (ncand == 0 || score > ans->score) {
                    ans->score = score;
                    ans->window = f;
                    ans->start = (size_t)s;
                    ans->end = (size_t)e;
                    ans->byte_begin = q->off_begin[s];
                    ans->byte_end = q->off_end[e];
                }
                ncand++;
            }
        }
    }
    free(scratch);
    free(ts);
    free(te);
    size_t tl = ans->byte_end > ans->byte_begin ? (size_t)(ans->byte_end - ans->byte_begin) : 0;
    if (ncand == 0 || (ncand == 1 && tl == 0)) {
        /* HF: "In the very rare edge case we have not a single non-null prediction, we create a fake
         * prediction to avoid failure" — its text is "empty". */
        ans->text = xstrdup("empty");
        ans->found = 0;
        return 0;
    }
    ans->text = xstrndup(context + ans->byte_begin, tl);
    ans->found = 1;
    return 0;
}

void qa_answer_free(QaPostAnswer *a) {
    free(a->text);
    a->text = NULL;
}
