"""Recomputes the numbers report.html shows, from the shards alone, independently of augpro.

Usage: report_numbers.py DIR  →  one JSON object on stdout.

Samples are decoded by the project's Python reader package (python/, `augpro.AugProDataset`,
written from the MDS spec, hashes verified); the statistics use numpy. Definitions (as the report states them): an augmentation's dominant
source is source_a when mix_lambda >= 0.5, else source_b; changed positions compare index by
index and count length differences; confidence/entropy come from softmax(teacher_logits)
(temperature 1), else teacher_probs; cosine is clipped to [-1, 1].
"""

import collections
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from augpro import AugProDataset  # noqa: E402


def plain(value):
    return value.tolist() if isinstance(value, np.ndarray) else value.item() if isinstance(value, np.generic) else value


def samples(folder):
    for sample in AugProDataset(folder, verify=True):
        yield {name: plain(value) for name, value in sample.items()}


def distribution(sample):
    if "teacher_logits" in sample:
        logits = np.asarray(sample["teacher_logits"], dtype=np.float64)
        exps = np.exp(logits - logits.max())
        return exps / exps.sum()
    if "teacher_probs" in sample:
        return np.asarray(sample["teacher_probs"], dtype=np.float64)
    return None


def histogram(values, low, high, bins):
    return np.histogram(np.asarray(values, dtype=np.float64), bins=bins, range=(low, high))[0].tolist()


def main():
    folder = sys.argv[1]
    everything = list(samples(folder))
    originals = {s["id"]: s for s in everything if s["kind"] == "original"}
    mixes = [s for s in everything if s["kind"] != "original"]
    out = {
        "originals": len(originals),
        "augmentations": len(mixes),
        "lambda": histogram([s["mix_lambda"] for s in mixes], 0, 1, 10),
    }
    changed = collections.Counter()
    flips = [0, 0]
    cosines = []
    for mix in mixes:
        source = originals.get(mix["source_a"] if mix["mix_lambda"] >= 0.5 else mix["source_b"])
        if source is None:
            continue
        a, b = mix["input_ids"], source["input_ids"]
        changed[sum(1 for x, y in zip(a, b) if x != y) + abs(len(a) - len(b))] += 1
        p, q = distribution(mix), distribution(source)
        if p is not None and q is not None:
            flips[0] += 1
            flips[1] += int(np.argmax(p) != np.argmax(q))
        if "teacher_embedding" in mix:
            u = np.asarray(mix["teacher_embedding"], dtype=np.float64)
            v = np.asarray(source["teacher_embedding"], dtype=np.float64)
            cosines.append(float(np.clip(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)), -1, 1)))
    out["changed_positions"] = {str(k): v for k, v in sorted(changed.items())}
    first = everything[0] if everything else {}
    if distribution(first) is not None:
        classes = len(distribution(first))
        top = math.log(max(2, classes))
        for name, kind in (("originals", True), ("augmented", False)):
            dists = [distribution(s) for s in everything if (s["kind"] == "original") == kind]
            out[f"confidence_{name}"] = histogram([d.max() for d in dists], 0, 1, 20)
            out[f"entropy_{name}"] = histogram([float(-(d[d > 0] * np.log(d[d > 0])).sum()) for d in dists], 0, top, 20)
        out["label_flips"] = flips
    if cosines:
        out["cosine"] = histogram(cosines, -1, 1, 40)
    json.dump(out, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
