#!/bin/sh
# docstore_bench.sh — bulk insertion of 100,000 generated passages (about 60 words each, with
# metadata) into a fresh store. Side by side in one run, on the same JSON-lines file:
#   needle store   bench/docstore_insert.c: doc_read + docstore_add (batches of 1,000, one
#                  transaction) — the store's bulk insertion;
#   reference      Debian's Python sqlite3 module: json.loads per line, then executemany into a
#                  table with the same columns, index and JSON check, in one transaction;
#   needle index   the whole command (read, preprocess, insert, build BM25), for information.
# Usage: bench/docstore_bench.sh [N]   (run from the repository root after `make`)
set -e
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
N=${1:-100000}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
awk -v n="$N" 'BEGIN { srand(1); for (i = 0; i < n; i++) {
    printf "{\"id\": \"p%d\", \"content\": \"", i
    for (j = 0; j < 60; j++) printf "%sword%d", (j ? " " : ""), int(rand() * 20000)
    printf "\", \"meta\": {\"year\": %d, \"genre\": \"g%d\"}}\n", 1990 + i % 30, i % 7 } }' > "$T/p.jsonl"

make -s build/libneedle.a
gcc -O3 -march=native -std=gnu11 -Iinclude -I/usr/include/cjson bench/docstore_insert.c build/libneedle.a \
    -lsqlite3 -lutf8proc -lcjson -lm -o "$T/docstore_insert"
store_s=$("$T/docstore_insert" "$T/p.jsonl" "$T/ins.db")

t0=$(date +%s.%N)
./needle index --store "$T/s.db" "$T/p.jsonl" --split-by none > "$T/sum.json" 2>/dev/null
t1=$(date +%s.%N)
needle_s=$(echo "$t1 - $t0" | bc -l)

/usr/bin/python3 - "$T/p.jsonl" "$T/ref.db" > "$T/ref.txt" <<'PY'
import json, sqlite3, sys, time
rows = []
t0 = time.perf_counter()
with open(sys.argv[1]) as f:
    for line in f:
        d = json.loads(line)
        rows.append((d["id"], d["content"], json.dumps(d["meta"])))
db = sqlite3.connect(sys.argv[2])
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = NORMAL")
db.execute("CREATE TABLE documents (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, content TEXT NOT NULL,"
           " meta TEXT NOT NULL CHECK (json_valid(meta) AND json_type(meta) = 'object'), source_id TEXT,"
           " source_start INTEGER, source_end INTEGER, split_index INTEGER)")
db.execute("CREATE INDEX documents_source ON documents(source_id)")
with db:
    db.executemany("INSERT INTO documents (id, content, meta, source_id, source_start, source_end, split_index)"
                   " VALUES (?, ?, ?, ?, 0, 0, 0)", [(i, c, m, i) for i, c, m in rows])
print(time.perf_counter() - t0)
PY
ref_s=$(cat "$T/ref.txt")
echo "passages: $N"
echo "needle store (read+insert):                 $store_s s, $(echo "$N / $store_s" | bc) passages/s"
echo "python sqlite3 executemany (read+insert):   $ref_s s, $(echo "$N / $ref_s" | bc) passages/s"
echo "ratio (reference time / needle store time): $(echo "$ref_s / $store_s" | bc -l | cut -c1-5)"
echo "needle index (read+preprocess+insert+BM25): $needle_s s, $(echo "$N / $needle_s" | bc) passages/s"
cat "$T/sum.json"
