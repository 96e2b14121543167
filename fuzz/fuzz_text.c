/* fuzz_text — text_read: plain text lines for masked-LM training (UTF-8 checked, BOM, CRLF,
 * blank lines). Mode byte: skip_bad_rows. */
#include "fuzz.h"
#include "data/text.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned mode = fz_mode(&data, &size, 2);
    const char *p = fz_write(0, "text.txt", data, size);
    TextReadOpts o = {.skip_bad_rows = (int)mode};
    TextLines t;
    memset(&t, 0, sizeof t);
    XsErr err = {0};
    (void)text_read(p, &o, &t, &err);
    text_lines_free(&t);
    return 0;
}
