"""Restatements: two sentences that state the same fact in other words (the ``restatement`` kind).

Runs beside matching, over the drafts' eligible sentences: inside each article by default, across the
articles of the run with ``Settings.restate_across``.  On a large run it starts in worker processes
before the near-copy matching (whole articles per worker, one model each) and is collected after it.  The semantic signal (:mod:`dedupe.semantic`,
an offline WordLlama model plus word, figure and name agreement, calibrated on news paraphrase pairs) is
imported only here and only when the kind is asked for, so near-copy scans never load the model.  Pairs
a near-copy cluster of the run links (the sentences, or a quote in each) are left to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from dedupe.config import Settings
from dedupe.engine.cluster import member_of
from dedupe.engine.corpus import Corpus
from dedupe.errors import ConfigError, DedupeError
from dedupe.findings import Cluster, Pair, cluster_fingerprint
from dedupe.text.units import SENTENCE

if TYPE_CHECKING:
    from dedupe.semantic.restatements import Restatement

KIND = "restatement"
#: At most this many restatements are reported per run (the best first); the rest is counted.
MAX_PAIRS = 10_000


def semantic_available() -> bool:
    """Whether the optional semantic model is installed (``pip install '.[semantic]'``)."""
    import importlib.util

    return importlib.util.find_spec("wordllama") is not None


@dataclass(frozen=True)
class Share:
    """One worker's share of the sentences: whole articles (or everything, across articles)."""

    texts: list[str]
    groups: list[int]
    across: bool
    max_pairs: int


_NEVER = 2.0  # a Jaccard or containment no pair reaches: near copies are left to the engine's matches


def find_share(share: Share) -> tuple[list[Restatement], int] | str:
    """The best restatements of one share and how many it has (what a worker process runs); a library
    error comes back as its message (an exception with two arguments does not survive the trip between
    processes).  No pair is skipped as a near copy here: :meth:`PendingRestatements.result` leaves to the
    near-copy clusters the pairs they link."""
    from dedupe.semantic.restatements import find_restatements_counted

    try:
        return find_restatements_counted(share.texts, share.groups, across_groups=share.across,
                                         max_pairs=share.max_pairs, near_copy=_NEVER, near_containment=_NEVER)
    except DedupeError as exc:
        return str(exc)

#: Pairs kept beyond MAX_PAIRS per share, for those a near-copy cluster turns out to link.
_SPARE = 2_000

#: Below this many sentences the restatements run in the scanning process (forking and a model per worker cost more).
PARALLEL_SENTENCES = 20_000


class PendingRestatements:
    """Restatements being found while the scan goes on: :func:`start_restatements` starts them (in worker
    processes on a large run, beside the near-copy matching), :meth:`result` waits for them."""

    def __init__(self, corpus: Corpus, settings: Settings, rows: np.ndarray, texts: list[str],
                 shares: list[Share], pool: Any = None, pending: Any = None) -> None:
        self.corpus, self.settings, self.rows, self.texts = corpus, settings, rows, texts
        self._shares, self._pool, self._pending = shares, pool, pending

    def result(self, near: Sequence[Cluster] = ()) -> tuple[list[Cluster], int]:
        """Restatement clusters (two members each), best first, and how many were left out.

        ``near`` are the run's near-copy clusters: a pair of sentences one of them already links (the
        sentences, or a quote or part of each) is theirs, not a restatement.  The near-copy rule is the
        engine's own verified matches, not a second estimate of it, so no pair falls between the two."""
        if self._pending is not None:
            try:
                outs = self._pending.get()
            finally:
                self._pool.close()
                self._pool.join()
        else:
            outs = [find_share(sh) for sh in self._shares]
        found: list[Restatement] = []
        base = total = 0
        for sh, out in zip(self._shares, outs):
            if isinstance(out, str):
                raise ConfigError(out)
            got, n = out
            found.extend(replace(r, a=r.a + base, b=r.b + base) for r in got)
            total += n
            base += len(sh.texts)
        found.sort(key=lambda r: (-r.score, r.a, r.b))  # as one call over everything would order them
        if near:
            kept = _not_linked(self.corpus, self.rows, found, near)
            total -= len(found) - len(kept)  # the tail a share cut is counted as left out, unchecked
            found = kept
        return _clusters(self.corpus, self.rows, found[:MAX_PAIRS]), max(0, total - MAX_PAIRS)


def start_restatements(corpus: Corpus, settings: Settings) -> PendingRestatements:
    """Start looking for restatements among the drafts' sentences (see :class:`PendingRestatements`)."""
    if not semantic_available():
        raise ConfigError("the restatement kind needs the optional semantic model: pip install 'dedupe-newsroom[semantic]' "
                          "(or leave restatement out of --kinds)")
    t = corpus.table
    rows = np.zeros(0, dtype=np.int64)
    if len(t):
        flags = np.array(corpus.archive, dtype=bool)
        rows = np.flatnonzero((t.kind == SENTENCE) & ~flags[t.doc])
        if not settings.restate_across and len(rows):  # inside articles: an article's only sentence has no partner
            per_doc = np.bincount(t.doc[rows], minlength=len(corpus.documents))
            rows = rows[per_doc[t.doc[rows]] >= 2]
    if len(rows) < 2:
        return PendingRestatements(corpus, settings, rows, [], [])
    docs = corpus.documents
    texts = [docs[int(d)].text[int(a):int(b)] for d, a, b in zip(t.doc[rows], t.start[rows], t.end[rows])]
    groups = t.doc[rows].tolist()
    jobs = _jobs(settings, len(rows))
    # rows are in document order, so a cut between two documents keeps every article whole
    cuts = [0] if settings.restate_across else _cuts(groups, jobs)
    bounds = [*cuts, len(rows)]
    # near copies are left to the engine's matches (PendingRestatements.result), so none are skipped here
    shares = [Share(texts[a:b], groups[a:b], settings.restate_across, MAX_PAIRS + _SPARE)
              for a, b in zip(bounds, bounds[1:]) if b > a]
    if jobs > 1:
        from dedupe.engine.parallel import worker_pool

        pool = worker_pool(len(shares))
        return PendingRestatements(corpus, settings, rows, texts, shares, pool, pool.map_async(find_share, shares))
    return PendingRestatements(corpus, settings, rows, texts, shares)


def _jobs(settings: Settings, n: int) -> int:
    """Worker processes for ``n`` sentences: one per core (at most 8) on a large run, none on a small one, none
    once this process has the model (a process that has run the tokenizer's threads must not fork)."""
    import os

    from dedupe.semantic.model import is_loaded

    if n < PARALLEL_SENTENCES or settings.jobs == 1 or is_loaded():
        return 1
    return 2 if settings.restate_across else max(1, min(settings.jobs or os.cpu_count() or 1, 8))


def _cuts(groups: list[int], jobs: int) -> list[int]:
    """Starts of ``jobs`` runs of similar length that never cut a group."""
    n = len(groups)
    cuts = [0]
    for k in range(1, jobs):
        c = max(cuts[-1] + 1, n * k // jobs)
        while 0 < c < n and groups[c] == groups[c - 1]:
            c += 1
        if c >= n:
            break
        cuts.append(c)
    return cuts


def find_restatement_clusters(corpus: Corpus, settings: Settings,
                              near: Sequence[Cluster] = ()) -> tuple[list[Cluster], int]:
    """Restatement clusters (two members each) among the drafts' sentences not linked by the near-copy
    clusters ``near``, and how many were left out."""
    return start_restatements(corpus, settings).result(near)


def _not_linked(corpus: Corpus, rows: np.ndarray, found: list[Restatement],
                near: Sequence[Cluster]) -> list[Restatement]:
    """``found`` without the pairs a near-copy cluster links: one of its members overlaps each sentence."""
    t = corpus.table
    by_doc: dict[str, list[tuple[int, int, int, int]]] = {}
    for k, c in enumerate(near):
        for i, m in enumerate(c.members):
            by_doc.setdefault(m.doc, []).append((m.start, m.end, k, i))

    def touching(r: int) -> dict[int, set[int]]:  # cluster -> its members that overlap unit r
        d = corpus.documents[int(t.doc[r])].id
        s, e = int(t.start[r]), int(t.end[r])
        out: dict[int, set[int]] = {}
        for ms, me, k, i in by_doc.get(d, ()):
            if ms < e and s < me:
                out.setdefault(k, set()).add(i)
        return out

    def linked(ra: int, rb: int) -> bool:  # two different members of one cluster, one on each sentence
        ta, tb = touching(ra), touching(rb)
        return any(len(ta[k] | tb[k]) > 1 for k in ta.keys() & tb.keys())

    return [r for r in found if not linked(int(rows[r.a]), int(rows[r.b]))]


def _clusters(corpus: Corpus, rows: np.ndarray, found: list[Restatement]) -> list[Cluster]:
    t = corpus.table
    docs = corpus.documents
    clusters: list[Cluster] = []
    for r in found:
        ra, rb = int(rows[r.a]), int(rows[r.b])
        ua = (int(t.doc[ra]), int(t.start[ra]), int(t.end[ra]))
        ub = (int(t.doc[rb]), int(t.start[rb]), int(t.end[rb]))
        if ub < ua:
            ua, ub = ub, ua
            ra, rb = rb, ra
            swap = True
        else:
            swap = False
        members = [member_of(docs[ua[0]], ua[1], ua[2], "sentence", False),
                   member_of(docs[ub[0]], ub[1], ub[2], "sentence", False)]
        jac, con = _overlap(corpus, ra, rb)
        pair = Pair(0, 1, jac, con, r.score)
        info: dict[str, Any] = {
            "score": round(r.score, 4),
            "meaning": r.meaning,
            "cosine": round(r.cosine, 4),
            "shared_words": [w.text_a if not swap else w.text_b for w in r.words],
            "shared_figures": [f.text_a if not swap else f.text_b for f in r.figures],
            "spans": _spans(r, swap),
        }
        clusters.append(Cluster(id="", kind=KIND, members=members, pairs=[pair], similarity=r.score, jaccard=jac,
                                containment=con, fingerprint=cluster_fingerprint(KIND, members), restatement=info))
    return clusters


def _spans(r: Any, swap: bool) -> list[list[list[int]]]:
    a: list[list[int]] = []
    b: list[list[int]] = []
    for sh in (*r.words, *r.figures):
        a.extend([list(x) for x in sh.spans_a])
        b.extend([list(x) for x in sh.spans_b])
    a.sort()
    b.sort()
    return [b, a] if swap else [a, b]


def _overlap(corpus: Corpus, ra: int, rb: int) -> tuple[float, float]:
    """Jaccard and containment of two units' shingle sets (for the record beside the score)."""
    fa, _ = corpus.table.set_fps(np.array([ra], dtype=np.int64))
    fb, _ = corpus.table.set_fps(np.array([rb], dtype=np.int64))
    if len(fa) == 0 or len(fb) == 0:
        return 0.0, 0.0
    inter = len(np.intersect1d(fa, fb, assume_unique=True))
    return inter / (len(fa) + len(fb) - inter), inter / min(len(fa), len(fb))
