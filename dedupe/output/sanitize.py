"""Text made safe for a terminal or a CI log.

Article text and file names can hold control characters (ESC sequences
that clear a screen, BEL, backspaces), text-direction overrides that make a
line read differently from what it is, lone surrogates that cannot be
encoded, and line breaks that would start a new CI workflow command.
:func:`neutralize` shows each as a visible escape (``\\x1b``, ``\\u202e``,
``\\n``) instead, so what is printed is what is there.
"""

from __future__ import annotations

import re

# C0 and C1 controls (tab kept), DEL, bidirectional controls, lone surrogates, non-characters.
_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
_UNSAFE_KEEP_NL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    if c == "\n":
        return "\\n"
    if c == "\r":
        return "\\r"
    o = ord(c)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def neutralize(text: str, keep_newlines: bool = False) -> str:
    """``text`` with every unsafe character replaced by a visible escape."""
    pattern = _UNSAFE_KEEP_NL if keep_newlines else _UNSAFE
    return pattern.sub(_escape, text) if pattern.search(text) else text
