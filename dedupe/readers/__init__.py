"""Readers: turn files on disk into :class:`~dedupe.documents.Document` objects.

Supported formats (chosen by file extension, see :data:`SUPPORTED_EXTENSIONS`):

``txt``
    The decoded file is the text; offsets are the identity.
``md``
    Prose only (headings, paragraphs, list items, quotes, table cells), one
    paragraph per block, with ``source_offsets`` pointing every character back
    into the Markdown source.
``html``
    Article text only (``<article>``, else ``<main>``, else ``<body>``), with
    navigation, scripts, headers, footers ... removed and entities decoded;
    ``source_offsets`` point into the HTML source.
``docx``
    Paragraphs (and table cells) in document order; ``source_text`` is the
    paragraphs joined by newlines, so a "line" is a paragraph number.
``jsonl``
    One article per line; ``source_offsets`` point at the JSON encoding of each
    character inside the raw string literal of the text field.

Every reader decodes bytes the same way (UTF-8 with or without BOM, else
cp1252/latin-1 with a warning; CRLF and CR normalised to LF in both ``text``
and ``source_text``) and honours inline suppression markers::

    <!-- dedupe-ignore -->     the next paragraph is not analysed
    <!-- dedupe off -->        everything up to <!-- dedupe on --> (or the end)
    <!-- dedupe on -->

In plain text (and JSONL text values) the markers work on a line of their own,
and ``[dedupe-ignore]``, ``[dedupe off]``, ``[dedupe on]`` are accepted too.

Problems reading a file raise :class:`~dedupe.errors.InputError` with a
one-line, lower-case message; :func:`read_documents` collects them instead of
stopping at the first bad file.
"""

from __future__ import annotations

import codecs
import os
import re
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Sequence, overload

from dedupe.documents import Document, line_starts
from dedupe.errors import InputError

__all__ = [
    "ReadOptions",
    "SUPPORTED_EXTENSIONS",
    "FORMATS",
    "OffsetMap",
    "read_file",
    "iter_paths",
    "read_documents",
]


@dataclass
class ReadOptions:
    """How files are found and interpreted.

    Attributes:
        id_field: JSONL key holding the record id.
        text_field: JSONL key holding the article text.
        title_field: JSONL key holding the title.
        include: glob patterns; when walking a directory only files whose path
            relative to the walked directory, or whose basename, matches one
            of them are read.  Empty: every file with a supported extension.
        exclude: glob patterns matched the same way; matching directories are
            pruned (e.g. ``"drafts/old/*"``, ``"*.min.html"``, ``".git"``).
    """

    id_field: str = "id"
    text_field: str = "text"
    title_field: str = "title"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}

#: The format names :func:`read_file` accepts as ``fmt``.
FORMATS: tuple[str, ...] = ("txt", "md", "html", "docx", "jsonl")


# ---------------------------------------------------------------------------
# Offsets
# ---------------------------------------------------------------------------


class OffsetMap(Sequence[int]):
    """A compact ``source_offsets``: piecewise-linear runs instead of a list.

    Run *k* says that characters ``starts[k]`` .. ``starts[k + 1] - 1`` of
    ``text`` map to consecutive source positions beginning at ``sources[k]``.
    Behaves like a read-only list of ints (indexing, slicing, ``len``,
    iteration, equality with any sequence).
    """

    __slots__ = ("_starts", "_sources", "_len")

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

    @classmethod
    def from_offsets(cls, offsets: Iterable[int]) -> "OffsetMap":
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


# ---------------------------------------------------------------------------
# Suppression markers
# ---------------------------------------------------------------------------

_COMMENT_MARKER_RE = re.compile(r"<!--\s*dedupe[- \t]+(ignore|off|on)\s*-->", re.I)
_MARKER_BODY_RE = re.compile(r"\s*dedupe[- \t]+(ignore|off|on)\s*", re.I)
_LINE_MARKER_RE = re.compile(
    r"^[ \t]*(?:<!--[ \t]*dedupe[- \t]+(ignore|off|on)[ \t]*-->"
    r"|\[dedupe[- \t]+(ignore|off|on)\])[ \t]*$",
    re.I | re.M,
)
_INNER_BLANK_RE = re.compile(r"\n[ \t]*\n")


def _line_marker(line: str) -> str | None:
    """``ignore``/``off``/``on`` if ``line`` is a marker on its own, else None."""
    m = _LINE_MARKER_RE.fullmatch(line.strip())
    return (m.group(1) or m.group(2)).lower() if m else None


def _plain_suppressions(text: str) -> list[tuple[int, int]]:
    """Suppressed ranges of a plain text from marker lines.

    A marker must be alone on its line.  ``ignore`` covers the next paragraph:
    the following non-blank lines up to a blank line or another marker; when
    the text has no blank lines at all (one paragraph per line, as in many
    feeds) it is just the next non-blank line.  ``off`` runs from the line
    after the marker to the start of the ``on`` marker line, or to the end.
    """
    if "dedupe" not in text.lower():  # the usual case, 5x faster than the regex
        return []
    markers = [
        ((m.group(1) or m.group(2)).lower(), m.start(), m.end())
        for m in _LINE_MARKER_RE.finditer(text)
    ]
    if not markers:
        return []
    marker_lines = {start for _, start, _ in markers}
    line_mode = _INNER_BLANK_RE.search(text.strip()) is None
    out: list[tuple[int, int]] = []
    off_start: int | None = None
    for kind, start, end in markers:
        if kind == "ignore":
            if off_start is not None:
                continue
            pos = end + 1
            # skip blank lines to the paragraph's first line
            while pos < len(text):
                nl = text.find("\n", pos)
                line_end = len(text) if nl == -1 else nl
                if text[pos:line_end].strip():
                    break
                pos = line_end + 1
            if pos >= len(text) or pos in marker_lines:
                continue
            para_end = pos
            while para_end < len(text):
                nl = text.find("\n", para_end)
                line_end = len(text) if nl == -1 else nl
                if para_end in marker_lines or not text[para_end:line_end].strip():
                    break
                para_end = line_end
                if line_mode:
                    break
                para_end += 1
            para_start = pos + (len(text[pos:]) - len(text[pos:].lstrip()))
            para_end = len(text[:para_end].rstrip())
            if para_end > para_start:
                out.append((para_start, para_end))
        elif kind == "off":
            if off_start is None:
                off_start = min(end + 1, len(text))
        elif off_start is not None:  # on
            if start > off_start:
                out.append((off_start, start))
            off_start = None
    if off_start is not None and off_start < len(text):
        out.append((off_start, len(text)))
    return out


class _Builder:
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


# ---------------------------------------------------------------------------
# Bytes -> text
# ---------------------------------------------------------------------------


def _read_bytes(path: str) -> bytes:
    """The file's bytes, with OS errors turned into :class:`InputError`."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputError("no such file or directory", path) from None
    except IsADirectoryError:
        raise InputError("is a directory", path) from None
    except PermissionError:
        raise InputError("permission denied", path) from None
    except OSError as exc:
        reason = (exc.strerror or str(exc) or "cannot read file").lower()
        raise InputError(reason, path) from None


def _decode(data: bytes, path: str, warnings: list[str]) -> str:
    """Decode a text file: UTF-8 (BOM stripped), else cp1252, else latin-1.

    Newlines are normalised to ``"\\n"`` so that line/column positions count
    what an editor shows.  NUL bytes mean a binary file.
    """
    text: str | None = None
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError("binary file, not an article", path) from None
        if "\x00" in text:
            raise InputError("binary file, not an article", path)
    if text is None:
        if b"\x00" in data:
            raise InputError("binary file, not an article", path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
                warnings.append("not valid UTF-8; decoded as cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
                warnings.append("not valid UTF-8; decoded as latin-1")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# ---------------------------------------------------------------------------
# Plain text
# ---------------------------------------------------------------------------


def _read_txt(path: str, data: bytes, options: ReadOptions) -> list[Document]:
    """Plain text: the decoded file is the text (identity offsets)."""
    warnings: list[str] = []
    text = _decode(data, path, warnings)
    return [
        Document(
            id=path,
            path=path,
            text=text,
            format="txt",
            suppressed=_plain_suppressions(text),
            warnings=warnings,
        )
    ]


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------

_ENTITY_RE = re.compile(r"&(?:#[xX][0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);?")
_FRONT_TITLE_RE = re.compile(r"""^title\s*[:=]\s*(.*?)\s*$""", re.M | re.I)
_SEARCH_WINDOW = 256


def _unescape(entity: str) -> str:
    """Decode an HTML character reference (``html`` imported on first use)."""
    import html

    return html.unescape(entity)


@lru_cache(maxsize=1)
def _markdown_parser() -> Any:
    from markdown_it import MarkdownIt  # lazy: only Markdown files pay for it

    return MarkdownIt("commonmark").enable("table")


def _front_matter(lines: list[str]) -> tuple[int, str | None]:
    """Number of front-matter lines at the top (0 if none) and its title."""
    if not lines or lines[0].rstrip() not in ("---", "+++"):
        return 0, None
    fence = lines[0].rstrip()
    closers = ("---", "...") if fence == "---" else ("+++",)
    for i in range(1, len(lines)):
        if lines[i].rstrip() in closers:
            m = _FRONT_TITLE_RE.search("\n".join(lines[1:i]))
            title = m.group(1).strip("'\"").strip() if m else None
            return i + 1, title or None
    return 0, None


class _SourceCursor:
    """Finds, left to right, where extracted characters sit in the source."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.pos = 0
        self.end = len(src)

    def locate(self, ch: str) -> int:
        """Source index of the next occurrence of ``ch`` (an entity or a
        backslash escape of it counts); the cursor moves past it.  When it
        cannot be found nearby the current position is returned unchanged."""
        src, pos, end = self.src, self.pos, self.end
        if pos < end:
            c = src[pos]
            if c == ch:
                self.pos = pos + 1
                return pos
            if c == "&":
                m = _ENTITY_RE.match(src, pos, end)
                if m:
                    if _unescape(m.group()).startswith(ch):
                        self.pos = m.end()
                        return pos
            if c == "\\" and pos + 1 < end and src[pos + 1] == ch:
                self.pos = pos + 2
                return pos
            if ch == " " and c == "\n":  # code spans turn newlines into spaces
                self.pos = pos + 1
                return pos
        i = src.find(ch, pos, min(end, pos + _SEARCH_WINDOW))
        if i >= 0:
            self.pos = i + 1
            return i
        return min(pos, max(len(src) - 1, 0))

    def skip_to(self, needle: str) -> int:
        """Move past the next ``needle``; return where it started (or -1)."""
        i = self.src.find(needle, self.pos, self.end)
        if i >= 0:
            self.pos = i + len(needle)
        return i

    def skip_bracketed(self, open_: str, close: str) -> None:
        """At ``open_``: move past the matching ``close`` (escapes honoured)."""
        src, i, depth = self.src, self.pos, 0
        while i < self.end:
            c = src[i]
            if c == "\\":
                i += 2
                continue
            if c == open_:
                depth += 1
            elif c == close:
                depth -= 1
                if depth == 0:
                    self.pos = i + 1
                    return
            i += 1

    def skip_link_tail(self) -> None:
        """After a link's text: move past ``](url "title")`` / ``][ref]`` / ``]``."""
        src = self.src
        if self.skip_to("]") < 0:
            return
        if self.pos < self.end and src[self.pos] == "(":
            self.skip_bracketed("(", ")")
        elif self.pos < self.end and src[self.pos] == "[":
            self.skip_bracketed("[", "]")


def _markdown_inline(token: Any, cursor: _SourceCursor, out: _Builder) -> None:
    """Extract the prose of one inline token, mapping each char to the source."""
    children = token.children or []
    skip_until_close = False
    for child in children:
        kind = child.type
        if skip_until_close:
            if kind == "link_close":
                skip_until_close = False
                cursor.skip_to(">")
            continue
        if kind == "text":
            for ch in child.content:
                out.add_char(ch, cursor.locate(ch))
        elif kind in ("softbreak", "hardbreak"):
            i = cursor.skip_to("\n")
            out.add_char("\n", i if i >= 0 else cursor.pos)
        elif kind == "code_inline":
            cursor.skip_to(child.markup or "`")
            for ch in child.content:
                out.add_char(ch, cursor.locate(ch))
            cursor.skip_to(child.markup or "`")
        elif kind == "link_open" and child.markup == "autolink":
            cursor.skip_to("<")
            skip_until_close = True  # a bare URL is not prose
        elif kind == "link_close":
            cursor.skip_link_tail()
        elif kind == "image":
            if cursor.skip_to("![") >= 0:
                cursor.pos -= 1
                cursor.skip_bracketed("[", "]")
                if cursor.pos < cursor.end and cursor.src[cursor.pos] in "([":
                    close = ")" if cursor.src[cursor.pos] == "(" else "]"
                    cursor.skip_bracketed(cursor.src[cursor.pos], close)
        elif kind == "html_inline":
            m = _COMMENT_MARKER_RE.fullmatch(child.content.strip())
            if m:
                out.marker(m.group(1))
            cursor.skip_to(child.content)
        # emphasis/strong/link_open markup: nothing to emit; locate() skips it


def _read_markdown(path: str, data: bytes, options: ReadOptions) -> list[Document]:
    """Markdown: prose blocks only, one paragraph each, mapped to the source.

    Front matter, code blocks, HTML blocks, link and image URLs are left out;
    headings, paragraphs, list items, quoted paragraphs and table cells become
    paragraphs of ``text``.  Each character is located in the source by a
    forward search from the block's first line (markup characters between two
    extracted characters are skipped).
    """
    warnings: list[str] = []
    src = _decode(data, path, warnings)
    lines = src.split("\n")
    fm_lines, fm_title = _front_matter(lines)
    parse_src = "\n" * fm_lines + "\n".join(lines[fm_lines:]) if fm_lines else src
    tokens = _markdown_parser().parse(parse_src)

    starts = line_starts(src)
    cursor = _SourceCursor(src)
    out = _Builder()
    title: str | None = None
    in_heading = False
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            in_heading = True
        elif kind == "heading_close":
            in_heading = False
        elif kind == "html_block":
            for m in _COMMENT_MARKER_RE.finditer(token.content):
                out.marker(m.group(1))
        elif kind == "inline":
            if token.map:
                first, last = token.map
                cursor.pos = max(cursor.pos, starts[first] if first < len(starts) else len(src))
                cursor.end = starts[last] if last < len(starts) else len(src)
            out.end_paragraph()
            _markdown_inline(token, cursor, out)
            if in_heading and title is None:
                title = out.paragraph_text() or None
            out.end_paragraph()
    text, offsets, suppressed = out.finish()
    return [
        Document(
            id=path,
            path=path,
            text=text,
            format="md",
            title=title or fm_title,
            source_text=src,
            source_offsets=offsets,
            paragraphs_marked=True,
            suppressed=suppressed,
            warnings=warnings,
        )
    ]


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

_HTML_SKIP = frozenset(
    "script style noscript template nav header footer aside form svg head".split()
)
_HTML_BLOCK = frozenset(
    """p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote br hr tr td th table
    thead tbody tfoot caption section article main figure figcaption pre address
    details summary body html title""".split()
) | _HTML_SKIP
_HTML_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)

# an extracted piece of HTML: (kind, payload, article id, main id, in body)
_HtmlItem = tuple[str, Any, "int | None", "int | None", bool]


def _html_items(src: str) -> tuple[list[_HtmlItem], str | None]:
    """Parse HTML into text/break/marker items tagged with their container."""
    import html
    from html.parser import HTMLParser

    starts = line_starts(src)

    class _Parser(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=False)
            # (tag, article id, main id, in body) for each open element
            self.stack: list[tuple[str, int | None, int | None, bool]] = []
            self.skip = 0
            self.items: list[_HtmlItem] = []
            self.next_id = 0
            self.title_parts: list[str] | None = None
            self.title: str | None = None
            self.h1_parts: list[str] | None = None
            self.h1: str | None = None

        # -- context ---------------------------------------------------
        def ctx(self) -> tuple[int | None, int | None, bool]:
            return self.stack[-1][1:] if self.stack else (None, None, False)

        def emit(self, kind: str, payload: Any) -> None:
            self.items.append((kind, payload, *self.ctx()))

        def abs_pos(self) -> int:
            line, col = self.getpos()
            return starts[line - 1] + col

        # -- tags ------------------------------------------------------
        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag in _HTML_VOID:
                if tag in _HTML_BLOCK and not self.skip:
                    self.emit("break", None)
                return
            article, main, body = self.ctx()
            if tag == "article" and article is None:
                article, self.next_id = self.next_id, self.next_id + 1
            elif tag == "main" and main is None:
                main, self.next_id = self.next_id, self.next_id + 1
            elif tag == "body":
                body = True
            in_svg = any(t == "svg" for t, *_ in self.stack)
            self.stack.append((tag, article, main, body))
            if tag in _HTML_BLOCK and not self.skip:
                self.emit("break", None)
            if tag in _HTML_SKIP:
                self.skip += 1
            if tag == "title" and self.title is None and not in_svg:
                self.title_parts = []
            if tag == "h1" and self.h1 is None:
                self.h1_parts = []

        def handle_endtag(self, tag: str) -> None:
            if not any(t == tag for t, *_ in self.stack):
                if tag in ("p", "br") and not self.skip:
                    self.emit("break", None)
                return
            while self.stack:
                top = self.stack[-1][0]
                if top in _HTML_SKIP:
                    self.skip -= 1
                if top in _HTML_BLOCK and not self.skip:
                    self.emit("break", None)
                self.stack.pop()
                self.close_capture(top)
                if top == tag:
                    break

        def close_capture(self, tag: str) -> None:
            if tag == "title" and self.title_parts is not None:
                self.title = " ".join("".join(self.title_parts).split()) or None
                self.title_parts = None
            elif tag == "h1" and self.h1_parts is not None:
                self.h1 = " ".join("".join(self.h1_parts).split()) or None
                self.h1_parts = None

        # -- text ------------------------------------------------------
        def text(self, raw: str, start: int) -> None:
            decoded, offsets = _decode_entities(raw, start, html.unescape)
            for parts in (self.title_parts, self.h1_parts):
                if parts is not None:
                    parts.append(decoded)
            if not self.skip and decoded:
                self.emit("text", (decoded, offsets))

        def handle_data(self, data: str) -> None:
            self.text(data, self.abs_pos())

        def handle_entityref(self, name: str) -> None:
            self.handle_ref()

        def handle_charref(self, name: str) -> None:
            self.handle_ref()

        def handle_ref(self) -> None:
            start = self.abs_pos()
            m = _ENTITY_RE.match(src, start)
            self.text(m.group() if m else "&", start)

        def handle_comment(self, data: str) -> None:
            m = _MARKER_BODY_RE.fullmatch(data)
            if m and not self.skip:
                self.emit("marker", m.group(1))

    parser = _Parser()
    parser.feed(src)
    parser.close()
    return parser.items, parser.title or parser.h1


def _decode_entities(
    raw: str, start: int, unescape: Callable[[str], str]
) -> tuple[str, list[int]]:
    """Decode character references in ``raw`` (found at ``start`` in the
    source); every decoded character maps to the start of its reference."""
    if "&" not in raw:
        return raw, list(range(start, start + len(raw)))
    chars: list[str] = []
    offsets: list[int] = []
    pos = 0
    for m in _ENTITY_RE.finditer(raw):
        chars.append(raw[pos : m.start()])
        offsets.extend(range(start + pos, start + m.start()))
        decoded = unescape(m.group())
        if decoded == m.group():  # unknown entity: literal text
            offsets.extend(range(start + m.start(), start + m.end()))
        else:
            offsets.extend([start + m.start()] * len(decoded))
        chars.append(decoded)
        pos = m.end()
    chars.append(raw[pos:])
    offsets.extend(range(start + pos, start + len(raw)))
    return "".join(chars), offsets


def _read_html(path: str, data: bytes, options: ReadOptions) -> list[Document]:
    """HTML: the article's text, block elements separating paragraphs.

    Content comes from the ``<article>`` element (the one with most text when
    there are several), else ``<main>``, else ``<body>``, else the whole file;
    scripts, styles, navigation, headers, footers, asides, forms and the head
    are dropped.  Entities are decoded and map to the start of the entity.
    """
    warnings: list[str] = []
    src = _decode(data, path, warnings)
    items, title = _html_items(src)

    def chosen(index: int) -> Callable[[_HtmlItem], bool] | None:
        sizes: dict[int, int] = {}
        for item in items:
            key = item[index]
            if item[0] == "text" and key is not None and item[1][0].strip():
                sizes[key] = sizes.get(key, 0) + len(item[1][0])
        if not sizes:
            return None
        best = max(sizes, key=lambda k: (sizes[k], -k))
        return lambda item: item[index] == best

    keep = chosen(2) or chosen(3)
    if keep is None:
        has_body = any(item[4] for item in items)
        keep = (lambda item: item[4]) if has_body else (lambda item: True)

    out = _Builder()
    for item in items:
        if not keep(item):
            continue
        kind, payload = item[0], item[1]
        if kind == "text":
            out.add(*payload)
        elif kind == "break":
            out.end_paragraph()
        else:
            out.marker(payload)
    text, offsets, suppressed = out.finish()
    return [
        Document(
            id=path,
            path=path,
            text=text,
            format="html",
            title=title,
            source_text=src,
            source_offsets=offsets,
            paragraphs_marked=True,
            suppressed=suppressed,
            warnings=warnings,
        )
    ]


# ---------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------


def _docx_paragraphs(container: Any, seen: list[Any]) -> Iterator[Any]:
    """Paragraphs of a document or table cell in document order (tables
    included, merged cells once)."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                for cell in row.cells:
                    if any(cell._tc is tc for tc in seen):
                        continue
                    seen.append(cell._tc)
                    yield from _docx_paragraphs(cell, seen)
        else:
            yield block


def _read_docx(path: str, data: bytes, options: ReadOptions) -> list[Document]:
    """DOCX: paragraphs in document order.

    ``source_text`` is every paragraph (empty ones too) joined by newlines, so
    a finding's line is the paragraph number and its column the character in
    the paragraph; line breaks inside a paragraph are a space there and a
    newline in ``text``.  Marker paragraphs (``<!-- dedupe off -->``,
    ``[dedupe-ignore]`` ...) are left out of ``text``.
    """
    import io
    import zipfile

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InputError("not a valid .docx file", path)
    try:
        import docx  # lazy: python-docx pulls in lxml

        document = docx.Document(io.BytesIO(data))
        paragraphs = list(_docx_paragraphs(document, []))
        core_title = document.core_properties.title
    except Exception:  # python-docx raises many kinds of errors on bad input
        raise InputError("not a valid .docx file", path) from None

    out = _Builder()
    source_lines: list[str] = []
    heading: str | None = None
    pos = 0
    for para in paragraphs:
        text = para.text.replace("\r", "\n")
        source_lines.append(text.replace("\n", " "))
        kind = _line_marker(text)
        if kind:
            out.end_paragraph()
            out.marker(kind)
        elif text.strip():
            out.end_paragraph()
            out.add_span(text, pos)
            out.end_paragraph()
            if heading is None:
                try:
                    style = (para.style.name or "") if para.style is not None else ""
                except Exception:
                    style = ""
                if style.startswith("Heading") or style == "Title":
                    heading = " ".join(text.split())
        pos += len(text) + 1
    text, offsets, suppressed = out.finish()
    return [
        Document(
            id=path,
            path=path,
            text=text,
            format="docx",
            title=(core_title or "").strip() or heading,
            source_text="\n".join(source_lines),
            source_offsets=offsets,
            paragraphs_marked=True,
            suppressed=suppressed,
        )
    ]


# ---------------------------------------------------------------------------
# JSON lines
# ---------------------------------------------------------------------------

_JSON_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_JSON_SPECIAL_RE = re.compile(r'["\\]')
_JSON_WS = " \t\n\r"


class _JsonScanError(Exception):
    """The raw scan disagrees with the parser (should not happen)."""


def _json_skip_ws(s: str, i: int) -> int:
    while i < len(s) and s[i] in _JSON_WS:
        i += 1
    return i


def _json_string(s: str, i: int, base: int, offsets: OffsetMap | None) -> tuple[str, int]:
    """Decode the JSON string literal starting at ``s[i] == '"'``.

    Returns the value and the index after the closing quote; when ``offsets``
    is given, appends for every decoded character the index (``base`` + its
    position in ``s``) where its encoding starts.
    """
    if s[i] != '"':
        raise _JsonScanError
    parts: list[str] = []
    j = i + 1
    search = _JSON_SPECIAL_RE.search
    while True:
        m = search(s, j)
        if m is None:
            raise _JsonScanError
        k = m.start()
        if k > j:
            parts.append(s[j:k])
            if offsets is not None:
                offsets.append_run(base + j, k - j)
        if s[k] == '"':
            return "".join(parts), k + 1
        esc = s[k + 1 : k + 2]
        if esc == "u":
            code = int(s[k + 2 : k + 6], 16)
            j = k + 6
            if 0xD800 <= code < 0xDC00 and s.startswith("\\u", j):
                low = int(s[j + 2 : j + 6], 16)
                if 0xDC00 <= low < 0xE000:
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    j += 6
            parts.append(chr(code))
        elif esc in _JSON_ESCAPES:
            parts.append(_JSON_ESCAPES[esc])
            j = k + 2
        else:
            raise _JsonScanError
        if offsets is not None:
            offsets.append_run(base + k, 1)


def _json_skip_value(s: str, i: int) -> int:
    """Index just after the JSON value starting at ``s[i]``."""
    if s[i] == '"':
        return _json_string(s, i, 0, None)[1]
    if s[i] in "[{":
        depth = 0
        while i < len(s):
            c = s[i]
            if c == '"':
                i = _json_string(s, i, 0, None)[1]
                continue
            if c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise _JsonScanError
    while i < len(s) and s[i] not in ",}]" + _JSON_WS:
        i += 1
    return i


def _json_field_offsets(line: str, base: int, field: str) -> OffsetMap:
    """Source offsets of the characters of the top-level string ``field`` of
    the JSON object on ``line`` (which starts at ``base`` in the file).  The
    last occurrence wins, as in :func:`json.loads`."""
    result: OffsetMap | None = None
    i = _json_skip_ws(line, 0)
    if line[i] != "{":
        raise _JsonScanError
    i = _json_skip_ws(line, i + 1)
    while i < len(line) and line[i] != "}":
        key, i = _json_string(line, i, 0, None)
        i = _json_skip_ws(line, i)
        if line[i] != ":":
            raise _JsonScanError
        i = _json_skip_ws(line, i + 1)
        if key == field and line[i] == '"':
            result = OffsetMap()
            _, i = _json_string(line, i, base, result)
        else:
            i = _json_skip_value(line, i)
        i = _json_skip_ws(line, i)
        if i < len(line) and line[i] == ",":
            i = _json_skip_ws(line, i + 1)
    if result is None:
        raise _JsonScanError
    return result


def _read_jsonl(path: str, data: bytes, options: ReadOptions) -> list[Document]:
    """JSON lines: one document per non-blank line.

    ``source_text`` is the whole file; each character of the text value maps
    to where its JSON encoding starts on the record's line, so a position's
    line is the record's line and its column points into the raw line.
    """
    import json

    warnings: list[str] = []
    src = _decode(data, path, warnings)
    docs: list[Document] = []
    first_seen: dict[str, int] = {}
    base = 0
    for number, line in enumerate(src.split("\n"), start=1):
        line_base, base = base, base + len(line) + 1
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{where}: invalid JSON: {exc.msg} (column {exc.colno})", path
            ) from None
        except RecursionError:
            raise InputError(f"{where}: invalid JSON: nested too deeply", path) from None
        if not isinstance(record, dict):
            raise InputError(f"{where}: not a JSON object", path)
        field = options.text_field
        if field not in record:
            raise InputError(f"{where}: no '{field}' field", path)
        text = record[field]
        if not isinstance(text, str):
            raise InputError(f"{where}: '{field}' is not a string", path)
        raw_id = record.get(options.id_field)
        if raw_id is None or isinstance(raw_id, (dict, list)):
            record_id = str(number)
        else:
            record_id = raw_id if isinstance(raw_id, str) else json.dumps(raw_id)
        if record_id in first_seen:
            raise InputError(
                f"{where}: duplicate id '{record_id}' (first on line {first_seen[record_id]})",
                path,
            )
        first_seen[record_id] = number
        try:
            offsets = _json_field_offsets(line, line_base, field)
            if len(offsets) != len(text):
                raise _JsonScanError
        except (_JsonScanError, IndexError, ValueError):  # pragma: no cover - defensive
            offsets = OffsetMap.from_offsets([line_base] * len(text))
        title = record.get(options.title_field)
        docs.append(
            Document(
                id=f"{path}#{record_id}",
                path=path,
                text=text,
                format="jsonl",
                title=title if isinstance(title, str) and title.strip() else None,
                source_text=src,
                source_offsets=offsets,
                paragraphs_marked="\n\n" in text,
                suppressed=_plain_suppressions(text),
                warnings=list(warnings),
            )
        )
    return docs


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

_READERS: dict[str, Callable[[str, bytes, ReadOptions], list[Document]]] = {
    "txt": _read_txt,
    "md": _read_markdown,
    "html": _read_html,
    "docx": _read_docx,
    "jsonl": _read_jsonl,
}


def _supported_list() -> str:
    return ", ".join(sorted(SUPPORTED_EXTENSIONS))


def format_for(path: str) -> str | None:
    """The format name for ``path``'s extension, or None when unsupported."""
    dot = path.rfind(".")
    if dot > 0 and path[dot - 1] not in "./\\":  # the plain case, without splitext's cost
        return SUPPORTED_EXTENSIONS.get(path[dot:].lower())
    return SUPPORTED_EXTENSIONS.get(os.path.splitext(path)[1].lower())


def read_file(path: str, options: ReadOptions | None = None, fmt: str | None = None) -> list[Document]:
    """Read one file into its documents (a JSONL file gives one per record).

    Args:
        path: the file.
        options: field names for JSONL; defaults when None.
        fmt: force a format (``txt``, ``md``, ``html``, ``docx``, ``jsonl``,
            or an extension such as ``.md``) instead of going by extension.

    Raises:
        InputError: missing file, directory, permission denied, binary
            content, corrupt DOCX, malformed JSONL, unsupported extension.
    """
    options = options or ReadOptions()
    if fmt is None:
        fmt = format_for(path)
        if fmt is None:
            ext = os.path.splitext(path)[1]
            what = f"'{ext}'" if ext else "(no extension)"
            if os.path.isdir(path):
                raise InputError("is a directory", path)
            if not os.path.exists(path):
                raise InputError("no such file or directory", path)
            raise InputError(
                f"unsupported file type {what} (supported: {_supported_list()})", path
            )
    else:
        key = fmt.lower()
        fmt = SUPPORTED_EXTENSIONS.get(key) or SUPPORTED_EXTENSIONS.get("." + key) or (
            key if key in _READERS else None
        )
        if fmt is None:
            raise InputError(
                f"unknown format '{key}' (known: {', '.join(FORMATS)})", path
            )
    data = _read_bytes(path)  # a directory is reported from the failed open
    return _READERS[fmt](path, data, options)


def _matches(rel: str, patterns: Sequence[str]) -> bool:
    """True when ``rel`` (a ``/``-separated relative path) or its basename
    matches one of the glob ``patterns``."""
    base = rel.rsplit("/", 1)[-1]
    return any(fnmatch(rel, p) or fnmatch(base, p) for p in patterns)


def iter_paths(
    paths: Iterable[str],
    options: ReadOptions | None = None,
    on_error: Callable[[InputError], None] | None = None,
) -> Iterator[str]:
    """The files to read for ``paths``.

    Files are yielded as given, whatever their extension (and even when they
    do not exist: :func:`read_file` reports that).  Directories are walked
    recursively in sorted order, skipping hidden files and directories
    (``.git``, ``.dedupe``, ``.venv`` ...); only files with a supported
    extension are taken unless ``options.include`` is given, and anything
    matching ``options.exclude`` is left out (matching directories are not
    entered).  A file reached twice is yielded once.  ``on_error`` receives an
    :class:`InputError` for a directory that cannot be listed.
    """
    options = options or ReadOptions()
    if isinstance(paths, str):
        paths = [paths]
    seen: set[str] = set()

    def once(path: str) -> bool:
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            return False
        seen.add(key)
        return True

    for top in paths:
        if not os.path.isdir(top):
            if once(top):
                yield top
            continue

        def walk_error(exc: OSError, top: str = top) -> None:
            if on_error is not None:
                where = getattr(exc, "filename", None) or top
                reason = "permission denied" if isinstance(exc, PermissionError) else (
                    (exc.strerror or "cannot list directory").lower()
                )
                on_error(InputError(reason, str(where)))

        for root, dirs, files in os.walk(top, onerror=walk_error):
            root_key = os.path.normcase(os.path.abspath(root)) + os.sep  # once() per file, cheaply
            rel_root = os.path.relpath(root, top).replace(os.sep, "/")
            rel_root = "" if rel_root == "." else rel_root + "/"
            dirs[:] = sorted(
                d
                for d in dirs
                if not d.startswith(".")
                and not (
                    options.exclude
                    and (
                        _matches(rel_root + d, options.exclude)
                        or _matches(rel_root + d + "/", options.exclude)
                    )
                )
            )
            for name in sorted(files):
                if name.startswith("."):
                    continue
                rel = rel_root + name
                if options.include:
                    if not _matches(rel, options.include):
                        continue
                elif format_for(name) is None:
                    continue
                if options.exclude and _matches(rel, options.exclude):
                    continue
                key = root_key + os.path.normcase(name)
                if key not in seen:
                    seen.add(key)
                    yield os.path.join(root, name)


def read_documents(
    paths: Iterable[str],
    options: ReadOptions | None = None,
    on_error: Callable[[InputError], None] | None = None,
) -> tuple[list[Document], list[InputError]]:
    """Read every document under ``paths``, collecting errors as it goes.

    Returns ``(documents, errors)``; a bad file does not stop the others.
    ``on_error`` is called with each error as it happens.
    """
    options = options or ReadOptions()
    docs: list[Document] = []
    errors: list[InputError] = []

    def report(err: InputError) -> None:
        errors.append(err)
        if on_error is not None:
            on_error(err)

    for path in iter_paths(paths, options, on_error=report):
        try:
            docs.extend(read_file(path, options))
        except InputError as err:
            report(err)
    return docs, errors
