#!/usr/bin/env python3
"""gen_encode_fixtures.py — golden sentence embeddings for tests/cli_encode.sh, made with HF transformers.

For each arch a tiny random model with a REAL tokenizer is written to tests/fixtures/encode/<arch>/model/
(config.json from save_pretrained + model.safetensors stored as F16 to keep the fixture ~1 MB; the fp32
reference below is computed from the same F16-rounded weights, so the stored weights are exact):
  xlmr: XLMRobertaModel  V=16002 (tests/fixtures/tok/xlmr16k.model) C=32 L=2 NH=4 F=64 P=66 (max_len 64)
  bert: BertModel        V=30522 (tests/fixtures/tok/bert-uncased-vocab.txt, lower-cased) C=16 L=2 NH=2 F=32 P=64
The tokenizer file itself is NOT duplicated: the test copies it into the model folder at run time
(sentencepiece.bpe.model / vocab.txt + tokenizer_config.json {"do_lower_case": true}).

sentences.txt: 5 real Tatoeba lines in each of 10 languages/scripts, an empty line, and one long line
(12 English sentences joined) that exceeds the model's length so truncation is exercised.
ids.txt: HF's input_ids per line (with specials, truncated to max_len) — to tell a tokenizer mismatch
from an encoder mismatch when the test fails.
Expected embeddings (float32 .npy, [n, C]), computed per sentence WITHOUT padding in float64 from the
F16-rounded weights (the exact answer; xstilts computes in float32 with padding), eval mode:
  <layer>_mean.npy  mean over all tokens of hidden_states[layer] (specials included, = XTREME's
                    mean_pool_embedding with the attention mask), layer = 0..L
  <L>_cls.npy       hidden_states[L][:, 0]
  1_mean_max10.npy  layer 1, mean, with truncation to 10 tokens (--max-len 10)
Run: tools/.venv/bin/python tools/gen_encode_fixtures.py   (deterministic: fixed seeds)
"""
import json
import os
import shutil
import tempfile

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import (BertConfig, BertModel, BertTokenizer, XLMRobertaConfig, XLMRobertaModel,
                          XLMRobertaTokenizer)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(FIX, "encode")
LANGS = ["eng", "deu", "rus", "ara", "cmn", "jpn", "hin", "kor", "ell", "heb"]


def sentences():
    out = []
    for lang in LANGS:
        pair = "deu" if lang == "eng" else lang  # English lines: the eng side of deu-eng
        path = os.path.join(FIX, "tatoeba", f"tatoeba.{pair}-eng.{lang}")
        with open(path, encoding="utf-8") as f:
            lines = [l.rstrip("\n") for l in f]
        out.extend(lines[10:15])
    out.append("")
    with open(os.path.join(FIX, "tatoeba", "tatoeba.fra-eng.eng"), encoding="utf-8") as f:
        eng = [l.rstrip("\n") for l in f]
    out.append(" ".join(eng[20:32]))
    return out


def tokenizer_for(arch, tmp):
    if arch == "xlmr":
        shutil.copy(os.path.join(FIX, "tok", "xlmr16k.model"), os.path.join(tmp, "sentencepiece.bpe.model"))
        return XLMRobertaTokenizer.from_pretrained(tmp)
    shutil.copy(os.path.join(FIX, "tok", "bert-uncased-vocab.txt"), os.path.join(tmp, "vocab.txt"))
    with open(os.path.join(tmp, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True}, f)
    return BertTokenizer.from_pretrained(tmp, do_lower_case=True)


def make(arch):
    torch.manual_seed(7 if arch == "xlmr" else 8)
    g = torch.Generator().manual_seed(2024 if arch == "xlmr" else 2025)
    if arch == "xlmr":
        V, C, L, NH, F, P = 16002, 32, 2, 4, 64, 66
        cfg = XLMRobertaConfig(vocab_size=V, hidden_size=C, num_hidden_layers=L, num_attention_heads=NH,
                               intermediate_size=F, max_position_embeddings=P, type_vocab_size=1,
                               layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                               hidden_act="gelu")
        cfg._attn_implementation = "eager"
        model = XLMRobertaModel(cfg, add_pooling_layer=False)
        max_len = P - 2
    else:
        V, C, L, NH, F, P = 30522, 16, 2, 2, 32, 64
        cfg = BertConfig(vocab_size=V, hidden_size=C, num_hidden_layers=L, num_attention_heads=NH,
                         intermediate_size=F, max_position_embeddings=P, type_vocab_size=2,
                         layer_norm_eps=1e-12, pad_token_id=0, hidden_act="gelu")
        cfg._attn_implementation = "eager"
        model = BertModel(cfg, add_pooling_layer=False)
        max_len = P
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm.weight" in name:
                v = 1.0 + 0.2 * torch.randn(p.shape, generator=g)
            elif "embeddings" in name:
                v = 0.5 * torch.randn(p.shape, generator=g)
            else:
                v = 0.15 * torch.randn(p.shape, generator=g)
            p.copy_(v.half().float())  # the stored F16 weights are then exactly the reference's
    model.eval()

    d = os.path.join(OUT, arch)
    md = os.path.join(d, "model")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(md)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        shutil.copy(os.path.join(tmp, "config.json"), os.path.join(md, "config.json"))
    state = {k: v.detach().half().contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(md, "model.safetensors"), metadata={"format": "pt"})

    sents = sentences()
    with open(os.path.join(d, "sentences.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(sents) + "\n")
    model64 = model.double()
    with tempfile.TemporaryDirectory() as tmp:
        tok = tokenizer_for(arch, tmp)
        ids_lines = []
        runs = {}  # name -> (max_len, [rows])
        for name, ml in (("full", max_len), ("max10", 10)):
            hs_all = []
            for s in sents:
                enc = tok(s, truncation=True, max_length=ml, return_tensors="pt")
                if name == "full":
                    ids_lines.append(" ".join(str(i) for i in enc["input_ids"][0].tolist()))
                with torch.no_grad():
                    out = model64(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                                  token_type_ids=enc.get("token_type_ids"), output_hidden_states=True)
                hs_all.append([h[0].numpy() for h in out.hidden_states])  # each (T, C)
            runs[name] = hs_all
    with open(os.path.join(d, "ids.txt"), "w") as f:
        f.write("\n".join(ids_lines) + "\n")

    def save(fname, rows):
        np.save(os.path.join(d, fname), np.stack(rows).astype(np.float32))

    for layer in range(L + 1):
        save(f"{layer}_mean.npy", [hs[layer].mean(axis=0) for hs in runs["full"]])
    save(f"{L}_cls.npy", [hs[L][0] for hs in runs["full"]])
    save("1_mean_max10.npy", [hs[1].mean(axis=0) for hs in runs["max10"]])
    longest = max(len(l.split()) for l in ids_lines)
    print(f"{arch}: {len(sents)} sentences, longest {longest} tokens (max_len {max_len}), wrote {d}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    make("xlmr")
    make("bert")
