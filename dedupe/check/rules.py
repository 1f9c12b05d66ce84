"""Rules, severities and the fail-on policy of ``dedupe check``.

Every finding kind has a stable rule id (``config.RULES``) and a default
severity, chosen the way an editor would triage:

=========  ===================  ========  ==========================================
rule       kind                 severity  why
=========  ===================  ========  ==========================================
DD101      repeated-sentence    error     the same sentence twice in one article is
                                          almost always a paste or edit mistake
DD102      repeated-quote       error     a quote used twice, often with different
                                          attribution, is a correction waiting to happen
DD201      cross-article        warning   drafts legitimately share background
                                          paragraphs; worth a look, not a block
DD301      archive-match        error     re-running published copy needs a decision
=========  ===================  ========  ==========================================

Configuration (``[tool.dedupe]`` in ``pyproject.toml`` or ``.dedupe.toml``)::

    fail_on = "error"              # "error" (default), "warning", "note", "none",
                                   # or a list of kinds / rule ids that fail
    [tool.dedupe.rules]
    DD201 = "error"                # re-level a rule by id ...
    archive-match = "off"          # ... or by kind; "off" switches it off

Levels are ``error``, ``warning``, ``note`` (``info`` is accepted as a
synonym) and ``off``.

Findings per article: a cluster with two or more copies inside one article
always yields that article's in-article finding (DD101 for sentences, DD102
for quotes, at that rule's level), whatever other articles or archived
stories share the text; the cross-article or archive finding (DD201 / DD301,
or DD102 for a quote shared across articles) is reported beside it.  The
in-article finding has the fingerprint it would have if the article were
checked alone, so a baseline entry for it keeps holding when another article
starts sharing the text.

:func:`evaluate` combines a scan result, the policy, a baseline and an
optional set of changed files into a :class:`CheckResult`, which every CI
output format renders.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dedupe.errors import ConfigError
from dedupe.findings import Cluster, Member, Pair, ScanResult, cluster_fingerprint, detail_pairs
from dedupe.kinds import DEFAULT_LEVELS, RULES
from dedupe.kinds import REGISTRY as KIND_REGISTRY
from dedupe.kinds import resolve as resolve_kind

if TYPE_CHECKING:
    from dedupe.check.baseline import Baseline

LEVELS = ("error", "warning", "note")
_LEVEL_ALIASES = {"info": "note", "notice": "note", "warn": "warning", "none": "off", "ignore": "off"}
_RANK = {"note": 1, "warning": 2, "error": 3}

KIND_OF_RULE = {v: k for k, v in RULES.items()}

DEFAULT_SEVERITY = dict(DEFAULT_LEVELS)


@dataclass(frozen=True)
class RuleInfo:
    id: str
    kind: str
    name: str  # PascalCase, for SARIF
    title: str  # short, for annotation titles
    short: str
    full: str
    help: str


RULE_INFO: dict[str, RuleInfo] = {
    k.rule: RuleInfo(k.rule, k.name, k.pascal, k.title, k.short, k.full, k.help) for k in KIND_REGISTRY
}


def _level(value: Any, where: str, source: str | None) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected one of error, warning, note, off; got {value!r}", source)
    v = value.strip().lower()
    v = _LEVEL_ALIASES.get(v, v)
    if v not in LEVELS and v != "off":
        raise ConfigError(f"{where}: expected one of error, warning, note, off; got {value!r}", source)
    return v


def _kind_of(name: str) -> str | None:
    """The kind a rule id, kind name or short label refers to (None when unknown)."""
    k = resolve_kind(name)
    return k.name if k else None


@dataclass(frozen=True)
class Policy:
    """Severity of each kind and what fails the check."""

    severities: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITY))
    fail_level: str | None = "error"  # lowest failing level; None: nothing fails by level
    fail_kinds: frozenset[str] = frozenset()  # kinds that fail whatever their level
    fail_on: str = "error"  # as written, for messages

    @classmethod
    def from_config(cls, rules: Any = None, fail_on: Any = None, source: str | None = None) -> Policy:
        sev = dict(DEFAULT_SEVERITY)
        if rules is not None:
            if not isinstance(rules, dict):
                raise ConfigError(f"rules: expected a table of rule = level, got {rules!r}", source)
            for key, value in rules.items():
                kind = _kind_of(str(key))
                if kind is None:
                    known = ", ".join(f"{r} ({k})" for k, r in RULES.items())
                    raise ConfigError(f"rules: unknown rule {key!r} (rules: {known})", source)
                sev[kind] = _level(value, f"rules.{key}", source)
        p = cls(severities=sev)
        return p.with_fail_on(fail_on, source) if fail_on is not None else p

    def with_fail_on(self, value: Any, source: str | None = None) -> Policy:
        """This policy with ``fail_on`` replaced: a level, ``none``, or a list of kinds/rule ids."""
        if isinstance(value, str):
            items = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            items = [v.strip() for v in value if v.strip()]
        else:
            raise ConfigError(f"fail-on: expected a level or a list of kinds, got {value!r}", source)
        if not items:
            raise ConfigError("fail-on: empty value", source)
        if len(items) == 1:
            v = _LEVEL_ALIASES.get(items[0].lower(), items[0].lower())
            if v == "off":
                return _replace(self, fail_level=None, fail_kinds=frozenset(), fail_on="none")
            if v in LEVELS:
                return _replace(self, fail_level=v, fail_kinds=frozenset(), fail_on=v)
        kinds = []
        for it in items:
            k = _kind_of(it)
            if k is None:
                raise ConfigError(
                    f"fail-on: {it!r} is not a level (error, warning, note, none), kind or rule id", source
                )
            kinds.append(k)
        return _replace(self, fail_level=None, fail_kinds=frozenset(kinds), fail_on=",".join(items))

    def severity(self, kind: str) -> str:
        return self.severities.get(kind, "warning")

    def enabled(self, kind: str) -> bool:
        return self.severity(kind) != "off"

    def fails(self, kind: str) -> bool:
        """Whether a (new) finding of ``kind`` fails the check."""
        sev = self.severity(kind)
        if sev == "off":
            return False
        if kind in self.fail_kinds:
            return True
        return self.fail_level is not None and _RANK[sev] >= _RANK[self.fail_level]


def _replace(p: Policy, **kw: Any) -> Policy:
    import dataclasses

    return dataclasses.replace(p, **kw)


# -- evaluated findings ---------------------------------------------------------


@dataclass
class Finding:
    """A cluster as ``dedupe check`` sees it."""

    cluster: Any  # findings.Cluster
    severity: str  # error | warning | note
    status: str  # new | grown | accepted | suppressed
    fails: bool  # fails the check (new or grown, at a failing level)
    targets: list[int]  # member indices to annotate (in checked files, not archive)
    accepted_count: int | None = None  # for "grown": how many copies were accepted
    reason: str = ""  # for "suppressed"
    parent: str | None = None  # for an in-article finding split out of a wider cluster: that cluster's id
    sims: dict[tuple[int, int], float] | None = field(default=None, repr=False)
    ordinals: list[int] | None = field(default=None, repr=False)
    doc_count: int = 0  # distinct documents among the copies (computed on first use)

    def documents(self) -> int:
        if not self.doc_count:
            self.doc_count = len({m.doc for m in self.cluster.members})
        return self.doc_count

    def ordinal(self, i: int) -> int:
        """How many copies of this finding come before member ``i`` in the same file."""
        if self.ordinals is None:
            seen: dict[str, int] = {}
            out = []
            for m in self.cluster.members:
                out.append(seen.get(m.path, 0))
                seen[m.path] = out[-1] + 1
            self.ordinals = out
        return self.ordinals[i]

    def similarity(self, i: int, j: int) -> float:
        """Similarity of members ``i`` and ``j`` (the cluster's when they are not linked directly)."""
        if self.sims is None:
            self.sims = pair_similarities(self.cluster)
        return float(self.sims.get((min(i, j), max(i, j)), self.cluster.similarity))

    @property
    def reported(self) -> bool:
        """Shown as an annotation (not covered by the baseline)."""
        return self.status in ("new", "grown")


@dataclass(frozen=True)
class Caps:
    """How much of each finding the outputs list (``--max-copies``, ``--max-annotations``).

    ``max_copies``: other copies named in one message, and related locations
    of one SARIF / rdjsonl result.  ``max_annotations``: annotations (results)
    of each severity written by one output format; ``None`` takes the format's
    default (:data:`dedupe.output.ci.DEFAULT_MAX_ANNOTATIONS`).  Whatever is
    cut is counted in the output and in the summary line; the exit code always
    reflects every finding.
    """

    max_copies: int = 10
    max_annotations: int | None = None


@dataclass
class CheckResult:
    """Everything the CI formats render."""

    result: Any  # findings.ScanResult
    findings: list[Finding]
    policy: Policy = field(default_factory=Policy)
    baseline_path: str | None = None
    changed: set[str] | None = None  # real paths checked with --changed-since, or None
    out_of_scope: int = 0  # clusters outside the changed files
    switched_off: int = 0  # clusters of rules set to "off"
    caps: Caps = field(default_factory=Caps)
    no_input: bool = False  # no article was found, and that is an error (not --allow-no-input)
    #: what the outputs cut, by what: {"github": {"annotations": 12}, "messages": {"copies": 300}}
    cut: dict[str, dict[str, int]] = field(default_factory=dict)
    #: source text of documents that are not files on disk (standard input), by path
    sources: dict[str, str] = field(default_factory=dict)
    scope_label: str = "--changed-since"  # what limited the reported files: --changed-since and/or --context
    #: counts of an update of the baseline (accepted, added, updated, pruned, suppressions); None: not updated
    baseline_update: dict[str, int] | None = None
    excluded: int = 0  # files under the checked paths that ``exclude`` patterns left out (counted, never silent)
    exclude_patterns: tuple[str, ...] = ()

    @property
    def reported(self) -> list[Finding]:
        return [f for f in self.findings if f.reported]

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.fails]

    @property
    def failed(self) -> bool:
        return bool(self.failing)

    @property
    def input_failed(self) -> bool:
        """Inputs could not be read (or none were found): the check cannot pass (exit 2)."""
        return bool(self.result.errors) or self.no_input

    @property
    def exit_code(self) -> int:
        """2 input errors, 1 failing findings, 0 otherwise."""
        if self.input_failed:
            return 2
        return 1 if self.failed else 0

    def count(self, status: str) -> int:
        return sum(1 for f in self.findings if f.status == status)

    def add_cut(self, where: str, what: str, n: int) -> None:
        """Record that output ``where`` left out ``n`` of ``what``."""
        if n > 0:
            d = self.cut.setdefault(where, {})
            d[what] = d.get(what, 0) + n

    def counts(self) -> dict[str, Any]:
        rep = self.reported
        return {
            "findings": len(rep),
            "failing": len(self.failing),
            "errors": sum(1 for f in rep if f.severity == "error"),
            "warnings": sum(1 for f in rep if f.severity == "warning"),
            "notes": sum(1 for f in rep if f.severity == "note"),
            "new": self.count("new"),
            "grown": self.count("grown"),
            "baseline_accepted": self.count("accepted"),
            "baseline_suppressed": self.count("suppressed"),
            "suppressed_inline": sum(d.suppressed for d in self.result.documents),
            "suppressed_boilerplate": sum(d.boilerplate for d in self.result.documents if not d.archive),
            "excluded_files": self.excluded,
            "out_of_scope": self.out_of_scope,
            "switched_off": self.switched_off,
            "documents": sum(1 for d in self.result.documents if not d.archive),
            "checked_documents": self.checked_documents(),
            "errors_reading": len(self.result.errors) + (1 if self.no_input else 0),
            "fail_on": self.policy.fail_on,
            "failed": self.failed or self.input_failed,
            "exit_code": self.exit_code,
        }

    def checked_documents(self) -> int:
        docs = [d for d in self.result.documents if not d.archive]
        if self.changed is None:
            return len(docs)
        return sum(1 for d in docs if _real(d.path) in self.changed)

    def narrowed_lines(self) -> list[str]:
        """What settings narrower than the defaults left unchecked (kinds off, sentences under a raised
        min-words): said in the verdict, so a config from the tree cannot quietly check less."""
        settings = getattr(self.result, "settings", None)
        if settings is None:
            return []
        from dedupe.config import Settings
        from dedupe.kinds import DEFAULT_KINDS

        out = []
        lowered = [f"{RULES.get(k, k)} {DEFAULT_SEVERITY[k]} -> {v}" for k, v in self.policy.severities.items()
                   if v in LEVELS and k in DEFAULT_SEVERITY and DEFAULT_SEVERITY[k] in LEVELS
                   and LEVELS.index(v) > LEVELS.index(DEFAULT_SEVERITY[k])]
        if lowered:  # a repeat a tree's config lowered to a note passes: say so
            out.append(f"rules lowered: {', '.join(lowered)}")
        off = [k for k in DEFAULT_KINDS if k not in settings.kinds]
        if off:
            out.append(f"kinds not checked: {', '.join(off)}")
        if settings.min_words > Settings().min_words:
            drafts = [d for d in self.result.documents if not d.archive]
            sentences = sum(d.sentences for d in drafts)
            if sentences:
                units = sum(d.units for d in drafts)
                out.append(f"min-words {settings.min_words}: {units} of {sentences} sentences and quotes long enough "
                           "to check")
        return out

    def excluded_line(self) -> str:
        """'N files left out by exclude patterns (...)' ('' when none were)."""
        if not self.excluded:
            return ""
        pats = ", ".join(repr(p) for p in self.exclude_patterns[:3])
        more = f" and {len(self.exclude_patterns) - 3} more" if len(self.exclude_patterns) > 3 else ""
        return f"{self.excluded} file{'' if self.excluded == 1 else 's'} left out by exclude (patterns: {pats}{more})"

    def cut_line(self) -> str:
        """What the outputs left out ('' when nothing), for the summary line."""
        parts = [f"{where}: " + ", ".join(f"{k} {what}" for what, k in d.items()) for where, d in self.cut.items() if d]
        if not parts:
            return ""
        return "output capped (" + "; ".join(parts) + "; raise with --max-annotations / --max-copies)"

    def summary_line(self) -> str:
        c = self.counts()

        def n(k: int, noun: str) -> str:
            return f"{k} {noun}" + ("" if k == 1 else "s")

        parts = [
            f"{n(c['findings'], 'finding')} ({n(c['errors'], 'error')}, {n(c['warnings'], 'warning')}"
            + (f", {n(c['notes'], 'note')}" if c["notes"] else "")
            + f") in {n(c['checked_documents'], 'article')}"
        ]
        if c["grown"]:
            parts.append(f"{c['grown']} accepted {'repeat has' if c['grown'] == 1 else 'repeats have'} more copies than the baseline")
        if self.baseline_path is not None:
            parts.append(
                f"baseline {self.baseline_path}: {c['baseline_accepted']} accepted, "
                f"{c['baseline_suppressed']} suppressed"
            )
        if c["suppressed_inline"]:
            per = [f"{d.path} {d.suppressed}" for d in self.result.documents if d.suppressed]
            if len(per) > 5:
                per = per[:5] + [f"{len(per) - 5} more articles"]
            parts.append(f"{n(c['suppressed_inline'], 'unit')} suppressed inline ({', '.join(per)})")
        if c["suppressed_boilerplate"] and getattr(self.result, "settings", None) is not None \
                and self.result.settings.boilerplate:  # patterns from the config: the verdict says what they took
            parts.append(f"{n(c['suppressed_boilerplate'], 'unit')} suppressed by boilerplate "
                         f"(patterns: {', '.join(repr(p) for p in self.result.settings.boilerplate[:3])})")
        if self.excluded:
            parts.append(self.excluded_line())
        parts.extend(self.narrowed_lines())
        if self.changed is not None:
            parts.append(f"{self.scope_label}: {n(self.out_of_scope, 'cluster')} outside the changed files not reported")
        if self.switched_off:
            parts.append(f"{n(self.switched_off, 'cluster')} of rules switched off")
        cut = self.cut_line()
        if cut:
            parts.append(cut)
        if self.input_failed:
            k = len(self.result.errors)
            what = "no input found" if self.no_input and not k else n(k, "input error")
            verdict = f"check failed: {what}" + (
                f" (and {n(c['failing'], 'failing finding')})" if c["failing"] else "")
        elif self.failed:
            verdict = f"check failed: {n(c['failing'], 'finding')} at or above fail-on {c['fail_on']}"
        else:
            verdict = f"check passed (fail-on {c['fail_on']})"
        return "dedupe: " + "; ".join(parts) + "; " + verdict


def real_path(path: str) -> str:
    """How paths are compared for --changed-since / --context."""
    return os.path.normcase(os.path.realpath(path))


_real = real_path


def pair_similarities(c: Cluster) -> dict[tuple[int, int], float]:
    """``{(a, b): similarity}`` of a cluster's verified links (a < b)."""
    out: dict[tuple[int, int], float] = {}
    for p in c.pairs:
        key = (min(p.a, p.b), max(p.a, p.b))
        out[key] = p.similarity
    return out


def in_article_parts(c: Cluster) -> list[Cluster]:
    """The in-article clusters inside a cluster that spans several documents.

    For every draft document holding two or more copies of ``c``, a cluster of
    kind ``repeated-sentence`` (``repeated-quote`` for quotes) with just those
    copies, the links between them and the fingerprint the article would
    have on its own.  Empty for a cluster inside one document.
    """
    docs: dict[str, list[int]] = {}
    for i, m in enumerate(c.members):
        docs.setdefault(m.doc, []).append(i)
    if len(docs) < 2:
        return []
    parts: list[Cluster] = []
    for idx in docs.values():
        if len(idx) < 2 or c.members[idx[0]].archive:
            continue
        kind = "repeated-quote" if c.members[idx[0]].unit == "quote" else "repeated-sentence"
        where = {old: new for new, old in enumerate(idx)}
        pairs = [Pair(where[p.a], where[p.b], p.jaccard, p.containment, p.similarity, p.link)
                 for p in c.pairs if p.a in where and p.b in where]
        pairs.sort(key=lambda p: (p.a, p.b))
        members = [c.members[i] for i in idx]
        details = detail_pairs(members, pairs) if c.details else []
        if details:  # the article's own copies contradict each other
            kind = "changed-detail"
        sim = min((p.similarity for p in pairs), default=c.similarity)
        jac = min((p.jaccard for p in pairs), default=c.jaccard)
        con = min((p.containment for p in pairs), default=c.containment)
        parts.append(Cluster(id=f"{c.id}.{len(parts) + 1}", kind=kind, members=members, pairs=pairs,
                             similarity=sim, jaccard=jac, containment=con,
                             fingerprint=cluster_fingerprint(kind, members), details=details or None))
    return parts


def evaluate(result: ScanResult, policy: Policy | None = None, baseline: Baseline | None = None, changed: Iterable[str] | None = None,
             baseline_path: str | None = None, caps: Caps | None = None) -> CheckResult:
    """Apply severities, the baseline and the changed-file scope to ``result``.

    A cluster spanning several documents with two or more copies in one
    article also yields that article's in-article finding (see
    :func:`in_article_parts`), listed just before it.

    ``changed`` holds real paths (``os.path.realpath``); when given, only
    clusters with a member in one of those files are kept, and only those
    members are annotated.
    """
    policy = policy or Policy()
    changed_set = {os.path.normcase(p) for p in changed} if changed is not None else None
    findings: list[Finding] = []
    out_of_scope = 0
    off = 0
    for outer in result.clusters:
        for c in (*in_article_parts(outer), outer):
            sev = policy.severity(c.kind)
            if sev == "off":
                off += 1
                continue
            targets = [i for i, m in enumerate(c.members) if not m.archive]
            if changed_set is not None:
                targets = [i for i in targets if _real(c.members[i].path) in changed_set]
                if not targets:
                    out_of_scope += 1
                    continue
            status, accepted, reason = "new", None, ""
            if baseline is not None:
                status = baseline.status(c)
                accepted = baseline.accepted_count(c.fingerprint)
                reason = baseline.reason(c.fingerprint)
            fails = status in ("new", "grown") and policy.fails(c.kind)
            findings.append(Finding(c, sev, status, fails, targets, accepted, reason,
                                    parent=outer.id if c is not outer else None))
    return CheckResult(result, findings, policy, baseline_path, changed_set, out_of_scope, off,
                       caps=caps or Caps())


# -- messages ----------------------------------------------------------------------


def _unit_word(c: Cluster) -> str:
    return "quote" if c.kind == "repeated-quote" or (c.members and c.members[0].unit == "quote") else "sentence"


def record_suffix(m: Member) -> str:
    """``#id`` when member ``m`` is a record of an export (its document is ``file.jsonl#id``), else ``""``."""
    return m.doc[len(m.path):] if m.doc != m.path and m.doc.startswith(m.path + "#") else ""


def where(m: Member, from_path: str | None = None, from_line: int | None = None, from_doc: str | None = None) -> str:
    """How a message names the place of member ``m`` (seen from ``from_path``, line ``from_line``, in
    document ``from_doc``): a record of an export is named as an article of its own (``file.jsonl#id``,
    with its title), never as another line of the same article."""
    if m.archive:
        t = f" ({snippet(m.title, 60)})" if m.title else ""
        return f"archived article {m.doc}{t}, line {m.line}"
    same_doc = from_doc is None or m.doc == from_doc
    if from_path is not None and m.path == from_path and same_doc:
        return f"line {m.line} column {m.column}" if from_line == m.line else f"line {m.line}"
    suffix = record_suffix(m)
    if suffix:
        t = f" ({snippet(m.title, 60)})" if m.title else ""
        return f"{m.path}{suffix}{t} line {m.line}"
    return f"{m.path} line {m.line}"


def snippet(text: str, limit: int = 120) -> str:
    t = " ".join(text.split())
    return t if len(t) <= limit else t[: limit - 1].rstrip() + "…"


def other_index(c: Cluster, index: int, multi: bool | None = None) -> int:
    """The copy a message about ``members[index]`` points to: for a cluster
    spanning several documents, the first copy in another document (that is
    the finding); otherwise the first other copy."""
    m = c.members[index]
    if multi is None:
        multi = len({x.doc for x in c.members}) > 1
    if multi:
        for k, x in enumerate(c.members):
            if x.doc != m.doc:
                return k
    for k in range(len(c.members)):
        if k != index:
            return k
    return index


def link_measures(c: Cluster, i: int, j: int, sim: float) -> str:
    """How members ``i`` and ``j`` are linked, for a message: ``similarity 0.91``; ``similarity 0.92 by
    word alignment`` (a short sentence with a word or two changed); ``similarity 0.67, linked by
    containment 0.90`` (the shorter copy inside the other, below the similarity threshold)."""
    for p in c.pairs:
        if {p.a, p.b} == {i, j}:
            if p.link == "words":
                return f"similarity {p.similarity:.2f} by word alignment"
            if p.link == "containment":
                return f"similarity {p.similarity:.2f}, linked by containment {p.containment:.2f}"
            return f"similarity {p.similarity:.2f}"
    return f"similarity {sim:.2f}"


def message(finding_or_cluster: Finding | Cluster, index: int, with_text: bool = True, max_copies: int | None = None,
            counter: dict[str, int] | None = None) -> str:
    """The message for member ``index``: what repeats and where the other copies are.

    At most ``max_copies`` other copies are named (all when None); the rest
    are counted ("and 290 more"), and added to ``counter["copies"]``.
    """
    f = finding_or_cluster if isinstance(finding_or_cluster, Finding) else None
    c = finding_or_cluster.cluster if isinstance(finding_or_cluster, Finding) else finding_or_cluster
    m = c.members[index]
    oi = other_index(c, index, f.documents() > 1 if f is not None else None)
    o = c.members[oi]
    if len(c.members) == 2:
        sim = c.similarity
    elif f is not None:
        sim = f.similarity(index, oi)
    else:
        sim = pair_similarities(c).get((min(index, oi), max(index, oi)), c.similarity)
    unit = _unit_word(c)
    measures = link_measures(c, index, oi, sim)
    changed = c.detail_summary(oi, index) if getattr(c, "details", None) else ""
    at = where(o, m.path, m.line, m.doc)
    if changed and o.archive:
        msg = f"This {unit} changes a detail of the published {unit} at {at} ({changed}; {measures})"
    elif changed and o.doc != m.doc:
        msg = f"This {unit} repeats the {unit} at {at} with a detail changed ({changed}; {measures})"
    elif changed:
        msg = f"This {unit} contradicts the {unit} at {at}: a detail differs ({changed}; {measures})"
    else:
        msg = f"This {unit} repeats the {unit} at {at} ({measures})"
    rest = len(c.members) - 2  # copies besides this one and the one named
    limit = rest if max_copies is None else max(0, max_copies - 1)
    more: list[str] = []
    for k, x in enumerate(c.members):
        if len(more) >= limit:
            break
        if k not in (index, oi):
            more.append(where(x, m.path, m.line, m.doc))
    hidden = rest - len(more)
    if more:
        msg += f"; also at {', '.join(more)}"
    if hidden > 0:
        msg += f"{' and' if more else '; also at'} {hidden} more place{'s' if hidden != 1 else ''}"
        if counter is not None:
            counter["copies"] = counter.get("copies", 0) + hidden
    if f is not None and f.status == "grown":
        msg += f"; {len(c.members)} copies now, the baseline accepted {f.accepted_count}"
    if with_text:
        t = snippet(m.text)
        msg += f": {t}" if t[:1] in "\"'“‘«„" else f": “{t}”"
    return msg
