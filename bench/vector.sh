#!/bin/sh
# vector.sh — needle's vector search against FAISS (exact, IndexFlatIP) and hnswlib (HNSW), side
# by side on the same vectors, in one command:
#
#   bench/vector.sh     (defaults: ROUNDS=2 VECTOR_BENCH_DIR=bench/out/vector SPREAD=1.25)
#
# 1. bench/vector_ref.py gen writes 100k base + 10k query vectors of dimension 384 (a seeded,
#    clustered Gaussian mixture, L2-normalised; see that file) once, for both sides.
# 2. Exact search of all queries, k 10: FAISS then needle, ROUNDS times, alternating, so that
#    both see the same load on a shared machine; FAISS's answers are the ground truth.
# 3. HNSW build with M 16, efConstruction 200 on all threads: hnswlib, then needle (each
#    saves its index), alternating, ROUNDS times.
# 4. efSearch sweep on the loaded indexes, recall@10 and QPS (best of 2 passes per point):
#    alternating, ROUNDS times.
# 5. Filtered HNSW search (efSearch 64; 50%, 10%, 1%, 0.1% of ids allowed) against exact
#    filtered search, needle only (hnswlib 0.6.2's Python API has no filter).
# 6. The report: best of the rounds per side, ratios, QPS at equal recall, and needle's
#    recall@10 at efSearch 64 (>= 0.95). Exit status 0 only when that check passes.
#
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for every side alike, so each BLAS picks
# its own kernels. Figures go to $VECTOR_BENCH_DIR/results.jsonl and report.txt.
set -eu
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
DIR=${VECTOR_BENCH_DIR:-bench/out/vector}
ROUNDS=${ROUNDS:-2}
SPREAD=${SPREAD:-1.25}
M=16
EFC=200
EFS=16,24,32,48,64,96,128,192,256
PY=/usr/bin/python3
BENCH=build/bench/vector_bench

make -s bench
$PY bench/vector_ref.py gen --dir "$DIR" --n 100000 --nq 10000 --dim 384 --spread "$SPREAD"
rm -f "$DIR/results.jsonl"
echo "machine: $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$DIR/machine.txt"

r=1
while [ "$r" -le "$ROUNDS" ]; do
    $PY bench/vector_ref.py exact --dir "$DIR" --k 10
    $BENCH exact --dir "$DIR" --k 10
    r=$((r + 1))
done

r=1
while [ "$r" -le "$ROUNDS" ]; do
    $PY bench/vector_ref.py build --dir "$DIR" --M $M --efc $EFC
    $BENCH build --dir "$DIR" --M $M --efc $EFC
    r=$((r + 1))
done

r=1
while [ "$r" -le "$ROUNDS" ]; do
    $PY bench/vector_ref.py sweep --dir "$DIR" --efs $EFS --k 10 --repeat 2
    $BENCH sweep --dir "$DIR" --efs $EFS --k 10 --repeat 2
    r=$((r + 1))
done

$BENCH filter --dir "$DIR" --k 10 --repeat 2

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$DIR/machine.txt"
$BENCH report --dir "$DIR" | tee "$DIR/report.txt"
