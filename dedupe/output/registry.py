"""Every output format, in one registry: the only list of format names.

``render(result, fmt, **options)`` returns the text to print or write, for
any format below, with nothing to import first.  A format renders a
:class:`~dedupe.check.rules.CheckResult` (what ``dedupe check`` prints); a
:class:`~dedupe.findings.ScanResult` is rendered by the format's own scan
renderer when it has one (``text``, ``json``: what ``dedupe scan`` offers),
else evaluated with the default policy first.  No terminal-UI library is
imported here.

Everything else reads this table: the ``--format`` choices of ``dedupe scan``
and ``dedupe check`` (and their help), the ``format`` key of the
configuration file (checked by :func:`check_config_format`), the command
reference.  To add a format: one :class:`Format` entry below plus its
renderer (see docs/tables.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from dedupe.check.rules import CheckResult, evaluate
from dedupe.errors import ConfigError
from dedupe.findings import ScanResult
from dedupe.output import ci, json_format, text
from dedupe.output.sanitize import defuse_commands, json_safe, neutralize

__all__ = ["GUARDS", "FORMATS", "SCAN_FORMATS", "CHECK_FORMATS", "Format", "render", "render_stream", "check_config_format"]

Renderer = Callable[..., str]


@dataclass(frozen=True)
class Format:
    """An output format: its name, what it is for, and how it renders.

    ``check``: renders a :class:`CheckResult` (offered by ``dedupe check
    --format``), or None.  ``scan``: renders a :class:`ScanResult` directly
    (offered by ``dedupe scan --format``), or None.
    """

    name: str
    description: str
    check: Renderer | None
    scan: Renderer | None = None
    #: Renders a :class:`ScanResult` in chunks as they are produced (a large result is never one string).
    scan_stream: Callable[..., Iterator[str]] | None = None
    #: The format's consumer, which decides the last guard every rendered chunk passes (:data:`GUARDS`).
    consumer: str = "log"


def _log_guard(chunk: str) -> str:
    """Markdown and JUnit XML: no raw control or bidi character (line breaks kept), no line a CI runner
    would read as a workflow command."""
    return defuse_commands(neutralize(chunk, keep_newlines=True))


def _workflow_guard(chunk: str) -> str:
    """GitHub workflow commands: as :func:`_log_guard`, keeping the format's own commands (column 0)."""
    return defuse_commands(neutralize(chunk, keep_newlines=True), keep_commands=True)


#: The one neutralising path per consumer, applied to everything a format renders, whatever its renderer
#: escaped already: ``json`` writes unsafe characters as ``\uXXXX`` escapes (the same JSON value);
#: ``log`` (Markdown, JUnit XML) shows them as visible escapes and defuses lines starting ``::``;
#: ``workflow`` (``github``) the same, keeping its own commands; ``terminal`` (text) is neutralised by its
#: renderer, which alone may add colour codes (``--color``), and gets no line starting ``::``.
GUARDS: dict[str, Callable[[str], str]] = {"json": json_safe, "log": _log_guard, "workflow": _workflow_guard,
                                           "terminal": defuse_commands}


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("text", "Findings for people at a terminal (colour with --color).", ci.render_text, text.render_text,
           consumer="terminal"),
    Format("github", "GitHub Actions workflow commands (annotations) and a step summary.", ci.render_github,
           consumer="workflow"),
    Format("sarif", "SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.", ci.render_sarif,
           consumer="json"),
    Format("junit", "JUnit XML: one test case per article.", ci.render_junit),
    Format("gitlab", "GitLab Code Quality report (JSON array).", ci.render_gitlab, consumer="json"),
    Format("rdjsonl", "reviewdog diagnostics, one JSON object per line.", ci.render_rdjsonl, consumer="json"),
    Format("json", "The documented machine schema (version 1).", ci.render_json,
           lambda result, **_: json_format.render_json(result), lambda result, **_: json_format.iter_json(result),
           consumer="json"),
    Format("markdown", "A Markdown summary (pull-request comments, step summaries).", ci.render_markdown),
)}

#: ``dedupe scan --format`` choices.
SCAN_FORMATS: tuple[str, ...] = tuple(n for n, f in FORMATS.items() if f.scan is not None)
#: ``dedupe check --format`` choices and the ``format`` key of the configuration.
CHECK_FORMATS: tuple[str, ...] = tuple(n for n, f in FORMATS.items() if f.check is not None)

_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


def _get(fmt: str, names: tuple[str, ...]) -> Format:
    if fmt not in names:
        raise ValueError(f"unknown format {fmt!r} (formats: {', '.join(names)})")
    return FORMATS[fmt]


def render(result: ScanResult | CheckResult, fmt: str, **options: Any) -> str:
    """Render ``result`` in format ``fmt`` (see :data:`FORMATS`)."""
    f = _get(fmt, tuple(FORMATS))
    if isinstance(result, ScanResult) and f.scan is not None:
        return GUARDS[f.consumer](f.scan(result, **options))
    return render_check(result, fmt, **options)


def render_stream(result: ScanResult | CheckResult, fmt: str, **options: Any) -> Iterator[str]:
    """:func:`render` in chunks, written as they are produced where the format can (``json``)."""
    f = _get(fmt, tuple(FORMATS))
    if isinstance(result, ScanResult) and f.scan_stream is not None:
        guard = GUARDS[f.consumer]
        for chunk in f.scan_stream(result, **options):
            yield guard(chunk)
    else:
        yield render(result, fmt, **options)


def render_check(result: ScanResult | CheckResult, fmt: str, **options: Any) -> str:
    """Render a :class:`CheckResult` (or a ScanResult, with the default policy) as ``fmt``."""
    f = _get(fmt, CHECK_FORMATS)
    assert f.check is not None
    cr = result if isinstance(result, CheckResult) else evaluate(result)
    # text read with lone surrogates (broken CMS exports) cannot be written as UTF-8: U+FFFD instead
    return GUARDS[f.consumer](_SURROGATE_RE.sub("\ufffd", f.check(cr, **options)))


def check_config_format(value: object, source: str) -> None:
    """The configuration's ``format`` key names a check format, or a :class:`ConfigError` naming the file."""
    if value is not None and value not in CHECK_FORMATS:
        raise ConfigError(f"format: expected one of {', '.join(CHECK_FORMATS)}, got {value!r}", source)
