/* windows.h — SQuAD-style QA featurization: question + context split into overlapping windows as HF's
 * run_qa.py does with a fast tokenizer (truncation="only_second", stride = OVERLAP in tokens), plus the
 * max-context flags of the old run_squad.py. Answer-position mapping and scoring are left to the QA task. */
#ifndef XS_WINDOWS_H
#define XS_WINDOWS_H
#include "tok/tokenizer.h"

typedef struct QaWindow {
    Encoding enc;     /* BERT [CLS] Q [SEP] C [SEP] (types 0.. / 1..), XLM-R <s> Q </s></s> C </s> (all 0);
                       * question tokens: seg 0, offsets into the question; context tokens: seg 1,
                       * offsets into the context; specials: -1, -1 */
    int ctx_begin;    /* index in enc of the first context token */
    int ctx_len;      /* number of context tokens in this window */
    int ctx_tok0;     /* index of the first one in the full context tokenization */
    uint8_t *max_ctx; /* [enc.n] 1 for a context token whose max-context window this is
                       * (run_squad.py _check_is_max_context), else 0 */
} QaWindow;

/* Windows of max_len tokens; consecutive windows share `stride` context tokens (HF's stride); the
 * question is cut to its first max_query tokens (XTREME's max_query_length; <= 0: no cut). A context
 * that fits gives one window; an empty context gives one window with no context tokens. Returns 0
 * with *out (nwin entries, free with qa_windows_free), or -1 + err: invalid UTF-8, or no room for
 * stride + 1 context tokens next to the question. */
int qa_windows(const Tokenizer *t, const char *question, size_t qlen, const char *context, size_t clen, int max_len,
               int stride, int max_query, QaWindow **out, int *nwin, XsErr *err);
void qa_windows_free(QaWindow *w, int n);

#endif
