"""Widgets of the review screen: the cluster list, the detail pane, the totals line.

Article text is never parsed as markup: the list renders its rows itself
from plain strings (``rich.text.Text`` built without markup) and the detail
is a :class:`textual.content.Content` built from plain strings, styled by offsets with theme variables (``$text-success`` ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from rich.control import strip_control_codes
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from dedupe.findings import Cluster
from dedupe.kinds import SHORT_FORMS
from dedupe.text.align import Span, align_group
from dedupe.tui.engine import looks_like_table
from dedupe.tui.keys import KEYS, Key, footer_keys, keys_for
from dedupe.tui.model import KIND_LABELS, ArticleGroup, ReviewModel, Row, first_words

# styles of the detail pane (theme variables, so light and dark themes both read)
STYLE_SHARED = "$text-success"
STYLE_DIFF = "bold $text-error on $error-muted"
STYLE_CONTEXT = "$text-muted"
STYLE_HEAD = "bold $text-accent"
STYLE_LOC = "bold"
#: the article's headline, set apart from the body and the context (a colour of its own, bold, italic)
STYLE_TITLE = "bold italic $text-primary"
STYLE_STATUS = {"accepted": "bold $text-success", "ignored": "bold $text-warning", "grown": "bold $text-error",
                "new": "$text-muted", "mixed": "bold $text-warning"}
STATUS_MARK = {"accepted": "✓", "ignored": "✗", "grown": "↑", "new": " ", "mixed": "±"}

#: Members shown at most in the detail (large clusters are verbatim repeats).
MAX_MEMBERS = 40


def bindings_for(scope: str) -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    """Textual bindings of one scope of the key table (:mod:`dedupe.tui.keys`)."""
    return [Binding(k.keys, k.action, k.label, show=False, id=k.id, key_display=k.display, tooltip=k.help,
                    priority=k.keys.startswith(("ctrl+c", "ctrl+q")))
            for k in keys_for(scope)]


#: The list's kind column at its short width.
KIND_COLUMN_SHORT = {"sentence": "sent", "quote": "quote", "cross": "cross", "archive": "arch", "article": "art"}
#: The first words never get fewer cells than this (unless the list itself is narrower).
MIN_WORDS = 16


def column_widths(width: int) -> list[int]:
    """Widths of (mark, kind, similarity, copies, article, first words) in a list ``width`` cells wide."""
    mark, kind, sim, copies = 1, 8, 4, 3
    article = max(10, min(28, width // 4))

    def words() -> int:
        shown = [w for w in (mark, kind, sim, copies, article) if w]
        return width - sum(shown) - (len(shown) + 2)  # one space before each column and after the last

    while words() < MIN_WORDS and article > 10:
        article -= 1
    if words() < MIN_WORDS:
        kind = 5
    while words() < MIN_WORDS and article > 8:
        article -= 1
    if words() < MIN_WORDS:
        copies = 0
    return [mark, kind, sim, copies, article, max(4, words())]


def _name(path: str) -> str:
    """An article's short name in the list: its file name without the extension."""
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def record_id(doc: str, path: str) -> str | None:
    """The record id of a story of an export (``doc`` is ``path#id``), else None (a file of its own)."""
    return doc[len(path) + 1:] if doc != path and doc.startswith(path + "#") else None


def article_name(doc: str, path: str, title: str | None = None) -> str:
    """An article's name in the list: a story of an export by its id and title (``17 BANKAMERICA…``:
    every row of an export is the same file), a file by its name without the extension."""
    rid = record_id(doc, path)
    if rid is None:
        return _name(path)
    return f"#{rid} {title}" if title else f"#{rid}"


def where(doc: str, path: str) -> str:
    """How the detail names an article: ``file.jsonl.gz#id`` for a story of an export (as every
    other output of the tool), the path for a file."""
    return doc if record_id(doc, path) is not None else path


class ClusterList(ScrollView, can_focus=True):
    """The clusters, one line each, rendered lazily with the line API.

    The widget holds a reference to the model's list of visible clusters and
    renders only the lines on screen (``render_line``), so replacing the list
    (filters, kind cycling, a re-cluster) costs nothing however long it is.
    The first line is a fixed header.  Cells are built from plain strings
    (article text is never markup); the cursor and the status marks are styled
    through component classes (theme variables in ``review.tcss``).
    """

    COMPONENT_CLASSES = {
        "cluster-list--header",
        "cluster-list--cursor",
        "cluster-list--accepted",
        "cluster-list--ignored",
        "cluster-list--grown",
    }

    BINDINGS = bindings_for("list")

    #: (title, width) of the columns; the last one takes the rest of the line.
    COLUMNS = (("", 1), ("Kind", 8), ("Sim", 4), ("×", 3), ("Article", 14), ("First words", 10))
    #: One space between cells.
    PAD = 1

    class Highlighted(Message):
        """The cursor moved to ``index`` (``cluster`` is the row under it)."""

        def __init__(self, cluster_list: ClusterList, index: int, cluster: Row) -> None:
            super().__init__()
            self.cluster_list, self.index, self.cluster = cluster_list, index, cluster
            self.rows = cluster_list.clusters  # the list shown when the message was posted

        @property
        def control(self) -> ClusterList:
            return self.cluster_list

    class Selected(Highlighted):
        """Enter (or a click on the cursor row): read the detail of ``cluster``."""

    def __init__(self, *, on_cursor: Callable[[int, Row], None] | None = None, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """``on_cursor(index, cluster)`` is called as soon as the cursor moves, before the
        :class:`Highlighted` message goes out, so the detail can be drawn in the same frame as
        the list (a message handler runs a screen refresh later: one more frame of latency)."""
        super().__init__(name=name, id=id, classes=classes)
        self.on_cursor = on_cursor
        self.clusters: list[Row] = []
        self._status: Callable[[Row], str] = lambda c: "new"
        self.cursor_row = 0
        self._cells: dict[int, tuple[Row, tuple[str, str, str, str, str]]] = {}  # id(c) -> (c, cells)
        self._strips: dict[tuple[Any, ...], tuple[Row, Strip]] = {}  # rendered rows (see render_line)

    # -- data --------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.clusters)

    def fill(self, clusters: list[Row], status: Callable[[Row], str]) -> None:
        """Show ``clusters`` (kept by reference, not copied); nothing is rendered until drawn."""
        if len(self._cells) > 4 * len(clusters) + 1000:
            self._cells = {}
        self.clusters = clusters
        self._status = status
        self._strips.clear()
        self.cursor_row = min(self.cursor_row, max(0, len(clusters) - 1))
        self._update_virtual_size()
        self.refresh()

    def set_status(self, c: Row, status: str | None = None) -> None:
        """Redraw the row of ``c`` (its status is read from the model when drawn)."""
        self.refresh()

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.clusters) + 1)

    def on_resize(self) -> None:
        self._update_virtual_size()
        self._scroll_to_cursor()

    def _static_cells(self, c: Row) -> tuple[str, str, str, str, str]:
        hit = self._cells.get(id(c))
        if hit is not None and hit[0] is c:
            return hit[1]
        if isinstance(c, ArticleGroup):  # a folded whole-article duplicate: both names, sentences shared
            p = c.pair
            ra, rb = record_id(p.a, p.path_a), record_id(p.b, p.path_b)
            article = f"#{ra} = #{rb}" if ra is not None and rb is not None else \
                f"{article_name(p.a, p.path_a)} = {article_name(p.b, p.path_b)}"
            cells = (KIND_LABELS["article"], f"{c.similarity:.2f}", "2",  # ×: copies (the two articles)
                     strip_control_codes(article), strip_control_codes(first_words(c.clusters[0].members[0].text, 24)))
            self._cells[id(c)] = (c, cells)
            return cells
        m = c.members[0]
        article = article_name(m.doc, m.path, m.title)
        docs = len(c.documents)
        if docs > 1:
            article += f" +{docs - 1}"
        cells = (KIND_LABELS.get(c.kind, c.kind), f"{c.similarity:.2f}", str(len(c.members)),
                 strip_control_codes(article), strip_control_codes(first_words(m.text, 24)))
        self._cells[id(c)] = (c, cells)
        return cells

    def cells(self, index: int) -> tuple[str, ...]:
        """The plain text of row ``index``: status mark, kind, similarity, copies, article, first words."""
        c = self.clusters[index]
        return (STATUS_MARK.get(self._status(c), " "), *self._static_cells(c))

    # -- rendering -----------------------------------------------------------
    def _widths(self, width: int) -> list[int]:
        """Column widths for ``width`` cells (0: column hidden).

        Give-way order on a narrow list: the article name shrinks to 10, the kind
        takes its short label, the article shrinks to 8, the copies column goes;
        the first words keep at least ``MIN_WORDS`` cells."""
        return column_widths(width)

    def _line(self, cells: tuple[str, ...], width: int, base: Style, styles: dict[int, Style] | None = None,
              right: frozenset[int] = frozenset(), header: bool = False) -> Strip:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        widths = self._widths(width)
        short_kind = widths[1] < 8
        text.append(" " * self.PAD)
        for i, (cell, w) in enumerate(zip(cells, widths)):
            if not w:
                continue
            if i == 1 and short_kind and not header:
                cell = KIND_COLUMN_SHORT.get(cell, cell)
            t = Text(cell, no_wrap=True, overflow="ellipsis", end="")
            t.truncate(w, overflow="ellipsis")
            gap = " " * max(0, w - t.cell_len)
            if i in right:
                t = Text(gap, end="") + t
            else:
                t.append(gap)
            if styles and i in styles:
                t.stylize(styles[i])
            text.append_text(t)
            text.append(" " * self.PAD)
        text.truncate(width, overflow="ellipsis", pad=True)
        text.stylize_before(base)  # underneath the cells' own styles (Text.render ignores Text.style)
        return Strip(text.render(self.app.console), width)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("cluster-list--header")
            return self._line(tuple(t for t, _ in self.COLUMNS), width, base + header, header=True)
        index = int(self.scroll_offset.y) + y - 1
        if not 0 <= index < len(self.clusters):
            return Strip.blank(width, base)
        c = self.clusters[index]
        status = self._status(c)
        cursor = index == self.cursor_row
        key = (id(c), status, cursor, cursor and self.has_focus, width, base, self.app.theme)
        hit = self._strips.get(key)
        if hit is not None and hit[0] is c:  # a repaint (the detail changed size, a scroll): nothing to rebuild
            return hit[1]
        strip = self._render_row(c, status, cursor, width, base)
        if len(self._strips) > 4000:
            self._strips.clear()
        self._strips[key] = (c, strip)  # holds c: its id cannot be reused while cached
        return strip

    def _render_row(self, c: Row, status: str, cursor: bool, width: int, base: Style) -> Strip:
        cells = (STATUS_MARK.get(status, " "), *self._static_cells(c))
        styles = None
        if status in ("accepted", "ignored", "grown", "mixed"):
            cls = "ignored" if status == "mixed" else status
            styles = {0: self.get_component_rich_style(f"cluster-list--{cls}", partial=True)}
        if cursor:
            base = base + self.get_component_rich_style("cluster-list--cursor")
        return self._line(cells, width, base, styles, right=frozenset({3}))

    def on_focus(self) -> None:
        self.refresh()  # the cursor's colour depends on focus

    def on_blur(self) -> None:
        self.refresh()

    # -- cursor ----------------------------------------------------------------
    @property
    def page_rows(self) -> int:
        """Rows visible below the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top = int(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + self.page_rows:
            self.scroll_to(y=self.cursor_row - self.page_rows + 1, animate=False, immediate=True)

    def move_cursor(self, row: int, animate: bool = False, scroll: bool = True, notify: bool = True) -> None:
        """Put the cursor on ``row`` (clamped) and scroll it into view; unless ``notify`` is
        false, call ``on_cursor`` and post :class:`Highlighted`.  (``animate`` is accepted
        for DataTable compatibility; the list never animates.)"""
        if not self.clusters:
            self.cursor_row = 0
            self.refresh()
            return
        row = max(0, min(row, len(self.clusters) - 1))
        before, self.cursor_row = self.cursor_row, row
        # repaint just the two rows (line 0 is the header); a scroll repaints everything anyway
        self.refresh_line(before + 1)
        self.refresh_line(row + 1)
        if scroll:
            self._scroll_to_cursor()
        if notify:
            if self.on_cursor is not None:
                self.on_cursor(row, self.clusters[row])
            self.post_message(self.Highlighted(self, row, self.clusters[row]))

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self.clusters) - 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - self.page_rows)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + self.page_rows)

    def action_select(self) -> None:
        if self.clusters:
            self.post_message(self.Selected(self, self.cursor_row, self.clusters[self.cursor_row]))

    async def _on_click(self, event: events.Click) -> None:  # async as Widget._on_click (Textual awaits either)
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        row = int(self.scroll_offset.y) + offset.y - 1
        if not 0 <= row < len(self.clusters):
            return
        event.stop()
        if row == self.cursor_row:
            self.action_select()
        else:
            self.move_cursor(row)


#: Kind labels at three widths for the status line (long, short, one letter), from the kinds registry.
KIND_SHORT = SHORT_FORMS


def status_variants(model: ReviewModel, threshold: float, extra: str = "",
                    sort_label: str = "", rows: list[Row] | None = None) -> list[list[str]]:
    """The status line from the longest wording to the shortest.

    Every variant carries, in words: the scope (articles, archive), the clusters, how many rows
    are listed and how many clusters are hidden (resolved, kind or text filter), the threshold,
    the sort, the filters, the unsaved decisions and the unreadable inputs.  Only the optional
    detail goes as the line narrows (sentences, clusters by kind, what folded, why hidden); when
    even the shortest does not fit, :func:`fit_variant` breaks it between parts (never cuts)."""
    t = model.totals()
    if not t:
        return [["dedupe review: " + (extra or "scanning…")], [extra or "scanning…"]]
    kinds = sorted(t["by_kind"].items())
    na, nc = t["articles"], t["clusters"]
    listed = rows if rows is not None else model.visible()
    in_rows = sum(len(r.clusters) if isinstance(r, ArticleGroup) else 1 for r in listed)
    hidden = max(0, nc - in_rows)
    folded, frows = t.get("folded", (0, 0))
    out: list[list[str]] = []
    # (clusters by kind, sentences, why hidden, what folded): the optional detail, dropped in this order
    for by_kind_on, sentences_on, why_on, folded_on in ((True, True, True, True), (True, False, True, True),
                                                         (False, False, True, True), (False, False, False, True),
                                                         (False, False, False, False)):
        scope = f"{na:,} article{'s' if na != 1 else ''}" + (f" + {t['archive']:,} archive" if t["archive"] else "")
        if sentences_on:
            scope += f" ({t['sentences']:,} sentences)"
        clusters = f"{nc:,} cluster{'s' if nc != 1 else ''}"
        if by_kind_on and kinds:
            clusters += " (" + ", ".join(f"{n:,} {KIND_SHORT.get(k, (k,))[0]}" for k, n in kinds) + ")"
        parts = [scope, clusters, f"{len(listed):,} row{'s' if len(listed) != 1 else ''} listed"]
        if folded and folded_on and model.fold:
            parts[-1] += f" ({folded:,} folded into {frows:,} article row{'s' if frows != 1 else ''})"
        why = []
        if why_on:
            if t["resolved"]:
                why.append(f"{t['resolved']:,} resolved by baseline" + ("" if model.show_resolved else ", h shows"))
            elif sentences_on:
                why.append("0 resolved by baseline")
        parts.append(f"{hidden:,} hidden" + (f" ({'; '.join(why)})" if why else ""))
        parts.append(f"threshold {threshold:.2f}")
        if sort_label:
            parts.append(f"sort: {sort_label}")
        if model.kind_filter:
            k = model.kind_filter
            parts.append(f"kind: {KIND_SHORT.get(k, (k,))[0]}")
        if model.text_filter:
            parts.append(f"filter: {model.text_filter}")
        if model.unsaved:
            parts.append(f"{model.unsaved:,} unsaved")
        if t["errors"]:
            parts.append(f"{t['errors']:,} unreadable")
        if extra:
            parts.append(extra)
        if not out or parts != out[-1]:
            out.append(parts)
    return out


def fit_variant(variants: list[list[str]], width: int) -> str:
    """The longest variant that fits ``width`` cells on one line; else the shortest, broken into
    lines between its parts: never cut, never broken inside a part."""
    for parts in variants:
        v = " · ".join(parts)
        if Text(v).cell_len <= width:
            return v
    parts = variants[-1]
    lines, line = [], ""
    for p in parts:
        cand = f"{line} · {p}" if line else p
        if line and Text(cand).cell_len + 2 > width:  # room for the " ·" that ends a broken line
            lines.append(line + " ·")
            line = p
        else:
            line = cand
    lines.append(line)
    return "\n".join(lines)


class Totals(Static):
    """The status line: articles, clusters by kind, threshold, sort, filters, unsaved decisions.

    Its wording shortens to fit the width; nothing is cut (at worst it takes a second line)."""

    DEFAULT_CSS = "Totals { height: auto; }"

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(Content(text), id=id)
        self.variants: list[list[str]] = [[text]]

    def show(self, model: ReviewModel, threshold: float, extra: str = "", sort_label: str = "",
             rows: list[Row] | None = None) -> None:
        self.variants = status_variants(model, threshold, extra, sort_label, rows)
        self._fit()

    @property
    def line(self) -> str:
        return fit_variant(self.variants, max(1, self.content_region.width or self.app.size.width - 2))

    def _fit(self) -> None:
        self.update(Content(self.line))

    def on_resize(self) -> None:
        self._fit()


class KeyFooter(Static):
    """The footer: the keys of :data:`dedupe.tui.keys.KEYS` that fit, the most important kept longest."""

    DEFAULT_CSS = "KeyFooter { height: 1; dock: bottom; background: $panel; }"
    PALETTE = "^p palette"

    def __init__(self, available: Callable[[str], bool] | None = None, *, id: str | None = None,
                 label: Callable[[Key], str] | None = None) -> None:
        super().__init__(id=id)
        self.available = available or (lambda action: True)
        #: a key's label as shown now (a toggle says its state: "Advance: off")
        self.label = label or (lambda k: k.label)

    def keys(self, width: int) -> list[Any]:
        shown = [k for k in KEYS if k.footer and self.available(k.action)]
        # a toggle's label says its state: fit with the longest it can take
        sized = [replace(k, label=max(k.label, self.label(k), key=len)) for k in shown]
        keep = {k.keys for k in footer_keys(width, reserved=len(self.palette(width)) + 2, only=sized)}
        return [k for k in shown if k.keys in keep]

    def palette(self, width: int) -> str:
        """The palette's key at the right: named in full from 100 columns, just ``^p`` below."""
        return self.PALETTE if width >= 100 else "^p"

    def _fit(self) -> None:
        width = max(1, self.content_region.width or self.app.size.width)
        parts: list[Content | tuple[str, str] | str] = [" "]
        for k in self.keys(width - 1):
            parts += [(k.display, "bold $text-accent"), f" {self.label(k)}  "]
        line = Content.assemble(*parts)
        pal = self.palette(width - 1)
        gap = max(1, width - line.cell_length - len(pal) - 1)
        self.update(Content.assemble(line, " " * gap, ("^p", "bold $text-accent"), pal[2:]))

    def on_resize(self) -> None:
        self._fit()

    def on_mount(self) -> None:
        self._fit()

    def refresh_keys(self) -> None:
        self._fit()


def marks(c: Cluster) -> list[list[Span]]:
    """Per member, its words with ``shared`` set unless the word differs: the shared word alignment
    (``dedupe.text.align``, as every other output).  A restatement's words shared by meaning
    (its figures, synonyms) count as shared too: only what differs is marked."""
    if c.restatement is None:
        return c.alignment()
    spans = align_group([m.text for m in c.members])
    meant = c.alignment()
    return [[Span(a.start, a.end, a.shared or any(b.shared and b.start < a.end and a.start < b.end for b in mm))
             for a in sp] for sp, mm in zip(spans, meant)]


def reflow(text: str) -> str:
    """``text`` with its line breaks shown as spaces (same length: offsets into it stay exact)."""
    return text.replace("\r", " ").replace("\n", " ")


def fit_path(loc: str, width: int) -> str:
    """``loc`` (path:line:col) cut on the left to ``width`` cells, so it never wraps."""
    if width <= 0 or Text(loc).cell_len <= width:
        return loc
    return "…" + loc[len(loc) - max(1, width - 1):]


def render_cluster(c: Cluster, status: str, documents: Any = None, selected: int = 0, paragraph: Any = None,
                   pair_line: bool = True, width: int = 0, threshold: float | None = None) -> Content:
    """The detail of a cluster as Content: every member stacked, with its
    location, its paragraph for context (reflowed: source line breaks inside
    it read as spaces), shared words highlighted and the differing words
    marked.  ``paragraph(member)`` returns ``(text, offset)`` of the member in
    its paragraph, or None for just the member text.  ``width`` (the pane's)
    keeps every ``path:line:col`` on one line."""
    parts: list[Content] = []
    n_docs = len(c.documents)
    if c.restatement is not None:  # a score of meaning, not of shared words
        measure = f"  ·  restatement score {c.restatement.get('meaning', c.similarity)}"
    elif c.containment - c.similarity >= 0.05:  # the shorter copy sits inside the longer one
        under = threshold is not None and c.similarity < threshold
        measure = (f"  ·  similarity {c.similarity:.2f}, containment {c.containment:.2f}"
                   + (" (a containment match: the shorter copy is inside a longer sentence)" if under
                      else " (one copy inside the other)"))
    else:
        measure = f"  ·  similarity {c.similarity:.2f}"
    head = Content.assemble(
        (f"{c.id} ", STYLE_HEAD),
        (f"{c.kind} ({c.rule})", STYLE_HEAD),
        measure,
        f"  ·  {len(c.members)} cop{'ies' if len(c.members) != 1 else 'y'}",
        f" in {n_docs} article{'s' if n_docs != 1 else ''}  ·  ",
        (status, STYLE_STATUS.get(status, "")),
    )
    parts.append(head)
    if c.restatement is None and (c.details or any(p.link == "words" for p in c.pairs)):
        # which detail changed, or a link by word alignment (containment is said in the heading above)
        parts.append(Content(c.note()).stylize(STYLE_CONTEXT))
    parts.append(Content.assemble(("shared words", STYLE_SHARED), "  ", ("differing words", STYLE_DIFF),
                                  ("   context", STYLE_CONTEXT)))
    align = marks(c)
    shown = c.members[:MAX_MEMBERS]
    for i, m in enumerate(shown):
        spans = align[i]
        marker = "▶ " if i == selected else "  "
        loc = f"{where(m.doc, m.path)}:{m.line}:{m.column}"
        tags = "  [archive]" if m.archive else ""
        parts.append(Content(""))
        parts.append(Content.assemble((marker, STYLE_HEAD), (f"copy {i + 1}/{len(c.members)}", STYLE_CONTEXT),
                                      (tags, STYLE_CONTEXT)))
        parts.append(Content(fit_path(loc, width)).stylize(STYLE_LOC))
        if m.title:
            parts.append(Content(m.title).stylize(STYLE_TITLE))
        ctx = paragraph(m) if paragraph else None
        if ctx is None:
            text, off = m.text, 0
        else:
            text, off = ctx
        body = Content(text if looks_like_table(text) else reflow(text))  # a table keeps its rows
        n = len(m.text)
        if off > 0:
            body = body.stylize(STYLE_CONTEXT, 0, off)
        if off + n < len(text):
            body = body.stylize(STYLE_CONTEXT, off + n, len(text))
        for sp in spans:
            body = body.stylize(STYLE_SHARED if sp.shared else STYLE_DIFF, off + sp.start, off + sp.end)
        parts.append(body)
    if len(c.members) > len(shown):
        parts.append(Content(""))
        parts.append(Content(f"… and {len(c.members) - len(shown)} more copies", ).stylize(STYLE_CONTEXT))
    if pair_line and 1 < len(c.members) <= 12:
        sims = ", ".join(f"{p.a + 1}↔{p.b + 1} {p.similarity:.2f}" for p in c.pairs[:20])
        parts.append(Content(""))
        parts.append(Content("similarity of each pair of copies: " + sims).stylize(STYLE_CONTEXT))
    return Content("\n").join(parts)


def _lines(lines: list[int]) -> str:
    """``line 4``, ``lines 4, 9``: never a bare ``4 / 16`` that reads like "4 of 16"."""
    if not lines:
        return "–"
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(str(n) for n in lines)


def render_group(g: ArticleGroup, status: str, selected: int = 0, status_of: Any = None, width: int = 0) -> Content:
    """The detail of a folded whole-article duplicate: both articles with their
    titles, how many of each one's checked sentences the other has, and every
    cluster of the pair with its lines in each article.  Counts are of one
    measure each, labelled: *checked sentences* per article, *clusters* in the
    row (the list's × column).  Plain text throughout (``Content`` from strings, never markup)."""
    p = g.pair
    n = len(g.clusters)
    parts: list[Content] = [
        Content.assemble((f"{g.id} ", STYLE_HEAD), ("whole-article duplicate", STYLE_HEAD),
                         f"  ·  {n} cluster{'s' if n != 1 else ''} listed"
                         f"  ·  share {p.ab.share:.0%} / {p.ba.share:.0%}  ·  ", (status, STYLE_STATUS.get(status, ""))),
        Content(""),
    ]
    for tag, doc, path, title, o in (("a", p.a, p.path_a, p.title_a, p.ab), ("b", p.b, p.path_b, p.title_b, p.ba)):
        arch = "  [archive]" if _is_archive(g, doc) else ""
        parts.append(Content.assemble((f"{tag}  ", STYLE_HEAD), (fit_path(where(doc, path), width - 3), STYLE_LOC),
                                      (arch, STYLE_CONTEXT)))
        if title:
            parts.append(Content.assemble("   ", (title, STYLE_TITLE)))
        parts.append(Content(f"   {o.shared} of its {o.total} checked sentences ({o.share:.0%}) are in the other"))
    parts.append(Content(""))
    parts.append(Content.assemble((f"{n} cluster{'s' if n != 1 else ''}", STYLE_HEAD),
                                  ("   where each is in a and in b", STYLE_CONTEXT)))
    for i, c in enumerate(g.clusters):
        la, lb = g.lines(c)
        marker = "▶ " if i == selected else "  "
        mark = STATUS_MARK.get(status_of(c), " ") if status_of else " "
        head = Content.assemble((marker, STYLE_HEAD), f"{mark} ", ("a ", STYLE_HEAD), (_lines(la), STYLE_LOC),
                                ("  b ", STYLE_HEAD), (_lines(lb), STYLE_LOC),
                                (f"  {c.id} {KIND_LABELS.get(c.kind, c.kind)} {c.similarity:.2f}", STYLE_CONTEXT))
        parts.append(head)
        m = next((m for m in c.members if m.doc == p.a), c.members[0])
        parts.append(Content("    " + " ".join(m.text.split())))
    return Content("\n").join(parts)


def _is_archive(g: ArticleGroup, doc: str) -> bool:
    return any(m.archive for m in g.clusters[0].members if m.doc == doc) if g.clusters else False


class DetailPane(VerticalScroll):
    """The scrollable pane holding the detail (focus it with enter)."""

    BINDINGS = bindings_for("detail")

    def on_resize(self) -> None:
        if hasattr(self.app, "detail_resized"):
            self.app.detail_resized()
