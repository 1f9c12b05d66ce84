"""The offline sentence embedding: WordLlama's static token vectors, mean-pooled.

``wordllama`` (the ``semantic`` extra) ships its 256-dimension weights and
tokenizer inside the wheel.  :func:`load_model` reads those two files
directly (``safetensors``, ``tokenizers``), as ``WordLlama.load()`` does, but
without importing ``wordllama`` (its import costs a third of a second and
reconfigures logging) and so without any download path: ``WordLlama.load()``
looks for ``tokenizer/`` where the wheel has ``tokenizers/`` and, unless told
``disable_download=True``, goes to the network.  The model loads once per
process, on first use; importing this module loads nothing.

:class:`Embedder` computes the same vectors as ``WordLlamaInference.embed``
(mean of the token vectors of the sentence) faster on long batches (for
text with single spaces; any other run of white space, a tab or a no-break
space, counts as one space here, where the library would embed it as a
character of a word): it
tokenises each distinct white-space word once (the tokenizer has no
pre-tokenizer, so whole sentences tokenise slowly) and sums cached word
vectors, in blocks that stay in cache.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import chain, islice
from pathlib import Path
from typing import Any

import numpy as np

from dedupe.errors import ConfigError
from dedupe.kernels import compiled

_LOCK = threading.Lock()
_EMBEDDER: Embedder | None = None
_BLOCK_ROWS = 16384  # word rows gathered per block (16384 x 256 float32 = 16 MB)


_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
_TENSOR = "embedding.weight"


def wordllama_folder() -> Path:
    """The installed ``wordllama`` package folder (``weights/`` and ``tokenizers/`` inside).

    Found without importing the package: its import pulls in ``requests``
    and calls ``logging.basicConfig(level=INFO)``, and the model needs
    neither (only its two files, read by ``safetensors`` and ``tokenizers``,
    which ``wordllama`` itself depends on)."""
    import importlib.util

    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        from dedupe.capabilities import hint_for

        raise ConfigError(f"restatements need the optional 'wordllama' package: {hint_for('semantic')}")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


@dataclass(frozen=True)
class WordModel:
    """WordLlama's static token vectors (``embedding``, one row per token id)
    and its tokenizer: what ``WordLlama.load()`` builds its inference object
    from, read from the same files."""

    embedding: np.ndarray
    tokenizer: Any
    folder: Path


def load_model() -> WordModel:
    """The 256-dimension WordLlama model shipped in the ``wordllama`` wheel, never from the network."""
    folder = wordllama_folder()
    weights, tok_file = folder / _WEIGHTS, folder / _TOKENIZER
    for f in (weights, tok_file):
        if not f.is_file():
            raise ConfigError(f"the WordLlama model shipped in {folder} is incomplete: {f.relative_to(folder)} is missing")
    try:
        from safetensors import safe_open
        from tokenizers import Tokenizer
    except ImportError as exc:  # pragma: no cover - both are wordllama's own dependencies
        raise ConfigError(f"restatements need wordllama's dependencies: {exc}") from exc
    try:
        with safe_open(str(weights), framework="np", device="cpu") as fh:
            embedding = fh.get_tensor(_TENSOR)
        tokenizer = Tokenizer.from_file(str(tok_file))
    except Exception as exc:  # a damaged install: one clear line, not a traceback
        raise ConfigError(f"cannot load the WordLlama model shipped in {folder}: {type(exc).__name__}: {exc}") from exc
    return WordModel(np.ascontiguousarray(embedding, dtype=np.float32), tokenizer, folder)


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

    def __init__(self, model: WordModel) -> None:
        emb = model.embedding
        self.dim = int(emb.shape[1])
        self._emb = np.vstack([emb, np.zeros((1, self.dim), dtype=np.float32)])  # last row: padding
        # the model's matrix is a view of the padded one: one copy of the vectors per process, not two
        self.model = replace(model, embedding=self._emb[:-1])
        tok = model.tokenizer
        tok.no_padding()
        tok.no_truncation()
        self._tok = tok
        self._index: dict[str, int] = {}
        # sum of each word's token vectors, in index order, plus a zero row (padding) at the end: a view of
        # the first rows of _buf, which grows by doubling (its unused rows stay zero)
        self._buf = np.zeros((1024, self.dim), dtype=np.float32)
        self._vecs = self._buf[:1]
        self._lock = threading.Lock()

    def _add(self, words: list[str]) -> None:
        """Vectorise ``words``, the newest entries of the index (caller holds the lock)."""
        encode = getattr(self._tok, "encode_batch_fast", self._tok.encode_batch)  # _fast: no offsets (tokenizers >= 0.20)
        enc = encode(words, add_special_tokens=False)
        lens = np.fromiter(map(len, (e.ids for e in enc)), dtype=np.int64, count=len(enc))
        ids = np.fromiter(chain.from_iterable(e.ids for e in enc), dtype=np.int64, count=int(lens.sum()))
        np.clip(ids, 0, self._emb.shape[0] - 2, out=ids)
        k = compiled()
        if k is not None:
            vecs = np.frombuffer(k.pool_rows(self._emb, self.dim, ids, lens, False), dtype=np.float32)
            vecs = vecs.reshape(-1, self.dim)
        else:
            vecs = pool_sums(self._emb, ids, lens)
        n = len(self._vecs) - 1  # rows in use; row n is the zero row
        need = n + len(vecs) + 1
        if need > len(self._buf):  # double (a copy per doubling, not per call)
            grown = np.zeros((max(need, 2 * len(self._buf)), self.dim), dtype=np.float32)
            grown[:n] = self._buf[:n]
            self._buf = grown
        self._buf[n:n + len(vecs)] = vecs
        self._vecs = self._buf[:need]

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
        k = compiled()
        if k is not None:  # the words and their sums in C; only each distinct word is looked up here
            counts_b, ids_b, first_b = k.split_words(sentences if isinstance(sentences, list) else list(sentences))
            sizes = np.frombuffer(counts_b, dtype=np.int64)
            first = np.frombuffer(first_b, dtype=np.int64).reshape(-1, 3).tolist()
            distinct = [sentences[t][a:b] for t, a, b in first]
            with self._lock:
                rows = np.array(self._lookup(distinct), dtype=np.int64)[np.frombuffer(ids_b, dtype=np.int64)]
                vecs = self._vecs
            pooled = k.pool_rows(vecs, self.dim, rows, sizes, True)  # scaled to unit length there
            return np.frombuffer(bytearray(pooled), dtype=np.float32).reshape(n, self.dim)
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
