"""The Redis archive index against real redis-server processes (a single server and a 3-node cluster)."""

from __future__ import annotations

import json
import os
import random

import pytest
from click.testing import CliRunner
from helpers import archive_hits, article, contained_case, make_archive, sentence
from redis_servers import RedisCluster

from dedupe.api import scan
from dedupe.cli.main import main
from dedupe.config import Settings
from dedupe.index import open_index


@pytest.fixture(scope="module")
def cluster():
    c = RedisCluster()
    yield c
    c.stop()


def run(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def key(res):
    return sorted((c.kind, tuple(sorted((m.doc, m.line, m.column, m.end_line, m.end_column, m.text, m.archive)
                                        for m in c.members))) for c in res.clusters)


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
    # identical to the embedded index
    run(["index", "add", "a"])
    assert key(scan(["d.md"], Settings(), against=[url])) == key(scan(["d.md"], Settings(), against=[".dedupe/index"]))
    st = json.loads(run(["index", "stats", "--index", url, "--format", "json"]).output)
    assert st["backend"] == "redis" and st["articles"] == 6 and st["units"] == 54 and st["scheme"] == "affine32"
    assert st["layout"] == "packed-1" and st["cluster"] is False
    assert len(json.loads(run(["index", "list", "--index", url, "--format", "json"]).output)) == 6
    assert "6 unchanged" in run(["index", "add", "a", "--index", url]).output
    arch[4].write_text(article(random.Random(123)))
    assert "1 replaced" in run(["index", "add", "a", "--index", url]).output
    assert not [c for c in scan(["d.md"], Settings(), against=[url]).clusters if c.kind == "archive-match"]
    with open_index(url) as ix:
        assert ix.stats().units == 54 and ix.stats().articles == 6
    (work / "d2.txt").write_text(arch[1].read_text("utf-8"))
    assert scan(["d2.txt"], Settings(), against=[url]).clusters
    r = run(["index", "remove", os.path.normpath("a/story0001.txt"), "--index", url])
    assert r.exit_code == 0 and "1 removed" in r.output
    assert not scan(["d2.txt"], Settings(), against=[url]).clusters
    with open_index(url) as ix:
        assert ix.stats().articles == 5 and ix.stats().units == 45


def test_redis_settings_mismatch_and_rebuild(work, url):
    make_archive(work / "a", 2)
    run(["index", "add", "a", "--index", url])
    (work / "d.txt").write_text(sentence(random.Random(2)) + "\n")
    r = run(["check", "d.txt", "--against", url, "--num-perm", "64"])
    assert r.exit_code == 2 and "index built with num-perm=128, query uses 64" in r.output
    r = run(["index", "rebuild", "--index", url, "--num-perm", "64"])
    assert r.exit_code == 0 and "rebuilt 2 articles, 18 units" in r.output
    assert run(["check", "d.txt", "--against", url, "--num-perm", "64"]).exit_code == 0
    # the old epoch's keys are gone
    port, db = url.rsplit(":", 1)[1].split("/")
    import redis

    r0 = redis.Redis(port=int(port), db=int(db))
    assert not list(r0.scan_iter(b"dedupe:1:*")) and list(r0.scan_iter(b"dedupe:2:*"))


def test_redis_missing_index_is_an_error(work, url):
    (work / "d.txt").write_text(sentence(random.Random(2)) + "\n")
    r = run(["check", "d.txt", "--against", url])
    assert r.exit_code == 2 and "no index here" in r.output


def test_redis_contained_sentence_found_through_shingle_postings(work, url, monkeypatch):
    """As the embedded index: a short draft sentence inside a longer archived one."""
    import numpy as np

    from dedupe.index.base import ArchiveIndex

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


def test_redis_vacuum_drops_dead_postings_and_prints_a_sentence(work, url):
    import redis

    make_archive(work / "a", 4)
    run(["index", "add", "a", "--index", url])
    port, db = url.rsplit(":", 1)[1].split("/")
    r = redis.Redis(port=int(port), db=int(db))
    post = lambda: sum(r.strlen(k) for k in r.scan_iter(b"dedupe:1:[bs]:*")) // 6
    before = post()
    assert before > 36 * 32  # 32 bands and the shingles of 36 units
    assert "1 removed" in run(["index", "remove", os.path.normpath("a/story0001.txt"), "--index", url]).output
    assert post() == before  # dead until vacuum
    out = run(["index", "vacuum", "--index", url]).output
    assert "removed" in out and "dead_entries" not in out and "{" not in out
    assert 0 < post() < before
    assert "no dead entries" in run(["index", "vacuum", "--index", url]).output
    st = run(["index", "stats", "--index", url]).output
    assert "3" in st.splitlines()[1] and "Redis" in st


def test_redis_old_layout_refused_then_converted_by_rebuild(work, url):
    """An index in the datasketch layout of dedupe 0.2 (NAME:meta, NAME:blob ...)."""
    import redis

    from dedupe.index.base import index_settings, pack_article, to_archived
    from dedupe.readers import read_file

    arch = make_archive(work / "a", 3)
    port, db = url.rsplit(":", 1)[1].split("/")
    r = redis.Redis(port=int(port), db=int(db))
    r.hset(b"dedupe:meta", mapping={"version": "1", "settings": json.dumps(index_settings(Settings())),
                                    "created": json.dumps("2025-01-01"), "next_unit": "28"})
    for p in arch:
        d = to_archived(read_file(str(p))[0])
        r.hset(b"dedupe:blob", d.id, pack_article(d)[0])
        r.sadd(b"dedupe:lsh_bucket_\x00\x01abcd", b"1")
    (work / "d.txt").write_text(arch[2].read_text("utf-8"))
    for args in (["check", "d.txt", "--against", url], ["index", "add", "a", "--index", url],
                 ["index", "stats", "--index", url]):
        res = run(args)
        assert res.exit_code == 2 and "old datasketch layout" in res.output and "dedupe index rebuild" in res.output
        assert len(res.output.strip().splitlines()) == 1
    res = run(["index", "rebuild", "--index", url])
    assert res.exit_code == 0 and "rebuilt 3 articles, 27 units" in res.output, res.output
    assert not r.exists(b"dedupe:meta", b"dedupe:blob", b"dedupe:lsh_bucket_\x00\x01abcd")
    assert run(["check", "d.txt", "--against", url]).exit_code == 1


def test_cluster_gives_the_same_findings_as_a_single_server(work, url, cluster):
    """Any node's URL; the same findings as a single server and the embedded index; keys on every node."""
    cluster.flushall()
    arch = make_archive(work / "a", 12)
    _, short = contained_case(work / "a")
    for loc in (url, cluster.url(1), "emb"):
        r = run(["index", "add", "a", "--index", loc])
        assert r.exit_code == 0 and "13 added" in r.output, (loc, r.output)
    draft = "\n\n".join([arch[3].read_text("utf-8").split("\n\n")[1], arch[9].read_text("utf-8").split("\n\n")[0],
                         article(random.Random(5), 1), short])
    (work / "d.txt").write_text(draft + "\n", encoding="utf-8")
    single = scan(["d.txt"], Settings(), against=[url])
    assert key(single) == key(scan(["d.txt"], Settings(), against=[cluster.url(0)]))
    assert key(single) == key(scan(["d.txt"], Settings(), against=[cluster.url(2)]))
    assert key(single) == key(scan(["d.txt"], Settings(), against=["emb"]))
    assert len([c for c in single.clusters if c.kind == "archive-match"]) >= 4 and archive_hits(single, short)
    assert all(s.client().dbsize() > 0 for s in cluster.servers)  # spread over the nodes
    # replace, remove, vacuum, stats, rebuild on the cluster
    arch[3].write_text(article(random.Random(321)))
    assert "1 replaced" in run(["index", "add", "a", "--index", cluster.url(2)]).output
    assert "1 replaced" in run(["index", "add", "a", "--index", url]).output
    assert run(["index", "remove", os.path.normpath("a/story0009.txt"), "--index", cluster.url(0)]).exit_code == 0
    assert run(["index", "remove", os.path.normpath("a/story0009.txt"), "--index", url]).exit_code == 0
    assert run(["index", "vacuum", "--index", cluster.url(1)]).exit_code == 0
    after = scan(["d.txt"], Settings(), against=[url])
    assert key(after) == key(scan(["d.txt"], Settings(), against=[cluster.url(0)])) and key(after) != key(single)
    st = json.loads(run(["index", "stats", "--index", cluster.url(0), "--format", "json"]).output)
    assert st["cluster"] is True and st["articles"] == 12
    assert st["size_bytes"] >= sum(int(s.client().info("memory")["used_memory"]) for s in cluster.servers) // 2
    assert "rebuilt 12 articles" in run(["index", "rebuild", "--index", cluster.url(1)]).output
    assert key(after) == key(scan(["d.txt"], Settings(), against=[cluster.url(0)]))
    assert not any(list(s.client().scan_iter(b"dedupe:1:*")) for s in cluster.servers)  # the old epoch, on every node
    assert all(list(s.client().scan_iter(b"dedupe:2:*")) for s in cluster.servers)


def test_cluster_only_has_database_0(work, cluster):
    (work / "d.txt").write_text(sentence(random.Random(2)) + "\n")
    r = run(["index", "add", "d.txt", "--index", cluster.url(0)[:-2] + "/3"])
    assert r.exit_code == 2 and "only database 0" in r.output


def test_same_findings_as_embedded_on_reuters_sample(work, url, reuters_path):
    """A few hundred Reuters stories: Redis and the embedded index give identical findings."""
    import gzip

    with gzip.open(reuters_path, "rt", encoding="utf-8") as fh:
        recs = [json.loads(line) for _, line in zip(range(600), fh)]
    recs = [r for r in recs if (r.get("body") or "").strip()]
    with open("arch.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps({"id": str(r["newid"]), "text": r["body"]}) + "\n" for r in recs[:450])
    rng = random.Random(3)
    paras = []
    for r in rng.sample(recs, 40):
        ps = [p for p in r["body"].split("\n") if len(p.split()) > 8]
        if ps:
            paras.append(rng.choice(ps))
    (work / "d.txt").write_text("\n\n".join(paras) + "\n", encoding="utf-8")
    assert run(["index", "add", "arch.jsonl", "--index", url]).exit_code == 0
    assert run(["index", "add", "arch.jsonl", "--index", "emb"]).exit_code == 0
    a = scan(["d.txt"], Settings(), against=[url])
    b = scan(["d.txt"], Settings(), against=["emb"])
    assert key(a) == key(b) and len(a.clusters) > 10


def test_index_without_subcommand_prints_its_help():
    r = run(["index"])
    assert r.exit_code == 0 and "Usage:" in r.output
    for sub in ("add", "remove", "list", "stats", "rebuild", "vacuum", "train"):
        assert f"  {sub}" in r.output


def test_group_strings_round_trip_and_refuse_garbage():
    import numpy as np

    from dedupe.index.redis.layout import decode_groups, encode_group

    rng = np.random.default_rng(4)
    ref = []
    for i in range(200):
        n = int(rng.integers(0, 400))
        top = 2**32 - 1 if i % 5 == 0 else 200_000
        ref.append((rng.integers(0, 2**16, n).astype(np.uint16), np.sort(rng.integers(0, top, n))))
    which, check, units = decode_groups([encode_group(c, u) for c, u in ref])
    for i, (c, u) in enumerate(ref):
        assert (units[which == i] == u).all() and (check[which == i] == c).all()
    good = encode_group(*ref[1])
    for bad in (b"\x01", good[:-1], b"\x05\x00\x00\x00" + b"\xff" * 20, good + b"\x80"):
        assert decode_groups([good, bad]) == 1
