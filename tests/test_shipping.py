"""Worker results through shared memory (dedupe.engine.shipping): same results, nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from dedupe.config import Settings
from dedupe.engine import parallel, shipping
from dedupe.index import add_paths, open_index
from tests.helpers import make_archive


def ours() -> list[str]:
    return [n for n in os.listdir(shipping.SHM) if n.startswith(f"{shipping.PREFIX}{os.getpid()}-")]


def test_large_result_goes_through_a_file_and_comes_back_equal():
    rng = np.random.default_rng(1)
    big = {"keys": rng.integers(0, 2**63, 300_000, dtype=np.uint64), "rows": np.arange(7, dtype=np.uint32),
           "empty": np.zeros(0, dtype=np.uint64), "text": "Psaki said [x]", "blob": b"\0" * 10}
    with shipping.shipping_folder() as folder:
        assert folder is not None and os.path.dirname(folder) == shipping.SHM
        sent = shipping.ship(big, folder)
        assert isinstance(sent, shipping.Shipped) and len(sent.head) < 10_000
        assert os.listdir(folder) == [os.path.basename(sent.path)]
        got = shipping.unship(sent)
        assert os.listdir(folder) == []  # read once, then deleted
        assert np.array_equal(got["keys"], big["keys"]) and got["keys"].dtype == np.uint64
        assert np.array_equal(got["rows"], big["rows"]) and len(got["empty"]) == 0
        assert got["text"] == big["text"] and got["blob"] == big["blob"]
        got["keys"][0] = 5  # memory of its own, writable
    assert ours() == []


def test_small_results_and_no_folder_go_through_the_pipe():
    small = {"keys": np.arange(10, dtype=np.uint64)}
    with shipping.shipping_folder() as folder:
        assert shipping.ship(small, folder) is small
        assert os.listdir(folder) == []
    big = np.zeros(1 << 20, dtype=np.uint8)
    assert shipping.ship(big, None) is big
    assert shipping.unship(big) is big


def test_folder_removed_after_an_error_and_a_killed_process_s_folder_swept():
    with pytest.raises(RuntimeError):
        with shipping.shipping_folder() as folder:
            shipping.ship(np.zeros(1 << 21, dtype=np.uint8), folder)
            raise RuntimeError("worker failed")
    assert ours() == []
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    left = os.path.join(shipping.SHM, f"{shipping.PREFIX}{dead}-abc")
    os.makedirs(left)
    open(os.path.join(left, "tmp1"), "wb").write(b"x" * 100)
    alive = os.path.join(shipping.SHM, f"{shipping.PREFIX}{os.getppid()}-abc")  # a live process's: kept
    os.makedirs(alive, exist_ok=True)
    try:
        with shipping.shipping_folder():
            pass
        assert not os.path.exists(left) and os.path.isdir(alive)
    finally:
        os.rmdir(alive)


def test_index_add_through_worker_pool_and_shared_memory_equals_one_process(tmp_path, monkeypatch):
    """900 files in tasks of 100 over two forked workers, every batch shipped: the same index."""
    monkeypatch.chdir(tmp_path)
    make_archive(tmp_path / "a", 900, seed=9)
    monkeypatch.setattr(parallel, "FILES_PER_TASK", 100)
    monkeypatch.setattr(shipping, "SHIP_MIN", 0)
    shipped = []
    real = shipping.unship
    monkeypatch.setattr(shipping, "unship", lambda r: shipped.append(isinstance(r, shipping.Shipped)) or real(r))
    for name, jobs in (("one", 1), ("two", 2)):
        with open_index(name, create=True) as ix:
            add_paths(ix, ["a"], Settings(jobs=jobs))
    assert shipped == [True] * 9  # one process: nothing shipped; the pool: every part

    def content(name):
        with open_index(name) as ix:
            units = ix.db.execute("SELECT a.id, u.first, u.n, u.data FROM units u JOIN articles a "
                                  "ON a.num = u.article ORDER BY a.id").fetchall()
            files = ix._keyfiles()
            return units, [(kf.keys.copy(), kf.units.copy()) for kf in files]

    (ua, ka), (ub, kb) = content("one"), content("two")
    assert ua == ub and len(ua) == 900
    assert len(ka) == len(kb) == 1 and all(np.array_equal(x, y) for x, y in zip(ka[0], kb[0]))
    assert ours() == []
