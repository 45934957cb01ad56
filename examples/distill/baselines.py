"""The benchmark's non-augpro augmentations, labelled by the same teacher run in PyTorch.

- `random`: random token replacement — each augmentation copies a pool example and replaces 15 %
  of its word pieces (at least one; never [CLS]/[SEP]) with tokens drawn uniformly from the
  vocabulary minus bracketed special/unused tokens; the teacher labels the result.
- `virtual`: MixKD-style virtual mixup — a pair (a, b) from the pool and one λ ~ Beta(0.4, 0.4);
  the teacher runs on λ·E[a] + (1−λ)·E[b] (word embeddings, position by position, the shorter
  side padded with [PAD], attention over the longer); the student (train.py) mixes its own
  embeddings with the same λ.

Both write a `.npz` (flat ids + offsets, λ, teacher probabilities) that train.py reads.
"""

from __future__ import annotations

import numpy as np
import torch

from augpro import AugProDataset
from minilm import MiniLMTeacher, pad_ids


def _flatten(prefix, sequences):
    offsets = np.cumsum([0] + [len(s) for s in sequences]).astype(np.int64)
    return {f"{prefix}_ids": np.concatenate(sequences).astype(np.int64), f"{prefix}_offsets": offsets}


def _probs(logits):
    return torch.from_numpy(logits).softmax(-1).numpy()


def replaceable_tokens(vocab_path):
    with open(vocab_path, encoding="utf-8") as handle:
        tokens = [line.rstrip("\n") for line in handle]
    return np.array([i for i, t in enumerate(tokens) if not (t.startswith("[") and t.endswith("]"))], dtype=np.int64)


def random_replacement(pool_dir, teacher: MiniLMTeacher, vocab_path, count, seed, rate=0.15):
    """`count` random-replacement augmentations of the pool's originals (cycled in order)."""
    rng = np.random.default_rng(seed)
    candidates = replaceable_tokens(vocab_path)
    originals = [sample["input_ids"].astype(np.int64) for sample in AugProDataset(pool_dir)]
    augmented = []
    for index in range(count):
        ids = originals[index % len(originals)].copy()
        inner = np.arange(1, len(ids) - 1)
        if len(inner) == 0:
            augmented.append(ids)
            continue
        chosen = rng.choice(inner, size=max(1, round(rate * len(inner))), replace=False)
        ids[chosen] = rng.choice(candidates, size=len(chosen))
        augmented.append(ids)
    return {**_flatten("a", augmented), "probs": _probs(teacher.logits_for_ids(augmented))}


def virtual_mixes(pool_dir, teacher: MiniLMTeacher, count, seed, alpha=0.4, batch_size=64):
    """`count` virtual mixes: partner uniform over the pool (not itself), λ ~ Beta(α, α)."""
    rng = np.random.default_rng(seed)
    originals = [sample["input_ids"].astype(np.int64) for sample in AugProDataset(pool_dir)]
    first = np.arange(count) % len(originals)
    second = (first + rng.integers(1, len(originals), size=count)) % len(originals)
    lam = rng.beta(alpha, alpha, size=count).astype(np.float32)
    logits = []
    for start in range(0, count, batch_size):
        rows = range(start, min(start + batch_size, count))
        a, mask_a = pad_ids([originals[first[i]] for i in rows])
        b, mask_b = pad_ids([originals[second[i]] for i in rows])
        width = max(a.shape[1], b.shape[1])
        a = torch.nn.functional.pad(a, (0, width - a.shape[1]))
        b = torch.nn.functional.pad(b, (0, width - b.shape[1]))
        mask = torch.maximum(torch.nn.functional.pad(mask_a, (0, width - mask_a.shape[1])),
                             torch.nn.functional.pad(mask_b, (0, width - mask_b.shape[1])))
        weights = torch.from_numpy(lam[start:start + len(rows)])[:, None, None]
        vectors = weights * teacher.word_embeddings[a] + (1 - weights) * teacher.word_embeddings[b]
        logits.append(teacher.logits(vectors, torch.zeros_like(a), mask).numpy())
    return {**_flatten("a", [originals[i] for i in first]), **_flatten("b", [originals[i] for i in second]),
            "lam": lam, "probs": _probs(np.concatenate(logits))}
