#!/usr/bin/python3
"""gen_corpus.py — a deterministic synthetic passage corpus in BEIR form for the BM25 speed
benchmark: N passages of 20-120 words drawn from a Zipfian (s = 1.07) vocabulary of 60,000
pronounceable synthetic words (with English suffixes, so stemming has work to do), plus
queries of 2-6 words drawn from the same law beyond the 30 most frequent words.

usage: gen_corpus.py OUT_DIR N_PASSAGES N_QUERIES   (seeded: the same arguments give the
same bytes)"""
import json
import os
import sys

import numpy as np


def vocabulary(rng, n):
    onsets = ["", "b", "br", "c", "ch", "d", "f", "g", "gr", "h", "k", "l", "m", "n", "p", "pr", "r", "s", "st",
              "t", "tr", "v", "w", "z"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou"]
    codas = ["", "n", "r", "s", "t", "l", "m", "x", "nd", "st"]
    suffixes = ["", "", "", "s", "ed", "ing", "ation", "ly", "er", "ness", "al", "ity"]
    words, seen = [], set()
    while len(words) < n:
        k = 1 + int(rng.integers(0, 3))
        w = "".join(onsets[rng.integers(len(onsets))] + vowels[rng.integers(len(vowels))] +
                    codas[rng.integers(len(codas))] for _ in range(k))
        w += suffixes[rng.integers(len(suffixes))]
        if len(w) >= 2 and w not in seen:
            seen.add(w)
            words.append(w)
    return words


def main():
    out, n_docs, n_queries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240611)
    words = vocabulary(rng, 60000)
    ranks = np.arange(1, len(words) + 1, dtype=np.float64)
    p = ranks ** -1.07
    p /= p.sum()
    cdf = np.cumsum(p)
    with open(os.path.join(out, "corpus.jsonl"), "w") as f:
        batch = 10000
        for start in range(0, n_docs, batch):
            m = min(batch, n_docs - start)
            lengths = rng.integers(20, 121, size=m)
            ids = np.searchsorted(cdf, rng.random(int(lengths.sum())))
            pos = 0
            lines = []
            for i in range(m):
                ws = [words[j] for j in ids[pos:pos + lengths[i]]]
                pos += lengths[i]
                ws[0] = ws[0].capitalize()
                text = " ".join(ws[:len(ws) // 2]) + ", " + " ".join(ws[len(ws) // 2:]) + "."
                lines.append(json.dumps({"_id": "p%07d" % (start + i), "title": "", "text": text}))
            f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "queries.jsonl"), "w") as f:
        lo = cdf[29]
        for q in range(n_queries):
            n = int(rng.integers(2, 7))
            ids = np.searchsorted(cdf, lo + rng.random(n) * (1 - lo))
            f.write(json.dumps({"_id": "q%05d" % q, "text": " ".join(words[j] for j in ids)}) + "\n")


if __name__ == "__main__":
    main()
