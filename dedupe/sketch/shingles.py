"""Shingles: the sets a unit is compared by, and their hashes.

A unit (sentence or quote) becomes the set of its word n-grams (default
n=3), or of character n-grams of its normalised text.  Each shingle has

* a 64-bit fingerprint used for exact set comparison in verification (two
  different shingles collide with probability 2**-64), and
* a 32-bit hash fed to MinHash.

Both derive from SHA-1 of each *word*, computed once per distinct word and
combined positionally, which lets a whole batch be shingled with numpy.  The
32-bit hash is exposed as an ordinary ``hashfunc`` (:func:`shingle_hash32`)
taking the shingle's bytes (words joined by single spaces), so
``datasketch.MinHash(hashfunc=shingle_hash32)`` fed the same shingles gives
exactly the signatures :mod:`dedupe.sketch.signatures` computes.  With
``hash="sha1"`` the 32-bit hash is instead datasketch's own default,
``sha1_hash32`` of the shingle bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

# Odd multiplier for the positional combination (mod 2**64).
_P = np.uint64(0x9E3779B97F4A7C15)
_PY_P = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1
_CHAR_SEP = "\x1f"


def word_hash64(word: str) -> int:
    """SHA-1 of the UTF-8 word, first 8 bytes little-endian."""
    return int.from_bytes(hashlib.sha1(word.encode("utf-8")).digest()[:8], "little")


def _combine_py(hashes: Sequence[int]) -> int:
    h = 0
    for x in hashes:
        h = (h * _PY_P + x) & _MASK64
    return h


def shingle_fingerprint(words: Sequence[str]) -> int:
    """64-bit fingerprint of one word shingle (pure Python reference)."""
    return _combine_py([word_hash64(w) for w in words])


def shingle_hash32(shingle: bytes) -> int:
    """32-bit hash of a shingle given as bytes ("w1 w2 w3"), a datasketch ``hashfunc``.

    It is the high half of :func:`shingle_fingerprint`.
    """
    words = shingle.decode("utf-8").split(" ")
    return shingle_fingerprint(words) >> 32


def word_shingles(words: Sequence[str], n: int) -> list[str]:
    """The word n-grams of ``words`` as strings ("w1 w2 w3"), in order.

    A unit shorter than ``n`` words is one shingle of all its words.
    """
    if len(words) <= n:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


class WordHasher:
    """Caches the 64-bit hash of every word seen (one SHA-1 per distinct word).

    Words get small integer ids; :meth:`hash_array` maps a word list to their
    hashes through a numpy table, avoiding millions of Python ints.
    """

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._table = np.zeros(1024, dtype=np.uint64)

    def hashes(self, words: Sequence[str]) -> list[int]:
        return [int(h) for h in self.hash_array(words).tolist()]

    def hash_array(self, words: Sequence[str]) -> np.ndarray:
        ids = self._ids
        new = set(words).difference(ids)
        if new:
            start = len(ids)
            need = start + len(new)
            if need > len(self._table):
                grown = np.zeros(max(need, 2 * len(self._table)), dtype=np.uint64)
                grown[:start] = self._table[:start]
                self._table = grown
            for k, w in enumerate(new, start):
                ids[w] = k
                self._table[k] = word_hash64(w)
        idx = np.fromiter(map(ids.__getitem__, words), dtype=np.int64, count=len(words))
        return self._table[idx]


def batch_word_shingles(
    token_lists: Sequence[Sequence[str]], n: int, hasher: WordHasher
) -> tuple[np.ndarray, np.ndarray]:
    """Shingle many units at once.

    Returns ``(fingerprints, offsets)``: ``fingerprints`` holds every unit's
    shingle fingerprints (uint64, in order, duplicates kept) and unit ``i``
    owns ``fingerprints[offsets[i]:offsets[i+1]]``.
    """
    lens = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
    flat: list[str] = []
    for t in token_lists:
        flat.extend(t)
    wh = hasher.hash_array(flat)
    starts = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=starts[1:])
    # number of shingles per unit
    nsh = np.where(lens >= n, lens - n + 1, np.minimum(lens, 1))
    offsets = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(nsh, out=offsets[1:])
    total = int(offsets[-1])
    # position in flat token array where each shingle starts
    unit_of = np.repeat(np.arange(len(lens)), nsh)
    first = starts[:-1][unit_of] + (np.arange(total) - offsets[:-1][unit_of])
    # width of each shingle: n, or the whole (short) unit
    width = np.minimum(lens[unit_of], n)
    fp = np.zeros(total, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            use = width > k
            idx = first + k
            vals = wh[np.minimum(idx, len(wh) - 1)] if len(wh) else np.zeros(total, dtype=np.uint64)
            fp = np.where(use, fp * _P + vals, fp)
    return fp, offsets


def char_shingles(text: str, n: int) -> list[str]:
    """Character n-grams of the normalised, space-collapsed text."""
    s = " ".join(text.split())
    if len(s) <= n:
        return [s] if s else []
    return [s[i : i + n] for i in range(len(s) - n + 1)]


def batch_char_shingles(texts: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Character-shingle fingerprints for many normalised texts (SHA-1 based)."""
    fps: list[int] = []
    offsets = [0]
    cache: dict[str, int] = {}
    for t in texts:
        for sh in char_shingles(t, n):
            h = cache.get(sh)
            if h is None:
                h = cache[sh] = word_hash64(sh)
            fps.append(h)
        offsets.append(len(fps))
    return np.array(fps, dtype=np.uint64), np.array(offsets, dtype=np.int64)


def char_hash32(shingle: bytes) -> int:
    """datasketch ``hashfunc`` matching character-shingle fingerprints."""
    return word_hash64(shingle.decode("utf-8")) >> 32


def sha1_hash32(data: bytes) -> int:
    """datasketch's default hash function (re-exported for hash="sha1")."""
    return int.from_bytes(hashlib.sha1(data).digest()[:4], "little")
