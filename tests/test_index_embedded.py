"""The embedded index's key files (memory-mapped, read block by block) and damaged indexes.

Key files: lookups read only the blocks a key can be in and agree with a binary
search over the whole file; files are written beside the database, listed by
its transaction, orphans of a killed writer are swept; indexes of the older
layout (keys as blobs inside the database) are refused with the fix.

Damage (issue 15): garbage or zeros written into the middle of the SQLite file
or of a key file give one line naming the index and the fix (exit 2) from
every command, never a traceback, and a damaged index given to ``--against``
is not taken for an unsupported file.
"""

from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from dedupe.api import scan
from dedupe.cli.main import main
from dedupe.config import Settings
from dedupe.errors import ArchiveIndexError
from dedupe.index import add_paths, open_index
from dedupe.index.base import lookup_sorted
from dedupe.index.embedded import layout as emb
from dedupe.index.embedded.queries import lookup_keyfile
from tests.test_index import make_archive


def run(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def keyfile_names(db: str) -> set[str]:
    return {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM keyfiles")}


def on_disk(db: str) -> set[str]:
    return set(os.listdir(db + "-keys"))


def one_line_error(r, loc: str) -> str:
    assert r.exit_code == 2, r.output
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1, r.output
    assert loc in lines[0] and "Traceback" not in r.output
    return lines[0]


# -- key files ----------------------------------------------------------------


def test_block_lookup_equals_binary_search_over_the_whole_file(work):
    """Long runs of one key across many blocks, keys at both ends, absent keys, caps."""
    rng = np.random.default_rng(3)
    keys = np.concatenate([rng.integers(0, 2**64 - 1, 20_000, dtype=np.uint64),
                           np.full(3 * emb.BLOCK + 7, 12345, dtype=np.uint64),  # spans four blocks
                           np.array([0, 0, 2**64 - 1], dtype=np.uint64)])
    units = rng.integers(1, 5000, len(keys), dtype=np.uint32)
    order = np.lexsort((units, keys))
    keys, units = keys[order], units[order]
    with open_index("ix", create=True) as ix:
        with ix.transaction():
            ix._write_segment(keys, units)
        (kf,) = ix._keyfiles()
        q = np.concatenate([rng.choice(keys, 2000), rng.integers(0, 2**64 - 1, 500, dtype=np.uint64),
                            np.array([0, 12345, 2**64 - 1, 12344, 12346], dtype=np.uint64)])
        for cap in (1, 7, 64, 10_000):
            got = lookup_keyfile(kf, q, cap, "ix", 5000)
            want = lookup_sorted([(keys, units)], q, cap)
            for g, w in zip(got, want):
                assert np.array_equal(g, w)


def _runs(rng, sizes, key_space):
    out = []
    for n in sizes:
        k = rng.integers(0, key_space, n, dtype=np.uint64)
        u = rng.integers(1, 50_000, n, dtype=np.uint32)
        o = np.lexsort((u, k))
        out.append((k[o], u[o]))
    return out


@pytest.mark.parametrize("key_space", [2**64 - 1, 300])  # spread keys; few keys, each in many runs
def test_bulk_key_file_merged_by_ranges_in_threads_equals_one_merge(work, monkeypatch, key_space):
    """The batches' runs, cut into key ranges merged in threads and written as they come, give
    the very file one merge would: same keys, same unit order within a key, same fences."""
    monkeypatch.setattr(emb, "RANGE_ENTRIES", 5_000)  # many ranges, several in flight at once
    rng = np.random.default_rng(11)
    runs = _runs(rng, [0, 7, 20_000, 13_000, 1, 31_000, 9_999], key_space)
    ranges = emb.key_ranges(runs, sum(len(k) for k, _ in runs))
    assert len(ranges) > 5 or key_space == 300
    for a, b in zip(ranges, ranges[1:]):  # no key is split between two ranges
        assert max(int(k[-1]) for k, _ in a) < min(int(k[0]) for k, _ in b)
    want_k, want_u = emb.merge_keyed(runs)
    with open_index("ix", create=True) as ix:
        with ix.transaction():
            ix.flush([*runs])
        (kf,) = ix._keyfiles()
        assert np.array_equal(kf.keys, want_k) and np.array_equal(kf.units, want_u)
        assert np.array_equal(kf.fences, want_k[::emb.BLOCK])


def test_a_failed_disk_write_in_the_threaded_bulk_write_leaves_no_file(work, monkeypatch):
    monkeypatch.setattr(emb, "RANGE_ENTRIES", 5_000)
    runs = _runs(np.random.default_rng(5), [20_000, 20_000], 2**64 - 1)
    real = os.pwrite
    calls = []

    def failing(fd, data, off):
        calls.append(off)
        if len(calls) == 5:
            raise OSError(28, "No space left on device")
        return real(fd, data, off)

    with open_index("ix", create=True) as ix:
        ix.transaction().__enter__()  # the writer's transaction, as in add
        monkeypatch.setattr(emb.os, "pwrite", failing)
        with pytest.raises(ArchiveIndexError, match="No space left"):
            ix.flush([*runs])
        monkeypatch.setattr(emb.os, "pwrite", real)
        ix._rollback()
    assert os.listdir("ix/index.sqlite-keys") == []


def test_query_reads_a_few_blocks_not_the_key_files(work, monkeypatch):
    make_archive(work / "a", 1200, seed=21)
    assert run(["index", "add", "a"]).exit_code == 0
    db = os.path.join(".dedupe", "index", "index.sqlite")
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "keyfiles" in tables and "segments" not in tables
    total = sum(os.path.getsize(os.path.join(db + "-keys", n)) for n in keyfile_names(db))
    assert on_disk(db) == keyfile_names(db) and total > 4_000_000
    src = (work / "a" / "story0700.txt").read_text("utf-8").split("\n\n")[1].split(". ")[0] + "."
    (work / "d.txt").write_text(src + "\n", encoding="utf-8")
    read = []
    real = os.pread
    monkeypatch.setattr(emb.os, "pread", lambda fd, n, off: read.append(n) or real(fd, n, off))
    res = scan(["d.txt"], Settings(), against=[".dedupe/index"])
    assert [m.doc for c in res.clusters for m in c.members if m.archive] == [os.path.normpath("a/story0700.txt")]
    assert 0 < sum(read) < total / 20  # one sentence: a few dozen keys, a page or two each


def test_killed_writer_leaves_no_stray_key_files_after_the_next_add(work):
    import signal
    import subprocess
    import sys
    import time

    from tests.test_index import CRASH_SCRIPT

    make_archive(work / "big", 2500, seed=2, prefix="big")
    make_archive(work / "a", 3, seed=1)
    assert run(["index", "add", "a"]).exit_code == 0
    db = os.path.join(".dedupe", "index", "index.sqlite")
    before = keyfile_names(db)
    (work / "crash.py").write_text(CRASH_SCRIPT)
    for delay in (0.3, 0.8):
        p = subprocess.Popen([sys.executable, "crash.py", ".dedupe/index", "big"], stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "start"
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        now = keyfile_names(db)
        assert now == before or len(now) >= 1  # the old list or a complete new one
        assert now <= on_disk(db)  # every listed file is there
    assert run(["index", "add", "a", "big"]).exit_code == 0
    assert on_disk(db) == keyfile_names(db)  # orphans of the killed writers swept
    with open_index(".dedupe/index") as ix:
        assert ix.stats().articles == 2503


def test_vacuum_rewrites_key_files_and_deletes_the_old_ones(work):
    make_archive(work / "a", 30, seed=4)
    assert run(["index", "add", "a"]).exit_code == 0
    db = os.path.join(".dedupe", "index", "index.sqlite")
    old = keyfile_names(db)
    assert run(["index", "remove", os.path.normpath("a/story0003.txt")]).exit_code == 0
    r = run(["index", "vacuum"])
    assert r.exit_code == 0, r.output
    new = keyfile_names(db)
    assert new and not (new & old) and on_disk(db) == new
    (work / "d.txt").write_text((work / "a" / "story0004.txt").read_text("utf-8"), encoding="utf-8")
    assert scan(["d.txt"], Settings(), against=[".dedupe/index"]).clusters


def test_index_of_the_older_blob_layout_is_refused_then_rebuilt(work):
    arch = make_archive(work / "a", 4, seed=3)
    assert run(["index", "add", "a"]).exit_code == 0
    db = sqlite3.connect(os.path.join(".dedupe", "index", "index.sqlite"))
    db.executescript("DROP TABLE keyfiles; CREATE TABLE segments (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, "
                     "keys BLOB NOT NULL, units BLOB NOT NULL);")
    db.close()
    (work / "d.txt").write_text(arch[1].read_text("utf-8"), encoding="utf-8")
    for args in (["check", "d.txt", "--against", ".dedupe/index"], ["index", "add", "a"]):
        line = one_line_error(run(args), ".dedupe/index")
        assert "older layout" in line and "dedupe index rebuild" in line
    assert run(["index", "rebuild"]).exit_code == 0
    r = run(["check", "d.txt", "--against", ".dedupe/index"])
    assert r.exit_code == 1 and "DD301" in r.output


# -- damage -------------------------------------------------------------------


def damage(path: str, how: str, start: float = 0.3, end: float = 0.8) -> None:
    size = os.path.getsize(path)
    a, b = int(size * start), int(size * end)
    data = bytes(b - a) if how == "zeros" else random.Random(5).randbytes(b - a)
    with open(path, "r+b") as fh:
        fh.seek(a)
        fh.write(data)


def built(work: Path, loc: str) -> Path:
    make_archive(work / "a", 60, seed=9)
    assert run(["index", "add", "a", "--index", loc]).exit_code == 0
    with open_index(loc) as ix:  # fold the WAL into the database file, as a closed index is
        ix.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    d = work / "d.txt"
    d.write_text((work / "a" / "story0010.txt").read_text("utf-8"), encoding="utf-8")
    return d


COMMANDS = (["index", "stats"], ["index", "add", "a"], ["index", "vacuum"], ["index", "rebuild"])


@pytest.mark.parametrize("how", ["zeros", "garbage"])
def test_damaged_database_gives_one_line_with_the_fix(work, how):
    loc = "ix.db"
    built(work, loc)
    damage(loc, how)
    for args in COMMANDS:
        line = one_line_error(run(args + ["--index", loc]), loc)
        assert "damaged" in line and "dedupe index" in line, line
    # reads that need no integrity check: an error line or a result, never a traceback
    for args in (["index", "list", "--index", loc], ["check", "d.txt", "--against", loc],
                 ["scan", "d.txt", "--against", loc, "--format", "json"]):
        r = run(args)
        assert "Traceback" not in r.output and "unsupported file type" not in r.output
        if r.exit_code == 2:
            assert "ix.db" in one_line_error(r, loc)


def test_damaged_pages_that_a_query_reads(work):
    """Zeros over every page but the header: check, list and add all fail with the fix."""
    loc = "ix.db"
    built(work, loc)
    damage(loc, "zeros", start=4096 / os.path.getsize(loc) + 1e-9, end=1.0)
    for args in (["check", "d.txt", "--against", loc], ["index", "list", "--index", loc],
                 ["index", "add", "a", "--index", loc]):
        line = one_line_error(run(args), loc)
        assert "dedupe index" in line


@pytest.mark.parametrize("how", ["zeros", "garbage"])
def test_damaged_key_file(work, how):
    loc = "ix.db"
    d = built(work, loc)
    (name,) = keyfile_names(loc) if len(keyfile_names(loc)) == 1 else sorted(keyfile_names(loc))[:1]
    damage(os.path.join(loc + "-keys", name), how, 0.02, 0.95)
    for args in (["index", "stats"], ["index", "vacuum"]):
        line = one_line_error(run(args + ["--index", loc]), loc)
        assert f"key file {name}" in line and "dedupe index rebuild" in line
    line = one_line_error(run(["check", str(d), "--against", loc]), loc)
    assert "damaged" in line and "dedupe index rebuild" in line
    # rebuild needs only the stored articles: it repairs the index
    r = run(["index", "rebuild", "--index", loc])
    assert r.exit_code == 0, r.output
    assert name not in on_disk(loc) and on_disk(loc) == keyfile_names(loc)
    r = run(["check", str(d), "--against", loc])
    assert r.exit_code == 1 and "DD301" in r.output


def test_missing_or_truncated_key_file(work):
    loc = "ix.db"
    d = built(work, loc)
    name = min(keyfile_names(loc))
    path = os.path.join(loc + "-keys", name)
    with open(path, "r+b") as fh:
        fh.truncate(os.path.getsize(path) // 2)
    line = one_line_error(run(["check", str(d), "--against", loc]), loc)
    assert name in line and "dedupe index rebuild" in line
    os.unlink(path)
    line = one_line_error(run(["index", "stats", "--index", loc]), loc)
    assert f"key file {name} is missing" in line


def test_damaged_header_is_not_an_unsupported_file(work):
    loc = "ix.db"
    d = built(work, loc)
    damage(loc, "garbage", 0.0, 0.01)
    for args in (["check", str(d), "--against", loc], ["scan", str(d), "--against", loc],
                 ["index", "stats", "--index", loc]):
        line = one_line_error(run(args), loc)
        assert "not a valid index" in line and "unsupported file type" not in line
    # a folder index whose database file is damaged, too
    (work / "dir").mkdir()
    (work / "dir" / "index.sqlite").write_bytes(b"\0" * 8192)
    line = one_line_error(run(["check", str(d), "--against", "dir"]), "dir")
    assert "not a valid index" in line


def test_library_errors_are_index_errors(work):


    loc = "ix.db"
    built(work, loc)
    damage(loc, "zeros", start=4096 / os.path.getsize(loc) + 1e-9, end=1.0)
    with pytest.raises(ArchiveIndexError) as e, open_index(loc) as ix:
        ix.articles()
    assert "dedupe index rebuild" in str(e.value)
    with pytest.raises(ArchiveIndexError), open_index(loc) as ix:
        add_paths(ix, ["a"], Settings())


def test_vacuum_result_reads_as_a_sentence(work):
    make_archive(work / "a", 5, seed=6)
    assert run(["index", "add", "a"]).exit_code == 0
    assert run(["index", "remove", os.path.normpath("a/story0001.txt")]).exit_code == 0
    first = run(["index", "vacuum"])
    assert first.exit_code == 0
    assert "vacuumed: removed " in first.output and "dead entries (of removed or replaced articles)" in first.output
    assert " before, " in first.output and "_" not in first.output.split("vacuumed:")[1]
    again = run(["index", "vacuum"])
    assert "no dead entries to remove" in again.output


@pytest.mark.parametrize("limit", [150_000, 600_000])
def test_full_disk_during_add_leaves_the_old_state(work, limit):
    """A file size limit (RLIMIT_FSIZE: writes fail as on a full disk) during an add:
    one line, exit 2, the index as it was, no stray key files; then the add works."""
    import resource
    import subprocess
    import sys

    make_archive(work / "a", 5, seed=1)
    make_archive(work / "big", 400, seed=2, prefix="big")
    assert run(["index", "add", "a", "--index", "ix.db"]).exit_code == 0
    before = keyfile_names("ix.db")

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    p = subprocess.run([sys.executable, "-m", "dedupe", "index", "add", "big", "--index", "ix.db"],
                       capture_output=True, text=True, preexec_fn=cap, check=False)
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dedupe: error: ix.db: ") and "Traceback" not in p.stderr
    assert keyfile_names("ix.db") == before and on_disk("ix.db") == before
    with open_index("ix.db") as ix:
        assert ix.stats().articles == 5
    assert run(["index", "add", "big", "--index", "ix.db"]).exit_code == 0
    with open_index("ix.db") as ix:
        assert ix.stats().articles == 405


def test_another_programs_database_is_refused_and_left_as_it_is(work):
    db = sqlite3.connect("app.db")
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    db.execute("INSERT INTO notes(body) VALUES ('hello')")
    db.commit()
    db.close()
    before = Path("app.db").read_bytes()
    (work / "d.txt").write_text("A sentence long enough to be indexed by the tool for sure today.\n")
    for args in (["check", "d.txt", "--against", "app.db"], ["index", "add", "d.txt", "--index", "app.db"],
                 ["index", "stats", "--index", "app.db"]):
        line = one_line_error(run(args), "app.db")
        assert "not a valid index" in line
    assert Path("app.db").read_bytes() == before and not os.path.exists("app.db-wal")


def test_key_folder_in_the_way(work):
    make_archive(work / "a", 3, seed=2)
    Path("ix.db-keys").write_text("not a folder")
    line = one_line_error(run(["index", "add", "a", "--index", "ix.db"]), "ix.db")
    assert "key files" in line and Path("ix.db-keys").read_text() == "not a folder"


def test_an_id_twice_in_one_add_the_last_wins_and_counts_as_added(work):
    """An add asks its database which ids it has written already (not a set of every id): also when
    the article it replaces first was the highest-numbered one (its number must not be reused below
    the add's mark, or the repeat would be taken for an unchanged article)."""
    import json

    def export(name, recs):
        Path(name).write_text("".join(json.dumps({"id": i, "title": name, "text": t}) + "\n" for i, t in recs),
                              encoding="utf-8")

    t1 = "The minister said on Tuesday that the port strike would end within a week after talks with unions."
    t2 = "Shares in the mining company rose sharply on Wednesday after it reported a record quarterly profit."
    t3 = "Heavy rain flooded the lower city overnight and the authorities closed four schools on Thursday."
    export("a.jsonl", [("x1", t1), ("x2", t2)])
    export("c.jsonl", [("x2", t3)])  # x2 is the highest-numbered article: replaced first
    export("d.jsonl", [("x2", t3)])  # then the same again, from another file (another batch)
    export("e.jsonl", [("x2", t1)])  # and a third version: the last one wins
    with open_index("ix.db", create=True) as ix:
        assert add_paths(ix, ["a.jsonl"], Settings())["added"] == 2
    with open_index("ix.db") as ix:
        r = add_paths(ix, ["c.jsonl", "d.jsonl", "e.jsonl"], Settings())
        assert (r["added"], r["replaced"], r["unchanged"]) == (2, 1, 0)
        rows = {a["id"]: a["path"] for a in ix.articles()}
        assert rows == {"x1": "a.jsonl", "x2": "e.jsonl"}
        assert ix.stats().articles == 2


def test_release_heap_is_a_no_op_without_malloc_trim(monkeypatch):
    """malloc_trim is glibc's: where the C library lacks it (musl, macOS) or there is no CDLL(None)
    (Windows), handing freed memory back does nothing instead of failing the add."""
    import ctypes

    emb.release_heap()  # the real one: glibc here
    for exc in (AttributeError("no malloc_trim"), OSError("no libc"), TypeError("CDLL(None)")):
        def refuse(*a, _exc=exc, **k):
            raise _exc
        monkeypatch.setattr(emb, "_TRIM", [])
        monkeypatch.setattr(ctypes, "CDLL", refuse)
        emb.release_heap()
        assert emb._TRIM == [None]
