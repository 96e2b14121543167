#!/usr/bin/env python3
"""gen_model_fixtures.py — tiny Hugging Face model folders for tests/test_model_io.c and
tests/test_safetensors.c, written by transformers' own save_pretrained (the reference writer).

Run: tools/.venv/bin/python tools/gen_model_fixtures.py   (writes tests/fixtures/model_io/)

  xlmr_model/   XLMRobertaModel, F32, unprefixed names, with pooler
  xlmr_mlm/     XLMRobertaForMaskedLM, F32, "roberta." prefix + lm_head.* (tensors the encoder does not use)
  xlmr_f16/     XLMRobertaModel.half().save_pretrained + ref.safetensors = torch's .float() of every tensor
  xlmr_bf16/    XLMRobertaModel.to(torch.bfloat16).save_pretrained + ref.safetensors
  bert_model/   BertModel, F32, unprefixed, with pooler
  bert_mlm/     BertForMaskedLM, F32, "bert." prefix + cls.predictions.*
  special.safetensors  F16 / BF16 bit patterns (all subnormals, +-0, +-inf, NaNs incl. signalling,
                every 7th pattern) and torch's float32 conversion of each ("*_ref").
"""
import os
import shutil

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import (BertConfig, BertForMaskedLM, BertModel, XLMRobertaConfig, XLMRobertaForMaskedLM,
                          XLMRobertaModel)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "model_io")

# Tiny shapes (V=250, C=16, L=2, NH=2, F=32, P=20) keep the whole set well under 500 KB.
XLMR = dict(vocab_size=250, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
            max_position_embeddings=20, type_vocab_size=1, pad_token_id=1, layer_norm_eps=1e-5)
BERT = dict(vocab_size=250, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
            max_position_embeddings=20, type_vocab_size=2, pad_token_id=0, layer_norm_eps=1e-12)


def randomize(model, seed):
    """Every parameter random (HF's init leaves LayerNorm at 1/0 and biases at 0, which would
    not exercise the reader); a spread of magnitudes so F16 has subnormals and large values."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):
            x = torch.randn(p.shape, generator=g)
            scale = torch.exp(torch.empty(p.shape).uniform_(-14, 2, generator=g))
            p.copy_(x * scale)
    return model


def save(model, name):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    model.save_pretrained(d)
    return d


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    torch.manual_seed(0)
    xcfg, bcfg = XLMRobertaConfig(**XLMR), BertConfig(**BERT)
    xm = randomize(XLMRobertaModel(xcfg).eval(), 1)
    save(xm, "xlmr_model")
    save(randomize(XLMRobertaForMaskedLM(xcfg).eval(), 2), "xlmr_mlm")
    save(randomize(BertModel(bcfg).eval(), 3), "bert_model")
    save(randomize(BertForMaskedLM(bcfg).eval(), 4), "bert_mlm")
    for dt, name in ((torch.float16, "xlmr_f16"), (torch.bfloat16, "xlmr_bf16")):
        m = randomize(XLMRobertaModel(xcfg).eval(), 5).to(dt)
        d = save(m, name)
        # the reference: torch's own conversion of the saved low-precision tensors to float32
        ref = {k: v.float().contiguous() for k, v in m.state_dict().items() if not k.endswith("position_ids")}
        save_file(ref, os.path.join(d, "ref.safetensors"))

    bits = sorted(set(list(range(0, 0x400)) + list(range(0x8000, 0x8400)) + list(range(0x7C00, 0x7C10)) +
                      list(range(0xFC00, 0xFC10)) + [0x7E00, 0x7FFF, 0xFE00, 0xFFFF, 0x3C00, 0x7BFF, 0xFBFF] +
                      list(range(0, 0x10000, 7))))
    u16 = torch.from_numpy(np.array(bits, dtype=np.int32).astype(np.uint16).view(np.int16).copy())
    bbits = sorted(set(list(range(0, 0x80)) + list(range(0x8000, 0x8080)) + [0x7F80, 0xFF80, 0x7F81, 0x7FC0, 0xFFC1, 0x7FFF] +
                       list(range(0, 0x10000, 7))))
    b16 = torch.from_numpy(np.array(bbits, dtype=np.int32).astype(np.uint16).view(np.int16).copy())
    h, b = u16.view(torch.float16), b16.view(torch.bfloat16)
    save_file({"h": h, "h_ref": h.float(), "b": b, "b_ref": b.float()}, os.path.join(OUT, "special.safetensors"))
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT}: {total / 1024:.0f} KB")


if __name__ == "__main__":
    main()
