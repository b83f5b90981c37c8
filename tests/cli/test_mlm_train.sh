#!/bin/sh
# test_mlm_train.sh — `needle mlm train` end to end: killed mid-run (SIGTERM: step finished,
# checkpoint written, exit 143; then SIGKILL at an arbitrary moment) and resumed, it ends with
# a model.safetensors byte-identical to an uninterrupted run's and a log holding every step once
# — with dropout on (a copy of the golden BertForMaskedLM fixture with dropout 0.1), shuffled
# blocks and masks drawn afresh every step, so the masks must come back with the generator.
# The output is an HF masked-LM directory with the tokenizer files, and `needle reader train`
# starts from it (a new span head on the pre-trained encoder). Also the usage errors.
set -e
F=tests/fixtures
T=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -KILL $pid 2>/dev/null; rm -rf "$T"' EXIT
mkdir "$T/model"
cp $F/hf-models/bert-mlm/config.json $F/hf-models/bert-mlm/model.safetensors "$T/model/"
sed -i 's/"hidden_dropout_prob": 0.0/"hidden_dropout_prob": 0.1/; s/"attention_probs_dropout_prob": 0.0/"attention_probs_dropout_prob": 0.1/' \
    "$T/model/config.json"
grep -q '"hidden_dropout_prob": 0.1' "$T/model/config.json"
ARGS="--model $T/model --tokenizer $F/mlm/tokenizer --train $F/mlm/corpus.txt --dev-fraction 0.1 --max-seq-len 32
      --whole-word-mask --batch-size 8 --max-steps 40 --lr 1e-3 --warmup-proportion 0.1 --weight-decay 0.01
      --eval-every 20 --checkpoint-every 1 --keep-checkpoints 2 --seed 3 --threads 1"
export NEEDLE_LOG=warn
. tests/tools/train_interrupt.sh

./needle mlm train --help | grep -q -- '--whole-word-mask'
./needle --help | grep -q 'mlm train'

./needle mlm train $ARGS --save-dir "$T/ref" --log "$T/ref.jsonl"
[ "$(train_steps "$T/ref.jsonl")" -eq 40 ]
[ "$(grep -c '"perplexity"' "$T/ref.jsonl")" -eq 2 ]
grep -q '"architectures":.*"BertForMaskedLM"' "$T/ref/config.json"
[ -f "$T/ref/vocab.txt" ] && [ -f "$T/ref/tokenizer_config.json" ] && [ -f "$T/ref/best/model.safetensors" ]

interrupt_at TERM 2 "$T/run.jsonl" ./needle mlm train $ARGS --save-dir "$T/run" --log "$T/run.jsonl" 2>"$T/err"
[ $st -eq 143 ]
grep -q 'interrupted by SIGTERM after step [0-9]* of 40; checkpoint written to .*--resume to continue' "$T/err"

interrupt_at KILL 12 "$T/run.jsonl" ./needle mlm train $ARGS --save-dir "$T/run" --log "$T/run.jsonl" --resume
[ ! -e "$T/run/model.safetensors" ]
./needle mlm train $ARGS --save-dir "$T/run" --log "$T/run.jsonl" --resume
cmp "$T/ref/model.safetensors" "$T/run/model.safetensors"
[ "$(grep -o '"step":[0-9]*' "$T/run.jsonl" | tr '\n' ' ')" = "$(grep -o '"step":[0-9]*' "$T/ref.jsonl" | tr '\n' ' ')" ]
# the same evaluations (fixed dev masks, same parameters)
[ "$(grep -o '"perplexity":[0-9.e+-]*' "$T/run.jsonl")" = "$(grep -o '"perplexity":[0-9.e+-]*' "$T/ref.jsonl")" ]

# a reader starts from the masked-LM directory: a new span head on the trained encoder
./needle reader train --model "$T/ref" --train $F/reader/squad64.json --max-seq-len 64 --stride 16 --max-query-len 16 \
    --batch-size 4 --max-steps 2 --threads 1 --save-dir "$T/reader"
grep -q '"BertForQuestionAnswering"' "$T/reader/config.json"

# a new model of a named size: written to <save-dir>/init first (vocabulary from the tokenizer),
# reused by --resume, refused as a fresh run over it
NEW="--init-size tiny --tokenizer $F/mlm/tokenizer --train $F/mlm/corpus.txt --max-seq-len 32 --batch-size 8 --threads 1"
./needle mlm train $NEW --max-steps 2 --checkpoint-every 1 --save-dir "$T/new"
cp "$T/new/init/model.safetensors" "$T/init.safetensors"
grep -q '"vocab_size":[[:space:]]*48' "$T/new/init/config.json"
grep -q '"hidden_size":[[:space:]]*128' "$T/new/config.json"
./needle mlm train $NEW --max-steps 2 --checkpoint-every 1 --save-dir "$T/new" --resume
cmp "$T/new/init/model.safetensors" "$T/init.safetensors"
st=0; ./needle mlm train $NEW --max-steps 2 --save-dir "$T/new" 2>"$T/err" || st=$?
[ $st -eq 1 ] && grep -q 'already holds a model' "$T/err"
st=0; ./needle mlm train $NEW --model "$T/ref" --save-dir "$T/x" 2>"$T/err" || st=$?
[ $st -eq 2 ] && grep -q 'give --model DIR, or --init-size' "$T/err"

# usage errors and bad input
st=0; ./needle mlm train $ARGS --dev $F/mlm/corpus.txt --save-dir "$T/x" 2>"$T/err" || st=$?
[ $st -eq 2 ] && grep -q 'not both' "$T/err"
st=0; ./needle mlm train $ARGS --save-dir "$T/x" "$T/missing.txt" 2>"$T/err" || st=$?
[ $st -eq 1 ] && grep -q 'missing.txt' "$T/err"
st=0; ./needle mlm train $ARGS --tokenizer $F/tokenizers/bert-base-uncased --save-dir "$T/x" 2>"$T/err" || st=$?
[ $st -eq 1 ] && grep -q 'the tokenizer has 30522 ids, the model.s vocabulary only 1000' "$T/err"
st=0; ./needle mlm train $ARGS --max-seq-len 100 --save-dir "$T/x" 2>"$T/err" || st=$?
[ $st -eq 1 ] && grep -q 'exceeds the model.s 64 positions' "$T/err"
