/* fuzz_labels — the label and tag files of scoring and retrieval (mode byte): labels_read_lines
 * (+ labels_pair_set, BUCC pairs), labels_read_xnli_tsv, labels_read_pawsx_tsv, tags_read,
 * tagset_read_json (jiant tags_to_id.json), bucc_read_gold, bucc_read_side. */
#include "fuzz.h"
#include "data/labels.h"
#include "data/tagging.h"
#include "eval/retrieval.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned mode = fz_mode(&data, &size, 8);
    const char *p = fz_write(0, "labels.txt", data, size);
    XsErr err = {0};
    LabelList l;
    memset(&l, 0, sizeof l);
    switch (mode) {
    case 0:
        if (!labels_read_lines(p, &l, &err)) {
            size_t n = 0;
            XsErr e2 = {0};
            char **set = labels_pair_set(&l, p, &n, &e2);
            free(set);
            labels_free(&l);
        }
        break;
    case 1:
        if (!labels_read_xnli_tsv(p, "de", &l, &err)) labels_free(&l);
        break;
    case 2:
        if (!labels_read_pawsx_tsv(p, &l, &err)) labels_free(&l);
        break;
    case 3: {
        TagFile t;
        memset(&t, 0, sizeof t);
        if (!tags_read(p, &t, &err)) tags_free(&t);
        break;
    }
    case 4:
    case 5: {
        TagSet s; /* tagset_read_json initializes it, and frees it on error */
        if (!tagset_read_json(p, &s, &err)) {
            if (s.n && tagset_find(&s, s.names[s.n - 1]) != (int)s.n - 1) abort();
            tagset_free(&s);
        }
        break;
    }
    case 6: {
        BuccGold g;
        memset(&g, 0, sizeof g);
        if (!bucc_read_gold(p, &g, &err)) bucc_gold_free(&g);
        break;
    }
    default: {
        BuccSide s;
        memset(&s, 0, sizeof s);
        if (!bucc_read_side(p, &s, &err)) bucc_side_free(&s);
        break;
    }
    }
    return 0;
}
