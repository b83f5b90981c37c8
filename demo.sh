#!/bin/sh
# demo.sh — needle's offline demo on COVID-QA (data/covid-qa: deepset's COVID-QA, Apache-2.0,
# see data/covid-qa/SOURCE.md), from a fresh checkout: `./demo.sh` (it runs `make` if needed).
# No network and no model needed: by default the models start from a fresh small BERT made by
# `needle model init` with the bert-base-uncased vocabulary in data/bert-base-uncased.
#
# Stages, each announced with the time so far and closed with its own time and the load:
#   1 split      the questions split by paper into train and test (needle squad split)
#   2 index      every paper cut into ~100-word passages, stored with the gold labels (needle index);
#                the train questions cut down to the passages holding their answers (needle squad slice)
#   3 bm25       BM25 evaluated on the test questions (needle eval pipeline)
#   4 models     the starting models: NEEDLE_DEMO_BASE, or a fresh `needle model init`
#   5 embed      training pairs mined from the train questions (needle retriever mine: DPR pairs and
#                cross-encoder triples with BM25 hard negatives); the store embedded with the
#                untrained retriever (needle retriever embed)
#   6 before     BM25 + reader, dense + reader, hybrid (RRF) + reader evaluated before fine-tuning
#   7 reader     the reader fine-tuned on the train passages (needle reader train)
#   8 retriever  the dense retriever (one shared encoder, mean pooling, cosine) fine-tuned on the
#                mined pairs (needle retriever train), the store embedded with it
#   9 ranker     a cross-encoder fine-tuned on the mined triples (needle reranker train)
#  10 after      the three pipelines with the fine-tuned models (only model paths change in the
#                files), and hybrid + SentenceTransformersRanker
#  11 report     the comparison table printed and the HTML report written (needle eval report)
#  12 ask        three questions answered by hybrid + ranker + reader (needle query --format text)
# Everything runs offline.
#
# Settings (environment): NEEDLE_DEMO_DIR (output folder, default demo-out);
# NEEDLE_DEMO_BASE (an HF model directory, e.g. a pre-trained BERT, to start every model from;
# default: a fresh model of NEEDLE_DEMO_SIZE, default tiny = 2 layers, hidden 128);
# NEEDLE_DEMO_READER (an HF question-answering model to evaluate as the "before" reader; default:
# the starting model with a new span head); NEEDLE_DEMO_STEPS (reader training steps, default 100,
# 1.5 passes over the ~1,050 train passages in batches of 16), NEEDLE_DEMO_RETRIEVER_STEPS
# (default 100), NEEDLE_DEMO_RANKER_STEPS (default 60); NEEDLE_DEMO_QUESTIONS (test questions
# each pipeline after BM25 is evaluated on, the same first ones for all, default 40; BM25 alone
# is evaluated on all); NEEDLE_DEMO_DATA (the SQuAD file, default COVID-QA; the tests give a
# small one).
set -e
cd "$(dirname "$0")"
OUT=${NEEDLE_DEMO_DIR:-demo-out}
DATA=${NEEDLE_DEMO_DATA:-data/covid-qa/200423_covidQA.json}
BASE=${NEEDLE_DEMO_BASE:-}
READER=${NEEDLE_DEMO_READER:-}
SIZE=${NEEDLE_DEMO_SIZE:-tiny}
STEPS=${NEEDLE_DEMO_STEPS:-100}
RSTEPS=${NEEDLE_DEMO_RETRIEVER_STEPS:-100}
KSTEPS=${NEEDLE_DEMO_RANKER_STEPS:-60}
LIMIT=${NEEDLE_DEMO_QUESTIONS:-40}
N=./needle
START=$(date +%s)
STAGE_START=$START
STAGE_NAME=""
TIMES=""
stage_end() {
    if [ -n "$STAGE_NAME" ]; then
        t=$(($(date +%s) - STAGE_START))
        echo "   ($STAGE_NAME: $t s; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'))" >&2
        TIMES="$TIMES$(printf '  %-10s %5d s' "$STAGE_NAME" "$t")\n"
    fi
}
stage() {
    stage_end
    STAGE_START=$(date +%s)
    STAGE_NAME=$2
    echo "== [$1/12, $((STAGE_START - START)) s] $3" >&2
}

[ -x "$N" ] || make -j2
# pipeline files resolve relative paths against their own folder: give them absolute ones
[ -z "$BASE" ] || BASE=$(cd "$BASE" && pwd)
[ -z "$READER" ] || READER=$(cd "$READER" && pwd)
mkdir -p "$OUT"
# a rerun starts afresh: the store and the models of the last run go (nothing else in the folder)
rm -rf "$OUT/covid.db" "$OUT/covid.db-wal" "$OUT/covid.db-shm" "$OUT/covid.db.bm25" "$OUT/model-init" \
    "$OUT/reader-init" "$OUT/retriever-init" "$OUT/reader-tuned" "$OUT/retriever-tuned" "$OUT/ranker"
ABS=$(cd "$OUT" && pwd)
RESULTS=""
LOGS=""

# pipeline_file FILE RETRIEVAL [RETRIEVER EMBEDDINGS [READER [RANKER]]]: a pipeline over the demo
# store; RETRIEVAL is bm25, dense or hybrid (BM25 and the dense retriever, an EmbeddingRetriever
# over the store's embeddings named EMBEDDINGS, joined by reciprocal rank fusion); RANKER adds a
# SentenceTransformersRanker after the retrieval (keeping 5 documents), READER a FARMReader.
pipeline_file() {
    file=$1 kind=$2 dense=$3 emb=$4 reader=$5 ranker=$6
    top=Retriever
    {
        echo "version: '1.0'"
        echo "components:"
        echo "  - {name: DocumentStore, type: SQLiteDocumentStore, params: {path: covid.db}}"
        echo "  - {name: Retriever, type: BM25Retriever, params: {document_store: DocumentStore, top_k: 10}}"
        if [ "$kind" != bm25 ]; then
            echo "  - name: Dense"
            echo "    type: EmbeddingRetriever"
            echo "    params: {embedding_model: $dense, embedding_name: $emb, top_k: 10}"
            echo "  - {name: Join, type: JoinDocuments, params: {join_mode: reciprocal_rank_fusion, top_k_join: 10}}"
        fi
        [ -z "$ranker" ] || echo "  - {name: Ranker, type: SentenceTransformersRanker, params: {model_name_or_path: $ranker, top_k: 5}}"
        if [ -n "$reader" ]; then
            echo "  - name: Reader"
            echo "    type: FARMReader"
            echo "    params: {model_name_or_path: $reader, top_k: 5, max_seq_len: 256, doc_stride: 128}"
        fi
        echo "pipelines:"
        echo "  - name: query"
        echo "    nodes:"
        case $kind in
        bm25) echo "      - {name: Retriever, inputs: [Query]}" ;;
        dense) echo "      - {name: Dense, inputs: [Query]}"; top=Dense ;;
        hybrid)
            echo "      - {name: Retriever, inputs: [Query]}"
            echo "      - {name: Dense, inputs: [Query]}"
            echo "      - {name: Join, inputs: [Retriever, Dense]}"
            top=Join ;;
        esac
        if [ -n "$ranker" ]; then
            echo "      - {name: Ranker, inputs: [$top]}"
            top=Ranker
        fi
        [ -z "$reader" ] || echo "      - {name: Reader, inputs: [$top]}"
    } > "$file"
}

# evaluate LABEL PIPELINE RESULT [options...]: one run of the comparison
evaluate() {
    label=$1 file=$2 result=$3
    shift 3
    $N eval pipeline --pipeline "$file" --labels "$OUT/test.json" --label "$label" --out-json "$result" \
        --worst 5 --top-k-retriever 10 "$@" >/dev/null
    RESULTS="$RESULTS --result $result"
}

# the three pipelines with a reader: evaluate_three WHEN RETRIEVER EMBEDDINGS READER
evaluate_three() {
    when=$1
    for kind in bm25 dense hybrid; do
        case $kind in bm25) name="BM25" ;; dense) name="dense" ;; hybrid) name="hybrid" ;; esac
        pipeline_file "$OUT/$kind-$when.yaml" $kind "$2" "$3" "$4"
        echo "   $name + reader ($when fine-tuning) on $LIMIT test questions" >&2
        evaluate "$name + reader, $when" "$OUT/$kind-$when.yaml" "$OUT/$kind-$when.json" --limit "$LIMIT"
    done
}

stage 1 split "split the questions by paper into train and test"
$N squad split --data "$DATA" --test-fraction 0.2 --seed 42 --train-out "$OUT/train.json" --test-out "$OUT/test.json" 2>/dev/null >&2

stage 2 index "index the papers as passages (BM25) with their gold labels; cut the train questions to their passages"
$N index --store "$OUT/covid.db" "$DATA" --split-by word --split-length 100 --respect-sentences --relocate-answers 2>/dev/null >/dev/null
$N squad slice --data "$OUT/train.json" --out "$OUT/train-passages.json" --split-by word --split-length 100 \
    --respect-sentences 2>/dev/null >&2

stage 3 bm25 "evaluate BM25 on all the test questions"
pipeline_file "$OUT/bm25.yaml" bm25
evaluate "BM25, all test questions" "$OUT/bm25.yaml" "$OUT/bm25.json"

stage 4 models "the starting models"
if [ -n "$BASE" ]; then
    echo "   starting from $BASE" >&2
    INIT=$BASE
    LR_READER=5e-5 LR_RETRIEVER=2e-5 LR_RANKER=2e-5
else
    echo "   no model given: a fresh $SIZE BERT (random weights) with the bert-base-uncased vocabulary" >&2
    $N model init --size "$SIZE" --tokenizer data/bert-base-uncased --out "$OUT/model-init" --head encoder --seed 42 2>/dev/null
    INIT=$ABS/model-init
    LR_READER=5e-4 LR_RETRIEVER=5e-4 LR_RANKER=5e-4
fi
if [ -z "$READER" ]; then
    # the starting model with a new span head: one step at learning rate 0 adds it and changes nothing
    $N reader train --model "$INIT" --train "$OUT/train-passages.json" --save-dir "$OUT/reader-init" --max-steps 1 \
        --lr 0 --max-seq-len 256 --batch-size 1 >/dev/null 2>&1
    READER=$ABS/reader-init
fi

stage 5 embed "mine training pairs from the train questions; embed the store with the untrained retriever"
$N retriever mine --squad "$OUT/train-passages.json" --out "$OUT/dpr-train.jsonl" --triples "$OUT/ranker-triples.jsonl" \
    --num-hard-negatives 1 2>/dev/null
# the untrained retriever in the sentence-transformers layout: one step at learning rate 0 writes it
$N retriever train --init "$INIT" --train "$OUT/dpr-train.jsonl" --save-dir "$OUT/retriever-init" --encoders shared \
    --max-steps 1 --lr 0 --batch-size 2 --max-passage-len 160 >/dev/null 2>&1
$N retriever embed --store "$OUT/covid.db" --model "$OUT/retriever-init" --batch 64 >/dev/null

stage 6 before "evaluate the pipelines before fine-tuning"
evaluate_three before "$ABS/retriever-init" retriever-init "$READER"

stage 7 reader "fine-tune the reader on the train passages"
$N reader train --model "$READER" --train "$OUT/train-passages.json" --save-dir "$OUT/reader-tuned" --max-steps "$STEPS" \
    --max-seq-len 256 --batch-size 16 --lr "$LR_READER" --warmup-proportion 0.1 --log "$OUT/reader-train.jsonl"
LOGS="--log $OUT/reader-train.jsonl"

stage 8 retriever "fine-tune the dense retriever on the mined pairs, embed the store with it"
$N retriever train --init "$INIT" --train "$OUT/dpr-train.jsonl" --save-dir "$OUT/retriever-tuned" --encoders shared \
    --max-steps "$RSTEPS" --batch-size 16 --lr "$LR_RETRIEVER" --max-passage-len 160 \
    --log "$OUT/retriever-train.jsonl" >&2
$N retriever embed --store "$OUT/covid.db" --model "$OUT/retriever-tuned" >/dev/null
LOGS="$LOGS --log $OUT/retriever-train.jsonl"

stage 9 ranker "fine-tune a cross-encoder ranker on the mined triples"
$N reranker train --model "$INIT" --train "$OUT/ranker-triples.jsonl" --save-dir "$OUT/ranker" --max-steps "$KSTEPS" \
    --batch-size 16 --max-seq-len 192 --lr "$LR_RANKER" --log "$OUT/ranker-train.jsonl" >&2
LOGS="$LOGS --log $OUT/ranker-train.jsonl"

stage 10 after "evaluate the pipelines after fine-tuning (the model paths changed in each file)"
evaluate_three after "$ABS/retriever-tuned" retriever-tuned "$ABS/reader-tuned"
echo "   hybrid + ranker on $LIMIT test questions" >&2
pipeline_file "$OUT/ranked-after.yaml" hybrid "$ABS/retriever-tuned" retriever-tuned "" "$ABS/ranker"
evaluate "hybrid + ranker, after" "$OUT/ranked-after.yaml" "$OUT/ranked-after.json" --limit "$LIMIT"

stage 11 report "compare the runs and write the report"
# shellcheck disable=SC2086
$N eval report $RESULTS $LOGS --out-html "$OUT/report.html" --out-text "$OUT/report.txt" | sed -n '/^Documents\|^Answers/,/^$/p'
echo "report: $OUT/report.html" >&2
if [ -z "${NEEDLE_DEMO_BASE:-}" ]; then
    cat <<EOF
Read these numbers plainly: no pre-trained model is available offline, so every model started
from random weights ($SIZE BERT) and trained for a few minutes on this machine: $STEPS (reader),
$RSTEPS (retriever) and $KSTEPS (ranker) steps. They score far below BM25 and far below a real
reader (the ranker may well order worse than its input); the table shows the whole loop
running, not a good model. Set NEEDLE_DEMO_BASE to a pre-trained BERT directory (and raise the
steps) for meaningful figures.

EOF
fi

stage 12 ask "answer three questions with the fine-tuned hybrid + ranker + reader pipeline"
pipeline_file "$OUT/best.yaml" hybrid "$ABS/retriever-tuned" retriever-tuned "$ABS/reader-tuned" "$ABS/ranker"
for q in "What is the main cause of HIV-1 infection in children?" \
         "How is MERS-CoV transmitted to humans?" \
         "What is the incubation period of COVID-19?"; do
    $N query --pipeline "$OUT/best.yaml" "$q" --format text --params '{"top_k": 3}' 2>/dev/null | head -n 20
    echo
done
stage_end
printf "time per stage:\n$TIMES" >&2
echo "== done in $(($(date +%s) - START)) s; outputs in $OUT/" >&2
