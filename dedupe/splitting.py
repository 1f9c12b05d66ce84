"""Sentence splitting for news copy: paragraphs first, then nltk Punkt.

Two steps, both keeping character offsets into the document text:

1. :func:`paragraph_spans` cuts the text into blocks no sentence may cross:
   blank lines, headings and sub-headings on their own line, and the
   paragraphs of hard-wrapped wire copy (lines wrapped mid-sentence, new
   paragraphs indented).  Whether a plain-text file is hard-wrapped is decided
   per document from the shape of its lines.
2. :class:`NewsPunkt` (an nltk ``PunktSentenceTokenizer``) splits each block
   into sentences.  Its parameters ship with the package
   (``data/punkt_news.json``: months, titles, state, agency and company
   abbreviations, common sentence starters); nothing is ever downloaded.  They
   can be extended with parameters learnt from the user's own archive
   (:func:`train_parameters`).

Punkt decides every candidate boundary from a short context (the word before
the period and the token after it).  Those contexts repeat endlessly in news
copy ("said. The", "U.S. and"), so the decision is memoised per tokenizer:
the output is identical to plain Punkt with the same parameters (a test
checks this on real copy) at a fraction of the cost.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer, PunktTrainer

_TERMINAL = ".?!:;\"'”’)]…"
_BLANK_SPLIT = re.compile(r"\n[ \t\f\v\r]*\n\s*")


@dataclass(frozen=True)
class PunktModel:
    """Punkt parameters as plain data, so they can be stored (e.g. in an index)."""

    abbrev_types: frozenset[str]
    collocations: frozenset[tuple[str, str]] = frozenset()
    sent_starters: frozenset[str] = frozenset()

    def to_json(self) -> dict:
        return {
            "abbrev_types": sorted(self.abbrev_types),
            "collocations": sorted([list(c) for c in self.collocations]),
            "sent_starters": sorted(self.sent_starters),
        }

    @classmethod
    def from_json(cls, data: dict) -> "PunktModel":
        return cls(
            abbrev_types=frozenset(data.get("abbrev_types", ())),
            collocations=frozenset(tuple(c) for c in data.get("collocations", ())),
            sent_starters=frozenset(data.get("sent_starters", ())),
        )

    def merged(self, other: "PunktModel") -> "PunktModel":
        return PunktModel(
            self.abbrev_types | other.abbrev_types,
            self.collocations | other.collocations,
            self.sent_starters | other.sent_starters,
        )

    def parameters(self) -> PunktParameters:
        params = PunktParameters()
        params.abbrev_types = set(self.abbrev_types)
        params.collocations = set(self.collocations)
        params.sent_starters = set(self.sent_starters)
        return params


@lru_cache(maxsize=1)
def news_model() -> PunktModel:
    """The Punkt parameters shipped for English news copy."""
    data = json.loads((Path(__file__).parent / "data" / "punkt_news.json").read_text("utf-8"))
    return PunktModel.from_json(data)


def train_parameters(texts: Iterable[str], base: PunktModel | None = None) -> PunktModel:
    """Learn abbreviations and collocations from the user's own copy.

    Uses nltk's ``PunktTrainer`` on ``texts`` and merges what it learnt into
    ``base`` (the shipped news model by default), so a newsroom's house
    abbreviations stop splitting sentences.
    """
    trainer = PunktTrainer()
    trainer.INCLUDE_ALL_COLLOCS = False
    for text in texts:
        trainer.train(text, finalize=False)
    trainer.finalize_training()
    learnt = trainer.get_params()
    model = PunktModel(
        abbrev_types=frozenset(learnt.abbrev_types),
        collocations=frozenset(learnt.collocations),
        sent_starters=frozenset(),
    )
    return (base or news_model()).merged(model)


class NewsPunkt(PunktSentenceTokenizer):
    """Punkt with news parameters and memoised boundary decisions."""

    def __init__(self, model: PunktModel | None = None) -> None:
        super().__init__((model or news_model()).parameters())
        self._decisions: dict[str, bool] = {}

    def text_contains_sentbreak(self, text: str) -> bool:  # noqa: D102 - nltk API
        try:
            return self._decisions[text]
        except KeyError:
            found = super().text_contains_sentbreak(text)
            if len(self._decisions) < 500_000:
                self._decisions[text] = found
            return found


_DEFAULT_TOKENIZER: NewsPunkt | None = None


def default_tokenizer() -> NewsPunkt:
    global _DEFAULT_TOKENIZER
    if _DEFAULT_TOKENIZER is None:
        _DEFAULT_TOKENIZER = NewsPunkt()
    return _DEFAULT_TOKENIZER


# -- paragraphs -------------------------------------------------------------


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, end excluding the newline."""
    spans = []
    pos = 0
    n = len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        if nl == -1:
            spans.append((pos, n))
            break
        spans.append((pos, nl))
        pos = nl + 1
    return spans


def _is_hard_wrapped(text: str, lines: list[tuple[int, int]]) -> tuple[bool, int]:
    """Guess whether plain text is hard-wrapped, and its wrap width.

    Wrapped copy has many lines that end mid-sentence (no terminal
    punctuation) and are followed by a continuation line, and lines of
    similar length.  Returns (wrapped, typical_width).
    """
    lengths = []
    open_ends = 0
    followed = 0
    for i, (s, e) in enumerate(lines[:-1]):
        seg = text[s:e].rstrip()
        if not seg.strip():
            continue
        nxt = text[lines[i + 1][0] : lines[i + 1][1]]
        if not nxt.strip():
            continue
        followed += 1
        lengths.append(len(seg))
        if seg[-1] not in _TERMINAL:
            open_ends += 1
    if followed < 2:
        return False, 0
    lengths.sort()
    width = lengths[int(len(lengths) * 0.9)] if lengths else 0
    return (open_ends / followed >= 0.4 and width <= 100), width


def paragraph_spans(text: str, marked: bool = False) -> list[tuple[int, int]]:
    """Split ``text`` into blocks that sentences never cross.

    ``marked`` (set by structure-aware readers) means blank lines are the only
    paragraph breaks.  Otherwise: blank lines always break; in hard-wrapped
    copy an indented line or a line following a short line ending in
    punctuation starts a paragraph; in unwrapped copy every line is its own
    paragraph (headings and sub-headings included).  Spans are trimmed of
    surrounding whitespace and empty ones dropped.
    """
    if marked:
        raw = []
        pos = 0
        for m in _BLANK_SPLIT.finditer(text):
            raw.append((pos, m.start()))
            pos = m.end()
        raw.append((pos, len(text)))
        return [sp for sp in (_trim(text, s, e) for s, e in raw) if sp]

    lines = _lines(text)
    wrapped, width = _is_hard_wrapped(text, lines)
    blocks: list[tuple[int, int]] = []
    cur_start: int | None = None
    cur_end = 0
    prev_len = 0
    prev_terminal = True
    for s, e in lines:
        line = text[s:e]
        stripped = line.strip()
        if not stripped:
            if cur_start is not None:
                blocks.append((cur_start, cur_end))
                cur_start = None
            continue
        starts_new = cur_start is None or not wrapped
        if wrapped and cur_start is not None:
            indented = line[:1] in (" ", "\t")
            short_prev = prev_len < 0.6 * width and prev_terminal
            if indented or short_prev:
                starts_new = True
        if starts_new and cur_start is not None:
            blocks.append((cur_start, cur_end))
            cur_start = None
        if cur_start is None:
            cur_start = s
        cur_end = e
        prev_len = len(line.rstrip())
        prev_terminal = stripped[-1] in _TERMINAL
    if cur_start is not None:
        blocks.append((cur_start, cur_end))
    return [sp for sp in (_trim(text, s, e) for s, e in blocks) if sp]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


# -- sentences ----------------------------------------------------------------


def sentence_spans(
    text: str,
    marked: bool = False,
    tokenizer: NewsPunkt | None = None,
) -> Iterator[tuple[int, int, int]]:
    """Yield ``(start, end, paragraph_index)`` for every sentence of ``text``."""
    tok = tokenizer or default_tokenizer()
    for p, (ps, pe) in enumerate(paragraph_spans(text, marked)):
        block = text[ps:pe]
        for s, e in tok.span_tokenize(block):
            span = _trim(block, s, e)
            if span:
                yield ps + span[0], ps + span[1], p


def split_sentences(text: str, marked: bool = False, tokenizer: NewsPunkt | None = None) -> list[str]:
    """The sentences of ``text`` as strings (convenience for tests and callers)."""
    return [text[s:e] for s, e, _ in sentence_spans(text, marked, tokenizer)]
