"""The review UI driven with Textual's Pilot: selection, decisions, filters, threshold, save, quit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import REPO, SIZE, aio, make_app, settle
from textual.geometry import Region

from dedupe.check.baseline import Baseline
from dedupe.cli.main import main
from dedupe.config import Settings
from dedupe.kinds import KINDS
from dedupe.tui import engine
from dedupe.tui.app import DedupeReviewApp
from dedupe.tui.screens import ConfirmQuitScreen, HelpScreen, ReasonScreen
from dedupe.tui.widgets import ClusterList


def screen_text(widget) -> str:
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


async def goto(app, pilot, cluster_id: str) -> None:
    """Put the list's cursor on the row of ``cluster_id``."""
    i = next(i for i, r in enumerate(app.rows) if r.id == cluster_id)
    app.query_one(ClusterList).move_cursor(row=i)
    await pilot.pause()


def seed_copy(tmp_path) -> Path:
    d = tmp_path / "drafts"
    shutil.copytree(REPO / "seeds", d, ignore=shutil.ignore_patterns("README.md", "archive"))
    for f in d.iterdir():
        f.chmod(0o644)
    return d


# -- opening and moving ---------------------------------------------------------


@aio
async def test_opens_on_seeds_and_moves(tmp_path, in_repo):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert len(app.rows) == 9
        rows = app.rows
        assert app.current is rows[0] and rows[0].kind == "repeated-quote"  # errors first, most similar first
        await pilot.press("down")
        assert app.current is rows[1]
        await pilot.press("j", "j")
        assert app.current is rows[3]
        await pilot.press("k")
        assert app.current is rows[2]
        assert rows[-1].kind == "cross-article"  # the only warning comes last
        totals = str(app.query_one("#totals").content)
        assert "7 articles" in totals and "9 clusters" in totals and "9 rows listed" in totals
        assert "0 hidden" in totals and "sort: severity" in totals and "threshold 0.70" in totals
        detail = app.query_one("#detail").content.plain
        m = app.current.members[0]
        assert f"{m.path}:{m.line}:{m.column}" in detail


@aio
async def test_detail_shows_every_copy_with_context_and_marks(tmp_path, in_repo):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await goto(app, pilot, "C1")
        c = app.current  # the Psaki sentence, twice
        content = app.query_one("#detail").content
        plain = content.plain
        for m in c.members:
            assert f"{m.path}:{m.line}:{m.column}" in plain
            assert m.text in plain
        assert "Meanwhile, Kremlin aide Yuri Ushakov" in plain  # the paragraph around copy 1
        styles = {str(s.style) for s in content.spans}
        assert "$text-success" in styles  # shared words
        diff = [plain[s.start:s.end] for s in content.spans if str(s.style).startswith("bold $text-error")]
        assert {"White", "House", "press", "secretary", "Jen", "Psaki"} <= set(diff)


@aio
async def test_enter_focuses_detail_and_escape_returns(tmp_path, in_repo):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        assert app.focused.id == "detail-pane"
        await pilot.press("escape")
        assert app.focused.id == "clusters"


@aio
async def test_list_keys_and_mouse(tmp_path, in_repo):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.query_one(ClusterList)
        await pilot.press("G")
        assert table.cursor_row == 8 and app.current is app.rows[8]
        await pilot.press("g")
        assert table.cursor_row == 0 and app.current is app.rows[0]
        await pilot.press("end", "up")
        assert app.current is app.rows[7]
        await pilot.press("home", "pagedown")
        assert app.current is app.rows[8]  # clamped to the last row
        await pilot.press("pageup")
        assert app.current is app.rows[0]
        # a click on a row selects it (line 0 is the header); a click on the cursor row reads the detail
        assert await pilot.click(ClusterList, offset=(20, 3))
        assert table.cursor_row == 2 and app.current is app.rows[2]
        assert app.focused is table
        await pilot.click(ClusterList, offset=(20, 0))  # the header: nothing happens
        assert app.current is app.rows[2]
        await pilot.click(ClusterList, offset=(20, 3))
        assert app.focused.id == "detail-pane"
        # what is on screen is the model's rows, with the cursor on the current one
        lines = screen_text(table).splitlines()
        assert lines[0].split() == ["Kind", "Sim", "×", "Article", "First", "words"]
        assert lines[3].split()[:2] == [table.cells(2)[1], f"{app.rows[2].similarity:.2f}"]
        assert [line.split()[0] for line in lines[1:10]] == [table.cells(i)[1] for i in range(9)]


def synthetic_result(n: int):
    """A ScanResult with ``n`` two-copy clusters over ``n`` made-up documents (no text on disk)."""
    from dedupe.findings import Cluster, DocumentInfo, Member, Pair, ScanResult

    kinds = ("repeated-sentence", "repeated-quote", "cross-article")
    clusters = []
    for i in range(n):
        text = f"Story {i} says the harbour {'strike' if i % 3 else 'vote'} ended on day {i % 97} of talks."
        members = [Member(doc=f"d{i}", path=f"wire/{i:05d}.txt", start=k * 100, end=k * 100 + len(text),
                          line=1 + k, column=1, end_line=1 + k, end_column=len(text) + 1, text=text)
                   for k in range(2)]
        clusters.append(Cluster(id=f"C{i + 1}", kind=kinds[i % 3], members=members, pairs=[Pair(0, 1, 1.0, 1.0)],
                                similarity=1.0, jaccard=1.0, containment=1.0, fingerprint=f"fp{i}"))
    docs = [DocumentInfo(id=f"d{i}", path=f"wire/{i:05d}.txt", format="text", title=None, sentences=5, units=5)
            for i in range(n)]
    return ScanResult(documents=docs, clusters=clusters, overlaps=[], settings=Settings())


@aio
async def test_six_thousand_clusters_render_and_filter_quickly(tmp_path, monkeypatch, in_repo):
    result = synthetic_result(6000)
    monkeypatch.setattr(engine, "analyse", lambda *a, **kw: None)
    monkeypatch.setattr(engine, "cluster", lambda analysed, settings, progress=None: result)
    app = make_app(tmp_path, paths=["wire"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.query_one(ClusterList)
        assert len(app.rows) == 6000 and table.row_count == 6000
        assert "6,000 clusters" in str(app.query_one("#totals").content)
        # every filter is a new index list over the model: fast, however long the list
        await pilot.press("f")  # kind: repeated sentences
        assert len(app.rows) == 2000 and all(c.kind == "repeated-sentence" for c in app.rows)
        await pilot.press(*["f"] * (len(KINDS) - 1))  # ... through every other kind, back to all
        assert len(app.rows) == 6000
        await pilot.press("slash")
        await pilot.press(*"vote")  # applied on every keystroke (no debounce)
        assert len(app.rows) == 2000 and all("vote" in c.members[0].text for c in app.rows)
        assert app.current is app.rows[0]
        await pilot.press("enter", "G")
        assert app.current is app.rows[-1] and app.current.id == "C5998"
        shown = screen_text(table)
        assert "05997" in shown and "Story 5997 says the" in shown
        assert "C5998" in app.query_one("#detail").content.plain
        await pilot.press("slash", "escape")
        assert len(app.rows) == 6000 and app.current.id == "C5998"  # selection kept
        assert 0 < table.cursor_row and app.rows[table.cursor_row] is app.current
        assert "Story 5997" in screen_text(table)  # scrolled to the cursor
    # how long these take is measured by bench/bench_review.py, not asserted here (no wall-clock assertions)


# -- decisions ------------------------------------------------------------------


@aio
async def test_accept_undo_and_save(tmp_path, in_repo):
    app = make_app(tmp_path)
    bpath = tmp_path / "baseline.json"
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        first = app.current
        await pilot.press("a")
        assert app.model.status(first) == "accepted"
        assert app.model.unsaved == 1
        assert app.current is first  # advance is off by default: the decided row stays selected
        table = app.query_one(ClusterList)
        assert table.cells(0)[0] == "✓" and table.clusters[0] is first
        assert screen_text(table).splitlines()[1].startswith(" ✓ ")
        await pilot.press("u")
        assert app.model.unsaved == 0 and app.model.status(first) == "new"
        assert app.current is first  # undo goes back to the cluster
        await pilot.press("u")  # nothing left: a notice, no crash
        await pilot.press("a", "s")
        assert app.model.unsaved == 0
    data = json.loads(bpath.read_text())
    assert first.fingerprint in data["accepted"]
    assert data["accepted"][first.fingerprint]["count"] == 2
    # the next run shows it as resolved (hidden by default; h shows it)
    app2 = make_app(tmp_path)
    async with app2.run_test(size=SIZE) as pilot:
        await settle(app2, pilot)
        assert len(app2.rows) == 8
        assert first.fingerprint not in {c.fingerprint for c in app2.rows}
        assert "8 rows listed · 1 hidden (1 resolved by baseline, h shows)" in str(app2.query_one("#totals").content)
        await pilot.press("h")
        assert len(app2.rows) == 9
        resolved = next(c for c in app2.rows if c.fingerprint == first.fingerprint)
        assert app2.model.status(resolved) == "accepted"


@aio
async def test_saved_decisions_are_what_dedupe_check_reads(tmp_path, in_repo):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "j")
        await pilot.press("i")
        await pilot.press(*"pull quote", "enter")
        await pilot.press("s")
    bpath = str(tmp_path / "baseline.json")
    out = tmp_path / "check.json"
    r = CliRunner().invoke(main, ["check", "seeds", "--baseline", bpath, "--format", "json", "-o", str(out)])
    assert r.exit_code == 1, r.output  # the other findings still fail
    assert "1 accepted, 1 suppressed" in r.output
    b = Baseline.load(bpath)
    assert len(b.accepted) == 1 and len(b.suppressions) == 1
    assert list(b.suppressions.values())[0]["reason"] == "pull quote"
    report = out.read_text()
    for fp in (*b.accepted, *b.suppressions):
        assert fp in report  # listed, but as resolved by the baseline


@aio
async def test_ignore_asks_for_a_reason_and_escape_cancels(tmp_path, in_repo):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        c = app.current
        await pilot.press("i")
        assert isinstance(app.screen, ReasonScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, ReasonScreen)
        assert app.model.unsaved == 0
        await pilot.press("i", *"same quote, different", "enter")
        assert app.model.status(c) == "ignored"
        assert app.model.pending[c.fingerprint].reason == "same quote, different"


# -- filters and threshold ----------------------------------------------------------


@aio
async def test_text_filter(tmp_path, in_repo):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"planet")
        assert len(app.rows) == 1
        assert "planet" in app.current.members[0].text
        await pilot.press("enter")
        assert app.focused.id == "clusters"
        await pilot.press("slash", "escape")
        assert len(app.rows) == 9 and app.model.text_filter == ""
        await pilot.press("slash", *"no such words anywhere")
        assert app.rows == [] and app.current is None
        await pilot.press("a")  # nothing selected: a notice, no crash
        assert app.model.unsaved == 0


@aio
async def test_kind_filter_cycles(tmp_path, in_repo):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        seen = []
        for _ in range(6):
            await pilot.press("f")
            seen.append((app.model.kind_filter, len(app.rows)))
            assert all(app.model.kind_filter in (None, c.kind) for c in app.rows)
        assert seen == [("repeated-sentence", 2), ("repeated-quote", 4), ("changed-detail", 0), ("cross-article", 3),
                        ("archive-match", 0), (None, 9)]


@aio
async def test_threshold_reclusters_live(tmp_path, in_repo):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        analysed = app.analysed
        await pilot.press("down")
        keep = app.current.fingerprint
        await pilot.press("plus")
        await settle(app, pilot)
        assert app.settings.threshold == pytest.approx(0.75)
        assert app.analysed is analysed  # matching only, no re-reading
        assert "threshold 0.75" in str(app.query_one("#totals").content)
        assert app.current.fingerprint == keep  # selection kept
        for _ in range(5):
            await pilot.press("plus")
            await settle(app, pilot)
        assert app.settings.threshold == pytest.approx(1.0)
        # at 1.0 only verbatim (or contained) copies remain: fewer clusters
        assert all(c.similarity >= 0.8 for c in app.rows)
        for _ in range(8):
            await pilot.press("minus")
            await settle(app, pilot)
        assert app.settings.threshold == pytest.approx(0.6)
        assert len(app.rows) >= 9


# -- quitting --------------------------------------------------------------------------


@aio
async def test_quit_without_unsaved_decisions_exits(tmp_path, in_repo):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert not (tmp_path / "baseline.json").exists()


@aio
async def test_quit_with_unsaved_decisions_asks(tmp_path, in_repo):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "q")
        assert isinstance(app.screen, ConfirmQuitScreen)
        await pilot.press("escape")  # stay
        assert app.is_running and app.model.unsaved == 1
        await pilot.press("q", "d")  # quit without saving
        await pilot.pause()
        assert not app.is_running
    assert not (tmp_path / "baseline.json").exists()

    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "q", "s")  # save and quit
        await pilot.pause()
        assert not app.is_running
    assert len(Baseline.load(str(tmp_path / "baseline.json")).accepted) == 1


# -- safe rendering -------------------------------------------------------------------


INJECT = ('He said [sic] the "[bold]" tag and [red]colour[/red] markup [link=http://x]must show '
          'literally — “as typed” — in every copy.')


@aio
async def test_article_text_is_never_markup(tmp_path, monkeypatch):
    d = tmp_path / "drafts"
    d.mkdir()
    long = "A very long sentence " + " ".join(f"word{i}" for i in range(120)) + " ends here."
    (d / "a.txt").write_text(f"{INJECT}\n\nOther text in between here.\n\n{INJECT}\n\n{long}\n\n{long}\n",
                             encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path, paths=["drafts"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert len(app.rows) == 2
        detail = app.query_one("#detail")
        plain = detail.content.plain
        assert INJECT in plain
        shown = " ".join(screen_text(detail).split())  # undo the wrapping
        assert '"[bold]"' in shown and "[red]colour[/red]" in shown and "[sic]" in shown
        assert "“as typed”" in shown and "—" in shown
        table = app.query_one(ClusterList)
        cell = table.cells(0)[5]
        assert cell.startswith("He said [sic] the")
        table_text = screen_text(table)
        assert "He said [sic] the" in table_text
        # very long sentences wrap inside the pane instead of running off it
        await pilot.press("down")
        shown = screen_text(detail)
        assert "ends here." in shown and len(shown.splitlines()) > 8
        assert all(len(line.rstrip()) <= detail.size.width for line in shown.splitlines())


# -- editor, help, palette, scan control ------------------------------------------------


@aio
async def test_edit_where_suspend_is_impossible_gives_a_notice(tmp_path, in_repo):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("Cannot suspend" in m and "seeds/000_f6852705ebf30c58.txt:4" in m for m in messages)


@aio
async def test_edit_runs_editor_at_the_members_line(tmp_path, monkeypatch, in_repo):
    log = tmp_path / "editor.log"
    script = tmp_path / "editor.py"
    script.write_text(f"import sys, json\nopen({str(log)!r}, 'w').write(json.dumps(sys.argv[1:]))\n")
    monkeypatch.setenv("VISUAL", f"{sys.executable} {script}")
    app = make_app(tmp_path)

    @contextmanager
    def fake_suspend():
        yield

    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        monkeypatch.setattr(app, "suspend", fake_suspend)
        await pilot.press("right_square_bracket")  # the second copy
        assert app.member_index == 1
        await pilot.press("e")
        await pilot.pause()
    m = app.current.members[1]
    assert json.loads(log.read_text()) == [f"+{m.line}", m.path]


@aio
async def test_help_and_command_palette_entries(tmp_path, in_repo):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for t in ("Accept finding", "Ignore finding", "Undo decision", "Open in editor", "Filter by text",
                  "Cycle kind filter", "Raise threshold", "Lower threshold", "Re-scan", "Save decisions",
                  "Show/hide resolved", "Review help", "Quit review", "Fold/unfold article duplicates"):
            assert t in titles
        # no whole-article duplicates in the seeds: z is hidden from the footer and does nothing
        assert app.check_action("toggle_fold", ()) is False
        await pilot.press("z")
        assert app.model.fold and len(app.rows) == 9


def test_every_binding_has_an_id_and_description():
    from dedupe.tui.screens import ConfirmQuitScreen, HelpScreen, ReasonScreen
    from dedupe.tui.widgets import ClusterList, DetailPane

    for cls in (DedupeReviewApp, ClusterList, DetailPane, ReasonScreen, ConfirmQuitScreen, HelpScreen):
        for b in cls.BINDINGS:
            assert b.id and b.id.startswith("dedupe."), (cls, b)
            assert b.description, (cls, b)
    hidden = {k for cls in (ClusterList, DetailPane) for b in cls.BINDINGS if not b.show for k in b.key.split(",")}
    assert {"j", "k"} <= hidden


@aio
async def test_escape_cancels_a_running_scan(tmp_path, monkeypatch, in_repo):
    started = []

    def slow_analyse(paths, settings, *, against=(), read_options=None, progress=None):
        started.append(1)
        for i in range(2000):  # until cancelled
            progress("analyse", i, 2000)
            time.sleep(0.005)
        raise AssertionError("not cancelled")

    monkeypatch.setattr(engine, "analyse", slow_analyse)
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.01)
            if started:
                break
        assert app.scanning
        assert app.query_one("#scanbar").has_class("visible")
        await pilot.press("escape")
        await settle(app, pilot)
        assert not app.scanning and app.model.result is None
        assert "scan cancelled" in str(app.query_one("#totals").content)


@aio
async def test_saving_an_article_rescans_it_and_keeps_the_selection(tmp_path, monkeypatch):
    d = seed_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path, paths=["drafts"], watch=True, watch_interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        n = len(app.rows)
        await pilot.press("down")
        keep = app.current.fingerprint
        art = d / "103_un_water.html"
        before = app.analysed
        text = art.read_text(encoding="utf-8")
        art.write_text(text.replace("</body>", "<p>The lede of the port strike story says that dockworkers at the "
                                    "two largest ports walked off the job at 6 a.m.</p></body>"), encoding="utf-8")
        os.utime(art, (time.time() + 5, time.time() + 5))
        for _ in range(100):
            await pilot.pause(0.05)
            if app.analysed is not before and not app.scanning:
                break
        await settle(app, pilot)
        assert app.analysed is not before
        assert app.current.fingerprint == keep
        assert len(app.rows) >= n


# -- engine ------------------------------------------------------------------------------


def test_refresh_matches_a_full_scan(tmp_path, monkeypatch):
    from dedupe.api import scan

    d = seed_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    s = Settings()
    a = engine.analyse(["drafts"], s)
    art = d / "101_port_strike.txt"
    art.write_text(art.read_text(encoding="utf-8") + "\nA brand new sentence that repeats the governor of the "
                   "state said would ripple through every warehouse.\n", encoding="utf-8")
    os.utime(art, (time.time() + 5, time.time() + 5))
    assert engine.changed_files(a) == [os.path.join("drafts", "101_port_strike.txt")]
    fresh = engine.cluster(engine.refresh(a, engine.changed_files(a)), s)
    full = scan(["drafts"], s)
    key = lambda r: sorted((c.kind, c.fingerprint, len(c.members)) for c in r.clusters)
    assert key(fresh) == key(full)
    # a file that disappears drops out with an error
    art.unlink()
    gone = engine.refresh(a, [os.path.join("drafts", "101_port_strike.txt")])
    assert all(doc.path != os.path.join("drafts", "101_port_strike.txt") for doc in gone.docs)
    assert any("101_port_strike" in str(e) for e in gone.errors)
    engine.cluster(gone, s)


def test_paragraph_context():
    from dedupe.documents import Document

    text = "First para.\n\nSecond para has the unit in it. And more.\n\nThird."
    doc = Document(id="x", path="x", text=text)
    s = text.index("the unit")
    para, off = engine.paragraph(doc, s, s + 8)
    assert para == "Second para has the unit in it. And more."
    assert para[off:off + 8] == "the unit"
    long = "word " * 400 + "TARGET " + "word " * 400
    doc = Document(id="y", path="y", text=long)
    s = long.index("TARGET")
    para, off = engine.paragraph(doc, s, s + 6, limit=100)
    assert para[off:off + 6] == "TARGET" and para.startswith("…") and para.endswith("…") and len(para) < 260


# -- command line --------------------------------------------------------------------------


def test_review_command_errors_are_one_line(tmp_path):
    r = CliRunner().invoke(main, ["review", str(tmp_path / "missing")])
    assert r.exit_code == 2
    assert r.output.strip() == f"dedupe: error: {tmp_path / 'missing'}: no such file or directory"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = CliRunner().invoke(main, ["review", str(REPO / "seeds"), "--baseline", str(bad)])
    assert r.exit_code == 2 and "corrupt baseline" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["review", str(REPO / "seeds"), "--baseline", str(tmp_path / "b.json")])
    assert r.exit_code == 2 and "interactive terminal" in r.output


def test_core_and_cli_do_not_import_textual():
    code = ("import sys, dedupe, dedupe.engine.pipeline, dedupe.check.baseline, dedupe.cli.main\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
            "assert not bad, bad\n"
            "import dedupe.tui.app\n"
            "assert 'textual' in sys.modules\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert p.returncode == 0, p.stderr


# -- whole-article duplicates fold into one row ----------------------------------------------

STORY = [
    "The city council voted on Tuesday to close the old harbour bridge to heavy trucks for six months.",
    "Engineers found cracks in two of the steel girders during a routine inspection last spring.",
    "Local haulers said the detour would add almost an hour to every delivery run into the port.",
    "The mayor promised that repairs would begin before the first snow of the coming winter season.",
    "A temporary ferry service for light vans is planned from the northern quay starting next month.",
]
REPEAT = "Officials warned that the new water rates would rise sharply for every household next year."


def whole_duplicate_corpus(tmp_path) -> Path:
    """Two whole-duplicate articles (a repost under a new name and title) and an article repeating itself."""
    d = tmp_path / "drafts"
    d.mkdir()
    body = "\n\n".join(STORY)
    (d / "a_bridge.md").write_text(f"# Harbour bridge closed to trucks\n\n{body}\n", encoding="utf-8")
    (d / "b_bridge_repost.md").write_text(f"# Bridge shut for heavy traffic\n\n{body}\n", encoding="utf-8")
    (d / "c_water.md").write_text(
        f"# Water rates\n\n{REPEAT}\n\nThe utility board meets again in March to set the final figures "
        f"for the district.\n\nAs the chair put it: {REPEAT}\n", encoding="utf-8")
    return d


@aio
async def test_whole_article_duplicates_fold_into_one_row(tmp_path, monkeypatch):
    from dedupe.tui.model import ArticleGroup

    whole_duplicate_corpus(tmp_path)
    monkeypatch.chdir(tmp_path)
    bpath = tmp_path / "baseline.json"
    app = make_app(tmp_path, paths=["drafts"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        clusters = app.model.clusters
        assert len(clusters) == 6  # five shared sentences, one repeat inside c_water
        assert len(app.rows) == 2
        normal, group = app.rows  # the repeat inside c_water is an error, the pair's clusters cross-article warnings
        assert isinstance(group, ArticleGroup) and not isinstance(normal, ArticleGroup)
        assert normal.kind == "repeated-sentence" and REPEAT in normal.members[0].text
        assert len(group.clusters) == 5 and {c.kind for c in group.clusters} == {"cross-article"}
        table = app.query_one(ClusterList)
        cells = table.cells(1)
        assert cells[1:4] == ("article", "1.00", "2")  # ×: copies, here the two articles
        assert cells[4] == "a_bridge = b_bridge_repost" and cells[5].startswith("The city council voted")
        assert "article" in screen_text(table).splitlines()[2]
        assert app.check_action("toggle_fold", ()) is True  # z is in the footer
        # the header still counts clusters, and says what is folded
        totals = str(app.query_one("#totals").content)
        assert "6 clusters" in totals and "5 folded into 1 article row" in totals
        # the detail: both articles, titles, the share both ways, each shared sentence with its lines
        await goto(app, pilot, group.id)
        plain = app.query_one("#detail").content.plain
        assert "drafts/a_bridge.md" in plain and "drafts/b_bridge_repost.md" in plain
        assert "Harbour bridge closed to trucks" in plain and "Bridge shut for heavy traffic" in plain
        assert plain.count("5 of its 5 checked sentences (100%)") == 2
        for k, s in enumerate(STORY):
            assert s in plain
            line = 3 + 2 * k  # the same line in both copies
            assert f"a line {line}  b line {line}  " in plain  # never "3 / 3", read as "3 of 3"
        # z unfolds into the individual rows (the selection stays on the pair's first sentence) and back
        await pilot.press("z")
        assert len(app.rows) == 6 and not any(isinstance(r, ArticleGroup) for r in app.rows)
        assert app.current is group.clusters[0]
        assert "folded" not in str(app.query_one("#totals").content)
        await pilot.press("z")
        assert len(app.rows) == 2 and app.current.fingerprint == group.fingerprint
        # a text filter finds the folded row by any of its sentences, f treats it as its clusters' kind
        await pilot.press("slash", *"girders")
        assert len(app.rows) == 1 and isinstance(app.rows[0], ArticleGroup) and len(app.rows[0].clusters) == 5
        await pilot.press("escape")
        assert len(app.rows) == 2
        await pilot.press("f")  # repeated sentences
        assert [r.kind for r in app.rows] == ["repeated-sentence"]
        await pilot.press("f", "f", "f")  # cross-article (after quotes and changed details)
        assert len(app.rows) == 1 and isinstance(app.rows[0], ArticleGroup)
        await pilot.press("f", "f")  # all
        assert len(app.rows) == 2
        # one accept decides every cluster in the row; one undo takes them all back
        await pilot.press("g", "down", "a")
        assert app.model.unsaved == 5 and app.model.status(app.rows[1]) == "accepted"
        assert app.query_one(ClusterList).cells(1)[0] == "✓"
        await pilot.press("u")
        assert app.model.unsaved == 0 and app.current.fingerprint == group.fingerprint
        await pilot.press("a", "s")
    data = json.loads(bpath.read_text())
    assert set(data["accepted"]) == {c.fingerprint for c in group.clusters}
    # dedupe check reads them as resolved: only the repeat inside c_water still fails
    out = tmp_path / "check.json"
    r = CliRunner().invoke(main, ["check", "drafts", "--baseline", str(bpath), "--format", "json", "-o", str(out)])
    assert r.exit_code == 1 and "5 accepted" in r.output, r.output
    # the next run hides the resolved pair; h shows it again, folded
    app2 = make_app(tmp_path, paths=["drafts"])
    async with app2.run_test(size=SIZE) as pilot:
        await settle(app2, pilot)
        assert [r.kind for r in app2.rows] == ["repeated-sentence"]
        await pilot.press("h")
        assert len(app2.rows) == 2 and app2.model.status(app2.rows[1]) == "accepted"


@aio
async def test_ignoring_a_folded_row_suppresses_every_cluster(tmp_path, monkeypatch):
    whole_duplicate_corpus(tmp_path)
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path, paths=["drafts"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("down")
        group = app.rows[1]
        await pilot.press("i")
        assert isinstance(app.screen, ReasonScreen)
        await pilot.press(*"syndicated repost", "enter")
        assert app.model.status(group) == "ignored" and app.model.unsaved == 5
        assert all(d.reason == "syndicated repost" for d in app.model.pending.values())
        await pilot.press("z")
        assert len(app.rows) == 6
        await pilot.press("g", "down", "a")  # accept one sentence of it on its own: the row is now mixed
        await pilot.press("z")
        assert app.model.status(app.rows[1]) == "mixed" and app.query_one(ClusterList).cells(1)[0] == "±"
        await pilot.press("u")  # takes back the single accept only
        assert app.model.status(app.rows[1]) == "ignored"
        await pilot.press("s")
    b = Baseline.load(str(tmp_path / "baseline.json"))
    assert len(b.suppressions) == 5 and not b.accepted
    assert {e["reason"] for e in b.suppressions.values()} == {"syndicated repost"}


def test_a_draft_rerunning_an_archived_story_is_a_whole_duplicate(tmp_path, monkeypatch):
    from dedupe.tui.model import ReviewModel

    d = whole_duplicate_corpus(tmp_path)
    arch = tmp_path / "archive"
    arch.mkdir()
    (d / "b_bridge_repost.md").rename(arch / "b_bridge_repost.md")
    monkeypatch.chdir(tmp_path)
    s = Settings()
    a = engine.analyse(["drafts"], s, against=["archive"])
    result = engine.cluster(a, s)
    [dup] = result.duplicate_documents()  # the roll-up counts the archived side too
    assert (dup.doc, dup.other) == ("drafts/a_bridge.md", "archive/b_bridge_repost.md")
    model = ReviewModel(None)
    model.set_result(result)
    [pair] = model.pairs
    assert (pair.path_a, pair.path_b) == ("drafts/a_bridge.md", "archive/b_bridge_repost.md")
    assert pair.ab.share == 1.0 and pair.ba.share == 1.0 and pair.ba.total == 5
    rows = model.visible()
    assert len(rows) == 2 and rows[0].kind == "article" and {c.kind for c in rows[0].clusters} == {"archive-match"}
