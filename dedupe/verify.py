"""Exact verification of candidate pairs.

Every candidate, whether it came from LSH or from the containment filter, is
compared on its actual shingle sets before it is reported, so nothing below
the thresholds is ever reported (precision 1.0 by construction).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class VerifiedPair:
    """Two sets that passed: indices, shared shingles and both similarities."""

    a: int
    b: int
    shared: int
    jaccard: float
    containment: float


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
    cache: dict[int, frozenset] = {}
    tolist = fps.tolist()  # one conversion, then slices are cheap Python lists
    off = offsets.tolist()

    def members(i: int) -> frozenset:
        s = cache.get(i)
        if s is None:
            s = cache[i] = frozenset(tolist[off[i] : off[i + 1]])
        return s

    cthr = containment if containment else 2.0
    for i, j in pairs.tolist():
        A = members(i)
        B = members(j)
        inter = len(A & B)
        if not inter:
            continue
        la, lb = len(A), len(B)
        jac = inter / (la + lb - inter)
        small = la if la < lb else lb
        con = inter / small
        if jac >= threshold or (con >= cthr and small >= min_contained):
            out.append(VerifiedPair(i, j, inter, jac, con))
    return out
