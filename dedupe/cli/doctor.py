"""``dedupe doctor``: what this installation can do, and why a part is missing (``dedupe --version``: its first lines).

The capabilities and their probes live in :mod:`dedupe.capabilities`; this
module only renders them.  ``--version`` probes nothing (no imports of the
optional parts, no ``java -version``): it is the version line at once.
"""

from __future__ import annotations

import json
import platform
import sys
from typing import Any

import click

from dedupe import __version__
from dedupe.capabilities import CAPABILITIES, Status, core_status, installed_from, probe_all
from dedupe.cli.common import emit, error

_NAMES = [c.name for c in CAPABILITIES]


def version_lines() -> list[str]:
    """What ``dedupe --version`` and the head of ``dedupe doctor`` say: the version, Python, the source."""
    lines = [f"dedupe {__version__}, Python {platform.python_version()} ({sys.executable})"]
    source = installed_from()
    if source:
        lines.append(f"installed from {source}")
    return lines


def report(statuses: list[Status], core: list[tuple[str, str | None, str]]) -> str:
    """The text ``dedupe doctor`` prints."""
    lines = version_lines()
    ok = [f"{d} {v}" for d, v, _ in core if v is not None]
    lines.append("core: " + ", ".join(ok))
    for dist, version, why in core:
        if version is None:
            lines.append(f"  MISSING core package {dist}: {why}")
    width = max(len(n) for n in _NAMES)
    for s in statuses:
        mark = "yes" if s.present else "no "
        lines.append(f"  {mark}  {s.capability.name:<{width}}  {s.capability.what}: {s.detail}")
        if not s.present and s.fix:
            lines.append(f"       {'':<{width}}  fix: {s.fix}")
    return "\n".join(lines) + "\n"


def _as_json(statuses: list[Status], core: list[tuple[str, str | None, str]]) -> dict[str, Any]:
    return {
        "version": __version__, "python": platform.python_version(), "executable": sys.executable,
        "installed_from": installed_from(),
        "core": [{"package": d, "version": v, "error": why or None} for d, v, why in core],
        "capabilities": [{"name": s.capability.name, "what": s.capability.what, "present": s.present,
                          "detail": s.detail, "fix": s.fix} for s in statuses],
    }


@click.command("doctor")
@click.option("--require", "required", multiple=True, type=click.Choice(_NAMES),
              help="Exit 1 unless this capability is present (repeatable), e.g. in CI after an install.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
def doctor(required: tuple[str, ...], fmt: str) -> None:
    """Show what this installation can do: core packages, compiled kernels, main-content extraction,
    the semantic model, Spark, the Redis client; for a missing part, why and the install that fixes it.

    Exit 1 when a core package is missing or a --require'd capability is not present.
    """
    statuses = probe_all()
    core = core_status()
    if fmt == "json":
        emit(json.dumps(_as_json(statuses, core), indent=2) + "\n", None)
    else:
        emit(report(statuses, core), None)
    missing = [s.capability.name for s in statuses if s.capability.name in required and not s.present]
    broken = [d for d, v, _ in core if v is None]
    if missing or broken:
        what = ", ".join([f"core package {d}" for d in broken] + missing)
        error(f"missing: {what}")
        sys.exit(1)


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    emit("\n".join(version_lines()) + "\n", None)
    ctx.exit(0)


def version_option(f: Any) -> Any:
    """``--version``: the version line (the capabilities are ``dedupe doctor``'s)."""
    return click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
                        help="Show the version and exit (dedupe doctor: what the install can do).")(f)
