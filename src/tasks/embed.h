/* embed.h — sentence embeddings as a library call: texts → tokenizer → batches sorted by length →
 * encoder (up to the pooled layer, padding rows skipped) → mean/cls pool → (n, C) floats in input order.
 * Reading lines and writing .npy are the caller's (cli/cmd_encode.c; train/predict/run later). */
#ifndef XS_EMBED_H
#define XS_EMBED_H
#include "core/check.h"
#include "model/model.h"
#include "model/pool.h"
#include "tok/tokenizer.h"
#include <stddef.h>
#include <stdint.h>

typedef struct EmbedOpts {
    int layer;            /* HF hidden_states[layer]: 0 = embedding output, num_layers = last; -1 = last */
    PoolKind pool;        /* POOL_MEAN (XTREME's mean_pool_embedding) or POOL_CLS */
    int max_len;          /* tokens per text, specials included (truncated); -1 = embed_max_len(cfg) */
    int batch;            /* texts per forward pass; 0 = 32 */
    int normalize;        /* 1: each row scaled to unit L2 norm */
    const char *source;   /* names the input in errors ("<stdin>", a path): "source:LINE: ..." with
                           * LINE = index + 1; NULL = "<input>" */
    int progress;         /* 1: a progress bar on stderr (quiet off a TTY) */
} EmbedOpts;

/* Defaults: last layer, mean pool, model's max length, batch 32, no normalization, no progress. */
EmbedOpts embed_opts_default(void);

typedef struct EmbedStats {
    uint64_t tokens;      /* tokens encoded, specials included, padding excluded */
    double seconds;       /* wall time of tokenization + forward + pooling */
} EmbedStats;

/* Longest sequence cfg's position embeddings allow: XLM-R's positions start at pad_token_id + 1
 * (HF create_position_ids_from_input_ids), so max_position - pad - 1; BERT's start at 0: max_position. */
int embed_max_len(const ModelConfig *cfg);

/* texts[i] (lens[i] bytes, UTF-8) for i < n, each tokenized alone (specials included, as HF's
 * tokenizer(text)) → out (n, C) (=), row i = texts[i]. Pads with config.json's pad_token_id. Returns 0,
 * or -1 with err: a text that does not tokenize ("source:i+1: ..."), layer / max_len / batch out of range,
 * or a tokenizer with more ids than the model's vocab_size. stats may be NULL. Memory: the texts'
 * encodings are made 8192 at a time, the encoder state grows to the longest sequence seen. */
int embed_texts(const Model *m, const Tokenizer *tok, const char *const *texts, const size_t *lens, long n,
                const EmbedOpts *opts, float *out, EmbedStats *stats, XsErr *err);

#endif
