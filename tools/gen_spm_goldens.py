#!/usr/bin/env python3
"""gen_spm_goldens.py — golden token ids for src/tok/spm*.c and tokenizer.c (tests/fixtures/spm/).

Run from the repo root with tools/.venv/bin/python (sentencepiece 0.2.x, transformers 5.x, tokenizers).
Writes:
  inputs.txt          the test lines: edge cases, the first 25 lines of each of the 224 Tatoeba fixture
                      files (112 languages + English), 60 XQuAD contexts (12 languages x 5; lines
                      5684..5743, CC BY-SA 4.0, see NOTICE.md). Two long lines follow them in the goldens
                      but not in inputs.txt (the C test rebuilds them): LONG1 = the input lines from the
                      first on joined by " " until >= 100,000 bytes, LONG2 = "ab" * 50,000.
  <m>.ids             xlmr16k / uni8k: model input ids of every input line as the sentencepiece-backed
                      ("slow") XLMRobertaTokenizer of transformers v4 gives them: special tokens written in
                      the text split out first, each segment sp.encode(out_type=str), pieces -> ids with
                      fairseq's offset (<s>=0 <pad>=1 </s>=2 <unk>=3, piece k -> k+1), <mask> = size + 1;
                      wrapped as <s> ... </s>. One deliberate change: the model's unknown piece -> 3 (v4
                      gave spm_unk + 1, i.e. 4 for uni8k, whose <unk> is piece 3; v5 gives 3).
                      (transformers v5 dropped that class; its few lines are re-stated in slow_ids().)
  <m>.fast.txt        lines where transformers v5's XLMRobertaTokenizer (tokenizers-backed, "fast")
                      disagrees with the above: "LINE<TAB>fast ids<TAB>slow ids" (LINE is 1-based).
  bpe4k.ids, unibf3k.ids   raw sentencepiece ids (sp.encode, no specials) for the models trained by
                      tools/train_spm_models.sh, over the edge cases, the first 10 lines of each Tatoeba
                      file, the XQuAD slice and the long lines; a line "@N" before each line's ids says
                      which input line it is.
*.ids files encode each id as ID_WIDTH base-64 digits (alphabet B64 below, most significant first), no
separators, one line per input line, after a one-line "#" header.
  xlmr16k.offsets     byte offsets (start:end per non-special token) from the fast tokenizer's
                      offset_mapping, for lines where fast and slow ids agree (first 1500 such lines).
  xlmr16k.pairs       pair encodings with truncation from the fast tokenizer (tokenizers' longest_first):
                      "max_len<TAB>A<TAB>B<TAB>ids".
  variants.ids        raw sentencepiece ids for xlmr16k.model with its normalizer / trainer options
                      changed by appending protobuf fields (which merge into the parsed message):
                      VARIANTS below; "@NAME LINE" then the ids, for the edge cases + 150 Tatoeba lines.
  unused.ids          bpe4k.model and xlmr16k.model with every 7th piece of ids 100..2099 re-typed UNUSED
                      (BPE re-splits merges into UNUSED pieces, unigram skips them): "@MODEL LINE" then ids.
Lines with more than LONG tokens are stored as "#N HASH": N ids, FNV-1a 64 over the ids as uint32 LE.
"""
import json
import os
import random
import shutil
import sys
import tempfile

import sentencepiece as spm
from transformers import XLMRobertaTokenizer

OUT = "tests/fixtures/spm"
TOK = "tests/fixtures/tok"
TATOEBA = "tests/fixtures/tatoeba"
XQUAD = os.path.join(os.environ.get("XSTILTS_DATA", "data"), "xquad")  # the real-data folder
LONG = 3000
B64 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def edge_cases():
    e = [
        "", " ", "   ", "\t", " \t \t ", "a", " a", "a ", "  a  ", "a  b", "a \t b", "\ta\tb\t",
        "Hello world!", "Hello   world!   ", "   leading spaces", "trailing spaces   ",
        "multiple     inner      spaces", "tab\tseparated\tvalues", "mixed \t\u3000 whitespace\u00a0here",
        "ctrl\x01chars\x02here\x1f", "del\x7fchar", "bell\x07 and \x08 backspace", "form\x0cfeed", "vtab\x0bhere",
        "carriage\rreturn", "nul-free but \x1b[31mansi\x1b[0m", "zero\u200bwidth\u200cjoiners\u200d",
        "soft\u00adhyphen", "\ufeffbom at start", "ＦＵＬＬ－ＷＩＤＴＨ　ｆｏｒｍｓ　１２３！", "ﾊﾝｶｸｶﾀｶﾅ ｶﾞｷﾞｸﾞ",
        "ligatures ﬁ ﬂ ﬃ", "①②③ ⅫⅣ ㎏㎞ ㍿", "e\u0301 combining acute", "\u0301 starts with a combining mark",
        "a\u0308\u0304 stacked marks", "Å vs A\u030a", "한국어 자모 \u1100\u1161\u11a8", "ﬀ ﬅ ǅ Ǆ ǆ",
        "emoji 👍🏽 👨‍👩‍👧‍👦 🇩🇪 🏳️‍🌈", "😀😀😀", "math 𝐀𝐁𝐂 𝔸𝔹ℂ", "𠜎𠜱𠝹𠱓 rare CJK", "private \ue000\uf8ff use",
        "arrows → ← ↔ ⇒", "quotes “double” ‘single’ «guillemets» „low“", "dashes – — ‐ −", "ellipsis … ...",
        "▁already▁escaped▁", "▁", "__init__", "C++ / C# / F#", "http://example.com/a?b=c&d=e#f",
        "email@example.com", "1234567890 3.14159 -42 1e10", "Ｔｏｋｙｏ　東京　とうきょう　トウキョウ",
        "Ελληνικά κείμενα", "Русский текст с ёлкой", "עברית מימין לשמאל", "العربية مع تشكيل: مَرْحَبًا",
        "हिन्दी देवनागरी", "ไทยไม่มีช่องว่าง", "ქართული", "Ⴀ Georgian capital", "ǰ̌ weird", "İstanbul ıi",
        "ß ẞ straße", "Ǳ ǲ ǳ", "special <s> text </s> here", "a <mask> b", "<mask>", "<unk><pad>",
        "x<s>y", "<url> and @@ user symbols", "a@@b<url>c", "A" * 300, "Donaudampfschifffahrtsgesellschaftskapitän" * 8,
        "x" * 2000 + " " + "y" * 2000, "\u00a0\u00a0", "\u3000", " \u3000 ", "\u2028line\u2029sep",
        "\x85nel",
    ]
    return e


def tatoeba_lines():
    names = sorted(f for f in os.listdir(TATOEBA) if f.startswith("tatoeba."))
    lines = []
    for n in names:
        with open(os.path.join(TATOEBA, n), encoding="utf-8", newline="\n") as f:
            ls = f.read().split("\n")
        lines += [x for x in ls[:25]]
    return lines


def xquad_lines():
    langs = ["ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh"]
    out = []
    for lang in langs:
        d = json.load(open(os.path.join(XQUAD, f"xquad.{lang}.json"), encoding="utf-8"))
        for a in d["data"][:5]:
            out.append(a["paragraphs"][0]["context"].replace("\r", " ").replace("\n", " "))
    return out


def long_lines(lines):
    parts, n = [], 0
    for s in lines:
        if n >= 100_000:
            break
        n += len(s.encode()) + (1 if parts else 0)
        parts.append(s)
    return [" ".join(parts), "ab" * 50_000]


# name -> bytes appended to xlmr16k.model: a normalizer_spec (field 3) or trainer_spec (field 2) holding
# one varint field: add_dummy_prefix = 3, remove_extra_whitespaces = 4, escape_whitespaces = 5,
# treat_whitespace_as_suffix = 24.
VARIANTS = {
    "no_dummy_prefix": bytes([0x1A, 2, 3 << 3, 0]),
    "keep_whitespace": bytes([0x1A, 2, 4 << 3, 0]),
    "no_escape": bytes([0x1A, 2, 5 << 3, 0]),
    "ws_suffix": bytes([0x12, 3, 0xC0, 0x01, 1]),
    "keep_ws_no_dummy": bytes([0x1A, 4, 3 << 3, 0, 4 << 3, 0]),
}


def fnv(ids):
    h = 0xCBF29CE484222325
    for i in ids:
        for k in range(4):
            h ^= (i >> (8 * k)) & 0xFF
            h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def fmt(ids):
    if len(ids) > LONG:
        return "#%d %016x" % (len(ids), fnv(ids))
    return " ".join(map(str, ids))


def enc64(ids, width=3):
    if len(ids) > LONG:
        return "#%d %016x" % (len(ids), fnv(ids))
    out = []
    for i in ids:
        assert 0 <= i < 64**width
        out.append("".join(B64[(i >> (6 * (width - 1 - k))) & 63] for k in range(width)))
    return "".join(out)


HEADER = "# ids, 3 base-64 digits each (0-9A-Za-z-_), see tools/gen_spm_goldens.py\n"


def split_specials(text):
    """PreTrainedTokenizer.tokenize's added-token split (leftmost, longest special first)."""
    out, i, seg = [], 0, 0
    while i < len(text):
        hit = None
        for s in sorted(SPECIALS, key=len, reverse=True):
            if text.startswith(s, i):
                hit = s
                break
        if hit:
            out.append((text[seg:i], None))
            out.append((None, hit))
            i += len(hit)
            seg = i
        else:
            i += 1
    out.append((text[seg:], None))
    return [(t, s) for t, s in out if t or s]


def slow_ids(sp, text):
    """transformers v4 XLMRobertaTokenizer (sentencepiece backend): input_ids of one text."""
    fixed = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    mask = sp.get_piece_size() + 1
    ids = [0]
    for seg, special in split_specials(text):
        if special is not None:
            ids.append(fixed.get(special, mask))
            continue
        for p in sp.encode(seg, out_type=str):
            if p in fixed:
                ids.append(fixed[p])
                continue
            k = sp.piece_to_id(p)
            ids.append(3 if k == sp.unk_id() else k + 1)
    ids.append(2)
    return ids


def byte_offsets(text, offs):
    cum = [0]
    for ch in text:
        cum.append(cum[-1] + len(ch.encode("utf-8")))
    return [(cum[s], cum[e]) for s, e in offs]


def main():
    os.makedirs(OUT, exist_ok=True)
    tat = tatoeba_lines()
    xq = xquad_lines()
    stored = edge_cases() + tat + xq
    for x in stored:
        assert "\n" not in x
    with open(os.path.join(OUT, "inputs.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(x + "\n" for x in stored))
    lines = stored + long_lines(stored)
    ne = len(edge_cases())
    print(f"{len(lines)} lines ({ne} edge, {len(tat)} tatoeba, {len(xq)} xquad from line {ne + len(tat) + 1}, 2 long)")
    # bpe4k / unibf3k: a subset (first 10 of every 25 Tatoeba lines)
    subset = [i for i in range(len(lines)) if not (ne <= i < ne + len(tat)) or (i - ne) % 25 < 10]

    tmp = tempfile.mkdtemp()
    try:
        for name in ["xlmr16k", "uni8k"]:
            model = os.path.join(TOK, name + ".model")
            sp = spm.SentencePieceProcessor(model_file=model)
            d = os.path.join(tmp, name)
            os.makedirs(d)
            shutil.copy(model, os.path.join(d, "sentencepiece.bpe.model"))
            fast = XLMRobertaTokenizer.from_pretrained(d)
            slow = [slow_ids(sp, x) for x in lines]
            fst = [fast(x)["input_ids"] for x in lines]
            with open(os.path.join(OUT, name + ".ids"), "w") as f:
                f.write(HEADER + "".join(enc64(s) + "\n" for s in slow))
            ndiff = 0
            with open(os.path.join(OUT, name + ".fast.txt"), "w", encoding="utf-8") as f:
                for i, (s, q) in enumerate(zip(slow, fst)):
                    if s != q:
                        ndiff += 1
                        f.write(f"{i + 1}\t{fmt(q)}\t{fmt(s)}\n")
            print(f"{name}: {len(lines)} lines, slow/fast disagree on {ndiff}")
            if name == "xlmr16k":
                nout = 0
                with open(os.path.join(OUT, "xlmr16k.offsets"), "w") as f:
                    for i, (x, s, q) in enumerate(zip(lines, slow, fst)):
                        if s != q or len(s) > 200 or nout >= 800:
                            continue
                        enc = fast(x, return_offsets_mapping=True)
                        offs = byte_offsets(x, enc["offset_mapping"][1:-1])
                        f.write(f"{i + 1}\t" + " ".join(f"{a}:{b}" for a, b in offs) + "\n")
                        nout += 1
                r = random.Random(7)
                files = sorted(f for f in os.listdir(TATOEBA) if f.startswith("tatoeba.") and not f.endswith(".eng"))
                with open(os.path.join(OUT, "xlmr16k.pairs"), "w", encoding="utf-8") as f:
                    npairs = 0
                    for fn in files:
                        other = open(os.path.join(TATOEBA, fn), encoding="utf-8").read().split("\n")
                        eng = open(os.path.join(TATOEBA, fn[: fn.rindex(".")] + ".eng"), encoding="utf-8").read().split("\n")
                        for j in (0, 1, 2):
                            a, b = other[j], eng[j]
                            if r.random() < 0.5:
                                a, b = b, a
                            if slow_ids(sp, a) != fast(a)["input_ids"] or slow_ids(sp, b) != fast(b)["input_ids"]:
                                continue
                            ml = [0, 6, 9, 12, 17, 24][(npairs) % 6]
                            if ml:
                                ids = fast(a, b, truncation="longest_first", max_length=ml)["input_ids"]
                            else:
                                ids = fast(a, b)["input_ids"]
                            f.write(f"{ml}\t{a}\t{b}\t{' '.join(map(str, ids))}\n")
                            npairs += 1
                print(f"xlmr16k: {npairs} pairs")
        base = open(os.path.join(TOK, "xlmr16k.model"), "rb").read()
        vsub = list(range(ne)) + list(range(ne, ne + 150))
        with open(os.path.join(OUT, "variants.ids"), "w") as f:
            f.write(HEADER)
            for vname, extra in VARIANTS.items():
                sp = spm.SentencePieceProcessor(model_proto=base + extra)
                for i in vsub:
                    f.write(f"@{vname} {i + 1}\n" + enc64(sp.encode(lines[i])) + "\n")
        print(f"variants: {len(VARIANTS)} x {len(vsub)} lines")
        from sentencepiece import sentencepiece_model_pb2 as pb

        with open(os.path.join(OUT, "unused.ids"), "w") as f:
            f.write(HEADER)
            for mname, mpath in (("bpe4k", os.path.join(OUT, "bpe4k.model")), ("xlmr16k", os.path.join(TOK, "xlmr16k.model"))):
                mp = pb.ModelProto()
                mp.ParseFromString(open(mpath, "rb").read())
                for i in range(100, 2100, 7):
                    assert mp.pieces[i].type == 1
                    mp.pieces[i].type = 5  # UNUSED
                sp = spm.SentencePieceProcessor(model_proto=mp.SerializeToString())
                for i in vsub:
                    f.write(f"@{mname} {i + 1}\n" + enc64(sp.encode(lines[i])) + "\n")
        print(f"unused: 2 x {len(vsub)} lines")
        for name in ["bpe4k", "unibf3k"]:
            sp = spm.SentencePieceProcessor(model_file=os.path.join(OUT, name + ".model"))
            with open(os.path.join(OUT, name + ".ids"), "w") as f:
                f.write(HEADER + "".join(f"@{i + 1}\n" + enc64(sp.encode(lines[i])) + "\n" for i in subset))
            print(f"{name}: {len(subset)} lines")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main())
