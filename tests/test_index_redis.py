"""The Redis archive index against a real redis-server (started here on a free loopback port)."""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import time

import pytest
from click.testing import CliRunner

from dedupe.cli.main import main
from dedupe.config import Settings
from dedupe.index import open_index
from dedupe.api import scan

from test_index import article, make_archive, sentence  # noqa: E402 (tests/ is on sys.path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url():
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is not installed (.ci/run installs Debian's redis-server)")
    port = _free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    r = redis.Redis(port=port)
    for _ in range(100):
        try:
            r.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def url(redis_url, request):
    import redis

    port = int(redis_url.rsplit(":", 1)[1])
    db = 1 + (abs(hash(request.node.name)) % 14)
    redis.Redis(port=port, db=db).flushdb()
    return f"{redis_url}/{db}"


def run(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_redis_add_query_replace_remove(work, url):
    arch = make_archive(work / "a", 6)
    r = run(["index", "add", "a", "--index", url])
    assert r.exit_code == 0 and "6 added" in r.output, r.output
    src = arch[4].read_text("utf-8")
    para = src.split("\n\n")[2]
    (work / "d.md").write_text("# Title\n\n" + article(random.Random(9), 1) + "\n" + para + "\n")
    r = run(["scan", "d.md", "--against", url, "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    cl = [c for c in data["clusters"] if c["kind"] == "archive-match"]
    assert len(cl) == 3
    line = src[: src.index(para)].count("\n") + 1
    for c in cl:
        (m,) = [m for m in c["members"] if m.get("archive")]
        assert m["doc"] == os.path.normpath("a/story0004.txt") and m["line"] == line and m["column"] >= 1
    # identical to the embedded index and to the files themselves
    run(["index", "add", "a"])
    key = lambda res: sorted((m.doc, m.line, m.column, m.end_line, m.end_column, m.text)
                             for c in res.clusters for m in c.members)
    assert key(scan(["d.md"], Settings(), against=[url])) == key(scan(["d.md"], Settings(), against=[".dedupe/index"]))
    # stats / list
    st = json.loads(run(["index", "stats", "--index", url, "--format", "json"]).output)
    assert st["backend"] == "redis" and st["articles"] == 6 and st["units"] == 54 and st["scheme"] == "affine32"
    assert len(json.loads(run(["index", "list", "--index", url, "--format", "json"]).output)) == 6
    # unchanged, then replaced
    assert "6 unchanged" in run(["index", "add", "a", "--index", url]).output
    arch[4].write_text(article(random.Random(123)))
    assert "1 replaced" in run(["index", "add", "a", "--index", url]).output
    assert not [c for c in scan(["d.md"], Settings(), against=[url]).clusters if c.kind == "archive-match"]
    with open_index(url) as ix:
        assert ix.stats().units == 54
    # remove
    (work / "d2.txt").write_text(arch[1].read_text("utf-8"))
    assert scan(["d2.txt"], Settings(), against=[url]).clusters
    r = run(["index", "remove", os.path.normpath("a/story0001.txt"), "--index", url])
    assert r.exit_code == 0 and "1 removed" in r.output
    assert not scan(["d2.txt"], Settings(), against=[url]).clusters
    with open_index(url) as ix:
        assert ix.stats().articles == 5 and ix.stats().units == 45


def test_redis_lsh_is_datasketch_compatible(work, url):
    """Another datasketch client attached to the same basename finds our units."""
    from datasketch import MinHash, MinHashLSH

    from dedupe.readers import read_file
    from dedupe.engine.analyse import analyse_documents

    arch = make_archive(work / "a", 3)
    run(["index", "add", "a", "--index", url])
    a = analyse_documents(read_file(str(arch[2])), Settings())
    port, db = url.rsplit(":", 1)[1].split("/")
    with open_index(url) as ix:
        st = ix.stored_settings
    lsh = MinHashLSH(threshold=0.7, num_perm=128, params=(st["bands"], st["rows"]), prepickle=False,
                     storage_config={"type": "redis", "basename": b"dedupe:lsh",
                                     "redis": {"host": "127.0.0.1", "port": int(port), "db": int(db)}})
    hits = lsh.query(MinHash(128, 1, hashvalues=a.table.sigs[0], scheme="affine32"))
    assert len(hits) == 1


def test_redis_settings_mismatch_and_rebuild(work, url):
    make_archive(work / "a", 2)
    run(["index", "add", "a", "--index", url])
    (work / "d.txt").write_text(sentence(random.Random(2)) + "\n")
    r = run(["check", "d.txt", "--against", url, "--num-perm", "64"])
    assert r.exit_code == 2 and "index built with num-perm=128, query uses 64" in r.output
    r = run(["index", "rebuild", "--index", url, "--num-perm", "64"])
    assert r.exit_code == 0 and "rebuilt 2 articles, 18 units" in r.output
    assert run(["check", "d.txt", "--against", url, "--num-perm", "64"]).exit_code == 0


def test_redis_connection_failure_exit_2(work):
    (work / "d.txt").write_text(sentence(random.Random(2)) + "\n")
    port = _free_port()
    for args in (["index", "add", "d.txt", "--index", f"redis://127.0.0.1:{port}/0"],
                 ["check", "d.txt", "--against", f"redis://127.0.0.1:{port}/0"],
                 ["scan", "d.txt", "--against", f"redis://127.0.0.1:{port}/0"]):
        r = run(args)
        assert r.exit_code == 2, args
        assert f"cannot connect to Redis at 127.0.0.1:{port}" in r.output
        assert "Traceback" not in r.output


def test_redis_missing_index_is_an_error(work, url):
    (work / "d.txt").write_text(sentence(random.Random(2)) + "\n")
    r = run(["check", "d.txt", "--against", url])
    assert r.exit_code == 2 and "no index here" in r.output


def test_redis_contained_sentence_found_through_shingle_postings(work, url, monkeypatch):
    """As the embedded index: a short draft sentence inside a longer archived one."""
    import numpy as np

    from dedupe.index.base import ArchiveIndex
    from test_index import archive_hits, contained_case

    long, short = contained_case(work / "a")
    assert run(["index", "add", "a", "--index", url]).exit_code == 0
    (work / "d.txt").write_text(article(random.Random(77), 1) + "\n" + short + "\n", encoding="utf-8")
    r = run(["check", "d.txt", "--against", url])
    assert r.exit_code == 1 and "DD301" in r.output and "long.txt" in r.output
    (c,) = archive_hits(scan(["d.txt"], Settings(), against=[url]), short)
    (m,) = [m for m in c.members if m.archive]
    assert m.doc == os.path.normpath("a/long.txt") and m.text == long and c.containment == 1.0
    monkeypatch.setattr(ArchiveIndex, "containment_pairs", lambda *a, **k: np.zeros(0, dtype=np.int64))
    assert not archive_hits(scan(["d.txt"], Settings(), against=[url]), short)


def test_redis_layout_and_vacuum(work, url):
    """datasketch's bucket layout written directly; removal cleans it; vacuum drops dead postings."""
    import redis
    from datasketch import MinHash

    from dedupe.readers import read_file
    from dedupe.engine.analyse import analyse_documents

    arch = make_archive(work / "a", 4)
    run(["index", "add", "a", "--index", url])
    port, db = url.rsplit(":", 1)[1].split("/")
    r = redis.Redis(port=int(port), db=int(db))
    with open_index(url) as ix:
        lsh = ix.lsh()
        bands = ix.stored_settings["bands"]
    a = analyse_documents(read_file(str(arch[1])), Settings())
    # every unit of story 1 is in datasketch's tables, under its own key, with all its bands
    with open_index(url) as ix:
        first = json.loads(r.hget(b"dedupe:art", os.path.normpath("a/story0001.txt")))["first"]
    for i in range(len(a.table)):
        uid = str(first + i).encode()
        assert uid in lsh
        assert lsh.query(MinHash(128, 1, hashvalues=a.table.sigs[i], scheme="affine32")) == [uid]
        assert r.llen(b"dedupe:lsh_keys" + uid) == bands
    assert r.hlen(b"dedupe:lsh_keys") == 36
    # remove: buckets and keys of the removed units are gone
    assert "1 removed" in run(["index", "remove", os.path.normpath("a/story0001.txt"), "--index", url]).output
    assert lsh.query(MinHash(128, 1, hashvalues=a.table.sigs[0], scheme="affine32")) == []
    assert r.hlen(b"dedupe:lsh_keys") == 27 and r.hlen(b"dedupe:units") == 27
    # the postings keep dead entries until vacuum
    post = lambda: sum(r.strlen(k) for k in r.scan_iter(b"dedupe:post:*")) // 12
    before = post()
    out = run(["index", "vacuum", "--index", url, ]).output
    assert "dead_entries_removed" in out and "dead_entries_removed 0" not in out
    assert 0 < post() < before
    assert run(["index", "vacuum", "--index", url]).output.count("dead_entries_removed 0") == 1
