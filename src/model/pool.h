/* pool.h — sentence embeddings from one layer's hidden states: mean over the non-pad tokens
 * (specials included) or the first token, with an optional L2 normalisation. The caller picks the layer. */
#ifndef XS_POOL_H
#define XS_POOL_H

typedef enum { POOL_MEAN = 0, POOL_CLS = 1 } PoolKind;

/* "mean" / "cls" -> kind. Returns -1 for anything else. */
int pool_parse(const char *name, PoolKind *kind);
const char *pool_name(PoolKind kind);

/* h: (B,T,C) hidden states; mask: (B,T) 1 = token, 0 = padding (NULL = all tokens); out: (B,C) (=).
 * POOL_MEAN mirrors XTREME's mean_pool_embedding (third_party/run_retrieval.py): the sum of h over
 * positions with mask != 0 divided by their number — <s>/</s> (or [CLS]/[SEP]) count, as they carry
 * attention_mask = 1. A row with no tokens gets zeros (HF would give NaN; we never feed one).
 * POOL_CLS takes h[b,0,:] (the <s> / [CLS] token; right padding assumed, as everywhere in xstilts). */
void pool_forward(PoolKind kind, const float *h, const float *mask, int B, int T, int C, float *out);

/* dout: (B,C) dLoss/dout; dh: (B,T,C) accumulates (+=) dLoss/dh (zero on padding positions). */
void pool_backward(PoolKind kind, const float *dout, const float *mask, int B, int T, int C, float *dh);

/* x: (rows,C) scaled in place to unit L2 norm (rows of zeros stay zero). As torch.nn.functional
 * .normalize(p=2, eps=1e-12): x / max(||x||, 1e-12). */
void pool_l2_normalize(float *x, int rows, int C);

#endif
