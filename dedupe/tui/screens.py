"""Modal screens: ignore reason, quit confirmation, help."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


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
        Binding("s,y", "choose('save')", "Save and quit", id="dedupe.quit.save"),
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
            with Horizontal(classes="buttons"):
                yield Button("Save and quit [s]", id="save", variant="primary")
                yield Button("Quit without saving [d]", id="discard", variant="error")
                yield Button("Cancel [esc]", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")

    def action_choose(self, what: str) -> None:
        self.dismiss(what)


HELP = """\
dedupe review: walk through every cluster of repeated text, fix the copy in
your editor, accept what is an intended repeat, ignore the rest.

  ↑/↓ j/k     move in the list           enter      read the detail (esc: back)
  [ / ]       previous / next copy       e          open the copy in $EDITOR
  a           accept (intended repeat)   i          ignore, with a reason
  u           undo the last decision     s          save decisions to the baseline
  /           filter by text             f          cycle kind filter
  z           fold / unfold whole-article duplicates (one row per pair)
  + / -       raise / lower threshold    h          show / hide resolved
  r           re-scan                    esc        cancel a running scan
  ctrl+p      command palette            q          quit (asks if unsaved)

Decisions go to the baseline file that `dedupe check` reads: accepted repeats
and ignored findings no longer fail the check (one more copy does).
Saving an article in your editor re-scans it while the review is open.
Legend: ✓ accepted  ✗ ignored  ↑ accepted but grown (one more copy)  ± mixed.
A whole-article duplicate (two articles sharing 80%+ of their sentences) is one
"article" row: a decision on it applies to every shared sentence.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close", id="dedupe.help.close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help", classes="dialog"):
            yield Label("Keys", classes="dialog-title")
            yield Static(Content(HELP))

    def action_close(self) -> None:
        self.dismiss(None)
