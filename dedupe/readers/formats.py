"""The input formats: one table of reader specs, from which every other list derives.

A :class:`ReaderSpec` says which extensions a format has, the function that
reads it, whether one file holds many records (articles) or one, and whether
a document's line numbers are the file's own byte lines (so CI formats can
count columns in bytes).  The extension map, the format names ``read_file``
accepts, the "supported: ..." messages and the readers' dispatch are all
derived from :data:`SPECS`.  To add a format: one entry below plus its reader
module (see docs/tables.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from dedupe.documents import Document
from dedupe.readers.docx import read_docx
from dedupe.readers.html import read_html
from dedupe.readers.jsonl import read_jsonl
from dedupe.readers.markdown import read_markdown
from dedupe.readers.options import ReadOptions
from dedupe.readers.plain import read_txt

__all__ = ["EXPORT_FORMATS", "FORMATS", "PARQUET", "SPECS", "SUPPORTED_EXTENSIONS", "ReaderSpec", "format_for", "spec_for", "supported_list",
           "supported_summary"]

Reader = Callable[[str, bytes, ReadOptions], list[Document]]


@dataclass(frozen=True)
class ReaderSpec:
    """One input format.

    ``extensions``: the first is the one messages name; ``.gz`` variants are
    listed in full (``.jsonl.gz``).  ``read``: ``(path, data, options) ->
    documents``.  ``many``: a file holds many records (an export), each its
    own article.  ``byte_lines``: line N of a document is line N of the file's
    bytes (False where a "line" is something else, such as a DOCX paragraph).
    """

    name: str
    extensions: tuple[str, ...]
    read: Reader
    many: bool = False
    byte_lines: bool = True


SPECS: dict[str, ReaderSpec] = {s.name: s for s in (
    ReaderSpec("txt", (".txt", ".text"), read_txt),
    ReaderSpec("md", (".md", ".markdown"), read_markdown),
    ReaderSpec("html", (".html", ".htm"), read_html),
    ReaderSpec("docx", (".docx",), read_docx, byte_lines=False),
    ReaderSpec("jsonl", (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"), read_jsonl, many=True),
)}

#: Extension -> format name.
SUPPORTED_EXTENSIONS: dict[str, str] = {ext: s.name for s in SPECS.values() for ext in s.extensions}

#: The format names :func:`read_file` accepts as ``fmt``.
FORMATS: tuple[str, ...] = tuple(SPECS)

#: Parquet (a file or a dataset directory named ``*.parquet``): read only by the Spark engine, record by
#: record like a JSON-lines export, so it has no reader here.
PARQUET = "parquet"

#: The formats whose file holds many records (exports), each article named by its record id.
EXPORT_FORMATS: frozenset[str] = frozenset({s.name for s in SPECS.values() if s.many} | {PARQUET})


def supported_list() -> str:
    """Every supported extension, for messages."""
    return ", ".join(sorted(SUPPORTED_EXTENSIONS))


def supported_summary() -> str:
    """The main extension of each format (``.txt, .md, ...``), for short messages."""
    return ", ".join(s.extensions[0] for s in SPECS.values())


def format_for(path: str) -> str | None:
    """The format name for ``path``'s extension, or None when unsupported."""
    dot = path.rfind(".")
    if dot > 0 and path[dot - 1] not in "./\\":  # the plain case, without splitext's cost
        ext = path[dot:].lower()
    else:
        ext = os.path.splitext(path)[1].lower()
    if ext == ".gz":  # a compressed export: the extension before it decides
        stem, inner = os.path.splitext(path[: -len(ext)])
        if inner and os.path.basename(stem):
            return SUPPORTED_EXTENSIONS.get(inner.lower() + ext)
        return None
    return SUPPORTED_EXTENSIONS.get(ext)


def spec_for(fmt_or_path: str) -> ReaderSpec | None:
    """The spec of a format name (``jsonl``) or of a path's extension; None when unsupported."""
    spec = SPECS.get(fmt_or_path)
    if spec is not None:
        return spec
    name = format_for(fmt_or_path)
    return SPECS[name] if name is not None else None
