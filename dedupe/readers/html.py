"""HTML: the article's text, block elements separating paragraphs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dedupe.documents import Document, line_starts
from dedupe.readers.decode import decode_text
from dedupe.readers.entities import ENTITY_RE, decode_entities
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
            decoded, offsets = decode_entities(raw, start, html.unescape)
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
            m = ENTITY_RE.match(src, start)
            self.text(m.group() if m else "&", start)

        def handle_comment(self, data: str) -> None:
            m = MARKER_BODY_RE.fullmatch(data)
            if m and not self.skip:
                self.emit("marker", m.group(1))

    parser = _Parser()
    parser.feed(src)
    parser.close()
    return parser.items, parser.title or parser.h1


def read_html(path: str, data: bytes, options: ReadOptions) -> list[Document]:
    """HTML: the article's text, block elements separating paragraphs.

    Content comes from the ``<article>`` element (the one with most text when
    there are several), else ``<main>``, else ``<body>``, else the whole file;
    scripts, styles, navigation, headers, footers, asides, forms and the head
    are dropped.  Entities are decoded and map to the start of the entity.
    """
    warnings: list[str] = []
    src = decode_text(data, path, warnings)
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

    out = TextBuilder()
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

