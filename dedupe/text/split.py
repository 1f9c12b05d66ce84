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
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dedupe import kernels
from dedupe.text.punkt import load_punkt

_punkt = load_punkt()
PunktParameters = _punkt.PunktParameters
PunktSentenceTokenizer = _punkt.PunktSentenceTokenizer
PunktTrainer = _punkt.PunktTrainer

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
    def from_json(cls, data: dict) -> PunktModel:
        return cls(
            abbrev_types=frozenset(data.get("abbrev_types", ())),
            collocations=frozenset(tuple(c) for c in data.get("collocations", ())),
            sent_starters=frozenset(data.get("sent_starters", ())),
        )

    def merged(self, other: PunktModel) -> PunktModel:
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
    data = json.loads((Path(__file__).parent.parent / "data" / "punkt_news.json").read_text("utf-8"))
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


_WHITESPACE = tuple(string.whitespace)
# One closing mark after a word that Punkt's word tokenizer makes a token of
# its own, so it never changes how the word before the period is judged.
_SPLIT_TAIL = frozenset(',;:)"')
_DIGITS = str.maketrans("123456789", "000000000")


def _raw(pattern):
    """The compiled pattern behind nltk's time-out wrapper (``redos``)."""
    return getattr(pattern, "_rx", pattern)


class NewsPunkt(PunktSentenceTokenizer):
    """Punkt with news parameters, memoised decisions and a lean span loop.

    :meth:`span_tokenize` follows nltk's ``_match_potential_end_contexts``,
    ``_slices_from_text`` and ``_realign_boundaries`` step by step (same
    regular expressions, same context strings, same decisions), without
    their generator layers; :meth:`text_contains_sentbreak` memoises the
    decision per context.  Tests compare the spans with plain nltk Punkt on
    real copy.
    """

    def __init__(self, model: PunktModel | None = None) -> None:
        super().__init__((model or news_model()).parameters())
        self._decisions: dict[str, bool] = {}
        params = self._params
        self._canonical_next = not params.ortho_context
        self._keep_next = set(params.sent_starters) | {b for _, b in params.collocations}
        self._keep_prev = set(params.abbrev_types) | {a for a, _ in params.collocations} | {"xx"}
        self._period_rx = _raw(self._lang_vars.period_context_re())
        self._realign_rx = _raw(self._lang_vars.re_boundary_realignment)

    def _decide(self, prev: str, mark: str, match) -> bool:
        """Punkt's decision for one candidate, memoised on a canonical context.

        The context is what nltk builds (word before, the mark, what follows).
        Punkt reads only token *types* (every number is "##number##"), never
        the amount of white space, and, with no orthographic statistics, of
        the next word only its case and whether it is a known sentence
        starter or collocation: so digits become 0, white space one space,
        and a plain next word "Xx" or "xx"; a plain word before the mark that
        is no abbreviation and starts no collocation is "xx".
        """
        nxt = match.group("next_tok")
        if nxt:
            if self._canonical_next:
                # a plain word, or one with a single closing mark that Punkt's
                # word tokenizer splits off as a token of its own ("Watson,")
                word, tail = (nxt[:-1], nxt[-1]) if nxt[-1] in _SPLIT_TAIL else (nxt, "")
                if word.isalpha() and word.lower() not in self._keep_next and nxt.lower() not in self._keep_next:
                    c = word[0]
                    if c.isupper():
                        nxt = "Xx" + tail
                    elif c.islower():
                        nxt = "xx" + tail
            after = " " + nxt
        else:
            after = match.group("after_tok")
        if (
            self._canonical_next
            and len(prev) > 1
            and prev.isalpha()
            and prev.lower() not in self._keep_prev
        ):
            prev = "xx"
        else:
            prev = prev.translate(_DIGITS)
        key = prev + mark + after
        try:
            return self._decisions[key]
        except KeyError:
            found = self.text_contains_sentbreak(key)
            if len(self._decisions) < 500_000:
                self._decisions[key] = found
            return found

    def _slice_list(self, text: str) -> list[tuple[int, int]]:
        decide = self._decide
        slices: list[tuple[int, int]] = []
        last_break = 0
        prev_start = prev_stop = 0
        prev_match = None
        for match in self._period_rx.finditer(text):
            ms = match.start()
            before = text[prev_stop:ms]
            idx = max([before.rfind(c) for c in _WHITESPACE])
            ws = idx + prev_stop + 1 if idx > 0 else prev_start
            if prev_match is not None and prev_stop <= ws:
                if decide(text[prev_start:prev_stop], prev_match.group(), prev_match):
                    slices.append((last_break, prev_match.end()))
                    last_break = prev_match.start("next_tok") if prev_match.group("next_tok") else prev_match.end()
            prev_match = match
            prev_start, prev_stop = ws, ms
        if prev_match is not None:
            if decide(text[prev_start:prev_stop], prev_match.group(), prev_match):
                slices.append((last_break, prev_match.end()))
                last_break = prev_match.start("next_tok") if prev_match.group("next_tok") else prev_match.end()
        slices.append((last_break, len(text.rstrip())))
        return slices

    def span_tokenize(self, text: str, realign_boundaries: bool = True):  # noqa: D102 - nltk API
        slices = self._slice_list(text)
        if not realign_boundaries:
            return [(a, b) for a, b in slices if text[a:b]]
        out: list[tuple[int, int]] = []
        realign = 0
        match = self._realign_rx.match
        last = len(slices) - 1
        for k, (s1, e1) in enumerate(slices):
            s1 += realign
            if k == last:
                if text[s1:e1]:
                    out.append((s1, e1))
                continue
            s2, e2 = slices[k + 1]
            m = match(text[s2:e2])
            if m:
                out.append((s1, s2 + len(m.group(0).rstrip())))
                realign = m.end()
            else:
                realign = 0
                if text[s1:e1]:
                    out.append((s1, e1))
        return out


_DEFAULT_TOKENIZER: NewsPunkt | None = None


def default_tokenizer() -> NewsPunkt:
    global _DEFAULT_TOKENIZER
    if _DEFAULT_TOKENIZER is None:
        _DEFAULT_TOKENIZER = NewsPunkt()
    return _DEFAULT_TOKENIZER


# -- paragraphs -------------------------------------------------------------


def _is_hard_wrapped(lines: list[str]) -> tuple[bool, int]:
    """Guess whether plain text is hard-wrapped, and its wrap width.

    Wrapped copy has many lines that end mid-sentence (no terminal
    punctuation) and are followed by a continuation line, and lines of
    similar length.  Returns (wrapped, typical_width).
    """
    lengths = []
    open_ends = 0
    prev = None
    for line in lines:
        seg = line.rstrip()
        if prev is not None and seg.strip():
            lengths.append(len(prev))
            if prev[-1] not in _TERMINAL:
                open_ends += 1
        prev = seg if seg.strip() else None
    followed = len(lengths)
    if followed < 3:
        return False, 0
    lengths.sort()
    width = lengths[int(followed * 0.9)]
    return (open_ends / followed >= 0.4 and open_ends >= 2 and 30 <= width <= 100), width


def paragraph_spans(text: str, marked: bool = False) -> list[tuple[int, int]]:
    """Split ``text`` into blocks that sentences never cross.

    ``marked`` (set by structure-aware readers) means blank lines are the only
    paragraph breaks.  Otherwise: blank lines always break; in hard-wrapped
    copy an indented line, or a line following one that stops well short of
    the wrap width with closing punctuation, starts a paragraph; in unwrapped copy every line is its own
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

    fast = kernels.compiled()
    if fast is not None:  # the same, compiled
        return fast.paragraph_spans_plain(text)
    lines = text.split("\n")
    wrapped, width = _is_hard_wrapped(lines) if len(lines) > 2 else (False, 0)
    blocks: list[tuple[int, int]] = []
    cur_start = -1
    cur_end = 0
    prev_short_end = True
    pos = 0
    short = 0.6 * width
    for line in lines:
        s = pos
        e = pos + len(line)
        pos = e + 1
        stripped = line.strip()
        if not stripped:
            if cur_start >= 0:
                blocks.append((cur_start, cur_end))
                cur_start = -1
            continue
        if cur_start >= 0 and (not wrapped or line[0] in " \t" or prev_short_end):
            blocks.append((cur_start, cur_end))
            cur_start = -1
        if cur_start < 0:
            cur_start = s
        cur_end = e
        if wrapped:
            # a line that stops well short of the wrap width with closing
            # punctuation ends its paragraph (a short line without it is
            # usually a lede whose dateline was cut, so it continues)
            prev_short_end = len(line.rstrip()) < short and stripped[-1] in _TERMINAL
    if cur_start >= 0:
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
