#!/bin/sh
# reranker_scifact.sh — a cross-encoder reranker trained on SciFact's training qrels with
# negatives mined from BM25, reranking BM25's top 100 of the SciFact test queries: nDCG@10 and
# the other trec_eval measures before and after (docs/distill.md reports the figures).
#
# The starting model is $MODEL when given (e.g. a domain-adapted checkpoint: it gets a fresh
# one-label head); otherwise a fresh, untrained BERT "tiny" (2 layers, hidden 128, HF's
# initialisation) over bert-base-uncased's vocabulary from `needle model init`. A fresh model
# learns little from 919 training pairs: this measures the pipeline, not what a pre-trained
# cross-encoder would reach.
#
# Usage: bench/reranker_scifact.sh [OUT_DIR]   (env: MODEL, DATA, EPOCHS, NEGATIVES, MAXLEN, THREADS)
# Timings: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset, as in every benchmark.
set -e
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
cd "$(dirname "$0")/.."
DATA=${DATA:-/work/shared/data/beir-scifact}
VOCAB=${VOCAB:-/work/shared/data/vocab/bert-base-uncased}
OUT=${1:-bench/out/reranker_scifact}
EPOCHS=${EPOCHS:-1}
NEGATIVES=${NEGATIVES:-3}
MAXLEN=${MAXLEN:-256}
THREADS=${THREADS:-0}
mkdir -p "$OUT"
BEIR="--corpus $DATA/corpus.jsonl --queries $DATA/queries.jsonl"

# first stage: BM25 (Anserini flat, k1 0.9, b 0.4) top 100 for the training and the test queries
./needle retriever eval --bm25 $BEIR --qrels "$DATA/qrels/train.tsv" --top-k 100 --run-out "$OUT/bm25_train.trec" \
    >"$OUT/bm25_train.json"
./needle retriever eval --bm25 $BEIR --qrels "$DATA/qrels/test.tsv" --top-k 100 --run-out "$OUT/bm25_test.trec" \
    >"$OUT/bm25_test.json"

if [ -z "$MODEL" ]; then
    MODEL="$OUT/fresh"
    [ -f "$MODEL/model.safetensors" ] ||
        ./needle model init --size tiny --tokenizer "$VOCAB" --out "$MODEL" --head cls --num-labels 1 --seed 1
fi

rm -rf "$OUT/ce"
/usr/bin/time -f "train: %e s wall, %U s user" ./needle reranker train --model "$MODEL" --tokenizer "$VOCAB" $BEIR \
    --qrels "$DATA/qrels/train.tsv" --negatives-run "$OUT/bm25_train.trec" --negatives "$NEGATIVES" \
    --negatives-depth 20 --max-seq-len "$MAXLEN" --batch-size 16 --epochs "$EPOCHS" --lr 1e-4 --threads "$THREADS" \
    --save-dir "$OUT/ce" --log "$OUT/train.jsonl"
./needle reranker eval --model "$OUT/ce" $BEIR --qrels "$DATA/qrels/test.tsv" --run "$OUT/bm25_test.trec" --top-k 100 \
    --max-seq-len "$MAXLEN" --threads "$THREADS" --run-out "$OUT/reranked_test.trec" | tee "$OUT/rerank_test.json"
