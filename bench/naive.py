"""The naive pipeline a user would write first (the benchmark's baseline).

Read every ``.txt`` story in DIR, split with an untrained nltk Punkt
tokenizer, one ``datasketch.MinHash(num_perm=128)`` per sentence of 8+ words
(word 3-shingles, ``update_batch``), ``MinHashLSH(threshold=0.7,
num_perm=128)``: insert everything, then query everything.  Prints the
timings of each stage as JSON.

    python bench/naive.py DIR
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path


def main(directory: str) -> None:
    t0 = time.perf_counter()
    from datasketch import MinHash, MinHashLSH
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    timings = {"import": time.perf_counter() - t0}

    t = time.perf_counter()
    texts = [p.read_text("utf-8") for p in sorted(Path(directory).glob("*.txt"))]
    timings["read"] = time.perf_counter() - t

    t = time.perf_counter()
    tok = PunktSentenceTokenizer()
    sentences = [s for text in texts for s in tok.tokenize(text)]
    timings["punkt"] = time.perf_counter() - t

    t = time.perf_counter()
    word = re.compile(r"\w+")
    minhashes = []
    for s in sentences:
        words = word.findall(s.lower())
        if len(words) < 8:
            continue
        m = MinHash(num_perm=128)
        m.update_batch([" ".join(words[i : i + 3]).encode("utf-8") for i in range(len(words) - 2)])
        minhashes.append(m)
    timings["minhash"] = time.perf_counter() - t

    t = time.perf_counter()
    lsh = MinHashLSH(threshold=0.7, num_perm=128)
    for i, m in enumerate(minhashes):
        lsh.insert(i, m)
    timings["insert"] = time.perf_counter() - t

    t = time.perf_counter()
    pairs = 0
    for i, m in enumerate(minhashes):
        pairs += sum(1 for j in lsh.query(m) if j > i)
    timings["query"] = time.perf_counter() - t

    timings["total"] = time.perf_counter() - t0
    print(json.dumps({
        "stories": len(texts),
        "sentences": len(sentences),
        "minhashes": len(minhashes),
        "candidate_pairs": pairs,
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
