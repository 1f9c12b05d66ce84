"""Candidates for containment: a short sentence or quote inside a longer one.

MinHash LSH estimates Jaccard similarity, and a short sentence repeated
inside a long one has a low Jaccard similarity with it, so LSH alone cannot
find it.  Containment candidates come instead from an exact *prefix-filtered*
inverted index (the AllPairs/PPJoin family of set-similarity joins): order
every shingle by how rare it is in the run; if the smaller set ``S`` of a
pair shares at least ``c * |S|`` shingles with the other, it must share one
of its ``|S| - ceil(c * |S|) + 1`` rarest shingles.  So each set only probes
the posting lists of its few rarest shingles, which are short.

The filter is exact: every pair whose containment reaches ``c`` becomes a
candidate, except through shingles shared by more than ``max_posting`` sets
(formula boilerplate), which are skipped to keep the cost linear.
"""

from __future__ import annotations


import numpy as np


def containment_candidates(
    fps: np.ndarray,
    offsets: np.ndarray,
    threshold: float,
    max_posting: int = 256,
) -> np.ndarray:
    """Pairs ``(i, j)``, ``i < j``, that may have containment >= ``threshold``.

    Args:
        fps: every set's distinct element fingerprints, concatenated.
        offsets: set ``i`` owns ``fps[offsets[i]:offsets[i+1]]``.
        threshold: containment ``|A & B| / min(|A|, |B|)`` to reach.
        max_posting: posting lists longer than this are not probed.
    """
    n_sets = len(offsets) - 1
    if n_sets < 2 or len(fps) == 0 or threshold <= 0:
        return np.empty((0, 2), dtype=np.int64)
    sizes = np.diff(offsets)
    owner = np.repeat(np.arange(n_sets, dtype=np.int64), sizes)
    _, elem, counts = np.unique(fps, return_inverse=True, return_counts=True)
    freq = counts[elem]
    # rank each set's elements rarest first (ties by element id)
    order = np.lexsort((elem, freq, owner))
    rank = np.empty(len(fps), dtype=np.int64)
    rank[order] = np.arange(len(fps)) - offsets[:-1][owner[order]]
    need = np.ceil(threshold * sizes - 1e-9).astype(np.int64)
    prefix_len = np.maximum(sizes - need + 1, 1)
    probe = (rank < prefix_len[owner]) & (freq >= 2) & (freq <= max_posting)
    if not probe.any():
        return np.empty((0, 2), dtype=np.int64)
    # postings: sets per element, grouped by element id
    by_elem = np.argsort(elem, kind="stable")
    post_sets = owner[by_elem]
    post_start = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=post_start[1:])
    pe = elem[probe]
    src = owner[probe]
    lens = counts[pe]
    total = int(lens.sum())
    rep_src = np.repeat(src, lens)
    # concatenated ranges post_start[pe] .. post_start[pe]+lens
    base = np.repeat(post_start[pe] - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
    idx = base + np.arange(total)
    dst = post_sets[idx]
    keep = rep_src != dst
    a = np.minimum(rep_src[keep], dst[keep])
    b = np.maximum(rep_src[keep], dst[keep])
    code = np.unique(a * n_sets + b)
    return np.stack((code // n_sets, code % n_sets), axis=1)


__all__ = ["containment_candidates"]
