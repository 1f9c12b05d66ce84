"""`dedupe scan` as users run it: a subprocess, text and JSON output, errors, config."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import SEED, SEEDS, invoke, run_cli

LEDE = "Dockworkers at the Port of Long Beach walked off the job at 6 a.m. Tuesday, halting cargo at the nation’s No. 2 container port."
OTHER = "Gov. Elena Ruiz urged both sides to return to the table and warned of a long and costly shutdown."
SEVEN = "The mayor said the budget was late."  # 7 words


def run(args, cwd, **kw):
    return invoke(*args, cwd=cwd, **kw)


def clusters_of(proc) -> list[dict]:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["clusters"]


def test_json_output_shape(tmp_path):
    p = run(["scan", SEED, "--format", "json"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    data = json.loads(p.stdout)
    assert data["version"] == 1
    assert {"version", "documents", "clusters", "summary"} <= set(data)
    (doc,) = data["documents"]
    assert {"id", "path", "sentences"} <= set(doc)
    assert doc["path"] == str(SEED) and doc["sentences"] == 22
    assert len(data["clusters"]) == 2
    for i, c in enumerate(data["clusters"], 1):
        assert {"id", "kind", "rule", "similarity", "fingerprint", "members"} <= set(c)
        assert c["id"] == f"C{i}"
        assert c["rule"] == {"repeated-sentence": "DD101", "repeated-quote": "DD102"}[c["kind"]]
        assert 0 < c["similarity"] <= 1
        assert re.fullmatch(r"[0-9a-f]{20}", c["fingerprint"])
        for m in c["members"]:
            assert {"doc", "path", "start", "end", "line", "column", "end_line", "end_column", "text"} <= set(m)
            assert all(isinstance(m[k], int) for k in ("start", "end", "line", "column", "end_line", "end_column"))
            assert SEED.read_text("utf-8")[m["start"] : m["end"]] == m["text"]
    assert [m["line"] for m in data["clusters"][0]["members"]] == [4, 7]
    s = data["summary"]
    assert s["documents"] == 1 and s["clusters"] == 2 and s["sentences"] == 22
    assert s["by_kind"] == {"repeated-sentence": 1, "repeated-quote": 1}


def test_json_to_output_file(tmp_path):
    out = tmp_path / "out.json"
    p = run(["scan", SEED, "--format", "json", "-o", out], tmp_path)
    assert p.returncode == 0 and p.stdout == ""
    assert json.loads(out.read_text("utf-8"))["summary"]["clusters"] == 2


def test_text_output_shape(tmp_path):
    p = run(["scan", SEED], tmp_path)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    heads = [ln for ln in lines if re.match(r"^C\d+ ", ln)]
    assert heads == [
        "C1 repeated-sentence (DD101) similarity 0.67 (containment 0.90), 2 copies",
        "C2 repeated-quote (DD102) similarity 1.00, 2 copies",
    ]
    assert f"  {SEED}:4:1" in lines and f"  {SEED}:7:1" in lines
    assert "\x1b[" not in p.stdout  # no colour when not a terminal
    assert "{+Psaki+} said." in p.stdout  # differing words marked without colour
    assert re.match(r"^2 clusters \(1 repeated-quote, 1 repeated-sentence\) in 1 article, 22 sentences; \d+\.\d\d s$", lines[-1])
    colored = run(["scan", SEED, "--color"], tmp_path)
    assert "\x1b[" in colored.stdout


def test_seeds_dir_text(tmp_path):
    p = run(["scan", SEEDS, "--exclude", "archive/*", "--against", SEEDS / "archive"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert "archive-match (DD301)" in p.stdout
    assert "cross-article (DD201)" in p.stdout
    assert "2 archived articles" in p.stdout.splitlines()[-1]


@pytest.mark.parametrize(
    "args,needle",
    [
        (["scan", "missing.txt"], "missing.txt: no such file or directory"),
        (["scan", "bin.txt"], "bin.txt: binary file"),
        (["scan", "--threshold", "2", "ok.txt"], "--threshold"),
        (["scan", "--min-words", "zero", "ok.txt"], "--min-words"),
        (["scan", "--kinds", "bogus", "ok.txt"], "bogus"),
        (["scan", "--config", "bad.toml", "ok.txt"], "bad.toml: invalid TOML"),
        (["scan", "--config", "nofile.toml", "ok.txt"], "nofile.toml"),
    ],
)
def test_errors_one_line_exit_2(tmp_path, args, needle):
    (tmp_path / "ok.txt").write_text(f"{LEDE}\n", encoding="utf-8")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01binary\x00" * 40)
    (tmp_path / "bad.toml").write_text("threshold = \n", encoding="utf-8")
    p = run(args, tmp_path)
    assert p.returncode == 2
    err = p.stderr.strip().splitlines()
    assert len(err) == 1, p.stderr
    assert err[0].startswith("dedupe: error: ") and needle in err[0]
    assert "Traceback" not in p.stderr


def test_bad_config_value_names_file(tmp_path):
    (tmp_path / ".dedupe.toml").write_text('threshold = "high"\n', encoding="utf-8")
    (tmp_path / "ok.txt").write_text(f"{LEDE}\n", encoding="utf-8")
    p = run(["scan", "ok.txt"], tmp_path)
    assert p.returncode == 2
    assert p.stderr.strip() == f"dedupe: error: {tmp_path / '.dedupe.toml'}: threshold: expected float, got 'high'"
    (tmp_path / ".dedupe.toml").write_text("no_such_setting = 1\n", encoding="utf-8")
    p = run(["scan", "ok.txt"], tmp_path)
    assert p.returncode == 2 and "unknown setting 'no_such_setting'" in p.stderr


def test_run_goes_on_past_bad_file(tmp_path):
    (tmp_path / "a.txt").write_text(f"{LEDE}\n{OTHER}\n{LEDE}\n", encoding="utf-8")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01binary\x00" * 40)
    p = run(["scan", ".", "missing.txt", "--format", "json"], tmp_path)
    assert p.returncode == 2
    data = json.loads(p.stdout)
    assert [c["kind"] for c in data["clusters"]] == ["repeated-sentence"]
    errs = p.stderr.strip().splitlines()
    assert len(errs) == 2 and all(e.startswith("dedupe: error: ") for e in errs)
    assert data["summary"]["errors"] == 2


def _seven_word_repeat(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(f"{SEVEN}\n{OTHER}\n{SEVEN}\n", encoding="utf-8")


def test_config_from_pyproject(tmp_path):
    _seven_word_repeat(tmp_path)
    assert clusters_of(run(["scan", "a.txt", "--format", "json"], tmp_path)) == []
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n\n[tool.dedupe]\nmin-words = 7\n", encoding="utf-8")
    assert len(clusters_of(run(["scan", "a.txt", "--format", "json"], tmp_path))) == 1
    # flags override the file
    assert clusters_of(run(["scan", "a.txt", "--format", "json", "--min-words", "8"], tmp_path)) == []


def test_config_from_dedupe_toml_and_flag_override(tmp_path):
    _seven_word_repeat(tmp_path)
    sub = tmp_path / "sub"
    sub.mkdir()
    (tmp_path / ".dedupe.toml").write_text('min_words = 7\nkinds = ["repeated-quote"]\n', encoding="utf-8")
    # kinds from the file filter the sentence repeat out (searched from a subdirectory too)
    assert clusters_of(run(["scan", "../a.txt", "--format", "json"], sub)) == []
    got = clusters_of(run(["scan", "../a.txt", "--format", "json", "--kinds", "repeated-sentence"], sub))
    assert [c["kind"] for c in got] == ["repeated-sentence"]
    # explicit --config
    (tmp_path / "other.toml").write_text("[tool.dedupe]\nmin-words = 20\n", encoding="utf-8")
    got = clusters_of(run(["scan", "a.txt", "--format", "json", "--config", "other.toml", "--kinds", "repeated-sentence"], tmp_path))
    assert got == []


def test_config_exclude_and_against(tmp_path):
    (tmp_path / "drafts").mkdir()
    (tmp_path / "arch").mkdir()
    (tmp_path / "drafts" / "d.txt").write_text(f"{LEDE}\n{OTHER}\n", encoding="utf-8")
    (tmp_path / "arch" / "old.txt").write_text(f"{LEDE}\n", encoding="utf-8")
    (tmp_path / ".dedupe.toml").write_text('against = ["arch"]\n', encoding="utf-8")
    got = clusters_of(run(["scan", "drafts", "--format", "json"], tmp_path))
    assert [c["kind"] for c in got] == ["archive-match"]


def test_exclude_quotes_and_kinds_flags(tmp_path):
    full = clusters_of(run(["scan", SEED, "--format", "json"], tmp_path))
    assert len(full) == 2
    assert clusters_of(run(["scan", SEED, "--format", "json", "--exclude-quotes"], tmp_path)) == []
    only = clusters_of(run(["scan", SEED, "--format", "json", "--kinds", "repeated-quote"], tmp_path))
    assert [c["kind"] for c in only] == ["repeated-quote"]
    noq = clusters_of(run(["scan", SEED, "--format", "json", "--no-quotes"], tmp_path))
    assert [c["kind"] for c in noq] == ["repeated-sentence"]


def test_version_and_help(tmp_path):
    p = run(["--version"], tmp_path)
    assert p.returncode == 0 and "dedupe" in p.stdout
    p = run(["scan", "--help"], tmp_path)
    assert p.returncode == 0 and "--threshold" in p.stdout


def test_the_console_command_runs_as_a_subprocess(tmp_path):
    """One real process end to end (entry point, os._exit after flushing); the other tests run in-process."""
    p = run_cli("scan", SEED, "--format", "json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert any(c["kind"] == "repeated-quote" for c in json.loads(p.stdout)["clusters"])
    v = run_cli("--version", cwd=tmp_path)
    import dedupe

    assert v.returncode == 0 and dedupe.__version__ in v.stdout


def test_unexpected_error_is_one_line_with_a_debug_hint(tmp_path, monkeypatch):
    import dedupe.cli.common as common

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(common, "run_scan", boom)
    import dedupe.cli.scan as scan_cmd

    monkeypatch.setattr(scan_cmd, "run_scan", boom)
    r = invoke("scan", SEED, cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "unexpected RuntimeError: kaboom" in r.stderr and "--debug" in r.stderr
    with pytest.raises(RuntimeError):
        invoke("--debug", "scan", SEED, cwd=tmp_path)


def test_unwritable_output_is_one_line_naming_the_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    r = invoke("scan", SEED, "-o", tmp_path / "afile" / "out.txt", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "afile" in r.stderr and "Traceback" not in r.stderr
    assert (tmp_path / "afile").read_text() == "x"


def test_control_characters_from_articles_and_file_names_are_neutralised(tmp_path):
    s = "The minister said the plan would cut emissions by half within ten years \x1b[2J today."
    name = tmp_path / "x\n::error::y.txt"
    name.write_text(s + "\n\n" + s + "\n", encoding="utf-8")
    r = invoke("scan", name, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\\x1b[2J" in r.stdout
    assert "\n::error::" not in r.stdout and "x\\n::error::y.txt" in r.stdout
