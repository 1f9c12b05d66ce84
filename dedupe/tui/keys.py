"""The one table of the review UI's keys.

It drives the Textual bindings (app, list, detail), the footer (which keys
show, and which give way first on a narrow terminal), the help screen and
``dedupe review --help``.  This module imports neither Textual nor Rich, so
the CLI can print the keys without loading the UI.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    keys: str  # Textual key names, comma-separated ("question_mark,f1")
    action: str  # Textual action ("threshold(1)")
    label: str  # footer label ("Save")
    help: str  # help screen and --help ("save decisions to the baseline")
    display: str  # how the key is written for a person ("?", "+", "↑/↓")
    scope: str = "app"  # "app", "list" or "detail": which widget binds it
    footer: int = 0  # footer priority: 1 kept longest ... 9 first to go; 0 never in the footer
    name: str = ""  # binding id suffix (dedupe.<name>)

    @property
    def id(self) -> str:
        return f"dedupe.{self.name or self.action.split('(')[0]}"


KEYS: tuple[Key, ...] = (
    Key("down,j", "cursor_down", "Down", "next cluster", "↓ j", scope="list", name="list.down"),
    Key("up,k", "cursor_up", "Up", "previous cluster", "↑ k", scope="list", name="list.up"),
    Key("pagedown,space,ctrl+d,ctrl+f", "page_down", "Page down", "a page down (as less does)",
        "pgdn space ^d ^f", scope="list", name="list.page_down"),
    Key("pageup,ctrl+u,ctrl+b", "page_up", "Page up", "a page up", "pgup ^u ^b", scope="list",
        name="list.page_up"),
    Key("home,g", "first", "First", "first cluster", "home g", scope="list", name="list.first"),
    Key("end,G", "last", "Last", "last cluster", "end G", scope="list", name="list.last"),
    Key("enter", "select", "Read", "read the detail (esc: back to the list)", "enter", scope="list",
        name="list.select"),
    Key("j,down", "scroll_down", "Scroll down", "scroll the detail down", "j ↓", scope="detail",
        name="detail.down"),
    Key("k,up", "scroll_up", "Scroll up", "scroll the detail up", "k ↑", scope="detail", name="detail.up"),
    Key("right_square_bracket", "member(1)", "Next copy", "next copy in the detail", "]", name="next_copy"),
    Key("left_square_bracket", "member(-1)", "Prev copy", "previous copy in the detail", "[", name="prev_copy"),
    Key("a", "accept", "Accept", "accept: an intended repeat, recorded in the baseline", "a", footer=2),
    Key("i", "ignore", "Ignore", "ignore the finding, with a reason", "i", footer=2),
    Key("u", "undo", "Undo", "undo the last unsaved decision", "u", footer=3),
    Key("A", "toggle_advance", "Next", "after a decision: stay on the row (default) or move on", "A", footer=3, name="advance"),
    Key("s", "save", "Save", "save decisions to the baseline", "s", footer=1),
    Key("e", "edit", "Edit", "open the copy in $EDITOR at its line", "e", footer=6),
    Key("slash", "filter", "Filter", "filter by text (copies, paragraphs, paths, ids, titles)", "/", footer=4),
    Key("f", "cycle_kind", "Kind", "cycle the kind filter", "f", footer=7, name="kind"),
    Key("o", "cycle_sort", "Sort", "cycle the sort: severity, article, size, similarity", "o", footer=7,
        name="sort"),
    Key("z", "toggle_fold", "Fold", "fold / unfold whole-article duplicates (one row per pair)", "z", footer=8,
        name="fold"),
    Key("plus,equals_sign", "threshold(1)", "Thr+", "raise the similarity threshold (re-clusters)", "+",
        footer=5, name="threshold_up"),
    Key("minus", "threshold(-1)", "Thr-", "lower the similarity threshold (re-clusters)", "-", footer=5,
        name="threshold_down"),
    Key("h", "toggle_resolved", "Resolved", "show / hide findings the baseline resolves", "h", footer=9,
        name="resolved"),
    Key("r", "rescan", "Re-scan", "read and scan every article again", "r", footer=9),
    Key("p", "screenshot", "Shot", "save a screenshot (SVG) of the screen in the current folder", "p", footer=9,
        name="screenshot"),
    Key("question_mark,f1", "help", "Help", "this help", "?", footer=1),
    Key("escape", "escape", "Back", "back to the list; clear the text filter, then the kind filter; cancel a scan",
        "esc"),
    Key("ctrl+p", "command_palette", "Palette", "command palette", "^p", name="palette"),
    Key("q", "quit_review", "Quit", "quit (asks first when decisions are unsaved)", "q", footer=1, name="quit"),
    Key("ctrl+c", "interrupt", "Quit", "quit too (asks first, like q; exit status 130)", "^c", name="quit_ctrl"),
    Key("ctrl+q", "quit_review", "Quit", "quit too (asks first, like q)", "^q", name="quit_ctrl_q"),
)


def keys_for(scope: str) -> list[Key]:
    return [k for k in KEYS if k.scope == scope]


def footer_keys(width: int, gap: int = 2, reserved: int = 0, only: list[Key] | None = None) -> list[Key]:
    """The footer's keys for a line of ``width`` cells: the most important that fit, in table order."""
    cands = [k for k in (KEYS if only is None else only) if k.footer]
    chosen: set[Key] = set()
    used = reserved
    for k in sorted(cands, key=lambda k: k.footer):  # stable: table order within a priority
        w = len(k.display) + 1 + len(k.label) + gap
        if used + w <= width:
            chosen.add(k)
            used += w
    return [k for k in cands if k in chosen]


def help_rows() -> list[tuple[str, str]]:
    """(keys as written, what they do) for every key of the table, in its order."""
    return [(k.display, k.help) for k in KEYS]


def help_text() -> str:
    """The keys as lines ``key  what``, for the help screen and ``--help``."""
    rows = help_rows()
    kw = max(len(d) for d, _ in rows)
    return "\n".join(f"  {d:<{kw}}  {h}" for d, h in rows)
