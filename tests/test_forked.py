"""Work split in two processes (dedupe.engine.forked): the same result as here, whatever the child does."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from dedupe import Settings, scan
from dedupe.engine import cluster, forked
from dedupe.engine.match import match_units
from dedupe.engine.parallel import analyse_paths

_real_core_free = forked.core_free


def _no_child_left(forks: list[int]) -> bool:
    """Every child ``in_two`` forked was waited for (other tests' children of this worker, such as a
    server a fixture started, do not count)."""
    for pid in forks:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        return False
    return True


def _count_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    monkeypatch.setattr(forked, "core_free", lambda: True)  # as on an idle machine
    # as in a fresh process: threads other tests of this worker left running, and its grown heap, not counted
    # (a thread started by the test itself still counts)
    real_count, here = threading.active_count, threading.active_count()
    monkeypatch.setattr(threading, "active_count", lambda: real_count() - here + 1)
    monkeypatch.setattr(forked, "resident_bytes", lambda: 200 << 20)
    forks: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return forks


def test_in_two_runs_the_second_half_in_a_child(monkeypatch: pytest.MonkeyPatch) -> None:
    forks = _count_forks(monkeypatch)
    parent = os.getpid()
    got = forked.in_two(lambda k: (k, os.getpid() == parent, list(range(k * 1000))))
    assert got == ((0, True, []), (1, False, list(range(1000))))  # work(1) ran elsewhere
    assert len(forks) == 1 and _no_child_left(forks)


def test_in_two_does_the_half_of_a_failed_child_here(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()

    def work(k: int) -> int:
        if os.getpid() != parent:
            os._exit(3)  # the child dies (killed, out of memory ...)
        return k * 10

    forks = _count_forks(monkeypatch)
    assert forked.in_two(work) == (0, 10)
    assert len(forks) == 1 and _no_child_left(forks)

    def unpicklable(k: int) -> object:
        return (lambda: k) if k else 0

    assert forked.in_two(unpicklable)[0] == 0  # the child could not write its result: redone here
    assert _no_child_left(forks)


def test_in_two_stops_the_child_when_this_half_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def work(k: int) -> int:
        if k == 0:
            raise ValueError("broken")
        threading.Event().wait(30)  # the child would run on
        return 1

    forks = _count_forks(monkeypatch)
    with pytest.raises(ValueError):
        forked.in_two(work)
    assert len(forks) == 1 and _no_child_left(forks)


def test_in_two_not_beside_another_thread_or_in_a_large_process(monkeypatch: pytest.MonkeyPatch) -> None:
    forks = _count_forks(monkeypatch)
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert forked.in_two(lambda k: k) == (0, 1)
    finally:
        stop.set()
        t.join()
    monkeypatch.setattr(forked, "MAX_RSS", 1)
    assert forked.in_two(lambda k: k) == (0, 1)
    assert forks == []


def test_no_child_when_no_core_is_free(monkeypatch: pytest.MonkeyPatch) -> None:
    forks = _count_forks(monkeypatch)
    monkeypatch.setattr(forked, "core_free", _real_core_free)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert forked.core_free()  # 64 cores: some are free (the count of running tasks is read)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert not forked.core_free()  # one core: this process has it
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(forked, "open", lambda *a, **k: (_ for _ in ()).throw(OSError()), raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.0, 1.0))  # the other core is busy
    assert not forked.core_free()
    assert forked.in_two(lambda k: k) == (0, 1) and forks == []
    monkeypatch.setattr(os, "getloadavg", lambda: (0.4, 1.0, 1.0))
    assert forked.core_free()


def test_clusters_built_in_two_are_the_clusters(monkeypatch: pytest.MonkeyPatch) -> None:
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    paths = sorted(str(p) for p in seeds.rglob("*") if p.suffix in (".txt", ".md", ".html", ".docx", ".jsonl"))
    s = Settings()
    c = analyse_paths(paths, s)
    m = match_units(c.table, s, words=c.unit_words)
    whole = cluster.build_clusters(c.documents, c.table, m, s, c.archive)
    assert len(whole) >= 4
    first = cluster.build_clusters(c.documents, c.table, m, s, c.archive, part=0)
    second = cluster.build_clusters(c.documents, c.table, m, s, c.archive, part=1)
    assert first and second and len(first) + len(second) == len(whole)
    forks = _count_forks(monkeypatch)
    monkeypatch.setattr(cluster, "IN_TWO_UNITS", 1)
    two = cluster.build_clusters_in_two(c.documents, c.table, m, s, c.archive)
    assert len(forks) == 1 and _no_child_left(forks)
    assert [x.to_dict() for x in two] == [x.to_dict() for x in whole]
    # and end to end: the scan is the same
    monkeypatch.setattr(cluster, "IN_TWO_UNITS", 10**9)
    want = scan(paths, s).to_dict()
    monkeypatch.setattr(cluster, "IN_TWO_UNITS", 1)
    got = scan(paths, s).to_dict()
    for d in (want, got):
        d["summary"].pop("seconds")
    assert got == want
