"""Index keys: LSH band keys (:func:`dedupe.sketch.lsh.band_keys`), salted shingle keys, sorted key runs and their lookup."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dedupe import kernels
from dedupe.sketch.lsh import band_keys

__all__ = ["band_keys", "lookup_sorted", "merge_keyed", "shingle_keys", "sort_keyed"]

_SALT_MUL = np.uint64(0xD6E8FEB86659FD93)  # odd: a bijection of uint64
_SALT_ADD = np.uint64(0x632BE59BD9B4E019)



def sort_keyed(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``keys`` (uint64) and ``rows`` (uint32) sorted by key, then row."""
    fast = kernels.compiled()
    if fast is not None:
        k, r = fast.sort_keyed(np.ascontiguousarray(keys, dtype=np.uint64), np.ascontiguousarray(rows, dtype=np.uint32))
        return np.frombuffer(k, dtype=np.uint64), np.frombuffer(r, dtype=np.uint32)
    order = np.lexsort((rows, keys))
    return keys[order], rows[order]


def merge_keyed(runs: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Runs of ``(keys, rows)``, each sorted by key then row, merged into one."""
    fast = kernels.compiled()
    if fast is not None:
        k, r = fast.merge_keyed([(np.ascontiguousarray(k, dtype=np.uint64), np.ascontiguousarray(u, dtype=np.uint32))
                                 for k, u in runs])
        return np.frombuffer(k, dtype=np.uint64), np.frombuffer(r, dtype=np.uint32)
    if not runs:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint32)
    return sort_keyed(np.concatenate([k for k, _ in runs]), np.concatenate([u for _, u in runs]))


def shingle_keys(fps: np.ndarray) -> np.ndarray:
    """Posting keys of shingle fingerprints (a bijection, kept apart from band keys)."""
    with np.errstate(over="ignore"):
        return fps * _SALT_MUL + _SALT_ADD


def lookup_sorted(segments: Sequence[tuple[np.ndarray, np.ndarray]], q: np.ndarray, cap: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For sorted ``(keys, units)`` segments: every ``(query index, unit)``
    with ``keys == q[i]`` (at most ``cap`` per key and segment, newest first),
    and the total count per query key."""
    qi_parts, u_parts = [], []
    counts = np.zeros(len(q), dtype=np.int64)
    for keys, units in segments:
        lo = np.searchsorted(keys, q, "left")
        hi = np.searchsorted(keys, q, "right")
        cnt = hi - lo
        counts += cnt
        take = np.minimum(cnt, cap)
        tot = int(take.sum())
        if not tot:
            continue
        qi = np.repeat(np.arange(len(q)), take)
        first = np.repeat(hi - take, take)
        pos = first + (np.arange(tot) - np.repeat(np.cumsum(take) - take, take))
        qi_parts.append(qi)
        u_parts.append(units[pos].astype(np.int64))
    if not qi_parts:
        z = np.zeros(0, dtype=np.int64)
        return z, z, counts
    return np.concatenate(qi_parts), np.concatenate(u_parts), counts
