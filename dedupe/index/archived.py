"""Archived articles: the self-contained form an index stores (text, title, path, position map), packed and unpacked."""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from dedupe.documents import Document, line_starts
from dedupe.readers.formats import EXPORT_FORMATS
from dedupe.safety import printable_name

#: The version of the stored article and index format.
FORMAT_VERSION = 1



@dataclass
class ArchivedDocument(Document):
    """A document restored from an index: text plus a compact position map.

    ``runs`` maps text offsets to source offsets (piecewise linear, as
    :class:`dedupe.readers.OffsetMap`); ``lstarts`` are the source offsets of
    the lines the text spans, the first being line ``line0``.  Both are
    counted from the start of line ``line0`` (indexes written before
    2026-12-02 count from the start of the file; either reads the same).
    """

    runs: tuple[list[int], list[int]] | None = None
    line0: int = 1
    lstarts: list[int] | None = None

    def source_index(self, offset: int) -> int:
        if self.runs is None:
            return offset
        starts, sources = self.runs
        if not starts:
            return 0
        k = max(0, bisect_right(starts, offset) - 1)
        return sources[k] + (offset - starts[k])

    def line_col(self, source_index: int) -> tuple[int, int]:
        if self.lstarts is None:
            return super().line_col(source_index)
        k = max(0, bisect_right(self.lstarts, source_index) - 1)
        return self.line0 + k, source_index - self.lstarts[k] + 1


def article_id(doc: Document) -> str:
    """The id an article has in an index: the record id for JSON lines and
    Parquet exports (stable across export files), else the normalised path."""
    if doc.format in EXPORT_FORMATS and doc.id.startswith(doc.path + "#"):
        return doc.id[len(doc.path) + 1:]
    return os.path.normpath(doc.id)


def to_archived(doc: Document, cache: dict[int, list[int]] | None = None) -> ArchivedDocument:
    """A self-contained copy of ``doc`` (no shared source text)."""
    aid = printable_name(article_id(doc))  # names not UTF-8 or with controls: stored escaped, as every output shows them
    common: dict[str, Any] = dict(id=aid, path=printable_name(doc.path), text=doc.text, format=doc.format, title=doc.title,
                  paragraphs_marked=doc.paragraphs_marked, suppressed=list(doc.suppressed))
    so = doc.source_offsets
    if so is None and doc.source_text is None:
        return ArchivedDocument(**common)
    src = doc.source_text if doc.source_text is not None else doc.text
    if cache is not None:
        full = cache.get(id(src))
        if full is None:
            full = cache[id(src)] = line_starts(src)
    else:
        full = line_starts(src)
    if so is None:
        return ArchivedDocument(**common, runs=None, line0=1, lstarts=list(full))
    from dedupe.readers import OffsetMap

    om = so if isinstance(so, OffsetMap) else OffsetMap.from_offsets(so)
    starts, sources = om.runs()
    if not starts:
        return ArchivedDocument(**common, runs=([], []), line0=1, lstarts=[0])
    n = len(so)
    lo = min(sources)
    ends = [s + ((starts[k + 1] if k + 1 < len(starts) else n) - starts[k]) for k, s in enumerate(sources)]
    hi = max(ends)
    a = max(0, bisect_right(full, lo) - 1)
    b = bisect_right(full, hi)
    # positions relative to the first line the article spans: a record of an export keeps the same stored
    # form (and content hash) when an earlier record changes length, so a re-add finds it unchanged
    base = full[a]
    return ArchivedDocument(**common, runs=(starts, [x - base for x in sources]), line0=a + 1,
                            lstarts=[x - base for x in full[a:b]])


def pack_article(doc: ArchivedDocument) -> tuple[bytes, str]:
    """The stored form of an article and its content hash.

    A JSON header (id, path, title, format, position map), a NUL byte, then
    the text as UTF-8: the text is not escaped into JSON, which halves the
    cost of packing.  Not compressed either: deflating every article cost a
    fifth of an ``index add`` for about half the size of the article blobs,
    the smaller part of an index (the key segments are the larger).  Blobs
    of earlier versions (JSON with the text inside, zlib-compressed or not)
    are still read (:func:`unpack_article`)."""
    header = json.dumps({
        "v": FORMAT_VERSION, "id": doc.id, "path": doc.path, "title": doc.title, "format": doc.format,
        "marked": doc.paragraphs_marked, "suppressed": doc.suppressed,
        "runs": doc.runs, "line0": doc.line0, "lstarts": doc.lstarts,
    }, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    payload = header + b"\0" + doc.text.encode("utf-8", "surrogatepass")
    digest = hashlib.blake2b(payload, digest_size=16).hexdigest()
    return payload, digest


def unpack_article(blob: bytes) -> ArchivedDocument:
    if blob[:1] != b"{":  # zlib-compressed JSON: written by dedupe 0.1
        blob = zlib.decompress(blob)
    cut = blob.find(b"\0")  # JSON never holds a raw NUL: header, NUL, text
    if cut >= 0:
        d = json.loads(blob[:cut])
        d["text"] = blob[cut + 1:].decode("utf-8", "surrogatepass")
    else:  # the text inside the JSON (earlier versions)
        d = json.loads(blob)
    runs = d.get("runs")
    return ArchivedDocument(
        id=d["id"], path=d["path"], text=d["text"], format=d.get("format", "txt"), title=d.get("title"),
        paragraphs_marked=d.get("marked", False), suppressed=[tuple(x) for x in d.get("suppressed", [])],
        runs=(runs[0], runs[1]) if runs else None, line0=d.get("line0", 1), lstarts=d.get("lstarts"),
    )
