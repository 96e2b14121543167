#!/usr/bin/env python3
"""gen_head_fixtures.py — golden fixtures for tests/test_heads.c, made with HF transformers' *For* classes.

For each arch (xlmr: XLMRobertaFor*, bert: BertFor*) the tiny encoder of tests/fixtures/encoder/<arch>/
(V=120 C=32 L=2 NH=4 F=64, written by tools/gen_encoder_fixtures.py) is loaded into each of the five
head classes; the head (and the pooler where the class has one) is re-randomised with a fixed seed, the model
runs in eval mode (dropout off, eager attention, fp32) on a right-padded batch with labels, and
loss.backward() gives every gradient. tests/fixtures/heads/<arch>.safetensors holds, per head h in
{seqcls, choice, tokcls, qa, mlm}:
  h.input_ids, h.token_type_ids (int32), h.attention_mask (f32)   (B,T); choice: (examples*choices, T)
  h.labels (int32)      seqcls (B) with a -100; choice (examples); tokcls / mlm (B,T) with -100;
                        qa (B,2) start,end incl. out-of-range positions (HF clamps to [0,T], T ignored)
  h.param.<name>        the head's tensors by HF name (pooler unprefixed: pooler.dense.weight)
  h.logits, h.loss      HF's logits (qa: start_logits then end_logits stacked, (2,B,T)) and loss
  h.grad.<name>         d loss / d every parameter: encoder (unprefixed HF name) and head
  h.saved_keys (uint8)  the tensor names save_pretrained writes for the class, newline-joined
Run: /path/to/venv/bin/python tools/gen_head_fixtures.py   (deterministic: fixed seeds)
If tests/fixtures/encoder is regenerated, regenerate these too.
"""
import os
import tempfile
import torch
from safetensors import safe_open
from safetensors.torch import save_file
import transformers
from transformers import (BertForMaskedLM, BertForMultipleChoice, BertForQuestionAnswering,
                          BertForSequenceClassification, BertForTokenClassification,
                          XLMRobertaForMaskedLM, XLMRobertaForMultipleChoice, XLMRobertaForQuestionAnswering,
                          XLMRobertaForSequenceClassification, XLMRobertaForTokenClassification)

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
CLASSES = {
    "xlmr": dict(seqcls=XLMRobertaForSequenceClassification, choice=XLMRobertaForMultipleChoice,
                 tokcls=XLMRobertaForTokenClassification, qa=XLMRobertaForQuestionAnswering, mlm=XLMRobertaForMaskedLM),
    "bert": dict(seqcls=BertForSequenceClassification, choice=BertForMultipleChoice,
                 tokcls=BertForTokenClassification, qa=BertForQuestionAnswering, mlm=BertForMaskedLM),
}
NUM_LABELS = dict(seqcls=3, choice=2, tokcls=5, qa=2, mlm=2)


def batch(arch, g, lens, T, V, pad):
    B = len(lens)
    ids = torch.full((B, T), pad, dtype=torch.long)
    types = torch.zeros((B, T), dtype=torch.long)
    mask = torch.zeros((B, T), dtype=torch.long)
    for b, n in enumerate(lens):
        ids[b, :n] = torch.randint(5, V, (n,), generator=g)
        if arch == "xlmr":
            ids[b, 0], ids[b, n - 1] = 0, 2
        else:
            ids[b, 0], ids[b, n - 1] = 101 % V, 102 % V
            types[b, n // 2:n] = 1
        mask[b, :n] = 1
    return ids, types, mask


def make(arch, head, seed):
    enc_dir = os.path.join(ROOT, "encoder", arch)
    g = torch.Generator().manual_seed(seed)
    cls = CLASSES[arch][head]
    kw = {"num_labels": 3} if head == "seqcls" else {"num_labels": 5} if head == "tokcls" else {}
    model = cls.from_pretrained(enc_dir, attn_implementation="eager", **kw)
    if head == "seqcls":
        model.config.problem_type = "single_label_classification"
    cfg = model.config
    V, pad = cfg.vocab_size, cfg.pad_token_id
    base = model.base_model_prefix  # "roberta" / "bert"
    # the encoder must be exactly the fixture's (from_pretrained must not have re-initialised it)
    from safetensors.torch import load_file
    ref = load_file(os.path.join(enc_dir, "model.safetensors"))
    # every name, tied ones included (named_parameters() would list the tied word embeddings under
    # whichever name comes first, lm_head.decoder.weight for XLM-R); the decoder (weight tied to the
    # word embeddings, bias tied to lm_head.bias / cls.predictions.bias) is not a tensor of its own
    params = dict(model.named_parameters(remove_duplicate=False))
    enc = [n for n in params if n.startswith(base + ".") and not n.startswith(base + ".pooler.")]
    for name in enc:
        assert torch.equal(params[name].detach(), ref[name[len(base) + 1:]]), name
    if head == "mlm":
        dec = model.get_output_embeddings()
        assert dec.weight is params[base + ".embeddings.word_embeddings.weight"]
    head_names = [n for n in params if n not in enc and ".decoder." not in n]
    with torch.no_grad():
        for name in head_names:
            p = params[name]
            if "LayerNorm.weight" in name or "layer_norm.weight" in name:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
    if head == "choice":
        E, NC, T = 2, 3, 8
        ids, types, mask = batch(arch, g, [8, 5, 7, 3, 6, 8], T, V, pad)
        labels = torch.tensor([1, 2])
        fwd = dict(input_ids=ids.view(E, NC, T), attention_mask=mask.view(E, NC, T),
                   token_type_ids=types.view(E, NC, T) if arch == "bert" else None)
    else:
        lens = {"seqcls": [9, 6, 3, 7], "tokcls": [9, 6, 3], "qa": [10, 7, 4, 10], "mlm": [9, 6, 4]}[head]
        T = max(lens)
        ids, types, mask = batch(arch, g, lens, T, V, pad)
        B = len(lens)
        if head == "seqcls":
            labels = torch.tensor([2, -100, 0, 1])
        elif head == "qa":
            # a span; no answer (0 = <s>/[CLS]); start past the window (clamped to T: ignored); negative
            # start (clamped to 0) with end past T (ignored)
            labels = torch.tensor([[3, 5], [0, 0], [25, 4], [-3, 30]])
        else:
            labels = torch.full((B, T), -100, dtype=torch.long)
            for b, n in enumerate(lens):
                for t in range(n):
                    u = torch.rand((), generator=g).item()
                    if head == "tokcls" and u < 0.75:       # first sub-tokens; specials and padding: -100
                        if 0 < t < n - 1:
                            labels[b, t] = int(torch.randint(0, 5, (), generator=g))
                    if head == "mlm" and u < 0.35 and 0 < t < n - 1:
                        labels[b, t] = int(torch.randint(5, V, (), generator=g))
            if head == "mlm":
                labels[1, :] = -100   # a sequence with nothing masked
                labels[0, 1] = int(ids[0, 1])
        fwd = dict(input_ids=ids, attention_mask=mask, token_type_ids=types if arch == "bert" else None)
    model.eval()
    if head == "qa":
        out = model(**fwd, start_positions=labels[:, 0], end_positions=labels[:, 1])
        logits = torch.stack([out.start_logits, out.end_logits])
    else:
        out = model(**fwd, labels=labels)
        logits = out.logits
    out.loss.backward()
    exp = {"input_ids": ids.to(torch.int32), "token_type_ids": types.to(torch.int32),
           "attention_mask": mask.to(torch.float32), "labels": labels.to(torch.int32),
           "logits": logits.detach().clone(), "loss": out.loss.detach().reshape(1).clone()}
    for name in enc + head_names:
        p = params[name]
        short = name[len(base) + 1:] if name.startswith(base + ".") else name
        if name in head_names:
            exp["param." + short] = p.detach().clone()
        exp["grad." + short] = p.grad.detach().clone()
    # the names HF's save_pretrained writes for this class (tied copies dropped), newline-joined as a
    # uint8 tensor: test_heads.c checks that the encoder table + head table give exactly these
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        with safe_open(os.path.join(tmp, "model.safetensors"), "pt") as sf:
            saved = sorted(sf.keys())
    exp["saved_keys"] = torch.tensor(list("\n".join(saved).encode()), dtype=torch.uint8)
    print(arch, head, "loss", float(out.loss), "head tensors", [n for n in head_names])
    return {f"{head}.{k}": v.contiguous() for k, v in exp.items()}


if __name__ == "__main__":
    d = os.path.join(ROOT, "heads")
    os.makedirs(d, exist_ok=True)
    for arch in ("xlmr", "bert"):
        tensors = {}
        for i, head in enumerate(("seqcls", "choice", "tokcls", "qa", "mlm")):
            tensors.update(make(arch, head, 100 * i + (7 if arch == "xlmr" else 11)))
        # no __metadata__ (its key order is not stable across runs): versions are printed and recorded in
        # tests/fixtures/NOTICE.md; the same versions give the same bytes
        save_file(tensors, os.path.join(d, arch + ".safetensors"))
    print("torch", torch.__version__, "transformers", transformers.__version__)
