#!/usr/bin/env python3
"""torch_encoder.py — the PyTorch anchor for bench/bench_encoder.sh: what a user would run to get
sentence embeddings from an XLM-R / BERT folder with Hugging Face transformers.

Loads the SAME model folder xstilts encodes with (AutoModel.from_pretrained, fp32, eval, default attention
implementation = sdpa, torch.inference_mode), tokenizes with HF's tokenizer for that folder (XLMRobertaTokenizer
on sentencepiece.bpe.model / BertTokenizer on vocab.txt; truncation to --max-len), batches sentences sorted
by length exactly as xstilts does (longest first, --batch per batch, padded to the batch's longest), and mean-
or cls-pools hidden_states[--layer] with the attention mask (XTREME's mean_pool_embedding). Writes the
embeddings (.npy, input order) so the bench can check both systems agree, and prints one JSON line:
sentences/s and tokens/s over tokenize + forward + pool (model load excluded, as for xstilts), peak RSS.
Conventions as the project's shared torch_bench.py: one process per measurement, torch.set_num_threads.
"""
import argparse
import json
import resource
import time

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--sentences", required=True)
    ap.add_argument("--layer", type=int, default=-1, help="hidden_states index, -1 = last")
    ap.add_argument("--pool", choices=["mean", "cls"], default="mean")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    with open(args.sentences, encoding="utf-8") as f:
        lines = [l.rstrip("\n").rstrip("\r") for l in f]
    tok = AutoTokenizer.from_pretrained(args.model)
    model = AutoModel.from_pretrained(args.model, dtype=torch.float32)
    model.eval()
    layer = args.layer if args.layer >= 0 else model.config.num_hidden_layers
    # Only the layers up to the pooled one are needed; HF has no switch for that, so a user runs all
    # (we do too: the bench pools the last layer by default, where the work is the same in both).

    t0, c0 = time.perf_counter(), time.process_time()
    enc = tok(lines, truncation=True, max_length=args.max_len)["input_ids"]
    order = sorted(range(len(lines)), key=lambda i: (-len(enc[i]), i))
    pad = tok.pad_token_id
    out = np.zeros((len(lines), model.config.hidden_size), dtype=np.float32)
    n_tok = 0
    with torch.inference_mode():
        for b0 in range(0, len(order), args.batch):
            idx = order[b0:b0 + args.batch]
            T = len(enc[idx[0]])
            ids = torch.full((len(idx), T), pad, dtype=torch.long)
            mask = torch.zeros((len(idx), T), dtype=torch.long)
            for r, i in enumerate(idx):
                ids[r, :len(enc[i])] = torch.tensor(enc[i])
                mask[r, :len(enc[i])] = 1
                n_tok += len(enc[i])
            hs = model(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states[layer]
            if args.pool == "mean":
                m = mask.unsqueeze(-1).to(hs.dtype)
                pooled = (hs * m).sum(1) / m.sum(1)
            else:
                pooled = hs[:, 0]
            out[idx] = pooled.numpy()
    el, cpu = time.perf_counter() - t0, time.process_time() - c0
    if args.out:
        np.save(args.out, out)
    print(json.dumps({
        "system": "pytorch-" + torch.__version__ + " transformers",
        "attn": getattr(model.config, "_attn_implementation", "?"),
        "threads": torch.get_num_threads(), "batch": args.batch, "max_len": args.max_len,
        "layer": layer, "pool": args.pool,
        "sentences": len(lines), "tokens": n_tok, "seconds": round(el, 3), "cpu_seconds": round(cpu, 3),
        "sentences_per_s": len(lines) / el, "tokens_per_s": n_tok / el,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
    }), flush=True)


if __name__ == "__main__":
    main()
