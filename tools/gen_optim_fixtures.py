#!/usr/bin/env python3
"""gen_optim_fixtures.py — the PyTorch reference for tests/test_train_optim.c: three optimizer updates
of torch.optim.AdamW (foreach=False) + transformers.get_linear_schedule_with_warmup +
torch.nn.utils.clip_grad_norm_(max_norm=1.0) with gradient accumulation 2 (six micro-batches of given
gradients), over a small parameter set with the names and shapes of a tiny ParamSet (weights,
biases, LayerNorm / layer_norm weights: the no-decay group is chosen by name as the C table does).

Run: tools/.venv/bin/python tools/gen_optim_fixtures.py OUT_DIR
     (the committed copy lives in tests/fixtures/optim/)

Writes OUT_DIR/adamw3.safetensors, and OUT_DIR/adamw3_legacy.safetensors for the same run with
LegacyHfAdamW below in place of torch.optim.AdamW, each with
  init.<name>            parameters before the first update
  grad.<micro>.<name>    the raw gradient G of micro-batch 0..5; each micro-batch's loss is
                         sum(p * G) / ACCUM, so p.grad accumulates G / ACCUM (HF Trainer / jiant scaling)
  after.<s>.<name>       parameters after update s = 1..3
  exp_avg.<name>, exp_avg_sq.<name>   Adam moments after update 3
  lr (F64, [3])          the learning rate each update used (optimizer.param_groups[0]["lr"] before step)
  grad_norm (F32, [3])   clip_grad_norm_'s return value (pre-clip total norm) per update
  no_decay (F32, [n])    1 for the tensors put in the weight-decay-0 group, in table order
and __metadata__ with the hyperparameters and the table order ("names").
"""
import json
import math
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import get_linear_schedule_with_warmup

TABLE = [
    ("embeddings.word_embeddings.weight", (20, 8)),
    ("embeddings.LayerNorm.weight", (8,)),
    ("embeddings.LayerNorm.bias", (8,)),
    ("encoder.layer.0.attention.self.query.weight", (8, 8)),
    ("encoder.layer.0.attention.self.query.bias", (8,)),
    ("encoder.layer.0.intermediate.dense.weight", (24, 8)),
    ("pooler.dense.weight", (8, 8)),
    ("classifier.out_proj.weight", (3, 8)),
    ("classifier.out_proj.bias", (3,)),
    ("lm_head.layer_norm.weight", (8,)),
]
LR = 1e-3
WD = 0.01
ACCUM = 2
STEPS = 3
TOTAL = 4            # num_training_steps of the schedule (longer than the 3 updates run)
WARMUP_RATIO = 0.3   # jiant: num_warmup_steps = ratio * total = 1.2, not rounded
MAX_NORM = 1.0
# per-micro-batch gradient scales: update 1 and 3 are clipped, update 2 is not
SCALES = [1.0, 0.8, 0.03, 0.04, 0.6, 0.9]
# one tensor with gradients so small that sqrt(v) is near eps: where torch's AdamW and the legacy HF
# class differ most (eps before / after the bias correction)
TINY = {"classifier.out_proj.bias": 1e-7}


class LegacyHfAdamW(torch.optim.Optimizer):
    """transformers.AdamW(correct_bias=True) as transformers 3.x / 4.x shipped it (removed from
    transformers 5; it is the optimizer jiant's create_optimizer builds): moments with mul_/add_,
    eps added to sqrt(v) before the bias correction, decoupled weight decay applied after the update.
    The step below follows that class's published step() operation for operation."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st["step"] = 0
                    st["exp_avg"] = torch.zeros_like(p)
                    st["exp_avg_sq"] = torch.zeros_like(p)
                m, v = st["exp_avg"], st["exp_avg_sq"]
                b1, b2 = group["betas"]
                st["step"] += 1
                m.mul_(b1).add_(p.grad, alpha=1.0 - b1)
                v.mul_(b2).addcmul_(p.grad, p.grad, value=1.0 - b2)
                denom = v.sqrt().add_(group["eps"])
                bc1 = 1.0 - b1 ** st["step"]
                bc2 = 1.0 - b2 ** st["step"]
                step_size = group["lr"] * math.sqrt(bc2) / bc1
                p.addcdiv_(m, denom, value=-step_size)
                if group["weight_decay"] > 0.0:
                    p.add_(p, alpha=-group["lr"] * group["weight_decay"])


def no_decay(name):
    return name.endswith(".bias") or "LayerNorm" in name or "layer_norm" in name


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    run(out, "adamw3.safetensors", lambda groups: torch.optim.AdamW(groups, lr=LR, betas=(0.9, 0.999), eps=1e-8,
                                                                    foreach=False))
    run(out, "adamw3_legacy.safetensors", lambda groups: LegacyHfAdamW(groups, lr=LR, betas=(0.9, 0.999), eps=1e-8))


def run(out, fname, make_opt):
    torch.manual_seed(1234)
    params = {}
    for name, shape in TABLE:
        x = torch.randn(shape) * 0.5
        if "LayerNorm.weight" in name or "layer_norm.weight" in name:
            x = 1.0 + 0.1 * torch.randn(shape)
        params[name] = torch.nn.Parameter(x)
    grads = [{n: torch.randn(s) * SCALES[i] * TINY.get(n, 1.0) for n, s in TABLE} for i in range(STEPS * ACCUM)]
    tensors = {f"init.{n}": p.detach().clone() for n, p in params.items()}
    for i, g in enumerate(grads):
        for n, x in g.items():
            tensors[f"grad.{i}.{n}"] = x.clone()

    groups = [
        {"params": [params[n] for n, _ in TABLE if not no_decay(n)], "weight_decay": WD},
        {"params": [params[n] for n, _ in TABLE if no_decay(n)], "weight_decay": 0.0},
    ]
    opt = make_opt(groups)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=WARMUP_RATIO * TOTAL, num_training_steps=TOTAL)
    lrs, norms = [], []
    micro = 0
    for s in range(1, STEPS + 1):
        for _ in range(ACCUM):
            loss = sum((params[n] * grads[micro][n]).sum() for n, _ in TABLE) / ACCUM
            loss.backward()
            micro += 1
        norm = torch.nn.utils.clip_grad_norm_([params[n] for n, _ in TABLE], MAX_NORM, norm_type=2.0)
        lrs.append(opt.param_groups[0]["lr"])
        norms.append(float(norm))
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        for n, p in params.items():
            tensors[f"after.{s}.{n}"] = p.detach().clone()
    for n, p in params.items():
        st = opt.state[p]
        tensors[f"exp_avg.{n}"] = st["exp_avg"].clone()
        tensors[f"exp_avg_sq.{n}"] = st["exp_avg_sq"].clone()
    tensors["lr"] = torch.tensor(lrs, dtype=torch.float64)
    tensors["grad_norm"] = torch.tensor(norms, dtype=torch.float32)
    tensors["no_decay"] = torch.tensor([float(no_decay(n)) for n, _ in TABLE], dtype=torch.float32)
    meta = {"names": json.dumps([n for n, _ in TABLE]), "lr": repr(LR), "weight_decay": repr(WD),
            "accum": str(ACCUM), "steps": str(STEPS), "total": str(TOTAL), "warmup_ratio": repr(WARMUP_RATIO),
            "max_norm": repr(MAX_NORM), "torch": torch.__version__}
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(out, fname), metadata=meta)
    print(fname, "lr", lrs, "norms", norms)


if __name__ == "__main__":
    main()
