"""Every output format, in one registry.

``render(result, fmt, **options)`` returns the text to print or write, for
any format below, with nothing to import first.  A format renders a
:class:`~dedupe.findings.ScanResult` (CI formats evaluate it with the default
policy) or, from ``dedupe check``, a :class:`~dedupe.check.rules.CheckResult`.
No terminal-UI library is imported here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dedupe.findings import ScanResult
from dedupe.output import ci, json_format, text


@dataclass(frozen=True)
class Format:
    """An output format: its name, what it is for, and how it renders."""

    name: str
    description: str
    render: Callable[..., str]
    scan: bool  # offered by ``dedupe scan --format``
    check: bool  # offered by ``dedupe check --format``


def _ci(name: str) -> Callable[..., str]:
    def render(result: Any, **options: Any) -> str:
        return ci.render_ci(result, name, **options)

    return render


def _text(result: Any, **options: Any) -> str:
    if isinstance(result, ScanResult):
        return text.render_text(result, **options)
    return ci.render_ci(result, "text", **options)


def _json(result: Any, **options: Any) -> str:
    if isinstance(result, ScanResult):
        return json_format.render_json(result)
    return ci.render_ci(result, "json")


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("text", "Findings for people at a terminal (colour with --color).", _text, True, True),
    Format("json", "The documented machine schema (version 1).", _json, True, True),
    Format("github", "GitHub Actions workflow commands (annotations) and a step summary.", _ci("github"), False, True),
    Format("sarif", "SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.", _ci("sarif"), False, True),
    Format("junit", "JUnit XML: one test case per article.", _ci("junit"), False, True),
    Format("gitlab", "GitLab Code Quality report (JSON array).", _ci("gitlab"), False, True),
    Format("rdjsonl", "reviewdog diagnostics, one JSON object per line.", _ci("rdjsonl"), False, True),
    Format("markdown", "A Markdown summary (pull-request comments, step summaries).", _ci("markdown"), False, True),
)}

SCAN_FORMATS = tuple(n for n, f in FORMATS.items() if f.scan)
CHECK_FORMATS = tuple(n for n, f in FORMATS.items() if f.check)


def render(result: Any, fmt: str, **options: Any) -> str:
    """Render ``result`` in format ``fmt`` (see :data:`FORMATS`)."""
    try:
        f = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})") from None
    return f.render(result, **options)
