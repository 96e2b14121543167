/* fuzz_wordpiece — wp_load (a WordPiece vocab.txt: one token a line) and, when it loads,
 * wp_encode of a fixed text. Mode byte bit 0: do_lower_case. */
#include "fuzz.h"
#include "tok/tokenizer.h"
#include "tok/wordpiece.h"
#include <string.h>

static const char TEXT[] = "Hello, WÖRLD! unaffable [CLS] 你好 x##y  \xe2\x80\x8b end";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned mode = fz_mode(&data, &size, 2);
    const char *p = fz_write(0, "vocab.txt", data, size);
    XsErr err = {0};
    WordPiece *wp = wp_load(p, (int)mode, &err);
    if (!wp) return 0;
    Encoding e;
    encoding_init(&e);
    XsErr e2 = {0};
    (void)wp_encode(wp, TEXT, strlen(TEXT), &e, &e2);
    encoding_free(&e);
    wp_free(wp);
    return 0;
}
