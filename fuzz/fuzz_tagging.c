/* fuzz_tagging — tagging_read for the word-tagging layouts (CoNLL-U with multi-word tokens, empty
 * nodes and XTREME's head-word choice; token<TAB>tag columns; PAN-X; GermEval; jiant CCG), then the
 * tag set built from what was read. Mode byte: format and the reader's flags. */
#include "fuzz.h"
#include "data/tagging.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned mode = fz_mode(&data, &size, TAGF_NFORMATS * 32);
    const char *p = fz_write(0, "tags.txt", data, size);
    unsigned f = mode / TAGF_NFORMATS;
    TagReadOpts o = {.skip_bad_rows = f & 1, .untagged = (f >> 1) & 1, .nested = (f >> 2) & 1,
                     .conllu_words = (f >> 3) & 1, .lang = (f >> 4) & 1 ? "fr" : NULL};
    TagCorpus c;
    memset(&c, 0, sizeof c);
    XsErr err = {0};
    if (tagging_read(p, (TagFormat)(mode % TAGF_NFORMATS), &o, &c, &err) >= 0 && !o.untagged) {
        TagSet s;
        tagset_init(&s);
        tagset_add_corpus(&s, &c);
        tagset_sort(&s);
        for (size_t i = 0; i < c.n; i++) {
            int *ids = malloc((c.v[i].n + 1) * sizeof *ids);
            (void)tagset_map(&s, &c.v[i], ids);
            free(ids);
        }
        tagset_free(&s);
    }
    tag_corpus_free(&c);
    return 0;
}
