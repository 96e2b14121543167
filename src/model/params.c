/* params.c — builds the parameter table and binds struct pointers into one block.
 * Names mirror HF's RobertaModel/BertModel state dict (modeling_roberta.py, modeling_bert.py). */
#include "model/params.h"
#include "core/mem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add(ParamTable *tab, int *cap, const char *name, int d0, int d1) {
    if (tab->n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        tab->t = xrealloc(tab->t, (size_t)*cap * sizeof *tab->t);
    }
    ParamInfo *p = &tab->t[tab->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->ndim = d1 > 0 ? 2 : 1;
    p->shape[0] = d0;
    p->shape[1] = d1 > 0 ? d1 : 0;
    p->numel = (size_t)d0 * (size_t)(d1 > 0 ? d1 : 1);
    /* keep every tensor 64-byte aligned inside the block: round offsets to 16 floats */
    p->offset = tab->total;
    tab->total += (p->numel + 15) & ~(size_t)15;
    size_t len = strlen(name);
    p->no_decay = (len > 5 && !strcmp(name + len - 5, ".bias")) || strstr(name, "LayerNorm") != NULL;
}

void params_table(const ModelConfig *c, ParamTable *tab) {
    memset(tab, 0, sizeof *tab);
    int cap = 0, C = c->hidden_size, F = c->intermediate_size;
    add(tab, &cap, "embeddings.word_embeddings.weight", c->vocab_size, C);
    add(tab, &cap, "embeddings.position_embeddings.weight", c->max_position, C);
    add(tab, &cap, "embeddings.token_type_embeddings.weight", c->type_vocab_size, C);
    add(tab, &cap, "embeddings.LayerNorm.weight", C, 0);
    add(tab, &cap, "embeddings.LayerNorm.bias", C, 0);
    char n[96];
    for (int l = 0; l < c->num_layers; l++) {
#define ADD(suffix, d0, d1) (snprintf(n, sizeof n, "encoder.layer.%d.%s", l, suffix), add(tab, &cap, n, d0, d1))
        ADD("attention.self.query.weight", C, C);
        ADD("attention.self.query.bias", C, 0);
        ADD("attention.self.key.weight", C, C);
        ADD("attention.self.key.bias", C, 0);
        ADD("attention.self.value.weight", C, C);
        ADD("attention.self.value.bias", C, 0);
        ADD("attention.output.dense.weight", C, C);
        ADD("attention.output.dense.bias", C, 0);
        ADD("attention.output.LayerNorm.weight", C, 0);
        ADD("attention.output.LayerNorm.bias", C, 0);
        ADD("intermediate.dense.weight", F, C);
        ADD("intermediate.dense.bias", F, 0);
        ADD("output.dense.weight", C, F);
        ADD("output.dense.bias", C, 0);
        ADD("output.LayerNorm.weight", C, 0);
        ADD("output.LayerNorm.bias", C, 0);
#undef ADD
    }
}

void params_table_free(ParamTable *tab) {
    free(tab->t);
    memset(tab, 0, sizeof *tab);
}

int params_find(const ParamTable *tab, const char *name) {
    for (int i = 0; i < tab->n; i++)
        if (!strcmp(tab->t[i].name, name)) return i;
    return -1;
}

void params_bind(const ModelConfig *c, const ParamTable *tab, EncoderParams *p, float *block) {
    p->block = block;
    p->size = tab->total;
    p->num_layers = c->num_layers;
    p->layers = xcalloc((size_t)c->num_layers, sizeof *p->layers);
    /* The table order is fixed by params_table: 5 embedding tensors, then 16 per layer in the
     * order of LayerParams' fields. */
    const ParamInfo *t = tab->t;
    p->word_emb = block + t[0].offset;
    p->pos_emb = block + t[1].offset;
    p->type_emb = block + t[2].offset;
    p->emb_ln_g = block + t[3].offset;
    p->emb_ln_b = block + t[4].offset;
    for (int l = 0; l < c->num_layers; l++) {
        float **f = (float **)&p->layers[l];
        for (int k = 0; k < 16; k++) f[k] = block + t[5 + 16 * l + k].offset;
    }
}

void params_alloc(const ModelConfig *c, const ParamTable *tab, EncoderParams *p) {
    params_bind(c, tab, p, xmalloc_aligned(tab->total * sizeof(float)));
}

void params_free(EncoderParams *p) {
    free(p->block);
    free(p->layers);
    memset(p, 0, sizeof *p);
}
