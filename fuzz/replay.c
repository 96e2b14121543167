/* replay.c — main() for the replay build of a fuzz target (no libFuzzer): runs
 * LLVMFuzzerTestOneInput once on every file given, or on every file of every folder given (one
 * level). `make check` builds these with the project's compiler and runs them on the committed
 * corpora and crash inputs (tests/cli_fuzz_replay.sh); under `make asan` with ASan+UBSan. */
#include "fuzz.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static long n_run;

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return -1; }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { perror(path); free(buf); return -1; }
    /* an exact-size copy, so ASan sees a read past the input's end */
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    n_run++;
    return 0;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) { perror(argv[i]); return 1; }
        if (!S_ISDIR(sb.st_mode)) {
            if (run_file(argv[i])) return 1;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) { perror(argv[i]); return 1; }
        char **names = NULL;
        size_t nn = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            names = realloc(names, (nn + 1) * sizeof *names);
            names[nn++] = strdup(e->d_name);
        }
        closedir(d);
        if (nn > 1) qsort(names, nn, sizeof *names, cmp); /* names is NULL for an empty folder */
        for (size_t k = 0; k < nn; k++) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", argv[i], names[k]);
            if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && run_file(p)) return 1;
            free(names[k]);
        }
        free(names);
    }
    printf("%s: %ld inputs replayed\n", argv[0], n_run);
    return 0;
}
