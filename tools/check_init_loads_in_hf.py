#!/usr/bin/env python3
"""check_init_loads_in_hf.py DIR — checks that a folder written by `xstilts init` (or model_save)
loads in Hugging Face transformers with nothing missing, unexpected or mismatched, that the
weights HF sees are the bytes in model.safetensors, that the init statistics are HF's, and that a
forward pass runs. A check script, not a test: run it by hand with tools/.venv/bin/python.
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file
from transformers import AutoConfig, AutoModel


def main(d):
    cfg = AutoConfig.from_pretrained(d)
    model, info = AutoModel.from_pretrained(d, output_loading_info=True)
    print(f"{d}: {type(model).__name__}, {cfg.model_type}, L{cfg.num_hidden_layers} C{cfg.hidden_size} "
          f"V{cfg.vocab_size}, {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters")
    for k in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
        print(f"  {k}: {list(info.get(k, []))}")
        assert not info.get(k), f"{k} not empty"
    sd = load_file(os.path.join(d, "model.safetensors"))
    msd = model.state_dict()
    for k, v in sd.items():
        assert torch.equal(msd[k], v), f"{k} differs after loading"
    std = cfg.initializer_range
    w = sd["embeddings.word_embeddings.weight"]
    assert torch.all(w[cfg.pad_token_id] == 0), "padding_idx row not zero"
    for k, v in sd.items():
        if k.endswith("LayerNorm.weight"):
            assert torch.all(v == 1), k
        elif k.endswith("bias"):
            assert torch.all(v == 0), k
        elif v.numel() > 10000:
            s = v.float().std().item()
            assert abs(s - std) < 0.1 * std, f"{k}: std {s}, expected {std}"
    print(f"  weights identical to model.safetensors ({len(sd)} tensors); LayerNorm 1/0, biases 0, "
          f"word embeddings std {w.std().item():.5f} (initializer_range {std})")
    ids = torch.tensor([[0 if cfg.model_type != "bert" else 2, 5, 6, 7, 2 if cfg.model_type != "bert" else 3]])
    with torch.no_grad():
        out = model(input_ids=ids, output_hidden_states=True)
    assert torch.isfinite(out.last_hidden_state).all()
    print(f"  forward ok: last_hidden_state {tuple(out.last_hidden_state.shape)}")
    tc = os.path.join(d, "tokenizer_config.json")
    if os.path.exists(tc):
        print(f"  tokenizer_config.json: {json.load(open(tc))}")
        try:
            from transformers import AutoTokenizer
            tok = AutoTokenizer.from_pretrained(d)
            print(f"  AutoTokenizer: {type(tok).__name__}, vocab {len(tok)}, 'Hello world' -> {tok('Hello world')['input_ids']}")
            assert len(tok) == cfg.vocab_size, f"tokenizer has {len(tok)} entries, config {cfg.vocab_size}"
        except Exception as e:  # the tokenizer is not what this script checks; report, don't fail
            print(f"  AutoTokenizer could not load the folder: {e}")
    print("OK")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check_init_loads_in_hf.py DIR")
    main(sys.argv[1])
