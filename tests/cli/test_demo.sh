#!/bin/sh
# test_demo.sh — demo.sh runs from the checkout with the stages this build has (no model given:
# split, index, BM25 evaluation, report, three questions) and leaves its outputs: the report's
# table on stdout, report.html, and three answered questions.
set -e
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
NEEDLE_DEMO_DIR="$T" ./demo.sh > "$T/out.txt" 2> "$T/err.txt"
grep -q '^BM25: Retriever (BM25Retriever)  *integrated  *10 ' "$T/out.txt"
test "$(grep -c '^Question: ' "$T/out.txt")" -eq 3
test -s "$T/report.html"
grep -q '== \[8/8, ' "$T/err.txt"
grep -q 'skipped: set NEEDLE_DEMO_READER' "$T/err.txt"
