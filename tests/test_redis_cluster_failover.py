"""Redis Cluster: the node the URL names is the master that dies (issue 27).

A replicated cluster (3 masters, 3 replicas, every node on 127.0.0.1, node timeout 3 s).  The URL's own
master is killed in the middle of a ``check`` (after it connected, before its first query) and in the
middle of an ``add`` (after its first postings were written): both ride out the failover through the
cluster's other nodes, with the findings of before and the new state after the add.  A run started while
the URL's only node is down connects through the nodes an earlier run met (remembered in the user's
cache folder), says how to name several nodes when it knows none, and a URL naming several connects
through the ones alive.
"""

from __future__ import annotations

import json
import random
import time

import pytest
from click.testing import CliRunner
from helpers import article, make_archive
from redis_servers import RedisCluster

from dedupe.cli.main import main
from dedupe.index.redis.index import RedisIndex

NODE_TIMEOUT_MS = 3000


def run(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def clusters(r) -> list:
    assert r.exit_code == 1, r.output
    return json.loads(r.stdout)["clusters"]


def kill_on_first_call(monkeypatch, method: str, cluster: RedisCluster, node: int, killed: list[float]) -> None:
    """``RedisIndex.method`` kills ``node`` the first time it is called, then runs as ever."""
    orig = getattr(RedisIndex, method)

    def wrapper(self, *args, **kwargs):
        if not killed:
            cluster.servers[node].kill()
            killed.append(time.monotonic())
        return orig(self, *args, **kwargs)

    monkeypatch.setattr(RedisIndex, method, wrapper)


@pytest.fixture
def cluster():
    c = RedisCluster(3, replicas=1, node_timeout=NODE_TIMEOUT_MS)
    try:
        yield c
    finally:
        c.stop()


@pytest.mark.timeout(300)
def test_the_urls_own_master_killed_during_check_and_add(tmp_path, monkeypatch, cluster):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the nodes runs remember: this test's own
    arch = make_archive(tmp_path / "a", 8)
    masters = cluster.masters()
    assert len(masters) == 3 and 0 in masters
    url = cluster.url(0)  # one node: the one killed
    assert run(["index", "add", "a", "--index", url]).exit_code == 0
    (tmp_path / "d.txt").write_text(arch[2].read_text("utf-8"))
    before = clusters(run(["check", "d.txt", "--against", url, "--format", "json"]))
    assert before

    # check: node 0 dies after the check connected through it, before its first query
    killed: list[float] = []
    with monkeypatch.context() as m:
        kill_on_first_call(m, "candidate_units", cluster, 0, killed)
        during = run(["check", "d.txt", "--against", url, "--format", "json"])
    assert killed, "the check never queried the index"
    took = time.monotonic() - killed[0]
    assert clusters(during) == before
    assert took < 2 * NODE_TIMEOUT_MS / 1000 + 3 + 5, f"{took:.1f}s: retries stop at about twice the node timeout"
    cluster.wait_ok()

    # a run started while the URL's only node is down: through the nodes earlier runs met, said in one line
    r = run(["check", "d.txt", "--against", url, "--format", "json"])
    assert clusters(r) == before
    said = [ln for ln in r.stderr.splitlines() if "earlier run met" in ln]
    assert len(said) == 1 and said[0].startswith("dedupe: warning: Redis at 127.0.0.1:") and "name several" in said[0]
    # ... never through a live cluster that does not list the URL's node (its port reused, another cluster)
    from redis_servers import free_port

    from dedupe.index.redis.connection import remember_nodes

    stranger = free_port()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-cache"))
    remember_nodes([("127.0.0.1", stranger)], [("127.0.0.1", s.port) for s in cluster.servers[1:]])
    r = run(["check", "d.txt", "--against", f"redis://127.0.0.1:{stranger}/0"])
    assert r.exit_code == 2 and "cannot connect" in r.output and "earlier run" not in r.output, r.output
    # ... and where no run met them (another user, a fresh runner): one line naming the fix
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "fresh-cache"))
    r = run(["check", "d.txt", "--against", url])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.startswith("dedupe: error:")]
    assert len(lines) == 1 and "cannot connect" in lines[0] and "name several nodes" in lines[0], r.output
    # ... and through a URL naming several, the dead one first: the same findings
    ports = [s.port for s in cluster.servers]
    several = "redis://" + ",".join(f"127.0.0.1:{p}" for p in ports) + "/0"
    assert clusters(run(["check", "d.txt", "--against", several, "--format", "json"])) == before

    # add: another master, the only node of its URL, dies after the add wrote its first postings
    victim = next(m for m in cluster.masters() if m != 0)
    url2 = cluster.url(victim)
    new = article(random.Random(12)) + "\n"
    (tmp_path / "a" / "more.txt").write_text(new)
    (tmp_path / "d2.txt").write_text(new)
    killed = []
    with monkeypatch.context() as m:
        kill_on_first_call(m, "_append_postings", cluster, victim, killed)
        added = run(["index", "add", "a", "--index", url2])
    assert killed, "the add wrote no postings"
    assert added.exit_code == 0, added.output  # retried through the failover: the new state
    cluster.wait_ok()
    live = [p for i, p in enumerate(ports) if i not in (0, victim)]
    alive = "redis://" + ",".join(f"127.0.0.1:{p}" for p in live) + "/0"
    stats = run(["index", "stats", "--index", alive, "--format", "json"])
    assert stats.exit_code == 0 and json.loads(stats.output)["articles"] == 9, stats.output
    found = clusters(run(["check", "d2.txt", "--against", alive, "--format", "json"]))
    assert any(m["path"].endswith("more.txt") for c in found for m in c["members"])
    assert clusters(run(["check", "d.txt", "--against", alive, "--format", "json"])) == before
    assert clusters(run(["check", "d2.txt", "--against", url2, "--format", "json"])) == found  # remembered

    # an add started while its URL's only node is down (both killed masters now): through the nodes
    # remembered, then the new state read through the other dead URL
    third = article(random.Random(13)) + "\n"
    (tmp_path / "a" / "third.txt").write_text(third)
    (tmp_path / "d3.txt").write_text(third)
    added = run(["index", "add", "a", "--index", url2])
    assert added.exit_code == 0 and "earlier run met" in added.stderr, added.output
    stats = run(["index", "stats", "--index", url, "--format", "json"])
    assert stats.exit_code == 0 and json.loads(stats.stdout)["articles"] == 10, stats.output
    found = clusters(run(["check", "d3.txt", "--against", url, "--format", "json"]))
    assert any(m["path"].endswith("third.txt") for c in found for m in c["members"])


def test_a_remembered_node_of_another_cluster_is_not_used(tmp_path, monkeypatch):
    """The cache names nodes for a URL's node; one that answers but whose cluster does not list that node
    (ports reused by another cluster) is refused: the run fails as if nothing were remembered."""
    from redis_servers import RedisServer, free_port

    from dedupe.index.redis.connection import remember_nodes, remembered_nodes

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    other = RedisServer()  # a single server now where a cluster node was
    try:
        dead = free_port()
        remember_nodes([("127.0.0.1", dead)], [("127.0.0.1", dead), ("127.0.0.1", other.port)])
        assert remembered_nodes([("127.0.0.1", dead)]) == [("127.0.0.1", other.port)]
        (tmp_path / "d.txt").write_text(article(random.Random(3)) + "\n")
        r = run(["check", str(tmp_path / "d.txt"), "--against", f"redis://127.0.0.1:{dead}/0"])
        assert r.exit_code == 2 and "cannot connect" in r.output and "Traceback" not in r.output, r.output
    finally:
        other.stop()


def test_the_remembered_nodes_file_is_bounded_atomic_and_a_bad_one_harmless(tmp_path, monkeypatch):
    """No server: the cache file under $XDG_CACHE_HOME (never a relative one: that would be the tree's),
    corrupt, oversized, hostile or unwritable files are as if empty, a failed write leaves the old file."""
    from dedupe.index.redis import connection as c

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative-cache")  # as a hostile tree's .envrc might: ignored
    assert c.nodes_file() == str(home / ".cache" / "dedupe" / "redis-cluster-nodes.json")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "cache" / "dedupe" / "redis-cluster-nodes.json"
    seed = [("127.0.0.1", 7000)]
    met = [("127.0.0.1", 7000), ("127.0.0.1", 7001), ("::1", 7002)]
    c.remember_nodes(seed, met)
    assert c.remembered_nodes(seed) == [("127.0.0.1", 7001), ("::1", 7002)]
    assert c.remembered_nodes([("127.0.0.1", 7001)]) == []  # only the URL's own nodes are keys
    good = path.read_bytes()
    for bad in (b"\xff\xfe garbage", b"[1, 2]", b"{" * 100_000, b'{"127.0.0.1:7000": "127.0.0.1:7001"}',
                json.dumps({"127.0.0.1:7000": ["evil\x1b[31m:1", "127.0.0.1:99999", "h:0", 5, "127.0.0.1:7005"]}).encode(),
                b'{"127.0.0.1:7000": ["127.0.0.1:7001"], "pad": "' + b"x" * (2 << 20) + b'"}'):
        path.write_bytes(bad)
        got = c.remembered_nodes(seed)
        assert got in ([], [("127.0.0.1", 7005)]), (bad[:40], got)
    c.remember_nodes(seed, met)  # a bad file is replaced by a good one
    assert path.read_bytes() == good

    def refuse(*a):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(c.os, "replace", refuse)
        c.remember_nodes(seed, [("127.0.0.1", 7100), ("127.0.0.1", 7101)])  # no error, nothing changed
    assert path.read_bytes() == good
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary file left
    for i in range(c.MAX_REMEMBERED + 40):
        c.remember_nodes([(f"10.0.{i // 256}.{i % 256}", 7000)], [("10.9.9.9", 7000 + j) for j in range(6)])
    data = json.loads(path.read_text())
    assert len(data) == c.MAX_REMEMBERED and path.stat().st_size <= c.MAX_FILE_BYTES
    assert "127.0.0.1:7000" not in data  # the oldest went first
    path.parent.chmod(0o500)
    try:
        c.remember_nodes(seed, met)  # a folder that cannot be written: no error
    finally:
        path.parent.chmod(0o700)


def test_a_url_names_several_nodes():
    from dedupe.errors import ArchiveIndexError
    from dedupe.index.redis.connection import parse_location, parse_nodes

    loc = "redis://:pw@127.0.0.1:7101,127.0.0.1:7102,[::1]:7103,127.0.0.1:7101/0?name=n"
    assert parse_nodes(loc) == [("127.0.0.1", 7101), ("127.0.0.1", 7102), ("::1", 7103)]
    assert parse_location(loc) == ("127.0.0.1", 7101, 0, "pw", b"n")
    for bad in ("redis://127.0.0.1:7101,,127.0.0.1:7102/0", "redis://127.0.0.1:7101,127.0.0.1:x/0",
                "redis://127.0.0.1:7101,127.0.0.1:0/0"):
        with pytest.raises(ArchiveIndexError):
            parse_nodes(bad)
