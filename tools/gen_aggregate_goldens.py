#!/usr/bin/env python3
"""gen_aggregate_goldens.py — fixtures for tests/test_aggregate.c: tests/fixtures/aggregate/*.json.

Synthetic per-language results for the 9 XTREME tasks (random percentages, each task with the metrics its
official metric function returns) are aggregated by the OFFICIAL google-research/xtreme evaluate.py
`evaluate()`, imported from a local checkout (--xtreme DIR; its code is not copied here). Only its scoring
step is replaced (evaluate_one_task returns the synthetic numbers for the (task, language) whose empty files
it is asked about); the averaging, avg_metric, group and all_task logic is the official one.

Cases: full (9 tasks), partial (mlqa and tatoeba absent → no all_task, no qa/retrieval group), and extra
(an unknown task and non-XTREME languages, which evaluate.py ignores, plus the non-metric keys that
`xstilts score` writes — task, lang, counts, seqeval accuracy — added after the official run).
Each case: <name>.in.json ({task: {lang: {metric: value}}}) and <name>.expected.json (evaluate.py's report).

Run: tools/.venv/bin/python tools/gen_aggregate_goldens.py --xtreme /tmp/xtreme
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np

OUT = "tests/fixtures/aggregate"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xtreme", required=True)
    args = ap.parse_args()
    sys.path.insert(0, args.xtreme)
    import evaluate as ev  # the official evaluate.py

    rng = np.random.RandomState(7)
    t2l = ev.XTREME_TASK2LANGS

    def metrics_for(task):
        if task in ("pawsx", "xnli", "tatoeba"):
            return {"accuracy": float(rng.uniform(20, 95))}
        if task in ("panx", "udpos", "bucc2018"):
            p, r = rng.uniform(30, 95, 2)
            return {"f1": float(2 * p * r / (p + r)), "precision": float(p), "recall": float(r)}
        em = float(rng.uniform(20, 70))
        return {"exact_match": em, "f1": em + float(rng.uniform(5, 20))}

    full = {t: {l: metrics_for(t) for l in langs} for t, langs in t2l.items()}
    partial = {t: v for t, v in full.items() if t not in ("mlqa", "tatoeba")}
    extra = json.loads(json.dumps(full))
    extra["xcopa"] = {"et": {"accuracy": 55.0}}
    extra["xnli"]["my"] = {"accuracy": 33.3}
    extra["pawsx"]["it"] = {"accuracy": 90.0}

    def run_official(results):
        with tempfile.TemporaryDirectory() as td:
            pred, lab = os.path.join(td, "pred"), os.path.join(td, "lab")
            for task, langs in results.items():
                for d in (pred, lab):
                    os.makedirs(os.path.join(d, task), exist_ok=True)
                suffix = ev.get_suffix(task, ev.XTREME_GROUP2TASK)
                for lg in langs:
                    for d in (pred, lab):
                        open(os.path.join(d, task, f"test-{lg}.{suffix}"), "w").close()

            def fake_one(prediction_file, label_file, task, language=None):
                return dict(results[task][language])

            ev.evaluate_one_task = fake_one
            groups, detailed = ev.evaluate(pred, lab, "xtreme")
            groups.update(detailed)
            return groups

    os.makedirs(OUT, exist_ok=True)
    for name, res in (("full", full), ("partial", partial), ("extra", extra)):
        exp = run_official(res)
        if name == "extra":
            # what `xstilts score` writes beside the metrics; evaluate.py never sees these keys
            for t, langs in res.items():
                for lg, m in langs.items():
                    m.update({"task": t, "lang": lg, "total": 1190, "correct": 7})
                    if t in ("panx", "udpos"):
                        m["accuracy"] = 99.0
        with open(os.path.join(OUT, f"{name}.in.json"), "w") as f:
            json.dump(res, f, indent=1)
        with open(os.path.join(OUT, f"{name}.expected.json"), "w") as f:
            json.dump(exp, f, indent=1)
        print(name, {k: round(v, 4) for k, v in exp.items() if not isinstance(v, dict)})


if __name__ == "__main__":
    main()
