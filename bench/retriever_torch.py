#!/usr/bin/python3
"""retriever_torch.py — the PyTorch side of bench/retriever_speed.sh.

A DPR bi-encoder built from the replica model tests/tools/hf_bert_replica.py (validated against
Hugging Face's BERT): two BERT encoders (question, passage) loaded from the same HF BertModel
directory, pooled by the [CLS] state as DPRQuestionEncoder / DPRContextEncoder do.

  train MODEL_DIR --batch-size B --steps N --threads T [--qlen 64] [--plen 256]
      DPR's training step with Haystack's defaults: each of B questions has 1 positive and 1
      hard negative (2B passages), every question is scored against every passage (dot
      product), cross-entropy on the positive, backward through both encoders in training mode
      (dropout), clip_grad_norm_ 1.0, torch.optim.AdamW (HF's decay groups), zero_grad. Random
      token ids of exactly qlen / plen tokens (no padding). Prints one JSON line: mean wall and
      process-CPU seconds per step after the first (warm-up) step, and questions/s.
  encode MODEL_DIR --n N --batch 32 --threads T [--plen 256]
      the passage encoder in evaluation mode under torch.no_grad over N passages of plen tokens in
      batches; prints passages/s and the process CPU seconds (after one warm-up batch).
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "tools"))
import safetensors_io  # noqa: E402
from hf_bert_replica import BertQA  # noqa: E402


def encoder(model_dir):
    """A replica over a BertModel directory (no prefix, with a pooler the DPR path never uses)."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    tensors, _ = safetensors_io.load(os.path.join(model_dir, "model.safetensors"))
    params = {"bert." + k: torch.from_numpy(v) for k, v in tensors.items() if not k.startswith("pooler.")}
    H = cfg["hidden_size"]
    params["qa_outputs.weight"] = torch.zeros(2, H)
    params["qa_outputs.bias"] = torch.zeros(2)
    return BertQA(cfg, params)


def cls(model, ids, training):
    ones = torch.ones_like(ids)
    out = model.forward(ids, torch.zeros_like(ids), ones, training=training, output_hidden_states=True)
    return out["hidden_states"][-1][:, 0]


def no_decay(name):
    return name.endswith(".bias") or "LayerNorm" in name


def ids(n, T, gen):
    x = torch.randint(1000, 29000, (n, T), generator=gen)
    x[:, 0], x[:, -1] = 101, 102
    return x


def train(model_dir, batch, steps, threads, qlen, plen):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    q_enc, p_enc = encoder(model_dir), encoder(model_dir)
    named = [(k, v) for m in (q_enc, p_enc) for k, v in m.params.items() if not k.startswith("qa_outputs")]
    groups = [{"params": [v for k, v in named if not no_decay(k)], "weight_decay": 0.01},
              {"params": [v for k, v in named if no_decay(k)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=2e-5, betas=(0.9, 0.999), eps=1e-8)
    labels = torch.arange(batch) * 2
    times, cpus = [], []
    for _ in range(steps):
        qi, pi = ids(batch, qlen, gen), ids(2 * batch, plen, gen)
        t0, c0 = time.perf_counter(), time.process_time()
        q, p = cls(q_enc, qi, True), cls(p_enc, pi, True)
        loss = F.cross_entropy(q @ p.T, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([v for _, v in named], 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    s = sum(times[1:]) / max(1, len(times) - 1)
    c = sum(cpus[1:]) / max(1, len(cpus) - 1)
    print(json.dumps({"steps": steps, "batch_size": batch, "threads": threads, "s_per_step": s, "cpu_s_per_step": c,
                      "questions_per_s": batch / s, "last_loss": loss.item()}))


def encode(model_dir, n, batch, threads, plen):
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(0)
    p_enc = encoder(model_dir)
    with torch.no_grad():
        cls(p_enc, ids(batch, plen, gen), False)
        done, t0, c0 = 0, time.perf_counter(), time.process_time()
        while done < n:
            b = min(batch, n - done)
            cls(p_enc, ids(b, plen, gen), False)
            done += b
        s, c = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"passages": n, "batch": batch, "threads": threads, "seconds": s, "cpu_seconds": c,
                      "passages_per_s": n / s}))


def main(argv):
    if len(argv) < 2 or argv[0] not in ("train", "encode"):
        sys.exit(__doc__)
    o = dict(zip(argv[2::2], argv[3::2]))
    if argv[0] == "train":
        train(argv[1], int(o.get("--batch-size", 8)), int(o.get("--steps", 6)), int(o.get("--threads", 2)),
              int(o.get("--qlen", 64)), int(o.get("--plen", 256)))
    else:
        encode(argv[1], int(o.get("--n", 256)), int(o.get("--batch", 32)), int(o.get("--threads", 2)),
               int(o.get("--plen", 256)))


if __name__ == "__main__":
    main(sys.argv[1:])
