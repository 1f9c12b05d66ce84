"""What this installation can do: the optional capabilities, the core packages, and the install that fixes a gap.

One table for the concept (:data:`CAPABILITIES`), read by ``dedupe doctor``
and ``dedupe --version``, and one function, :func:`install_hint`, that every
"this needs an optional package" message uses.  dedupe is not published on
PyPI, so a hint never names ``dedupe-newsroom[extra]`` from an index: it
names the packages themselves (always installable), and the source this copy
was installed from when pip recorded one (PEP 610 ``direct_url.json``).

Headless: no terminal imports; probing imports only what it checks.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass

__all__ = ["CAPABILITIES", "CORE", "Capability", "Status", "core_status", "install_hint", "installed_from",
           "missing_core", "probe", "probe_all"]

DIST = "dedupe-newsroom"

#: The core packages: (import name, distribution name).  Missing one is an error, never a fallback.
CORE: tuple[tuple[str, str], ...] = (
    ("datasketch", "datasketch"), ("nltk", "nltk"), ("numpy", "numpy"), ("click", "click"),
    ("textual", "textual"), ("markdown_it", "markdown-it-py"), ("docx", "python-docx"),
)


@dataclass(frozen=True)
class Capability:
    """One optional capability: its name in ``dedupe doctor``, what it gives, the packages it needs
    and the ``pyproject`` extra that installs them (``None``: part of the core install)."""

    name: str
    what: str
    packages: tuple[str, ...]
    extra: str | None


#: Every optional capability, in the order ``dedupe doctor`` lists them.
CAPABILITIES: tuple[Capability, ...] = (
    Capability("kernels", "compiled kernels (C speed-ups of the hot loops, same results)", (), None),
    Capability("extraction", "main-content extraction of full site pages (trafilatura)",
               ("trafilatura", "lxml_html_clean"), None),
    Capability("semantic", "semantic model for restatements (wordllama)", ("wordllama",), "semantic"),
    Capability("spark", "Spark engine, --engine spark (pyspark + Java 17+)", ("pyspark",), "spark"),
    Capability("redis", "Redis client for redis:// indexes (redis-py)", ("redis",), None),
)

_BY_NAME = {c.name: c for c in CAPABILITIES}


@dataclass(frozen=True)
class Status:
    """A capability probed: present or not, a detail (versions, or why it is missing) and the fix."""

    capability: Capability
    present: bool
    detail: str
    fix: str | None = None


def installed_from() -> str | None:
    """Where pip installed this copy from (a local folder or a VCS URL), if it recorded it."""
    try:
        raw = importlib.metadata.distribution(DIST).read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        return None
    if not raw:
        return None
    try:
        info = json.loads(raw)
    except ValueError:
        return None
    url = info.get("url")
    if not isinstance(url, str):
        return None
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict) and isinstance(vcs.get("commit_id"), str):
        return f"git+{url}@{vcs['commit_id']}"
    if url.startswith("file://"):
        return url[len("file://"):]
    return url


def _pip() -> str:
    return f"{shlex.quote(sys.executable)} -m pip install"


def install_hint(packages: tuple[str, ...] | list[str], extra: str | None = None) -> str:
    """The command that installs ``packages`` into this Python, and the extra from the recorded source."""
    hint = f"{_pip()} {' '.join(shlex.quote(p) for p in packages)}"
    source = installed_from()
    if extra and source:
        if source.startswith("git+"):
            hint += f" (or: {_pip()} {shlex.quote(f'{DIST}[{extra}] @ {source}')})"
        else:
            hint += f" (or: {_pip()} {shlex.quote(f'{source}[{extra}]')})"
    return hint


def hint_for(name: str) -> str:
    """The install hint of the capability ``name`` (see :data:`CAPABILITIES`)."""
    cap = _BY_NAME[name]
    return install_hint(cap.packages, cap.extra)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _import_error(module: str) -> str | None:
    """Why ``module`` does not import (None: it imports)."""
    try:
        importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 - any failure is the reason shown
        return f"{type(exc).__name__}: {exc}"
    return None


def _kernels() -> Status:
    cap = _BY_NAME["kernels"]
    if os.environ.get("DEDUPE_PURE_PYTHON", "").strip() not in ("", "0"):
        return Status(cap, False, "off: DEDUPE_PURE_PYTHON is set (the pure-Python twins run, about 2.5x slower)",
                      "unset DEDUPE_PURE_PYTHON")
    why = _import_error("dedupe.kernels._speedups")
    if why is None:
        return Status(cap, True, "dedupe.kernels._speedups")
    return Status(cap, False, f"not built ({why}); the pure-Python twins run, about 2.5x slower",
                  "reinstall with a C compiler and the Python headers present (e.g. apt-get install gcc python3-dev), "
                  f"then {_pip()} --force-reinstall --no-deps {shlex.quote(installed_from() or '<dedupe checkout>')}")


def _extraction() -> Status:
    cap = _BY_NAME["extraction"]
    why = _import_error("trafilatura")
    if why is None:
        return Status(cap, True, f"trafilatura {_version('trafilatura')}, lxml_html_clean {_version('lxml_html_clean')}")
    return Status(cap, False, f"trafilatura does not import ({why}); full site pages are read whole, site chrome "
                  "included", install_hint(cap.packages))


def _semantic() -> Status:
    cap = _BY_NAME["semantic"]
    if importlib.util.find_spec("wordllama") is None:
        return Status(cap, False, "wordllama is not installed: restatements are off (dedupe review leaves them out)",
                      hint_for("semantic"))
    for module in ("safetensors", "tokenizers"):
        why = _import_error(module)
        if why is not None:
            return Status(cap, False, f"{module} does not import ({why})", install_hint(("wordllama",)))
    return Status(cap, True, f"wordllama {_version('wordllama')} (model shipped in its wheel, loaded offline)")


def _java() -> tuple[str | None, str]:
    """The ``java`` that Spark would start (JAVA_HOME first) and its version line, or None and why not."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        return None, "no java on PATH" + (" (JAVA_HOME does not hold bin/java)" if home else "")
    try:
        proc = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"{java} -version failed: {exc}"
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    return java, lines[0] if lines else "unknown version"


def _spark() -> Status:
    cap = _BY_NAME["spark"]
    if importlib.util.find_spec("pyspark") is None:
        return Status(cap, False, "pyspark is not installed", hint_for("spark") + "; Spark also needs Java 17+")
    java, line = _java()
    if java is None:
        return Status(cap, False, f"pyspark {_version('pyspark')}, but {line}",
                      "install Java 17+ (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)")
    return Status(cap, True, f"pyspark {_version('pyspark')}, {line}")


def _redis() -> Status:
    cap = _BY_NAME["redis"]
    why = _import_error("redis")
    if why is None:
        return Status(cap, True, f"redis-py {_version('redis')} (a Redis server is needed only for redis:// indexes)")
    return Status(cap, False, f"redis does not import ({why})", install_hint(cap.packages))


_PROBES = {"kernels": _kernels, "extraction": _extraction, "semantic": _semantic, "spark": _spark, "redis": _redis}


def probe(name: str) -> Status:
    """Probe the capability ``name`` (imports what it checks; Spark runs ``java -version``)."""
    return _PROBES[name]()


def probe_all() -> list[Status]:
    return [probe(c.name) for c in CAPABILITIES]


def core_status() -> list[tuple[str, str | None, str]]:
    """Each core package: (distribution, version or None when it does not import, the reason)."""
    out: list[tuple[str, str | None, str]] = []
    for module, dist in CORE:
        why = _import_error(module)
        out.append((dist, None if why else _version(dist), why or ""))
    return out


def missing_core(module: str | None) -> str | None:
    """The distribution of a core package whose import name is (or is under) ``module``, else None."""
    if not module:
        return None
    top = module.split(".")[0]
    for mod, dist in CORE:
        if top == mod or module == mod or module.startswith(mod + "."):
            return dist
    return None
