#!/usr/bin/env python3
"""gen_wordpiece_goldens.py — golden WordPiece tokenizations from Hugging Face for tests/test_wordpiece.c
and tests/test_windows.c.

Inputs: tests/fixtures/tatoeba/ (first LINES lines of all 224 files), a small vendored slice of XQuAD
(tests/fixtures/wordpiece/xquad-slice.json, written here from $XSTILTS_DATA/xquad, default data/xquad) and hand-made
edge cases. For the mBERT-cased vocab (do_lower_case=False) and the bert-base-uncased vocab
(do_lower_case=True) it stores the fast tokenizer's input_ids and offsets (transformers BertTokenizer,
backed by HF tokenizers) and, where it differs, the slow one's (BertTokenizerLegacy).

Outputs (JSON Lines, one record per input):
  tests/fixtures/wordpiece/single.jsonl  {"src",["t"],"c":{"ids","off"},"u":{...},["cs"|"us": slow diff]}
                                         src "tatoeba.X-eng.Y:N" = line N of that Tatoeba fixture (no "t");
                                         otherwise "t" is the text. off: per token (start - previous end,
                                         end - start) in BYTES, specials included (HF gives them (0,0)).
                                         To keep the set small, Tatoeba lines after the first FULL of each
                                         file and the two huge lines ("huge:text" = the first 3000 records'
                                         texts joined by " ", doubled, cut to 100,000 bytes at the last
                                         space; "huge:word" = 100,000 x "z") store only {"n","h"}: token
                                         count and FNV-1a-32 over little-endian int32 (id, start, end)
                                         triples, specials included.
                                         Slow diff: {"at": first differing index, "f": fast ids, "s": slow
                                         ids} with the common prefix and suffix removed.
  tests/fixtures/wordpiece/pairs.jsonl   {"a","b","max_len","c":{"ids","types"},"u":{...}}
                                         tok(a, b or None, truncation='longest_first', max_length)
  tests/fixtures/wordpiece/windows.jsonl {"q","lang","para","qi","max_len","stride","vocab","w":[{"ids","types","off","mc"}]}
                                         off delta-coded as in single.jsonl (non-context: -1,-1 before coding);
                                         mc: max-context flags (run_squad.py _check_is_max_context over the
                                         windows' context spans, found by matching offsets). Only the
                                         384/128 windows are stored in full; the others as {"n","h","ho"}:
                                         token count, FNV-1a-32 over int32 (id, type, mc) rows and over
                                         (start, end) rows
                                         question/context: xquad-slice.json[lang][para] (question
                                         lstrip()ed as run_qa.py does); vocab c/u = the two vocabs, x = xlmr16k
                                         tok(q, ctx, truncation='only_second', return_overflowing_tokens,
                                         stride, return_offsets_mapping); off in context bytes, -1 elsewhere
Run: tools/.venv/bin/python tools/gen_wordpiece_goldens.py   (from the repository root)
"""
import glob
import json
import os
import sys

from transformers import BertTokenizer, XLMRobertaTokenizer
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(FIX, "wordpiece")
XQUAD = os.path.join(os.environ.get("XSTILTS_DATA", "data"), "xquad")  # the real-data folder
FULL = 5  # Tatoeba lines per file stored in full (the rest as count + hash)
LINES = 22  # per Tatoeba file: 224 files -> 4,928 lines (+ XQuAD + edge cases > 5,000)
VOCABS = {"c": ("tok/mbert-cased-vocab.txt", False), "u": ("tok/bert-uncased-vocab.txt", True)}


def load(key):
    path, lower = VOCABS[key]
    path = os.path.join(FIX, path)
    fast = BertTokenizer(vocab=path, do_lower_case=lower) if False else BertTokenizer(path, do_lower_case=lower)
    slow = BertTokenizerLegacy(path, do_lower_case=lower)
    return fast, slow


def char_to_byte(text):
    """Table: char index -> byte offset in UTF-8 (len(text)+1 entries)."""
    out, b = [0], 0
    for ch in text:
        b += len(ch.encode("utf-8"))
        out.append(b)
    return out


def byte_offsets(text, offsets):
    cb = char_to_byte(text)
    flat = []
    for s, e in offsets:
        flat += [cb[s], cb[e]]
    return flat


def fnv(cols):
    """FNV-1a-32 over the little-endian int32 tuples (cols[0][i], cols[1][i], ...), row by row."""
    h = 2166136261
    for row in zip(*cols):
        for v in row:
            for byte in (v & 0xFFFFFFFF).to_bytes(4, "little"):
                h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def edge_cases():
    e = ["", " ", "   ", "\t", "\n", " \t\n\r ", "  leading", "trailing  ", "multiple   spaces  inside",
         "tab\tseparated\twords", "new\nline\r\nwindows", "nul\x00byte", "bell\x07and\x1bescape\x7fdel",
         "vt\x0bff\x0cnel\x85", "line\u2028sep\u2029para", "nbsp\u00a0thin\u2009ideo\u3000space",
         "zero\u200bwidth\u200cjoiner\u200dmark\ufeffbom", "soft\u00adhyphen", "replacement\ufffdchar",
         "private\ue000use", "Ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ１２３！", "ｶﾀｶﾅ half width", "e\u0301 combining acute",
         "Cafe\u0301 and Café", "a\u0308\u0323 two marks", "ÀÉÎÕÜ ÆØÅ ÇĞİŞ ß ẞ ﬁ ligature",
         "İstanbul ıi IJ Ǆ ǅ ǆ", "ΟΔΟΣ ΣΟΦΟΣ σίσυφος", "ПРИВЕТ мир Ёё", "emoji 😀👍🏽 👨‍👩‍👧 🇩🇪 ❤️",
         "汉字mixed with Latin和数字123", "日本語のテキストとカタカナ", "한국어 텍스트 각", "中文，标点。「引号」",
         "\U00020000\U0002a700\U0002b820\U0002b920\U0002ceaf", "\uf900\ufa6a compat", "\u2f00\u2e80 radicals",
         "a" * 99, "b" * 100, "c" * 101, "d" * 250 + " short " + "é" * 101, "x" + "é" * 99,
         "[SEP]", "a [SEP] b", "a[SEP]b", "[CLS] hello [MASK] world [SEP]", "[sep] [Sep] [MASK][MASK]",
         "[UNK][PAD]", "[[SEP]]", "[MASK", "[", "]", "##", "##ing", "un##able", "don't can't won't",
         "e-mail@example.com http://x.y/z?a=b&c=d", "3.14159 1,000,000 -42 +7 1e10", "$100 €50 £3 ¥7",
         "«quotes» „German“ “curly” ‘single’", "em—dash en–dash ellipsis…", "math ∑∫√∞≠≤ ± ×÷",
         "Hello!!! What??? ...", "(parens) [brackets] {braces} <angle>", "under_score snake_case CamelCase",
         "ﬀ ﬃ ℌ ℍ Ⅻ ⅻ ① ㈱ ㎏", "Ωmega Å ohm Kelvin", "\u0e01\u0e34\u0e19 Thai ก้ำ", "हिन्दी भाषा",
         "العربية مع تشكيل: كَتَبَ", "עברית עם ניקוד: שָׁלוֹם", "ქართული", "Tiếng Việt có dấu",
         "\U0001d400\U0001d41a math bold", "\U000e0001 tag", "\U0010fffd plane16", "\u0378 unassigned",
         "mixed\u0300\u0301\u0302stack", "Ǆ\u0327\u0301", "\u1e9e\u00df", "\u0130\u0049\u0307",
         "  \u3000 \u00a0 ", "\x01\x02\x03", "\u200b", "\ufffd", "a\tb\nc\rd\x0be\x0cf",
         "compat ideographs \uf902\uf90a\uf92f\uf9d1\uf9e9 \U0002f800 mixed", "한국어 가각갂 ᄀ ᅡ",
         "newer emoji 🥰🫠 and ⹝ ؝"]
    return e


def delta(flat):
    out, pe = [], 0
    for i in range(0, len(flat), 2):
        out += [flat[i] - pe, flat[i + 1] - flat[i]]
        pe = flat[i + 1]
    return out


def slow_diff(f, s):
    a = 0
    while a < min(len(f), len(s)) and f[a] == s[a]:
        a += 1
    b = 0
    while b < min(len(f), len(s)) - a and f[-1 - b] == s[-1 - b]:
        b += 1
    return {"at": a, "f": f[a:len(f) - b], "s": s[a:len(s) - b]}


def check_is_max_context(spans, cur, pos):
    """run_squad.py's _check_is_max_context over (start, length) spans."""
    best_score, best = None, None
    for i, (start, length) in enumerate(spans):
        end = start + length - 1
        if pos < start or pos > end:
            continue
        score = min(pos - start, end - pos) + 0.01 * length
        if best_score is None or score > best_score:
            best_score, best = score, i
    return cur == best


def write_jsonl(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{path}: {len(recs)} records, {os.path.getsize(path)} bytes", file=sys.stderr)


def xquad_slice():
    out = {}
    for p in sorted(glob.glob(os.path.join(XQUAD, "xquad.*.json"))):
        lang = p.split(".")[-2]
        d = json.load(open(p, encoding="utf-8"))
        paras = []
        for art in d["data"][:2]:  # first two articles, first two paragraphs, first three questions
            for para in art["paragraphs"][:2]:
                paras.append({"context": para["context"],
                              "qas": [{"id": q["id"], "question": q["question"]} for q in para["qas"][:3]]})
        out[lang] = paras
    path = os.path.join(OUT, "xquad-slice.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=0)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    toks = {k: load(k) for k in VOCABS}
    xq = xquad_slice()
    texts = []
    for p in sorted(glob.glob(os.path.join(FIX, "tatoeba", "tatoeba.*"))):
        with open(p, encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i >= LINES:
                    break
                texts.append((os.path.basename(p) + f":{i + 1}", line.rstrip("\n")))
    for lang, paras in xq.items():
        for j, para in enumerate(paras):
            texts.append((f"xquad.{lang}:{j}", para["context"]))
    for j, t in enumerate(edge_cases()):
        texts.append((f"edge:{j}", t))
    big = " ".join(t for _, t in texts[:3000]).encode("utf-8")
    big = (big + b" " + big)[:100_000]
    big = big[: big.rindex(b" ")].decode("utf-8")
    huge = [("huge:text", big), ("huge:word", "z" * 100_000)]

    recs, ndiff = [], {k: 0 for k in VOCABS}
    for src, t in texts + huge:
        r = {"src": src, "t": t}
        for k, (fast, slow) in toks.items():
            enc = fast(t, return_offsets_mapping=True)
            ids = enc["input_ids"]
            flat = byte_offsets(t, enc["offset_mapping"])
            if src.startswith("huge:") or (src.startswith("tatoeba.") and int(src.rsplit(":", 1)[1]) > FULL):
                r[k] = {"n": len(ids), "h": fnv([ids, flat[0::2], flat[1::2]])}
            else:
                r[k] = {"ids": ids, "off": delta(flat)}
            sids = slow(t)["input_ids"]
            if sids != ids:
                r[k + "s"] = slow_diff(ids, sids)
                ndiff[k] += 1
        if src.startswith("tatoeba.") or src.startswith("huge:"):
            del r["t"]
        recs.append(r)
    write_jsonl(os.path.join(OUT, "single.jsonl"), recs)
    print(f"slow != fast: {ndiff}", file=sys.stderr)

    # Pairs and truncation: Tatoeba translation pairs (line i of XXX with line i of eng) and XQuAD q/ctx.
    pairs = []
    files = sorted(glob.glob(os.path.join(FIX, "tatoeba", "tatoeba.*-eng.eng")))
    for fi, p in enumerate(files):
        other = p[: -len(".eng")] + "." + os.path.basename(p).split(".")[1].split("-")[0]
        a = open(other, encoding="utf-8").read().split("\n")
        b = open(p, encoding="utf-8").read().split("\n")
        for i in range(2):
            ml = [0, 8, 12, 16, 24, 512][(fi + i) % 6]
            pairs.append((a[30 + i], b[30 + i], ml))
        pairs.append((a[40], None, [5, 10, 0][fi % 3]))
    for lang, paras in xq.items():
        for para in paras[:1]:
            for q in para["qas"][:1]:
                pairs.append((q["question"], para["context"], 64))
                pairs.append((para["context"], q["question"], 100))
    precs = []
    for a, b, ml in pairs:
        r = {"a": a, "b": b, "max_len": ml}
        for k, (fast, slow) in toks.items():
            kw = dict(truncation="longest_first", max_length=ml) if ml > 0 else {}
            enc = fast(a, b, **kw) if b is not None else fast(a, **kw)
            r[k] = {"ids": enc["input_ids"], "types": enc["token_type_ids"]}
        precs.append(r)
    write_jsonl(os.path.join(OUT, "pairs.jsonl"), precs)

    # QA windows (run_qa.py featurization, HF stride = overlap in tokens): first question of the first
    # paragraph per language; bert-uncased at 384/128 (as XTREME) and small windows for all three.
    wrecs = []
    import shutil, tempfile
    tmp = tempfile.mkdtemp()
    shutil.copy(os.path.join(FIX, "tok", "xlmr16k.model"), os.path.join(tmp, "sentencepiece.bpe.model"))
    xlmr = XLMRobertaTokenizer.from_pretrained(tmp)
    for lang, paras in xq.items():
        for pi, para in enumerate(paras[:1]):
            qi = 0
            q = para["qas"][qi]
            for vocab, tk, ml, st in (("u", toks["u"][0], 384, 128), ("u", toks["u"][0], 64, 16),
                                      ("c", toks["c"][0], 64, 16), ("x", xlmr, 96, 32)):
                question = q["question"].lstrip()  # as run_qa.py: examples["question"].lstrip()
                ctx = para["context"]
                enc = tk(question, ctx, truncation="only_second", max_length=ml, stride=st,
                         return_overflowing_tokens=True, return_offsets_mapping=True)
                cb = char_to_byte(ctx)
                full = tk(ctx, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
                spans = []  # (first context token index in the full context tokenization, length)
                for w in range(len(enc["input_ids"])):
                    seq = enc.sequence_ids(w)
                    co = [o for o, sid in zip(enc["offset_mapping"][w], seq) if sid == 1]
                    start = next(i for i in range(len(full)) if full[i:i + len(co)] == co) if co else 0
                    spans.append((start, len(co)))
                ws = []
                for w in range(len(enc["input_ids"])):
                    seq = enc.sequence_ids(w)
                    off = []
                    for (a, e), sid in zip(enc["offset_mapping"][w], seq):
                        off += [cb[a], cb[e]] if sid == 1 else [-1, -1]
                    types = enc["token_type_ids"][w] if "token_type_ids" in enc else [0] * (len(off) // 2)
                    seq = enc.sequence_ids(w)
                    first = seq.index(1) if 1 in seq else 0
                    mc = [0] * len(seq)
                    for k in range(spans[w][1]):
                        mc[first + k] = int(check_is_max_context(spans, w, spans[w][0] + k))
                    if ml == 384:
                        ws.append({"ids": enc["input_ids"][w], "types": types, "off": delta(off), "mc": mc})
                    else:  # count + FNV over (id, type, max-context) and over (start, end): set size
                        ws.append({"n": len(mc), "h": fnv([enc["input_ids"][w], types, mc]),
                                   "ho": fnv([off[0::2], off[1::2]])})
                wrecs.append({"q": question, "lang": lang, "para": pi, "qi": qi, "max_len": ml, "stride": st, "vocab": vocab,
                              "w": ws})
    write_jsonl(os.path.join(OUT, "windows.jsonl"), wrecs)


if __name__ == "__main__":
    main()
