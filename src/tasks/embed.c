/* embed.c — texts → pooled sentence embeddings, batched by length (tokenize a chunk in parallel, sort it
 * longest first, forward batches without padding rows, pool, scatter back to input order). */
#include "tasks/embed.h"
#include "core/mem.h"
#include "core/util.h"
#include "model/encoder.h"
#include <stdlib.h>
#include <string.h>

/* Texts tokenized at a time: bounds the Encoding memory on big inputs (BUCC: ~400k lines) while
 * still giving length-sorted batches little padding. */
#define EMBED_CHUNK 8192

EmbedOpts embed_opts_default(void) {
    EmbedOpts o;
    memset(&o, 0, sizeof o);
    o.layer = -1;
    o.pool = POOL_MEAN;
    o.max_len = -1;
    o.batch = 32;
    return o;
}

int embed_max_len(const ModelConfig *cfg) {
    return cfg->arch == ARCH_XLMR ? cfg->max_position - cfg->pad_token_id - 1 : cfg->max_position;
}

typedef struct SortKey { int len, idx; } SortKey;
/* Longest first (the first batch sizes everything), input order among equal lengths: deterministic. */
static int cmp_len_desc(const void *a, const void *b) {
    const SortKey *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

int embed_texts(const Model *m, const Tokenizer *tok, const char *const *texts, const size_t *lens, long n,
                const EmbedOpts *opts, float *out, EmbedStats *stats, XsErr *err) {
    const ModelConfig *cfg = &m->cfg;
    const char *src = opts->source ? opts->source : "<input>";
    int layer = opts->layer < 0 ? cfg->num_layers : opts->layer;
    int max_len = opts->max_len < 0 ? embed_max_len(cfg) : opts->max_len;
    int B = opts->batch == 0 ? 32 : opts->batch;
    if (layer > cfg->num_layers)
        return err_set(err, NULL, 0, "layer %d outside 0..%d (hidden_states of a %d-layer model)", layer, cfg->num_layers,
                       cfg->num_layers);
    if (max_len < 2 || max_len > embed_max_len(cfg))
        return err_set(err, NULL, 0, "max length %d outside 2..%d (the model's positions)", max_len, embed_max_len(cfg));
    if (B < 1 || B > 65536) return err_set(err, NULL, 0, "batch %d outside 1..65536", B);
    if (tokenizer_vocab_size(tok) > cfg->vocab_size)
        return err_set(err, m->dir[0] ? m->dir : NULL, 0, "the tokenizer has %d ids but config.json's vocab_size is %d",
                       tokenizer_vocab_size(tok), cfg->vocab_size);
    CHECK(m->w.block, "embed_texts: the model has no weights");

    const int C = cfg->hidden_size, pad = cfg->pad_token_id;
    int chunk_cap = n < EMBED_CHUNK ? (int)(n > 0 ? n : 1) : EMBED_CHUNK;
    Encoding *encs = xmalloc((size_t)chunk_cap * sizeof *encs);
    for (int i = 0; i < chunk_cap; i++) encoding_init(&encs[i]);
    SortKey *order = xmalloc((size_t)chunk_cap * sizeof *order);
    int32_t *ids = NULL, *types = NULL;
    float *mask = NULL, *pooled = xmalloc((size_t)B * C * sizeof(float));
    EncoderState *st = NULL;
    int st_T = 0, rc = 0;
    uint64_t n_tokens = 0;
    Progress prog;
    progress_begin(&prog, "encode", (uint64_t)n);
    if (!opts->progress) prog.enabled = 0;
    double t0 = time_now();
    for (long first = 0; first < n && !rc; first += chunk_cap) {
        int cn = (int)(n - first < chunk_cap ? n - first : chunk_cap), bad = -1;
        XsErr terr = {0};
        if (tokenizer_encode_batch(tok, texts + first, lens + first, NULL, NULL, cn, max_len, encs, &bad, &terr)) {
            rc = err_set(err, src, first + bad + 1, "%s", terr.msg);
            break;
        }
        for (int i = 0; i < cn; i++) { order[i].len = encs[i].n; order[i].idx = i; }
        qsort(order, (size_t)cn, sizeof *order, cmp_len_desc);
        /* The state grows to the longest sequence seen (never to max_len unless a text needs it). */
        if (order[0].len > st_T) {
            encoder_state_free(st);
            st_T = order[0].len;
            st = encoder_state_new_layer(cfg, B, st_T, layer); /* stops at the layer pooled */
            /* Pooling reads token positions only, so padding rows need not be computed at all. */
            encoder_set_skip_padding(st, 1);
            free(ids); free(types); free(mask);
            ids = xmalloc((size_t)B * st_T * sizeof *ids);
            types = xmalloc((size_t)B * st_T * sizeof *types);
            mask = xmalloc((size_t)B * st_T * sizeof *mask);
            log_debug("encode: state for B=%d T=%d: %.1f MiB", B, st_T, (double)encoder_state_bytes(st) / (1 << 20));
        }
        for (int b0 = 0; b0 < cn; b0 += B) {
            int bn = cn - b0 < B ? cn - b0 : B;
            int T = order[b0].len; /* sorted: the batch's first is its longest */
            uint64_t toks = 0;
            for (int b = 0; b < bn; b++) {
                const Encoding *e = &encs[order[b0 + b].idx];
                for (int t = 0; t < T; t++) {
                    size_t k = (size_t)b * T + t;
                    int real = t < e->n;
                    ids[k] = real ? e->ids[t] : pad;
                    types[k] = real ? e->type_ids[t] : 0;
                    mask[k] = real ? 1.0f : 0.0f;
                }
                toks += (uint64_t)e->n;
            }
            encoder_forward(cfg, &m->w, st, ids, types, mask, bn, T, 0, 0, 0);
            pool_forward(opts->pool, encoder_hidden(st, layer), mask, bn, T, C, pooled);
            for (int b = 0; b < bn; b++)
                memcpy(out + (size_t)(first + order[b0 + b].idx) * C, pooled + (size_t)b * C, (size_t)C * sizeof(float));
            n_tokens += toks;
            progress_step(&prog, (uint64_t)bn, toks);
        }
    }
    progress_end(&prog);
    if (!rc && opts->normalize) pool_l2_normalize(out, (int)n, C);
    if (stats) {
        stats->tokens = n_tokens;
        stats->seconds = time_now() - t0;
    }
    encoder_state_free(st);
    for (int i = 0; i < chunk_cap; i++) encoding_free(&encs[i]);
    free(encs); free(order);
    free(ids); free(types); free(mask); free(pooled);
    return rc;
}
