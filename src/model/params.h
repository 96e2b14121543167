/* params.h — the ParamSet: one table {name, shape} of every trainable tensor (encoder, pooler, heads)
 * over one 64-byte-aligned block each for parameters, gradients and the two Adam moments.
 * Sizes, offsets, safetensors names and the no-decay group all come from the table; nothing else
 * keeps counts. The encoder's LayerParams are bound by name (params_bind); heads add their own entries.
 *
 * Life of a ParamSet:
 *   paramset_init → paramset_add (encoder: params_add_encoder; pooler: params_add_pooler; heads: any
 *   number of paramset_add) → paramset_alloc (block zeroed; the table is frozen from here on) →
 *   paramset_alloc_grad / paramset_alloc_adam when training → paramset_free.
 * Every pointer into a block (paramset_data, paramset_grad, EncoderParams fields, a head's weights)
 * stays valid until paramset_free: blocks never move once allocated. */
#ifndef XS_PARAMS_H
#define XS_PARAMS_H
#include "model/config.h"
#include <stddef.h>

typedef struct ParamInfo {
    char name[96];     /* table name: HF state-dict name without the "roberta."/"bert." model prefix for
                        * base-model entries ("embeddings.word_embeddings.weight", "pooler.dense.bias");
                        * a head's own HF name ("classifier.out_proj.weight", "lm_head.bias") */
    int ndim;          /* 1 or 2 */
    int shape[2];      /* Linear weights are [out, in], as PyTorch stores them; shape[1] = 0 when ndim = 1 */
    size_t numel;
    size_t offset;     /* in floats, into each block (the same for params, grads, Adam m and v);
                        * a multiple of 16, so every tensor is 64-byte aligned */
    int no_decay;      /* 1: no weight decay (bias, LayerNorm / layer_norm); derived from the name by
                        * paramset_add, may be overridden before the optimizer is built */
    int base;          /* 1: part of the base model (encoder, pooler): written with the model prefix */
    int loaded;        /* set by model_load_weights: 1 when the values came from a file, 0 when the
                        * entry was absent there (a fresh head: initialize it) */
} ParamInfo;

typedef struct ParamSet {
    ParamInfo *t;      /* [n] in insertion order: encoder (embeddings, layer 0..L-1), pooler, heads */
    int n, cap;
    size_t total;      /* floats per block, padding included */
    float *block;      /* (total) parameters; NULL before paramset_alloc / paramset_bind */
    float *grad;       /* (total) gradients; NULL until paramset_alloc_grad */
    float *adam_m;     /* (total) AdamW first moment; NULL until paramset_alloc_adam */
    float *adam_v;     /* (total) AdamW second moment */
    int owns;          /* 1: the blocks were allocated here and paramset_free frees them;
                        * 0: block was handed in by paramset_bind (caller frees it, after this set) */
} ParamSet;

/* Empty, unallocated set. A zeroed ParamSet is the same. */
void paramset_init(ParamSet *ps);
/* Adds a tensor of shape [d0] (d1 = 0) or [d0, d1] named `name` (HF name, unique in the set; CHECK),
 * with no_decay = name ends in ".bias" or contains "LayerNorm" / "layer_norm", base = 0. Only before
 * the block exists (CHECK). Returns its index. */
int paramset_add(ParamSet *ps, const char *name, int d0, int d1);
/* Index of a tensor by table name, or -1. */
int params_find(const ParamSet *ps, const char *name);
/* Allocates a zeroed, 64-byte-aligned parameter block of ps->total floats (owns = 1). Once. */
void paramset_alloc(ParamSet *ps);
/* Uses an existing block of ps->total floats instead (owns = 0; the caller keeps it alive). */
void paramset_bind(ParamSet *ps, float *block);
/* Zeroed gradient block / both zeroed Adam moment blocks, owned by the set (fresh pages: resident once written,
 * core/mem.h xalloc_pages). Need paramset_alloc. */
void paramset_alloc_grad(ParamSet *ps);
void paramset_alloc_adam(ParamSet *ps);
/* Sets every gradient to 0 (the whole block, padding included: one memset). */
void paramset_zero_grad(ParamSet *ps);
/* Tensor k's parameters / gradient (numel floats), 64-byte aligned. CHECKs that k is valid and that
 * the block exists. */
float *paramset_data(const ParamSet *ps, int k);
float *paramset_grad(const ParamSet *ps, int k);
/* Same by name; CHECK-fails when the name is not in the table (a wiring bug, not bad input). */
float *paramset_get(const ParamSet *ps, const char *name);
/* Number of floats of the tensors without padding (the model's true size). */
size_t paramset_numel(const ParamSet *ps);
/* Frees the table and the blocks it owns; leaves an empty set. */
void paramset_free(ParamSet *ps);

/* ---- the encoder's entries and their pointer view ---- */

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

/* Pointers into one block of a ParamSet (parameters, gradients or an Adam moment): the same struct
 * describes the parameters and their gradients. Does not own the block. */
typedef struct EncoderParams {
    float *word_emb;       /* (V,C) embeddings.word_embeddings.weight */
    float *pos_emb;        /* (P,C) embeddings.position_embeddings.weight */
    float *type_emb;       /* (TV,C) embeddings.token_type_embeddings.weight */
    float *emb_ln_g, *emb_ln_b; /* (C) embeddings.LayerNorm */
    LayerParams *layers;   /* [L], owned (freed by params_unbind) */
    int num_layers;
    float *block;          /* the block these point into (not owned); block + t[k].offset = tensor k */
    size_t size;           /* floats in block (= the set's total) */
} EncoderParams;

/* Appends the encoder of cfg: 5 embedding tensors, then 16 per layer (HF RobertaModel/BertModel
 * names without prefix), all base = 1. Returns the index of the first one. */
int params_add_encoder(ParamSet *ps, const ModelConfig *cfg);
/* Appends BertPooler / XLM-R pooler: pooler.dense.weight (C,C), pooler.dense.bias (C), base = 1.
 * Returns the index of the weight. */
int params_add_pooler(ParamSet *ps, const ModelConfig *cfg);
/* Points every field of p at its tensor in `block` (ps->block, ps->grad, an Adam moment, or any
 * block of ps->total floats), looking each one up by name: CHECK-fails when the table lacks one or
 * its shape disagrees with cfg. Allocates p->layers; free with params_unbind. */
void params_bind(const ModelConfig *cfg, const ParamSet *ps, EncoderParams *p, float *block);
void params_unbind(EncoderParams *p);

#endif
