#!/bin/sh
# test_reader_distill.sh — `needle reader distill` end to end on the 64 SQuAD questions of the
# reader fixtures: the prediction-layer stage writes the student (with its tokenizer), a log with
# every step and the dev evaluation, and the teacher-logit cache, which a second run reads instead
# of running the teacher; the intermediate stage runs; misuse is refused with a message (bad
# temperature, weight or loss name, a teacher without a span head, models of different
# vocabularies). The semantics (losses against PyTorch, the teacher run once per window) are
# tested in tests/train/test_distill.c.
set -e
F=tests/fixtures/reader
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ARGS="--teacher $F/tiny-bert-qa --student $F/tiny-bert-qa --train $F/squad64.json --max-seq-len 128 --stride 32
      --batch-size 4 --threads 2"

./needle reader distill --help | grep -q 'distil_prediction_layer_from'

NEEDLE_LOG=info ./needle reader distill $ARGS --max-steps 4 --temperature 2 --distillation-loss-weight 0.75 \
    --dev $F/squad64.json --teacher-cache "$T/teacher.logits" --save-dir "$T/s1" --log "$T/s1.jsonl" 2>"$T/err1"
grep -q 'teacher logits of 119 windows written to' "$T/err1"
[ -f "$T/s1/model.safetensors" ] && [ -f "$T/s1/config.json" ] && [ -f "$T/s1/vocab.txt" ]
[ "$(grep -c '"grad_norm"' "$T/s1.jsonl")" -eq 4 ]
grep -q '"eval":{.*"f1"' "$T/s1.jsonl"
head -c 8 "$T/teacher.logits" | grep -q NDLTLOGT

NEEDLE_LOG=info ./needle reader distill $ARGS --max-steps 2 --teacher-cache "$T/teacher.logits" \
    --save-dir "$T/s2" 2>"$T/err2"
grep -q 'teacher logits of 119 windows read from' "$T/err2"
if grep -q 'teacher:' "$T/err2"; then exit 1; fi # no teacher pass (its progress line names it)

NEEDLE_LOG=info ./needle reader distill $ARGS --intermediate --max-steps 2 --save-dir "$T/s3" 2>"$T/err3"
grep -q 'intermediate-layer distillation' "$T/err3"
[ -f "$T/s3/model.safetensors" ]

export NEEDLE_LOG=warn
st=0; ./needle reader distill $ARGS --save-dir "$T/x" --temperature 0 2>"$T/err" || st=$?
[ $st -eq 2 ] && grep -q 'temperature must be > 0' "$T/err"
st=0; ./needle reader distill $ARGS --save-dir "$T/x" --distillation-loss-weight 1.5 2>"$T/err" || st=$?
[ $st -eq 2 ]
st=0; ./needle reader distill $ARGS --save-dir "$T/x" --distillation-loss cosine 2>"$T/err" || st=$?
[ $st -eq 2 ] && grep -q "use kl_div or mse" "$T/err"
st=0; ./needle reader distill --teacher tests/fixtures/hf-models/bert-cross-encoder --student $F/tiny-bert-qa \
    --train $F/squad64.json --save-dir "$T/x" 2>"$T/err" || st=$?
[ $st -eq 1 ] && grep -q 'the teacher is not a question-answering model' "$T/err"
st=0; ./needle reader distill --teacher tests/fixtures/hf-models/bert-qa --student $F/tiny-bert-qa --max-seq-len 64 \
    --stride 16 --train $F/squad64.json --save-dir "$T/x" 2>"$T/err" || st=$?
[ $st -eq 1 ] && grep -q 'vocabularies differ' "$T/err"
[ ! -e "$T/x/model.safetensors" ]
