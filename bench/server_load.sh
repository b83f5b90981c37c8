#!/bin/sh
# bench/server_load.sh — load test of `needle serve`: concurrent clients on loopback send
# POST /query (the BM25-only pipeline today; the reader is added later) and wrk reports
# throughput and the latency distribution; the server's resident memory (VmRSS from
# /proc/<pid>/status) is read after warm-up and after every run, to show it stays flat.
#
# Corpus: BEIR SciFact (5,183 abstracts, title + text as one passage each), loaded through
# POST /documents; queries: its 1,109 claims, cycled. Every reply must be 200 (wrk counts
# non-2xx and socket errors; the script fails when there are any). No reference server is run
# beside needle: Haystack's REST API (FastAPI + Python) is not installed here, so the figures
# are absolute, not ratios.
#
# Usage: bench/server_load.sh [DURATION_S] [CONNECTIONS...]   (defaults: 20 s; 1 16 64 64 — the
# repeated last run shows whether memory keeps growing once every connection pool exists)
# Env: THREADS (handler threads, default: CPUs), DATA (default /work/shared/data/beir-scifact).
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset (for every side alike; BM25 uses no BLAS).
set -e
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
DURATION=${1:-20}
[ $# -gt 0 ] && shift
CONNS=${*:-1 16 64 64}
DATA=${DATA:-/work/shared/data/beir-scifact}
THREADS=${THREADS:-$(nproc)}
OUT=bench/out/server_load
PY=/usr/bin/python3
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
[ -f "$DATA/corpus.jsonl" ] || { echo "no $DATA/corpus.jsonl" >&2; exit 1; }
make -s needle
rm -rf "$OUT"
mkdir -p "$OUT"

# Documents as POST /documents batches, queries as a wrk script (data preparation only).
"$PY" - "$DATA" "$OUT" <<'EOF'
import json, sys
data, out = sys.argv[1], sys.argv[2]
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
        f.write("  " + lua(json.dumps({"query": q, "params": {"Retriever": {"top_k": 10}}}, ensure_ascii=False)) + ",\n")
    f.write("}\n")
    f.write("""local i = math.random(#bodies)
local headers = {["Content-Type"] = "application/json"}
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/query", headers, bodies[i])
end
done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format("RESULT requests=%d errors=%d non2xx=%d seconds=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\\n",
    s.requests, e.connect + e.read + e.write + e.timeout, e.status, s.duration / 1e6, s.requests / (s.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3))
end
""")
print(f"{len(docs)} documents, {len(queries)} queries", file=sys.stderr)
EOF

./needle serve --store "$OUT/store.db" --port 0 --port-file "$OUT/port" --threads "$THREADS" 2>"$OUT/server.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
i=0
until [ -s "$OUT/port" ]; do i=$((i + 1)); [ $i -le 100 ] || exit 1; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$OUT/port")"
for f in "$OUT"/docs_*.json; do
    curl -s -f -X POST "$URL/documents" -H 'Content-Type: application/json' --data-binary "@$f" >/dev/null
done
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }
# The first query after loading builds the BM25 index: keep that out of the figures.
curl -s -f -X POST "$URL/query" -d '{"query": "warm"}' >/dev/null

echo "needle serve --threads $THREADS, $(grep -c . "$DATA/corpus.jsonl") SciFact documents, $(nproc) CPUs"
echo "machine load before: $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t 2 -c 16 -d 3s -s "$OUT/query.lua" "$URL" >"$OUT/warmup.txt"
grep RESULT "$OUT/warmup.txt" | sed 's/^RESULT/warm-up:/'
echo "VmRSS after warm-up: $(rss) kB"
status=0
for c in $CONNS; do
    t=2
    [ "$c" -lt 2 ] && t=1
    before=$(rss)
    wrk -t "$t" -c "$c" -d "${DURATION}s" --timeout 10s -s "$OUT/query.lua" "$URL" >"$OUT/c$c.txt"
    after=$(rss)
    line=$(grep RESULT "$OUT/c$c.txt")
    echo "connections=$c ${line#RESULT } rss_before_kb=$before rss_after_kb=$after"
    case "$line" in *" errors=0 non2xx=0 "*) ;; *) status=1 ;; esac
done
echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
kill -TERM $PID
wait $PID || status=1
trap - EXIT
[ $status -eq 0 ] || { echo "errors during the load test (see $OUT)" >&2; exit 1; }
