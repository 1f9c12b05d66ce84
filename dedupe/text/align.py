"""Word alignment between copies: which words they share and which differ.

Front ends highlight the shared words and mark the differing ones, as a diff
reads.  Alignment runs on normalised word tokens (so case, curly quotes and
dashes do not count as differences) and maps back to character offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from dedupe import kernels
from dedupe.text.normalize import token_spans


@dataclass(frozen=True)
class Span:
    """A word of a member's text: offsets relative to that text, and whether
    it is shared with the other copy (or with every other copy)."""

    start: int
    end: int
    shared: bool


def matching_blocks(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int, int]]:
    """The word alignment of two token sequences: ``(i, j, size)`` runs where ``a[i:i+size] ==
    b[j:j+size]``, in order (difflib's longest-matching-block alignment, no junk heuristic).  Every
    view of what two copies share goes through here: the highlighting, the differences in the JSON,
    the word-level verification of short units and the changed details.  The compiled kernel
    (``matching_blocks``) gives the same blocks."""
    fast = kernels.compiled()
    if fast is not None:
        out: list[tuple[int, int, int]] = fast.matching_blocks(a, b)
        return out
    sm = SequenceMatcher(None, a, b, autojunk=False)
    return [(m.a, m.b, m.size) for m in sm.get_matching_blocks() if m.size]


def word_similarity(a: Sequence[str], b: Sequence[str]) -> tuple[float, int]:
    """``(similarity, changed)`` of two token sequences by word alignment: the share of the longer one's
    words that align (``matched / max(len)``), and how many of its words do not (tokens replaced,
    inserted or deleted).  "Some 500 residents fled" and "Some 1001 residents fled" are 0.75 and 1."""
    n = max(len(a), len(b))
    if n == 0:
        return 0.0, 0
    matched = sum(size for _, _, size in matching_blocks(a, b))
    return matched / n, n - matched


def _pair_flags(a: Sequence[str], b: Sequence[str]) -> tuple[list[bool], list[bool]]:
    """Which tokens of ``a`` and of ``b`` one alignment matches (a diff's view)."""
    fa = [False] * len(a)
    fb = [False] * len(b)
    for i, j, size in matching_blocks(a, b):
        for k in range(size):
            fa[i + k] = True
            fb[j + k] = True
    return fa, fb


#: Word spans of the last texts diffed (a cluster's representative is diffed against each other copy).
_spans = lru_cache(maxsize=64)(token_spans)


@dataclass(frozen=True)
class Change:
    """One difference between two copies: the words of ``a`` (``a_start:a_end``, character offsets
    into its text; empty for an insertion) replaced by those of ``b``."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_text: str
    b_text: str
    a_tokens: tuple[str, ...]
    b_tokens: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"a": {"start": self.a_start, "end": self.a_end, "text": self.a_text},
                "b": {"start": self.b_start, "end": self.b_end, "text": self.b_text}}


def diff_pair(text_a: str, text_b: str) -> list[Change]:
    """The aligned differences between two texts (:func:`matching_blocks` over normalised word tokens),
    each with the character offsets of its words in both texts; empty when the words are the same."""
    ta = _spans(text_a)
    tb = _spans(text_b)
    wa = [t for _, _, t in ta]
    wb = [t for _, _, t in tb]
    out: list[Change] = []
    i = j = 0
    for bi, bj, size in [*matching_blocks(wa, wb), (len(wa), len(wb), 0)]:
        if bi > i or bj > j:
            a_s = ta[i][0] if bi > i else (ta[i - 1][1] if i else 0)
            a_e = ta[bi - 1][1] if bi > i else a_s
            b_s = tb[j][0] if bj > j else (tb[j - 1][1] if j else 0)
            b_e = tb[bj - 1][1] if bj > j else b_s
            out.append(Change(a_s, a_e, b_s, b_e, text_a[a_s:a_e], text_b[b_s:b_e],
                              tuple(wa[i:bi]), tuple(wb[j:bj])))
        i, j = bi + size, bj + size
    return out


def align_pair(text_a: str, text_b: str) -> tuple[list[Span], list[Span]]:
    """Word spans of both texts with ``shared`` set where the words align."""
    ta = _spans(text_a)
    tb = _spans(text_b)
    fa, fb = _pair_flags([t for _, _, t in ta], [t for _, _, t in tb])
    return (
        [Span(s, e, f) for (s, e, _), f in zip(ta, fa)],
        [Span(s, e, f) for (s, e, _), f in zip(tb, fb)],
    )


def align_group(texts: Sequence[str], max_full: int = 3) -> list[list[Span]]:
    """Word spans of every text, ``shared`` where the word aligns with *every*
    other text of the group (the words all copies have in common).

    Groups larger than ``max_full`` are aligned against their first text (the
    cluster's representative) only: linear rather than quadratic work, so an
    archive holding many near-copies of a sentence costs what its copies do.
    """
    toks = [token_spans(t) for t in texts]
    words = [[w for _, _, w in t] for t in toks]
    n = len(texts)
    flags = [[n > 1] * len(t) for t in toks]
    for i in range(n):
        others = range(i + 1, n) if n <= max_full else ([] if i else range(1, n))
        for j in others:
            fi, fj = _pair_flags(words[i], words[j])
            flags[i] = [f and g for f, g in zip(flags[i], fi)]
            flags[j] = [f and g for f, g in zip(flags[j], fj)]
    return [[Span(s, e, f) for (s, e, _), f in zip(t, fl)] for t, fl in zip(toks, flags)]


def marked_spans(text: str, shared: Sequence[tuple[int, int]]) -> list[Span]:
    """Word spans of ``text`` with ``shared`` set for words inside any of the ``shared`` character ranges
    (a restatement's shared words and figures, found by meaning rather than by alignment)."""
    out = []
    for s, e, _ in token_spans(text):
        out.append(Span(s, e, any(a < e and s < b for a, b in shared)))
    return out
