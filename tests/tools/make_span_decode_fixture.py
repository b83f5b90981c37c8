#!/usr/bin/python3
"""make_span_decode_fixture.py — tests/fixtures/reader/span_decode.json: synthetic reader outputs
(start/end logits and context offsets of one question's windows) with the answers Hugging Face's
run_qa post-processing (examples/pytorch/question-answering/utils_qa.py,
postprocess_qa_predictions) derives from them, computed here by a transcription of that
function's rules with numpy, as HF runs them:

  per window: null score = start[0] + end[0], the minimum over windows kept (first wins ties);
  start_indexes / end_indexes = np.argsort(logits)[-1 : -n_best - 1 : -1] (over all positions);
  a pair is a candidate when both offsets exist, end >= start and end - start + 1 <= max_len;
  v2: the null candidate appended; sorted(..., key=score, reverse=True)[:n_best] (stable);
  v2: the null one re-appended if it fell out; "empty" placeholder when nothing but "" is left;
  probabilities = softmax of the kept float32 scores; v1 answer = first; v2: first non-"" one,
  "" if null_score - its start_logit - its end_logit > threshold; that difference is the null odds.

Logits are multiples of 0.5 drawn without repetition inside a window, so argsort has no ties to
break, while sums of a start and an end logit tie often, which exercises the stable sort.
Run: /usr/bin/python3 tests/tools/make_span_decode_fixture.py [OUT]"""
import json
import sys

import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/reader/span_decode.json"
L = 24


def make_window(rng, q_len, n_ctx, char0):
    """Offsets: [CLS] question [SEP] context [SEP] padding; context tokens of 1-6 characters
    separated by one space, starting at character char0 of the context."""
    offsets = [None] * L
    pos, c = q_len + 2, char0
    for _ in range(n_ctx):
        w = int(rng.randint(1, 7))
        offsets[pos] = [c, c + w]
        c += w + 1
        pos += 1
    start = (rng.permutation(L).astype(np.float32) * np.float32(0.5) - np.float32(5.0)).astype(np.float32)
    end = (rng.permutation(L).astype(np.float32) * np.float32(0.5) - np.float32(5.0)).astype(np.float32)
    return {"start_logits": start, "end_logits": end, "offsets": offsets}


def decode(windows, n_best, max_len, v2, threshold):
    min_null, prelim = None, []
    for w, win in enumerate(windows):
        s, e, off = win["start_logits"], win["end_logits"], win["offsets"]
        null = s[0] + e[0]
        if min_null is None or min_null["score"] > null:
            min_null = {"kind": "null", "window": w, "score": null, "start_logit": s[0], "end_logit": e[0]}
        starts = np.argsort(s)[-1: -n_best - 1: -1].tolist()
        ends = np.argsort(e)[-1: -n_best - 1: -1].tolist()
        for a in starts:
            for b in ends:
                if off[a] is None or off[b] is None:
                    continue
                if b < a or b - a + 1 > max_len:
                    continue
                prelim.append({"kind": "text", "window": w, "tokens": [a, b], "offsets": [off[a][0], off[b][1]],
                               "score": s[a] + e[b], "start_logit": s[a], "end_logit": e[b]})
    if v2:
        prelim.append(min_null)
    preds = sorted(prelim, key=lambda x: x["score"], reverse=True)[:n_best]
    if v2 and not any(p["kind"] == "null" for p in preds):
        preds.append(min_null)
    text_empty = lambda p: p["kind"] == "null" or (p["kind"] == "text" and p["offsets"][0] == p["offsets"][1])
    if len(preds) == 0 or (len(preds) == 1 and text_empty(preds[0])):
        preds.insert(0, {"kind": "empty", "score": np.float32(0), "start_logit": np.float32(0),
                         "end_logit": np.float32(0)})
    scores = np.array([p["score"] for p in preds])
    ex = np.exp(scores - np.max(scores))
    probs = ex / ex.sum()
    for p, pr in zip(preds, probs):
        p["probability"] = float(pr)
    out = {"nbest": preds}
    if not v2:
        out["chosen"], out["no_answer"] = 0, False
    else:
        i = 0
        while text_empty(preds[i]):
            i += 1
        diff = min_null["score"] - preds[i]["start_logit"] - preds[i]["end_logit"]
        out["score_diff"] = float(diff)
        out["null_score"] = float(min_null["score"])
        out["no_answer"] = bool(diff > threshold)
        out["chosen"] = i
    for p in preds:
        for k in ("score", "start_logit", "end_logit"):
            p[k] = float(p[k])
    return out


def main():
    rng = np.random.RandomState(20240521)
    cases = []
    settings = [  # (windows, n_best, max_len, v2, threshold)
        (1, 20, 30, False, 0.0), (1, 5, 30, False, 0.0), (2, 20, 30, False, 0.0), (3, 20, 4, False, 0.0),
        (1, 3, 2, False, 0.0), (2, 20, 30, True, 0.0), (3, 5, 30, True, 0.0), (1, 20, 30, True, -3.0),
        (2, 20, 30, True, 3.0), (2, 4, 3, True, 0.0), (1, 20, 30, True, 0.0), (3, 20, 30, True, 0.0),
    ]
    for n_win, n_best, max_len, v2, thr in settings:
        q_len = int(rng.randint(3, 8))
        windows, char0 = [], 0
        for _ in range(n_win):
            n_ctx = int(rng.randint(4, L - q_len - 3))
            windows.append(make_window(rng, q_len, n_ctx, char0))
            char0 += 7
        cases.append((windows, n_best, max_len, v2, thr))
    # no context token at all: HF's "empty" placeholder (v1), and a lone null (v2)
    for v2 in (False, True):
        w = make_window(rng, 5, 0, 0)
        cases.append(([w], 20, 30, v2, 0.0))
    # the null answer made the best by a large [CLS] logit in every window
    ws = [make_window(rng, 4, 10, 0), make_window(rng, 4, 10, 7)]
    for w in ws:
        w["start_logits"][0] = np.float32(20.0)
        w["end_logits"][0] = np.float32(20.5)
    cases.append((ws, 20, 30, True, 0.0))
    out = []
    for windows, n_best, max_len, v2, thr in cases:
        exp = decode(windows, n_best, max_len, v2, thr)
        out.append({"n_best": n_best, "max_answer_len": max_len, "version_2": v2, "null_threshold": thr, "L": L,
                    "windows": [{"start_logits": [float(x) for x in w["start_logits"]],
                                 "end_logits": [float(x) for x in w["end_logits"]],
                                 "offsets": w["offsets"]} for w in windows],
                    "expected": exp})
    with open(OUT, "w") as f:
        json.dump({"source": "tests/tools/make_span_decode_fixture.py", "cases": out}, f)
        f.write("\n")


main()
