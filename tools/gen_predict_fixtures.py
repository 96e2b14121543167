#!/usr/bin/env python3
"""gen_predict_fixtures.py — HF-written tiny models with task heads and the predictions Hugging Face transformers
makes with them on real fixture examples, for tests/test_predict.c and tests/cli_predict.sh.

Tokenizer: tests/fixtures/tok/xlmr16k.model as XLMRobertaTokenizer (fast) (XLM-R fairseq ids). Models: XLM-R,
hidden 8, 2 layers, 2 heads, intermediate 16, 130 positions (rows of 128 tokens), vocabulary = len(tokenizer),
weights re-randomised with a fixed seed (N(0, 0.5); biases N(0, 0.1); LayerNorm 1 + N(0, 0.2)), stored as float16
with save_pretrained into tests/fixtures/predict/<head>/ and loaded back in float32 (no missing/unexpected keys):
  seqcls  XLMRobertaForSequenceClassification, id2label contradiction/entailment/neutral (task xnli)
  choice  XLMRobertaForMultipleChoice (task commonsenseqa)
  tokcls  XLMRobertaForTokenClassification, id2label = XTREME's 17 UPOS labels (task udpos)
  qa      XLMRobertaForQuestionAnswering (task xquad)
  bert_seqcls  BertForSequenceClassification (hidden 8, tests/fixtures/tok/bert-uncased-vocab.txt as BertTokenizer,
          do_lower_case), id2label "0"/"1" (task pawsx): BERT's token types, pooler and padding id
Data (rows of at most 128 tokens):
  xnli           tests/fixtures/data/xtreme/download/xnli/dev-sw.tsv: run_glue, tok(a, b, truncation=True)
  commonsenseqa  tests/fixtures/data/commonsenseqa/dev_rand_split.hf-format.jsonl: run_swag, one
                 tok(question, choice_text, truncation=True) per choice, padded per example
  udpos          tests/fixtures/data/xtreme/download/udpos/dev-en.tsv: XTREME utils_tag, tokenizer.tokenize(word)
                 per word (<unk> for a word without pieces), the tag at each word's first sub-token (every
                 sentence fits one row)
  xquad          tests/fixtures/data/xquad/xquad.de.json: run_qa prepare_validation_features (question.lstrip(),
                 context, truncation="only_second", max_length 128, stride 48, padded), then the n-best span
                 search of utils_qa.postprocess_qa_predictions (n_best 20, max_answer_length 30) with XTREME
                 run_squad's token_is_max_context rule, written here (tests/test_qa_post.c checks that search
                 against the official utils_qa)
  pawsx (BERT)   tests/fixtures/data/pawsx/x-final/de/dev_2k.tsv: run_glue, tok(sentence1, sentence2, truncation=True)
  squad2         tests/fixtures/data/squad/dev-v2.0.json, the same, then utils_qa's version_2_with_negative rule: ""
                 when min over windows of start[0] + end[0] exceeds the best span's score (threshold 0.0)
Output: tests/fixtures/predict/expected.json {"<task>": {"file", "pred": [label | [tags] | answer], "margin":
[top-1 minus top-2 score: logits for cls/choice, the smallest over a sentence's words for tags, the best span's
score minus the best span with another text for QA]}}. The tests compare where margin > 1e-3 (float rounding
cannot flip those).
Run: tools/.venv/bin/python tools/gen_predict_fixtures.py   (from anywhere; deterministic)
"""
import csv
import json
import os
import shutil
import tempfile

import numpy as np
import torch
from transformers import (BertConfig, BertForSequenceClassification, BertTokenizer, XLMRobertaConfig, XLMRobertaForMultipleChoice, XLMRobertaForQuestionAnswering,
                          XLMRobertaForSequenceClassification, XLMRobertaForTokenClassification,
                          XLMRobertaTokenizer)

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures")
DATA = os.path.join(FIX, "data")
OUT = os.path.join(FIX, "predict")
MAX_LEN, STRIDE, N_BEST, MAX_ANSWER = 128, 48, 20, 30
NLI = ["contradiction", "entailment", "neutral"]
UPOS = ["ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
        "SCONJ", "SYM", "VERB", "X"]


def make_model(cls, name, V, seed, labels=None, bert=False):
    kw = dict(vocab_size=V, hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16,
              max_position_embeddings=MAX_LEN + 2, hidden_act="gelu")
    if bert:
        kw.update(type_vocab_size=2, pad_token_id=0, layer_norm_eps=1e-12)
    else:
        kw.update(type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5)
    if labels:
        kw["id2label"] = {i: l for i, l in enumerate(labels)}
        kw["label2id"] = {l: i for i, l in enumerate(labels)}
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = cls((BertConfig if bert else XLMRobertaConfig)(**kw)).eval()
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if "LayerNorm.weight" in pname:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif pname.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            if pname.endswith("word_embeddings.weight") or (not bert and pname.endswith("position_embeddings.weight")):
                p[kw["pad_token_id"]].zero_()
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    model.half().save_pretrained(d, safe_serialization=True)
    ref, info = cls.from_pretrained(d, dtype=torch.float32, attn_implementation="eager", output_loading_info=True)
    assert not any(v for v in info.values()), info
    return ref.eval()


def top2(x):
    s = sorted((float(v) for v in x), reverse=True)
    return s[0] - s[1]


def rel(p):
    return os.path.relpath(p, ROOT)


def xnli(tok, model):
    path = os.path.join(DATA, "xtreme", "download", "xnli", "dev-sw.tsv")
    preds, margins = [], []
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter="\t"):
            enc = tok(row[0], row[1], truncation=True, max_length=MAX_LEN, return_tensors="pt")
            with torch.no_grad():
                lg = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits[0]
            preds.append(NLI[int(lg.argmax())])
            margins.append(top2(lg))
    return {"file": rel(path), "pred": preds, "margin": margins}


def pawsx_bert(tok, model):
    path = os.path.join(DATA, "pawsx", "x-final", "de", "dev_2k.tsv")
    preds, margins = [], []
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
    for row in rows:
        enc = tok(row[1], row[2], truncation=True, max_length=MAX_LEN, return_tensors="pt")
        with torch.no_grad():
            lg = model(input_ids=enc["input_ids"], token_type_ids=enc["token_type_ids"],
                       attention_mask=enc["attention_mask"]).logits[0]
        preds.append(str(int(lg.argmax())))
        margins.append(top2(lg))
    return {"file": rel(path), "pred": preds, "margin": margins}


def csqa(tok, model):
    path = os.path.join(DATA, "commonsenseqa", "dev_rand_split.hf-format.jsonl")
    preds, margins = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            texts = o["choices"]["text"]
            enc = tok([o["question"]] * len(texts), texts, truncation=True, max_length=MAX_LEN, padding=True,
                      return_tensors="pt")
            with torch.no_grad():
                lg = model(input_ids=enc["input_ids"][None], attention_mask=enc["attention_mask"][None]).logits[0]
            preds.append("ABCDE"[int(lg.argmax())])
            margins.append(top2(lg))
    return {"file": rel(path), "pred": preds, "margin": margins}


def udpos(tok, model):
    path = os.path.join(DATA, "xtreme", "download", "udpos", "dev-en.tsv")
    sents, cur = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                if cur:
                    sents.append(cur)
                cur = []
            else:
                cur.append(line.split("\t")[0])
    if cur:
        sents.append(cur)
    preds, margins = [], []
    for words in sents:
        ids, first = [tok.cls_token_id], []
        for w in words:
            pieces = tok.tokenize(w) or [tok.unk_token]
            first.append(len(ids))
            ids += tok.convert_tokens_to_ids(pieces)
        ids.append(tok.sep_token_id)
        assert len(ids) <= MAX_LEN, len(ids)
        with torch.no_grad():
            lg = model(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long)).logits[0]
        preds.append([UPOS[int(lg[k].argmax())] for k in first])
        margins.append(min(top2(lg[k]) for k in first))
    return {"file": rel(path), "pred": preds, "margin": margins}


def max_context_flags(spans):
    """XTREME run_squad _check_is_max_context over windows given as (first global context token, length):
    token g belongs to the window where min(left, right) + 0.01 * length is largest (first on ties)."""
    flags = []
    for wi, (st, ln) in enumerate(spans):
        f = []
        for g in range(st, st + ln):
            best, best_i = None, None
            for si, (s2, l2) in enumerate(spans):
                if s2 <= g < s2 + l2:
                    sc = min(g - s2, s2 + l2 - 1 - g) + 0.01 * l2
                    if best is None or sc > best:
                        best, best_i = sc, si
            f.append(best_i == wi)
        flags.append(f)
    return flags


def span_qa(tok, model, path, v2=False):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)["data"]
    preds, margins, nwins = [], [], []
    for art in data:
        for para in art["paragraphs"]:
            context = para["context"]
            for qa in para["qas"]:
                enc = tok(qa["question"].lstrip(), context, truncation="only_second", max_length=MAX_LEN,
                          stride=STRIDE, return_overflowing_tokens=True, return_offsets_mapping=True,
                          padding="max_length", return_tensors="pt")
                nwin = enc["input_ids"].shape[0]
                with torch.no_grad():
                    out = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
                offs_all, spans = [], []
                g = 0
                for w in range(nwin):
                    seq = enc.sequence_ids(w)
                    offs = [tuple(o.tolist()) if seq[k] == 1 else None for k, o in enumerate(enc["offset_mapping"][w])]
                    ctx = [k for k in range(len(offs)) if offs[k] is not None]
                    offs_all.append((offs, ctx))
                # global index of a window's first context token: windows advance by (len - stride) tokens
                starts = [0]
                for w in range(1, nwin):
                    prev_len = len(offs_all[w - 1][1])
                    starts.append(starts[-1] + prev_len - STRIDE)
                spans = [(starts[w], len(offs_all[w][1])) for w in range(nwin)]
                # check the stride arithmetic against the offsets: overlapping tokens have the same offsets
                for w in range(1, nwin):
                    po, pc = offs_all[w - 1]
                    co, cc = offs_all[w]
                    assert po[pc[len(pc) - STRIDE]] == co[cc[0]], (qa["id"], w)
                flags = max_context_flags(spans)
                cands = []
                for w in range(nwin):
                    offs, ctx = offs_all[w]
                    mc = {k: flags[w][i] for i, k in enumerate(ctx)}
                    s_log = out.start_logits[w].numpy()
                    e_log = out.end_logits[w].numpy()
                    si = np.argsort(s_log)[-1:-N_BEST - 1:-1].tolist()
                    ei = np.argsort(e_log)[-1:-N_BEST - 1:-1].tolist()
                    for s in si:
                        for e in ei:
                            if offs[s] is None or offs[e] is None or e < s or e - s + 1 > MAX_ANSWER or not mc[s]:
                                continue
                            cands.append((float(s_log[s] + e_log[e]), context[offs[s][0]:offs[e][1]]))
                cands.sort(key=lambda c: -c[0])
                cands = cands[:N_BEST]
                nwins.append(nwin)
                if not cands or (len(cands) == 1 and cands[0][1] == ""):
                    best, margin = ("empty", np.float32(0)), 0.0
                else:
                    best = cands[0]
                    other = [c[0] for c in cands if c[1] != cands[0][1]]
                    margin = cands[0][0] - other[0] if other else 1e9
                if v2:  # utils_qa version_2_with_negative: the smallest start[0] + end[0] over the windows
                    null = min(out.start_logits[w].numpy()[0] + out.end_logits[w].numpy()[0] for w in range(nwin))
                    diff = float(null - np.float32(best[0]))
                    best = ("", 0) if diff > 0.0 else best
                    margin = min(margin, abs(diff))
                preds.append(best[1])
                margins.append(margin)
    return {"file": rel(path), "pred": preds, "margin": margins, "windows": nwins}


def main():
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp()
    shutil.copy(os.path.join(FIX, "tok", "xlmr16k.model"), os.path.join(tmp, "sentencepiece.bpe.model"))
    tok = XLMRobertaTokenizer.from_pretrained(tmp)
    shutil.rmtree(tmp)
    V = len(tok)
    assert V > 16000 and tok.is_fast, (V, tok.is_fast)
    exp = {"source": "tools/gen_predict_fixtures.py", "max_len": MAX_LEN, "stride": STRIDE}
    exp["xnli"] = xnli(tok, make_model(XLMRobertaForSequenceClassification, "seqcls", V, 11, NLI))
    exp["commonsenseqa"] = csqa(tok, make_model(XLMRobertaForMultipleChoice, "choice", V, 12))
    exp["udpos"] = udpos(tok, make_model(XLMRobertaForTokenClassification, "tokcls", V, 13, UPOS))
    qa = make_model(XLMRobertaForQuestionAnswering, "qa", V, 14)
    exp["xquad"] = span_qa(tok, qa, os.path.join(DATA, "xquad", "xquad.de.json"))
    exp["squad2"] = span_qa(tok, qa, os.path.join(DATA, "squad", "dev-v2.0.json"), v2=True)
    btok = BertTokenizer(os.path.join(FIX, "tok", "bert-uncased-vocab.txt"), do_lower_case=True)
    exp["pawsx_bert"] = pawsx_bert(btok, make_model(BertForSequenceClassification, "bert_seqcls", len(btok), 15,
                                                    ["0", "1"], bert=True))
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(exp, f, ensure_ascii=False, indent=1)
    for k in ("xnli", "commonsenseqa", "udpos", "xquad", "squad2", "pawsx_bert"):
        m = exp[k]["margin"]
        print(k, len(m), "examples,", sum(x > 1e-3 for x in m), "with margin > 1e-3; preds:",
              sorted(set(json.dumps(p, ensure_ascii=False) for p in exp[k]["pred"]))[:6])
    print("xquad windows per question:", exp["xquad"]["windows"])


if __name__ == "__main__":
    main()
