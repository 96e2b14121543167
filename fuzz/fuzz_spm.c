/* fuzz_spm — spm_load_buffer (the SentencePiece ModelProto: protobuf wire format, pieces, trainer
 * and normalizer specs, the precompiled charsmap) and, when it loads, spm_encode of a fixed
 * multilingual text. */
#include "fuzz.h"
#include "tok/spm.h"
#include "tok/tokenizer.h"
#include <string.h>

static const char TEXT[] = "Hello wörld! ﬁ Ｈｅｌｌｏ 你好 \xe2\x96\x81x  tab\tend \xf0\x9f\x98\x80";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    XsErr err = {0};
    SpmModel *m = spm_load_buffer(data, size, "fuzz.model", &err);
    if (!m) return 0;
    Encoding e;
    encoding_init(&e);
    XsErr e2 = {0};
    (void)spm_encode(m, TEXT, strlen(TEXT), &e, &e2);
    encoding_free(&e);
    spm_free(m);
    return 0;
}
