/* params.c — the ParamSet (one table over one block each for parameters, gradients, Adam moments)
 * and the encoder's entries, bound to LayerParams by name. Names mirror HF's RobertaModel/BertModel
 * state dict (modeling_roberta.py, modeling_bert.py). Loading/saving a folder lives in model.c. */
#include "model/params.h"
#include "core/check.h"
#include "core/mem.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void paramset_init(ParamSet *ps) { memset(ps, 0, sizeof *ps); }

static int ends_with(const char *s, const char *p) {
    size_t n = strlen(s), k = strlen(p);
    return n >= k && !strcmp(s + n - k, p);
}

int paramset_add(ParamSet *ps, const char *name, int d0, int d1) {
    CHECK(!ps->block, "paramset_add(%s): the block is already allocated; add every tensor first", name);
    CHECK(d0 > 0 && d1 >= 0, "paramset_add(%s): bad shape [%d, %d]", name, d0, d1);
    CHECK(strlen(name) < sizeof ps->t[0].name, "paramset_add: name too long: %s", name);
    CHECK(params_find(ps, name) < 0, "paramset_add: %s is already in the table", name);
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? 2 * ps->cap : 64;
        ps->t = xrealloc(ps->t, (size_t)ps->cap * sizeof *ps->t);
    }
    ParamInfo *p = &ps->t[ps->n];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->ndim = d1 > 0 ? 2 : 1;
    p->shape[0] = d0;
    p->shape[1] = d1;
    p->numel = (size_t)d0 * (size_t)(d1 > 0 ? d1 : 1);
    /* keep every tensor 64-byte aligned inside the block: round offsets to 16 floats */
    p->offset = ps->total;
    ps->total += (p->numel + 15) & ~(size_t)15;
    /* AdamW groups as HF's Trainer / jiant: no decay on biases and LayerNorm weights */
    p->no_decay = ends_with(name, ".bias") || strstr(name, "LayerNorm") != NULL || strstr(name, "layer_norm") != NULL;
    return ps->n++;
}

int params_find(const ParamSet *ps, const char *name) {
    for (int i = 0; i < ps->n; i++)
        if (!strcmp(ps->t[i].name, name)) return i;
    return -1;
}

void paramset_alloc(ParamSet *ps) {
    CHECK(!ps->block, "paramset_alloc: already allocated");
    CHECK(ps->total > 0, "paramset_alloc: empty table");
    ps->block = xmalloc_aligned(ps->total * sizeof(float));
    ps->owns = 1;
}

void paramset_bind(ParamSet *ps, float *block) {
    CHECK(!ps->block && block, "paramset_bind: already allocated, or NULL block");
    CHECK(((uintptr_t)block & 63) == 0, "paramset_bind: block not 64-byte aligned");
    ps->block = block;
    ps->owns = 0;
}

void paramset_alloc_grad(ParamSet *ps) {
    CHECK(ps->block && !ps->grad, "paramset_alloc_grad: needs the parameter block, once");
    ps->grad = xalloc_pages(ps->total * sizeof(float)); /* pages resident once written (lazy rows: few) */
}

void paramset_alloc_adam(ParamSet *ps) {
    CHECK(ps->block && !ps->adam_m, "paramset_alloc_adam: needs the parameter block, once");
    ps->adam_m = xalloc_pages(ps->total * sizeof(float));
    ps->adam_v = xalloc_pages(ps->total * sizeof(float));
}

void paramset_zero_grad(ParamSet *ps) {
    CHECK(ps->grad, "paramset_zero_grad: no gradient block (paramset_alloc_grad)");
    memset(ps->grad, 0, ps->total * sizeof(float));
}

float *paramset_data(const ParamSet *ps, int k) {
    CHECK(k >= 0 && k < ps->n && ps->block, "paramset_data: tensor %d of %d, block %p", k, ps->n, (void *)ps->block);
    return ps->block + ps->t[k].offset;
}

float *paramset_grad(const ParamSet *ps, int k) {
    CHECK(k >= 0 && k < ps->n && ps->grad, "paramset_grad: tensor %d of %d, grad %p", k, ps->n, (void *)ps->grad);
    return ps->grad + ps->t[k].offset;
}

float *paramset_get(const ParamSet *ps, const char *name) {
    int k = params_find(ps, name);
    CHECK(k >= 0, "paramset_get: no tensor %s in the table", name);
    return paramset_data(ps, k);
}

size_t paramset_numel(const ParamSet *ps) {
    size_t n = 0;
    for (int i = 0; i < ps->n; i++) n += ps->t[i].numel;
    return n;
}

void paramset_free(ParamSet *ps) {
    if (ps->owns) free(ps->block);
    xfree_pages(ps->grad, ps->total * sizeof(float));
    xfree_pages(ps->adam_m, ps->total * sizeof(float));
    xfree_pages(ps->adam_v, ps->total * sizeof(float));
    free(ps->t);
    memset(ps, 0, sizeof *ps);
}

/* ---- encoder ---- */

static int add_base(ParamSet *ps, const char *name, int d0, int d1) {
    int k = paramset_add(ps, name, d0, d1);
    ps->t[k].base = 1;
    return k;
}

/* One layer's tensors: suffix after "encoder.layer.%d." and its shape in units of C / F. */
#define LAYER_TENSORS(X)                                 \
    X(q_w, "attention.self.query.weight", C, C)          \
    X(q_b, "attention.self.query.bias", C, 0)            \
    X(k_w, "attention.self.key.weight", C, C)            \
    X(k_b, "attention.self.key.bias", C, 0)              \
    X(v_w, "attention.self.value.weight", C, C)          \
    X(v_b, "attention.self.value.bias", C, 0)            \
    X(ao_w, "attention.output.dense.weight", C, C)       \
    X(ao_b, "attention.output.dense.bias", C, 0)         \
    X(ln1_g, "attention.output.LayerNorm.weight", C, 0)  \
    X(ln1_b, "attention.output.LayerNorm.bias", C, 0)    \
    X(fc1_w, "intermediate.dense.weight", F, C)          \
    X(fc1_b, "intermediate.dense.bias", F, 0)            \
    X(fc2_w, "output.dense.weight", C, F)                \
    X(fc2_b, "output.dense.bias", C, 0)                  \
    X(ln2_g, "output.LayerNorm.weight", C, 0)            \
    X(ln2_b, "output.LayerNorm.bias", C, 0)

#define EMB_TENSORS(X)                                                  \
    X(word_emb, "embeddings.word_embeddings.weight", V, C)              \
    X(pos_emb, "embeddings.position_embeddings.weight", P, C)           \
    X(type_emb, "embeddings.token_type_embeddings.weight", TV, C)       \
    X(emb_ln_g, "embeddings.LayerNorm.weight", C, 0)                    \
    X(emb_ln_b, "embeddings.LayerNorm.bias", C, 0)

int params_add_encoder(ParamSet *ps, const ModelConfig *c) {
    int C = c->hidden_size, F = c->intermediate_size, V = c->vocab_size, P = c->max_position, TV = c->type_vocab_size;
    int first = ps->n;
    char n[96];
#define ADD_EMB(field, name, d0, d1) add_base(ps, name, d0, d1);
    EMB_TENSORS(ADD_EMB)
#undef ADD_EMB
    for (int l = 0; l < c->num_layers; l++) {
#define ADD_LAYER(field, suffix, d0, d1) \
    snprintf(n, sizeof n, "encoder.layer.%d.%s", l, suffix); \
    add_base(ps, n, d0, d1);
        LAYER_TENSORS(ADD_LAYER)
#undef ADD_LAYER
    }
    return first;
}

int params_add_pooler(ParamSet *ps, const ModelConfig *c) {
    int k = add_base(ps, "pooler.dense.weight", c->hidden_size, c->hidden_size);
    add_base(ps, "pooler.dense.bias", c->hidden_size, 0);
    return k;
}

/* The tensor `name` in `block`, checked against the shape cfg implies. */
static float *lookup(const ParamSet *ps, float *block, const char *name, int d0, int d1) {
    int k = params_find(ps, name);
    CHECK(k >= 0, "params_bind: the table has no %s", name);
    const ParamInfo *p = &ps->t[k];
    CHECK(p->shape[0] == d0 && p->shape[1] == d1, "params_bind: %s is [%d, %d], the config implies [%d, %d]", name,
          p->shape[0], p->shape[1], d0, d1);
    return block + p->offset;
}

void params_bind(const ModelConfig *c, const ParamSet *ps, EncoderParams *p, float *block) {
    int C = c->hidden_size, F = c->intermediate_size, V = c->vocab_size, P = c->max_position, TV = c->type_vocab_size;
    CHECK(block, "params_bind: NULL block");
    memset(p, 0, sizeof *p);
    p->block = block;
    p->size = ps->total;
    p->num_layers = c->num_layers;
    p->layers = xcalloc((size_t)c->num_layers, sizeof *p->layers);
#define BIND_EMB(field, name, d0, d1) p->field = lookup(ps, block, name, d0, d1);
    EMB_TENSORS(BIND_EMB)
#undef BIND_EMB
    char n[96];
    for (int l = 0; l < c->num_layers; l++) {
        LayerParams *lp = &p->layers[l];
#define BIND_LAYER(field, suffix, d0, d1) \
    snprintf(n, sizeof n, "encoder.layer.%d.%s", l, suffix); \
    lp->field = lookup(ps, block, n, d0, d1);
        LAYER_TENSORS(BIND_LAYER)
#undef BIND_LAYER
    }
}

void params_unbind(EncoderParams *p) {
    free(p->layers);
    memset(p, 0, sizeof *p);
}
