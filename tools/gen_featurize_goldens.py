#!/usr/bin/env python3
"""gen_featurize_goldens.py — golden featurized rows for tests/test_featurize.c, from Hugging Face tokenizers
and the HF / XTREME featurization logic re-implemented here (transformers 5 no longer ships the old
glue/squad/ner feature converters).

Tokenizers (key: file): x = tests/fixtures/tok/xlmr16k.model as XLMRobertaTokenizer, c = mbert-cased-vocab.txt
(BertTokenizer, do_lower_case=False), u = bert-uncased-vocab.txt (do_lower_case=True).
Inputs: real lines of the vendored reader fixtures under tests/fixtures/data/.

Outputs, JSON Lines under tests/fixtures/featurize/ (ids/types/labels unpadded: the test checks the padding):
  pairs.jsonl    {"tok","max_len","a","b","ids","types"}   run_glue: tok(a, b, truncation=True (longest
                 first), max_length); XNLI-1.0 dev (en, sw), PAWS-X de dev_2k, GLUE MNLI dev_matched.
  choices.jsonl  {"tok","max_len","src","k","ctx","choices":[...],"rows":[{"ids","types"}]}  run_swag: one
                 tok(context, choice_i, truncation=True, max_length) per choice; src = file, k = row index;
                 context/choices built as jiant (HellaSwag: ctx_a, ctx_b + " " + ending; CSQA: stem, texts).
  tags.jsonl     line 1 {"tagsets":{"germeval": the slice's tags sorted, "upos", "panx": XTREME's labels}};
                 then {"max_len","set","words","tags",
                 "x"|"c"|"u":[rows {"ids","labels","word"}]}  XTREME
                 utils_tag.convert_examples_to_features: tokenizer.tokenize(word) per word, a non-empty
                 word with no sub-token -> unk_token, label on the first sub-token, -100 elsewhere,
                 <s> ... </s> with types 0; instead of XTREME's cut at max_len - 2, the sub-tokens are split
                 into consecutive windows of at most max_len - 2, each cut moved back to a word start
                 (xstilts' rule, tasks/feat_tag.c). word = word index at first sub-tokens, -1 elsewhere.
                 Sentences: GermEval 2014 dev slice (outer column), the slice's sentences joined into one
                 long sentence, one with zero-sub-token words (U+200B, U+00AD) added, one word longer
                 than a window; XTREME download/udpos dev-{en,fr,zh} and download/panx dev-de sentences.
  qa.jsonl       {"max_len","stride","file","id","x"|"c"|"u":[windows {"ids","types","s","e"}]} run_qa.py
                 prepare_train_features: tok(question.lstrip(), context, truncation="only_second",
                 max_length, stride, return_overflowing_tokens, return_offsets_mapping); start/end token of
                 answers[0] when the answer lies in the window's context, else 0/0 (also unanswerable);
                 the start walk kept inside the context (see docs/TASKS.md). XQuAD de/zh, TyDiQA-GoldP
                 en/ar, SQuAD 2.0 dev slice. At 96/24 a window is {"n","h","s","e"}: token count and
                 FNV-1a-32 over the little-endian int32 ids then types (u: 96/24 only).
  mlm.jsonl      {"tok","max_len","line","ids"}  run_mlm.py --line_by_line: non-blank lines (not
                 str.isspace()) of data/mlm/mixed.txt, tok(line, truncation=True, max_length); line =
                 1-based line number.
Run: /path/to/tools/.venv/bin/python tools/gen_featurize_goldens.py   (from the repository root)
"""
import csv
import json
import os
import shutil
import tempfile

from transformers import BertTokenizer, XLMRobertaTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures")
DATA = os.path.join(FIX, "data")
OUT = os.path.join(FIX, "featurize")


def tokenizers():
    tmp = tempfile.mkdtemp()
    shutil.copy(os.path.join(FIX, "tok", "xlmr16k.model"), os.path.join(tmp, "sentencepiece.bpe.model"))
    return {
        "x": XLMRobertaTokenizer.from_pretrained(tmp),
        "c": BertTokenizer(os.path.join(FIX, "tok", "mbert-cased-vocab.txt"), do_lower_case=False),
        "u": BertTokenizer(os.path.join(FIX, "tok", "bert-uncased-vocab.txt"), do_lower_case=True),
    }


def write_jsonl(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")


def encode_pair(tk, a, b, ml):
    enc = tk(a, b, truncation=True, max_length=ml)
    types = enc["token_type_ids"] if "token_type_ids" in enc else [0] * len(enc["input_ids"])
    return enc["input_ids"], types


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:] if r]


def pairs(toks):
    src = []
    xnli = read_tsv(os.path.join(DATA, "xnli", "XNLI-1.0", "xnli.dev.tsv"))
    for lang in ("en", "sw"):
        src += [(r["sentence1"], r["sentence2"]) for r in xnli if r["language"] == lang][:3]
    src += [(r["sentence1"], r["sentence2"]) for r in read_tsv(os.path.join(DATA, "pawsx", "x-final", "de", "dev_2k.tsv"))[:3]]
    src += [(r["sentence1"], r["sentence2"]) for r in read_tsv(os.path.join(DATA, "mnli", "MNLI", "dev_matched.tsv"))[:2]]
    recs = []
    for a, b in src:
        for k, tk in toks.items():
            for ml in (256, 20):
                ids, types = encode_pair(tk, a, b, ml)
                recs.append({"tok": k, "max_len": ml, "a": a, "b": b, "ids": ids, "types": types})
    return recs


def choices(toks):
    exs = []
    with open(os.path.join(DATA, "hellaswag", "hellaswag_val.jsonl"), encoding="utf-8") as f:
        for k, line in enumerate(f):
            if k >= 3:
                break
            o = json.loads(line)
            exs.append(("hellaswag_val.jsonl", k, o["ctx_a"], [o["ctx_b"] + " " + e for e in o["endings"]]))
    with open(os.path.join(DATA, "commonsenseqa", "train_rand_split.jsonl"), encoding="utf-8") as f:
        for k, line in enumerate(f):
            if k >= 3:
                break
            o = json.loads(line)
            ch = sorted(o["question"]["choices"], key=lambda c: c["label"])
            exs.append(("train_rand_split.jsonl", k, o["question"]["stem"], [c["text"] for c in ch]))
    recs = []
    for srcf, k, ctx, chs in exs:
        for t, tk in toks.items():
            for ml in (256, 24):
                rows = []
                for c in chs:
                    ids, types = encode_pair(tk, ctx, c, ml)
                    rows.append({"ids": ids, "types": types})
                recs.append({"tok": t, "max_len": ml, "src": srcf, "k": k, "ctx": ctx, "choices": chs, "rows": rows})
    return recs


def germeval_sentences():
    sents, words, tags = [], [], []
    with open(os.path.join(DATA, "germeval14", "germeval14-dev.slice.tsv"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line.strip():
                if words:
                    sents.append((words, tags))
                words, tags = [], []
                continue
            p = line.split("\t")
            words.append(p[1])
            tags.append(p[2])
    if words:
        sents.append((words, tags))
    return sents


def tag_rows(tk, words, tags, tagset, ml):
    sub = []  # (id, word index at first sub-token else -1, label)
    for w, (word, tag) in enumerate(zip(words, tags)):
        pieces = tk.tokenize(word)
        if len(word) != 0 and len(pieces) == 0:
            pieces = [tk.unk_token]
        ids = tk.convert_tokens_to_ids(pieces)
        lab = tagset.index(tag)
        for j, i in enumerate(ids):
            sub.append((i, w if j == 0 else -1, lab if j == 0 else -100))
    room, rows, b = ml - 2, [], 0
    while True:
        e = min(b + room, len(sub))
        if e < len(sub):
            k = e
            while k > b and sub[k][1] < 0:
                k -= 1
            if k > b:
                e = k
        part = sub[b:e]
        rows.append({"ids": [tk.cls_token_id] + [s[0] for s in part] + [tk.sep_token_id],
                     "labels": [-100] + [s[2] for s in part] + [-100],
                     "word": [-1] + [s[1] for s in part] + [-1]})
        b = e
        if b >= len(sub):
            break
    return rows


UPOS = sorted(["ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN",
               "PUNCT", "SCONJ", "SYM", "VERB", "X"])
PANX = sorted(["B-LOC", "B-ORG", "B-PER", "I-LOC", "I-ORG", "I-PER", "O"])


def column_sentences(rel, n):
    sents, words, tags = [], [], []
    with open(os.path.join(DATA, rel), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                if words:
                    sents.append((words, tags))
                words, tags = [], []
                continue
            p = line.split("\t")
            words.append(p[0])
            tags.append(p[1])
    if words:
        sents.append((words, tags))
    return sents[:n]


def tagging(toks):
    sents = germeval_sentences()
    tagsets = {"germeval": sorted({t for _, ts in sents for t in ts}), "upos": UPOS, "panx": PANX}
    long_w = [w for ws, _ in sents for w in ws]
    long_t = [t for _, ts in sents for t in ts]
    w0, t0 = list(sents[0][0]), list(sents[0][1])
    w0[1:1] = ["\u200b"]
    t0[1:1] = ["O"]
    w0.append("\u00ad")
    t0.append("O")
    w1 = ["Die", "Donaudampfschifffahrtsgesellschaftskapit\u00e4nsm\u00fctze", "liegt", "hier", "."]
    g = "germeval"
    cases = [(ws, ts, 256, g) for ws, ts in sents[:6]] + [(ws, ts, 16, g) for ws, ts in sents[:4]]
    cases += [(long_w, long_t, 256, g), (long_w, long_t, 64, g), (w0, t0, 256, g), (w1, ["O"] * 5, 8, g)]
    for lang in ("en", "fr", "zh"):
        cases += [(ws, ts, 256, "upos") for ws, ts in column_sentences(f"xtreme/download/udpos/dev-{lang}.tsv", 3)]
    cases += [(ws, ts, 256, "panx") for ws, ts in column_sentences("xtreme/download/panx/dev-de.tsv", 3)]
    recs = []
    for words, tags, ml, ts in cases:
        r = {"max_len": ml, "set": ts, "words": words, "tags": tags}
        for k, tk in toks.items():
            r[k] = tag_rows(tk, words, tags, tagsets[ts], ml)
        recs.append(r)
    return [{"tagsets": tagsets}] + recs


def char_to_byte(text):
    out, b = [0], 0
    for ch in text:
        b += len(ch.encode("utf-8"))
        out.append(b)
    return out


def fnv(vals):
    h = 2166136261
    for v in vals:
        for b in (v & 0xFFFFFFFF).to_bytes(4, "little"):
            h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def qa_windows(tk, q, ans, ctx, ml, stride):
    enc = tk(q.lstrip(), ctx, truncation="only_second", max_length=ml, stride=stride,
             return_overflowing_tokens=True, return_offsets_mapping=True)
    out = []
    for w in range(len(enc["input_ids"])):
        seq = enc.sequence_ids(w)
        offs = enc["offset_mapping"][w]
        cs = seq.index(1) if 1 in seq else None
        ce = len(seq) - 1 - seq[::-1].index(1) if 1 in seq else None
        s = e = 0
        if ans is not None and cs is not None:
            a0, a1 = ans["answer_start"], ans["answer_start"] + len(ans["text"])
            if offs[cs][0] <= a0 and offs[ce][1] >= a1:
                i = cs
                while i <= ce and offs[i][0] <= a0:  # run_qa.py walks on past ce; kept inside here
                    i += 1
                j = ce
                while offs[j][1] >= a1:
                    j -= 1
                s, e = i - 1, j + 1
        types = enc["token_type_ids"][w] if "token_type_ids" in enc else [0] * len(seq)
        if ml == 384:
            out.append({"ids": enc["input_ids"][w], "types": types, "s": s, "e": e})
        else:  # count + FNV-1a-32 over the int32 ids then types: keeps the set small
            out.append({"n": len(seq), "h": fnv(enc["input_ids"][w] + types), "s": s, "e": e})
    return out


def qa(toks):
    files = [("xquad/xquad.de.json", 3), ("xquad/xquad.zh.json", 3), ("tydiqa/tydiqa-goldp-dev-english.json", 1),
             ("tydiqa/tydiqa-goldp-dev-arabic.json", 1), ("squad/dev-v2.0.json", 3)]
    recs = []
    for rel, per_para in files:
        with open(os.path.join(DATA, rel), encoding="utf-8") as f:
            d = json.load(f)
        for art in d["data"]:
            for para in art["paragraphs"]:
                for q in para["qas"][:per_para]:
                    ans = None if q.get("is_impossible") or not q["answers"] else q["answers"][0]
                    for ml, st in ((384, 128), (96, 24)):
                        r = {"max_len": ml, "stride": st, "file": rel, "id": q["id"]}
                        for k, tk in toks.items():
                            if not (k == "u" and ml == 384):
                                r[k] = qa_windows(tk, q["question"], ans, para["context"], ml, st)
                        recs.append(r)
    return recs


def mlm(toks):
    recs = []
    with open(os.path.join(DATA, "mlm", "mixed.txt"), encoding="utf-8-sig", newline="") as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines, 1):
        line = line[:-1] if line.endswith("\r") else line
        if len(line) == 0 or line.isspace():
            continue
        for k, tk in toks.items():
            for ml in (256, 8):
                recs.append({"tok": k, "max_len": ml, "line": n, "ids": tk(line, truncation=True, max_length=ml)["input_ids"]})
    return recs


def main():
    os.makedirs(OUT, exist_ok=True)
    toks = tokenizers()
    write_jsonl(os.path.join(OUT, "pairs.jsonl"), pairs(toks))
    write_jsonl(os.path.join(OUT, "choices.jsonl"), choices(toks))
    write_jsonl(os.path.join(OUT, "tags.jsonl"), tagging(toks))
    write_jsonl(os.path.join(OUT, "qa.jsonl"), qa(toks))
    write_jsonl(os.path.join(OUT, "mlm.jsonl"), mlm(toks))


if __name__ == "__main__":
    main()
