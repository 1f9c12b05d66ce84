"""HTML character references (``&amp;``, ``&#8217;`` ...) with offsets."""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["ENTITY_RE", "decode_entities", "unescape_entity"]

ENTITY_RE = re.compile(r"&(?:#[xX][0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);?")


def unescape_entity(entity: str) -> str:
    """Decode an HTML character reference (``html`` imported on first use)."""
    import html

    return html.unescape(entity)


def decode_entities(
    raw: str, start: int, unescape: Callable[[str], str]
) -> tuple[str, list[int]]:
    """Decode character references in ``raw`` (found at ``start`` in the
    source); every decoded character maps to the start of its reference."""
    if "&" not in raw:
        return raw, list(range(start, start + len(raw)))
    chars: list[str] = []
    offsets: list[int] = []
    pos = 0
    for m in ENTITY_RE.finditer(raw):
        chars.append(raw[pos : m.start()])
        offsets.extend(range(start + pos, start + m.start()))
        decoded = unescape(m.group())
        if decoded == m.group():  # unknown entity: literal text
            offsets.extend(range(start + m.start(), start + m.end()))
        else:
            offsets.extend([start + m.start()] * len(decoded))
        chars.append(decoded)
        pos = m.end()
    chars.append(raw[pos:])
    offsets.extend(range(start + pos, start + len(raw)))
    return "".join(chars), offsets
