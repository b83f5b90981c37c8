#!/bin/sh
# reader_train.sh — reader fine-tuning throughput, needle against PyTorch, side by side in one run.
#
# 1. The QA training step on the bert-mini shape (4 layers, hidden 256, 4 heads, ffn 1024, vocab
#    30522, dropout 0.1), windows of 384 tokens, batch 8: needle (`needle reader train` on
#    tests/fixtures/reader/squad64.json, featurised by needle into the same 64 windows HF makes) and
#    PyTorch 1.13 (/usr/bin/python3, torch.set_num_threads) running the replica model
#    tests/tools/hf_bert_replica.py in HF Trainer's loop on those windows
#    (tests/fixtures/reader/windows64.jsonl), from the same random checkpoint. Each side runs STEPS
#    optimiser steps, the first (warm-up) left out; the sides alternate, REPS times, and the best
#    run of each is kept. Done with 2 threads each (the wall time is the figure; on a machine shared
#    with other jobs it is inflated by time-sharing) and with 1 thread each, where the process CPU
#    time per step is also a stable cost figure under load (no thread waits for another).
# 2. One epoch of COVID-QA (data/covid-qa, 1,380 questions over whole papers) with that model,
#    max_seq_len 384, stride 128, batch 8, 2 threads: needle featurises the whole set and runs
#    COVID_STEPS steps; the epoch's wall time is extrapolated as setup (load + featurise + save) +
#    steps per epoch x the mean step time, and printed as such.
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for both sides alike. The load average is
# printed before and after: compare figures only from quiet runs.
# Usage: bench/reader_train.sh   (STEPS=6 REPS=2 COVID_STEPS=6 in the environment)
set -e
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
STEPS=${STEPS:-6}
REPS=${REPS:-2}
COVID_STEPS=${COVID_STEPS:-6}
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -x ./needle ] || make -s needle
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
$PY bench/reader_train_torch.py init "$T/mini" tests/fixtures/reader/tiny-bert-qa

# mean of a numeric field over the step lines of a needle log, first step left out
field_mean() { grep '"loss"' "$1" | sed "s/.*\"$2\":\([0-9.e+-]*\).*/\1/" | awk 'NR > 1 { s += $1; n++ } END { printf "%.4f", s / n }'; }
json_field() { sed "s/.*\"$2\": \([0-9.e+-]*\).*/\1/" "$1"; }
min() { echo "$1 $2" | awk '{ print ($2 == "" || $1 < $2) ? $1 : $2 }'; }

qa_step() { # threads
    th=$1 bw= bc= tw= tc=
    for r in $(seq "$REPS"); do
        rm -rf "$T/n" "$T/n.jsonl"
        NEEDLE_LOG=warn ./needle reader train --model "$T/mini" --train tests/fixtures/reader/squad64.json --save-dir "$T/n" \
            --log "$T/n.jsonl" --max-seq-len 384 --stride 128 --batch-size 8 --max-steps "$STEPS" --no-shuffle \
            --threads "$th" 2>/dev/null
        $PY bench/reader_train_torch.py train "$T/mini" tests/fixtures/reader/windows64.jsonl --batch-size 8 \
            --steps "$STEPS" --threads "$th" >"$T/t.json"
        nw=$(field_mean "$T/n.jsonl" step_s) nc=$(field_mean "$T/n.jsonl" cpu_s)
        pw=$(json_field "$T/t.json" s_per_step) pc=$(json_field "$T/t.json" cpu_s_per_step)
        echo "  $th thread(s), rep $r: needle $nw s/step ($nc CPU s), pytorch $pw s/step ($pc CPU s)"
        bw=$(min "$nw" "$bw") bc=$(min "$nc" "$bc") tw=$(min "$pw" "$tw") tc=$(min "$pc" "$tc")
    done
    echo "$bw $bc $tw $tc" | awk -v th="$th" '{
        printf "QA training step, bert-mini shape, batch 8 x 384 tokens, %d thread(s) each (best of the reps):\n", th
        printf "  needle  %6.3f s/step (%6.3f CPU s)  %6.2f windows/s  %6.0f tokens/s\n", $1, $2, 8 / $1, 3072 / $1
        printf "  pytorch %6.3f s/step (%6.3f CPU s)  %6.2f windows/s  %6.0f tokens/s\n", $3, $4, 8 / $3, 3072 / $3
        printf "  ratio needle / pytorch: %.2fx throughput (wall), %.2fx (CPU time)\n", $3 / $1, $4 / $2 }'
}
qa_step 2
qa_step 1

s=$(date +%s.%N)
NEEDLE_LOG=info ./needle reader train --model "$T/mini" --train data/covid-qa/200423_covidQA.json --save-dir "$T/c" \
    --log "$T/c.jsonl" --max-seq-len 384 --stride 128 --batch-size 8 --max-steps "$COVID_STEPS" --threads 2 \
    2>"$T/c.err"
e=$(date +%s.%N)
windows=$(sed -n 's/.*-> \([0-9]*\) windows of 384.*/\1/p' "$T/c.err")
step=$(field_mean "$T/c.jsonl" step_s)
loop=$(grep '"loss"' "$T/c.jsonl" | sed 's/.*"step_s":\([0-9.e+-]*\).*/\1/' | awk '{ s += $1 } END { printf "%.3f", s }')
echo "$s $e $windows $step $loop $COVID_STEPS" | awk '{
    setup = ($2 - $1) - $5; steps = int(($3 + 7) / 8)
    printf "COVID-QA, one epoch, bert-mini shape, 384/128, batch 8, 2 threads: %d windows, %d steps\n", $3, steps
    printf "  measured: setup (load, featurise, save) %.1f s; %d steps, %.3f s/step after the first\n", setup, $6, $4
    printf "  extrapolated epoch wall time: %.0f s (%.2f h)\n", setup + steps * $4, (setup + steps * $4) / 3600 }'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
