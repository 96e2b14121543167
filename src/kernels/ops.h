/* ops.h — the encoder's math as _forward/_backward pairs on raw float pointers (llm.c style).
 * Every op has a reference (ops_ref.c, plain loops, double accumulators = ground truth) and a fast
 * version (ops_cpu.c, OpenBLAS sgemm + OpenMP, fused); the unsuffixed name dispatches on
 * ops_use_reference(). Which ops make a layer, and in which order, is model/encoder.c's business.
 *
 * Conventions: N = rows (B*T tokens); Linear weights are PyTorch's [out, in]; backward ACCUMULATES
 * (+=) into parameter grads and into dinp unless the comment says "=" (written). Dropout masks come
 * from core/rng.h's Philox (ops_drop_scale: a pure function of seed, stream, step and the element's
 * index), kept elements are scaled by 1/(1-p) (torch's inverted dropout); p = 0 means no dropout. Backward
 * regenerates the same mask from (seed, stream, step), so no mask is stored. */
#ifndef XS_OPS_H
#define XS_OPS_H
#include <stddef.h>
#include <stdint.h>

/* 1 = route every unsuffixed op to its _ref version (tests, debugging); 0 = fast (default). */
void ops_use_reference(int on);
int ops_reference(void);

/* Dropout parameters of one site (p = 0: identity). */
typedef struct DropSpec {
    float p;
    uint64_t seed;
    uint32_t stream, step;
    /* Packed rows (padding removed): element i of a (rows, width) tensor takes the mask of element
     * rowmap[i / width] * width + i % width of the unpacked one, so packing never changes a mask.
     * NULL = identity. */
    const int32_t *rowmap;
    int width;
} DropSpec;

/* Multiplier of element i under d: 0 or 1/(1-p) (1 when p == 0). Element i is kept iff lane i % 4
 * of philox4x32(seed; i / 4, stream, step), as a 24-bit uniform, is >= p. */
float ops_drop_scale(const DropSpec *d, uint64_t i);
/* out[k] = ops_drop_scale(d, i0 + k) for k < n, one Philox call per four elements; with a rowmap,
 * [i0, i0 + n) must lie in one row. */
void ops_drop_fill(const DropSpec *d, uint64_t i0, size_t n, float *out);

#define XS_OPS_DECL(sfx)                                                                                   \
    /* out (N,C) = wte[ids] + wpe[pos] + wtt[types]  (types NULL = type 0)  — BertEmbeddings.forward */    \
    void embedding_forward##sfx(float *out, const int32_t *ids, const int32_t *pos, const int32_t *types,  \
                                const float *wte, const float *wpe, const float *wtt, int N, int C);       \
    /* dwte/dwpe/dwtt += scatter of dout (N,C); rows whose id == pad_word (pos == pad_pos) get nothing, as \
     * nn.Embedding(padding_idx=...) does; -1 = no padding_idx. dwtt may be NULL. */                       \
    void embedding_backward##sfx(float *dwte, float *dwpe, float *dwtt, const float *dout,                 \
                                 const int32_t *ids, const int32_t *pos, const int32_t *types, int N,      \
                                 int C, int pad_word, int pad_pos);                                        \
    /* out (N,OC) = inp (N,IC) @ w (OC,IC)^T + bias (OC, may be NULL) — nn.Linear */                       \
    void linear_forward##sfx(float *out, const float *inp, const float *w, const float *bias, int N,       \
                             int IC, int OC);                                                              \
    /* dinp (N,IC) +=, dw (OC,IC) +=, dbias (OC) += (dinp/dbias may be NULL) */                            \
    void linear_backward##sfx(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,   \
                              const float *w, int N, int IC, int OC);                                      \
    /* out (N,C) = LayerNorm(inp) * g + b with biased variance, as nn.LayerNorm; mean/rstd (N) kept for    \
     * backward (may be NULL). out may alias inp. */                                                       \
    void layernorm_forward##sfx(float *out, float *mean, float *rstd, const float *inp, const float *g,    \
                                const float *b, int N, int C, float eps);                                  \
    /* dinp (N,C) +=, dg (C) +=, db (C) += */                                                              \
    void layernorm_backward##sfx(float *dinp, float *dg, float *db, const float *dout, const float *inp,   \
                                 const float *g, const float *mean, const float *rstd, int N, int C);      \
    /* x (N,C) = dropout(a + bias) + res, then out = LayerNorm(x) — BertSelfOutput / BertOutput fused.     \
     * x is kept for backward (the LN input); a and x may alias; drop indexes elements of (N,C). */        \
    void residual_layernorm_forward##sfx(float *x, float *out, float *mean, float *rstd, const float *a,   \
                                         const float *bias, const float *res, const DropSpec *drop,        \
                                         const float *g, const float *b, int N, int C, float eps);         \
    /* pre (N,F) += bias (in place: kept for backward), out = gelu(pre) with exact erf — BertIntermediate */\
    void bias_gelu_forward##sfx(float *pre, float *out, const float *bias, int N, int F);                   \
    /* out (n) = gelu(pre) (backward recomputes the FFN activation instead of keeping it per layer) */    \
    void gelu_forward##sfx(float *out, const float *pre, size_t n);                                        \
    /* dinp (n) = dout * gelu'(pre); dinp may alias dout */                                                \
    void gelu_backward##sfx(float *dinp, const float *pre, const float *dout, size_t n);                   \
    /* x (N,C) = dropout(x) in place (the embeddings' dropout); backward: dx (N,C) *= the same mask */     \
    void dropout_forward##sfx(float *x, int N, int C, const DropSpec *drop);                               \
    void dropout_backward##sfx(float *dx, int N, int C, const DropSpec *drop);                             \
    /* Multi-head self-attention core (eager_attention_forward): q,k,v,ctx (B,T,C) with head h in columns  \
     * [h*hd, (h+1)*hd); mask (B,T) (nonzero = token). probs = softmax(q k^T / sqrt(hd) + HF's finfo.min  \
     * on masked keys) — a fully masked row is uniform over all T keys, as in HF; ctx = dropout(probs) v.  \
     * att (B,NH,T,T): the probs before dropout (kept for backward) or NULL in inference.                  \
     * drop indexes elements of (B,NH,T,T). scratch: nthreads * attention_scratch_floats(T) floats; at   \
     * most nthreads threads use it. */                                                                    \
    void attention_forward##sfx(float *ctx, float *att, const float *q, const float *k, const float *v,    \
                                const float *mask, int B, int T, int C, int NH, const DropSpec *drop,      \
                                float *scratch, int nthreads);                                             \
    /* Attention on packed rows (padding removed): sequence b owns rows [off[b], off[b+1]) of q, k, v,     \
     * ctx (rows, C), every one a token: the same result at tokens as attention_forward with the mask.    \
     * rowmap[r] = b*T + t, the original position of row r: dropout masks are those of the unpacked       \
     * (B,NH,T,T) tensor. att (NULL in inference): the probs of (b, h) at packed_att_offset(off, b, NH)   \
     * + h*n_b^2, n_b x n_b. scratch: nthreads * attention_scratch_floats(longest sequence). */             \
    void attention_packed_forward##sfx(float *ctx, float *att, const float *q, const float *k,             \
                                       const float *v, const int32_t *off, const int32_t *rowmap, int B,   \
                                       int T, int C, int NH, const DropSpec *drop, float *scratch,         \
                                       int nthreads);                                                      \
    /* dq, dk, dv (rows, C) written (=) from dctx (rows, C) and the kept att. */                          \
    void attention_packed_backward##sfx(float *dq, float *dk, float *dv, const float *dctx,                \
                                        const float *att, const float *q, const float *k, const float *v,  \
                                        const int32_t *off, const int32_t *rowmap, int B, int T, int C,    \
                                        int NH, const DropSpec *drop, float *scratch, int nthreads);       \
    /* dq, dk, dv (B,T,C) written (=) from dctx (B,T,C) and the kept att. */                               \
    void attention_backward##sfx(float *dq, float *dk, float *dv, const float *dctx, const float *att,     \
                                 const float *q, const float *k, const float *v, const float *mask, int B, \
                                 int T, int C, int NH, const DropSpec *drop, float *scratch,               \
                                 int nthreads);                                                            \
    /* Cross-entropy fused with the log-softmax: F.cross_entropy(logits, targets, ignore_index=ignore,     \
     * reduction='mean'). logits (N,K); targets (N), each in [0,K) or == ignore (anything else: CHECK).     \
     * Returns sum over rows with a target of (lse - logits[row, target]) / n_valid, summed in double in   \
     * row order (thread-count independent). lse (N) written: each row's log-sum-exp, for backward (0 on  \
     * ignored rows). *n_valid (may be NULL) = rows with a target. No target at all: returns 0 where     \
     * PyTorch returns NaN (0/0); the gradients are 0 in both (see docs/HEADS.md). */                     \
    float crossentropy_forward##sfx(float *lse, int *n_valid, const float *logits, const int32_t *targets, \
                                    int N, int K, int ignore);                                             \
    /* dlogits (N,K) WRITTEN (=): dloss * (softmax(row) - onehot(target)) / n_valid on rows with a target, \
     * 0 on ignored rows (everywhere when n_valid = 0). lse from the forward. dlogits may alias logits.    */\
    void crossentropy_backward##sfx(float *dlogits, const float *logits, const float *lse,                 \
                                    const int32_t *targets, float dloss, int N, int K, int ignore);

XS_OPS_DECL()
XS_OPS_DECL(_ref)
XS_OPS_DECL(_cpu)
#undef XS_OPS_DECL

/* PyTorch's default ignore_index (CrossEntropyLoss, HF's label padding). */
#define OPS_IGNORE_INDEX (-100)

/* Offset of sequence b's probabilities in a packed att buffer: NH * sum_{b' < b} n_b'^2. */
size_t packed_att_offset(const int32_t *off, int b, int NH);
/* Floats of attention scratch per thread for sequence length T; threads an op may use now. */
size_t attention_scratch_floats(int T);
int ops_max_threads(void);

/* Exact GELU (0.5 x (1 + erf(x / sqrt 2))) and its derivative, shared by both paths. */
float ops_gelu(float x);
float ops_gelu_grad(float x);

#endif
