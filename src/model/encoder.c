/* encoder.c — post-LN BERT / XLM-R forward and backward (HF BertModel / XLMRobertaModel, eager attention)
 * composed from kernels/ops.h. Parameters come from params.h, loading from model.c, heads/pooling elsewhere. */
#include "model/encoder.h"
#include "core/check.h"
#include "core/mem.h"
#include "kernels/ops.h"
#include <stdlib.h>
#include <string.h>

/* One layer's activations. In training every layer has its own set (what backward reads); in
 * inference one set is reused and pre/gel and x1/tmp share storage. */
typedef struct LayerActs {
    float *q, *k, *v;      /* (B,T,C) after bias */
    float *att;            /* (B,NH,T,T) softmax probs before dropout (train only) */
    float *ctx;            /* (B,T,C) dropout(att) @ v, heads concatenated */
    float *x1;             /* (B,T,C) dropout(ctx Wao^T + b) + input: LN1 input */
    float *mean1, *rstd1;  /* (B*T) */
    float *h1;             /* (B,T,C) LN1 output = attention block output */
    float *pre;            /* (B,T,F) h1 W1^T + b1: GELU input */
    float *gel;            /* (B,T,F) GELU output: one buffer shared by all layers (backward recomputes it) */
    float *x2;             /* (B,T,C) dropout(gel W2^T + b2) + h1: LN2 input */
    float *mean2, *rstd2;  /* (B*T) */
} LayerActs;

struct EncoderState {
    int Bmax, Tmax, train, L, C, F, NH, nthreads;
    int last_layer;        /* forward computes hidden states 0..last_layer */
    int keep_all;          /* every hidden state is kept (else only last_layer's) */
    Arena arena;
    int32_t *ids, *types, *pos; /* (B,T) copies of the last forward's inputs */
    float *mask;           /* (B,T) */
    int B, T, trained;     /* shape of the last forward; trained = it kept backward's activations */
    uint64_t seed;
    uint32_t step;
    float *emb;            /* (B,T,C) word + type + position: the embedding LN input */
    float *emb_mean, *emb_rstd; /* (B*T) */
    float **hidden;        /* [L+1] (B,T,C) */
    LayerActs *acts;       /* [L] when train, else [1] */
    float *tmp;            /* (B,T,C) output of Wao / W2 before the fused bias+dropout+residual+LN */
    float *scratch;        /* nthreads * attention_scratch_floats(Tmax) */
    /* backward workspace (train only) */
    float *bh, *bx, *br, *bctx, *bq, *bk, *bv; /* (B,T,C) */
    float *bf;             /* (B,T,F) */
    const float **dh;      /* [L+1] encoder_backward's argument list (no malloc per step) */
    /* skip_pad (inference): rows are packed tokens; row r is original position rowmap[r] = b*T+t,
     * sequence b owns rows [off[b], off[b+1]); pk_* are the inputs of the packed rows */
    int skip_pad, packed, nrows; /* packed/nrows: how the last forward ran */
    int32_t *rowmap, *off, *pk_ids, *pk_pos, *pk_types;
};

/* Layout pass: with a == NULL only counts bytes (to size the arena exactly), else hands out floats. */
static float *take(Arena *a, size_t *bytes, size_t nfloats) {
    size_t n = (nfloats * sizeof(float) + 63) & ~(size_t)63;
    if (!a) {
        *bytes += n;
        return NULL;
    }
    return arena_floats(a, nfloats);
}

static void layout(EncoderState *s, Arena *a, size_t *bytes) {
    size_t N = (size_t)s->Bmax * s->Tmax, C = (size_t)s->C, F = (size_t)s->F;
    s->ids = (int32_t *)take(a, bytes, N);
    s->types = (int32_t *)take(a, bytes, N);
    s->pos = (int32_t *)take(a, bytes, N);
    s->mask = take(a, bytes, N);
    s->rowmap = (int32_t *)take(a, bytes, N);
    s->off = (int32_t *)take(a, bytes, (size_t)s->Bmax + 1);
    s->pk_ids = (int32_t *)take(a, bytes, N);
    s->pk_pos = (int32_t *)take(a, bytes, N);
    s->pk_types = (int32_t *)take(a, bytes, N);
    s->emb = take(a, bytes, N * C);
    s->emb_mean = take(a, bytes, N);
    s->emb_rstd = take(a, bytes, N);
    if (s->keep_all) {
        for (int l = 0; l <= s->L; l++) s->hidden[l] = take(a, bytes, N * C);
    } else { /* two ping-pong buffers: layer l lands in buffer l % 2 */
        float *h0 = take(a, bytes, N * C), *h1 = take(a, bytes, N * C);
        for (int l = 0; l <= s->L; l++) s->hidden[l] = l % 2 ? h1 : h0;
    }
    int nsets = s->train ? s->L : 1;
    for (int l = 0; l < nsets; l++) {
        LayerActs *A = &s->acts[l];
        A->q = take(a, bytes, N * C);
        A->k = take(a, bytes, N * C);
        A->v = take(a, bytes, N * C);
        A->att = s->train ? take(a, bytes, (size_t)s->Bmax * s->NH * s->Tmax * s->Tmax) : NULL;
        A->ctx = take(a, bytes, N * C);
        A->h1 = take(a, bytes, N * C);
        A->pre = take(a, bytes, N * F);
        if (s->train) {
            A->x1 = take(a, bytes, N * C);
            A->x2 = take(a, bytes, N * C);
            A->mean1 = take(a, bytes, N);
            A->rstd1 = take(a, bytes, N);
            A->mean2 = take(a, bytes, N);
            A->rstd2 = take(a, bytes, N);
        } else {
            A->gel = A->pre; /* bias+GELU in place */
            A->x1 = A->x2 = NULL; /* set to tmp: the residual sum overwrites the GEMM output */
        }
    }
    if (s->train) { /* the FFN activation: shared, recomputed from pre in backward (saves (L-1)*N*F) */
        float *gel = take(a, bytes, N * F);
        for (int l = 0; l < nsets; l++) s->acts[l].gel = gel;
    }
    s->tmp = take(a, bytes, N * C);
    if (!s->train) s->acts[0].x1 = s->acts[0].x2 = s->tmp;
    s->scratch = take(a, bytes, (size_t)s->nthreads * attention_scratch_floats(s->Tmax));
    if (s->train) {
        s->bh = take(a, bytes, N * C);
        s->bx = take(a, bytes, N * C);
        s->br = take(a, bytes, N * C);
        s->bctx = take(a, bytes, N * C);
        s->bq = take(a, bytes, N * C);
        s->bk = take(a, bytes, N * C);
        s->bv = take(a, bytes, N * C);
        s->bf = take(a, bytes, N * F);
    }
}

static EncoderState *state_new(const ModelConfig *cfg, int B, int T, int train, int last_layer, int keep_all) {
    CHECK(B > 0 && T > 0, "bad encoder state shape B=%d T=%d", B, T);
    CHECK(cfg->num_heads > 0 && cfg->hidden_size % cfg->num_heads == 0, "hidden %d not divisible by %d heads",
          cfg->hidden_size, cfg->num_heads);
    EncoderState *s = xcalloc(1, sizeof *s);
    s->Bmax = B;
    s->Tmax = T;
    s->train = train != 0;
    s->L = cfg->num_layers;
    s->C = cfg->hidden_size;
    s->F = cfg->intermediate_size;
    s->NH = cfg->num_heads;
    s->nthreads = ops_max_threads();
    s->last_layer = last_layer;
    s->keep_all = keep_all;
    s->hidden = xcalloc((size_t)s->L + 1, sizeof *s->hidden);
    s->acts = xcalloc(s->train && s->L > 0 ? (size_t)s->L : 1, sizeof *s->acts);
    s->dh = xcalloc((size_t)s->L + 1, sizeof *s->dh);
    size_t bytes = 0;
    layout(s, NULL, &bytes);
    arena_init(&s->arena, bytes);
    layout(s, &s->arena, &bytes);
    return s;
}

EncoderState *encoder_state_new(const ModelConfig *cfg, int B, int T, int train) {
    return state_new(cfg, B, T, train, cfg->num_layers, 1);
}

EncoderState *encoder_state_new_layer(const ModelConfig *cfg, int B, int T, int layer) {
    CHECK(layer >= 0 && layer <= cfg->num_layers, "layer %d outside 0..%d", layer, cfg->num_layers);
    return state_new(cfg, B, T, 0, layer, 0);
}

void encoder_state_free(EncoderState *s) {
    if (!s) return;
    arena_free(&s->arena);
    free(s->hidden);
    free(s->acts);
    free(s->dh);
    free(s);
}

size_t encoder_state_bytes(const EncoderState *s) { return s->arena.cap; }

void encoder_set_skip_padding(EncoderState *s, int on) { s->skip_pad = on != 0; }

/* Moves packed rows (the first n rows of h) to their original positions and zeroes the padding
 * rows, in place: rowmap is increasing and rowmap[r] >= r, so walking down never overwrites a row
 * that is still to be moved. */
static void unpack_rows(float *h, const int32_t *rowmap, int n, int N, int C) {
    size_t rb = (size_t)C * sizeof(float);
    int next = N; /* rows >= next are final */
    for (int r = n - 1; r >= 0; r--) {
        int dst = rowmap[r];
        for (int z = dst + 1; z < next; z++) memset(h + (size_t)z * C, 0, rb);
        if (dst != r) memmove(h + (size_t)dst * C, h + (size_t)r * C, rb);
        next = dst;
    }
    for (int z = 0; z < next; z++) memset(h + (size_t)z * C, 0, rb);
}

const float *encoder_hidden(const EncoderState *s, int layer) {
    CHECK(layer >= 0 && layer <= s->last_layer, "hidden state %d not computed (0..%d)", layer, s->last_layer);
    CHECK(s->keep_all || layer == s->last_layer, "state keeps only hidden state %d, asked for %d", s->last_layer,
          layer);
    return s->hidden[layer];
}

/* Dropout streams: 0 = embeddings, 1 + 3l + site for layer l (site 0 attention probs, 1 attention
 * output, 2 FFN output), counter = step: the mask of an element depends on nothing else. */
static DropSpec drop_spec(const EncoderState *s, float p, uint32_t stream) {
    DropSpec d = {s->trained ? p : 0.0f, s->seed, stream, s->step, NULL, 0};
    return d;
}
/* The same for a (rows, C) site: packed rows take the masks of their original positions. */
static DropSpec drop_rows(const EncoderState *s, float p, uint32_t stream) {
    DropSpec d = drop_spec(s, p, stream);
    if (s->packed) {
        d.rowmap = s->rowmap;
        d.width = s->C;
    }
    return d;
}

/* dst (n,C) = the packed rows of src (B*T,C), or += them. */
static void gather_rows(float *dst, const float *src, const int32_t *rowmap, int n, int C, int add) {
#pragma omp parallel for schedule(static)
    for (int r = 0; r < n; r++) {
        const float *a = src + (size_t)rowmap[r] * C;
        float *o = dst + (size_t)r * C;
        if (add)
            for (int c = 0; c < C; c++) o[c] += a[c];
        else
            memcpy(o, a, (size_t)C * sizeof(float));
    }
}

void encoder_forward(const ModelConfig *cfg, const EncoderParams *w, EncoderState *s, const int32_t *ids,
                     const int32_t *type_ids, const float *mask, int B, int T, int train, uint64_t seed,
                     uint32_t step) {
    CHECK(B > 0 && B <= s->Bmax && T > 0 && T <= s->Tmax, "batch (%d,%d) outside the state's (%d,%d)", B, T,
          s->Bmax, s->Tmax);
    CHECK(!train || s->train, "training forward on an inference-only encoder state");
    int C = s->C, F = s->F, N = B * T, pad = cfg->pad_token_id;
    s->B = B;
    s->T = T;
    s->trained = train != 0;
    s->packed = 0; /* set below once the rows are packed (drop_rows reads it) */
    s->seed = seed;
    s->step = step;
    /* inputs, positions (HF create_position_ids_from_input_ids for XLM-R: padding is ids == pad) */
    for (int b = 0; b < B; b++) {
        int run = 0;
        for (int t = 0; t < T; t++) {
            int i = b * T + t, id = ids[i], ty = type_ids ? type_ids[i] : 0;
            CHECK(id >= 0 && id < cfg->vocab_size, "token id %d outside vocabulary 0..%d", id, cfg->vocab_size - 1);
            CHECK(ty >= 0 && ty < cfg->type_vocab_size, "token type %d outside 0..%d", ty, cfg->type_vocab_size - 1);
            s->ids[i] = id;
            s->types[i] = ty;
            s->mask[i] = mask ? (mask[i] != 0.0f ? 1.0f : 0.0f) : 1.0f;
            if (cfg->arch == ARCH_XLMR) {
                run += id != pad;
                s->pos[i] = id != pad ? run + pad : pad;
            } else {
                s->pos[i] = t;
            }
            CHECK(s->pos[i] < cfg->max_position, "position %d >= max_position_embeddings %d (sequence too long)",
                  s->pos[i], cfg->max_position);
        }
    }
    int pack = s->skip_pad;
    const int32_t *eids = s->ids, *epos = s->pos, *etypes = s->types;
    if (pack) {
        int n = 0;
        for (int b = 0; b < B; b++) {
            s->off[b] = n;
            for (int t = 0; t < T; t++) {
                int i = b * T + t;
                if (s->mask[i] == 0.0f) continue;
                s->rowmap[n] = i;
                s->pk_ids[n] = s->ids[i];
                s->pk_pos[n] = s->pos[i];
                s->pk_types[n] = s->types[i];
                n++;
            }
        }
        s->off[B] = n;
        eids = s->pk_ids;
        epos = s->pk_pos;
        etypes = s->pk_types;
        N = n;
        CHECK(N > 0 || !train, "a training batch with no token at all");
        s->packed = 1;
        if (N == 0) { /* nothing but padding: every kept hidden state is 0 */
            for (int l = 0; l <= s->last_layer; l++) memset(s->hidden[l], 0, (size_t)B * T * C * sizeof(float));
            return;
        }
    }
    /* embeddings: LN(word + type + position), dropout */
    embedding_forward(s->emb, eids, epos, etypes, w->word_emb, w->pos_emb, w->type_emb, N, C);
    layernorm_forward(s->hidden[0], s->emb_mean, s->emb_rstd, s->emb, w->emb_ln_g, w->emb_ln_b, N, C,
                      cfg->layer_norm_eps);
    s->nrows = N;
    DropSpec d0 = drop_rows(s, cfg->hidden_dropout, 0);
    dropout_forward(s->hidden[0], N, C, &d0);
    for (int l = 0; l < s->last_layer; l++) {
        const LayerParams *P = &w->layers[l];
        LayerActs *A = &s->acts[s->train ? l : 0];
        const float *X = s->hidden[l];
        /* BertSelfAttention: separate q, k, v projections over all rows (B*T, or the tokens when packed) */
        linear_forward(A->q, X, P->q_w, P->q_b, N, C, C);
        linear_forward(A->k, X, P->k_w, P->k_b, N, C, C);
        linear_forward(A->v, X, P->v_w, P->v_b, N, C, C);
        DropSpec da = drop_spec(s, cfg->attn_dropout, 1 + 3 * l), d1 = drop_rows(s, cfg->hidden_dropout, 2 + 3 * l);
        DropSpec d2 = drop_rows(s, cfg->hidden_dropout, 3 + 3 * l);
        if (pack)
            attention_packed_forward(A->ctx, s->trained ? A->att : NULL, A->q, A->k, A->v, s->off, s->rowmap, B, T, C,
                                     s->NH, &da, s->scratch, s->nthreads);
        else
            attention_forward(A->ctx, s->trained ? A->att : NULL, A->q, A->k, A->v, s->mask, B, T, C, s->NH, &da,
                              s->scratch, s->nthreads);
        /* BertSelfOutput: LN(dropout(dense(ctx)) + X) */
        linear_forward(s->tmp, A->ctx, P->ao_w, NULL, N, C, C);
        residual_layernorm_forward(A->x1, A->h1, A->mean1, A->rstd1, s->tmp, P->ao_b, X, &d1, P->ln1_g, P->ln1_b, N,
                                   C, cfg->layer_norm_eps);
        /* BertIntermediate + BertOutput: LN(dropout(W2 gelu(W1 h1 + b1) + b2) + h1) */
        linear_forward(A->pre, A->h1, P->fc1_w, NULL, N, C, F);
        bias_gelu_forward(A->pre, A->gel, P->fc1_b, N, F);
        linear_forward(s->tmp, A->gel, P->fc2_w, NULL, N, F, C);
        residual_layernorm_forward(A->x2, s->hidden[l + 1], A->mean2, A->rstd2, s->tmp, P->fc2_b, A->h1, &d2,
                                   P->ln2_g, P->ln2_b, N, C, cfg->layer_norm_eps);
        if (pack && s->keep_all) unpack_rows(s->hidden[l], s->rowmap, N, B * T, C); /* layer l is read no more */
    }
    if (pack) unpack_rows(s->hidden[s->last_layer], s->rowmap, N, B * T, C);
}

static void add_into(float *dst, const float *src, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dst[i] += src[i];
}

void encoder_backward_multi(const ModelConfig *cfg, const EncoderParams *w, EncoderParams *g, EncoderState *s,
                            const float *const *dhidden, float *demb) {
    CHECK(s->train && s->trained, "encoder_backward needs a training forward (train = 1) first");
    int B = s->B, T = s->T, C = s->C, F = s->F, N = s->nrows, L = s->L, pack = s->packed;
    size_t NC = (size_t)N * C, bytes = NC * sizeof(float);
    /* bh = dLoss/d hidden[l] (packed rows when packed) as we walk down */
    if (dhidden[L] && pack) gather_rows(s->bh, dhidden[L], s->rowmap, N, C, 0);
    else if (dhidden[L]) memcpy(s->bh, dhidden[L], bytes);
    else memset(s->bh, 0, bytes);
    for (int l = L - 1; l >= 0; l--) {
        const LayerParams *P = &w->layers[l];
        LayerParams *G = &g->layers[l];
        LayerActs *A = &s->acts[l];
        const float *X = s->hidden[l];
        if (pack) { /* hidden states were handed out unpacked: the layer input's rows, packed again */
            gather_rows(s->tmp, X, s->rowmap, N, C, 0);
            X = s->tmp;
        }
        DropSpec da = drop_spec(s, cfg->attn_dropout, 1 + 3 * l), d1 = drop_rows(s, cfg->hidden_dropout, 2 + 3 * l);
        DropSpec d2 = drop_rows(s, cfg->hidden_dropout, 3 + 3 * l);
        /* output LN, residual, dropout, fc2, GELU, fc1 */
        memset(s->bx, 0, bytes);
        layernorm_backward(s->bx, G->ln2_g, G->ln2_b, s->bh, A->x2, P->ln2_g, A->mean2, A->rstd2, N, C);
        memcpy(s->br, s->bx, bytes); /* residual into h1 */
        dropout_backward(s->bx, N, C, &d2);
        memset(s->bf, 0, (size_t)N * F * sizeof(float));
        gelu_forward(A->gel, A->pre, (size_t)N * F); /* recomputed: not kept per layer */
        linear_backward(s->bf, G->fc2_w, G->fc2_b, s->bx, A->gel, P->fc2_w, N, F, C);
        gelu_backward(s->bf, A->pre, s->bf, (size_t)N * F);
        linear_backward(s->br, G->fc1_w, G->fc1_b, s->bf, A->h1, P->fc1_w, N, C, F);
        /* attention output LN, residual, dropout, dense */
        memset(s->bx, 0, bytes);
        layernorm_backward(s->bx, G->ln1_g, G->ln1_b, s->br, A->x1, P->ln1_g, A->mean1, A->rstd1, N, C);
        memcpy(s->bh, s->bx, bytes); /* residual into X */
        dropout_backward(s->bx, N, C, &d1);
        memset(s->bctx, 0, bytes);
        linear_backward(s->bctx, G->ao_w, G->ao_b, s->bx, A->ctx, P->ao_w, N, C, C);
        /* attention core, then q/k/v projections back into X */
        if (pack)
            attention_packed_backward(s->bq, s->bk, s->bv, s->bctx, A->att, A->q, A->k, A->v, s->off, s->rowmap, B, T,
                                      C, s->NH, &da, s->scratch, s->nthreads);
        else
            attention_backward(s->bq, s->bk, s->bv, s->bctx, A->att, A->q, A->k, A->v, s->mask, B, T, C, s->NH, &da,
                               s->scratch, s->nthreads);
        linear_backward(s->bh, G->q_w, G->q_b, s->bq, X, P->q_w, N, C, C);
        linear_backward(s->bh, G->k_w, G->k_b, s->bk, X, P->k_w, N, C, C);
        linear_backward(s->bh, G->v_w, G->v_b, s->bv, X, P->v_w, N, C, C);
        if (dhidden[l] && pack) gather_rows(s->bh, dhidden[l], s->rowmap, N, C, 1);
        else if (dhidden[l]) add_into(s->bh, dhidden[l], NC);
    }
    /* embeddings: dropout, LN, then the three tables (padding_idx rows get no gradient, as
     * nn.Embedding(padding_idx=pad) in HF: word for both archs, position for XLM-R) */
    DropSpec d0 = drop_rows(s, cfg->hidden_dropout, 0);
    dropout_backward(s->bh, N, C, &d0);
    memset(s->bx, 0, bytes);
    layernorm_backward(s->bx, g->emb_ln_g, g->emb_ln_b, s->bh, s->emb, w->emb_ln_g, s->emb_mean, s->emb_rstd, N, C);
    embedding_backward(g->word_emb, g->pos_emb, g->type_emb, s->bx, pack ? s->pk_ids : s->ids,
                       pack ? s->pk_pos : s->pos, pack ? s->pk_types : s->types, N, C, cfg->pad_token_id,
                       cfg->arch == ARCH_XLMR ? cfg->pad_token_id : -1);
    if (demb && pack) { /* padding rows: 0 (nothing downstream reads them) */
        memset(demb, 0, (size_t)B * T * C * sizeof(float));
        for (int r = 0; r < N; r++) memcpy(demb + (size_t)s->rowmap[r] * C, s->bx + (size_t)r * C, (size_t)C * sizeof(float));
    } else if (demb) {
        memcpy(demb, s->bx, bytes);
    }
}

void encoder_backward(const ModelConfig *cfg, const EncoderParams *w, EncoderParams *grads, EncoderState *s,
                      const float *dlast, float *demb) {
    memset(s->dh, 0, ((size_t)s->L + 1) * sizeof *s->dh);
    s->dh[s->L] = dlast;
    encoder_backward_multi(cfg, w, grads, s, s->dh, demb);
}
