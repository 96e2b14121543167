#!/usr/bin/env python3
"""check_multihead_folder.py — does a multi-head folder written by `xstilts train --task a:F,b:F,...` load in Hugging
Face? (docs/HEADS.md, "Several heads in one model".)

For the folder DIR: the class named in config.json's "architectures" (the first task's head, under HF's plain names)
is loaded with output_loading_info=True: no missing and no mismatched keys; the unexpected keys must be exactly the
other heads' tensors (every name under a prefix of "xstilts_heads") plus a pooler that only those heads use. Then
each prefixed head is loaded alone: its tensors renamed to the plain names, into its own *For* class with its label
count (strict: no missing, no unexpected head key). AutoModel (the encoder) loads with no missing key.
Prints one line per check; exits 1 on a failure. Run:
  tools/.venv/bin/python tools/check_multihead_folder.py DIR
"""
import json
import sys
import transformers
from safetensors.torch import load_file

KIND2SUFFIX = {"seq_cls": "ForSequenceClassification", "multiple_choice": "ForMultipleChoice",
               "token_cls": "ForTokenClassification", "span_qa": "ForQuestionAnswering", "mlm": "ForMaskedLM"}


def main(d):
    cfg = json.load(open(f"{d}/config.json"))
    heads = cfg.get("xstilts_heads")
    if not heads:
        print(f"{d}: no xstilts_heads (a one-head folder)")
        return 1
    base = "Bert" if cfg["model_type"] == "bert" else "XLMRoberta"
    bad = 0
    cls = getattr(transformers, cfg["architectures"][0])
    _, info = cls.from_pretrained(d, output_loading_info=True)
    prefixes = [h["prefix"] for h in heads if h["prefix"]]
    unexpected = sorted(info["unexpected_keys"])
    others = [k for k in unexpected if not any(k.startswith(p) for p in prefixes) and "pooler" not in k]
    ok = not info["missing_keys"] and not info["mismatched_keys"] and not others
    bad += not ok
    print(f"{cfg['architectures'][0]:40s} plain head {heads[0]['task']:12s} missing {len(info['missing_keys'])}, "
          f"mismatched {len(info['mismatched_keys'])}, unexpected {len(unexpected)} (other heads' / pooler: "
          f"{len(unexpected) - len(others)}) {'ok' if ok else 'FAIL ' + str(others + info['missing_keys'])}")
    sd = load_file(f"{d}/model.safetensors")
    for h in heads[1:]:
        klass = getattr(transformers, base + KIND2SUFFIX[h["kind"]])
        c = transformers.AutoConfig.from_pretrained(d)
        if h["kind"] in ("seq_cls", "token_cls"):
            c.num_labels = h["num_labels"]
        m = klass(c)
        own = {k[len(h["prefix"]):]: v for k, v in sd.items() if k.startswith(h["prefix"])}
        enc = {k: v for k, v in sd.items() if not any(k.startswith(p) for p in prefixes) and
               k.startswith(("roberta.", "bert."))}
        want = set(m.state_dict().keys())
        missing = sorted(want - set(own) - set(enc) - {k for k in want if k.endswith(("position_ids", "decoder.weight"))})
        extra = sorted(set(own) - want)
        ok = not missing and not extra and len(own) > 0
        bad += not ok
        print(f"{klass.__name__:40s} head {h['task']:12s} under {h['prefix']:18s} {len(own)} tensors, missing "
              f"{len(missing)}, not in the class {len(extra)} {'ok' if ok else 'FAIL ' + str(missing + extra)}")
    _, info = transformers.AutoModel.from_pretrained(d, output_loading_info=True)
    ok = not info["missing_keys"]
    bad += not ok
    print(f"{'AutoModel (the encoder)':40s} missing {len(info['missing_keys'])}, unexpected (heads) "
          f"{len(info['unexpected_keys'])} {'ok' if ok else 'FAIL'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
