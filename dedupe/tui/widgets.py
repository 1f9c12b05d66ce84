"""Widgets of the review screen: the cluster list, the detail pane, the totals line.

Article text is never parsed as markup: the list gets ``rich.text.Text``
cells and the detail is a :class:`textual.content.Content` built from plain
strings, styled by offsets with theme variables (``$text-success`` ...).
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.binding import Binding
from textual.content import Content
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from ..findings import Cluster
from .model import KIND_LABELS, ReviewModel, first_words

# styles of the detail pane (theme variables, so light and dark themes both read)
STYLE_SHARED = "$text-success"
STYLE_DIFF = "bold $text-error on $error-muted"
STYLE_CONTEXT = "$text-muted"
STYLE_HEAD = "bold $text-accent"
STYLE_LOC = "bold"
STYLE_STATUS = {"accepted": "bold $text-success", "ignored": "bold $text-warning", "grown": "bold $text-error",
                "new": "$text-muted"}
STATUS_MARK = {"accepted": "✓", "ignored": "✗", "grown": "↑", "new": " "}

#: Members shown at most in the detail (large clusters are verbatim repeats).
MAX_MEMBERS = 40


class ClusterList(DataTable):
    """The clusters, one row each; rows are keyed by cluster id."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="dedupe.list.down"),
        Binding("k", "cursor_up", "Up", show=False, id="dedupe.list.up"),
        Binding("g", "scroll_top", "First", show=False, id="dedupe.list.first"),
        Binding("G", "scroll_bottom", "Last", show=False, id="dedupe.list.last"),
    ]

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = False
        self.add_column("", key="status", width=1)
        self.add_column("Kind", key="kind", width=8)
        self.add_column("Sim", key="sim", width=4)
        self.add_column("×", key="n", width=3)
        self.add_column("Article", key="article", width=14)
        self.add_column("First words", key="words", width=24)

    def fill(self, clusters: list[Cluster], status: Callable[[Cluster], str]) -> None:
        """Replace the rows (cells are Text: article text is never markup)."""
        self.clear()
        rows = []
        keys = []
        for c in clusters:
            m = c.members[0]
            st = status(c)
            article = m.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            docs = len(c.documents)
            if docs > 1:
                article += f" +{docs - 1}"
            rows.append((
                Text(STATUS_MARK.get(st, " ")),
                Text(KIND_LABELS.get(c.kind, c.kind)),
                Text(f"{c.similarity:.2f}"),
                Text(str(len(c.members)), justify="right"),
                Text(article, no_wrap=True, overflow="ellipsis"),
                Text(first_words(m.text, 6), no_wrap=True, overflow="ellipsis"),
            ))
            keys.append(c.id)
        for row, key in zip(rows, keys):
            self.add_row(*row, key=key)

    def set_status(self, c: Cluster, status: str) -> None:
        try:
            self.update_cell(c.id, "status", Text(STATUS_MARK.get(status, " ")))
        except Exception:  # row filtered out
            pass


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


class DetailPane(VerticalScroll):
    """The scrollable pane holding the detail (focus it with enter)."""

    BINDINGS = [
        Binding("j", "scroll_down", "Scroll down", show=False, id="dedupe.detail.down"),
        Binding("k", "scroll_up", "Scroll up", show=False, id="dedupe.detail.up"),
    ]
