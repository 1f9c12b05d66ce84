"""``dedupe review``: the Textual review UI.

Layout: a totals line, the cluster list (left) and the selected cluster's
copies stacked with their context (right), a progress line while scanning,
the footer with the keys.  Scanning and re-clustering run in a worker
thread (the UI never blocks; escape cancels); the scanned files are polled
every second and a saved article is re-scanned in place.
"""

from __future__ import annotations

import gc
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, cast

from textual import on, work
from textual.app import App, ComposeResult, SuspendNotSupported, SystemCommand
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from dedupe.config import Settings
from dedupe.findings import ScanResult
from dedupe.tui import engine
from dedupe.tui.model import (
    ACCEPT,
    IGNORE,
    KIND_LABELS,
    SORT_LABELS,
    ArticleGroup,
    ReviewModel,
    Row,
    journal_path,
)
from dedupe.tui.screens import (
    ConfirmQuitScreen,
    HelpScreen,
    ReasonScreen,
    RestoreScreen,
)
from dedupe.tui.widgets import (
    ClusterList,
    DetailPane,
    KeyFooter,
    Totals,
    bindings_for,
    render_cluster,
    render_group,
)

THRESHOLD_STEP = 0.05
STAGES = {"analyse": "Reading and analysing", "candidates": "Finding candidates", "verify": "Verifying",
          "cluster": "Clustering"}


class _Cancelled(Exception):
    """Raised inside the scan thread when the worker was cancelled."""


class ScanProgress(Message):
    def __init__(self, stage: str, done: int, total: int) -> None:
        super().__init__()
        self.stage, self.done, self.total = stage, done, total


def settle_garbage() -> None:
    """Collect once, then keep what survives out of the cyclic collector's way.

    A large corpus leaves hundreds of thousands of long-lived objects (documents,
    clusters, members); a full collection walks them all (~100 ms on Reuters) and
    would otherwise land on some random key press.  Objects frozen by an earlier
    scan are unfrozen first, so the previous result can still be collected.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class DedupeReviewApp(App[None]):
    """Review the clusters of a scan and record decisions in the baseline."""

    TITLE = "dedupe review"
    CSS_PATH = "review.tcss"
    ENABLE_COMMAND_PALETTE = True

    #: every key comes from the one table (dedupe.tui.keys); the footer is KeyFooter, drawn from it too
    BINDINGS = bindings_for("app")

    def __init__(
        self,
        paths: Sequence[str],
        settings: Settings | None = None,
        *,
        read_options: Any = None,
        baseline: Any = None,
        baseline_path: str | None = None,
        against: Sequence[str] = (),
        show_resolved: bool = False,
        watch: bool = True,
        watch_interval: float = 1.0,
        severity: Callable[[str], str] | None = None,
        settings_record: Callable[[Settings], dict[str, Any]] | None = None,
        journal: bool = True,
        advance: bool = False,
    ) -> None:
        super().__init__()
        self.paths = list(paths)
        self.settings = (settings or Settings()).validate()
        self.read_options = read_options
        self.against = list(against)
        self.baseline_path = baseline_path
        if baseline is None and baseline_path is not None:
            from dedupe.check.baseline import Baseline

            baseline = Baseline.load(baseline_path)
        jpath = journal_path(baseline_path) if journal and baseline_path else None
        self.model = ReviewModel(baseline, show_resolved=show_resolved, severity=severity, journal=jpath)
        self.model.context = self._context_text
        #: what the saved baseline records of the settings (``check --update-baseline``'s record)
        self.settings_record = settings_record
        self._journal_offered = False
        self._signal_quit = 0
        #: exit status of the review: 130 after ctrl+c, 143 after SIGTERM, 129 after SIGHUP (as a shell reports them)
        self.exit_status = 0
        #: move to the next row after a decision (A toggles; off by default: the decided row stays
        #: selected with its mark, and the next j never skips a row the editor has not seen)
        self.advance = advance
        self.analysed: engine.Analysed | None = None
        self.rows: list[Row] = []
        self.current: Row | None = None
        self.member_index = 0
        self.watch_files = watch
        self.watch_interval = watch_interval
        self.scanning = False
        self.scan_message = ""
        self.last_redraw_ms = 0.0
        self._context_cache: dict[tuple[str, int, int], tuple[str, int] | None] = {}
        #: what the watcher compares the files' stats to (a copy of the analysis' own, updated as changes are seen)
        self._stamps: dict[str, tuple[int, int]] = {}
        self._stamps_of: engine.Analysed | None = None

    # -- layout --------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Totals("dedupe review: scanning…", id="totals")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Input(placeholder="filter: words, path… (enter: done, esc: clear)", id="filter")
                yield ClusterList(id="clusters", on_cursor=self._cursor_moved)
                yield Static(id="empty")
            with DetailPane(id="detail-pane"):
                yield Static(Content("Scanning…"), id="detail")
        with Horizontal(id="scanbar"):
            yield Label("Scanning", id="scan-stage")
            yield ProgressBar(total=None, show_eta=False, id="progress")
        yield KeyFooter(self._footer_shows, id="footer", label=self._footer_label)

    def on_unmount(self) -> None:
        gc.unfreeze()
        self._remove_signal_handlers()

    def on_mount(self) -> None:
        self.query_one(ClusterList).focus()
        self._install_signal_handlers()
        self.start_scan(full=True)
        if self.watch_files:
            self.set_interval(self.watch_interval, self._poll_files)

    # -- scanning --------------------------------------------------------------
    def start_scan(self, full: bool = False, files: Sequence[str] = ()) -> None:
        """Analyse (``full``), re-analyse ``files``, or only re-cluster."""
        self.scanning = True
        bar = self.query_one("#scanbar")
        bar.add_class("visible")
        self.query_one("#scan-stage", Label).update("Scanning" if full or files else "Re-clustering")
        self.query_one("#progress", ProgressBar).update(total=None, progress=0)
        self._scan_worker(full, tuple(files), self.settings)

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False, description="scan")
    def _scan_worker(self, full: bool, files: tuple[str, ...], settings: Settings) -> tuple[Any, ScanResult, Settings]:
        worker = get_current_worker()

        def progress(stage: str, done: int, total: int) -> None:
            if worker.is_cancelled:
                raise _Cancelled()
            self.post_message(ScanProgress(stage, done, total))

        analysed = self.analysed
        if full or analysed is None or engine.needs_reanalysis(analysed.settings, settings):
            analysed = engine.analyse(self.paths, settings, against=self.against, read_options=self.read_options,
                                      progress=progress)
        elif files:
            analysed = engine.refresh(analysed, files, self.read_options)
        if worker.is_cancelled:
            raise _Cancelled()
        result = engine.cluster(analysed, settings, progress)
        if worker.is_cancelled:
            raise _Cancelled()
        settle_garbage()
        return analysed, result, settings

    def on_scan_progress(self, msg: ScanProgress) -> None:
        if not self.scanning:
            return
        self.query_one("#scan-stage", Label).update(STAGES.get(msg.stage, msg.stage))
        self.query_one("#progress", ProgressBar).update(total=max(1, msg.total), progress=msg.done)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "watch" and event.state == WorkerState.ERROR:
            self.notify(f"Watching the files failed: {event.worker.error} (r re-scans)", severity="error",
                        timeout=8)
            return
        if event.worker.group != "scan":
            return
        state = event.state
        if state == WorkerState.SUCCESS:
            # a scan worker that succeeded returned this triple (_scan_worker)
            analysed, result, settings = cast(tuple[engine.Analysed, ScanResult, Settings], event.worker.result)
            self.analysed = analysed
            self.settings = settings
            self._finish_scan(result)
        elif state in (WorkerState.CANCELLED, WorkerState.ERROR):
            if any(w.group == "scan" and w.is_running and w is not event.worker for w in self.workers):
                return  # a newer scan replaced this one
            self.scanning = False
            self.query_one("#scanbar").remove_class("visible")
            if state == WorkerState.ERROR and not isinstance(event.worker.error, _Cancelled):
                err = event.worker.error
                self.notify(f"scan failed: {err}", severity="error", timeout=10)
                self.scan_message = "scan failed"
            else:
                self.notify("Scan cancelled (r to scan again)", severity="warning")
                self.scan_message = "scan cancelled"
            self._show_totals()
            if self.model.result is None:
                self.query_one("#detail", Static).update(Content(self.scan_message.capitalize() + " (r: scan again)"))

    def _finish_scan(self, result: ScanResult) -> None:
        self.scanning = False
        self.scan_message = ""
        self.query_one("#scanbar").remove_class("visible")
        keep = self._keep()
        keep_row = self.query_one(ClusterList).cursor_row
        self.model.set_result(result)
        self._context_cache.clear()
        self._notify_problems("error", [str(e) for e in result.errors])
        # what the scan skipped or cut (links out of the tree, limits, FIFOs, decoding): said here, not only on stderr
        self._notify_problems("warning", problem_lines(result))
        self.refill(keep, keep_row)
        self.refresh_bindings()  # z shows only when there is something to fold
        self.query_one(KeyFooter).refresh_keys()
        self._offer_journal()

    def _notify_problems(self, severity: str, lines: list[str], shown: int = 5) -> None:
        """The first ``shown`` problems as notices, then how many more (a tree of bad links is no flood)."""
        for text in lines[:shown]:
            self.notify(text, title=f"dedupe: {severity}", severity=severity, timeout=10)
        if len(lines) > shown:
            self.notify(f"… and {len(lines) - shown:,} more {severity}s (dedupe scan lists them all)",
                        title=f"dedupe: {severity}", severity=severity, timeout=10)

    def _poll_files(self) -> None:
        if self.scanning or self.analysed is None:
            return
        if any(w.group == "watch" and w.is_running for w in self.workers):
            return  # the last poll is still stat'ing (a slow disk): never pile polls up
        if self._stamps_of is not self.analysed:
            self._stamps_of, self._stamps = self.analysed, dict(self.analysed.mtimes)
        self._check_files(self.analysed, self._stamps)

    # an explicit description: Textual's default is built from the repr of every argument, on the UI thread
    @work(thread=True, exclusive=True, group="watch", exit_on_error=False, description="watch the files")
    def _check_files(self, analysed: engine.Analysed, stamps: dict[str, tuple[int, int]]) -> None:
        changed = engine.changed_files(analysed, stamps)
        if changed and not get_current_worker().is_cancelled:
            self.call_from_thread(self._files_changed, analysed, changed)

    def _files_changed(self, analysed: engine.Analysed, changed: list[str]) -> None:
        if self.scanning or analysed is not self.analysed:
            return
        for f in changed:  # seen: a re-scan that fails is reported once, not retried every second
            self._stamps[f] = engine.file_stamp(f)
        names = ", ".join(os.path.basename(f) for f in changed[:3]) + (" …" if len(changed) > 3 else "")
        self.notify(f"Changed on disk, re-scanning: {names}", timeout=3)
        self.start_scan(files=changed)

    # -- list and detail ---------------------------------------------------------
    def _keep(self) -> set[str]:
        """Fingerprints that identify the selected row (a folded row's own and its clusters')."""
        c = self.current
        if c is None:
            return set()
        return {c.fingerprint, *c.fingerprints} if isinstance(c, ArticleGroup) else {c.fingerprint}

    def _row_of(self, keep: set[str]) -> int | None:
        """Index of the row that ``keep`` (see ``_keep``) names: the same row, else the first that shares a cluster."""
        for i, c in enumerate(self.rows):
            if c.fingerprint in keep:
                return i
        for i, c in enumerate(self.rows):
            if isinstance(c, ArticleGroup) and not keep.isdisjoint(c.fingerprints):
                return i
        return None

    def refill(self, keep_fp: str | set[str] | None = None, keep_row: int = 0) -> None:
        """Rebuild the list from the model, keeping the selection where possible."""
        table = self.query_one(ClusterList)
        self.rows = self.model.visible()
        table.fill(self.rows, self.model.status)
        empty = self.query_one("#empty", Static)
        if not self.rows:
            self.current = None
            msg = "No repeated sentences or quotes found." if not self.model.clusters else \
                "Nothing matches (f: kind filter, /: text filter, h: show resolved; esc clears the filter)."
            content = Content(msg)
            errors = self.model.result.errors if self.model.result is not None else []
            skipped = problem_lines(self.model.result) if self.model.result is not None else []
            if not self.model.clusters and skipped and not errors:  # e.g. every article a link out of the tree
                lines = skipped[:5] + ([f"… and {len(skipped) - 5:,} more"] if len(skipped) > 5 else [])
                content = Content.assemble(
                    (f"{msg} {len(skipped):,} warning{'s' if len(skipped) != 1 else ''}:", "bold $text-warning"),
                    "\n", Content("\n".join(lines)))
            if not self.model.clusters and errors:  # e.g. an export read without the right --text-field
                read = len(self.model.result.documents) if self.model.result is not None else 0
                lines = [str(e) for e in errors[:5]] + ([f"… and {len(errors) - 5:,} more"] if len(errors) > 5 else [])
                content = Content.assemble(
                    (f"Could not read {len(errors):,} input{'s' if len(errors) != 1 else ''}"
                     f" ({read:,} article{'s' if read != 1 else ''} read):", "bold $text-error"),
                    "\n", Content("\n".join(lines)), "\n\n", "Fix the command line (r re-scans) or q to quit.")
            empty.update(content)
            empty.add_class("visible")
            self.query_one("#detail", Static).update(content)
        else:
            empty.remove_class("visible")
            row = 0
            if keep_fp:
                found = self._row_of({keep_fp} if isinstance(keep_fp, str) else keep_fp)
                row = min(keep_row, len(self.rows) - 1) if found is None else found
            table.move_cursor(row=row, notify=False)
            self.show_cluster(self.rows[row])
        self._show_totals()

    def _show_totals(self) -> None:
        self.query_one(Totals).show(self.model, self.settings.threshold, self.scan_message,
                                    SORT_LABELS.get(self.model.sort, self.model.sort),
                                    self.rows if self.model.result is not None else None)

    def _cursor_moved(self, index: int, c: Row) -> None:
        """The list's cursor moved (called synchronously: the detail is drawn in the same frame)."""
        if c is not self.current:
            self.member_index = 0
            self.show_cluster(c)

    @on(ClusterList.Highlighted, "#clusters")
    def _row_highlighted(self, event: ClusterList.Highlighted) -> None:
        if event.rows is self.rows:  # else posted before the list was refilled
            self._cursor_moved(event.index, event.cluster)

    @on(ClusterList.Selected, "#clusters")
    def _row_selected(self, event: ClusterList.Selected) -> None:
        self.query_one(DetailPane).focus()

    def _paragraph(self, m: Any) -> tuple[str, int] | None:
        key = (m.doc, m.start, m.end)
        if key not in self._context_cache:
            doc = self.analysed.document(m.doc) if self.analysed else None
            self._context_cache[key] = engine.paragraph(doc, m.start, m.end) if doc is not None else None
        return self._context_cache[key]

    def _context_text(self, m: Any) -> str | None:
        p = self._paragraph(m)
        return p[0] if p else None

    def detail_resized(self) -> None:
        """The detail pane changed width: redraw (paths are fitted to it)."""
        if self.current is not None:
            w = self._detail_width()
            if w != self._drawn_width:
                self.show_cluster(self.current)

    def _detail_width(self) -> int:
        return self.query_one(DetailPane).scrollable_content_region.width

    _drawn_width = 0

    def show_cluster(self, c: Row) -> None:
        t0 = time.perf_counter()
        self.current = c
        width = self._drawn_width = self._detail_width()
        if isinstance(c, ArticleGroup):
            self.member_index = min(self.member_index, len(c.clusters) - 1)
            content = render_group(c, self.model.status(c), selected=self.member_index, status_of=self.model.status,
                                   width=width)
        else:
            self.member_index = min(self.member_index, len(c.members) - 1)
            content = render_cluster(c, self.model.status(c), selected=self.member_index, paragraph=self._paragraph,
                                     width=width, threshold=self.settings.threshold)
        self.query_one("#detail", Static).update(content)
        if self.member_index == 0:
            self.query_one(DetailPane).scroll_home(animate=False)
        self.last_redraw_ms = (time.perf_counter() - t0) * 1000

    def _selected(self) -> Row | None:
        if self.current is None:
            self.notify("No cluster selected", severity="warning", timeout=2)
        return self.current

    def _advance(self) -> None:
        table = self.query_one(ClusterList)
        if table.cursor_row < len(self.rows) - 1:
            table.move_cursor(row=table.cursor_row + 1)

    # -- actions -------------------------------------------------------------------
    def action_accept(self) -> None:
        c = self._selected()
        if c is None:
            return
        self.model.decide(c, ACCEPT)
        self._decided(c, "Accepted as intended")

    def action_ignore(self) -> None:
        c = self._selected()
        if c is None:
            return

        def done(reason: str | None) -> None:
            if reason is None:
                return
            self.model.decide(c, IGNORE, reason)
            self._decided(c, "Ignored" + (f": {reason}" if reason else ""))

        what = f"{c.id} (whole-article duplicate, {len(c.clusters)} clusters)" if isinstance(c, ArticleGroup) \
            else f"{c.id} ({c.kind})"
        self.push_screen(ReasonScreen(what), done)

    def _decided(self, c: Row, what: str) -> None:
        self.query_one(ClusterList).set_status(c, self.model.status(c))
        n = f" ({len(c.clusters)} clusters)" if isinstance(c, ArticleGroup) else ""
        self.notify(f"{c.id}: {what}{n} (s to save, u to undo)", timeout=2)
        self._show_totals()
        if self.current is c:
            self.show_cluster(c)
        if self.advance:
            self._advance()

    def action_toggle_advance(self) -> None:
        self.advance = not self.advance
        self.notify("After a decision: " + ("move to the next row" if self.advance else "stay on the row"),
                    timeout=2)
        self.query_one(KeyFooter).refresh_keys()

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """``p`` and the palette's "Screenshot": an SVG in the current folder (Textual's default,
        ~/Downloads, fails where that folder does not exist)."""
        try:
            where = self.save_screenshot(filename, path or os.getcwd())
        except OSError as exc:
            self.notify(f"Could not save the screenshot: {exc}", severity="error", timeout=8)
            return
        self.notify(f"Screenshot saved to {where}", timeout=4)

    def action_undo(self) -> None:
        d = self.model.undo()
        if d is None:
            self.notify("Nothing to undo", severity="warning", timeout=2)
            return
        c = d.cluster
        self.query_one(ClusterList).set_status(c, self.model.status(c))
        i = self._row_of({d.group} if d.group else {d.fingerprint})
        if i is not None:
            self.query_one(ClusterList).move_cursor(row=i, notify=False)
            self.show_cluster(self.rows[i])
        what = self.rows[i].id if i is not None and d.group and self.rows[i].fingerprint == d.group else c.id
        self.notify(f"Undone: {d.action} {what}", timeout=2)
        self._show_totals()

    def action_save(self) -> None:
        if self.model.baseline is None:
            self.notify("No baseline file to save to", severity="error")
            return
        if not self.model.unsaved:
            self.notify("No decisions to save", timeout=2)
            return
        record = self.settings_record(self.settings) if self.settings_record else None
        try:
            n = self.model.save(settings=record)
        except Exception as exc:  # e.g. BaselineError, OSError: report, keep the decisions
            self.notify(f"Could not save the baseline: {exc}", severity="error", timeout=10)
            return
        where = self.baseline_path or "the baseline"
        self.notify(f"Saved {n} decision{'s' if n != 1 else ''} to {where}", timeout=3)
        self._show_totals()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("visible")
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        # the list renders lazily: refiltering 6,500 clusters takes milliseconds, no debounce needed
        self.model.text_filter = event.value
        self.refill(self._keep())

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if not event.value:
            event.input.remove_class("visible")
        self.query_one(ClusterList).focus()

    def action_cycle_sort(self) -> None:
        s = self.model.cycle_sort()
        self.notify(f"Sorted by {SORT_LABELS.get(s, s)}", timeout=1.5)
        self.refill(self._keep())

    def action_cycle_kind(self) -> None:
        k = self.model.cycle_kind()
        self.notify(f"Kind: {KIND_LABELS.get(k, k) if k else 'all'}", timeout=1.5)
        self.refill(self._keep())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_fold":  # hidden (and inert) when nothing folds
            return bool(self.model.pair_of)
        return True

    def _footer_label(self, k: Any) -> str:
        if k.action == "toggle_advance":
            return f"{k.label}: {'on' if self.advance else 'off'}"
        return str(k.label)

    def _footer_shows(self, action: str) -> bool:
        return self.check_action(action, ()) is not False

    def action_toggle_fold(self) -> None:
        if not self.model.pair_of:
            self.notify("No whole-article duplicates to fold", timeout=2)
            return
        self.model.fold = not self.model.fold
        folded, rows = self.model.fold_counts()
        self.notify(f"Folded {folded:,} clusters into {rows:,} article rows" if self.model.fold
                    else "Listing every cluster of whole-article duplicates", timeout=2)
        self.refill(self._keep())

    def action_toggle_resolved(self) -> None:
        self.model.show_resolved = not self.model.show_resolved
        self.notify("Showing resolved findings" if self.model.show_resolved else "Hiding resolved findings",
                    timeout=1.5)
        self.refill(self._keep())

    def action_threshold(self, step: int) -> None:
        t = round(self.settings.threshold + step * THRESHOLD_STEP, 2)
        t = min(1.0, max(THRESHOLD_STEP, t))
        if t == self.settings.threshold:
            self.notify(f"Threshold already {t:.2f}", timeout=1.5)
            return
        self.settings = replace(self.settings, threshold=t)
        self._show_totals()
        self.start_scan()

    def action_rescan(self) -> None:
        self.start_scan(full=True)

    def action_escape(self) -> None:
        if self.scanning:
            self.workers.cancel_group(self, "scan")
            return
        box = self.query_one("#filter", Input)
        if box.has_focus:
            box.value = ""
            box.remove_class("visible")
            self.query_one(ClusterList).focus()
        elif self.query_one(DetailPane).has_focus:
            self.query_one(ClusterList).focus()
        elif self.model.text_filter:  # an applied filter: esc clears it (as lazygit, k9s)
            box.value = ""  # Input.Changed refills the list
            box.remove_class("visible")
            self.model.text_filter = ""
            self.notify("Text filter cleared", timeout=1.5)
            self.refill(self._keep())
        elif self.model.kind_filter:
            self.model.kind_filter = None
            self.notify("Kind filter cleared: every kind", timeout=1.5)
            self.refill(self._keep())

    def action_member(self, step: int) -> None:
        c = self.current
        if c is None:
            return
        n = len(c.clusters) if isinstance(c, ArticleGroup) else min(len(c.members), 40)
        self.member_index = (self.member_index + step) % n
        self.show_cluster(c)

    def action_edit(self) -> None:
        c = self._selected()
        if c is None:
            return
        if isinstance(c, ArticleGroup):  # the selected shared sentence, in the first article
            x = c.clusters[min(self.member_index, len(c.clusters) - 1)]
            m = next((m for m in x.members if m.doc == c.pair.a), x.members[0])
        else:
            m = c.members[self.member_index] if self.member_index < len(c.members) else c.members[0]
        if not os.path.isfile(m.path):
            self.notify(f"{m.path}: not a file that can be edited", severity="error")
            return
        if m.path.endswith((".gz", ".bz2", ".xz", ".zst", ".parquet")):
            self.notify(f"{m.doc}: a story of a compressed export; edit it where the export comes from",
                        severity="warning", timeout=6)
            return
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        try:
            argv = shlex.split(editor)
        except ValueError as exc:
            self.notify(f"Cannot run the editor {editor!r}: {exc}", severity="error", timeout=8)
            return
        if not argv or shutil.which(argv[0]) is None:
            self.notify(f"Cannot run the editor {editor!r}: no such program (set $EDITOR or $VISUAL); "
                        f"open {m.path}:{m.line} yourself", severity="error", timeout=10)
            return
        cmd = [*argv, f"+{m.line}", m.path]
        failed: BaseException | None = None
        status = 0
        try:
            with self.suspend():
                # anything raised in here must not leave the block: Textual resumes only on a normal exit
                try:
                    status = subprocess.call(cmd)
                except (OSError, subprocess.SubprocessError) as exc:
                    failed = exc
        except SuspendNotSupported:
            self.notify(f"Cannot suspend this terminal to run an editor: open {m.path}:{m.line} yourself",
                        severity="warning", timeout=8)
            return
        self.refresh(layout=True)
        if failed is not None:
            self.notify(f"Could not run {editor!r}: {failed}", severity="error", timeout=10)
            return
        if status:
            self.notify(f"{editor!r} exited with status {status}", severity="warning", timeout=6)
        self._poll_files()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_interrupt(self) -> None:
        """ctrl+c: quit like q (asking first); the review then exits with status 130, as interrupted."""
        self.action_quit_review(status=130)

    def action_quit_review(self, status: int = 0) -> None:
        """Every way out comes here (q, ctrl+c, ctrl+q, the palette, SIGTERM): asks when decisions are unsaved.

        ``status`` is the exit status if this ends the review (130 for ctrl+c, 143 for SIGTERM)."""
        if not self.model.unsaved:
            self.exit_status = status
            self.exit()
            return
        if isinstance(self.screen, ConfirmQuitScreen):
            return  # already asking

        def done(choice: str | None) -> None:
            if choice in ("save", "discard"):
                self.exit_status = status
            if choice == "save":
                self.action_save()
                if not self.model.unsaved:
                    self.exit()
            elif choice == "discard":
                self.model.drop_journal()
                self.exit()

        self.push_screen(ConfirmQuitScreen(self.model.unsaved), done)

    async def action_quit(self) -> None:
        """Textual's own quit (its ctrl+q, anything calling ``app.action_quit``) asks too."""
        self.action_quit_review()

    def notify(self, message: str, *, title: str = "", severity: Any = "information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Notices carry article text, paths and typed reasons: never parsed as markup here."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # -- signals and the journal -------------------------------------------------------
    def _install_signal_handlers(self) -> None:
        """SIGTERM asks like q (a second one quits, the journal kept); SIGHUP (the terminal is
        gone, nobody to ask) quits at once, keeping the journal to offer next time."""
        if self.is_headless:
            return
        import asyncio
        import signal

        try:
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, self._on_sigterm)
            loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
            self._signals = True
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no such signal
            self._signals = False

    def _remove_signal_handlers(self) -> None:
        if getattr(self, "_signals", False):
            import asyncio
            import signal

            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            self._signals = False

    def _on_sigterm(self) -> None:
        self._signal_quit += 1
        if self._signal_quit > 1 or not self.model.unsaved:
            self.model.write_journal()
            self.exit_status = 143
            self.exit()
            return
        self.notify("Asked to stop (SIGTERM): save or discard the decisions; another SIGTERM quits, "
                    "keeping them in the journal", severity="warning", timeout=10)
        self.action_quit_review(status=143)

    def _on_sighup(self) -> None:
        self.model.write_journal()
        self.exit_status = 129
        self.exit()

    def _offer_journal(self) -> None:
        """After the first scan: decisions journalled by a review that ended unsaved are offered back."""
        if self._journal_offered:
            return
        self._journal_offered = True
        entries = self.model.read_journal()
        if not entries:
            return

        def done(choice: str | None) -> None:
            if choice == "restore":
                n, missing = self.model.restore(entries)
                gone = f"; {missing} no longer match a finding" if missing else ""
                self.notify(f"Restored {n} unsaved decision{'s' if n != 1 else ''}{gone} (s to save)", timeout=6)
                self.refill(self._keep())
            elif choice == "discard":
                self.model.drop_journal()
                self.notify("Discarded the journalled decisions", timeout=3)
            else:  # not now: they stay in the journal, offered again next time
                self.model.deferred = entries

        self.push_screen(RestoreScreen(len(entries), self.model.journal or ""), done)

    # -- command palette ---------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # Textual's own "Quit" exits at once: only "Quit review" (which asks) is offered
        yield from (c for c in super().get_system_commands(screen) if c.title != "Quit")
        yield SystemCommand("Sort", "Cycle the sort: severity, article, size, similarity (o)",
                            self.action_cycle_sort)
        yield SystemCommand("Accept finding", "Intended repeat: record it in the baseline (a)", self.action_accept)
        yield SystemCommand("Ignore finding", "Ignore the selected finding with a reason (i)", self.action_ignore)
        yield SystemCommand("Undo decision", "Take back the last unsaved decision (u)", self.action_undo)
        yield SystemCommand("Open in editor", "Open the article in $EDITOR at this copy (e)", self.action_edit)
        yield SystemCommand("Filter by text", "Filter the cluster list by text (/)", self.action_filter)
        yield SystemCommand("Cycle kind filter", "Show one kind of finding at a time (f)", self.action_cycle_kind)
        yield SystemCommand("Fold/unfold article duplicates",
                            "One row per whole-article duplicate, or every cluster in it (z)", self.action_toggle_fold)
        yield SystemCommand("Raise threshold", "Raise the similarity threshold and re-cluster (+)",
                            lambda: self.action_threshold(1))
        yield SystemCommand("Lower threshold", "Lower the similarity threshold and re-cluster (-)",
                            lambda: self.action_threshold(-1))
        yield SystemCommand("Re-scan", "Read and scan every article again (r)", self.action_rescan)
        yield SystemCommand("Save decisions", "Write decisions to the baseline file (s)", self.action_save)
        yield SystemCommand("Show/hide resolved", "Toggle findings the baseline resolves (h)",
                            self.action_toggle_resolved)
        yield SystemCommand("Review help", "Keys and what decisions do (?)", self.action_help)
        yield SystemCommand("Quit review", "Quit, asking about unsaved decisions (q)", self.action_quit_review)


def problem_lines(result: ScanResult) -> list[str]:
    """The scan's warnings, one line each: inputs skipped (links out of the tree, FIFOs) and what a reader
    cut or guessed in a document (a limit, an encoding), as ``dedupe scan`` prints them."""
    out = [str(w) for w in result.warnings]
    out.extend(f"{d.path}: {w}" for d in result.documents for w in d.warnings)
    return out
