/* optim.h — the optimizer side of a training step, as PyTorch / HF do it: torch.optim.AdamW over
 * the ParamSet blocks (decay group from the table's no_decay flags), HF get_linear_schedule_with_warmup
 * as LambdaLR applies it, clip_grad_norm_ (global L2 norm), and the gradient-accumulation scale.
 * Every function here is elementwise or a fixed-order reduction: results do not depend on the thread count. */
#ifndef XS_OPTIM_H
#define XS_OPTIM_H
#include "model/params.h"
#include <stdint.h>

typedef struct AdamWConfig {
    double lr;             /* peak learning rate (the optimizer's base lr; the schedule multiplies it) */
    double beta1, beta2;   /* 0.9, 0.999 */
    double eps;            /* 1e-8, added to sqrt(v_hat) as torch does */
    double weight_decay;   /* 0.01 on tensors with no_decay = 0; 0 on the others */
    int hf_legacy;         /* 1: transformers.AdamW (the pre-4.x-deprecation HF class jiant builds) instead of
                            * torch.optim.AdamW — eps added before the bias correction, decay after the update */
} AdamWConfig;

/* torch.optim.AdamW defaults with the study's weight decay: betas (0.9, 0.999), eps 1e-8, wd 0.01. */
AdamWConfig adamw_defaults(double lr);

/* One torch.optim.AdamW update (single-tensor path, foreach=False, amsgrad=False) of every tensor of
 * ps at learning rate lr (already scheduled), for update number `step` (1-based, as torch's state
 * "step" after its increment: it sets the bias corrections). Per element, in float32 as torch:
 *   p *= (float)(1 - lr*wd)                              (skipped when wd = 0 for this tensor)
 *   m  = fma(1-beta1, g - m, m)                          (exp_avg.lerp_(grad, 1-beta1))
 *   v  = fma((1-beta2)*g, g, v*beta2)                    (exp_avg_sq.mul_(beta2).addcmul_(g, g, 1-beta2))
 *   p += (-lr/bc1 * m) / (sqrt(v)/sqrt(bc2) + eps)       (p.addcdiv_(m, denom, value=-step_size))
 * with bc1 = 1-beta1^step, bc2 = 1-beta2^step in double. With c->hf_legacy, transformers.AdamW(correct_bias=True):
 *   m  = fma(g, 1-beta1, m*beta1)                        (exp_avg.mul_(beta1).add_(grad, alpha=1-beta1))
 *   v  = fma((1-beta2)*g, g, v*beta2)
 *   p += (-(lr*sqrt(bc2)/bc1) * m) / (sqrt(v) + eps)     (p.addcdiv_(m, sqrt(v)+eps, value=-step_size))
 *   p  = fma(p, -lr*wd, p)                               (p.add_(p, alpha=-lr*wd), after the update)
 * Needs ps->grad, ps->adam_m, ps->adam_v.
 * One OpenMP region over all tensors; no allocation. */
void adamw_update(ParamSet *ps, const AdamWConfig *c, double lr, int64_t step);

/* ---- schedule: transformers.get_linear_schedule_with_warmup ---- */

typedef struct LinearSchedule {
    double warmup;         /* warm-up length in updates; may be fractional (jiant: ratio * total, unrounded) */
    int64_t total;         /* num_training_steps: updates of the whole run */
} LinearSchedule;

/* jiant's resolve_warmup_steps for a warm-up proportion: ratio * total, NOT rounded. */
LinearSchedule schedule_linear(double warmup_ratio, int64_t total);
/* HF's lr_lambda(k): k < warmup ? k / max(1, warmup) : max(0, (total - k) / max(1, total - warmup)).
 * LambdaLR sets lr = base * lambda(0) at construction and calls lambda(k) after the k-th
 * scheduler.step(), so the update that follows k earlier updates uses lambda(k): the first update
 * (k = 0) runs at lr 0 whenever warmup > 0. */
double schedule_lambda(const LinearSchedule *s, int64_t k);

typedef struct LazyRows LazyRows;

/* ---- clipping: torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=2) ---- */

/* Workspace for the deterministic norm: ps's tensors cut into fixed chunks (at most 8192 floats, never
 * across tensors), one double partial sum each, added up in chunk order. Build once per ParamSet. */
typedef struct GradNorm {
    int n;                 /* chunks */
    size_t *off, *len;     /* [n] offset (floats into the block) and length of each chunk */
    double *part;          /* [n] partial sums of squares */
} GradNorm;
void gradnorm_init(GradNorm *g, const ParamSet *ps);
void gradnorm_free(GradNorm *g);
/* sqrt(sum of g^2 over every tensor's gradient), each square and sum in double, in a fixed order:
 * bit-identical for any thread count. No allocation. */
double grad_global_norm(GradNorm *g, const ParamSet *ps);
/* clip_grad_norm_: total = grad_global_norm; coef = (float)max_norm / ((float)total + 1e-6f) in
 * float32 as torch; when coef < 1 every gradient is multiplied by it (torch multiplies by the
 * clamped coef, 1.0 being the identity). max_norm <= 0: no clipping. Returns the pre-clip norm.
 * A non-finite norm (inf / NaN gradients) is returned as is and nothing is scaled: the caller must
 * stop or skip the update (torch would scale every gradient by NaN). */
double grad_clip(GradNorm *g, ParamSet *ps, double max_norm);
/* The same two with lazy rows (lz NULL or lz->k < 0: the dense ones): chunks and rows of tensor lz->k not touched
 * in this update are skipped (they hold zeros). grad_clip_norm takes the norm already computed (no second sweep). */
double grad_global_norm_lazy(GradNorm *g, const ParamSet *ps, const LazyRows *lz);
void grad_clip_norm(ParamSet *ps, const LazyRows *lz, double norm, double max_norm);

/* ---- gradient accumulation ---- */

/* What HF Trainer and jiant do: each micro-batch's loss is divided by the number of accumulation
 * steps before backward, so the gradient block accumulates sum_i g_i / accum. Seed the loss gradient
 * with this factor (dL = accum_loss_scale(accum), not 1), sum the micro-batches' gradients into the
 * block, and step once every `accum` micro-batches. Returns 1.0f / accum (exact for powers of two). */
float accum_loss_scale(int accum);

/* ---- lazy rows of the word embedding ---- */

/* The float32 scalars of one AdamW update (adamw_scalars): what every element's update reads besides p, g, m, v. */
typedef struct AdamScalars {
    float neg_step, bc2_sqrt, eps, w1, b1, b2, w2, decay, wd;
    int legacy, use_decay;
} AdamScalars;
AdamScalars adamw_scalars(const AdamWConfig *c, double lr, int64_t step);

/* Sparse gradient and lazy AdamW for one 2-D tensor whose gradient is non-zero only on the rows named by
 * optim_lazy_touch (the word embedding: embedding_backward adds only into the rows of the batch's ids).
 * A row that has never received a gradient has m = v = 0, and with g = 0 its AdamW update leaves m and v at 0 and
 * changes p by the same float operations for every such row (the decay, then p + (-step * 0) / eps; legacy: the
 * other order). Those rows are not swept every update: the update's scalars are kept (`hist`) and replayed on the
 * row, one update after the other and rounded as the dense loop rounds them (lazy_replay_row in optim.c says why
 * that is the decay alone), when it is first touched or at optim_lazy_flush — so the weights equal the dense
 * update's bit for bit. Rows touched once stay dense. Zeroing,
 * clipping and the norm's chunks visit only the rows touched in the current update (the others hold exact zeros:
 * a chunk of zeros adds 0.0 to the norm, scaling 0 gives 0). */
struct LazyRows {
    int k;                 /* tensor index in the ParamSet; -1: lazy rows off (every tensor dense) */
    int rows, width;       /* the tensor's shape */
    uint8_t *ever;         /* [rows] 1: the row has been touched (up to date, updated densely from then on) */
    uint8_t *now;          /* [rows] 1: touched in the current update */
    int32_t *list;         /* [rows] the rows touched in the current update, in order of first touch */
    int nlist;
    int chunk0, nchunk;    /* the tensor's chunks in GradNorm (first index, count) */
    uint8_t *chunk_now;    /* [nchunk] 1: the chunk holds a row touched in the current update */
    int64_t from;          /* untouched rows hold the weights after update `from` (updates from+1.. pending) */
    AdamScalars *hist;     /* [cap] scalars of updates from+1, from+2, ... */
    int nh, cap;           /* entries in hist, its capacity (full: flushed first) */
};

/* adamw_update with lazy rows (NULL or lz->k < 0: adamw_update); step follows lz->from + lz->nh (another step:
 * the pending updates are applied first and the history starts over at step - 1). The gradient
 * of tensor lz->k must be zero outside the rows touched in this update. */
void adamw_update_lazy(ParamSet *ps, const AdamWConfig *c, double lr, int64_t step, LazyRows *lz);

/* ---- the whole optimizer step ---- */

typedef struct Optimizer {
    AdamWConfig adam;
    LinearSchedule sched;
    double max_grad_norm;  /* 1.0; <= 0 disables clipping */
    int64_t step;          /* updates done so far (the schedule index of the next update) */
    GradNorm norm;
    LazyRows lazy;         /* k = -1 unless optim_lazy_init */
} Optimizer;

typedef struct StepInfo {
    double lr;             /* learning rate this update used */
    double grad_norm;      /* pre-clip global gradient norm */
} StepInfo;

/* Needs ps->grad and the Adam blocks (paramset_alloc_grad / paramset_alloc_adam); step = 0. */
void optim_init(Optimizer *o, const ParamSet *ps, const AdamWConfig *adam, LinearSchedule sched,
                double max_grad_norm);
/* Learning rate of the next update: adam.lr * schedule_lambda(step). */
double optim_lr(const Optimizer *o);
/* clip → AdamW at optim_lr → step++ (as jiant: clip_grad_norm_, optimizer.step(), scheduler.step()).
 * Does not zero the gradients (paramset_zero_grad). No allocation. */
StepInfo optim_step(Optimizer *o, ParamSet *ps);
/* optim_step with the pre-clip norm already computed by grad_global_norm_lazy(&o->norm, ps, &o->lazy). */
StepInfo optim_step_norm(Optimizer *o, ParamSet *ps, double norm);
void optim_free(Optimizer *o);

/* Turns on lazy rows for 2-D tensor k of ps (after optim_init). Rows with any non-zero m or v count as touched
 * (optim_lazy_rebuild); the others are taken as up to date at update o->step. Needs the gradient of k to be zero
 * outside the rows given to optim_lazy_touch before each optim_step (the trainer's word embedding without a tied
 * decoder, one process). */
void optim_lazy_init(Optimizer *o, const ParamSet *ps, int k);
/* Marks the rows ids[0..n) (each in [0, rows)) as receiving gradient in the current update; a row touched for the
 * first time gets its pending updates now (call it before the forward reads the rows) and is dense from then on.
 * No allocation. */
void optim_lazy_touch(Optimizer *o, ParamSet *ps, const int32_t *ids, size_t n);
/* Applies every pending update to the untouched rows: afterwards ps->block equals what dense AdamW gives. Call
 * before anything reads the weights (evaluation, saving, copying). No-op when lazy rows are off. */
void optim_lazy_flush(Optimizer *o, ParamSet *ps);
/* After the weights and moments were replaced (a checkpoint loaded, flushed when it was written): touched =
 * rows with a non-zero m or v; every untouched row up to date at update o->step. */
void optim_lazy_rebuild(Optimizer *o, const ParamSet *ps);
/* Zeroes the gradient block: the lazy tensor on the rows touched in this update only, the rest whole. Without
 * lazy rows: paramset_zero_grad. */
void optim_zero_grad(Optimizer *o, ParamSet *ps);

#endif
