#!/usr/bin/env python3
"""compare_table.py — bench/compare.sh's raw JSON lines -> the side-by-side markdown table.

usage: compare_table.py RAW.jsonl

Each line: {"system": LABEL, "load": loadavg, "r": <xstilts bench --json object | bench/anchor.py line>}.
Systems measured under two OpenMP wait policies ("<name>-default" / "<name>-passive") count with the better
of the two per round; the table holds medians over the rounds, the number of rounds each median is over,
peak RSS medians, the ratios xstilts / anchor for tokens/s and for peak RSS, and the load averages seen.
"""
import json
import statistics
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    rows = []
    with open(sys.argv[1]) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    sys.exit(f"{sys.argv[1]}:{n}: not a JSON object: {e}")
    work = {}
    for r in rows:
        x = r["r"]
        k = (x.get("kind", x.get("mode")), x["arch"], x.get("size", ""), x["batch"], x["seq"], x.get("data", "random"))
        work.setdefault(k, {}).setdefault(r["system"], []).append(r)
    names = {"xstilts": "xstilts", "ort": "ONNX Runtime", "torch": "PyTorch"}
    print("| work | system | tokens/s (median) | rounds | peak RSS MiB (median) | xstilts / system: tokens/s | peak RSS | load |")
    print("|---|---|---|---|---|---|---|---|")
    for (mode, arch, size, b, s, data), systems in work.items():
        shape = f"{b} x {s}" if data == "random" else f"{b} x natural length (max {s}), {data}"
        title = f"{'inference' if mode == 'infer' else 'training step'}, {'XLM-R' if arch == 'xlmr' else 'BERT'}-{size} shape, {shape}"
        merged = {}
        for base in ("xstilts", "ort", "torch"):
            if base in systems:  # one policy only (older raw files: plain "xstilts")
                merged[base] = systems[base]
                continue
            d, p = systems.get(base + "-default", []), systems.get(base + "-passive", [])
            per_round = []
            for i in range(max(len(d), len(p))):
                c = d[i:i + 1] + p[i:i + 1]
                per_round.append(max(c, key=lambda x: x["r"]["tokens_per_s"]))
            if per_round:
                merged[base] = per_round
        med = {n: statistics.median([x["r"]["tokens_per_s"] for x in v]) for n, v in merged.items()}
        rss = {n: statistics.median([x["r"]["peak_rss_mb"] for x in v]) for n, v in merged.items()}
        for n, v in merged.items():
            loads = [x["load"] for x in v]
            ver = v[0]["r"].get("version", "")
            ratio = rratio = ""
            if n != "xstilts" and "xstilts" in med:
                ratio = f"**{med['xstilts'] / med[n]:.2f}x**"
                rratio = f"{rss['xstilts'] / rss[n]:.2f}x"
            print(f"| {title} | {names[n]} {ver} | {med[n]:.1f} | {len(v)} | {rss[n]:.0f} | {ratio} | {rratio} | "
                  f"{min(loads):.1f}–{max(loads):.1f} |")


if __name__ == "__main__":
    main()
