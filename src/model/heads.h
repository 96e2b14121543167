/* heads.h — the task heads of HF's *For* classes on the encoder's last hidden state: sequence
 * classification, multiple choice, token classification, span QA and masked LM, each a _forward/_backward
 * pair on raw pointers (llm.c style). Parameters are pointers (HeadParams) listed by head_tensors with their
 * HF state-dict names; who owns the block (a ParamSet, a test) and the encoder are the callers' business. */
#ifndef XS_HEADS_H
#define XS_HEADS_H
#include "model/config.h"
#include <stddef.h>
#include <stdint.h>

typedef enum {
    HEAD_SEQ_CLS = 0,        /* *ForSequenceClassification (single-label, num_labels >= 2) */
    HEAD_MULTIPLE_CHOICE,    /* *ForMultipleChoice */
    HEAD_TOKEN_CLS,          /* *ForTokenClassification */
    HEAD_SPAN_QA,            /* *ForQuestionAnswering */
    HEAD_MLM,                /* *ForMaskedLM */
    HEAD_NKINDS
} HeadKind;

/* "seq_cls", "multiple_choice", "token_cls", "span_qa", "mlm". head_parse returns -1 for anything else. */
const char *head_kind_name(HeadKind kind);
int head_parse(const char *name, HeadKind *kind);

typedef struct HeadConfig {
    HeadKind kind;
    ModelArch arch;      /* picks the HF names, and XLM-R's extra dropout before classifier.dense */
    int C;               /* hidden size */
    int num_labels;      /* K. SEQ_CLS / TOKEN_CLS: classes; MULTIPLE_CHOICE: choices per example (the
                          * weights are (1,C) whatever K); SPAN_QA: 2; MLM: the vocabulary size V */
    float dropout;       /* HF's classifier_dropout (None -> hidden_dropout_prob); QA and MLM have none */
    float ln_eps;        /* MLM's LayerNorm: config.layer_norm_eps */
    char prefix[48];     /* table-name prefix of the head's own (non-base) tensors in a Model: "" = HF's plain
                          * names ("classifier.dense.weight"); "heads.qqp." = a further head of a multi-head
                          * model ("heads.qqp.classifier.dense.weight"). head_config sets ""; model_head.h uses
                          * it, the math here does not */
} HeadConfig;

/* The HF defaults for a head on a model of config cfg: dropout = hidden_dropout, ln_eps = layer_norm_eps,
 * num_labels forced to 2 (QA) and vocab_size (MLM). */
void head_config(HeadConfig *hc, const ModelConfig *cfg, HeadKind kind, int num_labels);

/* Which HeadParams pointer a tensor binds to. */
typedef enum { HEAD_DENSE_W = 0, HEAD_DENSE_B, HEAD_LN_G, HEAD_LN_B, HEAD_OUT_W, HEAD_OUT_B } HeadSlot;

/* Parameters (or, over another block, gradients) of one head. Unused pointers are NULL. */
typedef struct HeadParams {
    float *dense_w;  /* (C,C) classifier.dense (XLM-R SEQ_CLS) | pooler.dense (BERT SEQ_CLS, MULTIPLE_CHOICE) |
                      *       lm_head.dense | cls.predictions.transform.dense (MLM) */
    float *dense_b;  /* (C) */
    float *ln_g;     /* (C) MLM: lm_head.layer_norm | cls.predictions.transform.LayerNorm */
    float *ln_b;     /* (C) */
    float *out_w;    /* (K,C) classifier.out_proj (XLM-R SEQ_CLS) | classifier (BERT SEQ_CLS, TOKEN_CLS; (1,C)
                      *       for MULTIPLE_CHOICE) | qa_outputs (2,C); NULL for MLM (decoder tied) */
    float *out_b;    /* (K) the same modules' bias; MLM: (V) lm_head.bias | cls.predictions.bias */
    float *decoder;  /* (V,C) MLM only, NOT in the head's table: the word embeddings (tied, as HF's
                      * lm_head.decoder.weight) in the parameters, the word-embedding gradient in the
                      * gradients, so the decoder's gradient accumulates into it */
} HeadParams;

#define HEAD_MAX_TENSORS 5
typedef struct HeadTensor {
    const char *name;  /* HF state-dict name, e.g. "classifier.dense.weight" */
    int in_base;       /* 1: lives under the base model's prefix ("roberta."/"bert."), like the encoder's
                        * tensors (only pooler.dense.*, the same tensors as Model's pooler) */
    int ndim;          /* 1 or 2 */
    int shape[2];      /* Linear weights [out, in] as PyTorch stores them */
    size_t numel;
    int no_decay;      /* bias and LayerNorm: no weight decay */
    HeadSlot slot;
} HeadTensor;

/* The head's tensors in a fixed order (from a static table per kind and arch); returns their number. */
int head_tensors(const HeadConfig *hc, HeadTensor out[HEAD_MAX_TENSORS]);
void head_bind_slot(HeadParams *p, HeadSlot slot, float *ptr);
/* Floats a block needs for the head's tensors laid out in table order, each 16-float (64-byte) aligned;
 * head_bind_block points p into such a block (decoder untouched). */
size_t head_block_floats(const HeadConfig *hc);
void head_bind_block(const HeadConfig *hc, HeadParams *p, float *block);
/* HF _init_weights: Linear weights ~ N(0, std), biases 0, LayerNorm 1 / 0, the MLM bias 0. Philox, one
 * stream per tensor: values depend on seed only. */
void head_init_random(const HeadConfig *hc, HeadParams *p, float std, uint64_t seed);

/* Activations for batches of up to B encoder rows of T positions (MULTIPLE_CHOICE: B = examples x
 * choices), sized once; forward/backward never allocate. MLM only (ignored otherwise): mlm_rows = the most
 * positions with a label in one batch (0 = B*T); mlm_chunk = 0: the state holds the (mlm_rows, V) logits;
 * > 0: the vocabulary projection runs mlm_chunk rows at a time, holding (mlm_chunk, V) logits, keeping
 * only each row's log-sum-exp, and backward recomputes them (one more GEMM; logits not available, labels
 * required). Same loss and gradients up to float rounding. */
typedef struct HeadState HeadState;
HeadState *head_state_new(const HeadConfig *hc, int B, int T, int mlm_rows, int mlm_chunk);
void head_state_free(HeadState *s);
size_t head_state_bytes(const HeadState *s);

/* Dropout streams of the heads: HEAD_DROP_STREAM + site (site 0: before classifier.dense / the token
 * classifier, 1: before the output layer), counter = step; the encoder uses streams 0..3L. */
#define HEAD_DROP_STREAM 0x100000u

/* h: (B,T,C) the encoder's last hidden state (encoder_hidden(s, L)), right padding; labels (NULL =
 * inference, no loss):
 *   SEQ_CLS          (B)    class in [0,K) or -100;   logits (B,K) from the first token (<s> / [CLS])
 *   MULTIPLE_CHOICE  (B/K)  the right choice; rows b*K .. b*K+K-1 are example b's choices; logits (B/K, K)
 *   TOKEN_CLS        (B,T)  class or -100 (padding, non-first sub-tokens); logits (B*T, K)
 *   SPAN_QA          (B,2)  start, end positions, clamped to [0,T] with T ignored (HF); logits: start (B,T)
 *                           then end (B,T)
 *   MLM              (B,T)  the original id at masked positions, -100 elsewhere; the vocabulary projection
 *                           runs on those M rows only (all B*T rows when labels == NULL); logits (M, V)
 * train: dropout p = hc->dropout from (seed, HEAD_DROP_STREAM + site, step); 0 = eval.
 * Returns HF's loss (mean cross-entropy over targets; QA: (CE_start + CE_end) / 2; 0 without labels or
 * with every target ignored, where PyTorch gives NaN). */
float head_forward(const HeadConfig *hc, const HeadParams *p, HeadState *s, const float *h, const int32_t *labels,
                   int B, int T, int train, uint64_t seed, uint32_t step);
/* After a forward with labels: g (same layout as p) accumulates (+=) the head's gradients of dloss * loss
 * (g->decoder: the word-embedding gradient, MLM); dh (B,T,C) accumulates (+=) dLoss/dh (nonzero only at
 * the rows the head reads). The MLM logits are overwritten (the softmax gradient is formed in place). */
void head_backward(const HeadConfig *hc, const HeadParams *p, HeadParams *g, HeadState *s, float dloss, float *dh);

/* The same per kind (head_forward / head_backward dispatch on hc->kind to these). */
#define XS_HEAD_DECL(kind)                                                                                   \
    float head_##kind##_forward(const HeadConfig *hc, const HeadParams *p, HeadState *s, const float *h,     \
                                const int32_t *labels, int B, int T, int train, uint64_t seed, uint32_t step); \
    void head_##kind##_backward(const HeadConfig *hc, const HeadParams *p, HeadParams *g, HeadState *s,      \
                                float dloss, float *dh);
XS_HEAD_DECL(seqcls)
XS_HEAD_DECL(choice)
XS_HEAD_DECL(tokcls)
XS_HEAD_DECL(qa)
XS_HEAD_DECL(mlm)
#undef XS_HEAD_DECL

/* Logits of the last forward (rows x cols as listed at head_forward), valid until the next forward
 * (MLM: until its backward; a chunked MLM state keeps none: rows = 0). */
const float *head_logits(const HeadState *s, int *rows, int *cols);
/* MLM: the positions b*T + t of the M rows of the last forward. */
const int32_t *head_mlm_rows(const HeadState *s, int *M);
/* Rows with a target in the last forward (per CE; QA: start + end). */
int head_n_targets(const HeadState *s);

#endif
