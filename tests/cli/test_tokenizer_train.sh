#!/bin/sh
# test_tokenizer_train.sh — `needle tokenizer train`: a BERT tokenizer directory from corpora
# in several formats that `needle tokenize` loads; with HF's trainer settings and HF's numbering
# of the ## pieces (--continuing-order) the vocabulary is the one Hugging Face's tokenizers
# trained on the same corpus (tests/fixtures/tokenizer-train, see its SOURCE.md); misuse and
# bad input are refused with messages naming the problem.
set -e
F=tests/fixtures/tokenizer-train
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
./needle tokenizer train --help | grep -q -- "--limit-alphabet"
./needle tokenizer train --corpus tests/fixtures/tokenizers/squad_dev_first3.json $F/covid_qa_2papers.jsonl \
    --vocab-size 2000 --out $T/tok >$T/summary 2>$T/log
grep -q '"vocab_size":2000' $T/summary
grep -q '"stopped_by":"vocab_size"' $T/summary
for f in tokenizer.json vocab.txt tokenizer_config.json special_tokens_map.json; do test -s $T/tok/$f; done
test "$(wc -l < $T/tok/vocab.txt)" -eq 2000
test "$(head -n 5 $T/tok/vocab.txt | tr '\n' ' ')" = "[PAD] [UNK] [CLS] [SEP] [MASK] "
grep -q '"do_lower_case":true' $T/tok/tokenizer_config.json
echo '{"text": "The Normans conquered England."}' | ./needle tokenize --tokenizer $T/tok | grep -q '"ids":\[2,'

# HF's run, reproduced through the command line (HF's default trainer: min_frequency 0, no limit)
./needle tokenizer train --corpus $F/covid_qa_2papers.jsonl --format jsonl --min-frequency 0 --limit-alphabet -1 \
    --continuing-order $F/covid_uncased.1.vocab.txt --out $T/hf >$T/summary 2>$T/log
tail -n +6 $T/hf/vocab.txt | cmp - $F/covid_uncased.1.vocab.txt
./needle tokenizer train --corpus $F/mixed.txt --format text --cased --min-frequency 0 --limit-alphabet -1 \
    --continuing-order $F/mixed_cased.0.vocab.txt --out $T/cased >$T/summary 2>$T/log
tail -n +6 $T/cased/vocab.txt | cmp - $F/mixed_cased.0.vocab.txt
grep -q '"do_lower_case":false' $T/cased/tokenizer_config.json
./needle tokenizer train --corpus $F/beir_squad --format beir --vocab-size 500 --out $T/beir >$T/summary 2>$T/log
grep -q '"vocab_size":500' $T/summary

if ./needle tokenizer train --corpus $F/mixed.txt --cased --lowercase --out $T/x 2>$T/err; then exit 1; fi
grep -q "exclude each other" $T/err
if ./needle tokenizer train --corpus $F/mixed.txt --special-tokens "[PAD],[CLS],[SEP]" --out $T/x 2>$T/err; then exit 1; fi
grep -q "needs the special token \[UNK\]" $T/err
if ./needle tokenizer train --corpus $F/mixed.txt --format csv --out $T/x 2>$T/err; then exit 1; fi
grep -q "unknown input format 'csv'" $T/err
printf '{"text": "ok"}\n{"txt": "no"}\n' > $T/bad.jsonl
if ./needle tokenizer train --corpus $T/bad.jsonl --out $T/x 2>$T/err; then exit 1; fi
grep -q "bad.jsonl:2" $T/err
test ! -e $T/x
