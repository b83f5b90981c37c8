#!/bin/sh
# test_model_run.sh — `needle model run` on the HF fixtures: outputs under HF's names, the loss
# and one gradient per parameter with --grad, and clear errors for missing files and for
# --grad without labels. (Values are checked against HF in tests/model/test_hf_golden.c.)
set -e
F=tests/fixtures/hf-models
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
./needle model run --help | grep -aq -- "--grad"
./needle model run --model $F/bert-qa --inputs $F/bert-qa/golden.safetensors --out $T/qa.st --grad
head -c 20000 $T/qa.st | grep -aq '"start_logits"'
head -c 20000 $T/qa.st | grep -aq '"end_logits"'
head -c 20000 $T/qa.st | grep -aq '"hidden_states.2"'
head -c 20000 $T/qa.st | grep -aq '"loss"'
test "$(head -c 20000 $T/qa.st | grep -ao '"grad\.[^"]*"' | wc -l)" -eq 39
./needle model run --model $F/dpr-ctx-encoder --inputs $F/bert-qa/golden.safetensors --out $T/dpr.st
head -c 4000 $T/dpr.st | grep -aq '"pooler_output"'
if ./needle model run --model $F/dpr-ctx-encoder --inputs $F/bert-qa/golden.safetensors --out $T/x.st --grad 2>$T/err; then exit 1; fi
grep -q "needs labels" $T/err
if ./needle model run --model $F/bert-qa --inputs $T/none.safetensors --out $T/x.st 2>$T/err; then exit 1; fi
grep -q "none.safetensors" $T/err
if ./needle model run --model $T --inputs $F/bert-qa/golden.safetensors --out $T/x.st 2>$T/err; then exit 1; fi
grep -q "config.json" $T/err
test ! -e $T/x.st
