"""HTML: the article's text, block elements separating paragraphs.

Two kinds of HTML reach dedupe: drafts (a CMS fragment, or a simple page of
``<h1>`` and ``<p>``), which must lose nothing, and full published pages (a
site's article page with navigation, related-story lists, teasers, share
widgets, footers).  A page counts as full when it has ``<nav>`` elements,
``<header>``, ``<footer>`` or ``<aside>`` outside its ``<article>`` /
``<main>``, or several link-dense blocks; only then is the article body chosen by main-content extraction
(:mod:`dedupe.readers.extract`), aligned back to this reader's own
offset-mapped blocks.  Otherwise the text is the ``<article>`` (the one with
most text), else ``<main>``, else ``<body>``, else the whole file.

Scripts, styles, forms, navigation and the site's header, footer and asides
(outside ``<article>``/``<main>``) are never text; an article's own
``<header>``, ``<footer>`` and ``<aside>`` (dek, byline, tags, pull quotes)
are a draft's text but not a full page's.

The headline (the first ``<h1>`` of the article, else of the page, else the
``<title>``) is the document's title and not part of its text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dedupe.documents import Document, line_starts
from dedupe.readers.decode import decode_text
from dedupe.readers.entities import ENTITY_RE, decode_entities
from dedupe.readers.extract import extract_main_text, extraction_missing, kept_blocks
from dedupe.readers.markers import MARKER_BODY_RE
from dedupe.readers.offsets import TextBuilder
from dedupe.readers.options import ReadOptions

__all__ = ["read_html"]

_HTML_SKIP = frozenset(
    ["script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "svg", "head"]
)
_HTML_BLOCK = frozenset(
    ["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "br", "hr", "tr", "td", "th", "table", "thead", "tbody", "tfoot", "caption", "section", "article", "main", "figure", "figcaption", "pre", "address", "details", "summary", "body", "html", "title"]
) | _HTML_SKIP
_HTML_VOID = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]
)

_CHROME = frozenset(["nav", "header", "footer", "aside"])
_NOT_HEADLINE = ("nav", "footer", "aside", "form")
#: A page with at least this many link-dense blocks is a full site page.
LINK_DENSE_BLOCKS = 4
#: Deeper than this the page is not extracted (no real page nests so deep).
MAX_EXTRACT_DEPTH = 1000

# an extracted piece of HTML:
# (kind, payload, article id, main id, in body, in a link, h1 number or -1,
#  in the article's own header/footer/aside)
_HtmlItem = tuple[str, Any, "int | None", "int | None", bool, bool, int, bool]


@dataclass
class _Parsed:
    items: list[_HtmlItem]
    title: str | None
    headlines: list[tuple[str, bool, bool]]  # text, in article/main, in chrome
    chrome: int  # nav/header/footer/aside elements
    depth: int  # deepest nesting


#: Elements whose content is text or code, never markup: a ``<!-- dedupe off -->`` there is not a marker.
_NOT_MARKUP = ("textarea", "script", "style", "title", "code", "pre", "xmp", "template", "noscript", "svg", "math")


#: An unparsed rest longer than this after the whole file was fed is read as text (see :func:`_html_items`).
_LONG_TAIL = 4096


def _html_items(src: str) -> _Parsed:
    """Parse HTML into text/break/marker items tagged with their container."""
    import html
    from html.parser import HTMLParser

    starts = line_starts(src)

    class _Parser(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=False)
            # (tag, article id, main id, in body) for each open element
            # (tag, article id, main id, in body, skipped, furniture) per open element
            self.stack: list[tuple[str, int | None, int | None, bool, bool, bool]] = []
            self.furniture = 0  # open header/footer/aside elements of the article
            self.open: dict[str, int] = {}  # open elements by tag: no stack scans
            self.skip = 0
            self.items: list[_HtmlItem] = []
            self.next_id = 0
            self.title_parts: list[str] | None = None
            self.title: str | None = None
            self.h1_parts: list[str] | None = None
            self.h1_index = -1
            self.headlines: list[tuple[str, bool, bool]] = []
            self.h1_where: tuple[bool, bool] = (False, False)
            self.chrome = 0
            self.depth = 0
            self.pending: list[str] = []  # text not yet emitted: the parser hands it over a character at a time
            self.pending_start = 0
            self.pending_end = 0

        def flush(self) -> None:
            """Emit the text gathered since the last tag, comment or reference, as one piece."""
            if self.pending:
                raw = "".join(self.pending)
                self.pending = []
                self.text(raw, self.pending_start)

        # -- context ---------------------------------------------------
        def ctx(self) -> tuple[int | None, int | None, bool]:
            return self.stack[-1][1:4] if self.stack else (None, None, False)

        def emit(self, kind: str, payload: Any) -> None:
            link = self.open.get("a", 0) > 0
            self.items.append((kind, payload, *self.ctx(), link,
                               self.h1_index if self.h1_parts is not None else -1, self.furniture > 0))

        def abs_pos(self) -> int:
            line, col = self.getpos()
            return starts[line - 1] + col

        # -- tags ------------------------------------------------------
        def handle_starttag(self, tag: str, attrs: Any) -> None:
            self.flush()
            if tag in _HTML_VOID:
                if tag == "br":
                    if not self.skip:  # a line break; two in a row end the paragraph (_line_breaks)
                        self.emit("br", self.abs_pos())
                elif tag in _HTML_BLOCK and not self.skip:
                    self.emit("break", None)
                return
            article, main, body = self.ctx()
            if tag == "article" and article is None:
                article, self.next_id = self.next_id, self.next_id + 1
            elif tag == "main" and main is None:
                main, self.next_id = self.next_id, self.next_id + 1
            elif tag == "body":
                body = True
            if tag == "nav" or (tag in _CHROME and article is None and main is None):
                self.chrome += 1  # site chrome; a header or aside of the article is not
            in_svg = self.open.get("svg", 0) > 0
            # the article's own header, footer and aside are the draft's text;
            # the site's (outside <article>/<main>) are not
            skipped = tag in _HTML_SKIP and not (tag in _CHROME and tag != "nav" and (article is not None or main is not None))
            furniture = tag in _CHROME and not skipped
            self.stack.append((tag, article, main, body, skipped, furniture))
            if furniture:
                self.furniture += 1
            self.open[tag] = self.open.get(tag, 0) + 1
            self.depth = max(self.depth, len(self.stack))
            if tag in _HTML_BLOCK and not self.skip:
                self.emit("break", None)
            if skipped:
                self.skip += 1
            if tag == "title" and self.title is None and not in_svg:
                self.title_parts = []
            if tag == "h1" and self.h1_parts is None:
                in_content = article is not None or main is not None
                chrome = any(self.open.get(t, 0) for t in _NOT_HEADLINE) or (
                    self.open.get("header", 0) > 0 and not in_content
                )
                self.h1_parts = []
                self.h1_index = len(self.headlines)
                self.h1_where = (in_content, chrome)

        def handle_endtag(self, tag: str) -> None:
            self.flush()
            if not self.open.get(tag):
                if tag == "br" and not self.skip:  # a stray </br>: browsers read it as <br>
                    self.emit("br", self.abs_pos())
                elif tag == "p" and not self.skip:
                    self.emit("break", None)
                return
            while self.stack:
                top, skipped, furniture = self.stack[-1][0], self.stack[-1][4], self.stack[-1][5]
                if skipped:
                    self.skip -= 1
                if furniture:
                    self.furniture -= 1
                if top in _HTML_BLOCK and not self.skip:
                    self.emit("break", None)
                self.stack.pop()
                self.open[top] -= 1
                self.close_capture(top)
                if top == tag:
                    break

        def close_capture(self, tag: str) -> None:
            if tag == "title" and self.title_parts is not None:
                self.title = " ".join("".join(self.title_parts).split()) or None
                self.title_parts = None
            elif tag == "h1" and self.h1_parts is not None:
                text = " ".join("".join(self.h1_parts).split())
                self.headlines.append((text, *self.h1_where))
                self.h1_parts = None

        # -- text ------------------------------------------------------
        def text(self, raw: str, start: int) -> None:
            decoded, offsets = decode_entities(raw, start, html.unescape)
            for parts in (self.title_parts, self.h1_parts):
                if parts is not None:
                    parts.append(decoded)
            if not self.skip and decoded:
                self.emit("text", (decoded, offsets))

        def handle_data(self, data: str) -> None:
            self.gather(data, self.abs_pos())

        def gather(self, data: str, start: int) -> None:
            """Add source text ``data`` found at ``start``: contiguous pieces are decoded and emitted as one
            (a megabyte of ``<`` or ``&x`` is one item, not a million)."""
            if self.pending and start != self.pending_end:
                self.flush()
            if not self.pending:
                self.pending_start = start
            self.pending.append(data)
            self.pending_end = start + len(data)

        def handle_entityref(self, name: str) -> None:
            self.handle_ref()

        def handle_charref(self, name: str) -> None:
            self.handle_ref()

        def handle_ref(self) -> None:
            start = self.abs_pos()
            m = ENTITY_RE.match(src, start)
            self.gather(m.group() if m else "&", start)  # decoded with the text around it (decode_entities)

        def handle_comment(self, data: str) -> None:
            self.flush()
            m = MARKER_BODY_RE.fullmatch(data)
            # a marker is a real comment only: not text of a <textarea>, a script, a style or code sample
            if m and not self.skip and not any(self.open.get(t, 0) for t in _NOT_MARKUP):
                self.emit("marker", m.group(1))

    parser = _Parser()
    parser.feed(src)
    if len(parser.rawdata) > _LONG_TAIL:
        # Parsing stopped at a construct that never ends (``<a title='...``, ``<!--`` ...) with a long rest
        # behind it: the standard parser would retry every ``<`` of the rest to its end (quadratic time), so
        # the rest is its text, as it would mostly be anyway (never a comment: its markers are not honoured).
        parser.handle_data(parser.rawdata)
        parser.rawdata = ""
    parser.close()
    parser.flush()
    if parser.h1_parts is not None:  # an <h1> never closed
        parser.close_capture("h1")
    return _Parsed(parser.items, parser.title, parser.headlines, parser.chrome, parser.depth)


def _headline(parsed: _Parsed) -> tuple[str | None, int]:
    """The title and the number of the ``<h1>`` it comes from (-1: none):
    the article's first headline, else the first outside navigation,
    asides and footers, else ``<title>``, else any ``<h1>``."""
    found = [(i, h) for i, h in enumerate(parsed.headlines) if h[0]]
    for i, h in found:  # in the article, not in its navigation
        if h[1] and not h[2]:
            return h[0], i
    for i, h in found:  # anywhere outside the chrome
        if not h[2]:
            return h[0], i
    if parsed.title:
        return parsed.title, -1
    return (found[0][1][0], found[0][0]) if found else (None, -1)


def _line_breaks(items: list[_HtmlItem]) -> list[_HtmlItem]:
    """``<br>`` items resolved: a single one inside a paragraph is a line break in it (``"br"`` kept),
    two or more in a row (only white space between them) end the paragraph (one ``"break"``)."""
    out: list[_HtmlItem] = []
    n = len(items)
    k = 0
    while k < n:
        item = items[k]
        if item[0] != "br":
            out.append(item)
            k += 1
            continue
        run = [k]
        j = k + 1
        while j < n and (items[j][0] == "br" or (items[j][0] == "text" and not items[j][1][0].strip())):
            if items[j][0] == "br":
                run.append(j)
            j += 1
        if len(run) >= 2:
            out.append(("break", None, *item[2:]))
            k = j
        else:
            out.append(item)
            k += 1
    return out


def _blocks(items: list[_HtmlItem], keep: Callable[[_HtmlItem], bool]) -> list[int]:
    """The block number of every item (-1 for items not kept); a break
    starts a new block."""
    out: list[int] = []
    block = 0
    for item in items:
        if item[0] == "break":
            block += 1
            out.append(-1)
        else:
            out.append(block if keep(item) else -1)
    return out


def _full_page(parsed: _Parsed, items: list[_HtmlItem], blocks: list[int]) -> bool:
    """A site's page rather than a draft: chrome elements or link-dense blocks."""
    if parsed.chrome:
        return True
    total: dict[int, int] = {}
    linked: dict[int, int] = {}
    for item, block in zip(items, blocks):
        if block >= 0 and item[0] == "text":
            n = len(item[1][0].strip())
            total[block] = total.get(block, 0) + n
            if item[5]:
                linked[block] = linked.get(block, 0) + n
    dense = sum(1 for b, n in linked.items() if n and n >= 0.6 * total[b])
    return dense >= LINK_DENSE_BLOCKS


def _main_content(src: str, items: list[_HtmlItem], blocks: list[int]) -> set[int] | None:
    """The blocks the extractor keeps, None when it finds nothing."""
    extracted = extract_main_text(src)
    if not extracted:
        return None
    numbers: list[int] = []
    texts: list[str] = []
    parts: dict[int, list[str]] = {}
    for item, block in zip(items, blocks):
        if block >= 0 and item[0] == "text" and not item[7]:  # furniture never competes with the body
            if block not in parts:
                parts[block] = []
                numbers.append(block)
            parts[block].append(item[1][0])
        elif block >= 0 and item[0] == "br" and block in parts:  # a line break inside the block
            parts[block].append("\n")
    texts = ["".join(parts[b]) for b in numbers]
    kept = {numbers[k] for k in kept_blocks(texts, extracted)}
    return kept or None


def read_html(path: str, data: bytes, options: ReadOptions) -> list[Document]:
    """HTML: the article's text, block elements separating paragraphs.

    See the module docstring for how the text is chosen.  Scripts, styles,
    navigation, headers, footers, asides, forms and the head are always
    dropped.  Entities are decoded and map to the start of the entity.
    """
    warnings: list[str] = []
    src = decode_text(data, path, warnings)
    parsed = _html_items(src)
    title, headline = _headline(parsed)
    items = _line_breaks(parsed.items)
    if headline >= 0:  # the headline is the title, not text: a break instead
        items = [("break", None, *it[2:]) if it[6] == headline and it[0] == "text" else it for it in items]

    has_body = any(item[4] for item in items)
    in_page: Callable[[_HtmlItem], bool] = (lambda item: item[4]) if has_body else (lambda item: True)
    blocks = _blocks(items, in_page)
    kept: list[bool] | None = None
    if parsed.depth <= MAX_EXTRACT_DEPTH and _full_page(parsed, items, blocks):
        if (missing := extraction_missing()) is not None:  # said, never silent (one line per run: cli.common)
            warnings.append(missing)
        main = _main_content(src, items, blocks)
        if main is not None:  # text of the extracted blocks; breaks and markers all
            # the article's header/footer/aside (dek, byline, tags) go with the chrome
            kept = [item[0] != "text" or (block in main and not item[7]) for item, block in zip(items, blocks)]
    if kept is None:
        keep = _container(items) or in_page
        kept = [keep(item) for item in items]

    out = TextBuilder()
    after_br = False
    for item, keep_item in zip(items, kept):
        if not keep_item:
            continue
        kind, payload = item[0], item[1]
        if kind == "text":
            text, offsets = payload
            if after_br:  # the line break is the white space: a source newline after it is no blank line
                lead = len(text) - len(text.lstrip())
                text, offsets = text[lead:], list(offsets)[lead:]
                after_br = not text
            out.add(text, offsets)
        elif kind == "break":
            out.end_paragraph()
            after_br = False
        elif kind == "br":  # a line break inside the paragraph (nothing before it: nothing added)
            after_br = out.line_break(payload)
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


def _container(items: list[_HtmlItem]) -> Callable[[_HtmlItem], bool] | None:
    """The ``<article>`` with most text, else the ``<main>``, else None."""

    def chosen(index: int) -> Callable[[_HtmlItem], bool] | None:
        sizes: dict[int, int] = {}
        for item in items:
            key = item[index]
            if item[0] == "text" and isinstance(key, int) and item[1][0].strip():
                sizes[key] = sizes.get(key, 0) + len(item[1][0])
        if not sizes:
            return None
        best = max(sizes, key=lambda k: (sizes[k], -k))
        return lambda item: item[index] == best

    return chosen(2) or chosen(3)
