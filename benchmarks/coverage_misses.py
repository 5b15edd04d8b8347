"""Why the cross-mythes candidate coverage is low (issue 12): what relation links a MyThes swap the detector's
candidate pool misses to its original, and how often real tortured phrases show that relation.

    .venv/bin/python benchmarks/coverage_misses.py [--docs 120] [--out benchmarks/results/coverage_misses.json]

1. Spin dev-split documents (../shared/data) with the MyThes spinner (crude, rate 0.3), as the bench's
   cross-mythes condition does, and ask the detector's pool of that condition (Moby + WordNet + GloVe
   neighbours) for each single-word swap: is the original (any inflection) a candidate of the spun word?
2. Classify the misses by the WordNet relation (Debian wordnet-base's pointers) from the spun word to its
   original: the original is a hyponym of the spun word (the spinner wrote a generic term, MyThes's
   "(generic term)" entries), "similar to" (adjective clusters, MyThes's "(similar term)"), another pointer, or
   none.
3. The same relations for the words real spinners changed in the PPS tortured-phrase list
   (pps-torturedcheck, phrases of equal length aligned word by word): how often real tools write a generic
   term.
Nothing from the corpus is written; the output holds counts and shares only.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDNET = Path("/usr/share/wordnet")
PPS = ROOT.parent / "shared" / "data" / "pps-torturedcheck" / "tortured-phrases.json"
RELATIONS = {  # WordNet pointer symbols, read from the spun word towards the original
    "hyponym": {"~", "~i"},
    "similar": {"&"},
    "hypernym": {"@", "@i"},
    "see_also": {"^"},
    "derived": {"+"},
    "other": {"=", "\\", "$", "*", ">", "%m", "%s", "%p", "#m", "#s", "#p", "<", ";c", "-c", ";r", "-r", ";u", "-u"},
}


def wordnet_pointers():
    """(word → synset keys, synset key → lemmas, synset key → [(pointer, target key)])."""
    lemmas_of, pointers = {}, {}
    for pos in ("noun", "verb", "adj", "adv"):
        with open(WORDNET / f"data.{pos}", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                f = line.split(" | ")[0].split(" ")
                key = f[0] + ("a" if f[2] == "s" else f[2])
                n = int(f[3], 16)
                lemmas_of[key] = [re.sub(r"\([a-z]+\)$", "", f[4 + 2 * i]).replace("_", " ").lower() for i in range(n)]
                i = 4 + 2 * n
                out = []
                for _ in range(int(f[i])):
                    sym, off, p = f[i + 1], f[i + 2], f[i + 3]
                    out.append((sym, off + ("a" if p == "s" else p)))
                    i += 4
                pointers[key] = out
    synsets = defaultdict(list)
    for key, lem in lemmas_of.items():
        for w in lem:
            synsets[w].append(key)
    return synsets, lemmas_of, pointers


def bases(word: str) -> set[str]:
    from lemminflect import getLemma

    out = {word}
    for upos in ("NOUN", "VERB", "ADJ", "ADV"):
        out.update(getLemma(word, upos=upos))
    return out


def relation(spun: str, original: str, wn) -> str:
    synsets, lemmas_of, pointers = wn
    sb, ob = bases(spun), bases(original)
    if any(ob & set(lemmas_of[k]) for w in sb for k in synsets.get(w, ())):
        return "synonym"
    for name, symbols in RELATIONS.items():
        for w in sb:
            for key in synsets.get(w, ()):
                if any(sym in symbols and ob & set(lemmas_of.get(t, ())) for sym, t in pointers[key]):
                    return name
    return "none"


def mythes_misses(n_docs: int, wn) -> dict:
    from unspin import corpus
    from unspin.knowledge.bundle import knowledge
    from unspin.spin import spin

    k = knowledge(sources=("moby", "wordnet"))  # the cross-mythes detector's pool
    lex = k.lex
    docs = corpus.select(corpus.load_documents(), "dev", seed=7)[:n_docs]
    swaps = covered = 0
    misses = Counter()
    for n, d in enumerate(docs):
        res = spin(d.text, rate=0.3, seed=100 + n, style="crude", sources=("mythes",))
        for s in res.spans:
            spun, orig = s.spun.lower(), s.original.lower()
            f, o = lex.form_id.get(spun), lex.form_id.get(orig)
            if " " in spun or " " in orig or f is None or o is None:
                continue
            swaps += 1
            table = k.candidates([f])[0]
            if table is not None and (lex.lemma[table[0]] == lex.lemma[o]).any():
                covered += 1
            else:
                misses[relation(spun, orig, wn)] += 1
    missed = swaps - covered
    return {"documents": len(docs), "single_word_swaps": swaps, "coverage": round(covered / max(swaps, 1), 4),
            "misses": missed, "miss_relation_share": {r: round(c / max(missed, 1), 4) for r, c in misses.most_common()}}


def pps_relations(wn) -> dict:
    from unspin.knowledge import thesaurus as thes

    moby = defaultdict(set)
    for head, syns in thes.parse_moby():
        moby[head].update(syns)
    mythes = defaultdict(set)
    for head, syns in thes.parse_mythes():
        mythes[head].update(syns)
    counts = Counter()
    for e in json.loads(PPS.read_text())["phrases"]:
        t, c = e["tortured"].lower().split(), e["correct"].lower().split()
        if len(t) != len(c) or "(" in e["correct"] or "?" in e["correct"]:
            continue
        for spun, orig in ((a, b) for a, b in zip(t, c) if a != b):
            r = relation(spun, orig, wn)
            if r == "synonym":
                counts["wordnet synonym"] += 1
                continue
            sb, ob = bases(spun), bases(orig)
            if any(y in moby[x] or x in moby[y] for x in sb for y in ob):
                counts["moby link"] += 1
            elif any(y in mythes[x] or x in mythes[y] for x in sb for y in ob):
                counts["mythes only (not moby, not a wordnet synonym)"] += 1
                counts[f"  of which wordnet {r}"] += 1
            else:
                counts[f"no moby/mythes link; wordnet {r}"] += 1
    total = sum(v for k, v in counts.items() if not k.startswith("  "))
    return {"changed_words": total, "share": {k: round(v / total, 4) for k, v in counts.most_common()}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=120)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "coverage_misses.json"))
    args = ap.parse_args()
    wn = wordnet_pointers()
    result = {"command": "python benchmarks/coverage_misses.py " + " ".join(sys.argv[1:]),
              "date": time.strftime("%Y-%m-%d %H:%M"),
              "cross_mythes": mythes_misses(args.docs, wn), "pps": pps_relations(wn)}
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
