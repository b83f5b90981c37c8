#!/usr/bin/env python3
"""squad_reference.py — an independent Python reference for needle's SQuAD evaluation.

It implements the official SQuAD metric semantics from their description (evaluate-v1.1.py and
evaluate-v2.0.py as run by Python 3: normalisation with str.lower, string.punctuation, the
regex \\b(a|an|the)\\b and str.split; EM; token F1 with Counter overlap; max over golds; each
version's rule for empty golds and missing predictions; find_best_thresh). It shares no code
with needle: the C tests compare needle against the fixtures this program writes.

Standard library only. Commands:
  evaluate DATA PRED [--na-prob-file F] [--na-prob-thresh T] [--version 1.1|2.0]
      print the JSON the official script prints for the dataset's version
  make-fixtures OUTDIR --squad-dev DEV_V1.1 --squad-v2 SMALL_V2
      write the dataset subsets, deterministic predictions and no-answer probabilities, and
      the expected results (see tests/fixtures/squad/eval/SOURCE.md)
  predict DATA PRED [--na-prob-file F] [--seed S] [--missing R]
      write deterministic predictions (and no-answer probabilities) for a dataset, for
      benchmarks and differential runs on whole files
  unicode-tables OUTFILE
      dump, for every code point, what Python's str/re say (\\w, isspace, lower, and the
      Cased / Case_Ignorable behaviour of the final-sigma rule)

The one departure from evaluate-v2.0.py: when a question lacks a prediction, the script skips
it in the overall scores but then fails with KeyError building the HasAns/NoAns splits; here
the splits count only the questions that have a prediction (needle documents the same rule).
"""
import argparse
import collections
import json
import random
import re
import string
import sys
import unicodedata

PUNCT = set(string.punctuation)
ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(s):
    s = s.lower()
    s = "".join(ch for ch in s if ch not in PUNCT)
    s = ARTICLES.sub(" ", s)
    return " ".join(s.split())


def exact(pred, gold):
    return int(normalize_answer(pred) == normalize_answer(gold))


def f1_v1(pred, gold):
    p = normalize_answer(pred).split()
    g = normalize_answer(gold).split()
    same = sum((collections.Counter(p) & collections.Counter(g)).values())
    if same == 0:
        return 0
    precision = 1.0 * same / len(p)
    recall = 1.0 * same / len(g)
    return (2 * precision * recall) / (precision + recall)


def f1_v2(pred, gold):
    p = normalize_answer(pred).split() if pred else []
    g = normalize_answer(gold).split() if gold else []
    if not p or not g:
        return int(p == g)
    same = sum((collections.Counter(p) & collections.Counter(g)).values())
    if same == 0:
        return 0
    precision = 1.0 * same / len(p)
    recall = 1.0 * same / len(g)
    return (2 * precision * recall) / (precision + recall)


def questions(dataset):
    for article in dataset["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                yield qa


def qid(qa):
    return str(qa["id"])


def answers(qa):
    a = qa.get("answers") or []
    if isinstance(a, dict):
        return list(a["text"])
    return [x["text"] for x in a]


def evaluate_v1(dataset, preds):
    em = f1 = total = 0
    for qa in questions(dataset):
        total += 1
        if qid(qa) not in preds:
            print("Unanswered question %s will receive score 0." % qid(qa), file=sys.stderr)
            continue
        golds = answers(qa)
        em += max(exact(preds[qid(qa)], g) for g in golds)
        f1 += max(f1_v1(preds[qid(qa)], g) for g in golds)
    return {"exact_match": 100.0 * em / total, "f1": 100.0 * f1 / total}


def evaluate_v2(dataset, preds, na_probs=None, na_prob_thresh=1.0):
    has_ans = {}
    for qa in questions(dataset):
        has_ans[qid(qa)] = bool(answers(qa))
    raw_em, raw_f1 = {}, {}
    for qa in questions(dataset):
        golds = [g for g in answers(qa) if normalize_answer(g)] or [""]
        if qid(qa) not in preds:
            print("Missing prediction for %s" % qid(qa), file=sys.stderr)
            continue
        p = preds[qid(qa)]
        raw_em[qid(qa)] = max(exact(p, g) for g in golds)
        raw_f1[qid(qa)] = max(f1_v2(p, g) for g in golds)
    probs = na_probs if na_probs is not None else {k: 0.0 for k in preds}

    def thresholded(scores):
        return {k: (float(not has_ans[k]) if probs[k] > na_prob_thresh else s) for k, s in scores.items()}

    em, f1 = thresholded(raw_em), thresholded(raw_f1)
    out = collections.OrderedDict()
    out["exact"] = 100.0 * sum(em.values()) / len(em)
    out["f1"] = 100.0 * sum(f1.values()) / len(f1)
    out["total"] = len(em)
    for name, want in (("HasAns", True), ("NoAns", False)):
        ids = [k for k, v in has_ans.items() if v == want]
        if not ids:
            continue
        scored = [k for k in ids if k in em]  # the documented departure, see the docstring
        n = len(scored)
        out[name + "_exact"] = 100.0 * sum(em[k] for k in scored) / n if n else 0.0
        out[name + "_f1"] = 100.0 * sum(f1[k] for k in scored) / n if n else 0.0
        out[name + "_total"] = n
    if na_probs is not None:
        for key, raw in (("exact", raw_em), ("f1", raw_f1)):
            cur = best = sum(1 for v in has_ans.values() if not v)
            thresh = 0.0
            for k in sorted(na_probs, key=lambda k: na_probs[k]):
                if k not in raw:
                    continue
                cur += raw[k] if has_ans[k] else (-1 if preds[k] else 0)
                if cur > best:
                    best, thresh = cur, na_probs[k]
            out["best_" + key] = 100.0 * best / len(raw)
            out["best_" + key + "_thresh"] = thresh
    return out


def version_of(dataset, forced=None):
    v = forced or dataset.get("version")
    if v is not None:
        v = str(v).lstrip("vV")
        if v.split(".")[0] in ("1", "2"):
            return int(v.split(".")[0])
    for qa in questions(dataset):
        if qa.get("is_impossible") or not answers(qa) or "plausible_answers" in qa:
            return 2
    return 1


def evaluate(dataset, preds, na_probs=None, na_prob_thresh=1.0, forced=None):
    if version_of(dataset, forced) == 1:
        return evaluate_v1(dataset, preds)
    return evaluate_v2(dataset, preds, na_probs, na_prob_thresh)


# ---------------------------------------------------------------- fixtures

def subset(dataset, titles):
    data = [a for a in dataset["data"] if a["title"] in titles]
    out = {"data": data}
    if "version" in dataset:
        out["version"] = dataset["version"]
    return out


def perturb(rng, qa, context):
    """A deterministic prediction for one question, drawn from the kinds of error readers make."""
    golds = answers(qa)
    words = context.split()
    kind = rng.randrange(9)
    if not golds:
        return "" if kind < 4 else " ".join(words[rng.randrange(len(words)):][:rng.randint(1, 4)])
    g = rng.choice(golds)
    toks = g.split()
    if kind == 0:
        return g
    if kind == 1:
        return "The " + g + "."
    if kind == 2:
        return g.upper()
    if kind == 3:
        return " ".join(toks[1:]) if len(toks) > 1 else g + " " + g
    if kind == 4:
        return " ".join(toks[:-1] + ["and", "more", "words"])
    if kind == 5:
        start = rng.randrange(len(words))
        return " ".join(words[start:start + rng.randint(1, 6)])
    if kind == 6:
        return ""
    if kind == 7:
        return "\u201c" + g + "\u201d \u2014 an answer"
    return g.replace(" ", "\u00a0 ")


def make_predictions(rng, dataset, missing_rate):
    preds = {}
    for article in dataset["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                if rng.random() < missing_rate:
                    continue
                preds[qid(qa)] = perturb(rng, qa, paragraph["context"])
    preds["not-a-question-id-1"] = "stray"
    preds["not-a-question-id-2"] = ""
    return preds


FRAGMENTS = [
    "the theater", "A Theatre", "an anthem", "then", "the_end", "the-man", "a.b.c", "The", "AN", "a",
    "thé", "the\u0301", "\u00e0 the", "the\u00e9", "caf\u00e9 the", "\u0391\u0398\u0397\u039d\u0391", "ΟΔΟΣ", "οδος",
    "ΣΑΣ", "Σ", "ΑΣ'Β", "\u0130stanbul", "istanbul", "i\u0307stanbul", "\u212a", "k", "\u00df", "\u1e9e", "STRASSE",
    "\u201cquoted\u201d", "\u2014dash\u2014", "\u00abguillemets\u00bb", "wait\u2026", "\u00bfqu\u00e9?",
    "\u3000full\u3000width\u3000", "\uff34\uff48\uff45", "a\u00a0b", "x\u2009y", "p\u1680q", "\x1cfs\x1f",
    "tab\there", "line\nbreak", "\u0661\u0662\u0663", "\u0627\u0644\u0642\u0627\u0647\u0631\u0629", "\u6771\u4eac",
    "\u2460 the", "the\u2460", "\u00aa the", "x\u00b2", "the\u02b0", "co-operate", "U.S.", "$1,000", "50%", "",
    "   ", "!!!", "a an the", "A AN THE", "the the", "(the)", "[a]", "\u2018a\u2019", "\u00b7the\u00b7",
    "\U0001f600 the", "the\U0001f600", "\U0001d400bc", "\u01c5ungla", "\u1f88\u03a3", "emoji \U0001f44d\U0001f3fd",
]


def combine(rng):
    return " ".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 3)))


def transform(rng, text):
    kind = rng.randrange(7)
    if kind == 0:
        return text
    if kind == 1:
        return text.upper()
    if kind == 2:
        return text.lower()
    if kind == 3:
        return "the " + text + "!"
    if kind == 4:
        return text.replace(" ", "\u3000")
    if kind == 5:
        return combine(rng)
    return text + " " + combine(rng)


def unicode_dataset(rng):
    """Questions whose golds and predictions are built from FRAGMENTS: each normalisation rule
    at work, alone and mixed. The context holds every fragment so the file is well formed."""
    context = " | ".join(FRAGMENTS)
    qas, preds, probs = [], {}, []
    for i in range(300):
        n_golds = rng.choice([0, 1, 1, 2, 3])
        golds = [combine(rng) for _ in range(n_golds)]
        q = {"id": "u%03d" % i, "question": "q%d" % i, "answers": [{"text": g, "answer_start": 0} for g in golds]}
        if not golds:
            q["is_impossible"] = True
        qas.append(q)
        preds[q["id"]] = transform(rng, golds[0]) if golds and rng.random() < 0.7 else combine(rng)
        probs.append((q["id"], round(rng.random(), 1)))
    data = {"version": "v2.0", "data": [{"title": "unicode", "paragraphs": [{"context": context, "qas": qas}]}]}
    return data, preds, probs


def na_probs_for(rng, dataset, preds):
    """Probabilities with many ties (one decimal), in shuffled order, plus a stray id and a
    repeated one (json.load keeps the first position and the last value)."""
    items = [(qid(qa), round(rng.random(), 1)) for qa in questions(dataset)]
    rng.shuffle(items)
    items.append(("not-a-question-id-1", 0.5))
    items.append((items[0][0], round(rng.random(), 1)))
    return items


def dump_pairs(path, pairs):
    """A JSON object from (key, value) pairs, keeping order and repeated keys."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("{" + ", ".join(json.dumps(k) + ": " + json.dumps(v) for k, v in pairs) + "}\n")


def dump(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def make_fixtures(out, squad_dev, squad_v2):
    with open(squad_dev, encoding="utf-8") as f:
        dev = subset(json.load(f), {"Normans", "Warsaw"})
    with open(squad_v2, encoding="utf-8") as f:
        v2 = subset(json.load(f), {"Normans"})
    dump(out + "/squad-v1.1-dev-subset.json", dev)
    dump(out + "/squad-v2.0-dev-subset.json", v2)
    expected = collections.OrderedDict()

    rng = random.Random(11)
    preds = make_predictions(rng, dev, 0.05)
    dump(out + "/pred-v1.json", preds)
    expected["v1"] = evaluate(dev, preds)
    expected["v1-as-v2"] = evaluate(dev, preds, forced="2.0")

    rng = random.Random(22)
    preds = make_predictions(rng, v2, 0.0)
    pairs = na_probs_for(rng, v2, preds)
    dump(out + "/pred-v2.json", preds)
    dump_pairs(out + "/na-prob-v2.json", pairs)
    probs = json.loads("{" + ", ".join(json.dumps(k) + ": " + json.dumps(v) for k, v in pairs) + "}")
    expected["v2"] = evaluate(v2, preds)
    expected["v2-na-prob"] = evaluate(v2, preds, probs)
    expected["v2-na-prob-thresh-0.5"] = evaluate(v2, preds, probs, 0.5)

    rng = random.Random(33)
    preds = make_predictions(rng, v2, 0.1)
    dump(out + "/pred-v2-missing.json", preds)
    expected["v2-missing"] = evaluate(v2, preds)

    rng = random.Random(44)
    uni, preds, pairs = unicode_dataset(rng)
    dump(out + "/unicode.json", uni)
    dump(out + "/pred-unicode.json", preds)
    dump_pairs(out + "/na-prob-unicode.json", pairs)
    expected["unicode"] = evaluate(uni, preds, dict(pairs))
    scores = collections.OrderedDict()
    for qa in questions(uni):
        p, golds = preds[qid(qa)], answers(qa)
        v2golds = [g for g in golds if normalize_answer(g)] or [""]
        scores[qid(qa)] = {
            "v1": [max(exact(p, g) for g in golds), max(f1_v1(p, g) for g in golds)] if golds else None,
            "v2": [max(exact(p, g) for g in v2golds), max(f1_v2(p, g) for g in v2golds)],
        }
    expected["unicode-questions"] = scores
    texts = sorted(set(FRAGMENTS) | {t for q in questions(uni) for t in answers(q)} | set(preds.values()))
    expected["normalize"] = [[t, normalize_answer(t)] for t in texts]
    expected["lower"] = [[t, t.lower()] for t in texts]
    expected["python"] = sys.version.split()[0]
    expected["unicodedata"] = unicodedata.unidata_version
    with open(out + "/expected.json", "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


# ---------------------------------------------------------------- unicode tables

def ranges(cps):
    out, start, prev = [], None, None
    for c in cps:
        if start is None:
            start = prev = c
        elif c == prev + 1:
            prev = c
        else:
            out.append((start, prev))
            start = prev = c
    if start is not None:
        out.append((start, prev))
    return " ".join("%x" % a if a == b else "%x-%x" % (a, b) for a, b in out)


def unicode_tables(path):
    word = re.compile(r"\w")
    cps = range(0x110000)
    unassigned = [c for c in cps if unicodedata.category(chr(c)) == "Cn"]
    is_word = [c for c in cps if word.match(chr(c))]
    is_space = [c for c in cps if chr(c).isspace()]
    # 'AΣ' + c: Σ is final (ς) unless a cased letter follows, skipping case-ignorables; so σ
    # here means c is cased (and not case-ignorable). 'AΣ' + c + 'B' gives σ when c is cased or
    # case-ignorable; the difference is the case-ignorable set.
    cased = [c for c in cps if ("A\u03a3" + chr(c)).lower()[1] == "\u03c3"]
    cased_set = set(cased)
    ignorable = [c for c in cps if c not in cased_set and ("A\u03a3" + chr(c) + "B").lower()[1] == "\u03c3"]
    with open(path, "w", encoding="ascii") as f:
        f.write("# Python %s, unicodedata %s: code points as hexadecimal ranges, see "
                "tests/tools/squad_reference.py unicode-tables\n" % (sys.version.split()[0], unicodedata.unidata_version))
        f.write("unassigned %s\n" % ranges(unassigned))
        f.write("word %s\n" % ranges(is_word))
        f.write("space %s\n" % ranges(is_space))
        f.write("cased %s\n" % ranges(cased))
        f.write("ignorable %s\n" % ranges(ignorable))
        f.write("lower")
        for c in cps:
            low = chr(c).lower()
            if low != chr(c):
                f.write(" %x:%s" % (c, ",".join("%x" % ord(x) for x in low)))
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("evaluate")
    e.add_argument("data")
    e.add_argument("pred")
    e.add_argument("--na-prob-file")
    e.add_argument("--na-prob-thresh", type=float, default=1.0)
    e.add_argument("--version")
    m = sub.add_parser("make-fixtures")
    m.add_argument("out")
    m.add_argument("--squad-dev", required=True)
    m.add_argument("--squad-v2", required=True)
    r = sub.add_parser("predict")
    r.add_argument("data")
    r.add_argument("pred")
    r.add_argument("--na-prob-file")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--missing", type=float, default=0.0)
    u = sub.add_parser("unicode-tables")
    u.add_argument("out")
    a = ap.parse_args()
    if a.cmd == "evaluate":
        with open(a.data, encoding="utf-8") as f:
            data = json.load(f)
        with open(a.pred, encoding="utf-8") as f:
            preds = json.load(f)
        na = None
        if a.na_prob_file:
            with open(a.na_prob_file, encoding="utf-8") as f:
                na = json.load(f)
        print(json.dumps(evaluate(data, preds, na, a.na_prob_thresh, a.version)))
    elif a.cmd == "predict":
        with open(a.data, encoding="utf-8") as f:
            data = json.load(f)
        rng = random.Random(a.seed)
        preds = make_predictions(rng, data, a.missing)
        dump(a.pred, preds)
        if a.na_prob_file:
            dump_pairs(a.na_prob_file, na_probs_for(rng, data, preds))
    elif a.cmd == "make-fixtures":
        make_fixtures(a.out, a.squad_dev, a.squad_v2)
    else:
        unicode_tables(a.out)


if __name__ == "__main__":
    main()
