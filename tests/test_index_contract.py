"""The archive index contract: an ABC with public abstract methods, transactions as context managers,
and nothing outside a backend calling its private methods."""

from __future__ import annotations

import ast
import contextlib
import inspect
from pathlib import Path

import pytest

import dedupe.errors as errors
from dedupe.config import Settings
from dedupe.index import add_paths, open_index
from dedupe.index.base import ArchiveIndex
from dedupe.index.embedded import EmbeddedIndex
from dedupe.index.redis import RedisIndex

PKG = Path(__file__).resolve().parent.parent / "dedupe"


def test_the_contract_is_abstract_and_public():
    with pytest.raises(TypeError):
        ArchiveIndex()  # type: ignore[abstract]
    abstract = ArchiveIndex.__abstractmethods__
    assert {"candidate_units", "fetch", "set_meta", "transaction", "write", "flush", "stats"} <= abstract
    assert not [m for m in abstract if m.startswith("_")]
    for backend in (EmbeddedIndex, RedisIndex):
        assert not backend.__abstractmethods__, backend


def test_a_backend_missing_a_method_cannot_be_made():
    class Half(ArchiveIndex):  # every method but fetch
        locals().update({m: (lambda self, *a, **k: None) for m in ArchiveIndex.__abstractmethods__ if m != "fetch"})

    with pytest.raises(TypeError, match="fetch"):
        Half()  # type: ignore[abstract]


def test_no_method_of_the_contract_raises_not_implemented():
    src = inspect.getsource(ArchiveIndex)
    assert "NotImplementedError" not in src


def test_transactions_are_context_managers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("The council approved the budget for the new bridge on Tuesday night.\n")
    with open_index("ix", create=True) as ix:
        add_paths(ix, ["a.txt"], Settings())
        tx = ix.transaction()
        assert isinstance(tx, contextlib.AbstractContextManager)
        with pytest.raises(RuntimeError, match="boom"), tx:
            ix.set_meta(note="not kept")
            raise RuntimeError("boom")
    with open_index("ix") as ix:
        assert "note" not in ix.meta  # rolled back
        with ix.transaction():
            ix.set_meta(note="kept")
    with open_index("ix") as ix:
        assert ix.meta["note"] == "kept"


def test_no_backend_nests_a_transaction_class():
    for p in (PKG / "index").rglob("*.py"):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            assert not [n.name for n in cls.body if isinstance(n, ast.ClassDef)], f"nested class in {p}"


def test_the_index_package_calls_no_private_method_of_an_index():
    """dedupe/index/__init__.py (and every module outside a backend's package) uses the public contract."""
    outside = [PKG / "index" / "__init__.py", PKG / "index" / "spark_add.py", PKG / "api.py",
               *(PKG / "cli").rglob("*.py")]
    for p in outside:
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ix":
                assert not node.attr.startswith("_"), f"{p.name} calls ix.{node.attr}"


def test_the_error_name_does_not_read_like_a_builtin():
    assert errors.ArchiveIndexError.__name__ == "ArchiveIndexError"
    assert issubclass(errors.ArchiveIndexError, errors.DedupeError)
    for p in PKG.rglob("*.py"):
        if p.name != "errors.py":
            assert "IndexError_" not in p.read_text(encoding="utf-8"), p
