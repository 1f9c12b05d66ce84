"""Output formats for CI: ``text``, ``github``, ``sarif``, ``junit``, ``gitlab``,
``rdjsonl``, ``json`` and ``markdown``.

Every renderer takes a :class:`dedupe.check.rules.CheckResult` (``render_ci`` also
accepts a plain :class:`~dedupe.findings.ScanResult`, evaluated with the
default policy and no baseline).

What is reported: findings that the baseline does not cover (``new`` and
``grown``), at every enabled severity; baselined ones are only counted.  One
annotation per copy in a checked file: each copy points at the other copy
("This quote repeats the quote at line 7"), so a reviewer sees the problem
wherever they look in the diff, and fixing either copy clears both.  Copies
in the archive (``--against``) or, with ``--changed-since``, in unchanged
files are not annotated but are named in the message and as related
locations.

Article text is escaped for each format: workflow-command escaping for
``github``, XML escaping (and removal of characters XML 1.0 forbids) for
``junit``, JSON for ``sarif``/``gitlab``/``rdjsonl``/``json``, HTML entities
and Markdown escapes for ``markdown``.  Control characters are removed from
article text everywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Any, Callable
from urllib.parse import quote

from dedupe import __version__
from dedupe.check.rules import RULE_INFO, CheckResult, Finding, evaluate, message, snippet

INFORMATION_URI = "https://github.com/dedupe-newsroom/dedupe"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
CI_FORMATS = ("text", "github", "sarif", "junit", "gitlab", "rdjsonl", "json", "markdown")

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """``text`` without control characters (tabs and newlines kept)."""
    return _CONTROL_RE.sub("", text)


def display_path(path: str) -> str:
    """A path as CI tools want it: relative to the working directory when inside
    it, with forward slashes."""
    p = path
    if os.path.isabs(p):
        rel = os.path.relpath(p)
        if not rel.startswith(".."):
            p = rel
    p = os.path.normpath(p) if p else p
    return p.replace(os.sep, "/")


def _as_check(obj) -> CheckResult:
    return obj if isinstance(obj, CheckResult) else evaluate(obj)


def _msg(f: Finding, i: int) -> str:
    return clean(message(f, i))


def result_fingerprint(f: Finding, i: int) -> str:
    """Stable identity of one annotation: cluster fingerprint + file + the copy's
    ordinal within that file (no line numbers)."""
    c = f.cluster
    m = c.members[i]
    path = display_path(m.path)
    ordinal = sum(1 for k in range(i) if c.members[k].path == m.path)
    h = hashlib.sha1(f"{c.fingerprint}\0{path}\0{ordinal}".encode("utf-8")).hexdigest()[:20]
    return h


def _annotations(cr: CheckResult):
    for f in cr.reported:
        for i in f.targets:
            yield f, i


# -- text ------------------------------------------------------------------------


def render_text(cr: CheckResult, **_: Any) -> str:
    lines = []
    for f, i in _annotations(cr):
        m = f.cluster.members[i]
        tag = " [grown]" if f.status == "grown" else ""
        lines.append(f"{display_path(m.path)}:{m.line}:{m.column}: {f.severity} {f.cluster.rule} {_msg(f, i)}{tag}")
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
    for f, i in _annotations(cr):
        m = f.cluster.members[i]
        info = RULE_INFO[f.cluster.rule]
        props = {
            "file": display_path(m.path),
            "line": str(m.line),
            "endLine": str(m.end_line),
            "col": str(m.column),
            "endColumn": str(m.end_column),
            "title": f"{info.title} ({info.id})",
        }
        if m.end_line != m.line:  # GitHub ignores columns on multi-line annotations
            del props["col"], props["endColumn"]
        p = ",".join(f"{k}={gh_escape_property(v)}" for k, v in props.items())
        out.append(f"::{_GH_LEVEL[f.severity]} {p}::{gh_escape_data(_msg(f, i))}")
    return "".join(line + "\n" for line in out)


def github_step_summary(cr: CheckResult) -> str:
    return render_markdown(cr)


# -- SARIF 2.1.0 ------------------------------------------------------------------------


def _uri(path: str) -> str:
    return quote(display_path(path), safe="/")


def _physical(m) -> dict[str, Any]:
    return {
        "artifactLocation": {"uri": _uri(m.path), "uriBaseId": "%SRCROOT%"},
        "region": {
            "startLine": m.line,
            "startColumn": m.column,
            "endLine": m.end_line,
            "endColumn": m.end_column,
            "snippet": {"text": clean(m.text)},
        },
    }


def sarif_dict(cr: CheckResult) -> dict[str, Any]:
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
            "helpUri": f"{INFORMATION_URI}#{rid.lower()}",
            "defaultConfiguration": {"level": "none" if sev == "off" else sev, "enabled": sev != "off"},
            "properties": {"kind": info.kind, "tags": ["editorial", "duplication"]},
        })
    results = []
    for f, i in _annotations(cr):
        c = f.cluster
        m = c.members[i]
        related = []
        for k, o in enumerate(c.members):
            if k == i:
                continue
            loc: dict[str, Any] = {"id": k, "message": {"text": "other copy" + (" (archive)" if o.archive else "")}}
            loc["physicalLocation"] = _physical(o)
            related.append(loc)
        results.append({
            "ruleId": c.rule,
            "ruleIndex": rule_ids.index(c.rule),
            "kind": "fail",
            "level": f.severity,
            "message": {"text": _msg(f, i)},
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
        })
    counts = cr.counts()
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "dedupe",
                "informationUri": INFORMATION_URI,
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": _dir_uri(os.getcwd())}},
            "invocations": [{
                "executionSuccessful": not cr.result.errors,
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": clean(str(e))}} for e in cr.result.errors
                ],
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {"summary": counts},
        }],
    }


def _dir_uri(path: str) -> str:
    p = os.path.abspath(path).replace(os.sep, "/")
    if not p.startswith("/"):
        p = "/" + p
    return "file://" + quote(p.rstrip("/") + "/", safe="/:")


def render_sarif(cr: CheckResult, **_: Any) -> str:
    return json.dumps(sarif_dict(cr), ensure_ascii=False, indent=2) + "\n"


# -- JUnit XML ---------------------------------------------------------------------------


def render_junit(cr: CheckResult, **_: Any) -> str:
    """One test case per checked article; it fails when the article has a failing finding."""
    import xml.etree.ElementTree as ET

    by_path: dict[str, list[tuple[Finding, int]]] = {}
    for f, i in _annotations(cr):
        by_path.setdefault(f.cluster.members[i].path, []).append((f, i))
    docs = [d for d in cr.result.documents if not d.archive]
    if cr.changed is not None:
        docs = [d for d in docs if os.path.normcase(os.path.realpath(d.path)) in cr.changed]
    paths: list[str] = []
    for d in docs:
        if d.path not in paths:
            paths.append(d.path)
    suite = ET.Element("testsuite", name="dedupe")
    failures = errors = 0
    for path in paths:
        tc = ET.SubElement(suite, "testcase", name=clean(display_path(path)), classname="dedupe.check")
        items = by_path.get(path, [])
        failing = [(f, i) for f, i in items if f.fails]
        other = [(f, i) for f, i in items if not f.fails]
        if failing:
            failures += 1
            rules = sorted({f.cluster.rule for f, _ in failing})
            el = ET.SubElement(tc, "failure", message=f"{len(failing)} repeated passage(s)", type=",".join(rules))
            el.text = "\n".join(
                f"{display_path(path)}:{f.cluster.members[i].line}:{f.cluster.members[i].column}: "
                f"{f.severity} {f.cluster.rule} {_msg(f, i)}" for f, i in failing
            )
        if other:
            so = ET.SubElement(tc, "system-out")
            so.text = "\n".join(
                f"{display_path(path)}:{f.cluster.members[i].line}: {f.severity} {f.cluster.rule} {_msg(f, i)}"
                for f, i in other
            )
    for e in cr.result.errors:
        errors += 1
        tc = ET.SubElement(suite, "testcase", name=clean(display_path(e.path or "input")), classname="dedupe.read")
        el = ET.SubElement(tc, "error", message=clean(e.message), type="InputError")
        el.text = clean(str(e))
    so = ET.SubElement(suite, "system-out")
    so.text = cr.summary_line()
    suite.set("tests", str(len(paths) + len(cr.result.errors)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suites = ET.Element("testsuites", name="dedupe", tests=suite.get("tests"), failures=str(failures),
                        errors=str(errors))
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# -- GitLab Code Quality --------------------------------------------------------------------

_GITLAB_SEVERITY = {"error": "major", "warning": "minor", "note": "info"}


def render_gitlab(cr: CheckResult, **_: Any) -> str:
    out = []
    for f, i in _annotations(cr):
        m = f.cluster.members[i]
        out.append({
            "type": "issue",
            "description": _msg(f, i),
            "check_name": f.cluster.rule,
            "categories": ["Duplication"],
            "fingerprint": result_fingerprint(f, i),
            "severity": _GITLAB_SEVERITY[f.severity],
            "location": {"path": display_path(m.path), "lines": {"begin": m.line, "end": m.end_line}},
        })
    return json.dumps(out, ensure_ascii=False, indent=2) + "\n"


# -- reviewdog rdjsonl -----------------------------------------------------------------------

_RD_SEVERITY = {"error": "ERROR", "warning": "WARNING", "note": "INFO"}


def _rd_location(m) -> dict[str, Any]:
    return {
        "path": display_path(m.path),
        "range": {"start": {"line": m.line, "column": m.column}, "end": {"line": m.end_line, "column": m.end_column}},
    }


def render_rdjsonl(cr: CheckResult, **_: Any) -> str:
    lines = []
    for f, i in _annotations(cr):
        c = f.cluster
        d = {
            "message": _msg(f, i),
            "location": _rd_location(c.members[i]),
            "severity": _RD_SEVERITY[f.severity],
            "source": {"name": "dedupe", "url": INFORMATION_URI},
            "code": {"value": c.rule, "url": f"{INFORMATION_URI}#{c.rule.lower()}"},
            "related_locations": [
                {"message": "other copy", "location": _rd_location(o)} for k, o in enumerate(c.members) if k != i
            ],
        }
        lines.append(json.dumps(d, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


# -- JSON (the scan schema, plus check fields) -------------------------------------------------


def check_dict(cr: CheckResult) -> dict[str, Any]:
    d = cr.result.to_dict()
    by_id = {f.cluster.id: f for f in cr.findings}
    clusters = []
    for c in d["clusters"]:
        f = by_id.get(c["id"])
        if f is None:
            continue
        c["severity"] = f.severity
        c["status"] = f.status
        c["fails"] = f.fails
        if f.accepted_count is not None:
            c["accepted_count"] = f.accepted_count
        if f.reason:
            c["reason"] = f.reason
        clusters.append(c)
    d["clusters"] = clusters
    d["check"] = cr.counts()
    if cr.baseline_path is not None:
        d["check"]["baseline"] = cr.baseline_path
    return d


def render_json(cr: CheckResult, **_: Any) -> str:
    return json.dumps(check_dict(cr), ensure_ascii=False, indent=1) + "\n"


# -- Markdown (pull-request comment) -----------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def md_escape(text: str) -> str:
    """Text safe inside Markdown (and the HTML GitHub allows in it): one line,
    HTML special characters as entities, Markdown punctuation backslashed."""
    t = " ".join(clean(text).split())
    t = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return _MD_SPECIAL.sub(r"\\\1", t)


_ICON = {"error": "❌ error", "warning": "⚠️ warning", "note": "ℹ️ note"}


def render_markdown(cr: CheckResult, **_: Any) -> str:
    c = cr.counts()
    out = ["## dedupe check", ""]
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
    rep = cr.reported
    if rep:
        out.append("| severity | rule | where | message |")
        out.append("|---|---|---|---|")
        for f in rep:
            for i in f.targets:
                m = f.cluster.members[i]
                out.append(
                    f"| {_ICON[f.severity]} | {f.cluster.rule} | `{md_code(display_path(m.path))}:{m.line}` | "
                    f"{md_escape(message(f, i, with_text=False))} |"
                )
        out.append("")
        for f in rep:
            cl = f.cluster
            out.append(f"<details><summary>{cl.id} {md_escape(cl.kind)} ({cl.rule}), "
                       f"similarity {cl.similarity:.2f}, {len(cl.members)} copies</summary>")
            out.append("")
            for m in cl.members:
                where = f"archive {m.doc}" if m.archive else f"{display_path(m.path)}:{m.line}"
                out.append(f"- `{md_code(where)}`: {md_escape(m.text)}")
            out.append("")
            out.append("</details>")
            out.append("")
    if cr.result.errors:
        out.append("**Input errors**")
        out.append("")
        for e in cr.result.errors:
            out.append(f"- {md_escape(str(e))}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def md_code(text: str) -> str:
    """Text for inside a single-backtick code span (no backticks, one line, no pipes)."""
    return " ".join(clean(text).split()).replace("`", "'").replace("|", "/")


# -- registry ------------------------------------------------------------------------------

RENDERERS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "github": render_github,
    "sarif": render_sarif,
    "junit": render_junit,
    "gitlab": render_gitlab,
    "rdjsonl": render_rdjsonl,
    "json": render_json,
    "markdown": render_markdown,
}


def render_ci(obj, fmt: str, **options: Any) -> str:
    """Render a :class:`CheckResult` (or a ScanResult, with default policy) as ``fmt``."""
    try:
        fn = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r} (formats: {', '.join(RENDERERS)})") from None
    return fn(_as_check(obj), **options)


__all__ = ["CI_FORMATS", "RENDERERS", "render_ci", "sarif_dict", "check_dict", "snippet", "md_escape",
           "gh_escape_data", "gh_escape_property", "display_path", "result_fingerprint"]
