"""The results of a scan as typed objects: members, clusters, overlaps.

Everything a front end shows comes from here: the CLI's text and JSON
output, the CI formats, the HTML report and the review UI all read a
:class:`ScanResult`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dedupe.config import RULES, Settings
from dedupe.errors import DedupeError
from dedupe.text.align import Change, Span, align_group, diff_pair, marked_spans
from dedupe.text.details import changed_details
from dedupe.text.details import summary as detail_summary
from dedupe.text.normalize import normalized_key


@dataclass(slots=True)
class Member:
    """One copy: where it is and what it says.

    ``start``/``end`` are offsets into the document's text; ``line``,
    ``column``, ``end_line`` and ``end_column`` are 1-based positions in the
    original file (``end_column`` just past the last character).
    """

    doc: str
    path: str
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int
    text: str
    unit: str = "sentence"
    title: str | None = None
    archive: bool = False
    #: :attr:`key`, once computed (slots, not a ``__dict__``: a large scan holds hundreds of thousands of members)
    _key: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def key(self) -> str:
        """Normalised text (lower-case word tokens joined by spaces), computed once."""
        k = self._key
        if k is None:
            k = self._key = normalized_key(self.text)
        return k

    def to_dict(self) -> dict[str, Any]:
        d = {
            "doc": self.doc,
            "path": self.path,
            "start": self.start,
            "end": self.end,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "text": self.text,
            "unit": self.unit,
        }
        if self.title:
            d["title"] = self.title
        if self.archive:
            d["archive"] = True
        return d


@dataclass(frozen=True, slots=True)
class Pair:
    """A verified link between members ``a`` and ``b`` (indices into members).

    Both measures are properties of the two texts, whatever threshold found
    the pair: ``jaccard`` (shared word 3-shingles over all of either's) is
    the ``similarity`` shown; ``containment`` (shared shingles over the
    shorter one's) is shown beside it where it differs, for a sentence
    repeated inside a longer one.  A pair is reported when its Jaccard
    reaches ``--threshold`` or its containment reaches ``--containment``
    raised to ``--threshold``.
    """

    a: int
    b: int
    jaccard: float
    containment: float
    similarity: float = -1.0
    #: What links the pair: "jaccard" (shingle similarity), "containment" (the shorter one inside the
    #: other) or "words" (a short sentence with a word or two changed, by word alignment; ``similarity``
    #: is then the aligned share of words).
    link: str = ""

    def __post_init__(self) -> None:
        if self.similarity < 0:  # not given: the Jaccard similarity
            object.__setattr__(self, "similarity", self.jaccard)
        if not self.link:
            object.__setattr__(self, "link", "jaccard")


@dataclass
class Cluster:
    """Near-duplicate units grouped together, with every verified link."""

    id: str
    kind: str
    members: list[Member]
    pairs: list[Pair]
    similarity: float
    jaccard: float
    containment: float
    fingerprint: str = ""
    #: For a ``restatement``: its score, what the score means, and the words and figures both sentences
    #: share (``spans``: per member, character ranges into its text).  None for near-copies.
    restatement: dict[str, Any] | None = None
    #: For a ``changed-detail``: the pairs whose copies differ only in details, each
    #: ``{"a", "b", "details": [{"category", "before", "after", "a": {...}, "b": {...}}]}``.
    details: list[dict[str, Any]] | None = None
    #: How many verified links the copies have (``pairs`` lists a spanning set of them: every copy
    #: linked to the representative, the first copy, directly or through other copies); 0: ``len(pairs)``.
    links: int = 0

    @property
    def links_total(self) -> int:
        """Verified links between the copies, listed in ``pairs`` or not."""
        return max(self.links, len(self.pairs))

    @property
    def rule(self) -> str:
        return RULES[self.kind]

    @property
    def documents(self) -> list[str]:
        seen: dict[str, None] = {}
        for m in self.members:
            seen.setdefault(m.doc, None)
        return list(seen)

    def alignment(self) -> list[list[Span]]:
        """Per member, its word spans with ``shared`` set for words that every
        copy has (computed on demand: it is only needed for display)."""
        if not hasattr(self, "_alignment"):
            if self.restatement is not None:  # shared by meaning: the words and figures both have, and
                # every word the alignment finds in both copies (never a shared word marked as differing)
                spans = self.restatement.get("spans") or [[] for _ in self.members]
                marked = [marked_spans(m.text, [tuple(x) for x in sp]) for m, sp in zip(self.members, spans)]
                aligned = align_group([m.text for m in self.members])
                self._alignment = [[Span(x.start, x.end, x.shared or y.shared) for x, y in zip(mk, al)]
                                   for mk, al in zip(marked, aligned)]
            else:
                self._alignment = align_group([m.text for m in self.members])
        return self._alignment

    def other(self, index: int) -> Member:
        """The member a message about ``members[index]`` should point to: the
        first copy that is not in the same place."""
        for k, m in enumerate(self.members):
            if k != index:
                return m
        return self.members[index]

    def pair_similarity(self, i: int, j: int) -> float | None:
        """The similarity of members ``i`` and ``j`` when they are a verified pair (a dict lookup)."""
        index = self.__dict__.get("_pair_index")
        if index is None or len(index) != len(self.pairs):
            index = self.__dict__["_pair_index"] = {(min(p.a, p.b), max(p.a, p.b)): p.similarity for p in self.pairs}
        return index.get((min(i, j), max(i, j)))

    @property
    def scope(self) -> str:
        """Where the copies are: ``article`` (one article), ``drafts`` (several drafts) or ``archive``."""
        if any(m.archive for m in self.members):
            return "archive"
        return "drafts" if len({m.doc for m in self.members}) > 1 else "article"

    def differences(self, i: int, j: int) -> list[Change]:
        """The aligned differences between members ``i`` and ``j`` (:func:`dedupe.text.align.diff_pair`)."""
        cache: dict[tuple[int, int], list[Change]] = self.__dict__.setdefault("_differences", {})
        key = (i, j)
        if key not in cache:
            cache[key] = self._aligned(i, j)
        return cache[key]

    def _aligned(self, i: int, j: int) -> list[Change]:
        a, b = self.members[i], self.members[j]
        # the same words, nothing to align: the same text, or the same key (the normalised tokens,
        # exactly diff_pair's tokens when the text is ASCII: lower-casing then changes no token)
        if a.text == b.text or (a.key == b.key and a.text.isascii() and b.text.isascii()):
            return []
        return diff_pair(a.text, b.text)

    def _uncached_differences(self, i: int, j: int) -> list[Change]:
        """:meth:`differences`, not kept when not computed before (a report written as it is produced
        does not hold every cluster's differences at the end)."""
        hit = self.__dict__.get("_differences", {}).get((i, j))
        return hit if hit is not None else self._aligned(i, j)

    def detail_summary(self, i: int, j: int) -> str:
        """``figure: 500 -> 1001; ...``: the details changed from member ``i`` to member ``j``, '' when
        their copies differ in more than details (or not at all)."""
        if not self.details:
            return ""
        found = changed_details(self.members[i].text, self.members[j].text, self.differences(i, j))
        return detail_summary(found) if found else ""

    def note(self) -> str:
        """One line saying what links the copies when the similarity alone does not: the changed details
        (``changed from the published copy: figure: 500 -> 1001``), a link by word alignment or by
        containment (``similarity 0.67, linked by containment 0.90``); '' otherwise."""
        if self.details:
            first = self.details[0]
            a, b = int(first["a"]), int(first["b"])
            if self.members[b].archive and not self.members[a].archive:
                a, b = b, a
            changed = self.detail_summary(a, b)
            lead = {"archive": "changed from the published copy", "drafts": "changed between the drafts",
                    "article": "inconsistent inside the article"}[self.scope]
            return f"{lead}: {changed}" if changed else lead
        links = {p.link for p in self.pairs}
        if "containment" in links:
            p = min((p for p in self.pairs if p.link == "containment"), key=lambda p: p.containment)
            return f"similarity {p.similarity:.2f}, linked by containment {p.containment:.2f} (one copy inside the other)"
        if "words" in links:
            return "linked by word alignment (a short sentence with a word or two changed)"
        return ""

    def to_dict(self) -> dict[str, Any]:
        d = self._base_dict()
        note = self.note()
        if note:
            d["note"] = note
        if self.restatement is not None:
            d["restatement"] = self.restatement
        if self.details:
            d["scope"] = self.scope
            d["details"] = self.details
        if self.links_total > len(self.pairs):  # the links not listed are counted
            d["pairs_total"] = self.links_total
        return d

    def _base_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "rule": self.rule,
            "similarity": round(self.similarity, 4),
            "jaccard": round(self.jaccard, 4),
            "containment": round(self.containment, 4),
            "fingerprint": self.fingerprint,
            "members": [m.to_dict() for m in self.members],
            "pairs": [
                {"a": p.a, "b": p.b, "similarity": round(p.similarity, 4), "jaccard": round(p.jaccard, 4),
                 "containment": round(p.containment, 4), "link": p.link,
                 # the words that really differ, with their offsets into each member's text
                 "differences": [ch.to_dict() for ch in self._uncached_differences(p.a, p.b)]}
                for p in self.pairs
            ],
        }


def detail_pairs(members: Sequence[Member], pairs: Sequence[Pair]) -> list[dict[str, Any]]:
    """The verified pairs of a cluster whose copies differ only in details (a figure, a date or time, a
    name, a negation: :func:`dedupe.text.details.changed_details`), each as ``{"a", "b", "details"}``
    (members ``a`` and ``b``; what changed from ``a`` to ``b``).  Empty when no pair is such a copy."""
    out: list[dict[str, Any]] = []
    for p in pairs:
        ma, mb = members[p.a], members[p.b]
        if ma.key == mb.key:
            continue
        # the keys are the tokens joined by spaces (computed already for the fingerprint)
        found = changed_details(ma.text, mb.text, words=(ma.key.split(), mb.key.split()))
        if found:
            out.append({"a": p.a, "b": p.b, "details": [d.to_dict() for d in found]})
    return out


def cluster_fingerprint(kind: str, members: list[Member]) -> str:
    """Identity of a cluster that does not depend on line numbers.

    Rule id + the distinct documents involved + a hash of the canonical
    (smallest) normalised text.  A further copy in the same documents keeps
    the fingerprint (a baseline then sees the count grow); editing the text
    or involving another article changes it.
    """
    docs = sorted({m.doc for m in members})
    canon = min(m.key for m in members)
    h = hashlib.sha1()
    h.update(RULES[kind].encode())
    for d in docs:
        h.update(b"\0" + d.encode("utf-8"))
    h.update(b"\0" + hashlib.sha1(canon.encode("utf-8")).digest())
    return h.hexdigest()[:20]


@dataclass
class DocumentInfo:
    """A document of the scan and its counts."""

    id: str
    path: str
    format: str
    title: str | None
    sentences: int
    units: int  # eligible units compared
    suppressed: int = 0
    archive: bool = False
    warnings: list[str] = field(default_factory=list)
    boilerplate: int = 0  # units left out as boilerplate

    def to_dict(self) -> dict[str, Any]:
        d = {"id": self.id, "path": self.path, "sentences": self.sentences, "format": self.format, "units": self.units}
        if self.title:
            d["title"] = self.title
        if self.suppressed:
            d["suppressed"] = self.suppressed
        if self.archive:
            d["archive"] = True
        if self.warnings:
            d["warnings"] = list(self.warnings)
        return d


@dataclass
class Overlap:
    """Roll-up: ``doc`` shares ``shared`` of its eligible sentences with ``other``."""

    doc: str
    other: str
    shared: int
    total: int
    clusters: list[str]
    other_title: str | None = None
    other_shared: int = 0  # the same, seen from the other article
    other_total: int = 0

    @property
    def share(self) -> float:
        return self.shared / self.total if self.total else 0.0

    @property
    def other_share(self) -> float:
        return self.other_shared / self.other_total if self.other_total else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = {
            "doc": self.doc,
            "other": self.other,
            "shared_sentences": self.shared,
            "sentences": self.total,
            "share": round(self.share, 4),
            "other_shared_sentences": self.other_shared,
            "other_sentences": self.other_total,
            "other_share": round(self.other_share, 4),
            "clusters": self.clusters,
        }
        if self.other_title:
            d["other_title"] = self.other_title
        return d


@dataclass
class ScanResult:
    """Everything a scan found."""

    documents: list[DocumentInfo]
    clusters: list[Cluster]
    overlaps: list[Overlap]
    settings: Settings
    errors: list[DedupeError] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # things the user should know (one line each), not errors
    warnings: list[DedupeError] = field(default_factory=list)  # inputs skipped for a reason that is not a failure

    def duplicate_documents(self, min_share: float = 0.8) -> list[Overlap]:
        """Overlaps where both articles share most of their sentences: a story
        reposted under a new id, or a draft that re-runs an archived story.
        One entry per pair of articles."""
        seen: set[frozenset[str]] = set()
        out = []
        for o in self.overlaps:
            pair = frozenset((o.doc, o.other))
            if pair in seen or o.share < min_share or o.other_share < min_share:
                continue
            seen.add(pair)
            out.append(o)
        return out

    def duplicate_groups(self, min_share: float = 0.8) -> dict[str, list[str]]:
        """Articles joined by whole-article duplicates (:meth:`duplicate_documents`, transitively): each
        article of a group -> the group's articles in reading order.  Articles of no such pair are not keys."""
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for o in self.duplicate_documents(min_share):
            ra, rb = find(o.doc), find(o.other)
            if ra != rb:
                parent[rb] = ra
        groups: dict[str, list[str]] = {}
        for d in self.documents:
            if d.id in parent:
                groups.setdefault(find(d.id), []).append(d.id)
        return {doc: g for g in groups.values() for doc in g}

    def summary(self) -> dict[str, Any]:
        by_kind: dict[str, int] = {}
        for c in self.clusters:
            by_kind[c.kind] = by_kind.get(c.kind, 0) + 1
        return {
            "documents": sum(1 for d in self.documents if not d.archive),
            "archive_documents": sum(1 for d in self.documents if d.archive),
            "sentences": sum(d.sentences for d in self.documents if not d.archive),
            "units": sum(d.units for d in self.documents if not d.archive),
            "clusters": len(self.clusters),
            "by_kind": by_kind,
            "members": sum(len(c.members) for c in self.clusters),
            "duplicate_documents": len(self.duplicate_documents()),
            "suppressed_inline": sum(d.suppressed for d in self.documents),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "settings": {
                "threshold": self.settings.threshold,
                "containment": self.settings.containment,
                "min_words": self.settings.min_words,
                "shingle": self.settings.shingle,
                "ngram": self.settings.ngram,
                "num_perm": self.settings.num_perm,
                "bands": self.stats.get("bands"),
                "rows": self.stats.get("rows"),
            },
            "candidates": self.stats.get("candidates"),
            "rollup_skipped_clusters": self.stats.get("rollup_skipped_clusters", 0),
            "rollup_omitted_partners": self.stats.get("rollup_omitted_partners", 0),
            "seconds": round(sum(self.timings.values()), 3),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "documents": [d.to_dict() for d in self.documents],
            "clusters": [c.to_dict() for c in self.clusters],
            "overlaps": [o.to_dict() for o in self.overlaps],
            "summary": self.summary(),
            "errors": [str(e) for e in self.errors],
            "warnings": [str(w) for w in self.warnings],
            "notes": list(self.notes),
        }
