#!/bin/sh
# test_retriever.sh — the dense retriever commands end to end on a tiny BERT (model init over
# bert-base-uncased's tokenizer) and an 8-document BEIR set written here:
#  - retriever mine: BEIR qrels -> DPR JSON lines with BM25 hard negatives that are never the
#    judged document nor the query's own id, and with a dense retriever (a JSON array); the same
#    pairs as cross-encoder triples (--triples) that reranker train reads;
#  - MarginMSE training on teacher scores carried by the data;
#  - retriever train: a shared encoder (MultipleNegativesRankingLoss) on the mined file with
#    full-corpus evaluation, saved as a sentence-transformers directory; DPR encoders on a
#    top-level JSON array, saved as DPRQuestionEncoder / DPRContextEncoder with tokenizers;
#  - retriever eval --model / --hybrid; retriever embed into a store, then query --dense;
#  - resident memory does not grow with the training file: a 200 MB and a 20 MB generated DPR
#    file (the same record repeated) train with the same peak RSS, within 4 MB; nor with the
#    batch under the gradient cache (batch 64 vs 8 in chunks of 4 rows, within 2 MB);
#  - bad input names the file and line.
set -e
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
N=./needle
TOK=tests/fixtures/tokenizers/bert-base-uncased
export OMP_NUM_THREADS=1 NEEDLE_LOG=warn
B="$T/beir"
mkdir "$B"
cat > "$B/corpus.jsonl" <<'J'
{"_id": "d1", "title": "Photosynthesis", "text": "Plants convert light into chemical energy in the chloroplasts of their cells."}
{"_id": "d2", "title": "Mitochondria", "text": "The mitochondria of animal and plant cells produce energy as ATP."}
{"_id": "d3", "title": "Insulin", "text": "Insulin is secreted by the beta cells of the pancreas and lowers blood glucose."}
{"_id": "d4", "title": "Vaccines", "text": "Vaccination trains the immune system of the body with antigens."}
{"_id": "q1", "title": "Self match", "text": "Chloroplasts capture light for plants."}
{"_id": "d6", "title": "", "text": "Blood glucose is a sugar regulated by hormones secreted in the body."}
{"_id": "d7", "title": "Glucagon", "text": "Alpha cells of the pancreas secrete glucagon, which raises blood glucose."}
{"_id": "d8", "title": "Antibodies", "text": "B cells of the immune system secrete antibodies against antigens."}
J
cat > "$B/queries.jsonl" <<'J'
{"_id": "q1", "text": "How do plants use light in chloroplasts?"}
{"_id": "q2", "text": "Which cells secrete insulin?"}
{"_id": "q3", "text": "immune system antigens"}
{"_id": "q4", "text": "a query that is not judged"}
J
printf 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\nq3\td4\t1\n' > "$B/qrels.tsv"

$N retriever train --help | grep -q -- "--num-hard-negatives"
$N model init --layers 1 --hidden 32 --heads 2 --ffn 64 --max-position 128 --head encoder --tokenizer $TOK \
    --out "$T/init" 2> /dev/null

# mining: 3 judged queries, 2 hard negatives each, never the positive or the query's own id (q1)
$N retriever mine --corpus $B/corpus.jsonl --queries $B/queries.jsonl --qrels $B/qrels.tsv \
    --num-hard-negatives 2 --out "$T/mined.jsonl" 2> "$T/err"
grep -q "3 records written" "$T/err"
test "$(wc -l < "$T/mined.jsonl")" -eq 3
grep '"question":"Which cells secrete insulin?"' "$T/mined.jsonl" > "$T/q2"
grep -q '"positive_ctxs":\[{"title":"Insulin"' "$T/q2"
if sed 's/.*hard_negative_ctxs//' "$T/q2" | grep -q '"passage_id":"d3"'; then echo "positive mined as negative"; exit 1; fi
if grep 'use light in chloroplasts' "$T/mined.jsonl" | sed 's/.*hard_negative_ctxs//' | grep -q '"passage_id":"q1"'; then
    echo "query id not left out"; exit 1; fi
grep -q '"score":' "$T/q2"
# --triples: the same pairs as cross-encoder triples (text alone), which reranker train reads
$N retriever mine --corpus $B/corpus.jsonl --queries $B/queries.jsonl --qrels $B/qrels.tsv \
    --num-hard-negatives 2 --out "$T/mined2.jsonl" --triples "$T/triples.jsonl" 2> "$T/err"
cmp "$T/mined.jsonl" "$T/mined2.jsonl"
negatives=$(sed -n 's/.*; \([0-9]*\) hard negatives,.*/\1/p' "$T/err")
test "$(wc -l < "$T/triples.jsonl")" -eq $((3 + negatives))
grep -q '^{"query":"Which cells secrete insulin?","passage":"Insulin is secreted by the beta cells of the pancreas and lowers blood glucose.","label":1}$' "$T/triples.jsonl"
test "$(grep -c '"query":"Which cells secrete insulin?".*"label":0}$' "$T/triples.jsonl")" -eq 2
$N reranker train --model "$T/init" --train "$T/triples.jsonl" --save-dir "$T/ce" --max-steps 1 --batch-size 3 \
    --max-seq-len 64 > /dev/null 2>&1
test -s "$T/ce/model.safetensors"

# a shared encoder with MNRL, evaluated on the whole corpus, saved for sentence-transformers
$N retriever train --init "$T/init" --encoders shared --loss mnrl --train "$T/mined.jsonl" \
    --dev-corpus $B/corpus.jsonl --dev-queries $B/queries.jsonl --dev-qrels $B/qrels.tsv \
    --batch-size 3 --epochs 2 --lr 1e-3 --max-passage-len 48 --save-dir "$T/st" --log "$T/st.log" > "$T/sum.json"
grep -q '"steps":2' "$T/sum.json"
grep -q '"layout":"shared","pooling":"mean","similarity":"cosine","scale":20' "$T/sum.json"
grep -q '"eval":{"map"' "$T/st.log"
grep -q '"ndcg_cut_10"' "$T/st.log"
for f in modules.json sentence_bert_config.json config_sentence_transformers.json 1_Pooling/config.json \
         config.json model.safetensors tokenizer.json retriever.json best/modules.json; do
    test -s "$T/st/$f" || { echo "missing $f"; exit 1; }
done
grep -q '"pooling_mode_mean_tokens": true' "$T/st/1_Pooling/config.json"
grep -q '"max_seq_length": 48' "$T/st/sentence_bert_config.json"
grep -q '"similarity_fn_name": "cosine"' "$T/st/config_sentence_transformers.json"

# DPR encoders on a top-level JSON array (the gradient cache in chunks of 2 rows)
{ echo '['; sed '$!s/$/,/' "$T/mined.jsonl"; echo ']'; } > "$T/mined.json"
$N retriever train --init "$T/init" --train "$T/mined.json" --num-hard-negatives 2 --chunk 2 \
    --batch-size 3 --max-steps 1 --save-dir "$T/dpr" > "$T/sum.json"
grep -q '"layout":"dpr","pooling":"pooler","similarity":"dot"' "$T/sum.json"
grep -q '"DPRQuestionEncoder"' "$T/dpr/query_encoder/config.json"
grep -q '"DPRContextEncoder"' "$T/dpr/passage_encoder/config.json"
test -s "$T/dpr/query_encoder/tokenizer.json"
test -s "$T/dpr/passage_encoder/tokenizer.json"

# dense mining with the trained shared encoder: the same exclusions as BM25's
$N retriever mine --dense "$T/st" --corpus $B/corpus.jsonl --queries $B/queries.jsonl --qrels $B/qrels.tsv \
    --num-hard-negatives 3 --out "$T/dense-mined.json" 2> "$T/err"
grep -q "3 records written" "$T/err"
head -c 1 "$T/dense-mined.json" | grep -q '\['
grep -q '"hard_negative_ctxs":\[{' "$T/dense-mined.json"
grep 'use light in chloroplasts' "$T/dense-mined.json" | sed 's/.*hard_negative_ctxs//' > "$T/q1"
grep -q '"passage_id":"d' "$T/q1"
if grep -q '"passage_id":"q1"\|"passage_id":"d1"' "$T/q1"; then echo "query id or positive mined"; exit 1; fi

# MarginMSE on teacher scores in the data; a positive without one is an error naming the line
printf '%s\n' '{"question": "insulin cells", "positive_ctxs": [{"title": "Insulin", "text": "Beta cells secrete insulin.", "ce_score": 9.5}], "hard_negative_ctxs": [{"title": "Glucagon", "text": "Alpha cells secrete glucagon.", "ce_score": 2.0}]}' \
    '{"question": "immune antigens", "positive_ctxs": [{"title": "Vaccines", "text": "Vaccines carry antigens.", "ce_score": 8}], "hard_negative_ctxs": [{"title": "Insulin", "text": "Beta cells secrete insulin.", "ce_score": -1.5}]}' \
    > "$T/teacher.jsonl"
$N retriever train --init "$T/init" --encoders shared --loss margin-mse --score-field ce_score --train "$T/teacher.jsonl" \
    --batch-size 2 --max-steps 1 --save-dir "$T/mmse" > "$T/sum.json"
grep -q '"steps":1' "$T/sum.json"
sed 's/"ce_score": 8}/"other": 8}/' "$T/teacher.jsonl" > "$T/teacher-bad.jsonl"
if $N retriever train --init "$T/init" --encoders shared --loss margin-mse --score-field ce_score --train "$T/teacher-bad.jsonl" \
    --batch-size 2 --max-steps 1 --save-dir "$T/mmse-bad" 2> "$T/err" > /dev/null; then exit 1; fi
grep -q 'teacher-bad.jsonl:2: MarginMSE needs a teacher score ("ce_score")' "$T/err"

# evaluation: dense, and hybrid with each component's measures
$N retriever eval --model "$T/st" --corpus $B/corpus.jsonl --queries $B/queries.jsonl --qrels $B/qrels.tsv \
    --run-out "$T/dense.run" > "$T/ev.json"
grep -q '"retriever":"dense"' "$T/ev.json"
grep -q '"num_q":3' "$T/ev.json"
grep -q '"mrr_10":' "$T/ev.json"
if grep -q '^q1 Q0 q1 ' "$T/dense.run"; then echo "query id not removed"; exit 1; fi
$N retriever eval --model "$T/dpr" --hybrid --fusion weighted --alpha 0.3 --corpus $B/corpus.jsonl \
    --queries $B/queries.jsonl --qrels $B/qrels.tsv > "$T/ev.json"
grep -q '"retriever":"hybrid","fusion":"weighted","alpha":0.3' "$T/ev.json"
grep -q '"bm25":{"map"' "$T/ev.json"
grep -q '"dense":{"map"' "$T/ev.json"

# deployment: embed a store, then answer densely; a second embed has nothing left to do
sed 's/"_id"/"id"/; s/"text"/"content"/; s/"title": "\([^"]*\)"/"meta": {"title": "\1"}/; s/, "metadata": {}//' \
    $B/corpus.jsonl > "$T/docs.jsonl"
$N index --store "$T/s.db" "$T/docs.jsonl" > /dev/null 2>&1
$N retriever embed --store "$T/s.db" --model "$T/st" --name st > "$T/emb.json"
grep -q '"embedded":8,"dim":32' "$T/emb.json"
$N retriever embed --store "$T/s.db" --model "$T/st" --name st > "$T/emb.json"
grep -q '"embedded":0' "$T/emb.json"
$N query --store "$T/s.db" --dense "$T/st" --name st --top-k 2 "Which cells secrete insulin?" > "$T/q.json"
test "$(grep -o '"id":' "$T/q.json" | wc -l)" -eq 2
if $N query --store "$T/s.db" --dense "$T/dpr" "insulin" 2> "$T/err"; then exit 1; fi
grep -q "retriever embed --store" "$T/err"

# memory does not grow with the file: 200 MB and 20 MB of the same record, streamed
rec=$(head -n 1 "$T/mined.jsonl")
gen() { # gen N FILE: a JSON array of N copies of $rec
    { echo '['; yes "$rec," | head -n $(($1 - 1)); echo "$rec]"; } > "$2"
}
n_small=$((20 * 1048576 / ${#rec}))
n_big=$((200 * 1048576 / ${#rec}))
gen $n_small "$T/small.json"
gen $n_big "$T/big.json"
for f in small big; do
    $N retriever train --init "$T/init" --encoders shared --train "$T/$f.json" --shuffle-buffer 64 \
        --batch-size 4 --max-steps 2 --save-dir "$T/mem-$f" > "$T/mem-$f.json"
done
ps=$(sed 's/.*"peak_rss_kb":\([0-9]*\).*/\1/' "$T/mem-small.json")
pb=$(sed 's/.*"peak_rss_kb":\([0-9]*\).*/\1/' "$T/mem-big.json")
grep -q "\"examples\":$n_big," "$T/mem-big.json" # the whole 200 MB file was read
echo "peak RSS: 20 MB file ${ps} kB, 200 MB file ${pb} kB"
test $((pb - ps)) -lt 4096
rm -f "$T/small.json" "$T/big.json"

# the gradient cache bounds memory by the chunk: a batch of 64 questions (128 passages) in
# chunks of 4 rows peaks where a batch of 8 does, while the same batch in one piece needs more
for i in $(seq 22); do cat "$T/mined.jsonl"; done > "$T/many.jsonl"
gc() { # gc BATCH CHUNK: the peak RSS of one step
    $N retriever train --init "$T/init" --encoders shared --train "$T/many.jsonl" --batch-size $1 --chunk $2 \
        --max-passage-len 128 --max-steps 1 --save-dir "$T/gc-$1-$2" | sed 's/.*"peak_rss_kb":\([0-9]*\).*/\1/'
}
p8=$(gc 8 4); p64=$(gc 64 4); p64full=$(gc 64 0)
echo "peak RSS: batch 8 chunk 4 ${p8} kB, batch 64 chunk 4 ${p64} kB, batch 64 in one piece ${p64full} kB"
test $((p64 - p8)) -lt 2048
test $((p64full - p64)) -gt 4096

# bad input: the file and the line
printf '{"question": "q", "positive_ctxs": [{"text": "p"}]}\n{"question": "r", "positive_ctxs": [{"title": "t"}]}\n' > "$T/bad.jsonl"
if $N retriever train --init "$T/init" --train "$T/bad.jsonl" --save-dir "$T/bad" 2> "$T/err"; then exit 1; fi
grep -q 'bad.jsonl:2: a passage has no "text"' "$T/err"
if $N retriever train --init "$T/init" --save-dir "$T/bad" 2> "$T/err"; then exit 1; fi
grep -q "give --train FILE" "$T/err"
if $N retriever eval --model "$T/nowhere" --corpus $B/corpus.jsonl --queries $B/queries.jsonl --qrels $B/qrels.tsv 2> "$T/err"; then exit 1; fi
grep -q "not a model directory" "$T/err"
