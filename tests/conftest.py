"""Shared fixtures: paths to the repo's seeds and the shared Reuters corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SEED = SEEDS / "000_f6852705ebf30c58.txt"
SHARED = Path(os.environ.get("DEDUPE_SHARED", REPO.parent / "shared"))
REUTERS = SHARED / "corpora" / "reuters21578" / "reuters21578.jsonl.gz"


@pytest.fixture
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def reuters_path() -> Path:
    """The shared Reuters corpus; tests that need it fail (not skip) in CI when it is missing."""
    if not REUTERS.exists():
        if os.environ.get("CI"):
            pytest.fail(f"shared corpus missing: {REUTERS}")
        pytest.skip(f"shared corpus not present at {REUTERS}")
    return REUTERS


@pytest.fixture
def in_repo(monkeypatch) -> Path:
    """Run the test from the repository's root (the review tests open ``seeds``)."""
    monkeypatch.chdir(REPO)
    return REPO
