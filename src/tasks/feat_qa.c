/* feat_qa.c — span-QA examples → one row per sliding window (tok/windows.h) with the answer's start/end
 * token (HF run_qa.py prepare_train_features), 0 (<s>/[CLS]) when outside the window or unanswerable. */
#include "tasks/featurize.h"
#include "data/labels.h"
#include "tok/windows.h"
#include <string.h>
#include <utf8proc.h>

/* Bytes of leading Python whitespace (str.lstrip()). */
static size_t py_lstrip_len(const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
        if (k <= 0 || !pystr_isspace((uint32_t)c)) break;
        i += (size_t)k;
    }
    return i;
}

/* Answer tokens in window w for the byte span [a0, a1): run_qa.py's walk over offset_mapping, kept
 * inside the context (HF's walk runs on into </s> and padding when the answer starts on the window's
 * last context token; here the start stays on that token). */
static void answer_tokens(const QaWindow *w, size_t a0, size_t a1, int32_t *sp, int32_t *ep) {
    *sp = *ep = 0;
    if (w->ctx_len <= 0) return;
    const int first = w->ctx_begin, last = w->ctx_begin + w->ctx_len - 1;
    const int32_t *s = w->enc.start, *e = w->enc.end;
    if (!((size_t)s[first] <= a0 && (size_t)e[last] >= a1)) return;
    int i = first;
    while (i <= last && (size_t)s[i] <= a0) i++;
    int j = last;
    while (j >= first && (size_t)e[j] >= a1) j--;
    *sp = i - 1;
    *ep = j + 1;
}

int feat_qa(FeatRows *r, const Tokenizer *t, const QaExample *ex, int64_t example, const FeatQaOpts *opts,
            XsErr *err) {
    CHECK(r->kind == FEAT_QA, "feat_qa on rows of kind %d", (int)r->kind);
    const int stride = opts && opts->stride > 0 ? opts->stride : FEAT_QA_STRIDE;
    const int max_query = !opts || opts->max_query == 0 ? FEAT_QA_MAX_QUERY : opts->max_query;
    size_t qn = strlen(ex->question), q0 = py_lstrip_len(ex->question, qn);
    QaWindow *w;
    int nwin;
    if (qa_windows(t, ex->question + q0, qn - q0, ex->context, strlen(ex->context), r->max_len, stride, max_query, &w,
                   &nwin, err))
        return err_prefix(err, "question %s: ", ex->id);
    const size_t L = (size_t)r->max_len;
    for (int k = 0; k < nwin; k++) {
        const Encoding *e = &w[k].enc;
        CHECK(e->n <= r->max_len, "window of %d tokens", e->n);
        size_t i = feat_rows_add(r), o = i * L;
        for (int p = 0; p < e->n; p++) {
            r->ids[o + (size_t)p] = e->ids[p];
            r->mask[o + (size_t)p] = 1;
            r->type_ids[o + (size_t)p] = e->type_ids[p];
            r->max_ctx[o + (size_t)p] = w[k].max_ctx[p];
            int in_ctx = p >= w[k].ctx_begin && p < w[k].ctx_begin + w[k].ctx_len;
            r->off_begin[o + (size_t)p] = in_ctx ? e->start[p] : -1;
            r->off_end[o + (size_t)p] = in_ctx ? e->end[p] : -1;
        }
        if (!ex->is_impossible && ex->nanswers > 0)
            answer_tokens(&w[k], ex->answers[0].byte_start, ex->answers[0].byte_end, &r->start_pos[i], &r->end_pos[i]);
        r->info[i].example = example;
        r->info[i].window = k;
        r->info[i].nwin = nwin;
        r->info[i].len = e->n;
    }
    qa_windows_free(w, nwin);
    return 0;
}

int feat_qas(FeatRows *r, const Tokenizer *t, const QaSet *s, const FeatQaOpts *opts, XsErr *err) {
    for (size_t i = 0; i < s->n; i++)
        if (feat_qa(r, t, &s->v[i], (int64_t)i, opts, err)) return -1;
    return 0;
}
