#!/bin/sh
# test_reader_predict.sh — `needle reader predict` and `needle reader eval` on the tiny reader:
# the official prediction file (one answer per question id), the details file (top-k answers with
# score, probability, context and offsets), v2.0's null odds, eval's keys and its agreement with
# `needle eval squad` on the same predictions, and clear errors for a model without a span head,
# a bad data file and impossible options. (Decoding is checked against HF's post-processing in
# tests/train/test_span_decode.c, learning in tests/train/test_reader_overfit.c.) One thread except
# for the first prediction: the tiny model gains nothing from more, and on a loaded machine the
# threads of each parallel region mostly wait for one another.
set -e
M=tests/fixtures/reader/tiny-bert-qa
D=tests/fixtures/reader/squad64.json
H=tests/fixtures/squad/haystack
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export NEEDLE_LOG=warn

./needle reader predict --help | grep -q -- "--na-prob-out"
./needle reader eval --help | grep -q "top_n_accuracy"

./needle reader predict --model $M --data $D --out "$T/pred.json" --details "$T/details.json" --top-k 3 --threads 2
[ "$(grep -o '"[0-9a-f]\{24\}":' "$T/pred.json" | sort -u | wc -l)" -eq 64 ]
grep -q '"answers":\[{"answer":' "$T/details.json"
for k in score probability start_logit end_logit offsets_in_document context offsets_in_context; do
    grep -q "\"$k\":" "$T/details.json"
done
[ "$(grep -o '"id":' "$T/details.json" | wc -l)" -eq 64 ]

# eval = predict + the official script: the same figures as eval squad on predict's file
./needle reader eval --threads 1 --model $M --data $D --predictions-out "$T/pred2.json" >"$T/eval.json"
grep -q '^{"exact_match":[0-9.]*,"f1":[0-9.]*,"top_n":5,"top_n_accuracy":[0-9.]*,"top_n_em":[0-9.]*,"loss":[0-9.]*}$' "$T/eval.json"
cmp "$T/pred.json" "$T/pred2.json"
./needle eval squad --data $D --predictions "$T/pred.json" >"$T/official.json"
official=$(sed 's/[{}]//g' "$T/official.json")
grep -q "^{$official," "$T/eval.json"

# v2.0: no-answer prediction, null odds, the official v2 keys
./needle reader predict --threads 1 --model $M --data $H/eval-sample.json --out "$T/p2.json" --na-prob-out "$T/na.json" \
    --max-seq-len 128 --stride 32
[ "$(grep -o '":' "$T/na.json" | wc -l)" -eq 3 ]
./needle reader eval --threads 1 --model $M --data $H/eval-sample.json --max-seq-len 128 --stride 32 >"$T/e2.json"
for k in exact f1 total HasAns_exact NoAns_exact best_exact best_f1_thresh top_n_accuracy; do grep -q "\"$k\":" "$T/e2.json"; done
if ./needle reader predict --threads 1 --model $M --data $D --out "$T/x.json" --na-prob-out "$T/na1.json" 2>"$T/err"; then exit 1; fi
grep -q 'na-prob-out applies to SQuAD v2.0' "$T/err"
[ ! -e "$T/x.json" ]

# errors
if ./needle reader predict --threads 1 --model tests/fixtures/hf-models/bert-mlm --tokenizer $M --data $D --out "$T/x.json" 2>"$T/err"; then exit 1; fi
grep -q 'not a question-answering model (architecture BertForMaskedLM)' "$T/err"
printf '{"data": [{"paragraphs": [{"context": "abc", "qas": [' >"$T/bad.json"
if ./needle reader predict --threads 1 --model $M --data "$T/bad.json" --out "$T/x.json" 2>"$T/err"; then exit 1; fi
grep -q 'bad.json: malformed JSON' "$T/err"
if ./needle reader predict --threads 1 --model $M --data $D --out "$T/x.json" --max-seq-len 600 2>"$T/err"; then exit 1; fi
grep -q 'max-seq-len 600 exceeds the model.s 512 positions' "$T/err"
if ./needle reader predict --threads 1 --model $M --data $D --out "$T/x.json" --n-best 0 2>"$T/err"; then exit 1; fi
grep -q 'n-best 0' "$T/err"
if ./needle reader train --threads 1 --model $M --train $D --save-dir "$T/s" --warmup-steps 2 --warmup-proportion 0.1 2>"$T/err"; then exit 1; fi
grep -q 'not both' "$T/err"

# training with dev evaluation: a split of the training file, one eval line per --eval-every, best/
./needle reader train --threads 1 --model $M --train $D --dev-fraction 0.3 --save-dir "$T/tr" --log "$T/tr.jsonl" \
    --max-seq-len 128 --stride 32 --batch-size 4 --max-steps 4 --eval-every 2 --lr 1e-3 --seed 1 2>"$T/err"
[ "$(grep -c '"eval":{"exact_match":' "$T/tr.jsonl")" -eq 2 ]
[ "$(grep -c '"loss":.*"grad_norm"' "$T/tr.jsonl")" -eq 4 ]
grep -q '"step":2,.*"eval":{.*"best":true' "$T/tr.jsonl"
[ -e "$T/tr/best/model.safetensors" ] && [ -e "$T/tr/best/vocab.txt" ] && [ -e "$T/tr/model.safetensors" ]
grep -q 'trained 4 steps.*best f1' "$T/err"
if ./needle reader train --threads 1 --model $M --train $H/answer-wrong.json --save-dir "$T/s" 2>"$T/err"; then exit 1; fi
grep -q 'answer-wrong.json: no training windows' "$T/err"
