#!/usr/bin/env python3
"""plot_scaling.py — bench/scaling.sh's JSON lines -> an SVG (standard library only) and a markdown table.

usage: plot_scaling.py SCALING.jsonl OUT.svg

Four panels: inference and training, (left) tokens/s and (right) milliseconds per sequence against sequence
length, one line per batch size, log2 x axis. Cost per sequence shows the growth: linear in length for the
GEMMs, quadratic for attention; peak RSS goes in the table (printed on stdout).
"""
import json
import math
import os
import sys


def nice_max(v):
    if v <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if m * e >= v:
            return m * e
    return 10 * e


COLORS = ["#1b6ca8", "#d1495b", "#2a9d3f", "#8e44ad", "#e08e0b"]


def panel(x0, y0, w, h, title, series, ylabel):
    """series: {label: [(seq, value), ...]}"""
    out = []
    seqs = sorted({s for pts in series.values() for s, _ in pts})
    ymax = nice_max(max([v for pts in series.values() for _, v in pts] + [0]))
    lx0, lx1 = math.log2(seqs[0]), math.log2(seqs[-1]) if len(seqs) > 1 else math.log2(seqs[0]) + 1

    def px(s):
        return x0 + 50 + (math.log2(s) - lx0) / max(lx1 - lx0, 1e-9) * (w - 70)

    def py(v):
        return y0 + h - 30 - v / ymax * (h - 60)

    out.append(f'<text x="{x0 + w / 2}" y="{y0 + 16}" text-anchor="middle" font-size="13" font-weight="bold">{title}</text>')
    out.append(f'<line x1="{x0 + 50}" y1="{py(0)}" x2="{x0 + w - 20}" y2="{py(0)}" stroke="#444"/>')
    out.append(f'<line x1="{x0 + 50}" y1="{py(0)}" x2="{x0 + 50}" y2="{py(ymax)}" stroke="#444"/>')
    for i in range(5):
        v = ymax * i / 4
        out.append(f'<line x1="{x0 + 47}" y1="{py(v)}" x2="{x0 + w - 20}" y2="{py(v)}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 + 44}" y="{py(v) + 4}" text-anchor="end" font-size="10">{v:g}</text>')
    for s in seqs:
        out.append(f'<text x="{px(s)}" y="{py(0) + 14}" text-anchor="middle" font-size="10">{s}</text>')
    out.append(f'<text x="{x0 + w / 2 + 15}" y="{y0 + h - 2}" text-anchor="middle" font-size="10">sequence length</text>')
    out.append(f'<text x="{x0 + 12}" y="{y0 + h / 2}" font-size="10" text-anchor="middle" '
               f'transform="rotate(-90 {x0 + 12} {y0 + h / 2})">{ylabel}</text>')
    for i, (label, pts) in enumerate(series.items()):
        c = COLORS[i % len(COLORS)]
        pts = sorted(pts)
        d = " ".join(f"{'M' if j == 0 else 'L'}{px(s):.1f},{py(v):.1f}" for j, (s, v) in enumerate(pts))
        out.append(f'<path d="{d}" fill="none" stroke="{c}" stroke-width="2"/>')
        for s, v in pts:
            out.append(f'<circle cx="{px(s):.1f}" cy="{py(v):.1f}" r="3" fill="{c}"/>')
        out.append(f'<text x="{x0 + w - 90}" y="{y0 + 34 + 14 * i}" font-size="10" fill="{c}">{label}</text>')
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    rows = []
    with open(sys.argv[1]) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"{sys.argv[1]}:{n}: not a JSON object: {e}")
    if not rows:
        sys.exit(f"{sys.argv[1]}: no measurements")
    W, H = 900, 560
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           f'font-family="sans-serif"><rect width="{W}" height="{H}" fill="white"/>']
    r0 = rows[0]
    svg.append(f'<text x="{W / 2}" y="18" text-anchor="middle" font-size="14">xstilts, {r0["arch"].upper()}-{r0["size"]} '
               f'shape (vocab {r0["vocab"]}), {r0["threads"]} threads, fp32</text>')
    for i, mode in enumerate(("infer", "train")):
        sub = [r for r in rows if r["kind"] == mode]
        if not sub:
            continue
        tps, ms = {}, {}
        for r in sub:
            tps.setdefault(f"batch {r['batch']}", []).append((r["seq"], r["tokens_per_s"]))
            ms.setdefault(f"batch {r['batch']}", []).append((r["seq"], 1000.0 * r["median_s"] / r["batch"]))
        name = "inference (forward + mean pool)" if mode == "infer" else "training step (fwd + bwd + AdamW)"
        svg += panel(0, 30 + i * 265, W / 2, 260, f"{name}: tokens/s", tps, "tokens/s")
        svg += panel(W / 2, 30 + i * 265, W / 2, 260, f"{name}: ms per sequence", ms, "ms / sequence")
    svg.append("</svg>")
    tmp = sys.argv[2] + f".tmp{os.getpid()}"
    os.makedirs(os.path.dirname(os.path.abspath(sys.argv[2])), exist_ok=True)
    with open(tmp, "w") as f:
        f.write("\n".join(svg) + "\n")
    os.replace(tmp, sys.argv[2])
    print("| work | batch | seq | tokens/s | ms / sequence | peak RSS MiB | load |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {'inference' if r['kind'] == 'infer' else 'training step'} | {r['batch']} | {r['seq']} | "
              f"{r['tokens_per_s']:.0f} | {1000 * r['median_s'] / r['batch']:.0f} | {r['peak_rss_mb']:.0f} | "
              f"{r.get('load', float('nan')):.1f} |")


if __name__ == "__main__":
    main()
