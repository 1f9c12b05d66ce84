"""The review UI's file watcher and its failures: stats only, bounded, every failure said and survived."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from helpers import REPO, SIZE, aio, make_app, settle

from dedupe.config import Settings
from dedupe.tui import engine


def seed_copy(tmp_path) -> Path:
    d = tmp_path / "drafts"
    shutil.copytree(REPO / "seeds", d, ignore=shutil.ignore_patterns("README.md", "archive"))
    for f in d.iterdir():
        f.chmod(0o644)
    return d


def test_analysed_repr_is_a_summary(tmp_path, monkeypatch):
    # Textual's @work describes a worker by the repr of its arguments: the whole export's would be
    # hundreds of megabytes, built on the UI thread at every poll (the freeze and the memory growth)
    seed_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    a = engine.analyse(["drafts"], Settings())
    r = repr(a)
    assert len(r) < 200 and f"{len(a.docs)} documents" in r


def test_changed_files_compares_size_as_well_as_mtime(tmp_path, monkeypatch):
    d = seed_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    a = engine.analyse(["drafts"], Settings())
    art = d / "101_port_strike.txt"
    st = art.stat()
    art.write_text(art.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    os.utime(art, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime (a coarse clock, a copy keeping times)
    assert engine.changed_files(a) == [os.path.join("drafts", "101_port_strike.txt")]
    assert engine.changed_files(a, {os.path.join("drafts", "101_port_strike.txt"): engine.file_stamp(str(art))}) == []


@aio
async def test_the_watcher_never_builds_a_repr_of_the_analysis(tmp_path, monkeypatch):
    seed_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path, paths=["drafts"], watch=True, watch_interval=0.05)
    described: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        monkeypatch.setattr(engine.Analysed, "__repr__", lambda self: (_ for _ in ()).throw(AssertionError))
        run_worker = app.run_worker

        def recording(*args, **kwargs):  # every worker the app starts, however short it lives
            if kwargs.get("group") == "watch":
                described.append(kwargs.get("description", ""))
            return run_worker(*args, **kwargs)

        monkeypatch.setattr(app, "run_worker", recording)
        for _ in range(100):  # polls every 0.05 s: wait (at most 5 s on a loaded machine) for a few
            if len(described) >= 3:
                break
            await pilot.pause(0.05)
        assert described and set(described) == {"watch the files"}


@aio
async def test_a_failing_rescan_is_said_once_and_the_ui_keeps_working(tmp_path, monkeypatch):
    d = seed_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path, paths=["drafts"], watch=True, watch_interval=0.05)
    said: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        n = len(app.rows)
        real_notify = app.notify

        def notify(message, **kw):
            said.append(message)
            real_notify(message, **kw)

        monkeypatch.setattr(app, "notify", notify)

        def broken(*a, **k):
            raise OSError("disk went away")

        monkeypatch.setattr(engine, "refresh", broken)
        art = d / "101_port_strike.txt"
        art.write_text(art.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
        os.utime(art, (time.time() + 5, time.time() + 5))
        for _ in range(40):
            await pilot.pause(0.05)
        await settle(app, pilot)
        failed = [m for m in said if "scan failed" in m]
        assert len(failed) == 1 and "disk went away" in failed[0]  # once, not every second
        assert len(app.rows) == n  # the last good result is still shown
        await pilot.press("down")
        assert app.query_one("#clusters").cursor_row == 1
