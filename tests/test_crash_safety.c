/* test_crash_safety.c — a full disk while saving state (issue 12): checkpoint_save, a staged model
 * folder (stage_begin + model_save + stage_commit, as init/convert write them), json_write_atomic,
 * file_write_atomic, npy_write_f32 and st_write_f32 each fail with an error naming what they wrote and
 * why, leave no temporary file or staging folder behind, and leave the previous checkpoint or file
 * intact and loadable.
 *
 * Two ways to fill the disk, both in a child process so that the test runner is untouched:
 *  - RLIMIT_FSIZE with SIGXFSZ ignored: a write past the limit fails with EFBIG ("File too large");
 *    limits chosen so that the save fails at each of its files in turn;
 *  - a small tmpfs mounted in a private mount namespace (unshare(CLONE_NEWNS); needs root or
 *    CAP_SYS_ADMIN, else that test is skipped and says why): ENOSPC ("No space left on device"), with
 *    the space left running out at a sweep of points through the save, and writes over an existing
 *    file on a disk that is full to the last byte. */
#include "testutil.h"
#include "core/sha256.h"
#include "core/stage.h"
#include "core/util.h"
#include "model/safetensors.h"
#include "train/checkpoint.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <omp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *g_dir;

static int setup(void **state) { (void)state; g_dir = tu_tmpdir(); return g_dir ? 0 : -1; }
static int teardown(void **state) { (void)state; tu_rmtree(g_dir); free(g_dir); return 0; }

static void make_model(Model *m) {
    ModelConfig c;
    assert_int_equal(config_preset(&c, ARCH_XLMR, "tiny", 100), 0);
    c.hidden_size = 32;
    c.intermediate_size = 64;
    model_init(m, &c, 1);
    model_alloc_params(m);
    model_init_random(m, 7);
    paramset_alloc_adam(&m->tab);
    for (size_t i = 0; i < m->tab.total; i++) {
        m->tab.adam_m[i] = 1e-3f * (float)(i % 97);
        m->tab.adam_v[i] = 1e-6f * (float)(i % 89);
    }
}

static void make_state(TrainState *st, int64_t step) {
    train_state_defaults(st);
    st->step = step;
    st->micro_batches = step * st->accum;
    st->seed = 11;
    st->sched = schedule_linear(st->warmup_ratio, 1000);
    st->n_tasks = 1;
    strcpy(st->tasks[0].name, "xnli");
    strcpy(st->tasks[0].head, "classifier");
    st->tasks[0].examples = 100;
    XsErr err = {0};
    assert_int_equal(sampler_init(&st->sampler, SAMPLER_UNIFORM, 1, (double[]){100}, 1.0, 0, st->seed, &err), 0);
}

/* No name in dir holds ".tmp." (a staging folder or an atomic writer's temporary file). */
static int no_litter(const char *dir, char *msg, size_t cap) {
    DIR *d = opendir(dir);
    if (!d) { snprintf(msg, cap, "cannot read %s", dir); return -1; }
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) { snprintf(msg, cap, "litter left in %s: %s", dir, e->d_name); rc = -1; break; }
    closedir(d);
    return rc;
}

static int exists(const char *p) { struct stat sb; return stat(p, &sb) == 0; }

/* ---- running a step in a child process ---- */

typedef int (*ChildFn)(void *arg, char *msg, size_t cap); /* 0 ok, 77 skip, else failure (msg says) */

/* Runs fn in a child; with fsize > 0 under RLIMIT_FSIZE = fsize bytes and SIGXFSZ ignored. Returns
 * fn's result (its message in msg), or -2 when the child died. */
static int in_child(ChildFn fn, void *arg, rlim_t fsize, char *msg, size_t cap) {
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        if (fsize > 0) {
            struct rlimit rl = {fsize, fsize};
            signal(SIGXFSZ, SIG_IGN);
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(3);
        }
        char m[2048] = "";
        int rc = fn(arg, m, sizeof m);
        if (write(fd[1], m, strlen(m)) < 0) _exit(4);
        close(fd[1]);
        _exit(rc == 0 || rc == 2 || rc == 77 ? rc : 1);
    }
    close(fd[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd[0], msg + n, cap - 1 - n)) > 0) n += (size_t)r;
    msg[n] = 0;
    close(fd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status)) {
        snprintf(msg + n, cap - n, " (child died: signal %d)", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        return -2;
    }
    return WEXITSTATUS(status);
}

/* ---- RLIMIT_FSIZE ---- */

typedef struct CkArg { const char *dir; int64_t step; } CkArg;

/* checkpoint_save(dir); returns 1 with the error in msg when it failed, 0 when it worked. */
static int child_save_checkpoint(void *arg, char *msg, size_t cap) {
    CkArg *a = arg;
    Model m;
    TrainState st;
    make_model(&m);
    make_state(&st, a->step);
    XsErr err = {0};
    int rc = checkpoint_save(a->dir, &m, &st, NULL, &err);
    model_free(&m);
    snprintf(msg, cap, "%s", rc ? err.msg : "saved");
    return rc ? 1 : 0;
}

static void file_sizes(const char *dir, long *sizes, int *n) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    *n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[1200];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        assert_int_equal(stat(p, &sb), 0);
        sizes[(*n)++] = (long)sb.st_size;
    }
    closedir(d);
}

static void test_checkpoint_fsize(void **state) {
    (void)state;
    char a[700], b[700], msg[2048];
    checkpoint_path(g_dir, 100, a, sizeof a);
    checkpoint_path(g_dir, 200, b, sizeof b);
    Model m;
    TrainState st;
    XsErr err = {0};
    make_model(&m);
    make_state(&st, 100);
    if (checkpoint_save(a, &m, &st, NULL, &err)) fail_msg("%s", err.msg);
    model_free(&m);
    char before[65];
    char ap[800];
    snprintf(ap, sizeof ap, "%s/xstilts.json", a);
    uint64_t n0;
    assert_int_equal(sha256_file(ap, before, &n0, &err), 0);
    long sizes[16];
    int nf;
    file_sizes(a, sizes, &nf);
    /* limits just under each file's size (the save stops at a different file each time), and tiny ones */
    long limits[20] = {1, 100};
    int nl = 2;
    for (int i = 0; i < nf; i++) limits[nl++] = sizes[i] - 1;
    long biggest = 0;
    for (int i = 0; i < nf; i++) biggest = sizes[i] > biggest ? sizes[i] : biggest;
    CkArg arg = {b, 200};
    for (int i = 0; i < nl; i++) {
        if (limits[i] < 1) continue;
        int rc = in_child(child_save_checkpoint, &arg, (rlim_t)limits[i], msg, sizeof msg);
        printf("limit %ld bytes: %s\n", limits[i], msg);
        if (rc != 1) fail_msg("limit %ld: expected a failed save, got %d: %s", limits[i], rc, msg);
        if (!strstr(msg, "File too large") || !strstr(msg, "checkpoint-00000200"))
            fail_msg("limit %ld: the error does not say what and where: %s", limits[i], msg);
        if (exists(b)) fail_msg("limit %ld: %s exists after a failed save", limits[i], b);
        if (no_litter(g_dir, msg, sizeof msg)) fail_msg("limit %ld: %s", limits[i], msg);
        if (checkpoint_verify(a, &err)) fail_msg("limit %ld: the previous checkpoint no longer verifies: %s", limits[i], err.msg);
    }
    /* the same save with room for its biggest file works: the failures above were the limit's */
    assert_int_equal(in_child(child_save_checkpoint, &arg, (rlim_t)biggest + 1, msg, sizeof msg), 0);
    assert_int_equal(checkpoint_verify(b, &err), 0);
    /* and the previous checkpoint is byte-identical and loads */
    char after[65];
    assert_int_equal(sha256_file(ap, after, &n0, &err), 0);
    assert_string_equal(before, after);
    Model r;
    TrainState rs;
    assert_int_equal(model_open(a, &r, &err), 0);
    if (checkpoint_load(a, &r, &rs, &err)) fail_msg("%s", err.msg);
    assert_int_equal(rs.step, 100);
    model_free(&r);
}

/* A staged model folder (what init / convert do): stage_begin, model_save, stage_commit; on error
 * stage_abort. */
static int child_save_model(void *arg, char *msg, size_t cap) {
    const char *out = arg;
    Model m;
    make_model(&m);
    char target[1200];
    XsErr err = {0};
    int rc = stage_begin(out, target, sizeof target, &err);
    if (!rc) {
        rc = model_save(target, &m, &err);
        if (!rc) rc = stage_commit(target, out, &err);
        if (rc) stage_abort(target);
    }
    model_free(&m);
    snprintf(msg, cap, "%s", rc ? err.msg : "saved");
    return rc ? 1 : 0;
}

typedef struct WriteArg { const char *path; int kind; size_t n; } WriteArg;

/* Writes n bytes' worth to path with one of the atomic writers (kind 0 json, 1 raw, 2 npy, 3 safetensors). */
static int do_write(const WriteArg *a, XsErr *err) {
    size_t nf = a->n / 4 + 1;
    float *x = calloc(nf, sizeof *x);
    for (size_t i = 0; i < nf; i++) x[i] = (float)i;
    int rc;
    if (a->kind == 0) {
        json_t *r = json_object(), *arr = json_array();
        for (size_t i = 0; i < a->n / 8; i++) json_array_append_new(arr, json_integer((json_int_t)i));
        json_object_set_new(r, "values", arr);
        rc = json_write_atomic(a->path, r, err);
        json_decref(r);
    } else if (a->kind == 1) {
        rc = file_write_atomic(a->path, x, a->n, err);
    } else if (a->kind == 2) {
        rc = npy_write_f32(a->path, x, nf, 1, err);
    } else {
        int64_t shape[1] = {(int64_t)nf};
        StWriteItem it = {.name = "x", .data = x, .ndim = 1, .shape = {shape[0]}};
        rc = st_write_f32(a->path, &it, 1, err);
    }
    free(x);
    return rc;
}

static int child_write(void *arg, char *msg, size_t cap) {
    XsErr err = {0};
    int rc = do_write(arg, &err);
    snprintf(msg, cap, "%s", rc ? err.msg : "written");
    return rc ? 1 : 0;
}

static void test_model_and_files_fsize(void **state) {
    (void)state;
    char out[700], msg[2048];
    snprintf(out, sizeof out, "%s/model", g_dir);
    int rc = in_child(child_save_model, out, 4096, msg, sizeof msg);
    printf("model folder: %s\n", msg);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(msg, "File too large"));
    assert_non_null(strstr(msg, "/model"));
    assert_false(exists(out));
    if (no_litter(g_dir, msg, sizeof msg)) fail_msg("%s", msg);
    assert_int_equal(in_child(child_save_model, out, 0, msg, sizeof msg), 0);  /* without the limit: fine */

    static const char *const NAMES[] = {"results.json", "raw.bin", "emb.npy", "w.safetensors"};
    for (int kind = 0; kind < 4; kind++) {
        char p[800];
        snprintf(p, sizeof p, "%s/%s", g_dir, NAMES[kind]);
        WriteArg small = {p, kind, 64}, big = {p, kind, 1 << 16};
        XsErr err = {0};
        assert_int_equal(do_write(&small, &err), 0);
        size_t len0;
        char *before = file_read_all(p, &len0, &err);
        assert_non_null(before);
        rc = in_child(child_write, &big, 8192, msg, sizeof msg);
        printf("%s over the limit: %s\n", NAMES[kind], msg);
        if (rc != 1) fail_msg("%s: expected a failed write, got %d: %s", NAMES[kind], rc, msg);
        if (!strstr(msg, NAMES[kind]) || !strstr(msg, "File too large")) fail_msg("%s: unclear error: %s", NAMES[kind], msg);
        size_t len1;
        char *after = file_read_all(p, &len1, &err);
        assert_non_null(after);
        if (len0 != len1 || memcmp(before, after, len0)) fail_msg("%s: the previous file changed", NAMES[kind]);
        if (no_litter(g_dir, msg, sizeof msg)) fail_msg("%s: %s", NAMES[kind], msg);
        free(before);
        free(after);
        assert_int_equal(in_child(child_write, &big, 0, msg, sizeof msg), 0);
    }
}

/* ---- a small tmpfs in a private mount namespace ---- */

typedef struct FsArg { const char *mnt; long size; long total; } FsArg;

static int mount_tmpfs(const char *mnt, long bytes, char *msg, size_t cap) {
    char opt[64];
    snprintf(opt, sizeof opt, "size=%ld", bytes);
    if (mount("xstilts-test", mnt, "tmpfs", 0, opt) != 0) {
        snprintf(msg, cap, "mount tmpfs: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Fills the file system holding dir to its last byte. */
static void fill(const char *dir) {
    char p[800];
    snprintf(p, sizeof p, "%s/filler", dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    static char buf[4096];
    for (size_t k = sizeof buf; k >= 1; k /= 2)
        while (write(fd, buf, k) == (ssize_t)k) {}
    close(fd);
}

/* In the child: its own mount namespace, where a tmpfs over fs->mnt is private to it. */
static int enter_namespace(char *msg, size_t cap) {
    if (unshare(CLONE_NEWNS) != 0) {
        snprintf(msg, cap, "unshare(CLONE_NEWNS): %s (needs root or CAP_SYS_ADMIN)", strerror(errno));
        return 77;
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        snprintf(msg, cap, "making / private: %s", strerror(errno));
        return 77;
    }
    return 0;
}

/* A tmpfs of fs->size bytes: checkpoint A fits; B runs out of space somewhere. Checks everything in
 * the child (the parent cannot see this tmpfs). Returns 0 when B failed cleanly and A is intact,
 * 2 when B fitted (the sweep's larger sizes), else 1 with the reason. */
static int child_tmpfs_checkpoint(void *arg, char *msg, size_t cap) {
    FsArg *fs = arg;
    int rc = enter_namespace(msg, cap);
    if (rc) return rc;
    if (mount_tmpfs(fs->mnt, fs->size, msg, cap)) return 77;
    char a[800], b[800];
    checkpoint_path(fs->mnt, 100, a, sizeof a);
    checkpoint_path(fs->mnt, 200, b, sizeof b);
    CkArg ca = {a, 100}, cb = {b, 200};
    if (child_save_checkpoint(&ca, msg, cap)) { snprintf(msg, cap, "setup: A does not fit in %ld bytes", fs->size); return 1; }
    int failed = child_save_checkpoint(&cb, msg, cap);
    if (!failed) return 2;
    if (!strstr(msg, "No space left on device") || !strstr(msg, "checkpoint-00000200")) {
        char m2[2100];
        snprintf(m2, sizeof m2, "unclear error: %s", msg);
        snprintf(msg, cap, "%s", m2);
        return 1;
    }
    char reason[1100];
    snprintf(reason, sizeof reason, "%s", msg);
    if (exists(b)) { snprintf(msg, cap, "%s exists after: %s", b, reason); return 1; }
    if (no_litter(fs->mnt, msg, cap)) return 1;
    XsErr err = {0};
    Model m;
    TrainState st;
    if (model_open(a, &m, &err) || checkpoint_load(a, &m, &st, &err)) {
        snprintf(msg, cap, "A no longer loads: %s", err.msg);
        return 1;
    }
    model_free(&m);
    if (st.step != 100) { snprintf(msg, cap, "A has step %lld", (long long)st.step); return 1; }
    /* on the disk full to its last byte, atomic writes over existing files fail and keep them */
    char f[800];
    snprintf(f, sizeof f, "%s/results.json", fs->mnt);
    WriteArg small = {f, 0, 64}, big = {f, 0, 1 << 16};
    if (do_write(&small, &err)) { snprintf(msg, cap, "setup: %s", err.msg); return 1; }
    fill(fs->mnt);
    for (int kind = 0; kind < 4; kind++) {
        char p[800];
        static const char *const NAMES[] = {"results.json", "raw.bin", "emb.npy", "w.safetensors"};
        snprintf(p, sizeof p, "%s/%s", fs->mnt, NAMES[kind]);
        big.path = p;
        big.kind = kind;
        if (!do_write(&big, &err)) { snprintf(msg, cap, "%s: written on a full disk", NAMES[kind]); return 1; }
        if (!strstr(err.msg, "No space left on device") || !strstr(err.msg, NAMES[kind])) {
            snprintf(msg, cap, "%s: unclear error on a full disk: %s", NAMES[kind], err.msg);
            return 1;
        }
        err_clear(&err);
    }
    json_error_t je;
    json_t *r = json_load_file(f, 0, &je);
    if (!r || json_array_size(json_object_get(r, "values")) != 8) { snprintf(msg, cap, "results.json changed"); return 1; }
    json_decref(r);
    if (no_litter(fs->mnt, msg, cap)) return 1;
    if (checkpoint_verify(a, &err)) { snprintf(msg, cap, "A: %s", err.msg); return 1; }
    snprintf(msg, cap, "%s", reason);
    return 0;
}

static void test_checkpoint_tmpfs(void **state) {
    (void)state;
    if (geteuid() != 0) { printf("skipped: mounting a tmpfs needs root (RLIMIT_FSIZE tests above still ran)\n"); skip(); }
    /* the size of one checkpoint, from a save outside the tmpfs */
    char a[700], msg[2048], mnt[700];
    checkpoint_path(g_dir, 100, a, sizeof a);
    CkArg ca = {a, 100};
    assert_int_equal(in_child(child_save_checkpoint, &ca, 0, msg, sizeof msg), 0);
    long sizes[16], total = 0;
    int nf;
    file_sizes(a, sizes, &nf);
    for (int i = 0; i < nf; i++) total += (sizes[i] + 4095) / 4096 * 4096;
    snprintf(mnt, sizeof mnt, "%s/mnt", g_dir);
    assert_int_equal(mkdir(mnt, 0700), 0);
    /* room for A and then 0 .. all of B: coarse steps, then page by page where B starts to fit, so
     * that B runs out of space in each of its files in turn (the last is xstilts.json) */
    static const char *const FILES[] = {"config.json", "model.safetensors", "optimizer.safetensors", "xstilts.json"};
    int hit[4] = {0}, failed = 0, fitted = 0;
    long last_fail = total + 8192, first_fit = -1;
    for (int pass = 0; pass < 2; pass++) {
        long lo = pass ? last_fail + 4096 : total + 8192, step = pass ? 4096 : total / 10;
        long hi = pass ? first_fit : lo + 12 * step;
        for (long size = lo; size <= hi; size += step) {
            FsArg fs = {mnt, size, total};
            int rc = in_child(child_tmpfs_checkpoint, &fs, 0, msg, sizeof msg);
            if (rc == 77) { printf("skipped: %s\n", msg); skip(); }
            printf("tmpfs of %ld bytes: %s\n", fs.size, rc == 2 ? "B fitted" : msg);
            if (rc == 2) {
                fitted++;
                if (first_fit < 0 || size < first_fit) first_fit = size;
                if (pass == 0) break;
                continue;
            }
            if (rc != 0) fail_msg("tmpfs of %ld bytes: %s", fs.size, msg);
            failed++;
            if (size > last_fail) last_fail = size;
            for (int i = 0; i < 4; i++) hit[i] |= strstr(msg, FILES[i]) != NULL;
        }
        assert_true(first_fit > 0);  /* the sweep reaches a size where B fits: the failures were the space's */
    }
    printf("%d saves ran out of space cleanly, %d fitted\n", failed, fitted);
    for (int i = 0; i < 4; i++)
        if (!hit[i]) fail_msg("no size in the sweep made the save fail while writing %s", FILES[i]);
}

int main(void) {
    /* the children are forked from a process that ran model code: with an OpenMP thread pool in the
     * parent, libgomp in a forked child can hang; one thread keeps it out of the picture */
    omp_set_num_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checkpoint_fsize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_and_files_fsize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_tmpfs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
