"""Markdown: prose blocks only, each character mapped to the source."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from dedupe.documents import Document, line_starts
from dedupe.readers.decode import decode_text
from dedupe.readers.entities import ENTITY_RE, unescape_entity
from dedupe.readers.markers import COMMENT_MARKER_RE, plain_suppressions
from dedupe.readers.offsets import TextBuilder
from dedupe.readers.options import ReadOptions

__all__ = ["read_markdown"]

_FRONT_TITLE_RE = re.compile(r"""^title\s*[:=]\s*(.*?)\s*$""", re.MULTILINE | re.IGNORECASE)
_SEARCH_WINDOW = 256


#: markdown-it's nesting limit; beyond it the parser silently drops text, so
#: a document that reaches it is read as plain text instead (with a warning).
MAX_NESTING = 100


#: What markdown-it costs per character of each kind, roughly (units of ~25 microseconds here): its
#: slow paths are markup, not prose (a link label is tried at every ``[`` down to the nesting limit, every
#: line, list item, table cell, emphasis or tag delimiter becomes objects).  Prose costs next to nothing.
MARKUP_COST: dict[str, int] = {"[": 10, "<": 10, "\n": 5, ">": 3, "-": 2, "|": 2, "#": 2, "*": 2, "_": 2, "&": 2,
                               "`": 1, "\\": 1, "!": 1}
#: The most markup a file may hold for the Markdown parser (about five seconds of it, a few hundred MB at
#: worst); a real article is far under it (a 30 KB story with links and lists: about 5,000).  Over it the
#: file is read as plain text with a warning, in time and memory linear in its size: a pull request's
#: megabyte of ``[`` or ``*a `` cannot stall or starve the run.
MAX_MARKUP_COST = 200_000


def markup_cost(src: str) -> tuple[int, str]:
    """The estimated parser cost of ``src`` (see :data:`MARKUP_COST`) and its main part, for messages."""
    counts = {ch: src.count(ch) * w for ch, w in MARKUP_COST.items()}
    top = max(counts, key=lambda ch: counts[ch])
    shown = "newlines" if top == "\n" else repr(top)
    return sum(counts.values()), f"{counts[top] // MARKUP_COST[top]:,} {shown}"


@lru_cache(maxsize=2)
def _markdown_parser(html: bool = True) -> Any:
    """The shared parser; ``html=False`` a second one that reads HTML as text (never the shared one
    changed in place: that would switch HTML, and so every suppression marker, off for later files)."""
    from markdown_it import MarkdownIt  # lazy: only Markdown files pay for it

    md = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable("table")
    return md if html else md.disable(["html_block", "html_inline"])


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
                m = ENTITY_RE.match(src, pos, end)
                if m and unescape_entity(m.group()).startswith(ch):
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


def _markdown_inline(token: Any, cursor: _SourceCursor, out: TextBuilder) -> None:
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
            m = COMMENT_MARKER_RE.fullmatch(child.content.strip())
            if m:
                out.marker(m.group(1))
            cursor.skip_to(child.content)
        # emphasis/strong/link_open markup: nothing to emit; locate() skips it


def _plain(path: str, src: str, title: str | None, warnings: list[str]) -> Document:
    """A Markdown file read as plain text (its markup kept as characters), when it cannot be parsed."""
    return Document(id=path, path=path, text=src, format="md", title=title, suppressed=plain_suppressions(src),
                    warnings=warnings)


def read_markdown(path: str, data: bytes, options: ReadOptions) -> list[Document]:
    """Markdown: prose blocks only, one paragraph each, mapped to the source.

    Front matter, code blocks, HTML blocks, link and image URLs are left out;
    headings, paragraphs, list items, quoted paragraphs and table cells become
    paragraphs of ``text``.  Each character is located in the source by a
    forward search from the block's first line (markup characters between two
    extracted characters are skipped).
    """
    warnings: list[str] = []
    src = decode_text(data, path, warnings)
    fm_lines, fm_title, parse_src = 0, None, src
    if src.startswith(("---", "+++")):  # front matter: only then is the file split into lines
        lines = src.split("\n")
        fm_lines, fm_title = _front_matter(lines)
        if fm_lines:
            parse_src = "\n" * fm_lines + "\n".join(lines[fm_lines:])
        del lines
    cost, main = markup_cost(parse_src)
    if cost > MAX_MARKUP_COST:
        warnings.append(f"too much Markdown markup to parse within bounds ({main}; estimated cost {cost:,}, bound "
                        f"{MAX_MARKUP_COST:,}): read as plain text")
        return [_plain(path, src, fm_title, warnings)]
    try:
        tokens = _markdown_parser().parse(parse_src)
        too_deep = any(token.level >= MAX_NESTING - 2 for token in tokens)
    except RecursionError:
        too_deep = True
    if not too_deep:
        open_comment = next((t for t in tokens if t.type == "html_block" and t.content.lstrip().startswith("<!--")
                             and "-->" not in t.content), None)
        if open_comment is not None:  # the rest of the file would vanish into it: read it as text instead
            line = (open_comment.map[0] + 1) if open_comment.map else "?"
            warnings.append(f"line {line}: an HTML comment (<!--) is never closed; the rest of the file is read "
                            "as text and no suppression marker in this file is honoured")
            tokens = _markdown_parser(html=False).parse(parse_src)
    if too_deep:
        warnings.append(f"Markdown nested more than {MAX_NESTING // 2} levels deep; read as plain text")
        return [_plain(path, src, fm_title, warnings)]

    starts = line_starts(src)
    cursor = _SourceCursor(src)
    out = TextBuilder()
    title: str | None = None
    in_heading = False
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            in_heading = True
        elif kind == "heading_close":
            in_heading = False
        elif kind == "html_block":
            for m in COMMENT_MARKER_RE.finditer(token.content):
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

