#!/usr/bin/env python3
"""gen_model_head_fixtures.py — HF-written model folders with a task head, for tests/test_model_head.c.

For each arch (xlmr: XLMRobertaFor*, bert: BertFor*) and each head class (seqcls, choice, tokcls, qa, mlm), a
tiny randomly initialised model (hidden 32, 2 layers, 4 heads, intermediate 64, vocab 100, 40 positions) is
re-randomised with a fixed seed (weights N(0, 0.2), biases N(0, 0.1), LayerNorm weights 1 + N(0, 0.2), so every
tensor matters), rounded to float16 (the folder stores F16 to keep the fixtures small; the values are exactly
those f16 numbers in float32) and written with save_pretrained (safetensors) to
tests/fixtures/model_head/<arch>_<head>/ {config.json, model.safetensors}. The folder is loaded back with
<Class>.from_pretrained(dtype=float32, output_loading_info=True) (asserting no missing / unexpected keys), and
its eval-mode logits on a fixed right-padded batch go to tests/fixtures/model_head/expected.safetensors:
  <arch>_<head>.input_ids, .token_type_ids (int32), .attention_mask (f32)  (B,T); choice: (examples*choices, T)
  <arch>_<head>.logits  seqcls (B,K) | choice (examples, choices) | tokcls (B,T,K) | qa (2,B,T) start, end |
                        mlm (B,T,V)
Run: /path/to/venv/bin/python tools/gen_model_head_fixtures.py   (deterministic: fixed seeds)
"""
import json
import os
import shutil
import torch
from safetensors.torch import save_file
import transformers
from transformers import (BertConfig, BertForMaskedLM, BertForMultipleChoice, BertForQuestionAnswering,
                          BertForSequenceClassification, BertForTokenClassification, XLMRobertaConfig,
                          XLMRobertaForMaskedLM, XLMRobertaForMultipleChoice, XLMRobertaForQuestionAnswering,
                          XLMRobertaForSequenceClassification, XLMRobertaForTokenClassification)

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "model_head")
CLASSES = {
    "xlmr": dict(seqcls=XLMRobertaForSequenceClassification, choice=XLMRobertaForMultipleChoice,
                 tokcls=XLMRobertaForTokenClassification, qa=XLMRobertaForQuestionAnswering, mlm=XLMRobertaForMaskedLM),
    "bert": dict(seqcls=BertForSequenceClassification, choice=BertForMultipleChoice,
                 tokcls=BertForTokenClassification, qa=BertForQuestionAnswering, mlm=BertForMaskedLM),
}
NUM_LABELS = dict(seqcls=3, tokcls=5)
V, C, L, NH, F, P = 100, 32, 2, 4, 64, 40


def config(arch, head):
    kw = dict(vocab_size=V, hidden_size=C, num_hidden_layers=L, num_attention_heads=NH, intermediate_size=F,
              max_position_embeddings=P, hidden_act="gelu")
    if head in NUM_LABELS:
        kw["num_labels"] = NUM_LABELS[head]
    if arch == "xlmr":
        return XLMRobertaConfig(type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                                layer_norm_eps=1e-5, **kw)
    return BertConfig(type_vocab_size=2, pad_token_id=0, layer_norm_eps=1e-12, **kw)


def batch(arch, g, lens, T):
    pad = 1 if arch == "xlmr" else 0
    B = len(lens)
    ids = torch.full((B, T), pad, dtype=torch.long)
    types = torch.zeros((B, T), dtype=torch.long)
    mask = torch.zeros((B, T), dtype=torch.long)
    for b, n in enumerate(lens):
        ids[b, :n] = torch.randint(5, V, (n,), generator=g)
        ids[b, 0], ids[b, n - 1] = (0, 2) if arch == "xlmr" else (3, 4)
        if arch == "bert":
            types[b, n // 2:n] = 1
        mask[b, :n] = 1
    return ids, types, mask


def make(arch, head, seed, expected):
    g = torch.Generator().manual_seed(seed)
    cls = CLASSES[arch][head]
    torch.manual_seed(seed)
    model = cls(config(arch, head)).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():   # tied decoder listed once
            if "LayerNorm.weight" in name or "layer_norm.weight" in name:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            pad = model.config.pad_token_id
            if name.endswith("word_embeddings.weight") or (arch == "xlmr" and name.endswith("position_embeddings.weight")):
                p[pad].zero_()
    d = os.path.join(OUT, f"{arch}_{head}")
    shutil.rmtree(d, ignore_errors=True)
    model.half().save_pretrained(d, safe_serialization=True)
    assert sorted(os.listdir(d)) == ["config.json", "model.safetensors"], os.listdir(d)
    ref, info = cls.from_pretrained(d, dtype=torch.float32, attn_implementation="eager", output_loading_info=True)
    bad = {k: v for k, v in info.items() if v}
    assert not bad, (arch, head, bad)
    ref.eval()
    if head == "choice":
        E, NC, T = 2, 3, 8
        ids, types, mask = batch(arch, g, [8, 5, 7, 3, 6, 8], T)
        fwd = dict(input_ids=ids.view(E, NC, T), attention_mask=mask.view(E, NC, T),
                   token_type_ids=types.view(E, NC, T) if arch == "bert" else None)
    else:
        lens = [9, 6, 3]
        ids, types, mask = batch(arch, g, lens, max(lens))
        fwd = dict(input_ids=ids, attention_mask=mask, token_type_ids=types if arch == "bert" else None)
    with torch.no_grad():
        out = ref(**fwd)
    logits = torch.stack([out.start_logits, out.end_logits]) if head == "qa" else out.logits
    key = f"{arch}_{head}"
    expected[key + ".input_ids"] = ids.to(torch.int32).contiguous()
    expected[key + ".token_type_ids"] = types.to(torch.int32).contiguous()
    expected[key + ".attention_mask"] = mask.to(torch.float32).contiguous()
    expected[key + ".logits"] = logits.detach().float().contiguous()
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    print(key, cls.__name__, "logits", tuple(logits.shape), "config num_labels", len(cfg.get("id2label", {})),
          "bytes", os.path.getsize(os.path.join(d, "model.safetensors")))


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    seed = 100
    for arch in ("xlmr", "bert"):
        for head in ("seqcls", "choice", "tokcls", "qa", "mlm"):
            make(arch, head, seed, expected)
            seed += 1
    save_file(expected, os.path.join(OUT, "expected.safetensors"), metadata={"transformers": transformers.__version__,
                                                                             "torch": torch.__version__})


if __name__ == "__main__":
    main()
