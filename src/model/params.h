/* params.h — the one parameter table. From {name, shape} per tensor it derives sizes, offsets
 * in one contiguous block, Hugging Face names, and optimizer groups (no decay on bias / LayerNorm).
 * Gradients and Adam moments reuse the same table over other blocks. */
#ifndef XS_PARAMS_H
#define XS_PARAMS_H
#include "model/config.h"
#include <stddef.h>

typedef struct ParamInfo {
    char name[96];     /* HF state-dict name without the "roberta."/"bert." prefix */
    int ndim;          /* 1 or 2 */
    int shape[2];      /* Linear weights are [out, in], as PyTorch stores them */
    size_t numel;
    size_t offset;     /* in floats, into the block */
    int no_decay;      /* bias and LayerNorm: no weight decay */
} ParamInfo;

typedef struct LayerParams {
    float *q_w, *q_b;      /* (C,C) (C)  attention.self.query */
    float *k_w, *k_b;      /* (C,C) (C)  attention.self.key */
    float *v_w, *v_b;      /* (C,C) (C)  attention.self.value */
    float *ao_w, *ao_b;    /* (C,C) (C)  attention.output.dense */
    float *ln1_g, *ln1_b;  /* (C) (C)    attention.output.LayerNorm */
    float *fc1_w, *fc1_b;  /* (F,C) (F)  intermediate.dense */
    float *fc2_w, *fc2_b;  /* (C,F) (C)  output.dense */
    float *ln2_g, *ln2_b;  /* (C) (C)    output.LayerNorm */
} LayerParams;

/* Pointers into one block; the same struct describes parameters and their gradients. */
typedef struct EncoderParams {
    float *word_emb;       /* (V,C) embeddings.word_embeddings.weight */
    float *pos_emb;        /* (P,C) embeddings.position_embeddings.weight */
    float *type_emb;       /* (TV,C) embeddings.token_type_embeddings.weight */
    float *emb_ln_g, *emb_ln_b; /* (C) embeddings.LayerNorm */
    LayerParams *layers;   /* [L], owned */
    int num_layers;
    float *block;          /* the whole parameter block, 64-byte aligned (owned) */
    size_t size;           /* floats in block */
} EncoderParams;

typedef struct ParamTable {
    ParamInfo *t;   /* [n] in a fixed order: embeddings, then layer 0..L-1 */
    int n;
    size_t total;   /* floats */
} ParamTable;

/* Builds the table for the encoder of cfg (no pooler / heads: those are separate tables). */
void params_table(const ModelConfig *cfg, ParamTable *tab);
void params_table_free(ParamTable *tab);
/* Index of a tensor by (unprefixed) name, or -1. */
int params_find(const ParamTable *tab, const char *name);
/* Allocates a zeroed block of tab->total floats and points every field into it. */
void params_alloc(const ModelConfig *cfg, const ParamTable *tab, EncoderParams *p);
/* Points the fields of p into an existing block (e.g. gradients, Adam moments). */
void params_bind(const ModelConfig *cfg, const ParamTable *tab, EncoderParams *p, float *block);
void params_free(EncoderParams *p);

#endif
