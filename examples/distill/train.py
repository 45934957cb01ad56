"""Distils a small transformer student from scratch on augpro shards (KL to teacher probabilities).

Usage: train.py --train SOURCE [SOURCE ...] --test DIR [--head HEAD.safetensors] [--steps 500]
                [--batch-size 32] [--seed 0] [--out result.json]

A SOURCE is an augpro dataset folder (read with the `augpro` package) or a `.npz` written by
`baselines.py` (random replacements, or virtual mixes whose student input is λ·E[a] + (1−λ)·E[b]
in the student's own embedding space, MixKD-style). Teacher probabilities come from
`teacher_probs` when the shards have it, else from `--head` applied to `teacher_embedding`.
Every variant gets the same optimizer-step budget; batches are drawn uniformly from the union of
the sources. Prints and writes (JSON) test accuracy against the gold labels, agreement with the
teacher's top class on the test set, and the mean training loss over the first and last 10 % of
steps.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from augpro import AugProDataset  # noqa: E402
from minilm import read_safetensors  # noqa: E402


class Examples:
    """Student inputs as (ids_a, ids_b, λ) with teacher probabilities; ids_b is ids_a and λ = 1 for real sequences."""

    def __init__(self):
        self.a, self.b, self.lam, self.probs, self.labels = [], [], [], [], []

    def add(self, a, b, lam, probs, label=-1):
        self.a.append(np.asarray(a, dtype=np.int64))
        self.b.append(np.asarray(b, dtype=np.int64))
        self.lam.append(float(lam))
        self.probs.append(np.asarray(probs, dtype=np.float32))
        self.labels.append(int(label))

    def __len__(self):
        return len(self.a)


def teacher_probabilities(sample, head):
    if "teacher_probs" in sample:
        return sample["teacher_probs"]
    if head is None:
        raise SystemExit("the shards have no teacher_probs: pass --head HEAD.safetensors to apply to teacher_embedding")
    logits = head["weight"] @ sample["teacher_embedding"] + head["bias"]
    logits = logits - logits.max()
    return np.exp(logits) / np.exp(logits).sum()


def load_source(path, head, examples):
    if path.endswith(".npz"):
        data = np.load(path)
        a = np.split(data["a_ids"], data["a_offsets"][1:-1])
        b = np.split(data["b_ids"], data["b_offsets"][1:-1]) if "b_ids" in data else a
        lam = data["lam"] if "lam" in data else np.ones(len(a))
        for index in range(len(a)):
            examples.add(a[index], b[index], lam[index], data["probs"][index])
        return
    for sample in AugProDataset(path):
        examples.add(sample["input_ids"], sample["input_ids"], 1.0, teacher_probabilities(sample, head), sample["label"])


def compact_vocabulary(sets):
    """Renumbers the word-piece ids that occur in `sets` to 0..n−1 ([PAD] = 0 stays 0), in place.

    The student's embedding table then has one row per word piece it can meet instead of the
    teacher's 30,522: the same model for every variant, and most of the optimizer's work saved.
    """
    present = np.unique(np.concatenate([np.zeros(1, dtype=np.int64)] + [ids for s in sets for ids in s.a + s.b]))
    lookup = np.zeros(int(present.max()) + 1, dtype=np.int64)
    lookup[present] = np.arange(len(present))
    for examples in sets:
        examples.a = [lookup[ids] for ids in examples.a]
        examples.b = [lookup[ids] for ids in examples.b]
    return len(present)


class Student(torch.nn.Module):
    """Token + position embeddings, a pre-norm transformer encoder, masked mean pooling, linear head."""

    def __init__(self, vocab, classes, width=128, layers=2, heads=4, ff=256, max_len=64, dropout=0.1):
        super().__init__()
        self.tokens = torch.nn.Embedding(vocab, width)
        self.positions = torch.nn.Embedding(max_len, width)
        layer = torch.nn.TransformerEncoderLayer(width, heads, ff, dropout, batch_first=True, norm_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = torch.nn.LayerNorm(width)
        self.dropout = torch.nn.Dropout(dropout)
        self.classifier = torch.nn.Linear(width, classes)

    def forward(self, a, b, lam, mask):
        vectors = self.tokens(a)
        if b is not None:
            vectors = lam[:, None, None] * vectors + (1 - lam[:, None, None]) * self.tokens(b)
        x = self.dropout(vectors + self.positions(torch.arange(a.shape[1]))[None])
        x = self.norm(self.encoder(x, src_key_padding_mask=mask == 0))
        weights = mask.float()[..., None]
        return self.classifier((x * weights).sum(1) / weights.sum(1))


def batch_tensors(examples, indices, max_len):
    width = min(max_len, max(max(len(examples.a[i]), len(examples.b[i])) for i in indices))
    a = torch.zeros((len(indices), width), dtype=torch.int64)
    b = torch.zeros_like(a)
    mask = torch.zeros_like(a)
    for row, i in enumerate(indices):
        la, lb = min(len(examples.a[i]), width), min(len(examples.b[i]), width)
        a[row, :la] = torch.from_numpy(examples.a[i][:la])
        b[row, :lb] = torch.from_numpy(examples.b[i][:lb])
        mask[row, :max(la, lb)] = 1
    lam = torch.tensor([examples.lam[i] for i in indices], dtype=torch.float32)
    mixed = any(examples.lam[i] != 1.0 for i in indices)
    return a, (b if mixed else None), lam, mask


def evaluate(model, examples, max_len, batch_size=256):
    model.eval()
    predictions = []
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            indices = list(range(start, min(start + batch_size, len(examples))))
            a, _, lam, mask = batch_tensors(examples, indices, max_len)
            predictions.append(model(a, None, lam, mask).argmax(1))
    predictions = torch.cat(predictions).numpy()
    labels = np.array(examples.labels)
    teacher = np.array([p.argmax() for p in examples.probs])
    return float((predictions == labels).mean()), float((predictions == teacher).mean())


def train(sources, test_source, head_path=None, steps=500, batch_size=32, seed=0, lr=1e-3, max_len=64,
          threads=None, log=print):
    """Trains one student; returns the result dict."""
    if threads:
        torch.set_num_threads(threads)
    head = read_safetensors(head_path) if head_path else None
    data, test = Examples(), Examples()
    for source in sources:
        load_source(source, head, data)
    load_source(test_source, head, test)
    classes = len(test.probs[0])
    vocab = compact_vocabulary([data, test])
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = Student(vocab, classes, max_len=max_len)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (steps - step) / max(1, steps - warmup)))
    targets = torch.from_numpy(np.stack(data.probs))
    losses = []
    started = time.time()
    model.train()
    for step in range(steps):
        indices = torch.randint(len(data), (batch_size,), generator=generator).tolist()
        a, b, lam, mask = batch_tensors(data, indices, max_len)
        log_q = F.log_softmax(model(a, b, lam, mask), dim=-1)
        p = targets[indices]
        loss = (p * (torch.log(p.clamp(min=1e-12)) - log_q)).sum(-1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        if log and (step + 1) % max(1, steps // 5) == 0:
            log(f"  step {step + 1}/{steps}: KL {np.mean(losses[-max(1, steps // 5):]):.4f}")
    accuracy, agreement = evaluate(model, test, max_len)
    window = max(1, math.ceil(steps / 10))
    return {"accuracy": accuracy, "agreement": agreement, "train_samples": len(data), "test_samples": len(test),
            "steps": steps, "batch_size": batch_size, "seed": seed,
            "loss_first": float(np.mean(losses[:window])), "loss_last": float(np.mean(losses[-window:])),
            "seconds": time.time() - started}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", nargs="+", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--head")
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--out")
    args = parser.parse_args()
    result = train(args.train, args.test, args.head, args.steps, args.batch_size, args.seed, args.lr, threads=args.threads)
    print(json.dumps(result, sort_keys=True))
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(result, handle, sort_keys=True, indent=1)


if __name__ == "__main__":
    main()
