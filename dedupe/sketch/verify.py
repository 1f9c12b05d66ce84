"""Exact verification of candidate pairs.

Every candidate, whether it came from LSH or from the containment filter, is
compared on its actual shingle sets before it is reported, so nothing below
the thresholds is ever reported (precision 1.0 by construction).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dedupe import kernels
from dedupe.text.align import word_similarity

#: Units of at most this many words are also verified word by word (:func:`verify_words`): a
#: sentence of up to ~18 words with one changed word, or up to ~35 with two, falls below a 0.7
#: Jaccard threshold of word 3-shingles.
SHORT_WORDS = 25
#: At most this many words of the longer copy may differ for the word-level link.
MAX_CHANGED_WORDS = 2


@dataclass(frozen=True, slots=True)
class VerifiedPair:
    """Two sets that passed: indices, shared shingles and both similarities; ``words`` is the word
    alignment's similarity when the pair was linked word by word (-1 when it was not needed)."""

    a: int
    b: int
    shared: int
    jaccard: float
    containment: float
    words: float = -1.0


def short_size(ngram: int) -> int:
    """The largest shingle set of a short unit (:data:`SHORT_WORDS` words, word n-grams)."""
    return SHORT_WORDS - ngram + 1


def verify_words(
    pairs: np.ndarray,
    shared: np.ndarray,
    sizes: np.ndarray,
    words: Callable[[int], Sequence[str]],
    threshold: float,
) -> list[VerifiedPair]:
    """The short pairs that are the same sentence with at most :data:`MAX_CHANGED_WORDS` words changed
    and a word similarity (:func:`dedupe.text.align.word_similarity`: aligned words over the longer
    copy's) at or above ``threshold``.  ``words(i)`` gives set ``i``'s word tokens, ``shared`` the
    shingles each pair shares (for the Jaccard and containment it also reports)."""
    out: list[VerifiedPair] = []
    fast = kernels.compiled()
    if fast is not None and len(pairs):  # the same rule over every pair at once (compiled word_link)
        sets, local = np.unique(np.asarray(pairs, dtype=np.int64), return_inverse=True)
        sims = np.frombuffer(fast.word_links(np.ascontiguousarray(local.reshape(-1, 2), dtype=np.int64),
                                             [list(words(i)) for i in sets.tolist()], float(threshold),
                                             MAX_CHANGED_WORDS), dtype=np.float64)
        for k in np.flatnonzero(sims >= 0).tolist():
            i, j = pairs[k].tolist()
            n = int(shared[k])
            a, b = int(sizes[i]), int(sizes[j])
            out.append(VerifiedPair(i, j, n, n / max(a + b - n, 1), n / max(min(a, b), 1), float(sims[k])))
        return out
    for k, (i, j) in enumerate(pairs.tolist()):
        sim = word_link(words(i), words(j), threshold)
        if sim is not None:
            n = int(shared[k])
            a, b = int(sizes[i]), int(sizes[j])
            out.append(VerifiedPair(i, j, n, n / max(a + b - n, 1), n / max(min(a, b), 1), sim))
    return out


def word_link(wa: Sequence[str], wb: Sequence[str], threshold: float) -> float | None:
    """The word-level rule every engine links short units with (:func:`verify_words` here, the Spark
    engine on its executors): the word similarity when at most :data:`MAX_CHANGED_WORDS` words differ
    and it reaches ``threshold``, else None."""
    if abs(len(wa) - len(wb)) > MAX_CHANGED_WORDS:
        return None
    sim, changed = word_similarity(wa, wb)
    return sim if changed <= MAX_CHANGED_WORDS and sim >= threshold else None


def accepts(jaccard: Any, containment: Any, smaller: Any, threshold: float, min_containment: float,
            min_contained: int) -> Any:
    """The rule a verified pair passes (scalars, or numpy arrays element-wise): Jaccard reaches
    ``threshold``, or the containment (shared / size of the smaller set) reaches ``min_containment``
    in a smaller set of at least ``min_contained`` shingles.  Every engine decides with this function
    (:func:`verify_pairs` here, the Spark engine on its executors)."""
    return (jaccard >= threshold) | ((containment >= min_containment) & (smaller >= min_contained))


def verify_pairs(
    pairs: np.ndarray,
    fps: np.ndarray,
    offsets: np.ndarray,
    threshold: float,
    containment: float | None,
    min_contained: int = 1,
) -> list[VerifiedPair]:
    """Keep the pairs whose Jaccard reaches ``threshold`` or whose containment
    (shared / size of the smaller set) reaches ``containment``.

    ``min_contained`` is the smallest set size for which containment alone is
    enough (a two-shingle set is "contained" in far too much).
    """
    out: list[VerifiedPair] = []
    if len(pairs) == 0:
        return out
    cthr = containment if containment else 2.0
    fast = kernels.compiled()
    if fast is not None:
        pairs = np.ascontiguousarray(pairs, dtype=np.int64)
        inter = np.frombuffer(fast.verify_pairs(pairs, np.ascontiguousarray(fps, dtype=np.uint64),
                                                np.ascontiguousarray(offsets, dtype=np.int64)), dtype=np.int64)
        sizes = np.diff(offsets)
        la = sizes[pairs[:, 0]]
        lb = sizes[pairs[:, 1]]
        union = la + lb - inter
        small = np.minimum(la, lb)
        # the same float divisions as below, vectorised
        jac = inter / np.maximum(union, 1)
        con = inter / np.maximum(small, 1)
        ok = (inter > 0) & accepts(jac, con, small, threshold, cthr, min_contained)
        for k in np.flatnonzero(ok).tolist():
            i, j = pairs[k].tolist()
            n = int(inter[k])
            a, b = int(la[k]), int(lb[k])
            out.append(VerifiedPair(i, j, n, n / (a + b - n), n / (a if a < b else b)))
        return out
    cache: dict[int, frozenset[int]] = {}
    tolist = fps.tolist()  # one conversion, then slices are cheap Python lists
    off = offsets.tolist()

    def members(i: int) -> frozenset[int]:
        s = cache.get(i)
        if s is None:
            s = cache[i] = frozenset(tolist[off[i] : off[i + 1]])
        return s

    for i, j in pairs.tolist():
        A = members(i)
        B = members(j)
        common = len(A & B)
        if not common:
            continue
        la, lb = len(A), len(B)
        jac = common / (la + lb - common)
        small = la if la < lb else lb
        con = common / small
        if accepts(jac, con, small, threshold, cthr, min_contained):
            out.append(VerifiedPair(i, j, common, jac, con))
    return out
