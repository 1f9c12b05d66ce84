"""Plain text: the decoded file is the text (identity offsets)."""

from __future__ import annotations

from dedupe.documents import Document
from dedupe.readers.decode import decode_text
from dedupe.readers.markers import plain_suppressions
from dedupe.readers.options import ReadOptions

__all__ = ["read_txt"]


def read_txt(path: str, data: bytes, options: ReadOptions) -> list[Document]:
    """Plain text: the decoded file is the text (identity offsets)."""
    warnings: list[str] = []
    text = decode_text(data, path, warnings)
    return [
        Document(
            id=path,
            path=path,
            text=text,
            format="txt",
            title=plain_title(text),
            suppressed=plain_suppressions(text),
            warnings=warnings,
        )
    ]


def plain_title(text: str) -> str | None:
    """The headline of plain copy: a first line set apart (short, no closing period) or a capitals slug at
    the top, as :func:`dedupe.text.split.title_paragraphs` decides (the same paragraphs are never units)."""
    head = text[:2048]  # a title sits at the top: never split the whole file for it
    body = head.lstrip()
    nl = body.find("\n")
    if nl < 0:
        return None
    first = body[:nl]
    # cheap test first (most copy has no title line): a short first line set apart, or one in capitals
    if len(first) > 150 or (body[nl + 1:].lstrip(" \t")[:1] not in ("\n", "\r") and any(c.islower() for c in first)):
        return None
    from dedupe.text.split import paragraph_spans, title_paragraphs

    paras = paragraph_spans(head)
    found = title_paragraphs(head, paras)
    if not found:
        return None
    s, e = paras[found[0]]
    title = " ".join(head[s:e].split())
    return title or None

