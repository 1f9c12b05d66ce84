"""Write-thru updates: a later version of a story reusing its sentences with a figure or a word changed.

Short reused sentences with one or two changed tokens fall under the 3-shingle Jaccard threshold
(one change in 12 words keeps 7 of 13 shingles); they are linked word by word, in a batch, against
archive files and against the archive index (embedded and Redis).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import WRITE_THRU_FIRST as FIRST
from helpers import WRITE_THRU_UPDATE as UPDATE

from dedupe.cli.main import main as cli

REUSED = {  # sentence of the update -> the original it reuses
    "Floods forced some 1001 residents": "Floods forced some 500 residents",
    "Rescue teams reached the area by helicopter": "Rescue teams reached the area by boat",
    "The army destroyed 45 houses": "The army destroyed 40 houses",
    "Police arrested 15 people": "Police arrested 12 people",
    "the bridge will not reopen": "the bridge will reopen",
}


def _run(*args: str) -> dict:
    r = CliRunner().invoke(cli, ["scan", "--format", "json", *args])
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.output)


def _found(data: dict) -> dict[str, str]:
    """update sentence -> the copy it was linked to."""
    out = {}
    for c in data["clusters"]:
        texts = [m["text"] for m in c["members"]]
        for new, old in REUSED.items():
            if any(new in t for t in texts) and any(old in t for t in texts):
                out[new] = old
    return out


@pytest.fixture
def versions(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    (tmp_path / "v1" / "story.txt").write_text(FIRST, encoding="utf-8")
    (tmp_path / "v2" / "story.txt").write_text(UPDATE, encoding="utf-8")
    return tmp_path / "v1", tmp_path / "v2"


def _check(data: dict) -> None:
    assert _found(data) == REUSED
    for c in data["clusters"]:
        for p in c["pairs"]:
            if p["link"] == "words":  # a word-level link says how many words align
                assert p["similarity"] >= 0.7
    # the new sentence matches nothing
    assert not any("second wave" in m["text"] for c in data["clusters"] for m in c["members"])


def test_batch_links_every_reused_sentence(versions):
    v1, v2 = versions
    data = _run(str(v1), str(v2))
    _check(data)
    assert {c["kind"] for c in data["clusters"]} <= {"cross-article", "changed-detail"}


def test_against_archive_files_links_every_reused_sentence(versions):
    v1, v2 = versions
    data = _run(str(v2), "--against", str(v1))
    _check(data)
    assert {c["kind"] for c in data["clusters"]} <= {"archive-match", "changed-detail"}


def test_against_embedded_index_links_every_reused_sentence(versions, tmp_path):
    v1, v2 = versions
    idx = str(tmp_path / "idx")
    r = CliRunner().invoke(cli, ["index", "add", "--index", idx, str(v1)])
    assert r.exit_code == 0, r.output
    _check(_run(str(v2), "--against", idx))


def test_against_redis_index_links_every_reused_sentence(versions, url):
    v1, v2 = versions
    r = CliRunner().invoke(cli, ["index", "add", "--index", url, str(v1)])
    assert r.exit_code == 0, r.output
    _check(_run(str(v2), "--against", url))


def test_inside_one_article(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("Floods forced some 500 residents from their homes on Monday.\n\n"
                 "Rescue teams reached the area by boat.\n\n"
                 "Floods forced some 1001 residents from their homes on Monday.\n", encoding="utf-8")
    data = _run(str(p))
    (c,) = data["clusters"]
    assert c["pairs"][0]["link"] == "words" and c["pairs"][0]["similarity"] == pytest.approx(9 / 10)

