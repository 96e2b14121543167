#!/usr/bin/env python3
"""gen_qa_post_goldens.py — fixture for tests/test_qa_post.c: tests/fixtures/qa_post/qa_post.json.

XQuAD questions (several languages) are split into windows exactly as HF run_qa.py's
prepare_validation_features does (question + context, truncation="only_second", stride, padding to
max_length, offsets of non-context tokens set to None), with two real tokenizers: BertTokenizerFast on the
mBERT cased vocab and XLMRobertaTokenizerFast on the XLM-R-layout 16k spm model (tests/fixtures/tok/).
Logits are random float32 with a bump near the gold answer; a few cases force "no valid span", a few carry
XTREME run_squad's token_is_max_context. The expected answers come from the OFFICIAL
utils_qa.postprocess_qa_predictions (HF examples/pytorch/question-answering/utils_qa.py), imported from
--utils-qa PATH (not copied here). Offsets are written as UTF-8 byte offsets (converted from characters).

Run: tools/.venv/bin/python tools/gen_qa_post_goldens.py --utils-qa /tmp/utils_qa.py
"""
import argparse
import importlib.util
import json
import os

import numpy as np

OUT = "tests/fixtures/qa_post"
LANGS = ["en", "de", "zh", "ar", "hi", "ru", "th", "el"]


class Examples(list):
    """What postprocess_qa_predictions needs of a datasets.Dataset: examples["id"] and iteration."""

    def __getitem__(self, k):
        if isinstance(k, str):
            return [e[k] for e in self]
        return list.__getitem__(self, k)


def byte_offsets(context):
    b = [0]
    for ch in context:
        b.append(b[-1] + len(ch.encode("utf-8")))
    return b


def max_context_flags(windows_ctx_pos):
    """XTREME run_squad _check_is_max_context: for each window, for each of its context tokens (global index
    g within the window's span [start, start+len)), score = min(left, right) + 0.01 * len; the best window
    (first on ties) owns the token."""
    spans = [(p[0], len(p)) for p in windows_ctx_pos]
    flags = []
    for wi, pos in enumerate(windows_ctx_pos):
        f = {}
        for g in pos:
            best, best_i = None, None
            for si, (st, ln) in enumerate(spans):
                end = st + ln - 1
                if g < st or g > end:
                    continue
                sc = min(g - st, end - g) + 0.01 * ln
                if best is None or sc > best:
                    best, best_i = sc, si
            f[g] = best_i == wi
        flags.append(f)
    return flags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--utils-qa", required=True)
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("utils_qa", args.utils_qa)
    uq = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(uq)
    from transformers import BertTokenizerFast, XLMRobertaTokenizerFast

    toks = {
        "mbert": BertTokenizerFast(vocab_file="tests/fixtures/tok/mbert-cased-vocab.txt", do_lower_case=False),
        "xlmr": XLMRobertaTokenizerFast(vocab_file="tests/fixtures/tok/xlmr16k.model"),
    }
    rng = np.random.RandomState(1234)
    cases = []
    for tname, tok in toks.items():
        for li, lang in enumerate(LANGS):
            with open(os.path.join(os.environ.get("XSTILTS_DATA", "data"), "xquad", f"xquad.{lang}.json"), encoding="utf-8") as f:
                data = json.load(f)["data"]
            # 3 questions from different articles, per language and tokenizer
            picks = []
            for a in range(3):
                para = data[(7 * a + 3 * li + (5 if tname == "xlmr" else 0)) % len(data)]["paragraphs"][a + 1]
                qa = para["qas"][(li + a) % len(para["qas"])]
                picks.append((para["context"], qa))
            for pi, (context, qa) in enumerate(picks):
                kind = ["normal", "max_context", "no_span" if pi == 2 and li % 3 == 0 else "normal"][pi]
                n_best, max_len = (20, 30) if li % 2 == 0 else (5, 8)
                enc = tok(qa["question"].lstrip(), context, truncation="only_second", max_length=96, stride=32,
                          return_overflowing_tokens=True, return_offsets_mapping=True, padding="max_length")
                nwin = len(enc["input_ids"])
                ex_id = f"{tname}-{lang}-{pi}"
                feats, starts, ends, win_ctx = [], [], [], []
                gold_c = qa["answers"][0]["answer_start"]
                full = tok(context, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
                for w in range(nwin):
                    seq = enc.sequence_ids(w)
                    offs = [tuple(o) if seq[k] == 1 else None for k, o in enumerate(enc["offset_mapping"][w])]
                    T = len(offs)
                    s = rng.normal(0, 2, T).astype(np.float32)
                    e = rng.normal(0, 2, T).astype(np.float32)
                    ctx_tok = [k for k in range(T) if offs[k] is not None]
                    # a bump near the gold answer makes realistic spans; elsewhere noise decides
                    for k in ctx_tok:
                        if offs[k][0] <= gold_c < offs[k][1] + 1:
                            s[k] += np.float32(4.0)
                            e[min(k + rng.randint(0, 4), T - 1)] += np.float32(4.0)
                            break
                    if kind == "no_span":
                        for k in range(T):
                            if offs[k] is None:
                                s[k] += np.float32(50.0)
                    starts.append(s)
                    ends.append(e)
                    # global context-token index of each window position (for max-context)
                    first = next(k for k in ctx_tok)
                    full_t = [tuple(x) for x in full]
                    g0 = full_t.index(tuple(offs[first])) if tuple(offs[first]) in full_t else None
                    win_ctx.append([g0 + (k - first) for k in ctx_tok] if g0 is not None else None)
                    feats.append({"example_id": ex_id, "offset_mapping": offs, "_ctx": ctx_tok})
                if kind == "max_context" and nwin > 1 and all(wc is not None for wc in win_ctx):
                    flags = max_context_flags(win_ctx)
                    for w, ft in enumerate(feats):
                        ft["token_is_max_context"] = {str(k): flags[w][g] for k, g in zip(ft["_ctx"], win_ctx[w])}
                elif kind == "max_context":
                    kind = "normal"
                for ft in feats:
                    del ft["_ctx"]
                examples = Examples([{"id": ex_id, "context": context}])
                preds = uq.postprocess_qa_predictions(examples, feats, (np.stack(starts), np.stack(ends)),
                                                      n_best_size=n_best, max_answer_length=max_len)
                expected = preds[ex_id]
                bo = byte_offsets(context)
                wins = []
                for w, ft in enumerate(feats):
                    d = {
                        "start": [float("%.9g" % v) for v in starts[w]],
                        "end": [float("%.9g" % v) for v in ends[w]],
                        "off": [[bo[o[0]], bo[o[1]]] if o is not None else None for o in ft["offset_mapping"]],
                    }
                    assert all(np.float32(a) == b for a, b in zip(d["start"], starts[w]))
                    if "token_is_max_context" in ft:
                        mc = ft["token_is_max_context"]
                        d["max_context"] = [1 if mc.get(str(k), False) else 0 for k in range(len(ft["offset_mapping"]))]
                    wins.append(d)
                cases.append({"id": ex_id, "kind": kind, "n_best": n_best, "max_answer_length": max_len,
                              "context": context, "windows": wins, "expected": expected})
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "qa_post.json"), "w", encoding="utf-8") as f:
        json.dump({"source": "tools/gen_qa_post_goldens.py", "cases": cases}, f, ensure_ascii=False, separators=(",", ":"))
    kinds = {}
    for c in cases:
        kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
    print(len(cases), "cases", kinds, "windows", sum(len(c["windows"]) for c in cases),
          "empty-fallback", sum(c["expected"] == "empty" for c in cases))


if __name__ == "__main__":
    main()
