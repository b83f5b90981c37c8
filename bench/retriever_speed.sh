#!/bin/sh
# retriever_speed.sh — dense retriever throughput, needle against PyTorch, side by side in one run.
#
# Model: the bert-mini shape (4 layers, hidden 256, 4 heads, ffn 1024, vocab 30522 of
# bert-base-uncased, dropout 0.1), HF's initialisation from `needle model init --size mini`; both
# sides load that one directory. THREADS threads each (PyTorch: torch.set_num_threads; needle:
# --threads / OMP_NUM_THREADS).
# 1. Training: DPR encoders (two copies), [CLS] pooling, dot product, 1 positive + 1 hard negative
#    per question, in-batch negatives, question length 64, passage length 256 (every input
#    filled to exactly that length, no padding), batch BATCH questions, AdamW, clipping at 1.0.
#    needle: `needle retriever train` on generated DPR JSON lines (its time includes reading and
#    tokenising the texts); PyTorch 1.13 (/usr/bin/python3): bench/retriever_torch.py on the
#    replica model tests/tools/hf_bert_replica.py with random ids of those shapes. STEPS steps
#    each, the first left out; the sides alternate REPS times and the best run of each counts.
#    Prints questions/s of each and the ratio.
# 2. Corpus encoding: the passage encoder in evaluation mode over NPASS passages of 256 tokens in
#    batches of 32: needle's biencoder_embed (bench/retriever_encode.c; includes tokenisation)
#    against the replica under torch.no_grad. Prints passages/s and the ratio.
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for both sides alike.
# Usage: bench/retriever_speed.sh   (STEPS=6 REPS=2 BATCH=8 NPASS=256 THREADS=2 in the environment)
set -e
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
STEPS=${STEPS:-6}
REPS=${REPS:-2}
BATCH=${BATCH:-8}
NPASS=${NPASS:-256}
THREADS=${THREADS:-2}
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -x ./needle ] || make -s needle
make -s build/bench/retriever_encode
NEEDLE_LOG=warn ./needle model init --size mini --head encoder --tokenizer tests/fixtures/tokenizers/bert-base-uncased \
    --out "$T/mini" 2>/dev/null

# DPR records whose question fills 64 tokens and whose passages fill 256 (single-token words)
awk -v n=$((STEPS * BATCH)) 'BEGIN {
    split("protein cell study patients expression model analysis treatment response levels effect increased function data", w, " ")
    for (r = 0; r < n; r++) {
        q = ""; for (i = 0; i < 80; i++) q = q w[1 + (r + i * 3) % 14] " "
        p = ""; for (i = 0; i < 300; i++) p = p w[1 + (r + i * 5) % 14] " "
        h = ""; for (i = 0; i < 300; i++) h = h w[1 + (r + i * 11) % 14] " "
        printf "{\"question\": \"%s\", \"positive_ctxs\": [{\"title\": \"t\", \"text\": \"%s\"}], \"hard_negative_ctxs\": [{\"title\": \"t\", \"text\": \"%s\"}]}\n", q, p, h
    } }' > "$T/train.jsonl"

# mean seconds per step of a needle log, steps 2.. (tokens / tokens_per_s of each line)
needle_step_s() { grep '"loss"' "$1" | awk -F'[:,]' '{for (i = 1; i < NF; i++) { if ($i ~ /"tokens"$/) t = $(i+1); if ($i ~ /"tokens_per_s"$/) r = $(i+1) } if (NR > 1) { s += t / r; n++ } } END { printf "%.4f", s / n }'; }
best() { echo "$1 $2" | awk '{ print ($2 == "" || $1 < $2) ? $1 : $2 }'; }
bestmax() { echo "$1 $2" | awk '{ print ($2 == "" || $1 > $2) ? $1 : $2 }'; }

bn= bt= en= et=
for r in $(seq "$REPS"); do
    rm -rf "$T/n" "$T/n.jsonl"
    NEEDLE_LOG=warn ./needle retriever train --init "$T/mini" --train "$T/train.jsonl" --save-dir "$T/n" --log "$T/n.jsonl" \
        --batch-size "$BATCH" --max-steps "$STEPS" --max-query-len 64 --max-passage-len 256 --num-hard-negatives 1 \
        --threads "$THREADS" > /dev/null 2>&1
    n=$(needle_step_s "$T/n.jsonl")
    t=$($PY bench/retriever_torch.py train "$T/mini" --batch-size "$BATCH" --steps "$STEPS" --threads "$THREADS" \
        | sed 's/.*"s_per_step": \([0-9.e-]*\).*/\1/')
    e1=$(OMP_NUM_THREADS=$THREADS NEEDLE_LOG=warn build/bench/retriever_encode "$T/mini" "$NPASS" 32 \
        | sed 's/.*"passages_per_s": \([0-9.e-]*\).*/\1/')
    e2=$($PY bench/retriever_torch.py encode "$T/mini" --n "$NPASS" --batch 32 --threads "$THREADS" \
        | sed 's/.*"passages_per_s": \([0-9.e-]*\).*/\1/')
    echo "rep $r: training needle $n s/step, pytorch $t s/step; encoding needle $e1 passages/s, pytorch $e2 passages/s"
    bn=$(best "$n" "$bn"); bt=$(best "$t" "$bt"); en=$(bestmax "$e1" "$en"); et=$(bestmax "$e2" "$et")
done
echo "$bn $bt $en $et" | awk -v th="$THREADS" -v b="$BATCH" '{
    printf "DPR training step, bert-mini shape, %d questions x (1 positive + 1 hard negative), 64 / 256 tokens, %d threads each:\n", b, th
    printf "  needle  %.3f s/step  %6.2f questions/s\n", $1, b / $1
    printf "  pytorch %.3f s/step  %6.2f questions/s\n", $2, b / $2
    printf "  ratio (needle / pytorch): %.2fx\n", $2 / $1
    printf "Corpus encoding, passages of 256 tokens, batch 32, %d threads each:\n", th
    printf "  needle  %7.1f passages/s\n  pytorch %7.1f passages/s\n  ratio (needle / pytorch): %.2fx\n", $3, $4, $3 / $4 }'
