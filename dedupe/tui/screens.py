"""Modal screens: ignore reason, quit confirmation, help."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from dedupe.tui.keys import help_text


class ReasonScreen(ModalScreen[str | None]):
    """Ask why a finding is ignored (optional); None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dedupe.reason.cancel")]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(Content("Ignore " + self.what), classes="dialog-title")
            yield Label("Reason (optional; enter to confirm, escape to cancel):")
            yield Input(placeholder="e.g. intended: pull quote", id="reason")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmQuitScreen(ModalScreen[str]):
    """Unsaved decisions: save and quit, quit anyway, or stay ("save", "discard", "cancel")."""

    BINDINGS = [
        # only keys the dialog names: s saves (and quits), d discards (and quits); nothing else decides
        Binding("s", "choose('save')", "Save and quit", id="dedupe.quit.save"),
        Binding("d", "choose('discard')", "Quit without saving", id="dedupe.quit.discard"),
        Binding("escape,n,c", "choose('cancel')", "Cancel", id="dedupe.quit.cancel"),
    ]

    def __init__(self, unsaved: int) -> None:
        super().__init__()
        self.unsaved = unsaved

    def compose(self) -> ComposeResult:
        n = self.unsaved
        with Vertical(id="dialog", classes="dialog"):
            yield Label(f"{n} unsaved decision{'s' if n != 1 else ''}", classes="dialog-title")
            yield Label("Save them to the baseline before quitting?")
            yield Label(Content("s: save them and quit · d: discard them and quit · esc: keep reviewing"),
                        classes="dialog-keys")
            with Horizontal(classes="buttons"):
                yield Button(Content("Save, quit (s)"), id="save", variant="primary")
                yield Button(Content("Discard, quit (d)"), id="discard", variant="error")
                yield Button(Content("Cancel (esc)"), id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")

    def action_choose(self, what: str) -> None:
        self.dismiss(what)


class RestoreScreen(ModalScreen[str]):
    """Decisions journalled by a review that ended unsaved: restore them, discard them, or decide later."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("r,y,enter", "choose('restore')", "Restore", id="dedupe.restore.restore"),
        Binding("d", "choose('discard')", "Discard", id="dedupe.restore.discard"),
        Binding("escape,n", "choose('later')", "Not now", id="dedupe.restore.later"),
    ]

    def __init__(self, count: int, path: str) -> None:
        super().__init__()
        self.count, self.path = count, path

    def compose(self) -> ComposeResult:
        n = self.count
        with Vertical(id="dialog", classes="dialog"):
            yield Label(Content(f"{n} unsaved decision{'s' if n != 1 else ''} from an earlier review"),
                        classes="dialog-title")
            yield Label(Content(f"The review ended before they were saved; they were kept in {self.path}. "
                                "Restore them (still unsaved: s saves)?"))
            yield Label(Content("r: restore them · d: discard them (deletes the journal) · esc: not now"),
                        classes="dialog-keys")
            with Horizontal(classes="buttons"):
                yield Button(Content("Restore (r)"), id="restore", variant="primary")
                yield Button(Content("Discard (d)"), id="discard", variant="error")
                yield Button(Content("Not now (esc)"), id="later")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "later")

    def action_choose(self, what: str) -> None:
        self.dismiss(what)


INTRO = """\
Walk through every cluster of repeated text: fix the copy in your editor,
accept what is an intended repeat, ignore the rest."""

NOTES = """\
Decisions go to the baseline file that `dedupe check` reads: accepted repeats
and ignored findings no longer fail the check (one more copy does). Until
saved they are journalled next to the baseline, and offered back if the
review ends without saving. Saving an article in your editor re-scans it.
List: × copies (an article row: its two articles). Marks: ✓ accepted,
✗ ignored, ↑ accepted but grown (one more copy), ± mixed. A whole-article
duplicate (two articles sharing 80%+ of their checked sentences) is one
"article" row: a decision on it applies to every cluster in it."""


def help_content() -> str:
    """The help screen's text: the keys from the key table, with what decisions do."""
    return f"{INTRO}\n\n{help_text()}\n\n{NOTES}\n"


class HelpScreen(ModalScreen[None]):
    """The keys; scrolls as less does (j/k, space/b, g/G, ^d/^u, the arrows and page keys)."""

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="dedupe.help.close"),
        Binding("j", "scroll('down')", "Down", id="dedupe.help.down"),
        Binding("k", "scroll('up')", "Up", id="dedupe.help.up"),
        Binding("space,ctrl+d,ctrl+f", "scroll('page_down')", "Page down", id="dedupe.help.page_down"),
        Binding("b,ctrl+u,ctrl+b", "scroll('page_up')", "Page up", id="dedupe.help.page_up"),
        Binding("g", "scroll('home')", "Top", id="dedupe.help.top"),
        Binding("G", "scroll('end')", "Bottom", id="dedupe.help.bottom"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help", classes="dialog"):
            yield Label(Content("Keys (scroll: j/k, space/b, g/G; esc or q closes)"), classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static(Content(help_content()))

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_scroll(self, how: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        {"down": body.scroll_down, "up": body.scroll_up, "page_down": body.scroll_page_down,
         "page_up": body.scroll_page_up, "home": body.scroll_home, "end": body.scroll_end}[how](animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
