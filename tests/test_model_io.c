/* test_model_io.c — model/config + model/model: HF folders (prefixed and not, F32/F16/BF16) load
 * with the values transformers saved, every bad-folder error names what is wrong, save/load
 * round trips are bit-exact, random init follows HF, and loading stays within 1.2x f32 RSS. */
#include "testutil.h"
#include "core/check.h"
#include "core/mem.h"
#include "core/util.h"
#include "model/model.h"
#include "model/safetensors.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

static char *g_dir;
static const char *g_self; /* argv[0], re-run as a child to measure a fresh process's peak RSS */

static int setup(void **state) {
    (void)state;
    g_dir = tu_tmpdir();
    return g_dir ? 0 : -1;
}
static int teardown(void **state) {
    (void)state;
    tu_rmtree(g_dir);
    free(g_dir);
    return 0;
}

/* Every parameter of m equals the named tensor of the reference file, bit for bit. */
static void expect_equal_to_file(const Model *m, const char *ref_path, const char *prefix) {
    SafeTensors st;
    XsErr e = {0};
    assert_int_equal(st_open(ref_path, &st, &e), 0);
    for (int i = 0; i < m->tab.n; i++) {
        char name[160];
        snprintf(name, sizeof name, "%s%s", prefix, m->tab.t[i].name);
        const StTensor *t = st_find(&st, name);
        if (!t) fail_msg("reference has no %s", name);
        assert_int_equal(st_numel(t), m->tab.t[i].numel);
        float *ref = xmalloc(m->tab.t[i].numel * sizeof(float));
        assert_int_equal(st_read_f32(&st, t, ref, &e), 0);
        assert_memory_equal(m->w.block + m->tab.t[i].offset, ref, m->tab.t[i].numel * sizeof(float));
        free(ref);
    }
    if (m->has_pooler) {
        char name[64];
        snprintf(name, sizeof name, "%spooler.dense.weight", prefix);
        const StTensor *t = st_find(&st, name);
        assert_non_null(t);
        float *ref = xmalloc(st_numel(t) * sizeof(float));
        assert_int_equal(st_read_f32(&st, t, ref, &e), 0);
        assert_memory_equal(m->pooler_w, ref, st_numel(t) * sizeof(float));
        free(ref);
    }
    st_close(&st);
}

static int has_unused(const Model *m, const char *name) {
    for (int i = 0; i < m->n_unused; i++)
        if (!strcmp(m->unused[i], name)) return 1;
    return 0;
}

static void test_load_hf_folders(void **state) {
    (void)state;
    Model m;
    XsErr e = {0};
    /* XLMRobertaModel: unprefixed, with pooler */
    assert_int_equal(model_load(tu_fixture("model_io/xlmr_model"), &m, &e), 0);
    assert_int_equal(m.cfg.arch, ARCH_XLMR);
    assert_int_equal(m.cfg.vocab_size, 250);
    assert_int_equal(m.cfg.hidden_size, 16);
    assert_int_equal(m.cfg.num_layers, 2);
    assert_int_equal(m.cfg.pad_token_id, 1);
    assert_true(m.cfg.layer_norm_eps == 1e-5f);
    assert_string_equal(m.prefix, "");
    assert_true(m.has_pooler);
    assert_int_equal(m.n_unused, 0);
    expect_equal_to_file(&m, tu_fixture("model_io/xlmr_model/model.safetensors"), "");
    model_free(&m);
    /* XLMRobertaForMaskedLM: "roberta." prefix, lm_head.* reported as unused, no pooler */
    assert_int_equal(model_load(tu_fixture("model_io/xlmr_mlm"), &m, &e), 0);
    assert_string_equal(m.prefix, "roberta.");
    assert_false(m.has_pooler);
    assert_true(has_unused(&m, "lm_head.dense.weight"));
    assert_true(has_unused(&m, "lm_head.bias"));
    assert_int_equal(m.n_unused, 5);
    expect_equal_to_file(&m, tu_fixture("model_io/xlmr_mlm/model.safetensors"), "roberta.");
    model_free(&m);
    /* BertModel and BertForMaskedLM ("bert." + cls.predictions.*) */
    assert_int_equal(model_load(tu_fixture("model_io/bert_model"), &m, &e), 0);
    assert_int_equal(m.cfg.arch, ARCH_BERT);
    assert_int_equal(m.cfg.type_vocab_size, 2);
    assert_int_equal(m.cfg.pad_token_id, 0);
    assert_true(m.cfg.layer_norm_eps == 1e-12f);
    assert_true(m.has_pooler);
    assert_int_equal(m.n_unused, 0);
    expect_equal_to_file(&m, tu_fixture("model_io/bert_model/model.safetensors"), "");
    model_free(&m);
    assert_int_equal(model_load(tu_fixture("model_io/bert_mlm"), &m, &e), 0);
    assert_string_equal(m.prefix, "bert.");
    assert_true(has_unused(&m, "cls.predictions.transform.dense.weight"));
    assert_true(has_unused(&m, "cls.predictions.bias"));
    expect_equal_to_file(&m, tu_fixture("model_io/bert_mlm/model.safetensors"), "bert.");
    model_free(&m);
    /* half / bfloat16 checkpoints convert to exactly torch's float32 */
    assert_int_equal(model_load(tu_fixture("model_io/xlmr_f16"), &m, &e), 0);
    expect_equal_to_file(&m, tu_fixture("model_io/xlmr_f16/ref.safetensors"), "");
    model_free(&m);
    assert_int_equal(model_load(tu_fixture("model_io/xlmr_bf16"), &m, &e), 0);
    expect_equal_to_file(&m, tu_fixture("model_io/xlmr_bf16/ref.safetensors"), "");
    model_free(&m);
}

static void copy_file(const char *src, const char *dst) {
    size_t n;
    XsErr e = {0};
    char *d = file_read_all(src, &n, &e);
    assert_non_null(d);
    assert_int_equal(file_write_atomic(dst, d, n, &e), 0);
    free(d);
}

/* A folder <g_dir>/<name> with the xlmr_model weights and a config.json with `from` replaced by `to`. */
static const char *folder_with_config(const char *name, const char *from, const char *to) {
    static char dir[1100];
    char p[1200];
    snprintf(dir, sizeof dir, "%s/%s", g_dir, name);
    mkdir(dir, 0777);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    copy_file(tu_fixture("model_io/xlmr_model/model.safetensors"), p);
    size_t n;
    XsErr e = {0};
    char *cfg = file_read_all(tu_fixture("model_io/xlmr_model/config.json"), &n, &e);
    char *at = strstr(cfg, from);
    assert_non_null(at);
    char *out = xmalloc(n + strlen(to) + 1);
    size_t k = (size_t)(at - cfg);
    memcpy(out, cfg, k);
    strcpy(out + k, to);
    strcat(out, at + strlen(from));
    snprintf(p, sizeof p, "%s/config.json", dir);
    assert_int_equal(file_write_atomic(p, out, strlen(out), &e), 0);
    free(cfg);
    free(out);
    return dir;
}

static void expect_load_error(const char *dir, const char *n1, const char *n2) {
    Model m;
    XsErr e = {0};
    int rc = model_load(dir, &m, &e);
    printf("  %s -> %s\n", n1, rc ? e.msg : "(loaded!)");
    assert_int_equal(rc, -1);
    assert_non_null(strstr(e.msg, n1));
    if (n2) assert_non_null(strstr(e.msg, n2));
}

static void test_bad_config(void **state) {
    (void)state;
    expect_load_error(folder_with_config("c1", "\"hidden_size\": 16,", ""), "config.json", "missing required field \"hidden_size\"");
    expect_load_error(folder_with_config("c2", "\"model_type\": \"xlm-roberta\"", "\"model_type\": \"gpt2\""),
                      "unknown model_type \"gpt2\"", "config.json");
    expect_load_error(folder_with_config("c3", "\"hidden_act\": \"gelu\"", "\"hidden_act\": \"gelu_new\""), "\"gelu_new\" is not supported",
                      "exact erf GELU");
    expect_load_error(folder_with_config("c4", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": \"2\""),
                      "field \"num_hidden_layers\": expected an integer", NULL);
    expect_load_error(folder_with_config("c5", "\"num_attention_heads\": 2", "\"num_attention_heads\": 3"), "not a multiple", NULL);
    expect_load_error(folder_with_config("c6", "{", "{,"), "invalid JSON", "config.json:1");
    /* shape disagreeing with config.json: names the tensor, expected and found shapes */
    expect_load_error(folder_with_config("s1", "\"intermediate_size\": 32", "\"intermediate_size\": 48"),
                      "tensor 'encoder.layer.0.intermediate.dense.weight': shape disagrees with config.json", "expected [48, 16], found [32, 16]");
    /* more layers in config.json than in the file: every missing tensor named */
    expect_load_error(folder_with_config("s2", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"), "16 tensors missing",
                      "encoder.layer.2.attention.self.query.weight");
    /* absurd sizes fail on the shape check, before anything is allocated */
    expect_load_error(folder_with_config("s3", "\"vocab_size\": 250", "\"vocab_size\": 1000000000"),
                      "embeddings.word_embeddings.weight", "expected [1000000000, 16], found [250, 16]");
    expect_load_error(folder_with_config("s4", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 5000"), "num_hidden_layers",
                      "expected an integer in [1, 1000]");
    char d[1100], f[1200];
    XsErr e = {0};
    snprintf(d, sizeof d, "%s/binonly", g_dir);
    mkdir(d, 0777);
    snprintf(f, sizeof f, "%s/config.json", d);
    copy_file(tu_fixture("model_io/xlmr_model/config.json"), f);
    snprintf(f, sizeof f, "%s/pytorch_model.bin", d);
    assert_int_equal(file_write_atomic(f, "x", 1, &e), 0);
    expect_load_error(d, "model.safetensors: not found (pytorch_model.bin is not read)", "safe_serialization=True");
    /* issue 12 item 7: a config with fewer layers than the checkpoint is an error naming the unused
     * encoder tensors, not a warning; model_load_opts(allow_unused) loads it (the first layer only) */
    expect_load_error(folder_with_config("s5", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1"),
                      "16 encoder tensors of the checkpoint are not used by config.json (num_hidden_layers 1): ",
                      "encoder.layer.1.attention.self.query.weight");
    {
        Model m;
        XsErr e2 = {0};
        assert_int_equal(model_load_opts(folder_with_config("s6", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1"), &m, 1, &e2), 0);
        assert_int_equal(m.cfg.num_layers, 1);
        assert_int_equal(m.n_unused, 16);
        model_free(&m);
    }
    snprintf(d, sizeof d, "%s/nowhere", g_dir);
    expect_load_error(d, "config.json", "cannot open: No such file or directory");
}

/* Only the shape fields given: the rest takes the defaults of HF's config classes
 * (XLMRobertaConfig / BertConfig: layer_norm_eps 1e-12, dropouts 0.1, initializer_range 0.02,
 * pad_token_id 1 for XLM-R and 0 for BERT). */
static void test_config_defaults(void **state) {
    (void)state;
    const char *types[3] = {"xlm-roberta", "bert", "roberta"};
    const char *archs[3] = {"\"XLMRobertaModel\"", "\"BertModel\"", "\"RobertaModel\""};
    for (int k = 0; k < 3; k++) {
        char path[1100], json[512];
        snprintf(path, sizeof path, "%s/min-%d.json", g_dir, k);
        snprintf(json, sizeof json,
                 "{\"model_type\": \"%s\", \"vocab_size\": 10, \"hidden_size\": 8, \"num_hidden_layers\": 1,"
                 " \"num_attention_heads\": 2, \"intermediate_size\": 16, \"max_position_embeddings\": 12, \"type_vocab_size\": 1}",
                 types[k]);
        XsErr e = {0};
        assert_int_equal(file_write_atomic(path, json, strlen(json), &e), 0);
        ModelConfig c;
        assert_int_equal(config_load(path, &c, &e), 0);
        assert_int_equal(c.arch, k == 1 ? ARCH_BERT : ARCH_XLMR);
        assert_int_equal(c.pad_token_id, k == 1 ? 0 : 1);
        assert_true(c.layer_norm_eps == 1e-12f);
        assert_true(c.hidden_dropout == 0.1f && c.attn_dropout == 0.1f && c.initializer_range == 0.02f);
        /* and config_save writes what config_load reads back */
        assert_int_equal(config_save(path, &c, &e), 0);
        ModelConfig c2;
        assert_int_equal(config_load(path, &c2, &e), 0);
        assert_memory_equal(&c, &c2, sizeof c);
        size_t n;
        char *txt = file_read_all(path, &n, &e);
        assert_non_null(strstr(txt, archs[k])); /* the class AutoModel instantiates */
        free(txt);
    }
}

/* A parameter stored as integers is refused by name. */
static void test_wrong_dtype(void **state) {
    (void)state;
    char dir[1100], p[1200];
    snprintf(dir, sizeof dir, "%s/i64", g_dir);
    mkdir(dir, 0777);
    snprintf(p, sizeof p, "%s/config.json", dir);
    copy_file(tu_fixture("model_io/xlmr_model/config.json"), p);
    /* rewrite the header of the fixture: pooler.dense.bias as I32 (same 64 bytes) */
    size_t n;
    XsErr e = {0};
    char *d = file_read_all(tu_fixture("model_io/xlmr_model/model.safetensors"), &n, &e);
    assert_non_null(d);
    uint64_t hl;
    memcpy(&hl, d, 8);
    char *hdr = xstrndup(d + 8, (size_t)hl);
    char *at = strstr(hdr, "\"pooler.dense.bias\":{\"dtype\":\"F32\",\"shape\":[16]");
    assert_non_null(at);
    memcpy(strstr(at, "F32"), "I32", 3);
    memcpy(d + 8, hdr, (size_t)hl);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    assert_int_equal(file_write_atomic(p, d, n, &e), 0);
    free(hdr);
    free(d);
    expect_load_error(dir, "tensor 'pooler.dense.bias': dtype I32, expected a float type", "model.safetensors");
}

static void test_missing_tensor(void **state) {
    (void)state;
    Model m;
    XsErr e = {0};
    assert_int_equal(model_load(tu_fixture("model_io/xlmr_mlm"), &m, &e), 0);
    /* write all but two tensors */
    char dir[1100], p[1200];
    snprintf(dir, sizeof dir, "%s/miss", g_dir);
    assert_int_equal(model_save(dir, &m, &e), 0);
    SafeTensors st;
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    assert_int_equal(st_open(p, &st, &e), 0);
    StWriteItem *items = xcalloc((size_t)st.n, sizeof *items);
    float **bufs = xcalloc((size_t)st.n, sizeof *bufs);
    int k = 0;
    for (int i = 0; i < st.n; i++) {
        if (strstr(st.t[i].name, "layer.1.output.dense.bias") || strstr(st.t[i].name, "embeddings.LayerNorm.weight")) continue;
        bufs[k] = xmalloc(st_numel(&st.t[i]) * sizeof(float) + 4);
        assert_int_equal(st_read_f32(&st, &st.t[i], bufs[k], &e), 0);
        items[k].name = st.t[i].name;
        items[k].data = bufs[k];
        items[k].ndim = st.t[i].ndim;
        memcpy(items[k].shape, st.t[i].shape, sizeof items[k].shape);
        k++;
    }
    char p2[1200];
    snprintf(p2, sizeof p2, "%s/new.safetensors", dir);
    assert_int_equal(st_write_f32(p2, items, k, &e), 0);
    st_close(&st);
    assert_int_equal(rename(p2, p), 0);
    expect_load_error(dir, "2 tensors missing", "roberta.encoder.layer.1.output.dense.bias");
    expect_load_error(dir, "roberta.embeddings.LayerNorm.weight", "model.safetensors");
    for (int i = 0; i < k; i++) free(bufs[i]);
    free(bufs);
    free(items);
    model_free(&m);
}

static void files_equal(const char *d1, const char *d2, const char *file) {
    char a[1200], b[1200];
    snprintf(a, sizeof a, "%s/%s", d1, file);
    snprintf(b, sizeof b, "%s/%s", d2, file);
    size_t na, nb;
    XsErr e = {0};
    char *x = file_read_all(a, &na, &e), *y = file_read_all(b, &nb, &e);
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(na, nb);
    assert_memory_equal(x, y, na);
    free(x);
    free(y);
}

static void roundtrip(const Model *m0, const char *name) {
    char d1[1100], d2[1100];
    snprintf(d1, sizeof d1, "%s/%s-1", g_dir, name);
    snprintf(d2, sizeof d2, "%s/%s-2", g_dir, name);
    XsErr e = {0};
    assert_int_equal(model_save(d1, m0, &e), 0);
    Model m1;
    assert_int_equal(model_load(d1, &m1, &e), 0);
    assert_memory_equal(&m1.cfg, &m0->cfg, sizeof m0->cfg);
    assert_int_equal(m1.w.size, m0->w.size);
    assert_memory_equal(m1.w.block, m0->w.block, m0->w.size * sizeof(float));
    assert_int_equal(m1.has_pooler, m0->has_pooler);
    if (m0->has_pooler)
        assert_memory_equal(m1.pooler_w, m0->pooler_w, (size_t)m0->cfg.hidden_size * (m0->cfg.hidden_size + 1) * sizeof(float));
    assert_string_equal(m1.prefix, m0->prefix);
    assert_int_equal(model_save(d2, &m1, &e), 0);
    files_equal(d1, d2, "model.safetensors");
    files_equal(d1, d2, "config.json");
    model_free(&m1);
}

static void test_roundtrip(void **state) {
    (void)state;
    const char *dirs[] = {"xlmr_model", "xlmr_mlm", "bert_mlm", "xlmr_bf16"};
    for (int i = 0; i < 4; i++) {
        Model m;
        XsErr e = {0};
        char rel[64];
        snprintf(rel, sizeof rel, "model_io/%s", dirs[i]);
        assert_int_equal(model_load(tu_fixture(rel), &m, &e), 0);
        roundtrip(&m, dirs[i]);
        model_free(&m);
    }
    ModelConfig c;
    assert_int_equal(config_preset(&c, ARCH_XLMR, "tiny", 300), 0);
    Model m;
    memset(&m, 0, sizeof m);
    m.cfg = c;
    model_init_random(&m, 7);
    roundtrip(&m, "init");
    model_free(&m);
}

static void test_presets_and_init(void **state) {
    (void)state;
    ModelConfig c;
    assert_int_equal(config_preset(&c, ARCH_XLMR, "huge", 300), -1);
    assert_int_equal(config_preset(&c, ARCH_BERT, "small", 1000), 0);
    assert_int_equal(c.num_layers, 6);
    assert_int_equal(c.hidden_size, 384);
    assert_int_equal(c.num_heads, 12);
    assert_int_equal(c.intermediate_size, 1536);
    assert_int_equal(c.max_position, 512);
    assert_int_equal(c.type_vocab_size, 2);
    assert_int_equal(c.pad_token_id, 0);
    assert_int_equal(config_preset(&c, ARCH_XLMR, "large", 1000), 0);
    assert_int_equal(c.num_layers, 24);
    assert_int_equal(c.hidden_size, 1024);
    assert_int_equal(c.num_heads, 16);
    assert_int_equal(c.max_position, 514);
    assert_true(c.layer_norm_eps == 1e-5f);
    assert_int_equal(config_preset(&c, ARCH_XLMR, "tiny", 5000), 0);
    Model m, m2;
    memset(&m, 0, sizeof m);
    memset(&m2, 0, sizeof m2);
    m.cfg = m2.cfg = c;
    model_init_random(&m, 11);
    model_init_random(&m2, 11);
    assert_memory_equal(m.w.block, m2.w.block, m.w.size * sizeof(float)); /* a function of the seed */
    size_t C = (size_t)c.hidden_size;
    for (size_t k = 0; k < C; k++) {
        assert_true(m.w.emb_ln_g[k] == 1.0f && m.w.emb_ln_b[k] == 0.0f);
        assert_true(m.w.layers[1].ln2_g[k] == 1.0f && m.w.layers[0].q_b[k] == 0.0f && m.pooler_b[k] == 0.0f);
        assert_true(m.w.word_emb[C * 1 + k] == 0.0f && m.w.pos_emb[C * 1 + k] == 0.0f); /* padding_idx rows */
    }
    double s = 0, s2 = 0;
    size_t n = (size_t)c.vocab_size * C;
    for (size_t k = 0; k < n; k++) { s += m.w.word_emb[k]; s2 += (double)m.w.word_emb[k] * m.w.word_emb[k]; }
    printf("word_emb: mean %.2e std %.5f (want 0, 0.02)\n", s / n, sqrt(s2 / n));
    assert_true(fabs(s / n) < 5e-4);
    assert_true(fabs(sqrt(s2 / n) - 0.02) < 5e-4);
    /* different tensors draw different numbers */
    assert_true(memcmp(m.w.layers[0].q_w, m.w.layers[0].k_w, C * C * sizeof(float)) != 0);
    model_free(&m);
    model_free(&m2);
}

/* Child mode: load DIR and print "RSS <baseline KB> <peak KB> <f32 bytes>". */
static int rss_child(const char *dir) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long base = ru.ru_maxrss;
    Model m;
    XsErr e = {0};
    if (model_load(dir, &m, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    getrusage(RUSAGE_SELF, &ru);
    printf("RSS %ld %ld %zu\n", base, ru.ru_maxrss, model_f32_bytes(&m));
    model_free(&m);
    return 0;
}

static void test_load_peak_rss(void **state) {
    (void)state;
    /* medium: L4 C512 F2048, V 8000: ~67 MB of f32 weights */
    ModelConfig c;
    assert_int_equal(config_preset(&c, ARCH_XLMR, "base", 8000), 0);
    c.num_layers = 4;
    c.hidden_size = 512;
    c.num_heads = 8;
    c.intermediate_size = 2048;
    Model m;
    memset(&m, 0, sizeof m);
    m.cfg = c;
    model_init_random(&m, 3);
    char dir[1100], cmd[2400];
    snprintf(dir, sizeof dir, "%s/medium", g_dir);
    XsErr e = {0};
    assert_int_equal(model_save(dir, &m, &e), 0);
    model_free(&m);
    snprintf(cmd, sizeof cmd, "'%s' --rss-child '%s'", g_self, dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    long base = 0, peak = 0;
    size_t bytes = 0;
    int got = fscanf(p, "RSS %ld %ld %zu", &base, &peak, &bytes);
    assert_int_equal(pclose(p), 0);
    assert_int_equal(got, 3);
    double total = (double)peak * 1024 / (double)bytes, delta = (double)(peak - base) * 1024 / (double)bytes;
    printf("load of %.1f MB f32: peak RSS %.1f MB = %.3fx (%.3fx above the %.1f MB before loading)\n", bytes / 1e6,
           peak * 1024 / 1e6, total, delta, base * 1024 / 1e6);
#if defined(__SANITIZE_ADDRESS__)
    printf("(ASan build: RSS includes shadow memory; ratio not asserted)\n");
#else
    assert_true(delta <= 1.2);
    assert_true(total <= 1.3);
#endif
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--rss-child")) return rss_child(argv[2]);
    g_self = argv[0];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_hf_folders),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_missing_tensor),
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_wrong_dtype),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_presets_and_init),
        cmocka_unit_test(test_load_peak_rss),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
