"""Word alignment between copies: which words they share and which differ.

Front ends highlight the shared words and mark the differing ones, as a diff
reads.  Alignment runs on normalised word tokens (so case, curly quotes and
dashes do not count as differences) and maps back to character offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from dedupe.text.normalize import token_spans


@dataclass(frozen=True)
class Span:
    """A word of a member's text: offsets relative to that text, and whether
    it is shared with the other copy (or with every other copy)."""

    start: int
    end: int
    shared: bool


def _pair_flags(a: Sequence[str], b: Sequence[str]) -> tuple[list[bool], list[bool]]:
    """Which tokens of ``a`` and of ``b`` one alignment matches (a diff's view)."""
    fa = [False] * len(a)
    fb = [False] * len(b)
    sm = SequenceMatcher(None, a, b, autojunk=False)
    for block in sm.get_matching_blocks():
        for k in range(block.size):
            fa[block.a + k] = True
            fb[block.b + k] = True
    return fa, fb


def align_pair(text_a: str, text_b: str) -> tuple[list[Span], list[Span]]:
    """Word spans of both texts with ``shared`` set where the words align."""
    ta = token_spans(text_a)
    tb = token_spans(text_b)
    fa, fb = _pair_flags([t for _, _, t in ta], [t for _, _, t in tb])
    return (
        [Span(s, e, f) for (s, e, _), f in zip(ta, fa)],
        [Span(s, e, f) for (s, e, _), f in zip(tb, fb)],
    )


def align_group(texts: Sequence[str], max_full: int = 12) -> list[list[Span]]:
    """Word spans of every text, ``shared`` where the word aligns with *every*
    other text of the group (the words all copies have in common).

    Groups larger than ``max_full`` are aligned against their first text only
    (linear rather than quadratic work; repeats that large are verbatim).
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
