"""Quotations: the spans between quotation marks, as units of their own.

The same quotation used twice is a finding even when its attribution differs
("..., said White House press secretary Jen Psaki" / "..., Psaki said"), so
quotes are extracted from each paragraph and compared with other quotes.
Handled: curly double quotes, straight double quotes (paired in order within
a paragraph), curly single quotes used as quotation marks (an opening ‘ after
a space or start of paragraph) and guillemets.  A quote may span several
sentences; it never crosses a paragraph (a multi-paragraph quote reopens in
every paragraph and so is one unit per paragraph).  An unclosed quote runs to
the end of its paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_PAIRS = {"\u201c": "\u201d", "\u00ab": "\u00bb", "\u201e": "\u201c", "\u2018": "\u2019"}


_MARKS = re.compile('["\u201c\u00ab\u201e\u2018]')


def quote_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Yield ``(qstart, qend)`` of each quotation inside ``text[start:end]``.

    Offsets are into ``text`` and exclude the quotation marks themselves.
    (:mod:`dedupe.kernels._speedups` has the same loop compiled, ``quote_spans``.)
    """
    i = start
    search = _MARKS.search
    while i < end:
        m = search(text, i, end)
        if m is None:
            return
        i = m.start()
        ch = text[i]
        if ch == '"':
            close = text.find('"', i + 1, end)
        else:
            if ch == "\u2018" and i > start and not (text[i - 1].isspace() or text[i - 1] in "(\u2014\u2013-\u201c"):
                i += 1
                continue
            close = _find_closer(text, i + 1, end, ch, _PAIRS[ch])
        q_end = close if close != -1 else end
        yield from _emit(text, i + 1, q_end)
        i = q_end + 1


def _find_closer(text: str, pos: int, end: int, opener: str, closer: str) -> int:
    """Closing mark for ``opener``; for ‘ a ’ not followed by a letter
    (so apostrophes in "Russia’s" do not close it)."""
    while True:
        close = text.find(closer, pos, end)
        if close == -1:
            return -1
        if opener != "\u2018":
            return close
        nxt = text[close + 1] if close + 1 < len(text) else " "
        if not nxt.isalpha():
            return close
        pos = close + 1


def _emit(text: str, s: int, e: int) -> Iterator[tuple[int, int]]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and (text[e - 1].isspace()):
        e -= 1
    if s < e:
        yield s, e
