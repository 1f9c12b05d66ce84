"""Snapshots of the review screen on the seeds at 80x24, 120x36 and 200x50 (pytest-textual-snapshot).

The app is opened as an editor would: ``dedupe review seeds/ --exclude README.md --exclude 'archive/*'
--against seeds/archive``.  Update after an intended visual change with
``pytest tests/test_tui_snapshots.py --snapshot-update`` and look at the SVGs in
``tests/__snapshots__/`` (e.g. ``rsvg-convert -o x.png file.svg``) before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dedupe.check.baseline import Baseline
from dedupe.config import Settings
from dedupe.readers import ReadOptions
from dedupe.tui.app import DedupeReviewApp

REPO = Path(__file__).resolve().parent.parent
SIZES = {"80x24": (80, 24), "120x36": (120, 36), "200x50": (200, 50)}
SIZE = SIZES["120x36"]


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # paths in the UI read "seeds/..."
    bpath = str(tmp_path / "baseline.json")
    return DedupeReviewApp(["seeds"], Settings(), baseline=Baseline.load(bpath), baseline_path=bpath, watch=False,
                           read_options=ReadOptions(exclude=("README.md", "archive/*")), against=["seeds/archive"])


async def _scanned(pilot) -> None:
    app = pilot.app
    for _ in range(50):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not app.scanning:
            return
    raise AssertionError("scan did not finish")


async def _goto(pilot, cluster_id: str) -> None:
    app = pilot.app
    i = next(i for i, r in enumerate(app.rows) if r.id == cluster_id)
    app.query_one("#clusters").move_cursor(row=i)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_main_screen(app, snap_compare, size):
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_scanned)


@pytest.mark.parametrize("size", SIZES)
def test_filtered_decided_threshold_raised(app, snap_compare, size):
    """Filter by a name in the copies, accept, raise the threshold: the status line shows all of it."""

    async def run_before(pilot):
        await _scanned(pilot)
        await pilot.press("slash", *"Psaki", "enter", "a", "plus")
        await _scanned(pilot)
        line = pilot.app.query_one("#totals").line
        assert "0.75" in line and "Psaki" in line and "1 unsaved" in line

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", ["80x24", "120x36"])
def test_help_dialog(app, snap_compare, size):
    async def run_before(pilot):
        await _scanned(pilot)
        await pilot.press("question_mark")

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", ["80x24", "120x36"])
def test_quit_dialog(app, snap_compare, size):
    async def run_before(pilot):
        await _scanned(pilot)
        await pilot.press("a", "q")

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


def test_psaki_quote_cluster_selected(app, snap_compare):
    async def run_before(pilot):
        await _scanned(pilot)
        await _goto(pilot, "C2")
        assert pilot.app.current.kind == "repeated-quote" and "Psaki" not in pilot.app.current.members[0].text
        assert "Psaki" in pilot.app.query_one("#detail").content.plain

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_light_theme_after_decisions(app, snap_compare):
    async def run_before(pilot):
        await _scanned(pilot)
        pilot.app.theme = "textual-light"
        await pilot.press("a", "j", "a", "f")  # accept two, then only repeated sentences
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_ignore_reason_dialog(app, snap_compare):
    async def run_before(pilot):
        await _scanned(pilot)
        await pilot.press("i", *"pull quote")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
