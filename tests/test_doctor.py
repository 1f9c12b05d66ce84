"""`dedupe doctor` / `--version` list the capabilities; a missing one is said, with an install that works."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

import dedupe.readers.extract as extract
from dedupe import capabilities
from dedupe.cli.main import main

PAGE = Path(__file__).parent / "data" / "readers" / "site_page.html"
REPEAT = "The council approved the new harbour budget by a narrow margin of five votes to four on Monday night."


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_doctor_lists_every_capability_present_here():
    r = invoke("doctor", "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    caps = {c["name"]: c for c in data["capabilities"]}
    assert list(caps) == ["kernels", "extraction", "semantic", "spark", "redis"]
    # the test environment (make test) has everything: a missing part here is a broken install
    assert all(c["present"] for c in caps.values()), caps
    assert all(c["version"] for c in data["core"]), data["core"]
    text = invoke("doctor").stdout
    for name in caps:
        assert f"yes  {name}" in text
    # --version is the head of doctor's text, without probing anything (fast: no java -version)
    version = invoke("--version").stdout
    assert version.startswith("dedupe ") and text.startswith(version) and "core:" not in version


def test_require_fails_when_a_capability_is_missing(monkeypatch):
    monkeypatch.setenv("DEDUPE_PURE_PYTHON", "1")
    r = invoke("doctor", "--require", "kernels")
    assert r.exit_code == 1
    assert "no   kernels" in r.stdout and "fix: unset DEDUPE_PURE_PYTHON" in r.stdout
    assert "missing: kernels" in r.stderr
    assert invoke("doctor", "--require", "extraction").exit_code == 0


def test_missing_spark_and_java_are_explained(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    status = capabilities.probe("spark")
    assert not status.present and "no java on PATH" in status.detail
    assert status.fix and "openjdk-17" in status.fix
    assert shutil.which("java") is None


def test_hints_name_installs_that_exist(monkeypatch):
    """dedupe is not on PyPI: a hint names the packages, and the source this copy came from."""
    for name in ("semantic", "spark"):
        hint = capabilities.hint_for(name)
        assert "dedupe-newsroom[" not in hint.replace("dedupe-newsroom[" + name + "] @ git+", "")
        assert {"semantic": "wordllama", "spark": "pyspark"}[name] in hint
    monkeypatch.setattr(capabilities, "installed_from", lambda: "/src/dedupe")
    assert capabilities.hint_for("semantic").endswith(" -m pip install '/src/dedupe[semantic]')")
    monkeypatch.setattr(capabilities, "installed_from", lambda: "git+https://example.org/d.git@" + "0" * 40)
    assert "'dedupe-newsroom[semantic] @ git+https://example.org/d.git@" in capabilities.hint_for("semantic")


def test_a_site_page_without_extraction_is_one_warning_per_run(tmp_path, monkeypatch):
    monkeypatch.setattr(extract, "_import_failure", ["ModuleNotFoundError: No module named 'lxml.html.clean'"])
    pages = []
    for i in range(3):
        pages.append(tmp_path / f"p{i}.html")
        shutil.copy(PAGE, pages[-1])
    r = invoke("scan", *map(str, pages), "--format", "json")
    warnings = [line for line in r.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1, r.stderr
    assert "(and 2 more files)" in warnings[0]
    assert "main-content extraction is off" in warnings[0] and "lxml_html_clean" in warnings[0]
    assert "No module named 'lxml.html.clean'" in warnings[0]
    # what it warns about is real: the chrome is read
    texts = {c["members"][0]["text"] for c in json.loads(r.stdout)["clusters"]}
    assert "Share on Facebook Share on X Email this story" in texts


def test_a_site_page_loses_its_chrome_with_extraction():
    r = invoke("scan", str(PAGE), "--format", "json")
    assert r.exit_code == 0 and "warning" not in r.stderr, r.stderr
    assert [c["members"][0]["text"] for c in json.loads(r.stdout)["clusters"]] == [REPEAT]


def test_a_missing_core_package_is_an_error_naming_it(monkeypatch):
    import dedupe.cli.scan as scan_cli

    def broken(*_a, **_k):
        raise ModuleNotFoundError("No module named 'docx'", name="docx")

    monkeypatch.setattr(scan_cli, "run_scan", broken)
    r = invoke("scan", str(PAGE))
    assert r.exit_code == 2
    assert "the core package python-docx does not import" in r.stderr and "pip install python-docx" in r.stderr
    assert "Traceback" not in r.output


def test_index_add_without_extraction_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(extract, "_import_failure", ["ModuleNotFoundError: No module named 'lxml.html.clean'"])
    shutil.copy(PAGE, tmp_path / "story.html")
    r = invoke("index", "add", str(tmp_path / "story.html"), "--index", str(tmp_path / "ix"))
    assert r.exit_code == 0, r.output
    assert "full site pages among the inputs are indexed whole" in r.stderr and "lxml_html_clean" in r.stderr


def test_review_without_extraction_or_semantic_says_so(monkeypatch):
    import dedupe.engine.restate as restate

    monkeypatch.setattr(extract, "_import_failure", ["ModuleNotFoundError: No module named 'lxml.html.clean'"])
    monkeypatch.setattr(restate, "semantic_available", lambda: False)
    r = invoke("review", str(PAGE))  # not a terminal: refused after the warnings
    assert r.exit_code == 2
    assert "full site pages are reviewed whole" in r.stderr and "lxml_html_clean" in r.stderr
    assert "restatements are off" in r.stderr and "wordllama" in r.stderr
