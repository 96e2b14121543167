/* fuzz_choices — choices_read for the multiple-choice layouts (HellaSwag JSONL, Cosmos QA CSV and
 * JSONL, CommonsenseQA JSONL in both layouts). Mode byte: format, skip_bad_rows, unlabeled. */
#include "fuzz.h"
#include "data/choices.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned mode = fz_mode(&data, &size, CHOICE_NFORMATS * 4);
    const char *p = fz_write(0, "choices.txt", data, size);
    ChoiceReadOpts o = {.skip_bad_rows = (mode / CHOICE_NFORMATS) & 1, .unlabeled = (mode / CHOICE_NFORMATS / 2) & 1};
    ChoiceSet s;
    memset(&s, 0, sizeof s);
    XsErr err = {0};
    (void)choices_read(p, (ChoiceFormat)(mode % CHOICE_NFORMATS), &o, &s, &err);
    choices_free(&s);
    return 0;
}
