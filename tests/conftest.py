"""Shared fixtures: paths to the repo's seeds and the shared Reuters corpus."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SEED = SEEDS / "000_f6852705ebf30c58.txt"
SHARED = Path(os.environ.get("DEDUPE_SHARED", REPO.parent / "shared"))
REUTERS = SHARED / "corpora" / "reuters21578" / "reuters21578.jsonl.gz"


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory) -> None:
    """The runs of the suite remember Redis Cluster nodes in a cache folder of their own, not the user's
    (dedupe/index/redis/connection.py); subprocesses inherit it."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


@pytest.fixture
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def reuters_path() -> Path:
    """The shared Reuters corpus; tests that need it fail (never skip) when it is missing."""
    if not REUTERS.exists():
        pytest.fail(f"shared corpus missing: {REUTERS} (set DEDUPE_SHARED to the folder holding corpora/)")
    return REUTERS


@pytest.fixture
def in_repo(monkeypatch) -> Path:
    """Run the test from the repository's root (the review tests open ``seeds``)."""
    monkeypatch.chdir(REPO)
    return REPO


_MODULE_MARKS = {
    "test_index_redis": ("redis", "slow"),
    "test_index_redis_faults": ("redis", "slow"),
    "test_tui": ("tui",),
    "test_tui_index": ("tui",),
    "test_tui_review": ("tui",),
    "test_tui_snapshots": ("tui",),
    "test_tui_terminal": ("tui", "slow"),
    "test_recall": ("corpus", "slow"),
    "test_spark": ("slow",),
    "test_spark_index": ("slow",),
    "test_ci_recipes": ("slow",),
}


# The longest modules run first: with the suite spread over the cores a module at a time (make test),
# one worker takes them while the others share the rest, instead of one starting them last.
_LONGEST_FIRST = ("test_spark", "test_install", "test_spark_index", "test_index_redis_faults", "test_hostile")


def _module(item) -> str:
    return item.module.__name__.rsplit(".", 1)[-1] if item.module else ""


def pytest_collection_modifyitems(config, items) -> None:
    """Markers by what a test needs: ``redis``, ``tui``, ``corpus`` (the shared Reuters export), ``slow``;
    the longest modules first (a stable sort: the order within a module is kept)."""
    for item in items:
        for name in _MODULE_MARKS.get(_module(item), ()):
            item.add_marker(name)
        if "reuters_path" in getattr(item, "fixturenames", ()):
            item.add_marker("corpus")
    rank = {m: k for k, m in enumerate(_LONGEST_FIRST)}
    items.sort(key=lambda it: rank.get(_module(it), len(rank)))


@pytest.fixture(scope="module")
def server():
    """A real ``redis-server`` on a free loopback port, for a test module (it fails when none is installed)."""
    from redis_servers import RedisServer

    s = RedisServer()
    yield s
    s.stop()


@pytest.fixture
def url(server, request) -> str:
    """A Redis URL on ``server`` with a database of the test's own, emptied first."""
    db = 1 + (abs(hash(request.node.name)) % 14)
    server.client(db).flushdb()
    return f"{server.url}/{db}"


@pytest.fixture(scope="module")
def spark():
    """A real SparkSession on local[2] for one test module (Java is installed by make deps), stopped after it."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # every socket of the driver on loopback
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("dedupe-tests")
               .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2").config("spark.default.parallelism", "2")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
