#!/bin/sh
# retriever_speed.sh — dense retriever throughput, needle against PyTorch, side by side in one run.
#
# Model: the bert-mini shape (4 layers, hidden 256, 4 heads, ffn 1024, vocab 30522 of
# bert-base-uncased, dropout 0.1), HF's initialisation from `needle model init --size mini`; both
# sides load that one directory.
# 1. Training: DPR encoders (two copies), [CLS] pooling, dot product, 1 positive + 1 hard negative
#    per question, in-batch negatives, question length 64, passage length 256 (every input filled
#    to exactly that length, no padding), batch BATCH questions, AdamW, clipping at 1.0.
#    needle: `needle retriever train` on generated DPR JSON lines (its step includes reading and
#    tokenising the texts); PyTorch 1.13 (/usr/bin/python3): bench/retriever_torch.py on the replica
#    model tests/tools/hf_bert_replica.py with random ids of those shapes. STEPS steps each, the
#    first left out.
# 2. Corpus encoding: the passage encoder in evaluation mode over NPASS passages of 256 tokens in
#    batches of 32: needle's biencoder_embed (bench/retriever_encode.c; includes tokenisation and
#    length sorting) against the replica under torch.no_grad.
# Each is run with 2 threads each (wall time is the figure; on a machine shared with other jobs
# it is inflated by time-sharing) and with 1 thread each, where the process CPU time is also a
# stable cost figure under load. The sides alternate REPS times and the best run of each counts.
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for both sides alike, and OPENBLAS_NUM_THREADS
# is set to the thread count for both: Debian's torch 1.13 calls the pthread build of OpenBLAS,
# which does not follow torch.set_num_threads, so without it the "1 thread" PyTorch side would run
# its matrix products on 2 threads (one check under load: 8.9 against 6.0 CPU s to encode 64
# passages; the training step's CPU time barely moved). The load average is printed before and
# after: compare figures only from quiet runs.
# Usage: bench/retriever_speed.sh   (STEPS=6 REPS=2 BATCH=8 NPASS=256 in the environment)
set -e
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
STEPS=${STEPS:-6}
REPS=${REPS:-2}
BATCH=${BATCH:-8}
NPASS=${NPASS:-256}
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -x ./needle ] || make -s needle
make -s build/bench/retriever_encode
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
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

# mean of a numeric field over the step lines of a needle log, first step left out
field_mean() { grep '"loss"' "$1" | sed "s/.*\"$2\":\([0-9.e+-]*\).*/\1/" | awk 'NR > 1 { s += $1; n++ } END { printf "%.4f", s / n }'; }
json_field() { sed "s/.*\"$2\": *\([0-9.e+-]*\).*/\1/" "$1"; }
min() { echo "$1 $2" | awk '{ print ($2 == "" || $1 < $2) ? $1 : $2 }'; }

run() { # threads
    th=$1 bw= bc= tw= tc= ew= ec= pw= pc=
    export OPENBLAS_NUM_THREADS=$th
    for r in $(seq "$REPS"); do
        rm -rf "$T/n" "$T/n.jsonl"
        NEEDLE_LOG=warn ./needle retriever train --init "$T/mini" --train "$T/train.jsonl" --save-dir "$T/n" \
            --log "$T/n.jsonl" --batch-size "$BATCH" --max-steps "$STEPS" --max-query-len 64 --max-passage-len 256 \
            --num-hard-negatives 1 --threads "$th" > /dev/null 2>&1
        $PY bench/retriever_torch.py train "$T/mini" --batch-size "$BATCH" --steps "$STEPS" --threads "$th" > "$T/t.json"
        OMP_NUM_THREADS=$th NEEDLE_LOG=warn build/bench/retriever_encode "$T/mini" "$NPASS" 32 > "$T/e.json"
        $PY bench/retriever_torch.py encode "$T/mini" --n "$NPASS" --batch 32 --threads "$th" > "$T/f.json"
        a=$(field_mean "$T/n.jsonl" step_s) b=$(field_mean "$T/n.jsonl" cpu_s)
        c=$(json_field "$T/t.json" s_per_step) d=$(json_field "$T/t.json" cpu_s_per_step)
        e=$(json_field "$T/e.json" seconds) f=$(json_field "$T/e.json" cpu_seconds)
        g=$(json_field "$T/f.json" seconds) h=$(json_field "$T/f.json" cpu_seconds)
        echo "  $th thread(s), rep $r: train needle $a s/step ($b CPU s), pytorch $c s/step ($d CPU s);" \
             "encode needle $e s ($f CPU s), pytorch $g s ($h CPU s)"
        bw=$(min "$a" "$bw") bc=$(min "$b" "$bc") tw=$(min "$c" "$tw") tc=$(min "$d" "$tc")
        ew=$(min "$e" "$ew") ec=$(min "$f" "$ec") pw=$(min "$g" "$pw") pc=$(min "$h" "$pc")
    done
    echo "$bw $bc $tw $tc $ew $ec $pw $pc" | awk -v th="$th" -v b="$BATCH" -v n="$NPASS" '{
        printf "DPR training step, bert-mini shape, %d questions x (1 positive + 1 hard negative), 64/256 tokens, %d thread(s) each:\n", b, th
        printf "  needle  %6.3f s/step (%6.3f CPU s)  %6.2f questions/s\n", $1, $2, b / $1
        printf "  pytorch %6.3f s/step (%6.3f CPU s)  %6.2f questions/s\n", $3, $4, b / $3
        printf "  ratio needle / pytorch: %.2fx throughput (wall), %.2fx (CPU time)\n", $3 / $1, $4 / $2
        printf "Corpus encoding, %d passages of 256 tokens, batch 32, %d thread(s) each:\n", n, th
        printf "  needle  %7.1f passages/s (%6.3f CPU s)\n", n / $5, $6
        printf "  pytorch %7.1f passages/s (%6.3f CPU s)\n", n / $7, $8
        printf "  ratio needle / pytorch: %.2fx throughput (wall), %.2fx (CPU time)\n", $7 / $5, $8 / $6 }'
}
run 2
run 1
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
