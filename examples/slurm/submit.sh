#!/bin/bash
# Usage: examples/slurm/submit.sh PIPELINE.yaml OUTPUT WORKERS [extra sbatch args]
# Queues WORKERS augpro workers as one array job and a merge job that waits for all of them.
# OUTPUT must be on a filesystem every node sees. Prints the merge job's id.
set -euo pipefail
pipeline=$(realpath "$1") output=$(realpath -m "$2") workers=$3
shift 3
here=$(dirname "$(realpath "$0")")
mkdir -p "$output/slurm-logs"
export PIPELINE=$pipeline OUTPUT=$output WORKERS=$workers AUGPRO=${AUGPRO:-augpro}
array=$(sbatch --parsable --array=0-$((workers - 1)) --export=ALL \
    --output="$output/slurm-logs/worker-%a.log" "$@" "$here/augpro-array.sbatch")
sbatch --parsable --dependency=afterok:"$array" --export=ALL \
    --output="$output/slurm-logs/merge.log" "$@" "$here/augpro-merge.sbatch"
