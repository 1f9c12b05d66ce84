"""Finding the files to read under the paths a user gives."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from fnmatch import fnmatch

from dedupe.errors import InputError
from dedupe.readers.decode import file_kind, not_regular
from dedupe.readers.formats import format_for
from dedupe.readers.options import ReadOptions

__all__ = ["iter_paths"]


def _matches(rel: str, patterns: Sequence[str]) -> bool:
    """True when ``rel`` (a ``/``-separated relative path) or its basename
    matches one of the glob ``patterns``."""
    base = rel.rsplit("/", 1)[-1]
    return any(fnmatch(rel, p) or fnmatch(base, p) for p in patterns)


def iter_paths(
    paths: Iterable[str],
    options: ReadOptions | None = None,
    on_error: Callable[[InputError], None] | None = None,
) -> Iterator[str]:
    """The files to read for ``paths``.

    Files are yielded as given, whatever their extension (and even when they
    do not exist: :func:`read_file` reports that).  Directories are walked
    recursively in sorted order, skipping hidden files and directories
    (``.git``, ``.dedupe``, ``.venv`` ...); only files with a supported
    extension are taken unless ``options.include`` is given, and anything
    matching ``options.exclude`` is left out (matching directories are not
    entered).  A file reached twice is yielded once.  ``on_error`` receives an
    :class:`InputError` for a directory that cannot be listed, and a
    :class:`~dedupe.readers.decode.NotRegularFile` (a warning) for a FIFO,
    socket or device met in a walk; links to directories are not followed.
    """
    options = options or ReadOptions()
    if isinstance(paths, str):
        paths = [paths]
    seen: set[str] = set()

    def once(path: str) -> bool:
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            return False
        seen.add(key)
        return True

    for top in paths:
        if not os.path.isdir(top):
            if once(top):
                yield top
            continue
        yield from _walk(top, options, on_error, seen)


def _walk_error(exc: OSError, where: str) -> InputError:
    reason = "permission denied" if isinstance(exc, PermissionError) else (
        (exc.strerror or "cannot list directory").lower()
    )
    return InputError(reason, str(getattr(exc, "filename", None) or where))


def _walk(
    top: str, options: ReadOptions, on_error: Callable[[InputError], None] | None, seen: set[str]
) -> Iterator[str]:
    """Depth first, sorted, a directory's files before its subdirectories
    (the order of ``os.walk``).  Symbolic links to directories are not
    followed (so link loops cannot trap the walk); entries that are not
    regular files (FIFOs, sockets, devices) are reported to ``on_error`` as
    :class:`~dedupe.readers.decode.NotRegularFile` and skipped, never opened.
    """
    stack: list[tuple[str, str]] = [(top, "")]
    while stack:
        root, rel_root = stack.pop()
        try:
            with os.scandir(root) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if on_error is not None:
                on_error(_walk_error(exc, root))
            continue
        root_key = os.path.normcase(os.path.abspath(root)) + os.sep  # once() per file, cheaply
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            rel = rel_root + name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                if not (options.exclude and (_matches(rel, options.exclude) or _matches(rel + "/", options.exclude))):
                    subdirs.append((entry.path, rel + "/"))
                continue
            if options.include:
                if not _matches(rel, options.include):
                    continue
            elif format_for(name) is None:
                continue
            if options.exclude and _matches(rel, options.exclude):
                continue
            key = root_key + os.path.normcase(name)
            if key in seen:
                continue
            try:
                regular = entry.is_file()  # from the directory listing; follows a link
            except OSError:
                regular = False
            if not regular:
                try:
                    kind = file_kind(os.stat(entry.path).st_mode)
                except OSError:
                    kind = None  # a broken link: reading it reports the error
                if kind == "directory":
                    continue  # a link to a directory: not followed
                if kind is not None:
                    if on_error is not None:
                        on_error(not_regular(entry.path, kind))
                    continue
            seen.add(key)
            yield entry.path
        stack.extend(reversed(subdirs))
