"""The real-copy evaluation set of the restatement kind: sentence pairs of the Reuters stories.

The stories are read from ``../shared/corpora/reuters21578`` (never copied into the repository) and split
into sentences exactly as ``dedupe scan`` splits them.  A story belongs to the held-out part when the
SHA-256 of its newid, as a number, is in the top 40% (:func:`held_out`): the split is by story, so no
held-out sentence is ever seen while developing the gates or fitting.

Two kinds of pair are drawn from each part (``--seed``, default 24):

* **candidates**: every pair the scorer scores at or above ``--floor`` (0.3, far below the default
  threshold, so that any model between the old and the new one flags only labelled pairs), inside every
  story and across the stories of a fixed sample of ``--across`` stories per part;
* **random**: a uniform sample of the other pairs, inside stories and across the sampled stories.

``candidates`` writes ``bench/.cache/restatement_pairs_<part>.jsonl`` (with the text, to read and label;
git-ignored).  The repository keeps only ids and offsets with the labels, ``bench/data/restatement_labels.jsonl``:
``{"a": [newid, start, end], "b": [newid, start, end], "label": 0|1, "part": "dev"|"heldout", "draw":
"candidate"|"random", "reason": "..."}``; the rule is in docs/restatements.md.

    python bench/restatement_realset.py candidates [--floor 0.3] [--across 1500] [--random 150]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, load_reuters  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dedupe.config import Settings  # noqa: E402
from dedupe.documents import Document  # noqa: E402
from dedupe.engine.analyse import analyse_documents  # noqa: E402
from dedupe.text.units import SENTENCE  # noqa: E402

LABELS = Path(__file__).resolve().parent / "data" / "restatement_labels.jsonl"
HELD_OUT_SHARE = 0.4

Key = tuple[str, int, int]


def held_out(newid: str) -> bool:
    """Whether story ``newid`` is in the held-out part (a fixed hash of the id, 40%)."""
    h = int.from_bytes(hashlib.sha256(newid.encode()).digest()[:8], "big")
    return h / 2**64 >= 1 - HELD_OUT_SHARE


def story_sentences(stories: list[tuple[str, str]]) -> dict[str, list[tuple[int, int, str]]]:
    """The eligible sentence units of each story, as the scan finds them: ``newid -> [(start, end, text)]``."""
    settings = Settings()
    docs = [Document(id=newid, path=f"{newid}.txt", text=body, format="txt") for newid, body in stories]
    out: dict[str, list[tuple[int, int, str]]] = {}
    for lo in range(0, len(docs), 2000):
        corpus = analyse_documents(docs[lo:lo + 2000], settings, with_signatures=False)
        t = corpus.table
        for r in range(len(t)):
            if int(t.kind[r]) != SENTENCE:
                continue
            d = corpus.documents[int(t.doc[r])]
            s, e = int(t.start[r]), int(t.end[r])
            out.setdefault(d.id, []).append((s, e, d.text[s:e]))
    return out


def parts(stories: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    return {"dev": [s for s in stories if not held_out(s[0])], "heldout": [s for s in stories if held_out(s[0])]}


def across_sample(ids: list[str], n: int, seed: int) -> list[str]:
    """The fixed sample of stories compared with each other (sorted by id)."""
    rng = random.Random(f"{seed}-across")
    return sorted(rng.sample(sorted(ids), min(n, len(ids))))


def units(sents: dict[str, list[tuple[int, int, str]]], ids: list[str]) -> tuple[list[str], list[int], list[Key]]:
    texts: list[str] = []
    groups: list[int] = []
    keys: list[Key] = []
    for g, i in enumerate(ids):
        for s, e, t in sents.get(i, ()):
            texts.append(t)
            groups.append(g)
            keys.append((i, s, e))
    return texts, groups, keys


def candidates(sents: dict[str, list[tuple[int, int, str]]], ids: list[str], across: list[str],
               floor: float) -> Iterator[tuple[Key, Key, float, str, str]]:
    from dedupe.semantic.restatements import find_restatements

    texts, groups, keys = units(sents, ids)
    for r in find_restatements(texts, groups, threshold=floor):
        yield keys[r.a], keys[r.b], r.score, texts[r.a], texts[r.b]
    texts, groups, keys = units(sents, across)
    for r in find_restatements(texts, groups, threshold=floor, across_groups=True):
        if groups[r.a] != groups[r.b]:
            yield keys[r.a], keys[r.b], r.score, texts[r.a], texts[r.b]


def random_pairs(sents: dict[str, list[tuple[int, int, str]]], ids: list[str], across: list[str], n: int,
                 rng: random.Random) -> Iterator[tuple[Key, Key, str, str]]:
    """``n`` pairs inside stories (a story drawn by its number of pairs) and ``n`` across the sample."""
    weighted = [(i, len(sents.get(i, ()))) for i in ids if len(sents.get(i, ())) >= 2]
    weights = [m * (m - 1) // 2 for _, m in weighted]
    for _ in range(n):
        (i, _m), = rng.choices(weighted, weights=weights)
        x, y = rng.sample(sents[i], 2)
        yield (i, x[0], x[1]), (i, y[0], y[1]), x[2], y[2]
    pool = [(i, u) for i in across for u in sents.get(i, ())]
    for _ in range(n):
        (i, x), (j, y) = rng.sample(pool, 2)
        if i == j:
            continue
        yield (i, x[0], x[1]), (j, y[0], y[1]), x[2], y[2]


def norm_pair(a: Key, b: Key) -> tuple[Key, Key]:
    return (a, b) if a <= b else (b, a)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["candidates"])
    ap.add_argument("--floor", type=float, default=0.3)
    ap.add_argument("--across", type=int, default=1500)
    ap.add_argument("--random", type=int, default=50)
    ap.add_argument("--seed", type=int, default=24)
    args = ap.parse_args()
    stories = load_reuters()
    sents = story_sentences(stories)
    CACHE.mkdir(parents=True, exist_ok=True)
    labelled = set()
    if LABELS.exists():
        for line in LABELS.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            labelled.add(norm_pair(tuple(rec["a"]), tuple(rec["b"])))
    for name, part in parts(stories).items():
        ids = [i for i, _ in part]
        across = across_sample(ids, args.across, args.seed)
        rng = random.Random(f"{args.seed}-{name}")
        rows = []
        seen = set()
        for a, b, score, ta, tb in candidates(sents, ids, across, args.floor):
            k = norm_pair(a, b)
            if k not in seen:
                seen.add(k)
                rows.append({"a": list(k[0]), "b": list(k[1]), "draw": "candidate", "score": round(score, 4),
                             "ta": ta if k[0] == a else tb, "tb": tb if k[0] == a else ta})
        for a, b, ta, tb in random_pairs(sents, ids, across, args.random, rng):
            k = norm_pair(a, b)
            if k not in seen:
                seen.add(k)
                rows.append({"a": list(k[0]), "b": list(k[1]), "draw": "random",
                             "ta": ta if k[0] == a else tb, "tb": tb if k[0] == a else ta})
        out = CACHE / f"restatement_pairs_{name}.jsonl"
        with out.open("w", encoding="utf-8") as fh:
            for k, r in enumerate(rows):
                r["part"] = name
                r["n"] = k
                r["labelled"] = norm_pair(tuple(r["a"]), tuple(r["b"])) in labelled
                fh.write(json.dumps(r) + "\n")
        print(f"{name}: {len(part)} stories, {len(across)} compared across; "
              f"{sum(r['draw'] == 'candidate' for r in rows)} candidates, "
              f"{sum(r['draw'] == 'random' for r in rows)} random -> {out}")


if __name__ == "__main__":
    main()
