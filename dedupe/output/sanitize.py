"""Text made safe for a terminal or a CI log, and secrets kept out of it.

Article text and file names can hold control characters (ESC sequences
that clear a screen, BEL, backspaces), text-direction overrides that make a
line read differently from what it is, lone surrogates that cannot be
encoded, and line breaks that would start a new CI workflow command.
:func:`neutralize` shows each as a visible escape (``\\x1b``, ``\\u202e``,
``\\n``) instead, so what is printed is what is there.

:func:`redact` removes the password (and user) of every URL with
credentials (``redis://:pw@host``, ``rediss://user:pw@host``): index
locations are printed in messages, statistics, reports and JSON, and must
never publish a password.  :func:`display_url` is the form to show of one
index location.
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


# scheme://userinfo@ : userinfo is everything up to the last '@' before the host (no '/', whitespace)
_CREDENTIALS = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/\s@]*:[^/\s]*@|[^/\s@:]+@)")


def redact(text: str) -> str:
    """``text`` with the credentials of every URL in it replaced by ``***``
    (``redis://:secret@host:6379/0`` -> ``redis://***@host:6379/0``)."""
    if "@" not in text:
        return text
    return _CREDENTIALS.sub(lambda m: m.group("scheme") + "***@", text)


def display_url(location: str) -> str:
    """An index location as it may be shown: credentials redacted."""
    return redact(location)
