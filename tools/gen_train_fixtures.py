#!/usr/bin/env python3
"""gen_train_fixtures.py — PyTorch reference for three optimizer steps of the trainer (tests/test_train_steps.c).

Starting from the HF-written tiny folders of tests/fixtures/model_head/<case> (tools/gen_model_head_fixtures.py),
each case is trained for 3 updates exactly as HF/jiant train: torch.optim.AdamW (betas 0.9/0.999, eps 1e-8, weight
decay 0.01 except biases and LayerNorm weights), transformers.get_linear_schedule_with_warmup (warm-up 0.5 * 3 =
1.5 updates, unrounded as jiant), gradient accumulation 2 (loss / 2 per micro-batch), clip_grad_norm_(1.0) before
each step, dropout off (model.eval()), float32, fixed batches in order (no shuffling): 6 micro-batches of 4 rows
(multiple choice: 2 examples x 3 choices) with right padding to T = 10. Written to
tests/fixtures/train_steps/<case>.safetensors:
  input_ids, token_type_ids (int32), attention_mask (int32)   (rows, T), micro-batches consecutive
  labels (int32)   seqcls (rows) | choice (examples) | qa (rows, 2) start, end | tokcls, mlm (rows, T), -100 = none
  loss (6) each micro-batch's unscaled loss;  lr (3), grad_norm (3) per update (pre-clip norm)
  final.<HF name>  every parameter after the 3 updates (float32), as model.state_dict() names it
Run: /path/to/venv/bin/python tools/gen_train_fixtures.py   (deterministic: fixed seeds, one thread)
"""
import os
import torch
from safetensors.torch import save_file
import transformers
from transformers import (BertForMaskedLM, BertForQuestionAnswering, BertForSequenceClassification,
                          XLMRobertaForMultipleChoice, XLMRobertaForSequenceClassification,
                          XLMRobertaForTokenClassification, get_linear_schedule_with_warmup)

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "tests", "fixtures", "model_head")
OUT = os.path.join(HERE, "..", "tests", "fixtures", "train_steps")
CASES = [("xlmr_seqcls", XLMRobertaForSequenceClassification), ("bert_seqcls", BertForSequenceClassification),
         ("xlmr_choice", XLMRobertaForMultipleChoice), ("bert_qa", BertForQuestionAnswering),
         ("xlmr_tokcls", XLMRobertaForTokenClassification), ("bert_mlm", BertForMaskedLM)]
T, MICRO, ACCUM, UPDATES, LR, WARMUP = 10, 6, 2, 3, 1e-3, 0.5
CHOICES = 3


def rows(arch, g, n, V):
    pad = 1 if arch == "xlmr" else 0
    ids = torch.full((n, T), pad, dtype=torch.long)
    types = torch.zeros((n, T), dtype=torch.long)
    mask = torch.zeros((n, T), dtype=torch.long)
    lens = torch.randint(3, T + 1, (n,), generator=g)
    for b in range(n):
        k = int(lens[b])
        ids[b, :k] = torch.randint(5, V, (k,), generator=g)
        ids[b, 0], ids[b, k - 1] = (0, 2) if arch == "xlmr" else (3, 4)
        if arch == "bert":
            types[b, k // 2:k] = 1
        mask[b, :k] = 1
    return ids, types, mask, lens


def make(key, cls, seed):
    arch, head = key.split("_")
    g = torch.Generator().manual_seed(seed)
    model = cls.from_pretrained(os.path.join(SRC, key), dtype=torch.float32, attn_implementation="eager")
    model.eval()  # dropout off
    V = model.config.vocab_size
    per = CHOICES if head == "choice" else 1
    units = 4 // per if head != "choice" else 2  # rows per micro-batch: 4, or 2 examples x 3 choices
    n = MICRO * units * per
    ids, types, mask, lens = rows(arch, g, n, V)
    if head == "seqcls":
        labels = torch.randint(0, model.config.num_labels, (n,), generator=g)
    elif head == "choice":
        labels = torch.randint(0, CHOICES, (n // CHOICES,), generator=g)
    elif head in ("tokcls", "mlm"):  # (rows, T): a target on about half the real tokens, -100 elsewhere
        hi = model.config.num_labels if head == "tokcls" else V
        labels = torch.full((n, T), -100, dtype=torch.long)
        for b in range(n):
            for t in range(1, int(lens[b]) - 1):
                if float(torch.rand((1,), generator=g)) < 0.5:
                    labels[b, t] = int(torch.randint(0, hi, (1,), generator=g))
            if (labels[b] == -100).all():
                labels[b, 1] = 0
    else:  # qa: start <= end inside the row
        labels = torch.zeros((n, 2), dtype=torch.long)
        for b in range(n):
            s = int(torch.randint(1, int(lens[b]) - 1, (1,), generator=g))
            e = min(int(lens[b]) - 2, s + int(torch.randint(0, 3, (1,), generator=g)))
            labels[b] = torch.tensor([s, e])
    no_decay = [p for nm, p in model.named_parameters() if nm.endswith("bias") or "LayerNorm" in nm or "layer_norm" in nm]
    decay = [p for nm, p in model.named_parameters() if not (nm.endswith("bias") or "LayerNorm" in nm or "layer_norm" in nm)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=LR, betas=(0.9, 0.999), eps=1e-8)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=WARMUP * UPDATES, num_training_steps=UPDATES)
    losses, lrs, norms = [], [], []
    rpm = units * per  # rows per micro-batch
    for mb in range(MICRO):
        sl = slice(mb * rpm, (mb + 1) * rpm)
        kw = dict(input_ids=ids[sl], attention_mask=mask[sl], token_type_ids=types[sl] if arch == "bert" else None)
        if head == "choice":
            kw = {k: (v.view(units, CHOICES, T) if v is not None else None) for k, v in kw.items()}
            out = model(**kw, labels=labels[mb * units:(mb + 1) * units])
        elif head in ("tokcls", "mlm"):
            out = model(**kw, labels=labels[sl])
        elif head == "qa":
            out = model(**kw, start_positions=labels[sl, 0], end_positions=labels[sl, 1])
        else:
            out = model(**kw, labels=labels[sl])
        losses.append(float(out.loss))
        (out.loss / ACCUM).backward()
        if (mb + 1) % ACCUM == 0:
            lrs.append(opt.param_groups[0]["lr"])
            norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)))
            opt.step()
            sched.step()
            opt.zero_grad()
    out = {"input_ids": ids.to(torch.int32), "token_type_ids": types.to(torch.int32),
           "attention_mask": mask.to(torch.int32), "labels": labels.to(torch.int32),
           "loss": torch.tensor(losses, dtype=torch.float32), "lr": torch.tensor(lrs, dtype=torch.float64),
           "grad_norm": torch.tensor(norms, dtype=torch.float64)}
    for nm, p in model.named_parameters():
        out["final." + nm] = p.detach().float().clone()
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(OUT, key + ".safetensors"),
              metadata={"transformers": transformers.__version__, "torch": torch.__version__})
    print(key, "losses", [round(x, 4) for x in losses], "lr", lrs, "norms", [round(x, 4) for x in norms],
          "bytes", os.path.getsize(os.path.join(OUT, key + ".safetensors")))


def main():
    os.makedirs(OUT, exist_ok=True)
    for i, (key, cls) in enumerate(CASES):
        make(key, cls, 500 + i)


if __name__ == "__main__":
    main()
