"""Restatements: two sentences that state the same fact in other words (the ``restatement`` kind).

Runs after matching, over the drafts' eligible sentences: inside each article by default, across the
articles of the run with ``Settings.restate_across``.  The semantic signal (:mod:`dedupe.semantic`,
an offline WordLlama model plus word, figure and name agreement, calibrated on news paraphrase pairs) is
imported only here and only when the kind is asked for, so near-copy scans never load the model.  Pairs
the near-copy matcher reports (Jaccard at ``--threshold``, containment at its floor) are left to it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dedupe.config import Settings
from dedupe.engine.cluster import member_of
from dedupe.engine.corpus import Corpus
from dedupe.engine.match import containment_floor
from dedupe.errors import ConfigError
from dedupe.findings import Cluster, Pair, cluster_fingerprint
from dedupe.text.units import SENTENCE

KIND = "restatement"
#: At most this many restatements are reported per run (the best first); the rest is counted.
MAX_PAIRS = 10_000


def semantic_available() -> bool:
    """Whether the optional semantic model is installed (``pip install '.[semantic]'``)."""
    import importlib.util

    return importlib.util.find_spec("wordllama") is not None


def find_restatement_clusters(corpus: Corpus, settings: Settings) -> tuple[list[Cluster], int]:
    """Restatement clusters (two members each) among the drafts' sentences, and how many were left out."""
    if not semantic_available():
        raise ConfigError("the restatement kind needs the optional semantic model: pip install 'dedupe-newsroom[semantic]' "
                          "(or leave restatement out of --kinds)")
    from dedupe.semantic.restatements import find_restatements

    t = corpus.table
    if len(t) == 0:
        return [], 0
    flags = np.array(corpus.archive, dtype=bool)
    rows = np.flatnonzero((t.kind == SENTENCE) & ~flags[t.doc])
    if not settings.restate_across and len(rows):  # inside articles: an article's only sentence has no partner
        per_doc = np.bincount(t.doc[rows], minlength=len(corpus.documents))
        rows = rows[per_doc[t.doc[rows]] >= 2]
    if len(rows) < 2:
        return [], 0
    docs = corpus.documents
    texts = [docs[int(t.doc[r])].text[int(t.start[r]):int(t.end[r])] for r in rows]
    groups = t.doc[rows].tolist()
    found = find_restatements(texts, groups, across_groups=settings.restate_across, max_pairs=MAX_PAIRS + 1,
                              near_copy=settings.threshold, near_containment=containment_floor(settings) or 2.0)
    omitted = max(0, len(found) - MAX_PAIRS)
    clusters: list[Cluster] = []
    for r in found[:MAX_PAIRS]:
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
    return clusters, omitted


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
