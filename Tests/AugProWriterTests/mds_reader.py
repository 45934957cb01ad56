"""Independent MDS dataset reader, written from MosaicML Streaming's format (writer.py,
encodings.py) with only the standard library and `zstandard` (plus `xxhash` for xxh64 hashes).

Usage: mds_reader.py DIR [--with-shard]

Checks index.json (and each shard's embedded config) are exactly `json.dumps(obj, sort_keys=True)`,
every file's size and hashes, the one-shot zstd decompression Streaming does, sample counts and
offsets, then prints every sample as one JSON line (sorted keys; ndarray columns as nested lists;
with --with-shard, the shard's basename under "__shard"). Exits 1 with a message on any problem.
"""

import hashlib
import json
import os
import struct
import sys

import zstandard

SCALARS = {
    "int": "<q", "int8": "<b", "int16": "<h", "int32": "<i", "int64": "<q",
    "uint8": "<B", "uint16": "<H", "uint32": "<I", "uint64": "<Q",
    "float32": "<f", "float64": "<d",
}
DTYPE_CODES = {8: "uint8", 9: "int8", 16: "uint16", 17: "int16", 32: "uint32", 33: "int32",
               34: "float32", 64: "uint64", 65: "int64", 66: "float64"}
SHAPE_WIDTHS = {0: "<B", 1: "<H", 2: "<I", 3: "<Q"}


def fail(message):
    sys.stderr.write(message + "\n")
    sys.exit(1)


def digest(algo, data):
    if algo == "xxh64":
        import xxhash
        return xxhash.xxh64(data).hexdigest()
    return hashlib.new(algo, data).hexdigest()


def check_file(path, info, data):
    if len(data) != info["bytes"]:
        fail(f"{path}: {len(data)} bytes, index says {info['bytes']}")
    for algo, expected in info["hashes"].items():
        actual = digest(algo, data)
        if actual != expected:
            fail(f"{path}: {algo} {actual} != {expected}")


def nest(values, shape):
    if len(shape) == 1:
        return values
    step = len(values) // shape[0]
    return [nest(values[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def decode(encoding, data, path):
    if encoding == "str":
        return data.decode("utf-8")
    if encoding in SCALARS:
        return struct.unpack(SCALARS[encoding], data)[0]
    parts = encoding.split(":")
    if parts[0] != "ndarray" or len(parts) > 3:
        fail(f"{path}: unsupported encoding {encoding}")
    pos = 0
    if len(parts) >= 2:
        dtype = parts[1]
    else:
        dtype = DTYPE_CODES[data[0]]
        pos = 1
    if len(parts) == 3:
        shape = [int(d) for d in parts[2].split(",")]
    else:
        header = data[pos]
        pos += 1
        ndim, width_code = header >> 2, header & 3
        fmt = SHAPE_WIDTHS[width_code]
        width = struct.calcsize(fmt)
        shape = [struct.unpack_from(fmt, data, pos + i * width)[0] for i in range(ndim)]
        pos += ndim * width
    size = struct.calcsize(SCALARS[dtype])
    count = 1
    for dim in shape:
        count *= dim
    if count == 0 or len(data) - pos != count * size:
        fail(f"{path}: ndarray of shape {shape} has {len(data) - pos} value bytes")
    values = list(struct.unpack_from("<" + SCALARS[dtype][1] * count, data, pos))
    return nest(values, shape)


def read_shard(folder, shard):
    zip_info = shard["zip_data"]
    raw_info = shard["raw_data"]
    file_info = zip_info or raw_info
    path = os.path.join(folder, file_info["basename"])
    with open(path, "rb") as handle:
        data = handle.read()
    check_file(path, file_info, data)
    if zip_info is not None:
        if not (shard["compression"] or "").startswith("zstd"):
            fail(f"{path}: unsupported compression {shard['compression']}")
        # Streaming's one-shot call: it needs the frame's content size.
        data = zstandard.ZstdDecompressor().decompress(data)
        check_file(path + " (decompressed)", raw_info, data)
    (count,) = struct.unpack_from("<I", data, 0)
    if count != shard["samples"]:
        fail(f"{path}: {count} samples, index says {shard['samples']}")
    offsets = struct.unpack_from(f"<{count + 1}I", data, 4)
    config_start = 4 + 4 * (count + 1)
    config = {key: value for key, value in shard.items() if key not in ("samples", "raw_data", "zip_data")}
    expected_config = json.dumps(config, sort_keys=True).encode("utf-8")
    if data[config_start:offsets[0]] != expected_config:
        fail(f"{path}: embedded config {data[config_start:offsets[0]]!r} != {expected_config!r}")
    if offsets[-1] != len(data) or list(offsets) != sorted(offsets):
        fail(f"{path}: bad offsets")
    names, encodings, sizes = shard["column_names"], shard["column_encodings"], shard["column_sizes"]
    if names != sorted(names):
        fail(f"{path}: column names are not sorted")
    variable = sum(1 for size in sizes if size is None)
    for index in range(count):
        sample_data = data[offsets[index]:offsets[index + 1]]
        lengths = list(struct.unpack_from(f"<{variable}I", sample_data, 0))
        pos = 4 * variable
        sample = {}
        for name, encoding, size in zip(names, encodings, sizes):
            length = size if size is not None else lengths.pop(0)
            sample[name] = decode(encoding, sample_data[pos:pos + length], f"{path} sample {index} {name}")
            pos += length
        if pos != len(sample_data):
            fail(f"{path}: sample {index} has {len(sample_data) - pos} trailing bytes")
        yield file_info["basename"], sample


def main():
    folder = sys.argv[1]
    with_shard = "--with-shard" in sys.argv[2:]
    with open(os.path.join(folder, "index.json"), "rb") as handle:
        text = handle.read()
    index = json.loads(text)
    if json.dumps(index, sort_keys=True).encode("utf-8") != text:
        fail("index.json is not formatted as json.dumps(obj, sort_keys=True)")
    if index.get("version") != 2:
        fail("index.json version is not 2")
    out = sys.stdout
    for shard in index["shards"]:
        for basename, sample in read_shard(folder, shard):
            if with_shard:
                sample["__shard"] = basename
            out.write(json.dumps(sample, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
