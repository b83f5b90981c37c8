"""Hugging Face BertForQuestionAnswering rebuilt from torch primitives, and its proof.

Why: issue 4 asks that needle's reader fine-tuning follow the loss curve of Hugging
Face's Trainer-style loop step for step. `transformers` is not installed here (and PyPI
is out of reach), so this file re-implements the model with HF's exact semantics on top
of torch.nn.functional, loads an HF model directory (config.json + model.safetensors,
read by safetensors_io.py), and proves itself against goldens that real transformers
wrote (/work/shared/fixtures/hf/models/bert-qa/golden.safetensors): outputs, hidden
states, loss, every gradient and three torch.optim.AdamW steps.

HF semantics kept (transformers' modeling_bert.py, eager attention):
  embeddings   word(ids) [padding_idx = pad_token_id: that row gets no gradient]
               + token_type(tt) + position(0..T-1), summed in that order,
               then LayerNorm(eps = layer_norm_eps), then dropout(hidden_dropout_prob)
  layer (post-LN) q,k,v = Linear(x); scores = q k^T / sqrt(head_dim) + ext_mask,
               ext_mask = (1 - mask) * finfo(dtype).min over the key axis (dtype float32);
               softmax, dropout(attention_probs_dropout_prob), @ v, heads merged;
               a = LayerNorm(dropout(Linear(ctx)) + x)
               y = LayerNorm(dropout(Linear(act(Linear(a)))) + a), act "gelu" = exact erf GELU
  head         qa_outputs = Linear(hidden, 2) on the last hidden states;
               start_logits, end_logits = its two columns
  loss         positions clamped to [0, T]; CrossEntropy(ignore_index=T) on start and
               end, each a mean over the batch's non-ignored items; loss = (start + end) / 2
Parameter names and order are HF's (`bert.embeddings.word_embeddings.weight`, ...,
`bert.encoder.layer.N.attention.self.query.weight`, ..., `qa_outputs.bias`); there is no
pooler (BertForQuestionAnswering builds BertModel with add_pooling_layer=False).

Four parameters are shift-invariant (each key bias, the last output.LayerNorm.bias,
qa_outputs.bias: they add a constant to every score of a softmax), so their gradient is
rounding noise and AdamW makes their trained values noise-driven in HF and here alike;
see shift_invariant_params(). The check compares them through the span log-probabilities.

Usage:
  hf_bert_replica.py --check [HF_MODEL_DIR]   compare with golden.safetensors (default:
                                             /work/shared/fixtures/hf/models/bert-qa),
                                             with a float64 run as the rounding floor
As a library: BertQA.from_pretrained(dir) -> model with .params (name -> leaf tensor),
.forward(...) -> dict, .save_pretrained(dir).
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

_ACTS = {"gelu": F.gelu, "relu": F.relu}  # HF "gelu" is the exact erf form (F.gelu's default)


def param_shapes(cfg):
    """HF's parameter names, in named_parameters() order, with their shapes."""
    H, I = cfg["hidden_size"], cfg["intermediate_size"]
    shapes = [("bert.embeddings.word_embeddings.weight", (cfg["vocab_size"], H)),
              ("bert.embeddings.position_embeddings.weight", (cfg["max_position_embeddings"], H)),
              ("bert.embeddings.token_type_embeddings.weight", (cfg["type_vocab_size"], H)),
              ("bert.embeddings.LayerNorm.weight", (H,)), ("bert.embeddings.LayerNorm.bias", (H,))]
    for n in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{n}."
        for lin, o, i in (("attention.self.query", H, H), ("attention.self.key", H, H),
                          ("attention.self.value", H, H), ("attention.output.dense", H, H)):
            shapes += [(p + lin + ".weight", (o, i)), (p + lin + ".bias", (o,))]
        shapes += [(p + "attention.output.LayerNorm.weight", (H,)), (p + "attention.output.LayerNorm.bias", (H,)),
                   (p + "intermediate.dense.weight", (I, H)), (p + "intermediate.dense.bias", (I,)),
                   (p + "output.dense.weight", (H, I)), (p + "output.dense.bias", (H,)),
                   (p + "output.LayerNorm.weight", (H,)), (p + "output.LayerNorm.bias", (H,))]
    return shapes + [("qa_outputs.weight", (2, H)), ("qa_outputs.bias", (2,))]


def check_config(cfg, where):
    """Refuse configurations whose semantics this replica does not implement."""
    if cfg.get("model_type") != "bert":
        raise ValueError(f"{where}: model_type {cfg.get('model_type')!r} is not 'bert'")
    if cfg.get("hidden_act", "gelu") not in _ACTS:
        raise ValueError(f"{where}: hidden_act {cfg.get('hidden_act')!r} not supported")
    if cfg.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError(f"{where}: position_embedding_type {cfg['position_embedding_type']!r} not supported")
    if cfg["hidden_size"] % cfg["num_attention_heads"]:
        raise ValueError(f"{where}: hidden_size is not a multiple of num_attention_heads")


class BertQA:
    """BertForQuestionAnswering as a dict of named fp32 leaf tensors plus a functional forward."""

    def __init__(self, cfg, params, dtype=torch.float32):
        check_config(cfg, "config")
        self.cfg, self.dtype = cfg, dtype
        self.params = {}
        for name, shape in param_shapes(cfg):
            if name not in params:
                raise ValueError(f"missing parameter {name}")
            t = torch.as_tensor(params[name]).to(dtype).clone()
            if tuple(t.shape) != shape:
                raise ValueError(f"parameter {name}: shape {tuple(t.shape)}, config wants {shape}")
            self.params[name] = t.requires_grad_(True)

    @classmethod
    def from_pretrained(cls, d):
        with open(os.path.join(d, "config.json")) as f:
            cfg = json.load(f)
        tensors, _ = safetensors_io.load(os.path.join(d, "model.safetensors"))
        return cls(cfg, {k: torch.from_numpy(v) for k, v in tensors.items()})

    def save_pretrained(self, d):
        os.makedirs(d, exist_ok=True)
        safetensors_io.save(os.path.join(d, "model.safetensors"),
                            {k: v.detach() for k, v in self.params.items()}, {"format": "pt"})
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(self.cfg, f, indent=2, sort_keys=True)
            f.write("\n")

    def forward(self, input_ids, token_type_ids, attention_mask, start_positions=None, end_positions=None,
                training=False, output_hidden_states=False, output_attentions=False):
        """Returns {"start_logits", "end_logits"[, "loss"][, "hidden_states"][, "attentions"]} like HF's
        output; the attentions are each layer's softmax probabilities before attention dropout (HF
        returns them after it: the same when dropout is off)."""
        c, p = self.cfg, self.params
        B, T = input_ids.shape
        H, NH = c["hidden_size"], c["num_attention_heads"]
        D = H // NH
        eps, act = c["layer_norm_eps"], _ACTS[c.get("hidden_act", "gelu")]
        p_hid, p_att = c["hidden_dropout_prob"], c["attention_probs_dropout_prob"]

        def lin(x, name):
            return F.linear(x, p[name + ".weight"], p[name + ".bias"])

        def ln(x, name):
            return F.layer_norm(x, (H,), p[name + ".weight"], p[name + ".bias"], eps)

        e = "bert.embeddings."
        x = F.embedding(input_ids, p[e + "word_embeddings.weight"], padding_idx=c.get("pad_token_id", 0))
        x = x + F.embedding(token_type_ids, p[e + "token_type_embeddings.weight"])
        x = x + F.embedding(torch.arange(T).unsqueeze(0), p[e + "position_embeddings.weight"])
        x = F.dropout(ln(x, e + "LayerNorm"), p_hid, training)
        hidden, attentions = [x], []
        ext = (1.0 - attention_mask[:, None, None, :].to(self.dtype)) * torch.finfo(self.dtype).min
        for n in range(c["num_hidden_layers"]):
            L = f"bert.encoder.layer.{n}."

            def heads(t):
                return t.view(B, T, NH, D).permute(0, 2, 1, 3)

            q, k, v = (heads(lin(x, L + "attention.self." + w)) for w in ("query", "key", "value"))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D) + ext
            attentions.append(F.softmax(scores, dim=-1))
            probs = F.dropout(attentions[-1], p_att, training)
            ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(B, T, H)
            a = ln(F.dropout(lin(ctx, L + "attention.output.dense"), p_hid, training) + x, L + "attention.output.LayerNorm")
            h = act(lin(a, L + "intermediate.dense"))
            x = ln(F.dropout(lin(h, L + "output.dense"), p_hid, training) + a, L + "output.LayerNorm")
            hidden.append(x)
        logits = lin(x, "qa_outputs")
        out = {"start_logits": logits[..., 0].contiguous(), "end_logits": logits[..., 1].contiguous()}
        if output_hidden_states:
            out["hidden_states"] = hidden
        if output_attentions:
            out["attentions"] = attentions
        if start_positions is not None and end_positions is not None:
            out["loss"] = span_loss(out["start_logits"], out["end_logits"], start_positions, end_positions)
        return out


def span_loss(start_logits, end_logits, start_positions, end_positions):
    """HF's QA loss: positions clamped to [0, T], T ignored, (CE(start) + CE(end)) / 2."""
    T = start_logits.size(1)
    sp = start_positions.reshape(-1).clamp(0, T)
    ep = end_positions.reshape(-1).clamp(0, T)
    return (F.cross_entropy(start_logits, sp, ignore_index=T) + F.cross_entropy(end_logits, ep, ignore_index=T)) / 2


def rel_err(got, want):
    """Max absolute difference relative to the reference's largest magnitude (tensor-wise)."""
    got, want = torch.as_tensor(got, dtype=torch.float64), torch.as_tensor(want, dtype=torch.float64)
    if got.shape != want.shape:
        raise ValueError(f"shape {tuple(got.shape)} vs golden {tuple(want.shape)}")
    scale = want.abs().max().item()
    return (got - want).abs().max().item() / (scale if scale > 0 else 1.0)


def shift_invariant_params(cfg):
    """Parameters that only add a constant to every score of a softmax, so that in exact
    arithmetic they change neither the loss nor any probability and their gradient is zero:
      - each layer's attention.self.key.bias adds q.b_k to every key's score of a query row;
      - the last layer's output.LayerNorm.bias adds W_qa b to every token's start/end logit;
      - qa_outputs.bias adds its value to every token's start/end logit.
    What any implementation computes for their gradients is rounding noise (HF's golden
    holds 1e-11 .. 1e-7), and AdamW, dividing by sqrt(v) + eps, turns noise into steps of up
    to lr: after training their values are noise-driven and differ between any two
    implementations, harmlessly. They are therefore checked apart (see check())."""
    last = cfg["num_hidden_layers"] - 1
    return {f"bert.encoder.layer.{n}.attention.self.key.bias" for n in range(cfg["num_hidden_layers"])} | {
        f"bert.encoder.layer.{last}.output.LayerNorm.bias", "qa_outputs.bias"}


def log_probs(out):
    """Span log-probabilities over the sequence: what the loss and predictions depend on."""
    return torch.stack([F.log_softmax(out["start_logits"], -1), F.log_softmax(out["end_logits"], -1)]).detach()


def golden_protocol(model, inputs):
    """What make_fixtures.py records, as the same names: outputs, loss, gradients, then three
    torch.optim.AdamW steps (lr 1e-3, wd 0.01 on every parameter) with their losses and the
    final parameters. Adds "adamw.log_probs", the span log-probabilities after the steps."""
    r = {}
    out = model.forward(**inputs, output_hidden_states=True)
    r["out.start_logits"], r["out.end_logits"] = out["start_logits"].detach(), out["end_logits"].detach()
    for i, h in enumerate(out["hidden_states"]):
        r[f"out.hidden_states.{i}"] = h.detach()
    r["loss"] = out["loss"].detach().reshape(1)
    out["loss"].backward()
    r.update({"grad." + n: t.grad.clone() for n, t in model.params.items()})
    opt = torch.optim.AdamW(list(model.params.values()), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = model.forward(**inputs)["loss"]
        loss.backward()
        opt.step()
        losses.append(loss.item())
    r["adamw.losses"] = torch.tensor(losses, dtype=torch.float64)
    r.update({"adamw." + n: t.detach().clone() for n, t in model.params.items()})
    r["adamw.log_probs"] = log_probs(model.forward(**inputs))
    return r


def compare(a, b, inv):
    """Worst error per group between two golden_protocol-style dicts: {group: (error, tensor)}.
    Relative errors (rel_err) except: "shift-inv grads", the largest |gradient| of a
    shift-invariant parameter on either side over the largest |gradient| of the model;
    "adamw.params" is taken over the elements whose first gradient is at least 100 * eps
    (elsewhere AdamW's g / (sqrt(v) + eps) turns gradient rounding into large relative
    update differences), and "adamw.params all" is the largest difference over all elements
    relative to 3 * lr, the most three steps can move a parameter."""
    worst = {}

    def note(group, name, e):
        if group not in worst or e > worst[group][0]:
            worst[group] = (e, name)

    gmax = max(b[k].abs().max().item() for k in b if k.startswith("grad."))
    for k, want in b.items():
        got = a[k]
        if k.startswith("out.hidden"):
            note("hidden_states", k, rel_err(got, want))
        elif k.startswith("out."):
            note("logits", k, rel_err(got, want))
        elif k.startswith("grad.") and k[5:] in inv:
            note("shift-inv grads", k, max(got.abs().max().item(), want.abs().max().item()) / gmax)
        elif k.startswith("grad."):
            note("grads", k, rel_err(got, want))
        elif k == "adamw.log_probs":
            note("adamw log-probs", k, rel_err(got, want))
        elif k.startswith("adamw.") and k[6:] in inv:
            continue
        elif k.startswith("adamw.") and k != "adamw.losses":
            sure = b["grad." + k[6:]].abs() >= 100 * 1e-8
            note("adamw.params", k, rel_err(got[sure], want[sure]))
            note("adamw.params all", k, (got.double() - want.double()).abs().max().item() / 3e-3)
        else:
            note(k, k, rel_err(got, want))
    return worst


def check(d):
    """Reproduce golden.safetensors of HF model dir `d` in float32; also run the same
    protocol in float64, as the exact reference that measures both sides' rounding.
    Returns (ours vs HF, ours vs float64, HF vs float64, the shift-invariant parameters,
    the change of the span log-probabilities when those are perturbed by N(0, 0.1))."""
    model = BertQA.from_pretrained(d)
    inv = shift_invariant_params(model.cfg)
    g, _ = safetensors_io.load(os.path.join(d, "golden.safetensors"))
    g = {k: torch.from_numpy(v) for k, v in g.items()}
    inputs = dict(input_ids=g["input_ids"], token_type_ids=g["token_type_ids"], attention_mask=g["attention_mask"],
                  start_positions=g["start_positions"], end_positions=g["end_positions"])
    init = {n: t.detach().clone() for n, t in model.params.items()}
    ours = golden_protocol(model, inputs)
    exact = golden_protocol(BertQA(model.cfg, init, torch.float64), inputs)
    hf = {k: g[k] for k in ours if k in g}
    hf["adamw.log_probs"] = log_probs(BertQA(model.cfg, {n: g["adamw." + n] for n in init}).forward(**inputs))
    gen = torch.Generator().manual_seed(0)
    moved = BertQA(model.cfg, {n: t + (0.1 * torch.randn(t.shape, generator=gen) if n in inv else 0)
                               for n, t in init.items()})
    base = BertQA(model.cfg, init)
    proof = rel_err(log_probs(moved.forward(**inputs)), log_probs(base.forward(**inputs)))
    return compare(ours, hf, inv), compare(ours, exact, inv), compare(hf, exact, inv), inv, proof


def main(argv):
    if not argv or argv[0] != "--check" or len(argv) > 2:
        sys.exit(__doc__)
    d = argv[1] if len(argv) == 2 else "/work/shared/fixtures/hf/models/bert-qa"
    vs_hf, ours_vs_64, hf_vs_64, inv, proof = check(d)
    print(f"hf_bert_replica --check {d} (torch {torch.__version__})")
    print(f"{'group':17s} {'ours vs HF':>10s} {'ours vs f64':>11s} {'HF vs f64':>10s}  worst tensor (ours vs HF)")
    bad = []
    for group, (e, name) in vs_hf.items():
        floor = max(ours_vs_64[group][0], hf_vs_64[group][0])
        limit = 1e-6 if group == "shift-inv grads" else 1e-5
        if e > limit and e > 2 * floor:
            bad.append(group)
        print(f"{group:17s} {e:10.3e} {ours_vs_64[group][0]:11.3e} {hf_vs_64[group][0]:10.3e}  {name}")
    print(f"shift-invariant parameters: {', '.join(sorted(inv))}")
    print(f"  perturbed by N(0, 0.1): span log-probs change {proof:.3e} (relative)")
    if proof > 1e-5:
        bad.append("shift-invariance proof")
    print("FAIL: " + ", ".join(bad) if bad else
          "OK: every group within 1e-5 of HF (shift-inv grads 1e-6), or within twice the float32 rounding "
          "that both sides show against float64")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
