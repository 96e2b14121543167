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

/* ---- gradient accumulation ---- */

/* What HF Trainer and jiant do: each micro-batch's loss is divided by the number of accumulation
 * steps before backward, so the gradient block accumulates sum_i g_i / accum. Seed the loss gradient
 * with this factor (dL = accum_loss_scale(accum), not 1), sum the micro-batches' gradients into the
 * block, and step once every `accum` micro-batches. Returns 1.0f / accum (exact for powers of two). */
float accum_loss_scale(int accum);

/* ---- the whole optimizer step ---- */

typedef struct Optimizer {
    AdamWConfig adam;
    LinearSchedule sched;
    double max_grad_norm;  /* 1.0; <= 0 disables clipping */
    int64_t step;          /* updates done so far (the schedule index of the next update) */
    GradNorm norm;
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
void optim_free(Optimizer *o);

#endif
