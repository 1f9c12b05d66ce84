"""Snapshots of the review screen on the seeds at a fixed size (pytest-textual-snapshot).

Update after an intended visual change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the SVGs in ``tests/__snapshots__/`` before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dedupe.check.baseline import Baseline
from dedupe.config import Settings
from dedupe.tui.app import DedupeReviewApp

REPO = Path(__file__).resolve().parent.parent
SIZE = (120, 36)


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # paths in the UI read "seeds/..."
    bpath = str(tmp_path / "baseline.json")
    return DedupeReviewApp(["seeds"], Settings(), baseline=Baseline.load(bpath), baseline_path=bpath, watch=False)


async def _scanned(pilot) -> None:
    app = pilot.app
    for _ in range(50):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not app.scanning:
            return
    raise AssertionError("scan did not finish")


def test_main_screen(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=_scanned)


def test_psaki_quote_cluster_selected(app, snap_compare):
    async def run_before(pilot):
        await _scanned(pilot)
        await pilot.press("down")
        assert pilot.app.current.kind == "repeated-quote" and "Psaki" not in pilot.app.current.members[0].text
        assert "Psaki" in pilot.app.query_one("#detail").content.plain

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_light_theme_after_decisions(app, snap_compare):
    async def run_before(pilot):
        await _scanned(pilot)
        pilot.app.theme = "textual-light"
        await pilot.press("a", "a", "f")  # accept two, then only repeated sentences
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_ignore_reason_dialog(app, snap_compare):
    async def run_before(pilot):
        await _scanned(pilot)
        await pilot.press("i", *"pull quote")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
