#!/usr/bin/env bash
# reader → writer throughput and peak RSS: augpro (release) vs a Python csv + zstandard script,
# on generated GLUE-style TSVs of 100k and 1M rows, median of RUNS runs each.
# Usage: [ROWS_LIST="100000 1000000"] Benchmarks/pipeline/run.sh [RUNS]   (from the repository root, after `make deps`)
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-5}
PY=.venv/bin/python
swift build -c release --product augpro >/dev/null
BIN=$(swift build -c release --show-bin-path)/augpro
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

for ROWS in ${ROWS_LIST:-100000 1000000}; do
  INPUT=$WORK/corpus-$ROWS.tsv
  $PY fixtures/scripts/make_corpus.py --rows $ROWS --seed 1 "$INPUT"
  BYTES=$(stat -c %s "$INPUT")
  cat > "$WORK/job.yaml" <<YAML
version: 1
seed: 1
stages:
  - reader: {path: $INPUT, text: sentence, label: label}
  - writer: {path: $WORK/out, compression: zstd:3, shard_size: 64MB, hashes: [sha1]}
YAML
  for TOOL in augpro python; do
    : > "$WORK/times"; : > "$WORK/rss"
    for _ in $(seq "$RUNS"); do
      rm -rf "$WORK/out"
      if [ $TOOL = augpro ]; then CMD=("$BIN" run "$WORK/job.yaml" --progress none); else CMD=($PY Benchmarks/pipeline/python_reader_writer.py "$INPUT" "$WORK/out"); fi
      /usr/bin/time -f "%e %M" -o "$WORK/t" "${CMD[@]}" >/dev/null
      read -r SECONDS_TAKEN RSS_KB < "$WORK/t"
      echo "$SECONDS_TAKEN" >> "$WORK/times"; echo "$RSS_KB" >> "$WORK/rss"
    done
    T=$(median < "$WORK/times"); R=$(median < "$WORK/rss")
    printf "%-7s rows=%-8s input=%6.1f MB  median %6.2f s  %7.1f MB/s  peak RSS %6.1f MB\n" \
      $TOOL $ROWS "$(echo "$BYTES/1000000" | bc -l)" "$T" "$(echo "$BYTES/1000000/$T" | bc -l)" "$(echo "$R/1024" | bc -l)"
  done
done
