"""Two halves of a piece of pure work at once: one here, one in a forked child on the other core.

After the workers have analysed the input, the rest of a scan runs in this process while the other
core idles.  Some of it splits into two independent halves (the clusters of two halves of the
components); :func:`in_two` runs the second half in a child forked from this process (which sees
everything this one has, without copying) and reads its result back, pickled through an unlinked
temporary file.  Whenever no child can be used (not Linux, another thread running, a large process,
no idle core) or the child fails, the second half runs here after the first: the result is the same either way.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: Not in a process larger than this (bytes resident): the child writes the reference count of every
#: object it reads, and each page so touched is copied; on a large run that copy is memory it would
#: not otherwise need.
MAX_RSS = 768 << 20


def resident_bytes() -> int | None:
    """This process's resident memory (Linux), or None when unknown."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def core_free() -> bool:
    """A core is likely idle: no more tasks runnable right now (``/proc/loadavg``'s running count, this
    process included) than one below the cores; else the load average of the last minute at least one
    below them.  On a busy machine the child would only take turns with this process, and its set-up
    and the copying back would cost more than they save.  (The running count, not the average: a
    process that ended a moment ago still weighs on the average for a minute.)"""
    cores = os.cpu_count() or 1
    try:
        with open("/proc/loadavg", "rb") as fh:
            running = int(fh.read().split()[3].split(b"/")[0])
        return running <= cores - 1
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.getloadavg()[0] <= cores - 1
    except OSError:
        return False


def may_fork() -> bool:
    """Forking is safe and pays: Linux, this process runs no other thread (a fork copies only the
    calling thread, so a lock another one holds would stay held in the child), it is not large, and a
    core is free (:func:`core_free`)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork") or threading.active_count() != 1:
        return False
    rss = resident_bytes()
    return rss is not None and rss <= MAX_RSS and core_free()


def reap(pid: int, kill: bool) -> bool:
    """Wait for child ``pid`` (stopped first when ``kill``); True when it exited with status 0."""
    if kill:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status) == 0
        except InterruptedError:
            continue
        except ChildProcessError:
            return False


def in_two(work: Callable[[int], T]) -> tuple[T, T]:
    """``(work(0), work(1))``, ``work(1)`` run by a forked child while this process runs ``work(0)``
    (its result must pickle); both here, one after the other, when no child can be used or it fails."""
    if not may_fork():
        return work(0), work(1)
    try:
        fh = tempfile.TemporaryFile()
    except OSError:
        return work(0), work(1)
    with fh:
        try:
            pid = os.fork()
        except OSError:
            return work(0), work(1)
        if pid == 0:  # the child: work, write, and leave at once (no exit handlers, no parent's buffers)
            code = 1
            try:
                pickle.dump(work(1), fh, protocol=pickle.HIGHEST_PROTOCOL)
                fh.flush()
                code = 0
            finally:
                os._exit(code)
        try:
            mine = work(0)
        except BaseException:
            reap(pid, True)
            raise
        if reap(pid, False):
            fh.seek(0)
            try:
                theirs: T = pickle.load(fh)
            except Exception:  # a short or broken file (a full disk): do it here
                theirs = work(1)
        else:
            theirs = work(1)
    return mine, theirs
