/* test_run_state.c — every kind of state file of a run folder (docs/RUN.md "Crash safety", core/seal.h) damaged
 * byte by byte and cut at every length: run.json, started.json, phase1.json and cell.json (sealed JSON, written
 * by the library's own writers), the files of a phase-1 job's manifest, steps.tsv (checksummed lines), and the
 * checkpoint-style manifest check. Asserts: each single-byte change (XOR 0x01, 0x20, 0x80 at every offset) and
 * each truncation is refused by the reader with an error naming the file, unless what is read back is exactly
 * what was written (a change that leaves the same JSON value, e.g. the 17th digit of a double that parses to
 * the same bits: counted and printed). steps.tsv: a damaged complete line is an error naming file:line; a torn
 * last line is ignored on reading and cut by run_steps_open; a full device fails an append without leaving a
 * torn record. */
#include "testutil.h"
#include "core/seal.h"
#include "core/util.h"
#include "run/report.h"
#include "run/state.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char HASH_A[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static char *slurp(const char *path, size_t *len) {
    XsErr err = {0};
    char *t = file_read_all(path, len, &err);
    assert_non_null(t);
    return t;
}

static void put(const char *path, const char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A reader of one kind: returns the loaded JSON (NULL + err). */
typedef json_t *(*Reader)(const char *path, const char *dir, XsErr *err);

static json_t *read_hash_file(const char *path, const char *dir, XsErr *err) {
    (void)dir;
    char h[65];
    if (run_state_hash(path, h, err)) return NULL;
    if (!h[0]) { err_set(err, path, 0, "absent"); return NULL; }
    return json_load_sealed(path, err); /* the whole value, to compare */
}
static json_t *read_phase1(const char *path, const char *dir, XsErr *err) {
    (void)path;
    return run_phase1_load(dir, err);
}
static json_t *read_cell(const char *path, const char *dir, XsErr *err) {
    (void)dir;
    return cell_load(path, err);
}

static long g_trials, g_same;

/* Damages path at every offset (3 masks) and cuts it at every length; each must fail naming the file or read back
 * the very value the intact file gives. */
static void damage_all(const char *what, const char *path, const char *dir, Reader rd) {
    size_t len;
    char *orig = slurp(path, &len);
    XsErr err = {0};
    json_t *want = rd(path, dir, &err);
    if (!want) fail_msg("%s: the intact file does not load: %s", what, err.msg);
    static const unsigned char MASK[] = {0x01, 0x20, 0x80};
    long trials = 0, same = 0;
    char *buf = malloc(len);
    for (size_t i = 0; i < len; i++)
        for (size_t m = 0; m < sizeof MASK; m++) {
            memcpy(buf, orig, len);
            buf[i] = (char)(buf[i] ^ MASK[m]);
            put(path, buf, len);
            memset(&err, 0, sizeof err);
            json_t *got = rd(path, dir, &err);
            trials++;
            if (got) {
                if (!json_equal(got, want))
                    fail_msg("%s: byte %zu ^ 0x%02x (0x%02x) was loaded as a different value", what, i, MASK[m],
                             (unsigned char)orig[i]);
                same++;
                json_decref(got);
            } else if (!strstr(err.msg, path)) fail_msg("%s: byte %zu: the error does not name the file: %s", what, i, err.msg);
        }
    for (size_t n = 0; n < len; n++) {
        put(path, orig, n);
        memset(&err, 0, sizeof err);
        json_t *got = rd(path, dir, &err);
        trials++;
        if (got) fail_msg("%s: cut to %zu of %zu bytes and still loaded", what, n, len);
        if (!strstr(err.msg, path)) fail_msg("%s: cut to %zu: the error does not name the file: %s", what, n, err.msg);
    }
    put(path, orig, len);
    memset(&err, 0, sizeof err);
    json_t *back = rd(path, dir, &err);
    assert_non_null(back);
    assert_true(json_equal(back, want));
    json_decref(back);
    json_decref(want);
    printf("  %-12s %5zu bytes: %6ld damaged versions refused, %ld read back identical (same JSON value)\n", what, len,
           trials - same, same);
    g_trials += trials;
    g_same += same;
    free(buf);
    free(orig);
}

/* A cell.json as exec.c writes it (the fields of docs/RUN.md), through the library's sealed writer. */
static void write_cell(const char *path) {
    json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:i, s:s, s:s, s:s}", "format", "xstilts-cell", "version", 1, "row", "mnli",
                          "target", "xnli", "seed", 1, "config_hash", HASH_A, "status", "done", "major_metric", "accuracy");
    json_object_set_new(o, "dev", json_pack("{s:{s:f}, s:{s:f}}", "en", "accuracy", 66.666666666666657, "de", "accuracy", 50.0));
    json_object_set_new(o, "test", json_pack("{s:{s:f}}", "de", "accuracy", 48.125));
    json_object_set_new(o, "curve", json_pack("[{s:i, s:f, s:f, s:f}, {s:i, s:f, s:f, s:n}]", "step", 2, "loss", 1.0986122886681098,
                                              "lr", 0.00066666666666666664, "dev_metric", 58.333333333333336, "step", 4, "loss",
                                              0.6931471805599453, "lr", 0.0003333333333333333, "dev_metric"));
    json_object_set_new(o, "best_step", json_integer(2));
    json_object_set_new(o, "wall_s", json_real(12.345678901234567));
    json_object_set_new(o, "tokens", json_integer(123456));
    json_object_set_new(o, "phase1", json_pack("{s:s, s:i, s:f, s:i, s:s}", "row", "mnli", "seed", 1, "wall_s", 3.25, "tokens", 999,
                                               "config_hash", HASH_A));
    XsErr err = {0};
    assert_int_equal(json_write_sealed(path, o, &err), 0);
    json_decref(o);
}

static void test_sealed_state_files(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    char p[1200];
    XsErr err = {0};
    g_trials = g_same = 0;
    /* started.json */
    assert_int_equal(run_started_write(dir, HASH_A, &err), 0);
    snprintf(p, sizeof p, "%s/started.json", dir);
    damage_all("started.json", p, dir, read_hash_file);
    /* phase1.json with its manifest of two model files */
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    put(p, "0123456789abcdef", 16);
    snprintf(p, sizeof p, "%s/config.json", dir);
    put(p, "{\"a\": 1}\n", 9);
    assert_int_equal(run_phase1_write(dir, "mnli", 1, HASH_A, 12.5, 4096, 6, &err), 0);
    assert_int_equal(run_phase1_verify(dir, &err), 0);
    json_t *p1 = run_phase1_load(dir, &err);
    assert_non_null(p1);
    json_t *files = json_object_get(p1, "files");
    assert_int_equal(json_object_size(files), 2); /* config.json, model.safetensors; not started.json */
    assert_non_null(json_object_get(files, "model.safetensors"));
    assert_null(json_object_get(files, "started.json"));
    json_decref(p1);
    snprintf(p, sizeof p, "%s/phase1.json", dir);
    damage_all("phase1.json", p, dir, read_phase1);
    damage_all("phase1.json*", p, dir, read_hash_file); /* as the plan reads it (config_hash only) */
    /* run.json: a resolved plan's shape, sealed */
    json_t *rj = json_pack("{s:s, s:i, s:s, s:[{s:s, s:b}], s:[{s:s, s:s}], s:[i], s:s}", "format", "xstilts-run", "version", 1,
                           "config_hash", HASH_A, "rows", "name", "baseline", "baseline", 1, "targets", "name", "xnli", "type",
                           "trained", "seeds", 1, "title", "t");
    snprintf(p, sizeof p, "%s/run.json", dir);
    assert_int_equal(json_write_sealed(p, rj, &err), 0);
    json_decref(rj);
    damage_all("run.json", p, dir, read_hash_file);
    /* cell.json, as report and the plan read it */
    snprintf(p, sizeof p, "%s/cell.json", dir);
    write_cell(p);
    damage_all("cell.json", p, dir, read_cell);
    damage_all("cell.json*", p, dir, read_hash_file);
    printf("  %ld damaged state files tried, %ld read back as the same JSON value\n", g_trials, g_same);
    tu_rmtree(dir);
    free(dir);
}

/* The files phase1.json vouches for: every flipped byte and every truncation of the model is found. */
static void test_phase1_manifest(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    char p[1200];
    XsErr err = {0};
    char model[300];
    for (size_t i = 0; i < sizeof model; i++) model[i] = (char)(i * 37 + 11);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    put(p, model, sizeof model);
    assert_int_equal(run_phase1_write(dir, "mnli", 1, HASH_A, 1.0, 1, 1, &err), 0);
    long trials = 0;
    char buf[sizeof model];
    for (size_t i = 0; i < sizeof model; i++) {
        memcpy(buf, model, sizeof model);
        buf[i] ^= 0x10;
        put(p, buf, sizeof buf);
        memset(&err, 0, sizeof err);
        assert_int_equal(run_phase1_verify(dir, &err), -1);
        if (!strstr(err.msg, "model.safetensors") || !strstr(err.msg, "phase1.json")) fail_msg("flip %zu: %s", i, err.msg);
        trials++;
    }
    for (size_t n = 0; n < sizeof model; n++) {
        put(p, model, n);
        memset(&err, 0, sizeof err);
        assert_int_equal(run_phase1_verify(dir, &err), -1);
        assert_non_null(strstr(err.msg, "truncated or was replaced"));
        trials++;
    }
    unlink(p);
    memset(&err, 0, sizeof err);
    assert_int_equal(run_phase1_verify(dir, &err), -1);
    assert_non_null(strstr(err.msg, "missing (listed in phase1.json)"));
    put(p, model, sizeof model);
    assert_int_equal(run_phase1_verify(dir, &err), 0);
    printf("  phase-1 model: %ld damaged versions refused\n", trials + 1);
    tu_rmtree(dir);
    free(dir);
}

static void test_steps_log(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    char p[1200];
    snprintf(p, sizeof p, "%s/steps.tsv", dir);
    XsErr err = {0};
    FILE *f = run_steps_open(p, &err);
    assert_non_null(f);
    for (int s = 1; s <= 6; s++) assert_int_equal(run_steps_append(f, s, 100 * s + 7, 1.0 / s, 1e-3 * (7 - s)), 0);
    assert_int_equal(fclose(f), 0);
    StepRec rec[8], want[8];
    assert_int_equal(run_steps_read(p, 8, want, &err), 0);
    for (int s = 1; s <= 6; s++) {
        assert_true(want[s - 1].have);
        assert_int_equal(want[s - 1].tokens, 100 * s + 7);
        assert_true(want[s - 1].loss == 1.0 / s);
    }
    assert_false(want[6].have);
    size_t len;
    char *orig = slurp(p, &len);
    long trials = 0, torn = 0;
    char *buf = malloc(len);
    for (size_t i = 0; i < len; i++) {
        memcpy(buf, orig, len);
        buf[i] ^= 0x01;
        put(p, buf, len);
        memset(&err, 0, sizeof err);
        int rc = run_steps_read(p, 8, rec, &err);
        trials++;
        if (i == len - 1) { /* the last newline: a torn last line, ignored (its update counts as unrecorded) */
            assert_int_equal(rc, 0);
            assert_false(rec[5].have);
            torn++;
            continue;
        }
        long line = 1;
        for (size_t k = 0; k < i; k++) line += orig[k] == '\n';
        char want_at[1300];
        snprintf(want_at, sizeof want_at, "%s:%ld: damaged record", p, line);
        if (rc != -1 || !strstr(err.msg, want_at)) fail_msg("byte %zu: rc %d, %s (want %s)", i, rc, err.msg, want_at);
    }
    /* truncations: never a wrong record, only fewer (a torn last line is ignored) */
    for (size_t n = 0; n < len; n++) {
        put(p, orig, n);
        memset(&err, 0, sizeof err);
        assert_int_equal(run_steps_read(p, 8, rec, &err), 0);
        for (int s = 0; s < 6; s++)
            if (rec[s].have) assert_true(rec[s].tokens == want[s].tokens && rec[s].loss == want[s].loss && rec[s].lr == want[s].lr);
        trials++;
    }
    /* run_steps_open cuts a torn last line; appends continue after it */
    put(p, orig, len - 9);
    f = run_steps_open(p, &err);
    assert_non_null(f);
    assert_int_equal(run_steps_append(f, 6, 607, 1.0 / 6, 1e-3), 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(run_steps_read(p, 8, rec, &err), 0);
    for (int s = 0; s < 6; s++) assert_true(rec[s].have && rec[s].tokens == want[s].tokens);
    /* a damaged complete line: run_steps_open refuses before anything is appended */
    memcpy(buf, orig, len);
    buf[3] ^= 0x01;
    put(p, buf, len);
    memset(&err, 0, sizeof err);
    assert_null(run_steps_open(p, &err));
    assert_non_null(strstr(err.msg, "steps.tsv:1: damaged record"));
    /* a full device: the append fails and leaves no torn record */
    if (access("/dev/full", W_OK) == 0) {
        FILE *ff = fopen("/dev/full", "a");
        assert_non_null(ff);
        setvbuf(ff, NULL, _IONBF, 0);
        errno = 0;
        assert_int_equal(run_steps_append(ff, 1, 1, 1, 1), -1);
        assert_int_equal(errno, ENOSPC);
        fclose(ff);
    }
    printf("  steps.tsv %zu bytes: %ld damaged versions: %ld flips refused naming the line, %ld torn last line ignored, %zu "
           "truncations read without a wrong record\n", len, trials, (long)len - torn, torn, len);
    free(buf);
    free(orig);
    tu_rmtree(dir);
    free(dir);
}

/* Sealed JSON beside the run folder: a non-object, an unsealed file, the set-aside names. */
static void test_seal_edges(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    char p[1200], q[1300];
    XsErr err = {0};
    snprintf(p, sizeof p, "%s/x.json", dir);
    put(p, "[1]\n", 4);
    assert_null(json_load_sealed(p, &err));
    assert_non_null(strstr(err.msg, "expected a JSON object"));
    put(p, "{\"config_hash\": \"0\"}\n", 21);
    memset(&err, 0, sizeof err);
    assert_null(json_load_sealed(p, &err));
    assert_non_null(strstr(err.msg, "no \"sha256\" seal"));
    char h[65];
    snprintf(q, sizeof q, "%s/none.json", dir);
    assert_int_equal(run_state_hash(q, h, &err), 0);
    assert_string_equal(h, "");
    /* a sealed file without a proper hash */
    json_t *o = json_pack("{s:s}", "config_hash", "abc");
    assert_int_equal(json_write_sealed(p, o, &err), 0);
    json_decref(o);
    memset(&err, 0, sizeof err);
    assert_int_equal(run_state_hash(p, h, &err), -1);
    assert_non_null(strstr(err.msg, "expected 64 hex digits"));
    /* set aside: .corrupt, then .corrupt-2; the damaged bytes are kept */
    put(p, "bad", 3);
    assert_int_equal(run_state_set_aside(p, q, sizeof q, &err), 0);
    assert_non_null(strstr(q, "x.json.corrupt"));
    put(p, "bad2", 4);
    assert_int_equal(run_state_set_aside(p, q, sizeof q, &err), 0);
    assert_non_null(strstr(q, "x.json.corrupt-2"));
    size_t n;
    char *t = slurp(q, &n);
    assert_int_equal(n, 4);
    free(t);
    assert_int_equal(access(p, F_OK), -1);
    tu_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sealed_state_files),
        cmocka_unit_test(test_phase1_manifest),
        cmocka_unit_test(test_steps_log),
        cmocka_unit_test(test_seal_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
