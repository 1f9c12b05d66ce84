"""The CI formats: exact shapes (parsed), required fields, and escaping of hostile text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "check"
HOSTILE_NAME = "a,b:50%.md"
HOSTILE_TEXT = 'He wrote <script>alert("x")</script> then ::warning:: 100% [sic]] of "readers", & more\nwords followed on the next line.'


def run(*args, cwd=None, env=None):
    e = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")}
    e["PYTHONPATH"] = str(REPO)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "dedupe", *map(str, args)], cwd=cwd, env=e, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


@pytest.fixture
def hostile(tmp_path) -> Path:
    line = HOSTILE_TEXT.replace("<", "&lt;").replace(">", "&gt;")  # Markdown would drop raw inline HTML
    (tmp_path / HOSTILE_NAME).write_text(
        "Intro line that is plain and harmless for the hostile test here.\n\n" + line + "\n\n"
        "Something else entirely different in the middle of this article text.\n\n" + line + "\n",
        encoding="utf-8",
    )
    return tmp_path


def fmt(fmt_name: str, *paths, cwd) -> str:
    r = run("check", *(paths or ["."]), "--format", fmt_name, cwd=cwd)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    return r.stdout


def test_hostile_text_is_read_as_expected(hostile):
    d = json.loads(fmt("json", cwd=hostile))
    [c] = d["clusters"]
    assert [m["text"] for m in c["members"]] == [HOSTILE_TEXT, HOSTILE_TEXT]
    assert [(m["line"], m["end_line"]) for m in c["members"]] == [(3, 4), (8, 9)]


# -- github ----------------------------------------------------------------------------

def test_github_workflow_commands_escaped(hostile):
    out = fmt("github", cwd=hostile)
    lines = out.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line.startswith("::error file=a%2Cb%3A50%25.md,line=")
        head, sep, msg = line[2:].partition("::")
        assert sep
        props = dict(kv.split("=", 1) for kv in head.split(" ", 1)[1].split(","))
        assert set(props) == {"file", "line", "endLine", "title"}  # multi-line region: no columns
        assert props["title"] == "Repeated sentence (DD101)"
        assert "\n" not in msg and "%0A" not in msg  # whitespace collapsed in the message
        assert '<script>alert("x")</script> then ::warning:: 100%25 [sic]] of "readers", & more words' in msg
        assert "100% " not in msg
    assert "file=a%2Cb%3A50%25.md,line=3,endLine=4," in lines[0]
    assert "repeats the sentence at line 8 (similarity 1.00)" in lines[0]


def test_github_single_line_has_columns(tmp_path):
    shutil_copy(DATA / "drafts" / "water.html", tmp_path / "water.html")
    out = fmt("github", "water.html", cwd=tmp_path)
    assert out.splitlines()[0] == (
        "::error file=water.html,line=5,endLine=5,col=5,endColumn=59,title=Repeated quote (DD102)::"
        "This quote repeats the quote at line 11 (similarity 1.00): “We cannot keep borrowing water from our grandchildren,”"
    )


def shutil_copy(a, b):
    import shutil

    shutil.copy(a, b)


def test_github_escape_functions():
    from dedupe.output.ci import gh_escape_data, gh_escape_property

    assert gh_escape_data("a%b\r\nc::d,e:f") == "a%25b%0D%0Ac::d,e:f"
    assert gh_escape_property("a%b\r\nc::d,e:f") == "a%25b%0D%0Ac%3A%3Ad%2Ce%3Af"


# -- sarif -------------------------------------------------------------------------------

def test_sarif_has_every_field_github_requires(hostile):
    s = json.loads(fmt("sarif", cwd=hostile))
    assert s["version"] == "2.1.0"
    assert s["$schema"].endswith("sarif-2.1.0.json")
    [run_] = s["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "dedupe" and driver["version"] and driver["informationUri"].startswith(("https://", "file://"))
    ids = [r["id"] for r in driver["rules"]]
    assert ids == ["DD101", "DD102", "DD103", "DD201", "DD301", "DD401"]  # every rule of the kind registry
    for r in driver["rules"]:
        for key in ("shortDescription", "fullDescription", "help"):
            assert r[key]["text"]
        assert r["name"] and r["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert {r["id"]: r["defaultConfiguration"]["level"] for r in driver["rules"]} == {
        "DD101": "error", "DD102": "error", "DD103": "error", "DD201": "warning", "DD301": "error", "DD401": "note"}
    results = run_["results"]
    assert len(results) == 2
    fps = set()
    for res in results:
        assert res["ruleId"] == "DD101" and ids[res["ruleIndex"]] == "DD101"
        assert res["level"] == "error"
        assert "repeats the sentence at line" in res["message"]["text"]
        [loc] = res["locations"]
        art = loc["physicalLocation"]["artifactLocation"]
        assert art["uri"] == "a%2Cb%3A50%25.md"  # relative, percent-encoded
        region = loc["physicalLocation"]["region"]
        assert set(region) >= {"startLine", "startColumn", "endLine", "endColumn"}
        assert region["snippet"]["text"] == HOSTILE_TEXT  # JSON keeps the newline and the markup intact
        assert res["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] in (3, 8)
        fp = res["partialFingerprints"]["dedupeFingerprint/v1"]
        assert len(fp) == 20
        fps.add(fp)
    assert len(fps) == 2
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results] == [3, 8]


def test_sarif_fingerprints_survive_moving_text(hostile):
    before = json.loads(fmt("sarif", cwd=hostile))
    p = hostile / HOSTILE_NAME
    p.write_text("A new first paragraph was added above everything else in this story.\n\n" + p.read_text())
    after = json.loads(fmt("sarif", cwd=hostile))
    fp = lambda s: [r["partialFingerprints"]["dedupeFingerprint/v1"] for r in s["runs"][0]["results"]]  # noqa: E731
    lines = lambda s: [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in s["runs"][0]["results"]]  # noqa: E731
    assert fp(before) == fp(after)
    assert lines(after) == [x + 2 for x in lines(before)]


# -- junit ----------------------------------------------------------------------------------

def test_junit_parses_and_keeps_hostile_text(hostile):
    (hostile / "clean.txt").write_text((DATA / "clean.txt").read_text())
    out = fmt("junit", cwd=hostile)
    root = ET.fromstring(out.encode("utf-8"))
    assert root.tag == "testsuites"
    assert root.get("tests") == "2" and root.get("failures") == "1" and root.get("errors") == "0"
    suites = {s.get("file"): s for s in root.findall("testsuite")}  # one suite per article, with its file
    assert set(suites) == {HOSTILE_NAME, "clean.txt"}
    assert suites[HOSTILE_NAME].get("failures") == "1" and suites["clean.txt"].get("failures") == "0"
    cases = {tc.get("name"): tc for tc in root.iter("testcase")}
    assert set(cases) == {HOSTILE_NAME, "clean.txt"}
    assert all(float(tc.get("time")) >= 0 for tc in cases.values())
    assert cases["clean.txt"].find("failure") is None
    failure = cases[HOSTILE_NAME].find("failure")
    assert failure.get("type") == "DD101" and failure.get("message")
    assert '<script>alert("x")</script> then ::warning:: 100% [sic]] of "readers", & more words' in failure.text
    assert "<script>" not in out  # escaped on the wire


def test_junit_reports_read_errors_as_errors(tmp_path):
    (tmp_path / "a.txt").write_text((DATA / "clean.txt").read_text())
    r = run("check", "a.txt", "gone.txt", "--format", "junit", cwd=tmp_path)
    assert r.returncode == 2
    root = ET.fromstring(r.stdout.encode())
    assert root.get("errors") == "1"
    suite = root.find("testsuite[@name='dedupe.read']")
    assert suite.get("errors") == "1"
    assert suite.find("testcase[@name='gone.txt']/error") is not None


# -- gitlab ------------------------------------------------------------------------------------

def test_gitlab_code_quality(hostile):
    issues = json.loads(fmt("gitlab", cwd=hostile))
    assert isinstance(issues, list) and len(issues) == 2
    for it in issues:
        assert set(it) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert it["check_name"] == "DD101" and it["severity"] == "major"
        assert it["location"]["path"] == HOSTILE_NAME
        assert isinstance(it["location"]["lines"]["begin"], int)
        assert "<script>" in it["description"] and "::warning::" in it["description"]
    assert len({it["fingerprint"] for it in issues}) == 2
    assert [it["location"]["lines"]["begin"] for it in issues] == [3, 8]


def test_gitlab_warning_severity(tmp_path):
    for n in ("storm.md", "council.txt"):
        shutil_copy(DATA / "drafts" / n, tmp_path / n)
    issues = json.loads(fmt("gitlab", cwd=tmp_path))
    assert {(i["check_name"], i["severity"]) for i in issues} == {("DD101", "major"), ("DD201", "minor")}


# -- rdjsonl ------------------------------------------------------------------------------------

def test_rdjsonl(hostile):
    lines = fmt("rdjsonl", cwd=hostile).splitlines()
    assert len(lines) == 2
    for line in lines:
        d = json.loads(line)
        assert d["severity"] == "ERROR" and d["code"]["value"] == "DD101"
        assert d["location"]["path"] == HOSTILE_NAME
        rng = d["location"]["range"]
        assert rng["start"]["line"] in (3, 8) and rng["end"]["line"] == rng["start"]["line"] + 1
        assert rng["start"]["column"] == 1
        assert d["related_locations"][0]["location"]["path"] == HOSTILE_NAME
        assert '"readers"' in d["message"]


# -- json & markdown ---------------------------------------------------------------------------------

def test_json_is_the_scan_schema_plus_check(tmp_path):
    shutil_copy(DATA / "drafts" / "storm.md", tmp_path / "storm.md")
    d = json.loads(fmt("json", cwd=tmp_path))
    scan = json.loads(run("scan", "storm.md", "--format", "json", cwd=tmp_path).stdout)
    assert d["version"] == 1 and set(scan) <= set(d)
    assert [c["fingerprint"] for c in d["clusters"]] == [c["fingerprint"] for c in scan["clusters"]]
    c = d["clusters"][0]
    assert c["severity"] == "error" and c["status"] == "new" and c["fails"] is True
    assert d["check"]["failed"] is True and d["check"]["suppressed_inline"] == 1


def test_markdown_escapes_and_summarises(hostile):
    md = fmt("markdown", cwd=hostile)
    assert md.startswith("## dedupe check\n")
    assert "**Failed**" in md
    assert "| severity | rule | where | message |" in md
    assert "<script>" not in md and "&lt;script&gt;" in md
    body = [line for line in md.splitlines() if line.startswith("- `")]
    assert len(body) == 2
    # pipes and brackets cannot break the table or make links
    assert "\\]\\]" in body[0] and "\\[sic\\]" in body[0]
    table_rows = [line for line in md.splitlines() if line.startswith("| ❌")]
    assert all(row.count(" | ") == 3 for row in table_rows)


def test_render_check_accepts_a_scan_result():
    from dedupe import Settings, scan
    from dedupe.output.registry import render
    from dedupe.output.registry import render_check as render_ci

    res = scan([str(DATA / "drafts" / "storm.md")], Settings())
    s = json.loads(render_ci(res, "sarif"))
    assert len(s["runs"][0]["results"]) == 2
    assert render(res, "github").startswith("::error ")
    with pytest.raises(ValueError):
        render_ci(res, "yaml")
