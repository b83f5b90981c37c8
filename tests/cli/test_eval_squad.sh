#!/bin/sh
# test_eval_squad.sh — `needle eval squad`: the keys of each version's official output on stdout
# (values are checked against the Python reference in tests/eval/test_squad_reference.c), the
# missing-prediction notices on stderr, --version, --out, and clear errors for bad input.
set -e
E=tests/fixtures/squad/eval
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

./needle eval squad --data $E/squad-v1.1-dev-subset.json --predictions $E/pred-v1.json >"$T/out" 2>"$T/err"
grep -qx '{"exact_match":40.94707520891365,"f1":52.578294500300096}' "$T/out"
grep -q '^Unanswered question .* will receive score 0\.$' "$T/err"

./needle eval squad --data $E/squad-v1.1-dev-subset.json --predictions $E/pred-v1.json --version 2.0 >"$T/out" 2>"$T/err"
grep -q '^{"exact":[0-9.]*,"f1":[0-9.]*,"total":343,"HasAns_exact":[0-9.]*,"HasAns_f1":[0-9.]*,"HasAns_total":343}$' "$T/out"
grep -q '^Missing prediction for ' "$T/err"

./needle eval squad --data $E/squad-v2.0-dev-subset.json --predictions $E/pred-v2.json --na-prob $E/na-prob-v2.json \
    --out "$T/res.json" >"$T/out" 2>"$T/err"
for k in exact f1 total HasAns_exact HasAns_f1 HasAns_total NoAns_exact NoAns_f1 NoAns_total best_exact \
    best_exact_thresh best_f1 best_f1_thresh; do
    grep -q "\"$k\":" "$T/out"
done
cmp "$T/out" "$T/res.json"
grep -q '2 predictions for question ids that' "$T/err"

# --na-prob is a v2.0 option
if ./needle eval squad --data $E/squad-v1.1-dev-subset.json --predictions $E/pred-v1.json \
    --na-prob $E/na-prob-v2.json 2>"$T/err"; then exit 1; fi
grep -q 'na-prob applies to SQuAD v2.0' "$T/err"

if ./needle eval squad --data $E/unicode.json --predictions $E/pred-v1.json --version 3 2>"$T/err"; then exit 1; fi
grep -q "neither 1.1 nor 2.0" "$T/err"

printf '{"5733be284776f41900661182": "bad \377 byte"}' >"$T/bad.json"
if ./needle eval squad --data $E/squad-v1.1-dev-subset.json --predictions "$T/bad.json" 2>"$T/err"; then exit 1; fi
grep -q "bad.json: invalid UTF-8 at line 1, column 35" "$T/err"

printf '{"5733be284776f41900661182": 3}' >"$T/num.json"
if ./needle eval squad --data $E/squad-v1.1-dev-subset.json --predictions "$T/num.json" 2>"$T/err"; then exit 1; fi
grep -q 'num.json: the prediction for "5733be284776f41900661182" should be a string' "$T/err"

if ./needle eval squad --predictions $E/pred-v1.json 2>"$T/err"; then exit 1; fi
grep -q -- "--data is required" "$T/err"
