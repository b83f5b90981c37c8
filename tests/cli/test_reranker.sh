#!/bin/sh
# test_reranker.sh — `needle reranker train` and `needle reranker eval` end to end on the BEIR
# mini fixture with the tiny BERT checkpoint (a one-label head added): training on qrels with
# negatives mined from a run, with a dev evaluation that reranks a run; training on triples with
# the listwise loss; eval's JSON before/after (the "before" measures are needle eval trec's on
# the same run) and the reranked run file; misuse refused with a message. Semantics are tested
# in tests/train/test_reranker.c.
set -e
M=tests/fixtures/reader/tiny-bert-qa
B=tests/fixtures/search/beir-mini
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export NEEDLE_LOG=warn
BEIR="--corpus $B/corpus.jsonl --queries $B/queries.jsonl"
printf 'q1 Q0 d2 1 5.0 bm25\nq1 Q0 d6 2 4.5 bm25\nq1 Q0 d1 3 4.0 bm25\nq2 Q0 d2 1 9 bm25\nq2 Q0 d3 2 8 bm25\nq2 Q0 d4 3 3 bm25\nq3 Q0 d4 1 2 bm25\n' >"$T/first.trec"

./needle reranker train --help | grep -q 'CrossEncoder.fit'
./needle reranker eval --help | grep -q 'before'

./needle reranker train --model $M $BEIR --qrels $B/qrels.tsv --negatives-run "$T/first.trec" --negatives 1 \
    --max-seq-len 64 --batch-size 2 --max-steps 3 --lr 1e-3 --threads 2 --dev-qrels $B/qrels.tsv \
    --dev-run "$T/first.trec" --save-dir "$T/ce" --log "$T/log.jsonl"
[ -f "$T/ce/model.safetensors" ] && [ -f "$T/ce/vocab.txt" ]
grep -q '"BertForSequenceClassification"' "$T/ce/config.json"
[ "$(grep -c '"grad_norm"' "$T/log.jsonl")" -eq 3 ]
grep -q '"eval":{"map":.*"ndcg_cut_10"' "$T/log.jsonl"

./needle reranker eval --model "$T/ce" $BEIR --qrels $B/qrels.tsv --run "$T/first.trec" --top-k 2 --batch-size 3 \
    --threads 2 --run-out "$T/rr.trec" --metrics-log "$T/m.jsonl" >"$T/out.json"
grep -q '^{"before":{"map":.*},"after":{"map":.*"ndcg_cut_10":.*},"reranker":"cross-encoder",.*"top_k":2,.*"num_pairs":5' "$T/out.json"
[ "$(wc -l <"$T/rr.trec")" -eq 5 ]
cmp "$T/out.json" "$T/m.jsonl"
# "before" is the first stage's top 2: the same measures as trec_eval on that run cut at 2
awk '$4 <= 2' "$T/first.trec" >"$T/first2.trec"
before=$(sed 's/^{"before":\({[^}]*}\).*/\1/' "$T/out.json")
[ "$before" = "$(./needle eval trec --qrels $B/qrels.tsv --run "$T/first2.trec")" ]
# "after" is trec_eval's measures of the reranked run it wrote
after=$(sed 's/.*"after":\({[^}]*}\).*/\1/' "$T/out.json")
[ "$after" = "$(./needle eval trec --qrels $B/qrels.tsv --run "$T/rr.trec")" ]

printf 'a query\ta good passage\t1\na query\ta bad passage\t0\nanother query\tanother good one\t1\nanother query\ta bad passage\t0\n' >"$T/triples.tsv"
./needle reranker train --model $M --train "$T/triples.tsv" --loss listwise --negatives 1 --max-seq-len 32 \
    --batch-size 2 --epochs 2 --threads 2 --save-dir "$T/ce2"
[ -f "$T/ce2/model.safetensors" ]

st=0; ./needle reranker train --model $M --save-dir "$T/x" 2>"$T/err" || st=$?
[ $st -eq 2 ] && grep -q 'give either --train' "$T/err"
st=0; ./needle reranker train --model $M --train "$T/triples.tsv" --loss listwise --save-dir "$T/x" 2>"$T/err" || st=$?
[ $st -eq 2 ] && grep -q 'listwise needs --negatives' "$T/err"
printf 'q1 Q0 d404 1 5.0 bm25\n' >"$T/bad.trec"
st=0; ./needle reranker eval --model "$T/ce" $BEIR --qrels $B/qrels.tsv --run "$T/bad.trec" 2>"$T/err" || st=$?
[ $st -eq 1 ] && grep -q "document 'd404' is missing" "$T/err"
st=0; ./needle reranker eval --model $M $BEIR --qrels $B/qrels.tsv --run "$T/first.trec" 2>"$T/err" || st=$?
[ $st -eq 1 ] && grep -q 'a cross-encoder needs a sequence-classification head' "$T/err"
[ ! -e "$T/x" ]
