"""Finding the files to read under the paths a user gives."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from fnmatch import fnmatch

from dedupe.errors import InputError
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
    :class:`InputError` for a directory that cannot be listed.
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

        def walk_error(exc: OSError, top: str = top) -> None:
            if on_error is not None:
                where = getattr(exc, "filename", None) or top
                reason = "permission denied" if isinstance(exc, PermissionError) else (
                    (exc.strerror or "cannot list directory").lower()
                )
                on_error(InputError(reason, str(where)))

        for root, dirs, files in os.walk(top, onerror=walk_error):
            root_key = os.path.normcase(os.path.abspath(root)) + os.sep  # once() per file, cheaply
            rel_root = os.path.relpath(root, top).replace(os.sep, "/")
            rel_root = "" if rel_root == "." else rel_root + "/"
            dirs[:] = sorted(
                d
                for d in dirs
                if not d.startswith(".")
                and not (
                    options.exclude
                    and (
                        _matches(rel_root + d, options.exclude)
                        or _matches(rel_root + d + "/", options.exclude)
                    )
                )
            )
            for name in sorted(files):
                if name.startswith("."):
                    continue
                rel = rel_root + name
                if options.include:
                    if not _matches(rel, options.include):
                        continue
                elif format_for(name) is None:
                    continue
                if options.exclude and _matches(rel, options.exclude):
                    continue
                key = root_key + os.path.normcase(name)
                if key not in seen:
                    seen.add(key)
                    yield os.path.join(root, name)

