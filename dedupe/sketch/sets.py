"""Shingle sets as CSR arrays: distinct sorted fingerprints per unit, set keys, row subsets.

A batch's shingle sets are two arrays: ``fps`` (uint64 fingerprints, each
unit's distinct and ascending) and ``offsets`` (int64, ``len(units) + 1``),
unit ``i`` owning ``fps[offsets[i]:offsets[i+1]]``.
"""

from __future__ import annotations

import numpy as np

from dedupe import kernels

_M64a = np.uint64(0xFF51AFD7ED558CCD)
_M64b = np.uint64(0xC4CEB9FE1A85EC53)


def fmix64(h: np.ndarray) -> np.ndarray:
    h = h.copy()
    with np.errstate(over="ignore"):
        h ^= h >> np.uint64(33)
        h *= _M64a
        h ^= h >> np.uint64(33)
        h *= _M64b
        h ^= h >> np.uint64(33)
    return h


def distinct_sorted(fp: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct fingerprints per unit, sorted within each unit (CSR in, CSR out).

    A stable sort by fingerprint, then a stable sort by unit, puts each
    unit's fingerprints in ascending order (as the compiled
    ``shingle_units`` does); equal ones end up adjacent and are dropped.
    """
    n = len(offsets) - 1
    sizes = np.diff(offsets)
    unit_of = np.repeat(np.arange(n, dtype=np.int64), sizes)
    order = np.argsort(fp, kind="stable")
    order = order[np.argsort(unit_of[order], kind="stable")]
    f = fp[order]
    u = unit_of[order]
    keep = np.ones(len(f), dtype=bool)
    if len(f) > 1:
        keep[1:] = (f[1:] != f[:-1]) | (u[1:] != u[:-1])
    f = f[keep]
    u = u[keep]
    counts = np.bincount(u, minlength=n)
    out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return f, out


def set_keys(fps: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """A key per set, equal for equal sets: the sum of mixed fingerprints plus
    the size (mod 2**64).  Every set is non-empty."""
    sizes = np.diff(offsets)
    mixed = fmix64(fps)
    with np.errstate(over="ignore"):
        keys: np.ndarray = np.add.reduceat(mixed, offsets[:-1]) + sizes.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return keys


def csr_take(fps: np.ndarray, offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR ``(fps, offsets)`` of the given rows' sets, in the order of ``rows``."""
    fast = kernels.compiled()
    if fast is not None:
        raw_v, raw_o = fast.csr_take(np.ascontiguousarray(fps, dtype=np.uint64),
                                     np.ascontiguousarray(offsets, dtype=np.int64),
                                     np.ascontiguousarray(rows, dtype=np.int64))
        return np.frombuffer(raw_v, dtype=np.uint64), np.frombuffer(raw_o, dtype=np.int64)
    sizes = np.diff(offsets)[rows]
    off = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(sizes, out=off[1:])
    gather = np.repeat(offsets[:-1][rows] - off[:-1], sizes) + np.arange(int(off[-1]))
    return fps[gather], off
