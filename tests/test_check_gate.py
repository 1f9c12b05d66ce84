"""`dedupe check` as a CI gate: findings per article, truthful exits, validated config and baselines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SENTENCE = "The mayor said the new bridge over the river will open to traffic next spring after long delays."
OTHER = "Council members voted on Tuesday to approve a budget that raises spending on schools and parks."
FILLER = "Residents of the northern district have complained for years about the noise from the highway."


def run(*args, cwd, input=None, env=None):
    e = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")}
    e["PYTHONPATH"] = str(REPO)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "dedupe", *map(str, args)], check=False, cwd=cwd, env=e, capture_output=True,
                          text=True, encoding="utf-8", input=input, timeout=180)


@pytest.fixture
def pair(tmp_path) -> Path:
    (tmp_path / ".git").mkdir()  # stops the config search here
    (tmp_path / "a.txt").write_text(f"{SENTENCE} {FILLER}\n\n{OTHER}\n\n{SENTENCE}\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text(f"{SENTENCE}\n\nSomething else happened in the city on a quiet Sunday morning.\n",
                                    encoding="utf-8")
    return tmp_path


def rules_of(out: str) -> list[str]:
    return [c["rule"] for c in json.loads(out)["clusters"]]


# -- findings per article ------------------------------------------------------------------


def test_in_article_repeat_fails_even_when_another_article_shares_it(pair):
    alone = run("check", "a.txt", cwd=pair)
    assert alone.returncode == 1 and "DD101" in alone.stdout
    r = run("check", "a.txt", "b.txt", cwd=pair)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    dd101 = [x for x in lines if " error DD101 " in x]
    dd201 = [x for x in lines if " warning DD201 " in x]
    assert [x.split(":")[0] for x in dd101] == ["a.txt", "a.txt"]  # both copies inside a.txt
    assert "repeats the sentence at line 5" in dd101[0]
    assert sorted(x.split(":")[0] for x in dd201) == ["a.txt", "a.txt", "b.txt"]
    assert "at b.txt line 1" in dd201[0]  # the cross-article finding points at the other article
    assert "check failed: 1 finding at or above fail-on error" in lines[-1]


def test_every_format_sees_the_in_article_finding(pair):
    j = run("check", "a.txt", "b.txt", "--format", "json", cwd=pair)
    assert j.returncode == 1
    d = json.loads(j.stdout)
    by_rule = {c["rule"]: c for c in d["clusters"]}
    assert set(by_rule) == {"DD101", "DD201"}
    assert by_rule["DD101"]["part_of"] == by_rule["DD201"]["id"]
    assert [m["path"] for m in by_rule["DD101"]["members"]] == ["a.txt", "a.txt"]
    s = json.loads(run("check", "a.txt", "b.txt", "--format", "sarif", cwd=pair).stdout)
    assert sorted({x["ruleId"] for x in s["runs"][0]["results"]}) == ["DD101", "DD201"]
    g = run("check", "a.txt", "b.txt", "--format", "github", cwd=pair).stdout
    assert g.count("::error ") == 2 and g.count("::warning ") == 3


def test_in_article_repeat_also_matched_in_the_archive(pair):
    (pair / "archive").mkdir()
    (pair / "archive" / "old.txt").write_text(SENTENCE + "\n", encoding="utf-8")
    r = run("check", "a.txt", "--against", "archive", "--format", "json", cwd=pair)
    assert r.returncode == 1
    assert sorted(rules_of(r.stdout)) == ["DD101", "DD301"]


def test_baseline_entry_of_the_in_article_repeat_holds_when_another_article_shares_it(pair):
    assert run("check", "a.txt", "--update-baseline", cwd=pair).returncode == 0
    assert run("check", "a.txt", cwd=pair).returncode == 0
    r = run("check", "a.txt", "b.txt", "--format", "json", cwd=pair)
    assert r.returncode == 0, r.stderr  # DD101 accepted (same fingerprint), DD201 a new warning
    st = {c["rule"]: c["status"] for c in json.loads(r.stdout)["clusters"]}
    assert st == {"DD101": "accepted", "DD201": "new"}
    assert run("check", "a.txt", "b.txt", "--fail-on", "warning", cwd=pair).returncode == 1


# -- truthful exits ------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["missing/"], ["a.txt", "--against", "nothere.db"], ["a.txt", "gone.md"]])
def test_input_errors_exit_2_and_never_say_passed(pair, args):
    r = run("check", *args, cwd=pair)
    assert r.returncode == 2
    assert "passed" not in r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert "check failed" in r.stdout + r.stderr


def test_no_input_found_is_exit_2_one_line_unless_allowed(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "empty").mkdir()
    (tmp_path / "only").mkdir()
    (tmp_path / "only" / "x.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "only" / "notes.csv").write_text("a,b\n")
    for folder in ("empty", "only"):
        r = run("check", folder, cwd=tmp_path)
        assert r.returncode == 2
        assert r.stdout == ""
        err = r.stderr.strip()
        assert "\n" not in err and err.startswith(f"dedupe: error: no input found in {folder}")
        ok = run("check", folder, "--allow-no-input", cwd=tmp_path)
        assert ok.returncode == 0 and "check passed" in ok.stdout


def test_output_file_after_an_input_error_is_marked_failed(pair):
    r = run("check", "a.txt", "missing.txt", "--format", "sarif=o.sarif", "--format", "junit=o.xml",
            "--format", "gitlab=o.json", "--format", "rdjsonl=o.rdjsonl", "--format", "json=c.json",
            "--format", "markdown=o.md", cwd=pair)
    assert r.returncode == 2
    run_ = json.loads((pair / "o.sarif").read_text())["runs"][0]
    assert run_["invocations"][0]["executionSuccessful"] is False
    assert any("missing.txt" in n["message"]["text"] for n in run_["invocations"][0]["toolExecutionNotifications"])
    root = ET.fromstring((pair / "o.xml").read_bytes())
    assert root.get("errors") == "1" and root.find(".//testcase[@name='missing.txt']/error") is not None
    gl = json.loads((pair / "o.json").read_text())
    assert any(i["severity"] == "blocker" and i["location"]["path"] == "missing.txt" for i in gl)
    rd = [json.loads(x) for x in (pair / "o.rdjsonl").read_text().splitlines()]
    assert any(x["severity"] == "ERROR" and x["location"]["path"] == "missing.txt" for x in rd)
    c = json.loads((pair / "c.json").read_text())
    assert c["check"]["failed"] is True and c["check"]["exit_code"] == 2 and c["errors"]
    assert "**Failed**" in (pair / "o.md").read_text()
    # no input at all: the file says so too
    (pair / "empty").mkdir()
    assert run("check", "empty", "-o", "e.sarif", "--format", "sarif", cwd=pair).returncode == 2
    e = json.loads((pair / "e.sarif").read_text())["runs"][0]["invocations"][0]
    assert e["executionSuccessful"] is False


def test_report_writes_nothing_after_an_input_error(pair):
    r = run("report", "a.txt", "missing.txt", "-o", "r.html", cwd=pair)
    assert r.returncode == 2 and not (pair / "r.html").exists()


# -- configuration ---------------------------------------------------------------------------------


@pytest.mark.parametrize("body, line, words", [
    ("[tool.dedupe]\nthreshold = 0.8\nthreshold = 0.9\n", 3, "Cannot overwrite a value"),
    ("[tool.dedupe]\nthreshold = [\n", None, "invalid TOML"),
    ("[project]\nname = 'x'\n[project]\n", 3, "invalid TOML"),
])
def test_broken_pyproject_found_by_search_is_exit_2_with_file_and_line(pair, body, line, words):
    (pair / "pyproject.toml").write_text(body, encoding="utf-8")
    for cmd in (["check", "a.txt"], ["scan", "a.txt"], ["report", "a.txt"]):
        r = run(*cmd, cwd=pair)
        assert r.returncode == 2, cmd
        err = r.stderr.strip()
        assert "\n" not in err and "Traceback" not in err
        assert "pyproject.toml: invalid TOML at line " in err and words in err
        if line is not None:
            assert f"line {line}," in err


@pytest.mark.parametrize("body, words", [
    ("include = 5", "include: expected a string or a list"),
    ("against = 7", "against: expected a string or a list"),
    ('format = "xml"', "format: expected one of text, github"),
    ("id-field = 5", "id-field: expected a non-empty string"),
    ('threshold = "0.5"', "threshold: expected float"),
    ("threshold = 1.5", "threshold must be in (0, 1]"),
    ("min-words = true", "min-words: expected int"),
    ("num-perm = 4", "num-perm must be between 16 and 1024"),
    ("colour = 3", "unknown setting 'colour'"),
    ("rules = { DD101 = 3 }", "rules.DD101: expected a string"),
])
def test_config_values_are_checked_by_type_and_range(pair, body, words):
    (pair / ".dedupe.toml").write_text(body + "\n", encoding="utf-8")
    r = run("check", "a.txt", cwd=pair)
    assert r.returncode == 2
    err = r.stderr.strip()
    assert "\n" not in err and "Traceback" not in err
    assert ".dedupe.toml: " in err and words in err


def test_format_from_config_is_the_default(pair):
    (pair / ".dedupe.toml").write_text('format = "rdjsonl"\n', encoding="utf-8")
    r = run("check", "a.txt", cwd=pair)
    assert r.returncode == 1
    assert all(json.loads(x)["severity"] for x in r.stdout.splitlines())


# -- baselines -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("content, words", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"version": 1, "accepted": {"x": {"count": ' + "7" * 5000 + "}}}", "corrupt baseline"),
    ('{"version": 1, "accepted": {"x": {"count": ' + "7" * 4000 + "}}}", "count: must be between 0 and"),
    ('{"version": 1, "accepted": {"x": {"count": 2, "paths": "a.txt"}}}', "paths: expected a list of strings"),
    ('{"version": 1, "suppressions": {"x": {"reason": 5}}}', "reason: expected a string, got 5"),
    ('{"version": 1, "accepted": {"x": {"rule": "DD999"}}}', "unknown rule"),
    ('{"version": true}', "unsupported baseline version"),
    ('{"version": 1, "settings": []}', "settings: expected an object"),
], ids=["nested-100000", "digits-5000", "digits-4000", "paths-string", "reason-int", "unknown-rule", "version-bool",
        "settings-list"])
def test_hostile_baseline_exit_2_one_line_never_rewritten(pair, content, words):
    b = pair / ".dedupe-baseline.json"
    b.write_text(content, encoding="utf-8")
    before = b.read_bytes()
    for extra in ([], ["--update-baseline"]):
        r = run("check", "a.txt", *extra, cwd=pair)
        assert r.returncode == 2
        err = r.stderr.strip()
        assert "\n" not in err and "Traceback" not in err and len(err) < 400
        assert err.startswith("dedupe: error: .dedupe-baseline.json: ") and words in err
        assert b.read_bytes() == before


def test_lone_surrogates_reach_no_output_as_an_encoding_error(tmp_path):
    (tmp_path / ".git").mkdir()
    s = SENTENCE.replace("bridge", "bridge \\ud800")
    (tmp_path / "s.jsonl").write_text(json.dumps({"id": "1", "text": f"{s} {FILLER} {s}"}, ensure_ascii=True)
                                      .replace("\\\\ud800", "\\ud800") + "\n", encoding="utf-8")
    for fmt in ("text", "json", "sarif", "github", "junit", "gitlab", "rdjsonl", "markdown"):
        r = run("check", "s.jsonl", "--format", f"{fmt}=out.{fmt}", cwd=tmp_path)
        assert r.returncode == 1, (fmt, r.stderr)
        out = (tmp_path / f"out.{fmt}").read_bytes().decode("utf-8")  # valid UTF-8
        assert "\ud800" not in out and "The mayor said" in out
    r = run("check", "s.jsonl", "--update-baseline", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert run("check", "s.jsonl", cwd=tmp_path).returncode == 0
