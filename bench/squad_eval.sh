#!/bin/sh
# squad_eval.sh — `needle eval squad` against the Python reference (tests/tools/squad_reference.py, the
# official semantics written independently) on whole files: the full SQuAD v1.1 dev set (10,570 questions)
# and Haystack's SQuAD v2.0 dev subset (626 questions, with no-answer probabilities). For each: the two
# outputs must agree to 1e-9 (a differential check), and each side's best-of-3 wall time is printed with
# the ratio. Predictions are generated deterministically by the reference (seeded).
# Usage: bench/squad_eval.sh [DATA_DIR]   (default /work/shared/data)
set -e
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE   # for both sides alike (neither uses BLAS here)
D=${1:-/work/shared/data}
PY=${PYTHON:-python3}
REF=tests/tools/squad_reference.py
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -x ./needle ] || make -s needle

# best-of-3 wall time in milliseconds of a command line
best_ms() {
    best=
    for i in 1 2 3; do
        s=$(date +%s%N)
        "$@" >/dev/null 2>&1
        e=$(date +%s%N)
        t=$(( (e - s) / 1000000 ))
        if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
    done
    echo "$best"
}

run() { # name data pred [na]
    name=$1 data=$2 pred=$3 na=$4
    if [ -n "$na" ]; then
        ./needle eval squad --data "$data" --predictions "$pred" --na-prob "$na" >"$T/needle.json" 2>/dev/null
        $PY $REF evaluate "$data" "$pred" --na-prob-file "$na" >"$T/ref.json" 2>/dev/null
        n=$(best_ms ./needle eval squad --data "$data" --predictions "$pred" --na-prob "$na")
        r=$(best_ms $PY $REF evaluate "$data" "$pred" --na-prob-file "$na")
    else
        ./needle eval squad --data "$data" --predictions "$pred" >"$T/needle.json" 2>/dev/null
        $PY $REF evaluate "$data" "$pred" >"$T/ref.json" 2>/dev/null
        n=$(best_ms ./needle eval squad --data "$data" --predictions "$pred")
        r=$(best_ms $PY $REF evaluate "$data" "$pred")
    fi
    $PY - "$T/needle.json" "$T/ref.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert list(a) == list(b), (list(a), list(b))
for k in b:
    assert abs(a[k] - b[k]) <= 1e-9 * (1 + abs(b[k])), (k, a[k], b[k])
print("  agree:", json.dumps(a))
PYEOF
    echo "$name: needle ${n} ms, python reference ${r} ms, ratio $(echo "$n $r" | awk '{printf "%.1fx faster", $2 / ($1 > 0 ? $1 : 1)}')"
}

$PY $REF predict "$D/squad-v1.1/dev-v1.1.json" "$T/pred-v1.json" --seed 1 --missing 0.02
run "SQuAD v1.1 dev (10,570 questions)" "$D/squad-v1.1/dev-v1.1.json" "$T/pred-v1.json"
$PY $REF predict "$D/haystack-test-samples/squad/small.json" "$T/pred-v2.json" --na-prob-file "$T/na-v2.json" --seed 2
run "SQuAD v2.0 dev subset (626 questions, na-prob)" "$D/haystack-test-samples/squad/small.json" "$T/pred-v2.json" "$T/na-v2.json"
