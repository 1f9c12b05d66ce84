"""Finding the files to read under the paths a user gives."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from fnmatch import fnmatch

from dedupe.errors import InputError, InputWarning
from dedupe.paths import inside, repository_root
from dedupe.readers.decode import file_kind, not_regular
from dedupe.readers.formats import format_for
from dedupe.readers.options import ReadOptions

__all__ = ["ExternalLink", "excluded_count", "iter_paths", "match_all_exclude", "repository_root"]


class ExternalLink(InputWarning):
    """A symbolic link whose target is outside the tree being read: skipped
    (a warning) unless ``follow_external_symlinks`` is set."""


def _inside(path: str, root: str) -> bool:
    """True when the resolved ``path`` is ``root`` or below it (both real paths)."""
    return inside(path, root)


def _boundary(top: str) -> str:
    """The tree a path named on the command line may resolve into: its
    repository, else the folder that holds it."""
    root = repository_root(top) or os.path.dirname(os.path.abspath(top))
    return os.path.realpath(root)


def _external(path: str, where: str) -> ExternalLink:
    return ExternalLink(f"symbolic link pointing outside {where}, not read "
                        "(--follow-external-symlinks to read it)", path)


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

    Nothing outside the tree is read unless ``options.follow_external_symlinks``:
    a symbolic link met in a walk (to a file or a folder) whose target lies
    outside the walked folder, and a path named directly that resolves outside
    its repository (or, outside a repository, its folder), are skipped with an
    :class:`ExternalLink` warning naming the link.  With the option, links to
    files anywhere are read and links to folders are walked (each real folder
    once, so link loops end).
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
        if not options.follow_external_symlinks and os.path.lexists(top):
            real = os.path.realpath(top)
            if not _inside(real, _boundary(top)):
                if on_error is not None:
                    on_error(_external(top, "the repository" if repository_root(top) else "its folder"))
                continue
        if not os.path.isdir(top):
            if once(top):
                yield top
            continue
        yield from _walk(top, options, on_error, seen)


def _excluded_dir(rel: str, options: ReadOptions) -> bool:
    return bool(options.exclude) and (_matches(rel, options.exclude) or _matches(rel + "/", options.exclude))


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
    follow = options.follow_external_symlinks
    real_top = os.path.realpath(top)
    walked = {real_top}  # real folders entered (with follow: link loops end)
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
                is_link = entry.is_symlink()
            except OSError:
                is_dir = is_link = False
            if is_link:
                target = os.path.realpath(entry.path)
                outside = not _inside(target, real_top)
                if outside and not follow:
                    if on_error is not None:
                        on_error(_external(entry.path, top))
                    continue
                if follow and os.path.isdir(target):
                    if target in walked or _excluded_dir(rel, options):
                        continue
                    walked.add(target)
                    subdirs.append((entry.path, rel + "/"))
                    continue
            if is_dir:
                if not _excluded_dir(rel, options):
                    if follow:
                        real = os.path.realpath(entry.path)
                        if real in walked:
                            continue
                        walked.add(real)
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


#: File names every real tree has: an exclude pattern matching all of them matches everything.
_ORDINARY_FILES = ("story.txt", "drafts/2024/port-strike.md", "news/a.html", "archive.jsonl", "x.docx")


def match_all_exclude(patterns: Sequence[str]) -> str | None:
    """The first pattern that matches every ordinary file name (``*``, ``**``, ``*.*``, ``?*``), or None."""
    for p in patterns:
        if all(_matches(name, [p]) for name in _ORDINARY_FILES):
            return p
    return None


def excluded_count(paths: Sequence[str], options: ReadOptions) -> int:
    """How many files under ``paths`` the ``exclude`` patterns leave out (files that would be read
    without them, in excluded folders too): a verdict counts them, as it counts boilerplate."""
    if not options.exclude:
        return 0
    from dataclasses import replace

    def n(opts: ReadOptions) -> int:
        return sum(1 for _ in iter_paths(list(paths), opts))

    return max(0, n(replace(options, exclude=())) - n(options))
