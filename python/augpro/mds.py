"""MDS (MosaicML Streaming) shard decoding, written from the format's description.

An MDS dataset is a folder with ``index.json`` (``{"shards": [...], "version": 2}``) and shard
files. A raw shard is ``u32 num_samples``, ``u32 offsets[num_samples + 1]`` (absolute file
offsets), the shard's config JSON, then the samples; a sample is one ``u32`` byte length per
variable-size column (in column order) followed by each column's bytes. All little-endian. A
``zstd`` shard is one zstd frame holding the raw shard.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

try:
    import zstandard
except ImportError:  # pragma: no cover - declared dependency
    zstandard = None

try:
    import xxhash
except ImportError:
    xxhash = None


class DatasetError(Exception):
    """A missing, truncated, corrupt or unsupported part of a dataset (the message names it)."""


SCALAR_FORMATS = {
    "uint8": "<B", "uint16": "<H", "uint32": "<I", "uint64": "<Q",
    "int8": "<b", "int16": "<h", "int32": "<i", "int64": "<q", "int": "<q",
    "float16": "<e", "float32": "<f", "float64": "<d",
}
NDARRAY_DTYPE_CODES = {
    8: "uint8", 9: "int8", 16: "uint16", 17: "int16", 18: "float16", 32: "uint32",
    33: "int32", 34: "float32", 64: "uint64", 65: "int64", 66: "float64",
}
SHAPE_WIDTHS = {0: np.dtype("<u1"), 1: np.dtype("<u2"), 2: np.dtype("<u4"), 3: np.dtype("<u8")}
XXHASH_ALGORITHMS = ("xxh32", "xxh64", "xxh128", "xxh3_64", "xxh3_128")


def digest(algorithm: str, data: bytes) -> str:
    """Hex digest of ``data`` under one of Streaming's hash names (hashlib or xxhash)."""
    if algorithm in XXHASH_ALGORITHMS:
        if xxhash is None:
            raise DatasetError(
                f"cannot check the {algorithm} hash: the `xxhash` package is not installed "
                "(pip install xxhash), or verify with another hash the index lists")
        return getattr(xxhash, algorithm)(data).hexdigest()
    try:
        return hashlib.new(algorithm, data).hexdigest()
    except ValueError:
        raise DatasetError(f"unknown hash algorithm {algorithm!r}") from None


def decompress(data: bytes, compression: str | None, where: str) -> bytes:
    """Decompresses a whole shard file (``zstd`` or ``zstd:N``); other codecs are refused."""
    if compression is None:
        return data
    if not compression.split(":")[0] == "zstd":
        raise DatasetError(f"{where}: compression {compression!r} is not supported (only zstd)")
    if zstandard is None:  # pragma: no cover
        raise DatasetError("the `zstandard` package is required to read zstd shards")
    try:
        return zstandard.ZstdDecompressor().decompress(data)
    except zstandard.ZstdError as error:
        raise DatasetError(f"{where}: not a valid zstd shard ({error})") from None


def _decode_ndarray(encoding: str, data: bytes, where: str) -> np.ndarray:
    parts = encoding.split(":")
    if len(parts) > 3:
        raise DatasetError(f"{where}: malformed encoding {encoding!r}")
    position = 0
    if len(parts) >= 2:
        dtype_name = parts[1]
    else:
        if not data:
            raise DatasetError(f"{where}: empty ndarray value")
        dtype_name = NDARRAY_DTYPE_CODES.get(data[0])
        if dtype_name is None:
            raise DatasetError(f"{where}: unknown ndarray dtype code {data[0]}")
        position = 1
    if dtype_name not in SCALAR_FORMATS or dtype_name == "int":
        raise DatasetError(f"{where}: unsupported ndarray dtype {dtype_name!r}")
    if len(parts) == 3:
        shape = tuple(int(dim) for dim in parts[2].split(","))
    else:
        if position >= len(data):
            raise DatasetError(f"{where}: ndarray value has no shape header")
        header = data[position]
        position += 1
        ndim, width = header >> 2, SHAPE_WIDTHS[header & 3]
        end = position + ndim * width.itemsize
        if end > len(data):
            raise DatasetError(f"{where}: ndarray shape header is truncated")
        shape = tuple(int(d) for d in np.frombuffer(data, dtype=width, count=ndim, offset=position))
        position = end
    dtype = np.dtype(SCALAR_FORMATS[dtype_name])
    count = int(np.prod(shape)) if shape else 1
    if len(data) - position != count * dtype.itemsize:
        raise DatasetError(
            f"{where}: ndarray of shape {list(shape)} and dtype {dtype_name} needs "
            f"{count * dtype.itemsize} value bytes, found {len(data) - position}")
    values = np.frombuffer(data, dtype=dtype, count=count, offset=position)
    return values.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def decode_value(encoding: str, data: bytes, where: str) -> Any:
    """Decodes one column value: numpy array for ``ndarray*``, str, int, float, bytes or JSON."""
    if encoding == "bytes":
        return bytes(data)
    if encoding in ("str", "str_int", "str_float", "str_decimal", "json"):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as error:
            raise DatasetError(f"{where}: not UTF-8 ({error})") from None
        if encoding == "str":
            return text
        if encoding == "str_int":
            return int(text)
        if encoding == "json":
            return json.loads(text)
        return float(text)
    if encoding in SCALAR_FORMATS:
        fmt = SCALAR_FORMATS[encoding]
        if len(data) != struct.calcsize(fmt):
            raise DatasetError(f"{where}: {encoding} needs {struct.calcsize(fmt)} bytes, found {len(data)}")
        return struct.unpack(fmt, data)[0]
    if encoding.startswith("ndarray"):
        return _decode_ndarray(encoding, data, where)
    raise DatasetError(f"{where}: encoding {encoding!r} is not supported by this reader")


@dataclass
class ShardInfo:
    """One entry of ``index.json``: where the shard's file is and how to check and decode it."""

    basename: str
    samples: int
    column_names: list[str]
    column_encodings: list[str]
    column_sizes: list[int | None]
    compression: str | None
    file_bytes: int
    file_hashes: dict[str, str]
    raw_bytes: int
    raw_hashes: dict[str, str]

    @staticmethod
    def parse(entry: Any, where: str) -> "ShardInfo":
        """Reads one shard entry, raising DatasetError naming the missing or bad key."""
        try:
            if entry.get("format") != "mds":
                raise DatasetError(f"{where}: format {entry.get('format')!r} is not mds")
            raw = entry["raw_data"]
            zipped = entry.get("zip_data")
            stored = zipped or raw
            names, encodings, sizes = entry["column_names"], entry["column_encodings"], entry["column_sizes"]
            if not (len(names) == len(encodings) == len(sizes)):
                raise DatasetError(f"{where}: column_names, column_encodings and column_sizes differ in length")
            return ShardInfo(
                basename=stored["basename"], samples=int(entry["samples"]),
                column_names=list(names), column_encodings=list(encodings), column_sizes=list(sizes),
                compression=entry.get("compression") if zipped else None,
                file_bytes=int(stored["bytes"]), file_hashes=dict(stored.get("hashes") or {}),
                raw_bytes=int(raw["bytes"]), raw_hashes=dict(raw.get("hashes") or {}))
        except (KeyError, TypeError, AttributeError) as error:
            raise DatasetError(f"{where}: malformed shard entry (missing or bad {error})") from None


class DecodedShard:
    """The decompressed bytes of one shard, with its sample offsets checked once."""

    def __init__(self, info: ShardInfo, raw: bytes, where: str):
        self.info = info
        self.where = where
        if len(raw) != info.raw_bytes:
            raise DatasetError(f"{where}: decodes to {len(raw)} bytes, index.json says {info.raw_bytes}")
        if len(raw) < 8:
            raise DatasetError(f"{where}: too short for an MDS shard header")
        (count,) = struct.unpack_from("<I", raw, 0)
        if count != info.samples:
            raise DatasetError(f"{where}: holds {count} samples, index.json says {info.samples}")
        if len(raw) < 4 + 4 * (count + 1):
            raise DatasetError(f"{where}: truncated sample offset table")
        offsets = np.frombuffer(raw, dtype="<u4", count=count + 1, offset=4).astype(np.int64)
        if offsets[-1] != len(raw) or np.any(np.diff(offsets) < 0) or offsets[0] < 4 + 4 * (count + 1):
            raise DatasetError(f"{where}: sample offsets are inconsistent with the file size")
        self.raw = raw
        self.offsets = offsets
        self.variable = [size is None for size in info.column_sizes]

    def sample(self, index: int, decoders: dict[str, Callable[[str, bytes, str], Any]] | None = None) -> dict:
        """Decodes sample ``index`` of this shard into a dict keyed by column name."""
        start, end = int(self.offsets[index]), int(self.offsets[index + 1])
        data = memoryview(self.raw)[start:end]
        where = f"{self.where} sample {index}"
        variable_count = sum(self.variable)
        if len(data) < 4 * variable_count:
            raise DatasetError(f"{where}: truncated")
        lengths = struct.unpack_from(f"<{variable_count}I", data, 0)
        position = 4 * variable_count
        next_length = 0
        sample = {}
        for name, encoding, size in zip(self.info.column_names, self.info.column_encodings, self.info.column_sizes):
            if size is None:
                size = lengths[next_length]
                next_length += 1
            if position + size > len(data):
                raise DatasetError(f"{where}: column {name} runs past the end of the sample")
            sample[name] = decode_value(encoding, data[position:position + size], f"{where} column {name}")
            position += size
        if position != len(data):
            raise DatasetError(f"{where}: {len(data) - position} unexpected trailing bytes")
        return sample
