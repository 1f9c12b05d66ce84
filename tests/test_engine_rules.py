"""The engines share one implementation of each matching rule: the Spark engine and the archive index use
the embedded engine's functions themselves (the same objects, not equal copies), so a change to matching
cannot be made in one engine and missed in another."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

import dedupe.engine.spark as spark
import dedupe.index.base as index_base
import dedupe.index.embedded.index as embedded
import dedupe.index.redis.index as redis_index
from dedupe.config import Settings
from dedupe.engine import match, pipeline
from dedupe.sketch import lsh, verify

PKG = Path(__file__).resolve().parent.parent / "dedupe"

#: rule -> the one module that defines it
OWNERS = {
    "band_keys": lsh,
    "form_keys": match,
    "min_contained": match,
    "containment_floor": match,
    "accepts": verify,
    "document_info": pipeline,
    "scan_stats": pipeline,
    "scan_result": pipeline,
}


def test_the_spark_engine_uses_the_embedded_engines_rule_functions():
    for name in ("band_keys", "form_keys", "min_contained", "containment_floor", "accepts", "document_info",
                 "scan_stats", "scan_result"):
        assert getattr(spark, name) is getattr(OWNERS[name], name), name


def test_the_index_uses_the_engines_band_keys_and_containment_size():
    assert index_base.band_keys is lsh.band_keys
    assert index_base.min_contained is match.min_contained


def _defined_functions() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in OWNERS:
                out.setdefault(node.name, []).append(str(p.relative_to(PKG.parent)))
    return out


def test_each_rule_is_defined_once_in_the_package():
    found = _defined_functions()
    for name, owner in OWNERS.items():
        assert found.get(name) == [owner.__name__.replace(".", "/") + ".py"], (name, found.get(name))


def test_rule_constants_and_formulas_are_written_once():
    """The form-key mix constant and the containment size formula appear only in engine/match.py (a
    copy elsewhere would be a rule that can drift)."""
    needles = ("0xA24BAED4963EE407", "min_words - settings.ngram")
    for p in PKG.rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        for needle in needles:
            if needle.lower() in text.lower():
                assert p == PKG / "engine" / "match.py", f"{needle} copied in {p}"


def test_the_backends_fold_band_keys_with_the_engines_function():
    for mod in (embedded, redis_index):
        src = Path(mod.__file__).read_text(encoding="utf-8")
        assert "from dedupe.sketch.lsh import band_keys" in src, mod.__name__


def test_band_keys_are_the_keys_candidate_pairs_bands_by():
    """Two signatures sharing exactly band 2 have equal band-2 keys and are a candidate pair; nothing else."""
    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 2**32, size=(2, 32), dtype=np.uint32)
    sigs[1, 8:12] = sigs[0, 8:12]
    keys = lsh.band_keys(sigs, 8, 4)
    assert keys.shape == (2, 8) and keys.dtype == np.uint64
    assert [bool(keys[0, k] == keys[1, k]) for k in range(8)] == [k == 2 for k in range(8)]
    assert lsh.candidate_pairs(sigs, 8, 4).tolist() == [[0, 1]]


def test_min_contained_and_accepts():
    s = Settings()
    assert match.min_contained(s) == max(1, s.min_words - s.ngram + 1)
    assert bool(verify.accepts(0.7, 0.0, 10, 0.7, 2.0, 5))  # Jaccard alone
    assert not verify.accepts(0.5, 0.9, 4, 0.7, 0.8, 5)  # contained, but the smaller set is too small
    assert bool(verify.accepts(0.5, 0.9, 5, 0.7, 0.8, 5))
    flags = verify.accepts(np.array([0.7, 0.5]), np.array([0.0, 0.9]), np.array([10, 5]), 0.7, 0.8, 5)
    assert flags.tolist() == [True, True]
