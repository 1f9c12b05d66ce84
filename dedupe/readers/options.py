"""How files are found and interpreted: :class:`ReadOptions`."""

from __future__ import annotations

from dataclasses import dataclass

from dedupe.config import READ_LIMITS

__all__ = ["DEFAULT_LIMITS", "LIMIT_NAMES", "ReadOptions"]

#: The readers' resource limits (bytes) and their defaults, from the settings table (dedupe.config.READ_LIMITS).
DEFAULT_LIMITS: dict[str, int] = {k: default for k, (default, _) in READ_LIMITS.items()}
#: The name users see (config key and flag) for each limit.
LIMIT_NAMES: dict[str, str] = {k: k.replace("_", "-") for k in DEFAULT_LIMITS}


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
        follow_external_symlinks: read symbolic links (to files or folders)
            whose target lies outside the folder being walked (or, for a file
            named directly, outside its repository).  Off by default: a pull
            request can add ``drafts/a.txt -> /etc/passwd``.
        max_file_bytes: the largest file read (bytes on disk).
        max_decompressed_bytes: the largest decompressed size of a ``.gz``
            file, and of the XML parts of a ``.docx``.
        max_record_bytes: the largest article: one JSON line, or the decoded
            text of a one-article file.
    """

    id_field: str = "id"
    text_field: str = "text"
    title_field: str = "title"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    follow_external_symlinks: bool = False
    max_file_bytes: int = DEFAULT_LIMITS["max_file_bytes"]
    max_decompressed_bytes: int = DEFAULT_LIMITS["max_decompressed_bytes"]
    max_record_bytes: int = DEFAULT_LIMITS["max_record_bytes"]

