"""DOCX: paragraphs (and table cells) in document order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dedupe.documents import Document
from dedupe.errors import InputError
from dedupe.readers.decode import out_of_memory, too_large
from dedupe.readers.markers import line_marker
from dedupe.readers.offsets import TextBuilder
from dedupe.readers.options import ReadOptions

__all__ = ["read_docx"]

_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
#: The relationships whose parts the text is read from: the package's main document and core properties
#: (the title), and the main document's styles (headings).  No other part (media, fonts, headers, embedded
#: objects, custom XML...) is ever decompressed.
_PACKAGE_RELS = (_REL + "officeDocument", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/"
                 "core-properties", _REL + "metadata/core-properties")
_DOCUMENT_RELS = (_REL + "styles",)


class _Budget:
    """The decompressed bytes a .docx may expand to, counted as they come out of the decompressor (the
    sizes a zip declares are checked too, but never trusted)."""

    def __init__(self, path: str, limit: int, name: str) -> None:
        self.path, self.limit, self.name, self.used = path, limit, name, 0

    def take(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise InputError(too_large("decompressed .docx content", self.limit, self.name), self.path)


def _zip_directory_size(data: bytes) -> int:
    """The size of the zip's central directory as its end records claim it (what ``zipfile`` reads and
    parses into one object per entry), 0 when there is no end record (not a zip)."""
    import struct

    end = data.rfind(b"PK\x05\x06", max(0, len(data) - (1 << 16) - 22))
    if end < 0 or end + 22 > len(data):
        return 0
    entries, size = struct.unpack_from("<HL", data, end + 10)
    if (entries == 0xFFFF or size == 0xFFFFFFFF) and end >= 20 and data[end - 20:end - 16] == b"PK\x06\x07":
        (offset,) = struct.unpack_from("<Q", data, end - 12)  # the zip64 end record
        if offset + 56 <= len(data) and data[offset:offset + 4] == b"PK\x06\x06":
            (size64,) = struct.unpack_from("<Q", data, offset + 40)
            size = max(size, size64)
    return int(size)


def _text_package(path: str, data: bytes, limit: int, name: str) -> Any:
    """A copy of the package holding only the parts the text is read from (see :data:`_PACKAGE_RELS`),
    each decompressed as a stream against one budget of ``limit`` bytes (``name`` in messages): a renamed
    main part, a gigabyte image or a zip header that lies about sizes cannot make reading it unbounded."""
    import io
    import zipfile

    from docx.opc.packuri import PACKAGE_URI, PackURI
    from lxml import etree

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InputError("not a valid .docx file", path)
    if _zip_directory_size(data) > limit:  # zipfile makes an object of every entry before anything is read
        raise InputError(too_large(".docx zip directory", limit, name), path)
    budget = _Budget(path, limit, name)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise InputError("not a valid .docx file", path) from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    parts: dict[str, bytes] = {}

    def read(member: str) -> bytes | None:
        try:
            info = archive.getinfo(member)
        except KeyError:
            return None
        if info.file_size > budget.limit - budget.used:  # what it declares: refused before reading a byte
            raise InputError(too_large("decompressed .docx content", limit, name), path)
        chunks = []
        with archive.open(info) as fh:
            while chunk := fh.read(1 << 16):
                budget.take(len(chunk))
                chunks.append(chunk)
        parts[member] = blob = b"".join(chunks)
        return blob

    def kept_rels(source: Any, wanted: tuple[str, ...]) -> list[Any]:
        """The internal relationships of ``source`` of a wanted type (the rels part rewritten to hold only
        those, and every external one, which names no part)."""
        member = source.rels_uri.membername
        blob = read(member)
        if blob is None:
            return []
        root = etree.fromstring(blob, parser)
        targets = []
        for rel in list(root):
            external = rel.get("TargetMode") == "External"
            if not external and rel.get("Type") not in wanted:
                root.remove(rel)
            elif not external:
                targets.append(PackURI.from_rel_ref(source.baseURI, rel.get("Target") or ""))
        parts[member] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        return targets

    # errors (a damaged zip or XML, an unknown compression, an encrypted entry) are the caller's "not valid"
    if read("[Content_Types].xml") is None:
        raise InputError("not a valid .docx file", path)
    for target in kept_rels(PACKAGE_URI, _PACKAGE_RELS):
        if read(target.membername) is not None:
            for sub in kept_rels(target, _DOCUMENT_RELS):
                read(sub.membername)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        for member, blob in parts.items():
            copy.writestr(member, blob)
    out.seek(0)
    return out


def _docx_paragraphs(container: Any, seen: dict[int, Any]) -> Iterator[Any]:
    """Paragraphs of a document or table cell in document order (tables
    included, merged cells once: ``seen`` holds the cells met, by identity)."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                for cell in row.cells:
                    if id(cell._tc) in seen:  # the element is kept alive in seen: its id stays its own
                        continue
                    seen[id(cell._tc)] = cell._tc
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
    limit = min(options.max_decompressed_bytes, options.max_record_bytes)  # the parts of one article
    name = "max-record-bytes" if limit == options.max_record_bytes else "max-decompressed-bytes"
    try:
        package = _text_package(path, data, limit, name)
        import docx  # lazy: python-docx pulls in lxml

        document = docx.Document(package)
        paragraphs = list(_docx_paragraphs(document, {}))
        core_title = document.core_properties.title
    except InputError:
        raise
    except MemoryError:
        raise InputError(out_of_memory(".docx", limit, name), path) from None
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

