"""HF `tokenizers` side of bench-tokenizer: times encoding the corpus, prints JSON.

    RAYON_NUM_THREADS=N hf_bench.py TOKENIZER CORPUS_TXT RUNS [--per-sentence]

Encodes every line with special tokens, truncation to 128 and no padding (as augpro does),
with `encode_batch` (threads = RAYON_NUM_THREADS) or one `encode` call per line.
"""

import json
import statistics
import sys
import time

from tokenizers import Tokenizer

path, corpus, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
per_sentence = "--per-sentence" in sys.argv
tokenizer = Tokenizer.from_file(path)
tokenizer.no_padding()
tokenizer.enable_truncation(128)
with open(corpus, encoding="utf-8") as handle:
    lines = handle.read().split("\n")[:-1]

seconds, tokens = [], 0
for _ in range(runs):
    start = time.perf_counter()
    if per_sentence:
        encodings = [tokenizer.encode(line) for line in lines]
    else:
        encodings = tokenizer.encode_batch(lines)
    seconds.append(time.perf_counter() - start)
    tokens = sum(len(e.ids) for e in encodings)
print(json.dumps({"median_seconds": statistics.median(seconds), "seconds": seconds, "sentences": len(lines), "tokens": tokens}))
