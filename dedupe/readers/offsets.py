"""Offsets from extracted text back into the source: :class:`OffsetMap` and
:class:`TextBuilder`, which every structured reader uses to build its text."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

__all__ = ["OffsetMap", "TextBuilder"]


class OffsetMap(Sequence[int]):
    """A compact ``source_offsets``: piecewise-linear runs instead of a list.

    Run *k* says that characters ``starts[k]`` .. ``starts[k + 1] - 1`` of
    ``text`` map to consecutive source positions beginning at ``sources[k]``.
    Behaves like a read-only list of ints (indexing, slicing, ``len``,
    iteration, equality with any sequence).
    """

    __slots__ = ("_len", "_sources", "_starts")

    def __init__(self) -> None:
        self._starts = array("q")
        self._sources = array("q")
        self._len = 0

    def append_run(self, source_start: int, length: int) -> None:
        """Map the next ``length`` text characters to ``source_start`` onwards."""
        if length <= 0:
            return
        starts, sources = self._starts, self._sources
        if starts and sources[-1] + (self._len - starts[-1]) == source_start:
            self._len += length  # continues the previous run
            return
        starts.append(self._len)
        sources.append(source_start)
        self._len += length

    def runs(self) -> tuple[list[int], list[int]]:
        """The runs as ``(starts, sources)``: run *k* maps text characters
        ``starts[k]`` onwards to source positions ``sources[k]`` onwards."""
        return self._starts.tolist(), self._sources.tolist()

    @classmethod
    def from_runs(cls, starts: Sequence[int], sources: Sequence[int], length: int) -> OffsetMap:
        """The map with the given runs (as :meth:`runs` returns them) over
        ``length`` text characters."""
        out = cls()
        for k, (start, source) in enumerate(zip(starts, sources)):
            end = starts[k + 1] if k + 1 < len(starts) else length
            out.append_run(source, end - start)
        return out

    @classmethod
    def from_offsets(cls, offsets: Iterable[int]) -> OffsetMap:
        """Compress an explicit list of offsets."""
        out = cls()
        for offset in offsets:
            out.append_run(offset, 1)
        return out

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> list[int]: ...

    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._len))]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("offset index out of range")
        k = bisect_right(self._starts, index) - 1
        return self._sources[k] + (index - self._starts[k])

    def __iter__(self) -> Iterator[int]:
        starts, sources, n = self._starts, self._sources, len(self._starts)
        for k in range(n):
            end = starts[k + 1] if k + 1 < n else self._len
            yield from range(sources[k], sources[k] + end - starts[k])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return len(other) == self._len and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"OffsetMap(len={self._len}, runs={len(self._starts)})"



class TextBuilder:
    """Accumulates extracted text with one source offset per character.

    Handles paragraph separation (``"\\n\\n"`` between non-empty paragraphs,
    leading/trailing whitespace of a paragraph dropped) and suppression
    markers met while extracting.
    """

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.offsets: list[int] = []
        self.suppressed: list[tuple[int, int]] = []
        self._para_start: int | None = None  # None: between paragraphs
        self._ignore_pending = False
        self._ignore_start: int | None = None
        self._off_pending = False
        self._off_start: int | None = None

    def add(self, text: str, offsets: Iterable[int]) -> None:
        """Append characters of ``text`` mapped to ``offsets``."""
        chars, offs = self.chars, self.offsets
        for ch, off in zip(text, offsets):
            if self._para_start is None:
                if ch.isspace():
                    continue
                self._start_paragraph(off)
            chars.append(ch)
            offs.append(off)

    def add_span(self, text: str, source_start: int) -> None:
        """Append ``text`` that sits verbatim at ``source_start`` in the source."""
        self.add(text, range(source_start, source_start + len(text)))

    def add_char(self, ch: str, offset: int) -> None:
        """Append one character."""
        self.add(ch, (offset,))

    def _start_paragraph(self, first_offset: int) -> None:
        if self.chars:
            after = self.offsets[-1] + 1
            self.chars.extend("\n\n")
            self.offsets.extend((after, after))
        self._para_start = len(self.chars)
        if self._ignore_pending:
            self._ignore_pending = False
            self._ignore_start = self._para_start
        if self._off_pending:
            self._off_pending = False
            self._off_start = self._para_start

    def paragraph_text(self) -> str:
        """The text of the paragraph being built ('' between paragraphs)."""
        if self._para_start is None:
            return ""
        return "".join(self.chars[self._para_start:]).strip()

    def line_break(self, offset: int) -> bool:
        """A line break inside the current paragraph (an HTML ``<br>``): trailing white space becomes
        one ``"\\n"`` mapped to ``offset``.  False (nothing added) between paragraphs."""
        if self._para_start is None:
            return False
        while len(self.chars) > self._para_start and self.chars[-1].isspace():
            self.chars.pop()
            self.offsets.pop()
        self.chars.append("\n")
        self.offsets.append(offset)
        return True

    def end_paragraph(self) -> None:
        """Close the current paragraph, if any."""
        if self._para_start is None:
            return
        while self.chars and self.chars[-1].isspace():
            self.chars.pop()
            self.offsets.pop()
        if self._ignore_start is not None:
            if len(self.chars) > self._ignore_start:
                self.suppressed.append((self._ignore_start, len(self.chars)))
            self._ignore_start = None
        self._para_start = None

    def marker(self, kind: str) -> None:
        """Apply a suppression marker (``ignore``, ``off`` or ``on``)."""
        kind = kind.lower()
        if kind == "ignore":
            self._ignore_pending = True
        elif kind == "off":
            if self._off_start is None and not self._off_pending:
                if self._para_start is None:
                    self._off_pending = True
                else:
                    self._off_start = len(self.chars)
        else:  # on
            if self._off_pending:
                self._off_pending = False
            elif self._off_start is not None:
                end = len(self.chars)
                if end > self._off_start:
                    self.suppressed.append((self._off_start, end))
                self._off_start = None

    def finish(self) -> tuple[str, OffsetMap, list[tuple[int, int]]]:
        """Close everything; return ``(text, source_offsets, suppressed)``."""
        self.end_paragraph()
        if self._off_start is not None and len(self.chars) > self._off_start:
            self.suppressed.append((self._off_start, len(self.chars)))
            self._off_start = None
        return "".join(self.chars), OffsetMap.from_offsets(self.offsets), sorted(self.suppressed)

