#!/usr/bin/env python3
"""bench_faiss.py — the faiss side of bench/bench_retrieval.sh.

  gen N D PREFIX   write PREFIX.x.npy and PREFIX.y.npy: N x D float32 standard normal rows (seeded), in chunks
                   through a memory map so 200k x 768 never sits twice in memory.
  knn PREFIX K T   what XTREME's mine_bitext does for the k-NN part: faiss.normalize_L2 both sides, then
                   IndexFlatIP k-NN x->y and y->x (k = K) with faiss.omp_set_num_threads(T); prints
                   "faiss_knn_seconds S" (normalisation + both searches, not the .npy loading).
"""
import sys
import time

import numpy as np


def gen(n, d, prefix):
    rng = np.random.default_rng(2024)
    for side in ("x", "y"):
        m = np.lib.format.open_memmap(f"{prefix}.{side}.npy", mode="w+", dtype="<f4", shape=(n, d))
        for i in range(0, n, 10000):
            m[i:i + 10000] = rng.standard_normal((min(10000, n - i), d), dtype=np.float32)
        m.flush()
        del m


def knn(prefix, k, threads):
    import faiss

    faiss.omp_set_num_threads(threads)
    x = np.load(f"{prefix}.x.npy")
    y = np.load(f"{prefix}.y.npy")
    t0 = time.time()
    faiss.normalize_L2(x)
    faiss.normalize_L2(y)
    for q, db in ((x, y), (y, x)):
        idx = faiss.IndexFlatIP(q.shape[1])
        idx.add(db)
        idx.search(q, k)
        del idx
    print(f"faiss_knn_seconds {time.time() - t0:.3f}")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        knn(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
