/* fuzz_pairs — pairs_read for every sentence-pair layout (MNLI/QQP/XNLI/PAWS-X TSV, MNLI/ANLI/SNLI
 * JSONL, XTREME's csv.writer TSV). Mode byte: format, skip_bad_rows, unlabeled, lang. */
#include "fuzz.h"
#include "data/pairs.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned mode = fz_mode(&data, &size, PAIR_NFORMATS * 8);
    const char *p = fz_write(0, "pairs.txt", data, size);
    PairReadOpts o = {.skip_bad_rows = (mode / PAIR_NFORMATS) & 1, .unlabeled = (mode / PAIR_NFORMATS / 2) & 1,
                      .lang = (mode / PAIR_NFORMATS / 4) & 1 ? "de" : NULL};
    PairSet s;
    memset(&s, 0, sizeof s);
    XsErr err = {0};
    (void)pairs_read(p, (PairFormat)(mode % PAIR_NFORMATS), &o, &s, &err);
    pairs_free(&s);
    return 0;
}
