#!/usr/bin/env python3
"""gen_wp_normalizer_goldens.py — golden WordPiece tokenizations for every BertNormalizer setting of
lowercase x strip_accents, from Hugging Face tokenizers, for tests/test_wordpiece.c (issue 12 item 7:
tokenizer.json's normalizer is honoured, strip_accents apart from lowercase).

For the mBERT-cased vocab (tests/fixtures/tok/mbert-cased-vocab.txt, which holds cased and accented
pieces) and each (lowercase, strip_accents) in {F,T}^2, a tokenizers.Tokenizer with
WordPiece(vocab, unk "[UNK]") + BertNormalizer(clean_text, handle_chinese_chars, strip_accents,
lowercase) + BertPreTokenizer encodes each text without special tokens.

Output: tests/fixtures/wordpiece/normalizers.jsonl, one record per (text, setting):
  {"t": text, "lower": bool, "strip": bool, "ids": [...], "off": [[start, end] in BYTES, ...]}
Run: tools/.venv/bin/python tools/gen_wp_normalizer_goldens.py   (from the repository root)
"""
import json
import os

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures")
VOCAB = os.path.join(FIX, "tok", "mbert-cased-vocab.txt")
TEXTS = [
    "Hello World ÄÖÜ über Straße",
    "Crème brûlée à la française, déjà vu",
    "İstanbul'da IŞIK ılık",          # U+0130 lowercases to i + U+0307 (unless accents are stripped)
    "ΟΔΥΣΣΕΥΣ Ἀθῆναι",                # Greek capitals, polytonic accents (no final-sigma rule)
    "Ångström e\u0301 n\u0303 A\u030a",  # precomposed and combining marks
    "東京タワー와 서울 北京",            # CJK padding, Hangul (decomposes under NFD)
    "ǅemal Ǆ ﬁne ＡＢＣ",                # title case, ligature, full width
    "Việt Nam Tiếng Việt",
]


def main():
    vocab = {}
    with open(VOCAB, encoding="utf-8") as f:
        for i, line in enumerate(f):
            vocab.setdefault(line.rstrip("\n").rstrip(), i)
    out = os.path.join(FIX, "wordpiece", "normalizers.jsonl")
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        for lower in (False, True):
            for strip in (False, True):
                tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
                tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                            strip_accents=strip, lowercase=lower)
                tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
                for t in TEXTS:
                    e = tok.encode(t, add_special_tokens=False)
                    # char offsets -> byte offsets
                    b = [0]
                    for ch in t:
                        b.append(b[-1] + len(ch.encode("utf-8")))
                    off = [[b[s], b[e_]] for s, e_ in e.offsets]
                    f.write(json.dumps({"t": t, "lower": lower, "strip": strip, "ids": e.ids, "off": off},
                                       ensure_ascii=False) + "\n")
                    n += 1
    print(f"{out}: {n} records")


if __name__ == "__main__":
    main()
