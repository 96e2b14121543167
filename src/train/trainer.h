/* trainer.h — the training loop for one task: seeded data order → batch of featurized rows → encoder
 * forward (train mode) → head loss → backward → (accumulate) → clip → AdamW → zero, with no allocation inside a step. */
#ifndef XS_TRAINER_H
#define XS_TRAINER_H
#include "core/check.h"
#include "model/encoder.h"
#include "model/model_head.h"
#include "tasks/featurize.h"
#include "train/optim.h"
#include "train/sampler.h"
#include <stdint.h>

typedef struct TrainConfig {
    int batch;              /* examples per micro-batch (multiple choice: examples of nchoices rows each) */
    int accum;              /* micro-batches per update (gradient accumulation), >= 1 */
    double lr;              /* peak learning rate */
    double warmup_ratio;    /* warm-up share of the updates (jiant: unrounded ratio * total) */
    double weight_decay;    /* 0.01 as the study (biases and LayerNorm excluded by the table) */
    double max_grad_norm;   /* 1.0; <= 0: no clipping */
    int hf_legacy;          /* AdamWConfig.hf_legacy */
    int epochs;             /* used when max_steps = 0 */
    int64_t max_steps;      /* optimizer updates of the run; 0: epochs * ceil(ceil(units / batch) / accum) */
    uint64_t seed;          /* data order, dropout and MLM masks */
    int shuffle;            /* 1: seeded shuffle every epoch; 0: file order */
    int dropout;            /* 1: the model's dropout (cfg hidden/attention, head's); 0: none (eval semantics) */
    int skip_padding;       /* encoder_set_skip_padding on the training state (ignored for span QA, see trim) */
    int trim;               /* 1: a batch is cut to its longest row (T <= rows->max_len); 0: always max_len.
                             * Span QA: always 0, and no padding skipped: HF's start/end softmax runs over every
                             * position of the padded row (run_qa pads to max_seq_length), so padding changes the
                             * loss; the other heads ignore padding and trimming changes only float rounding */
    FeatMlmOpts mlm;        /* MLM with a tokenizer given: dynamic masks (feat_mlm_mask, epoch = data epoch) */
} TrainConfig;

/* batch 32, accum 1, lr 1e-5, warm-up 0.1, wd 0.01, clip 1.0, 1 epoch, seed 1, shuffle, dropout, skip padding,
 * trim, MLM masks 0.15 / 0.8 / 0.1. */
TrainConfig train_config_defaults(void);

/* What one update did. */
typedef struct TrainStepLog {
    int64_t step;           /* updates done after this one (1-based) */
    double loss;            /* mean of the micro-batches' losses (unscaled) */
    double lr;              /* learning rate the update used */
    double grad_norm;       /* pre-clip global gradient norm */
    int64_t tokens;         /* non-padding tokens in the update's micro-batches */
    uint64_t epoch;         /* data epoch of the update's last example */
} TrainStepLog;

typedef struct Trainer {
    Model *m;               /* not owned */
    HeadConfig hc;          /* the head's config as trained (dropout 0 when cfg.dropout = 0) */
    ModelConfig mcfg;       /* m->cfg, dropouts 0 when cfg.dropout = 0 */
    HeadParams hw, hg;      /* head parameters / gradients in m->tab */
    const FeatRows *rows;   /* not owned */
    const Tokenizer *tok;   /* MLM dynamic masking, or NULL (rows' ids and labels used as they are) */
    TrainConfig cfg;
    int per;                /* rows per unit (nchoices for multiple choice, else 1) */
    size_t units;           /* examples the order runs over */
    int Bmax, Tmax;         /* rows per micro-batch at most, positions */
    EncoderState *es;
    HeadState *hs;
    Optimizer opt;
    DataOrder order;
    int64_t total;          /* updates of the run */
    uint64_t micro;         /* micro-batches done (dropout counter) */
    /* batch buffers, sized once */
    int32_t *ids, *types, *labels;  /* (Bmax,Tmax) ids / types; labels (Bmax*Tmax) or per kind */
    float *mask;            /* (Bmax,Tmax) */
    float *dh;              /* (Bmax,Tmax,C) */
    uint32_t *sel;          /* [Bmax / per] units of the batch */
} Trainer;

/* Binds the head (model_head_bind), allocates gradients and Adam moments when m has none, the encoder and head
 * states for the largest batch, and the data order. rows: FEAT_PAIR → SEQ_CLS, FEAT_CHOICE → MULTIPLE_CHOICE
 * (every example exactly hc->num_labels rows), FEAT_TAG → TOKEN_CLS, FEAT_QA → SPAN_QA, FEAT_MLM → MLM; a
 * mismatch, an empty set or a bad config is an error. tok: MLM only (dynamic masking), may be NULL. */
int trainer_init(Trainer *tr, Model *m, const HeadConfig *hc, const FeatRows *rows, const TrainConfig *cfg,
                 const Tokenizer *tok, XsErr *err);
/* One update: cfg.accum micro-batches (forward, loss / accum, backward), all-reduce seam (no-op), clip, AdamW
 * at the scheduled lr, zero gradients. A non-finite loss or gradient norm is an error, parameters unchanged.
 * No allocation. */
int trainer_step(Trainer *tr, TrainStepLog *log, XsErr *err);
/* Puts a fresh trainer where a run stopped after `step` updates with its data order at (epoch, pos) (tr->order's
 * fields then): the optimizer's step, the micro-batch counter (step * accum: dropout masks) and the order. With the
 * weights and Adam moments of that moment in m, the following updates are bit-identical to the uninterrupted run's. */
void trainer_seek(Trainer *tr, int64_t step, uint64_t epoch, size_t pos);
typedef void (*TrainLogFn)(const TrainStepLog *log, void *ctx);
/* trainer_step until tr->total updates are done; fn (may be NULL) after each. */
int trainer_run(Trainer *tr, TrainLogFn fn, void *ctx, XsErr *err);
void trainer_free(Trainer *tr);

/* The head kind that trains on rows of kind k. */
HeadKind trainer_head_kind(FeatKind k);

#endif
