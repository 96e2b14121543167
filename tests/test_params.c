/* test_params.c — model/params + the head path of model/model: one table over one block each for
 * parameters, gradients and Adam moments; binding by name whatever the table order; heads added between
 * model_open and model_load_weights, loaded from an HF file (lm_head.* of XLMRobertaForMaskedLM),
 * freshly initialised when absent, saved unprefixed and read back bit-exact. */
#include "testutil.h"
#include "core/mem.h"
#include "model/model.h"
#include "model/safetensors.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ModelConfig tiny(void) {
    ModelConfig c;
    assert_int_equal(config_preset(&c, ARCH_XLMR, "tiny", 100), 0);
    return c;
}

static void test_table_blocks(void **state) {
    (void)state;
    ModelConfig c = tiny();
    ParamSet ps;
    paramset_init(&ps);
    /* a head first: binding must go by name, not by position */
    int h = paramset_add(&ps, "classifier.dense.weight", c.hidden_size, c.hidden_size);
    int hb = paramset_add(&ps, "classifier.dense.bias", c.hidden_size, 0);
    int e0 = params_add_encoder(&ps, &c);
    int pl = params_add_pooler(&ps, &c);
    int ln = paramset_add(&ps, "lm_head.layer_norm.weight", c.hidden_size, 0);
    int op = paramset_add(&ps, "classifier.out_proj.weight", 3, c.hidden_size);
    assert_int_equal(h, 0);
    assert_int_equal(e0, 2);
    assert_int_equal(pl, 2 + 5 + 16 * c.num_layers);
    assert_int_equal(ps.n, pl + 4);
    assert_int_equal(params_find(&ps, "encoder.layer.1.output.LayerNorm.bias"), 2 + 5 + 16 + 15);
    assert_int_equal(params_find(&ps, "nope"), -1);
    /* offsets: 16-float aligned, in order, no overlap, total covers all */
    size_t end = 0;
    for (int k = 0; k < ps.n; k++) {
        assert_int_equal(ps.t[k].offset % 16, 0);
        assert_true(ps.t[k].offset >= end);
        end = ps.t[k].offset + ps.t[k].numel;
        assert_int_equal(ps.t[k].base, k >= e0 && k <= pl + 1);
    }
    assert_true(ps.total >= end && ps.total - end < 16);
    assert_int_equal(ps.t[op].numel, (size_t)3 * c.hidden_size);
    /* no-decay group from the name */
    assert_false(ps.t[h].no_decay);
    assert_true(ps.t[hb].no_decay);
    assert_true(ps.t[ln].no_decay);
    assert_false(ps.t[op].no_decay);
    assert_false(ps.t[params_find(&ps, "embeddings.word_embeddings.weight")].no_decay);
    assert_true(ps.t[params_find(&ps, "embeddings.LayerNorm.weight")].no_decay);
    assert_true(ps.t[params_find(&ps, "encoder.layer.0.attention.output.LayerNorm.weight")].no_decay);
    assert_false(ps.t[params_find(&ps, "encoder.layer.0.intermediate.dense.weight")].no_decay);

    paramset_alloc(&ps);
    assert_int_equal((uintptr_t)ps.block % 64, 0);
    assert_int_equal(ps.owns, 1);
    assert_ptr_equal(paramset_data(&ps, op), ps.block + ps.t[op].offset);
    assert_ptr_equal(paramset_get(&ps, "classifier.out_proj.weight"), paramset_data(&ps, op));
    for (size_t i = 0; i < ps.total; i++) assert_true(ps.block[i] == 0.0f);

    EncoderParams w;
    params_bind(&c, &ps, &w, ps.block);
    assert_ptr_equal(w.word_emb, paramset_get(&ps, "embeddings.word_embeddings.weight"));
    assert_ptr_equal(w.emb_ln_b, paramset_get(&ps, "embeddings.LayerNorm.bias"));
    assert_ptr_equal(w.layers[0].q_w, paramset_get(&ps, "encoder.layer.0.attention.self.query.weight"));
    assert_ptr_equal(w.layers[1].fc1_w, paramset_get(&ps, "encoder.layer.1.intermediate.dense.weight"));
    assert_ptr_equal(w.layers[1].ln2_b, paramset_get(&ps, "encoder.layer.1.output.LayerNorm.bias"));
    assert_ptr_equal(w.layers[1].ao_b, paramset_get(&ps, "encoder.layer.1.attention.output.dense.bias"));
    assert_int_equal(w.size, ps.total);
    params_unbind(&w);

    /* gradients and both moments: blocks of the same size, same offsets, zeroed; zero_grad clears all */
    paramset_alloc_grad(&ps);
    paramset_alloc_adam(&ps);
    assert_int_equal((uintptr_t)ps.grad % 64, 0);
    for (size_t i = 0; i < ps.total; i++) {
        assert_true(ps.grad[i] == 0.0f && ps.adam_m[i] == 0.0f && ps.adam_v[i] == 0.0f);
        ps.grad[i] = 1.0f + (float)i;
    }
    assert_ptr_equal(paramset_grad(&ps, op), ps.grad + ps.t[op].offset);
    EncoderParams g;
    params_bind(&c, &ps, &g, ps.grad);
    assert_true(g.layers[1].fc1_w[0] == 1.0f + (float)ps.t[params_find(&ps, "encoder.layer.1.intermediate.dense.weight")].offset);
    params_unbind(&g);
    paramset_zero_grad(&ps);
    for (size_t i = 0; i < ps.total; i++) assert_true(ps.grad[i] == 0.0f);
    size_t numel = 0;
    for (int k = 0; k < ps.n; k++) numel += ps.t[k].numel;
    assert_int_equal(paramset_numel(&ps), numel);
    paramset_free(&ps);
    assert_null(ps.block);
    assert_int_equal(ps.n, 0);

    /* a borrowed block is not freed by the set */
    paramset_add(&ps, "x.bias", 5, 0);
    float *mine = xmalloc_aligned(ps.total * sizeof(float));
    paramset_bind(&ps, mine);
    assert_int_equal(ps.owns, 0);
    paramset_get(&ps, "x.bias")[4] = 7.0f;
    paramset_free(&ps);
    assert_true(mine[4] == 7.0f);
    free(mine);
}

/* Reads tensor `name` of path into a fresh buffer (NULL when absent). */
static float *file_tensor(const char *path, const char *name, size_t *numel) {
    SafeTensors st;
    XsErr e = {0};
    assert_int_equal(st_open(path, &st, &e), 0);
    const StTensor *t = st_find(&st, name);
    float *x = NULL;
    if (t) {
        *numel = st_numel(t);
        x = xmalloc(*numel * sizeof(float));
        assert_int_equal(st_read_f32(&st, t, x, &e), 0);
    }
    st_close(&st);
    return x;
}

static void test_heads_load_save(void **state) {
    (void)state;
    const char *src = tu_fixture("model_io/xlmr_mlm");
    char wsrc[512];
    snprintf(wsrc, sizeof wsrc, "%s/model.safetensors", src);
    Model m;
    XsErr e = {0};
    /* an HF head in the file (unprefixed lm_head.*, the encoder under "roberta.") loads into its entries */
    assert_int_equal(model_open(src, &m, &e), 0);
    assert_string_equal(m.prefix, "roberta.");
    assert_null(m.tab.block);
    int C = m.cfg.hidden_size;
    int kd = paramset_add(&m.tab, "lm_head.dense.weight", C, C);
    int kb = paramset_add(&m.tab, "lm_head.bias", m.cfg.vocab_size, 0);
    assert_int_equal(model_load_weights(&m, 0, &e), 0);
    assert_int_equal(m.n_unused, 3); /* lm_head.dense.bias and lm_head.layer_norm.* */
    assert_true(m.tab.t[kd].loaded && m.tab.t[kb].loaded && m.tab.t[0].loaded);
    size_t n = 0;
    float *ref = file_tensor(wsrc, "lm_head.dense.weight", &n);
    assert_int_equal(n, (size_t)C * C);
    assert_memory_equal(paramset_data(&m.tab, kd), ref, n * sizeof(float));
    free(ref);
    model_free(&m);

    /* a head the file lacks: an error naming it, unless fresh heads are allowed */
    assert_int_equal(model_open(src, &m, &e), 0);
    paramset_add(&m.tab, "classifier.dense.weight", C, C);
    assert_int_equal(model_load_weights(&m, 0, &e), -1);
    assert_non_null(strstr(e.msg, "1 tensor missing"));
    assert_non_null(strstr(e.msg, "classifier.dense.weight"));
    assert_null(strstr(e.msg, "roberta.classifier"));
    assert_null(m.tab.t); /* freed */
    assert_int_equal(model_open(src, &m, &e), 0);
    int cw = paramset_add(&m.tab, "classifier.dense.weight", C, C);
    int cb = paramset_add(&m.tab, "classifier.dense.bias", C, 0);
    assert_int_equal(model_load_weights(&m, 1, &e), 0);
    assert_false(m.tab.t[cw].loaded);
    assert_true(m.tab.t[cw - 1].loaded);
    float *enc_before = xmalloc((size_t)m.tab.t[cw].offset * sizeof(float));
    memcpy(enc_before, m.tab.block, (size_t)m.tab.t[cw].offset * sizeof(float));
    assert_int_equal(model_init_fresh(&m, 5), 2);
    assert_int_equal(model_init_fresh(&m, 5), 0);
    assert_memory_equal(enc_before, m.tab.block, (size_t)m.tab.t[cw].offset * sizeof(float)); /* untouched */
    free(enc_before);
    const float *hw = paramset_data(&m.tab, cw), *hb = paramset_data(&m.tab, cb);
    double s2 = 0;
    for (int i = 0; i < C * C; i++) s2 += (double)hw[i] * hw[i];
    assert_true(sqrt(s2 / (C * C)) > 0.01 && sqrt(s2 / (C * C)) < 0.03); /* N(0, 0.02) */
    for (int i = 0; i < C; i++) assert_true(hb[i] == 0.0f);

    /* a pooler the checkpoint lacks (XLMRobertaForMaskedLM has none): added, freshly initialized */
    Model mp;
    assert_int_equal(model_open(src, &mp, &e), 0);
    assert_false(mp.has_pooler);
    int pk = params_add_pooler(&mp.tab, &mp.cfg);
    assert_int_equal(model_load_weights(&mp, 0, &e), -1);
    assert_non_null(strstr(e.msg, "roberta.pooler.dense.weight"));
    assert_int_equal(model_open(src, &mp, &e), 0);
    pk = params_add_pooler(&mp.tab, &mp.cfg);
    assert_int_equal(model_load_weights(&mp, 1, &e), 0);
    assert_true(mp.has_pooler);
    assert_ptr_equal(mp.pooler_w, paramset_data(&mp.tab, pk));
    assert_false(mp.tab.t[pk].loaded);
    assert_int_equal(model_init_fresh(&mp, 5), 2);
    assert_true(mp.pooler_w[0] != 0.0f && mp.pooler_b[0] == 0.0f);
    model_free(&mp);

    /* gradients bound through the same table */
    model_alloc_grads(&m);
    assert_ptr_equal(m.g.layers[1].q_b, paramset_grad(&m.tab, params_find(&m.tab, "encoder.layer.1.attention.self.query.bias")));
    assert_ptr_equal(m.g.word_emb, m.tab.grad);

    /* saved: encoder with the prefix, the head as HF names it */
    char *tmp = tu_tmpdir(), out[512], wout[600];
    snprintf(out, sizeof out, "%s/m", tmp);
    snprintf(wout, sizeof wout, "%s/model.safetensors", out);
    assert_int_equal(model_save(out, &m, &e), 0);
    float *saved = file_tensor(wout, "classifier.dense.weight", &n);
    assert_non_null(saved);
    assert_memory_equal(saved, hw, (size_t)C * C * sizeof(float));
    free(saved);
    assert_null(file_tensor(wout, "roberta.classifier.dense.weight", &n));
    free(file_tensor(wout, "roberta.embeddings.word_embeddings.weight", &n));
    assert_int_equal(n, (size_t)m.cfg.vocab_size * C);

    /* read back: without the head it is reported unused; with it, bit-exact */
    Model m2;
    assert_int_equal(model_load(out, &m2, &e), 0);
    assert_int_equal(m2.n_unused, 2);
    model_free(&m2);
    assert_int_equal(model_open(out, &m2, &e), 0);
    paramset_add(&m2.tab, "classifier.dense.weight", C, C);
    paramset_add(&m2.tab, "classifier.dense.bias", C, 0);
    assert_int_equal(model_load_weights(&m2, 0, &e), 0);
    assert_int_equal(m2.tab.total, m.tab.total);
    assert_memory_equal(m2.tab.block, m.tab.block, m.tab.total * sizeof(float));
    model_free(&m2);
    model_free(&m);
    tu_rmtree(tmp);
    free(tmp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_blocks),
        cmocka_unit_test(test_heads_load_save),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
