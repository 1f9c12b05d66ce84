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
import re
import sqlite3
import subprocess
import sys
import time
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


# -- an untrusted pull request (issue 23): nothing outside the tree, no secret, no input replaced, no gate off ---------

REPEAT = _article(GOOD, OTHER, GOOD)
OUTSIDE = "The secret ledger of the runner says the vault code is seven four one and must never be published."


def _outside_and_tree(tmp_path: Path) -> tuple[Path, Path]:
    """A secret file outside the tree; a tree with a good article, a link to the secret and a link to its folder."""
    secret = tmp_path / "runner" / "secret.txt"
    _write(secret, _article(OUTSIDE, OUTSIDE))
    tree = tmp_path / "repo"
    _write(tree / "drafts" / "good.txt", REPEAT)
    os.symlink(secret, tree / "drafts" / "a.txt")
    os.symlink(secret.parent, tree / "drafts" / "linked")
    (tree / ".git").mkdir()
    return secret, tree


@pytest.mark.parametrize("cmd", [["scan"], ["scan", "--format", "json"], ["report", "--format", "markdown"]]
                         + [["check", "--format", f] for f in CHECK_FORMATS])
def test_symlinks_out_of_the_tree_are_not_read(cmd: list[str], tmp_path: Path) -> None:
    _, tree = _outside_and_tree(tmp_path)
    r = invoke(cmd[0], "drafts", *cmd[1:], cwd=tree)
    _assert_clean(r.returncode, r.stderr, " ".join(cmd))
    assert "vault code" not in r.stdout and "secret" not in r.stdout, " ".join(cmd)
    warned = [ln for ln in r.stderr.splitlines() if "outside" in ln]
    assert any("drafts/a.txt" in ln for ln in warned) and any("drafts/linked" in ln for ln in warned), r.stderr
    assert r.returncode == 1 if cmd[0] == "check" else r.returncode == 0


def test_a_link_named_directly_or_a_linked_folder_given_is_not_read(tmp_path: Path) -> None:
    secret, tree = _outside_and_tree(tmp_path)
    os.symlink(secret.parent, tree / "evil")
    for target in ("drafts/a.txt", "evil"):
        r = invoke("check", target, "drafts/good.txt", "--format", "json", cwd=tree)
        assert "vault code" not in r.stdout
        assert f"{target}: symbolic link pointing outside the repository" in r.stderr, r.stderr


def test_following_external_links_is_an_explicit_choice(tmp_path: Path) -> None:
    _, tree = _outside_and_tree(tmp_path)
    r = invoke("scan", "drafts", "--format", "json", "--follow-external-symlinks", cwd=tree)
    assert "vault code" in r.stdout and "outside" not in r.stderr
    trusted = tmp_path / "trusted.toml"  # a trusted configuration (--config / DEDUPE_CONFIG) may; the tree's may not
    _write(trusted, "follow-external-symlinks = true\n")
    assert "vault code" in invoke("scan", "drafts", "--format", "json", "--config", trusted, cwd=tree).stdout


def test_index_add_does_not_store_what_a_link_points_at(tmp_path: Path) -> None:
    _, tree = _outside_and_tree(tmp_path)
    r = invoke("index", "add", "drafts", "--index", tmp_path / "ix", cwd=tree)
    assert r.returncode == 0, r.stderr
    assert "drafts/a.txt" in r.stderr and "outside" in r.stderr
    listed = invoke("index", "list", "--index", tmp_path / "ix", cwd=tree).stdout
    assert "good.txt" in listed and "a.txt" not in listed and "secret" not in listed


def test_a_password_in_an_index_url_is_never_printed(tmp_path: Path) -> None:
    _good(tmp_path)
    for url in ("redis://:hunter2pw@127.0.0.1:1/0", "redis://admin:hunter2pw@127.0.0.1:1/0",
                "rediss://admin:hunter2pw@127.0.0.1:1/0?name=x"):
        for args in (["index", "stats", "--index", url], ["index", "add", "good.txt", "--index", url],
                     ["check", "good.txt", "--against", url, "--format", "json"], ["scan", "good.txt", "--against", url]):
            r = invoke(*args, cwd=tmp_path)
            assert r.returncode == 2, (args, r.stderr)
            assert "hunter2pw" not in r.stderr + r.stdout and "admin" not in r.stderr + r.stdout, (args, r.stderr)
            assert "***@127.0.0.1" in r.stderr, r.stderr


def test_redaction_rule() -> None:
    from dedupe.errors import ArchiveIndexError
    from dedupe.safety import redact

    assert redact("redis://:p%40ss@h:6379/0: cannot connect") == "redis://***@h:6379/0: cannot connect"
    assert redact("redis://u:p@ss@h/1 and rediss://u@h/2") == "redis://***@h/1 and rediss://***@h/2"
    assert redact("redis://h:6379/0, mail a@b.example") == "redis://h:6379/0, mail a@b.example"
    assert "pw" not in str(ArchiveIndexError("cannot connect", "redis://:pw@h/0"))


@pytest.mark.parametrize("cmd", [["check", "-o", "{in}"], ["check", "--format", "sarif={in}"],
                                 ["check", "--format", "text", "--format", "json={link}"],
                                 ["report", "-o", "{in}"], ["scan", "-o", "{in}"], ["scan", "--format", "json", "-o", "{link}"],
                                 # several outputs, the last a hard link to an input (one set of identities for all)
                                 ["check", "--format", "json={new}", "--format", "sarif={hard}"]])
def test_an_output_over_an_input_is_refused(cmd: list[str], tmp_path: Path) -> None:
    d = tmp_path / "d"
    _write(d / "a.txt", REPEAT)
    _write(d / "b.md", _article(OTHER, GOOD))
    os.symlink(d / "b.md", tmp_path / "link.md")
    os.link(d / "a.txt", tmp_path / "hard.sarif")
    before = _snapshot(d)
    args = [a.replace("{in}", str(d / "b.md")).replace("{link}", str(tmp_path / "link.md"))
            .replace("{new}", str(tmp_path / "new.json")).replace("{hard}", str(tmp_path / "hard.sarif")) for a in cmd]
    r = invoke(args[0], d, *args[1:], cwd=tmp_path)
    assert r.returncode == 2 and "an output never replaces an input" in r.stderr, r.stderr
    if "{hard}" in " ".join(cmd):
        assert "hard.sarif: is the input" in r.stderr and "a.txt" in r.stderr, r.stderr
    assert _snapshot(d) == before


def test_a_symlinked_baseline_is_updated_through_the_link(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", REPEAT)
    shared = tmp_path / "shared" / "baseline.json"
    _write(shared, '{"version": 1, "accepted": {}, "suppressions": {}}\n')
    os.symlink(shared, tmp_path / ".dedupe-baseline.json")
    r = invoke("check", "a.txt", "--update-baseline", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / ".dedupe-baseline.json").is_symlink()
    assert json.loads(shared.read_text())["accepted"], "the target was not updated"
    assert invoke("check", "a.txt", cwd=tmp_path).returncode == 0  # the accepted repeat passes through the link
    report = tmp_path / "out" / "report.html"
    _write(report, "old")
    os.symlink(report, tmp_path / "report.html")
    assert invoke("report", "a.txt", "-o", "report.html", cwd=tmp_path).returncode == 0
    assert (tmp_path / "report.html").is_symlink() and "<html" in report.read_text()


@pytest.mark.parametrize("how", ["kinds = []\n", "kinds = ''\n", "--kinds=", "--kinds= , "])
def test_an_empty_kind_list_cannot_pass_the_gate(how: str, tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", REPEAT)
    args = ["check", "a.txt"]
    if how.startswith("--"):
        args.append(how)
    else:
        _write(tmp_path / ".dedupe.toml", how)
    r = invoke(*args, cwd=tmp_path)
    _assert_clean(r.returncode, r.stderr, how)
    assert r.returncode == 2 and "report nothing" in r.stderr, r.stderr


NAMES = ["x\n::error::y.txt", "x\r::warning file=a::z.txt", "b\x07\u202ec\x1b[2J.txt", "::error::start.txt",
         "@alice #12.txt"]


def _tree_of_hostile_names(d: Path) -> None:
    body = _article("The governor told @octocat and @org/team the state would appeal the ruling in case #123 next week.", "The governor told @octocat and @org/team the state would appeal the ruling in case #123 next week.")
    for n in NAMES:
        _write(d / n, body)
    (d / os.fsdecode(b"caf\xe9.txt")).write_text(body, encoding="utf-8")


def _no_forged_command(out: str, where: str, github: bool = False) -> None:
    for ln in out.splitlines():
        if github and ln.startswith(("::error file=", "::warning file=", "::notice file=")):
            props = ln.split("::", 2)[1]
            assert "\\" not in props or "%0A" not in props, where
            continue
        assert not ln.startswith("::"), f"{where}: a line starts a workflow command: {ln!r}"
        assert not any(ord(c) < 32 and c != "\t" for c in ln), f"{where}: raw control character in {ln!r}"
        assert "\u202e" not in ln, where


@pytest.mark.parametrize("cmd", [["scan"], ["scan", "--format", "json"], ["report", "--format", "markdown"],
                                 ["report", "--format", "html"]] + [["check", "--format", f] for f in CHECK_FORMATS])
def test_hostile_file_names_in_every_output(cmd: list[str], tmp_path: Path) -> None:
    d = tmp_path / "in"
    _tree_of_hostile_names(d)
    r = invoke(cmd[0], ".", *cmd[1:], cwd=d)  # names relative to the folder: a line could start with one
    where = " ".join(cmd)
    _assert_clean(r.returncode, r.stderr, where)
    assert r.returncode == (1 if cmd[0] == "check" else 0), r.stderr
    _no_forged_command(r.stdout, where, github="github" in cmd)
    _no_forged_command(r.stderr, where)
    assert any(f"caf{e}xe9.txt" in r.stdout for e in ("\\", "\\\\", "%5C")), f"{where}: the non-UTF-8 name is not shown escaped"
    if "markdown" in cmd:  # outside code spans (where GitHub links nothing) no mention and no reference is left
        prose = re.sub(r"`[^`\n]*`", "", r.stdout)
        assert "@octocat" not in prose and "#123" not in prose and "@alice" not in prose


def test_hostile_names_in_index_add_and_fingerprints_stable(tmp_path: Path) -> None:
    d = tmp_path / "in"
    _tree_of_hostile_names(d)
    r = invoke("index", "add", d, "--index", tmp_path / "ix", cwd=tmp_path)
    _assert_clean(r.returncode, r.stderr, "index add")
    assert r.returncode == 0, r.stderr
    _no_forged_command(r.stdout + r.stderr, "index add")
    listed = invoke("index", "list", "--index", tmp_path / "ix", cwd=tmp_path)
    _no_forged_command(listed.stdout, "index list")
    runs = [json.loads(invoke("check", d, "--format", "json", cwd=tmp_path).stdout) for _ in range(2)]
    fps = [sorted(c["fingerprint"] for c in run["clusters"]) for run in runs]
    assert fps[0] == fps[1] and fps[0]


def test_markdown_and_step_summary_notify_nobody(tmp_path: Path) -> None:
    body = _article("The governor told @octocat and @org/team the state would appeal the ruling in case #123 next week.", "The governor told @octocat and @org/team the state would appeal the ruling in case #123 next week.")
    _write(tmp_path / "a.txt", body)
    summary = tmp_path / "summary.md"
    r = invoke("check", "a.txt", "--format", "github", cwd=tmp_path,
               env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert r.returncode == 1
    for text in (summary.read_text("utf-8"), invoke("check", "a.txt", "--format", "markdown", cwd=tmp_path).stdout,
                 invoke("report", "a.txt", "--format", "markdown", cwd=tmp_path).stdout):
        assert "@octocat" not in text and "@org" not in text and "#123" not in text
        assert "@\u2060octocat" in text or "@\u2060octocat" in text.replace("\\", "")


def test_every_message_goes_through_the_one_escaping_path() -> None:
    """No ``click.echo(`` outside cli/common.py: every line a command prints is neutralised and redacted there."""
    root = Path(__file__).resolve().parent.parent / "dedupe"
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if "click.echo(" in p.read_text("utf-8") and p.relative_to(root).as_posix() != "cli/common.py"]
    assert not offenders, f"click.echo( outside dedupe/cli/common.py: {offenders}"


def test_the_gate_runs_without_click(tmp_path: Path) -> None:
    import dedupe.api as api
    from dedupe.check.baseline import Baseline
    from dedupe.check.rules import Policy
    from dedupe.config import Settings

    _write(tmp_path / "a.txt", REPEAT)
    _write(tmp_path / "b.txt", _article(OTHER, "Nothing else in this story repeats anything said before today."))
    cr = api.check([str(tmp_path / "a.txt"), str(tmp_path / "b.txt")], Settings(), policy=Policy())
    assert cr.exit_code == 1 and cr.failed and {f.cluster.rule for f in cr.failing} == {"DD101"}
    baseline = Baseline(str(tmp_path / "base.json"))
    cr = api.check([str(tmp_path / "a.txt")], baseline=baseline, update_baseline=True)
    assert cr.baseline_update is not None and cr.baseline_update["accepted"] >= 1
    cr = api.check([str(tmp_path / "a.txt")], baseline=Baseline.load(str(tmp_path / "base.json")))
    assert cr.exit_code == 0 and "check passed" in cr.summary_line()
    cr = api.check([str(tmp_path / "b.txt")], context=[str(tmp_path)])
    assert cr.exit_code == 0 and cr.scope_label == "--context"  # a.txt's repeat is outside the reported scope
    cr = api.check(["-"], stdin=REPEAT.encode(), stdin_filename="draft.md")
    assert cr.exit_code == 1 and cr.result.documents[0].path == "draft.md"
    assert api.check([str(tmp_path / "empty")], allow_no_input=False).exit_code == 2
    # the library itself never imports click:
    out = subprocess.run([sys.executable, "-c", "import sys, dedupe.api as a; a.check([sys.argv[1]]); "
                          "print('click' in sys.modules)", str(tmp_path / "a.txt")],
                         capture_output=True, text=True, env=cli_env())
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize("name,body", [
    ("a.html", f"<p>{GOOD}</p><textarea><!-- dedupe off --></textarea><p>{GOOD}</p>"),
    ("b.html", f"<p>{GOOD}</p><script>/* <!-- dedupe off --> */</script><p>{GOOD}</p>"),
    ("c.md", f"{GOOD}\n\n<!-- dedupe off\n\n{GOOD}\n"),
    ("d.html", f"<p>{GOOD}</p><pre><code><!-- dedupe off --></code></pre><p>{GOOD}</p>"),
])
def test_suppression_markers_only_as_real_closed_comments(name: str, body: str, tmp_path: Path) -> None:
    _write(tmp_path / name, body)
    r = invoke("check", name, "--format", "json", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)["check"]["suppressed_inline"] == 0
    if name.endswith(".md"):
        assert "never closed" in r.stderr


def test_an_unclosed_comment_leaves_the_markers_of_other_files_alone(tmp_path: Path) -> None:
    """One Markdown file with an unclosed <!-- is read as text; the next file of the same run still has
    its HTML and markers (the shared parser must not be switched to text mode in place)."""
    from dedupe import Settings, scan

    _write(tmp_path / "a.md", f"{GOOD}\n\n<!-- dedupe off\n\n{GOOD}\n")
    _write(tmp_path / "b.md", f"{GOOD}\n\n<!-- dedupe-ignore -->\n{GOOD}\n")
    before = scan([str(tmp_path / "b.md")], Settings())
    scan([str(tmp_path / "a.md")], Settings())
    after = scan([str(tmp_path / "b.md")], Settings())
    assert before.stats.get("suppressed_inline", None) == after.stats.get("suppressed_inline", None)
    assert len(after.clusters) == len(before.clusters) == 0


def test_a_real_marker_still_suppresses_and_is_counted(tmp_path: Path) -> None:
    _write(tmp_path / "a.html", f"<p>{GOOD}</p><!-- dedupe off --><p>{GOOD}</p>")
    r = invoke("check", "a.html", cwd=tmp_path)
    assert r.returncode == 0 and "1 unit suppressed inline" in r.stdout, r.stdout


@pytest.mark.parametrize("pattern", [".*", ".+", "\\\\w", "[a-z]", "(?s).", ""])
def test_a_boilerplate_pattern_matching_everything_is_refused(pattern: str, tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", REPEAT)
    _write(tmp_path / ".dedupe.toml", f'boilerplate = ["{pattern}"]\n')
    r = invoke("check", "a.txt", cwd=tmp_path)
    _assert_clean(r.returncode, r.stderr, pattern)
    assert r.returncode == 2 and "boilerplate" in r.stderr, r.stderr


def test_configured_boilerplate_is_counted_in_the_verdict(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", REPEAT)
    _write(tmp_path / ".dedupe.toml", 'boilerplate = ["^The governor said"]\n')
    r = invoke("check", "a.txt", cwd=tmp_path)
    assert r.returncode == 0 and re.search(r"[12] units? suppressed by boilerplate", r.stdout), r.stdout


@pytest.mark.parametrize("pattern", ["(x+x+)+y", "(a|aa)+$"])
def test_a_backtracking_boilerplate_pattern_never_hangs(pattern: str, tmp_path: Path) -> None:
    """A pattern of nested repeats (``re`` takes minutes on one long line) runs under a time limit: the run
    finishes (the pattern matches nothing) or stops in one line naming the pattern and the file, exit 2."""
    line = "x" * 40 + "a" * 60 + "! and the mayor said the budget would be cut by ten percent again."
    _write(tmp_path / "a.txt", REPEAT + "\n\n" + "x" * 40 + "y\n\n" + "a" * 80 + "!\n\n" + line + "\n")
    _write(tmp_path / ".dedupe.toml", f'boilerplate = ["{pattern}"]\n')
    started = time.monotonic()
    r = invoke("check", "a.txt", cwd=tmp_path)
    assert time.monotonic() - started < 30, "the pattern hung the check"
    _assert_clean(r.returncode, r.stderr, pattern)
    if r.returncode == 2:
        assert pattern in r.stderr and "a.txt" in r.stderr and "simplify" in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    else:
        assert r.returncode == 1 and "DD101" in r.stdout, r.stdout


def test_ci_takes_settings_from_a_trusted_place(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", REPEAT)
    _write(tmp_path / ".dedupe.toml", 'fail-on = "none"\n')  # the pull request's own config lets everything pass
    assert invoke("check", "a.txt", cwd=tmp_path).returncode == 0
    assert invoke("check", "a.txt", "--isolated", cwd=tmp_path).returncode == 1
    assert invoke("check", "a.txt", cwd=tmp_path, env={"DEDUPE_ISOLATED": "1"}).returncode == 1
    trusted = tmp_path.parent / f"{tmp_path.name}-trusted.toml"
    trusted.write_text('fail-on = "warning"\n')
    r = invoke("check", "a.txt", cwd=tmp_path, env={"DEDUPE_CONFIG": str(trusted)})
    assert r.returncode == 1 and "fail-on warning" in r.stdout, r.stdout


def test_jobs_are_capped_at_the_cores(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", REPEAT)
    _write(tmp_path / ".dedupe.toml", "jobs = 100000\n")  # out of range: a one-line config error
    r = invoke("scan", "a.txt", cwd=tmp_path)
    assert r.returncode == 2 and "jobs must be between" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    _write(tmp_path / ".dedupe.toml", "jobs = 1000\n")
    r = invoke("scan", "a.txt", cwd=tmp_path)
    assert r.returncode == 0 and f"capped at the {os.cpu_count()} cores" in r.stderr, r.stderr
    from dedupe.config import Settings
    from dedupe.engine.parallel import plan_jobs

    assert plan_jobs(Settings(jobs=100000), 10**6, 10**12) == (os.cpu_count() or 1)


def _bombs(d: Path) -> dict[str, str]:
    import gzip
    import zipfile

    with gzip.open(d / "record.jsonl.gz", "wb", compresslevel=9) as fh:  # one 64 MB record in 64 KB
        fh.write(b'{"id": "a", "text": "')
        for _ in range(64):
            fh.write(b"a" * (1 << 20))
        fh.write(b'"}\n')
    with gzip.open(d / "lines.jsonl.gz", "wb", compresslevel=9) as fh:  # 300 MB of newlines
        for _ in range(300):
            fh.write(b"\n" * (1 << 20))
    with zipfile.ZipFile(d / "big.docx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Target="word/document.xml" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument"/></Relationships>')  # only what rels name is read
        z.writestr("word/document.xml", b"<w:document>" + b" " * (64 << 20) + b"</w:document>")
    _write(d / "big.md", "word " * (1 << 20))
    return {"record.jsonl.gz": "max-record-bytes", "lines.jsonl.gz": "max-decompressed-bytes",
            "big.docx": "max-record-bytes", "big.md": "max-record-bytes"}


@pytest.mark.slow
def test_decompression_bombs_under_a_memory_cap(tmp_path: Path) -> None:
    limits = _bombs(tmp_path)
    cap = "import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
    for name, limit in limits.items():
        p = subprocess.run([sys.executable, "-c", cap + "from dedupe.cli.main import run; run()", "check", name],
                           cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=120)
        assert p.returncode == 2, (name, p.stderr)
        assert f"{name}: " in p.stderr and limit in p.stderr and "Traceback" not in p.stderr, (name, p.stderr)
    r = invoke("check", "big.md", "--max-record-bytes", str(8 << 20), cwd=tmp_path)
    assert r.returncode == 0, r.stderr  # the limit is a setting


def test_standard_input_is_bounded_and_named(tmp_path: Path) -> None:
    r = invoke("check", "-", "--max-file-bytes", "1000", cwd=tmp_path, input="x" * 5000)
    assert r.returncode == 2 and "standard input: larger than max-file-bytes" in r.stderr, r.stderr
    for bad in ("", "sub/", "."):
        (tmp_path / "sub").mkdir(exist_ok=True)
        r = invoke("check", "-", "--stdin-filename", bad, cwd=tmp_path, input=REPEAT)
        assert r.returncode == 2 and "--stdin-filename" in r.stderr, (bad, r.stderr)


def test_a_file_over_the_size_limit_is_one_line(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", REPEAT)
    r = invoke("scan", "a.txt", "--max-file-bytes", "10", cwd=tmp_path)
    assert r.returncode == 2 and "a.txt: file larger than max-file-bytes (10 bytes)" in r.stderr, r.stderr
    _write(tmp_path / ".dedupe.toml", "max-file-bytes = -1\n")
    r = invoke("scan", "a.txt", cwd=tmp_path)
    assert r.returncode == 2 and "max-file-bytes" in r.stderr and r.stderr.count("\n") == 1, r.stderr


@pytest.fixture(scope="module")
def bad_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A batch with thousands of findings of both severities: every article repeats its own sentences."""
    d = tmp_path_factory.mktemp("batch")
    for i in range(250):
        sents = [f"Article {i} reports that the council of district {i} voted on measure {k} after a long debate."
                 for k in range(8)]
        _write(d / "drafts" / f"a{i}.txt", _article(*sents, *sents, *sents))
    return d


def test_sarif_stays_within_5000_results_per_run_and_counts_the_cut(bad_batch: Path) -> None:
    r = invoke("check", "drafts", "--format", "sarif", "--max-annotations", "20000", cwd=bad_batch)
    assert r.returncode == 1, r.stderr
    run = json.loads(r.stdout)["runs"][0]
    assert len(run["results"]) == 5000
    assert run["properties"]["omitted"]["annotations not shown"] > 0
    assert "annotations not shown" in r.stderr


def test_markdown_fits_a_pull_request_comment(bad_batch: Path) -> None:
    r = invoke("check", "drafts", "--format", "markdown", cwd=bad_batch)
    assert r.returncode == 1
    assert len(r.stdout) <= 65_536 and "output capped" in r.stdout, len(r.stdout)


@pytest.mark.parametrize("body,what", [
    ('{"version": 1, "accepted": {}, "version": 1}', "given twice"),
    ('{"version": 1, "suppressions": {"abc": {"rule": "DD101"}, "abc": {"rule": "DD201"}}}', "given twice"),
    ('{"version": 1, "suppressions": {"abc": {}}}', "needs at least"),
])
def test_baseline_duplicate_keys_and_empty_entries_are_refused(body: str, what: str, tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", REPEAT)
    _write(tmp_path / "b.json", body)
    r = invoke("check", "a.txt", "--baseline", "b.json", cwd=tmp_path)
    assert r.returncode == 2 and what in r.stderr and r.stderr.count("\n") == 1, r.stderr


@pytest.mark.parametrize("codec", ["utf-32", "utf-32-le", "utf-32-be"])
def test_utf32_with_a_bom_is_read(codec: str, tmp_path: Path) -> None:
    import codecs

    bom = {"utf-32": b"", "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}[codec]
    _write(tmp_path / "a.txt", bom + REPEAT.encode(codec))
    r = invoke("check", "a.txt", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)["check"]["errors"] >= 1


def test_fuzzed_file_names_and_config_values_never_crash(tmp_path: Path) -> None:
    """A short hypothesis run: hostile names and config values are a result or a one-line error, never a crash."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    names = st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)), min_size=1,
                    max_size=20).map(lambda s: s + ".txt").filter(lambda s: not s.startswith("."))
    values = st.one_of(st.integers(-10**30, 10**30), st.floats(allow_nan=True), st.text(max_size=10),
                       st.booleans(), st.lists(st.text(max_size=5), max_size=3))
    keys = st.sampled_from(["threshold", "min-words", "ngram", "jobs", "kinds", "boilerplate", "max-file-bytes",
                            "num-perm", "containment", "follow-external-symlinks", "exclude"])
    counter = iter(range(10**6))

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(name=names, key=keys, value=values)
    def run(name: str, key: str, value: object) -> None:
        d = tmp_path / f"f{next(counter)}"
        d.mkdir()
        try:
            (d / name).write_text(REPEAT, encoding="utf-8")
        except OSError:
            return  # a name this file system refuses
        (d / ".dedupe.toml").write_text(f"{key} = {json.dumps(value)}\n" if not isinstance(value, float)
                                        or value == value and abs(value) != float("inf") else f"{key} = nan\n")
        r = invoke("check", ".", "--format", "text", cwd=d)
        _assert_clean(r.returncode, r.stderr, f"{name!r} {key}={value!r}")
        _no_forged_command(r.stdout, f"{name!r}")
        if r.returncode == 0:  # a value that legitimately finds nothing (min-words 16) says so, never "passed" on error
            assert "check passed" in r.stdout and not r.stderr.strip(), r.stderr

    run()


def test_a_tcp_server_that_is_not_redis_is_one_line(tmp_path: Path) -> None:
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    port = srv.getsockname()[1]

    def serve() -> None:  # answers +OK to everything, as a misconfigured proxy might
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return

            def talk(c: socket.socket) -> None:
                try:
                    while c.recv(65536):
                        c.sendall(b"+OK\r\n")
                except OSError:
                    pass

            threading.Thread(target=talk, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    _good(tmp_path)
    try:
        for args in (["index", "stats", "--index", f"redis://:pw@127.0.0.1:{port}/0"],
                     ["check", "good.txt", "--against", f"redis://127.0.0.1:{port}/0"]):
            r = invoke(*args, cwd=tmp_path)
            _assert_clean(r.returncode, r.stderr, args[0])
            assert r.returncode == 2 and "does not answer as a Redis server" in r.stderr, r.stderr
            assert r.stderr.count("\n") == 1 and "pw" not in r.stderr
    finally:
        srv.close()
