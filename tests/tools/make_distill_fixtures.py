"""Make the reference values for needle's distillation and cross-encoder losses with PyTorch.

Why: the losses of `needle reader distill` and `needle reranker train` must be FARM's /
Haystack 1.x's and sentence-transformers' own, so their values and gradients are computed
here with the torch functions those libraries call, in float64, and committed as fixtures
that tests/train/test_distill_loss.c and test_reranker.c compare against.

Writes, under tests/fixtures/distill/:
  span_kd.json          prediction-layer distillation (haystack DistillationTrainer.compute_loss
                        with _kl_div or MSELoss; QuestionAnsweringHead.logits_to_loss as HF's
                        span loss) on fixed random logits: per case the inputs, loss, the
                        divergence, the hard-label loss and d loss / d student logits
  student-qa/           a random BertForQuestionAnswering (hidden 32, 1 layer, 4 heads, vocab
                        1000) in Hugging Face's layout: the student of the intermediate case
  intermediate.safetensors  TinyBERT-style intermediate-layer distillation (haystack
                        TinyBERTDistillationTrainer's DistillationLoss) of student-qa from the
                        teacher tests/fixtures/hf-models/bert-qa (hidden 64, 2 layers, 4 heads)
                        on that fixture's two inputs: the projection W [64, 32], the loss, the
                        gradient of every student parameter and of W, and both models'
                        attention probabilities (att.student.<l>, att.teacher.<l>)
  rank_losses.json      cross-encoder losses (sentence-transformers CrossEncoder, num_labels 1):
                        torch.nn.BCEWithLogitsLoss and the listwise softmax cross-entropy
                        (positive first in each group) with d loss / d logits, on the logits of
                        tests/fixtures/hf-models/bert-cross-encoder/golden.safetensors and on
                        fixed random logits

Layer mapping (Haystack): with k = teacher layers / student layers, student attention l is
compared with teacher attention (l + 1)·k − 1 and student hidden state i (0 = embeddings) with
teacher hidden state i·k; each term is F.mse_loss (a mean), the loss their sum. Haystack builds
one bias-free Linear(student, teacher) per layer but applies a single one (the loop variable
left over from the attention loop) to every hidden state; TinyBERT's paper has one shared W_h
as well, so one W is used here.

Usage: /usr/bin/python3 tests/tools/make_distill_fixtures.py [--out DIR]
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from hf_bert_replica import BertQA, param_shapes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures")
SEED = 777

STUDENT_CONFIG = {
    "architectures": ["BertForQuestionAnswering"],
    "attention_probs_dropout_prob": 0.0,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.0,
    "hidden_size": 32,
    "initializer_range": 0.2,
    "intermediate_size": 64,
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 64,
    "model_type": "bert",
    "num_attention_heads": 4,
    "num_hidden_layers": 1,
    "pad_token_id": 0,
    "type_vocab_size": 2,
    "vocab_size": 1000,
}


def floats(t):
    return [float(x) for x in t.reshape(-1).tolist()]


def span_case(gen, B, L, T, w, kind, start, end):
    s = (torch.randn(2, B, L, generator=gen, dtype=torch.float64) * 2).requires_grad_(True)
    t = torch.randn(2, B, L, generator=gen, dtype=torch.float64) * 3
    sp, ep = torch.tensor(start), torch.tensor(end)
    # FARM's logits are [B, L, 2] (start, end in the last dimension); needle's are [2, B, L]
    s_f, t_f = s.permute(1, 2, 0), t.permute(1, 2, 0)
    if kind == "kl_div":
        div = F.kl_div(F.log_softmax(s_f / T, dim=-2), F.softmax(t_f / T, dim=-2), reduction="batchmean")
    else:
        div = F.mse_loss(s_f / T, t_f / T)
    ce = (F.cross_entropy(s[0], sp.clamp(0, L), ignore_index=L) + F.cross_entropy(s[1], ep.clamp(0, L), ignore_index=L)) / 2
    loss = div * w * T ** 2 + ce * (1 - w)
    loss.backward()
    return {"B": B, "L": L, "temperature": T, "weight": w, "kind": kind, "start": start, "end": end,
            "logits": floats(s.detach()), "teacher": floats(t), "loss": loss.item(), "div": div.item(),
            "ce": ce.item(), "grad": floats(s.grad)}


def make_span(out):
    gen = torch.Generator().manual_seed(SEED)
    cases = [span_case(gen, 3, 7, 1.0, 0.5, "kl_div", [2, 0, 6], [4, 0, 6]),
             span_case(gen, 3, 7, 2.0, 0.75, "kl_div", [1, 5, 3], [1, 6, 3]),
             span_case(gen, 2, 9, 3.0, 1.0, "kl_div", [0, 8], [0, 8]),
             span_case(gen, 4, 5, 1.5, 0.3, "kl_div", [1, 5, 2, 0], [3, 5, 9, 0]),  # 5 and 9: ignored (clamped to L)
             span_case(gen, 3, 7, 2.0, 0.5, "mse", [2, 0, 6], [4, 0, 6])]
    with open(os.path.join(out, "span_kd.json"), "w") as f:
        json.dump({"cases": cases}, f)
        f.write("\n")


def hf_init(cfg, gen):
    params = {}
    for name, shape in param_shapes(cfg):
        if name.endswith("LayerNorm.weight"):
            params[name] = torch.ones(shape)
        elif name.endswith(".bias") or "LayerNorm" in name:
            params[name] = torch.zeros(shape)
        else:
            params[name] = torch.randn(shape, generator=gen) * cfg["initializer_range"]
            if name.endswith("word_embeddings.weight"):
                params[name][cfg["pad_token_id"]] = 0
    return params


def make_intermediate(out):
    gen = torch.Generator().manual_seed(SEED + 1)
    student = BertQA(STUDENT_CONFIG, hf_init(STUDENT_CONFIG, gen))
    student.save_pretrained(os.path.join(out, "student-qa"))
    student = BertQA.from_pretrained(os.path.join(out, "student-qa"))
    teacher_f32 = BertQA.from_pretrained(os.path.join(FIX, "hf-models", "bert-qa"))
    g, _ = safetensors_io.load(os.path.join(FIX, "hf-models", "bert-qa", "golden.safetensors"))
    ids, tt, mask = (torch.from_numpy(g[k]).long() for k in ("input_ids", "token_type_ids", "attention_mask"))
    Ct, Cs = teacher_f32.cfg["hidden_size"], STUDENT_CONFIG["hidden_size"]
    bound = 1 / Cs ** 0.5
    W32 = (torch.rand(Ct, Cs, generator=gen) * 2 - 1) * bound  # nn.Linear's default init range
    # the reference in float64 (float32 parameters widened exactly)
    st64 = BertQA(student.cfg, {k: v.detach() for k, v in student.params.items()}, dtype=torch.float64)
    te64 = BertQA(teacher_f32.cfg, {k: v.detach() for k, v in teacher_f32.params.items()}, dtype=torch.float64)
    W = W32.double().requires_grad_(True)
    with torch.no_grad():
        to = te64.forward(ids, tt, mask, output_hidden_states=True, output_attentions=True)
    so = st64.forward(ids, tt, mask, output_hidden_states=True, output_attentions=True)
    k = len(to["attentions"]) // len(so["attentions"])
    loss = torch.zeros((), dtype=torch.float64)
    for sa, ta in zip(so["attentions"], to["attentions"][k - 1::k]):
        loss = loss + F.mse_loss(sa, ta)
    for sh, th in zip(so["hidden_states"], to["hidden_states"][::k]):
        loss = loss + F.mse_loss(sh @ W.t(), th)
    loss.backward()
    tensors = {"W": W32, "loss": torch.tensor([loss.item()], dtype=torch.float32)}
    for name, p in st64.params.items():
        tensors["grad." + name] = (p.grad if p.grad is not None else torch.zeros_like(p)).float()  # qa_outputs: unused
    tensors["grad.W"] = W.grad.float()
    for i, a in enumerate(so["attentions"]):
        tensors[f"att.student.{i}"] = a.detach().float()
    for i, a in enumerate(to["attentions"]):
        tensors[f"att.teacher.{i}"] = a.float()
    safetensors_io.save(os.path.join(out, "intermediate.safetensors"), tensors)


def rank_case(logits, labels, group):
    x = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(labels, dtype=torch.float64)
    bce = torch.nn.BCEWithLogitsLoss()(x, y)
    (gb,) = torch.autograd.grad(bce, x)
    rows = x.view(-1, group)
    lw = F.cross_entropy(rows, torch.zeros(rows.shape[0], dtype=torch.long))
    (gl,) = torch.autograd.grad(lw, x)
    return {"logits": logits, "labels": labels, "group": group, "bce": bce.item(), "bce_grad": floats(gb),
            "listwise": lw.item(), "listwise_grad": floats(gl)}


def make_rank(out):
    g, _ = safetensors_io.load(os.path.join(FIX, "hf-models", "bert-cross-encoder", "golden.safetensors"))
    fixture_logits = [float(v) for v in g["out.logits"].reshape(-1)]
    gen = torch.Generator().manual_seed(SEED + 2)
    rand = floats(torch.randn(12, generator=gen, dtype=torch.float64) * 3)
    cases = [rank_case(fixture_logits, [1.0, 0.0], 2),
             rank_case(rand, [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0.5], 4)]
    with open(os.path.join(out, "rank_losses.json"), "w") as f:
        json.dump({"cases": cases}, f)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(FIX, "distill"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    make_span(a.out)
    make_intermediate(a.out)
    make_rank(a.out)


if __name__ == "__main__":
    main()
