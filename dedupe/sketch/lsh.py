"""Locality-sensitive hashing over MinHash signatures: banding for candidates.

This reproduces ``datasketch.MinHashLSH``'s scheme (a signature is cut into
``b`` bands of ``r`` rows; two sets are candidates when all rows of at least
one band are equal) over a whole matrix of signatures at once: each band's
rows are folded into one 64-bit key, keys are sorted, and equal runs give the
candidate pairs.  A (vanishingly rare) key collision only adds a candidate,
which exact verification then rejects.

The bands are chosen for *recall* (:func:`choose_bands`), not the balance of
false positives and negatives datasketch's optimiser strikes: every candidate
is verified exactly afterwards, so extra candidates cost a little time while a
missed one is a missed duplicate.
"""

from __future__ import annotations

import numpy as np

from dedupe import kernels

_P = np.uint64(0x9E3779B97F4A7C15)


def collision_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that two sets of Jaccard ``similarity`` share a band."""
    return 1.0 - (1.0 - similarity**rows) ** bands


def choose_bands(num_perm: int, threshold: float, recall: float = 0.99) -> tuple[int, int]:
    """The ``(bands, rows)`` with the most rows per band (fewest false
    candidates) that still catch a pair at ``threshold`` with probability at
    least ``recall``; falls back to one row per band."""
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if bands < 1:
            break
        if collision_probability(threshold, bands, rows) >= recall:
            best = (bands, rows)
    return best


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """The LSH band keys of signatures, ``(n, bands)`` uint64: band ``k``'s rows folded into one key,
    ``key = k + 1``, then ``key = key * P + row`` for each of its rows (mod 2**64).  The one fold every
    engine uses (the scan's banding below, the archive index's stored keys, the Spark engine's buckets)."""
    n = sigs.shape[0]
    block = sigs[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    key = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64), (n, bands)).copy()
    with np.errstate(over="ignore"):
        for r in range(rows):
            key *= _P
            key += block[:, :, r]
    return key


def candidate_pairs(sigs: np.ndarray, bands: int, rows: int, max_bucket: int = 64) -> np.ndarray:
    """All pairs ``(i, j)``, ``i < j``, that share at least one band.

    Returns an ``(m, 2)`` int64 array, sorted and without duplicates.  In a
    bucket larger than ``max_bucket`` (boilerplate shared by hundreds of
    sets) each member is paired with the next ``max_bucket - 1`` members in
    key order instead of with all of them; the bucket stays connected, so
    clustering still joins it, at linear rather than quadratic cost.
    """
    n = sigs.shape[0]
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    fast = kernels.compiled()
    if fast is not None:
        s = np.ascontiguousarray(sigs, dtype=np.uint32)
        raw = fast.band_pairs(s, n, s.shape[1], bands, rows, max_bucket)
        return np.frombuffer(raw, dtype=np.int64).reshape(-1, 2)
    keys = band_keys(sigs, bands, rows)
    chunks = []
    for k in range(bands):
        key = keys[:, k]
        order = np.argsort(key, kind="stable")
        sk = key[order]
        same = sk[1:] == sk[:-1]
        if not same.any():
            continue
        # run id per sorted position; pair positions p and p+d in one run
        run_start = np.concatenate(([True], ~same))
        run_id = np.cumsum(run_start) - 1
        d = 1
        while d < max_bucket and d < n:
            m = run_id[d:] == run_id[:-d]
            if not m.any():
                break
            p = np.nonzero(m)[0]
            chunks.append(np.stack((order[p], order[p + d]), axis=1))
            d += 1
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(chunks).astype(np.int64)
    pairs.sort(axis=1)
    code = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack((code // n, code % n), axis=1)
