#!/usr/bin/env python3
"""scaling_model.py — the cost model of docs/SCALING.md: data-parallel training of XLM-R Base / Large over N nodes
(all-reduce of the whole gradient block per update), and the X-STILTs grid's wall time on 8 and 64 nodes.

Every assumption is a flag (defaults are docs/SCALING.md's); no input files, plain Python 3, prints Markdown tables.
  python3 tools/scaling_model.py [--node-gflops 2200] [--tokens-per-update 2048] [--latency-us 10] ...
"""
import argparse
import heapq


def params(vocab, H, L, F, pos=514, types=1):
    emb = vocab * H + pos * H + types * H + 2 * H
    layer = 4 * (H * H + H) + 2 * H + (H * F + F) + (F * H + H) + 2 * H
    pooler = H * H + H
    return emb, L * layer, pooler


MODELS = {  # name: (vocab, hidden, layers, ffn)
    "XLM-R Base": (250002, 768, 12, 3072),
    "XLM-R Large": (250002, 1024, 24, 4096),
}


def flop_per_token(H, L, F, T):
    """Training FLOPs per token: 3 x forward (backward = 2 x forward); forward = 2 x the encoder's matrix
    parameters plus attention's two T x T products (2 x 2 x T x H per layer)."""
    fwd = L * (2 * (4 * H * H + 2 * H * F) + 4 * T * H)
    return 3 * fwd


def allreduce_s(nbytes, N, bw_Bps, alpha_s, kind="ring", chunk=4 << 20):
    if N <= 1:
        return 0.0
    if kind == "ring":  # reduce-scatter + all-gather
        return 2 * (N - 1) / N * nbytes / bw_Bps + 2 * (N - 1) * alpha_s
    # dist_mpi.c: pipelined chain reduce in rank order (fill (N-1) chunks) + broadcast (~1 x bytes, pipelined)
    return 2 * nbytes / bw_Bps + (N - 1) * (chunk / bw_Bps + alpha_s) + 2 * alpha_s * (N - 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--node-gflops", type=float, default=2200.0,
                    help="achieved training GFLOP/s of one node (default: 32 cores x 68.5, this VM's measured per-core "
                         "sgemm rate in the encoder, docs/BENCHMARKS.md)")
    ap.add_argument("--tokens-per-update", type=int, default=2048, help="global batch 32 x ~64 tokens (classification)")
    ap.add_argument("--seq", type=int, default=128, help="sequence length for the attention term")
    ap.add_argument("--latency-us", type=float, default=10.0, help="per-message latency alpha")
    ap.add_argument("--links", default="10,25,100", help="link speeds, Gb/s")
    ap.add_argument("--nodes", default="1,2,4,8,16,32,64")
    ap.add_argument("--kind", default="ring", choices=["ring", "chain"])
    a = ap.parse_args()
    links = [float(x) for x in a.links.split(",")]
    nodes = [int(x) for x in a.nodes.split(",")]
    alpha = a.latency_us * 1e-6
    F = a.node_gflops * 1e9

    print("## Models\n")
    print("| model | parameters | of which embeddings | gradient block | training GFLOP/token (T=%d) |" % a.seq)
    print("|---|---|---|---|---|")
    info = {}
    for name, (V, H, L, Fd) in MODELS.items():
        e, enc, pool = params(V, H, L, Fd)
        tot = e + enc + pool
        fpt = flop_per_token(H, L, Fd, a.seq)
        info[name] = (tot, e, fpt)
        print("| %s | %.1f M | %.1f M (%.0f %%) | %.2f GB | %.2f |" % (name, tot / 1e6, e / 1e6, 100 * e / tot,
                                                                    4 * tot / 1e9, fpt / 1e9))

    print("\n## Update time and speed-up over N nodes (global batch fixed: %d tokens per update, %s all-reduce)\n"
          % (a.tokens_per_update, a.kind))
    for name, (tot, e, fpt) in info.items():
        t1 = a.tokens_per_update * fpt / F
        print("**%s**: one node %.2f s of compute per update; the all-reduce moves %.2f GB.\n" % (name, t1, 4 * tot / 1e9))
        print("| link | " + " | ".join("N=%d" % n for n in nodes) + " |")
        print("|---|" + "---|" * len(nodes))
        for gb in links:
            bw = gb * 1e9 / 8
            cells = []
            for n in nodes:
                t = t1 / n + allreduce_s(4 * tot, n, bw, alpha, a.kind)
                cells.append("%.2f s, %.2fx" % (t, t1 / t))
            print("| %g Gb/s | " % gb + " | ".join(cells) + " |")
        # where the all-reduce equals the compute: efficiency 50 %
        for gb in links:
            bw = gb * 1e9 / 8
            n = 1
            while n < 4096 and t1 / n > allreduce_s(4 * tot, n, bw, alpha, a.kind):
                n += 1
            ar = allreduce_s(4 * tot, max(n, 2), bw, alpha, a.kind)
            print("\n- %g Gb/s: all-reduce %.2f s per update; it exceeds the per-node compute from N = %d on" % (gb, ar, n),
                  end="")
        print("\n")

    grid(a, info, links)


# The grid: phase 1 (intermediate training, 3 epochs, XLM-R Large) on 9 tasks, then phase 2 (the 6 trainable target
# training sets; XQuAD and MLQA share the SQuAD training) for each of 10 encoders (9 intermediate + the plain model).
# (name, examples, rows per example, mean tokens per row, epochs)
PHASE1 = [("ANLI+", 1104000, 1, 64, 3), ("MNLI", 392702, 1, 64, 3), ("QQP", 363846, 1, 40, 3),
          ("SQuAD v1.1", 87599, 1.05, 384, 3), ("SQuAD v2.0", 130319, 1.05, 384, 3), ("HellaSwag", 39905, 4, 100, 3),
          ("CCG", 38000, 1, 40, 3), ("Cosmos QA", 25000, 4, 150, 3), ("CommonsenseQA", 9741, 5, 32, 3)]
PHASE2 = [("XNLI (MNLI)", 392702, 1, 64, 2), ("PAWS-X", 49401, 1, 64, 5), ("UD-POS", 21253, 1, 40, 10),
          ("PAN-X", 20000, 1, 32, 10), ("XQuAD/MLQA (SQuAD v1.1)", 87599, 1.05, 384, 2), ("TyDiQA-GoldP", 3696, 1.05, 384, 2)]


def job_hours(job, fpt, F):
    _, n, per, tok, ep = job
    return n * per * tok * ep * fpt / F / 3600


def schedule(P, p1, p2, dp_speedup):
    """List scheduling on P nodes, longest job first: the phase-1 jobs, then each encoder's phase-2 jobs once it is
    ready (the plain model's at once). A job takes d nodes (speed-up dp_speedup(d)) when nodes outnumber the jobs
    of its phase: d = P // jobs. Returns the makespan in hours."""
    free = [0.0] * P  # when each node is free

    def run(h, d, release):
        free.sort()
        t = max(release, free[d - 1])
        end = t + h / dp_speedup(d)
        for i in range(d):
            free[i] = end
        return end

    d1 = max(1, P // len(p1))
    ready = [run(h, d1, 0.0) for h in sorted(p1, reverse=True)]
    ready.append(0.0)  # the plain model needs no phase 1
    jobs = sorted([(r, h) for r in ready for h in p2], key=lambda x: (x[0], -x[1]))
    d2 = max(1, P // len(jobs))
    end = max(ready)
    for r, h in jobs:
        end = max(end, run(h, d2, r))
    return end


def grid(a, info, links):
    name = "XLM-R Large"
    tot, e, fpt = info[name]
    F = a.node_gflops * 1e9
    p1 = [job_hours(j, flop_per_token(1024, 24, 4096, min(j[3], 384)), F) for j in PHASE1]
    p2 = [job_hours(j, flop_per_token(1024, 24, 4096, min(j[3], 384)), F) for j in PHASE2]
    one = sum(p1) + 10 * sum(p2)
    toks1 = sum(n * per * tok * ep for _, n, per, tok, ep in PHASE1)
    toks2 = sum(n * per * tok * ep for _, n, per, tok, ep in PHASE2)
    print("## The study's grid on %s\n" % name)
    print("Phase 1: %d intermediate runs, %.0f M training tokens (%.0f node-hours); phase 2: 10 encoders x %d target "
          "trainings, %.0f M tokens each encoder (%.0f node-hours each); full epochs, no early stop, evaluation not "
          "counted.\n" % (len(PHASE1), toks1 / 1e6, sum(p1), len(PHASE2), toks2 / 1e6, sum(p2)))
    print("| nodes | cells in parallel only | + data parallel inside cells, 10 / 25 / 100 Gb/s |")
    print("|---|---|---|")
    t1 = a.tokens_per_update * fpt / F

    def sp(gb):
        bw = gb * 1e9 / 8
        return lambda d: 1.0 if d <= 1 else t1 / (t1 / d + allreduce_s(4 * tot, d, bw, a.latency_us * 1e-6, a.kind))

    for P in (1, 8, 64):
        only = schedule(P, p1, p2, lambda d: 1.0)
        dp = [schedule(P, p1, p2, lambda d, f=sp(gb): max(1.0, f(d))) for gb in links]
        print("| %d | %.0f h (%.1f days) | %s |" % (P, only, only / 24, " / ".join("%.0f h" % x for x in dp)))
    print("\nOne node, everything in sequence: %.0f h (%.1f days)." % (one, one / 24))


if __name__ == "__main__":
    main()
