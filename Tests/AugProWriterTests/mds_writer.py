"""Independent MDS dataset writer, written from MosaicML Streaming's MDSWriter (writer.py,
encodings.py, base/writer.py) with only the standard library (plus `xxhash` for xxh64).

Usage: mds_writer.py OUT_DIR < spec.json

spec = {"columns": {name: encoding}, "rows": [{name: value}], "size_limit": int,
        "hashes": [algo, ...]}
Writes uncompressed shards exactly as Streaming does: columns sorted by name, the shard config
and index.json as json.dumps(obj, sort_keys=True), a new shard when
size_limit < shard_size + len(sample) + 4 (shard_size starting at 4 + 4 + len(config)).
"""

import hashlib
import json
import os
import struct
import sys

SCALARS = {"int64": "<q", "int32": "<i", "float32": "<f", "uint64": "<Q", "float64": "<d"}
SIZES = {"int64": 8, "int32": 4, "float32": 4, "uint64": 8, "float64": 8}
ARRAY_FORMATS = {"int32": "i", "uint8": "B", "float32": "f", "int64": "q", "uint64": "Q", "float64": "d"}


def digest(algo, data):
    if algo == "xxh64":
        import xxhash
        return xxhash.xxh64(data).hexdigest()
    return hashlib.new(algo, data).hexdigest()


def encode(encoding, value):
    if encoding == "str":
        return value.encode("utf-8")
    if encoding in SCALARS:
        return struct.pack(SCALARS[encoding], value)
    dtype = encoding.split(":")[1]
    count = len(value)
    assert count > 0
    for code, fmt in ((0, "<B"), (1, "<H"), (2, "<I"), (3, "<Q")):
        if count < 1 << (8 << code):
            header = bytes([(1 << 2) | code]) + struct.pack(fmt, count)
            break
    return header + struct.pack("<%d%s" % (count, ARRAY_FORMATS[dtype]), *value)


def main():
    out = sys.argv[1]
    spec = json.load(sys.stdin)
    names = sorted(spec["columns"])
    encodings = [spec["columns"][name] for name in names]
    sizes = [SIZES.get(encoding) for encoding in encodings]
    config = {
        "version": 2, "format": "mds", "compression": None, "hashes": spec["hashes"],
        "size_limit": spec["size_limit"], "column_names": names,
        "column_encodings": encodings, "column_sizes": sizes,
    }
    config_data = json.dumps(config, sort_keys=True).encode("utf-8")
    shards, samples = [], []
    shard_size = 4 + 4 + len(config_data)

    def flush():
        offsets = [4 + 4 * (len(samples) + 1) + len(config_data)]
        for sample in samples:
            offsets.append(offsets[-1] + len(sample))
        data = struct.pack("<I", len(samples)) + struct.pack("<%dI" % len(offsets), *offsets)
        data += config_data + b"".join(samples)
        basename = "shard.%05d.mds" % len(shards)
        with open(os.path.join(out, basename), "wb") as handle:
            handle.write(data)
        raw = {"basename": basename, "bytes": len(data),
               "hashes": {algo: digest(algo, data) for algo in spec["hashes"]}}
        entry = {"samples": len(samples), "raw_data": raw, "zip_data": None}
        entry.update(config)
        shards.append(entry)

    os.makedirs(out, exist_ok=True)
    for row in spec["rows"]:
        parts = [encode(encoding, row[name]) for name, encoding in zip(names, encodings)]
        head = b"".join(struct.pack("<I", len(part)) for part, size in zip(parts, sizes) if size is None)
        sample = head + b"".join(parts)
        # Streaming would flush an empty shard here when the first sample is oversized; the
        # Swift writer starts a shard with it instead, so only flush non-empty shards.
        if samples and spec["size_limit"] < shard_size + len(sample) + 4:
            flush()
            samples, shard_size = [], 4 + 4 + len(config_data)
        samples.append(sample)
        shard_size += len(sample) + 4
    if samples:
        flush()
    with open(os.path.join(out, "index.json"), "wb") as handle:
        handle.write(json.dumps({"version": 2, "shards": shards}, sort_keys=True).encode("utf-8"))


if __name__ == "__main__":
    main()
