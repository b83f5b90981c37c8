#!/bin/sh
# test_cli_eval.sh — `needle eval trec` prints the hand-computed trec_eval values of
# tests/fixtures/eval (see SOURCE.md there), and errors name the file and line;
# `needle retriever eval --bm25` on a tiny BEIR set ranks each relevant document first and
# drops a query's own id from its results.
set -e
F=tests/fixtures
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
./needle eval trec --qrels $F/eval/hand.qrels --run $F/eval/hand.run > "$T/out.json"
near() { # near KEY VALUE: the JSON value of KEY is VALUE within 1e-6
    v=$(sed -n "s/.*\"$1\":\([-0-9.e]*\).*/\1/p" "$T/out.json")
    awk -v a="$v" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d < 1e-6) }' || {
        echo "$1 = $v, expected $2"; exit 1; }
}
near map 0.0925926
near recip_rank 0.111111
near P_5 0.133333
near recall_10 0.222222
near ndcg_cut_10 0.144936
grep -q '"num_q":3' "$T/out.json"

printf 'q1 Q0 d1 1 2.0 t\nq1 Q0 d1 2 1.0 t\n' > "$T/dup.run"
if ./needle eval trec --qrels $F/eval/hand.qrels --run "$T/dup.run" 2> "$T/err"; then exit 1; fi
grep -q "lists document d1 twice" "$T/err"
printf 'q1 Q0 d1 1 2.0 t\nq1 Q0 d2\n' > "$T/short.run"
if ./needle eval trec --qrels $F/eval/hand.qrels --run "$T/short.run" 2> "$T/err"; then exit 1; fi
grep -q "short.run:2:" "$T/err"

B=$F/search/beir-mini
./needle retriever eval --bm25 --corpus $B/corpus.jsonl --queries $B/queries.jsonl --qrels $B/qrels.tsv \
    --run-out "$T/run.txt" --fields title,text > "$T/out.json" 2> /dev/null
near ndcg_cut_10 1
near recall_100 1
grep -q '"num_q":3' "$T/out.json"
grep -q '"num_docs":6' "$T/out.json"
if grep -q '^q1 Q0 q1 ' "$T/run.txt"; then echo "query id not removed"; exit 1; fi
if grep -q '^q4 ' "$T/run.txt"; then echo "unjudged query was run"; exit 1; fi
head -n 1 "$T/run.txt" | grep -q '^q1 Q0 d1 1 [0-9]*\.[0-9]\{6\} needle-bm25$'
./needle retriever eval --bm25 --corpus $B/corpus.jsonl --queries $B/queries.jsonl --qrels $B/qrels.tsv \
    --index "$T/mini.idx" > "$T/out.json" 2> /dev/null
near ndcg_cut_10 1
test -s "$T/mini.idx"

printf '{"_id": "a", "text": "x"}\n{"_id": "b", "text": \n' > "$T/bad.jsonl"
if ./needle retriever eval --bm25 --corpus "$T/bad.jsonl" --queries $B/queries.jsonl --qrels $B/qrels.tsv 2> "$T/err"; then exit 1; fi
grep -q "bad.jsonl:2: malformed JSON" "$T/err"
if ./needle retriever eval --corpus $B/corpus.jsonl --queries $B/queries.jsonl --qrels $B/qrels.tsv 2> "$T/err"; then exit 1; fi
grep -q "choose the retriever" "$T/err"
./needle retriever eval --help | grep -q -- "--fields"
