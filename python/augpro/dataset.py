"""A map-style view of an augpro (MDS) dataset folder."""

from __future__ import annotations

import bisect
import json
import os
from collections import OrderedDict
from typing import Iterable, Iterator, Sequence

from .mds import DatasetError, DecodedShard, ShardInfo, decompress, digest


class AugProDataset:
    """An augpro dataset folder (``index.json`` + MDS shards) as a map-style dataset.

    ``len(ds)`` is the number of samples; ``ds[i]`` is a dict of numpy arrays (``ndarray``
    columns), ``str`` and ``int``/``float`` values, in the order the shards list them. Folders
    merged with Streaming's ``merge_index`` work too: their ``index.json`` names shards by paths
    relative to the folder (``part-0/shard.00000.mds.zstd``).

    ``verify`` names hash algorithms (``"sha1"``, ``"sha256"``, ``"xxh64"`` — the last needs the
    ``xxhash`` package) checked against ``index.json`` the first time each shard is read; ``True``
    means every algorithm the index lists; ``verify_all()`` checks the whole dataset at once.
    Sizes, sample counts and offsets are always checked. Problems raise :class:`DatasetError`
    naming the file. ``cache_shards`` decoded shards are kept in memory (least recently used).
    """

    def __init__(self, folder: str | os.PathLike, verify: bool | Sequence[str] = False, cache_shards: int = 4):
        self.folder = os.fspath(folder)
        index_path = os.path.join(self.folder, "index.json")
        try:
            with open(index_path, "rb") as handle:
                index = json.loads(handle.read())
        except FileNotFoundError:
            raise DatasetError(f"{index_path}: missing (not an augpro/MDS dataset folder, or the run has not finished)") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise DatasetError(f"{index_path}: not valid JSON ({error})") from None
        if not isinstance(index, dict) or index.get("version") != 2 or not isinstance(index.get("shards"), list):
            raise DatasetError(f"{index_path}: expected {{\"shards\": [...], \"version\": 2}}")
        self.shards = [ShardInfo.parse(entry, f"{index_path} shards[{i}]") for i, entry in enumerate(index["shards"])]
        self._starts = []
        total = 0
        for shard in self.shards:
            self._starts.append(total)
            total += shard.samples
        self._length = total
        self._verify = verify
        self._cache: OrderedDict[int, DecodedShard] = OrderedDict()
        self._cache_size = max(1, cache_shards)

    def __len__(self) -> int:
        return self._length

    @property
    def columns(self) -> dict[str, str]:
        """Column name → MDS encoding, from the first shard (empty for an empty dataset)."""
        if not self.shards:
            return {}
        first = self.shards[0]
        return dict(zip(first.column_names, first.column_encodings))

    def __getitem__(self, index: int) -> dict:
        if not isinstance(index, int):
            index = int(index)
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(f"sample {index} out of range for a dataset of {self._length} samples")
        shard_index = bisect.bisect_right(self._starts, index) - 1
        return self._shard(shard_index).sample(index - self._starts[shard_index])

    def __iter__(self) -> Iterator[dict]:
        for shard_index, shard in enumerate(self.shards):
            decoded = self._shard(shard_index)
            for row in range(shard.samples):
                yield decoded.sample(row)

    def verify_all(self, algorithms: bool | Sequence[str] = True) -> None:
        """Reads every shard, checking sizes, the hashes named (True: all listed), counts and offsets."""
        for shard_index in range(len(self.shards)):
            self._load(shard_index, algorithms)

    def _shard(self, shard_index: int) -> DecodedShard:
        cached = self._cache.get(shard_index)
        if cached is not None:
            self._cache.move_to_end(shard_index)
            return cached
        decoded = self._load(shard_index, self._verify)
        self._cache[shard_index] = decoded
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return decoded

    def _load(self, shard_index: int, algorithms: bool | Sequence[str]) -> DecodedShard:
        info = self.shards[shard_index]
        path = os.path.join(self.folder, info.basename)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            raise DatasetError(f"{path}: shard missing (index.json lists it with {info.file_bytes} bytes)") from None
        if len(data) != info.file_bytes:
            raise DatasetError(f"{path}: {len(data)} bytes, index.json says {info.file_bytes} (truncated or replaced)")
        for algorithm in _algorithms(algorithms, info.file_hashes, path):
            actual = digest(algorithm, data)
            if actual != info.file_hashes[algorithm]:
                raise DatasetError(f"{path}: {algorithm} is {actual}, index.json says {info.file_hashes[algorithm]} (corrupt shard)")
        raw = decompress(data, info.compression, path)
        return DecodedShard(info, raw, path)


def _algorithms(requested: bool | Sequence[str], listed: dict[str, str], path: str) -> Iterable[str]:
    if requested is False or requested is None:
        return ()
    if requested is True:
        return sorted(listed)
    if isinstance(requested, str):
        requested = [requested]
    missing = [name for name in requested if name not in listed]
    if missing:
        raise DatasetError(f"{path}: index.json lists no {', '.join(missing)} hash (it has: {', '.join(sorted(listed)) or 'none'})")
    return list(requested)
