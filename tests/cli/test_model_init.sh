#!/bin/sh
# test_model_init.sh — `needle model init`: a named size for a tokenizer gives a directory with
# config.json, model.safetensors and the tokenizer's files that `needle model run` can load;
# explicit sizes override the name; misuse and an existing model directory are refused.
# (Sizes, config fields and the initial weights are checked in tests/model/test_model_init.c.)
set -e
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
./needle model init --help | grep -q -- "--size"
./needle model init --size tiny --tokenizer tests/fixtures/tokenizers/bert-base-uncased --out $T/tiny 2>$T/log
for f in config.json model.safetensors tokenizer.json tokenizer_config.json; do test -s $T/tiny/$f; done
grep -q '"BertForMaskedLM"' $T/tiny/config.json
grep -Eq '"hidden_size":[[:space:]]*128' $T/tiny/config.json
grep -Eq '"vocab_size":[[:space:]]*30522' $T/tiny/config.json
./needle model init --layers 3 --hidden 96 --heads 3 --ffn 200 --head cls --num-labels 3 --seed 7 \
    --tokenizer tests/fixtures/tokenizers/bert-base-uncased --out $T/custom 2>$T/log
grep -Eq '"num_hidden_layers":[[:space:]]*3' $T/custom/config.json
grep -Eq '"num_attention_heads":[[:space:]]*3' $T/custom/config.json
grep -Eq '"intermediate_size":[[:space:]]*200' $T/custom/config.json
grep -q '"BertForSequenceClassification"' $T/custom/config.json
grep -q 'LABEL_2' $T/custom/config.json
if ./needle model init --size tiny --tokenizer tests/fixtures/tokenizers/bert-base-uncased --out $T/tiny 2>$T/err; then exit 1; fi
grep -q "already holds a model" $T/err
if ./needle model init --size huge --tokenizer tests/fixtures/tokenizers/bert-base-uncased --out $T/x 2>$T/err; then exit 1; fi
grep -q "unknown model size" $T/err
if ./needle model init --tokenizer tests/fixtures/tokenizers/bert-base-uncased --out $T/x 2>$T/err; then exit 1; fi
grep -q "give --size" $T/err
test ! -e $T/x
