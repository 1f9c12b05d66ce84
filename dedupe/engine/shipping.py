"""Worker results handed to the main process through shared memory, not the pipe.

A worker's result (an index batch, an analysed corpus) is mostly numpy
arrays: some 8 MB per 1,500 Reuters stories.  Sent through the worker
pool's pipe, it goes 64 KB at a time, each piece a switch between the two
processes, and the worker waits until the main process has read it all:
measured 30-60 ms per batch, about a tenth of a Reuters ``index add``.

So a worker pickles its result with protocol 5, writes the large buffers
(the arrays' memory) to one file in a private folder in ``/dev/shm`` (a
memory file system: writing and reading it is a copy), and sends only the
small rest and the file's name.  The main process reads the buffers back
into memory of its own and deletes the file at once.

The folder is made by the main process before it forks the workers and
removed when the pool is done; a folder left by a process that was killed
is removed by the next one (its name holds the process id).  Where there
is no ``/dev/shm`` (not Linux), results go through the pipe as before.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

SHM = "/dev/shm"
PREFIX = "dedupe-results-"
SHIP_MIN = 1 << 20  # results whose buffers are smaller go through the pipe
_IOV = 512  # buffers per writev/readv call (under any system's IOV_MAX)


@dataclass(frozen=True)
class Shipped:
    """A result whose large buffers wait in ``path``: the pickle without them, and their sizes."""

    path: str
    head: bytes
    sizes: tuple[int, ...]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process
        return True
    return True


def _sweep(root: str) -> None:
    """Remove folders left by killed processes (``PREFIX<pid>-...`` whose process is gone)."""
    try:
        names = os.listdir(root)
    except OSError:
        return
    for name in names:
        if not name.startswith(PREFIX):
            continue
        pid = name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)


@contextmanager
def shipping_folder() -> Iterator[str | None]:
    """A private folder in shared memory for the workers' results (``None``: use the pipe)."""
    folder = None
    if os.path.isdir(SHM) and os.access(SHM, os.W_OK | os.X_OK):
        _sweep(SHM)
        try:
            folder = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=SHM)
        except OSError:
            folder = None
    try:
        yield folder
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _write_all(fd: int, views: list[memoryview]) -> None:
    for k in range(0, len(views), _IOV):
        group = views[k:k + _IOV]
        while group:
            n = os.writev(fd, group)
            while group and n >= group[0].nbytes:
                n -= group[0].nbytes
                group = group[1:]
            if group and n:
                group = [group[0][n:], *group[1:]]


def _read_all(fd: int, bufs: list[bytearray]) -> None:
    views = [memoryview(b) for b in bufs if len(b)]
    for k in range(0, len(views), _IOV):
        group = views[k:k + _IOV]
        while group:
            n = os.readv(fd, group)
            if n == 0:
                raise OSError("result file is shorter than its buffers")
            while group and n >= group[0].nbytes:
                n -= group[0].nbytes
                group = group[1:]
            if group and n:
                group = [group[0][n:], *group[1:]]


def ship(result: Any, folder: str | None) -> Any:
    """In a worker: ``result`` as a :class:`Shipped` (its buffers written to
    ``folder``), or as it is when small or when there is no folder."""
    if folder is None:
        return result
    bufs: list[pickle.PickleBuffer] = []
    head = pickle.dumps(result, protocol=5, buffer_callback=bufs.append)
    views = [b.raw() for b in bufs]
    if sum(v.nbytes for v in views) < SHIP_MIN:
        return result
    try:
        fd, path = tempfile.mkstemp(dir=folder)
    except OSError:  # the folder is full or gone: the pipe still works
        return result
    try:
        _write_all(fd, views)
    except OSError:
        os.close(fd)
        os.unlink(path)
        return result
    os.close(fd)
    return Shipped(path, head, tuple(v.nbytes for v in views))


def unship(result: Any) -> Any:
    """In the main process: a worker's result, read back (and its file deleted) if it was shipped."""
    if not isinstance(result, Shipped):
        return result
    bufs = [bytearray(n) for n in result.sizes]  # one allocation per array: each can be freed alone
    fd = os.open(result.path, os.O_RDONLY)
    try:
        _read_all(fd, bufs)
    finally:
        os.close(fd)
        os.unlink(result.path)
    return pickle.loads(result.head, buffers=bufs)
