"""DOCX: paragraphs (and table cells) in document order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dedupe.documents import Document
from dedupe.errors import InputError
from dedupe.readers.decode import too_large
from dedupe.readers.markers import line_marker
from dedupe.readers.offsets import TextBuilder
from dedupe.readers.options import ReadOptions

__all__ = ["read_docx"]


def _docx_paragraphs(container: Any, seen: list[Any]) -> Iterator[Any]:
    """Paragraphs of a document or table cell in document order (tables
    included, merged cells once)."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                for cell in row.cells:
                    if any(cell._tc is tc for tc in seen):
                        continue
                    seen.append(cell._tc)
                    yield from _docx_paragraphs(cell, seen)
        else:
            yield block


def read_docx(path: str, data: bytes, options: ReadOptions) -> list[Document]:
    """DOCX: paragraphs in document order.

    ``source_text`` is every paragraph (empty ones too) joined by newlines, so
    a finding's line is the paragraph number and its column the character in
    the paragraph; line breaks inside a paragraph are a space there and a
    newline in ``text``.  Marker paragraphs (``<!-- dedupe off -->``,
    ``[dedupe-ignore]`` ...) are left out of ``text``.
    """
    import io
    import zipfile

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InputError("not a valid .docx file", path)
    try:
        xml = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist()
                  if i.filename.endswith((".xml", ".rels")))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError("not a valid .docx file", path) from None
    limit = min(options.max_decompressed_bytes, options.max_record_bytes)  # the parts of one article
    if xml > limit:  # a 2 MB file can claim gigabytes of XML; zipfile never reads past the size it claims
        name = "max-record-bytes" if limit == options.max_record_bytes else "max-decompressed-bytes"
        raise InputError(too_large("decompressed .docx content", limit, name), path)
    try:
        import docx  # lazy: python-docx pulls in lxml

        document = docx.Document(io.BytesIO(data))
        paragraphs = list(_docx_paragraphs(document, []))
        core_title = document.core_properties.title
    except Exception:  # noqa: BLE001 - python-docx raises many kinds of errors on bad input
        raise InputError("not a valid .docx file", path) from None

    out = TextBuilder()
    source_lines: list[str] = []
    heading: str | None = None
    pos = 0
    for para in paragraphs:
        text = para.text.replace("\r", "\n")
        source_lines.append(text.replace("\n", " "))
        kind = line_marker(text)
        if kind:
            out.end_paragraph()
            out.marker(kind)
        elif text.strip():
            out.end_paragraph()
            out.add_span(text, pos)
            out.end_paragraph()
            if heading is None:
                try:
                    style = (para.style.name or "") if para.style is not None else ""
                except Exception:  # noqa: BLE001 - a broken style is no style
                    style = ""
                if style.startswith("Heading") or style == "Title":
                    heading = " ".join(text.split())
        pos += len(text) + 1
    text, offsets, suppressed = out.finish()
    return [
        Document(
            id=path,
            path=path,
            text=text,
            format="docx",
            title=(core_title or "").strip() or heading,
            source_text="\n".join(source_lines),
            source_offsets=offsets,
            paragraphs_marked=True,
            suppressed=suppressed,
        )
    ]

