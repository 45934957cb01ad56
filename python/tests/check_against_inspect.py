"""Checks the `augpro` Python package against `augpro inspect` (the Swift reader) and against
damaged copies of the datasets.

Usage: check_against_inspect.py AUGPRO_BINARY DATASET_DIR [DATASET_DIR ...]

For every dataset: every sample from `AugProDataset` equals the JSON line `augpro inspect` prints
for it (ints and strings exactly, ndarrays with the same shape, dtype class and values, float32
exactly); `verify_all` passes for every hash index.json lists. Then, on copies: a flipped byte in
a shard is reported as a corrupt shard (hash check) and as a decode failure (no hash check); a
missing and a truncated shard are named; a folder merged Streaming-style (part-0/, part-1/ and an
index.json whose basenames point into them) reads as the concatenation. Without torch the torch
checks are skipped with a message; with torch, `collate` pads and builds `attention_mask`.
Prints one line per check; exits non-zero on the first failure.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from augpro import AugProDataset, DatasetError  # noqa: E402

FLOAT_ENCODINGS = ("float16", "float32", "float64")


def inspect(binary, folder):
    output = subprocess.run([binary, "inspect", folder, "--limit", "1000000"], check=True,
                            capture_output=True, text=True).stdout
    return [json.loads(line) for line in output.splitlines() if line]


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def compare_value(name, encoding, ours, theirs, where):
    if isinstance(ours, np.ndarray):
        reference = np.asarray(theirs)
        expect(ours.shape == reference.shape, f"{where} {name}: shape {ours.shape} vs inspect {reference.shape}")
        if ours.dtype.kind == "f":
            expect(np.array_equal(ours, reference.astype(ours.dtype)), f"{where} {name}: float values differ")
        else:
            expect(ours.dtype.kind in "iu", f"{where} {name}: dtype {ours.dtype}")
            expect(np.array_equal(ours.astype(np.int64), reference.astype(np.int64)), f"{where} {name}: values differ")
    elif encoding in FLOAT_ENCODINGS:
        expect(isinstance(ours, float), f"{where} {name}: {type(ours)} is not float")
        expect(np.float32(ours) == np.float32(theirs), f"{where} {name}: {ours} vs inspect {theirs}")
    else:
        expect(type(ours) is type(theirs) and ours == theirs, f"{where} {name}: {ours!r} vs inspect {theirs!r}")


def check_against_inspect(binary, folder):
    dataset = AugProDataset(folder, verify=True)
    reference = inspect(binary, folder)
    expect(len(dataset) == len(reference), f"{folder}: {len(dataset)} samples vs inspect {len(reference)}")
    expect(len(dataset) > 0, f"{folder}: empty dataset")
    encodings = dataset.columns
    for index, expected in enumerate(reference):
        expected.pop("decoded", None)
        sample = dataset[index]
        expect(sorted(sample) == sorted(expected), f"{folder} sample {index}: columns {sorted(sample)} vs {sorted(expected)}")
        for name, value in sample.items():
            compare_value(name, encodings[name], value, expected[name], f"{folder} sample {index}")
    expect(dataset[-1].keys() == dataset[len(dataset) - 1].keys(), "negative index")
    try:
        dataset[len(dataset)]
        raise AssertionError("index past the end did not raise IndexError")
    except IndexError:
        pass
    listed = sorted(dataset.shards[0].file_hashes)
    for algorithm in listed:
        dataset.verify_all([algorithm])
    print(f"ok  {os.path.basename(folder)}: {len(dataset)} samples equal `augpro inspect`; "
          f"columns {', '.join(f'{k}={v}' for k, v in encodings.items())}; hashes {', '.join(listed)} verified")
    return dataset


def expect_error(action, fragments, label):
    try:
        action()
    except DatasetError as error:
        message = str(error)
        for fragment in fragments:
            expect(fragment in message, f"{label}: message {message!r} lacks {fragment!r}")
        print(f"ok  {label}: {message}")
        return
    raise AssertionError(f"{label}: no DatasetError")


def check_damage(folder, scratch):
    dataset = AugProDataset(folder)
    shard_name = dataset.shards[0].basename
    copy = os.path.join(scratch, "damaged")
    shutil.copytree(folder, copy)
    path = os.path.join(copy, shard_name)
    with open(path, "r+b") as handle:
        data = bytearray(handle.read())
        data[len(data) // 2] ^= 0xFF
        handle.seek(0)
        handle.write(data)
    algorithm = sorted(dataset.shards[0].file_hashes)[0]
    expect_error(lambda: AugProDataset(copy, verify=[algorithm])[0], [shard_name, algorithm, "corrupt"], "flipped byte, hash check")
    expect_error(lambda: list(AugProDataset(copy)), [shard_name], "flipped byte, no hash check")
    with open(path, "r+b") as handle:
        handle.truncate(len(data) - 7)
    expect_error(lambda: AugProDataset(copy)[0], [shard_name, "index.json says"], "truncated shard")
    os.remove(path)
    expect_error(lambda: AugProDataset(copy)[0], [shard_name, "missing"], "missing shard")
    os.remove(os.path.join(copy, "index.json"))
    expect_error(lambda: AugProDataset(copy), ["index.json", "missing"], "missing index.json")


def check_merged(folders, scratch):
    merged = os.path.join(scratch, "merged")
    os.makedirs(merged)
    shards = []
    expected = []
    for part, folder in enumerate(folders):
        name = f"part-{part}"
        shutil.copytree(folder, os.path.join(merged, name))
        with open(os.path.join(folder, "index.json")) as handle:
            index = json.load(handle)
        for shard in index["shards"]:
            for key in ("raw_data", "zip_data"):
                if shard.get(key):
                    shard[key]["basename"] = os.path.join(name, shard[key]["basename"])
            shards.append(shard)
        expected.extend(AugProDataset(folder))
    with open(os.path.join(merged, "index.json"), "w") as handle:
        json.dump({"shards": shards, "version": 2}, handle, sort_keys=True)
    dataset = AugProDataset(merged, verify=True)
    expect(len(dataset) == len(expected), f"merged: {len(dataset)} samples, expected {len(expected)}")
    for index in (0, len(expected) // 2, len(expected) - 1):
        ours, theirs = dataset[index], expected[index]
        expect(ours.keys() == theirs.keys(), "merged: columns differ")
        for key in ours:
            expect(np.array_equal(ours[key], theirs[key]) if isinstance(ours[key], np.ndarray) else ours[key] == theirs[key],
                   f"merged sample {index} {key} differs")
    print(f"ok  merged folder (part-0/, part-1/): {len(dataset)} samples read through one index.json")


def check_torch(folder):
    try:
        import torch
    except ImportError:
        print("SKIP torch checks: PyTorch is not importable in this Python "
              f"({sys.executable}); install torch to test TorchDataset and collate")
        return
    from augpro.torch_data import TorchDataset, collate

    dataset = TorchDataset(folder)
    samples = [dataset[i] for i in range(min(8, len(dataset)))]
    batch = collate(samples, pad_id=0)
    lengths = [len(sample["input_ids"]) for sample in samples]
    expect(batch["input_ids"].shape == (len(samples), max(lengths)), "collate: input_ids shape")
    expect(batch["input_ids"].dtype == torch.int64 and batch["token_type_ids"].dtype == torch.int64, "collate: dtypes")
    expect(batch["attention_mask"].sum(dim=1).tolist() == lengths, "collate: attention_mask")
    for row, sample in enumerate(samples):
        expect(torch.equal(batch["input_ids"][row, :lengths[row]], sample["input_ids"]), "collate: ids")
        expect(int(batch["input_ids"][row, lengths[row]:].abs().sum()) == 0, "collate: padding")
    torch.nn.Embedding(30522, 4)(batch["input_ids"])
    torch.nn.Embedding(2, 4)(batch["token_type_ids"])
    print(f"ok  torch {torch.__version__}: TorchDataset + collate pad {lengths} and build attention_mask")


def main():
    binary, folders = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory(prefix="augpro-python-") as scratch:
        datasets = [check_against_inspect(binary, folder) for folder in folders]
        check_damage(folders[-1], scratch)
        check_merged(folders[:2], scratch)
        tokenized = [folder for folder, ds in zip(folders, datasets) if "input_ids" in ds.columns]
        if tokenized:
            check_torch(tokenized[0])
    print("all Python package checks passed")


if __name__ == "__main__":
    main()
