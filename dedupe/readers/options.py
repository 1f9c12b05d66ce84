"""How files are found and interpreted: :class:`ReadOptions`."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ReadOptions"]


@dataclass
class ReadOptions:
    """How files are found and interpreted.

    Attributes:
        id_field: JSONL key holding the record id.
        text_field: JSONL key holding the article text.
        title_field: JSONL key holding the title.
        include: glob patterns; when walking a directory only files whose path
            relative to the walked directory, or whose basename, matches one
            of them are read.  Empty: every file with a supported extension.
        exclude: glob patterns matched the same way; matching directories are
            pruned (e.g. ``"drafts/old/*"``, ``"*.min.html"``, ``".git"``).
    """

    id_field: str = "id"
    text_field: str = "text"
    title_field: str = "title"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

