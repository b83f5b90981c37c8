#!/bin/sh
# test_eval_pipeline.sh — `needle eval pipeline` end to end on tests/fixtures/pipeline: the
# printed JSON and text, the three report files (the HTML parsed by xmllint when it is there;
# tests/eval/test_report_html.c parses it with expat in every case), a trainer log's curves in
# the HTML, and bad input (a missing log, a bad mode) refused before any work.
set -e
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
N=./needle
F=tests/fixtures/pipeline

$N index --store "$T/a.db" "$F/animals.json" --split-by none >/dev/null 2>&1
cat > "$T/p.yaml" <<'Y'
components:
  - {name: DocumentStore, type: SQLiteDocumentStore, params: {path: a.db}}
  - {name: Retriever, type: BM25Retriever, params: {top_k: 3}}
  - {name: Answers, type: Docs2Answers}
pipelines:
  - {name: query, nodes: [{name: Retriever, inputs: [Query]}, {name: Answers, inputs: [Retriever]}]}
Y
$N eval pipeline --pipeline "$T/p.yaml" --labels "$F/animals.json" --log "$F/train_log.jsonl" \
    --out-json "$T/r.json" --out-text "$T/r.txt" --out-html "$T/r.html" > "$T/out.json" 2>"$T/err"
cmp "$T/out.json" "$T/r.json"
grep -q '"questions":[[:space:]]*6' "$T/r.json"
grep -q '"recall_single_hit":[[:space:]]*0.8333333333333' "$T/r.json"
grep -q '^Retriever (BM25Retriever)  *integrated  *2  *0.8333  *0.8333  *0.7500 ' "$T/r.txt"
grep -q '^Answers (Docs2Answers)  *isolated ' "$T/r.txt"
grep -q 'data-series="loss"' "$T/r.html"
grep -q 'data-series="eval.f1"' "$T/r.html"
test "$(grep -o '<svg ' "$T/r.html" | wc -l)" -eq 11
if command -v xmllint >/dev/null; then xmllint --noout "$T/r.html"; fi

$N eval pipeline --pipeline "$T/p.yaml" --labels "$F/animals.json" --format text --mode integrated --worst 1 \
    --top-k-retriever 1 > "$T/out.txt" 2>"$T/err"
grep -q '^Retriever (BM25Retriever)  *integrated  *1 ' "$T/out.txt"
if grep -q 'isolated' "$T/out.txt"; then exit 1; fi
test "$(grep -c '^ *[0-9]*\. \[q' "$T/out.txt")" -eq 1

if $N eval pipeline --pipeline "$T/p.yaml" --labels "$F/animals.json" --log "$T/none.jsonl" 2>"$T/err"; then exit 1; fi
grep -q 'none.jsonl' "$T/err"
if grep -q 'evaluating' "$T/err"; then exit 1; fi
if $N eval pipeline --pipeline "$T/p.yaml" --labels "$F/animals.json" --mode sideways 2>"$T/err"; then exit 1; fi
grep -q 'integrated, isolated or both' "$T/err"

# two runs side by side
$N eval pipeline --pipeline "$T/p.yaml" --labels "$F/animals.json" --label "top 1" --top-k-retriever 1 \
    --out-json "$T/r1.json" >/dev/null 2>&1
$N eval report --result "$T/r.json" --result "$T/r1.json" --out-html "$T/cmp.html" > "$T/cmp.txt"
grep -q '^top 1: Retriever (BM25Retriever)  *integrated  *1 ' "$T/cmp.txt"
grep -q 'data-series="top 1: Retriever"' "$T/cmp.html"
if command -v xmllint >/dev/null; then xmllint --noout "$T/cmp.html"; fi

# needle squad split: by article, every question on exactly one side, both files readable again
$N squad split --data "$F/animals.json" --test-fraction 0.3 --train-out "$T/tr.json" --test-out "$T/te.json" > "$T/split.json" 2>/dev/null
tr=$(sed 's/.*"train":{[^}]*"questions":\([0-9]*\).*/\1/' "$T/split.json")
te=$(sed 's/.*"test":{[^}]*"questions":\([0-9]*\).*/\1/' "$T/split.json")
test $((tr + te)) -eq 6
test "$te" -ge 1
$N eval pipeline --pipeline "$T/p.yaml" --labels "$T/te.json" --mode integrated --worst 0 >/dev/null 2>&1
for title in Zebra Penguin Quokka Africa; do
    test "$(cat "$T/tr.json" "$T/te.json" | grep -c "\"title\": *\"$title\"")" -eq 1
done
