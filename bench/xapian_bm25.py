#!/usr/bin/python3
"""xapian_bm25.py — Xapian's side of the BM25 speed benchmark (bench/bm25.sh), with the
same interface and output as bm25_bench.c:
  xapian_bm25.py index CORPUS.jsonl DB_DIR        index title + " " + text, then compact
  xapian_bm25.py query DB_DIR QUERIES.jsonl K R   run every query R times at top-K
Analysis made comparable to needle's: Xapian's English (Porter2) stemmer with STEM_ALL (one
stemmed term per word, no unstemmed copies), Lucene's 33 stop words, no positions;
BM25Weight(k1=0.9, k2=0, k3=1, b=0.4, min_normlen=0.5); OR queries. One thread. Besides
wall-clock figures it reports CPU-time rates, which stay comparable on a loaded machine."""
import json
import os
import shutil
import sys
import time

import xapian

STOP = ("a an and are as at be but by for if in into is it no not of on or such that the their then there these "
        "they this to was will with").split()


def stopper():
    s = xapian.SimpleStopper()
    for w in STOP:
        s.add(w)
    return s


def index(corpus, path):
    t0, c0 = time.perf_counter(), time.process_time()
    db = xapian.WritableDatabase(path, xapian.DB_CREATE_OR_OVERWRITE)
    tg = xapian.TermGenerator()
    tg.set_stemmer(xapian.Stem("english"))
    tg.set_stemming_strategy(xapian.TermGenerator.STEM_ALL)
    stop = stopper()
    tg.set_stopper(stop)
    tg.set_stopper_strategy(xapian.TermGenerator.STOP_ALL)
    n = 0
    with open(corpus) as f:
        for line in f:
            d = json.loads(line)
            doc = xapian.Document()
            tg.set_document(doc)
            tg.index_text_without_positions(d.get("title", "") + " " + d["text"])
            doc.add_boolean_term("Q" + d["_id"])
            db.add_document(doc)
            n += 1
    db.commit()
    db.close()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    # compaction (xapian-compact) makes the database faster to search; it is timed apart and
    # not counted in the indexing rate
    t1 = time.perf_counter()
    xapian.Database(path).compact(path + ".compact")
    shutil.rmtree(path)
    os.rename(path + ".compact", path)
    print(json.dumps({"engine": "xapian", "docs": n, "seconds": round(dt, 3), "docs_per_s": round(n / dt, 1),
                      "cpu_seconds": round(cpu, 3), "docs_per_cpu_s": round(n / cpu, 1),
                      "compact_seconds": round(time.perf_counter() - t1, 3)}))


def query(path, queries, k, reps):
    db = xapian.Database(path)
    qp = xapian.QueryParser()
    qp.set_stemmer(xapian.Stem("english"))
    qp.set_stemming_strategy(xapian.QueryParser.STEM_ALL)
    stop = stopper()
    qp.set_stopper(stop)
    qp.set_default_op(xapian.Query.OP_OR)
    enq = xapian.Enquire(db)
    enq.set_weighting_scheme(xapian.BM25Weight(0.9, 0.0, 1.0, 0.4, 0.5))
    texts = [json.loads(l)["text"] for l in open(queries)]
    for t in texts:  # warm-up pass
        enq.set_query(qp.parse_query(t))
        enq.get_mset(0, k)
    lat, hits = [], 0
    c0 = time.thread_time()
    for _ in range(reps):
        for t in texts:
            t0 = time.perf_counter()
            enq.set_query(qp.parse_query(t))
            m = enq.get_mset(0, k)
            lat.append(time.perf_counter() - t0)
            hits += m.size()
    cpu = time.thread_time() - c0
    total = sum(lat)
    lat.sort()
    n = len(lat)
    print(json.dumps({"engine": "xapian", "k": k, "queries": n, "p50_ms": round(1e3 * lat[n // 2], 4),
                      "p99_ms": round(1e3 * lat[int(0.99 * (n - 1))], 4), "qps": round(n / total, 1), "cpu_qps": round(n / cpu, 1),
                      "mean_hits": round(hits / n, 1)}))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "index":
        index(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 6 and sys.argv[1] == "query":
        query(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit(__doc__)
