"""The embedded index's key files on disk (a one-page header, sorted keys, unit ids, fences), how they are
written and merged, and the packed per-article unit records of the ``units`` table."""

from __future__ import annotations

import mmap
import os
import struct
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from dedupe.index.embedded.connection import damaged
from dedupe.index.keys import merge_keyed
from dedupe.index.prepare import IndexBatch

MERGE_CHUNK = 4_000_000  # key entries merged in memory at once (merges stream through the files)


KEYS_MAGIC = b"DDKEYS01"


HEADER = 4096  # bytes before the keys: a page, so that each block of keys is one page


BLOCK = 512  # keys per fence: a lookup reads one or two blocks (a 4 KB page of keys each) per query key


class KeyFile:
    """One key file: sorted keys, their unit ids, the fences (memory-mapped),
    and an open descriptor for reading single blocks."""

    __slots__ = ("fd", "fences", "keys", "mm", "n", "name", "units")

    def __init__(self, name: str, n: int, fd: int, mm: mmap.mmap, keys: np.ndarray, units: np.ndarray,
                 fences: np.ndarray) -> None:
        self.name, self.n, self.fd, self.mm = name, n, fd, mm
        self.keys, self.units, self.fences = keys, units, fences

    def release(self, a: int, b: int) -> None:
        """Unmap the pages of entries ``a`` .. ``b`` (read whole by a merge or a
        check: they stay in the page cache, out of this process's memory)."""
        for off, width in ((HEADER, 8), (entry_layout(self.n)[0], 4)):
            lo = (off + width * a) // mmap.PAGESIZE * mmap.PAGESIZE
            hi = (off + width * b) // mmap.PAGESIZE * mmap.PAGESIZE
            if hi > lo:
                try:
                    self.mm.madvise(mmap.MADV_DONTNEED, lo, hi - lo)
                except (OSError, ValueError):  # pragma: no cover - an advice only
                    return

    def __del__(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def entry_layout(n: int) -> tuple[int, int, int]:
    """Offsets of units and fences and the file size for ``n`` entries (keys
    start at :data:`HEADER`, one page, so each block of keys is one page)."""
    nf = -(-n // BLOCK)
    u_off = HEADER + 8 * n
    f_off = u_off + 4 * n + (4 if n % 2 else 0)
    return u_off, f_off, f_off + 8 * nf


def open_keyfile(path: str, n: int, size: int, location: str) -> KeyFile:
    """Open and map a key file and check its header and size (not its CRC: that reads it all)."""
    name = os.path.basename(path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise damaged(location, f"key file {name} cannot be read: {exc.strerror or exc}") from None
    try:
        got = os.fstat(fd).st_size
        if got != size:
            raise damaged(location, f"key file {name} has {got} bytes, the index lists {size}")
        mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        if mm[:8] != KEYS_MAGIC:
            raise damaged(location, f"key file {name} has a bad header")
        hn, block, nf = struct.unpack_from("<QQQ", mm, 8)
        u_off, f_off, total = entry_layout(n)
        if hn != n or block != BLOCK or nf != -(-n // BLOCK) or total != size:
            raise damaged(location, f"key file {name} has a bad header")
    except (OSError, ValueError) as exc:
        os.close(fd)
        raise damaged(location, f"key file {name} cannot be read: {exc}") from None
    except BaseException:
        os.close(fd)
        raise
    return KeyFile(name, n, fd, mm, np.frombuffer(mm, dtype=np.uint64, count=n, offset=HEADER),
                    np.frombuffer(mm, dtype=np.uint32, count=n, offset=u_off),
                    np.frombuffer(mm, dtype=np.uint64, count=nf, offset=f_off))


KeyRun = tuple[np.ndarray, np.ndarray]  # sorted keys and their unit ids


def pwrite_all(fd: int, data: Any, offset: int) -> None:
    view = memoryview(data).cast("B")
    while len(view):
        k = os.pwrite(fd, view, offset)
        view, offset = view[k:], offset + k


RANGE_ENTRIES = 1 << 20  # key entries per range of a threaded merge (a few ranges in flight at once)


def key_ranges(runs: list[KeyRun], n: int) -> list[list[KeyRun]]:
    """Sorted ``(keys, units)`` runs cut at common keys into consecutive key
    ranges of about :data:`RANGE_ENTRIES` entries (a key's entries all fall
    in one range, so merging each range and concatenating the results is
    the merge of all runs)."""
    parts = max(1, n // RANGE_ENTRIES)
    if parts == 1 or len(runs) == 0:
        return [runs]
    sample = np.sort(np.concatenate([k[::256] for k, _ in runs]))
    splits = np.unique(sample[(len(sample) * np.arange(1, parts)) // parts])
    cuts = [np.concatenate(([0], np.searchsorted(k, splits, "left"), [len(k)])) for k, _ in runs]
    return [[(k[c[j]:c[j + 1]], u[c[j]:c[j + 1]]) for (k, u), c in zip(runs, cuts) if c[j + 1] > c[j]]
            for j in range(len(splits) + 1)]


def merge_run(runs: list[KeyRun]) -> KeyRun:
    if not runs:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint32)
    return runs[0] if len(runs) == 1 else merge_keyed(runs)


def merged_in_threads(items: list[list[KeyRun]], ahead: int = 3) -> Iterator[KeyRun]:
    """Each key range of :func:`key_ranges` merged, up to ``ahead`` at a
    time in threads (:func:`merge_keyed` releases the GIL), yielded in order."""
    if len(items) <= 1 or (os.cpu_count() or 1) < 2:
        for it in items:
            yield merge_run(it)
        return
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 2, 4), thread_name_prefix="dedupe-merge") as ex:
        todo = iter(items)
        running: deque[Future[KeyRun]] = deque(ex.submit(merge_run, it) for _, it in zip(range(ahead), todo))
        try:
            while running:
                res = running.popleft().result()
                nxt = next(todo, None)
                if nxt is not None:
                    running.append(ex.submit(merge_run, nxt))
                yield res
                del res
        finally:
            for f in running:
                f.cancel()


class Syncer:
    """Starts ``fdatasync`` of a file being written in a thread, one at a
    time, so the disk writes the chunks already written while the next is
    merged; the writer still ends with its own ``fsync`` (the durable one)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.thread: Any = None
        self.error: OSError | None = None

    def _run(self) -> None:
        try:
            getattr(os, "fdatasync", os.fsync)(self.fd)
        except OSError as exc:  # reported by wait(); the final fsync would fail too
            self.error = exc

    def poke(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            return

        self.thread = threading.Thread(target=self._run, name="dedupe-sync", daemon=True)
        self.thread.start()

    def wait(self, raise_error: bool = True) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if raise_error and self.error is not None:
            err, self.error = self.error, None
            raise err


def merged_chunks(kfs: list[KeyFile], live: np.ndarray | None) -> Iterator[KeyRun]:
    """The entries of sorted key files, merged, in chunks of about
    :data:`MERGE_CHUNK` (split at keys taken from the fences, so no key is
    split between chunks and the order within a key, by unit id, is kept)."""
    fences = np.sort(np.concatenate([kf.fences for kf in kfs]))
    step = max(1, MERGE_CHUNK // BLOCK)
    splits = np.unique(fences[step::step]).tolist()
    starts = [0] * len(kfs)
    for j in range(len(splits) + 1):
        ends = [kf.n if j == len(splits) else int(np.searchsorted(kf.keys, np.uint64(splits[j]), "left"))
                for kf in kfs]
        runs = [(kf.keys[a:b], kf.units[a:b]) for kf, a, b in zip(kfs, starts, ends) if b > a]
        if runs:
            keys, units = runs[0] if len(runs) == 1 else merge_keyed(runs)
            if live is not None:
                m = np.isin(units, live)
                keys, units = keys[m], units[m]
            yield keys, units
            del keys, units
        del runs
        for kf, a, b in zip(kfs, starts, ends):
            kf.release(a, b)
        starts = ends


_TRIM: list[Any] = []


def release_heap() -> None:
    """Hand the memory freed since the last call back to the system (glibc's ``malloc_trim``).

    An ``add`` frees a batch's arrays (a few MB each, of every size) after writing them; glibc keeps
    such freed blocks in its heap, and the heap's holes grew with the archive (measured at 8x Reuters:
    the writer's RSS crept from 360 to 470 MB between equal states; with a trim after each batch it
    stays at 260-330 MB).  A no-op where there is no glibc; the call takes well under a millisecond."""
    if not _TRIM:
        fn = None
        try:
            import ctypes

            fn = ctypes.CDLL(None).malloc_trim
            fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
        except (OSError, AttributeError, TypeError):  # not glibc (macOS, musl; Windows has no CDLL(None))
            fn = None
        _TRIM.append(fn)
    if _TRIM[0] is not None:
        _TRIM[0](0)


def fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class PackedUnits:
    __slots__ = ("end", "fps", "kind", "off", "sigs", "start")
    kind: list[int]
    start: list[int]
    end: list[int]
    off: list[int]
    fps: np.ndarray
    sigs: np.ndarray | None


def unpack_units(data: bytes, n: int, num_perm: int) -> PackedUnits:
    """Inverse of :func:`pack_units` for one article."""
    u = PackedUnits()
    u.kind = np.frombuffer(data, dtype=np.int8, count=n, offset=0).tolist()
    u.start = np.frombuffer(data, dtype=np.int64, count=n, offset=n).tolist()
    u.end = np.frombuffer(data, dtype=np.int64, count=n, offset=9 * n).tolist()
    sizes = np.frombuffer(data, dtype=np.uint32, count=n, offset=17 * n)
    off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(sizes, out=off[1:])
    u.off = off.tolist()
    m = int(off[-1])
    u.fps = np.frombuffer(data, dtype=np.uint64, count=m, offset=21 * n)
    rest = len(data) - (21 * n + 8 * m)
    u.sigs = (np.frombuffer(data, dtype=np.uint32, offset=21 * n + 8 * m).reshape(n, num_perm)
              if rest and num_perm else None)
    return u


def pack_units(batch: IndexBatch, rows: np.ndarray, nums: np.ndarray, first: int, store_sig: bool
                ) -> Iterator[tuple[int, int, int, bytes]]:
    """``(article num, first unit id, n, data)`` per article of the live
    ``rows`` of a batch (rows are grouped by article, in order).  Columns are
    turned into bytes once per batch; each article's data is slices of them."""
    art = batch.art[rows]
    n_rows = len(rows)
    kind_b = batch.kind[rows].astype(np.int8).tobytes()
    start_b = batch.start[rows].astype(np.int64).tobytes()
    end_b = batch.end[rows].astype(np.int64).tobytes()
    sizes = np.diff(batch.offsets)[rows]
    size_b = sizes.astype(np.uint32).tobytes()
    if n_rows == len(batch):
        fps_b = batch.fps.tobytes()
    else:
        fps_b = b"".join(batch.fps[batch.offsets[r]:batch.offsets[r + 1]].tobytes() for r in rows.tolist())
    foff = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(sizes, out=foff[1:])
    sig_b = batch.sigs[rows].astype(np.uint32).tobytes() if store_sig else b""
    sig_w = 4 * batch.sigs.shape[1] if store_sig else 0
    bounds = (np.flatnonzero(np.diff(art)) + 1).tolist()
    starts = [0] + bounds
    ends = bounds + [n_rows]
    fo = foff.tolist()
    an = nums[art[starts]].tolist() if n_rows else []
    for a_num, s, e in zip(an, starts, ends):
        yield (a_num, first + s, e - s,
               b"".join((kind_b[s:e], start_b[8 * s:8 * e], end_b[8 * s:8 * e], size_b[4 * s:4 * e],
                         fps_b[8 * fo[s]:8 * fo[e]], sig_b[sig_w * s:sig_w * e])))
