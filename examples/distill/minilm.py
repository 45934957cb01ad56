"""A minimal PyTorch BERT encoder (all-MiniLM-L6-v2 layout) read straight from model.safetensors,
with sentence-transformers mean pooling + L2 normalisation and a linear classifier head.

The benchmark uses it where the teacher must run inside Python: labelling random token
replacements and MixKD-style virtual mixes (the teacher run on mixed word embeddings).
`run_benchmark.py` checks it against augpro's embedded teacher on real sentences.
"""

from __future__ import annotations

import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read_safetensors(path: str) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file as a numpy array (header: u64 length + JSON)."""
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
        data = handle.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype=SAFETENSORS_DTYPES[entry["dtype"]]).reshape(entry["shape"])
    return tensors


def write_safetensors(path: str, tensors: dict[str, np.ndarray]) -> None:
    """Writes float32 tensors as a .safetensors file (what augpro's `head:` reads)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        blob = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


class MiniLMTeacher(torch.nn.Module):
    """BERT forward pass (erf GELU, LayerNorm eps from config.json) + mean pooling + normalise + head."""

    def __init__(self, model_dir: str, head_path: str):
        super().__init__()
        with open(os.path.join(model_dir, "config.json")) as handle:
            self.config = json.load(handle)
        weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        self.w = {name: torch.from_numpy(np.array(value, dtype=np.float32)) for name, value in weights.items()
                  if value.dtype != np.int64}
        head = read_safetensors(head_path)
        self.head_weight = torch.from_numpy(np.array(head["weight"], dtype=np.float32))
        self.head_bias = torch.from_numpy(np.array(head["bias"], dtype=np.float32))
        self.eps = self.config["layer_norm_eps"]
        self.heads = self.config["num_attention_heads"]

    @property
    def word_embeddings(self) -> torch.Tensor:
        return self.w["embeddings.word_embeddings.weight"]

    def _norm(self, x, prefix):
        return F.layer_norm(x, x.shape[-1:], self.w[prefix + ".weight"], self.w[prefix + ".bias"], self.eps)

    def _linear(self, x, prefix):
        return F.linear(x, self.w[prefix + ".weight"], self.w[prefix + ".bias"])

    @torch.no_grad()
    def logits(self, word_vectors: torch.Tensor, token_type_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Head logits for word-embedding inputs [B, T, D] (ids → `word_embeddings[ids]`)."""
        batch, length, width = word_vectors.shape
        positions = torch.arange(length)
        x = word_vectors + self.w["embeddings.position_embeddings.weight"][positions][None] \
            + self.w["embeddings.token_type_embeddings.weight"][token_type_ids]
        x = self._norm(x, "embeddings.LayerNorm")
        bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        size = width // self.heads
        for layer in range(self.config["num_hidden_layers"]):
            p = f"encoder.layer.{layer}"

            def split(t):
                return t.view(batch, length, self.heads, size).transpose(1, 2)

            q = split(self._linear(x, p + ".attention.self.query"))
            k = split(self._linear(x, p + ".attention.self.key"))
            v = split(self._linear(x, p + ".attention.self.value"))
            scores = q @ k.transpose(-1, -2) / math.sqrt(size) + bias
            context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, width)
            x = self._norm(x + self._linear(context, p + ".attention.output.dense"), p + ".attention.output.LayerNorm")
            hidden = F.gelu(self._linear(x, p + ".intermediate.dense"))
            x = self._norm(x + self._linear(hidden, p + ".output.dense"), p + ".output.LayerNorm")
        weights = mask.float()[..., None]
        pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        pooled = F.normalize(pooled, dim=-1)
        return F.linear(pooled, self.head_weight, self.head_bias)

    def logits_for_ids(self, ids: list, batch_size: int = 64) -> np.ndarray:
        """Head logits for unpadded single-segment id sequences, in order."""
        out = []
        for start in range(0, len(ids), batch_size):
            chunk = ids[start:start + batch_size]
            padded, mask = pad_ids(chunk)
            out.append(self.logits(self.word_embeddings[padded], torch.zeros_like(padded), mask))
        return torch.cat(out).numpy()


def pad_ids(sequences: list) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pads id sequences with 0 ([PAD]); returns (ids [B, T], attention mask [B, T])."""
    width = max(len(s) for s in sequences)
    ids = torch.zeros((len(sequences), width), dtype=torch.int64)
    mask = torch.zeros((len(sequences), width), dtype=torch.int64)
    for row, sequence in enumerate(sequences):
        ids[row, :len(sequence)] = torch.as_tensor(np.asarray(sequence, dtype=np.int64))
        mask[row, :len(sequence)] = 1
    return ids, mask
