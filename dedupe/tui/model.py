"""Review state without widgets: clusters, filters, decisions, undo.

Decisions are kept as *pending* until saved: ``save()`` applies them to the
baseline (the file ``dedupe check`` reads) and writes it atomically.  Until
then ``u`` can take any of them back.

Whole-article duplicates (a story reposted under a new id, a draft re-running
an archived story) are *folded*: every cluster whose copies all lie in one
such pair of articles becomes one :class:`ArticleGroup` row.  A decision on
the row is one decision per cluster (the baseline keeps per-cluster
fingerprints, exactly what ``dedupe check`` reads), undone together.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from dedupe.atomic import write_atomic
from dedupe.check.rules import Policy
from dedupe.config import KINDS
from dedupe.findings import Cluster, Member, Overlap, ScanResult
from dedupe.kinds import LABELS

ACCEPT, IGNORE = "accepted", "ignored"

#: Short labels of the kinds for the list.
KIND_LABELS = {**LABELS, "article": "article"}

#: Both articles share at least this much of their checked sentences (as ``ScanResult.duplicate_documents``).
WHOLE_SHARE = 0.8


#: Sort orders of the list (``o`` cycles them), the default first.
SORTS = ("severity", "article", "size", "similarity")
SORT_LABELS = {"severity": "severity", "article": "article", "size": "size", "similarity": "similarity"}
SEVERITY_RANK = {"error": 0, "warning": 1, "note": 2, "off": 3}

#: The journal of unsaved decisions sits next to the baseline: ``<baseline>.review-journal``.
JOURNAL_SUFFIX = ".review-journal"


def journal_path(baseline_path: str) -> str:
    return baseline_path + JOURNAL_SUFFIX


def natural_key(text: str) -> tuple[Any, ...]:
    """Sort key putting "878" before "1002" (runs of digits compare as numbers)."""
    return tuple(int(t) if t.isdigit() else t.casefold() for t in re.split(r"(\d+)", text))


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1]


class BaselineLike(Protocol):  # what the UI needs of dedupe.check.baseline.Baseline
    settings: dict[str, Any]

    def status(self, cluster: Cluster) -> str: ...
    def accept(self, cluster: Cluster) -> Any: ...
    def suppress(self, cluster: Cluster, reason: str = "") -> Any: ...
    def save(self) -> Any: ...


@dataclass
class Decision:
    fingerprint: str
    action: str  # ACCEPT or IGNORE
    reason: str
    cluster: Cluster
    group: str = ""  # key of the article row it was taken on
    batch: int = 0  # decisions taken together on one row (undone together); 0: alone


@dataclass
class DuplicatePair:
    """Two whole-duplicate articles: ``ab`` is a's share in b, ``ba`` b's share in a."""

    key: str  # "article:" + a + NUL + b (a row's fingerprint: never a cluster's)
    id: str  # "D1", "D2" ... in scan order
    a: str
    b: str
    ab: Overlap
    ba: Overlap
    title_a: str | None = None
    title_b: str | None = None
    path_a: str = ""
    path_b: str = ""

    @property
    def share(self) -> float:
        return min(self.ab.share, self.ba.share)


@dataclass
class ArticleGroup:
    """One list row for the clusters (as filtered) of a whole-duplicate pair."""

    pair: DuplicatePair
    clusters: list[Cluster] = field(default_factory=list)
    kind = "article"

    @property
    def id(self) -> str:
        return self.pair.id

    @property
    def fingerprint(self) -> str:
        return self.pair.key

    @property
    def similarity(self) -> float:
        return self.pair.share

    @property
    def fingerprints(self) -> set[str]:
        return {c.fingerprint for c in self.clusters}

    def lines(self, c: Cluster) -> tuple[list[int], list[int]]:
        """Lines of cluster ``c``'s copies in article a and in article b."""
        return ([m.line for m in c.members if m.doc == self.pair.a],
                [m.line for m in c.members if m.doc == self.pair.b])


Row = Cluster | ArticleGroup


def whole_duplicates(result: ScanResult, min_share: float = WHOLE_SHARE) -> list[DuplicatePair]:
    """The whole-article duplicate pairs of ``result`` (``duplicate_documents``:
    reposted drafts, and drafts re-running an archived story), in scan order."""
    infos = {d.id: d for d in result.documents}
    found: list[tuple[Overlap, Overlap]] = []
    for o in result.duplicate_documents(min_share):
        back = Overlap(o.other, o.doc, o.other_shared, o.other_total, list(o.clusters),
                       infos[o.doc].title if o.doc in infos else None, o.shared, o.total)
        found.append((o, back))
    order = {d.id: i for i, d in enumerate(result.documents)}
    found.sort(key=lambda p: (order.get(p[0].doc, 0), order.get(p[0].other, 0)))
    out = []
    for i, (ab, ba) in enumerate(found, 1):
        a, b = ab.doc, ab.other
        ia, ib = infos.get(a), infos.get(b)
        out.append(DuplicatePair(key=f"article:{a}\0{b}", id=f"D{i}", a=a, b=b, ab=ab, ba=ba,
                                 title_a=ia.title if ia else None, title_b=ib.title if ib else None,
                                 path_a=ia.path if ia else a, path_b=ib.path if ib else b))
    return out


def first_words(text: str, n: int = 8) -> str:
    words = text.split()
    out = " ".join(words[:n])
    return out + (" …" if len(words) > n else "")


class ReviewModel:
    """What the list shows and what the editor decided."""

    def __init__(self, baseline: BaselineLike | None, show_resolved: bool = False, *,
                 severity: Callable[[str], str] | None = None, journal: str | None = None) -> None:
        self.baseline = baseline
        self.severity = severity or Policy.from_config().severity
        self.sort = SORTS[0]
        #: text of a member's paragraph, for the text filter (set by the app: it has the documents)
        self.context: Callable[[Member], str | None] = lambda m: None
        #: file the unsaved decisions are journalled to (None: no journal)
        self.journal = journal
        #: journalled decisions of an earlier review, neither restored nor discarded yet (kept in the journal)
        self.deferred: list[dict[str, Any]] = []
        self.result: ScanResult | None = None
        self.clusters: list[Cluster] = []
        self.by_fp: dict[str, Cluster] = {}
        self.pending: dict[str, Decision] = {}
        self.undo_stack: list[Decision] = []
        self.resolved_at_scan: set[str] = set()
        self.base_status: dict[str, str] = {}
        self.show_resolved = show_resolved
        self.kind_filter: str | None = None
        self.text_filter = ""
        self.saved_count = 0
        self._haystack: dict[str, str] = {}  # cluster id -> casefolded text and paths
        self._article_keys: dict[str, tuple[Any, ...]] = {}  # row key -> sort key of its article
        self.fold = True  # whole-article duplicates as one row each
        self.pairs: list[DuplicatePair] = []
        self.pair_of: dict[str, DuplicatePair] = {}  # cluster id -> its whole-duplicate pair
        self._batch = 0
        #: ids given so far, by fingerprint (clusters) and by article pair: a re-scan keeps them
        self._ids: dict[str, str] = {}
        self._next_id = {"C": 0, "D": 0}

    # -- results -----------------------------------------------------------
    def _stable_id(self, key: str, prefix: str, used: set[str]) -> str:
        i = self._ids.get(key)
        if i is None or i in used:
            self._next_id[prefix] += 1
            i = self._ids[key] = f"{prefix}{self._next_id[prefix]}"
        used.add(i)
        return i

    def _keep_ids(self, result: ScanResult) -> None:
        """Cluster ids that survive a re-scan: a cluster seen before (by its fingerprint) keeps its id,
        a new one gets the next unused number (C5 stays C5; nothing is renumbered).  The first scan
        keeps the engine's ids."""
        if not self._ids:
            for c in result.clusters:
                self._ids.setdefault(c.fingerprint, c.id)
            nums = [int(c.id[1:]) for c in result.clusters if c.id[:1] == "C" and c.id[1:].isdigit()]
            self._next_id["C"] = max(nums, default=0)
        used: set[str] = set()
        for c in result.clusters:
            c.id = self._stable_id(c.fingerprint, "C", used)

    def set_result(self, result: ScanResult) -> None:
        """Show ``result`` (its clusters keep the ids they had in the previous result)."""
        self._keep_ids(result)
        self.result = result
        self.clusters = list(result.clusters)
        self._haystack = {}
        self._article_keys = {}
        self.pairs = whole_duplicates(result)
        used: set[str] = set()
        for pair in self.pairs:
            pair.id = self._stable_id(pair.key, "D", used)
        by_docs = {frozenset((p.a, p.b)): p for p in self.pairs}
        self.pair_of = {}
        if by_docs:
            for c in self.clusters:
                docs = c.documents
                if len(docs) == 2:  # every copy in the two articles (as dedupe scan's text output folds)
                    p = by_docs.get(frozenset(docs))
                    if p is not None:
                        self.pair_of[c.id] = p
        self.by_fp = {}
        for c in self.clusters:
            self.by_fp.setdefault(c.fingerprint, c)
        self.base_status = {c.fingerprint: self._baseline_status(c) for c in self.clusters}
        self.resolved_at_scan = {fp for fp, s in self.base_status.items() if s in ("accepted", "suppressed")}
        for fp, d in self.pending.items():
            if fp in self.by_fp:
                d.cluster = self.by_fp[fp]

    def _baseline_status(self, c: Cluster) -> str:
        if self.baseline is None:
            return "new"
        return self.baseline.status(c)

    def status(self, c: Row) -> str:
        """``accepted``/``ignored`` (this session), else the baseline's word.

        A folded row: its clusters' common status; ``grown`` if any grew, else ``mixed``."""
        if isinstance(c, ArticleGroup):
            seen = {self.status(x) for x in c.clusters}
            if len(seen) == 1:
                return seen.pop()
            return "grown" if "grown" in seen else "mixed"
        d = self.pending.get(c.fingerprint)
        if d is not None:
            return d.action
        s = self.base_status.get(c.fingerprint, "new")
        return IGNORE if s == "suppressed" else s

    # -- filtering ---------------------------------------------------------
    def kinds_present(self) -> list[str]:
        have = {c.kind for c in self.clusters}
        return [k for k in KINDS if k in have]

    def cycle_kind(self) -> str | None:
        """The next kind filter: all, then each kind the scan reports (its settings' kinds), in registry order."""
        enabled = self.result.settings.kinds if self.result is not None else KINDS
        order: list[str | None] = [None, *(k for k in KINDS if k in enabled)]
        i = order.index(self.kind_filter) if self.kind_filter in order else 0
        self.kind_filter = order[(i + 1) % len(order)]
        return self.kind_filter

    def _text_of(self, c: Cluster) -> str:
        """Everything the detail shows of a cluster, casefolded: its id, kind and rule, every copy's
        text, paragraph, path and title (cached: filtering re-reads it on every keystroke)."""
        hay = self._haystack.get(c.id)
        if hay is None:
            bits = [c.id, c.kind, KIND_LABELS.get(c.kind, c.kind), c.rule]
            for m in c.members:
                bits += [m.text, m.path, f"{m.path}:{m.line}:{m.column}", m.title or "", m.doc,
                         self.context(m) or ""]
            hay = "\0".join(bits).casefold()
            self._haystack[c.id] = hay
        return hay

    def _group_text(self, g: ArticleGroup) -> str:
        p = g.pair
        return "\0".join((p.id, "article", p.a, p.b, p.path_a, p.path_b, p.title_a or "", p.title_b or "")).casefold()

    def _matches(self, r: Row, terms: list[str]) -> bool:
        if isinstance(r, ArticleGroup):
            head = self._group_text(r)
            hays = [head, *(self._text_of(c) for c in r.clusters)]
            return all(any(t in h for h in hays) for t in terms)
        hay = self._text_of(r)
        return all(t in hay for t in terms)

    # -- sorting -------------------------------------------------------------
    def cycle_sort(self) -> str:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        return self.sort

    def _rank(self, r: Row) -> int:
        if isinstance(r, ArticleGroup):
            return min((SEVERITY_RANK.get(self.severity(c.kind), 1) for c in r.clusters), default=1)
        return SEVERITY_RANK.get(self.severity(r.kind), 1)

    def _article(self, r: Row) -> tuple[Any, ...]:
        """(natural key of the article's file name, line); cached: the list is re-sorted on every keystroke."""
        key = r.fingerprint if isinstance(r, ArticleGroup) else r.id
        hit = self._article_keys.get(key)
        if hit is None:
            if isinstance(r, ArticleGroup):
                hit = (natural_key(_stem(r.pair.a)), 0)  # the document id: a story of an export by its record id
            else:
                m = r.members[0]
                hit = (natural_key(_stem(m.doc)), m.line)
            self._article_keys[key] = hit
        return hit

    @staticmethod
    def copies(r: Row) -> int:
        """The list's × column: copies of the cluster; an article row: the two articles."""
        return 2 if isinstance(r, ArticleGroup) else len(r.members)

    @staticmethod
    def _words(r: Row) -> int:
        if isinstance(r, ArticleGroup):
            return sum(len(c.members[0].text.split()) for c in r.clusters)
        return len(r.members[0].text.split())

    def sort_key(self, r: Row) -> tuple[Any, ...]:
        s = self.sort
        if s == "article":
            return (self._article(r), self._rank(r), -r.similarity)
        if s == "size":
            return (-self.copies(r), -self._words(r), self._rank(r), -r.similarity)
        if s == "similarity":
            return (-r.similarity, self._rank(r), self._article(r))
        # a whole-article duplicate first within its severity: one decision covers all its clusters
        return (self._rank(r), not isinstance(r, ArticleGroup), -r.similarity, self._article(r))

    def visible(self) -> list[Row]:
        """The rows the list shows, sorted by ``sort`` (a new list; the clusters are not copied).

        Folded, the clusters of a whole-duplicate pair that pass the resolved
        and kind filters make one :class:`ArticleGroup`; it passes the text
        filter if every term is found in its articles or in any of its clusters."""
        terms = self.text_filter.casefold().split()
        hide = set() if self.show_resolved else self.resolved_at_scan - self.pending.keys()
        kind = self.kind_filter
        pair_of = self.pair_of if self.fold else {}
        rows: list[Row] = []
        groups: dict[str, ArticleGroup] = {}
        for c in self.clusters:
            if c.fingerprint in hide or (kind and c.kind != kind):
                continue
            p = pair_of.get(c.id) if pair_of else None
            if p is None:
                rows.append(c)
                continue
            g = groups.get(p.key)
            if g is None:
                g = groups[p.key] = ArticleGroup(p)
                rows.append(g)
            g.clusters.append(c)
        if terms:
            rows = [r for r in rows if self._matches(r, terms)]
        rows.sort(key=self.sort_key)  # stable: scan order breaks the last ties
        return rows

    def fold_counts(self) -> tuple[int, int]:
        """(clusters folded, article rows they make) over the whole result."""
        if not self.fold:
            return 0, 0
        return len(self.pair_of), len({p.key for p in self.pair_of.values()})

    # -- decisions -----------------------------------------------------------
    def decide(self, c: Row, action: str, reason: str = "") -> Decision:
        """Decide on a cluster, or on every cluster of a folded row (one decision each, undone together)."""
        if isinstance(c, ArticleGroup):
            first = None
            self._batch += 1
            for x in c.clusters:
                d = Decision(x.fingerprint, action, reason, x, group=c.fingerprint, batch=self._batch)
                self.pending[x.fingerprint] = d
                self.undo_stack.append(d)
                first = first or d
            if first is None:
                raise ValueError("empty article row")
            self.write_journal()
            return first
        d = Decision(c.fingerprint, action, reason, c)
        self.pending[c.fingerprint] = d
        self.undo_stack.append(d)
        self.write_journal()
        return d

    def _undo_one(self, d: Decision) -> bool:
        if self.pending.get(d.fingerprint) is not d:
            return False  # superseded by a later decision
        del self.pending[d.fingerprint]
        # an earlier decision on the same cluster comes back
        for e in reversed(self.undo_stack):
            if e.fingerprint == d.fingerprint:
                self.pending[d.fingerprint] = e
                break
        return True

    def undo(self) -> Decision | None:
        """Take back the last decision (all of a folded row's at once); the one taken back, or None."""
        while self.undo_stack:
            d = self.undo_stack.pop()
            done = self._undo_one(d)
            if d.batch:
                while self.undo_stack and self.undo_stack[-1].batch == d.batch:
                    done = self._undo_one(self.undo_stack.pop()) or done
            if done:
                self.write_journal()
                return d
        return None

    @property
    def unsaved(self) -> int:
        return len(self.pending)

    def save(self, settings: dict[str, Any] | None = None) -> int:
        """Apply pending decisions to the baseline and write it (with ``settings``, the scan
        settings it was made with, when given); how many.  The journal goes once saved."""
        if self.baseline is None:
            raise RuntimeError("no baseline")
        n = 0
        for d in self.pending.values():
            if d.action == ACCEPT:
                self.baseline.accept(d.cluster)
            else:
                self.baseline.suppress(d.cluster, reason=d.reason)
            n += 1
        if settings is not None:
            self.baseline.settings = dict(settings)
        self.baseline.save()
        for fp, d in self.pending.items():
            self.base_status[fp] = "accepted" if d.action == ACCEPT else "suppressed"
        self.pending.clear()
        self.undo_stack.clear()
        self.saved_count += n
        self.write_journal()  # gone, unless decisions of an earlier review wait in it
        return n

    # -- journal ---------------------------------------------------------------
    def write_journal(self) -> None:
        """Write the unsaved decisions (in the order taken) to the journal, atomically; none: remove it."""
        if not self.journal:
            return
        if not self.pending and not self.deferred:
            self.drop_journal()
            return
        live = set(map(id, self.pending.values()))
        entries = [e for e in self.deferred if e["fingerprint"] not in self.pending] + [{"fingerprint": d.fingerprint, "action": d.action, "reason": d.reason, "cluster": d.cluster.id,
                    "kind": d.cluster.kind, "text": d.cluster.members[0].text[:200], "group": d.group,
                    "batch": d.batch}
                   for d in self.undo_stack if id(d) in live]
        data = {"tool": "dedupe review", "journal": 1, "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "decisions": entries}
        write_atomic(self.journal, json.dumps(data, ensure_ascii=False, indent=1) + "\n")

    def drop_journal(self) -> None:
        self.deferred = []
        if self.journal:
            try:
                os.unlink(self.journal)
            except FileNotFoundError:
                pass

    def read_journal(self) -> list[dict[str, Any]]:
        """Decisions of a review that ended without saving (an unreadable journal reads as none)."""
        if not self.journal or not os.path.exists(self.journal):
            return []
        try:
            with open(self.journal, encoding="utf-8") as fh:
                data = json.load(fh)
            entries = data["decisions"]
        except (OSError, ValueError, KeyError, TypeError):
            return []
        return [e for e in entries if isinstance(e, dict) and e.get("action") in (ACCEPT, IGNORE)
                and isinstance(e.get("fingerprint"), str)]

    def restore(self, entries: list[dict[str, Any]]) -> tuple[int, int]:
        """Take journalled decisions back as unsaved ones: (restored, no longer found in this scan)."""
        done = missing = 0
        for e in entries:
            c = self.by_fp.get(e["fingerprint"])
            if c is None:
                missing += 1
                continue
            d = Decision(c.fingerprint, e["action"], str(e.get("reason") or ""), c, group=str(e.get("group") or ""),
                         batch=int(e.get("batch") or 0))
            self._batch = max(self._batch, d.batch)
            self.pending[c.fingerprint] = d
            self.undo_stack.append(d)
            done += 1
        self.deferred = []
        self.write_journal()
        return done, missing

    # -- header ----------------------------------------------------------------
    def totals(self) -> dict[str, Any]:
        r = self.result
        if r is None:
            return {}
        drafts = [d for d in r.documents if not d.archive]
        by_kind: dict[str, int] = {}
        for c in self.clusters:
            by_kind[c.kind] = by_kind.get(c.kind, 0) + 1
        return {
            "articles": len(drafts),
            "archive": len(r.documents) - len(drafts),
            "sentences": sum(d.sentences for d in drafts),
            "clusters": len(self.clusters),
            "by_kind": by_kind,
            "resolved": len(self.resolved_at_scan),
            "errors": len(r.errors),
            "folded": self.fold_counts(),
        }
