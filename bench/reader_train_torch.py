#!/usr/bin/python3
"""reader_train_torch.py — the PyTorch side of bench/reader_train.sh.

  init OUT_DIR TOKENIZER_DIR     a random BertForQuestionAnswering of the bert-mini shape (4 layers,
                                 hidden 256, 4 heads, ffn 1024, vocab 30522, dropout 0.1 as in the
                                 released checkpoints), HF's initialisation (seed 1), in HF's layout,
                                 with the tokenizer files copied: both sides start from it.
  train MODEL_DIR WINDOWS.jsonl --batch-size B --steps N --threads T
                                 HF Trainer's loop (tests/tools/make_reader_fixtures.py's order of
                                 operations: forward in training mode with dropout, span loss,
                                 backward, clip_grad_norm_ 1.0, torch.optim.AdamW, LambdaLR, zero_grad)
                                 on the replica model tests/tools/hf_bert_replica.py, windows in file
                                 order, cycling; prints one JSON line with the mean wall and process-CPU
                                 seconds per step after the first (warm-up) step, windows/s, tokens/s.
"""
import json
import os
import shutil
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "tools"))
from hf_bert_replica import BertQA  # noqa: E402
from make_reader_fixtures import CONFIG, hf_init, no_decay, schedule  # noqa: E402

MINI = dict(CONFIG, hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024,
            hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)


def init(out, tok):
    os.makedirs(out, exist_ok=True)
    BertQA(MINI, hf_init(MINI, 1)).save_pretrained(out)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt"):
        if os.path.exists(os.path.join(tok, name)):
            shutil.copyfile(os.path.join(tok, name), os.path.join(out, name))


def train(model_dir, windows, batch_size, steps, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    with open(windows) as f:
        rows = [json.loads(line) for line in f]
    w = {k: torch.tensor([r[k] for r in rows]) for k in
         ("input_ids", "token_type_ids", "attention_mask", "start_position", "end_position")}
    n, T = w["input_ids"].shape
    model = BertQA.from_pretrained(model_dir)
    names = list(model.params)
    groups = [{"params": [model.params[k] for k in names if not no_decay(k)], "weight_decay": 0.01},
              {"params": [model.params[k] for k in names if no_decay(k)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=3e-5, betas=(0.9, 0.999), eps=1e-8)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule(steps, 0))
    times, cpus, first = [], [], 0
    for s in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        lo = first
        idx = [(lo + i) % n for i in range(batch_size)]
        first = (lo + batch_size) % n
        out = model.forward(w["input_ids"][idx], w["token_type_ids"][idx], w["attention_mask"][idx],
                            w["start_position"][idx], w["end_position"][idx], training=True)
        out["loss"].backward()
        torch.nn.utils.clip_grad_norm_(list(model.params.values()), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    per_step = sum(times[1:]) / max(1, len(times) - 1)
    cpu_step = sum(cpus[1:]) / max(1, len(cpus) - 1)
    print(json.dumps({"steps": steps, "batch_size": batch_size, "seq_len": T, "threads": threads,
                      "s_per_step": per_step, "cpu_s_per_step": cpu_step, "windows_per_s": batch_size / per_step,
                      "tokens_per_s": batch_size * T / per_step, "last_loss": out["loss"].item()}))


def main(argv):
    if len(argv) >= 3 and argv[0] == "init":
        init(argv[1], argv[2])
    elif len(argv) >= 2 and argv[0] == "train":
        opts = dict(zip(argv[3::2], argv[4::2]))
        train(argv[1], argv[2], int(opts.get("--batch-size", 8)), int(opts.get("--steps", 10)),
              int(opts.get("--threads", 2)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
