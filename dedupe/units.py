"""Units: the sentences and quotations of a document that are compared.

For each document this yields every sentence (via :mod:`dedupe.splitting`)
and every quotation (via :mod:`dedupe.quotes`) with its character offsets and
word tokens, and decides which of them are *eligible* to be flagged: long
enough (``min_words``), not boilerplate (datelines, "Reporting by ..."), not
switched off by an inline suppression comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .config import DEFAULT_BOILERPLATE, Settings
from .documents import Document
from .normalize import TOKEN_RE, normalize
from .quotes import quote_spans
from .splitting import NewsPunkt, paragraph_spans

SENTENCE = 0
QUOTE = 1
UNIT_KINDS = ("sentence", "quote")


@dataclass
class DocumentUnits:
    """What one document contributes to a scan."""

    sentences: int = 0  # every sentence, eligible or not
    suppressed: int = 0  # units switched off by inline suppression
    boilerplate: int = 0  # units matching a boilerplate pattern
    kinds: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    tokens: list[list[str]] = field(default_factory=list)


@lru_cache(maxsize=16)
def boilerplate_re(extra: tuple[str, ...]) -> re.Pattern:
    """One pattern for the default and configured boilerplate (case-insensitive)."""
    pats = DEFAULT_BOILERPLATE + tuple(extra)
    return re.compile("|".join(f"(?:{p})" for p in pats), re.IGNORECASE)


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


def extract_units(doc: Document, settings: Settings, tokenizer: NewsPunkt) -> DocumentUnits:
    """Sentences and quotes of ``doc`` that may be flagged, with their tokens."""
    out = DocumentUnits()
    text = doc.text
    if not text.strip():
        return out
    norm = normalize(text)
    low = norm.lower()
    if len(low) != len(norm):  # rare characters whose lower case is longer
        low = None
    boiler = boilerplate_re(settings.boilerplate)
    min_words = settings.min_words
    want_quotes = settings.quotes and not settings.exclude_quotes
    need_quote_spans = want_quotes or settings.exclude_quotes
    findall = TOKEN_RE.findall
    suppressed = doc.suppressed

    def add(kind: int, s: int, e: int, toks: list[str]) -> None:
        if len(toks) < min_words:
            return
        if suppressed and doc.is_suppressed(s, e):
            out.suppressed += 1
            return
        if boiler.match(text, s, e):
            out.boilerplate += 1
            return
        out.kinds.append(kind)
        out.starts.append(s)
        out.ends.append(e)
        out.tokens.append(toks)

    def toks_of(s: int, e: int) -> list[str]:
        return findall(low, s, e) if low is not None else findall(norm[s:e].lower())

    for ps, pe in paragraph_spans(text, doc.paragraphs_marked):
        quotes = list(quote_spans(text, ps, pe)) if need_quote_spans else []
        block = text[ps:pe]
        spans = tokenizer.span_tokenize(block) if _INNER_BOUNDARY.search(block) else ((0, len(block)),)
        for s, e in spans:
            while s < e and block[s].isspace():
                s += 1
            while e > s and block[e - 1].isspace():
                e -= 1
            if s >= e:
                continue
            out.sentences += 1
            s += ps
            e += ps
            if settings.exclude_quotes and quotes:
                toks = findall(_masked(norm, s, e, quotes).lower())
            else:
                toks = toks_of(s, e)
            add(SENTENCE, s, e, toks)
        if want_quotes:
            for qs, qe in quotes:
                add(QUOTE, qs, qe, toks_of(qs, qe))
    return out
