#!/usr/bin/python3
"""vector_ref.py — the reference side of bench/vector.sh: generates the benchmark vectors once
(so needle and the references search the very same data) and times FAISS IndexFlatIP (exact
search) and hnswlib (HNSW build, then an efSearch sweep) on them.

Run with Debian's /usr/bin/python3 (python3-numpy, python3-faiss, python3-hnswlib).

  vector_ref.py gen   --dir D [--n 100000 --nq 10000 --dim 384 --clusters 1000 --spread 1.25 --seed 1234]
  vector_ref.py exact --dir D [--k 10 --repeat 1]    FAISS flat search; writes D/gt.ivecs (the truth)
  vector_ref.py build --dir D [--M 16 --efc 200]     hnswlib build, saved to D/hnswlib.bin
  vector_ref.py sweep --dir D [--efs 16,32,64 --k 10 --repeat 1]   recall@k and QPS per efSearch

The phases are separate so that bench/vector.sh can alternate them with needle's on a shared
machine. Each appends its figures as JSON lines to D/results.jsonl.

The data (written to D/base.fvecs and D/query.fvecs, the usual fvecs layout: int32 dim then
dim float32 per row) imitates sentence-embedding vectors rather than uniform noise:
  - `clusters` topic centres, drawn N(0, I) in `dim` dimensions, with Zipf-like sizes
    (Dirichlet(0.5) weights), so a few topics are large and many are small;
  - within a topic, anisotropic Gaussian spread: per-direction standard deviation decays as
    (1 + j/8)^-0.6 over directions j = 0..dim-1 (a power-law spectrum, as embedding
    covariances have), in a random rotation (so no axis is special), scaled so that the
    spread's total variance is `spread`^2 times the centre's;
  - every row L2-normalised (as sentence-transformers output), so inner product = cosine;
  - queries drawn from the same mixture (same topics), independently of the corpus rows.
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def write_fvecs(path, x):
    x = np.ascontiguousarray(x, dtype=np.float32)
    n, d = x.shape
    out = np.empty((n, d + 1), dtype=np.float32)
    out[:, 0] = np.frombuffer(np.int32(d).tobytes(), dtype=np.float32)[0]
    out[:, 1:] = x
    tmp = path + ".tmp"
    out.tofile(tmp)
    os.replace(tmp, path)


def read_fvecs(path):
    raw = np.fromfile(path, dtype=np.float32)
    d = raw[:1].view(np.int32)[0]
    return np.ascontiguousarray(raw.reshape(-1, d + 1)[:, 1:])


def write_ivecs(path, x):
    x = np.ascontiguousarray(x, dtype=np.int32)
    n, d = x.shape
    out = np.empty((n, d + 1), dtype=np.int32)
    out[:, 0] = d
    out[:, 1:] = x
    tmp = path + ".tmp"
    out.tofile(tmp)
    os.replace(tmp, path)


def read_ivecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    return raw.reshape(-1, raw[0] + 1)[:, 1:]


def mixture(rng, n, centres, weights, rotation, scales):
    labels = rng.choice(len(centres), size=n, p=weights)
    noise = rng.standard_normal((n, len(scales))).astype(np.float32) * scales
    x = centres[labels] + noise @ rotation
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


def cmd_gen(a):
    os.makedirs(a.dir, exist_ok=True)
    meta_path = os.path.join(a.dir, "data.json")
    meta = {"n": a.n, "nq": a.nq, "dim": a.dim, "clusters": a.clusters, "spread": a.spread, "seed": a.seed,
            "generator": "vector_ref.py gen v1"}
    if os.path.exists(meta_path) and json.load(open(meta_path)) == meta:
        print(f"vector data: {a.dir} already holds {meta}", file=sys.stderr)
        return
    rng = np.random.default_rng(a.seed)
    centres = rng.standard_normal((a.clusters, a.dim)).astype(np.float32)
    weights = rng.dirichlet(np.full(a.clusters, 0.5))
    rotation, _ = np.linalg.qr(rng.standard_normal((a.dim, a.dim)))
    rotation = rotation.astype(np.float32)
    scales = (1.0 + np.arange(a.dim) / 8.0) ** -0.6
    scales *= a.spread * np.sqrt(a.dim / np.sum(scales ** 2))
    scales = scales.astype(np.float32)
    base = mixture(rng, a.n, centres, weights, rotation, scales)
    query = mixture(rng, a.nq, centres, weights, rotation, scales)
    write_fvecs(os.path.join(a.dir, "base.fvecs"), base)
    write_fvecs(os.path.join(a.dir, "query.fvecs"), query)
    for stale in ("gt.ivecs", "hnswlib.bin", "needle.vix"):  # derived from the old vectors
        if os.path.exists(os.path.join(a.dir, stale)):
            os.remove(os.path.join(a.dir, stale))
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    print(f"vector data: wrote {a.n} base and {a.nq} query vectors of dimension {a.dim} to {a.dir}", file=sys.stderr)


def load(a):
    return read_fvecs(os.path.join(a.dir, "base.fvecs")), read_fvecs(os.path.join(a.dir, "query.fvecs"))


def log_result(a, record):
    with open(os.path.join(a.dir, "results.jsonl"), "a") as f:
        f.write(json.dumps(record) + "\n")


def cmd_exact(a):
    import faiss
    base, query = load(a)
    index = faiss.IndexFlatIP(base.shape[1])
    index.add(base)
    best = cpu = None
    for _ in range(a.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        _, ids = index.search(query, a.k)
        s, c = time.perf_counter() - t0, time.process_time() - c0
        best = s if best is None else min(best, s)
        cpu = c if cpu is None else min(cpu, c)
    write_ivecs(os.path.join(a.dir, "gt.ivecs"), ids)
    log_result(a, {"side": "faiss", "phase": "exact", "version": faiss.__version__,
                   "threads": faiss.omp_get_max_threads(), "nq": len(query), "n": len(base), "k": a.k,
                   "search_s": best, "qps": len(query) / best, "cpu_s": cpu})
    print(f"faiss exact: {len(query) / best:.1f} QPS ({best:.2f} s for {len(query)} queries)", file=sys.stderr)


def recall_at(found, truth):
    k = truth.shape[1]
    return float(np.mean([len(set(f[:k]) & set(t)) / k for f, t in zip(found, truth)]))


def cmd_build(a):
    import hnswlib
    base, _ = load(a)
    index = hnswlib.Index(space="ip", dim=base.shape[1])
    index.init_index(max_elements=len(base), M=a.M, ef_construction=a.efc, random_seed=100)
    t0 = time.perf_counter()
    index.add_items(base, np.arange(len(base)), num_threads=-1)
    build_s = time.perf_counter() - t0
    index.save_index(os.path.join(a.dir, "hnswlib.bin"))
    log_result(a, {"side": "hnswlib", "phase": "build", "M": a.M, "efc": a.efc, "threads": os.cpu_count(),
                   "build_s": build_s})
    print(f"hnswlib build: {build_s:.1f} s", file=sys.stderr)


def cmd_sweep(a):
    import hnswlib
    base, query = load(a)
    truth = read_ivecs(os.path.join(a.dir, "gt.ivecs"))[:, : a.k]
    index = hnswlib.Index(space="ip", dim=base.shape[1])
    index.load_index(os.path.join(a.dir, "hnswlib.bin"), max_elements=len(base))
    for ef in [int(e) for e in a.efs.split(",")]:
        index.set_ef(ef)
        best = None
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            labels, _ = index.knn_query(query, k=a.k, num_threads=-1)
            s = time.perf_counter() - t0
            best = s if best is None else min(best, s)
        r = recall_at(labels, truth)
        log_result(a, {"side": "hnswlib", "phase": "sweep", "ef": ef, "k": a.k, "recall": r, "qps": len(query) / best})
        print(f"hnswlib ef {ef}: recall@{a.k} {r:.4f}, {len(query) / best:.0f} QPS", file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--dir", required=True)
    g.add_argument("--n", type=int, default=100000)
    g.add_argument("--nq", type=int, default=10000)
    g.add_argument("--dim", type=int, default=384)
    g.add_argument("--clusters", type=int, default=1000)
    g.add_argument("--spread", type=float, default=1.25)
    g.add_argument("--seed", type=int, default=1234)
    e = sub.add_parser("exact")
    e.add_argument("--dir", required=True)
    e.add_argument("--k", type=int, default=10)
    e.add_argument("--repeat", type=int, default=1)
    b = sub.add_parser("build")
    b.add_argument("--dir", required=True)
    b.add_argument("--M", type=int, default=16)
    b.add_argument("--efc", type=int, default=200)
    w = sub.add_parser("sweep")
    w.add_argument("--dir", required=True)
    w.add_argument("--efs", default="16,24,32,48,64,96,128,192,256")
    w.add_argument("--k", type=int, default=10)
    w.add_argument("--repeat", type=int, default=1)
    a = p.parse_args()
    {"gen": cmd_gen, "exact": cmd_exact, "build": cmd_build, "sweep": cmd_sweep}[a.cmd](a)


if __name__ == "__main__":
    main()
