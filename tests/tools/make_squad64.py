#!/usr/bin/python3
"""make_squad64.py — tests/fixtures/reader/squad64.json: the first 64 questions of SQuAD v1.1 dev
in file order (articles and paragraphs as in the original, later questions left out), the
questions whose HF windows are windows64.jsonl. Lets the CLI replica test featurise with needle's
own tokenizer and train on the same windows. Usage: make_squad64.py [DEV_JSON] [OUT]"""
import json
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/squad-v1.1/dev-v1.1.json"
out = sys.argv[2] if len(sys.argv) > 2 else "tests/fixtures/reader/squad64.json"
dev = json.load(open(src, encoding="utf-8"))
left, data = 64, []
for art in dev["data"]:
    paras = []
    for p in art["paragraphs"]:
        if not left:
            break
        qas = p["qas"][:left]
        left -= len(qas)
        paras.append({"context": p["context"], "qas": qas})
    if paras:
        data.append({"title": art["title"], "paragraphs": paras})
    if not left:
        break
with open(out, "w", encoding="utf-8") as f:
    json.dump({"data": data, "version": dev["version"]}, f, ensure_ascii=False)
    f.write("\n")
