#!/bin/sh
# test_demo.sh — demo.sh runs its whole loop from the checkout in a tiny mode: the small
# animals SQuAD file instead of COVID-QA, 2 training steps per model, 3 questions per
# run. Checked: every stage ran and was timed; the pipelines before and after fine-tuning (BM25,
# dense and hybrid with a reader) and hybrid + ranker are in the printed table; the honest note
# about the fresh model; report.html with a training curve; three answered questions; the
# fine-tuned reader, retriever and ranker exist. The numbers themselves mean nothing at this size.
set -e
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
NEEDLE_DEMO_DIR="$T/demo" NEEDLE_DEMO_DATA=tests/fixtures/pipeline/animals.json NEEDLE_DEMO_STEPS=2 \
    NEEDLE_DEMO_RETRIEVER_STEPS=2 NEEDLE_DEMO_RANKER_STEPS=2 NEEDLE_DEMO_QUESTIONS=3 ./demo.sh > "$T/out.txt" 2> "$T/err.txt" ||
    { tail -n 30 "$T/err.txt"; exit 1; }
grep -q '^BM25, all test questions: Retriever (BM25Retriever)  *integrated ' "$T/out.txt"
for when in before after; do
    grep -q "^BM25 + reader, $when: Reader (FARMReader)  *integrated " "$T/out.txt"
    grep -q "^dense + reader, $when: Dense (EmbeddingRetriever)  *integrated " "$T/out.txt"
    grep -q "^hybrid + reader, $when: Join (JoinDocuments)  *integrated " "$T/out.txt"
    grep -q "^hybrid + reader, $when: Reader (FARMReader)  *isolated " "$T/out.txt"
done
grep -q '^hybrid + ranker, after: Ranker (SentenceTransformersRanker)  *integrated ' "$T/out.txt"
grep -q '^Read these numbers plainly' "$T/out.txt"
test "$(grep -c '^Question: ' "$T/out.txt")" -eq 3
test -s "$T/demo/report.html"
grep -q 'data-series="loss"' "$T/demo/report.html"
test -f "$T/demo/reader-tuned/model.safetensors"
test -f "$T/demo/retriever-tuned/modules.json"
test -f "$T/demo/ranker/model.safetensors"
grep -q '== \[12/12, ' "$T/err.txt"
grep -q '^time per stage:' "$T/err.txt"
grep -q '^  retriever  *[0-9]* s$' "$T/err.txt"
