"""Sentence splitting for news copy: paragraphs first, then nltk Punkt.

Two steps, both keeping character offsets into the document text:

1. :func:`paragraph_spans` cuts the text into blocks no sentence may cross:
   blank lines, headings and sub-headings on their own line, and the
   paragraphs of hard-wrapped wire copy (lines wrapped mid-sentence, new
   paragraphs indented, table rows kept apart).  Whether lines are
   hard-wrapped is decided region by region (the runs of lines between lines
   too long to be wrapped), so a wrapped paragraph pasted into copy that is
   otherwise one paragraph per line is joined.  :func:`title_paragraphs`
   tells which blocks are the title or a slug rather than prose.
2. :class:`NewsPunkt` (an nltk ``PunktSentenceTokenizer``) splits each block
   into sentences.  Its parameters ship with the package
   (``data/punkt_news.json``: months, titles, state, agency and company
   abbreviations, common sentence starters) and all two-letter initials
   (:data:`INITIALS`); nothing is ever downloaded.  They
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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from dedupe import kernels
from dedupe.text.punkt import load_punkt

if TYPE_CHECKING:  # the classes as types (nltk has no type information: they are Any to mypy)
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer, PunktTrainer
else:  # loaded without running nltk/__init__ (see dedupe.text.punkt)
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

    def to_json(self) -> dict[str, Any]:
        return {
            "abbrev_types": sorted(self.abbrev_types),
            "collocations": sorted([list(c) for c in self.collocations]),
            "sent_starters": sorted(self.sent_starters),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PunktModel:
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


# Two initials ("J.P. Morgan", "A.G. Edwards") are abbreviations: Punkt then
# ends a sentence after them only before a known sentence starter.
INITIALS = frozenset(f"{a}.{b}" for a in string.ascii_lowercase for b in string.ascii_lowercase)


@lru_cache(maxsize=1)
def news_model() -> PunktModel:
    """The Punkt parameters shipped for English news copy (with :data:`INITIALS`)."""
    data = json.loads((Path(__file__).parent.parent / "data" / "punkt_news.json").read_text("utf-8"))
    model = PunktModel.from_json(data)
    return PunktModel(model.abbrev_types | INITIALS, model.collocations, model.sent_starters)


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
_RARE_WHITESPACE = tuple(c for c in string.whitespace if c not in " \n")
# One closing mark after a word that Punkt's word tokenizer makes a token of
# its own, so it never changes how the word before the period is judged.
_SPLIT_TAIL = frozenset(',;:)"')
_DIGITS = str.maketrans("123456789", "000000000")


def _raw(pattern: Any) -> re.Pattern[str]:
    """The compiled pattern behind nltk's time-out wrapper (``redos``)."""
    return cast("re.Pattern[str]", getattr(pattern, "_rx", pattern))


class NewsPunkt(PunktSentenceTokenizer):  # type: ignore[misc]  # nltk ships no type information
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

    def _decide(self, prev: str, mark: str, match: re.Match[str]) -> bool:
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
            found = bool(self.text_contains_sentbreak(key))
            if len(self._decisions) < 500_000:
                self._decisions[key] = found
            return found

    def _slice_list(self, text: str) -> list[tuple[int, int]]:
        decide = self._decide
        slices: list[tuple[int, int]] = []
        last_break = 0
        prev_start = prev_stop = 0
        prev_match = None
        rfind = text.rfind
        # nltk looks for the last white space character before the match;
        # text without tabs, carriage returns or form feeds has two kinds
        kinds = _WHITESPACE if any(c in text for c in _RARE_WHITESPACE) else (" ", "\n")
        for match in self._period_rx.finditer(text):
            ms = match.start()
            idx = max([rfind(c, prev_stop, ms) for c in kinds])
            ws = idx + 1 if idx > prev_stop else prev_start
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

    def span_tokenize(self, text: str, realign_boundaries: bool = True) -> list[tuple[int, int]]:  # noqa: D102 - nltk API
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

    def sentence_spans(self, text: str) -> list[tuple[int, int]]:
        """The sentences of one block: Punkt's spans (:meth:`span_tokenize`, identical to nltk's) with
        the news rules after them (:func:`news_spans`: no break after a quoted question or
        exclamation its attribution follows)."""
        spans: list[tuple[int, int]] = self.span_tokenize(text)
        if "?" not in text and "!" not in text:
            return spans
        return news_spans(text, spans)


# -- news rules after Punkt ------------------------------------------------------

# Closing marks that may follow a sentence's "?" or "!" ('"Why?" he asked').
_AFTER_MARK = "\"'\u201d\u2019)]}\u00bb"
# Verbs of attribution in wire copy.
ATTRIBUTION_VERBS = frozenset(
    "said says asked asks told tells shouted shouts added adds wrote writes replied replies cried cries "
    "exclaimed exclaims yelled yells screamed screams demanded demands wondered wonders insisted insists "
    "continued continues explained explains recalled recalls declared declares answered answers "
    "tweeted tweets posted posts noted notes quipped quips joked jokes chanted chant chants urged urges "
    "warned warns argued argues stated states responded responds countered counters pleaded pleads".split()
)
# An attribution in capitals after a quote: one to four capitalised words (a name, "Deputy Mayor Jane
# Doe", "He") then a verb of attribution that ends the clause ("Smith asked.", "Smith said on Monday")
# or takes its listener ("Smith told reporters", "she asked the panel").
_NAME = r"(?:[A-Z][\w'\u2019.\-]*|[A-Z]\.)"
_CAPITAL_ATTRIBUTION = re.compile(
    rf"{_NAME}(?:\s+{_NAME}){{0,3}},?\s+(?P<verb>[a-z]+)(?P<after>\s*[^\w\s]|\s+\w+|\s*$)"
)
# After "Smith said": the clause goes on as an attribution ("Smith said on Monday", "... said in a
# statement"), not as a new statement ("Smith said the budget was cut").
_CLAUSE_GOES_ON = frozenset("on in at during after before while when as via from to reporters journalists".split())
# Verbs that take the listener ("Smith told the committee", "Jones asked the panel").
_LISTENER_VERBS = frozenset("told tells asked asks urged urges warned warns".split())


def continues_after(text: str, end: int, nxt: int) -> bool:
    """Whether the sentence Punkt ended at ``end`` (a "?" or "!", maybe in closing quotes or brackets)
    goes on at ``nxt``: the next part starts with a lower-case letter ('"Why?" he asked', "the
    'a-ha!' moment", "(success!) what happened", "Mother! is a movie") or is an attribution in
    capitals after a closing quote or bracket ('"Why?" Smith asked.', '"Enough!" Union leader Jo Bloggs
    told reporters').  A period
    never counts here: Punkt's abbreviation logic decides those."""
    k = end
    while k > 0 and text[k - 1].isspace():
        k -= 1
    closed = k
    while k > 0 and text[k - 1] in _AFTER_MARK:
        k -= 1
    if k == 0 or text[k - 1] not in "?!":
        return False
    quoted = k < closed  # the mark is inside closing quotes or brackets
    j = nxt
    n = len(text)
    while j < n and text[j].isspace():
        j += 1
    if j >= n:
        return False
    c = text[j]
    if c.islower():
        return True
    if not c.isupper() or not quoted:  # "Did it matter? Analysts said yes." is two sentences
        return False
    m = _CAPITAL_ATTRIBUTION.match(text, j, min(n, j + 120))
    if m is None or m.group("verb") not in ATTRIBUTION_VERBS:
        return False
    after = m.group("after")
    if not after.strip() or after[0] in ".,;:!?)\u2014-":
        return True
    return m.group("verb") in _LISTENER_VERBS or after.split()[0].lower() in _CLAUSE_GOES_ON


def news_spans(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Punkt's sentence ``spans`` of ``text`` with the news rules applied: a break after "?" or "!"
    where the sentence goes on (:func:`continues_after`) is undone."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and continues_after(text, out[-1][1], s):
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


_DEFAULT_TOKENIZER: NewsPunkt | None = None


def default_tokenizer() -> NewsPunkt:
    global _DEFAULT_TOKENIZER
    if _DEFAULT_TOKENIZER is None:
        _DEFAULT_TOKENIZER = NewsPunkt()
    return _DEFAULT_TOKENIZER


# -- paragraphs -------------------------------------------------------------


def _is_hard_wrapped(lines: list[str]) -> tuple[bool, int]:
    """Guess whether a whole plain text is hard-wrapped, and its wrap width.

    A document-level summary (wrapped copy has many lines that end
    mid-sentence and lines of similar length), kept for diagnostics and
    tests; :func:`paragraph_spans` decides every line break on its own.
    Returns (wrapped, typical_width).
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


# A line longer than this is never a hard-wrapped line (wire copy wraps at
# 60-80 columns): it is a paragraph of its own, and the lines between two
# such lines form a *region* whose wrapping is judged on its own.
MAX_WRAP = 100
# In a hard-wrapped region, a line shorter than this share of the wrap width
# ends its paragraph (with closing punctuation) or is a heading (without).
SHORT_LINE = 0.6
# Wrapping is not always greedy: a line that stops this many columns short of
# where the next word would still have fitted may be a wrapped line.
WRAP_SLACK = 3
# Words a line can end with only when its sentence goes on.
_CONTINUES = frozenset(
    "a an and are as at be been but by for from had has have her his in into is it its nor not of on or "
    "our per than that the their this those to was were which who whose will with would".split()
)
_FIRST_WORD = re.compile(r"\S*")
# A gap inside a line: a tab or a run of two or more spaces and tabs (not
# after closing punctuation), or a dot leader of five or more.  Two gaps
# make a table row.
_GAP = re.compile(r"(?<=[^\s.?!:;,\"'\u201d\u2019)\]])(?:\t|[ \t]{2,})(?=\S)|(?<!\.)\.{5,}(?=[^\s.])")


def paragraph_spans(text: str, marked: bool = False) -> list[tuple[int, int]]:
    """Split ``text`` into blocks that sentences never cross.

    ``marked`` (set by structure-aware readers) means blank lines are the only
    paragraph breaks.  Otherwise blank lines always break and the other line
    breaks are decided by :func:`_plain_paragraphs`, region by region, so a
    hard-wrapped paragraph pasted into copy that is otherwise one paragraph
    per line is joined while the lines around it stay paragraphs.  Spans are
    trimmed of surrounding whitespace and empty ones dropped.
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
        return cast("list[tuple[int, int]]", fast.paragraph_spans_plain(text))
    return _plain_paragraphs(text)


# Opening marks before a line's first word ("“result” in the talks").
_OPENERS = "\"'\u201c\u2018([\u00ab"


def _starts_lower(line: str, start: int) -> bool:
    """The first letter of ``line`` from ``start`` (after opening marks) is lower case."""
    while start < len(line) and line[start] in _OPENERS:
        start += 1
    return start < len(line) and line[start].islower()


def _all_caps(seg: str) -> bool:
    """No lower-case letter and at least one upper-case one."""
    upper = False
    for c in seg:
        if c.islower():
            return False
        if c.isupper():
            upper = True
    return upper


def _goes_on(seg: str, start: int) -> bool:
    """``seg`` (a line up to its last non-space character) ends with a comma
    or a word like "the", "of", "was": its sentence goes on."""
    if seg[-1] == ",":
        return True
    k = len(seg)
    while k > start and not seg[k - 1].isspace():
        k -= 1
    return seg[k:] in _CONTINUES


def has_columns(text: str, start: int = 0, end: int | None = None) -> bool:
    """``text[start:end]`` has table columns: two gaps (:data:`_GAP`: tabs,
    runs of spaces, dot leaders) inside it."""
    count = 0
    for _ in _GAP.finditer(text, start, len(text) if end is None else end):
        count += 1
        if count >= 2:
            return True
    return False


class _Shape:
    """The shape of the lines of a plain text, and of its regions (what
    :func:`_plain_paragraphs` decides from; ``paragraph_spans_plain`` in
    :mod:`dedupe.kernels._speedups` computes the same)."""

    def __init__(self, text: str) -> None:
        self.lines = lines = text.split("\n")
        n = len(lines)
        self.starts = starts = [0] * n
        self.lens = lens = [0] * n  # up to the last non-space character
        self.indent = indent = [0] * n
        self.blank = blank = [True] * n
        self.lower = lower = [False] * n  # starts with a lower-case letter
        self.fw = fw = [0] * n  # length of the first word
        self.row = row = [False] * n  # a table row
        # r"\S*" matches at every position: never None
        first_word = cast(Callable[[str, int], re.Match[str]], _FIRST_WORD.match)
        pos = 0
        self.first = -1
        for j, line in enumerate(lines):
            starts[j] = pos
            pos += len(line) + 1
            r = line.rstrip()
            if r:
                ind = len(r) - len(r.lstrip())
                lens[j] = len(r)
                indent[j] = ind
                blank[j] = False
                lower[j] = _starts_lower(r, ind)
                fw[j] = first_word(r, ind).end() - ind
                if self.first < 0:
                    self.first = j
                row[j] = has_columns(r, ind)
        # the lede's first line when the text's first line stands apart (a title)
        self.lede = -1
        f = self.first
        if f >= 0 and f + 1 < n and blank[f + 1]:
            k = f + 1
            while k < n and blank[k]:
                k += 1
            if k < n:
                self.lede = k
        # regions between long lines: wrapped?, large?, wrap width, base indentation
        self.wrapped = [False] * n
        self.large = [False] * n
        self.width = [0] * n
        self.base = [0] * n
        j = 0
        while j < n:
            if lens[j] > MAX_WRAP:
                j += 1
                continue
            k = j
            while k < n and lens[k] <= MAX_WRAP:
                k += 1
            self._region(j, k)
            j = k

    def _region(self, j: int, k: int) -> None:
        lines, lens, blank, row, indent = self.lines, self.lens, self.blank, self.row, self.indent
        lengths = []
        open_ends = 0
        prev = -1
        least = -1
        longest = 0
        for t in range(j, k):
            if blank[t]:
                prev = -1
                continue
            if least < 0 or indent[t] < least:
                least = indent[t]
            if row[t]:
                prev = -1
                continue
            if lens[t] > longest:
                longest = lens[t]
            if prev >= 0:
                lengths.append(lens[prev])
                if lines[prev][lens[prev] - 1] not in _TERMINAL or self.lower[t]:
                    open_ends += 1
            prev = t
        followed = len(lengths)
        large = followed >= 3
        if large:
            lengths.sort()
            w = lengths[int(followed * 0.9)]
            wrapped = open_ends / followed >= 0.4 and open_ends >= 2 and w >= 30
        else:
            w = longest
            wrapped = open_ends >= 1 and w >= 30
        for t in range(j, k):
            self.wrapped[t] = wrapped
            self.large[t] = large
            self.width[t] = w
            self.base[t] = max(least, 0)

    def fits(self, j: int) -> bool:
        """The first word of line ``j + 1`` would have fitted on line ``j``
        (within :data:`WRAP_SLACK`), at the wrap width and even at the length
        of line ``j + 1`` itself: the break is no wrap."""
        return self.lens[j] + 1 + self.fw[j + 1] + WRAP_SLACK <= min(self.width[j], self.lens[j + 1])

    def short(self, j: int) -> bool:
        """Line ``j`` stops well short (:data:`SHORT_LINE`) of the wrap width."""
        return self.lens[j] < self.width[j] * SHORT_LINE

    def ends_short(self, j: int) -> bool:
        """Line ``j`` (followed by a line) stops short of its region's wrap width."""
        return self.short(j) if self.large[j] else self.fits(j)

    def heading(self, j: int) -> bool:
        """Line ``j`` (without closing punctuation, followed by a line that
        starts a sentence) is a heading rather than a wrapped line: it stops
        short, or, standing apart (after a sentence end, not indented), the
        next word would have fitted on it."""
        if not self.large[j]:
            return self.fits(j)
        if self.short(j):
            return True
        if self.indent[j] > self.base[j] or not self.fits(j):
            return False
        p = j - 1
        return p < 0 or self.blank[p] or self.lines[p][self.lens[p] - 1] in _TERMINAL

    def joins(self, j: int) -> bool:
        """Whether the break after line ``j`` (it and the next line are not
        blank) is a wrap inside a paragraph (see :func:`_plain_paragraphs`)."""
        lines, lens, indent = self.lines, self.lens, self.indent
        nx = j + 1
        if self.row[j] or self.row[nx]:
            return False
        wrapped = self.wrapped[j] and lens[j] <= MAX_WRAP and lens[nx] <= MAX_WRAP
        if wrapped and indent[nx] > self.base[j]:
            return False
        if self.lower[nx]:
            return True
        seg = lines[j][: lens[j]]
        is_open = seg[-1] not in _TERMINAL
        if not wrapped:
            return lens[j] <= MAX_WRAP and indent[nx] <= indent[j] and is_open and _goes_on(seg, indent[j])
        if _all_caps(seg) and not _all_caps(lines[nx][: lens[nx]]):
            return False
        if j == self.first or j == self.lede:
            return True
        if is_open:
            return _goes_on(seg, indent[j]) or not self.heading(j)
        if self.ends_short(j):
            return False
        # the line after a sentence is a heading: break before it too
        if lines[nx][lens[nx] - 1] not in _TERMINAL:
            after = nx + 1
            if after >= len(lines) or self.blank[after]:
                return not self.short(nx)
            if not self.lower[after] and not self.row[after] and self.heading(nx):
                return False
        return True


def _plain_paragraphs(text: str) -> list[tuple[int, int]]:
    """:func:`paragraph_spans` of plain text (compiled twin: ``paragraph_spans_plain``).

    Blank lines always break.  Lines longer than :data:`MAX_WRAP` are
    paragraphs of their own; the runs of lines between them are regions,
    judged hard-wrapped or not on their own: a region of four or more
    consecutive lines when many of them end mid-sentence (the shape of
    :func:`_is_hard_wrapped`; its wrap width is the 90th percentile of their
    lengths), a smaller one (a wrapped paragraph pasted into copy that is
    otherwise one paragraph per line) when one ends mid-sentence (its width
    is its longest line).  A break between two lines:

    - never joins table rows (two gaps inside a line: :data:`_GAP`) to anything;
    - in a wrapped region, breaks before a line indented more than the
      region (a wire-copy paragraph);
    - otherwise joins when the next line starts with a lower-case letter
      (the sentence goes on), and, next to a long line or in a region that
      is not wrapped, only then or when the line ends with a comma or a word
      like "the";
    - in a wrapped region, breaks after an all-caps line (slug,
      heading) followed by a mixed-case one; the text's first line, and the
      first after a blank line when the first stands apart (a title), goes on
      (a lede whose dateline was cut); a line that ends a sentence ends its
      paragraph when it stops short (:data:`SHORT_LINE` of the width in a
      large region; in a small one, when the next word would have fitted),
      and so does one without closing punctuation that stops short or
      where the next word would have fitted (a heading), and the line
      before such a heading.  Every other break is a wrap, and Punkt finds
      the sentences of the joined block.
    """
    shape = _Shape(text)
    lines, starts, blank = shape.lines, shape.starts, shape.blank
    n = len(lines)
    blocks: list[tuple[int, int]] = []
    cur_start = -1
    for j in range(n):
        if blank[j]:
            if cur_start >= 0:
                blocks.append((cur_start, starts[j]))
                cur_start = -1
            continue
        if cur_start < 0:
            cur_start = starts[j]
        if j + 1 < n and not blank[j + 1] and not shape.joins(j):
            blocks.append((cur_start, starts[j] + len(lines[j])))
            cur_start = -1
    if cur_start >= 0:
        blocks.append((cur_start, len(text)))
    return [sp for sp in (_trim(text, s, e) for s, e in blocks) if sp]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


# -- titles -------------------------------------------------------------------

# A title set apart on the first line: at most this long.
TITLE_MAX_CHARS = 150
TITLE_MAX_WORDS = 20


def _collapsed(text: str) -> str:
    return " ".join(text.split()).casefold()


_CLOSERS = "\"'”’»)]"


def ends_sentence(line: str) -> bool:
    """Whether ``line`` ends as a sentence does, so it is no headline: a closing
    period ("... this year." or '... this year."'), or a question or exclamation
    mark inside closing quotes ('... he asked: "Why now?"').  A bare "?" or "!"
    may end a headline ("Who pays?")."""
    core = line.rstrip().rstrip(_CLOSERS)
    if core.endswith((".", "…")):
        return True
    return len(core) < len(line.rstrip()) and core.endswith(("?", "!"))


def title_paragraphs(text: str, paras: list[tuple[int, int]], title: str | None = None) -> list[int]:
    """Indexes of the paragraphs of ``text`` that are its title or a slug,
    not prose: never units, never reported as repeating the lede.

    - With ``title`` (the reader's ``Document.title``: a Markdown H1, an
      HTML ``<title>``/``<h1>``, an export's title field), the first of the
      first three paragraphs that reads as that title (the same words, or
      most of them: a site name after the headline).
    - Otherwise a first line set apart: a paragraph of one line followed by
      a blank line and more text, short (:data:`TITLE_MAX_CHARS`,
      :data:`TITLE_MAX_WORDS`), not ending as a sentence does
      (:func:`ends_sentence`: a closing period, inside quotes or not).
    - A short paragraph among the first three without a lower-case letter
      (an all-caps wire slug or headline), unless the whole text is in
      capitals (old telex copy).
    """
    out: list[int] = []
    if not paras:
        return out
    if not title:  # the common case, decided cheaply: no short paragraph at the top
        short = False
        for s, e in paras[:3]:
            if e - s <= TITLE_MAX_CHARS:
                short = True
                break
        if not short:
            return out
    found = False
    if title and title.strip():
        want = _collapsed(title)
        for k, (s, e) in enumerate(paras[:3]):
            got = _collapsed(text[s:e])
            if got == want or (
                not ends_sentence(got)
                and (got in want or want in got)
                and 2 * min(len(got), len(want)) >= max(len(got), len(want))
            ):
                out.append(k)
                found = True
                break
    if not found and len(paras) > 1 and paras[0][1] - paras[0][0] <= TITLE_MAX_CHARS:
        s, e = paras[0]
        head = text[s:e]
        if (
            "\n" not in head
            and text.count("\n", e, paras[1][0]) >= 2
            and not ends_sentence(head)
            and len(head.split()) <= TITLE_MAX_WORDS
        ):
            out.append(0)
    # str.isupper: no lower-case letter and at least one upper-case one
    caps = [k for k, (s, e) in enumerate(paras[:3]) if e - s <= TITLE_MAX_CHARS and text[s:e].isupper()]
    if caps and not text.isupper():
        out = sorted(set(out) | set(caps))
    return out


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
        for s, e in tok.sentence_spans(block):
            span = _trim(block, s, e)
            if span:
                yield ps + span[0], ps + span[1], p


def split_sentences(text: str, marked: bool = False, tokenizer: NewsPunkt | None = None) -> list[str]:
    """The sentences of ``text`` as strings (convenience for tests and callers)."""
    return [text[s:e] for s, e, _ in sentence_spans(text, marked, tokenizer)]
