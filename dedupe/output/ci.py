"""The renderers of the CI formats (the format names and their renderers are
listed once, in :mod:`dedupe.output.registry`).

Every renderer takes a :class:`dedupe.check.rules.CheckResult`
(:func:`dedupe.output.registry.render` also accepts a plain
:class:`~dedupe.findings.ScanResult`, evaluated with the default policy and
no baseline).

What is reported: findings that the baseline does not cover (``new`` and
``grown``), at every enabled severity; baselined ones are only counted.  One
annotation per copy in a checked file: each copy points at the other copy
("This quote repeats the quote at line 7"), so a reviewer sees the problem
wherever they look in the diff, and fixing either copy clears both.  Copies
in the archive (``--against``) or, with ``--changed-since``, in unchanged
files are not annotated but are named in the message and as related
locations.

Output is bounded (:class:`dedupe.check.rules.Caps`): at most ``max_copies``
other copies are named per message and listed as related locations; at most
``max_annotations`` annotations of each severity per format (GitHub shows 10
errors and 10 warnings per step); SARIF stays within GitHub code scanning's
limits (25,000 results per run, 1,000 locations per result, 10 MB gzipped) and
the step summary within 1 MiB.  What is cut is counted in the output itself
and in ``CheckResult.cut`` (the summary line); the exit code is computed from
every finding.

Input errors (a missing path, an unreadable file, no input found) are part
of every format, so an output file written by a failed run never looks
clean: SARIF ``executionSuccessful: false`` with a notification per error,
JUnit ``<error>`` test cases, a blocker issue in GitLab Code Quality, an
``ERROR`` diagnostic in rdjsonl, an ``::error`` command in ``github``.

Article text is escaped for each format: workflow-command escaping for
``github``, XML escaping (and removal of characters XML 1.0 forbids) for
``junit``, JSON for ``sarif``/``gitlab``/``rdjsonl``/``json``, HTML entities
and Markdown escapes for ``markdown``.  Control characters are removed from
article text everywhere.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from dedupe import __version__
from dedupe.check.rules import (
    RULE_INFO,
    CheckResult,
    Finding,
    message,
    record_suffix,
    snippet,
)
from dedupe.findings import Cluster, Member
from dedupe.output.sanitize import defuse_mentions

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

#: Annotations of each severity one format writes unless ``--max-annotations`` says otherwise.
DEFAULT_MAX_ANNOTATIONS = {"github": 10, "sarif": 5000}
DEFAULT_MAX_ANNOTATIONS_OTHER = 1000
#: GitHub code scanning's limits for one SARIF upload.
SARIF_MAX_RESULTS = 5_000  # results per run that code scanning keeps (it takes 25,000, stores 5,000)
#: The longest pull-request or issue comment GitHub takes (characters): ``--format markdown`` stays within it.
COMMENT_MAX_CHARS = 65_536
SARIF_MAX_LOCATIONS = 1_000
SARIF_MAX_GZIP_BYTES = 10 * 1000 * 1000
#: ``$GITHUB_STEP_SUMMARY`` holds at most 1 MiB per step.
STEP_SUMMARY_MAX_BYTES = 1024 * 1024

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")

_RULES_DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "check", "rules.md")


def docs_uri() -> str:
    """Where the rules are documented: ``$DEDUPE_DOCS_URL`` when set (the GitHub
    Action points it at ``dedupe/check/rules.md`` in the action's own
    repository), else the copy of that page installed with dedupe
    (a ``file:`` URI that resolves on the machine that ran the check)."""
    env = os.environ.get("DEDUPE_DOCS_URL", "").strip()
    if env:
        return env
    p = _RULES_DOC.replace(os.sep, "/")
    return "file://" + quote(p if p.startswith("/") else "/" + p, safe="/:")


def help_uri(rule_id: str) -> str:
    """The documentation of rule ``rule_id`` (an anchor in :func:`docs_uri`)."""
    return f"{docs_uri()}#{rule_id.lower()}"


def _web(uri: str) -> str | None:
    return uri if uri.startswith(("https://", "http://")) else None


def clean(text: str) -> str:
    """``text`` without control and direction-override characters (tabs and newlines kept)."""
    return _CONTROL_RE.sub("", text)


def display_path(path: str) -> str:
    """A path as CI tools want it: relative to the root of the repository the
    command runs in (wherever in it), else to the working directory when
    inside it, with forward slashes (and ``./`` before a name starting with
    ``::``, which would be a workflow command at the start of a line)."""
    p = path
    root = _repository_root(os.getcwd())
    if p and (os.path.isabs(p) or root is not None):
        full = os.path.abspath(p)
        for base in (root, os.getcwd()):
            if base is None:
                continue
            rel = os.path.relpath(full, base)
            if not rel.startswith(".."):
                p = rel
                break
    p = os.path.normpath(p) if p else p
    p = p.replace(os.sep, "/")
    return "./" + p if p.startswith("::") else p


@functools.lru_cache(maxsize=8)
def _repository_root(cwd: str) -> str | None:
    from dedupe.readers.walk import repository_root

    return repository_root(cwd)


def _msg(cr: CheckResult, f: Finding, i: int, fmt: str, with_text: bool = True) -> str:
    counter: dict[str, int] = {}
    text = clean(message(f, i, with_text=with_text, max_copies=cr.caps.max_copies, counter=counter))
    cr.add_cut(fmt, "copies not named", counter.get("copies", 0))
    return text


def result_fingerprint(f: Finding, i: int) -> str:
    """Stable identity of one annotation: cluster fingerprint + file + the copy's
    ordinal within that file (no line numbers)."""
    c = f.cluster
    path = display_path(c.members[i].path)
    ordinal = f.ordinal(i) if hasattr(f, "ordinal") else sum(
        1 for k in range(i) if c.members[k].path == c.members[i].path)
    return hashlib.sha1(f"{c.fingerprint}\0{path}\0{ordinal}".encode()).hexdigest()[:20]


def max_annotations(cr: CheckResult, fmt: str) -> int:
    if cr.caps.max_annotations is not None:
        return cr.caps.max_annotations
    return DEFAULT_MAX_ANNOTATIONS.get(fmt, DEFAULT_MAX_ANNOTATIONS_OTHER)


def _all_annotations(cr: CheckResult) -> Iterator[tuple[Finding, int]]:
    for f in cr.reported:
        for i in f.targets:
            yield f, i


def _annotations(cr: CheckResult, fmt: str, limit: int | None = None) -> list[tuple[Finding, int]]:
    """The annotations ``fmt`` writes: at most ``limit`` (default: the format's
    cap) of each severity, failing ones first, in file order; the rest is
    counted in ``cr.cut``."""
    cap = max_annotations(cr, fmt) if limit is None else limit
    every = list(_all_annotations(cr))
    by_level: dict[str, list[int]] = {}
    for k, (f, _i) in enumerate(every):
        by_level.setdefault(f.severity, []).append(k)
    keep: set[int] = set()
    for ks in by_level.values():
        if len(ks) <= cap:
            keep.update(ks)
            continue
        ks = sorted(ks, key=lambda k: (not every[k][0].fails, k))
        keep.update(ks[:cap])
    cr.add_cut(fmt, "annotations not shown", len(every) - len(keep))
    return [a for k, a in enumerate(every) if k in keep]


def _cut_note(cr: CheckResult, fmt: str) -> str:
    d = cr.cut.get(fmt, {})
    if not d:
        return ""
    return "dedupe: output capped: " + ", ".join(f"{n} {what}" for what, n in d.items()) + \
        " (raise with --max-annotations / --max-copies; the exit code counts every finding)"


def _input_errors(cr: CheckResult) -> list[tuple[str, str]]:
    """(path, message) of every input problem, 'no input found' included."""
    out = [(e.path or "input", clean(str(e))) for e in cr.result.errors]
    if cr.no_input:
        out.append(("input", "dedupe: no input found (no article in the given paths)"))
    return out


# -- text ------------------------------------------------------------------------


def render_text(cr: CheckResult, **_: Any) -> str:
    lines = []
    for f, i in _annotations(cr, "text"):
        m = f.cluster.members[i]
        tag = " [grown]" if f.status == "grown" else ""
        lines.append(f"{clean(display_path(m.path) + record_suffix(m))}:{m.line}:{m.column}: {f.severity} {f.cluster.rule} "
                     f"{_msg(cr, f, i, 'text')}{tag}")
    lines.append(cr.summary_line())
    return "\n".join(lines) + "\n"


# -- GitHub workflow commands ------------------------------------------------------------


def gh_escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_escape_property(s: str) -> str:
    return gh_escape_data(s).replace(":", "%3A").replace(",", "%2C")


_GH_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def render_github(cr: CheckResult, **_: Any) -> str:
    out = []
    problems = _input_errors(cr)
    cap = max_annotations(cr, "github")
    for path, text in problems[:cap]:
        where = f"file={gh_escape_property(clean(display_path(path)))}," if path != "input" else ""
        out.append(f"::error {where}title=dedupe input error::{gh_escape_data(text)}")
    cr.add_cut("github", "input errors not annotated", len(problems) - cap)
    for f, i in _annotations(cr, "github", max(0, cap - len(problems)) if problems else None):
        m = f.cluster.members[i]
        info = RULE_INFO[f.cluster.rule]
        props = {
            "file": clean(display_path(m.path)),
            "line": str(m.line),
            "endLine": str(m.end_line),
            "col": str(m.column),
            "endColumn": str(m.end_column),
            "title": f"{info.title} ({info.id})",
        }
        if m.end_line != m.line:  # GitHub ignores columns on multi-line annotations
            del props["col"], props["endColumn"]
        p = ",".join(f"{k}={gh_escape_property(v)}" for k, v in props.items())
        out.append(f"::{_GH_LEVEL[f.severity]} {p}::{gh_escape_data(_msg(cr, f, i, 'github'))}")
    note = _cut_note(cr, "github")
    if note:
        out.append(gh_escape_data(note))  # a plain log line: not one more annotation
    return "".join(line + "\n" for line in out)


def github_step_summary(cr: CheckResult, max_bytes: int = STEP_SUMMARY_MAX_BYTES) -> str:
    """The step summary: Markdown within what is left of the 1 MiB and within a comment's 65,536 characters
    (as ``--format markdown``: a summary is copied into PR comments), the cut counted in it."""
    return render_markdown(cr, max_bytes=min(max_bytes, COMMENT_MAX_CHARS), fmt="summary")


# -- SARIF 2.1.0 ------------------------------------------------------------------------


def _uri(path: str) -> str:
    return quote(clean(display_path(path)), safe="/")


def _physical(m: Member) -> dict[str, Any]:
    return {
        "artifactLocation": {"uri": _uri(m.path), "uriBaseId": "%SRCROOT%"},
        "region": {
            "startLine": m.line,
            "startColumn": m.column,
            "endLine": m.end_line,
            "endColumn": m.end_column,
            "snippet": {"text": _cut_text(clean(m.text), 1000)},
        },
    }


def _cut_text(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _related(cr: CheckResult, f: Finding, i: int, limit: int) -> tuple[list[int], int]:
    """Indices of the other copies to list for member ``i`` (at most ``limit``), and how many were left out."""
    n = len(f.cluster.members)
    ks = [k for k in range(min(n, limit + 1)) if k != i][:limit]
    return ks, (n - 1) - len(ks)


def _sarif_result(cr: CheckResult, f: Finding, i: int, rule_ids: list[str]) -> dict[str, Any]:
    c = f.cluster
    m = c.members[i]
    limit = min(cr.caps.max_copies, SARIF_MAX_LOCATIONS)
    ks, hidden = _related(cr, f, i, limit)
    cr.add_cut("sarif", "related locations not listed", hidden)
    related = []
    for k in ks:
        o = c.members[k]
        loc: dict[str, Any] = {"id": k, "message": {"text": "other copy" + (" (archive)" if o.archive else "")}}
        loc["physicalLocation"] = _physical(o)
        related.append(loc)
    r = {
        "ruleId": c.rule,
        "ruleIndex": rule_ids.index(c.rule),
        "kind": "fail",
        "level": f.severity,
        "message": {"text": _msg(cr, f, i, "sarif")},
        "locations": [{"physicalLocation": _physical(m)}],
        "relatedLocations": related,
        "partialFingerprints": {"dedupeFingerprint/v1": result_fingerprint(f, i)},
        "baselineState": "updated" if f.status == "grown" else "new",
        "properties": {
            "cluster": c.id,
            "clusterFingerprint": c.fingerprint,
            "similarity": round(c.similarity, 4),
            "copies": len(c.members),
            "status": f.status,
        },
    }
    if hidden:
        r["properties"]["relatedLocationsOmitted"] = hidden
    if f.parent:
        r["properties"]["partOf"] = f.parent
    return r


def sarif_dict(cr: CheckResult, limit: int | None = None) -> dict[str, Any]:
    rule_ids = list(RULE_INFO)
    rules = []
    for rid in rule_ids:
        info = RULE_INFO[rid]
        sev = cr.policy.severity(info.kind)
        rules.append({
            "id": rid,
            "name": info.name,
            "shortDescription": {"text": info.short},
            "fullDescription": {"text": info.full},
            "help": {"text": info.help},
            "helpUri": help_uri(rid),
            "defaultConfiguration": {"level": "none" if sev == "off" else sev, "enabled": sev != "off"},
            "properties": {"kind": info.kind, "tags": ["editorial", "duplication"]},
        })
    cap = max_annotations(cr, "sarif") if limit is None else limit
    chosen = _annotations(cr, "sarif", cap)
    if len(chosen) > SARIF_MAX_RESULTS:
        cr.add_cut("sarif", "annotations not shown", len(chosen) - SARIF_MAX_RESULTS)
        chosen = sorted(chosen, key=lambda a: not a[0].fails)[:SARIF_MAX_RESULTS]
    results = [_sarif_result(cr, f, i, rule_ids) for f, i in chosen]
    counts = cr.counts()
    notes: list[dict[str, Any]] = [
        {"level": "error", "message": {"text": text}} for _p, text in _input_errors(cr)
    ]
    cut = cr.cut.get("sarif", {})
    if cut:
        notes.append({"level": "warning", "message": {"text": _cut_note(cr, "sarif")}})
    run_props: dict[str, Any] = {"summary": counts}
    if cut:
        run_props["omitted"] = dict(cut)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "dedupe",
                "informationUri": docs_uri(),
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": _dir_uri(os.getcwd())}},
            "invocations": [{
                "executionSuccessful": not cr.input_failed,
                "toolExecutionNotifications": notes,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": run_props,
        }],
    }


def _dir_uri(path: str) -> str:
    p = os.path.abspath(path).replace(os.sep, "/")
    if not p.startswith("/"):
        p = "/" + p
    return "file://" + quote(p.rstrip("/") + "/", safe="/:")


def render_sarif(cr: CheckResult, **_: Any) -> str:
    """SARIF 2.1.0 within code scanning's limits: when the gzipped file would
    exceed 10 MB, fewer results are kept (failing ones first) and the rest counted."""
    limit: int | None = None
    saved = {k: dict(v) for k, v in cr.cut.items()}
    while True:
        d = sarif_dict(cr, limit)
        n = len(d["runs"][0]["results"])
        text = json.dumps(d, ensure_ascii=False, indent=2 if n <= 1000 else None) + "\n"
        size = len(gzip.compress(text.encode("utf-8"), compresslevel=6))
        if size <= SARIF_MAX_GZIP_BYTES or n == 0:
            return text
        per_level = max(1, int(max_annotations(cr, "sarif") if limit is None else limit)
                        * SARIF_MAX_GZIP_BYTES // size // 2)
        limit = per_level
        cr.cut = {k: dict(v) for k, v in saved.items()}  # recount for the smaller selection


# -- JUnit XML ---------------------------------------------------------------------------


def render_junit(cr: CheckResult, **_: Any) -> str:
    """One test suite per checked article (``file`` and ``time`` attributes, as
    the Jenkins / Surefire ``junit-10.xsd`` allows them), holding one test case
    that fails when the article has a failing finding; input errors are
    ``<error>`` test cases."""
    import xml.etree.ElementTree as ET

    by_path: dict[str, list[tuple[Finding, int]]] = {}
    for f, i in _annotations(cr, "junit"):
        by_path.setdefault(f.cluster.members[i].path, []).append((f, i))
    failing_all: dict[str, int] = {}  # every failing annotation counts, listed or not
    failing_rules: dict[str, set[str]] = {}
    for f, i in _all_annotations(cr):
        if f.fails:
            p = f.cluster.members[i].path
            failing_all[p] = failing_all.get(p, 0) + 1
            failing_rules.setdefault(p, set()).add(f.cluster.rule)
    docs = [d for d in cr.result.documents if not d.archive]
    if cr.changed is not None:
        docs = [d for d in docs if os.path.normcase(os.path.realpath(d.path)) in cr.changed]
    paths: list[str] = []
    for d in docs:
        if d.path not in paths:
            paths.append(d.path)
    seconds = sum(getattr(cr.result, "timings", {}).values())
    per_case = seconds / max(1, len(paths))
    suites = ET.Element("testsuites", name="dedupe")
    failures = errors = 0
    for path in paths:
        shown = clean(display_path(path))
        suite = ET.SubElement(suites, "testsuite", name=shown, tests="1", failures="0", errors="0",
                              time=f"{per_case:.3f}", file=shown)
        tc = ET.SubElement(suite, "testcase", name=shown, classname="dedupe.check", time=f"{per_case:.3f}")
        items = by_path.get(path, [])
        failing = [(f, i) for f, i in items if f.fails]
        other = [(f, i) for f, i in items if not f.fails]
        total = failing_all.get(path, 0)
        if total:
            failures += 1
            suite.set("failures", "1")
            rules = sorted(failing_rules[path])
            el = ET.SubElement(tc, "failure", message=f"{total} repeated passage(s)", type=",".join(rules))
            lines = [f"{shown}:{f.cluster.members[i].line}:{f.cluster.members[i].column}: "
                     f"{f.severity} {f.cluster.rule} {_msg(cr, f, i, 'junit')}" for f, i in failing]
            if total > len(failing):
                lines.append(f"... and {total - len(failing)} more not listed (--max-annotations)")
            el.text = "\n".join(lines)
        if other:
            so = ET.SubElement(tc, "system-out")
            so.text = "\n".join(
                f"{shown}:{f.cluster.members[i].line}: {f.severity} {f.cluster.rule} {_msg(cr, f, i, 'junit')}"
                for f, i in other
            )
    problems = _input_errors(cr)
    if problems:
        suite = ET.SubElement(suites, "testsuite", name="dedupe.read", tests=str(len(problems)), failures="0",
                              errors=str(len(problems)), time="0.000")
        for path, text in problems:
            errors += 1
            tc = ET.SubElement(suite, "testcase", name=clean(display_path(path)), classname="dedupe.read",
                               time="0.000")
            el = ET.SubElement(tc, "error", message=text, type="InputError")
            el.text = text
    last = suites[-1] if len(suites) else ET.SubElement(suites, "testsuite", name="dedupe", tests="0",
                                                          failures="0", errors="0", time=f"{seconds:.3f}")
    so = ET.SubElement(last, "system-out")
    so.text = cr.summary_line()
    suites.set("tests", str(len(paths) + len(problems)))
    suites.set("failures", str(failures))
    suites.set("errors", str(errors))
    suites.set("time", f"{seconds:.3f}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# -- GitLab Code Quality --------------------------------------------------------------------

_GITLAB_SEVERITY = {"error": "major", "warning": "minor", "note": "info"}


def render_gitlab(cr: CheckResult, **_: Any) -> str:
    out = []
    for path, text in _input_errors(cr):
        out.append({
            "type": "issue", "description": text, "check_name": "dedupe-input-error", "categories": ["Bug Risk"],
            "fingerprint": hashlib.sha1(f"input\0{path}\0{text}".encode("utf-8", "replace")).hexdigest()[:20],
            "severity": "blocker", "location": {"path": clean(display_path(path)), "lines": {"begin": 1}},
        })
    chosen = _annotations(cr, "gitlab")
    for f, i in chosen:
        m = f.cluster.members[i]
        out.append({
            "type": "issue",
            "description": _msg(cr, f, i, "gitlab"),
            "check_name": f.cluster.rule,
            "categories": ["Duplication"],
            "fingerprint": result_fingerprint(f, i),
            "severity": _GITLAB_SEVERITY[f.severity],
            "location": {"path": clean(display_path(m.path)), "lines": {"begin": m.line, "end": m.end_line}},
        })
    note = _cut_note(cr, "gitlab")
    if note and chosen:
        m = chosen[0][0].cluster.members[chosen[0][1]]
        out.append({
            "type": "issue", "description": note, "check_name": "dedupe-output-capped", "categories": ["Duplication"],
            "fingerprint": hashlib.sha1(note.encode("utf-8")).hexdigest()[:20], "severity": "info",
            "location": {"path": clean(display_path(m.path)), "lines": {"begin": 1}},
        })
    return json.dumps(out, ensure_ascii=False, indent=2) + "\n"


# -- reviewdog rdjsonl -----------------------------------------------------------------------

_RD_SEVERITY = {"error": "ERROR", "warning": "WARNING", "note": "INFO"}


class _ByteColumns:
    """Code-point columns to UTF-8 byte columns (reviewdog counts bytes), from
    the file's own lines (or the text read from standard input)."""

    def __init__(self, cr: CheckResult) -> None:
        from dedupe.readers.formats import spec_for  # lazy: only rdjsonl needs the readers' table

        self.byte_lines = {d.path: (s := spec_for(d.format)) is None or s.byte_lines for d in cr.result.documents}
        self.sources = cr.sources
        self.cache: dict[str, list[bytes] | None] = {}

    def _lines(self, path: str) -> list[bytes] | None:
        if path not in self.cache:
            data: bytes | None
            if path in self.sources:
                data = self.sources[path].encode("utf-8", "surrogatepass")
            elif not self.byte_lines.get(path, True):
                data = None  # a "line" is not a line of the file (a DOCX paragraph): no byte columns to speak of
            else:
                try:
                    with open(path, "rb") as fh:
                        data = fh.read()
                except OSError:
                    data = None
            self.cache[path] = data.split(b"\n") if data is not None else None
        return self.cache[path]

    def column(self, path: str, line: int, column: int) -> int:
        lines = self._lines(path)
        if lines is None or not 1 <= line <= len(lines):
            return column
        raw = lines[line - 1]
        bom = 0
        if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw, bom = raw[3:], 3
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return column  # not UTF-8: a single-byte encoding, one byte per character
        return bom + len(text[: column - 1].encode("utf-8", "surrogatepass")) + 1


def _rd_location(m: Member, cols: _ByteColumns) -> dict[str, Any]:
    return {
        "path": clean(display_path(m.path)),
        "range": {
            "start": {"line": m.line, "column": cols.column(m.path, m.line, m.column)},
            "end": {"line": m.end_line, "column": cols.column(m.path, m.end_line, m.end_column)},
        },
    }


def render_rdjsonl(cr: CheckResult, **_: Any) -> str:
    """reviewdog's diagnostic format, one JSON object per line; columns count UTF-8 bytes."""
    cols = _ByteColumns(cr)
    lines = []
    web = _web(docs_uri())
    for path, text in _input_errors(cr):
        d0: dict[str, Any] = {"message": text, "location": {"path": clean(display_path(path))}, "severity": "ERROR",
                              "source": {"name": "dedupe"}}
        lines.append(json.dumps(d0, ensure_ascii=False))
    chosen = _annotations(cr, "rdjsonl")
    for f, i in chosen:
        c = f.cluster
        ks, hidden = _related(cr, f, i, cr.caps.max_copies)
        cr.add_cut("rdjsonl", "related locations not listed", hidden)
        source: dict[str, Any] = {"name": "dedupe"}
        code: dict[str, Any] = {"value": c.rule}
        if web:
            source["url"] = web
            code["url"] = help_uri(c.rule)
        d = {
            "message": _msg(cr, f, i, "rdjsonl"),
            "location": _rd_location(c.members[i], cols),
            "severity": _RD_SEVERITY[f.severity],
            "source": source,
            "code": code,
            "related_locations": [
                {"message": "other copy" + (" (archive)" if c.members[k].archive else ""),
                 "location": _rd_location(c.members[k], cols)}
                for k in ks
            ],
        }
        lines.append(json.dumps(d, ensure_ascii=False))
    note = _cut_note(cr, "rdjsonl")
    if note and chosen:
        m = chosen[0][0].cluster.members[chosen[0][1]]
        lines.append(json.dumps({"message": note, "location": {"path": clean(display_path(m.path))},
                                 "severity": "INFO", "source": {"name": "dedupe"}}, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


# -- JSON (the scan schema, plus check fields) -------------------------------------------------

#: Links between copies listed per cluster in ``--format json`` (the rest is counted in ``pairs_total``).
JSON_MAX_PAIRS = 1000
#: Copies listed per cluster, and article roll-ups, in ``--format json`` (``members_total``, ``overlaps_total``).
JSON_MAX_MEMBERS = 10_000
JSON_MAX_OVERLAPS = 10_000


def check_dict(cr: CheckResult) -> dict[str, Any]:
    r = cr.result
    clusters = []
    pairs_cut = members_cut = 0
    for f in cr.findings:
        c = f.cluster
        d = _cluster_dict_capped(c)
        pairs_cut += len(c.pairs) - len(d["pairs"])  # links a cluster does not list (pairs_total) are not cut
        members_cut += d.get("members_total", 0) - len(d["members"]) if "members_total" in d else 0
        d["severity"] = f.severity
        d["status"] = f.status
        d["fails"] = f.fails
        if f.parent:
            d["part_of"] = f.parent
        if f.accepted_count is not None:
            d["accepted_count"] = f.accepted_count
        if f.reason:
            d["reason"] = f.reason
        clusters.append(d)
    cr.add_cut("json", "pairs not listed", pairs_cut)
    cr.add_cut("json", "copies not listed", members_cut)
    cr.add_cut("json", "overlaps not listed", max(0, len(r.overlaps) - JSON_MAX_OVERLAPS))
    errors = [str(e) for e in r.errors]
    if cr.no_input:
        errors.append("no input found (no article in the given paths)")
    d = {
        "version": 1,
        "documents": [doc.to_dict() for doc in r.documents],
        "clusters": clusters,
        "overlaps": [o.to_dict() for o in r.overlaps[:JSON_MAX_OVERLAPS]],
        "summary": r.summary(),
        "errors": errors,
        "warnings": [str(w) for w in r.warnings],
        "notes": list(r.notes),
    }
    d["check"] = cr.counts()
    if len(r.overlaps) > JSON_MAX_OVERLAPS:
        d["check"]["overlaps_total"] = len(r.overlaps)
    if cr.baseline_path is not None:
        d["check"]["baseline"] = cr.baseline_path
    if cr.cut:
        d["check"]["omitted"] = {k: dict(v) for k, v in cr.cut.items()}
    return d


def _cluster_dict_capped(c: Cluster) -> dict[str, Any]:
    """``c.to_dict()`` with at most JSON_MAX_MEMBERS copies and JSON_MAX_PAIRS links (among the listed copies)."""
    if len(c.members) <= JSON_MAX_MEMBERS and len(c.pairs) <= JSON_MAX_PAIRS:
        return c.to_dict()
    members, pairs = c.members, c.pairs
    kept = [p for p in pairs if p.a < JSON_MAX_MEMBERS and p.b < JSON_MAX_MEMBERS][:JSON_MAX_PAIRS]
    c.members, c.pairs = members[:JSON_MAX_MEMBERS], kept
    try:
        d = c.to_dict()
    finally:
        c.members, c.pairs = members, pairs
    d["pairs_total"] = c.links_total
    if len(members) > JSON_MAX_MEMBERS:
        d["members_total"] = len(members)
    return d


def render_json(cr: CheckResult, **_: Any) -> str:
    return json.dumps(check_dict(cr), ensure_ascii=False, indent=1) + "\n"


# -- Markdown (pull-request comment) -----------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def md_escape(text: str) -> str:
    """Text safe inside Markdown (and the HTML GitHub allows in it): one line,
    HTML special characters as entities, Markdown punctuation backslashed."""
    t = defuse_mentions(" ".join(clean(text).split()))
    t = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return _MD_SPECIAL.sub(r"\\\1", t)


_ICON = {"error": "❌ error", "warning": "⚠️ warning", "note": "ℹ️ note"}


def render_markdown(cr: CheckResult, max_bytes: int | None = None, fmt: str = "markdown", **_: Any) -> str:
    """A pull-request comment / step summary; within ``max_bytes`` (UTF-8) when given (a comment:
    :data:`COMMENT_MAX_CHARS`, as bytes bound characters), what is cut counted in the closing note."""
    if max_bytes is None and fmt == "markdown":
        max_bytes = COMMENT_MAX_CHARS
    c = cr.counts()
    out = ["## dedupe check", ""]
    if cr.input_failed:
        verdict = f"**Failed** (input errors: {c['errors_reading']})"
    else:
        verdict = "**Failed**" if cr.failed else "**Passed**"
    out.append(f"{verdict}: {c['failing']} failing of {c['findings']} findings "
               f"in {c['checked_documents']} articles (fail-on: `{c['fail_on']}`).")
    out.append("")
    out.append("| | count |")
    out.append("|---|---:|")
    out.append(f"| errors | {c['errors']} |")
    out.append(f"| warnings | {c['warnings']} |")
    if c["notes"]:
        out.append(f"| notes | {c['notes']} |")
    if c["grown"]:
        out.append(f"| accepted repeats with more copies | {c['grown']} |")
    if cr.baseline_path is not None:
        out.append(f"| accepted in baseline | {c['baseline_accepted']} |")
        out.append(f"| suppressed in baseline | {c['baseline_suppressed']} |")
    out.append(f"| units suppressed inline | {c['suppressed_inline']} |")
    if cr.changed is not None:
        out.append(f"| clusters outside the changed files | {c['out_of_scope']} |")
    out.append("")
    problems = _input_errors(cr)
    if problems:
        out.append("**Input errors**")
        out.append("")
        for _p, text in problems[:100]:
            out.append(f"- {md_escape(text)}")
        if len(problems) > 100:
            out.append(f"- … and {len(problems) - 100} more")
        out.append("")
    budget = (max_bytes - 2048) if max_bytes is not None else None  # room for the closing note
    used = sum(len(x.encode("utf-8")) + 1 for x in out)

    def fits(lines: list[str]) -> bool:
        nonlocal used
        size = sum(len(x.encode("utf-8")) + 1 for x in lines)
        if budget is not None and used + size > budget:
            return False
        used += size
        return True

    chosen = _annotations(cr, fmt)
    rows_cut = 0
    if chosen:
        head = ["| severity | rule | where | message |", "|---|---|---|---|"]
        if fits(head):
            out.extend(head)
            for k, (f, i) in enumerate(chosen):
                m = f.cluster.members[i]
                row = (f"| {_ICON[f.severity]} | {f.cluster.rule} | `{md_code(display_path(m.path))}:{m.line}` | "
                       f"{md_escape(_msg(cr, f, i, fmt, with_text=False))} |")
                if not fits([row]):
                    rows_cut = len(chosen) - k
                    break
                out.append(row)
            out.append("")
        else:
            rows_cut = len(chosen)
    cr.add_cut(fmt, "annotations not shown", rows_cut)
    details_cut = 0
    shown_clusters = []
    seen: set[int] = set()
    for f, _i in chosen:
        if id(f) not in seen:
            seen.add(id(f))
            shown_clusters.append(f)
    for k, f in enumerate(shown_clusters):
        cl = f.cluster
        summary = (f"<details><summary>{md_escape(cl.id)} {md_escape(cl.kind)} ({cl.rule}), "
                   f"similarity {cl.similarity:.2f}, {len(cl.members)} copies</summary>")
        block = [summary, ""]
        for m in cl.members[: cr.caps.max_copies + 1]:
            where = f"archive {m.doc}" if m.archive else f"{display_path(m.path)}:{m.line}"
            block.append(f"- `{md_code(where)}`: {md_escape(snippet(m.text, 300))}")
        if len(cl.members) > cr.caps.max_copies + 1:
            block.append(f"- … and {len(cl.members) - cr.caps.max_copies - 1} more copies")
        block += ["", "</details>", ""]
        if not fits(block):
            details_cut = len(shown_clusters) - k
            break
        out.extend(block)
    cr.add_cut(fmt, "clusters not detailed", details_cut)
    note = _cut_note(cr, fmt)
    if note:
        out.append(f"_{md_escape(note)}_")
        out.append("")
    text = "\n".join(out).rstrip("\n") + "\n"
    if max_bytes is not None and len(text.encode("utf-8")) > max_bytes:  # only the closing note can be left
        text = text.encode("utf-8")[: max_bytes - 4].decode("utf-8", "ignore") + "\n"
    return text


def md_code(text: str) -> str:
    """Text for inside a single-backtick code span (no backticks, one line, no pipes)."""
    return " ".join(clean(text).split()).replace("`", "'").replace("|", "/")


__all__ = ["sarif_dict", "check_dict", "snippet", "md_escape",
           "gh_escape_data", "gh_escape_property", "display_path", "result_fingerprint"]
