"""The package's import graph: no cycles (lazy imports count), no private names imported across modules.

Runs the same analysis as ``../shared/tools/import_graph.py`` (kept here so the check does not depend on
``../shared``), and checks the layering rule: the engine never imports the archive index.
"""

from __future__ import annotations

import ast
import collections
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "dedupe"


def _modules() -> dict[str, Path]:
    mods = {}
    for p in PKG.rglob("*.py"):
        rel = p.relative_to(PKG.parent).with_suffix("")
        name = ".".join(rel.parts)
        mods[name.removesuffix(".__init__")] = p
    return mods


def _graph() -> tuple[dict[str, set[str]], list[str]]:
    mods = _modules()
    edges: dict[str, set[str]] = collections.defaultdict(set)
    private: list[str] = []
    for m, p in mods.items():
        pkg = m if p.name == "__init__.py" else m.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                if not base.startswith("dedupe"):
                    continue
                for a in node.names:
                    full = f"{base}.{a.name}"
                    tgt = full if full in mods else base
                    if tgt in mods and tgt != m:
                        edges[m].add(tgt)
                    compiled = (PKG.parent / Path(*full.split("."))).with_suffix(".c").exists()
                    if a.name.startswith("_") and not a.name.startswith("__") and full not in mods and not compiled:
                        private.append(f"{m} imports {full}")
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in mods and a.name != m:
                        edges[m].add(a.name)
    return edges, private


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if _modules_cache[v].name == "__init__.py" and w.rsplit(".", 1)[0] == v:
                continue  # a package re-exporting its children is not a cycle
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(_modules_cache):
        if v not in index:
            visit(v)
    return out


_modules_cache = _modules()


def test_no_import_cycles():
    edges, _ = _graph()
    assert _cycles(edges) == []


def test_no_private_names_across_modules():
    _, private = _graph()
    assert private == []


def test_engine_and_text_layers_never_import_the_index_or_front_ends():
    edges, _ = _graph()
    low_layers = ("dedupe.engine", "dedupe.sketch", "dedupe.text", "dedupe.readers", "dedupe.kernels")
    for m, targets in edges.items():
        if m.startswith(low_layers):
            bad = [t for t in targets if t.startswith(("dedupe.index", "dedupe.cli", "dedupe.tui", "dedupe.api"))]
            assert not bad, f"{m} imports {bad}"
