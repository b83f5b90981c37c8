#!/bin/sh
# test_index_query.sh — `needle index` and `needle query` end to end: JSON lines, SQuAD and
# text inputs, filters, the JSON output, and bad input: a malformed line (reported with its
# line number, nothing saved), an unknown filter operator (named), a store of another
# version, a full disk (file size limit) and a kill during indexing — each leaving the
# previous store and index usable.
set -e
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
N=./needle

$N index --help | grep -q -- "--split-by"
$N query --help | grep -q -- "--filters"

cat > "$T/a.jsonl" <<'J'
{"id": "d1", "content": "Berlin is the capital of Germany.", "meta": {"lang": "en", "year": 2020}}
{"content": "Paris is the capital of France.", "title": "France", "meta": {"lang": "en", "year": 2019}}

{"text": "Berlin ist die Hauptstadt von Deutschland.", "meta": {"lang": "de", "tags": ["city", "de"]}}
J
printf 'Dr. Smith lives in Rome. He likes it.\n\nThe end.\n' > "$T/note.txt"
$N index --store "$T/s.db" "$T/a.jsonl" "$T/note.txt" tests/fixtures/search/squad_tiny.json \
    tests/fixtures/search/squad_answer_offset_wrong.json tests/fixtures/search/squad_noanswer.json \
    --split-by sentence --split-length 1 > "$T/out.json" 2>"$T/err"
grep -q '"labels":6' "$T/out.json"          # 5 answers of tiny + 1 unanswerable question
grep -q '"answers_dropped":1' "$T/out.json" # answer-offset-wrong's answer is not at answer_start
test -f "$T/s.db.bm25"
# SQuAD question ids above 2^53 keep every digit (tiny.json's ids, as written in the file; a
# double would make them ...128 and ...744); tests/search/test_ingest.c checks the same without
# the sqlite3 shell
if command -v sqlite3 >/dev/null; then
    sqlite3 "$T/s.db" "SELECT json_extract(meta, '$.squad_id') FROM labels" > "$T/ids"
    grep -qx '7211011040021040393' "$T/ids"
    grep -qx -- '-5782547119306399562' "$T/ids"
fi
# --relocate-answers moves answer-offset-wrong's "10" from answer_start 0 to where it is: 11
$N index --store "$T/r.db" tests/fixtures/search/squad_answer_offset_wrong.json --relocate-answers > "$T/out.json" 2>"$T/err"
grep -q '"labels":1,"answers_moved":1,"answers_dropped":0' "$T/out.json"
if command -v sqlite3 >/dev/null; then
    test "$(sqlite3 "$T/r.db" "SELECT answer, answer_start, answer_end FROM labels")" = "10|11|13"
fi

$N query --store "$T/s.db" "capital of Germany" --top-k 1 > "$T/q.json"
grep -q '"source_id":"d1"' "$T/q.json"
grep -q '"content":"Berlin is the capital of Germany."' "$T/q.json"
grep -q '"meta":{"lang":"en","year":2020}' "$T/q.json"
grep -q '"score":' "$T/q.json"
# the filter restricts BM25's candidates; list-valued metadata matches any element
$N query --store "$T/s.db" "Berlin capital" --filters '{"lang": "de"}' > "$T/q.json"
grep -q 'Hauptstadt' "$T/q.json"
if grep -q 'Germany' "$T/q.json"; then echo 'filter let a Germany passage through' >&2; exit 1; fi
$N query --store "$T/s.db" "Berlin" --filters '{"tags": {"$in": ["city"]}, "year": {"$nin": [2020]}}' | grep -q 'Hauptstadt'
$N query --store "$T/s.db" "Rome" | grep -q '"content":"Dr. Smith lives in Rome."'
test "$($N query --store "$T/s.db" "capital" --top-k 2 | grep -o '"id"' | wc -l)" -eq 2

# an unknown filter operator is named
if $N query --store "$T/s.db" "x" --filters '{"lang": {"$regex": "d"}}' 2>"$T/err"; then exit 1; fi
grep -q "unknown operator '\$regex'" "$T/err"

before=$($N query --store "$T/s.db" "capital" --top-k 100 | grep -o '"id"' | wc -l)

# a malformed line: reported with file and line number, nothing of the run saved
printf '{"content": "fine"}\n{"content": "broken\n' > "$T/bad.jsonl"
if $N index --store "$T/s.db" "$T/bad.jsonl" 2>"$T/err"; then exit 1; fi
grep -q "bad.jsonl:2: malformed JSON" "$T/err"
printf '{"content": "fine"}\n{"title": "no content"}\n' > "$T/bad2.jsonl"
if $N index --store "$T/s.db" "$T/bad2.jsonl" 2>"$T/err"; then exit 1; fi
grep -q 'bad2.jsonl:2: missing field "content"' "$T/err"
test "$($N query --store "$T/s.db" "capital fine" --top-k 100 | grep -o '"id"' | wc -l)" -eq "$before"

# a full disk (writes past a file size limit fail) keeps the previous store and index
awk 'BEGIN { for (i = 0; i < 3000; i++) { printf "{\"content\": \"capital number %d", i; for (j = 0; j < 40; j++) printf " filler%d", j; print "\"}" } }' > "$T/big.jsonl"
if (trap '' XFSZ; ulimit -f 600; exec $N index --store "$T/s.db" "$T/big.jsonl") 2>"$T/err"; then exit 1; fi
grep -q "nothing of this run was saved" "$T/err"
test "$($N query --store "$T/s.db" "capital" --top-k 100 | grep -o '"id"' | wc -l)" -eq "$before"

# a kill during indexing keeps a usable store and index
$N index --store "$T/s.db" "$T/big.jsonl" "$T/big.jsonl" >/dev/null 2>&1 &
pid=$!
sleep 0.3
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
$N query --store "$T/s.db" "Germany" --top-k 1 | grep -q '"source_id":"d1"'

# a store of another schema version is refused with a message that says so
if command -v sqlite3 >/dev/null; then
    cp "$T/s.db" "$T/v.db"
    sqlite3 "$T/v.db" "PRAGMA user_version = 9"
    if $N query --store "$T/v.db" "x" 2>"$T/err"; then exit 1; fi
    grep -q "schema version 9, but this needle reads version 1" "$T/err"
fi
echo "not a store" > "$T/junk.db"
if $N index --store "$T/junk.db" 2>"$T/err"; then exit 1; fi
grep -q "not a needle document store" "$T/err"
