"""Trains the teacher's linear head (SetFit-style: frozen all-MiniLM-L6-v2 sentence embedding →
linear classifier) on the teacher part and writes it as augpro's `head:` file.

Usage: train_teacher_head.py EMBEDDED_DATASET OUT.safetensors [--steps 400] [--weight-decay 1e-4]

EMBEDDED_DATASET is an augpro folder with `teacher_embedding` and `label` columns (the teacher
part run through reader → tokenizer → teacher with `outputs: [embedding]`). The head is weight
[C, D] and bias [C], trained full-batch with Adam on cross-entropy; prints train accuracy.
"""

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from minilm import write_safetensors  # noqa: E402

from augpro import AugProDataset  # noqa: E402


def embeddings_and_labels(folder):
    dataset = AugProDataset(folder)
    features = np.stack([sample["teacher_embedding"] for sample in dataset])
    labels = np.array([sample["label"] for sample in dataset], dtype=np.int64)
    return features, labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset")
    parser.add_argument("out")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    features, labels = embeddings_and_labels(args.dataset)
    x, y = torch.from_numpy(features), torch.from_numpy(labels)
    classes = int(labels.max()) + 1
    head = torch.nn.Linear(x.shape[1], classes)
    optimizer = torch.optim.Adam(head.parameters(), lr=0.05, weight_decay=args.weight_decay)
    for _ in range(args.steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(head(x), y)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = (head(x).argmax(1) == y).float().mean().item()
    write_safetensors(args.out, {"weight": head.weight.detach().numpy(), "bias": head.bias.detach().numpy()})
    print(f"teacher head: {classes} classes × {x.shape[1]} dims on {len(y)} examples, "
          f"train loss {loss.item():.3f}, train accuracy {accuracy:.3f} → {args.out}")


if __name__ == "__main__":
    main()
