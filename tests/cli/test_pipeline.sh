#!/bin/sh
# test_pipeline.sh — pipeline files from the command line: `needle query --pipeline` in JSON
# and text, Haystack params, an error naming the file, line and component, swapping the store
# by changing one path, and `needle serve --pipeline` answering /query through the pipeline.
set -e
T=$(mktemp -d)
PID=
cleanup() {
    [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
N=./needle

cat > "$T/faq.jsonl" <<'J'
{"id": "f1", "content": "How do I reset my password?", "meta": {"answer": "Use the link on the login page.", "lang": "en"}}
{"id": "f2", "content": "Where is the office?", "meta": {"answer": "In Berlin, next to the station.", "lang": "en"}}
{"id": "f3", "content": "Wie setze ich mein Passwort zurück?", "meta": {"answer": "Über den Link auf der Anmeldeseite.", "lang": "de"}}
J
$N index --store "$T/faq.db" "$T/faq.jsonl" --split-by none >/dev/null 2>&1
cat > "$T/p.yaml" <<'Y'
version: '1.0'
components:
  - name: DocumentStore
    type: SQLiteDocumentStore
    params:
      path: faq.db
  - name: Retriever
    type: BM25Retriever
    params:
      document_store: DocumentStore
      top_k: 2
  - name: Answers
    type: Docs2Answers
pipelines:
  - name: query
    nodes:
      - name: Retriever
        inputs: [Query]
      - name: Answers
        inputs: [Retriever]
Y
# run from another directory: the store path is relative to the pipeline file
(cd / && "$OLDPWD/needle" query --pipeline "$T/p.yaml" "reset password") > "$T/out.json" 2>"$T/err"
grep -q '"answers":\[{"answer":"Use the link on the login page.","type":"other"' "$T/out.json"
grep -q '"document_ids":\["f1"\]' "$T/out.json"
grep -q '"documents":\[{"id":"f1"' "$T/out.json"

$N query --pipeline "$T/p.yaml" "reset password" --format text > "$T/out.txt" 2>"$T/err"
grep -q '^Question: reset password$' "$T/out.txt"
grep -q '^  1. Use the link on the login page.   score 0\.[0-9]*   document f1$' "$T/out.txt"
grep -q '^     \[\[Use the link on the login page.\]\]$' "$T/out.txt"
grep -q '^Documents:$' "$T/out.txt"

# params: per node and global; filters
test "$($N query --pipeline "$T/p.yaml" "password" --params '{"Retriever": {"top_k": 1}}' 2>/dev/null | grep -o '"document_ids"' | wc -l)" -eq 1
$N query --pipeline "$T/p.yaml" "Passwort" --params '{"filters": {"lang": "de"}}' 2>/dev/null | grep -q 'Anmeldeseite'
if $N query --pipeline "$T/p.yaml" "x" --params '{"Reranker": {}}' 2>"$T/err"; then exit 1; fi
grep -q 'no node or global parameter named "Reranker"' "$T/err"
if $N query --pipeline "$T/p.yaml" "x" --top-k 3 2>"$T/err"; then exit 1; fi
grep -q 'give top_k and filters in --params' "$T/err"

# errors name the file, the line and the component
sed 's/type: BM25Retriever/type: BM25Retreiver/' "$T/p.yaml" > "$T/bad.yaml"
if $N query --pipeline "$T/bad.yaml" "x" 2>"$T/err"; then exit 1; fi
grep -q "bad.yaml:7: component 'Retriever': unknown type 'BM25Retreiver'" "$T/err"
sed 's/      top_k: 2/      top_k: two/' "$T/p.yaml" > "$T/bad.yaml"
if $N query --pipeline "$T/bad.yaml" "x" 2>"$T/err"; then exit 1; fi
grep -q "bad.yaml:11: component 'Retriever' (BM25Retriever): params.top_k: should be an integer" "$T/err"
sed 's/inputs: \[Retriever\]/inputs: [Retreiver]/' "$T/p.yaml" > "$T/bad.yaml"
if $N query --pipeline "$T/bad.yaml" "x" 2>"$T/err"; then exit 1; fi
grep -q "bad.yaml:20: node 'Answers': input 'Retreiver' is not Query nor a node listed before it" "$T/err"
printf 'components: [\n' > "$T/bad.yaml"
if $N query --pipeline "$T/bad.yaml" "x" 2>"$T/err"; then exit 1; fi
grep -q "bad.yaml:2:1: YAML syntax error" "$T/err"

# swapping a component is one path: another store
printf '{"id": "g1", "content": "How do I reset my password?", "meta": {"answer": "Call the help desk."}}\n' > "$T/g.jsonl"
$N index --store "$T/other.db" "$T/g.jsonl" --split-by none >/dev/null 2>&1
sed 's/path: faq.db/path: other.db/' "$T/p.yaml" > "$T/p2.yaml"
$N query --pipeline "$T/p2.yaml" "reset password" 2>/dev/null | grep -q '"answer":"Call the help desk."'

# the server runs the pipeline
$N serve --pipeline "$T/p.yaml" --port 0 --port-file "$T/port" --threads 2 2>>"$T/log" &
PID=$!
i=0
while [ ! -s "$T/port" ]; do
    i=$((i + 1))
    [ $i -le 100 ] || { cat "$T/log"; exit 1; }
    sleep 0.1
done
PORT=$(cat "$T/port")
curl -s -X POST "http://127.0.0.1:$PORT/query" -d '{"query": "Where is the office?", "params": {"Retriever": {"top_k": 1}}}' > "$T/q.json"
grep -q '"answer":"In Berlin, next to the station."' "$T/q.json"
# a document written through the API is found by the next query
curl -s -X POST "http://127.0.0.1:$PORT/documents" \
    -d '[{"id": "f4", "content": "When is the canteen open?", "meta": {"answer": "From noon to two."}}]' | grep -q '"written":1'
curl -s -X POST "http://127.0.0.1:$PORT/query" -d '{"query": "canteen open"}' | grep -q '"answer":"From noon to two."'
kill -TERM "$PID"
wait "$PID"
PID=
