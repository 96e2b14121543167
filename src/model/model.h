/* model.h — a model folder in Hugging Face layout (config.json + model.safetensors) loaded into
 * the one ParamSet (encoder, pooler, heads), saved back, or randomly initialised as HF does. The math: encoder.h. */
#ifndef XS_MODEL_H
#define XS_MODEL_H
#include "model/config.h"
#include "model/params.h"
#include <stdint.h>

typedef struct Model {
    ModelConfig cfg;
    /* The ParamSet: entries [0, n_encoder) are the encoder's (params_add_encoder order), then the
     * pooler's two when has_pooler, then any head's (paramset_add on &m->tab before the block is
     * allocated). Parameters, gradients and Adam moments are each one block over this table. */
    ParamSet tab;
    int n_encoder;
    EncoderParams w;        /* the encoder's tensors in tab.block, bound by name (params_bind) */
    EncoderParams g;        /* the same in tab.grad, after model_alloc_grads; zeroed struct before */
    char dir[1024];         /* folder it was loaded from ("" when built in memory) */
    char prefix[16];        /* "roberta.", "bert." or "" as found in the file; model_save writes it back
                             * on every base entry (encoder, pooler); heads are written unprefixed, as HF */
    /* BertModel / XLMRobertaModel's pooler (dense tanh on the first token): the encoder does not
     * use it; BERT's classification heads do, and it is kept so that a saved folder loads in HF's
     * AutoModel with no missing keys. Regular entries of tab ("pooler.dense.weight" / ".bias"). */
    int has_pooler;
    float *pooler_w;        /* (C,C) pooler.dense.weight, [out, in], into tab.block; NULL when !has_pooler */
    float *pooler_b;        /* (C)   pooler.dense.bias */
    /* Tensors of the file that no table entry claims (lm_head.*, cls.*, an unregistered head), full names. */
    char **unused;
    int n_unused;
    /* Set between model_open and model_load_weights: tensors of the file that look like the encoder's
     * own ("encoder.*", "embeddings.*", with or without the prefix) but that config.json does not use
     * (a config with fewer layers than the checkpoint) are then a warning instead of an error. */
    int allow_unused_weights;
} Model;

/* Loading in two steps, so that heads can add their entries in between:
 *   model_open(dir)                 config.json, prefix, the encoder's table (+ pooler when the file has it)
 *   paramset_add(&m->tab, ...)      each head's tensors (HF names, unprefixed: "classifier.dense.weight")
 *   model_load_weights(m, 1)        the block, read from the file; pooler/head entries absent from the file keep
 *                                   loaded = 0 (initialize them: model_init_fresh)
 * model_load = model_open + model_load_weights(m, 0). */

/* Reads dir/config.json and the header of dir/model.safetensors; builds the table. No block yet. */
int model_open(const char *dir, Model *m, XsErr *err);
/* Allocates the block and reads every table entry from dir/model.safetensors. Tensor names are HF's
 * state-dict names: base entries with or without the "roberta."/"bert." prefix (detected by model_open),
 * head entries as added. Buffers (*.position_ids, *.token_type_ids) are ignored; unclaimed encoder
 * tensors ("encoder.*", "embeddings.*": config.json describes a smaller encoder than the file) are an
 * error unless m->allow_unused_weights; other unclaimed tensors (heads: lm_head.*, cls.*, ...) are
 * logged ("Some weights of the checkpoint ... were not used") and listed in m->unused;
 * a missing encoder tensor (or, unless fresh_ok, a missing pooler / head tensor: any entry past the
 * encoder's n_encoder) or a shape that disagrees with the table is an error naming the tensor(s), and m
 * is freed. With fresh_ok, absent entries stay zero with loaded = 0 (model_init_fresh initializes them,
 * e.g. a BERT pooler added with params_add_pooler for a checkpoint that has none). F32/F16/BF16/F64 are
 * converted to F32 while reading, straight into the block; peak RSS stays near the f32 size. */
int model_load_weights(Model *m, int fresh_ok, XsErr *err);
/* fresh_ok values (0 and 1 as above). MODEL_LOAD_ENCODER_ONLY: base entries (encoder, pooler) are read
 * from the file as with MODEL_LOAD_FRESH_OK, but no head entry is: every head entry stays fresh (loaded = 0)
 * and every non-base tensor of the file goes to m->unused, even one whose name and shape a head entry
 * shares (BERT's classifier.* of a sequence- and a token-classification head): the transfer between
 * phases of X-STILTs (jiant's encoder-only load). */
enum { MODEL_LOAD_STRICT = 0, MODEL_LOAD_FRESH_OK = 1, MODEL_LOAD_ENCODER_ONLY = 2 };
/* model_open + model_load_weights(m, 0): the encoder (and pooler) of a folder. */
int model_load(const char *dir, Model *m, XsErr *err);
/* The same with m->allow_unused_weights = allow_unused. */
int model_load_opts(const char *dir, Model *m, int allow_unused, XsErr *err);
/* Writes dir/model.safetensors (F32, every table entry: base entries with m->prefix, heads as named)
 * and dir/config.json, each atomically; creates dir when it does not exist. A model with a head (any
 * non-base entry) is written as HF's *For* classes save: base entries with the arch's base_model_prefix
 * ("roberta." / "bert.") when m->prefix is "", and config.json with cfg.architecture / cfg.num_labels;
 * without a head, config.json names the base class. */
int model_save(const char *dir, const Model *m, XsErr *err);
/* The table of cfg's encoder (+ pooler when with_pooler), no block: heads may add entries, then
 * model_alloc_params. m->prefix = "". */
void model_init(Model *m, const ModelConfig *cfg, int with_pooler);
/* Allocates the zeroed block for the table and binds m->w (and the pooler pointers). */
void model_alloc_params(Model *m);
/* model_init(m, cfg, 1) + model_alloc_params: encoder and pooler, zeroed. */
void model_alloc(Model *m, const ModelConfig *cfg);
/* Allocates the (zeroed) gradient block and binds m->g to it. */
void model_alloc_grads(Model *m);
/* HF _init_weights (PreTrainedModel._init_weights) over every entry: 2-D weights (Linear, Embedding)
 * ~ N(0, initializer_range), biases 0, LayerNorm / layer_norm weights 1, and the padding_idx row zeroed
 * in the embeddings that have one (word embeddings; for RoBERTa/XLM-R also position embeddings).
 * Allocates with model_alloc first when m has no block. Philox: tensor k is stream k, so values
 * depend only on (seed, position in the table). */
void model_init_random(Model *m, uint64_t seed);
/* The same rule on the entries with loaded == 0 only (a fresh head after model_load_weights(m, 1)),
 * as HF initializes "newly initialized" weights; sets their loaded = 1. Returns how many. */
int model_init_fresh(Model *m, uint64_t seed);
/* Bytes the weights take in f32 (every table entry, padding excluded). */
size_t model_f32_bytes(const Model *m);
void model_free(Model *m);

#endif
