"""The review UI (Pilot): one key table, quitting, the journal, filters, sorting, reflow, counts, settings."""

from __future__ import annotations

import asyncio
import functools
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import make_app, settle
from textual.geometry import Region

from dedupe.check.baseline import Baseline
from dedupe.check.baseline import settings_record as baseline_settings  # what the review command passes
from dedupe.cli.main import main
from dedupe.config import Settings
from dedupe.readers import ReadOptions
from dedupe.tui.app import DedupeReviewApp
from dedupe.tui.keys import KEYS
from dedupe.tui.model import natural_key
from dedupe.tui.screens import (
    ConfirmQuitScreen,
    HelpScreen,
    RestoreScreen,
    help_content,
)
from dedupe.tui.widgets import (
    MIN_WORDS,
    ClusterList,
    DetailPane,
    KeyFooter,
    Totals,
    column_widths,
)

REPO = Path(__file__).resolve().parent.parent


def aio(fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return run


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)
    return REPO


def seed_app(tmp_path, **kw) -> DedupeReviewApp:
    """The app as ``dedupe review seeds/ --exclude README.md --exclude 'archive/*' --against seeds/archive``."""
    bpath = str(tmp_path / "baseline.json")
    kw.setdefault("watch", False)
    return DedupeReviewApp(["seeds"], Settings(), baseline=Baseline.load(bpath), baseline_path=bpath,
                           read_options=ReadOptions(exclude=("README.md", "archive/*")), against=["seeds/archive"],
                           **kw)


def app_on(tmp_path, paths, **kw) -> DedupeReviewApp:
    return make_app(tmp_path, paths=paths, **kw)


def screen_text(widget) -> str:
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


# -- one key table ------------------------------------------------------------------


def test_one_key_table_drives_bindings_footer_help_and_cli_help():
    bound = {(b.key, b.action) for cls in (DedupeReviewApp, ClusterList, DetailPane) for b in cls.BINDINGS}
    assert bound == {(k.keys, k.action) for k in KEYS}
    for must in ("question_mark", "h", "z", "r", "left_square_bracket", "right_square_bracket", "slash", "s", "q",
                 "u", "plus", "minus", "o", "f", "a", "i", "e", "escape", "ctrl+c"):
        assert any(must in k.keys.split(",") for k in KEYS), must
    text = help_content()
    out = CliRunner().invoke(main, ["review", "--help"]).output
    flat = " ".join(out.split())
    for k in KEYS:
        assert re.search(rf"^  {re.escape(k.display)} +{re.escape(k.help)}$", text, re.MULTILINE), k
        assert f"{k.display} {' '.join(k.help.split())}" in flat, k
    footer_actions = {k.action for k in KEYS if k.footer}
    assert {"save", "help", "quit_review"} <= footer_actions


@aio
async def test_footer_keeps_the_keys_that_matter_at_80_columns(tmp_path, in_repo):
    app = seed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        footer = app.query_one(KeyFooter)
        line = screen_text(footer)
        for want in ("s Save", "? Help", "q Quit", "a Accept", "i Ignore", "u Undo"):
            assert want in line
        shown = footer.keys(80)
        assert all(k.footer for k in shown) and len(line.rstrip()) <= 80
    async with app_on(tmp_path, ["seeds"]).run_test(size=(200, 50)) as pilot:
        await settle(pilot.app, pilot)
        line = screen_text(pilot.app.query_one(KeyFooter))
        for k in KEYS:
            if k.footer and k.action != "toggle_fold":  # z only when something folds
                assert f"{k.display} {k.label}" in line


# -- layout ----------------------------------------------------------------------------


def test_columns_give_way_and_first_words_keep_their_room():
    for width in range(41, 200):  # the list is at least 42 wide (a border, no scrollbar)
        w = column_widths(width)
        shown = [x for x in w if x]
        assert sum(shown) + len(shown) + 1 <= width
        assert w[5] >= MIN_WORDS
    assert column_widths(100)[3] == 3 and column_widths(100)[1] == 8  # wide: every column, long kinds
    assert column_widths(40)[3] == 0 and column_widths(40)[1] == 5  # narrow: copies go, short kinds


@pytest.mark.parametrize("size", [(80, 24), (120, 36), (200, 50)])
@aio
async def test_status_line_is_complete_at_every_size(tmp_path, in_repo, size):
    app = seed_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"Psaki", "enter", "a", "f", "plus")
        await settle(app, pilot)
        totals = app.query_one(Totals)
        shown = screen_text(totals)
        lines = [x for x in shown.splitlines() if x.strip()]
        assert len(lines) <= (1 if size[0] >= 200 else 2), shown  # at most two lines, nothing cut
        line = " ".join(x.strip() for x in lines)
        for words in ("threshold 0.75", "filter: Psaki", "1 unsaved", "kind: sentence", "sort: severity",
                      "4 articles + 2 archive", "9 clusters", "1 row listed", "8 hidden"):
            assert words in line, (words, line)  # in words, never "9 cl" or "thr"
        # every copy's path:line:col is on one line of the detail
        detail = app.query_one("#detail")
        text = screen_text(detail)
        for m in app.current.members if hasattr(app.current, "members") else []:
            loc = f":{m.line}:{m.column}"
            assert any(line.rstrip().endswith(loc) for line in text.splitlines()), (loc, text)


@aio
async def test_help_scrolls_inside_80x24(tmp_path, in_repo):
    app = seed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        dialog = app.screen.query_one("#help")
        assert dialog.region.right <= 80 and dialog.region.bottom <= 24
        body = app.screen.query_one("#help-body")
        assert body.max_scroll_y > 0  # more keys than fit: it scrolls
        await pilot.press("end")
        assert body.scroll_y == body.max_scroll_y
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


# -- every way out asks ---------------------------------------------------------------------


@aio
async def test_every_way_out_asks_when_decisions_are_unsaved(tmp_path, in_repo):
    app = seed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Quit" not in titles and titles.count("Quit review") == 1
        await pilot.press("a")
        for way in ("q", "ctrl+c", "ctrl+q", "palette", "action_quit", "sigterm"):
            if way == "palette":
                cmd = next(c for c in app.get_system_commands(app.screen) if c.title == "Quit review")
                cmd.callback()
            elif way == "action_quit":
                await app.action_quit()
            elif way == "sigterm":
                app._signal_quit = 0
                app._on_sigterm()
            else:
                await pilot.press(way)
            await pilot.pause()
            assert isinstance(app.screen, ConfirmQuitScreen), way
            assert app.is_running
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmQuitScreen)
        await pilot.press("q", "d")  # quit without saving: the journal goes too
    assert not Path(str(tmp_path / "baseline.json") + ".review-journal").exists()


# -- the journal --------------------------------------------------------------------------------


@aio
async def test_decisions_are_journalled_and_offered_back(tmp_path, in_repo):
    journal = Path(str(tmp_path / "baseline.json") + ".review-journal")
    app = seed_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        first = app.current
        await pilot.press("a", "j", "i", *"pull quote", "enter")
        await pilot.pause()
        entries = json.loads(journal.read_text())["decisions"]
        assert [e["action"] for e in entries] == ["accepted", "ignored"] and entries[1]["reason"] == "pull quote"
        await pilot.press("u")
        assert len(json.loads(journal.read_text())["decisions"]) == 1
        app.exit()  # as if it died: no question, nothing saved
    assert journal.exists() and not (tmp_path / "baseline.json").exists()
    app2 = seed_app(tmp_path, settings_record=baseline_settings)
    async with app2.run_test(size=(120, 36)) as pilot:
        await settle(app2, pilot)
        assert isinstance(app2.screen, RestoreScreen)
        await pilot.press("r")
        assert app2.model.unsaved == 1 and app2.model.status(first) == "accepted"
        await pilot.press("s")
        assert not journal.exists()
    data = json.loads((tmp_path / "baseline.json").read_text())
    assert list(data["accepted"]) == [first.fingerprint]
    # "not now" keeps journalled decisions through a session that decides and saves others
    app3 = seed_app(tmp_path)
    async with app3.run_test(size=(120, 36)) as pilot:
        await settle(app3, pilot)
        assert not isinstance(app3.screen, RestoreScreen)  # nothing journalled
        await pilot.press("down", "a")
        app3.exit()
    app4 = seed_app(tmp_path)
    async with app4.run_test(size=(120, 36)) as pilot:
        await settle(app4, pilot)
        assert isinstance(app4.screen, RestoreScreen)
        await pilot.press("escape")
        await pilot.press("G", "a", "s")
        assert [e["action"] for e in json.loads(journal.read_text())["decisions"]] == ["accepted"]
    # the baseline carries the settings, as `dedupe check --update-baseline` writes them
    assert data["settings"]["threshold"] == Settings().threshold and data["settings"]["min_words"]


@aio
async def test_baseline_settings_match_check_update_baseline(tmp_path, in_repo):
    bpath = tmp_path / "baseline.json"
    r = CliRunner().invoke(main, ["check", "seeds", "--exclude", "README.md", "--exclude", "archive/*",
                                  "--baseline", str(tmp_path / "check.json"), "--update-baseline"])
    assert r.exit_code in (0, 1), r.output
    want = json.loads((tmp_path / "check.json").read_text())["settings"]
    assert want
    app = seed_app(tmp_path, settings_record=baseline_settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "s")
    assert json.loads(bpath.read_text())["settings"] == want


# -- filter and sort ------------------------------------------------------------------------------


@aio
async def test_filter_matches_everything_the_detail_shows(tmp_path, in_repo):
    app = seed_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        model = app.model
        for needle, why in (("Psaki", "a name in the paragraph"), ("103_un_water", "a path"), ("C9", "an id"),
                            ("Port strike enters", "a title"), ("kremlin aide", "paragraph, any case")):
            model.text_filter = needle
            rows = model.visible()
            assert rows, why
            for r in rows:
                assert needle.casefold() in model._text_of(r), why
        # what the editor sees: the Psaki quote cluster (its copies do not name her) comes through
        await pilot.press("slash", *"Psaki")
        assert any(r.kind == "repeated-quote" and all("Psaki" not in m.text for m in r.members) for r in app.rows)
        await pilot.press("enter")
        assert "Psaki" in app.query_one(Totals).line  # shown persistently, not as a passing toast
        await pilot.press("f")
        assert "kind" in app.query_one(Totals).line


def test_natural_order():
    assert sorted(["1002", "878", "a10", "a9"], key=natural_key) == ["878", "1002", "a9", "a10"]


def numbered_corpus(tmp_path) -> Path:
    d = tmp_path / "drafts"
    d.mkdir()
    s1 = "The harbour authority said the new cranes would arrive before the end of the summer season."
    s2 = "Union leaders said they would meet the terminal operators again on Thursday morning in the city."
    (d / "878.txt").write_text(f"{s1}\n\nSome other words here today.\n\n{s1}\n", encoding="utf-8")
    (d / "1002.txt").write_text(f"{s2}\n\nMore words of another kind.\n\n{s2}\n\n{s2}\n", encoding="utf-8")
    s3 = "Shipping analysts estimated that each day of the stoppage delays a billion dollars in goods."
    (d / "99.txt").write_text(f"{s3}\n\nA paragraph of its own here.\n\n{s3}\n", encoding="utf-8")
    return d


@aio
async def test_sort_keys_cycle(tmp_path, monkeypatch):
    numbered_corpus(tmp_path)
    monkeypatch.chdir(tmp_path)
    app = app_on(tmp_path, ["drafts"])
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        sev = app.model.severity
        ranks = [{"error": 0, "warning": 1}[sev(r.kind)] for r in app.rows]
        assert ranks == sorted(ranks)  # errors before warnings
        assert "sort: severity" in app.query_one(Totals).line
        await pilot.press("o")
        assert app.model.sort == "article"
        names = [r.members[0].path.rsplit("/", 1)[1] for r in app.rows]
        assert names == ["99.txt", "878.txt", "1002.txt"]
        assert "article" in app.query_one(Totals).line
        await pilot.press("o")
        assert app.model.sort == "size"
        sizes = [len(r.members) for r in app.rows]
        assert sizes == [3, 2, 2]
        await pilot.press("o")
        sims = [r.similarity for r in app.rows]
        assert app.model.sort == "similarity" and sims == sorted(sims, reverse=True)
        await pilot.press("o")
        assert app.model.sort == "severity"


# -- reflow and counts ------------------------------------------------------------------------------


@aio
async def test_hard_wrapped_copy_is_reflowed_with_exact_spans(tmp_path, monkeypatch):
    d = tmp_path / "drafts"
    d.mkdir()
    wrapped = ("Dockworkers at the Port of Long Beach walked off the job\nat 6 a.m. Tuesday, halting cargo at the"
               "\nnation's second container port as talks stalled.")
    (d / "wire.txt").write_text(f"{wrapped}\n\nA line between.\n\n{wrapped}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    app = app_on(tmp_path, ["drafts"])
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        c = app.current
        content = app.query_one("#detail").content
        plain = content.plain
        flat = " ".join(wrapped.split("\n"))
        assert plain.count(flat) == 2  # the source line breaks read as spaces
        for s in content.spans:
            if str(s.style) == "$text-success":  # shared words: exactly words of the copy
                word = plain[s.start:s.end]
                if word == "shared words":  # the legend
                    continue
                assert word and word in flat and not word.startswith(" ") and "\n" not in word
        assert {m.text.replace("\n", " ") for m in c.members} <= {flat}


def _story_corpus(tmp_path) -> Path:
    story = [
        "The city council voted on Tuesday to close the old harbour bridge to heavy trucks for six months.",
        "Engineers found cracks in two of the steel girders during a routine inspection last spring.",
        "Local haulers said the detour would add almost an hour to every delivery run into the port.",
        "The mayor promised that repairs would begin before the first snow of the coming winter season.",
        "A temporary ferry service for light vans is planned from the northern quay starting next month.",
    ]
    d = tmp_path / "drafts"
    d.mkdir()
    body = "\n\n".join(story)
    (d / "a.md").write_text(f"# Bridge closed\n\n{body}\n", encoding="utf-8")
    (d / "b.md").write_text(f"# Bridge shut\n\n{body}\n\nOne more sentence that only the repost has in it.\n",
                            encoding="utf-8")
    return d


@aio
async def test_whole_article_row_counts_one_measure_each(tmp_path, monkeypatch):
    from dedupe.tui.model import ArticleGroup

    _story_corpus(tmp_path)
    monkeypatch.chdir(tmp_path)
    app = app_on(tmp_path, ["drafts"])
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        i = next(i for i, r in enumerate(app.rows) if isinstance(r, ArticleGroup))
        g = app.rows[i]
        app.query_one(ClusterList).move_cursor(row=i)
        await pilot.pause()
        plain = app.query_one("#detail").content.plain
        n = len(g.clusters)
        assert f"{n} clusters listed" in plain and f"\n{n} clusters " in plain
        assert "shared sentence" not in plain  # clusters are called clusters, sentences are checked sentences
        assert f"{g.pair.ab.shared} of its {g.pair.ab.total} checked sentences" in plain
        assert f"{g.pair.ba.shared} of its {g.pair.ba.total} checked sentences" in plain
        assert app.query_one(ClusterList).cells(i)[3] == "2"  # ×: copies, as on every row (the two articles)


@aio
async def test_a_reason_with_brackets_is_literal_everywhere(tmp_path, in_repo):
    app = seed_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("i", *"[bold]pull[/bold] quote [sic]", "enter")
        await pilot.pause()
        notes = [n.message for n in app._notifications]
        assert any("[bold]pull[/bold] quote [sic]" in m for m in notes)
        assert all(not n.markup for n in app._notifications)
        d = next(iter(app.model.pending.values()))
        assert d.reason == "[bold]pull[/bold] quote [sic]"
