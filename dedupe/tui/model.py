"""Review state without widgets: clusters, filters, decisions, undo.

Decisions are kept as *pending* until saved: ``save()`` applies them to the
baseline (the file ``dedupe check`` reads) and writes it atomically.  Until
then ``u`` can take any of them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..config import KINDS
from ..findings import Cluster, ScanResult

ACCEPT, IGNORE = "accepted", "ignored"

#: Short labels of the kinds for the list.
KIND_LABELS = {
    "repeated-sentence": "sentence",
    "repeated-quote": "quote",
    "cross-article": "cross",
    "archive-match": "archive",
}


class BaselineLike(Protocol):  # what the UI needs of dedupe.baseline.Baseline
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


def first_words(text: str, n: int = 8) -> str:
    words = text.split()
    out = " ".join(words[:n])
    return out + (" …" if len(words) > n else "")


class ReviewModel:
    """What the list shows and what the editor decided."""

    def __init__(self, baseline: BaselineLike | None, show_resolved: bool = False) -> None:
        self.baseline = baseline
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

    # -- results -----------------------------------------------------------
    def set_result(self, result: ScanResult) -> None:
        self.result = result
        self.clusters = list(result.clusters)
        self._haystack = {}
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

    def status(self, c: Cluster) -> str:
        """``accepted``/``ignored`` (this session), else the baseline's word."""
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
        order: list[str | None] = [None, *KINDS]
        i = order.index(self.kind_filter) if self.kind_filter in order else 0
        self.kind_filter = order[(i + 1) % len(order)]
        return self.kind_filter

    def _text_of(self, c: Cluster) -> str:
        """Every member's text and path, casefolded (cached: filtering re-reads it on every keystroke)."""
        hay = self._haystack.get(c.id)
        if hay is None:
            hay = "\0".join(f"{m.text}\0{m.path}" for m in c.members).casefold()
            self._haystack[c.id] = hay
        return hay

    def visible(self) -> list[Cluster]:
        """The clusters the list shows, in scan order (a new list; the clusters are not copied)."""
        needle = self.text_filter.casefold().strip()
        hide = set() if self.show_resolved else self.resolved_at_scan - self.pending.keys()
        kind = self.kind_filter
        return [c for c in self.clusters
                if c.fingerprint not in hide and (not kind or c.kind == kind)
                and (not needle or needle in self._text_of(c))]

    # -- decisions -----------------------------------------------------------
    def decide(self, c: Cluster, action: str, reason: str = "") -> Decision:
        d = Decision(c.fingerprint, action, reason, c)
        self.pending[c.fingerprint] = d
        self.undo_stack.append(d)
        return d

    def undo(self) -> Decision | None:
        while self.undo_stack:
            d = self.undo_stack.pop()
            if self.pending.get(d.fingerprint) is d:
                del self.pending[d.fingerprint]
                # an earlier decision on the same cluster comes back
                for e in reversed(self.undo_stack):
                    if e.fingerprint == d.fingerprint:
                        self.pending[d.fingerprint] = e
                        break
                return d
        return None

    @property
    def unsaved(self) -> int:
        return len(self.pending)

    def save(self) -> int:
        """Apply pending decisions to the baseline and write it; how many."""
        if self.baseline is None:
            raise RuntimeError("no baseline")
        n = 0
        for d in self.pending.values():
            if d.action == ACCEPT:
                self.baseline.accept(d.cluster)
            else:
                self.baseline.suppress(d.cluster, reason=d.reason)
            n += 1
        self.baseline.save()
        for fp, d in self.pending.items():
            self.base_status[fp] = "accepted" if d.action == ACCEPT else "suppressed"
        self.pending.clear()
        self.undo_stack.clear()
        self.saved_count += n
        return n

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
        }
