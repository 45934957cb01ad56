"""The distillation benchmark (`make bench-distill`): does training on augpro's output help a student?

Usage: run_benchmark.py --augpro BIN [--work out/distill] [--pools 1000 3000] [--seeds 0 1 2]
                        [--steps 500] [--variants ...] [--tiny]

1. WordNet glosses → lexicographer file (make_corpus.py): teacher part, student pool, test set.
2. Teacher: all-MiniLM-L6-v2 sentence embeddings computed by augpro + a linear head trained on the
   teacher part (train_teacher_head.py). When augpro's teacher accepts `head:`, augpro applies the
   head itself (outputs: [probs]); otherwise train.py applies it to `teacher_embedding`.
3. Per pool size: augpro runs (originals only; AugPro-Mix pipelines in pipelines/), random token
   replacement and virtual mixup labelled by the same teacher in PyTorch (baselines.py, checked
   against augpro's teacher on the test set), AugPro-FGSM when pipelines/fgsm.yaml exists.
4. train.py per row and seed (same steps for all); RESULTS.md + results.json in the work folder.

`--tiny` runs every step on a small slice (the test suite's check that the scripts work).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

VARIANTS = {
    "kd": "KD on originals only",
    "mix-defaults": "+ AugPro-Mix, new defaults (per-token λ, [PAD] as end)",
    "mix-example": "+ AugPro-Mix, per-example λ (paper)",
    "random": "+ random replacement 15 % (same count)",
    "virtual": "+ virtual mixup in the trainer (MixKD)",
    "fgsm": "+ AugPro-FGSM",
}
AUGPRO_PIPELINES = {"kd": "embed.yaml", "mix-defaults": "mix-defaults.yaml", "mix-example": "mix-example.yaml",
                    "fgsm": "fgsm.yaml"}


def log(message):
    print(message, flush=True)


class Augpro:
    """Runs augpro pipelines with the reader/writer paths and the teacher head set from here."""

    def __init__(self, binary, model_dir, brute_force, reuse):
        self.binary = binary
        self.reuse = reuse
        self.model_dir = model_dir
        self.brute_force = brute_force
        self.head = None

    def teacher_sets(self):
        if self.head is None:
            return []
        return ["--set", f"stages.teacher.head={self.head}", "--set", "stages.teacher.outputs=[probs]"]

    def supports_head(self, head, sample_input):
        probe = [self.binary, "validate", os.path.join(HERE, "pipelines", "embed.yaml"),
                 "--set", f"stages.reader.path={sample_input}", "--set", f"stages.teacher.head={head}",
                 "--set", "stages.teacher.outputs=[probs]"]
        return subprocess.run(probe, capture_output=True).returncode == 0

    def run(self, pipeline, source, output, teacher_sets=True):
        command = [self.binary, "run", os.path.join(HERE, "pipelines", pipeline), "--overwrite", "--progress", "none",
                   "--set", f"stages.reader.path={source}", "--set", f"stages.writer.path={output}"]
        if "tokenizer" in open(os.path.join(HERE, "pipelines", pipeline)).read():
            command += ["--set", f"stages.tokenizer.vocab={self.model_dir}", "--set", f"stages.teacher.model={self.model_dir}"]
        if "projector" in open(os.path.join(HERE, "pipelines", pipeline)).read():
            command += ["--set", f"stages.projector.embeddings={self.model_dir}"]
            if self.brute_force:
                command += ["--set", "stages.projector.search=brute_force"]
        if teacher_sets:
            command += self.teacher_sets()
        stamp_path = output + ".stamp.json"
        stamp = {"command": command, "input_sha256": _sha256(source), "binary": _file_identity(self.binary),
                 "pipeline_sha256": _sha256(os.path.join(HERE, "pipelines", pipeline))}
        if self.reuse and os.path.exists(os.path.join(output, "index.json")) and os.path.exists(stamp_path):
            with open(stamp_path) as handle:
                previous = json.load(handle)
            if previous["stamp"] == stamp:
                log(f"  augpro {pipeline}: reusing {output} (same binary, pipeline, settings and input) [{previous['seconds']:.1f} s]")
                return previous["seconds"]
        started = time.time()
        result = subprocess.run(command, capture_output=True, text=True)
        seconds = time.time() - started
        if result.returncode != 0:
            raise SystemExit(f"augpro failed ({' '.join(command)}):\n{result.stderr}")
        log(f"  augpro {pipeline}: {result.stdout.strip().splitlines()[0]} [{seconds:.1f} s]")
        with open(stamp_path, "w") as handle:
            json.dump({"stamp": stamp, "seconds": seconds}, handle)
        return seconds


def _sha256(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _read_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def _file_identity(path):
    status = os.stat(path)
    return [status.st_size, status.st_mtime_ns]


def augmentation_count(folder):
    from augpro import AugProDataset

    return sum(1 for sample in AugProDataset(folder) if sample.get("kind", "original") != "original")


def train_job(job):
    import torch

    import train as trainer

    torch.set_num_threads(1)
    result = trainer.train(job["sources"], job["test"], job["head"], steps=job["steps"], seed=job["seed"], log=None)
    result.update(variant=job["variant"], pool=job["pool"])
    return result


def check_torch_teacher(teacher, test_dir, head, tolerance, limit=300):
    """The PyTorch teacher must give augpro's probabilities on the test set (same weights, same head)."""
    import train as trainer
    from augpro import AugProDataset

    samples = list(AugProDataset(test_dir))[:limit]
    ours = teacher.logits_for_ids([s["input_ids"] for s in samples])
    ours = np.exp(ours - ours.max(1, keepdims=True))
    ours /= ours.sum(1, keepdims=True)
    reference = np.stack([trainer.teacher_probabilities(s, head) for s in samples])
    difference = float(np.abs(ours - reference).max())
    log(f"  PyTorch teacher vs augpro on {len(samples)} test sentences: max |Δprob| = {difference:.2e}")
    if difference > tolerance:
        raise SystemExit(f"the PyTorch teacher disagrees with augpro's ({difference:.2e} > {tolerance})")


def summarize(results, counts, timings, pools, variants, teacher_accuracy, meta):
    lines = [f"Teacher (all-MiniLM-L6-v2 + linear head) test accuracy: {100 * teacher_accuracy:.1f} %. {meta}", "",
             "| originals | variant | test accuracy % | teacher agreement % | augmentations | augmentation wall time |",
             "|---:|---|---:|---:|---:|---:|"]
    table = {}
    for pool in pools:
        for variant in variants:
            runs = [r for r in results if r["pool"] == pool and r["variant"] == variant]
            if not runs:
                continue
            accuracy = np.array([100 * r["accuracy"] for r in runs])
            agreement = np.array([100 * r["agreement"] for r in runs])
            table[f"{pool}/{variant}"] = {"accuracy_mean": accuracy.mean(), "accuracy_std": accuracy.std(ddof=1) if len(runs) > 1 else 0.0,
                                         "agreement_mean": agreement.mean(), "agreement_std": agreement.std(ddof=1) if len(runs) > 1 else 0.0,
                                         "seeds": len(runs)}
            row = table[f"{pool}/{variant}"]
            lines.append(f"| {pool:,} | {VARIANTS[variant]} | {row['accuracy_mean']:.1f} ± {row['accuracy_std']:.1f} | "
                         f"{row['agreement_mean']:.1f} ± {row['agreement_std']:.1f} | {counts.get(f'{pool}/{variant}', 0):,} | "
                         f"{timings.get(f'{pool}/{variant}', '—')} |")
    return "\n".join(lines) + "\n", table


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--augpro", required=True)
    parser.add_argument("--work", default=os.path.join(ROOT, "out", "distill"))
    parser.add_argument("--model", default=os.path.join(ROOT, ".models", "all-MiniLM-L6-v2"))
    parser.add_argument("--pools", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--variants", nargs="+", default=["kd", "mix-defaults", "mix-example", "random", "virtual", "fgsm"])
    parser.add_argument("--jobs", type=int, default=3, help="students trained in parallel (1 thread each)")
    parser.add_argument("--reuse", action="store_true",
                        help="skip an augpro run whose output exists from the same binary, pipeline, settings and input")
    parser.add_argument("--skip", nargs="*", default=[], help="POOL/VARIANT rows to leave out (e.g. 3000/virtual)")
    parser.add_argument("--tiny", action="store_true", help="a small slice of everything (for the test suite)")
    args = parser.parse_args()
    if args.tiny:
        args.pools, args.seeds, args.steps = [40], [0], 30
    if "fgsm" in args.variants and not os.path.exists(os.path.join(HERE, "pipelines", "fgsm.yaml")):
        log("note: pipelines/fgsm.yaml does not exist yet (AugPro-FGSM not landed): skipping that row")
        args.variants.remove("fgsm")
    started = time.time()
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    corpus = os.path.join(work, "corpus")
    corpus_args = ["--classes", "20", "--per-class", "40", "--teacher", "120", "--pool", "40", "--test", "60"] if args.tiny else []
    subprocess.run([sys.executable, os.path.join(HERE, "make_corpus.py"), corpus] + corpus_args, check=True)
    augpro = Augpro(os.path.abspath(args.augpro), os.path.abspath(args.model), brute_force=args.tiny, reuse=args.reuse)

    log("teacher")
    embedded = os.path.join(work, "teacher-embedded")
    augpro.run("embed.yaml", os.path.join(corpus, "teacher.tsv"), embedded, teacher_sets=False)
    head = os.path.join(work, "teacher-head.safetensors")
    subprocess.run([sys.executable, os.path.join(HERE, "train_teacher_head.py"), embedded, head], check=True)
    if augpro.supports_head(head, os.path.join(corpus, "teacher.tsv")):
        augpro.head = head
        meta = "Teacher labels by augpro's embedded teacher with `head:`."
    else:
        meta = "augpro's teacher has no `head:` key yet: it wrote `teacher_embedding` and train.py applied the head."
    log("  " + meta)
    test_dir = os.path.join(work, "test")
    augpro.run("embed.yaml", os.path.join(corpus, "test.tsv"), test_dir)

    import train as trainer
    from augpro import AugProDataset
    from baselines import random_replacement, virtual_mixes
    from minilm import MiniLMTeacher, read_safetensors

    head_tensors = read_safetensors(head)
    test_samples = list(AugProDataset(test_dir))
    teacher_accuracy = float(np.mean([trainer.teacher_probabilities(s, head_tensors).argmax() == s["label"] for s in test_samples]))
    log(f"  teacher test accuracy {100 * teacher_accuracy:.1f} %")
    torch_teacher = MiniLMTeacher(args.model, head) if {"random", "virtual"} & set(args.variants) else None
    if torch_teacher is not None:
        check_torch_teacher(torch_teacher, test_dir, head_tensors, tolerance=1e-3)

    counts, timings, futures, results = {}, {}, [], []
    meta += f" Student: 2-layer transformer (d=128) from scratch, {args.steps} steps × batch 32, seeds {args.seeds}."

    def write_results():
        markdown, table = summarize(results, counts, timings, args.pools, args.variants, teacher_accuracy, meta)
        with open(os.path.join(work, "RESULTS.md"), "w") as handle:
            handle.write(markdown)
        with open(os.path.join(work, "results.json"), "w") as handle:
            json.dump({"runs": results, "table": table, "augmentations": counts, "augmentation_time": timings,
                       "teacher_accuracy": teacher_accuracy, "total_seconds": time.time() - started,
                       "complete": all(f.done() for f in futures)}, handle, indent=1, sort_keys=True)
        return markdown

    pool_rows = open(os.path.join(corpus, "pool.tsv")).read().splitlines()
    earlier = (_read_json(os.path.join(work, "results.json")) or {}).get("runs", []) if args.reuse else []
    # Students of one pool train (args.jobs at a time) while the next pool's augmentations are made.
    executor = concurrent.futures.ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn"))
    for pool in args.pools:
        log(f"pool of {pool} originals")
        source = os.path.join(work, f"pool-{pool}.tsv")
        with open(source, "w") as handle:
            handle.write("\n".join(pool_rows[:pool + 1]) + "\n")
        folders = {}
        for variant in args.variants:
            if variant in AUGPRO_PIPELINES and (variant == "kd" or f"{pool}/{variant}" not in args.skip):
                folders[variant] = os.path.join(work, f"{pool}-{variant}")
                seconds = augpro.run(AUGPRO_PIPELINES[variant], source, folders[variant])
                counts[f"{pool}/{variant}"] = augmentation_count(folders[variant])
                timings[f"{pool}/{variant}"] = f"{seconds:.1f} s (augpro)"
        reference_count = counts.get(f"{pool}/mix-defaults") or pool
        for variant, make in (("random", lambda: random_replacement(folders["kd"], torch_teacher, os.path.join(args.model, "vocab.txt"), reference_count, seed=pool)),
                              ("virtual", lambda: virtual_mixes(folders["kd"], torch_teacher, reference_count, seed=pool))):
            if variant in args.variants and f"{pool}/{variant}" not in args.skip:
                path = os.path.join(work, f"{pool}-{variant}.npz")
                stamp = {"count": reference_count, "head_sha256": _sha256(head), "pool_sha256": _sha256(source)}
                previous = _read_json(path + ".stamp.json") if args.reuse and os.path.exists(path) else None
                if previous and previous["stamp"] == stamp:
                    seconds = previous["seconds"]
                    log(f"  {variant}: reusing {path} [{seconds:.1f} s]")
                else:
                    begun = time.time()
                    np.savez(path, **make())
                    seconds = time.time() - begun
                    with open(path + ".stamp.json", "w") as handle:
                        json.dump({"stamp": stamp, "seconds": seconds}, handle)
                counts[f"{pool}/{variant}"] = reference_count
                timings[f"{pool}/{variant}"] = f"{seconds:.1f} s (PyTorch teacher)"
                folders[variant] = path
        for seed in args.seeds:
            for variant in args.variants:
                if f"{pool}/{variant}" in args.skip:
                    continue
                sources = [folders[variant]] if variant in AUGPRO_PIPELINES else [folders["kd"], folders[variant]]
                job = {"sources": sources, "test": test_dir, "head": head, "steps": args.steps, "seed": seed,
                       "variant": variant, "pool": pool}
                done = [r for r in earlier if (r["pool"], r["variant"], r["seed"], r["steps"]) == (pool, variant, seed, args.steps)]
                if done:
                    results.append(done[0])
                    log(f"  {pool} {variant} seed {seed}: reusing the earlier result (--reuse)")
                else:
                    futures.append(executor.submit(train_job, job))
        log(f"  {len(futures)} students queued in all ({args.steps} steps each, {args.jobs} at a time)")

    for future in concurrent.futures.as_completed(futures):
        result = future.result()
        log(f"  {result['pool']} {result['variant']} seed {result['seed']}: accuracy {100 * result['accuracy']:.1f} %, "
            f"agreement {100 * result['agreement']:.1f} %, KL {result['loss_first']:.3f} → {result['loss_last']:.3f} "
            f"[{result['seconds']:.0f} s]")
        results.append(result)
        write_results()
    executor.shutdown()
    log(write_results())
    log(f"total {time.time() - started:.0f} s; {os.path.join(work, 'RESULTS.md')}")

if __name__ == "__main__":
    main()
