/* model.h — a model folder in Hugging Face layout (config.json + model.safetensors) loaded into
 * the one parameter block, saved back, or randomly initialised as HF does. The math: encoder.h. */
#ifndef XS_MODEL_H
#define XS_MODEL_H
#include "model/config.h"
#include "model/params.h"
#include <stdint.h>

typedef struct Model {
    ModelConfig cfg;
    ParamTable tab;
    EncoderParams w;        /* one block, names in tab */
    char dir[1024];         /* folder it was loaded from ("" when built in memory) */
    char prefix[16];        /* "roberta.", "bert." or "" as found in the file; model_save writes it back */
    /* BertModel / XLMRobertaModel's pooler (dense tanh on the first token): the encoder does not
     * use it, but it is kept so that a saved folder loads in HF's AutoModel with no missing keys. */
    int has_pooler;
    float *pooler_w;        /* (C,C) pooler.dense.weight, [out, in]; NULL when !has_pooler */
    float *pooler_b;        /* (C)   pooler.dense.bias */
    /* Tensors of the file that the encoder does not use (lm_head.*, cls.*, ...), full names. */
    char **unused;
    int n_unused;
} Model;

/* Loads dir/config.json and dir/model.safetensors. Tensor names are HF's state-dict names, with
 * or without the "roberta."/"bert." prefix (detected); buffers (*.position_ids, *.token_type_ids)
 * are ignored; other unknown tensors are logged ("Some weights of the checkpoint ... were not
 * used") and listed in m->unused; any missing tensor or a shape that disagrees with config.json
 * is an error naming the tensor(s). F32/F16/BF16/F64 are converted to F32 while reading, straight
 * into the block; peak RSS stays near the f32 size of the weights. */
int model_load(const char *dir, Model *m, XsErr *err);
/* Writes dir/model.safetensors (F32, names with m->prefix) and dir/config.json, each atomically;
 * creates dir when it does not exist. */
int model_save(const char *dir, const Model *m, XsErr *err);
/* Builds the table and a zeroed block (and pooler) for cfg. */
void model_alloc(Model *m, const ModelConfig *cfg);
/* HF _init_weights (PreTrainedModel._init_weights): Linear / Embedding weights ~ N(0, initializer_range),
 * biases 0, LayerNorm 1 / 0, and the padding_idx row zeroed in the embeddings that have one
 * (word embeddings; for RoBERTa/XLM-R also position embeddings). Allocates with model_alloc first
 * when m has no block. Philox: each tensor is its own stream, so values depend only on seed. */
void model_init_random(Model *m, uint64_t seed);
/* Bytes the weights take in f32 (the block's tensors plus the pooler). */
size_t model_f32_bytes(const Model *m);
void model_free(Model *m);

#endif
