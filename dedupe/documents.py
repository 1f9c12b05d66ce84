"""Documents: the text dedupe analyses, and how its offsets map back to the file.

A :class:`Document` holds ``text``, the plain prose a reader extracted from a
file.  Every finding is reported as ``start``/``end`` character offsets into
``text`` *and* as line/column positions in the original file.  For plain text
the two coincide; for Markdown, HTML, DOCX and JSON lines the reader supplies
``source_offsets`` (one entry per character of ``text``, giving the index of
that character in ``source_text``) so that positions can be mapped back.

Paragraph convention: readers that know the structure of their format
(Markdown, HTML, DOCX, JSON lines) set ``paragraphs_marked=True`` and separate
paragraphs, headings and list items in ``text`` by a blank line ("\\n\\n");
a single "\\n" inside a paragraph is then just a soft line break.  Plain text
leaves it False and the splitter works out paragraphs itself (blank lines,
indented wire-copy paragraphs, hard-wrapped lines).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field


def line_starts(text: str) -> list[int]:
    """Index of the first character of every line of ``text``."""
    starts = [0]
    find = text.find
    i = find("\n")
    while i != -1:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


@dataclass
class Document:
    """One article.

    Attributes:
        id: stable identifier: the file path, or ``path#id`` for a record of a
            JSON-lines export (``id`` the record's id field, else its line
            number), e.g. ``archive.jsonl.gz#reuters-17``.  Outputs name a
            finding by ``id``.
        path: the file the document came from, as given or found by walking
            (for a record: the export file itself, so that file-based
            features -- archive paths, ``--changed-since``, CI annotations --
            keep working).
        text: the prose that is analysed; offsets refer to this string.
        format: ``txt``, ``md``, ``html``, ``docx`` or ``jsonl``.
        title: the article's title when the format has one.
        source_text: the decoded file text that line/column positions refer
            to, when it differs from ``text`` (``None``: same as ``text``).
            For DOCX it is the paragraphs joined by newlines, so a "line" is
            a paragraph.
        source_offsets: for each character of ``text``, its index in
            ``source_text`` (``None``: identity).
        paragraphs_marked: see the module docstring.
        suppressed: ``(start, end)`` ranges of ``text`` that inline
            suppression comments switch off.
        warnings: non-fatal problems met while reading (e.g. a fallback
            decode); front ends print them.
        source_line: when set, the whole document sits on this 1-based line
            of ``source_text`` (a JSON-lines record), which starts at index
            ``source_line_start``: positions are computed from that alone,
            without the line starts of the whole file (which every record of
            a large export would otherwise hold).
        source_line_start: see ``source_line``.
    """

    id: str
    path: str
    text: str
    format: str = "txt"
    title: str | None = None
    source_text: str | None = None
    source_offsets: Sequence[int] | None = None
    paragraphs_marked: bool = False
    suppressed: list[tuple[int, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source_line: int | None = None
    source_line_start: int = 0
    _line_starts: list[int] | None = field(default=None, repr=False, compare=False)

    # -- position mapping -------------------------------------------------
    def source_index(self, offset: int) -> int:
        """Index in ``source_text`` of the character at ``offset`` of ``text``."""
        if self.source_offsets is None:
            return offset
        if not self.source_offsets:
            return 0
        if offset >= len(self.source_offsets):
            return self.source_offsets[-1] + 1
        return self.source_offsets[offset]

    def _starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = line_starts(self.source_text if self.source_text is not None else self.text)
        return self._line_starts

    def line_col(self, source_index: int) -> tuple[int, int]:
        """1-based (line, column) of an index into ``source_text``."""
        if self.source_line is not None:
            return self.source_line, source_index - self.source_line_start + 1
        starts = self._starts()
        line = bisect_right(starts, source_index)
        return line, source_index - starts[line - 1] + 1

    def location(self, start: int, end: int) -> tuple[int, int, int, int]:
        """(line, column, end_line, end_column) of ``text[start:end]``.

        Lines and columns are 1-based and count characters of the original
        file; ``end_column`` is the column just past the last character (the
        SARIF convention), on ``end_line``.
        """
        line, col = self.line_col(self.source_index(start))
        last = self.source_index(max(start, end - 1))
        end_line, end_col = self.line_col(last)
        return line, col, end_line, end_col + 1

    def is_suppressed(self, start: int, end: int) -> bool:
        """True when ``text[start:end]`` overlaps an inline-suppressed range."""
        return any(s < end and start < e for s, e in self.suppressed)

