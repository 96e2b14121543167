/* fuzz_checkpoint — checkpoint_read_state on a checkpoint folder whose xstilts.json is the input.
 * The file is sealed by a sha256 of its canonical form and lists the size and sha256 of every file,
 * which random bytes never match; so the mode byte picks how far the harness helps:
 *   0: the input as is (JSON syntax, format, version, the seal check);
 *   1: the input re-sealed (the "files" table checked against the folder's two files);
 *   2: format, version and "files" set right, then re-sealed (the state fields: parse_state).
 * The re-seal below is the canonical form checkpoint.c documents (compact, sorted keys, 17
 * significant digits, without "sha256"); if the two ever differ, modes 1 and 2 stop at the seal
 * and the coverage figures in docs/RELIABILITY.md drop, which is how it would be noticed. */
#include "fuzz.h"
#include "core/sha256.h"
#include "train/checkpoint.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEAL_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17))

static const char MODEL[] = "not really safetensors: only its size and hash are checked here";
static const char OPT[] = "nor this";

static void seal(json_t *root) {
    json_object_del(root, "sha256");
    char *s = json_dumps(root, SEAL_FLAGS);
    if (!s) return;
    char hex[65];
    sha256_hex(s, strlen(s), hex);
    free(s);
    json_object_set_new(root, "sha256", json_string(hex));
}

static json_t *file_entry(const char *content, size_t n) {
    char hex[65];
    sha256_hex(content, n, hex);
    json_t *f = json_object();
    json_object_set_new(f, "bytes", json_integer((json_int_t)n));
    json_object_set_new(f, "sha256", json_string(hex));
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char dir[1100];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/checkpoint-00000001", fz_dir());
        mkdir(dir, 0700);
        fz_write(0, "checkpoint-00000001/model.safetensors", MODEL, sizeof MODEL - 1);
        fz_write(0, "checkpoint-00000001/optimizer.safetensors", OPT, sizeof OPT - 1);
    }
    unsigned mode = fz_mode(&data, &size, 3);
    const char *name = "checkpoint-00000001/xstilts.json";
    if (mode == 0) {
        fz_write(1, name, data, size);
    } else {
        json_error_t je;
        json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
        if (!root) return 0;
        if (!json_is_object(root)) { json_decref(root); return 0; }
        if (mode == 2) {
            json_object_set_new(root, "format", json_string(XS_CKPT_FORMAT));
            json_object_set_new(root, "version", json_integer(XS_CKPT_VERSION));
            json_t *files = json_object();
            json_object_set_new(files, "model.safetensors", file_entry(MODEL, sizeof MODEL - 1));
            json_object_set_new(files, "optimizer.safetensors", file_entry(OPT, sizeof OPT - 1));
            json_object_set_new(root, "files", files);
        }
        seal(root);
        char *s = json_dumps(root, JSON_INDENT(1));
        json_decref(root);
        if (!s) return 0;
        size_t n = strlen(s);
        s[n] = '\n'; /* checkpoint_save ends the file with a newline (json_dumps left room for the NUL) */
        fz_write(1, name, s, n + 1);
        free(s);
    }
    TrainState st;
    XsErr err = {0};
    (void)checkpoint_read_state(dir, &st, &err);
    return 0;
}
