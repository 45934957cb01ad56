"""WordNet glosses labelled with their lexicographer file, split for the distillation benchmark.

Usage: make_corpus.py OUT_DIR [--wordnet /usr/share/wordnet] [--classes 20] [--per-class 700]
       [--teacher 4000] [--pool 3000] [--test 2000] [--seed 13]

Reads Debian `wordnet-base`'s data.noun and data.verb; the text of a synset is its definition
(the gloss up to its first quoted example), its label the lexicographer file (noun.animal,
verb.motion, ...). Keeps the `--classes` largest noun/verb files, samples `--per-class` synsets of
each (balanced, deduplicated by text), shuffles, and writes OUT_DIR/teacher.tsv, pool.tsv (the
first 1,000 rows are the 1k pool), test.tsv (columns text, label) and classes.json.
"""

import argparse
import collections
import json
import os
import random

LEXNAMES = [
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
    "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
    "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
    "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
    "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition",
    "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
    "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather", "adj.ppl",
]


def definitions(path):
    """(lexicographer file number, definition) for every synset line of a WordNet data file."""
    with open(path, encoding="latin-1") as handle:
        for line in handle:
            if line.startswith("  ") or " | " not in line:
                continue
            fields = line.split(" ", 2)
            gloss = line.split(" | ", 1)[1].strip()
            text = gloss.split('; "')[0].strip().strip(";").strip()
            if text and "\t" not in text:
                yield int(fields[1]), text


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--wordnet", default="/usr/share/wordnet")
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--per-class", type=int, default=700)
    parser.add_argument("--teacher", type=int, default=4000)
    parser.add_argument("--pool", type=int, default=3000)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    by_file = collections.defaultdict(dict)
    for part in ("noun", "verb"):
        path = os.path.join(args.wordnet, f"data.{part}")
        if not os.path.exists(path):
            raise SystemExit(f"{path}: missing — install Debian's wordnet-base (make wordnet)")
        for lexfile, text in definitions(path):
            by_file[lexfile].setdefault(text, None)
    ranked = sorted(by_file, key=lambda lexfile: (-len(by_file[lexfile]), lexfile))[:args.classes]
    chosen = sorted(ranked)
    rng = random.Random(args.seed)
    rows = []
    for label, lexfile in enumerate(chosen):
        texts = sorted(by_file[lexfile])
        if len(texts) < args.per_class:
            raise SystemExit(f"{LEXNAMES[lexfile]} has only {len(texts)} definitions, fewer than --per-class {args.per_class}")
        rows.extend((text, label) for text in rng.sample(texts, args.per_class))
    seen = collections.Counter(text for text, _ in rows)
    rows = [row for row in rows if seen[row[0]] == 1]
    rng.shuffle(rows)
    needed = args.teacher + args.pool + args.test
    if len(rows) < needed:
        raise SystemExit(f"only {len(rows)} rows for {needed} requested")
    os.makedirs(args.out, exist_ok=True)
    splits = {"teacher": rows[:args.teacher], "pool": rows[args.teacher:args.teacher + args.pool],
              "test": rows[args.teacher + args.pool:needed]}
    for name, split in splits.items():
        with open(os.path.join(args.out, f"{name}.tsv"), "w", encoding="utf-8") as handle:
            handle.write("text\tlabel\n")
            handle.writelines(f"{text}\t{label}\n" for text, label in split)
    with open(os.path.join(args.out, "classes.json"), "w") as handle:
        json.dump([LEXNAMES[lexfile] for lexfile in chosen], handle, indent=1)
    print(f"{len(chosen)} classes, " + ", ".join(f"{name} {len(split)}" for name, split in splits.items()))


if __name__ == "__main__":
    main()
