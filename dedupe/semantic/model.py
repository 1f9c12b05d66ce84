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

import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from dedupe.errors import ConfigError

_LOCK = threading.Lock()
_EMBEDDER: "Embedder | None" = None
_BLOCK_ROWS = 16384  # word rows gathered per block (16384 x 256 float32 = 16 MB)


def wordllama_folder() -> Path:
    """The installed ``wordllama`` package folder (weights/ and tokenizers/ inside)."""
    try:
        import wordllama
    except ImportError as exc:
        raise ConfigError(
            "restatements need the optional 'wordllama' package: pip install 'dedupe-newsroom[semantic]'"
        ) from exc
    return Path(wordllama.__file__).resolve().parent


def load_model() -> Any:
    """A new ``WordLlamaInference`` loaded from the wheel, never from the network."""
    folder = wordllama_folder()
    from wordllama import WordLlama

    try:
        return WordLlama.load(cache_dir=folder, disable_download=True)
    except (FileNotFoundError, ValueError) as exc:
        raise ConfigError(f"cannot load the WordLlama model shipped in {folder}: {exc}") from exc


class Embedder:
    """Unit-length sentence vectors from a loaded WordLlama model."""

    def __init__(self, model: Any) -> None:
        self.model = model
        emb = np.ascontiguousarray(model.embedding, dtype=np.float32)
        self.dim = int(emb.shape[1])
        self._emb = emb
        tok = model.tokenizer
        tok.no_padding()
        tok.no_truncation()
        self._tok = tok
        self._index: dict[str, int] = {}
        self._vecs = np.zeros((0, self.dim), dtype=np.float32)  # sum of each word's token vectors
        self._counts = np.zeros(0, dtype=np.float32)  # tokens per word
        self._lock = threading.Lock()

    def _add_words(self, words: list[str]) -> None:
        enc = self._tok.encode_batch(words, add_special_tokens=False)
        lens = np.fromiter((len(e.ids) for e in enc), dtype=np.int64, count=len(enc))
        ids = np.fromiter((i for e in enc for i in e.ids), dtype=np.int64, count=int(lens.sum()))
        np.clip(ids, 0, self._emb.shape[0] - 1, out=ids)
        vecs = np.zeros((len(words), self.dim), dtype=np.float32)
        nz = lens > 0
        if nz.any():
            off = np.zeros(len(words) + 1, dtype=np.int64)
            np.cumsum(lens, out=off[1:])
            vecs[nz] = np.add.reduceat(self._emb[ids], off[:-1][nz], axis=0)
        self._vecs = np.concatenate([self._vecs, vecs])
        self._counts = np.concatenate([self._counts, lens.astype(np.float32)])

    def word_vectors(self, words: Sequence[str]) -> np.ndarray:
        """``(len(words), dim)`` unit vectors of single words (from the same cache)."""
        with self._lock:
            index = self._index
            new = [w for w in dict.fromkeys(words) if w not in index]
            for w in new:
                index[w] = len(index)
            if new:
                self._add_words(new)
            rows = np.fromiter((index[w] for w in words), dtype=np.int64, count=len(words))
            vecs = self._vecs[rows]
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        np.divide(vecs, norms, out=vecs, where=norms > 0)
        return vecs

    def embed(self, sentences: Sequence[str]) -> np.ndarray:
        """``(len(sentences), dim)`` float32, each row of unit length (zero
        for a sentence without any token)."""
        n = len(sentences)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        with self._lock:
            index = self._index
            rows: list[int] = []
            sizes = np.empty(n, dtype=np.int64)
            new: list[str] = []
            get = index.get
            for k, s in enumerate(sentences):
                ws = s.split()
                sizes[k] = len(ws)
                for w in ws:
                    j = get(w)
                    if j is None:
                        j = index[w] = len(index)
                        new.append(w)
                    rows.append(j)
            if new:
                self._add_words(new)
            vecs = self._vecs
        r = np.array(rows, dtype=np.int64)
        off = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(sizes, out=off[1:])
        buf = np.empty((_BLOCK_ROWS, self.dim), dtype=np.float32)
        a = 0
        while a < n:
            # as many sentences as fit in the buffer (at least one)
            b = int(np.searchsorted(off, off[a] + _BLOCK_ROWS, side="right")) - 1
            b = max(b, a + 1)
            lo, hi = off[a], off[b]
            if hi - lo > len(buf):
                buf = np.empty((hi - lo, self.dim), dtype=np.float32)
            if hi > lo:
                block = buf[: hi - lo]
                np.take(vecs, r[lo:hi], axis=0, out=block)
                live = sizes[a:b] > 0
                starts = (off[a:b] - lo)[live]
                out[a:b][live] = np.add.reduceat(block, starts, axis=0)
            a = b
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
