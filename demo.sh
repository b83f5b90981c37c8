#!/bin/sh
# demo.sh — needle's offline demo on COVID-QA (data/covid-qa: deepset's COVID-QA, Apache-2.0,
# see data/covid-qa/SOURCE.md), from a fresh checkout: `./demo.sh` (it runs `make` if needed).
#
# Stages, each announced with the time spent so far (needle's own progress bars run inside):
#   1 split      the questions split by paper into train and test (needle squad split)
#   2 index      every paper cut into ~100-word passages, stored with the gold labels (needle index)
#   3 bm25       BM25 evaluated on the test questions (needle eval pipeline)
#   4 reader     BM25 + a reader evaluated before fine-tuning          [needs NEEDLE_DEMO_READER]
#   5 train      the reader fine-tuned on the train split, evaluated   [needs NEEDLE_DEMO_BASE]
#                again with one path of the pipeline file changed
#   6 dense      a dense retriever trained, the store embedded, dense  [when `needle retriever
#                and hybrid (JoinDocuments RRF) pipelines evaluated      train` is in this build]
#   7 report     the comparison table printed and the HTML report written (needle eval report)
#   8 ask        three questions answered by the best pipeline (needle query --format text)
# Stages whose model or command is missing say so and are skipped; everything runs offline.
#
# Settings (environment): NEEDLE_DEMO_DIR (output folder, default demo-out),
# NEEDLE_DEMO_READER (an HF question-answering model directory to evaluate as is),
# NEEDLE_DEMO_BASE (an HF model directory to fine-tune as the reader; default: NEEDLE_DEMO_READER),
# NEEDLE_DEMO_STEPS (reader training steps, default 300), NEEDLE_DEMO_QUESTIONS (how many test
# questions every run is evaluated on, the same first ones for all, default all; reading is the
# slow part on 2 cores).
set -e
cd "$(dirname "$0")"
OUT=${NEEDLE_DEMO_DIR:-demo-out}
DATA=data/covid-qa/200423_covidQA.json
READER=${NEEDLE_DEMO_READER:-}
BASE=${NEEDLE_DEMO_BASE:-$READER}
STEPS=${NEEDLE_DEMO_STEPS:-300}
LIMIT=${NEEDLE_DEMO_QUESTIONS:-0}
N=./needle
START=$(date +%s)
stage() { echo "== [$1/8, $(($(date +%s) - START)) s] $2" >&2; }
has_command() { $N "$@" --help >/dev/null 2>&1; }

[ -x "$N" ] || make -j2
# pipeline files resolve relative paths against their own folder: give them absolute ones
[ -z "$READER" ] || READER=$(cd "$READER" && pwd)
mkdir -p "$OUT"
RESULTS=""
LOGS=""
BEST="$OUT/bm25.yaml"

# A pipeline file over the demo store: pipeline_file FILE [READER_MODEL]
pipeline_file() {
    {
        echo "version: '1.0'"
        echo "components:"
        echo "  - {name: DocumentStore, type: SQLiteDocumentStore, params: {path: covid.db}}"
        echo "  - {name: Retriever, type: BM25Retriever, params: {document_store: DocumentStore, top_k: 10}}"
        if [ -n "$2" ]; then
            echo "  - name: Reader"
            echo "    type: FARMReader"
            echo "    params: {model_name_or_path: $2, top_k: 5, max_seq_len: 256, doc_stride: 128}"
        fi
        echo "pipelines:"
        echo "  - name: query"
        echo "    nodes:"
        echo "      - {name: Retriever, inputs: [Query]}"
        [ -z "$2" ] || echo "      - {name: Reader, inputs: [Retriever]}"
    } > "$1"
}

# evaluate LABEL PIPELINE RESULT [options...]: one run of the comparison
evaluate() {
    label=$1 file=$2 result=$3
    shift 3
    $N eval pipeline --pipeline "$file" --labels "$OUT/test.json" --label "$label" --out-json "$result" \
        --worst 5 "$@" >/dev/null
    RESULTS="$RESULTS --result $result"
}

stage 1 "split the COVID-QA questions by paper into train and test"
$N squad split --data "$DATA" --test-fraction 0.2 --seed 42 --train-out "$OUT/train.json" --test-out "$OUT/test.json"

stage 2 "index the papers as passages (BM25) with their gold labels"
rm -f "$OUT/covid.db" "$OUT/covid.db-wal" "$OUT/covid.db-shm" "$OUT/covid.db.bm25"
$N index --store "$OUT/covid.db" "$DATA" --split-by word --split-length 100 --respect-sentences --relocate-answers >/dev/null

stage 3 "evaluate BM25 on the test questions"
pipeline_file "$OUT/bm25.yaml"
evaluate "BM25" "$OUT/bm25.yaml" "$OUT/bm25.json" --top-k-retriever 10 --limit "$LIMIT"

stage 4 "evaluate BM25 + a reader before fine-tuning"
if [ -n "$READER" ]; then
    pipeline_file "$OUT/reader-before.yaml" "$READER"
    evaluate "BM25 + reader" "$OUT/reader-before.yaml" "$OUT/reader-before.json" --limit "$LIMIT"
    BEST="$OUT/reader-before.yaml"
else
    echo "skipped: set NEEDLE_DEMO_READER to an HF question-answering model directory" >&2
fi

stage 5 "fine-tune the reader on the train split and evaluate it again"
if [ -n "$BASE" ] && has_command reader train; then
    $N reader train --model "$BASE" --train "$OUT/train.json" --save-dir "$OUT/reader-tuned" --max-steps "$STEPS" \
        --max-seq-len 256 --batch-size 16 --lr 5e-5 --warmup-proportion 0.1 --log "$OUT/reader-train.jsonl"
    # the fine-tuned reader is one path changed in the pipeline file
    pipeline_file "$OUT/reader-tuned.yaml" "$(cd "$OUT" && pwd)/reader-tuned"
    evaluate "BM25 + fine-tuned reader" "$OUT/reader-tuned.yaml" "$OUT/reader-tuned.json" --limit "$LIMIT"
    LOGS="--log $OUT/reader-train.jsonl"
    BEST="$OUT/reader-tuned.yaml"
else
    echo "skipped: set NEEDLE_DEMO_BASE (or NEEDLE_DEMO_READER) to a model directory to fine-tune" >&2
fi

stage 6 "train a dense retriever, embed the store, evaluate dense and hybrid retrieval"
if has_command retriever train && has_command retriever embed; then
    echo "skipped: the dense retriever commands are in this build, but the demo's dense stage is not written yet" >&2
else
    echo "skipped: the dense retriever is not in this build" >&2
fi

stage 7 "compare the runs and write the report"
# shellcheck disable=SC2086
$N eval report $RESULTS $LOGS --out-html "$OUT/report.html" --out-text "$OUT/report.txt" | sed -n '/^Documents\|^Answers/,/^$/p'
echo "report: $OUT/report.html" >&2

stage 8 "answer three questions with the best pipeline ($BEST)"
for q in "What is the main cause of HIV-1 infection in children?" \
         "How is MERS-CoV transmitted to humans?" \
         "What is the incubation period of COVID-19?"; do
    $N query --pipeline "$BEST" "$q" --format text --params '{"Retriever": {"top_k": 3}}' 2>/dev/null | head -n 12
    echo
done
echo "== done in $(($(date +%s) - START)) s; outputs in $OUT/" >&2
