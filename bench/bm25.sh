#!/bin/sh
# bm25.sh — BM25 speed, needle against Xapian, side by side in one run: indexing
# (documents/s) and query latency (p50, p99) and throughput at top-10 and top-1000, on BEIR
# SciFact and on a deterministic synthetic corpus of 1M passages (bench/gen_corpus.py).
# One thread each; the same documents, queries, k1 = 0.9 and b = 0.4 on both sides.
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for both sides alike.
#
# usage: bench/bm25.sh [N_PASSAGES]   (default 1000000; results in bench/out/bm25_results.jsonl)
set -e
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
N=${1:-1000000}
OUT=bench/out
SCIFACT=${SCIFACT:-/work/shared/data/beir-scifact}
mkdir -p $OUT
make -s needle
gcc -O3 -march=native -std=gnu11 -Iinclude -I/usr/include/cjson -o build/bm25_bench bench/bm25_bench.c \
    build/libneedle.a -lutf8proc -lstemmer -lcjson -lm
SYN=$OUT/synth$N
if [ ! -s $SYN/queries.jsonl ]; then
    echo "generating $N synthetic passages into $SYN ..." >&2
    /usr/bin/python3 bench/gen_corpus.py $SYN "$N" 2000
fi
RES=$OUT/bm25_results.jsonl
: > $RES
echo "load before: $(cat /proc/loadavg)" >&2
run() { # run DATASET CORPUS QUERIES REPEATS
    name=$1 corpus=$2 queries=$3 reps=$4
    echo "== $name" >&2
    rm -rf $OUT/$name.idx $OUT/$name.xapian
    for side in needle xapian; do
        if [ $side = needle ]; then
            build/bm25_bench index $corpus $OUT/$name.idx
        else
            /usr/bin/python3 bench/xapian_bm25.py index $corpus $OUT/$name.xapian
        fi | sed "s/^{/{\"dataset\": \"$name\", \"what\": \"index\", /" >> $RES
        for k in 10 1000; do
            if [ $side = needle ]; then
                build/bm25_bench query $OUT/$name.idx $queries $k $reps
            else
                /usr/bin/python3 bench/xapian_bm25.py query $OUT/$name.xapian $queries $k $reps
            fi | sed "s/^{/{\"dataset\": \"$name\", \"what\": \"query\", /" >> $RES
        done
    done
    echo "   index sizes: needle $(du -sh $OUT/$name.idx | cut -f1), xapian $(du -sh $OUT/$name.xapian | cut -f1)" >&2
}
run scifact $SCIFACT/corpus.jsonl $SCIFACT/queries.jsonl 5
run synth$N $SYN/corpus.jsonl $SYN/queries.jsonl 1
echo "load after: $(cat /proc/loadavg)" >&2
/usr/bin/python3 - "$RES" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def get(ds, what, eng, k=None):
    for r in rows:
        if r["dataset"] == ds and r["what"] == what and r["engine"] == eng and (k is None or r["k"] == k):
            return r
print("%-14s %-20s %12s %12s %8s" % ("dataset", "measure", "needle", "xapian", "ratio"))
def line(ds, name, a, b, inverse=False):
    print("%-14s %-20s %12.3f %12.3f %7.2fx" % (ds, name, a, b, (b / a) if inverse else (a / b)))
for ds in dict.fromkeys(r["dataset"] for r in rows):
    n, x = get(ds, "index", "needle"), get(ds, "index", "xapian")
    line(ds, "index docs/s", n["docs_per_s"], x["docs_per_s"])
    line(ds, "index docs/cpu-s", n["docs_per_cpu_s"], x["docs_per_cpu_s"])
    for k in (10, 1000):
        n, x = get(ds, "query", "needle", k), get(ds, "query", "xapian", k)
        line(ds, "top-%d qps" % k, n["qps"], x["qps"])
        line(ds, "top-%d qps/cpu-s" % k, n["cpu_qps"], x["cpu_qps"])
        for m in ("p50_ms", "p99_ms"):
            line(ds, "top-%d %s" % (k, m), n[m], x[m], inverse=True)
print("ratio = needle / xapian for rates, xapian / needle for latencies (> 1: needle faster);")
print("'cpu-s' rates divide by the process's CPU time instead of wall time (robust to a loaded machine)")
PY
