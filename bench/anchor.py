#!/usr/bin/env python3
"""anchor.py — the anchors of bench/compare.sh: what a user would run instead of `xstilts bench`.

One process measures one (engine, mode, arch, shape) and prints one JSON line (tokens/s, median and best
seconds, peak RSS of this process), so ru_maxrss is that measurement's alone.

  --engine torch  Hugging Face transformers' XLMRobertaModel / BertModel (fp32, CPU, default attention =
                  sdpa), randomly initialised from a config of the shape; infer = forward under
                  torch.inference_mode + attention-masked mean pool of the last layer; train = one update of
                  *ForSequenceClassification (3 labels, dropout on, cross-entropy) with torch.optim.AdamW
                  (lr 1e-5, wd 0.01) and clip_grad_norm_(1.0), as HF's Trainer does.
  --engine ort    ONNX Runtime (CPU EP, --threads intra-op threads, ORT_ENABLE_ALL graph optimisations) on the
                  same inference model exported with torch.onnx (cached under --cache, keyed by the shape).

Every token is real (no padding), ids uniform in [3, vocab), as in src/bench/bench.c. Model weights are random:
the work per token does not depend on them.

  --ids FILE      real sequences instead (one per line, model input ids space-separated, as `xstilts tokenize`
                  prints): repetition i (warm-ups first) takes lines [b*batch, (b+1)*batch) with b = i mod the
                  number of batches, padded to their longest as HF's tokenizer(padding=True) does, attention mask
                  0 on the padding; tokens/s = real tokens / seconds over the timed repetitions — the same batches
                  and the same count as `xstilts bench --ids`.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


SIZES = {"base": (12, 768, 12, 3072), "large": (24, 1024, 16, 4096), "small": (6, 384, 12, 1536), "tiny": (2, 128, 2, 512)}


def make_config(arch, size, vocab, num_labels=3):
    from transformers import BertConfig, XLMRobertaConfig
    L, H, NH, F = SIZES[size]
    common = dict(vocab_size=vocab, hidden_size=H, num_hidden_layers=L, num_attention_heads=NH, intermediate_size=F,
                  hidden_act="gelu", num_labels=num_labels)
    if arch == "xlmr":
        return XLMRobertaConfig(max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1,
                                bos_token_id=0, eos_token_id=2, **common)
    return BertConfig(max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0, **common)


def load_ids(path):
    seqs = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            ids = [int(x) for x in line.split()]
            if len(ids) < 2:
                sys.exit(f"{path}:{n}: expected at least 2 token ids")
            seqs.append(ids)
    if not seqs:
        sys.exit(f"{path}: no sequence")
    return seqs


class Batches:
    """The inputs of repetition `it`: (ids, mask, real tokens) as int64 tensors (or numpy arrays)."""

    def __init__(self, torch, a, pad):
        self.torch, self.a = torch, a
        if a.ids:
            seqs = load_ids(a.ids)
            self.batches = []
            for b in range(0, len(seqs), a.batch):
                chunk = seqs[b:b + a.batch]
                T = max(len(x) for x in chunk)
                ids = torch.full((len(chunk), T), pad, dtype=torch.long)
                mask = torch.zeros((len(chunk), T), dtype=torch.long)
                for i, x in enumerate(chunk):
                    ids[i, :len(x)] = torch.tensor(x)
                    mask[i, :len(x)] = 1
                self.batches.append((ids, mask, sum(len(x) for x in chunk)))
            self.seq = max(x[0].shape[1] for x in self.batches)
        else:
            ids = make_ids(torch, a.vocab, a.batch, a.seq)
            self.batches = [(ids, torch.ones_like(ids), a.batch * a.seq)]
            self.seq = a.seq

    def __call__(self, it):
        return self.batches[it % len(self.batches)]


def make_ids(torch, vocab, batch, seq, seed=1):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, vocab, (batch, seq), generator=g)
    ids[:, 0] = 0 if vocab > 0 else 0
    return ids


class Pooled:
    """forward + masked mean pool, as one module (the exported graph for ONNX Runtime is the same work)."""

    def __init__(self, torch, model):
        self.torch, self.model = torch, model

    def __call__(self, ids, mask):
        h = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).to(h.dtype)
        return (h * m).sum(1) / m.sum(1)


def run_torch(a):
    import torch
    from transformers import AutoModel, AutoModelForSequenceClassification
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = make_config(a.arch, a.size, a.vocab)
    data = Batches(torch, a, cfg.pad_token_id)
    times, tokens = [], 0
    if a.mode == "infer":
        model = AutoModel.from_config(cfg).eval()
        f = Pooled(torch, model)
        with torch.inference_mode():
            for it in range(a.warmup + a.reps):
                ids, mask, n = data(it)
                t0 = time.perf_counter()
                f(ids, mask)
                if it >= a.warmup:
                    times.append(time.perf_counter() - t0)
                    tokens += n
    else:
        model = AutoModelForSequenceClassification.from_config(cfg).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5, weight_decay=0.01)
        for it in range(a.warmup + a.reps):
            ids, mask, n = data(it)
            labels = (torch.arange(ids.shape[0]) + (it % len(data.batches)) * a.batch) % 3
            t0 = time.perf_counter()
            out = model(input_ids=ids, attention_mask=mask, labels=labels)
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            if it >= a.warmup:
                times.append(time.perf_counter() - t0)
                tokens += n
    return times, tokens, data.seq, f"torch {torch.__version__}"


def run_ort(a):
    import numpy as np
    import onnxruntime as ort
    path = os.path.join(a.cache, f"{a.arch}-{a.size}-v{a.vocab}.onnx")
    if not os.path.exists(path):
        import torch
        from transformers import AutoModel
        os.makedirs(a.cache, exist_ok=True)
        torch.manual_seed(0)
        cfg = make_config(a.arch, a.size, a.vocab)
        cfg._attn_implementation = "eager"
        model = AutoModel.from_config(cfg).eval()

        class M(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, ids, mask):
                return Pooled(torch, self.m)(ids, mask)

        ids = make_ids(torch, a.vocab, 2, 16)
        tmp = path + f".tmp{os.getpid()}"
        with torch.no_grad():
            torch.onnx.export(M(model), (ids, torch.ones_like(ids)), tmp, input_names=["ids", "mask"],
                              output_names=["pooled"], dynamic_axes={"ids": {0: "b", 1: "t"}, "mask": {0: "b", 1: "t"}},
                              opset_version=17, dynamo=False)
        os.replace(tmp, path)
        del model
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    import torch
    data = Batches(torch, a, 1 if a.arch == "xlmr" else 0)
    feeds = [({"ids": i.numpy().astype(np.int64), "mask": m.numpy().astype(np.int64)}, n) for i, m, n in data.batches]
    times, tokens = [], 0
    for it in range(a.warmup + a.reps):
        feed, n = feeds[it % len(feeds)]
        t0 = time.perf_counter()
        sess.run(None, feed)
        if it >= a.warmup:
            times.append(time.perf_counter() - t0)
            tokens += n
    return times, tokens, data.seq, f"onnxruntime {ort.__version__}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", choices=["torch", "ort"], required=True)
    ap.add_argument("--mode", choices=["infer", "train"], default="infer")
    ap.add_argument("--arch", choices=["xlmr", "bert"], default="xlmr")
    ap.add_argument("--size", choices=list(SIZES), default="base")
    ap.add_argument("--vocab", type=int, default=0, help="default: 250002 (xlmr), 119547 (bert)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--cache", default="build/bench/onnx")
    ap.add_argument("--ids", default="", help="real sequences: one line of model input ids each")
    a = ap.parse_args()
    if a.vocab == 0:
        a.vocab = 250002 if a.arch == "xlmr" else 119547
    if a.engine == "ort" and a.mode != "infer":
        sys.exit("anchor.py: ONNX Runtime is measured for inference only")
    times, tokens, seq, version = (run_torch if a.engine == "torch" else run_ort)(a)
    med = statistics.median(times)
    print(json.dumps({"engine": a.engine, "version": version, "mode": a.mode, "arch": a.arch, "size": a.size,
                      "vocab": a.vocab, "batch": a.batch, "seq": seq, "threads": a.threads,
                      "data": os.path.basename(a.ids) if a.ids else "random",
                      "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
                      "tokens_per_s": tokens / sum(times), "median_s": med, "best_s": min(times),
                      "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
