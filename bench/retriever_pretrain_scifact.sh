#!/bin/sh
# retriever_pretrain_scifact.sh — pre-train a dense retriever on SciFact's documents alone (no
# queries, no qrels) with the inverse cloze task or independent cropping, and report test
# nDCG@10 / recall@100 / MRR@10 of the init and of the pre-trained model, with BM25 for
# reference, all over SciFact's whole corpus (5,183 abstracts) and its 300 test queries.
#
#   bench/retriever_pretrain_scifact.sh INIT_DIR [OUT_DIR]
#
# INIT_DIR: any model needle opens as a retriever — e.g. a fresh `needle model init --size tiny
# --tokenizer tests/fixtures/tokenizers/bert-base-uncased --out DIR` (random weights) or a
# masked-LM checkpoint. Steps: (1) `needle retriever pretrain` makes PAIRS pairs per abstract
# from corpus.jsonl with NEG BM25 hard negatives each (never the source abstract); (2) `needle
# retriever eval` of the init as it will be trained (shared encoder, mean pooling, cosine);
# (3) `needle retriever train` for EPOCHS epochs (no early stopping and no dev set: selecting
# on the test queries would flatter the result); (4) eval of the pre-trained model and of BM25.
# The test queries and qrels are read only by the evaluations.
# Settings (environment): TASK=ict|crop (ict), PAIRS (3 per abstract), NEG (1), EPOCHS (1),
# BATCH (32), LR (3e-4), QLEN (64), PLEN (256), THREADS (1: the machine is shared; 0: all
# cores), SEED (42), DATA (/work/shared/data/beir-scifact). OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE are unset for every step alike.
set -e
cd "$(dirname "$0")/.."
INIT=${1:?usage: bench/retriever_pretrain_scifact.sh INIT_DIR [OUT_DIR]}
OUT=${2:-$(mktemp -d)}
D=${DATA:-/work/shared/data/beir-scifact}
TASK=${TASK:-ict}
PAIRS=${PAIRS:-3}
NEG=${NEG:-1}
EPOCHS=${EPOCHS:-1}
BATCH=${BATCH:-32}
LR=${LR:-3e-4}
QLEN=${QLEN:-64}
PLEN=${PLEN:-256}
THREADS=${THREADS:-1}
SEED=${SEED:-42}
. bench/scifact_setup.sh

s=$(date +%s)
./needle retriever pretrain --corpus "$D/corpus.jsonl" --task "$TASK" --pairs-per-passage "$PAIRS" \
    --num-hard-negatives "$NEG" --seed "$SEED" --out "$OUT/pretrain-$TASK.jsonl" 2> "$OUT/pretrain.log"
t1=$(date +%s)
./needle retriever eval --model "$INIT" --encoders shared --max-query-len "$QLEN" --max-passage-len "$PLEN" \
    $EV > "$OUT/eval-init.json" 2> "$OUT/eval-init.log"
t2=$(date +%s)
./needle retriever train --init "$INIT" --encoders shared --loss mnrl --train "$OUT/pretrain-$TASK.jsonl" \
    --num-hard-negatives "$NEG" --max-query-len "$QLEN" --max-passage-len "$PLEN" --epochs "$EPOCHS" \
    --batch-size "$BATCH" --lr "$LR" --seed "$SEED" --threads "$THREADS" --save-dir "$OUT/model" \
    --log "$OUT/train.jsonl" > "$OUT/train-summary.json" 2> "$OUT/train.log"
t3=$(date +%s)
./needle retriever eval --model "$OUT/model" $EV > "$OUT/eval-pretrained.json" 2> "$OUT/eval-pretrained.log"
./needle retriever eval --bm25 $EV > "$OUT/eval-bm25.json" 2> "$OUT/eval-bm25.log"
e=$(date +%s)
echo "SciFact test (300 queries, 5,183 documents); init $INIT; task $TASK, $PAIRS pairs per abstract,"
echo "$NEG BM25 hard negative(s); shared encoder, MNRL (cosine x 20, mean pooling), $EPOCHS epoch(s), batch $BATCH,"
echo "lr $LR, lengths $QLEN/$PLEN, $THREADS thread(s); pairs $((t1 - s)) s, train $((t3 - t2)) s, $((e - s)) s in all; outputs in $OUT"
show "init (dense)" "$OUT/eval-init.json"
show "pre-trained ($TASK, dense)" "$OUT/eval-pretrained.json"
show "BM25 (flat, k1 0.9, b 0.4)" "$OUT/eval-bm25.json"
