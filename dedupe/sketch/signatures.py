"""MinHash signatures for many sets at once, identical to ``datasketch.MinHash``.

datasketch 2.0's default ``affine32`` scheme computes, for every input hash
``h`` (32 bits), ``fmix32(h)`` (the MurmurHash3 finaliser) and then
``a_k * x + b_k mod 2**32`` for each permutation ``k`` (``a_k`` odd), keeping
the minimum per permutation.  Here the same arithmetic runs over all shingles
of a batch with numpy, in place, a block of permutations at a time, and
``np.minimum.reduceat`` takes the per-set minima.  The permutation parameters
are drawn exactly as datasketch draws them from ``seed``, so for the same
tokens, ``num_perm``, ``seed`` and ``hashfunc`` the signatures are equal
(tests assert it against datasketch itself).
"""

from __future__ import annotations

import numpy as np

from dedupe import kernels

SCHEME = "affine32"
_M1 = np.uint32(0x85EBCA6B)
_M2 = np.uint32(0xC2B2AE35)


def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The ``(a, b)`` permutation parameters datasketch uses for ``affine32``."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, element-wise (returns a new array)."""
    h = h.astype(np.uint32, copy=True)
    h ^= h >> np.uint32(16)
    h *= _M1
    h ^= h >> np.uint32(13)
    h *= _M2
    h ^= h >> np.uint32(16)
    return h


def signatures(
    hashes32: np.ndarray,
    offsets: np.ndarray,
    num_perm: int = 128,
    seed: int = 1,
    block: int = 8,
) -> np.ndarray:
    """MinHash signatures of many sets.

    Args:
        hashes32: the 32-bit hashes of every set's elements, concatenated
            (uint32; duplicates allowed, as in ``MinHash.update_batch``).
        offsets: set ``i`` owns ``hashes32[offsets[i]:offsets[i+1]]``; every
            set must be non-empty.
        num_perm, seed: as for ``datasketch.MinHash``.
        block: permutations computed per pass (bounds the temporary buffer).

    Returns:
        uint32 array of shape ``(len(offsets) - 1, num_perm)``; row ``i``
        equals ``MinHash(num_perm, seed, hashfunc=...).hashvalues`` of set i.
    """
    n_sets = len(offsets) - 1
    out = np.empty((n_sets, num_perm), dtype=np.uint32)
    if n_sets == 0:
        return out
    if np.any(offsets[1:] <= offsets[:-1]):
        raise ValueError("every set needs at least one element")
    a, b = permutations(num_perm, seed)
    x = fmix32(np.asarray(hashes32, dtype=np.uint32))
    fast = kernels.compiled()
    if fast is not None:
        raw = fast.minhash32(x, np.ascontiguousarray(offsets, dtype=np.int64), a, b)
        return np.frombuffer(raw, dtype=np.uint32).reshape(n_sets, num_perm)
    starts = np.asarray(offsets[:-1], dtype=np.intp)
    buf = np.empty((min(block, num_perm), len(x)), dtype=np.uint32)
    for k0 in range(0, num_perm, block):
        k1 = min(num_perm, k0 + block)
        view = buf[: k1 - k0]
        np.multiply(a[k0:k1, None], x[None, :], out=view)
        np.add(view, b[k0:k1, None], out=view)
        out[:, k0:k1] = np.minimum.reduceat(view, starts, axis=1).T
    return out
