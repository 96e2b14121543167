/* fuzz_squad — the SQuAD-format JSON readers (mode byte): qa_read (training/evaluation examples,
 * answer spans checked against the context), squad_gold_read (gold for scoring), qa_preds_read
 * (predictions), qa_probs_read (SQuAD v2.0 na_prob file). */
#include "fuzz.h"
#include "data/squad_examples.h"
#include "data/squad_json.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned mode = fz_mode(&data, &size, 5);
    const char *p = fz_write(0, "squad.json", data, size);
    XsErr err = {0};
    switch (mode) {
    case 0:
    case 1: {
        QaSet s;
        memset(&s, 0, sizeof s);
        QaReadOpts o = {.skip_bad_rows = (int)mode};
        (void)qa_read(p, &o, &s, &err);
        qa_set_free(&s);
        break;
    }
    case 2: {
        SquadGold g;
        memset(&g, 0, sizeof g);
        if (!squad_gold_read(p, &g, &err)) squad_gold_free(&g);
        break;
    }
    case 3: {
        QaPreds q;
        memset(&q, 0, sizeof q);
        if (!qa_preds_read(p, &q, &err)) {
            if (q.n) (void)qa_preds_find(&q, q.ids[q.n - 1]);
            qa_preds_free(&q);
        }
        break;
    }
    default: {
        QaProbs q;
        memset(&q, 0, sizeof q);
        if (!qa_probs_read(p, &q, &err)) {
            if (q.n) (void)qa_probs_find(&q, q.ids[0]);
            qa_probs_free(&q);
        }
        break;
    }
    }
    return 0;
}
