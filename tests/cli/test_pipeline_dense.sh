#!/bin/sh
# test_pipeline_dense.sh — the dense retriever and ranker nodes end to end: a store embedded by
# `needle retriever embed`, a hybrid pipeline (BM25 + DensePassageRetriever joined by RRF, a
# SentenceTransformersRanker, a FARMReader) asked with `needle query --pipeline`, evaluated by
# `needle eval pipeline` in both modes and served by `needle serve --pipeline`; a store without
# the retriever's embeddings refused with the command that fills them. The models are random
# (the tiny reader fixture and a fresh `needle model init` cross-encoder): these check the
# plumbing; tests/search/test_pipeline_dense.c checks the rankings.
set -e
T=$(mktemp -d)
PID=
trap '[ -z "$PID" ] || kill "$PID" 2>/dev/null; rm -rf "$T"' EXIT
N=./needle
F=tests/fixtures/pipeline
TINY=$(pwd)/tests/fixtures/reader/tiny-bert-qa

$N index --store "$T/a.db" "$F/animals.json" --split-by none >/dev/null 2>&1
$N model init --size tiny --tokenizer "$TINY" --out "$T/ce" --head cls --num-labels 1 >/dev/null 2>&1
cat > "$T/p.yaml" <<Y
components:
  - {name: DocumentStore, type: SQLiteDocumentStore, params: {path: a.db}}
  - {name: Sparse, type: BM25Retriever, params: {top_k: 3}}
  - name: Dense
    type: DensePassageRetriever
    params: {query_embedding_model: $TINY, passage_embedding_model: $TINY, top_k: 3}
  - {name: Join, type: JoinDocuments, params: {join_mode: reciprocal_rank_fusion}}
  - {name: Ranker, type: SentenceTransformersRanker, params: {model_name_or_path: ce, top_k: 2}}
  - {name: Reader, type: FARMReader, params: {model_name_or_path: $TINY, top_k: 2, max_seq_len: 64, doc_stride: 16}}
pipelines:
  - name: query
    nodes:
      - {name: Sparse, inputs: [Query]}
      - {name: Dense, inputs: [Query]}
      - {name: Join, inputs: [Sparse, Dense]}
      - {name: Ranker, inputs: [Join]}
      - {name: Reader, inputs: [Ranker]}
Y
# no embeddings yet: the message says how to make them
if $N query --pipeline "$T/p.yaml" "Where do zebras live?" 2>"$T/err"; then exit 1; fi
grep -q "p.yaml:4: component 'Dense' (DensePassageRetriever): the store .*a.db has no embeddings named 'tiny-bert-qa': fill them with \`needle retriever embed" "$T/err"

$N retriever embed --store "$T/a.db" --model "$TINY" >/dev/null 2>&1
$N query --pipeline "$T/p.yaml" "Where do zebras live?" > "$T/q.json" 2>/dev/null
test "$(grep -o '"document_ids"' "$T/q.json" | wc -l)" -eq 2
test "$(grep -o '"content_type"' "$T/q.json" | wc -l)" -eq 2  # the ranker kept 2 documents

$N eval pipeline --pipeline "$T/p.yaml" --labels "$F/animals.json" --top-k-retriever 3 --format text > "$T/r.txt" 2>/dev/null
grep -q '^Dense (DensePassageRetriever)  *integrated  *3 ' "$T/r.txt"
grep -q '^Join (JoinDocuments)  *integrated ' "$T/r.txt"
grep -q '^Ranker (SentenceTransformersRanker)  *integrated ' "$T/r.txt"
grep -q '^Reader (FARMReader)  *integrated ' "$T/r.txt"
grep -q '^Reader (FARMReader)  *isolated ' "$T/r.txt"

$N serve --pipeline "$T/p.yaml" --port 0 --port-file "$T/port" --threads 2 2>"$T/log" &
PID=$!
i=0
while [ ! -s "$T/port" ]; do
    i=$((i + 1))
    [ $i -le 100 ] || { cat "$T/log"; exit 1; }
    sleep 0.1
done
curl -s -X POST "http://127.0.0.1:$(cat "$T/port")/query" \
    -d '{"query": "Where do penguins live?", "params": {"Dense": {"top_k": 2}, "Ranker": {"top_k": 1}}}' > "$T/s.json"
test "$(grep -o '"content_type"' "$T/s.json" | wc -l)" -eq 1
grep -q '"answers":\[{"answer":' "$T/s.json"
kill -TERM "$PID"
wait "$PID"
PID=
