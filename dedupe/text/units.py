"""Units: the sentences and quotations of a document that are compared.

For each document this yields every sentence (via :mod:`dedupe.text.split`)
and every quotation (via :mod:`dedupe.text.quotes`) with its character offsets and
word tokens, and decides which of them are *eligible* to be flagged: long
enough (``min_words``), not boilerplate (datelines, "Reporting by ..."), not
figures (wire tables, "Net 5,678,000 vs 4,567,000"), not switched off by an
inline suppression comment.  The title and slugs
(:func:`dedupe.text.split.title_paragraphs`) are no units at all.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from dedupe import kernels
from dedupe.config import DEFAULT_BOILERPLATE, Settings
from dedupe.documents import Document
from dedupe.errors import ConfigError
from dedupe.text.normalize import TOKEN_RE, normalize
from dedupe.text.quotes import quote_spans
from dedupe.text.split import NewsPunkt, has_columns, paragraph_spans, title_paragraphs

SENTENCE = 0
QUOTE = 1
UNIT_KINDS = ("sentence", "quote")


@dataclass
class DocumentUnits:
    """What one document contributes to a scan."""

    sentences: int = 0  # every sentence, eligible or not (titles are none)
    suppressed: int = 0  # units switched off by inline suppression
    boilerplate: int = 0  # units matching a boilerplate pattern
    titles: int = 0  # paragraphs left out as the title or a slug (split.title_paragraphs)
    figures: int = 0  # sentences left out as figures or table rows (is_figures)
    kinds: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    # Where each unit's word tokens are: ``TOKEN_RE.findall(src, src_start,
    # src_end)``.  ``src`` is the document's normalised, lower-cased text,
    # or the unit's own string when quotes were masked out of it.
    src: list[str] = field(default_factory=list)
    src_start: list[int] = field(default_factory=list)
    src_end: list[int] = field(default_factory=list)
    # The tokens themselves, kept by the pure-Python path only (the compiled
    # one tokenises again, faster than keeping millions of small strings).
    tokens: list[list[str]] = field(default_factory=list)
    # Set instead of ``src``/``src_start``/``src_end`` when every unit's
    # tokens are ``low[start:end]`` (the compiled path).
    low: str | None = None

    def unit_tokens(self, i: int) -> list[str]:
        """Word tokens of unit ``i``."""
        if self.tokens:
            return self.tokens[i]
        if self.low is not None:
            return TOKEN_RE.findall(self.low, self.starts[i], self.ends[i])
        return TOKEN_RE.findall(self.src[i], self.src_start[i], self.src_end[i])

    def sources(self) -> tuple[list[str], list[int], list[int]]:
        """``(src, src_start, src_end)`` of every unit (see the fields)."""
        if self.low is not None:
            return [self.low] * len(self.kinds), self.starts, self.ends
        return self.src, self.src_start, self.src_end


#: The longest one configured boilerplate pattern may take on one unit (seconds): a pattern of nested
#: repeats (``(x+x+)+y``) backtracks for minutes on one long line, so it stops the run in one line instead.
BOILERPLATE_TIMEOUT_S = 0.5


@lru_cache(maxsize=16)
def boilerplate_re(extra: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for the default and configured boilerplate (case-insensitive)."""
    pats = DEFAULT_BOILERPLATE + tuple(extra)
    return re.compile("|".join(_scoped(p) for p in pats), re.IGNORECASE)


class BoilerplateTimeout(Exception):
    """A configured boilerplate pattern ran past :data:`BOILERPLATE_TIMEOUT_S` on one unit."""

    def __init__(self, pattern: str) -> None:
        super().__init__(pattern)
        self.pattern = pattern


@lru_cache(maxsize=16)
def boilerplate_matcher(extra: tuple[str, ...]) -> Callable[[str, int, int], bool]:
    """Whether ``text[start:end]`` starts with boilerplate: the default patterns with ``re``, the configured
    ones (which a pull request's config may set) with the ``regex`` package under a time limit
    (:data:`BOILERPLATE_TIMEOUT_S`): a pattern over it is a :class:`ConfigError` naming it."""
    base = boilerplate_re(())
    if not extra:
        return lambda text, start, end: base.match(text, start, end) is not None
    import regex  # nltk's own dependency: the same engine as re, with a timeout

    configured = [(p, regex.compile(_scoped(p), regex.IGNORECASE | regex.V0)) for p in extra]

    def match(text: str, start: int, end: int) -> bool:
        if base.match(text, start, end) is not None:
            return True
        for pattern, rx in configured:
            try:
                if rx.match(text, start, end, timeout=BOILERPLATE_TIMEOUT_S) is not None:
                    return True
            except TimeoutError:
                raise BoilerplateTimeout(pattern) from None
        return False

    return match


_GLOBAL_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")


def _scoped(pattern: str) -> str:
    """``pattern`` as one alternative of the combined pattern: its leading global flags (``(?i)^the city``),
    valid only at the start of a whole expression, as flags scoped to it (``(?i:^the city)``)."""
    m = _GLOBAL_FLAGS.match(pattern)
    if m is None:
        return f"(?:{pattern})"
    return f"(?{m.group(1)}:{pattern[m.end():]})"


# A boundary Punkt might split at: sentence-final punctuation, optional closing
# quotes/brackets, then white space, somewhere before the block's last characters.
_INNER_BOUNDARY = re.compile(r"[.?!][\"'\u201d\u2019)\]}\u00bb]*\s")


def _masked(text: str, start: int, end: int, masks: list[tuple[int, int]]) -> str:
    """``text[start:end]`` with the masked ranges replaced by spaces."""
    chunk = list(text[start:end])
    for s, e in masks:
        for i in range(max(s, start), min(e, end)):
            chunk[i - start] = " "
    return "".join(chunk)


# Closing marks after a sentence's final punctuation.
_CLOSERS = "\"'\u201d\u2019)]}\u00bb"
# The last character of a sentence that probably is prose (is_figures decides the others).
_SENTENCE_END = frozenset(".?!" + _CLOSERS)
# Words of wire tables and lists of figures ("Shr 1.23 dlrs vs 1.01 dlrs").
FIGURE_WORDS = frozenset(
    "vs pct dlr dlrs ct cts mln bln billion stg shr shrs avg net revs qtr qtly mthly div".split()
)
_DIGIT = re.compile(r"\d")
_VS = re.compile(r"\bvs\b", re.IGNORECASE)


def is_figures(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` (a sentence) is figures, not prose: a table row
    (:func:`dedupe.text.split.has_columns`), or mostly numbers and figure
    words (:data:`FIGURE_WORDS`): at least 60 %, or 40 % (or any "vs") when
    it does not end like a sentence.  "Net 5,678,000 vs 4,567,000", "Revs
    47.5 mln vs 42.9 mln" and "30-273 days  5.00 pct  5.00 pct" are figures;
    "It put the crop at 78.10 mln tonnes, vs 78.10 mln last month." is not.
    """
    last = text[end - 1]
    if last in _CLOSERS and end - 1 > start:
        last = text[end - 2]
    ends = last in ".?!"
    if ends and text.find("vs", start, end) < 0:
        return False  # the common case: prose, decided cheaply
    if not ends and _VS.search(text, start, end):
        return True  # the common table row: "Net 5,678,000 vs 4,567,000"
    words = TOKEN_RE.findall(text, start, end)
    if not words:
        return False
    vs = False
    figures = 0
    digit = _DIGIT.search
    for w in words:
        if digit(w):
            figures += 1
        else:
            lw = w.lower()
            if lw in FIGURE_WORDS:
                figures += 1
                vs = vs or lw == "vs"
    share = figures / len(words)
    if share >= 0.6 or (not ends and (vs or share >= 0.4)):
        return True
    return has_columns(text, start, end)


def extract_units(doc: Document, settings: Settings, tokenizer: NewsPunkt) -> DocumentUnits:
    """Sentences and quotes of ``doc`` that may be flagged, with where their tokens are.

    Two paths give the same units: the compiled one (paragraphs, boundary
    test, quotes and token counts in :mod:`dedupe.kernels._speedups`; Punkt only for
    paragraphs that may hold a break) and the pure-Python one, which also
    handles ``exclude_quotes`` and texts whose lower case changes length.
    Both end in :func:`_keep_eligible`.
    """
    out = DocumentUnits()
    text = doc.text
    if not text.strip():
        return out
    norm = normalize(text)
    low: str | None
    low = norm.lower()
    if len(low) != len(norm):  # rare characters whose lower case is longer
        low = None
    min_words = settings.min_words
    exclude_quotes = settings.exclude_quotes
    want_quotes = settings.quotes and not exclude_quotes
    span_tokenize = tokenizer.sentence_spans  # Punkt, then the news rules
    fast = kernels.compiled()

    paras = paragraph_spans(text, doc.paragraphs_marked)
    titles = title_paragraphs(text, paras, doc.title)
    if titles:
        out.titles = len(titles)
        paras = [sp for k, sp in enumerate(paras) if k not in titles]

    if fast is not None and low is not None and not exclude_quotes:
        punkt: list[list[tuple[int, int]] | None] = [None] * len(paras)
        for k, flag in enumerate(fast.boundary_flags(text, paras)):
            if flag:
                ps, pe = paras[k]
                block = text[ps:pe]
                punkt[k] = [(ps + s, ps + e) for s, e in _trimmed(block, span_tokenize(block))]
        out.sentences, raw = fast.paragraph_units(text, low, paras, punkt, min_words, want_quotes)
        trip = array("q", raw)
        ks, sts, ens = trip[0::3].tolist(), trip[1::3].tolist(), trip[2::3].tolist()
        keep = _keep_eligible(doc, settings, ks, sts, ens, out)
        if len(keep) < len(ks):
            ks, sts, ens = [ks[k] for k in keep], [sts[k] for k in keep], [ens[k] for k in keep]
        out.kinds.extend(ks)
        out.starts.extend(sts)
        out.ends.extend(ens)
        out.low = low  # every unit's tokens are in low[start:end]
        return out

    # pure Python: candidates with enough words, then the same filter
    findall = TOKEN_RE.findall
    count = fast.count_tokens if fast is not None else None
    boundary = _INNER_BOUNDARY.search
    cand: list[tuple[int, int, int, str, int, int, list[str] | None]] = []
    sentences = 0

    def unit(kind: int, s: int, e: int, src: str, ss: int, se: int) -> None:
        if count is not None:
            if count(src, ss, se) >= min_words:
                cand.append((kind, s, e, src, ss, se, None))
        else:
            toks = findall(src, ss, se)
            if len(toks) >= min_words:
                cand.append((kind, s, e, src, ss, se, toks))

    spans: Sequence[tuple[int, int]]
    for ps, pe in paras:
        block = text[ps:pe]
        if boundary(block):
            spans = [(ps + s, ps + e) for s, e in _trimmed(block, span_tokenize(block))]
        else:
            spans = ((ps, pe),)
        sentences += len(spans)
        quotes = list(quote_spans(text, ps, pe)) if (want_quotes or exclude_quotes) else ()
        for s, e in spans:
            if exclude_quotes and quotes:
                src = _masked(norm, s, e, quotes).lower()
                unit(SENTENCE, s, e, src, 0, len(src))
            elif low is not None:
                unit(SENTENCE, s, e, low, s, e)
            else:
                src = norm[s:e].lower()
                unit(SENTENCE, s, e, src, 0, len(src))
        if want_quotes:
            for qs, qe in quotes:
                if low is not None:
                    unit(QUOTE, qs, qe, low, qs, qe)
                else:
                    src = norm[qs:qe].lower()
                    unit(QUOTE, qs, qe, src, 0, len(src))
    out.sentences = sentences
    for k in _keep_eligible(doc, settings, [c[0] for c in cand], [c[1] for c in cand], [c[2] for c in cand], out):
        kind, s, e, src, ss, se, toks = cand[k]
        out.kinds.append(kind)
        out.starts.append(s)
        out.ends.append(e)
        out.src.append(src)
        out.src_start.append(ss)
        out.src_end.append(se)
        if toks is not None:
            out.tokens.append(toks)
    return out


def _keep_eligible(doc: Document, settings: Settings, kinds: list[int], starts: list[int], ends: list[int],
                   out: DocumentUnits) -> list[int]:
    """Indexes of the candidate units (long enough already) that are neither
    switched off by inline suppression, nor boilerplate, nor (sentences)
    figures (:func:`is_figures`); counts each in ``out`` (a suppressed unit
    counts as suppressed even when it is boilerplate too)."""
    bmatch = boilerplate_matcher(settings.boilerplate)
    text = doc.text
    find = text.find
    has_vs = find("vs") >= 0
    suppressed = doc.is_suppressed if doc.suppressed else None
    sentence_end = _SENTENCE_END
    figures = is_figures
    keep: list[int] = []
    append = keep.append
    try:
        for k, e in enumerate(ends):
            s = starts[k]
            if suppressed is not None and suppressed(s, e):
                out.suppressed += 1
            elif bmatch(text, s, e):
                out.boilerplate += 1
            elif (
                # most sentences end in [.?!] (maybe then a quote) and hold no "vs"
                (text[e - 1] not in sentence_end or (has_vs and find("vs", s, e) >= 0))
                and kinds[k] == SENTENCE
                and figures(text, s, e)
            ):
                out.figures += 1
            else:
                append(k)
    except BoilerplateTimeout as exc:
        raise ConfigError(f"boilerplate pattern {exc.pattern!r} took over {BOILERPLATE_TIMEOUT_S} s on one unit "
                          "(nested repeats such as '(a|aa)+' backtrack without end): simplify it", doc.path) from None
    return keep


def _trimmed(block: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans with surrounding white space removed, empty ones dropped."""
    out = []
    for s, e in spans:
        while s < e and block[s].isspace():
            s += 1
        while e > s and block[e - 1].isspace():
            e -= 1
        if s < e:
            out.append((s, e))
    return out
