"""`dedupe check` end to end: exit codes, fail-on, rules, inline suppression, errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "check"


def run(*args, cwd=None, env=None, input=None):
    e = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")}
    e["PYTHONPATH"] = str(REPO)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "dedupe", *map(str, args)], cwd=cwd, env=e, capture_output=True,
                          text=True, encoding="utf-8", input=input, timeout=120)


@pytest.fixture
def drafts(tmp_path) -> Path:
    """A copy of the check drafts in a directory of its own (cwd for the CLI)."""
    shutil.copytree(DATA / "drafts", tmp_path / "drafts")
    shutil.copy(DATA / "clean.txt", tmp_path / "clean.txt")
    return tmp_path


def check_json(*args, cwd):
    r = run("check", *args, "--format", "json", cwd=cwd)
    assert r.returncode in (0, 1), r.stderr
    return r, json.loads(r.stdout)


def test_clean_file_exits_0(drafts):
    r = run("check", "clean.txt", cwd=drafts)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 findings" in r.stdout and "check passed" in r.stdout


def test_findings_exit_1_with_messages_pointing_to_the_other_copy(drafts):
    r = run("check", "drafts", cwd=drafts)
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert "drafts/storm.md:3:1: error DD101 This sentence repeats the sentence at line 12 (similarity 1.00)" in r.stdout
    assert any(line.startswith("drafts/storm.md:12:1: error DD101") and "at line 3 " in line for line in lines)
    assert "drafts/water.html:5:5: error DD102 This quote repeats the quote at line 11" in r.stdout
    assert "drafts/council.txt:3:1: warning DD201 This sentence repeats the sentence at drafts/storm.md line 5" in r.stdout
    assert "check failed: 2 findings at or above fail-on error" in lines[-1]
    assert r.stderr == ""


def test_paths_are_normalised_so_ids_do_not_depend_on_spelling(drafts):
    _, a = check_json("drafts", cwd=drafts)
    _, b = check_json("./drafts/", cwd=drafts)
    _, c = check_json(str(drafts / "drafts"), cwd=drafts)
    fps = [sorted(x["fingerprint"] for x in d["clusters"]) for d in (a, b, c)]
    assert fps[0] == fps[1] == fps[2] and fps[0]
    assert {m["path"] for cl in c["clusters"] for m in cl["members"]} <= {
        "drafts/storm.md", "drafts/water.html", "drafts/council.txt"}


@pytest.mark.parametrize("fail_on, code", [
    ("error", 0), ("warning", 1), ("note", 1), ("none", 0), ("cross-article", 1), ("DD201", 1), ("archive-match", 0),
    ("repeated-quote,DD201", 1),
])
def test_fail_on(drafts, fail_on, code):
    # only finding left: the council/storm pair, a warning-level cross-article repeat
    r = run("check", "drafts/council.txt", "drafts/storm.md", "--fail-on", fail_on,
            "--config", _config(drafts, 'rules = { DD101 = "off" }'), cwd=drafts)
    assert r.returncode == code, r.stdout + r.stderr


def test_warnings_alone_do_not_fail_by_default(drafts):
    cfg = _config(drafts, 'rules = { repeated-sentence = "off" }')
    r = run("check", "drafts/council.txt", "drafts/storm.md", "--config", cfg, cwd=drafts)
    assert r.returncode == 0, r.stdout
    assert "warning DD201" in r.stdout
    assert "1 cluster of rules switched off" in r.stdout


def _config(root: Path, body: str, name: str = "dedupe.toml") -> str:
    p = root / name
    p.write_text(body + "\n", encoding="utf-8")
    return str(p)


def test_rules_relevel_and_switch_off_from_config(drafts):
    cfg = _config(drafts, '[rules]\nDD201 = "error"\nrepeated-sentence = "off"\n')
    r, d = check_json("drafts/council.txt", "drafts/storm.md", "--config", cfg, cwd=drafts)
    assert r.returncode == 1
    assert [(c["rule"], c["severity"]) for c in d["clusters"]] == [("DD201", "error")]
    assert d["check"]["switched_off"] == 1


def test_fail_on_from_config_and_flag_wins(drafts):
    cfg = _config(drafts, 'fail_on = "none"')
    assert run("check", "drafts", "--config", cfg, cwd=drafts).returncode == 0
    assert run("check", "drafts", "--config", cfg, "--fail-on", "error", cwd=drafts).returncode == 1


def test_pyproject_tool_dedupe_is_read(drafts):
    (drafts / "pyproject.toml").write_text('[tool.dedupe]\nfail_on = ["cross-article"]\n'
                                           '[tool.dedupe.rules]\nDD101 = "warning"\nDD102 = "off"\n')
    (drafts / ".git").mkdir()  # stop the config search here
    r, d = check_json("drafts", cwd=drafts)
    assert r.returncode == 1
    assert {c["rule"]: c["severity"] for c in d["clusters"]} == {"DD101": "warning", "DD201": "warning"}
    assert {c["rule"]: c["fails"] for c in d["clusters"]} == {"DD101": False, "DD201": True}


@pytest.mark.parametrize("body, words", [
    ('rules = { DD999 = "error" }', "unknown rule 'DD999'"),
    ('rules = { DD101 = "fatal" }', "rules.DD101: expected one of error, warning, note, off"),
    ('rules = "strict"', "rules: expected a table"),
    ('fail_on = "sometimes"', "fail-on: 'sometimes' is not a level"),
    ("fail_on = 3", "fail-on: expected a level or a list"),
    ("baseline = 5", "baseline: expected a file path"),
    ("threshold = [", "invalid TOML"),
])
def test_bad_config_exit_2_one_line(drafts, body, words):
    cfg = _config(drafts, body)
    r = run("check", "drafts", "--config", cfg, cwd=drafts)
    assert r.returncode == 2
    assert r.stdout == ""
    err = r.stderr.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err.startswith(f"dedupe: error: {cfg}: ")
    assert words in err


@pytest.mark.parametrize("args, words", [
    (["--fail-on", "bogus"], "--fail-on"),
    (["--format", "xml"], "--format"),
    (["--frobnicate"], "--frobnicate"),
    (["--update-baseline", "--changed-since", "HEAD"], "--changed-since"),
    (["--update-baseline", "--no-baseline"], "cannot be combined"),
])
def test_bad_flags_exit_2(drafts, args, words):
    r = run("check", "drafts", *args, cwd=drafts)
    assert r.returncode == 2, r.stdout + r.stderr
    assert words in r.stderr and "Traceback" not in r.stderr


def test_missing_and_unreadable_inputs_exit_2_but_still_report(drafts):
    (drafts / "broken.docx").write_bytes(b"not a zip file at all")
    r = run("check", "drafts", "missing.md", "broken.docx", cwd=drafts)
    assert r.returncode == 2
    assert "dedupe: error: missing.md: no such file or directory" in r.stderr
    assert "dedupe: error: broken.docx:" in r.stderr
    assert "Traceback" not in r.stderr
    assert "DD101" in r.stdout  # the readable files were still checked


def test_no_paths_is_a_usage_error(drafts):
    r = run("check", cwd=drafts)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_inline_suppression_md_html_txt_is_honoured_and_reported(drafts):
    r, d = check_json("drafts", cwd=drafts)
    per_doc = {x["path"]: x.get("suppressed", 0) for x in d["documents"]}
    assert per_doc == {"drafts/council.txt": 2, "drafts/storm.md": 1, "drafts/water.html": 2}
    assert d["check"]["suppressed_inline"] == 5
    # the suppressed copies are never part of a finding
    flagged = {(m["path"], m["line"]) for c in d["clusters"] for m in c["members"]}
    assert ("drafts/storm.md", 8) not in flagged
    assert not any(p == "drafts/council.txt" and line in (6, 7) for p, line in flagged)
    assert not any(p == "drafts/water.html" and line in (8, 9) for p, line in flagged)
    text = run("check", "drafts", cwd=drafts).stdout
    assert ("5 units suppressed inline (drafts/council.txt 2, drafts/storm.md 1, drafts/water.html 2)"
            in text.splitlines()[-1])


def test_without_markers_the_same_text_is_flagged(drafts):
    """Guards the test above: the suppressed regions really are duplicates."""
    for name, marker in (("storm.md", "<!-- dedupe-ignore -->"), ("council.txt", "[dedupe off]"),
                         ("water.html", "<!-- dedupe off -->")):
        p = drafts / "drafts" / name
        p.write_text(p.read_text().replace(marker, ""), encoding="utf-8")
    _, d = check_json("drafts", cwd=drafts)
    assert d["check"]["suppressed_inline"] == 0
    flagged = {(m["path"], m["line"]) for c in d["clusters"] for m in c["members"]}
    assert ("drafts/storm.md", 8) in flagged
    assert ("drafts/council.txt", 6) in flagged and ("drafts/water.html", 8) in flagged


def test_github_format_chosen_automatically_on_actions(drafts, tmp_path):
    summary = tmp_path / "step_summary.md"
    r = run("check", "drafts", cwd=drafts, env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert r.returncode == 1
    assert r.stdout.startswith("::")
    assert all(line.startswith(("::error ", "::warning ")) for line in r.stdout.splitlines())
    assert "check failed" in r.stderr  # the summary still shows in the log
    assert "## dedupe check" in summary.read_text()
    r2 = run("check", "drafts", cwd=drafts, env={"GITHUB_ACTIONS": "false"})
    assert r2.stdout.startswith("drafts/")


def test_output_file_written_atomically_and_summary_on_stderr(drafts):
    out = drafts / "out" / "dedupe.sarif"
    r = run("check", "drafts", "--format", "sarif", "-o", out, cwd=drafts)
    assert r.returncode == 1 and r.stdout == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"
    assert "check failed" in r.stderr
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_against_archive_gives_archive_match_errors(tmp_path):
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "old.txt").write_text(
        "The storm flooded hundreds of homes along the northern coast on Tuesday night.\n")
    (tmp_path / "draft.txt").write_text(
        "A year ago, the storm flooded hundreds of homes along the northern coast on Tuesday night.\n")
    r, d = check_json("draft.txt", "--against", "archive", cwd=tmp_path)
    assert r.returncode == 1
    [c] = d["clusters"]
    assert c["rule"] == "DD301" and c["severity"] == "error"
    text = run("check", "draft.txt", "--against", "archive", cwd=tmp_path).stdout
    assert text.count("DD301") == 1  # the archived copy is not annotated
    assert "archived article archive/old.txt, line 1" in text
