#!/bin/sh
# reader_train.sh — reader fine-tuning throughput, needle against PyTorch, side by side in one run.
#
# 1. The QA training step on the bert-mini shape (4 layers, hidden 256, 4 heads, ffn 1024, vocab
#    30522, dropout 0.1), windows of 384 tokens, batch 8, 2 threads on each side: needle
#    (`needle reader train` on tests/fixtures/reader/squad64.json, featurised by needle into the
#    same 64 windows HF makes) and PyTorch 1.13 (/usr/bin/python3, torch.set_num_threads(2)) running
#    the replica model tests/tools/hf_bert_replica.py in HF Trainer's loop on those windows
#    (tests/fixtures/reader/windows64.jsonl), from the same random checkpoint. Each side runs
#    STEPS optimiser steps; the first is warm-up and left out; the sides alternate, REPS times,
#    and the best run of each is kept. Prints windows/s and tokens/s of each and the ratio.
# 2. One epoch of COVID-QA (data/covid-qa, 1,380 questions over whole papers) with that model,
#    max_seq_len 384, stride 128, batch 8: needle featurises the whole set and runs COVID_STEPS
#    steps; the epoch's wall time is extrapolated as setup (load + featurise + save) + steps per
#    epoch x the mean step time, and printed as such.
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for both sides alike.
# Usage: bench/reader_train.sh   (STEPS=6 REPS=2 COVID_STEPS=6 THREADS=2 in the environment)
set -e
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
STEPS=${STEPS:-6}
REPS=${REPS:-2}
COVID_STEPS=${COVID_STEPS:-6}
THREADS=${THREADS:-2}
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -x ./needle ] || make -s needle
$PY bench/reader_train_torch.py init "$T/mini" tests/fixtures/reader/tiny-bert-qa

# mean seconds per step of a needle log, steps 2.. (tokens / tokens_per_s of each line)
needle_step_s() { grep '"loss"' "$1" | awk -F'[:,]' '{for (i = 1; i < NF; i++) { if ($i ~ /"tokens"$/) t = $(i+1); if ($i ~ /"tokens_per_s"$/) r = $(i+1) } if (NR > 1) { s += t / r; n++ } } END { printf "%.4f", s / n }'; }

best_n= best_t=
for r in $(seq "$REPS"); do
    rm -rf "$T/n" "$T/n.jsonl"
    NEEDLE_LOG=warn ./needle reader train --model "$T/mini" --train tests/fixtures/reader/squad64.json --save-dir "$T/n" \
        --log "$T/n.jsonl" --max-seq-len 384 --stride 128 --batch-size 8 --max-steps "$STEPS" --no-shuffle \
        --threads "$THREADS" 2>/dev/null
    n=$(needle_step_s "$T/n.jsonl")
    t=$($PY bench/reader_train_torch.py train "$T/mini" tests/fixtures/reader/windows64.jsonl --batch-size 8 \
        --steps "$STEPS" --threads "$THREADS" | sed 's/.*"s_per_step": \([0-9.e-]*\).*/\1/')
    echo "rep $r: needle $n s/step, pytorch $t s/step"
    best_n=$(echo "$n $best_n" | awk '{ print ($2 == "" || $1 < $2) ? $1 : $2 }')
    best_t=$(echo "$t $best_t" | awk '{ print ($2 == "" || $1 < $2) ? $1 : $2 }')
done
echo "$best_n $best_t" | awk -v th="$THREADS" '{
    printf "QA training step, bert-mini shape, batch 8 x 384 tokens, %d threads each (best of the reps):\n", th
    printf "  needle  %.3f s/step  %7.2f windows/s  %8.0f tokens/s\n", $1, 8 / $1, 8 * 384 / $1
    printf "  pytorch %.3f s/step  %7.2f windows/s  %8.0f tokens/s\n", $2, 8 / $2, 8 * 384 / $2
    printf "  ratio (needle / pytorch throughput): %.2fx\n", $2 / $1 }'

s=$(date +%s.%N)
NEEDLE_LOG=info ./needle reader train --model "$T/mini" --train data/covid-qa/200423_covidQA.json --save-dir "$T/c" \
    --log "$T/c.jsonl" --max-seq-len 384 --stride 128 --batch-size 8 --max-steps "$COVID_STEPS" --threads "$THREADS" \
    2>"$T/c.err"
e=$(date +%s.%N)
windows=$(sed -n 's/.*-> \([0-9]*\) windows of 384.*/\1/p' "$T/c.err")
step=$(needle_step_s "$T/c.jsonl")
loop=$(grep '"loss"' "$T/c.jsonl" | awk -F'[:,]' '{for (i = 1; i < NF; i++) { if ($i ~ /"tokens"$/) t = $(i+1); if ($i ~ /"tokens_per_s"$/) r = $(i+1) } s += t / r } END { printf "%.3f", s }')
echo "$s $e $windows $step $loop $COVID_STEPS" | awk '{
    setup = ($2 - $1) - $5; steps = int(($3 + 7) / 8)
    printf "COVID-QA, one epoch, bert-mini shape, 384/128, batch 8: %d windows, %d steps\n", $3, steps
    printf "  measured: setup (load, featurise, save) %.1f s; %d steps, %.3f s/step after the first\n", setup, $6, $4
    printf "  extrapolated epoch wall time: %.0f s (%.2f h)\n", setup + steps * $4, (setup + steps * $4) / 3600 }'
