"""The file formats readers know, by extension."""

from __future__ import annotations

import os

__all__ = ["FORMATS", "SUPPORTED_EXTENSIONS", "format_for", "supported_list"]

SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson.gz": "jsonl",
}

#: The format names :func:`read_file` accepts as ``fmt``.
FORMATS: tuple[str, ...] = ("txt", "md", "html", "docx", "jsonl")



def supported_list() -> str:
    """The supported extensions, for messages."""
    return ", ".join(sorted(SUPPORTED_EXTENSIONS))


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
