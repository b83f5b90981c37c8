#!/bin/sh
# test_feedback_loop.sh — the feedback loop end to end: a live `needle serve` answers a question
# wrongly with a real reader (BM25 + FARMReader on tests/fixtures/reader/tiny-bert-qa, whose
# random weights pick an arbitrary span); the right span is posted to /feedback; `needle reader
# train --from-feedback` retrains that reader from the same checkpoint on the store's feedback,
# and `needle query --pipeline` with the retrained model answers rightly.
#
# Also: the examples --from-feedback trains on are those GET /export-feedback exports (training
# on the exported file gives a bitwise identical model: one converter), --train and
# --from-feedback mix, and a store without feedback is a clear error. One thread, a handful of
# steps on one example (overfitting it is the point): a second or two of training.
set -e
T=$(mktemp -d)
SPID=
cleanup() {
    [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    [ -f "$T/server.log" ] && tail -n 5 "$T/server.log" >&2
    exit 1
}
N=./needle
MODEL="$PWD/tests/fixtures/reader/tiny-bert-qa"
ZH='Zürich lies on Lake Zürich, north of the Alps. The city has about 420,000 inhabitants.'
cat >"$T/docs.jsonl" <<J
{"id": "zh", "content": "$ZH", "meta": {"name": "zurich.txt"}}
{"id": "bn", "content": "Bern is the federal city of Switzerland. The Aare river loops around its old town.", "meta": {"name": "bern.txt"}}
{"id": "ge", "content": "Geneva lies at the southern tip of Lake Geneva, where the Rhône leaves the lake.", "meta": {"name": "geneva.txt"}}
J
$N index --store "$T/s.db" "$T/docs.jsonl" --split-by none >/dev/null 2>&1
pipeline() { # pipeline FILE MODEL_DIR — BM25 (top 3) and a FARMReader on MODEL_DIR over s.db
    cat >"$1" <<Y
version: '1.0'
components:
  - name: DocumentStore
    type: SQLiteDocumentStore
    params:
      path: s.db
  - name: Retriever
    type: BM25Retriever
    params:
      document_store: DocumentStore
      top_k: 3
  - name: Reader
    type: FARMReader
    params:
      model_name_or_path: $2
      top_k: 3
pipelines:
  - name: query
    nodes:
      - name: Retriever
        inputs: [Query]
      - name: Reader
        inputs: [Retriever]
Y
}
first_answer() { sed -n 's/.*"answers":\[{"answer":"\([^"]*\)".*/\1/p' "$1"; }
pipeline "$T/p.yaml" "$MODEL"

$N serve --pipeline "$T/p.yaml" --port 0 --port-file "$T/port" --threads 2 2>"$T/server.log" &
SPID=$!
i=0
until [ -s "$T/port" ]; do i=$((i + 1)); [ $i -le 100 ] || fail "server did not start"; sleep 0.1; done
API="http://127.0.0.1:$(cat "$T/port")"

# 1. The reader's answer before any feedback: a real span of the Zürich passage, not the answer.
Q='Which lake is Zürich on?'
curl -s -f -X POST "$API/query" -d "{\"query\": \"$Q\"}" >"$T/before.json" || fail "query"
before=$(first_answer "$T/before.json")
[ -n "$before" ] || fail "no answer from the reader: $(cat "$T/before.json")"
[ "$before" != "Lake Zürich" ] || fail "the untrained reader already answers rightly; the test shows nothing"
echo "before feedback: $before" >&2

# 2. The right span as feedback ("Lake Zürich" is [15, 26) in code points).
curl -s -X POST "$API/feedback" -d "{\"query\": \"$Q\", \"document\": {\"id\": \"zh\", \"content\": \"$ZH\"},
  \"answer\": {\"answer\": \"Lake Zürich\", \"offsets_in_document\": [{\"start\": 15, \"end\": 26}]},
  \"is_correct_answer\": true, \"is_correct_document\": true, \"origin\": \"user-feedback\"}" >"$T/label.json"
grep -q '"id":"1"' "$T/label.json" || fail "feedback not stored: $(cat "$T/label.json")"
curl -s -f "$API/export-feedback" >"$T/export.json" || fail "export"
grep -q '"answers":\[{"text":"Lake Zürich","answer_start":15}\]' "$T/export.json" || fail "export: $(cat "$T/export.json")"

# 3. Retrain from the same checkpoint on the store's feedback (the server keeps running).
TRAIN="--model $MODEL --max-steps 40 --batch-size 1 --lr 1e-3 --max-seq-len 128 --threads 1 --seed 7"
$N reader train $TRAIN --from-feedback "$T/s.db" --save-dir "$T/fb" 2>"$T/train.log" || fail "train: $(tail -3 "$T/train.log")"
grep -q 's.db: 1 feedback examples' "$T/train.log" || fail "train log: $(cat "$T/train.log")"
# ... and on the exported file: the same examples, so the same model, bit for bit.
$N reader train $TRAIN --train "$T/export.json" --save-dir "$T/file" 2>"$T/train2.log" || fail "train on the export"
cmp -s "$T/fb/model.safetensors" "$T/file/model.safetensors" || fail "--from-feedback and --train EXPORT trained differently"

# 4. The retrained reader answers rightly, highlighted in the Zürich passage.
pipeline "$T/p2.yaml" "$T/fb"
$N query --pipeline "$T/p2.yaml" "$Q" >"$T/after.json" 2>"$T/query.log" || fail "query: $(cat "$T/query.log")"
after=$(first_answer "$T/after.json")
[ "$after" = "Lake Zürich" ] || fail "after retraining the answer is still \"$after\""
grep -q '"answers":\[{"answer":"Lake Zürich","type":"extractive","score":[0-9.e-]*,"context":"[^"]*","offsets_in_context":\[{"start":15,"end":26}\],"offsets_in_document":\[{"start":15,"end":26}\],"document_ids":\["zh"\]' "$T/after.json" ||
    fail "answer offsets: $(cat "$T/after.json")"
echo "after retraining: $after" >&2

# 5. --train and --from-feedback together: the file's 2 questions, then the feedback's 1.
cat >"$T/t.json" <<'J'
{"version": "1.1", "data": [{"title": "Bern", "paragraphs": [{"context": "Bern is the federal city of Switzerland.", "qas": [
  {"id": "b1", "question": "What is Bern?", "answers": [{"text": "the federal city", "answer_start": 8}]},
  {"id": "b2", "question": "Of which country?", "answers": [{"text": "Switzerland", "answer_start": 28}]}]}]}]}
J
$N reader train $TRAIN --max-steps 3 --train "$T/t.json" --from-feedback "$T/s.db" --save-dir "$T/mix" 2>"$T/mix.log" ||
    fail "mixed training: $(tail -3 "$T/mix.log")"
grep -q ': 3 questions (3 with an answer) -> 3 windows' "$T/mix.log" || fail "mixed data: $(cat "$T/mix.log")"
[ -s "$T/mix/model.safetensors" ] || fail "no mixed model"

# 6. A store without feedback, and no store at all.
$N index --store "$T/empty.db" "$T/docs.jsonl" --split-by none >/dev/null 2>&1
if $N reader train $TRAIN --from-feedback "$T/empty.db" --save-dir "$T/e" 2>"$T/err"; then fail "trained on nothing"; fi
grep -q 'empty.db: no user feedback to train on' "$T/err" || fail "$(cat "$T/err")"
if $N reader train $TRAIN --from-feedback "$T/none.db" --save-dir "$T/e" 2>"$T/err"; then fail "trained on a missing store"; fi
grep -q 'none.db' "$T/err" || fail "$(cat "$T/err")"

kill -TERM "$SPID"
wait "$SPID" || fail "server did not stop cleanly"
SPID=
echo "feedback loop: wrong answer, feedback, retrain, right answer — ok" >&2
