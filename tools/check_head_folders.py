#!/usr/bin/env python3
"""check_head_folders.py — do model folders WRITTEN BY XSTILTS with a task head load in Hugging Face's matching
*For* class, with no missing / unexpected / mismatched keys, and give xstilts' logits?

Runs the test binary build/tests/test_model_head with XS_HEAD_FOLDERS=<tmp> (it writes, for each arch in
{xlmr, bert} and head in {seqcls, choice, tokcls, qa, mlm}, a tiny HF-initialized model with that head via
model_add_head + model_save into <tmp>/<arch>_<head>/, plus xstilts_logits.safetensors: the fixed batch and
xstilts' inference logits), then loads each folder with <Class>.from_pretrained(dir, output_loading_info=True)
(the class named in config.json's "architectures" must be the expected one; num_labels from its id2label),
runs HF in eval mode (fp32, eager attention) on the same batch and compares:
  max |xstilts - HF| / max |HF| <= 1e-5.
Then `xstilts init --head KIND` folders (tiny, both archs, every head) are loaded the same way (keys only).
Prints one line per folder and exits 1 on any failure. The reverse direction (HF-written folders loaded by
xstilts) is tests/test_model_head.c on tools/gen_model_head_fixtures.py's folders.
Run from the repository root after `make build/tests/test_model_head`:
  /path/to/venv/bin/python tools/check_head_folders.py [path/to/test_model_head]
"""
import json
import os
import subprocess
import sys
import tempfile
import torch
from safetensors.torch import load_file
import transformers
from transformers import (BertForMaskedLM, BertForMultipleChoice, BertForQuestionAnswering,
                          BertForSequenceClassification, BertForTokenClassification,
                          XLMRobertaForMaskedLM, XLMRobertaForMultipleChoice, XLMRobertaForQuestionAnswering,
                          XLMRobertaForSequenceClassification, XLMRobertaForTokenClassification)

CLASSES = {
    "xlmr": dict(seqcls=XLMRobertaForSequenceClassification, choice=XLMRobertaForMultipleChoice,
                 tokcls=XLMRobertaForTokenClassification, qa=XLMRobertaForQuestionAnswering, mlm=XLMRobertaForMaskedLM),
    "bert": dict(seqcls=BertForSequenceClassification, choice=BertForMultipleChoice,
                 tokcls=BertForTokenClassification, qa=BertForQuestionAnswering, mlm=BertForMaskedLM),
}
NCHOICES = 3


def check(d, arch, head):
    cls = CLASSES[arch][head]
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    assert cfg["architectures"] == [cls.__name__], cfg["architectures"]
    model, info = cls.from_pretrained(d, dtype=torch.float32, attn_implementation="eager", output_loading_info=True)
    model.eval()
    bad = {k: sorted(v) for k, v in info.items() if v}
    x = load_file(os.path.join(d, "xstilts_logits.safetensors"))
    ids, types, mask = x["input_ids"].long(), x["token_type_ids"].long(), x["attention_mask"].long()
    B, T = ids.shape
    if head == "choice":
        fwd = dict(input_ids=ids.view(-1, NCHOICES, T), attention_mask=mask.view(-1, NCHOICES, T),
                   token_type_ids=types.view(-1, NCHOICES, T) if arch == "bert" else None)
    else:
        fwd = dict(input_ids=ids, attention_mask=mask, token_type_ids=types if arch == "bert" else None)
    with torch.no_grad():
        out = model(**fwd)
    ref = torch.stack([out.start_logits, out.end_logits]) if head == "qa" else out.logits
    ref = ref.reshape(-1)
    got = x["logits"]
    assert got.numel() == ref.numel(), (got.numel(), ref.numel())
    mx = ref.abs().max().item()
    err = (got - ref).abs().max().item() / mx
    ok = not bad and err <= 1e-5
    n_keys = len(model.state_dict())
    print(f"{arch}_{head:7s} {cls.__name__:38s} keys: missing 0, unexpected 0, mismatched 0" if not bad else
          f"{arch}_{head:7s} {cls.__name__:38s} LOADING INFO {bad}",
          f"| {got.numel()} logits, max|HF| {mx:.3g}, max|xstilts-HF|/max|HF| {err:.2e} {'ok' if ok else 'FAIL'}")
    return ok


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join("build", "tests", "test_model_head")
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, XS_HEAD_FOLDERS=tmp)
        r = subprocess.run([binary], env=env, capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout[-3000:], r.stderr[-3000:])
            sys.exit(f"{binary} failed ({r.returncode})")
        print(f"transformers {transformers.__version__}, torch {torch.__version__}")
        good = True
        for arch in ("xlmr", "bert"):
            for head in ("seqcls", "choice", "tokcls", "qa", "mlm"):
                good &= check(os.path.join(tmp, f"{arch}_{head}"), arch, head)
        # `xstilts init --head`: the CLI path writes the same layout (keys only: random weights, no batch)
        xs = os.path.join("build", "xstilts")
        toks = dict(xlmr="tests/fixtures/tok/xlmr16k.model", bert="tests/fixtures/tok/bert-uncased-vocab.txt")
        kinds = dict(seqcls=("seq_cls", ["--num-labels", "3"]), choice=("multiple_choice", []),
                     tokcls=("token_cls", ["--num-labels", "5"]), qa=("span_qa", []), mlm=("mlm", []))
        for arch in ("xlmr", "bert"):
            for head, (kind, extra) in kinds.items():
                d = os.path.join(tmp, f"init_{arch}_{head}")
                subprocess.run([xs, "init", "--arch", arch, "--size", "tiny", "--tokenizer", toks[arch], "--out", d,
                                "--head", kind, "--seed", "3"] + extra, check=True, capture_output=True)
                cls = CLASSES[arch][head]
                _, info = cls.from_pretrained(d, output_loading_info=True)
                bad = {k: sorted(v) for k, v in info.items() if v}
                good &= not bad
                print(f"xstilts init --arch {arch} --head {kind:15s} -> {cls.__name__:38s}",
                      "keys: missing 0, unexpected 0, mismatched 0 ok" if not bad else f"LOADING INFO {bad} FAIL")
    print("all 10 folders load with no missing / unexpected keys and xstilts' logits; init --head folders too"
          if good else "FAILED")
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
