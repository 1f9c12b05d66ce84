"""Typed interface of the compiled kernels (``_speedups.c``).

Array arguments take any object exposing a C-contiguous buffer of the named
dtype (numpy arrays as the callers pass them); array results are ``bytes``
to be viewed with ``numpy.frombuffer``.  Each function's pure-Python twin
is named in :mod:`dedupe.kernels`.
"""

from collections.abc import Sequence

from typing_extensions import Buffer

def count_tokens(text: str, start: int, end: int, /) -> int:
    """``len(TOKEN_RE.findall(text, start, end))``."""

def shingle_units(texts: list[str], starts: Buffer, ends: Buffer, n: int, /) -> tuple[bytes, bytes, bytes]:
    """Word n-gram fingerprints of each ``texts[i][starts[i]:ends[i]]``: (uint64 fps, int64 offsets, uint64 set keys)."""

def join_tokens(text: str, /) -> str:
    """``' '.join(TOKEN_RE.findall(text))``."""

def token_spans(text: str, /) -> list[tuple[int, int, str]]:
    """``[(m.start(), m.end(), m.group().lower()) for m in TOKEN_RE.finditer(text)]``."""

def word_hash64(word: str, /) -> int:
    """First 8 bytes of SHA-1 of the UTF-8 word, little-endian."""

def element_frequencies(fps: Buffer, /) -> bytes:
    """int32 per element of ``fps`` (uint64): how often it occurs in ``fps``."""

def count_at_least(freq: Buffer, offsets: Buffer, k: int, /) -> bytes:
    """int64 per set: its elements with ``freq >= k``."""

def sort_keyed(keys: Buffer, vals: Buffer, /) -> tuple[bytes, bytes]:
    """(uint64 keys, uint32 vals) sorted by (key, val)."""

def merge_keyed(runs: Sequence[tuple[Buffer, Buffer]], /) -> tuple[bytes, bytes]:
    """Sorted (keys, vals) runs merged by (key, val)."""

def containment_pairs(fps: Buffer, offsets: Buffer, freq: Buffer, threshold: float, max_posting: int, /) -> bytes:
    """int64 pairs (a, b) of sets that may reach ``threshold`` containment (exact prefix filter)."""

def short_candidates(fps: Buffer, offsets: Buffer, freq: Buffer | None, max_size: int, max_posting: int, slack: int,
                     /) -> tuple[bytes, bytes]:
    """int64 pairs (a, b) of short sets sharing all but ``slack`` elements, and int64 counts shared."""

def verify_pairs(pairs: Buffer, fps: Buffer, offsets: Buffer, /) -> bytes:
    """int64 intersection size of each pair's sets."""

def paragraph_spans_plain(text: str, /) -> list[tuple[int, int]]:
    """``dedupe.text.split.paragraph_spans(text, marked=False)``."""

def band_pairs(sigs: Buffer, n: int, width: int, bands: int, rows: int, max_bucket: int, /) -> bytes:
    """int64 pairs of signature rows sharing a band."""

def split_words(texts: Sequence[str], /) -> tuple[bytes, bytes, bytes]: ...
def pool_rows(table: Buffer, dim: int, rows: Buffer, counts: Buffer, unit: bool, /) -> bytes: ...
def csr_take(values: Buffer, offsets: Buffer, rows: Buffer, /) -> tuple[bytes, bytes]:
    """(uint64 values, int64 offsets) of the given CSR rows."""

def boundary_flags(text: str, paras: list[tuple[int, int]], /) -> bytes:
    """1 per paragraph that may hold a sentence break, else 0."""

def paragraph_units(text: str, low: str, paras: list[tuple[int, int]], punkt: list[list[tuple[int, int]]],
                    min_words: int, want_quotes: bool, /) -> tuple[int, bytes]:
    """(sentences, int64 triples (kind, start, end)) of the units of each paragraph."""

def quote_spans(text: str, start: int, end: int, /) -> list[tuple[int, int]]:
    """Spans of quotations inside ``text[start:end]``."""

def matching_blocks(a: Sequence[object], b: Sequence[object], /) -> list[tuple[int, int, int]]:
    """``[m for m in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() if m.size]``."""

def word_links(pairs: Buffer, words: list[Sequence[object]], threshold: float, max_changed: int, /) -> bytes:
    """float64 per pair: ``dedupe.sketch.verify.word_link(words[a], words[b], threshold)``, -1 for None."""

def minhash32(x: Buffer, offsets: Buffer, a: Buffer, b: Buffer, /) -> bytes:
    """uint32 (sets x len(a)): per-set minima of ``a*x + b mod 2**32``."""
