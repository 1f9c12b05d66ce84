"""What the code imports is declared in pyproject.toml, and constraints.txt pins every declared package
(with a version the declaration accepts), so `make` and the README's constrained install agree."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def declared() -> dict[str, list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    out = {"": [Requirement(r) for r in project["dependencies"]]}
    for extra, reqs in project["optional-dependencies"].items():
        out[extra] = [Requirement(r) for r in reqs]
    return out


def imported_top_level() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "dedupe").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "dedupe"}


def test_every_imported_package_is_declared():
    runtime = {canonicalize_name(r.name) for extra, reqs in declared().items() if extra != "test" for r in reqs}
    owners = md.packages_distributions()
    missing = []
    for module in sorted(imported_top_level()):
        dists = {canonicalize_name(d) for d in owners.get(module, [module])}
        if not dists & runtime:
            missing.append(f"{module} ({', '.join(sorted(dists))})")
    assert not missing, f"imported by dedupe/ but not declared in pyproject.toml (core or an extra): {missing}"


def test_lxml_html_clean_is_a_direct_dependency():
    """pip < 23.3 skips justext's lxml[html_clean] extra: trafilatura then does not import."""
    assert "lxml-html-clean" in {canonicalize_name(r.name) for r in declared()[""]}


def test_constraints_pin_every_declared_package():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text("utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)$", line.strip())
        if m:
            pins[canonicalize_name(m.group(1))] = m.group(2)
    assert "dedupe-newsroom" not in pins
    problems = []
    for extra, reqs in declared().items():
        for r in reqs:
            name = canonicalize_name(r.name)
            if name not in pins:
                problems.append(f"{r.name} ({extra or 'core'}) is not pinned")
            elif not r.specifier.contains(pins[name], prereleases=True):
                problems.append(f"{r.name}=={pins[name]} does not satisfy {r}")
    assert not problems, problems + ["regenerate with: make constraints"]
