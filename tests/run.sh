#!/bin/sh
# run.sh — runs every test: the C tests in build/needle_tests, then each shell test in
# tests/cli/*.sh (which drive the ./needle binary). Prints one closing line for CI:
# "N passed, M failed", and exits non-zero when anything failed.
cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0
out=$(mktemp)
build/needle_tests "$@" | tee "$out"
line=$(tail -n 1 "$out")
rm -f "$out"
c_passed=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
c_failed=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$c_passed" ]; then
    echo "the C test binary did not finish (crash?)" >&2
    c_passed=0
    c_failed=1
fi
passed=$((passed + c_passed))
failed=$((failed + c_failed))
if [ $# -eq 0 ]; then
    for t in tests/cli/*.sh; do
        [ -e "$t" ] || continue
        printf '%s ... ' "$t" >&2
        if log=$(sh "$t" 2>&1); then
            echo ok >&2
            passed=$((passed + 1))
        else
            echo FAILED >&2
            echo "$log" | tail -n 20 | sed 's/^/  /' >&2
            failed=$((failed + 1))
        fi
    done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
