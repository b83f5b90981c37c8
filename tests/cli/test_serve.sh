#!/bin/sh
# test_serve.sh — `needle serve` as a process: the port file, a write that survives kill -9
# (acknowledged means committed; also with --durable), a graceful SIGTERM that finishes an upload in flight and
# exits 0, the API key from the environment, and a clear error for a port already taken.
set -e
T=$(mktemp -d)
PID=
cleanup() {
    [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

start() { # start the server on a free port; sets PID and PORT
    rm -f "$T/port"
    ./needle serve --store "$T/s.db" --port 0 --port-file "$T/port" --threads 2 "$@" 2>>"$T/log" &
    PID=$!
    i=0
    while [ ! -s "$T/port" ]; do
        i=$((i + 1))
        [ $i -le 100 ] || { cat "$T/log"; exit 1; }
        sleep 0.1
    done
    PORT=$(cat "$T/port")
}

start
code=$(curl -s -o "$T/out" -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/documents" \
    -d '[{"content": "The acknowledged write survives.", "id": "w1"}]')
[ "$code" = 200 ]
grep -q '"written":1' "$T/out"

# kill -9 right after the acknowledgement: the document is in the store on restart.
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=
start
curl -s -X POST "http://127.0.0.1:$PORT/documents/get_by_filters" -d '{"filters": {"id": "w1"}}' >"$T/out"
grep -q '"content":"The acknowledged write survives."' "$T/out"

# The same with --durable (an fsync per commit on top: what a kill cannot show, the store's
# setting is checked in tests/search/test_docstore.c).
kill -INT "$PID"
wait "$PID"
PID=
start --durable
grep -q "(durable writes)" "$T/log"
curl -s -X POST "http://127.0.0.1:$PORT/documents" -d '[{"content": "A durable write.", "id": "w2"}]' | grep -q '"written":1'
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=
start
curl -s -X POST "http://127.0.0.1:$PORT/documents/get_by_filters" -d '{"filters": {"id": "w2"}}' | grep -q '"content":"A durable write."'

# SIGTERM while a large upload is being indexed: the upload completes, the server exits 0.
# /health counts the requests in flight (itself included), so the signal is sent only once
# the upload has reached the server.
seq 1 30000 | sed 's/.*/Paragraph & of a long *Markdown* file about needles and haystacks.\n/' >"$T/big.md"
curl -s -o "$T/up" -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/file-upload" -F "files=@$T/big.md" \
    -F split_by=passage -F split_length=1 -F split_respect_sentence_boundary=false >"$T/upcode" &
CURL=$!
i=0
until curl -s "http://127.0.0.1:$PORT/health" | grep -q '"requests_in_flight":2'; do
    i=$((i + 1))
    [ $i -le 500 ] || exit 1
    sleep 0.01
done
kill -TERM "$PID"
wait "$CURL"
[ "$(cat "$T/upcode")" = 200 ]
grep -q '"written":30000' "$T/up"
wait "$PID"
PID=
grep -q "SIGTERM received: finishing [12] request(s) in flight" "$T/log"
grep -q "stopped" "$T/log"

# After the restart every passage of the upload is there.
start
curl -s -X POST "http://127.0.0.1:$PORT/query" -d '{"query": "paragraph 29999"}' >"$T/out"
grep -q 'Paragraph 29999 of a long Markdown file' "$T/out"
kill -INT "$PID"
wait "$PID"
PID=

# The API key from the environment protects the API, not the page or /health.
NEEDLE_API_KEY=s3cret start
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/query" -d '{"query": "x"}')" = 401 ]
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-API-Key: s3cret' -X POST "http://127.0.0.1:$PORT/query" -d '{"query": "x"}')" = 200 ]
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" = 200 ]
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health")" = 200 ]

# A second server on the same port fails with a message naming the address.
if ./needle serve --store "$T/s2.db" --port "$PORT" 2>"$T/err"; then exit 1; fi
grep -q "cannot listen on 127.0.0.1:$PORT" "$T/err"
kill -TERM "$PID"
wait "$PID"
PID=
