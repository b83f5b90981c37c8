#!/bin/sh
# retriever_scifact.sh — fine-tune a dense retriever on SciFact's 809 training queries and report
# test nDCG@10 (and recall@100) of: the initial model, the fine-tuned model, BM25, and the hybrid
# of the fine-tuned model with BM25 (reciprocal rank fusion, k = 60), all on SciFact's whole
# corpus (5,183 abstracts) and 300 test queries.
#
#   bench/retriever_scifact.sh INIT_DIR [OUT_DIR]
#
# INIT_DIR: any model needle opens as a retriever — a plain HF BERT-family checkpoint (e.g. the
# domain-adapted masked-LM model), a DPR retriever or a sentence-transformers directory.
# Steps: (1) `needle retriever mine` turns the training qrels into DPR data with NEG BM25 hard
# negatives per query (never a document judged relevant, never the query's own id);
# (2) `needle retriever train` for EPOCHS epochs (no early stopping: SciFact has no dev split,
# and selecting on the test set would flatter the result), saving OUT_DIR/model;
# (3) `needle retriever eval` of the init, then one `--hybrid` evaluation of the fine-tuned
# model, whose JSON holds the fused run's measures and those of its two components (the
# fine-tuned model alone and BM25), so the corpus is embedded twice in all.
# Settings (environment): ENCODERS=dpr|shared (dpr), LOSS=nll|mnrl (nll), EPOCHS (10), BATCH (16),
# LR (2e-5), NEG (1, hard negatives per question), QLEN (64), PLEN (256), CHUNK (0: no gradient
# cache), THREADS (0: all cores), DATA (/work/shared/data/beir-scifact).
set -e
cd "$(dirname "$0")/.."
INIT=${1:?usage: bench/retriever_scifact.sh INIT_DIR [OUT_DIR]}
OUT=${2:-$(mktemp -d)}
D=${DATA:-/work/shared/data/beir-scifact}
ENCODERS=${ENCODERS:-dpr}
LOSS=${LOSS:-nll}
EPOCHS=${EPOCHS:-10}
BATCH=${BATCH:-16}
LR=${LR:-2e-5}
NEG=${NEG:-1}
QLEN=${QLEN:-64}
PLEN=${PLEN:-256}
CHUNK=${CHUNK:-0}
THREADS=${THREADS:-0}
. bench/scifact_setup.sh

s=$(date +%s)
./needle retriever mine --corpus $D/corpus.jsonl --queries $D/queries.jsonl --qrels $D/qrels/train.tsv \
    --num-hard-negatives "$NEG" --out "$OUT/train-mined.jsonl" 2> "$OUT/mine.log"
SIM=""
[ "$LOSS" = mnrl ] && SIM="--similarity cosine"
./needle retriever eval --model "$INIT" --encoders "$ENCODERS" $SIM --max-query-len "$QLEN" --max-passage-len "$PLEN" \
    $EV > "$OUT/eval-init.json" 2>"$OUT/eval-init.log"
./needle retriever train --init "$INIT" --encoders "$ENCODERS" --loss "$LOSS" --train "$OUT/train-mined.jsonl" \
    --num-hard-negatives "$NEG" --max-query-len "$QLEN" --max-passage-len "$PLEN" --chunk "$CHUNK" \
    --epochs "$EPOCHS" --batch-size "$BATCH" --lr "$LR" --save-dir "$OUT/model" --log "$OUT/train.jsonl" \
    > "$OUT/train-summary.json" 2> "$OUT/train.log"
./needle retriever eval --model "$OUT/model" --hybrid $EV > "$OUT/eval-hybrid.json" 2>"$OUT/eval-hybrid.log"
e=$(date +%s)
echo "SciFact test (300 queries, 5,183 documents); init $INIT; $ENCODERS encoders, $LOSS loss, $EPOCHS epochs,"
echo "batch $BATCH, lr $LR, $NEG BM25 hard negative(s), lengths $QLEN/$PLEN; $((e - s)) s in all; outputs in $OUT"
show "init (dense)" "$OUT/eval-init.json"
show "fine-tuned (dense)" "$OUT/eval-hybrid.json" dense
show "BM25 (flat, k1 0.9, b 0.4)" "$OUT/eval-hybrid.json" bm25
show "hybrid (RRF k=60)" "$OUT/eval-hybrid.json"
