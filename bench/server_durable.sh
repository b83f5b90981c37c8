#!/bin/sh
# bench/server_durable.sh — what `needle serve --durable` costs: acknowledged writes per second
# (POST /feedback, one label per request, each its own transaction) with SQLite's
# synchronous=NORMAL (the default: a commit is in the write-ahead log, through the operating
# system, before the reply) and synchronous=FULL (--durable: the log is also fsynced before the
# reply). Both servers run side by side on stores in the same directory (same file system);
# wrk drives them in turn, ROUNDS times, each run DURATION seconds at CONNECTIONS connections,
# so both see the same machine load. The figure is the ratio; the absolute rates depend on the
# disk's fsync latency.
#
# Usage: bench/server_durable.sh   (env: DURATION=10 ROUNDS=3 CONNECTIONS=1 THREADS=CPUs)
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for both sides alike (nothing here uses BLAS).
set -e
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-1}
THREADS=${THREADS:-$(nproc)}
OUT=bench/out/server_durable
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
make -s needle
rm -rf "$OUT"
mkdir -p "$OUT"
cat >"$OUT/feedback.lua" <<'EOF'
local headers = {["Content-Type"] = "application/json"}
local body = '{"query": "Which lake is Zurich on?", "document": {"id": "zh", "content": "Zurich lies on Lake Zurich."},'
  .. ' "answer": {"answer": "Lake Zurich", "offsets_in_document": [{"start": 15, "end": 26}]},'
  .. ' "is_correct_answer": true, "is_correct_document": true, "origin": "user-feedback"}'
request = function() return wrk.format("POST", "/feedback", headers, body) end
done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format("RESULT requests=%d errors=%d non2xx=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f\n", s.requests,
    e.connect + e.read + e.write + e.timeout, e.status, s.requests / (s.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
EOF
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null || true; done' EXIT
for mode in normal durable; do
    flag=
    [ $mode = durable ] && flag=--durable
    ./needle serve --store "$OUT/$mode.db" --port 0 --port-file "$OUT/$mode.port" --threads "$THREADS" $flag \
        2>"$OUT/$mode.log" &
    PIDS="$PIDS $!"
    i=0
    until [ -s "$OUT/$mode.port" ]; do i=$((i + 1)); [ $i -le 100 ] || exit 1; sleep 0.1; done
done
echo "POST /feedback, $CONNECTIONS connection(s), $DURATION s per run, $ROUNDS rounds; machine load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "file system of the stores: $(df -T "$OUT" | awk 'NR == 2 {print $2 " on " $1}')"
status=0
for r in $(seq 1 "$ROUNDS"); do
    for mode in normal durable; do
        wrk -t 1 -c "$CONNECTIONS" -d "${DURATION}s" -s "$OUT/feedback.lua" "http://127.0.0.1:$(cat "$OUT/$mode.port")" \
            >"$OUT/$mode.$r.txt"
        line=$(grep RESULT "$OUT/$mode.$r.txt")
        echo "round $r $mode ${line#RESULT }" | tee -a "$OUT/summary.txt"
        case "$line" in *" errors=0 non2xx=0 "*) ;; *) status=1 ;; esac
    done
done
awk '/^round/ { for (i = 1; i <= NF; i++) if ($i ~ /^rps=/) { split($i, v, "="); s[$3] += v[2]; n[$3]++ } }
     END { printf "mean writes/s: normal %.1f, durable %.1f; durable/normal %.3f\n", s["normal"] / n["normal"],
           s["durable"] / n["durable"], (s["durable"] / n["durable"]) / (s["normal"] / n["normal"]) }' \
    "$OUT/summary.txt"
echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ $status -eq 0 ] || { echo "errors during the benchmark (see $OUT)" >&2; exit 1; }
