/* stage.c — fresh folders written whole (stage.h). Files inside are written atomically by their
 * writers; this adds the all-or-nothing rename of the folder. */
#include "core/stage.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int stage_dir_nonempty(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) { n = 1; break; }
    closedir(d);
    return n;
}

int stage_begin(const char *out, char *target, size_t cap, XsErr *err) {
    struct stat sb;
    if (stat(out, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) return err_set(err, out, 0, "exists and is not a folder");
        int ne = stage_dir_nonempty(out);
        if (ne < 0) return err_set(err, out, 0, "cannot read folder: %s", strerror(errno));
        if (ne) return err_set(err, out, 0, "exists and is not empty (remove it first)");
    }
    if ((size_t)snprintf(target, cap, "%s.tmp.%ld", out, (long)getpid()) >= cap)
        return err_set(err, out, 0, "folder path too long");
    if (mkdir(target, 0777) != 0) {
        if (errno == ENOENT) return err_set(err, out, 0, "cannot create the folder: its parent folder does not exist");
        return err_set(err, out, 0, "cannot create the folder: %s", strerror(errno));
    }
    return 0;
}

int stage_commit(const char *target, const char *out, XsErr *err) {
    struct stat sb;
    if (stat(out, &sb) == 0 && rmdir(out) != 0) return err_set(err, out, 0, "cannot replace the empty folder: %s", strerror(errno));
    if (rename(target, out) != 0) return err_set(err, out, 0, "cannot rename %s into place: %s", target, strerror(errno));
    return 0;
}

void stage_abort(const char *target) {
    DIR *d = opendir(target);
    if (d) {
        struct dirent *e;
        char p[4200];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", target, e->d_name);
                remove(p);
            }
        closedir(d);
    }
    rmdir(target);
}
