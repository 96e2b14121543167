/* seal.c — sealed JSON files, file manifests and checksummed lines (seal.h). */
#include "core/seal.h"
#include "core/sha256.h"
#include "core/util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEAL_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17))

void json_seal_of(const json_t *root, char hex[65]) {
    json_t *c = json_copy((json_t *)root);
    json_object_del(c, SEAL_KEY);
    char *s = json_dumps(c, SEAL_FLAGS);
    CHECK(s, "json_dumps failed");
    sha256_hex(s, strlen(s), hex);
    free(s);
    json_decref(c);
}

int json_write_sealed(const char *path, json_t *root, XsErr *err) {
    CHECK(json_is_object(root), "json_write_sealed: not an object");
    char hex[65];
    json_seal_of(root, hex);
    json_object_set_new(root, SEAL_KEY, json_string(hex));
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    CHECK(s, "json_dumps failed");
    size_t n = strlen(s);
    s[n] = '\n'; /* json_dumps leaves room for the NUL: the file ends with a newline instead */
    int rc = file_write_atomic(path, s, n + 1, err);
    free(s);
    return rc;
}

json_t *json_loadb_sealed(const char *text, size_t len, const char *path, XsErr *err) {
    /* written with a final newline: without it the file was cut short, even when what is left still parses */
    if (len == 0 || text[len - 1] != '\n') {
        err_set(err, path, 0, "truncated (%zu bytes, not ending with the newline it was written with): the file is corrupt", len);
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        err_set(err, path, je.line, "column %d: invalid JSON (%s): the file is corrupt", je.column, je.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        err_set(err, path, 0, "expected a JSON object: the file is corrupt");
        return NULL;
    }
    json_t *s = json_object_get(root, SEAL_KEY);
    char hex[65];
    json_seal_of(root, hex);
    if (!json_is_string(s) || strcmp(json_string_value(s), hex)) {
        err_set(err, path, 0, "%s: the file is corrupt (or was edited by hand)",
                s ? "its content does not match its \"" SEAL_KEY "\" seal" : "no \"" SEAL_KEY "\" seal");
        json_decref(root);
        return NULL;
    }
    return root;
}

json_t *json_load_sealed(const char *path, XsErr *err) {
    size_t len;
    char *text = file_read_all(path, &len, err);
    if (!text) return NULL;
    json_t *r = json_loadb_sealed(text, len, path, err);
    free(text);
    return r;
}

json_t *seal_files(const char *dir, const char *const *names, int n, XsErr *err) {
    json_t *files = json_object();
    for (int i = 0; i < n; i++) {
        char path[4400], hex[65];
        uint64_t size;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (sha256_file(path, hex, &size, err)) { json_decref(files); return NULL; }
        json_object_set_new(files, names[i], json_pack("{s:I, s:s}", "bytes", (json_int_t)size, "sha256", hex));
    }
    return files;
}

int seal_verify_files(const char *dir, const char *manifest, const json_t *files, XsErr *err) {
    if (!json_is_object(files)) return err_set(err, manifest, 0, "field \"files\": expected an object {name: {bytes, sha256}}");
    const char *name;
    json_t *f;
    json_object_foreach((json_t *)files, name, f) {
        json_t *b = json_object_get(f, "bytes"), *h = json_object_get(f, "sha256");
        if (!*name || strchr(name, '/') || !strcmp(name, "..") || !strcmp(name, ".") || !json_is_integer(b) ||
            !json_is_string(h))
            return err_set(err, manifest, 0, "field \"files.%s\": expected a plain file name with \"bytes\" and \"sha256\"", name);
        char path[4400], hex[65];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        struct stat sb;
        if (stat(path, &sb) != 0) return err_set(err, path, 0, "missing (listed in %s)", manifest);
        if ((json_int_t)sb.st_size != json_integer_value(b))
            return err_set(err, path, 0, "%lld bytes, %s says %lld: the file is truncated or was replaced",
                           (long long)sb.st_size, manifest, (long long)json_integer_value(b));
        uint64_t size;
        if (sha256_file(path, hex, &size, err)) return -1;
        if (strcmp(hex, json_string_value(h)))
            return err_set(err, path, 0, "sha256 %s differs from the %s recorded in %s: the file is corrupt", hex,
                           json_string_value(h), manifest);
    }
    return 0;
}

size_t seal_line(char *line, size_t len) {
    char hex[65];
    sha256_hex(line, len, hex);
    line[len] = '\t';
    memcpy(line + len + 1, hex, SEAL_LINE_HEX);
    line[len + 1 + SEAL_LINE_HEX] = 0;
    return len + 1 + SEAL_LINE_HEX;
}

int seal_line_check(const char *line, size_t len, size_t *body) {
    if (len < SEAL_LINE_HEX + 1 || line[len - SEAL_LINE_HEX - 1] != '\t') return -1;
    size_t n = len - SEAL_LINE_HEX - 1;
    char hex[65];
    sha256_hex(line, n, hex);
    if (memcmp(hex, line + n + 1, SEAL_LINE_HEX)) return -1;
    *body = n;
    return 0;
}
