"""Text normalisation and word tokens.

Two copies of a sentence should compare equal when they differ only in case,
curly versus straight quotes, the kind of dash, or spacing.  Normalisation is
a 1:1 character mapping (so offsets survive) followed by lower-casing of each
token; tokens are runs of letters and digits, with inner apostrophes, periods
and hyphens kept ("don't", "u.s", "de-escalation", "9-10").
"""

from __future__ import annotations

import re

from dedupe import kernels

# 1:1 character map: quotes, apostrophes, dashes, exotic spaces.
_TABLE = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ", "\u200b": " ",
    }
)

TOKEN_RE = re.compile(r"[^\W_]+(?:['.\-][^\W_]+)*")


def normalize(text: str) -> str:
    """Map quotes, dashes and spaces to plain forms (same length as ``text``).  ASCII text without a
    backtick (the map's one ASCII key) is returned as it is, without the per-character lookup."""
    if text.isascii() and "`" not in text:
        return text
    return text.translate(_TABLE)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of ``text``."""
    return TOKEN_RE.findall(normalize(text).lower())


def token_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, token)`` for each word token, offsets into ``text``."""
    fast = kernels.compiled()
    if fast is not None:
        out: list[tuple[int, int, str]] = fast.token_spans(normalize(text))
        return out
    return [(m.start(), m.end(), m.group().lower()) for m in TOKEN_RE.finditer(normalize(text))]


def normalized_key(text: str) -> str:
    """A canonical string for a unit: its tokens joined by single spaces."""
    fast = kernels.compiled()
    if fast is not None:
        return str(fast.join_tokens(normalize(text).lower()))
    return " ".join(tokens(text))
