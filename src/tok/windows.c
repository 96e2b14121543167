/* windows.c — QA sliding windows: the context is tokenized once, then cut into spans of the room left
 * by the question and specials, stepping by room - stride (tokenizers Encoding::truncate with a stride,
 * as run_qa.py's prepare_train/validation_features get from tokenizer(..., return_overflowing_tokens)).
 * Max-context flags mirror run_squad.py's _check_is_max_context. Answers are the QA task's business. */
#include "tok/windows.h"
#include "core/mem.h"
#include "tok/encoding.h"
#include <stdlib.h>
#include <string.h>

void qa_windows_free(QaWindow *w, int n) {
    if (!w) return;
    for (int i = 0; i < n; i++) {
        encoding_free(&w[i].enc);
        free(w[i].max_ctx);
    }
    free(w);
}

/* run_squad.py _check_is_max_context: among the windows holding context token `pos`, the best is the
 * one maximising min(left, right) + 0.01 * length; the first such window wins ties. */
static int best_window(const QaWindow *w, int n, int pos) {
    int best = -1;
    double best_score = 0;
    for (int i = 0; i < n; i++) {
        int s = w[i].ctx_tok0, e = s + w[i].ctx_len - 1;
        if (pos < s || pos > e) continue;
        int left = pos - s, right = e - pos;
        double score = (left < right ? left : right) + 0.01 * w[i].ctx_len;
        if (best < 0 || score > best_score) {
            best = i;
            best_score = score;
        }
    }
    return best;
}

int qa_windows(const Tokenizer *t, const char *question, size_t qlen, const char *context, size_t clen, int max_len,
               int stride, int max_query, QaWindow **out, int *nwin, XsErr *err) {
    *out = NULL;
    *nwin = 0;
    Encoding q, c;
    encoding_init(&q);
    encoding_init(&c);
    int rc = -1;
    QaWindow *w = NULL;
    int n = 0;
    if (tokenizer_encode_raw(t, question, qlen, &q, err)) { err_prefix(err, "question: "); goto done; }
    if (tokenizer_encode_raw(t, context, clen, &c, err)) { err_prefix(err, "context: "); goto done; }
    if (max_query > 0 && q.n > max_query) q.n = max_query;
    const int spm = tokenizer_kind(t) == TOK_SPM;
    const int nspecial = spm ? 4 : 3;
    const int room = max_len - nspecial - q.n;
    if (stride < 0 || room <= 0 || (c.n > room && stride >= room)) {
        err_set(err, NULL, 0,
                "expected room for more than stride=%d context tokens, found %d (max_len %d, question %d tokens, %d specials)",
                stride, room, max_len, q.n, nspecial);
        goto done;
    }
    /* Window starts 0, step, 2 step, ... until one reaches the end (Encoding::truncate, Right). */
    const int step = room - stride;
    int count = 1;
    if (c.n > room) count = 1 + (c.n - room + step - 1) / step;
    w = xcalloc((size_t)count, sizeof *w);
    const int cls = tokenizer_cls_id(t), sep = tokenizer_sep_id(t);
    const int32_t tb = spm ? 0 : 1;
    for (n = 0; n < count; n++) {
        QaWindow *x = &w[n];
        int s = n * step, e = s + room < c.n ? s + room : c.n;
        encoding_init(&x->enc);
        encoding_reserve(&x->enc, nspecial + q.n + (e - s));
        encoding_push(&x->enc, cls, 0, -1, -1, 0);
        encoding_append_range(&x->enc, &q, 0, q.n, 0, 0);
        encoding_push(&x->enc, sep, 0, -1, -1, 0);
        if (spm) encoding_push(&x->enc, sep, 0, -1, -1, 1);
        x->ctx_begin = x->enc.n;
        x->ctx_tok0 = s;
        x->ctx_len = e - s;
        encoding_append_range(&x->enc, &c, s, e, tb, 1);
        encoding_push(&x->enc, sep, tb, -1, -1, 1);
    }
    for (int i = 0; i < n; i++) {
        QaWindow *x = &w[i];
        x->max_ctx = xcalloc((size_t)x->enc.n, 1);
        for (int k = 0; k < x->ctx_len; k++) x->max_ctx[x->ctx_begin + k] = best_window(w, n, x->ctx_tok0 + k) == i;
    }
    *out = w;
    *nwin = n;
    w = NULL;
    rc = 0;
done:
    qa_windows_free(w, n);
    encoding_free(&q);
    encoding_free(&c);
    return rc;
}
