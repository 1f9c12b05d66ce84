"""Changed details: two copies of a sentence the same apart from a figure, a date or time, a name or a negation.

:func:`changed_details` reads the aligned differences of two copies
(:func:`dedupe.text.align.diff_pair`) and names each one; when every
difference is such a detail, the pair is a *changed detail* (the kind
``changed-detail``): inside one article an inconsistency, across drafts or
against the archive a detail changed from the other copy.  A difference of
any other word ("the" -> "a", a tense) makes the pair an ordinary near-copy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from dataclasses import dataclass
from typing import Any

from dedupe.text.align import Change, diff_pair
from dedupe.text.normalize import tokens as word_tokens

#: The categories, in the order messages list them.
CATEGORIES = ("figure", "date", "name", "negation")

_NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds "
    "thousand thousands million millions billion billions trillion dozen dozens half quarter third "
    "first second fourth fifth sixth seventh eighth ninth tenth".split()
)
# Words that go with a figure ("5 pct", "3 mln dlrs", "10 percent"): allowed beside one.
_FIGURE_UNITS = frozenset("pct percent per cent mln bln dlrs dlr stg yen euros pounds dollars".split())
_DATE_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun "
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec today yesterday tomorrow tonight morning afternoon "
    "evening night noon midnight week weekend month year a.m p.m am pm gmt est edt bst cet "
    "spring summer autumn fall winter".split()
)
_NEGATIONS = frozenset("not no never none nor neither nobody nothing nowhere cannot without".split())
# Capitalised words that are no names (they open sentences).
_NOT_NAMES = frozenset(
    "the a an this that these those it its he she they we i you his her their our my your there here "
    "but and or if when while as at in on of for to by from with after before".split()
)
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"(?:1[89]|20)\d\d$")
_CLOCK = re.compile(r"\d{1,2}[:.]\d\d$")


@dataclass(frozen=True)
class Detail:
    """One changed detail: its category and the words before and after (as the copies write them)."""

    category: str
    before: str
    after: str
    change: Change

    def label(self) -> str:
        return f"{self.category}: {self.before} -> {self.after}"

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "before": self.before, "after": self.after, **self.change.to_dict()}


def _is_number(t: str) -> bool:
    return bool(_DIGIT.search(t)) or t in _NUMBER_WORDS


def _figure(a: Sequence[str], b: Sequence[str]) -> bool:
    if not a or not b:
        return False
    for side in (a, b):
        if not any(_is_number(t) for t in side) or any(not _is_number(t) and t not in _FIGURE_UNITS for t in side):
            return False
    return True


def _date(a: Sequence[str], b: Sequence[str]) -> bool:
    if not a or not b:
        return False

    def dateish(t: str) -> bool:
        return t in _DATE_WORDS or bool(_YEAR.match(t)) or bool(_CLOCK.match(t))

    for side in (a, b):
        if not any(dateish(t) for t in side) or any(not dateish(t) and not _is_number(t) for t in side):
            return False
    return True


def _strip_negation(tokens: Sequence[str]) -> list[str]:
    out = []
    for t in tokens:
        if t in _NEGATIONS:
            continue
        if t.endswith("n't"):
            t = {"won't": "will", "can't": "can", "shan't": "shall"}.get(t, t[:-3])
        out.append(t)
    return out


def _negation(a: Sequence[str], b: Sequence[str]) -> bool:
    neg_a = any(t in _NEGATIONS or t.endswith("n't") for t in a)
    neg_b = any(t in _NEGATIONS or t.endswith("n't") for t in b)
    return neg_a != neg_b and _strip_negation(a) == _strip_negation(b)


def _name(change: Change) -> bool:
    if not change.a_tokens or not change.b_tokens or len(change.a_tokens) > 4 or len(change.b_tokens) > 4:
        return False
    for text, tokens in ((change.a_text, change.a_tokens), (change.b_text, change.b_tokens)):
        words = [w for w in re.split(r"[\s\-]+", text) if w]
        if not words or any(not w[:1].isupper() for w in words if w.lower() not in ("de", "van", "von", "al", "bin")):
            return False
        if all(t in _NOT_NAMES for t in tokens):
            return False
    return True


_CLOCK_TEXT = re.compile(r"\d{1,2}[:.]\d\d(?:\s*[ap]\.?m\.?)?$", re.IGNORECASE)
_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)


def _previous_word(text: str, start: int) -> str:
    words = text[:start].split()
    return words[-1] if words else ""


def _with_context(text: str, start: int, end: int) -> str:
    """The words of an insertion or deletion with the word before them ("will" -> "will not")."""
    head = text[:start].rstrip()
    k = len(head)
    while k > 0 and not head[k - 1].isspace():
        k -= 1
    word = head[k:].strip(".,;:!?\"'()[]\u201c\u201d\u2018\u2019")
    middle = text[start:end]
    return f"{word} {middle}".strip() if word else middle


def classify(change: Change, text_a: str, text_b: str) -> Detail | None:
    """The detail one difference is, or None when it is some other edit."""
    a, b = change.a_tokens, change.b_tokens
    before, after = change.a_text, change.b_text
    if _date(a, b) or (_CLOCK_TEXT.match(before) and _CLOCK_TEXT.match(after)):
        return Detail("date", before, after, change)
    if _figure(a, b):
        month = _previous_word(text_a, change.a_start).lower().rstrip(".")
        return Detail("date" if month in _MONTHS else "figure", before, after, change)
    if _negation(a, b):
        if not a or not b:  # an inserted or dropped "not": show it with the word it negates
            if not a:
                before = _with_context(text_a, change.a_start, change.a_end)
                after = _with_context(text_b, change.b_start, change.b_end)
            else:
                before = _with_context(text_a, change.a_start, change.a_end)
                after = _with_context(text_b, change.b_start, change.b_end)
        return Detail("negation", before, after, change)
    if _name(change):
        return Detail("name", before, after, change)
    return None


def _may_be_detail(token: str, raw: Set[str]) -> bool:
    """A token that some detail could hold (a cheap test before aligning)."""
    return (_is_number(token) or token in _DATE_WORDS or token in _NEGATIONS or token.endswith("n't")
            or token in _FIGURE_UNITS or token in raw)


_NO_NAMES: frozenset[str] = frozenset()


def _capitalised(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[^\W\d_][\w'.\-]*", text) if w[:1].isupper()}


def _capitalised_somewhere(token: str, text: str) -> bool:
    """False when ``token`` cannot be one of ``_capitalised(text)``: no occurrence of it in the
    lower-cased text starts at an upper-case letter (exact for ASCII text, where lower-casing keeps
    every position; any other text answers True, so that the full reading decides)."""
    if not text.isascii():
        return True
    lower = text.lower()
    i = lower.find(token)
    while i >= 0:
        if text[i].isupper():
            return True
        i = lower.find(token, i + 1)
    return False


def changed_details(text_a: str, text_b: str, changes: Sequence[Change] | None = None,
                    words: tuple[Sequence[str], Sequence[str]] | None = None) -> list[Detail] | None:
    """The details that differ between two copies, when every difference is one (a figure, a date or
    time, a name, a negation); None when the copies are the same or some other word differs.
    ``words``: the word tokens of both texts (:func:`dedupe.text.normalize.tokens`) when the caller
    has them."""
    if changes is None:  # a word only one copy has that no detail can hold: no need to align
        wa, wb = words if words is not None else (word_tokens(text_a), word_tokens(text_b))
        ta, tb = set(wa), set(wb)
        odd = [t for t in ta ^ tb if not _may_be_detail(t, _NO_NAMES)]
        if odd and any(not (_capitalised_somewhere(t, text_a) or _capitalised_somewhere(t, text_b)) for t in odd):
            return None  # a word no detail can hold, not even a name (never capitalised): the cheap test
        if odd:  # only a name could hold these: the capitalised words are read only then
            caps = _capitalised(text_a) | _capitalised(text_b)
            if any(t not in caps for t in odd):
                return None
    diff = diff_pair(text_a, text_b) if changes is None else changes
    if not diff:
        return None
    out = []
    for ch in diff:
        d = classify(ch, text_a, text_b)
        if d is None:
            return None
        out.append(d)
    return out


def summary(details: Sequence[Detail]) -> str:
    """``figure: 500 -> 1001; date: Monday -> Tuesday``: what a message says."""
    return "; ".join(d.label() for d in details)
