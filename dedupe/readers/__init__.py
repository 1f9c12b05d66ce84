"""Readers: turn files on disk into :class:`~dedupe.documents.Document` objects.

Supported formats (chosen by file extension; the one table of them, with
their extensions, is :data:`~dedupe.readers.formats.SPECS`):

``txt``
    The decoded file is the text; offsets are the identity.
``md``
    Prose only (headings, paragraphs, list items, quotes, table cells), one
    paragraph per block, with ``source_offsets`` pointing every character back
    into the Markdown source.
``html``
    A draft (fragment or simple page) keeps all its text; a full site page
    (navigation, site header/footer/asides, link-dense blocks) keeps only the
    article body that main-content extraction (trafilatura,
    :mod:`~dedupe.readers.extract`) finds, aligned back to the source.  The
    headline ``<h1>`` (else ``<title>``) is the title, not text; entities are
    decoded and ``source_offsets`` point into the HTML source.
``docx``
    Paragraphs (and table cells) in document order; ``source_text`` is the
    paragraphs joined by newlines, so a "line" is a paragraph number.
``jsonl``
    ``.jsonl``/``.ndjson``, gzip-compressed or not: one article per line, id
    ``path#<id>`` (line number without one), title from the title field;
    ``source_offsets`` point at the JSON encoding of each character inside the
    raw string literal of the text field (in the decompressed text).

Every reader decodes bytes the same way (UTF-8 with or without BOM, else
cp1252/latin-1 with a warning; CRLF and CR normalised to LF in both ``text``
and ``source_text``) and honours inline suppression markers::

    <!-- dedupe-ignore -->     the next paragraph is not analysed
    <!-- dedupe off -->        everything up to <!-- dedupe on --> (or the end)
    <!-- dedupe on -->

In plain text (and JSONL text values) the markers work on a line of their own,
and ``[dedupe-ignore]``, ``[dedupe off]``, ``[dedupe on]`` are accepted too.

Layout: one module per format (:mod:`~dedupe.readers.plain`,
:mod:`~dedupe.readers.markdown`, :mod:`~dedupe.readers.html`,
:mod:`~dedupe.readers.docx`, :mod:`~dedupe.readers.jsonl`), each a function
``(path, data, options) -> list[Document]``; shared pieces in
:mod:`~dedupe.readers.options` (:class:`ReadOptions`),
:mod:`~dedupe.readers.offsets` (:class:`OffsetMap`, the text builder),
:mod:`~dedupe.readers.decode` (bytes -> text), :mod:`~dedupe.readers.entities`,
:mod:`~dedupe.readers.extract` (main content of full pages),
:mod:`~dedupe.readers.markers` (suppression markers); the table of formats
(reader specs) in :mod:`~dedupe.readers.formats`, directory walking in
:mod:`~dedupe.readers.walk`, and the entry points in
:mod:`~dedupe.readers.registry`.  This package re-exports the public API.

Problems reading a file raise :class:`~dedupe.errors.InputError` with a
one-line, lower-case message; :func:`read_documents` collects them instead of
stopping at the first bad file.  Only regular files are read: a FIFO, socket
or device (met in a walk or given directly) is never opened and gives a
:class:`NotRegularFile` (an ``InputError`` with ``warning = True``).
"""

from __future__ import annotations

from dedupe.readers.decode import NotRegularFile
from dedupe.readers.formats import FORMATS, SPECS, SUPPORTED_EXTENSIONS, ReaderSpec, format_for, spec_for, supported_summary
from dedupe.readers.offsets import OffsetMap
from dedupe.readers.options import ReadOptions
from dedupe.readers.registry import read_documents, read_file
from dedupe.readers.walk import excluded_count, iter_paths, match_all_exclude

__all__ = [
    "FORMATS",
    "SPECS",
    "SUPPORTED_EXTENSIONS",
    "ReaderSpec",
    "NotRegularFile",
    "OffsetMap",
    "ReadOptions",
    "excluded_count",
    "format_for",
    "iter_paths",
    "match_all_exclude",
    "read_documents",
    "read_file",
    "spec_for",
    "supported_summary",
]
