"""Find restatements: pairs of sentences that say the same thing in other words.

:func:`find_restatements` is the engine's entry point.  Sentences are
compared within their group (an article) and, on request, across groups:

1. every sentence is embedded in one batch (:mod:`dedupe.semantic.model`);
2. cosines come from a matrix product per group, in row blocks for long
   groups; pairs under the model's ``prefilter_cosine`` are dropped (the
   fitting script chose it so that almost no pair under it scores above the
   threshold), then those a cheap linear rule on the cosine and the overlap of
   white-space words ("the gate", fitted likewise) rules out;
   Lines that are not prose (headlines in capitals, table headings and rows,
   :func:`is_heading`) and a deal's standard terms (underwriters, fees,
   denominations, approvals: :func:`is_deal_terms`) are not compared, nor
   no-comment lines across stories (:func:`is_no_comment`).
3. near-copies are skipped (the MinHash engine reports those): the same rule
   as the near-duplicate finder's defaults, Jaccard of word 3-shingles at or
   above ``near_copy`` or containment at or above ``near_containment``
   (on this module's tokens, where "100,000" is one word);
4. the rest get the full feature set and the calibrated score
   (:mod:`dedupe.semantic.score`); pairs at or above ``threshold`` are kept,
   best first, with what they share (words and figures, with character
   offsets into each sentence).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dedupe.config import Settings
from dedupe.semantic.features import (
    GATE_FEATURES,
    Sentence,
    analyse,
    fact_conflict,
    gate_features,
    shared_spans,
    shares_anchor,
    surface,
)
from dedupe.semantic.features import near_copy as near_copy_pair
from dedupe.semantic.score import ScoreModel, default_model, feature_matrix, meaning

_BLOCK = 1024  # rows of the cosine matrix computed at once
_DEFAULTS = Settings()


@dataclass(frozen=True)
class Shared:
    """A word or figure both sentences have: its spans in each.

    ``text_a``/``text_b`` are the first occurrence as written in each
    sentence; ``spans_a``/``spans_b`` are ``(start, end)`` character offsets
    into sentence ``a`` and ``b`` (every occurrence)."""

    text_a: str
    text_b: str
    spans_a: tuple[tuple[int, int], ...]
    spans_b: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Restatement:
    """Sentences ``a`` < ``b`` (indexes into the input) say the same thing.

    ``score`` is the calibrated probability, ``meaning`` says it in words
    ("0.91: very likely the same fact"); ``words`` and ``figures`` are what
    the two share, for highlighting; ``cosine`` is the embedding similarity.
    """

    a: int
    b: int
    score: float
    meaning: str
    cosine: float
    words: tuple[Shared, ...]
    figures: tuple[Shared, ...]

    def to_json(self) -> dict[str, Any]:
        def sh(s: Shared) -> dict[str, Any]:
            return {"a": s.text_a, "b": s.text_b, "spans_a": [list(x) for x in s.spans_a],
                    "spans_b": [list(x) for x in s.spans_b]}

        return {"a": self.a, "b": self.b, "score": round(self.score, 4), "meaning": self.meaning,
                "cosine": round(self.cosine, 4), "words": [sh(w) for w in self.words],
                "figures": [sh(f) for f in self.figures]}


def is_near_copy(a: str, b: str, near_copy: float = _DEFAULTS.threshold,
                 near_containment: float = _DEFAULTS.containment) -> bool:
    """Whether the near-duplicate finder's rule (defaults: Jaccard of word
    3-shingles >= 0.7, or containment >= 0.8) links ``a`` and ``b``."""
    return near_copy_pair(analyse(a), analyse(b), near_copy, near_containment)


_TABLE_RE = re.compile(r"(?:[-:]\s*$)|(?:\bvs\.?\s+\S*\d)|(?:^\s*(?:note|notes|footnote|source|x)\s*(?:-|:))", re.I)
_NO_UPPER = str.maketrans("", "", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NO_LOWER = str.maketrans("", "", "abcdefghijklmnopqrstuvwxyz")


def is_heading(text: str) -> bool:
    """Not prose, so never a restatement: a line in capitals (a headline), a
    line introducing a table ("... were as follows -", "... were:"), a note
    under a table ("Note - ...", "Source: ..."), or a table row
    (:func:`is_table_row`: "Avg shrs 6,000,000 vs 5,363,000")."""
    if text.isascii():  # counted in C: the lengths of the text without its capitals / small letters
        upper = len(text) - len(text.translate(_NO_UPPER))
        letters = upper + len(text) - len(text.translate(_NO_LOWER))
    else:
        chars = [c for c in text if c.isalpha()]
        letters, upper = len(chars), sum(c.isupper() for c in chars)
    if letters >= 8 and upper >= 0.8 * letters:
        return True
    return _TABLE_RE.search(text) is not None or is_table_row(text)


_END_RE = re.compile(r"[.!?\"'\u201d\u2019)\]]\s*$")
_FIGURE_TOKEN_RE = re.compile(r"^[-+(]?[$\u00a3\u20ac]?\d[\d.,/:%-]*\)?$")
_COLUMNS_RE = re.compile(r"\S(?: {3,}|\t)\S")


def is_table_row(text: str) -> bool:
    """A line of a table or list, never a restatement: it does not end a sentence (no final ``.``, ``!``,
    ``?`` or closing quote: a heading, a list item, a row), its words are in columns (runs of 3+ spaces
    or tabs), or a third or more of its words are figures."""
    if not _END_RE.search(text):
        return True
    if _COLUMNS_RE.search(text):
        return True
    words = text.split()
    figures = sum(1 for w in words if _FIGURE_TOKEN_RE.match(w.rstrip(".,;")))
    return len(words) > 0 and figures * 3 >= len(words)


#: A deal's standard terms, the same frame in every story about a different deal, never a restatement:
#: who underwrites or manages it, its fees, denominations, listing, sinking fund, payment date and coupon,
#: its fiscal or paying agent, call protection, and what it is subject to ("The offering will be
#: underwritten by Merrill Lynch ...", "Fees comprise 85 basis points selling concession ...", "The
#: agreement is subject to Canadian regulatory approval").
_DEAL_TERMS_RE = re.compile(
    r"\b(?:underwr(?:it|ot)\w*|co-?manag(?:ed|er|ers|ing)|lead[- ]manag(?:ed|er|ers)"
    r"|(?:is|are|was|were|be|being)\s+(?:jointly\s+)?managed\s+by|selling\s+concession"
    r"|management\s+(?:and\s+underwriting|fee)|denominations?\s+of\s+\d|in\s+denominations"
    r"|(?:will\s+be|is|are)\s+listed\s+(?:in|on)|sinking\s+fund|payment\s+date|first\s+coupon"
    r"|(?:fiscal|paying)\s+agent|non-?callable|non-?redeemable"
    r"|subject\s+to\s+(?:\S+\s+){0,8}?approv\w*)", re.I)
#: "... had no immediate comment", "... declined to comment", "... could not be reached": said of every
#: story by somebody; two of them in two stories are not one fact.
_NO_COMMENT_RE = re.compile(r"\b(?:no\s+(?:immediate\s+)?comment|declined\s+(?:to\s+)?comment"
                            r"|(?:could|can)\s*not\s+be\s+reached|not\s+available\s+for\s+comment)", re.I)
#: ... when the sentence is about that (at most this many words), not a statement that ends with it.
NO_COMMENT_WORDS = 12


def is_deal_terms(text: str) -> bool:
    """A deal's standard terms (:data:`_DEAL_TERMS_RE`): a templated line, never a restatement."""
    return _DEAL_TERMS_RE.search(text) is not None


def is_no_comment(text: str) -> bool:
    """A no-comment line of :data:`NO_COMMENT_WORDS` words or fewer ("A Texaco spokesman had no
    immediate comment."): never a restatement of another story's."""
    return len(text.split()) <= NO_COMMENT_WORDS and _NO_COMMENT_RE.search(text) is not None


#: A sentence with partners of this many different texts at or above :data:`TEMPLATE_COSINE` among
#: those it is compared with is a templated line ("<film> is streaming on <service>", "The bond is
#: available in denominations of <x> and will be listed in <y>"): many lines of one frame about different
#: things, never restatements.  Copies of one partner count once, copies of the sentence itself not at all
#: (a story sent three times is not a template).
TEMPLATE_PARTNERS = 3
TEMPLATE_COSINE = 0.7
#: ... and sharing this share of their words (the frame) or more.
TEMPLATE_FRAME = 0.35


def templated(ci: np.ndarray, cj: np.ndarray, cc: np.ndarray, sentences: Sequence[str]) -> set[int]:
    """The sentences that have partners of :data:`TEMPLATE_PARTNERS` or more different texts at cosine
    :data:`TEMPLATE_COSINE` or more that share :data:`TEMPLATE_FRAME` of their white-space words with
    them: templated lines."""
    close = np.flatnonzero(cc >= TEMPLATE_COSINE)
    if not len(close):
        return set()
    ii, jj = ci[close], cj[close]
    deg = np.bincount(ii, minlength=len(sentences)) + np.bincount(jj, minlength=len(sentences))
    maybe = set(np.flatnonzero(deg >= TEMPLATE_PARTNERS).tolist())
    if not maybe:
        return set()
    texts: dict[int, set[str]] = {}
    words: dict[int, set[str]] = {}

    def frame(k: int) -> set[str]:
        w = words.get(k)
        if w is None:
            w = words[k] = set(sentences[k].lower().split())
        return w

    for i, j in zip(ii.tolist(), jj.tolist()):
        if i not in maybe and j not in maybe:
            continue
        wi, wj = frame(i), frame(j)
        inter = len(wi & wj)
        if inter < TEMPLATE_FRAME * (len(wi) + len(wj) - inter):
            continue
        if i in maybe:
            texts.setdefault(i, set()).add(" ".join(sentences[j].lower().split()))
        if j in maybe:
            texts.setdefault(j, set()).add(" ".join(sentences[i].lower().split()))
    return {i for i, t in texts.items() if len(t - {" ".join(sentences[i].lower().split())}) >= TEMPLATE_PARTNERS}


def _candidate_pairs(emb: np.ndarray, groups: np.ndarray | None, across: bool,
                     floor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(i, j, cosine)`` with i < j, cosine >= floor, same group unless ``across``."""
    n = len(emb)
    out_i: list[np.ndarray] = []
    out_j: list[np.ndarray] = []
    out_c: list[np.ndarray] = []
    if groups is None or across:
        members = [np.arange(n)]
    else:
        order = np.argsort(groups, kind="stable")
        g = groups[order]
        cuts = np.flatnonzero(g[1:] != g[:-1]) + 1
        members = [m for m in np.split(order, cuts) if len(m) > 1]
    for idx in members:
        sub = emb[idx]
        m = len(idx)
        for r0 in range(0, m, _BLOCK):
            r1 = min(m, r0 + _BLOCK)
            sim = sub[r0:r1] @ sub[r0:].T  # only columns at or right of the block's first row
            ri, cj = np.nonzero(sim >= floor)
            cj = cj + r0
            ri = ri + r0
            keep = cj > ri
            ri, cj = ri[keep], cj[keep]
            out_i.append(idx[ri])
            out_j.append(idx[cj])
            out_c.append(sim[ri - r0, cj - r0])
    if not out_i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    i = np.concatenate(out_i)
    j = np.concatenate(out_j)
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    return lo, hi, np.concatenate(out_c)


def _shared(items: list[tuple[str, list[tuple[int, int]], list[tuple[int, int]]]], a: Sentence,
            b: Sentence) -> tuple[Shared, ...]:
    return tuple(Shared(a.text[sa[0][0]:sa[0][1]], b.text[sb[0][0]:sb[0][1]], tuple(sa), tuple(sb))
                 for _, sa, sb in items)


def find_restatements(
    sentences: Sequence[str],
    groups: Sequence[int] | None = None,
    *,
    threshold: float | None = None,
    max_pairs: int | None = None,
    across_groups: bool = False,
    near_copy: float = _DEFAULTS.threshold,
    near_containment: float = _DEFAULTS.containment,
    model: ScoreModel | None = None,
    embedder: Any = None,
) -> list[Restatement]:
    """Pairs of ``sentences`` that restate each other, best first (:func:`find_restatements_counted`
    without the count)."""
    return find_restatements_counted(sentences, groups, threshold=threshold, max_pairs=max_pairs,
                                     across_groups=across_groups, near_copy=near_copy,
                                     near_containment=near_containment, model=model, embedder=embedder)[0]


def find_restatements_counted(
    sentences: Sequence[str],
    groups: Sequence[int] | None = None,
    *,
    threshold: float | None = None,
    max_pairs: int | None = None,
    across_groups: bool = False,
    near_copy: float = _DEFAULTS.threshold,
    near_containment: float = _DEFAULTS.containment,
    model: ScoreModel | None = None,
    embedder: Any = None,
) -> tuple[list[Restatement], int]:
    """Pairs of ``sentences`` that restate each other, best first, and how
    many there were before ``max_pairs`` cut them.

    Args:
        sentences: the sentences (e.g. a scan's eligible sentence units).
        groups: the group (article) of each sentence; ``None``: one group.
        threshold: minimum score (default: the shipped model's, chosen for
            precision ~0.875 on MRPC cross-validation).
        max_pairs: keep at most this many pairs (the best).
        across_groups: compare sentences of different groups too.
        near_copy, near_containment: pairs the near-duplicate finder links
            (at its default settings) are skipped.
        model: score parameters (default: the shipped ones).
        embedder: a :class:`dedupe.semantic.model.Embedder` (default: the
            process's, loaded on first use).
    """
    n = len(sentences)
    if groups is not None and len(groups) != n:
        raise ValueError(f"{len(groups)} groups for {n} sentences")
    model = model or default_model()
    thr = model.threshold if threshold is None else float(threshold)
    if n < 2 or (max_pairs is not None and max_pairs <= 0):
        return [], 0
    if embedder is None:
        from dedupe.semantic.model import embedder as process_embedder

        embedder = process_embedder()
    emb = embedder.embed(list(sentences))
    garr = None if groups is None else np.asarray(groups)
    ci, cj, cc = _candidate_pairs(emb, garr, across_groups, model.prefilter_cosine)
    if len(ci) == 0:
        return [], 0
    involved = set(ci.tolist()) | set(cj.tolist())
    headings = {i for i in involved if is_heading(sentences[i]) or is_deal_terms(sentences[i])}
    surfaces = {i: surface(sentences[i]) for i in involved}
    headings |= templated(ci, cj, cc, sentences)
    if headings:
        keep = np.fromiter((i not in headings and j not in headings for i, j in zip(ci.tolist(), cj.tolist())),
                           dtype=bool, count=len(ci))
        ci, cj, cc = ci[keep], cj[keep], cc[keep]
    gx = np.array([gate_features(float(c), surfaces[i], surfaces[j]) for i, j, c in
                   zip(ci.tolist(), cj.tolist(), cc.tolist())], dtype=np.float64).reshape(-1, len(GATE_FEATURES))
    keep = model.passes_gate(gx)
    ci, cj, cc = ci[keep], cj[keep], cc[keep]
    read: dict[int, Sentence] = {}
    pairs: list[tuple[Sentence, Sentence]] = []
    kept: list[int] = []
    for k, (i, j) in enumerate(zip(ci.tolist(), cj.tolist())):
        a = read.get(i)
        if a is None:
            a = read[i] = analyse(sentences[i])
        b = read.get(j)
        if b is None:
            b = read[j] = analyse(sentences[j])
        if near_copy_pair(a, b, near_copy, near_containment):
            continue
        if fact_conflict(a, b) is not None:
            continue
        if garr is not None and garr[i] != garr[j] and (not shares_anchor(a, b) or is_no_comment(a.text)
                                                         or is_no_comment(b.text)):
            continue  # two stories: the same fact needs a name or figure in common, and not "no comment"
        pairs.append((a, b))
        kept.append(k)
    if not pairs:
        return [], 0
    scores = model.probability(feature_matrix(pairs, cc[kept], embedder))
    hits = np.flatnonzero(scores >= thr)
    hits = hits[np.lexsort((cj[kept][hits], ci[kept][hits], -scores[hits]))]
    total = len(hits)
    if max_pairs is not None:
        hits = hits[:max_pairs]
    out = []
    for h in hits.tolist():
        a, b = pairs[h]
        words, figures = shared_spans(a, b)
        k = kept[h]
        s = float(scores[h])
        out.append(Restatement(int(ci[k]), int(cj[k]), s, meaning(s), float(cc[k]),
                               _shared(words, a, b), _shared(figures, a, b)))
    return out, total
