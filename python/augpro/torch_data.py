"""PyTorch glue: a ``Dataset`` over an augpro folder and a padding ``collate``."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from .dataset import AugProDataset

#: Token-id columns padded with ``pad_id``; other 1-D ndarray columns are padded with 0.
TOKEN_COLUMNS = ("input_ids", "token_type_ids")


class TorchDataset(torch.utils.data.Dataset):
    """A ``torch.utils.data.Dataset`` over :class:`AugProDataset`: the same dicts, with numpy
    arrays turned into (writable, owned) tensors. Integer token columns become int64, so
    ``nn.Embedding`` accepts them whatever dtype the shards store."""

    def __init__(self, folder_or_dataset: Any, **dataset_options: Any):
        if isinstance(folder_or_dataset, AugProDataset):
            self.dataset = folder_or_dataset
        else:
            self.dataset = AugProDataset(folder_or_dataset, **dataset_options)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict:
        return {name: _to_tensor(name, value) for name, value in self.dataset[index].items()}


def _to_tensor(name: str, value: Any) -> Any:
    if isinstance(value, np.ndarray):
        if name in TOKEN_COLUMNS or value.dtype.kind in "iu":
            return torch.from_numpy(value.astype(np.int64))
        return torch.from_numpy(np.array(value, copy=True))
    return value


def collate(samples: Sequence[dict], pad_id: int = 0, max_length: int | None = None) -> dict:
    """Batches samples from :class:`TorchDataset` (or :class:`AugProDataset`).

    Variable-length 1-D columns (``input_ids``, ``token_type_ids``, ...) are right-padded to the
    longest sample (``input_ids`` with ``pad_id``, others with 0), optionally cut to
    ``max_length``, and ``attention_mask`` (int64, 1 on real tokens) is built from the
    ``input_ids`` lengths. Same-shape arrays are stacked; ints and floats become 1-D tensors;
    strings stay lists.
    """
    if not samples:
        raise ValueError("collate needs at least one sample")
    batch: dict[str, Any] = {}
    for name in samples[0]:
        values = [_to_tensor(name, sample[name]) for sample in samples]
        first = values[0]
        if isinstance(first, torch.Tensor):
            if all(value.shape == first.shape for value in values) and name not in TOKEN_COLUMNS:
                batch[name] = torch.stack(values)
            elif first.dim() == 1:
                batch[name] = _pad(values, pad_id if name == "input_ids" else 0, max_length)
            else:
                raise ValueError(f"collate: column {name} has differently shaped {first.dim()}-D arrays")
        elif isinstance(first, bool) or not isinstance(first, (int, float)):
            batch[name] = values
        elif isinstance(first, int):
            batch[name] = torch.tensor(values, dtype=torch.int64)
        else:
            batch[name] = torch.tensor(values, dtype=torch.float32)
    if "input_ids" in batch and isinstance(batch["input_ids"], torch.Tensor):
        lengths = torch.tensor([min(len(s["input_ids"]), batch["input_ids"].shape[1]) for s in samples])
        positions = torch.arange(batch["input_ids"].shape[1])
        batch["attention_mask"] = (positions[None, :] < lengths[:, None]).to(torch.int64)
    return batch


def _pad(values: list, fill: int, max_length: int | None) -> torch.Tensor:
    width = max(len(value) for value in values)
    if max_length is not None:
        width = min(width, max_length)
    out = torch.full((len(values), width), fill, dtype=values[0].dtype)
    for row, value in enumerate(values):
        count = min(len(value), width)
        out[row, :count] = value[:count]
    return out
