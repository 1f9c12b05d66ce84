"""The ``json`` format: the documented machine schema of a scan (``version`` 1).

Written as it is produced (:func:`iter_json`): one cluster, document or roll-up entry at a time, so a
large result is never held as one string (nor as one dict of dicts) besides the result itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from dedupe.findings import ScanResult

#: Chunks of about this many characters are handed to the writer.
CHUNK_CHARS = 1 << 20

# Compact: json's C encoder only runs without indentation (10x faster on a large corpus); pipe through
# `jq` to read it.  The separators are json.dumps' defaults, so the stream equals
# ``json.dumps(result.to_dict(), ensure_ascii=False)`` byte for byte.
_dumps = json.JSONEncoder(ensure_ascii=False).encode


#: Entries encoded by one call of the encoder (one call per entry costs more than the encoding of a small one).
BATCH = 256


def _array(items: Iterable[Any], to_dict: Callable[[Any], Any]) -> Iterator[str]:
    yield "["
    sep = ""
    batch: list[Any] = []
    for it in items:
        batch.append(to_dict(it))
        if len(batch) >= BATCH:
            yield sep + _dumps(batch)[1:-1]  # a list's items are written with the separator between them
            sep, batch = ", ", []
    if batch:
        yield sep + _dumps(batch)[1:-1]
    yield "]"


def _parts(result: ScanResult) -> Iterator[str]:
    yield '{"version": 1, "documents": '
    yield from _array(result.documents, lambda d: d.to_dict())
    yield ', "clusters": '
    yield from _array(result.clusters, lambda c: c.to_dict())
    yield ', "overlaps": '
    yield from _array(result.overlaps, lambda o: o.to_dict())
    yield ', "summary": ' + _dumps(result.summary())
    yield ', "errors": ' + _dumps([str(e) for e in result.errors])
    yield ', "warnings": ' + _dumps([str(w) for w in result.warnings])
    yield ', "notes": ' + _dumps(list(result.notes)) + "}\n"


def iter_json(result: ScanResult) -> Iterator[str]:
    """The JSON document of ``result`` in chunks of about :data:`CHUNK_CHARS` characters."""
    buf: list[str] = []
    size = 0
    for part in _parts(result):
        buf.append(part)
        size += len(part)
        if size >= CHUNK_CHARS:
            yield "".join(buf)
            buf, size = [], 0
    if buf:
        yield "".join(buf)


def render_json(result: ScanResult) -> str:
    return "".join(iter_json(result))
