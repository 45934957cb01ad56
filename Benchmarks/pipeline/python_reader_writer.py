"""What a user would write instead of augpro's reader → writer: stream a GLUE-style TSV with the
csv module and write MosaicML MDS shards (id int64, label int32, text str), each compressed with
zstandard at level 3 as one frame, sha1-hashed, plus index.json.

Usage: python_reader_writer.py INPUT.tsv OUT_DIR [--shard-size BYTES]
"""

import csv
import hashlib
import json
import os
import struct
import sys

import zstandard

COLUMNS = ["id", "label", "text"]
ENCODINGS = ["int64", "int32", "str"]
SIZES = [8, 4, None]


def main():
    source, out = sys.argv[1], sys.argv[2]
    size_limit = int(sys.argv[4]) if len(sys.argv) > 4 else 1 << 26
    os.makedirs(out, exist_ok=True)
    config = {"column_encodings": ENCODINGS, "column_names": COLUMNS, "column_sizes": SIZES,
              "compression": "zstd:3", "format": "mds", "hashes": ["sha1"], "size_limit": size_limit,
              "version": 2}
    config_bytes = json.dumps(config, sort_keys=True).encode()
    compressor = zstandard.ZstdCompressor(level=3, write_content_size=True)
    shards, samples, size = [], [], 4 + 4 + len(config_bytes)

    def flush():
        nonlocal samples, size
        if not samples:
            return
        offsets, at = [], 4 + 4 * (len(samples) + 1) + len(config_bytes)
        for sample in samples:
            offsets.append(at)
            at += len(sample)
        offsets.append(at)
        raw = struct.pack("<I", len(samples)) + struct.pack(f"<{len(offsets)}I", *offsets) + config_bytes + b"".join(samples)
        zipped = compressor.compress(raw)
        name = f"shard.{len(shards):05}.mds"
        with open(os.path.join(out, name + ".zstd"), "wb") as f:
            f.write(zipped)
        shards.append(dict(config, raw_data={"basename": name, "bytes": len(raw), "hashes": {"sha1": hashlib.sha1(raw).hexdigest()}},
                           zip_data={"basename": name + ".zstd", "bytes": len(zipped), "hashes": {"sha1": hashlib.sha1(zipped).hexdigest()}},
                           samples=len(samples)))
        samples, size = [], 4 + 4 + len(config_bytes)

    with open(source, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        text_col, label_col = header.index("sentence"), header.index("label")
        for index, row in enumerate(reader):
            text = row[text_col].encode()
            sample = struct.pack("<I", len(text)) + struct.pack("<qi", index, int(row[label_col])) + text
            if size_limit < size + len(sample) + 4:
                flush()
            samples.append(sample)
            size += len(sample) + 4
    flush()
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"shards": shards, "version": 2}, f, sort_keys=True)


if __name__ == "__main__":
    main()
