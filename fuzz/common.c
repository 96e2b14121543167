/* common.c — the temporary-file plumbing of fuzz.h. */
#include "fuzz.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir_[512];
static char paths_[8][1024];

static void cleanup(void) {
    if (!dir_[0]) return;
    DIR *d = opendir(dir_);
    if (d) {
        struct dirent *e;
        char p[1200];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(p, sizeof p, "%s/%s", dir_, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir_);
}

const char *fz_dir(void) {
    if (dir_[0]) return dir_;
    struct stat sb;
    const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : NULL;
    if (!base) base = getenv("TMPDIR");
    if (!base) base = "/tmp";
    snprintf(dir_, sizeof dir_, "%s/xstilts-fuzz.XXXXXX", base);
    if (!mkdtemp(dir_)) { perror("mkdtemp"); abort(); }
    atexit(cleanup);
    return dir_;
}

const char *fz_path(int slot, const char *name) {
    snprintf(paths_[slot & 7], sizeof paths_[0], "%s/%s", fz_dir(), name);
    return paths_[slot & 7];
}

const char *fz_write(int slot, const char *name, const void *data, size_t size) {
    const char *p = fz_path(slot, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror(p); abort(); }
    const char *c = data;
    while (size > 0) {
        ssize_t w = write(fd, c, size);
        if (w <= 0) { perror(p); abort(); }
        c += w;
        size -= (size_t)w;
    }
    close(fd);
    return p;
}

void fz_unlink(const char *name) {
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", fz_dir(), name);
    unlink(p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    setenv("XSTILTS_LOG", "quiet", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
    fz_dir();
    return 0;
}
