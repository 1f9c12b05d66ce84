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
    """One task's sentences: whole articles (or everything, across articles)."""

    texts: list[str]
    groups: list[int]
    across: bool
    max_pairs: int


_NEVER = 2.0  # a Jaccard or containment no pair reaches: near copies are left to the engine's matches


def find_share(share: Share) -> tuple[list[Restatement], int] | str:
    """The best restatements of one share and how many it has (what a worker process runs); a library
    error comes back as its message (an exception with two arguments does not survive the trip between
    processes).  No pair is skipped as a near copy here: :func:`restatement_clusters` leaves to the
    near-copy clusters the pairs they link."""
    from dedupe.semantic.restatements import find_restatements_counted

    try:
        return find_restatements_counted(share.texts, share.groups, across_groups=share.across,
                                         max_pairs=share.max_pairs, near_copy=_NEVER, near_containment=_NEVER)
    except DedupeError as exc:
        return str(exc)


def _load_model() -> None:
    """Worker start-up: load the model while the scanning process is still reading and analysing."""
    import os

    from dedupe.semantic.model import embedder

    # one thread for the tokenizer: the workers are one per core already
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # below the scan's own processes: while they read and analyse, the workers take what they leave
    # (a core the one-process analysis of an export does not use); then every core is theirs
    try:
        os.nice(int(os.environ.get("DEDUPE_RESTATE_NICE", "10")))
    except (OSError, ValueError):
        pass
    try:
        embedder()
    except DedupeError:
        pass  # the first task reports it


#: Pairs kept beyond MAX_PAIRS per share, for those a near-copy cluster turns out to link.
_SPARE = 2_000
#: Sentences sent to a worker at a time.  The first full batch starts the workers: a smaller run is done in
#: the scanning process (forking and a model per worker would cost more than they save).
BATCH_SENTENCES = 10_000


@dataclass
class _Part:
    keys: np.ndarray  # (n, 3) int64: document (in the scan's corpus), start, end of each sentence
    share: Share
    pending: Any = None  # the worker's AsyncResult, or None: run here


class RestatementStream:
    """Restatements found while the scan goes on.

    The scan feeds it the analysed documents chunk by chunk (:meth:`feed`, in corpus order); inside
    articles, every :data:`BATCH_SENTENCES` sentences go to worker processes (one model each, loaded as
    they start) while the analysis and then the near-copy matching go on.  :meth:`close` sends the rest,
    :meth:`found` collects them.  Across articles, everything is one task, sent at :meth:`close`.
    A run smaller than one batch, or a process that already has the model (a review UI that has run the
    tokenizer's threads must not fork), is done in this process.
    """

    def __init__(self, settings: Settings) -> None:
        if not semantic_available():
            from dedupe.capabilities import hint_for

            raise ConfigError("the restatement kind needs the optional semantic model: "
                              f"{hint_for('semantic')} (or leave restatement out of --kinds)")
        self.settings = settings
        self._docs_seen = 0
        self._buf_texts: list[str] = []
        self._buf_groups: list[int] = []
        self._buf_keys: list[np.ndarray] = []
        self._parts: list[_Part] = []
        self._pool: Any = None
        self._jobs = _jobs(settings)
        self._closed = False

    def feed(self, chunk: Corpus, archive: Sequence[bool] | None = None) -> None:
        """The next analysed documents of the scan (every chunk, drafts or not, in order).  ``archive``
        flags its archive documents (default ``chunk.archive``); their sentences are never compared."""
        base = self._docs_seen
        self._docs_seen += len(chunk.documents)
        t = chunk.table
        if not len(t):
            return
        flags = np.asarray(archive if archive is not None else chunk.archive, dtype=bool)
        if len(flags) != len(chunk.documents):
            flags = np.zeros(len(chunk.documents), dtype=bool)
        rows = np.flatnonzero((t.kind == SENTENCE) & ~flags[t.doc])
        if not self.settings.restate_across and len(rows):  # inside articles: a lone sentence has no partner
            per_doc = np.bincount(t.doc[rows], minlength=len(chunk.documents))
            rows = rows[per_doc[t.doc[rows]] >= 2]
        if not len(rows):
            return
        docs = chunk.documents
        d, a, b = t.doc[rows], t.start[rows], t.end[rows]
        if self.settings.restate_across:
            cuts = [0, len(rows)]
        else:  # a large chunk goes out in batches, each of whole articles
            cuts = [0]
            while len(rows) - cuts[-1] > BATCH_SENTENCES:
                c = cuts[-1] + BATCH_SENTENCES
                while c < len(rows) and d[c] == d[c - 1]:
                    c += 1
                cuts.append(c)
            cuts.append(len(rows))
        for lo, hi in zip(cuts, cuts[1:]):
            if hi <= lo:
                continue
            self._buf_texts.extend(docs[int(x)].text[int(y):int(z)] for x, y, z in zip(d[lo:hi], a[lo:hi], b[lo:hi]))
            self._buf_groups.extend((d[lo:hi] + base).tolist())
            self._buf_keys.append(np.column_stack([d[lo:hi] + base, a[lo:hi], b[lo:hi]]).astype(np.int64))
            if not self.settings.restate_across and len(self._buf_texts) >= BATCH_SENTENCES:
                self._send(parallel=True)

    def close(self) -> None:
        """No more documents: send what is left (the scan goes on to its matching meanwhile)."""
        if self._closed:
            return
        self._closed = True
        n = len(self._buf_texts)
        if n >= 2:
            big = self._pool is not None or n >= BATCH_SENTENCES
            self._send(parallel=big)

    def _send(self, parallel: bool) -> None:
        keys = np.concatenate(self._buf_keys) if self._buf_keys else np.zeros((0, 3), dtype=np.int64)
        share = Share(self._buf_texts, self._buf_groups, self.settings.restate_across, MAX_PAIRS + _SPARE)
        self._buf_texts, self._buf_groups, self._buf_keys = [], [], []
        part = _Part(keys, share)
        if parallel and self._jobs > 0:
            if self._pool is None:
                self._pool = worker_pool(self._jobs)
            part.pending = self._pool.apply_async(find_share, (share,))
        self._parts.append(part)

    def found(self, corpus: Corpus) -> Found:
        """Every restatement found in ``corpus`` (the scan's, whose documents were fed), best first, before
        the near-copy clusters are taken into account (so it holds for any ``--threshold``)."""
        self.close()
        try:
            outs = [p.pending.get() if p.pending is not None else find_share(p.share) for p in self._parts]
        finally:
            if self._pool is not None:
                self._pool.close()
                self._pool.join()
                self._pool = None
        found: list[tuple[float, int, int, Restatement]] = []
        total = 0
        base = 0
        keys = np.concatenate([p.keys for p in self._parts]) if self._parts else np.zeros((0, 3), dtype=np.int64)
        for part, out in zip(self._parts, outs):
            if isinstance(out, str):
                raise ConfigError(out)
            got, n = out
            found.extend((-r.score, r.a + base, r.b + base, replace(r, a=r.a + base, b=r.b + base)) for r in got)
            total += n
            base += len(part.share.texts)
        found.sort(key=lambda x: x[:3])  # best first, then reading order: as one call over everything
        return Found(_rows_of(corpus, keys), [x[3] for x in found], total)


@dataclass(frozen=True)
class Found:
    """Restatements of a corpus before the near-copy filter: ``pairs`` best first (``a``/``b`` index
    ``rows``, rows of the corpus table), ``total`` how many there were before the tasks cut their tails."""

    rows: np.ndarray
    pairs: list[Restatement]
    total: int


def restatement_clusters(corpus: Corpus, found: Found, near: Sequence[Cluster] = ()) -> tuple[list[Cluster], int]:
    """Clusters of ``found`` and how many were left out.

    ``near`` are the run's near-copy clusters: a pair of sentences one of them already links (the
    sentences, or a quote or part of each) is theirs, not a restatement.  The near-copy rule is the
    engine's own verified matches, not a second estimate of it, so no pair falls between the two."""
    ordered, total = found.pairs, found.total
    if near:
        kept = _not_linked(corpus, found.rows, ordered, near)
        total -= len(ordered) - len(kept)  # the tail a task cut is counted as left out, unchecked
        ordered = kept
    return _clusters(corpus, found.rows, ordered[:MAX_PAIRS]), max(0, total - MAX_PAIRS)


def _rows_of(corpus: Corpus, keys: np.ndarray) -> np.ndarray:
    """Row in ``corpus.table`` of each sentence ``(document, start, end)`` of ``keys``."""
    t = corpus.table
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    sent = np.flatnonzero(t.kind == SENTENCE)
    code = t.doc[sent].astype(np.int64) * (1 << 32) + t.start[sent].astype(np.int64)
    order = np.argsort(code, kind="stable")
    want = keys[:, 0] * (1 << 32) + keys[:, 1]
    at = np.searchsorted(code[order], want)
    if np.any(at >= len(order)) or np.any(code[order][np.minimum(at, len(order) - 1)] != want):
        raise ValueError("a restatement sentence is not in the scan's corpus")  # pragma: no cover - a bug
    return np.asarray(sent[order[at]], dtype=np.int64)


def start_restatements(corpus: Corpus, settings: Settings) -> RestatementStream:
    """Restatements of an analysed corpus, started now (see :class:`RestatementStream`)."""
    stream = RestatementStream(settings)
    stream.feed(corpus)
    stream.close()
    return stream


def worker_pool(jobs: int) -> Any:
    """The restatement workers (forked where the platform can, see :func:`dedupe.engine.parallel.worker_pool`),
    each loading the model as it starts.  Started fresh ("spawn") instead, a worker costs about as much
    memory (the model, its word vectors and its share: about 270 MB at the peak, against the scan's pages a
    forked one maps) and far more wall time (an interpreter and the imports each): measured 2026-12-07 on
    the export, two workers, peak 883-899 MB spawned against 1,042-1,050 MB forked, +96-101% wall against
    +26-70%; a single spawned worker, +320 MB but +156-213% wall (a loaded machine)."""
    from dedupe.engine.parallel import worker_pool as pool

    return pool(jobs, initializer=_load_model)


#: At most this many restatement workers (one per core up to it).  Each holds the model and its own word
#: vectors: about 250 MB more peak memory per worker.
RESTATE_WORKERS = 8


def _jobs(settings: Settings) -> int:
    """Worker processes: one per core (at most :data:`RESTATE_WORKERS`; one across articles, a single
    task); none with ``--jobs 1``, on one core, or once this process has the model (a process that has run
    the tokenizer's threads must not fork)."""
    import os

    from dedupe.semantic.model import is_loaded

    cores = min(settings.jobs, os.cpu_count() or 1) if settings.jobs else min(os.cpu_count() or 1, 8)
    if cores <= 1 or is_loaded():
        return 0
    return 1 if settings.restate_across else min(RESTATE_WORKERS, cores)


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
            "measured_precision": _measured(r.score),
            "cosine": round(r.cosine, 4),
            "shared_words": [w.text_a if not swap else w.text_b for w in r.words],
            "shared_figures": [f.text_a if not swap else f.text_b for f in r.figures],
            "spans": _spans(r, swap),
        }
        clusters.append(Cluster(id="", kind=KIND, members=members, pairs=[pair], similarity=r.score, jaccard=jac,
                                containment=con, fingerprint=cluster_fingerprint(KIND, members), restatement=info))
    return clusters


def _measured(score: float) -> dict[str, Any] | None:
    """The measured precision of a note at ``score`` on real copy (the shipped calibration table)."""
    from dedupe.semantic.score import measured

    band = measured(score)
    if band is None:
        return None
    return {"precision": band.precision, "same_fact": band.same_fact, "notes": band.notes,
            "interval": list(band.interval), "band": [band.low, band.high]}


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
