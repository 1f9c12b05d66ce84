"""Hostile input over every command and output format: never a traceback, never a hang, no user file changed.

A generator makes bad inputs (binary files, odd encodings, lone surrogates, NUL bytes, giant lines, deep
HTML, symlink loops, FIFOs, malformed JSON lines, broken and mistyped configuration, hostile baselines,
damaged indexes, output paths that cannot be written) and each is run through ``scan`` (text and JSON),
``check`` (every CI format), ``report`` and ``index add/stats/list``.  Every run must:

* end with a documented exit code (0 clean, 1 findings that fail a check, 2 usage or input error), 2 when
  anything was reported as an error;
* print no Python traceback and only ``dedupe:`` lines on stderr, each on one line, with no raw control
  characters;
* finish within its time limit (a FIFO must not block a read);
* leave every input file byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import cli_env, invoke

from dedupe.output.registry import CHECK_FORMATS

GOOD = "The governor said the state would appeal the ruling to the supreme court next week."
OTHER = "Officials in the district said the new plan would cost about forty million dollars over ten years."


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], list[str]]  # writes the input into a folder, returns the extra CLI arguments
    subprocess: bool = False  # run in a real process (a hang would block the test process)


def _article(*sentences: str) -> str:
    return "\n\n".join(sentences) + "\n"


def _write(p: Path, data: str | bytes) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        p.write_bytes(data)
    else:
        p.write_text(data, encoding="utf-8")


def _good(d: Path) -> None:
    _write(d / "good.txt", _article(GOOD, OTHER, GOOD))


def case_files() -> list[Case]:
    def one(name: str, filename: str, data: str | bytes) -> Case:
        def make(d: Path) -> list[str]:
            _good(d)
            _write(d / filename, data)
            return [str(d)]

        return Case(name, make)

    def fifo(d: Path) -> list[str]:
        _good(d)
        os.mkfifo(d / "x.txt")
        return [str(d)]

    def fifo_direct(d: Path) -> list[str]:
        _good(d)
        os.mkfifo(d / "x.txt")
        return [str(d / "good.txt"), str(d / "x.txt")]

    def symlink_loop(d: Path) -> list[str]:
        _good(d)
        (d / "loop").mkdir()
        os.symlink("..", d / "loop" / "up")
        os.symlink(d / "loop", d / "loop" / "self")
        return [str(d)]

    def dangling(d: Path) -> list[str]:
        _good(d)
        os.symlink(d / "nowhere.txt", d / "dangling.txt")
        return [str(d)]

    def dir_named_txt(d: Path) -> list[str]:
        _good(d)
        (d / "folder.txt").mkdir()
        return [str(d)]

    def missing(d: Path) -> list[str]:
        _good(d)
        return [str(d / "good.txt"), str(d / "missing.txt")]

    def empty_folder(d: Path) -> list[str]:
        (d / "empty").mkdir()
        return [str(d / "empty")]

    surrogate = json.dumps({"id": "r1", "text": _article(GOOD, OTHER)})[:-2] + "\\ud800 end.\"}"
    records = "\n".join([
        json.dumps({"id": "a", "text": _article(GOOD, OTHER)}),
        surrogate,
        json.dumps({"id": "b", "text": _article(GOOD + " \\ud83d")}),
    ]) + "\n"
    return [
        one("binary", "bin.txt", bytes(range(256)) * 64),
        one("nul-bytes", "nul.txt", (GOOD + "\x00" + OTHER + "\n").encode()),
        one("utf16-bom", "u16.txt", _article(GOOD, GOOD).encode("utf-16")),
        one("latin1", "l1.txt", _article("Caf\xe9 " + GOOD, "Caf\xe9 " + GOOD).encode("latin-1")),
        one("giant-line", "giant.txt", ("word " * 400_000) + "\n"),
        one("control-characters", "ctl.txt", _article(GOOD + " \x1b[2J\x07\x08\x7f", GOOD + " \x1b[2J\x07\x08\x7f")),
        one("bidi-override", "bidi.txt", _article("\u202e" + GOOD, "\u202e" + GOOD)),
        one("deep-html", "deep.html", "<html><body>" + "<div>" * 10_000 + f"<p>{GOOD}</p><p>{GOOD}</p>"
            + "</div>" * 10_000 + "</body></html>"),
        one("broken-html", "broken.html", "<html><body><p>" + GOOD + "<p><<<>>>&&&#xFFFFFFFF;<script>" + GOOD),
        one("malformed-jsonl", "bad.jsonl", '{"id": "a", "text": "ok"}\n{not json\n[1, 2]\n"a string"\n'),
        one("jsonl-surrogates", "s.jsonl", records),
        one("jsonl-wrong-types", "t.jsonl", json.dumps({"id": [1], "text": 5}) + "\n" + json.dumps({"id": None}) + "\n"),
        one("bad-gzip", "bad.jsonl.gz", b"\x1f\x8b\x08\x00garbage"),
        one("empty-file", "empty.txt", b""),
        one("bad-docx", "bad.docx", b"PK\x03\x04not a zip"),
        one("weird-name-newline", "x\n::error::y.txt", _article(GOOD, GOOD)),
        one("weird-name-escape", "x\x1b[2Jy.txt", _article(GOOD, GOOD)),
        Case("fifo-in-folder", fifo, subprocess=True),
        Case("fifo-given", fifo_direct, subprocess=True),
        Case("symlink-loop", symlink_loop, subprocess=True),
        Case("dangling-symlink", dangling),
        Case("folder-named-txt", dir_named_txt),
        Case("missing-path", missing),
        Case("empty-folder", empty_folder),
    ]


def case_configs() -> list[Case]:
    bodies = {
        "toml-syntax": "threshold = [\n",
        "toml-duplicate-key": "threshold = 0.5\nthreshold = 0.6\n",
        "wrong-type-include": "include = 5\n",
        "wrong-type-against": "against = 7\n",
        "wrong-type-threshold": 'threshold = "high"\n',
        "out-of-range": "threshold = 7\n",
        "unknown-key": "colour = 'blue'\n",
        "format-unknown": 'format = "xml"\n',
        "id-field-number": "id-field = 5\n",
        "huge-number": "threshold = 1" + "0" * 5000 + "\n",
    }

    def make_for(body: str) -> Callable[[Path], list[str]]:
        def make(d: Path) -> list[str]:
            _good(d)
            _write(d / ".dedupe.toml", body)
            return [str(d / "good.txt"), "--config", str(d / ".dedupe.toml")]

        return make

    return [Case(f"config-{k}", make_for(v)) for k, v in bodies.items()]


def case_baselines() -> list[Case]:
    bodies = {
        "deep-nesting": "[" * 100_000 + "]" * 100_000,
        "huge-number": '{"version": 1, "entries": ' + "9" * 5000 + "}",
        "not-json": "{this is not json",
        "paths-string": '{"version": 1, "accepted": {"abc": {"rule": "DD101", "count": 2, "paths": "a.txt"}}}',
        "reason-number": '{"version": 1, "suppressions": {"abc": {"rule": "DD101", "reason": 5}}}',
        "count-negative": '{"version": 1, "accepted": {"abc": {"rule": "DD101", "count": -3}}}',
        "accepted-list": '{"version": 1, "accepted": [1, 2, 3]}',
        "binary": "\x00\x01\x02",
        "wrong-version": '{"version": 999}',
    }

    def make_for(body: str) -> Callable[[Path], list[str]]:
        def make(d: Path) -> list[str]:
            _good(d)
            _write(d / "baseline.json", body)
            return [str(d / "good.txt"), "--baseline", str(d / "baseline.json")]

        return make

    return [Case(f"baseline-{k}", make_for(v)) for k, v in bodies.items()]


def _snapshot(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _dirs, filenames in os.walk(root, followlinks=False):
        for f in filenames:
            p = Path(dirpath) / f
            if p.is_symlink() or not p.is_file():
                continue
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _assert_clean(code: int, stderr: str, where: str) -> None:
    assert "Traceback" not in stderr, f"{where}: traceback\n{stderr[-2000:]}"
    assert code in (0, 1, 2), f"{where}: exit {code}\n{stderr[-500:]}"
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    for ln in lines:
        assert ln.startswith("dedupe: "), f"{where}: stray stderr line {ln!r}"
        assert not any(ord(c) < 32 and c != "\t" for c in ln), f"{where}: raw control character in {ln!r}"
    if any(ln.startswith("dedupe: error:") for ln in lines):
        assert code == 2, f"{where}: an error was printed but the exit code is {code}"


def _run(case: Case, args: list[str], cwd: Path) -> tuple[int, str, str]:
    if case.subprocess:
        try:
            p = subprocess.run([sys.executable, "-m", "dedupe", *args], cwd=cwd, env=cli_env(), capture_output=True,
                               text=True, encoding="utf-8", errors="replace", timeout=60, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{case.name}: dedupe {' '.join(args[:1])} hung")
        return p.returncode, p.stdout, p.stderr
    r = invoke(*args, cwd=cwd)
    return r.returncode, r.stdout, r.stderr


COMMANDS: list[list[str]] = (
    [["scan"], ["scan", "--format", "json"]]
    + [["check", "--format", f] for f in CHECK_FORMATS]
    + [["report", "--format", "html"], ["report", "--format", "markdown"]]
)


@pytest.mark.slow
@pytest.mark.parametrize("case", case_files(), ids=lambda c: c.name)
def test_bad_files_over_every_command(case: Case, tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    extra = case.make(d)
    before = _snapshot(d)
    for cmd in COMMANDS:
        code, _, err = _run(case, [cmd[0], *extra, *cmd[1:]], tmp_path)
        _assert_clean(code, err, f"{case.name} / {' '.join(cmd)}")
    code, _, err = _run(case, ["index", "add", *extra, "--index", str(tmp_path / "ix.db")], tmp_path)
    _assert_clean(code, err, f"{case.name} / index add")
    assert _snapshot(d) == before, f"{case.name}: an input file changed"


@pytest.mark.parametrize("case", case_configs() + case_baselines(), ids=lambda c: c.name)
def test_bad_configuration_and_baselines_are_one_line_exit_2(case: Case, tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    extra = case.make(d)
    before = _snapshot(d)
    cmds = [["check", "--format", "text"], ["check", "--update-baseline"]]
    if case.name.startswith("config-"):
        cmds += [["scan"], ["report", "--format", "html"]]
    for cmd in cmds:
        code, _, err = _run(case, [cmd[0], *extra, *cmd[1:]], tmp_path)
        _assert_clean(code, err, f"{case.name} / {' '.join(cmd)}")
        assert code == 2 and err.count("\n") == 1, f"{case.name} / {' '.join(cmd)}: exit {code}\n{err}"
    assert _snapshot(d) == before, f"{case.name}: an input file changed"


def _damage(db: Path, how: str) -> None:
    data = bytearray(db.read_bytes())
    mid = len(data) // 2
    if how == "zeros":
        data[mid : mid + 8192] = bytes(min(8192, len(data) - mid))
    elif how == "garbage":
        data[mid : mid + 8192] = os.urandom(min(8192, len(data) - mid))
    elif how == "truncated":
        data = data[:mid]
    elif how == "header":
        data[:100] = os.urandom(100)
    db.write_bytes(bytes(data))


@pytest.mark.slow
@pytest.mark.parametrize("how", ["zeros", "garbage", "truncated", "header"])
def test_a_damaged_index_is_reported_with_the_fix(how: str, tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    for i in range(40):
        _write(arch / f"s{i}.txt", _article(f"Story {i} says the council met on day {i} to discuss the budget plan.",
                                             GOOD, OTHER))
    ix = tmp_path / "ix.db"
    assert invoke("index", "add", arch, "--index", ix).returncode == 0
    with sqlite3.connect(ix) as con:  # fold the WAL in, so the damage hits the data
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _damage(ix, how)
    draft = tmp_path / "draft.txt"
    _write(draft, _article(GOOD, "Something new happened in town today that nobody had expected before."))
    for args in (["check", draft, "--against", ix], ["scan", draft, "--against", ix], ["index", "stats", "--index", ix],
                 ["index", "list", "--index", ix], ["index", "add", draft, "--index", ix],
                 ["index", "vacuum", "--index", ix], ["index", "rebuild", "--index", ix]):
        r = invoke(*args, cwd=tmp_path)
        where = f"{how} / {' '.join(map(str, args[:2]))}"
        _assert_clean(r.returncode, r.stderr, where)
        if r.returncode == 2:
            assert "unsupported file type" not in r.stderr, where


@pytest.mark.parametrize("target", ["under-a-file", "proc", "sys", "directory"])
def test_unwritable_outputs_are_one_line_and_leave_nothing_behind(target: str, tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    _good(d)
    (tmp_path / "afile").write_text("keep")
    out = {"under-a-file": tmp_path / "afile" / "out.json", "proc": Path("/proc/dedupe-out.json"),
           "sys": Path("/sys/dedupe-out.json"), "directory": tmp_path}[target]
    for cmd in (["scan", d / "good.txt", "--format", "json", "-o", out], ["check", d / "good.txt", "-o", out],
                ["report", d / "good.txt", "-o", out]):
        r = invoke(*cmd, cwd=tmp_path)
        _assert_clean(r.returncode, r.stderr, f"{target} / {cmd[0]}")
        assert r.returncode == 2 and r.stderr.count("\n") == 1, f"{target} / {cmd[0]}: {r.returncode} {r.stderr}"
    assert (tmp_path / "afile").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "in"]
