#!/usr/bin/env python3
"""Writes the tagging / span-QA / MLM reader fixtures under tests/fixtures/data/:

- ud/: verbatim sentence slices of the UD CoNLL-U files in shared/data/ud (the first sentences,
  then sentences with multi-word tokens and with empty nodes), and
  xtreme/download/udpos/{dev,test}-{lang}.tsv: what XTREME's own pipeline makes of those slices:
  third_party/ud-conversion-tools/conllu_to_conll.py --replace_subtokens_with_fused_forms
  --print_fused_forms --lang {lang} (run unchanged, with a networkx 1.x -> 3.x shim), then
  utils_preprocess.py udpos_preprocess (its nested functions, extracted with ast: the module imports
  transformers at top level). test-{lang}.tsv is the same slice written as a test split (no tags).
- panx/{de,en}-{dev,test}: PAN-X files WRITTEN HERE in the published layout (lang:token<TAB>TAG,
  blank line between sentences), and xtreme/download/panx/{dev,test}-{lang}.tsv from XTREME's
  panx_preprocess (extracted the same way).
- germeval14/: the first 30 sentences of shared/data/ner-germeval14 (verbatim), and a file WRITTEN
  HERE in the original GermEval 2014 layout with its "#" source lines.
- ccg/: CCG supertagging files WRITTEN HERE: jiant's ccg.{train,dev} (text<TAB>supertags) and the
  same sentences as token<TAB>supertag columns.
- squad/: a SQuAD v2.0 file WRITTEN HERE (answerable + unanswerable questions, non-ASCII contexts);
  xquad/ and tydiqa/: the first paragraphs of shared/data xquad.{de,zh}.json and TyDiQA-GoldP dev
  (english, arabic), re-serialised with json.dump(ensure_ascii=False).
- mlm/: plain-text files WRITTEN HERE (BOM, CRLF, blank and whitespace-only lines, invalid UTF-8).

usage: python tools/gen_tagging_fixtures.py --data <shared/data> --xtreme <xtreme checkout> --out tests/fixtures/data
(--xtreme: a checkout of google-research/xtreme, e.g. @ 838c13b; needs networkx.)
"""
import argparse
import ast
import copy
import json
import os
import sys
import types
from pathlib import Path


def blocks(path):
    """CoNLL-U sentences as lists of lines (without newlines)."""
    out, cur = [], []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            if cur:
                out.append(cur)
            cur = []
        else:
            cur.append(line)
    if cur:
        out.append(cur)
    return out


def has(block, kind):
    for l in block:
        if l.startswith("#"):
            continue
        i = l.split("\t")[0]
        if kind == "mwt" and "-" in i:
            return True
        if kind == "empty" and "." in i:
            return True
    return False


def ud_slice(path, first, n_mwt, n_empty):
    bs = blocks(path)
    keep = set(range(first))
    for kind, n in (("mwt", n_mwt), ("empty", n_empty)):
        got = 0
        for i, b in enumerate(bs):
            if got >= n:
                break
            if i not in keep and has(b, kind):
                keep.add(i)
                got += 1
    return [bs[i] for i in sorted(keep)]


def load_conll_module(xtreme):
    """ud-conversion-tools lib/conll.py unchanged, with networkx 1.x calls mapped onto 3.x."""
    import networkx as nx
    sys.path.insert(0, str(Path(xtreme) / "third_party" / "ud-conversion-tools"))
    from lib import conll
    T = conll.DependencyTree
    T.node = property(lambda self: self.nodes)
    base_add_node, base_add_edge = nx.DiGraph.add_node, nx.DiGraph.add_edge

    def add_node(self, n, attr=None, **kw):
        base_add_node(self, n, **(attr or {}), **kw)

    def add_edge(self, u, v, attr=None, **kw):
        base_add_edge(self, u, v, **(attr or {}), **kw)
    T.add_node, T.add_edge = add_node, add_edge
    orig_bfs = nx.bfs_successors
    conll.nx = types.SimpleNamespace(**{k: getattr(nx, k) for k in dir(nx) if not k.startswith("__")})
    conll.nx.bfs_successors = lambda G, x: dict(orig_bfs(G, x))
    return conll


POSRANK = {
    # conllu_to_conll.py POSRANKPRECEDENCEDICT, as there
    "default": "VERB NOUN PROPN PRON ADJ NUM ADV INTJ AUX ADP DET PART CCONJ SCONJ X PUNCT ".split(" "),
    "es": "VERB AUX PRON ADP DET".split(" "),
    "fr": "VERB AUX PRON NOUN ADJ ADV ADP DET PART SCONJ CONJ".split(" "),
    "it": "VERB AUX ADV PRON ADP DET INTJ".split(" "),
}


def conllu_to_conll(conll, src, dst, lang):
    """conllu_to_conll.py main() with the download_data.sh flags."""
    prec = POSRANK.get(lang, POSRANK["default"])
    cio = conll.CoNLLReader()
    tb = copy.copy(cio.read_conll_u(str(src)))
    for s in tb:
        s.filter_sentence_content(True, lang, prec, None, False, False)
    cio.write_conll(tb, Path(dst), "conll2006", print_fused_forms=True, print_comments=False)


def nested_functions(xtreme, outer):
    """The functions defined inside utils_preprocess.<outer>, compiled without importing the module."""
    src = (Path(xtreme) / "utils_preprocess.py").read_text()
    tree = ast.parse(src)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == outer)
    inner = [n for n in fn.body if isinstance(n, ast.FunctionDef)]
    ns = {"os": os}
    exec(compile(ast.Module(body=inner, type_ignores=[]), "utils_preprocess.py", "exec"), ns)
    return ns


# Written here: corner cases of the XTREME conversion, run through the same real pipeline.
EDGE = """# sent_id = deps-decide
# text = Xa BC d
1\tXa\txa\tPROPN\t_\t_\t0\troot\t0:root\t_
2-3\tBC\t_\t_\t_\t_\t_\t_\t_\t_
2\tB\tb\tNOUN\t_\t_\t1\tobj\t1:obj\t_
3\tC\tc\tVERB\t_\t_\t1\tacl\t1:acl|2:dep\t_
4\td\td\tPUNCT\t_\t_\t1\tpunct\t1:punct\t_

# sent_id = tie-by-rank
1-2\tzum\t_\t_\t_\t_\t_\t_\t_\t_
1\tzu\tzu\tADP\t_\t_\t3\tcase\t3:case\t_
2\tdem\tder\tDET\t_\t_\t3\tdet\t3:det\t_
3\tHaus\tHaus\tNOUN\t_\t_\t0\troot\t0:root\t_
4-5\tim\t_\t_\t_\t_\t_\t_\t_\t_
4\tin\tin\tADP\t_\t_\t6\tcase\t6:case\t_
5\tdem\tder\tDET\t_\t_\t6\tdet\t6:det\t_
6\tGarten\tGarten\tNOUN\t_\t_\t3\tnmod\t3:nmod\t_

# sent_id = empty-node-and-spaces
1\tsie\tsie\tPRON\t_\t_\t2\tnsubj\t2:nsubj|2.1:nsubj\t_
2\tkam\tkommen\tVERB\t_\t_\t0\troot\t0:root\t_
2.1\tkam\tkommen\tVERB\t_\t_\t_\t_\t0:root\t_
3\tNew York\tNew York\tPROPN\t_\t_\t2\tobl\t2:obl\t_
4\tmi\u200cxed\tmixed\tX\t_\t_\t2\tdep\t2:dep\t_

# sent_id = underscores-dropped
1\t_\t_\tNOUN\t_\t_\t0\troot\t0:root\t_
2\t_\t_\tNOUN\t_\t_\t1\tdep\t1:dep\t_
3\tx\tx\tNOUN\t_\t_\t1\tdep\t1:dep\t_

# sent_id = underscores-kept
1\t_\t_\tNOUN\t_\t_\t0\troot\t0:root\t_
2\ty\ty\tNOUN\t_\t_\t1\tdep\t1:dep\t_
3\tx\tx\tNOUN\t_\t_\t1\tdep\t1:dep\t_

"""


def gen_ud(args, out):
    import tempfile
    conll = load_conll_module(args.xtreme)
    up = nested_functions(args.xtreme, "udpos_preprocess")
    specs = [  # (lang, treebank dir, file, first, n_mwt, n_empty)
        ("en", "UD_English-EWT", "en_ewt-ud-dev.conllu", 6, 6, 2),
        ("de", "UD_German-GSD", "de_gsd-ud-test.conllu", 4, 6, 0),
        ("fr", "UD_French-GSD", "fr_gsd-ud-test.conllu", 4, 6, 0),
        ("zh", "UD_Chinese-GSD", "zh_gsd-ud-test.conllu", 5, 0, 0),
    ]
    (out / "ud").mkdir(parents=True, exist_ok=True)
    dl = out / "xtreme" / "download" / "udpos"
    dl.mkdir(parents=True, exist_ok=True)
    for lang, tb, fname, first, nm, ne in specs:
        sents = ud_slice(Path(args.data) / "ud" / tb / fname, first, nm, ne)
        fx = out / "ud" / fname
        with open(fx, "w", encoding="utf-8") as f:
            for b in sents:
                f.write("\n".join(b) + "\n\n")
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp) / "conll" / lang
            d.mkdir(parents=True)
            for split in ("dev", "test") if lang == "zh" else ("dev",):
                conllu_to_conll(conll, fx, d / f"{lang}_x-ud-{split}.conll", lang)
            data = {k: [] for k in ["train", "dev", "test"]}
            for f in sorted(os.listdir(d)):
                ex = up["_read_one_file"](str(d / f))
                data["dev" if "dev" in f else "test"].extend(ex)
            data = up["remove_empty_space"](data)
            up["_write_files"](data, str(dl), lang, "tsv")
        print(f"ud {lang}: {len(sents)} sentences -> {fx}")
    fx = out / "ud" / "xtreme-edge-cases.conllu"
    fx.write_text(EDGE, encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "conll" / "de"
        d.mkdir(parents=True)
        conllu_to_conll(conll, fx, d / "de_edge-ud-dev.conll", "de")
        data = {"train": [], "dev": up["_read_one_file"](str(d / "de_edge-ud-dev.conll")), "test": []}
        up["_write_files"](up["remove_empty_space"](data), tmp, "de", "tsv")
        (out / "ud" / "xtreme-edge-cases.expected.tsv").write_bytes((Path(tmp) / "dev-de.tsv").read_bytes())


PANX = {
    "de": [
        [("Die", "O"), ("Europäische", "B-ORG"), ("Kommission", "I-ORG"), ("hat", "O"), ("ihren", "O"),
         ("Sitz", "O"), ("in", "O"), ("Brüssel", "B-LOC"), (".", "O")],
        [("Angela", "B-PER"), ("Merkel", "I-PER"), ("sprach", "O"), ("in", "O"), ("Köln", "B-LOC"), (":", "O"),
         ("„", "O"), ("Wir", "O"), ("schaffen", "O"), ("das", "O"), ("“", "O")],
        [("'''", "O"), ("Ludwig", "B-PER"), ("van", "I-PER"), ("Beethoven", "I-PER"), ("'''", "O"), ("(", "O"),
         ("Bonn", "B-LOC"), (")", "O")],
    ],
    "en": [
        [("The", "O"), ("United", "B-ORG"), ("Nations", "I-ORG"), ("met", "O"), ("in", "O"), ("New", "B-LOC"),
         ("York", "I-LOC"), ("City", "I-LOC"), (".", "O")],
        [("Marie", "B-PER"), ("Curie", "I-PER"), ("worked", "O"), ("in", "O"), ("Paris", "B-LOC")],
    ],
}


def gen_panx(args, out):
    import tempfile
    pp = nested_functions(args.xtreme, "panx_preprocess")
    (out / "panx").mkdir(parents=True, exist_ok=True)
    dl = out / "xtreme" / "download" / "panx"
    dl.mkdir(parents=True, exist_ok=True)
    for lang, sents in PANX.items():
        for split in ("dev", "test"):
            src = out / "panx" / f"{lang}-{split}"
            with open(src, "w", encoding="utf-8") as f:
                for s in sents:
                    for w, t in s:
                        f.write(f"{lang}:{w}\t{t}\n")
                    f.write("\n")
            # panx_preprocess tests `'test' in infile` on the whole path: run it from a neutral folder.
            with tempfile.TemporaryDirectory(prefix="px") as tmp:
                t = Path(tmp) / f"{lang}-{split}"
                t.write_bytes(src.read_bytes())
                pp["_process_one_file"](str(t), str(dl / f"{split}-{lang}.tsv"))


GERMEVAL_ORIG = """#\thttp://de.wikipedia.org/wiki/Xstilts_Beispiel [2014-03-01]
1\tDer\tO\tO
2\tRhein\tB-LOC\tO
3\tfließt\tO\tO
4\tdurch\tO\tO
5\tBasel\tB-LOC\tO
6\tund\tO\tO
7\tKöln\tB-LOC\tO
8\t.\tO\tO

#\thttp://www.example.org/nachrichten/42 [2014-03-02]
1\tDie\tO\tO
2\tUniversität\tB-ORG\tO
3\tWürzburg\tI-ORG\tB-LOC
4\tveröffentlichte\tO\tO
5\tdeutschsprachige\tB-LOCderiv\tO
6\tDaten\tO\tO
7\t.\tO\tO

"""

CCG = [
    ("The cat sat on the mat .", "NP[nb]/N N (S[dcl]\\NP)/PP PP/NP NP[nb]/N N ."),
    ("Dogs bark .", "N S[dcl]\\NP ."),
    ("She gave him a book yesterday .",
     "NP ((S[dcl]\\NP)/NP)/NP NP NP[nb]/N N (S\\NP)\\(S\\NP) ."),
    ("Prices rose 5 % , analysts said .",
     "N S[dcl]\\NP N/N N , N (S[dcl]\\S[dcl])\\NP ."),
]
CCG_DEV = [
    ("The dog barked loudly .", "NP[nb]/N N S[dcl]\\NP (S\\NP)\\(S\\NP) ."),
    ("Who came ?", "S[wq]/(S[dcl]\\NP) S[dcl]\\NP ."),
]


def gen_ccg(out):
    d = out / "ccg"
    d.mkdir(parents=True, exist_ok=True)
    for name, rows in (("ccg.train", CCG), ("ccg.dev", CCG_DEV)):
        with open(d / name, "w", encoding="utf-8") as f:
            for text, tags in rows:
                assert len(text.split(" ")) == len(tags.split())
                f.write(f"{text}\t{tags}\n")
    # jiant's tags_to_id.json: every supertag of train, here in sorted order
    tags = sorted({t for _, tg in CCG for t in tg.split()})
    with open(d / "tags_to_id.json", "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(tags)}, f, ensure_ascii=False)
    with open(d / "train.tsv", "w", encoding="utf-8") as f:
        for i, (text, tags) in enumerate(CCG):
            if i:
                f.write("\n")
            for w, t in zip(text.split(" "), tags.split()):
                f.write(f"{w}\t{t}\n")


def gen_germeval(args, out):
    d = out / "germeval14"
    d.mkdir(parents=True, exist_ok=True)
    lines, n = [], 0
    for line in open(Path(args.data) / "ner-germeval14" / "germeval14-dev.tsv", encoding="utf-8"):
        lines.append(line)
        if line.strip() == "":
            n += 1
            if n == 30:
                break
    (d / "germeval14-dev.slice.tsv").write_text("".join(lines), encoding="utf-8")
    (d / "NER-de-sample.tsv").write_text(GERMEVAL_ORIG, encoding="utf-8")


def squad_v2():
    paras = [
        ("Der Zürichsee liegt südöstlich von Zürich. Er ist 42 Kilometer lang und bis zu 136 Meter tief.",
         [("Wie lang ist der Zürichsee?", "42 Kilometer", None),
          ("Wie tief ist der Bodensee?", None, "136 Meter")]),
        ("北京是中华人民共和国的首都。The Forbidden City lies in the centre of Beijing.",
         [("Where is the Forbidden City?", "the centre of Beijing", None),
          ("中华人民共和国的首都是哪里？", "北京", None),
          ("What is the capital of Mongolia?", None, "Beijing")]),
    ]
    data = {"version": "v2.0", "data": [{"title": "Xstilts_v2_sample", "paragraphs": []}]}
    k = 0
    for ctx, qs in paras:
        qas = []
        for q, ans, plaus in qs:
            k += 1
            qid = f"5a8d7bf7df8bba001a0f9{k:03d}"
            if ans is not None:
                qas.append({"question": q, "id": qid, "answers": [{"text": ans, "answer_start": ctx.index(ans)}],
                            "is_impossible": False})
            else:
                qas.append({"plausible_answers": [{"text": plaus, "answer_start": ctx.index(plaus)}],
                            "question": q, "id": qid, "answers": [], "is_impossible": True})
        data["data"][0]["paragraphs"].append({"qas": qas, "context": ctx})
    return data


def slice_squad(path, n_art, n_par):
    d = json.load(open(path, encoding="utf-8"))
    out = {"data": [dict(art, paragraphs=art["paragraphs"][:n_par]) for art in d["data"][:n_art]]}
    if "version" in d:
        out["version"] = d["version"]
    return out


def gen_qa(args, out):
    (out / "squad").mkdir(parents=True, exist_ok=True)
    with open(out / "squad" / "dev-v2.0.json", "w", encoding="utf-8") as f:
        json.dump(squad_v2(), f, ensure_ascii=False)
    for sub, files in (("xquad", [("xquad.de.json", 1, 2), ("xquad.zh.json", 1, 2)]),
                       ("tydiqa", [("tydiqa-goldp-dev-english.json", 6, 1), ("tydiqa-goldp-dev-arabic.json", 4, 1)])):
        (out / sub).mkdir(parents=True, exist_ok=True)
        src_dir = Path(args.data) / ("xquad" if sub == "xquad" else "tydiqa-goldp")
        for name, na, npar in files:
            with open(out / sub / name, "w", encoding="utf-8") as f:
                json.dump(slice_squad(src_dir / name, na, npar), f, ensure_ascii=False)


def gen_mlm(out):
    d = out / "mlm"
    d.mkdir(parents=True, exist_ok=True)
    text = ("\ufeffDas ist ein Satz.\n"
            "\n"
            "   \t \n"
            "这是一个句子。\n"
            "\u3000\u00a0\n"
            "Ceci est une phrase.\r\n"
            "  leading and trailing spaces are kept  \n"
            "Последняя строка без перевода строки")
    (d / "mixed.txt").write_bytes(text.encode("utf-8"))
    (d / "bad_utf8.txt").write_bytes(b"first line\nsecond \xc3\x28 line\nthird line\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--xtreme", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    out = Path(args.out)
    gen_ud(args, out)
    gen_panx(args, out)
    gen_germeval(args, out)
    gen_ccg(out)
    gen_qa(args, out)
    gen_mlm(out)


if __name__ == "__main__":
    main()
