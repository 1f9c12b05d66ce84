"""The offline sentence embedding: WordLlama's static token vectors, mean-pooled.

``wordllama`` (the ``semantic`` extra) ships its 256-dimension weights and
tokenizer inside the wheel.  :func:`load_model` loads them with
``cache_dir=<the installed wordllama folder>`` and ``disable_download=True``:
without that the library looks for ``tokenizer/`` (the wheel has
``tokenizers/``) and tries to download.  The model loads once per process,
on first use; importing this module loads nothing.

:class:`Embedder` computes the same vectors as ``WordLlamaInference.embed``
(mean of the token vectors of the sentence) faster on long batches: it
tokenises each distinct white-space word once (the tokenizer has no
pre-tokenizer, so whole sentences tokenise slowly) and sums cached word
vectors, in blocks that stay in cache.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from itertools import chain, islice
from pathlib import Path
from typing import Any

import numpy as np

from dedupe.errors import ConfigError

_LOCK = threading.Lock()
_EMBEDDER: Embedder | None = None
_BLOCK_ROWS = 16384  # word rows gathered per block (16384 x 256 float32 = 16 MB)


def wordllama_folder() -> Path:
    """The installed ``wordllama`` package folder (weights/ and tokenizers/ inside).

    Importing ``wordllama`` calls ``logging.basicConfig(level=INFO)``, which
    would make every library's INFO messages print on stderr: the root
    logger's handlers and level are put back as they were."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
        import wordllama.inference  # the module whose import calls basicConfig
    except ImportError as exc:
        raise ConfigError(
            "restatements need the optional 'wordllama' package: pip install 'dedupe-newsroom[semantic]'"
        ) from exc
    finally:
        for h in root.handlers[:]:
            if h not in handlers:
                root.removeHandler(h)
        root.setLevel(level)
    return Path(wordllama.__file__).resolve().parent


def load_model() -> Any:
    """A new ``WordLlamaInference`` loaded from the wheel, never from the network."""
    folder = wordllama_folder()
    from wordllama import WordLlama

    try:
        return WordLlama.load(cache_dir=folder, disable_download=True)
    except (FileNotFoundError, ValueError) as exc:
        raise ConfigError(f"cannot load the WordLlama model shipped in {folder}: {exc}") from exc


def pool_sums(table: np.ndarray, rows: np.ndarray, sizes: np.ndarray, block_rows: int = _BLOCK_ROWS) -> np.ndarray:
    """Sum of ``table[rows[off[k]:off[k+1]]]`` for each segment ``k`` (``sizes``
    gives the segment lengths).  ``table[-1]`` must be a zero row: segments
    are sorted by length and gathered padded, ``(segments, longest, dim)`` at
    a time, then summed over the middle axis, which is several times faster
    than ``np.add.reduceat`` on rows."""
    n = len(sizes)
    out = np.zeros((n, table.shape[1]), dtype=table.dtype)
    if n == 0 or len(rows) == 0:
        return out
    off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(sizes, out=off[1:])
    order = np.argsort(sizes, kind="stable")
    order = order[sizes[order] > 0]  # empty segments stay zero
    sorted_sizes = sizes[order]
    last = len(rows) - 1
    m = len(order)
    a = 0
    while a < m:
        # the longest chunk [a, b) whose padded size (b - a) * longest fits the block
        window = sorted_sizes[a:a + block_rows]
        padded = np.arange(1, len(window) + 1) * window
        b = a + max(1, int(np.searchsorted(padded, block_rows, side="right")))
        chunk = order[a:b]
        longest = int(sorted_sizes[b - 1])
        col = np.arange(longest)
        pos = off[chunk][:, None] + col[None, :]
        idx = np.where(col[None, :] < sizes[chunk][:, None], rows[np.minimum(pos, last)], -1)
        out[chunk] = table[idx].sum(axis=1)
        a = b
    return out


class Embedder:
    """Unit-length sentence vectors from a loaded WordLlama model."""

    def __init__(self, model: Any) -> None:
        self.model = model
        emb = np.ascontiguousarray(model.embedding, dtype=np.float32)
        self.dim = int(emb.shape[1])
        self._emb = np.vstack([emb, np.zeros((1, self.dim), dtype=np.float32)])  # last row: padding
        tok = model.tokenizer
        tok.no_padding()
        tok.no_truncation()
        self._tok = tok
        self._index: dict[str, int] = {}
        # sum of each word's token vectors, in index order, plus a zero row (padding) at the end
        self._vecs = np.zeros((1, self.dim), dtype=np.float32)
        self._lock = threading.Lock()

    def _add(self, words: list[str]) -> None:
        """Vectorise ``words``, the newest entries of the index (caller holds the lock)."""
        encode = getattr(self._tok, "encode_batch_fast", self._tok.encode_batch)  # _fast: no offsets (tokenizers >= 0.20)
        enc = encode(words, add_special_tokens=False)
        lens = np.fromiter(map(len, (e.ids for e in enc)), dtype=np.int64, count=len(enc))
        ids = np.fromiter(chain.from_iterable(e.ids for e in enc), dtype=np.int64, count=int(lens.sum()))
        np.clip(ids, 0, self._emb.shape[0] - 2, out=ids)
        vecs = pool_sums(self._emb, ids, lens)
        self._vecs = np.concatenate([self._vecs[:-1], vecs, self._vecs[-1:]])

    def _lookup(self, words: Sequence[str]) -> list[int]:
        """Row of each word, indexing and vectorising new ones (caller holds the lock)."""
        index = self._index
        known = len(index)
        setdefault = index.setdefault
        rows = [setdefault(w, len(index)) for w in words]
        if len(index) > known:
            self._add(list(islice(index, known, None)))
        return rows

    def word_vectors(self, words: Sequence[str]) -> np.ndarray:
        """``(len(words), dim)`` unit vectors of single words (from the same cache)."""
        with self._lock:
            rows = np.array(self._lookup(words), dtype=np.int64)
            vecs = self._vecs[rows]
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        np.divide(vecs, norms, out=vecs, where=norms > 0)
        return vecs

    def embed(self, sentences: Sequence[str]) -> np.ndarray:
        """``(len(sentences), dim)`` float32, each row of unit length (zero
        for a sentence without any token)."""
        n = len(sentences)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        splits = [s.split() for s in sentences]
        sizes = np.fromiter(map(len, splits), dtype=np.int64, count=n)
        flat = list(chain.from_iterable(splits))
        with self._lock:
            rows = np.array(self._lookup(flat), dtype=np.int64)
            vecs = self._vecs
        out = pool_sums(vecs, rows, sizes)
        norms = np.linalg.norm(out, axis=1)
        ok = norms > 0  # the mean's direction is the sum's: no division by the token count needed
        out[ok] /= norms[ok, None]
        return out


def embedder() -> Embedder:
    """The process's embedder (the model is loaded on the first call)."""
    global _EMBEDDER
    if _EMBEDDER is None:
        with _LOCK:
            if _EMBEDDER is None:
                _EMBEDDER = Embedder(load_model())
    return _EMBEDDER


def is_loaded() -> bool:
    """Whether this process has loaded the model yet."""
    return _EMBEDDER is not None
