#!/usr/bin/env python3
"""gen_encoder_fixtures.py — golden fixtures for tests/test_encoder.c, made with HF transformers itself.

For each arch (xlmr = XLMRobertaModel, bert = BertModel) a tiny random model (V=120 C=32 L=2 NH=4 F=64
P=40, every parameter randomised so LayerNorm weights/biases are not trivially 1/0) is saved with
save_pretrained (safetensors) into tests/fixtures/encoder/<arch>/, and expected.safetensors holds:
  input_ids, token_type_ids, attention_mask  (B=3, T=11, lengths 11/7/4, right padding)
  hidden.<l>     every hidden_states[l], l = 0..L, eval mode, padding positions included
  R_last, R_mid  fixed random (B,T,C) tensors; loss = sum(h[L]*R_last) + sum(h[1]*R_mid)
  grad.<name>    d loss / d parameter for every parameter (unprefixed HF name)
  grad_inputs_embeds   d loss / d (word embedding output) = d loss / d embedding sum before LN
Run: tools/.venv/bin/python tools/gen_encoder_fixtures.py   (deterministic: fixed seeds, fp32, eager attention)
"""
import os
import torch
from safetensors.torch import save_file
from transformers import BertConfig, BertModel, XLMRobertaConfig, XLMRobertaModel

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "encoder")
V, C, L, NH, F, P = 120, 32, 2, 4, 64, 40
B, T = 3, 11
LENS = [11, 7, 4]


def make(arch):
    g = torch.Generator().manual_seed(1234 if arch == "xlmr" else 4321)
    common = dict(vocab_size=V, hidden_size=C, num_hidden_layers=L, num_attention_heads=NH,
                  intermediate_size=F, max_position_embeddings=P, hidden_act="gelu",
                  hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    if arch == "xlmr":
        cfg = XLMRobertaConfig(type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0,
                               eos_token_id=2, **common)
        cfg._attn_implementation = "eager"
        model = XLMRobertaModel(cfg, add_pooling_layer=False)
        pad = 1
    else:
        cfg = BertConfig(type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0, **common)
        cfg._attn_implementation = "eager"
        model = BertModel(cfg, add_pooling_layer=False)
        pad = 0
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm.weight" in name:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif "embeddings" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.15 * torch.randn(p.shape, generator=g))
    ids = torch.full((B, T), pad, dtype=torch.long)
    types = torch.zeros((B, T), dtype=torch.long)
    mask = torch.zeros((B, T), dtype=torch.long)
    for b, n in enumerate(LENS):
        body = torch.randint(5, V, (n,), generator=g)
        ids[b, :n] = body
        if arch == "xlmr":
            ids[b, 0], ids[b, n - 1] = 0, 2      # <s> ... </s>
        else:
            ids[b, 0], ids[b, n - 1] = 101 % V, 102 % V
            types[b, n // 2:n] = 1               # a pair: second segment
        mask[b, :n] = 1
    model.eval()
    captured = {}

    def hook(_m, _inp, out):
        out.retain_grad()
        captured["emb"] = out
    model.embeddings.word_embeddings.register_forward_hook(hook)
    out = model(input_ids=ids, attention_mask=mask, token_type_ids=types if arch == "bert" else None,
                output_hidden_states=True)
    hs = out.hidden_states
    R_last = torch.randn(hs[L].shape, generator=g)
    R_mid = torch.randn(hs[1].shape, generator=g)
    loss = (hs[L] * R_last).sum() + (hs[1] * R_mid).sum()
    loss.backward()
    d = os.path.join(OUT, arch)
    os.makedirs(d, exist_ok=True)
    model.save_pretrained(d, safe_serialization=True)
    exp = {"input_ids": ids.to(torch.int32), "token_type_ids": types.to(torch.int32),
           "attention_mask": mask.to(torch.float32), "R_last": R_last, "R_mid": R_mid,
           "grad_inputs_embeds": captured["emb"].grad.detach().clone()}
    for i, h in enumerate(hs):
        exp[f"hidden.{i}"] = h.detach().clone()
    for name, p in model.named_parameters():
        exp["grad." + name] = p.grad.detach().clone()
    save_file({k: v.contiguous() for k, v in exp.items()}, os.path.join(d, "expected.safetensors"))
    print(arch, "loss", float(loss), "tensors", len(exp))


if __name__ == "__main__":
    make("xlmr")
    make("bert")
