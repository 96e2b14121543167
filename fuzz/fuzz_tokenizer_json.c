/* fuzz_tokenizer_json — tokenizer_open on a WordPiece model folder whose tokenizer_config.json,
 * tokenizer.json or config.json (mode byte) holds the input: tokenizer_class, do_lower_case and
 * tokenizer.json's normalizer are read from them. The folder's vocab.txt is fixed and valid, so
 * a folder that opens also encodes a text. */
#include "fuzz.h"
#include "tok/tokenizer.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char VOCAB[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\nworld\n!\n";
static const char *const FILES[] = {"tokenizer_config.json", "tokenizer.json", "config.json"};
static const char TEXT[] = "Hellos World!";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char dir[1100];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/model", fz_dir());
        mkdir(dir, 0700);
        fz_write(0, "model/vocab.txt", VOCAB, sizeof VOCAB - 1);
    }
    unsigned mode = fz_mode(&data, &size, 3);
    for (int i = 0; i < 3; i++) {
        char nm[64];
        snprintf(nm, sizeof nm, "model/%s", FILES[i]);
        if ((unsigned)i == mode) fz_write(1, nm, data, size);
        else fz_unlink(nm);
    }
    XsErr err = {0};
    Tokenizer *t = tokenizer_open(dir, &err);
    if (!t) return 0;
    Encoding e;
    encoding_init(&e);
    XsErr e2 = {0};
    (void)tokenizer_encode(t, TEXT, strlen(TEXT), NULL, 0, 16, &e, &e2);
    encoding_free(&e);
    tokenizer_free(t);
    return 0;
}
