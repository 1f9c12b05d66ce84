"""Widgets of the review screen: the cluster list, the detail pane, the totals line.

Article text is never parsed as markup: the list renders its rows itself
from plain strings (``rich.text.Text`` built without markup) and the detail
is a :class:`textual.content.Content` built from plain strings, styled by offsets with theme variables (``$text-success`` ...).
"""

from __future__ import annotations

from typing import Callable

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
from dedupe.tui.model import KIND_LABELS, ArticleGroup, ReviewModel, Row, first_words

# styles of the detail pane (theme variables, so light and dark themes both read)
STYLE_SHARED = "$text-success"
STYLE_DIFF = "bold $text-error on $error-muted"
STYLE_CONTEXT = "$text-muted"
STYLE_HEAD = "bold $text-accent"
STYLE_LOC = "bold"
STYLE_STATUS = {"accepted": "bold $text-success", "ignored": "bold $text-warning", "grown": "bold $text-error",
                "new": "$text-muted", "mixed": "bold $text-warning"}
STATUS_MARK = {"accepted": "✓", "ignored": "✗", "grown": "↑", "new": " ", "mixed": "±"}

#: Members shown at most in the detail (large clusters are verbatim repeats).
MAX_MEMBERS = 40


def _name(path: str) -> str:
    """An article's short name in the list: its file name without the extension."""
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


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

    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False, id="dedupe.list.up"),
        Binding("down", "cursor_down", "Down", show=False, id="dedupe.list.down"),
        Binding("k", "cursor_up", "Up", show=False, id="dedupe.list.k"),
        Binding("j", "cursor_down", "Down", show=False, id="dedupe.list.j"),
        Binding("home", "first", "First", show=False, id="dedupe.list.home"),
        Binding("end", "last", "Last", show=False, id="dedupe.list.end"),
        Binding("g", "first", "First", show=False, id="dedupe.list.first"),
        Binding("G", "last", "Last", show=False, id="dedupe.list.last"),
        Binding("pageup", "page_up", "Page up", show=False, id="dedupe.list.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="dedupe.list.page_down"),
        Binding("enter", "select", "Read the detail", show=False, id="dedupe.list.select"),
    ]

    #: (title, width) of the columns; the last one takes the rest of the line.
    COLUMNS = (("", 1), ("Kind", 8), ("Sim", 4), ("×", 3), ("Article", 14), ("First words", 10))
    #: Cells are padded with one space either side (as DataTable did).
    PAD = 1

    class Highlighted(Message):
        """The cursor moved to ``index`` (``cluster`` is the row under it)."""

        def __init__(self, cluster_list: "ClusterList", index: int, cluster: Cluster) -> None:
            super().__init__()
            self.cluster_list, self.index, self.cluster = cluster_list, index, cluster
            self.rows = cluster_list.clusters  # the list shown when the message was posted

        @property
        def control(self) -> "ClusterList":
            return self.cluster_list

    class Selected(Highlighted):
        """Enter (or a click on the cursor row): read the detail of ``cluster``."""

    def __init__(self, *, on_cursor: Callable[[int, Cluster], None] | None = None, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """``on_cursor(index, cluster)`` is called as soon as the cursor moves, before the
        :class:`Highlighted` message goes out, so the detail can be drawn in the same frame as
        the list (a message handler runs a screen refresh later: one more frame of latency)."""
        super().__init__(name=name, id=id, classes=classes)
        self.on_cursor = on_cursor
        self.clusters: list[Cluster] = []
        self._status: Callable[[Cluster], str] = lambda c: "new"
        self.cursor_row = 0
        self._cells: dict[int, tuple[Cluster, tuple[str, str, str, str, str]]] = {}  # id(c) -> (c, cells)

    # -- data --------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.clusters)

    def fill(self, clusters: list[Cluster], status: Callable[[Cluster], str]) -> None:
        """Show ``clusters`` (kept by reference, not copied); nothing is rendered until drawn."""
        if len(self._cells) > 4 * len(clusters) + 1000:
            self._cells = {}
        self.clusters = clusters
        self._status = status
        self.cursor_row = min(self.cursor_row, max(0, len(clusters) - 1))
        self._update_virtual_size()
        self.refresh()

    def set_status(self, c: Cluster, status: str | None = None) -> None:
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
            article = f"{_name(p.path_a)} = {_name(p.path_b)}"
            cells = (KIND_LABELS["article"], f"{c.similarity:.2f}", str(len(c.clusters)),
                     strip_control_codes(article), strip_control_codes(first_words(c.clusters[0].members[0].text, 6)))
            self._cells[id(c)] = (c, cells)
            return cells
        m = c.members[0]
        article = _name(m.path)
        docs = len(c.documents)
        if docs > 1:
            article += f" +{docs - 1}"
        cells = (KIND_LABELS.get(c.kind, c.kind), f"{c.similarity:.2f}", str(len(c.members)),
                 strip_control_codes(article), strip_control_codes(first_words(m.text, 6)))
        self._cells[id(c)] = (c, cells)
        return cells

    def cells(self, index: int) -> tuple[str, ...]:
        """The plain text of row ``index``: status mark, kind, similarity, copies, article, first words."""
        c = self.clusters[index]
        return (STATUS_MARK.get(self._status(c), " "), *self._static_cells(c))

    # -- rendering -----------------------------------------------------------
    def _widths(self, width: int) -> list[int]:
        widths = [w for _, w in self.COLUMNS]
        fixed = sum(widths[:-1]) + 2 * self.PAD * len(widths)
        widths[-1] = max(widths[-1], width - fixed)
        return widths

    def _line(self, cells: tuple[str, ...], width: int, base: Style, styles: dict[int, Style] | None = None,
              right: frozenset[int] = frozenset()) -> Strip:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        pad = " " * self.PAD
        for i, (cell, w) in enumerate(zip(cells, self._widths(width))):
            t = Text(cell, no_wrap=True, overflow="ellipsis", end="")
            t.truncate(w, overflow="ellipsis")
            gap = " " * max(0, w - t.cell_len)
            if i in right:
                t = Text(gap, end="") + t
            else:
                t.append(gap)
            if styles and i in styles:
                t.stylize(styles[i])
            text.append(pad)
            text.append_text(t)
            text.append(pad)
        text.truncate(width, overflow="ellipsis", pad=True)
        text.stylize_before(base)  # underneath the cells' own styles (Text.render ignores Text.style)
        return Strip(text.render(self.app.console), width)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("cluster-list--header")
            return self._line(tuple(t for t, _ in self.COLUMNS), width, base + header)
        index = int(self.scroll_offset.y) + y - 1
        if not 0 <= index < len(self.clusters):
            return Strip.blank(width, base)
        c = self.clusters[index]
        status = self._status(c)
        cells = (STATUS_MARK.get(status, " "), *self._static_cells(c))
        styles = None
        if status in ("accepted", "ignored", "grown", "mixed"):
            cls = "ignored" if status == "mixed" else status
            styles = {0: self.get_component_rich_style(f"cluster-list--{cls}", partial=True)}
        if index == self.cursor_row:
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

    def _on_click(self, event: events.Click) -> None:
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


class Totals(Static):
    """The header line: articles, sentences, clusters by kind, resolved by the baseline."""

    def show(self, model: ReviewModel, threshold: float, extra: str = "") -> None:
        t = model.totals()
        if not t:
            self.update(Content("dedupe review: " + (extra or "scanning…")))
            return
        kinds = ", ".join(f"{n} {KIND_LABELS.get(k, k)}" for k, n in sorted(t["by_kind"].items()))
        parts = [
            f"{t['articles']} article{'s' if t['articles'] != 1 else ''}",
            f"{t['sentences']:,} sentences",
            f"{t['clusters']:,} clusters" + (f" ({kinds})" if kinds else ""),
            f"{t['resolved']} resolved by baseline" + ("" if model.show_resolved or not t["resolved"] else " (hidden)"),
            f"threshold {threshold:.2f}",
        ]
        folded, rows = t.get("folded", (0, 0))
        if folded:  # still counted as clusters above
            parts.insert(3, f"{folded:,} folded into {rows:,} article row{'s' if rows != 1 else ''} (z)")
        if t["archive"]:
            parts.insert(1, f"{t['archive']:,} archive")
        if model.kind_filter:
            parts.append(f"kind: {KIND_LABELS.get(model.kind_filter, model.kind_filter)}")
        if model.text_filter:
            parts.append(f"filter: {model.text_filter!r}")
        if model.unsaved:
            parts.append(f"{model.unsaved} unsaved")
        if t["errors"]:
            parts.append(f"{t['errors']} unreadable")
        if extra:
            parts.append(extra)
        self.update(Content(" · ".join(parts)))


def render_cluster(c: Cluster, status: str, documents=None, selected: int = 0, paragraph=None,
                   pair_line: bool = True) -> Content:
    """The detail of a cluster as Content: every member stacked, with its
    location, its paragraph for context, shared words highlighted and the
    differing words marked.  ``paragraph(member)`` returns ``(text, offset)``
    of the member in its paragraph, or None for just the member text."""
    parts: list[Content] = []
    head = Content.assemble(
        (f"{c.id} ", STYLE_HEAD),
        (f"{c.kind} ({c.rule})", STYLE_HEAD),
        f"  similarity {c.similarity:.2f}",
        f"  ·  {len(c.members)} copies",
        f"  ·  {len(c.documents)} article{'s' if len(c.documents) != 1 else ''}  ·  ",
        (status, STYLE_STATUS.get(status, "")),
    )
    parts.append(head)
    parts.append(Content.assemble(("shared words", STYLE_SHARED), "  ", ("differing words", STYLE_DIFF),
                                  ("   context", STYLE_CONTEXT)))
    align = c.alignment()
    shown = c.members[:MAX_MEMBERS]
    for i, m in enumerate(shown):
        spans = align[i]
        marker = "▶ " if i == selected else "  "
        loc = f"{m.path}:{m.line}:{m.column}"
        title = f"  — {m.title}" if m.title else ""
        tags = "  [archive]" if m.archive else ""
        parts.append(Content(""))
        parts.append(Content.assemble((marker, STYLE_HEAD), (f"{i + 1}/{len(c.members)}  ", STYLE_CONTEXT),
                                      (loc, STYLE_LOC), (title + tags, STYLE_CONTEXT)))
        ctx = paragraph(m) if paragraph else None
        if ctx is None:
            text, off = m.text, 0
        else:
            text, off = ctx
        body = Content(text)
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
        parts.append(Content("pairs: " + sims).stylize(STYLE_CONTEXT))
    return Content("\n").join(parts)


def _lines(lines: list[int]) -> str:
    return ", ".join(str(n) for n in lines) or "–"


def render_group(g: ArticleGroup, status: str, selected: int = 0, status_of=None) -> Content:
    """The detail of a folded whole-article duplicate: both articles with their
    titles, the share both ways, and every shared sentence with its line in
    each article.  Plain text throughout (``Content`` from strings, never markup)."""
    p = g.pair
    n = len(g.clusters)
    parts: list[Content] = [
        Content.assemble((f"{g.id} ", STYLE_HEAD), ("whole-article duplicate", STYLE_HEAD),
                         f"  ·  {n} shared sentence{'s' if n != 1 else ''} (a cluster each)"
                         f"  ·  share {p.ab.share:.0%} / {p.ba.share:.0%}  ·  ", (status, STYLE_STATUS.get(status, ""))),
        Content(""),
    ]
    for tag, doc, path, title, o in (("a", p.a, p.path_a, p.title_a, p.ab), ("b", p.b, p.path_b, p.title_b, p.ba)):
        arch = "  [archive]" if _is_archive(g, doc) else ""
        parts.append(Content.assemble((f"{tag}  ", STYLE_HEAD), (path, STYLE_LOC), (arch, STYLE_CONTEXT)))
        if title:
            parts.append(Content.assemble("   ", (title, STYLE_CONTEXT)))
        parts.append(Content(f"   {o.shared}/{o.total} of its checked sentences ({o.share:.0%}) are in the other"))
    parts.append(Content(""))
    parts.append(Content.assemble(("Shared sentences", STYLE_HEAD), ("   line in a / line in b", STYLE_CONTEXT)))
    for i, c in enumerate(g.clusters):
        la, lb = g.lines(c)
        marker = "▶ " if i == selected else "  "
        mark = STATUS_MARK.get(status_of(c), " ") if status_of else " "
        head = Content.assemble((marker, STYLE_HEAD), f"{mark} ", (_lines(la), STYLE_LOC), " / ",
                                (_lines(lb), STYLE_LOC),
                                (f"  {c.id} {KIND_LABELS.get(c.kind, c.kind)} {c.similarity:.2f}", STYLE_CONTEXT))
        parts.append(head)
        m = next((m for m in c.members if m.doc == p.a), c.members[0])
        parts.append(Content("    " + " ".join(m.text.split())))
    return Content("\n").join(parts)


def _is_archive(g: ArticleGroup, doc: str) -> bool:
    return any(m.archive for m in g.clusters[0].members if m.doc == doc) if g.clusters else False


class DetailPane(VerticalScroll):
    """The scrollable pane holding the detail (focus it with enter)."""

    BINDINGS = [
        Binding("j", "scroll_down", "Scroll down", show=False, id="dedupe.detail.down"),
        Binding("k", "scroll_up", "Scroll up", show=False, id="dedupe.detail.up"),
    ]
