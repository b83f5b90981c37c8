#!/bin/sh
# test_reader_resume.sh — `needle reader train` killed mid-run and resumed ends bitwise where an
# uninterrupted run ends: SIGTERM (the step is finished, a checkpoint written, exit 143 with a
# message), then SIGKILL at an arbitrary moment (possibly mid-checkpoint: the atomic write leaves
# the previous one), then --resume to the end; the saved model.safetensors must be byte-identical
# and the log must hold every step once, in order. Dropout is on (a copy of the tiny model with
# dropout 0.1) and the windows are shuffled, on all cores (--threads 2 in every run). Also the
# refusals: a fresh run over old checkpoints, a resume with other settings or nothing to resume.
set -e
F=tests/fixtures/reader
T=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -KILL $pid 2>/dev/null; rm -rf "$T"' EXIT
mkdir "$T/model"
cp $F/tiny-bert-qa/* "$T/model/"
sed -i 's/"hidden_dropout_prob": 0.0/"hidden_dropout_prob": 0.1/; s/"attention_probs_dropout_prob": 0.0/"attention_probs_dropout_prob": 0.1/' \
    "$T/model/config.json"
grep -q '"hidden_dropout_prob": 0.1' "$T/model/config.json"
ARGS="--model $T/model --train $F/squad64.json --max-seq-len 128 --stride 32 --batch-size 2 --grad-accum 2
      --max-steps 8 --lr 5e-4 --warmup-proportion 0.1 --weight-decay 0.01 --checkpoint-every 1
      --keep-checkpoints 2 --seed 3 --threads 2"
export NEEDLE_LOG=warn
. tests/tools/train_interrupt.sh

./needle reader train $ARGS --save-dir "$T/ref" --log "$T/ref.jsonl"
[ "$(train_steps "$T/ref.jsonl")" -eq 8 ]

interrupt_at TERM 2 "$T/run.jsonl" ./needle reader train $ARGS --save-dir "$T/run" --log "$T/run.jsonl" 2>"$T/err"
[ $st -eq 143 ]
grep -q 'interrupted by SIGTERM after step [0-9]* of 8; checkpoint written to .*--resume to continue' "$T/err"
[ ! -e "$T/run/model.safetensors" ]

interrupt_at KILL 5 "$T/run.jsonl" ./needle reader train $ARGS --save-dir "$T/run" --log "$T/run.jsonl" --resume
[ ! -e "$T/run/model.safetensors" ]

# refusals, with the run's state left as it is
if ./needle reader train $ARGS --save-dir "$T/run" 2>"$T/err"; then exit 1; fi
grep -q 'holds checkpoints of an earlier run' "$T/err"
if ./needle reader train $ARGS --save-dir "$T/run" --resume --batch-size 3 2>"$T/err"; then exit 1; fi
grep -q 'made with --batch-size = 2, this run has 3' "$T/err"
if ./needle reader train $ARGS --save-dir "$T/none" --resume 2>"$T/err"; then exit 1; fi
grep -q 'no checkpoint in' "$T/err"

./needle reader train $ARGS --save-dir "$T/run" --log "$T/run.jsonl" --resume
cmp "$T/ref/model.safetensors" "$T/run/model.safetensors"
cmp "$T/ref/config.json" "$T/run/config.json"
[ "$(grep -o '"step":[0-9]*' "$T/run.jsonl" | tr '\n' ' ')" = "$(grep -o '"step":[0-9]*' "$T/ref.jsonl" | tr '\n' ' ')" ]
ls "$T/run/checkpoints" | grep -c '^step-.*\.ckpt$' | grep -qx 2
