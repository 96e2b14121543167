/* test_train_checkpoint.c — train/checkpoint: a tiny model with a head, its Adam moments and a full
 * TrainState saved and read back bit-exact (through model_open + the head + checkpoint_load); the
 * folder written whole; corrupt checkpoints (flipped byte in the weights, truncated optimizer file,
 * edited state, missing field, another head; every file flipped and truncated in turn) each refused with an error naming the file, nothing
 * written; checkpoint_latest. */
#include "testutil.h"
#include "core/rng.h"
#include "core/sha256.h"
#include "core/util.h"
#include "train/checkpoint.h"
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void add_head(Model *m, int extra) {
    int C = m->cfg.hidden_size;
    paramset_add(&m->tab, "classifier.dense.weight", C, C);
    paramset_add(&m->tab, "classifier.dense.bias", C, 0);
    paramset_add(&m->tab, "classifier.out_proj.weight", 3, C);
    paramset_add(&m->tab, "classifier.out_proj.bias", 3, 0);
    if (extra) paramset_add(&m->tab, "qa_outputs.weight", 2, C);
}

static void make_model(Model *m) {
    ModelConfig c;
    assert_int_equal(config_preset(&c, ARCH_XLMR, "tiny", 100), 0);
    c.hidden_size = 32;          /* smaller than "tiny": the test writes and hashes a dozen checkpoints */
    c.intermediate_size = 64;
    model_init(m, &c, 1);
    add_head(m, 0);
    model_alloc_params(m);
    model_init_random(m, 5);
    paramset_alloc_adam(&m->tab);
    for (int k = 0; k < m->tab.n; k++) {   /* the tensors only: padding stays 0 */
        const ParamInfo *t = &m->tab.t[k];
        rng_fill_normal(m->tab.adam_m + t->offset, t->numel, 0, 0.01f, 8, (uint32_t)k);
        rng_fill_normal(m->tab.adam_v + t->offset, t->numel, 0, 0.001f, 9, (uint32_t)k);
        for (size_t i = 0; i < t->numel; i++) m->tab.adam_v[t->offset + i] = fabsf(m->tab.adam_v[t->offset + i]);
    }
}

static void make_state(TrainState *st) {
    train_state_defaults(st);
    st->step = 1234;
    st->micro_batches = 1234 * 8;
    st->seed = 20260101;
    st->adam.hf_legacy = 1;
    st->sched = schedule_linear(st->warmup_ratio, 9999);
    st->n_tasks = 2;
    strcpy(st->tasks[0].name, "mnli");
    strcpy(st->tasks[0].head, "classifier");
    strcpy(st->tasks[0].data, "data/mnli/train.tsv");
    st->tasks[0].examples = 392702;
    st->tasks[0].epoch = 1;
    st->tasks[0].position = 777;
    strcpy(st->tasks[1].name, "xnli");
    strcpy(st->tasks[1].head, "classifier");
    st->tasks[1].examples = 5010;
    st->tasks[1].epoch = 3;
    st->tasks[1].position = 5010;
    XsErr err = {0};
    assert_int_equal(sampler_init(&st->sampler, SAMPLER_TEMPERATURE, 2, (double[]){392702, 5010}, 2.0, 100000,
                                  st->seed, &err), 0);
    st->sampler.draws = 9872;
    st->best_metric = 0.8123456789012345;
    st->best_step = 1000;
    st->evals_since_best = 2;
}

static char *g_dir;   /* per-test temporary folder */

static int setup(void **state) { (void)state; g_dir = tu_tmpdir(); return g_dir ? 0 : -1; }
static int teardown(void **state) { (void)state; tu_rmtree(g_dir); free(g_dir); return 0; }

/* Saves a checkpoint to g_dir/ck (with a copied tokenizer file) and returns its path. */
static const char *save_one(Model *m, TrainState *st) {
    static char ck[600];
    char tok[600];
    snprintf(tok, sizeof tok, "%s/tokenizer.json", g_dir);
    XsErr err = {0};
    assert_int_equal(file_write_atomic(tok, "{\"tok\": 1}\n", 11, &err), 0);
    snprintf(ck, sizeof ck, "%s/ck", g_dir);
    make_model(m);
    make_state(st);
    const char *copy[] = {tok, NULL};
    if (checkpoint_save(ck, m, st, copy, &err)) fail_msg("%s", err.msg);
    return ck;
}

static int reload(const char *ck, int extra_head, Model *m, TrainState *st, XsErr *err) {
    if (model_open(ck, m, err)) return -1;
    add_head(m, extra_head);
    return checkpoint_load(ck, m, st, err);
}

static void test_roundtrip(void **state) {
    (void)state;
    Model a, b;
    TrainState sa, sb;
    const char *ck = save_one(&a, &sa);
    /* the staging folder is gone; the tokenizer came along */
    char p[700];
    snprintf(p, sizeof p, "%s/tokenizer.json", ck);
    struct stat sbuf;
    assert_int_equal(stat(p, &sbuf), 0);
    DIR *d = opendir(g_dir);
    struct dirent *e;
    while ((e = readdir(d))) assert_null(strstr(e->d_name, ".tmp."));
    closedir(d);

    XsErr err = {0};
    if (reload(ck, 0, &b, &sb, &err)) fail_msg("%s", err.msg);
    assert_int_equal(a.tab.total, b.tab.total);
    assert_int_equal(a.tab.n, b.tab.n);
    for (int k = 0; k < a.tab.n; k++) {
        assert_string_equal(a.tab.t[k].name, b.tab.t[k].name);
        if (memcmp(paramset_data(&a.tab, k), paramset_data(&b.tab, k), sizeof(float) * a.tab.t[k].numel))
            fail_msg("tensor %s differs after the round trip", a.tab.t[k].name);
    }
    assert_memory_equal(a.tab.block, b.tab.block, sizeof(float) * a.tab.total);
    assert_memory_equal(a.tab.adam_m, b.tab.adam_m, sizeof(float) * a.tab.total);
    assert_memory_equal(a.tab.adam_v, b.tab.adam_v, sizeof(float) * a.tab.total);
    assert_int_equal(sb.step, 1234);
    assert_int_equal(sb.micro_batches, 1234 * 8);
    assert_true(sb.seed == sa.seed);
    assert_true(sb.adam.lr == sa.adam.lr && sb.adam.beta1 == sa.adam.beta1 && sb.adam.beta2 == sa.adam.beta2);
    assert_true(sb.adam.eps == sa.adam.eps && sb.adam.weight_decay == sa.adam.weight_decay);
    assert_int_equal(sb.adam.hf_legacy, 1);
    assert_true(sb.sched.warmup == sa.sched.warmup && sb.sched.total == 9999);
    assert_true(sb.warmup_ratio == 0.1 && sb.max_grad_norm == 1.0 && sb.dropout == 0.1);
    assert_int_equal(sb.batch_size, 4);
    assert_int_equal(sb.accum, 8);
    assert_int_equal(sb.n_tasks, 2);
    assert_memory_equal(&sb.tasks, &sa.tasks, sizeof sa.tasks);
    /* the sampler continues exactly */
    assert_memory_equal(sb.sampler.p, sa.sampler.p, sizeof sa.sampler.p);
    assert_true(sb.sampler.draws == 9872 && sb.sampler.kind == SAMPLER_TEMPERATURE);
    for (int i = 0; i < 100; i++) assert_int_equal(sampler_next(&sb.sampler), sampler_next(&sa.sampler));
    assert_true(sb.best_metric == sa.best_metric);
    assert_int_equal(sb.best_step, 1000);
    assert_int_equal(sb.evals_since_best, 2);
    /* writing over an existing checkpoint is refused and leaves it as it was */
    char before[65], after[65];
    uint64_t n1, n2;
    snprintf(p, sizeof p, "%s/model.safetensors", ck);
    assert_int_equal(sha256_file(p, before, &n1, &err), 0);
    model_init_random(&a, 99);
    assert_int_equal(checkpoint_save(ck, &a, &sa, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "not empty"));
    assert_int_equal(sha256_file(p, after, &n2, &err), 0);
    assert_string_equal(before, after);
    /* the two-step resume: state first (verified), then the model with the heads it names */
    Model c;
    TrainState sc;
    assert_int_equal(checkpoint_read_state(ck, &sc, &err), 0);
    assert_string_equal(sc.tasks[0].head, "classifier");
    assert_int_equal(model_open(ck, &c, &err), 0);
    add_head(&c, 0);
    if (checkpoint_load_weights(ck, &c, &err)) fail_msg("%s", err.msg);
    assert_memory_equal(c.tab.adam_v, b.tab.adam_v, sizeof(float) * b.tab.total);
    assert_memory_equal(c.tab.block, b.tab.block, sizeof(float) * b.tab.total);
    model_free(&c);
    model_free(&a);
    model_free(&b);
}

/* Overwrites byte `at` (from the end when negative) of dir/name with its complement. */
static void flip(const char *dir, const char *name, long at) {
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r+b");
    assert_non_null(f);
    fseek(f, at, at < 0 ? SEEK_END : SEEK_SET);
    long pos = ftell(f);
    int c = fgetc(f);
    fseek(f, pos, SEEK_SET);
    fputc(~c & 0xff, f);
    fclose(f);
}

static void expect_refused(const char *ck, int extra_head, const char *what1, const char *what2) {
    Model m;
    TrainState st;
    XsErr err = {0};
    assert_int_equal(reload(ck, extra_head, &m, &st, &err), -1);
    printf("refused: %s\n", err.msg);
    if (!strstr(err.msg, what1) || (what2 && !strstr(err.msg, what2)))
        fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err.msg, what1, what2 ? what2 : "");
}

static void test_flipped_weight_byte(void **state) {
    (void)state;
    Model a;
    TrainState s;
    const char *ck = save_one(&a, &s);
    model_free(&a);
    flip(ck, "model.safetensors", -100);   /* inside the data: still a valid safetensors file */
    expect_refused(ck, 0, "model.safetensors", "sha256");
    XsErr err = {0};
    assert_int_equal(checkpoint_verify(ck, &err), -1);
}

static void test_truncated_optimizer(void **state) {
    (void)state;
    Model a;
    TrainState s;
    const char *ck = save_one(&a, &s);
    model_free(&a);
    char p[700];
    snprintf(p, sizeof p, "%s/optimizer.safetensors", ck);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(truncate(p, sb.st_size - 4096), 0);
    expect_refused(ck, 0, "optimizer.safetensors", "truncated");
}

/* Every file of a checkpoint (config.json, model.safetensors, optimizer.safetensors, the copied
 * tokenizer.json, xstilts.json), each corrupted in turn: a byte flipped at its start, middle, end and
 * at pseudo-random places, and the file truncated by one byte, to half and to nothing. Each is refused
 * by checkpoint_verify, checkpoint_read_state and the whole resume with an error naming that file;
 * undoing the damage makes the checkpoint load again (so the refusals were the damage's doing). */
static void check_refused_names(const char *ck, const char *name, const char *how) {
    XsErr err = {0};
    TrainState st;
    if (checkpoint_verify(ck, &err) != -1) fail_msg("%s %s: checkpoint_verify accepted it", name, how);
    if (!strstr(err.msg, name)) fail_msg("%s %s: verify's error does not name the file: %s", name, how, err.msg);
    err_clear(&err);
    if (checkpoint_read_state(ck, &st, &err) != -1) fail_msg("%s %s: checkpoint_read_state accepted it", name, how);
    if (!strstr(err.msg, name)) fail_msg("%s %s: read_state's error does not name the file: %s", name, how, err.msg);
    Model m;
    err_clear(&err);
    /* the documented resume: the state (verified) first, then model_open + heads + weights */
    if (checkpoint_read_state(ck, &st, &err) == 0 && model_open(ck, &m, &err) == 0) {
        add_head(&m, 0);
        if (checkpoint_load_weights(ck, &m, &err) == 0) fail_msg("%s %s: the resume loaded it", name, how);
    }
}

static void test_every_file_corrupt(void **state) {
    (void)state;
    Model a;
    TrainState s;
    const char *ck = save_one(&a, &s);
    model_free(&a);
    static const char *const FILES[] = {"config.json", "model.safetensors", "optimizer.safetensors", "tokenizer.json",
                                        "xstilts.json"};
    /* the list is the folder's content: a file added to checkpoints later must be added here */
    int nfiles = 0;
    DIR *d = opendir(ck);
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            int known = 0;
            for (int i = 0; i < 5; i++) known |= !strcmp(e->d_name, FILES[i]);
            if (!known) fail_msg("checkpoint file %s is not covered by this test", e->d_name);
            nfiles++;
        }
    closedir(d);
    assert_int_equal(nfiles, 5);
    int checked = 0;
    for (int i = 0; i < 5; i++) {
        char p[700], how[64];
        snprintf(p, sizeof p, "%s/%s", ck, FILES[i]);
        XsErr err = {0};
        size_t len;
        char *orig = file_read_all(p, &len, &err);
        assert_non_null(orig);
        assert_true(len > 2);
        long at[8] = {0, (long)len / 2, (long)len - 1};
        uint64_t r = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
        for (int k = 3; k < 8; k++) {
            r ^= r << 13; r ^= r >> 7; r ^= r << 17;
            at[k] = (long)(r % len);
        }
        for (int k = 0; k < 8; k++) {
            flip(ck, FILES[i], at[k]);
            snprintf(how, sizeof how, "with byte %ld flipped", at[k]);
            check_refused_names(ck, FILES[i], how);
            flip(ck, FILES[i], at[k]);  /* the complement again: the original byte */
            checked++;
        }
        size_t cut[3] = {len - 1, len / 2, 0};
        for (int k = 0; k < 3; k++) {
            assert_int_equal(truncate(p, (off_t)cut[k]), 0);
            snprintf(how, sizeof how, "truncated to %zu of %zu bytes", cut[k], len);
            check_refused_names(ck, FILES[i], how);
            assert_int_equal(file_write_atomic(p, orig, len, &err), 0);
            checked++;
        }
        free(orig);
        assert_int_equal(checkpoint_verify(ck, &err), 0);
    }
    printf("%d corruptions refused, each naming its file\n", checked);
    Model m;
    TrainState st;
    XsErr err = {0};
    if (reload(ck, 0, &m, &st, &err)) fail_msg("the restored checkpoint does not load: %s", err.msg);
    model_free(&m);
}

static void test_edited_state(void **state) {
    (void)state;
    Model a;
    TrainState s;
    const char *ck = save_one(&a, &s);
    model_free(&a);
    /* "step": 1234 → 1235: still valid JSON, caught by the seal */
    char p[700];
    snprintf(p, sizeof p, "%s/xstilts.json", ck);
    size_t len;
    XsErr err = {0};
    char *t = file_read_all(p, &len, &err);
    char *at = strstr(t, "\"step\": 1234");
    assert_non_null(at);
    at[11] = '5';
    assert_int_equal(file_write_atomic(p, t, len, &err), 0);
    expect_refused(ck, 0, "xstilts.json", "seal");
    /* broken JSON: the error has line and column */
    at[11] = '}';
    assert_int_equal(file_write_atomic(p, t, len, &err), 0);
    expect_refused(ck, 0, "xstilts.json", "column");
    free(t);
    /* no state file at all */
    remove(p);
    expect_refused(ck, 0, "xstilts.json", "missing");
}

static void test_missing_field(void **state) {
    (void)state;
    Model a;
    TrainState s;
    const char *ck = save_one(&a, &s);
    model_free(&a);
    /* a correctly sealed state without "schedule.total_steps" (the seal as TRAINING.md defines it) */
    char p[700];
    snprintf(p, sizeof p, "%s/xstilts.json", ck);
    json_t *r = json_load_file(p, 0, NULL);
    assert_non_null(r);
    json_object_del(json_object_get(r, "schedule"), "total_steps");
    json_object_del(r, "sha256");
    char *c = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17)), hex[65];
    sha256_hex(c, strlen(c), hex);
    free(c);
    json_object_set_new(r, "sha256", json_string(hex));
    char *text = json_dumps(r, JSON_INDENT(2));
    XsErr err = {0};
    size_t tl = strlen(text);
    text[tl] = '\n';  /* as checkpoint_save ends it (room of the NUL) */
    assert_int_equal(file_write_atomic(p, text, tl + 1, &err), 0);
    free(text);
    json_decref(r);
    expect_refused(ck, 0, "xstilts.json", "schedule.total_steps");
}

static void test_other_head(void **state) {
    (void)state;
    Model a;
    TrainState s;
    const char *ck = save_one(&a, &s);
    model_free(&a);
    /* the model now has one more head tensor than the checkpoint: model_load_weights says which */
    expect_refused(ck, 1, "qa_outputs.weight", NULL);
    /* the optimizer file of another table is named as such */
    Model m;
    XsErr err = {0};
    assert_int_equal(model_open(ck, &m, &err), 0);
    add_head(&m, 1);
    assert_int_equal(model_load_weights(&m, 1, &err), 0);
    assert_int_equal(checkpoint_load_optimizer(ck, &m.tab, &err), -1);
    printf("refused: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "optimizer.safetensors"));
    assert_non_null(strstr(err.msg, "other heads"));
    model_free(&m);
}

static void test_latest(void **state) {
    (void)state;
    char buf[700], p[800];
    int64_t step;
    assert_int_equal(checkpoint_latest(g_dir, buf, sizeof buf, &step), 0);
    assert_string_equal(buf, "");
    Model a;
    TrainState s;
    make_model(&a);
    make_state(&s);
    XsErr err = {0};
    for (int64_t k = 100; k <= 300; k += 100) {
        checkpoint_path(g_dir, k, p, sizeof p);
        s.step = k;
        if (checkpoint_save(p, &a, &s, NULL, &err)) fail_msg("%s", err.msg);
    }
    /* an unfinished one (a staging folder, or no state file) is never taken */
    snprintf(p, sizeof p, "%s/checkpoint-00000400.tmp.%ld", g_dir, (long)getpid());   /* ours: in progress */
    mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/checkpoint-00000500", g_dir);
    mkdir(p, 0777);
    assert_int_equal(checkpoint_latest(g_dir, buf, sizeof buf, &step), 1);
    assert_int_equal(step, 300);
    checkpoint_path(g_dir, 300, p, sizeof p);
    assert_string_equal(buf, p);
    assert_true(strstr(p, "/checkpoint-00000300") != NULL);

    /* a staging folder of a process that is gone (a run killed while saving) */
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0);
    char dead[700];
    snprintf(dead, sizeof dead, "%s/checkpoint-00000600.tmp.%ld", g_dir, (long)child);
    mkdir(dead, 0777);
    snprintf(p, sizeof p, "%s/model.safetensors", dead);
    assert_int_equal(file_write_atomic(p, "x", 1, &err), 0);
    /* keep the 2 newest: checkpoint 100 and the dead staging folder go */
    assert_int_equal(checkpoint_prune(g_dir, 2, &err), 2);
    struct stat sb;
    assert_int_not_equal(stat(dead, &sb), 0);
    for (int64_t k = 100; k <= 300; k += 100) {
        checkpoint_path(g_dir, k, p, sizeof p);
        assert_int_equal(stat(p, &sb) == 0, k >= 200);
    }
    snprintf(p, sizeof p, "%s/checkpoint-00000400.tmp.%ld", g_dir, (long)getpid());
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(checkpoint_prune(g_dir, 2, &err), 0);

    /* the optimizer of a resumed run starts at the saved step and rate */
    TrainState r;
    checkpoint_path(g_dir, 300, p, sizeof p);
    assert_int_equal(checkpoint_read_state(p, &r, &err), 0);
    Optimizer o;
    paramset_alloc_grad(&a.tab);
    optim_init_from_state(&o, &a.tab, &r);
    assert_int_equal(o.step, 300);
    assert_true(optim_lr(&o) == 1e-5 * schedule_lambda(&s.sched, 300));
    optim_free(&o);
    model_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flipped_weight_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_optimizer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_file_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_head, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latest, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
