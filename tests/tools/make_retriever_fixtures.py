"""Reference values for needle's retriever losses, computed with PyTorch autograd.

Writes tests/fixtures/retriever/loss_golden.safetensors with three cases, each holding the
query and passage embeddings, the positives/negatives, the scores, the loss and the
gradients of the loss with respect to both embedding matrices (float64 throughout, so the
reference is exact to far below needle's float32 tolerance):

  mnrl.*    sentence-transformers' MultipleNegativesRankingLoss written literally:
            scores = cos_sim(q, p) * 20; loss = cross_entropy(scores, labels)
            (one positive per query, every other passage an in-batch negative)
  multi.*   dot product, scale 1, a query with two positives:
            loss = mean_i( -mean_{p in P_i} log_softmax(S_i)[p] )
  mmse.*    sentence-transformers' MarginMSELoss on dot scores: for each query's first
            positive p and each of its own negatives n,
            loss = mean( (S[i,p] - S[i,n] - (t_p - t_n))^2 )

Run with Debian's python (torch 1.13): /usr/bin/python3 tests/tools/make_retriever_fixtures.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

torch.manual_seed(20240611)
out = {}


def put(prefix, **tensors):
    for k, v in tensors.items():
        out[prefix + "." + k] = v.detach().contiguous().numpy()


# MultipleNegativesRankingLoss: 5 queries, 10 passages (5 positives then 5 hard negatives).
q = torch.randn(5, 8, dtype=torch.float64, requires_grad=True)
p = torch.randn(10, 8, dtype=torch.float64, requires_grad=True)
scores = torch.nn.functional.normalize(q, dim=1) @ torch.nn.functional.normalize(p, dim=1).T * 20
labels = torch.arange(5)
loss = torch.nn.functional.cross_entropy(scores, labels)
loss.backward()
put("mnrl", q=q, p=p, scores=scores, loss=loss.reshape(1), grad_q=q.grad, grad_p=p.grad,
    pos_off=torch.tensor([0, 1, 2, 3, 4, 5], dtype=torch.int32), pos_idx=labels.to(torch.int32))

# Several positives: query 1 has passages 2 and 3.
q = torch.randn(3, 6, dtype=torch.float64, requires_grad=True)
p = torch.randn(7, 6, dtype=torch.float64, requires_grad=True)
pos = [[0], [2, 3], [5]]
scores = q @ p.T
logp = torch.log_softmax(scores, dim=1)
loss = torch.stack([-logp[i, pos[i]].mean() for i in range(3)]).mean()
loss.backward()
put("multi", q=q, p=p, scores=scores, loss=loss.reshape(1), grad_q=q.grad, grad_p=p.grad,
    pos_off=torch.tensor([0, 1, 3, 4], dtype=torch.int32), pos_idx=torch.tensor([0, 2, 3, 5], dtype=torch.int32))

# MarginMSE: 3 queries; query i owns passages [3i, 3i+3): a positive and two negatives, except
# query 2 whose second negative is absent (passage 8 is only an in-batch passage).
q = torch.randn(3, 6, dtype=torch.float64, requires_grad=True)
p = torch.randn(9, 6, dtype=torch.float64, requires_grad=True)
teacher = torch.randn(9, dtype=torch.float64) * 3
negs = [[1, 2], [4, 5], [7]]
scores = q @ p.T
pred, label = [], []
for i in range(3):
    for n in negs[i]:
        pred.append(scores[i, 3 * i] - scores[i, n])
        label.append(teacher[3 * i] - teacher[n])
loss = torch.nn.functional.mse_loss(torch.stack(pred), torch.stack(label))
loss.backward()
put("mmse", q=q, p=p, scores=scores, loss=loss.reshape(1), grad_q=q.grad, grad_p=p.grad, teacher=teacher,
    pos_off=torch.tensor([0, 1, 2, 3], dtype=torch.int32), pos_idx=torch.tensor([0, 3, 6], dtype=torch.int32),
    neg_off=torch.tensor([0, 2, 4, 5], dtype=torch.int32), neg_idx=torch.tensor([1, 2, 4, 5, 7], dtype=torch.int32))

dest = os.path.join(os.path.dirname(__file__), "..", "fixtures", "retriever", "loss_golden.safetensors")
safetensors_io.save(dest, out, metadata={"made_by": "tests/tools/make_retriever_fixtures.py", "torch": torch.__version__})
print("wrote", dest, len(out), "tensors")
