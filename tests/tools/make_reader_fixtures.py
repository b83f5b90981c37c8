"""Make the reader fine-tuning fixtures: a tiny random BERT QA checkpoint, the 64 SQuAD
windows it trains on, and reference training runs of the PyTorch replica of HF's model
(hf_bert_replica.py) driven in the order of operations of HF's Trainer.

Why: issue 4 asks that needle's reader trainer follow, step for step, the loss curve of
Hugging Face's Trainer loop (torch.optim.AdamW, get_linear_schedule_with_warmup,
clip_grad_norm_) from the same checkpoint and data. transformers cannot be installed
here, so the loop is replayed with the replica (proved against HF's goldens by
`hf_bert_replica.py --check`) and torch's own AdamW, LambdaLR and clip_grad_norm_, which
are what the Trainer calls. The Trainer's own steps (micro-batch loss / grad_accum before
backward, clip, step, schedule, zero_grad; the logged loss and grad_norm) are re-created
in train() and documented in docs/reader-replica.md.

Writes, under tests/fixtures/reader/ (all float32, CPU):
  tiny-bert-qa/         config.json, model.safetensors (HF init, seed SEED), tokenizer.json,
                        tokenizer_config.json, vocab.txt (bert-base-uncased)
  windows64.jsonl       the first 64 lines of HF's squad_features.jsonl, unchanged
  replica_runs/init.safetensors   the checkpoint's start/end logits on windows 0-7, the loss
                        of that batch and every gradient (word embeddings as touched rows)
  replica_runs/run_<a|b|c>.json   per optimiser step: lr used, logged loss, grad_norm, the
                        micro-batch losses; final per-tensor checksums
  replica_runs/run_<a|b|c>.safetensors   final tensors in full (all but the two big
                        embedding matrices; selected word-embedding rows), and for run a the
                        start/end logits of windows 0-7 after training
Usage: /usr/bin/python3 tests/tools/make_reader_fixtures.py [--hf DIR] [--vocab DIR] [--out DIR]
"""
import argparse
import json
import math
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from hf_bert_replica import BertQA, param_shapes, shift_invariant_params  # noqa: E402

SEED = 4242
N_WINDOWS = 64
N_EVAL = 8
CONFIG = {
    "architectures": ["BertForQuestionAnswering"],
    "attention_probs_dropout_prob": 0.0,
    "classifier_dropout": None,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.0,
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 512,
    "model_type": "bert",
    "num_attention_heads": 2,
    "num_hidden_layers": 2,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "torch_dtype": "float32",
    "type_vocab_size": 2,
    "use_cache": True,
    "vocab_size": 30522,
}
BASE = dict(lr=1e-3, warmup_ratio=0.1, weight_decay=0.01, max_grad_norm=1.0, epochs=2, betas=(0.9, 0.999), eps=1e-8)
RUNS = {
    "a": dict(BASE, batch_size=8, grad_accum=1, decay_all=True),
    "b": dict(BASE, batch_size=4, grad_accum=2, decay_all=True),
    "c": dict(BASE, batch_size=8, grad_accum=1, decay_all=False),
}
# word-embedding rows kept in full in the run fixtures: [PAD] (padding_idx, never updated
# by a gradient), [UNK], [CLS], [SEP], and frequent tokens ("the", ",", ".", "of", "?")
WORD_ROWS = [0, 100, 101, 102, 1996, 1010, 1012, 1997, 1029]


def hf_init(cfg, seed):
    """HF's BertPreTrainedModel._init_weights: Linear and Embedding weights ~ N(0, initializer_range),
    Linear biases 0, LayerNorm weight 1 and bias 0, the padding_idx row of the word embeddings 0.
    Drawn in named_parameters() order from one seeded generator."""
    gen = torch.Generator().manual_seed(seed)
    params = {}
    for name, shape in param_shapes(cfg):
        if name.endswith("LayerNorm.weight"):
            params[name] = torch.ones(shape)
        elif name.endswith(".bias"):
            params[name] = torch.zeros(shape)
        else:
            params[name] = torch.randn(shape, generator=gen) * cfg["initializer_range"]
    params["bert.embeddings.word_embeddings.weight"][cfg["pad_token_id"]] = 0.0
    return params


def make_checkpoint(out, hf, vocab):
    d = os.path.join(out, "tiny-bert-qa")
    os.makedirs(d, exist_ok=True)
    BertQA(CONFIG, hf_init(CONFIG, SEED)).save_pretrained(d)
    for src in (os.path.join(hf, "tokenizers", "bert-base-uncased", "tokenizer.json"),
                os.path.join(hf, "tokenizers", "bert-base-uncased", "tokenizer_config.json"),
                os.path.join(vocab, "bert-base-uncased", "vocab.txt")):
        shutil.copyfile(src, os.path.join(d, os.path.basename(src)))
    return d


def copy_windows(out, hf):
    with open(os.path.join(hf, "squad_features.jsonl"), "rb") as f:
        lines = [f.readline() for _ in range(N_WINDOWS)]
    if not lines[-1].endswith(b"\n"):
        raise ValueError(f"{hf}/squad_features.jsonl has fewer than {N_WINDOWS} windows")
    with open(os.path.join(out, "windows64.jsonl"), "wb") as f:
        f.writelines(lines)


def read_windows(out):
    with open(os.path.join(out, "windows64.jsonl")) as f:
        rows = [json.loads(line) for line in f]
    return {k: torch.tensor([r[k] for r in rows]) for k in
            ("input_ids", "token_type_ids", "attention_mask", "start_position", "end_position")}


def batch(w, lo, hi):
    return dict(input_ids=w["input_ids"][lo:hi], token_type_ids=w["token_type_ids"][lo:hi],
                attention_mask=w["attention_mask"][lo:hi], start_positions=w["start_position"][lo:hi],
                end_positions=w["end_position"][lo:hi])


def no_decay(name):
    """HF Trainer's default grouping: no weight decay for parameters of LayerNorm modules and
    for any parameter whose name contains "bias" (Trainer.get_decay_parameter_names)."""
    return "bias" in name or "LayerNorm" in name


def schedule(total, warmup):
    """get_linear_schedule_with_warmup's multiplier of the base lr at scheduler step s."""
    def lam(s):
        if s < warmup:
            return float(s) / float(max(1, warmup))
        return max(0.0, float(total - s) / float(max(1, total - warmup)))
    return lam


def train(ckpt, w, batch_size, grad_accum, epochs, lr, warmup_ratio, weight_decay, decay_all, max_grad_norm,
          betas, eps, warmup_steps=None):
    """HF Trainer's loop, sequential sampler, fp32, no dropout. Returns (model, steps, plan).
    warmup_steps, when given, replaces ceil(total * warmup_ratio) (for --sensitivity)."""
    model = BertQA.from_pretrained(ckpt)
    names = list(model.params)
    if decay_all:
        groups = [{"params": [model.params[n] for n in names], "weight_decay": weight_decay}]
    else:
        groups = [{"params": [model.params[n] for n in names if not no_decay(n)], "weight_decay": weight_decay},
                  {"params": [model.params[n] for n in names if no_decay(n)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps)
    n = w["input_ids"].shape[0]
    micro_per_epoch = math.ceil(n / batch_size)
    if micro_per_epoch % grad_accum:
        raise ValueError("an epoch must hold whole optimiser steps (the Trainer steps early on a partial one)")
    steps_per_epoch = max(micro_per_epoch // grad_accum, 1)
    total = steps_per_epoch * epochs
    warmup = math.ceil(total * warmup_ratio) if warmup_steps is None else warmup_steps
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule(total, warmup))
    plan = dict(windows=n, micro_batches_per_epoch=micro_per_epoch, steps_per_epoch=steps_per_epoch,
                total_steps=total, warmup_steps=warmup)
    steps, micro = [], []
    for epoch in range(epochs):
        for m in range(micro_per_epoch):
            loss = model.forward(**batch(w, m * batch_size, (m + 1) * batch_size), training=True)["loss"]
            (loss / grad_accum).backward()
            micro.append(loss.item())
            if len(micro) < grad_accum:
                continue
            grad_norm = torch.nn.utils.clip_grad_norm_(list(model.params.values()), max_grad_norm)
            used = opt.param_groups[0]["lr"]
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            steps.append({"step": len(steps) + 1, "epoch": epoch + 1, "lr": used,
                          "loss": sum(x / grad_accum for x in micro), "grad_norm": grad_norm.item(),
                          "micro_losses": micro})
            micro = []
    return model, steps, plan


def checksums(params):
    out = {}
    for name, t in params.items():
        d = t.detach().double()
        out[name] = {"shape": list(t.shape), "sum": d.sum().item(), "abs_sum": d.abs().sum().item(),
                     "l2": d.norm().item(), "max_abs": d.abs().max().item()}
    return out


def full_tensors(params):
    """Every tensor in full but the word and position embeddings; selected word rows."""
    t = {n: p.detach() for n, p in params.items()
         if n not in ("bert.embeddings.word_embeddings.weight", "bert.embeddings.position_embeddings.weight")}
    t["word_rows"] = torch.tensor(WORD_ROWS, dtype=torch.int64)
    t["bert.embeddings.word_embeddings.weight.rows"] = params["bert.embeddings.word_embeddings.weight"].detach()[WORD_ROWS]
    return t


def logits_of(model, w):
    with torch.no_grad():
        o = model.forward(**{k: v for k, v in batch(w, 0, N_EVAL).items() if "positions" not in k})
    return o["start_logits"], o["end_logits"]


def make_init(out, ckpt, w):
    """Forward/backward of the untrained checkpoint on the first batch (windows 0-7)."""
    model = BertQA.from_pretrained(ckpt)
    o = model.forward(**batch(w, 0, N_EVAL), training=True)
    o["loss"].backward()
    t = {"start_logits": o["start_logits"].detach(), "end_logits": o["end_logits"].detach(),
         "loss": o["loss"].detach().reshape(1)}
    for n, p in model.params.items():
        if n == "bert.embeddings.word_embeddings.weight":
            rows = torch.unique(w["input_ids"][:N_EVAL])
            t["grad." + n + ".rows"] = rows
            t["grad." + n + ".values"] = p.grad[rows]
            untouched = torch.ones(p.shape[0], dtype=torch.bool)
            untouched[rows] = False
            assert p.grad[untouched].abs().max().item() == 0.0, "a row outside the batch got a gradient"
        else:
            t["grad." + n] = p.grad
    safetensors_io.save(os.path.join(out, "init.safetensors"), t,
                        {"what": "tiny-bert-qa on windows64.jsonl lines 1-8: logits, loss, gradients"})


def sensitivity(ckpt, w):
    """How far plausible departures from the Trainer's semantics move run a's logged losses
    and its final parameters: the resolution a needle test against run a must beat."""
    ref_model, ref, _ = train(ckpt, w, **RUNS["a"])
    variants = {"warm-up floor(1.6)=1 step, not ceil": dict(RUNS["a"], warmup_steps=1),
                "no warm-up (first step at full lr)": dict(RUNS["a"], warmup_steps=0),
                "no gradient clipping": dict(RUNS["a"], max_grad_norm=float("inf")),
                "HF default decay groups (run c)": RUNS["c"],
                "batch 4 x grad_accum 2 (run b)": RUNS["b"]}
    print(f"{'variant':38s} {'loss rel dev':>12s} {'first at':>8s} {'final param':>12s}  (vs run a)")
    for name, cfg in variants.items():
        model, steps, _ = train(ckpt, w, **cfg)
        devs = [abs(s["loss"] / r["loss"] - 1) for s, r in zip(steps, ref)]
        first = next((i + 1 for i, d in enumerate(devs) if d > 1e-6), None)
        pdev = max(rel_change(model.params[n], ref_model.params[n]) for n in ref_model.params
                   if n not in shift_invariant_params(CONFIG))
        print(f"{name:38s} {max(devs):12.2e} {('step %d' % first) if first else '-':>8s} {pdev:12.2e}")


def rel_change(a, b):
    """Max |a - b| over max |b|, per tensor."""
    return ((a - b).abs().max() / b.abs().max()).item()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "reader")
    ap.add_argument("--hf", default="/work/shared/fixtures/hf", help="the HF fixtures (squad_features.jsonl, tokenizers/)")
    ap.add_argument("--vocab", default="/work/shared/data/vocab", help="holds bert-base-uncased/vocab.txt")
    ap.add_argument("--out", default=os.path.normpath(root))
    ap.add_argument("--sensitivity", action="store_true",
                    help="only print how far departures from the Trainer's semantics move run a")
    a = ap.parse_args()
    torch.set_num_threads(1)  # one thread: the same reduction order on every run of this script
    if a.sensitivity:
        sensitivity(os.path.join(a.out, "tiny-bert-qa"), read_windows(a.out))
        return
    runs = os.path.join(a.out, "replica_runs")
    os.makedirs(runs, exist_ok=True)
    ckpt = make_checkpoint(a.out, a.hf, a.vocab)
    copy_windows(a.out, a.hf)
    w = read_windows(a.out)
    make_init(runs, ckpt, w)
    inv = sorted(shift_invariant_params(CONFIG))
    for name, cfg in RUNS.items():
        model, steps, plan = train(ckpt, w, **cfg)
        tensors = full_tensors(model.params)
        if name == "a":
            tensors["eval.start_logits"], tensors["eval.end_logits"] = logits_of(model, w)
        safetensors_io.save(os.path.join(runs, f"run_{name}.safetensors"), tensors, {"run": name})
        doc = {"run": name, "checkpoint": "tiny-bert-qa", "data": f"windows64.jsonl, all {N_WINDOWS} lines in file order",
               "config": {**{k: v for k, v in cfg.items() if k != "betas"}, "betas": list(cfg["betas"]),
                          "weight_decay_on": "all parameters" if cfg["decay_all"] else
                          "all but names containing 'bias' or 'LayerNorm' (HF Trainer default)",
                          **plan, "order": "sequential, same order every epoch", "dtype": "float32",
                          "dropout": 0.0},
               "torch": torch.__version__,
               "shift_invariant_params": inv,
               "steps": steps,
               "final": checksums(model.params)}
        with open(os.path.join(runs, f"run_{name}.json"), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print(f"run {name}: {plan['total_steps']} steps, warm-up {plan['warmup_steps']}, "
              f"loss {steps[0]['loss']:.6f} -> {steps[-1]['loss']:.6f}")


if __name__ == "__main__":
    main()
