"""Redis Cluster: the node the URL names is the master that dies (issue 27).

A replicated cluster (3 masters, 3 replicas, every node on 127.0.0.1, node timeout 3 s).  The URL's own
master is killed in the middle of a ``check`` (after it connected, before its first query) and in the
middle of an ``add`` (after its first postings were written): both ride out the failover through the
cluster's other nodes, with the findings of before and the new state after the add.  A run started while
the URL's only node is down says how to name several nodes, and a URL naming several connects through
the ones alive.
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
    kill_on_first_call(monkeypatch, "candidate_units", cluster, 0, killed)
    during = run(["check", "d.txt", "--against", url, "--format", "json"])
    assert killed, "the check never queried the index"
    took = time.monotonic() - killed[0]
    assert clusters(during) == before
    assert took < 2 * NODE_TIMEOUT_MS / 1000 + 3 + 5, f"{took:.1f}s: retries stop at about twice the node timeout"
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    cluster.wait_ok()

    # a run started while the URL's only node is down: one line naming the fix
    r = run(["check", "d.txt", "--against", url])
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
    kill_on_first_call(monkeypatch, "_append_postings", cluster, victim, killed)
    added = run(["index", "add", "a", "--index", url2])
    assert killed, "the add wrote no postings"
    assert added.exit_code == 0, added.output  # retried through the failover: the new state
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    cluster.wait_ok()
    live = [p for i, p in enumerate(ports) if i not in (0, victim)]
    alive = "redis://" + ",".join(f"127.0.0.1:{p}" for p in live) + "/0"
    stats = run(["index", "stats", "--index", alive, "--format", "json"])
    assert stats.exit_code == 0 and json.loads(stats.output)["articles"] == 9, stats.output
    found = clusters(run(["check", "d2.txt", "--against", alive, "--format", "json"]))
    assert any(m["path"].endswith("more.txt") for c in found for m in c["members"])
    assert clusters(run(["check", "d.txt", "--against", alive, "--format", "json"])) == before


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
