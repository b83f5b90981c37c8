#!/bin/sh
# bench/server_load.sh — load test of `needle serve`: concurrent clients on loopback send
# POST /query and wrk reports throughput and the latency distribution; the server's resident
# memory (VmRSS from /proc/<pid>/status) is read after warm-up and after every run, to show it
# stays flat.
#
# Two pipelines:
#   BM25 only (default): `needle serve --store`, a BM25Retriever returning top 10 passages.
#   BM25 + reader (READER=DIR, an extractive QA model directory): `needle serve --pipeline` with
#     a BM25Retriever (RETRIEVER_TOP_K passages, default 10) feeding a FARMReader on DIR
#     (max_seq_len MAX_SEQ_LEN, default 256, doc_stride 128 or less so that a question of 64 tokens
#     leaves more text tokens than the stride, top 3 answers; one batch holds every
#     window of the query's passages). One server per CPU policy in POLICIES (default
#     "adaptive"; any of adaptive serial parallel, see include/needle/infer_slots.h), all on the
#     same store; for each connection count the policies run one after another, so they see
#     the same machine load.
# Corpus: BEIR SciFact (5,183 abstracts, title + text as one passage each), loaded through
# POST /documents; queries: its 1,109 claims, cycled. Every reply must be 200 (wrk counts
# non-2xx and socket errors; the script fails when there are any). With SOAK=N, each server then
# runs 16-connection rounds of 30 s until N requests have been served in all, printing VmRSS
# after each round: memory across many requests. No reference server runs beside needle
# (Haystack's REST API needs Python packages that are not installed here), so the figures are
# absolute; the CPU seconds per request (the server's user + system time over the requests
# served) is the figure that survives a machine shared with other jobs.
#
# Usage: bench/server_load.sh [DURATION_S] [CONNECTIONS...]   (defaults: 20 s; 1 16 64 64 — the
# repeated last run shows whether memory keeps growing once every connection pool exists)
# Env: THREADS (handler threads, default: CPUs), DATA (default /work/shared/data/beir-scifact),
# READER, RETRIEVER_TOP_K, MAX_SEQ_LEN, POLICIES, SOAK (see above).
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset (there is no other side to treat alike).
set -e
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
DURATION=${1:-20}
[ $# -gt 0 ] && shift
CONNS=${*:-1 16 64 64}
DATA=${DATA:-/work/shared/data/beir-scifact}
THREADS=${THREADS:-$(nproc)}
TOPK=${RETRIEVER_TOP_K:-10}
SEQ=${MAX_SEQ_LEN:-256}
STRIDE=$((SEQ - 68)) # Haystack's 128, or less when a 64-token question leaves fewer text tokens
[ $STRIDE -gt 128 ] && STRIDE=128
POLICIES=${POLICIES:-adaptive}
SOAK=${SOAK:-0}
OUT=bench/out/server_load
PY=/usr/bin/python3
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
[ -f "$DATA/corpus.jsonl" ] || { echo "no $DATA/corpus.jsonl" >&2; exit 1; }
[ -z "$READER" ] || [ -f "$READER/config.json" ] || { echo "READER=$READER is not a model directory" >&2; exit 1; }
make -s needle
rm -rf "$OUT"
mkdir -p "$OUT"

# Documents as POST /documents batches, queries as a wrk script (data preparation only).
"$PY" - "$DATA" "$OUT" "$TOPK" <<'EOF'
import json, sys
data, out, top_k = sys.argv[1], sys.argv[2], int(sys.argv[3])
docs = [json.loads(l) for l in open(f"{data}/corpus.jsonl", encoding="utf-8")]
for b in range(0, len(docs), 1000):
    batch = [{"id": d["_id"], "content": (d["title"] + " " + d["text"]).strip(), "meta": {"title": d["title"]}}
             for d in docs[b:b + 1000]]
    json.dump(batch, open(f"{out}/docs_{b // 1000:02d}.json", "w", encoding="utf-8"), ensure_ascii=False)
queries = [json.loads(l)["text"] for l in open(f"{data}/queries.jsonl", encoding="utf-8")]
def lua(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
with open(f"{out}/query.lua", "w", encoding="utf-8") as f:
    f.write("local bodies = {\n")
    for q in queries:
        f.write("  " + lua(json.dumps({"query": q, "params": {"Retriever": {"top_k": top_k}}}, ensure_ascii=False)) + ",\n")
    f.write("}\n")
    f.write("""local i = math.random(#bodies)
local headers = {["Content-Type"] = "application/json"}
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/query", headers, bodies[i])
end
done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format("RESULT requests=%d errors=%d non2xx=%d seconds=%.2f rps=%.2f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\\n",
    s.requests, e.connect + e.read + e.write + e.timeout, e.status, s.duration / 1e6, s.requests / (s.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3))
end
""")
print(f"{len(docs)} documents, {len(queries)} queries", file=sys.stderr)
EOF

# One server per policy (BM25 only: one server, named "bm25").
if [ -n "$READER" ]; then
    MODEL=$(cd "$READER" && pwd)
    NAMES=$POLICIES
else
    NAMES=bm25
fi
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null || true; done' EXIT
for name in $NAMES; do
    if [ -n "$READER" ]; then
        cat >"$OUT/$name.yaml" <<Y
version: '1.0'
components:
  - name: DocumentStore
    type: SQLiteDocumentStore
    params: {path: store.db, create: true}
  - name: Retriever
    type: BM25Retriever
    params: {document_store: DocumentStore, top_k: $TOPK}
  - name: Reader
    type: FARMReader
    params: {model_name_or_path: $MODEL, max_seq_len: $SEQ, doc_stride: $STRIDE, top_k: 3, cpu_policy: $name}
pipelines:
  - name: query
    nodes:
      - {name: Retriever, inputs: [Query]}
      - {name: Reader, inputs: [Retriever]}
Y
        ./needle serve --pipeline "$OUT/$name.yaml" --port 0 --port-file "$OUT/$name.port" --threads "$THREADS" \
            2>"$OUT/$name.log" &
    else
        ./needle serve --store "$OUT/store.db" --port 0 --port-file "$OUT/$name.port" --threads "$THREADS" \
            2>"$OUT/$name.log" &
    fi
    pid=$!
    PIDS="$PIDS $pid"
    echo "$pid" >"$OUT/$name.pid"
    i=0
    until [ -s "$OUT/$name.port" ]; do i=$((i + 1)); [ $i -le 300 ] || exit 1; sleep 0.1; done
done
url() { echo "http://127.0.0.1:$(cat "$OUT/$1.port")"; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$(cat "$OUT/$1.pid")/status"; }
HZ=$(getconf CLK_TCK)
cpu() { awk -v hz="$HZ" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$(cat "$OUT/$1.pid")/stat"; } # utime + stime
first=${NAMES%% *}
for f in "$OUT"/docs_*.json; do
    curl -s -f -X POST "$(url "$first")/documents" -H 'Content-Type: application/json' --data-binary "@$f" >/dev/null
done

echo "needle serve --threads $THREADS, $(grep -c . "$DATA/corpus.jsonl") SciFact documents, $(nproc) CPUs"
[ -n "$READER" ] && echo "pipeline: BM25 top $TOPK -> FARMReader $READER (max_seq_len $SEQ, stride $STRIDE, top 3)"
echo "machine load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for name in $NAMES; do
    # The first query after loading builds the BM25 index: keep that out of the figures.
    curl -s -X POST "$(url "$name")/query" -d '{"query": "warm"}' >"$OUT/$name.warm.json"
    grep -q '"documents":\[{' "$OUT/$name.warm.json" || { echo "$name: $(cat "$OUT/$name.warm.json")" >&2; exit 1; }
    wrk -t 2 -c 2 -d 3s -s "$OUT/query.lua" "$(url "$name")" >"$OUT/$name.warmup.txt"
    echo "$name: warm-up $(grep RESULT "$OUT/$name.warmup.txt" | sed 's/^RESULT //'); VmRSS $(rss "$name") kB"
done
status=0
idle() { # wait until the server has no request in flight but the /health asking (wrk leaves its last ones)
    until curl -s "$(url "$1")/health" | grep -q '"requests_in_flight":1,'; do sleep 0.2; done
}
run() { # run NAME CONNECTIONS SECONDS TAG — one wrk run; prints its line
    for n in $NAMES; do idle "$n"; done
    t=2
    [ "$2" -lt 2 ] && t=1
    before=$(rss "$1")
    c0=$(cpu "$1")
    wrk -t "$t" -c "$2" -d "${3}s" --timeout 60s -s "$OUT/query.lua" "$(url "$1")" >"$OUT/$1.$4.txt"
    after=$(rss "$1")
    line=$(grep RESULT "$OUT/$1.$4.txt")
    n=$(echo "$line" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
    cpu_req=$(awk -v a="$c0" -v b="$(cpu "$1")" -v n="$n" 'BEGIN { if (n > 0) printf "%.4f", (b - a) / n; else print "-" }')
    echo "$1 connections=$2 ${line#RESULT } cpu_s_per_request=$cpu_req rss_before_kb=$before rss_after_kb=$after"
    case "$line" in *" errors=0 non2xx=0 "*) ;; *) status=1 ;; esac
    LAST_N=$n
}
k=0
for c in $CONNS; do
    k=$((k + 1))
    for name in $NAMES; do run "$name" "$c" "$DURATION" "c$c.$k"; done
done
if [ "$SOAK" -gt 0 ]; then
    for name in $NAMES; do
        total=0
        r=0
        echo "$name: soak, 16 connections in rounds of 30 s until $SOAK requests; VmRSS at start $(rss "$name") kB"
        while [ "$total" -lt "$SOAK" ]; do
            r=$((r + 1))
            run "$name" 16 30 "soak$r"
            total=$((total + LAST_N))
        done
        echo "$name: $total requests in the soak; VmRSS at end $(rss "$name") kB"
    done
fi
echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for name in $NAMES; do
    pid=$(cat "$OUT/$name.pid")
    kill -TERM "$pid"
    wait "$pid" || status=1
done
trap - EXIT
[ $status -eq 0 ] || { echo "errors during the load test (see $OUT)" >&2; exit 1; }
