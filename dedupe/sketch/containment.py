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

from dedupe import kernels


def element_frequencies(fps: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """For each position of ``fps``, how many times its value occurs in ``fps`` (int32).

    With every set's elements distinct, that is the number of sets holding it.
    """
    if len(fps) == 0:
        return np.zeros(0, dtype=np.int64)
    fast = kernels.compiled()
    if fast is not None:
        return np.frombuffer(fast.element_frequencies(np.ascontiguousarray(fps, dtype=np.uint64)), dtype=np.int32)
    if order is None:
        order = np.argsort(fps)
    sf = fps[order]
    new_run = np.empty(len(sf), dtype=bool)
    new_run[0] = True
    np.not_equal(sf[1:], sf[:-1], out=new_run[1:])
    run_len = np.diff(np.append(np.flatnonzero(new_run), len(sf)))
    freq = np.empty(len(fps), dtype=np.int32)
    freq[order] = run_len[np.cumsum(new_run) - 1]
    return freq


def shared_counts(freq: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per set, how many of its elements occur in some other set (freq >= 2)."""
    n_sets = len(offsets) - 1
    fast = kernels.compiled()
    if fast is not None:
        raw = fast.count_at_least(np.ascontiguousarray(freq, dtype=np.int32),
                                  np.ascontiguousarray(offsets, dtype=np.int64), 2)
        return np.frombuffer(raw, dtype=np.int64)
    owner = np.repeat(np.arange(n_sets, dtype=np.int64), np.diff(offsets))
    return np.bincount(owner, weights=freq >= 2, minlength=n_sets).astype(np.int64)


def containment_candidates(
    fps: np.ndarray,
    offsets: np.ndarray,
    threshold: float,
    max_posting: int = 256,
    order: np.ndarray | None = None,
    freq: np.ndarray | None = None,
) -> np.ndarray:
    """Pairs ``(i, j)``, ``i < j``, that may have containment >= ``threshold``.

    Args:
        fps: every set's distinct element fingerprints, concatenated.
        offsets: set ``i`` owns ``fps[offsets[i]:offsets[i+1]]``.
        threshold: containment ``|A & B| / min(|A|, |B|)`` to reach.
        max_posting: posting lists longer than this are not probed.
        order: ``np.argsort(fps)`` when the caller has it already.
        freq: :func:`element_frequencies` of ``fps`` when the caller has it.

    Elements found in one set only are the rarest of all and never yield a
    candidate, so a set with at least a prefix's worth of them is skipped
    outright; only the shared elements are ranked and probed.
    """
    empty = np.empty((0, 2), dtype=np.int64)
    n_sets = len(offsets) - 1
    if n_sets < 2 or len(fps) == 0 or threshold <= 0:
        return empty
    fast = kernels.compiled()
    if fast is not None:
        fps = np.ascontiguousarray(fps, dtype=np.uint64)
        if freq is None:
            freq = element_frequencies(fps)
        raw = fast.containment_pairs(fps, np.ascontiguousarray(offsets, dtype=np.int64),
                                     np.ascontiguousarray(freq, dtype=np.int32), float(threshold), int(max_posting))
        return np.frombuffer(raw, dtype=np.int64).reshape(-1, 2)
    sizes = np.diff(offsets)
    owner = np.repeat(np.arange(n_sets, dtype=np.int64), sizes)
    if order is None:
        order = np.argsort(fps)
    sf = fps[order]
    new_run = np.empty(len(sf), dtype=bool)
    new_run[0] = True
    np.not_equal(sf[1:], sf[:-1], out=new_run[1:])
    run_id = np.cumsum(new_run) - 1
    run_len = np.diff(np.append(np.flatnonzero(new_run), len(sf)))
    freq_sorted = run_len[run_id]
    freq = np.empty(len(fps), dtype=np.int64)
    freq[order] = freq_sorted
    elem = np.empty(len(fps), dtype=np.int64)
    elem[order] = run_id
    need = np.ceil(threshold * sizes - 1e-9).astype(np.int64)
    prefix_len = np.maximum(sizes - need + 1, 1)
    singles = np.bincount(owner, weights=(freq == 1), minlength=n_sets).astype(np.int64)
    slots = prefix_len - singles  # prefix places left for shared elements
    shared = (freq >= 2) & (slots[owner] > 0)
    if not shared.any():
        return empty
    idx = np.flatnonzero(shared)
    o = owner[idx]
    sub = np.lexsort((elem[idx], freq[idx], o))
    idx = idx[sub]
    o = o[sub]
    first = np.searchsorted(o, o, side="left")
    rank = np.arange(len(o)) - first
    probe_idx = idx[(rank < slots[o]) & (freq[idx] <= max_posting)]
    if len(probe_idx) == 0:
        return empty
    pe = elem[probe_idx]
    src = owner[probe_idx]
    lens = run_len[pe]
    total = int(lens.sum())
    run_start = np.flatnonzero(new_run)
    post_sets = owner[order]
    rep_src = np.repeat(src, lens)
    base = np.repeat(run_start[pe] - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
    dst = post_sets[base + np.arange(total)]
    keep = rep_src != dst
    a = np.minimum(rep_src[keep], dst[keep])
    b = np.maximum(rep_src[keep], dst[keep])
    code = np.unique(a * n_sets + b)
    return np.stack((code // n_sets, code % n_sets), axis=1)


def short_candidates(
    fps: np.ndarray,
    offsets: np.ndarray,
    max_size: int,
    max_posting: int = 256,
    slack: int = 6,
    freq: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, of short sets that may be the same sentence with a word or two
    changed: both at most ``max_size`` elements, sharing at least ``max(2, max(|A|, |B|) - slack)``
    of them (one changed word of a sentence removes at most ``ngram`` of its word shingles, so two
    remove at most ``slack = 2 * ngram``; LSH at a Jaccard threshold misses such a pair when the
    sentence is short: 7 of 13 shingles for one change in 12 words).  Shingles held by more than
    ``max_posting`` sets are not probed.  Returns the pairs and how many elements each shares.
    ``freq`` (:func:`element_frequencies` of ``fps``, when the caller has it) leaves out at once the
    elements no other set holds and those held by more than ``max_posting`` sets.
    """
    empty = np.empty((0, 2), dtype=np.int64)
    n_sets = len(offsets) - 1
    if n_sets < 2 or len(fps) == 0:
        return empty, np.zeros(0, dtype=np.int64)
    fast = kernels.compiled()
    if fast is not None:
        raw_pairs, raw_shared = fast.short_candidates(
            np.ascontiguousarray(fps, dtype=np.uint64), np.ascontiguousarray(offsets, dtype=np.int64),
            None if freq is None else np.ascontiguousarray(freq, dtype=np.int32), int(max_size), int(max_posting),
            int(slack))
        return np.frombuffer(raw_pairs, dtype=np.int64).reshape(-1, 2), np.frombuffer(raw_shared, dtype=np.int64)
    sizes = np.diff(offsets)
    short = sizes <= max_size
    owner = np.repeat(np.arange(n_sets, dtype=np.int64), sizes)
    keep = short[owner]
    if freq is not None:
        keep &= (freq >= 2) & (freq <= max_posting)
    fps_s, own_s = fps[keep], owner[keep]
    order = np.argsort(fps_s)
    fp_o, own_o = fps_s[order], own_s[order]
    if len(fp_o) < 2:
        return empty, np.zeros(0, dtype=np.int64)
    first = np.flatnonzero(np.concatenate(([True], fp_o[1:] != fp_o[:-1])))
    count = np.diff(np.append(first, len(fp_o)))
    good = (count >= 2) & (count <= max_posting)
    first, count = first[good], count[good]
    if not len(first):
        return empty, np.zeros(0, dtype=np.int64)
    # every pair of holders of each probed shingle: position p with the later positions of its run
    pos = _runs(first, count)
    run_end = np.repeat(first + count, count)
    later = run_end - pos - 1
    total = int(later.sum())
    if total == 0:
        return empty, np.zeros(0, dtype=np.int64)
    left = np.repeat(pos, later)
    step = np.arange(total) - np.repeat(np.cumsum(later) - later, later) + 1
    right = left + step
    a, b = own_o[left], own_o[right]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    ok = lo != hi
    code = lo[ok] * np.int64(n_sets) + hi[ok]
    uc, shared = np.unique(code, return_counts=True)
    i, j = uc // n_sets, uc % n_sets
    need = np.maximum(2, np.maximum(sizes[i], sizes[j]) - slack)
    sel = shared >= need
    return np.stack((i[sel], j[sel]), axis=1), shared[sel].astype(np.int64)


def _runs(first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``concatenate([arange(f, f + c) for f, c in zip(first, count)])`` without the Python loop."""
    total = int(count.sum())
    starts = np.repeat(first - (np.cumsum(count) - count), count)
    return starts + np.arange(total)
