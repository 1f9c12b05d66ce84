"""The changed-detail kind (DD103): two copies the same apart from a figure, a date or time, a name or a negation."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedupe import Settings, scan
from dedupe.cli.main import main as cli
from dedupe.kinds import BY_RULE, resolve
from dedupe.text.details import changed_details, summary

PUBLISHED = """Floods forced some 500 residents from their homes in the north on Monday.

Rescue teams reached the area by boat, officials said on the same day.
"""
UPDATE = """Floods forced some 1001 residents from their homes in the north on Monday.

A second wave of rain is expected to reach the coast by Thursday evening.
"""
WANT = "figure: 500 -> 1001"


@pytest.mark.parametrize("a,b,want", [
    ("Some 500 residents fled the village.", "Some 1001 residents fled the village.", "figure: 500 -> 1001"),
    ("Some 500 residents fled the village.", "Some 1,001 residents fled the village.", "figure: 500 -> 1,001"),
    ("The talks will resume on Monday in Geneva.", "The talks will resume on Tuesday in Geneva.",
     "date: Monday -> Tuesday"),
    ("The meeting starts at 10:30 in the town hall.", "The meeting starts at 11:00 in the town hall.",
     "date: 10:30 -> 11:00"),
    ("Psaki told reporters the talks would resume soon.", "Biden told reporters the talks would resume soon.",
     "name: Psaki -> Biden"),
    ("The ministry said the bridge will reopen in the spring.",
     "The ministry said the bridge will not reopen in the spring.", "negation: will -> will not"),
    ("The company said profit rose 5 pct in the quarter.", "The company said profit rose 7.5 pct in the quarter.",
     "figure: 5 -> 7.5"),
])
def test_details_are_named(a, b, want):
    found = changed_details(a, b)
    assert found is not None and summary(found) == want


@pytest.mark.parametrize("a,b", [
    ("The army said the talks will resume.", "The army said a talks will resume."),  # an ordinary edit
    ("Rescue teams reached the area by boat.", "Rescue teams reached the area by helicopter."),
    ("Same words here.", "Same words here."),
])
def test_other_edits_are_no_details(a, b):
    assert changed_details(a, b) is None


def test_kind_in_the_registry():
    k = resolve("DD103")
    assert k is not None and k.name == "changed-detail" and k.level == "error" and BY_RULE["DD103"] is k
    assert resolve("detail") is k


@pytest.fixture
def drafts(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "first.txt").write_text(PUBLISHED, encoding="utf-8")
    (tmp_path / "update.txt").write_text(UPDATE, encoding="utf-8")
    (tmp_path / "one.txt").write_text(
        "Police said 12 people were arrested after the protest.\n\n"
        "The march began at noon in the square.\n\n"
        "Police said 15 people were arrested after the protest.\n", encoding="utf-8")
    return tmp_path


def _json(out: str):
    """The JSON document at the start of ``out`` (the runner mixes in the one-line summary on stderr)."""
    return json.JSONDecoder().raw_decode(out)[0]


def _check(fmt: str, *paths: str) -> str:
    r = CliRunner().invoke(cli, ["check", *paths, "--no-baseline", "--format", fmt])
    assert r.exit_code == 1, r.output  # an error-level finding fails the check
    return r.output


def test_against_the_archive_in_every_format(drafts):
    args = ("update.txt", "--against", "archive")
    text = _check("text", *args)
    assert "DD103" in text and WANT in text and "published" in text
    gh = _check("github", *args)
    assert gh.startswith("::error ") and "title=Changed detail (DD103)" in gh and WANT in gh
    sarif = _json(_check("sarif", *args))
    run = sarif["runs"][0]
    assert "DD103" in [r["id"] for r in run["tool"]["driver"]["rules"]]
    (res,) = run["results"]
    assert res["ruleId"] == "DD103" and res["level"] == "error" and WANT in res["message"]["text"]
    (gl,) = _json(_check("gitlab", *args))
    assert gl["check_name"] == "DD103" and WANT in gl["description"]
    (rd,) = [json.loads(line) for line in _check("rdjsonl", *args).splitlines() if line.startswith("{")]
    assert rd["code"]["value"] == "DD103" and rd["severity"] == "ERROR" and WANT in rd["message"]
    junit = _check("junit", *args)
    root = ET.fromstring(junit[: junit.rindex("</testsuites>") + len("</testsuites>")])
    failure = root.find(".//failure")
    assert failure is not None and failure.get("type") == "DD103" and WANT in (failure.text or "")
    md = _check("markdown", *args)
    assert "| DD103 |" in md and "figure: 500 \\-&gt; 1001" in md  # markdown-escaped
    data = _json(_check("json", *args))
    found = json.dumps(data)
    assert "DD103" in found and "1001" in found


def test_scan_json_carries_details_and_differences(drafts):
    r = CliRunner().invoke(cli, ["scan", "update.txt", "--against", "archive", "--format", "json"])
    (c,) = json.loads(r.output)["clusters"]
    assert c["kind"] == "changed-detail" and c["rule"] == "DD103" and c["scope"] == "archive"
    assert c["note"] == "changed from the published copy: " + WANT
    (p,) = c["pairs"]
    (diff,) = p["differences"]
    ma, mb = c["members"][p["a"]], c["members"][p["b"]]
    assert ma["text"][diff["a"]["start"]:diff["a"]["end"]] == diff["a"]["text"]
    assert mb["text"][diff["b"]["start"]:diff["b"]["end"]] == diff["b"]["text"]
    assert {diff["a"]["text"], diff["b"]["text"]} == {"500", "1001"}
    (d,) = c["details"][0]["details"]
    assert d["category"] == "figure"


def test_inside_one_article_is_an_inconsistency(drafts):
    text = _check("text", "one.txt")
    assert "DD103" in text and "contradicts" in text and "figure: 12 -> 15" in text


def test_across_drafts_names_the_change(drafts):
    (drafts / "other.txt").write_text(PUBLISHED, encoding="utf-8")
    r = CliRunner().invoke(cli, ["scan", "update.txt", "other.txt", "--format", "json"])
    (c,) = json.loads(r.output)["clusters"]
    assert c["kind"] == "changed-detail" and c["scope"] == "drafts" and "changed between the drafts" in c["note"]


def test_leaving_the_kind_out_reports_the_plain_repeat(drafts):
    r = CliRunner().invoke(cli, ["scan", "one.txt", "--kinds", "repeated-sentence", "--format", "json"])
    (c,) = json.loads(r.output)["clusters"]
    assert c["kind"] == "repeated-sentence" and "details" not in c


def test_review_ui_shows_the_changed_detail(drafts):
    from dedupe.tui.widgets import render_cluster

    result = scan([str(drafts / "one.txt")], settings=Settings())
    (c,) = result.clusters
    shown = str(render_cluster(c, "new"))
    assert "changed-detail (DD103)" in shown and "figure: 12 -> 15" in shown


def test_cheap_name_test_decides_as_the_alignment():
    """The shortcut of a pair given without its differences (a differing word never capitalised in
    either copy cannot be a name) decides exactly as reading the aligned differences does."""
    from dedupe.text.align import diff_pair

    base = ["Psaki told reporters the talks with McDonalds Corp would resume soon.",
            "The company said profit rose 5 pct in the quarter, Smith said.",
            "Café owner Zoë said the Élysée talks ended on Monday.",
            "He said the U.S. and Japan agreed, and the yen rose."]
    swaps = [("Psaki", "Biden"), ("Psaki", "biden"), ("Corp", "revisedck"), ("reporters", "Reporters"),
             ("Smith", "smith"), ("5", "7"), ("Zoë", "zoë"), ("Zoë", "Anna"), ("Élysée", "élysée"),
             ("Monday", "Tuesday"), ("U.S.", "u.s."), ("Japan", "japan"), ("yen", "Yen"), ("the", "a")]
    checked = 0
    for a in base:
        for old, new in swaps:
            if old not in a:
                continue
            b = a.replace(old, new, 1)
            for x, y in ((a, b), (b, a)):
                fast = changed_details(x, y)
                full = changed_details(x, y, diff_pair(x, y))
                assert (fast is None) == (full is None), (x, y)
                if fast is not None:
                    assert summary(fast) == summary(full)
                checked += 1
    assert checked >= 20
