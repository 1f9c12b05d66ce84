"""The archive index: embedded backend, dedupe index commands, --against LOCATION."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import WORDS, archive_hits, article, contained_case, make_archive, sentence

from dedupe.api import scan
from dedupe.cli.main import main
from dedupe.config import Settings
from dedupe.index import add_paths, open_index, rebuild, remove

DEDUPE = [sys.executable, "-m", "dedupe"]
def run(args, cwd=None, **kw):
    return CliRunner().invoke(main, args, catch_exceptions=False, **kw)


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_add_list_stats_and_query_finds_copied_paragraph(work):
    arch = make_archive(work / "archive", 12)
    r = run(["index", "add", "archive"])
    assert r.exit_code == 0, r.output
    assert "12 added" in r.output
    assert (work / ".dedupe" / "index" / "index.sqlite").is_file()
    # draft: a new paragraph, then the second paragraph of story0005 copied verbatim
    src = arch[5].read_text("utf-8")
    para = src.split("\n\n")[1]
    draft = work / "draft.md"
    draft.write_text("# Draft\n\n" + article(random.Random(99), 1) + "\n" + para + "\n", encoding="utf-8")
    r = run(["scan", "draft.md", "--against", ".dedupe/index", "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    archive_clusters = [c for c in data["clusters"] if c["kind"] == "archive-match"]
    assert len(archive_clusters) == 3  # the paragraph's three sentences
    line_of_para = src[: src.index(para)].count("\n") + 1
    for c in archive_clusters:
        arch_m = [m for m in c["members"] if m.get("archive")]
        assert [m["doc"] for m in arch_m] == [os.path.normpath("archive/story0005.txt")]
        m = arch_m[0]
        assert m["line"] == line_of_para
        assert src.splitlines()[m["line"] - 1][m["column"] - 1:].startswith(m["text"][:20])
    # the roll-up names the archived story and the share of the draft it covers (3 of 6 sentences)
    ov = [o for o in data["overlaps"] if o["doc"] == "draft.md"]
    assert ov and ov[0]["other"] == os.path.normpath("archive/story0005.txt") and ov[0]["share"] == 0.5
    # same findings as comparing against the files themselves
    via_files = scan(["draft.md"], Settings(), against=["archive"])
    via_index = scan(["draft.md"], Settings(), against=[".dedupe/index"])
    key = lambda res: sorted((m.doc if not m.archive else os.path.normpath(m.path), m.line, m.column, m.end_line,
                              m.end_column, m.text) for c in res.clusters for m in c.members)
    assert key(via_files) == key(via_index)
    # list and stats
    r = run(["index", "list", "--format", "json"])
    assert [a["id"] for a in json.loads(r.output)][:2] == [os.path.normpath(f"archive/story000{i}.txt") for i in (0, 1)]
    r = run(["index", "stats", "--format", "json"])
    st = json.loads(r.output)
    assert st["articles"] == 12 and st["units"] == 12 * 9 and st["scheme"] == "affine32"
    assert st["settings"]["num_perm"] == 128 and st["settings"]["bands"] * st["settings"]["rows"] <= 128
    r = run(["index", "stats"])
    assert "affine32" in r.output and "articles:   12" in r.output
    # check fails on the archive match (exit 1)
    r = run(["check", "draft.md", "--against", ".dedupe/index"])
    assert r.exit_code == 1 and "DD301" in r.output and "story0005" in r.output


def test_jsonl_export_title_and_location(work):
    rng = random.Random(3)
    recs = [{"id": f"A{i}", "title": f"Story number {i}", "text": article(rng, 2, 2)} for i in range(5)]
    (work / "cms.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    assert run(["index", "add", "cms.jsonl"]).exit_code == 0
    copied = recs[3]["text"].split("\n\n")[1].split(". ")[0] + "."
    (work / "d.txt").write_text(sentence(random.Random(7)) + " " + copied + "\n", encoding="utf-8")
    res = scan(["d.txt"], Settings(), against=[".dedupe/index"])
    (c,) = [c for c in res.clusters if c.kind == "archive-match"]
    m = [m for m in c.members if m.archive][0]
    assert (m.doc, m.title, m.path, m.line) == ("A3", "Story number 3", "cms.jsonl", 4)
    raw_line = (work / "cms.jsonl").read_text("utf-8").splitlines()[3]
    assert raw_line[m.column - 1:].startswith(m.text[:15])
    assert [o.other_title for o in res.overlaps if o.doc == "d.txt"] == ["Story number 3"]


def test_re_adding_an_export_after_one_record_grew_replaces_only_that_record(work):
    """A CMS export re-added after one early record was edited (and got longer): the records after it are
    unchanged, not re-indexed, and their archive matches still point at their line and column."""
    rng = random.Random(11)
    recs = [{"id": f"A{i}", "title": f"Story {i}", "text": article(rng, 2, 2)} for i in range(6)]

    def write() -> None:
        (work / "cms.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")

    write()
    assert run(["index", "add", "cms.jsonl"]).exit_code == 0
    recs[1]["text"] = "An editor added this opening sentence to the second story today. " + recs[1]["text"]
    write()
    r = run(["index", "add", "cms.jsonl"])
    assert r.exit_code == 0 and "0 added, 1 replaced, 5 unchanged" in r.output
    copied = recs[4]["text"].split("\n\n")[1].split(". ")[0] + "."
    (work / "d.txt").write_text(copied + "\n", encoding="utf-8")
    res = scan(["d.txt"], Settings(), against=[".dedupe/index"])
    (c,) = [c for c in res.clusters if c.kind == "archive-match"]
    m = [m for m in c.members if m.archive][0]
    assert (m.doc, m.line) == ("A4", 5)
    raw_line = (work / "cms.jsonl").read_text("utf-8").splitlines()[4]
    assert raw_line[m.column - 1:].startswith(m.text[:15])


def test_an_export_record_is_removed_by_its_id_or_the_scans_name_for_it(work):
    rng = random.Random(5)
    recs = [{"id": f"A{i}", "title": f"Story {i}", "text": article(rng, 2, 2)} for i in range(3)]
    (work / "cms.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    assert run(["index", "add", "cms.jsonl"]).exit_code == 0
    r = run(["index", "remove", "A0", "cms.jsonl#A1", "cms.jsonl#A9"])
    assert r.exit_code == 2 and "2 removed" in r.output and "no article with id 'cms.jsonl#A9'" in r.output
    with open_index(".dedupe/index") as ix:
        assert ix.stats().articles == 1


def test_replace_changed_article_and_skip_unchanged(work):
    make_archive(work / "a", 3)
    run(["index", "add", "a"])
    r = run(["index", "add", "a"])
    assert "0 added, 0 replaced, 3 unchanged" in r.output
    old = (work / "a" / "story0001.txt").read_text("utf-8")
    new_text = article(random.Random(42))
    (work / "a" / "story0001.txt").write_text(new_text, encoding="utf-8")
    r = run(["index", "add", "a/story0001.txt"])
    assert "1 replaced" in r.output
    (work / "d.txt").write_text(old.split("\n\n")[0] + "\n", encoding="utf-8")
    assert not scan(["d.txt"], Settings(), against=[".dedupe/index"]).clusters  # old sentences are gone
    (work / "d.txt").write_text(new_text.split("\n\n")[0] + "\n", encoding="utf-8")
    assert len(scan(["d.txt"], Settings(), against=[".dedupe/index"]).clusters) == 3
    with open_index(".dedupe/index") as ix:
        assert ix.stats().articles == 3 and ix.stats().units == 27


def test_remove_and_vacuum(work):
    arch = make_archive(work / "a", 4)
    run(["index", "add", "a"])
    (work / "d.txt").write_text(arch[2].read_text("utf-8"), encoding="utf-8")
    assert scan(["d.txt"], Settings(), against=[".dedupe/index"]).clusters
    r = run(["index", "remove", os.path.normpath("a/story0002.txt"), "nope"])
    assert r.exit_code == 2 and "1 removed" in r.output and "no article with id 'nope'" in r.output
    assert not scan(["d.txt"], Settings(), against=[".dedupe/index"]).clusters
    r = run(["index", "vacuum"])
    assert r.exit_code == 0
    assert "vacuumed: removed" in r.output and "dead entries" in r.output and "_" not in r.output.split(": ", 1)[1]
    with open_index(".dedupe/index") as ix:
        st = ix.stats()
        assert st.articles == 3 and st.units == 27
        assert sqlite3.connect(ix.path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_settings_mismatch_is_refused(work):
    make_archive(work / "a", 2)
    run(["index", "add", "a"])
    (work / "d.txt").write_text(sentence(random.Random(1)) + "\n")
    r = run(["scan", "d.txt", "--against", ".dedupe/index", "--num-perm", "64"])
    assert r.exit_code == 2
    assert "index built with num-perm=128, query uses 64" in r.output
    r = run(["check", "d.txt", "--against", ".dedupe/index", "--threshold", "0.5"])
    assert r.exit_code == 2 and "threshold" in r.output
    r = run(["index", "add", "a", "--ngram", "4"])
    assert r.exit_code == 2 and "index built with ngram=3" in r.output
    # a stricter threshold is fine (the index's bands only gain recall)
    assert run(["scan", "d.txt", "--against", ".dedupe/index", "--threshold", "0.9"]).exit_code == 0
    # rebuild with new settings, then queries with them work
    r = run(["index", "rebuild", "--num-perm", "64"])
    assert r.exit_code == 0 and "rebuilt 2 articles, 18 units" in r.output
    assert run(["scan", "d.txt", "--against", ".dedupe/index", "--num-perm", "64"]).exit_code == 0
    assert run(["scan", "d.txt", "--against", ".dedupe/index"]).exit_code == 2


def test_bad_locations(work):
    (work / "d.txt").write_text(sentence(random.Random(1)) + "\n")
    r = run(["index", "stats", "--index", "missing"])
    assert r.exit_code == 2 and "missing: no index here" in r.output
    (work / "junk").mkdir()
    (work / "junk" / "index.sqlite").write_text("not sqlite at all, just text" * 10)
    r = run(["index", "stats", "--index", "junk"])
    assert r.exit_code == 2 and "junk: not a valid index" in r.output
    r = run(["index", "list", "--index", "redis://127.0.0.1:1/0"])
    assert r.exit_code == 2 and "cannot connect to Redis at 127.0.0.1:1" in r.output


def test_index_location_from_config(work):
    make_archive(work / "a", 2)
    (work / ".dedupe.toml").write_text('index = "archive-ix"\n')
    assert run(["index", "add", "a"]).exit_code == 0
    assert (work / "archive-ix" / "index.sqlite").is_file()
    r = run(["index", "stats", "--format", "json"])
    assert json.loads(r.output)["articles"] == 2


def test_parallel_jobs_give_the_same_index(work):
    make_archive(work / "a", 60, seed=5)
    s = Settings()
    for name, jobs in (("one", 1), ("two", 2)):
        with open_index(name, create=True) as ix:
            add_paths(ix, ["a"], Settings(jobs=jobs))
    a, b = open_index("one"), open_index("two")
    rows = lambda ix: ix.db.execute('SELECT a.id, u.n, u.data FROM units u JOIN articles a ON a.num = u.article ORDER BY a.id').fetchall()
    assert rows(a) == rows(b) and sum(r[1] for r in rows(a)) == 540
    del s


def test_punkt_training_stored_and_used(work):
    # a house abbreviation ("Cmdr.") that the shipped model does not know
    rng = random.Random(11)
    root = work / "a"
    root.mkdir()
    for i in range(40):
        body = " ".join(f"The patrol led by Cmdr. {rng.choice(['smith', 'jones', 'brown'])} reached the {rng.choice(WORDS)} "
                        f"{rng.choice(WORDS)} near the {rng.choice(WORDS)} at dawn on {rng.choice(['monday', 'friday'])}."
                        for _ in range(3))
        (root / f"s{i}.txt").write_text(body + "\n")
    r = run(["index", "add", "a", "--train-punkt"])
    assert r.exit_code == 0 and "Punkt learnt" in r.output
    with open_index(".dedupe/index") as ix:
        model = ix.punkt_model()
        assert "cmdr" in model.abbrev_types
        assert ix.stats().to_dict()["punkt_trained"] is True
    r = run(["index", "stats"])
    assert "trained on the archive" in r.output


CRASH_SCRIPT = r"""
import sys
from dedupe.index import open_index, add_paths
from dedupe.config import Settings
ix = open_index(sys.argv[1], create=True)
print("start", flush=True)
add_paths(ix, [sys.argv[2]], Settings(jobs=1))
print("done", flush=True)
"""


def _count(loc: str) -> tuple[int, int]:
    with open_index(loc) as ix:
        assert sqlite3.connect(ix.path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        st = ix.stats()
        return st.articles, st.units


def test_killed_writer_leaves_old_or_new_state(work):
    make_archive(work / "a", 5, seed=1)
    make_archive(work / "big", 3000, seed=2, prefix="big")
    run(["index", "add", "a"])
    old = _count(".dedupe/index")
    (work / "crash.py").write_text(CRASH_SCRIPT)
    seen = set()
    # the add of 3,000 articles takes well under a second: kill it at several
    # points, from the first analysis to the commit
    for delay in (0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.2, 1.8):
        p = subprocess.Popen([sys.executable, "crash.py", ".dedupe/index", "big"], stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "start"
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        state = _count(".dedupe/index")
        assert state in (old, (3005, 3005 * 9)), state
        seen.add(state)
        if state != old:
            break
    assert old in seen  # at least one kill landed mid-transaction and rolled back
    # the index still works: add completes after the crashes
    assert run(["index", "add", "big"]).exit_code == 0
    assert _count(".dedupe/index") == (3005, 3005 * 9)


def test_reader_works_while_another_process_writes(work):
    arch = make_archive(work / "a", 5, seed=1)
    make_archive(work / "big", 1200, seed=3, prefix="big")
    run(["index", "add", "a"])
    (work / "d.txt").write_text(arch[1].read_text("utf-8"))
    (work / "crash.py").write_text(CRASH_SCRIPT)
    writer = subprocess.Popen([sys.executable, "crash.py", ".dedupe/index", "big"], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "start"
    # a second writer in another process waits for the first, then adds
    second = subprocess.Popen(DEDUPE + ["index", "add", "d.txt"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    queries = 0
    while writer.poll() is None and queries < 50:
        res = scan(["d.txt"], Settings(), against=[".dedupe/index"])
        assert not res.errors
        assert {m.doc for c in res.clusters for m in c.members if m.archive} == {os.path.normpath("a/story0001.txt")}
        queries += 1
    assert queries >= 1
    assert writer.wait(60) == 0
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert _count(".dedupe/index")[0] == 5 + 1200 + 1


def test_against_accepts_plain_paths_and_index_together(work):
    arch = make_archive(work / "a", 3, seed=1)
    other = make_archive(work / "b", 2, seed=8, prefix="other")
    run(["index", "add", "a"])
    (work / "d.txt").write_text(arch[0].read_text("utf-8").split("\n\n")[0] + "\n\n" +
                                other[1].read_text("utf-8").split("\n\n")[2])
    res = scan(["d.txt"], Settings(), against=[".dedupe/index", "b"])
    srcs = {m.doc for c in res.clusters if c.kind == "archive-match" for m in c.members if m.archive}
    assert srcs == {os.path.normpath("a/story0000.txt"), "b/other0001.txt"}


def test_draft_already_in_index_is_not_matched_with_itself(work):
    arch = make_archive(work / "a", 3, seed=1)
    run(["index", "add", "a"])
    res = scan([str(arch[0].relative_to(work))], Settings(), against=[".dedupe/index"])
    assert not [c for c in res.clusters if c.kind == "archive-match"]


def test_library_remove_and_rebuild_api(work):
    make_archive(work / "a", 3)
    with open_index("ix", create=True) as ix:
        add_paths(ix, ["a"], Settings())
        assert remove(ix, [os.path.normpath("a/story0000.txt"), "x"]) == ["x"]
        assert rebuild(ix, Settings())["units"] == 18


def test_contained_sentence_found_through_shingle_postings(work, monkeypatch):
    long, short = contained_case(work / "a")
    run(["index", "add", "a"])
    (work / "d.txt").write_text(article(random.Random(77), 1) + "\n" + short + "\n", encoding="utf-8")
    (c,) = archive_hits(scan(["d.txt"], Settings(), against=[".dedupe/index"]), short)
    (m,) = [m for m in c.members if m.archive]
    assert m.doc == os.path.normpath("a/long.txt") and m.text == long and c.containment == 1.0
    # found through the postings: LSH alone misses it
    from dedupe.index.base import ArchiveIndex

    monkeypatch.setattr(ArchiveIndex, "containment_pairs", lambda *a, **k: np.zeros(0, dtype=np.int64))
    assert not archive_hits(scan(["d.txt"], Settings(), against=[".dedupe/index"]), short)


def test_older_layout_is_refused_then_converted_by_rebuild(work):
    """An index written with one row per unit (before the per-article layout)
    gives a clear message, and ``index rebuild`` converts it in place."""
    make_archive(work / "a", 4, seed=3)
    assert run(["index", "add", "a"]).exit_code == 0
    loc = ".dedupe/index"
    db = sqlite3.connect(os.path.join(loc, "index.sqlite"))
    db.executescript(
        "DROP TABLE units; CREATE TABLE units (id INTEGER PRIMARY KEY, article INTEGER NOT NULL, "
        'kind INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, fps BLOB NOT NULL, sig BLOB);')
    db.close()
    (work / "draft.txt").write_text((work / "a").joinpath(sorted(os.listdir(work / "a"))[0]).read_text())
    r = run(["scan", "draft.txt", "--against", loc])
    assert r.exit_code == 2 and "older layout" in r.output and "dedupe index rebuild" in r.output
    assert run(["index", "rebuild"]).exit_code == 0
    assert _count(loc) == (4, 36)
    r = run(["scan", "draft.txt", "--against", loc, "--format", "json"])
    assert r.exit_code == 0 and any(c["kind"] == "archive-match" for c in json.loads(r.output)["clusters"])


def test_killed_first_add_into_a_new_index(work):
    """The first add into a new index runs in SQLite's rollback-journal mode
    (written once, not WAL + checkpoint); a kill -9 in it must still leave a
    valid index: empty, or complete; and the index is in WAL mode afterwards."""
    make_archive(work / "big", 3000, seed=4, prefix="big")
    (work / "crash.py").write_text(CRASH_SCRIPT)
    seen = set()
    for k, delay in enumerate((0.05, 0.15, 0.3, 0.5, 0.8, 1.2)):
        loc = f"ix{k}"
        p = subprocess.Popen([sys.executable, "crash.py", loc, "big"], stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "start"
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        state = _count(loc)
        assert state in ((0, 0), (3000, 3000 * 9)), state
        seen.add(state)
    assert (0, 0) in seen  # a kill landed inside the first transaction and was rolled back
    loc = "fresh"
    with open_index(loc, create=True) as ix:
        add_paths(ix, ["big"], Settings(jobs=2))
    with open_index(loc) as ix:
        assert ix.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert _count(loc) == (3000, 3000 * 9)


def test_add_streams_a_large_walk_with_jsonl_exports(work):
    """Past a few hundred files the workers start while the walk goes on;
    .jsonl exports met on the way are read after the plain files. The index
    must hold everything, progress must end complete, and one worker or two
    must give the same index."""
    make_archive(work / "a", 450, seed=8)
    rng = random.Random(9)
    with open(work / "a" / "m_export.jsonl", "w", encoding="utf-8") as fh:
        for k in range(30):
            fh.write(json.dumps({"id": f"cms-{k}", "text": article(rng)}) + "\n")
    (work / "a" / "zz_bad.jsonl").write_text("{not json\n")
    steps = []
    results = {}
    for name, jobs in (("one", 1), ("two", 2)):
        with open_index(name, create=True) as ix:
            r = add_paths(ix, ["a"], Settings(jobs=jobs), progress=lambda *a: steps.append(a))
        results[name] = r
        assert r["added"] == 480 and len(r["errors"]) == 1 and "zz_bad.jsonl" in str(r["errors"][0])
        assert steps[-1][1] == steps[-1][2] == 452  # 450 files + 2 exports
        assert _count(name) == (480, 480 * 9)
    rows = lambda loc: sqlite3.connect(os.path.join(loc, "index.sqlite")).execute(
        "SELECT a.id, u.data FROM units u JOIN articles a ON a.num = u.article ORDER BY a.id").fetchall()
    assert rows("one") == rows("two")


def test_article_blobs_old_and_new():
    """Articles are stored as a JSON header, NUL, then the UTF-8 text; blobs of
    dedupe 0.1 (JSON with the text inside, zlib-compressed) still read."""
    import zlib

    from dedupe.index.base import ArchivedDocument, pack_article, unpack_article

    doc = ArchivedDocument(id="a/1", path="a/1.txt", text='He said "no".\n\x00 caf\u00e9 \ud800', format="txt",
                           title="T", lstarts=[0, 14], line0=1)
    blob, digest = pack_article(doc)
    back = unpack_article(blob)
    assert (back.id, back.path, back.text, back.title, back.lstarts) == (doc.id, doc.path, doc.text, "T", [0, 14])
    assert pack_article(doc)[1] == digest and len(digest) == 32
    old = json.dumps({"v": 1, "id": "b", "path": "b.txt", "title": None, "format": "txt", "text": "old \u00e9",
                      "marked": False, "suppressed": [], "runs": None, "line0": 1, "lstarts": None}).encode()
    for stored in (old, zlib.compress(old, 3)):
        assert unpack_article(stored).text == "old \u00e9"


def test_add_of_only_missing_paths_creates_no_index(work):
    r = run(["index", "add", "nowhere", "--index", "ix-none"])
    assert r.exit_code == 2 and "nowhere: no such file or directory" in r.output
    assert not (work / "ix-none").exists()


def test_index_list_shows_names_and_titles_safely(work):
    """Archived names and titles reach the terminal with control characters escaped (no injected sequences)."""
    (work / "a").mkdir()
    (work / "a" / "x\x1b[2Jy.txt").write_text(article(random.Random(3)), encoding="utf-8")
    assert run(["index", "add", "a"]).exit_code == 0
    out = run(["index", "list"]).output
    assert "\x1b" not in out and "x\\x1b[2Jy.txt" in out
