"""encoder_torch.py — PyTorch's side of bench/encoder.sh (run with /usr/bin/python3, torch 1.13).

The same shapes as bench_encoder.c, built from torch.nn.TransformerEncoderLayer (post-LN,
gelu, dropout 0.1, batch_first) under BERT embeddings (word + position + token type,
LayerNorm, dropout) with a span (QA) head and HF's span loss; torch.optim.AdamW with
weight decay 0.01. torch.set_num_threads(2). Prints one JSON line like bench_encoder (time: the fastest of
ITERS iterations after a warm-up).

    encoder_torch.py step|forward|memory L C NH F B T [ITERS]
"""
import json
import resource
import sys
import time

import torch

torch.set_num_threads(2)
torch.manual_seed(0)
what = sys.argv[1]
L, C, NH, F, B, T = (int(x) for x in sys.argv[2:8])
iters = 0 if what == "memory" else int(sys.argv[8]) if len(sys.argv) > 8 else 1
V, P = 30522, 512


class QAModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.word = torch.nn.Embedding(V, C, padding_idx=0)
        self.pos = torch.nn.Embedding(P, C)
        self.ttype = torch.nn.Embedding(2, C)
        self.ln = torch.nn.LayerNorm(C, eps=1e-12)
        self.drop = torch.nn.Dropout(0.1)
        self.layers = torch.nn.ModuleList(
            torch.nn.TransformerEncoderLayer(C, NH, F, 0.1, activation="gelu", layer_norm_eps=1e-12,
                                             batch_first=True, norm_first=False) for _ in range(L))
        self.qa = torch.nn.Linear(C, 2)

    def forward(self, ids, types, pad):
        h = self.word(ids) + self.pos(torch.arange(ids.shape[1]).unsqueeze(0)) + self.ttype(types)
        h = self.drop(self.ln(h))
        for layer in self.layers:
            h = layer(h, src_key_padding_mask=pad)
        start, end = self.qa(h).unbind(-1)
        return start, end


m = QAModel()
ids = torch.randint(0, V, (B, T))
types = (torch.arange(T) >= T // 4).long().expand(B, T)
pad = torch.zeros(B, T, dtype=torch.bool)  # every token real, as on needle's side
sp, ep = torch.randint(0, T, (B,)), torch.randint(0, T, (B,))
ce = torch.nn.functional.cross_entropy
opt = torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=0.01)
loss = torch.tensor(0.0)


def step():
    global loss
    opt.zero_grad()
    s, e = m(ids, types, pad)
    loss = (ce(s, sp) + ce(e, ep)) / 2
    loss.backward()
    opt.step()


def forward():
    with torch.no_grad():
        m(ids, types, pad)


train = what != "forward"
if not train:
    m.eval()
run = step if train else forward
runs = iters + 1  # the first is a warm-up (memory: the only one)
dt = cpu = 0.0  # the fastest timed iteration, as on needle's side
for i in range(runs):
    t0, c0 = time.perf_counter(), time.process_time()
    run()
    t = time.perf_counter() - t0
    if i > 0 and (dt == 0 or t < dt):
        dt, cpu = t, time.process_time() - c0
tok = B * T
flops = tok * (2.0 * (4 * C * C + 2 * C * F) * L + 4.0 * T * C * L + 4.0 * C) * (3 if train else 1)
print(json.dumps({"what": what, "side": "pytorch", "L": L, "C": C, "B": B, "T": T, "seconds": round(dt, 4), "cpu_seconds": round(cpu, 4),
                  "tokens_per_s": round(tok / dt, 1) if dt else 0, "gflops": round(flops / dt / 1e9, 2) if dt else 0,
                  "loss": round(loss.item(), 4), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "threads": torch.get_num_threads(), "torch": torch.__version__}))
