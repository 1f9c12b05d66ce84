"""The conventions of the TUIs editors know (lazygit, k9s, less), driven with Pilot: one test per key."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from helpers import aio, make_app, settle
from textual.geometry import Region

from dedupe.check.baseline import Baseline
from dedupe.config import Settings
from dedupe.readers import ReadOptions
from dedupe.tui.app import DedupeReviewApp
from dedupe.tui.model import ArticleGroup
from dedupe.tui.screens import ConfirmQuitScreen, HelpScreen, RestoreScreen
from dedupe.tui.widgets import ClusterList, KeyFooter


def seed_app(tmp_path, **kw) -> DedupeReviewApp:
    bpath = str(tmp_path / "baseline.json")
    kw.setdefault("watch", False)
    return DedupeReviewApp(["seeds"], Settings(), baseline=Baseline.load(bpath), baseline_path=bpath,
                           read_options=ReadOptions(exclude=("README.md", "archive/*")), against=["seeds/archive"],
                           **kw)


def screen_text(widget) -> str:
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


@aio
async def test_esc_clears_an_applied_text_filter_then_the_kind_filter(tmp_path, in_repo):
    app = seed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        n = len(app.rows)
        await pilot.press("slash", *"Psaki", "enter")  # applied: the list has the focus again
        assert app.model.text_filter == "Psaki" and len(app.rows) < n
        assert app.query_one(ClusterList).has_focus
        await pilot.press("escape")
        assert app.model.text_filter == "" and len(app.rows) == n
        await pilot.press("f")
        assert app.model.kind_filter is not None and len(app.rows) < n
        await pilot.press("escape")
        assert app.model.kind_filter is None and len(app.rows) == n


@aio
async def test_help_scrolls_with_j_k_g_G_space(tmp_path, in_repo):
    app = seed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        body = app.screen.query_one("#help-body")
        assert body.max_scroll_y > 0
        await pilot.press("j", "j")
        assert body.scroll_y == 2
        await pilot.press("k")
        assert body.scroll_y == 1
        await pilot.press("G")
        assert body.scroll_y == body.max_scroll_y
        await pilot.press("g")
        assert body.scroll_y == 0
        await pilot.press("space")
        assert body.scroll_y > 2
        await pilot.press("b")
        assert body.scroll_y == 0
        await pilot.press("q")
        assert not isinstance(app.screen, HelpScreen)


@aio
async def test_page_keys_in_the_list(tmp_path, in_repo):
    app = seed_app(tmp_path)
    async with app.run_test(size=(80, 10)) as pilot:  # a short screen: the seed's 9 rows are more than a page
        await settle(app, pilot)
        table = app.query_one(ClusterList)
        page = table.page_rows
        assert 1 < page < len(app.rows)
        for down, up in (("space", "ctrl+u"), ("ctrl+d", "ctrl+b"), ("ctrl+f", "pageup")):
            await pilot.press(down)
            assert table.cursor_row == page and app.current is app.rows[page], down
            await pilot.press(up)
            assert table.cursor_row == 0, up


@aio
async def test_screenshot_key_and_palette_save_to_the_current_folder(tmp_path, in_repo, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "no-such-home"))  # no ~/Downloads
    app = seed_app(tmp_path)
    shots = tmp_path / "shots"
    shots.mkdir()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        monkeypatch.chdir(shots)
        await pilot.press("p")
        await pilot.pause()
        cmd = next(c for c in app.get_system_commands(app.screen) if "screenshot" in c.title.lower())
        cmd.callback()
        await pilot.pause()
    svgs = sorted(shots.glob("*.svg"))
    assert len(svgs) >= 1 and "<svg" in svgs[0].read_text(encoding="utf-8")[:2000]


@aio
async def test_advance_after_a_decision_is_a_visible_toggle_off_by_default(tmp_path, in_repo):
    app = seed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        footer = app.query_one(KeyFooter)
        assert "A Next: off" in screen_text(footer)
        first = app.current
        await pilot.press("a")
        assert app.current is first and app.model.status(first) == "accepted"  # stayed: the mark is in view
        await pilot.press("j", "u")
        await pilot.press("A")
        assert app.advance and "A Next: on" in screen_text(footer)
        second = app.current
        await pilot.press("a")
        assert app.current is not second and app.model.status(second) == "accepted"
        line = screen_text(footer)
        for want in ("s Save", "? Help", "q Quit", "a Accept", "i Ignore", "u Undo", "/ Filter"):
            assert want in line, (want, line)  # still there at 80 columns


@aio
async def test_cluster_ids_stay_across_a_rescan(tmp_path, in_repo):
    app = seed_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        before = {c.fingerprint: c.id for c in app.model.clusters}
        for _ in range(3):  # a lower threshold: more clusters, found in another order
            await pilot.press("minus")
            await settle(app, pilot)
        after = {c.fingerprint: c.id for c in app.model.clusters}
        assert len(after) > len(before)
        assert all(after[fp] == i for fp, i in before.items() if fp in after)
        assert len(set(after.values())) == len(after)  # new ones get new numbers
        for _ in range(3):
            await pilot.press("plus")
            await settle(app, pilot)
        assert {c.fingerprint: c.id for c in app.model.clusters} == before


@aio
async def test_exit_status_130_for_ctrl_c_and_143_for_sigterm(tmp_path, in_repo):
    app = seed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+c")
    assert app.exit_status == 130
    app = seed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "ctrl+c")
        assert isinstance(app.screen, ConfirmQuitScreen)
        await pilot.press("escape")  # stayed: no status
        assert app.exit_status == 0
        app._on_sigterm()
        await pilot.pause()
        await pilot.press("d")
    assert app.exit_status == 143
    app = seed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("q")
    assert app.exit_status == 0


@aio
async def test_the_quit_dialog_names_its_keys_and_y_does_not_save(tmp_path, in_repo):
    app = seed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "q")
        assert isinstance(app.screen, ConfirmQuitScreen)
        text = " ".join(str(w.render()) for w in app.screen.query("Label"))
        assert "s: save them and quit" in text and "d: discard them and quit" in text
        await pilot.press("y")  # not named: does nothing
        assert isinstance(app.screen, ConfirmQuitScreen) and app.model.unsaved == 1
        await pilot.press("escape")


@aio
async def test_every_dialog_fits_at_80x24(tmp_path, in_repo):
    bpath = tmp_path / "baseline.json"
    journal = Path(str(bpath) + ".review-journal")
    app = seed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
    assert journal.exists()
    app = seed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.pause()
        assert isinstance(app.screen, RestoreScreen)
        for label in app.screen.query("Label"):
            r = label.region
            assert r.right <= 80 and r.bottom <= 24
        # what is drawn (the labels' lines at their size): every word is there, nothing cut
        flat = "".join("".join(screen_text(label).split()) for label in app.screen.query("Label"))
        assert "".join(str(journal).split()) in flat  # the whole path, not "kept in .dedupe-b"
        assert "r:restorethem" in flat and "d:discardthem" in flat
        await pilot.press("escape")
        await pilot.press("i")
        dialog = app.screen.query_one("#dialog")
        assert dialog.region.right <= 80 and dialog.region.bottom <= 24
        await pilot.press("escape")


@aio
async def test_export_records_are_named_by_id_and_title(tmp_path, monkeypatch):
    story = ("The central bank raised its key interest rate by half a point on Tuesday, citing rising prices "
             "across the economy. Analysts had expected a smaller move after weeks of weak data.")
    recs = [{"newid": 17, "title": "BANK RAISES RATES", "body": story},
            {"newid": 4521, "title": "RATES UP AGAIN", "body": story},
            {"newid": 9, "title": "OTHER", "body": "Nothing to see in this short story about the weather today."}]
    path = tmp_path / "wire.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(r) + "\n")
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path, paths=["wire.jsonl.gz"], read_options=ReadOptions(id_field="newid", text_field="body"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        assert app.rows
        table = app.query_one(ClusterList)
        cells = table.cells(0)
        row = app.rows[0]
        if isinstance(row, ArticleGroup):
            assert cells[4] == "#17 = #4521"
            plain = app.query_one("#detail").content.plain
            assert "wire.jsonl.gz#17" in plain and "BANK RAISES RATES" in plain and "RATES UP AGAIN" in plain
            assert "a line 1  b line 2" in plain  # the records' lines in the export
            await pilot.press("z")
            cells = table.cells(0)
        assert cells[4].startswith("#17 BANK") or cells[4].startswith("#4521 RATES"), cells
        plain = app.query_one("#detail").content.plain
        assert "wire.jsonl.gz#17:1:" in plain and "wire.jsonl.gz#4521:2:" in plain
        assert "BANK RAISES RATES" in plain
        await pilot.press("e")  # a compressed export cannot be edited in place: said, nothing run
        await pilot.pause()
        assert app.is_running


@aio
async def test_missing_text_field_is_an_error_on_the_screen(tmp_path, monkeypatch):
    path = tmp_path / "wire.jsonl"
    path.write_text(json.dumps({"newid": 1, "body": "A story."}) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path, paths=["wire.jsonl"], read_options=ReadOptions(id_field="newid"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        plain = app.query_one("#detail").content.plain
        assert "Could not read 1 input" in plain and "no 'text' field" in plain and "--text-field" in plain
        assert "No repeated sentences" not in plain
