#!/bin/sh
# encoder.sh — needle's encoder against PyTorch, side by side in one run.
#
# For bert-mini (4 layers, hidden 256, 4 heads, ffn 1024), MiniLM-L6 (6, 384, 12, 1536) and
# bert-base (12, 768, 12, 3072) at sequence length 384: a full training step (forward with
# dropout 0.1, span loss, backward, AdamW) and an evaluation forward, needle
# (build/bench/bench_encoder) then PyTorch 1.13 (bench/encoder_torch.py, /usr/bin/python3,
# torch.set_num_threads(2)) on the same shapes; then the sgemm peak of OpenBLAS (which
# PyTorch uses here) and of needle's own gemm, and the peak resident memory of one
# bert-base training step at batch 8 x 384 on each side. Both sides use 2 threads;
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for both. Times are the fastest of the
# timed iterations on each side. Takes a few minutes on an idle 2-core machine.
#
# Usage: bench/encoder.sh [ITERS]   (timed iterations per row after one warm-up; default 2)
set -e
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
export OMP_NUM_THREADS=2
ITERS=${1:-2}
make -s bench >/dev/null
OUT=bench/out
mkdir -p $OUT
RES=$OUT/encoder.jsonl
: > $RES
NEEDLE=build/bench/bench_encoder
TORCH="/usr/bin/python3 bench/encoder_torch.py"

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
$NEEDLE peak >> $RES
# name L C NH F batch(timing)
while read -r name L C NH F B; do
    for what in step forward; do
        echo "$name $what ..." >&2
        $NEEDLE $what $L $C $NH $F $B 384 $ITERS | sed "s/^{/{\"model\": \"$name\", /" >> $RES
        $TORCH $what $L $C $NH $F $B 384 $ITERS | sed "s/^{/{\"model\": \"$name\", /" >> $RES
    done
done <<EOF
bert-mini 4 256 4 1024 8
MiniLM-L6 6 384 12 1536 4
bert-base 12 768 12 3072 2
EOF
echo "bert-base memory (8 x 384) ..." >&2
$NEEDLE memory 12 768 12 3072 8 384 | sed 's/^{/{"model": "bert-base", /' >> $RES
$TORCH memory 12 768 12 3072 8 384 | sed 's/^{/{"model": "bert-base", /' >> $RES
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

/usr/bin/python3 - "$RES" "$LOAD0" "$LOAD1" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"machine load average (1, 5, 15 min) before: {sys.argv[2]}, after: {sys.argv[3]} (2 cores)")
peak = next(r for r in rows if r["what"] == "peak")
P, Q = peak["sgemm_gflops"], peak["needle_gemm_gflops"]
print(f"sgemm peak, 2048^3, {peak['threads']} threads: OpenBLAS (core {peak['core']}) {P:.1f} GFLOP/s, needle gemm {Q:.1f} GFLOP/s")
print("FLOPs per token of a forward: 2(4C^2 + 2CF)L + 4TCL + 4C; a training step counts 3x.")
print("% of peak: achieved GFLOP/s over the OpenBLAS peak (the library both sides link) / over needle's gemm peak.")
print("CPU ratio: PyTorch's CPU seconds over needle's for the same iteration (a cross-check less sensitive to other load).\n")
print("| model | B x T | what | needle tok/s | PyTorch tok/s | needle/PyTorch | CPU ratio | needle % of peak (OpenBLAS / own) | PyTorch % of OpenBLAS peak |")
print("|---|---|---|---|---|---|---|---|---|")
get = lambda m, w, s: next(r for r in rows if r.get("model") == m and r["what"] == w and r["side"] == s)
for m in ("bert-mini", "MiniLM-L6", "bert-base"):
    for w in ("step", "forward"):
        n, t = get(m, w, "needle"), get(m, w, "pytorch")
        print(f"| {m} | {n['B']} x {n['T']} | {'train step' if w == 'step' else 'forward (eval)'} | {n['tokens_per_s']:.0f} | "
              f"{t['tokens_per_s']:.0f} | {n['tokens_per_s'] / t['tokens_per_s']:.2f}x | {t['cpu_seconds'] / n['cpu_seconds']:.2f}x | "
              f"{100 * n['gflops'] / P:.0f}% / {100 * n['gflops'] / Q:.0f}% | {100 * t['gflops'] / P:.0f}% |")
n, t = get("bert-base", "memory", "needle"), get("bert-base", "memory", "pytorch")
print(f"\nPeak resident memory of one bert-base training step, 8 x 384: needle {n['peak_rss_mb']:.0f} MB, "
      f"PyTorch {t['peak_rss_mb']:.0f} MB (ratio {n['peak_rss_mb'] / t['peak_rss_mb']:.2f})")
PY
