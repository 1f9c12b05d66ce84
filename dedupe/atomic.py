"""Atomic file writes: a temporary file in the same directory, then rename.

A reader (or a crash) sees either the old file or the complete new one,
never a half-written report, baseline or index manifest.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable


def write_atomic(path: str | os.PathLike[str], data: str | bytes | Iterable[str], encoding: str = "utf-8") -> None:
    """Write ``data`` to ``path`` atomically (creating parent directories).

    ``data`` may be an iterable of text chunks, written as they come (a large report is never held
    whole); if producing one raises, the file is left as it was.

    A ``path`` that is a symbolic link is written through: its target is
    replaced atomically and the link stays (a shared baseline linked from
    several repositories keeps being the one file).  An :class:`OSError` (a full disk: ``ENOSPC``) names
    ``path`` as its ``filename``; the old file, if any, is left as it was and no temporary file remains.
    """
    given = os.fspath(path)
    try:
        _write(given, data, encoding)
    except OSError as exc:  # a full disk, a read-only folder ...: the error names the file asked for, not a temporary
        if exc.filename == given:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), given) from None


def _write(given: str, data: str | bytes | Iterable[str], encoding: str) -> None:
    path = os.path.realpath(given) if os.path.islink(given) else given
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    chunks: Iterable[str | bytes] = [data] if isinstance(data, (str, bytes)) else data
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        # a device or a pipe (-o /dev/stdout, /dev/full): written into, never replaced by a regular file
        with open(path, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk.encode(encoding) if isinstance(chunk, str) else chunk)
        return
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk.encode(encoding) if isinstance(chunk, str) else chunk)
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(path):
            try:
                os.chmod(tmp, os.stat(path).st_mode & 0o777)
            except OSError:
                pass
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def same_file_as_any(path: str, inputs: list[str]) -> str | None:
    """The first of ``inputs`` that ``path`` names (the same file, through links too), or None."""
    return inputs_named([path], inputs).get(path)


def inputs_named(paths: list[str], inputs: list[str]) -> dict[str, str]:
    """For each of ``paths`` that names one of ``inputs`` (the same file, through links too), the first
    such input.  The inputs are looked at only when some path exists, and once for all the paths (one
    set of file identities)."""
    keys: dict[tuple[int, int], list[str]] = {}
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue  # not there (or not reachable): cannot be an input that was read
        keys.setdefault((st.st_dev, st.st_ino), []).append(path)
    found: dict[str, str] = {}
    if not keys:
        return found
    for p in inputs:
        try:
            s = os.stat(p)
        except OSError:
            continue
        for path in keys.pop((s.st_dev, s.st_ino), ()):
            found[path] = p
        if not keys:
            break
    return found
