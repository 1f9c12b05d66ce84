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
            suppressed=plain_suppressions(text),
            warnings=warnings,
        )
    ]

