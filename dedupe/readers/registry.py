"""The entry points :func:`read_file` and :func:`read_documents` (the formats: :mod:`dedupe.readers.formats`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from dedupe.documents import Document
from dedupe.errors import InputError
from dedupe.readers.decode import out_of_memory, read_bytes, too_large
from dedupe.readers.formats import (
    FORMATS,
    SPECS,
    SUPPORTED_EXTENSIONS,
    format_for,
    supported_list,
)
from dedupe.readers.options import ReadOptions
from dedupe.readers.walk import iter_paths

__all__ = ["READERS", "format_for", "read_documents", "read_file"]

#: Format name -> reader ``(path, data, options) -> documents``.
READERS: dict[str, Callable[[str, bytes, ReadOptions], list[Document]]] = {n: s.read for n, s in SPECS.items()}


def read_file(path: str, options: ReadOptions | None = None, fmt: str | None = None) -> list[Document]:
    """Read one file into its documents (a JSONL file gives one per record).

    Args:
        path: the file.
        options: field names for JSONL; defaults when None.
        fmt: force a format (a name of :data:`~dedupe.readers.formats.FORMATS`,
            or an extension such as ``.md``) instead of going by extension.

    Raises:
        InputError: missing file, directory, permission denied, binary
            content, corrupt DOCX, malformed JSONL, unsupported extension.
    """
    options = options or ReadOptions()
    if fmt is None:
        fmt = format_for(path)
        if fmt is None:
            ext = os.path.splitext(path)[1]
            what = f"'{ext}'" if ext else "(no extension)"
            if os.path.isdir(path):
                raise InputError("is a directory", path)
            if not os.path.exists(path):
                raise InputError("no such file or directory", path)
            raise InputError(
                f"unsupported file type {what} (supported: {supported_list()})", path
            )
    else:
        key = fmt.lower()
        fmt = SUPPORTED_EXTENSIONS.get(key) or SUPPORTED_EXTENSIONS.get("." + key) or (
            key if key in READERS else None
        )
        if fmt is None:
            raise InputError(
                f"unknown format '{key}' (known: {', '.join(FORMATS)})", path
            )
    data = read_bytes(path, options.max_file_bytes)  # a directory is reported from the failed open
    spec = SPECS[fmt]  # one article in plain bytes (a .docx checks its XML itself): its size is bounded
    if not spec.many and spec.byte_lines and len(data) > options.max_record_bytes:
        raise InputError(too_large("article", options.max_record_bytes, "max-record-bytes"), path)
    try:
        return READERS[fmt](path, data, options)
    except MemoryError:  # a process memory cap met inside a reader: one line naming the file, never a crash
        del data
        raise InputError(out_of_memory(f".{fmt} file", options.max_record_bytes, "max-record-bytes"), path) from None



def read_documents(
    paths: Iterable[str],
    options: ReadOptions | None = None,
    on_error: Callable[[InputError], None] | None = None,
) -> tuple[list[Document], list[InputError]]:
    """Read every document under ``paths``, collecting errors as it goes.

    Returns ``(documents, errors)``; a bad file does not stop the others.
    ``on_error`` is called with each error as it happens.
    """
    options = options or ReadOptions()
    docs: list[Document] = []
    errors: list[InputError] = []

    def report(err: InputError) -> None:
        errors.append(err)
        if on_error is not None:
            on_error(err)

    for path in iter_paths(paths, options, on_error=report):
        try:
            docs.extend(read_file(path, options))
        except InputError as err:
            report(err)
    return docs, errors
