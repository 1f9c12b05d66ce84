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
        return SUPPORTED_EXTENSIONS.get(path[dot:].lower())
    return SUPPORTED_EXTENSIONS.get(os.path.splitext(path)[1].lower())
