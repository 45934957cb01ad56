"""numpy reference for bench-projector: blocked GEMM + argmax nearest-token search.

Usage: bench_numpy.py TABLE.f32 ROWS COLS QUERIES.f32 EXCLUDED.u8 RUNS
(one untimed warm-up pass first, then RUNS timed passes)
TABLE and QUERIES are raw little-endian float32, row-major; EXCLUDED is one byte per token.
Scores under l2: 2·Q·Eᵀ − ‖E‖² with excluded tokens at −∞, argmax per row (1024 rows at a
time, so the score matrix stays ~125 MB). Prints JSON: {"seconds": [per run], "ids": [...],
"peak_rss_mb"}.
"""
import json
import resource
import sys
import time

import numpy as np

table_path, rows, cols, queries_path, excluded_path, runs = sys.argv[1:7]
table = np.fromfile(table_path, dtype="<f4").reshape(int(rows), int(cols))
queries = np.fromfile(queries_path, dtype="<f4").reshape(-1, int(cols))
excluded = np.fromfile(excluded_path, dtype=np.uint8).astype(bool)
bias = np.where(excluded, -np.inf, -np.einsum("ij,ij->i", table, table)).astype(np.float32)



def nearest():
    ids = np.empty(len(queries), dtype=np.int64)
    for first in range(0, len(queries), 1024):
        scores = queries[first:first + 1024] @ table.T
        scores *= 2
        scores += bias
        ids[first:first + 1024] = np.argmax(scores, axis=1)
    return ids


nearest()
seconds = []
for _ in range(int(runs)):
    start = time.perf_counter()
    ids = nearest()
    seconds.append(time.perf_counter() - start)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "ids": ids.tolist(), "peak_rss_mb": peak}))
