"""Untrusted pull requests in CI (issue 23, the rest): a read-only index, a full disk, an exclude that takes
everything, damaged Redis keys seen by ``stats`` / ``vacuum``."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import cli_env, invoke

GOOD = "The governor said the state would appeal the ruling to the supreme court next week."
OTHER = "Officials in the district said the new plan would cost about forty million dollars over ten years."
ARCHIVED = "The harbour authority said the new crane would lift containers twice as fast as the old one did."


def _article(*sentences: str) -> str:
    return "\n\n".join(sentences) + "\n"


def _one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and err.count("\n") == 1 and err.startswith("dedupe: error:"), err
    for n in needles:
        assert n in err, err


# -- a read-only index (a cache restored read-only in CI) -------------------------------------------------------


def _unprivileged() -> list[str]:
    """A command prefix under which file permissions hold: as root, without the capabilities that override them."""
    if os.geteuid() != 0:
        return []
    exe = shutil.which("setpriv")
    if exe is None:
        pytest.fail("running as root and setpriv (util-linux) is missing: cannot make a read-only file hold")
    return [exe, "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def _run(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_unprivileged(), sys.executable, "-m", "dedupe", *map(str, args)], cwd=cwd,
                          env=cli_env(), capture_output=True, text=True, encoding="utf-8", timeout=120)


def _tree_state(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("how", ["file", "folder"])
def test_check_against_a_read_only_index(how: str, tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    arch.mkdir()
    for i in range(6):
        (arch / f"s{i}.txt").write_text(_article(f"Story {i} says the council met on day {i} to talk about roads.",
                                                 ARCHIVED if i == 3 else OTHER), encoding="utf-8")
    ix = tmp_path / "ix"
    assert invoke("index", "add", arch, "--index", ix).returncode == 0
    with sqlite3.connect(ix / "index.sqlite") as con:  # a cache holds the database without its WAL files
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for extra in ("index.sqlite-wal", "index.sqlite-shm"):
        (ix / extra).unlink(missing_ok=True)
    draft = tmp_path / "draft.txt"
    draft.write_text(_article(ARCHIVED, "Something new happened in town today that nobody had expected."),
                     encoding="utf-8")
    writable = list(ix.rglob("*")) + ([ix] if how == "folder" else [])
    modes = {p: p.stat().st_mode for p in writable}
    for p in writable:
        p.chmod(stat.S_IMODE(p.stat().st_mode) & ~0o222)
    before = _tree_state(ix)
    try:
        r = _run("check", draft, "--against", ix, "--format", "text", cwd=tmp_path)
        assert r.returncode == 1 and "DD301" in r.stdout, r.stdout + r.stderr
        assert not r.stderr.strip() or "Traceback" not in r.stderr, r.stderr
        assert _run("scan", draft, "--against", ix, cwd=tmp_path).returncode == 0
        for args in (["index", "stats", "--index", ix], ["index", "list", "--index", ix]):  # reading works too
            assert _run(*args, cwd=tmp_path).returncode == 0
        r = _run("index", "add", draft, "--index", ix, cwd=tmp_path)
        _one_line_error(r.returncode, r.stderr, f"{ix}:", "read-only")
        assert _tree_state(ix) == before  # no journal, WAL or shared-memory file made, nothing changed
    finally:
        for p, m in modes.items():
            p.chmod(stat.S_IMODE(m))
    assert invoke("index", "add", draft, "--index", ix).returncode == 0  # writable again: it takes writes


# -- a full disk -----------------------------------------------------------------------------------------------


def test_a_full_disk_names_the_path_and_leaves_nothing_half_written(tmp_path: Path, monkeypatch) -> None:
    """ENOSPC while writing an output, a baseline or a report: one line naming the file, exit 2, the old
    file intact, no temporary left (the writes go through :mod:`dedupe.atomic`)."""
    import dedupe.atomic

    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text(_article(GOOD, OTHER, GOOD), encoding="utf-8")
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[: len(data) // 2])  # part of it lands, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):
            return getattr(self.fh, name)

    monkeypatch.setattr(dedupe.atomic.os, "fdopen", lambda fd, *a, **k: Full(real_fdopen(fd, *a, **k)))
    out = tmp_path / "out"
    out.mkdir()
    for name in ("result.json", "report.html", "baseline.json", "scan.json"):
        (out / name).write_text("old", encoding="utf-8")
    runs = {
        "result.json": ["check", d / "good.txt", "--format", "json", "-o", out / "result.json"],
        "report.html": ["report", d / "good.txt", "-o", out / "report.html"],
        "baseline.json": ["check", d / "good.txt", "--baseline", out / "baseline.json", "--update-baseline"],
        "scan.json": ["scan", d / "good.txt", "--format", "json", "-o", out / "scan.json"],
    }
    (out / "baseline.json").write_text('{"version": 1, "findings": []}', encoding="utf-8")
    for name, args in runs.items():
        r = invoke(*args, cwd=tmp_path)
        _one_line_error(r.returncode, r.stderr, str(out / name), "No space left on device")
    assert sorted(p.name for p in out.iterdir()) == sorted(runs)  # no temporary file left
    assert (out / "result.json").read_text() == "old" and (out / "baseline.json").read_text().startswith('{"version"')


def test_a_full_device_named_directly_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(_article(GOOD, OTHER, GOOD), encoding="utf-8")
    if not os.path.exists("/dev/full"):
        pytest.fail("/dev/full is missing")
    r = invoke("check", "good.txt", "--format", "json", "-o", "/dev/full", cwd=tmp_path)
    _one_line_error(r.returncode, r.stderr, "/dev/full", "No space left on device")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # written into, never replaced by a regular file


# -- an exclude from the tree's config that takes everything (or most) ------------------------------------------


def _tree_with_repeat(root: Path) -> None:
    (root / ".git").mkdir(parents=True)
    (root / "drafts").mkdir()
    (root / "drafts" / "a.txt").write_text(_article(GOOD, OTHER, GOOD), encoding="utf-8")
    (root / "drafts" / "b.txt").write_text(_article(OTHER, "The weather in the northern hills was mild this winter."),
                                           encoding="utf-8")


@pytest.mark.parametrize("pattern", ["*", "**", "*.*", "?*"])
def test_an_exclude_matching_every_file_is_refused(pattern: str, tmp_path: Path) -> None:
    _tree_with_repeat(tmp_path)
    (tmp_path / ".dedupe.toml").write_text(f"exclude = [{pattern!r}]\n".replace("'", '"'), encoding="utf-8")
    for extra in ([], ["--allow-no-input"], ["--format", "github"]):
        r = invoke("check", ".", *extra, cwd=tmp_path)
        _one_line_error(r.returncode, r.stderr, ".dedupe.toml", f"exclude pattern {pattern!r} matches every file")


@pytest.mark.parametrize("pattern", ["*.txt", "drafts/*", "drafts"])
def test_an_exclude_that_takes_every_article_never_passes(pattern: str, tmp_path: Path) -> None:
    _tree_with_repeat(tmp_path)
    (tmp_path / ".dedupe.toml").write_text(f'exclude = ["{pattern}"]\n', encoding="utf-8")
    for extra in ([], ["--allow-no-input"]):
        r = invoke("check", ".", "--format", "text", *extra, cwd=tmp_path)
        _one_line_error(r.returncode, r.stderr, "2 files left out by exclude", repr(pattern))
        assert "passed" not in r.stdout + r.stderr


def test_files_left_out_by_exclude_are_counted_in_the_verdict(tmp_path: Path) -> None:
    import json

    _tree_with_repeat(tmp_path)
    (tmp_path / ".dedupe.toml").write_text('exclude = ["a.txt"]\n', encoding="utf-8")
    r = invoke("check", ".", "--format", "text", cwd=tmp_path)
    assert r.returncode == 0 and "1 file left out by exclude (patterns: 'a.txt')" in r.stdout, r.stdout + r.stderr
    r = invoke("check", ".", "--format", "json", cwd=tmp_path)
    assert json.loads(r.stdout)["check"]["excluded_files"] == 1
    r = invoke("check", ".", "--format", "github", cwd=tmp_path)
    assert "1 file left out by exclude" in r.stderr


# -- Redis: stats and vacuum see the damage check refuses ----------------------------------------------------------


def test_redis_stats_and_vacuum_detect_damaged_keys(url: str, tmp_path: Path) -> None:
    import redis
    from helpers import make_archive

    port, db = url.rsplit(":", 1)[1].split("/")
    r = redis.Redis(port=int(port), db=int(db))
    arch = make_archive(tmp_path / "a", 4)
    assert invoke("index", "add", tmp_path / "a", "--index", url).returncode == 0
    assert invoke("index", "stats", "--index", url).returncode == 0
    assert invoke("index", "vacuum", "--index", url).returncode == 0
    band = sorted(r.scan_iter(b"dedupe:1:b:*"))[0]
    shingle = sorted(r.scan_iter(b"dedupe:1:s:*"))[0]
    (unit_map,) = list(r.scan_iter(b"dedupe:1:u:*"))
    (texts,) = list(r.scan_iter(b"dedupe:1:t:*"))
    aid = os.path.normpath(str(arch[1].relative_to(tmp_path)))
    cases = [
        (band, lambda: r.set(band, b"\x05\x00\x00\x00garbage"), "does not hold this index's postings"),
        (shingle, lambda: (r.delete(shingle), r.hset(shingle, "x", "y")), "holds a hash, not a string"),
        (unit_map, lambda: r.append(unit_map, b"\x01\x02\x03"), "unit map"),
        (texts, lambda: r.hset(texts, r.hkeys(texts)[0], b"D\x00garbage"), "cannot be read"),
        (b"{dedupe}:art", lambda: r.hset("{dedupe}:art", aid, "not json"), "not this index's JSON"),
        (b"{dedupe}:ctr", lambda: (r.delete("{dedupe}:ctr"), r.set("{dedupe}:ctr", "x")), "holds a string"),
    ]
    for key, spoil, problem in cases:
        saved = r.dump(key)
        spoil()
        damaged = {k: r.dump(k) for k in r.scan_iter() if k != b"{dedupe}:lock"}
        for args in (["index", "stats", "--index", url], ["index", "stats", "--index", url, "--format", "json"],
                     ["index", "vacuum", "--index", url]):
            res = invoke(*args, cwd=tmp_path)
            _one_line_error(res.returncode, res.stderr, "index is damaged: 1 key", repr(key.decode()), problem)
        assert {k: r.dump(k) for k in r.scan_iter() if k != b"{dedupe}:lock"} == damaged  # vacuum changed nothing
        r.delete(key)
        r.restore(key, 0, saved)
    assert invoke("index", "stats", "--index", url).returncode == 0
    # damaged postings are made again by a rebuild
    r.set(band, b"garbage")
    assert invoke("index", "stats", "--index", url).returncode == 2
    assert invoke("index", "rebuild", "--index", url).returncode == 0
    for args in (["index", "stats", "--index", url], ["index", "vacuum", "--index", url]):
        res = invoke(*args, cwd=tmp_path)
        assert res.returncode == 0, res.stderr
    (tmp_path / "d.txt").write_text(arch[2].read_text("utf-8"), encoding="utf-8")
    assert invoke("check", "d.txt", "--against", url, cwd=tmp_path).returncode == 1  # finds the archived copy


# -- the review UI says what was skipped itself ---------------------------------------------------------------------


def test_the_review_ui_shows_links_refused_and_what_was_cut(tmp_path: Path) -> None:
    import asyncio

    from helpers import settle

    from dedupe.check.baseline import Baseline
    from dedupe.config import Settings
    from dedupe.readers import ReadOptions
    from dedupe.tui.app import DedupeReviewApp

    secret = tmp_path / "runner" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(_article(OTHER, OTHER), encoding="utf-8")
    tree = tmp_path / "repo"
    (tree / ".git").mkdir(parents=True)
    (tree / "good.txt").write_text(_article(GOOD, OTHER, GOOD), encoding="utf-8")
    (tree / "big.txt").write_text(_article(GOOD, "x" * 5000), encoding="utf-8")
    for i in range(7):
        os.symlink(secret, tree / f"link{i}.txt")
    bpath = str(tmp_path / "baseline.json")

    async def run() -> list[str]:
        app = DedupeReviewApp([str(tree)], Settings(), baseline=Baseline.load(bpath), baseline_path=bpath,
                              read_options=ReadOptions(max_file_bytes=4096), watch=False)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(app, pilot)
            return [n.message for n in app._notifications]

    notes = asyncio.run(run())
    links = [m for m in notes if "symbolic link pointing outside" in m]
    assert len(links) == 5 and any("… and 2 more warnings" in m for m in notes), notes
    assert any("big.txt" in m and "max-file-bytes" in m for m in notes), notes  # the limit that cut is said
    assert not any("vault" in m or OTHER in m for m in notes)  # nothing of the linked file is shown


# -- a hostile --stdin-filename --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "github", "json", "sarif", "markdown", "gitlab", "rdjsonl", "junit"])
def test_a_newline_in_the_stdin_filename_forges_no_line(fmt: str, tmp_path: Path) -> None:
    name = "a\n::error::b\u202e\x1b[31m.txt"
    r = invoke("check", "-", "--stdin-filename", name, "--format", fmt, cwd=tmp_path, input=_article(GOOD, OTHER, GOOD))
    assert r.returncode == 1, r.stderr
    for ln in (r.stdout + r.stderr).splitlines():
        if fmt == "github" and ln.startswith("::error file="):
            assert "\n" not in ln.split("::", 2)[1]
            continue
        assert not ln.startswith("::") and "\u202e" not in ln and "\x1b" not in ln, (fmt, ln)
    assert any(f"a{e}n" in r.stdout for e in ("\\", "\\\\", "%5C")), r.stdout[:500]  # shown escaped


def test_a_full_disk_while_adding_to_an_index_names_the_file_and_keeps_the_index(tmp_path: Path, monkeypatch) -> None:
    import dedupe.index.embedded.index as embedded

    arch = tmp_path / "arch"
    arch.mkdir()
    (arch / "a.txt").write_text(_article(GOOD, OTHER), encoding="utf-8")
    ix = tmp_path / "ix"
    assert invoke("index", "add", arch, "--index", ix).returncode == 0
    (arch / "b.txt").write_text(_article(ARCHIVED, "The mayor opened the new library on the east side of the town."),
                                encoding="utf-8")

    def full(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(embedded, "pwrite_all", full)
    r = invoke("index", "add", arch, "--index", ix)
    _one_line_error(r.returncode, r.stderr, f"{ix}:", str(ix / "index.sqlite-keys"), "No space left on device")
    monkeypatch.undo()
    assert not [p for p in (ix / "index.sqlite-keys").iterdir() if p.name.endswith(".tmp")]
    r = invoke("index", "stats", "--index", ix, "--format", "json")
    import json

    assert json.loads(r.stdout)["articles"] == 1  # the add did not happen, the index is as it was


@pytest.mark.parametrize(("setting", "said"), [
    ("min-words = 500", "min-words 500: 0 of "),
    ('kinds = ["restatement"]', "kinds not checked: repeated-sentence, repeated-quote"),
])
def test_a_config_that_narrows_the_check_is_said_in_the_verdict(setting: str, said: str, tmp_path: Path) -> None:
    _tree_with_repeat(tmp_path)
    (tmp_path / ".dedupe.toml").write_text(setting + "\n", encoding="utf-8")
    r = invoke("check", ".", "--format", "text", cwd=tmp_path)
    assert r.returncode == 0 and said in r.stdout, r.stdout + r.stderr
    r = invoke("check", ".", "--format", "github", cwd=tmp_path)
    assert said in r.stderr, r.stderr


@pytest.mark.parametrize("setting", ['against = ["{out}"]', 'against = ["../runner"]', 'baseline = "{out}/b.json"',
                                     'baseline = "../../runner/b.json"', 'index = "{out}/ix"'])
def test_a_config_in_the_tree_cannot_point_outside_it(setting: str, tmp_path: Path) -> None:
    outside = tmp_path / "runner"
    outside.mkdir()
    (outside / "secret.txt").write_text(_article(ARCHIVED, GOOD), encoding="utf-8")
    tree = tmp_path / "repo"
    _tree_with_repeat(tree)
    (tree / ".dedupe.toml").write_text(setting.format(out=outside) + "\n", encoding="utf-8")
    key = setting.split(" ")[0]
    for args in (["check", ".", "--format", "json"], ["scan", "."], ["check", ".", "--update-baseline"],
                 ["index", "add", "drafts"]):
        r = invoke(*args, cwd=tree)
        _one_line_error(r.returncode, r.stderr, ".dedupe.toml", f"{key} ", "is outside the repository")
        assert ARCHIVED not in r.stdout
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]  # nothing written there
    # a trusted configuration may (CI keeps it outside the tree), and so may a flag
    (tree / ".dedupe.toml").unlink()
    trusted = tmp_path / "trusted.toml"
    trusted.write_text(f'against = ["{outside}"]\n', encoding="utf-8")
    r = invoke("check", "drafts", "--config", trusted, "--format", "text", cwd=tree)
    assert r.returncode == 1 and "DD301" in r.stdout, r.stderr
