"""Runs an augpro pipeline as N Ray tasks (one `augpro run --worker I/N` each), then merges the parts.

    python examples/ray/augpro_ray.py PIPELINE.yaml --workers 4 --output OUT [--augpro PATH]
        [--address auto|HOST:PORT] [--cpus-per-worker 1] [--resume]

Every worker writes OUT/part-I; the merge writes
OUT/index.json whose shards point into the parts. The folders must be on storage every Ray node
sees (a shared filesystem): augpro runs where the task lands and writes there. A failed task is
retried by Ray with `--resume`, so it continues from its own checkpoint.
"""

import argparse
import os
import subprocess
import sys

import ray


def worker_command(args, index):
    return [args.augpro, "run", args.pipeline, "--output", args.output, "--worker", f"{index}/{args.workers}",
            "--progress", "none"]


@ray.remote(max_retries=2, retry_exceptions=True)
def run_worker(command, resume):
    """One worker: `augpro run … --worker I/N`; a retry continues from the worker's checkpoint."""
    attempt = command + (["--resume"] if resume else [])
    completed = subprocess.run(attempt, capture_output=True, text=True)
    if completed.returncode != 0 and "--resume" not in attempt and "checkpoint" in completed.stderr:
        completed = subprocess.run(command + ["--resume"], capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {completed.returncode}: {completed.stderr.strip()}")
    return completed.stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pipeline")
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--augpro", default=os.environ.get("AUGPRO", "augpro"))
    parser.add_argument("--output", required=True, help="the dataset folder (parts go in OUT/part-I)")
    parser.add_argument("--address", default=os.environ.get("RAY_ADDRESS"), help="Ray cluster (default: a local one)")
    parser.add_argument("--cpus-per-worker", type=float, default=1)
    parser.add_argument("--resume", action="store_true", help="continue workers from their checkpoints")
    args = parser.parse_args()

    ray.init(address=args.address, include_dashboard=False, log_to_driver=False)
    task = run_worker.options(num_cpus=args.cpus_per_worker)
    outputs = ray.get([task.remote(worker_command(args, i), args.resume) for i in range(args.workers)])
    for index, line in enumerate(outputs):
        print(f"worker {index}/{args.workers}: {line.splitlines()[-1] if line else 'done'}")

    parts = [os.path.join(args.output, f"part-{i}") for i in range(args.workers)]
    merged = subprocess.run([args.augpro, "merge", args.output, *parts], capture_output=True, text=True)
    if merged.returncode != 0:
        sys.exit(merged.stderr.strip())
    print(merged.stdout.strip())


if __name__ == "__main__":
    main()
