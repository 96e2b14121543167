#!/usr/bin/env python3
"""Writes tests/fixtures/data/: small slices of the real files in shared/data (myXNLI, PAWS-X de,
HellaSwag val, CommonsenseQA dev) and files WRITTEN HERE in the exact published layouts of
MNLI (GLUE tsv, MultiNLI jsonl), ANLI, SNLI, QQP, XNLI-1.0, XNLI-MT, XTREME download/{xnli,pawsx},
HellaSwag (with a non-empty ctx_b), Cosmos QA (csv + jsonl) and CommonsenseQA (original layout),
plus expected.json: every example as an independent reading gives it (Python's csv / json
modules, the publishers' field choices as jiant / XTREME / HF make them), which
tests/test_data_pairs.c and tests/test_data_choices.c compare with the C readers.

Standard library only.  usage: python3 tools/gen_reader_fixtures.py --data <shared/data> --out tests/fixtures/data
"""
import argparse
import csv
import io
import json
import os

NLI = ["contradiction", "entailment", "neutral"]   # HF Mnli/XnliProcessor, jiant mnli/snli/xnli
BIN = ["0", "1"]


def w(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def head_lines(path, n):
    with open(path, encoding="utf-8", newline="") as f:
        return "".join(f.readline() for _ in range(n))


def tsv(rows):
    return "".join("\t".join(r) + "\n" for r in rows)


def csv_text(rows, delim):
    buf = io.StringIO()
    wr = csv.writer(buf, delimiter=delim, lineterminator="\n")  # XTREME's csv.writer(delimiter='\t') (QUOTE_MINIMAL)
    for r in rows:
        wr.writerow(r)
    return buf.getvalue()


def pair(i, a, b, label, line):
    return {"id": i, "a": a, "b": b, "label": label, "line": line}


def nli_label(s):
    s = s.strip()
    if s == "contradictory":
        s = "contradiction"
    return NLI.index(s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    O, D = a.out, a.data
    exp = {"pairs": [], "choices": []}

    def add_pairs(rel, fmt, ex, lang=None, unlabeled=False, nnolabel=0):
        exp["pairs"].append({"file": rel, "format": fmt, "lang": lang, "unlabeled": unlabeled,
                             "nnolabel": nnolabel, "examples": ex})

    # ---- real slices ----
    w(f"{O}/xnli/my.genre.dev.tsv", head_lines(f"{D}/xnli/my.genre.dev.tsv", 51))
    w(f"{O}/xnli/sw.genre.dev.tsv", head_lines(f"{D}/xnli/sw.genre.dev.tsv", 31))
    for rel, lang in [("xnli/my.genre.dev.tsv", "en"), ("xnli/my.genre.dev.tsv", "my"), ("xnli/sw.genre.dev.tsv", None)]:
        rows = list(csv.reader(open(f"{O}/{rel}", encoding="utf-8", newline=""), delimiter="\t", quoting=csv.QUOTE_NONE))
        h = rows[0]
        lg = lang or h[2][len("sentence1_"):]
        ia, ib = h.index("sentence1_" + lg), h.index("sentence2_" + lg)
        add_pairs(rel, "myxnli", [pair(str(k + 2), r[ia], r[ib], nli_label(r[1]), k + 2) for k, r in enumerate(rows[1:])], lang)

    w(f"{O}/pawsx/x-final/de/dev_2k.tsv", head_lines(f"{D}/pawsx-de/dev_2k.tsv", 51))
    rows = list(csv.reader(open(f"{O}/pawsx/x-final/de/dev_2k.tsv", encoding="utf-8", newline=""), delimiter="\t", quoting=csv.QUOTE_NONE))
    add_pairs("pawsx/x-final/de/dev_2k.tsv", "pawsx", [pair(r[0], r[1], r[2], BIN.index(r[3]), k + 2) for k, r in enumerate(rows[1:])])
    paws_rows = rows[1:]

    # ---- XNLI-1.0 layout, built from the real en/sw dev rows above ----
    H = ("language gold_label sentence1_binary_parse sentence2_binary_parse sentence1_parse sentence2_parse sentence1 "
         "sentence2 promptID pairID genre label1 label2 label3 label4 label5 sentence1_tokenized sentence2_tokenized match").split()
    my = list(csv.reader(open(f"{O}/xnli/my.genre.dev.tsv", encoding="utf-8", newline=""), delimiter="\t", quoting=csv.QUOTE_NONE))[1:21]
    sw = list(csv.reader(open(f"{O}/xnli/sw.genre.dev.tsv", encoding="utf-8", newline=""), delimiter="\t", quoting=csv.QUOTE_NONE))[1:21]
    xrows, ex_en, ex_sw = [H], [], []
    for k in range(20):
        for lang, r in (("en", my[k]), ("sw", sw[k])):
            s1, s2 = r[2], r[3]
            pid = str(k // 3 + 1)
            row = [lang, r[1], "", "", "", "", s1, s2, pid, str(k + 1), r[0], r[1], r[1], r[1], r[1], r[1], s1, s2, "True"]
            xrows.append(row)
            (ex_en if lang == "en" else ex_sw).append(pair(str(k + 1), s1, s2, nli_label(r[1]), len(xrows)))
    w(f"{O}/xnli/XNLI-1.0/xnli.dev.tsv", tsv(xrows))
    add_pairs("xnli/XNLI-1.0/xnli.dev.tsv", "xnli", ex_en, "en")
    add_pairs("xnli/XNLI-1.0/xnli.dev.tsv", "xnli", ex_sw, "sw")

    # ---- XNLI-MT train (premise, hypo, label; "contradictory") ----
    mt = [["premise", "hypo", "label"],
          ["Conceptually cream skimming has two basic dimensions - product and geography .", "Product and geography are what make cream skimming work .", "neutral"],
          ["you know during the season and i guess at at your level uh you lose them", "You lose the things to the following level if the people recall .", "entailment"],
          ["One of our number will carry out your instructions minutely .", "A member of my team will execute your orders with immense precision .", "entailment"],
          ["He said \"no\" twice , then left .", "He never spoke .", "contradictory"],
          ["The tea was cold ; she drank it anyway .", "She refused the tea .", "contradictory"]]
    w(f"{O}/xnli/XNLI-MT-1.0/multinli/multinli.train.en.tsv", tsv(mt))
    add_pairs("xnli/XNLI-MT-1.0/multinli/multinli.train.en.tsv", "xnli-mt",
              [pair(str(k + 2), r[0], r[1], nli_label(r[2]), k + 2) for k, r in enumerate(mt[1:])])

    # ---- XTREME download/: utils_preprocess.py xnli_preprocess / pawsx_preprocess output ----
    def xt(rows3, labelled):
        return csv_text([r if labelled else r[:2] for r in rows3], "\t")
    tr = [[" ".join(r[0].strip().split(" ")), " ".join(r[1].strip().split(" ")),
           "contradiction" if r[2].strip() == "contradictory" else r[2].strip()] for r in mt[1:]]
    w(f"{O}/xtreme/download/xnli/train-en.tsv", xt(tr, True))
    add_pairs("xtreme/download/xnli/train-en.tsv", "xtreme-xnli", [pair(str(k + 1), r[0], r[1], nli_label(r[2]), k + 1) for k, r in enumerate(tr)])
    dv = [[e["a"], e["b"], NLI[e["label"]]] for e in ex_sw]
    dv[0][0] = 'Alisema "ndiyo" na kuondoka.'  # a quoted field, as csv.writer writes it
    w(f"{O}/xtreme/download/xnli/dev-sw.tsv", xt(dv, True))
    add_pairs("xtreme/download/xnli/dev-sw.tsv", "xtreme-xnli", [pair(str(k + 1), r[0], r[1], nli_label(r[2]), k + 1) for k, r in enumerate(dv)])
    w(f"{O}/xtreme/download/xnli/test-sw.tsv", xt(dv[:5], False))
    add_pairs("xtreme/download/xnli/test-sw.tsv", "xtreme-xnli", [pair(str(k + 1), r[0], r[1], -1, k + 1) for k, r in enumerate(dv[:5])], unlabeled=True)
    pd = [[" ".join(r[1].strip().split(" ")), " ".join(r[2].strip().split(" ")), r[3]] for r in paws_rows[:20]]
    w(f"{O}/xtreme/download/pawsx/dev-de.tsv", xt(pd, True))
    add_pairs("xtreme/download/pawsx/dev-de.tsv", "xtreme-pawsx", [pair(str(k + 1), r[0], r[1], BIN.index(r[2]), k + 1) for k, r in enumerate(pd)])

    # ---- GLUE MNLI tsv (quotechar=None: quotes are text) ----
    gh = "index promptID pairID genre sentence1_binary_parse sentence2_binary_parse sentence1_parse sentence2_parse sentence1 sentence2".split()
    mn = [("The new rights are nice enough", "Everyone really likes the newest benefits", "neutral", "slate"),
          ("This site includes a list of all award winners .", "The Government Executive articles housed on the website are not able to be searched .", "contradiction", "government"),
          ("uh i don't know i i have mixed emotions about him", "I like him for the most part , but would still enjoy seeing someone beat him .", "entailment", "telephone"),
          ("She said \"fine\" and walked out .", "She left .", "entailment", "fiction"),
          ("yeah i i think my favorite restaurant is always been the one closest", "My favorite restaurants are always at least a hundred miles away from my house .", "contradiction", "telephone")]
    rows = [gh + ["label1", "gold_label"]]
    ex = []
    for k, (s1, s2, lab, genre) in enumerate(mn):
        pid = f"{31193 + k}e"
        rows.append([str(k), str(31193 + k), pid, genre, "( ( " + s1 + " ) )", "( ( " + s2 + " ) )", "(ROOT (S " + s1 + "))", "(ROOT (S " + s2 + "))", s1, s2, lab, lab])
        ex.append(pair(pid, s1, s2, NLI.index(lab), k + 2))
    w(f"{O}/mnli/MNLI/train.tsv", tsv(rows))
    add_pairs("mnli/MNLI/train.tsv", "mnli-tsv", ex)
    rows = [gh + ["label1", "label2", "label3", "label4", "label5", "gold_label"]]
    ex = []
    for k, (s1, s2, lab, genre) in enumerate(mn[:3]):
        pid = f"{63735 + k}n"
        rows.append([str(k), str(63735 + k), pid, genre, "( " + s1 + " )", "( " + s2 + " )", "(ROOT " + s1 + ")", "(ROOT " + s2 + ")", s1, s2, lab, lab, "neutral", lab, lab, lab])
        ex.append(pair(pid, s1, s2, NLI.index(lab), k + 2))
    w(f"{O}/mnli/MNLI/dev_matched.tsv", tsv(rows))
    add_pairs("mnli/MNLI/dev_matched.tsv", "mnli-tsv", ex)

    # ---- MultiNLI / SNLI / ANLI jsonl ----
    def nli_obj(s1, s2, gold, pid, prompt, genre):
        return {"annotator_labels": [gold if gold != "-" else "neutral", "entailment"], "genre": genre, "gold_label": gold,
                "pairID": pid, "promptID": prompt, "sentence1": s1, "sentence1_binary_parse": "( " + s1 + " )",
                "sentence1_parse": "(ROOT " + s1 + ")", "sentence2": s2, "sentence2_binary_parse": "( " + s2 + " )",
                "sentence2_parse": "(ROOT " + s2 + ")"}
    golds = ["neutral", "-", "contradiction", "entailment", "-", "neutral"]
    objs = [nli_obj(mn[k % 5][0], mn[k % 5][1], golds[k], f"{63735 + k}{golds[k][0]}", str(63735 + k), mn[k % 5][3]) for k in range(6)]
    w(f"{O}/mnli/multinli_1.0/multinli_1.0_dev_matched.jsonl", "".join(json.dumps(o) + "\n" for o in objs))
    add_pairs("mnli/multinli_1.0/multinli_1.0_dev_matched.jsonl", "mnli-jsonl",
              [pair(o["pairID"], o["sentence1"], o["sentence2"], NLI.index(o["gold_label"]), k + 1) for k, o in enumerate(objs) if o["gold_label"] != "-"], nnolabel=2)
    sn = [("A person on a horse jumps over a broken down airplane.", "A person is training his horse for a competition.", "neutral"),
          ("A person on a horse jumps over a broken down airplane.", "A person is at a diner, ordering an omelette.", "contradiction"),
          ("Children smiling and waving at camera", "There are children present", "entailment"),
          ("A boy is jumping on skateboard in the middle of a red bridge.", "The boy skates down the sidewalk.", "-"),
          ("An older man sits with his orange juice at a small table in a coffee shop.", "A boy flips a burger.", "contradiction")]
    objs = []
    for k, (s1, s2, g) in enumerate(sn):
        o = nli_obj(s1, s2, g, f"3416050480.jpg#4r1{'nce-c'[k]}", None, None)
        del o["genre"], o["promptID"]
        o["captionID"] = "3416050480.jpg#4"
        objs.append(o)
    w(f"{O}/snli/snli_1.0/snli_1.0_dev.jsonl", "".join(json.dumps(o) + "\n" for o in objs))
    add_pairs("snli/snli_1.0/snli_1.0_dev.jsonl", "snli",
              [pair(o["pairID"], o["sentence1"], o["sentence2"], NLI.index(o["gold_label"]), k + 1) for k, o in enumerate(objs) if o["gold_label"] != "-"], nnolabel=1)
    an = [("e", "The Parma trolleybus system forms part of the public transport network of the city of Parma.", "The trolleybus system has been in service since 1953."),
          ("n", "Ernest Jones is a British jeweller and watchmaker. Established in 1949.", "The first Ernest Jones store was opened on the continent of Europe."),
          ("c", "Old Trafford is a football stadium in Manchester, with a capacity of 74,140.", "Old Trafford holds more than 80,000 people.")]
    objs = [{"uid": f"{k:08x}-a1b2-4c3d-8e9f-00000000000{k}", "context": c, "hypothesis": h, "label": l, "model_label": "n",
             "emturk": False, "genre": "", "reason": "", "tag": ""} for k, (l, c, h) in enumerate(an)]
    w(f"{O}/anli/anli_v1.0/R1/dev.jsonl", "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs))
    amap = {"e": "entailment", "n": "neutral", "c": "contradiction"}
    add_pairs("anli/anli_v1.0/R1/dev.jsonl", "anli", [pair(o["uid"], o["context"], o["hypothesis"], NLI.index(amap[o["label"]]), k + 1) for k, o in enumerate(objs)])

    # ---- GLUE QQP tsv ----
    qq = [["id", "qid1", "qid2", "question1", "question2", "is_duplicate"],
          ["133273", "213221", "213222", "How is the life of a math student? Could you describe your own experiences?", "Which level of prepration is enough for the exam jlpt5?", "0"],
          ["402555", "536040", "536041", "How do I control my horny emotions?", "How do you control your horniness?", "1"],
          ["360472", "364011", "490273", "What causes stool color to change to yellow?", "What can cause stool to come out as little balls?", "0"],
          ["150662", "155721", "7256", "What can one do after MBBS?", "What do i do after my MBBS ?", "1"]]
    w(f"{O}/qqp/QQP/dev.tsv", tsv(qq))
    add_pairs("qqp/QQP/dev.tsv", "qqp", [pair(r[0], r[3], r[4], BIN.index(r[5]), k + 2) for k, r in enumerate(qq[1:])])

    # ---- multiple choice ----
    def add_choices(rel, fmt, ex, unlabeled=False):
        exp["choices"].append({"file": rel, "format": fmt, "unlabeled": unlabeled, "examples": ex})

    w(f"{O}/hellaswag/hellaswag_val.jsonl", head_lines(f"{D}/hellaswag/hellaswag_val.jsonl", 50))
    objs = [json.loads(l) for l in open(f"{O}/hellaswag/hellaswag_val.jsonl", encoding="utf-8")]
    hs = lambda o, k: {"id": str(o["ind"]), "context": o["ctx_a"], "choices": [o["ctx_b"] + " " + e for e in o["endings"]],
                       "label": o.get("label", -1), "line": k + 1}  # jiant hellaswag.py
    add_choices("hellaswag/hellaswag_val.jsonl", "hellaswag", [hs(o, k) for k, o in enumerate(objs)])
    objs = [{"ind": 4, "activity_label": "Removing ice from car", "ctx_a": "Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles.",
             "ctx_b": "then", "ctx": "Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles. then",
             "split": "train", "split_type": "indomain", "label": 3,
             "endings": [", the man adds wax to the windshield and cuts it.", ", a person board a ski lift, while two men supporting the head of the person wearing winter clothes snow as the we girls sled.",
                         ", the man puts on a christmas coat, knitted with netting.", ", the man continues removing the snow on his car."]},
            {"ind": 8, "activity_label": "Baking cookies", "ctx_a": "A female chef in white uniform shows a stack of baking pans in a large kitchen presenting them.",
             "ctx_b": "the pans", "ctx": "A female chef in white uniform shows a stack of baking pans in a large kitchen presenting them. the pans",
             "split": "train", "split_type": "indomain", "label": 0,
             "endings": ["contain egg yolks and baking soda.", "are then sprinkled with brown sugar.", "are placed in a strainer on the counter.", "are filled with pastries and loaded into the oven."]}]
    w(f"{O}/hellaswag/hellaswag_train.jsonl", "".join(json.dumps(o) + "\n" for o in objs))
    add_choices("hellaswag/hellaswag_train.jsonl", "hellaswag", [hs(o, k) for k, o in enumerate(objs)])

    cos = [{"id": "3Q9SPIIRWJKVQ8244310E8TUS6YWAC##34V1S5K3GTZMDUBNBIGY93FLDOB690##A1S1K7134S2VUC##Blog_1044056##q1_a1##3XU9MCX6VQQG7YPLCSAFDPQNH4GR20",
            "context": "Good Old War and person L : I saw both of these bands Wednesday night , and they both blew me away . seriously . Good Old War is acoustic and makes me smile .",
            "question": "In the future , will this person go to see other bands play ?",
            "answer0": "None of the above choices .", "answer1": "This person likes music and likes to see the show , they will see other bands play .",
            "answer2": "This person only likes Good Old War and Person L , no other bands .", "answer3": "Other Bands is not on tour and this person can not see them .", "label": "1"},
           {"id": "3E24UO25QZOMYXHZN4S5ZX4CE9Y0RT##3IJXV6UZ1XIDZZ79I9BGK53GSGYRIW##A2W8D8WS6T6OHR##Blog_617085##q1_a1##3VADEH0UHCU5ASA2XQGZ7WDLXV3SP4",
            "context": "She said, \"I'll be there by noon\", and hung up.\nThen, two hours later, nothing.\n\nI waited, \"patiently\" .",
            "question": "Why might the narrator be upset ?", "answer0": "Because she arrived early , on time .",
            "answer1": "Because, as promised, she came \"by noon\".", "answer2": "Because she did not arrive when she said she would .", "answer3": "None of the above choices .", "label": "2"},
           {"id": "3KTCJ4SCVI0JU8ZUIN9NMGQ0YVYM1G##3L2IS5HSFAJ8BIWHZHBTE4YXIZ4UN5##A3NUEF8QONMHPQ##Blog_33914##q1_a1##3LXX8KJXPYBPGUF5R3X0Y3MD3LWO9U",
            "context": "A plain context , with commas , but no quotes .", "question": "What is it ?",
            "answer0": "A context .", "answer1": "A question .", "answer2": "A list .", "answer3": "A plain one , with commas .", "label": "3"}]
    keys = ["id", "context", "question", "answer0", "answer1", "answer2", "answer3", "label"]
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\r\n")  # pandas to_csv-style RFC-4180 output
    wr.writerow(keys)
    lines, line = [], 2
    for o in cos:
        wr.writerow([o[k] for k in keys])
        lines.append(line)
        line += sum(o[k].count("\n") for k in keys) + 1
    w(f"{O}/cosmosqa/train.csv", buf.getvalue())
    # read back with Python's csv module (the independent reading)
    back = list(csv.DictReader(open(f"{O}/cosmosqa/train.csv", encoding="utf-8", newline="")))
    cq = lambda o, ln: {"id": o["id"], "context": o["context"] + " " + o["question"],  # jiant cosmosqa.py prompt
                        "choices": [o["answer%d" % i] for i in range(4)], "label": int(o["label"]), "line": ln}
    add_choices("cosmosqa/train.csv", "cosmosqa-csv", [cq(o, ln) for o, ln in zip(back, lines)])
    w(f"{O}/cosmosqa/valid.jsonl", "".join(json.dumps(o) + "\n" for o in cos))
    add_choices("cosmosqa/valid.jsonl", "cosmosqa-jsonl", [cq(o, k + 1) for k, o in enumerate(cos)])

    w(f"{O}/commonsenseqa/dev_rand_split.hf-format.jsonl", head_lines(f"{D}/commonsenseqa/dev_rand_split.hf-format.jsonl", 50))
    objs = [json.loads(l) for l in open(f"{O}/commonsenseqa/dev_rand_split.hf-format.jsonl", encoding="utf-8")]
    L5 = ["A", "B", "C", "D", "E"]
    add_choices("commonsenseqa/dev_rand_split.hf-format.jsonl", "commonsenseqa",
                [{"id": o["id"], "context": o["question"], "choices": [dict(zip(o["choices"]["label"], o["choices"]["text"]))[c] for c in L5],
                  "label": L5.index(o["answerKey"]), "line": k + 1} for k, o in enumerate(objs)])
    orig = []
    for k, o in enumerate(objs[:10]):
        ch = [{"label": l, "text": t} for l, t in zip(o["choices"]["label"], o["choices"]["text"])]
        if k == 2:
            ch = ch[::-1]  # choice order in the file does not matter: jiant maps by label
        orig.append({"answerKey": o["answerKey"], "id": o["id"],
                     "question": {"question_concept": o["question_concept"], "choices": ch, "stem": o["question"]}})
    w(f"{O}/commonsenseqa/train_rand_split.jsonl", "".join(json.dumps(o) + "\n" for o in orig))
    add_choices("commonsenseqa/train_rand_split.jsonl", "commonsenseqa",
                [{"id": o["id"], "context": o["question"]["stem"], "choices": [{c["label"]: c["text"] for c in o["question"]["choices"]}[x] for x in L5],
                  "label": L5.index(o["answerKey"]), "line": k + 1} for k, o in enumerate(orig)])
    test = [{"id": o["id"], "question": o["question"]} for o in orig[:3]]
    w(f"{O}/commonsenseqa/test_rand_split_no_answers.jsonl", "".join(json.dumps(o) + "\n" for o in test))
    add_choices("commonsenseqa/test_rand_split_no_answers.jsonl", "commonsenseqa",
                [{"id": o["id"], "context": o["question"]["stem"], "choices": [{c["label"]: c["text"] for c in o["question"]["choices"]}[x] for x in L5],
                  "label": -1, "line": k + 1} for k, o in enumerate(test)], unlabeled=True)

    with open(f"{O}/expected.json", "w", encoding="utf-8") as f:
        json.dump(exp, f, ensure_ascii=False, indent=0)
        f.write("\n")


if __name__ == "__main__":
    main()
