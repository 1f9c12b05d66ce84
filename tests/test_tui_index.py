"""dedupe review --against INDEX: archived stories from an index show up as archive matches."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import REPO, SIZE, aio, make_app, settle

from dedupe.config import Settings
from dedupe.tui import engine

DRAFT = "seeds/102_port_strike_day2.md"
SOURCE = "seeds/archive/2024-03-port-contract.txt"


def build_index(tmp_path: Path) -> str:
    index = str(tmp_path / "index")
    proc = subprocess.run(
        [sys.executable, "-m", "dedupe", "index", "add", "--index", index, "--no-progress", "seeds/archive"],
        cwd=REPO, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return index


def test_engine_queries_an_index_given_in_against(tmp_path, in_repo):
    index = build_index(tmp_path)
    analysed = engine.analyse([DRAFT], Settings(), against=[index])
    result = engine.cluster(analysed, Settings())
    matches = [c for c in result.clusters if c.kind == "archive-match"]
    assert len(matches) == 2
    for c in matches:
        archived = [m for m in c.members if m.archive]
        assert [m.path for m in archived] == [SOURCE]
        assert archived[0].line == 3
        drafts = [m for m in c.members if not m.archive]
        assert [m.path for m in drafts] == [DRAFT]
    assert not analysed.errors


@aio
async def test_review_app_lists_archive_matches_from_an_index(tmp_path, in_repo):
    index = build_index(tmp_path)
    app = make_app(tmp_path, paths=(DRAFT,), against=[index])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        kinds = [c.kind for c in app.model.clusters]
        assert kinds.count("archive-match") == 2
