"""Redis faults (issue 15): bad URLs, foreign keys, a server killed mid-add, a silent port, a killed writer's lock."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import article, make_archive, sentence
from redis_servers import RedisServer, SilentServer, free_port

from dedupe.cli.main import main

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def one_line_error(r, *needles: str) -> None:
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    lines = [ln for ln in r.output.splitlines() if ln.startswith("dedupe: error:")]
    assert len(lines) == 1, r.output
    for n in needles:
        assert n in lines[0], r.output


def client(url: str):
    import redis

    port, db = url.rsplit(":", 1)[1].split("/")
    return redis.Redis(port=int(port), db=int(db))


def cli_env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


# -- URLs -------------------------------------------------------------------


@pytest.mark.parametrize("loc", ["redis://127.0.0.1:99999/0", "redis://127.0.0.1:abc/0", "redis://127.0.0.1:0/0",
                                 "redis://127.0.0.1:-1/0", "redis://127.0.0.1:6379/x", "redis://127.0.0.1:6379/0?name=a{b}"])
def test_bad_url_is_one_line_exit_2(work, loc):
    (work / "d.txt").write_text(sentence(random.Random(2)) + "\n")
    for args in (["index", "add", "d.txt", "--index", loc], ["check", "d.txt", "--against", loc],
                 ["scan", "d.txt", "--against", loc], ["index", "stats", "--index", loc]):
        one_line_error(run(args), "bad Redis URL")


def test_nothing_listening_is_one_line_exit_2(work):
    (work / "d.txt").write_text(sentence(random.Random(2)) + "\n")
    port = free_port()
    for args in (["index", "add", "d.txt", "--index", f"redis://127.0.0.1:{port}/0"],
                 ["check", "d.txt", "--against", f"redis://127.0.0.1:{port}/0"],
                 ["scan", "d.txt", "--against", f"redis://127.0.0.1:{port}/0"]):
        one_line_error(run(args), f"cannot connect to Redis at 127.0.0.1:{port}")


@pytest.mark.timeout(120)
def test_port_that_accepts_but_never_answers(work):
    silent = SilentServer()
    try:
        (work / "d.txt").write_text(sentence(random.Random(2)) + "\n")
        loc = f"redis://127.0.0.1:{silent.port}/0"
        for args in (["index", "add", "d.txt", "--index", loc], ["check", "d.txt", "--against", loc],
                     ["index", "stats", "--index", loc]):
            one_line_error(run(args), f"127.0.0.1:{silent.port} did not answer")
    finally:
        silent.stop()


# -- foreign keys -------------------------------------------------------------


def _dumps(r) -> dict:
    return {k: r.dump(k) for k in r.scan_iter()}


@pytest.mark.parametrize("setup,name", [
    (lambda r: r.set("{dedupe}:meta", "hello"), "{dedupe}:meta"),
    (lambda r: r.hset("{dedupe}:meta", mapping={"settings": "not json{"}), "{dedupe}:meta"),
    (lambda r: r.rpush("{dedupe}:art", "x"), "{dedupe}:art"),
    (lambda r: r.set("dedupe:stuff", "someone else's"), "dedupe:stuff"),
    (lambda r: r.hset("{dedupe}:lock", "a", "b"), "{dedupe}:lock"),
])
def test_foreign_keys_in_a_new_namespace_are_refused_by_name(work, url, setup, name):
    r = client(url)
    setup(r)
    before = _dumps(r)
    make_archive(work / "a", 2)
    one_line_error(run(["index", "add", "a", "--index", url]), repr(name)[1:-1])
    assert _dumps(r) == before  # never overwritten


def test_wrong_types_under_an_existing_index_are_refused_by_name(work, url):
    r = client(url)
    arch = make_archive(work / "a", 3)
    assert run(["index", "add", "a", "--index", url]).exit_code == 0
    (work / "d.txt").write_text(arch[1].read_text("utf-8"))
    assert run(["check", "d.txt", "--against", url]).exit_code == 1
    groups = sorted(r.scan_iter(b"dedupe:1:b:*"))
    units = sorted(r.scan_iter(b"dedupe:1:u:*"))
    cases = [
        (groups, lambda k: (r.delete(k), r.hset(k, "x", "y"))),  # hashes where posting strings belong
        (groups, lambda k: r.set(k, b"\xff" * 7)),  # strings that are not postings
        (units, lambda k: (r.delete(k), r.sadd(k, "1"))),
        ([b"{dedupe}:art"], lambda k: r.hset(k, os.path.normpath("a/story0001.txt"), "not json")),
        ([b"{dedupe}:meta"], lambda k: r.hset(k, "updated", "{{{")),
    ]
    for n, (keys, spoil) in enumerate(cases):
        saved = {k: r.dump(k) for k in keys}
        for k in keys:
            spoil(k)
        bad = {k: r.dump(k) for k in keys}
        (work / "a" / f"new{n}.txt").write_text(article(random.Random(100 + n)) + "\n")
        for args in (["check", "d.txt", "--against", url], ["index", "add", "a", "--index", url]):
            res = run(args)
            one_line_error(res, "not this index's data")
            assert any(k.decode() in res.output for k in keys), res.output  # named
        assert {k: r.dump(k) for k in keys} == bad  # never overwritten
        for k in keys:
            r.delete(k)
            r.restore(k, 0, saved[k])
    assert run(["check", "d.txt", "--against", url]).exit_code == 1


def test_vacuum_and_stats_refuse_foreign_article_records(work, url):
    r = client(url)
    make_archive(work / "a", 2)
    assert run(["index", "add", "a", "--index", url]).exit_code == 0
    r.hset("{dedupe}:art", "intruder", json.dumps([1, 2, 3]))
    for args in (["index", "vacuum", "--index", url], ["index", "list", "--index", url]):
        one_line_error(run(args), "{dedupe}:art")
    assert r.hget("{dedupe}:art", "intruder") == b"[1, 2, 3]"


# -- killed server, killed writer -----------------------------------------------


def _start_add(loc: str, path: str, env_extra: dict | None = None) -> subprocess.Popen:
    env = cli_env()
    env.update({"DEDUPE_REDIS_PENDING": "20000", **(env_extra or {})})
    return subprocess.Popen([sys.executable, "-m", "dedupe", "index", "add", path, "--index", loc, "--no-progress",
                             "--jobs", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_for_writes(r, proc: subprocess.Popen, pattern: bytes = b"dedupe:*:b:*", timeout: float = 120) -> None:
    """Until the add has written some postings (and still runs)."""
    deadline = time.monotonic() + timeout
    base = sum(1 for _ in r.scan_iter(pattern))
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if sum(1 for _ in r.scan_iter(pattern, count=1000)) > base:
            return
        time.sleep(0.02)
    pytest.fail("the add wrote nothing")


def _articles(loc: str) -> int:
    r = run(["index", "stats", "--index", loc, "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)["articles"]


@pytest.mark.timeout(300)
def test_server_killed_during_add_leaves_old_or_new(work):
    d = work / "redis-data"
    d.mkdir()
    srv = RedisServer("--appendonly", "yes", "--appendfsync", "always", directory=str(d))
    try:
        loc = srv.url + "/0"
        old = make_archive(work / "old", 4)
        assert run(["index", "add", "old", "--index", loc]).exit_code == 0
        make_archive(work / "new", 1500, seed=5, prefix="n")
        proc = _start_add(loc, "new")
        _wait_for_writes(srv.client(), proc)
        srv.kill()
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, (out, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert "lost the connection to Redis" in err or "cannot connect" in err, err
        # the same server again, from its append-only file
        srv2 = RedisServer("--appendonly", "yes", directory=str(d), port=srv.port)
        try:
            loc2 = srv2.url + "/0"
            assert _articles(loc2) in (4, 1504)
            (work / "d.txt").write_text(old[2].read_text("utf-8"))
            assert run(["check", "d.txt", "--against", loc2]).exit_code == 1
            r = run(["index", "add", "new", "--index", loc2])  # completes it
            assert r.exit_code == 0, r.output
            assert _articles(loc2) == 1504
        finally:
            srv2.stop()
    finally:
        srv.stop()


@pytest.mark.timeout(300)
def test_killed_writer_lock_expires_in_seconds_and_index_is_old_or_new(work, url):
    r = client(url)
    old = make_archive(work / "old", 4)
    assert run(["index", "add", "old", "--index", url]).exit_code == 0
    make_archive(work / "new", 1500, seed=6, prefix="n")
    proc = _start_add(url, "new")
    _wait_for_writes(r, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    ttl = r.pttl("{dedupe}:lock")
    assert ttl == -2 or 0 < ttl <= 10_000  # seconds, not an hour
    owner = json.loads(r.get("{dedupe}:lock") or b"{}")
    assert not owner or owner["pid"] == proc.pid
    assert _articles(url) == 4  # old: nothing of the killed add is visible
    (work / "d.txt").write_text(old[0].read_text("utf-8"))
    assert run(["check", "d.txt", "--against", url]).exit_code == 1
    (work / "d2.txt").write_text((work / "new" / "n0007.txt").read_text("utf-8"))
    assert run(["check", "d2.txt", "--against", url]).exit_code == 0
    res = run(["index", "add", "new", "--index", url])  # waits for the stale lock to expire
    assert res.exit_code == 0, res.output
    assert _articles(url) == 1504
    assert run(["check", "d2.txt", "--against", url]).exit_code == 1
    # the dead entries of the killed add go with vacuum
    assert "removed" in run(["index", "vacuum", "--index", url]).output


def test_a_live_writer_makes_others_wait_then_fail_naming_it(work, url, monkeypatch):
    import dedupe.index.redis.index as rmod

    monkeypatch.setattr(rmod, "LOCK_WAIT", 0.5)
    r = client(url)
    make_archive(work / "a", 2)
    assert run(["index", "add", "a", "--index", url]).exit_code == 0
    r.set("{dedupe}:lock", json.dumps({"host": "desk7", "pid": 4242, "token": "t", "since": "now"}), px=60_000)
    (work / "b.txt").write_text(article(random.Random(4)) + "\n")
    one_line_error(run(["index", "add", "b.txt", "--index", url]), "index is busy", "4242", "desk7")
    assert run(["index", "stats", "--index", url]).exit_code == 0  # readers are never blocked


class _GarbageServer(SilentServer):
    """Answers every connection with an HTTP error page."""

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                c, _ = self.sock.accept()
                c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                self.conns.append(c)
            except OSError:
                continue


@pytest.mark.timeout(120)
def test_port_that_answers_something_else(work):
    srv = _GarbageServer()
    try:
        (work / "d.txt").write_text(sentence(random.Random(2)) + "\n")
        loc = f"redis://127.0.0.1:{srv.port}/0"
        for args in (["index", "add", "d.txt", "--index", loc], ["check", "d.txt", "--against", loc]):
            one_line_error(run(args), f"127.0.0.1:{srv.port}")
    finally:
        srv.stop()


def test_hostile_values_inside_the_index_are_refused_by_name(work, url):
    r = client(url)
    arch = make_archive(work / "a", 3)
    assert run(["index", "add", "a", "--index", url]).exit_code == 0
    (work / "d.txt").write_text(arch[1].read_text("utf-8"))
    aid = os.path.normpath("a/story0001.txt")
    rec = json.loads(r.hget("{dedupe}:art", aid))
    good_meta = r.hget("{dedupe}:meta", "settings")
    cases = [
        (lambda: r.hset("{dedupe}:art", aid, json.dumps({**rec, "n": "seven"})), "{dedupe}:art", ["check"]),
        (lambda: r.hset("{dedupe}:art", aid, json.dumps({**rec, "f": -4})), "{dedupe}:art", ["check"]),
        (lambda: r.hset("{dedupe}:meta", "settings", json.dumps({**json.loads(good_meta), "bands": "x"})),
         "{dedupe}:meta", ["check", "add", "stats"]),
        (lambda: r.hset("{dedupe}:meta", "bbits", "99"), "{dedupe}:meta", ["check", "stats"]),
    ]
    cmds = {"check": ["check", "d.txt", "--against", url], "add": ["index", "add", "a", "--index", url],
            "stats": ["index", "stats", "--index", url]}
    for spoil, name, which in cases:
        saved = {k: r.dump(k) for k in (b"{dedupe}:art", b"{dedupe}:meta")}
        spoil()
        for c in which:
            one_line_error(run(cmds[c]), name)
        for k, v in saved.items():
            r.delete(k)
            r.restore(k, 0, v)
    # a counter hash of the wrong type: the add refuses it by name
    r.rename("{dedupe}:ctr", "saved-ctr")
    r.set("{dedupe}:ctr", "x")
    (work / "a" / "more.txt").write_text(article(random.Random(8)) + "\n")
    one_line_error(run(["index", "add", "a", "--index", url]), "{dedupe}:ctr")
    assert r.get("{dedupe}:ctr") == b"x"
    r.delete("{dedupe}:ctr")
    r.rename("saved-ctr", "{dedupe}:ctr")
    # an article blob that is not one: rebuild names it and changes nothing
    (key,) = list(r.scan_iter(b"dedupe:1:t:*"))
    field = r.hkeys(key)[0]
    r.hset(key, field, b"D\x00garbage")
    before = {k: r.dump(k) for k in r.scan_iter()}
    one_line_error(run(["index", "rebuild", "--index", url]), key.decode())
    assert {k: r.dump(k) for k in r.scan_iter() if k != b"{dedupe}:lock"} == \
        {k: v for k, v in before.items() if k != b"{dedupe}:lock"}


@pytest.mark.timeout(300)
def test_cluster_node_killed_is_one_line_exit_2(work, monkeypatch):
    """No replica takes over: after the failover wait (2 s here) the error is one line, exit 2."""
    from redis_servers import RedisCluster

    monkeypatch.setenv("DEDUPE_REDIS_FAILOVER_WAIT", "2")

    cluster = RedisCluster()
    try:
        arch = make_archive(work / "a", 6)
        assert run(["index", "add", "a", "--index", cluster.url(0)]).exit_code == 0
        (work / "d.txt").write_text(arch[2].read_text("utf-8"))
        assert run(["check", "d.txt", "--against", cluster.url(1)]).exit_code == 1
        cluster.servers[2].kill()
        (work / "a" / "more.txt").write_text(article(random.Random(11)) + "\n")
        for args in (["check", "d.txt", "--against", cluster.url(0)], ["index", "add", "a", "--index", cluster.url(1)],
                     ["check", "d.txt", "--against", cluster.url(2)]):
            one_line_error(run(args), "Redis")
    finally:
        cluster.stop()


@pytest.mark.timeout(300)
def test_cluster_failover_during_check_and_add(work):
    """A replicated cluster (3 masters, 3 replicas on loopback): a master killed, then ``check`` and ``add``
    run while its replica takes over (node timeout 5 s): both retry with backoff and succeed, with the
    findings of before; the add leaves the new state (its article found by the next check)."""
    from redis_servers import RedisCluster

    cluster = RedisCluster(3, replicas=1, node_timeout=5000)
    try:
        arch = make_archive(work / "a", 8)
        assert run(["index", "add", "a", "--index", cluster.url(0)]).exit_code == 0
        (work / "d.txt").write_text(arch[2].read_text("utf-8"))
        before = run(["check", "d.txt", "--against", cluster.url(0), "--format", "json"])
        assert before.exit_code == 1 and json.loads(before.stdout)["clusters"]
        masters = cluster.masters()
        assert len(masters) == 3 and 0 in masters
        first, second = [m for m in masters if m != 0][:2]
        cluster.servers[first].kill()
        t0 = time.monotonic()
        during = run(["check", "d.txt", "--against", cluster.url(0), "--format", "json"])
        assert during.exit_code == 1, during.output
        assert json.loads(during.stdout)["clusters"] == json.loads(before.stdout)["clusters"]
        took = time.monotonic() - t0
        assert took < 2 * 5 + 8, f"check took {took:.1f}s: the retries must stop at about twice the node timeout"
        cluster.wait_ok()
        new = article(random.Random(12)) + "\n"
        (work / "a" / "more.txt").write_text(new)
        (work / "d2.txt").write_text(new)
        cluster.servers[second].kill()
        added = run(["index", "add", "a", "--index", cluster.url(0)])
        assert added.exit_code == 0, added.output
        cluster.wait_ok()
        found = run(["check", "d2.txt", "--against", cluster.url(0), "--format", "json"])
        assert found.exit_code == 1, found.output
        assert any(m["path"].endswith("more.txt") for c in json.loads(found.stdout)["clusters"] for m in c["members"])
        again = run(["check", "d.txt", "--against", cluster.url(0), "--format", "json"])
        assert json.loads(again.stdout)["clusters"] == json.loads(before.stdout)["clusters"]
    finally:
        cluster.stop()
