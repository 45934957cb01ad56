#!/usr/bin/env bash
# Starts a real Triton (from .venv-triton, `make remote-servers`) serving all-MiniLM-L6-v2 on a free
# loopback port, runs bench-remote against it and the embedded teacher, and stops the server by PID.
# Usage (package root): Benchmarks/bench-remote/run.sh [RUNS]
set -euo pipefail
runs=${1:-3}
make -s remote-servers models
swift build -c release --product bench-remote >/dev/null
work=$(mktemp -d)
.venv-triton/bin/python fixtures/remote/serve.py "$work/repository" "$work/port" \
    --model "minilm=$PWD/.models/all-MiniLM-L6-v2:embedding" --instances 1 >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 240); do
    port=$(cat "$work/port" 2>/dev/null || true)
    if [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null; then break; fi
    sleep 0.5
done
"$(swift build -c release --show-bin-path)/bench-remote" --url "http://127.0.0.1:$port" --model minilm \
    --folder .models/all-MiniLM-L6-v2 --runs "$runs"
