"""The embedded archive index: one SQLite database plus memory-mapped key files, no server.

Layout (``<location>/index.sqlite``, or the file itself when the location ends
in ``.sqlite``/``.db``; the key files in the folder ``<that file>-keys``)::

    meta      key -> JSON value: version, settings (incl. MinHash scheme),
              punkt model, created/updated, generation, next_unit
    articles  num, id (unique), path, title, format, hash, counts, blob
              (JSON: text, title, path, offset -> line/column map)
    units     one row per article: article, first unit id, n, data (its
              units packed: kind int8, start and end int64, shingle count
              uint32 each, then the distinct shingle fingerprints uint64,
              then, for hash=sha1 only, the MinHash signatures uint32).
              Unit ids of an article are first .. first + n - 1.
    keyfiles  id, name, n, bytes: the key files that are live (the
              database's transaction decides which files make up the index)

A key file (:data:`KEYS_MAGIC`) holds a one-page header, then ``n`` sorted
uint64 keys (LSH band keys and salted shingle fingerprints), the ``n`` uint32
unit ids they point to, and every :data:`BLOCK`-th key (the fences).

Why memory-mapped files, not blobs or a B-tree table: a query maps the files
and binary-searches the fences, then reads the one or two blocks of 512 keys
a query key can be in, so a lookup touches a few pages per key whatever the
size of the archive (the blobs had to be read whole, once per process: 151 MB
and 0.67 s against Reuters, 644 MB and 1.82 s against 8x).  SQLite's own
B-tree (a ``WITHOUT ROWID`` table of (key, unit)) would give the same flat
lookups, but an ``index add`` then inserts some 6M rows for Reuters one by
one through the B-tree (measured on a loaded machine: 4.8 s for the inserts
alone of Reuters' 6.2M entries, already sorted, journal off; the whole add
with key files, written as they are, sorted, in one go, takes 1.7 s on an
idle one), which the build throughput
target (>= 15x the naive datasketch pipeline) does not allow.  The blocks are
read with ``pread`` rather than through the mapping: the kernel maps the
cached pages around each one touched (fault-around), and a process's memory
would again grow with the archive (measured: 95 MB of mapped key files for
one Reuters query).

The key files form a small log-structured index: each ``add`` writes files,
which are merged in size tiers (:meth:`EmbeddedIndex._compact`); removed articles leave dead entries (skipped at
query time because their unit no longer exists) until ``vacuum``.

Safety: a key file is written under a temporary name, flushed to disk and
renamed into place before the transaction that lists it in ``keyfiles``
commits; files no longer listed are deleted after the commit (and any file
not listed, left by a killed writer, by the next writer).  So a crash (even
``kill -9``) leaves either the old or the new state.  The database runs in WAL
mode (except during the very first ``add`` into a new index, which uses
SQLite's rollback journal so the bulk load is written once); every command
that writes (``add``, ``remove``, ``rebuild``, ``vacuum``) is one transaction
started with ``BEGIN IMMEDIATE``, so a second writer waits for the first, and
readers keep working on the last committed state meanwhile (a reader that
finds a file of an older state already deleted reads the list again).
``synchronous=NORMAL``: a commit does not wait for the disk (no ``fsync`` of
the WAL), so a power loss right after an ``add`` may roll that ``add`` back,
never half of it.

Damage: every write and ``stats`` run SQLite's ``PRAGMA quick_check`` first
(tens of milliseconds for Reuters); ``stats``, ``vacuum`` and merges check
every key file whole (keys in order, fences, unit ids); a query checks the header and size of each key file and that
every block it reads is sorted and agrees with its fence.  Any SQLite error is
reported as :class:`~dedupe.errors.ArchiveIndexError` naming the index and the fix.

Bulk load: during an ``add`` the batches' sorted keys are kept in memory and
written as one merged key file per ~2M entries (each key entry is written
once, instead of a file per batch merged and rewritten at the end), and the
workers send no signatures (only the sorted keys and fingerprints).
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import secrets
import sqlite3
import struct
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import numpy as np

from dedupe.config import Settings
from dedupe.documents import Document
from dedupe.errors import ArchiveIndexError
from dedupe.index.base import (
    FORMAT_VERSION,
    ArchiveIndex,
    IndexBatch,
    IndexStats,
    build_archive_table,
    check_add_settings,
    index_settings,
    now,
    unpack_article,
)
from dedupe.index.embedded.connection import (
    BUSY_MS,
    KEYFILES_TABLE,
    SCHEMA,
    UNITS_TABLE_V2,
    damaged,
    db_error,
    db_path,
    has_sqlite_header,
    keys_folder,
    open_readonly,
    read_only,
    writable,
)
from dedupe.index.embedded.layout import (
    BLOCK,
    HEADER,
    KEYS_MAGIC,
    MERGE_CHUNK,
    KeyFile,
    KeyRun,
    Syncer,
    entry_layout,
    fsync_dir,
    key_ranges,
    merged_chunks,
    merged_in_threads,
    open_keyfile,
    pack_units,
    pwrite_all,
    release_heap,
    unlink_quietly,
    unpack_units,
)
from dedupe.index.embedded.queries import lookup_keyfile

if TYPE_CHECKING:
    from dedupe.engine.corpus import Corpus, UnitTable
    from dedupe.index.archived import ArchivedDocument

PENDING_CAP = 8_000_000  # key entries an add keeps in memory before writing them as one key file
TIER_BASE = 65_536  # key files are merged in tiers of FANOUT: sizes TIER_BASE * FANOUT**t .. **(t+1)
FANOUT = 4


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _mapped(fn: Callable[Concatenate[EmbeddedIndex, _P], _R]) -> Callable[Concatenate[EmbeddedIndex, _P], _R]:
    """Method decorator: SQLite errors become :class:`ArchiveIndexError` naming the index."""

    @functools.wraps(fn)
    def wrapper(ix: EmbeddedIndex, /, *a: _P.args, **kw: _P.kwargs) -> _R:
        try:
            return fn(ix, *a, **kw)
        except sqlite3.Error as exc:
            raise db_error(exc, ix.location) from None

    return wrapper


class EmbeddedIndex(ArchiveIndex):
    backend = "embedded"
    needs = frozenset({"segments"})

    def __init__(self, location: str, create: bool = False, readonly: bool = False) -> None:
        self.location = location
        self.readonly = readonly and not create
        self.path = db_path(location)
        self.keys_dir = keys_folder(self.path)
        exists = os.path.isfile(self.path)
        if not exists and not create:
            raise ArchiveIndexError("no index here (create one with: dedupe index add --index LOCATION PATH...)",
                              location)
        if not exists:
            try:
                os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            except OSError as exc:
                raise ArchiveIndexError(f"cannot create index directory: {exc.strerror or exc}", location) from None
        elif not has_sqlite_header(self.path):
            raise ArchiveIndexError("not a valid index (not an SQLite database); delete it and add the articles "
                              "again with dedupe index add", location)
        if exists and not self.readonly and not writable(self.path):
            self.readonly = True  # read it without writing anything; a write says it is read-only
        self._files: list[KeyFile] | None = None
        self._files_gen = None
        self._created: list[str] = []
        self._obsolete: list[str] = []
        self._checked = False
        self._fresh_gen: int | None = None  # the generation this object committed (checked, then written)
        try:
            if self.readonly:  # a query: never writes (a read-only file or folder, e.g. a CI cache, works)
                self.db = open_readonly(self.path, location)
            else:
                self.db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None,
                                          check_same_thread=False)
            self.db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if exists and not {"meta", "articles", "units"} <= tables:  # someone else's database: left as it is
                self.close()
                raise ArchiveIndexError("not a valid index (an SQLite database without the index's tables)", location)
            # A new index takes its first add in rollback-journal mode (the data is written once,
            # not into the WAL and then again by the checkpoint: a third of a bulk load's time),
            # then switches to WAL for good; see _commit_transaction.  Both modes commit atomically.
            self._new = not exists
            if exists and not self.readonly:
                self._ensure_wal()
            # WAL + NORMAL: each write is still one atomic transaction (a crash, even kill -9 or a power
            # loss, leaves the old or the new state); only a power loss right after a commit may lose it
            if not self.readonly:
                self.db.execute("PRAGMA synchronous=NORMAL")
            if not exists:
                # 16 KB pages: measured ~5% faster bulk adds than 4 KB when the keys were blobs
                self.db.execute("PRAGMA page_size=16384")
                self.db.executescript(SCHEMA)
                tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            self.meta = self._load_meta()
            cols = {r[1] for r in self.db.execute("PRAGMA table_info(units)")}
        except sqlite3.DatabaseError as exc:
            self.close()
            raise db_error(exc, location) from None
        if self.meta.get("version", FORMAT_VERSION) != FORMAT_VERSION:
            self.close()
            raise ArchiveIndexError(f"index format version {self.meta.get('version')} is not supported "
                              f"(this dedupe reads version {FORMAT_VERSION}); rebuild it", location)
        self.old_layout = "kind" in cols  # one row per unit (dedupe 0.1 before the per-article layout)
        # key segments as blobs inside the database (before the memory-mapped key files)
        self.old_keys = "segments" in tables or "keyfiles" not in tables

    # -- plumbing -----------------------------------------------------------
    def _begin(self) -> None:
        if self.readonly:
            raise read_only(self.location, "the database file or its folder cannot be written")
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise ArchiveIndexError(f"index is busy (another process is writing): {exc}", self.location) from None

    def _load_meta(self) -> dict[str, Any]:
        rows = self.db.execute("SELECT key, value FROM meta").fetchall()
        out = {}
        for k, v in rows:
            try:
                out[k] = json.loads(v)
            except ValueError:
                raise damaged(self.location, f"meta value {k!r} is not JSON") from None
        return out

    def set_meta(self, **kv: Any) -> None:
        for k, v in kv.items():
            self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (k, json.dumps(v)))
            self.meta[k] = v

    def close(self) -> None:
        self._files = None
        try:
            self.db.close()
        except (sqlite3.Error, AttributeError):  # pragma: no cover - closed, or never opened
            return

    def _ensure_wal(self) -> None:
        """Switch to WAL (needs a moment without other connections; if another process
        is still building this index in rollback mode, stay as we are and retry next time)."""
        if self.db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            return
        try:
            self.db.execute("PRAGMA busy_timeout=200")
            self.db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            pass
        finally:
            self.db.execute(f"PRAGMA busy_timeout={BUSY_MS}")

    def _require_layout(self) -> None:
        if self.old_layout:
            raise ArchiveIndexError("this index uses an older layout (one row per sentence); convert it with: "
                              f"dedupe index rebuild --index {self.location}", self.location)
        if self.old_keys:
            raise ArchiveIndexError("this index uses an older layout (keys stored inside the database, read whole "
                              f"by every process); convert it with: dedupe index rebuild --index {self.location}",
                              self.location)

    def _check_once(self, rebuilding: bool = False) -> None:
        """The first write of a transaction runs ``quick_check`` (tens of ms for Reuters)."""
        if self._checked:
            return
        self.quick_check(rebuilding=rebuilding)
        self._checked = True

    @_mapped
    def quick_check(self, keyfiles: bool = False, rebuilding: bool = False) -> None:
        """SQLite's ``PRAGMA quick_check`` (and with ``keyfiles``, every key
        file, whole: :meth:`_verified`): :func:`damaged` if anything is wrong."""
        try:
            rows = self.db.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as exc:
            rows = [(str(exc),)]
        if [r[0] for r in rows] != ["ok"]:
            if rebuilding:
                raise ArchiveIndexError(f"index database is damaged (sqlite quick_check: {rows[0][0]}), so its stored "
                                  "articles cannot be read back to rebuild it: delete it and add the articles "
                                  "again with dedupe index add", self.location)
            raise damaged(self.location, f"sqlite quick_check: {rows[0][0]}")
        if keyfiles and not self.old_keys:
            for name, n, size in self.db.execute("SELECT name, n, bytes FROM keyfiles").fetchall():
                self._verified(name, n, size)

    # -- writing ------------------------------------------------------------
    def _open_transaction(self) -> None:
        self._begin()
        try:
            self.meta = self._load_meta()
            self._checked = self._new  # a new index has nothing to check yet
            self._created, self._obsolete = [], []
            self._sweep()
        except sqlite3.Error as exc:
            self._rollback()
            raise db_error(exc, self.location) from None
        except BaseException:
            self._rollback()
            raise

    def _commit_transaction(self) -> None:
        try:
            self.set_meta(updated=now(), generation=int(self.meta.get("generation", 0)) + 1)
            self._fresh_gen = self.meta["generation"]
            if self._created:
                fsync_dir(self.keys_dir)
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise db_error(exc, self.location) from None
        except BaseException:
            self._rollback()
            raise
        for name in self._obsolete:  # no longer listed: readers of the old state re-read the list
            unlink_quietly(os.path.join(self.keys_dir, name))
        self._created, self._obsolete = [], []
        if self._new:  # the first write of a new index is done: WAL from now on
            self._new = False
            self._ensure_wal()

    def _rollback(self) -> None:
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        for name in self._created:  # written for the state that did not commit
            unlink_quietly(os.path.join(self.keys_dir, name))
        self._created, self._obsolete = [], []
        try:
            self.meta = self._load_meta()
        except (sqlite3.Error, ArchiveIndexError):
            pass

    def _sweep(self) -> None:
        """Delete key files no committed state lists (left by a killed writer;
        runs inside a write transaction, so no other writer is making files)."""
        if self.old_keys:
            return
        try:
            names = os.listdir(self.keys_dir)
        except OSError:
            return
        live = {r[0] for r in self.db.execute("SELECT name FROM keyfiles")}
        for name in names:
            if name.startswith("k") and name.endswith((".keys", ".keys.tmp")) and name not in live:
                unlink_quietly(os.path.join(self.keys_dir, name))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[EmbeddedIndex]:
        """``with ix.transaction():`` one atomic write (``BEGIN IMMEDIATE``), committed when the block
        ends, rolled back (with the key files it wrote) when it raises."""
        self._open_transaction()
        try:
            yield self
        except sqlite3.Error as exc:
            self._rollback()
            raise db_error(exc, self.location) from None
        except BaseException:
            self._rollback()
            raise
        self._commit_transaction()

    @_mapped
    def init_settings(self, settings: Settings, punkt: dict[str, Any] | None = None) -> None:
        """Record settings in a new index, or check them against an existing one (in a transaction)."""
        self._check_once()
        self._require_layout()
        stored = self.meta.get("settings")
        if stored:
            check_add_settings(stored, settings, self.location)
            return
        self.set_meta(version=FORMAT_VERSION, settings=index_settings(settings), created=now(), next_unit=1)
        if punkt is not None:
            self.set_meta(punkt=punkt)

    @_mapped
    def existing_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        out = {}
        ids = list(ids)
        for k in range(0, len(ids), 900):
            chunk = ids[k:k + 900]
            q = f"SELECT id, hash FROM articles WHERE id IN ({','.join('?' * len(chunk))})"
            out.update(dict(self.db.execute(q, chunk).fetchall()))
        return out

    @_mapped
    def add_mark(self) -> int:
        """The highest article number when an ``add`` starts: what it writes is numbered above it."""
        return int(self.db.execute("SELECT coalesce(max(num), 0) FROM articles").fetchone()[0])

    @_mapped
    def added_since(self, ids: Sequence[str], mark: Any) -> set[str]:
        """The ids among ``ids`` written since ``mark`` (by this add): asked of the database, so an add
        holds no set of every article id it has seen (3.2M ids, ~300 MB, at 170x Reuters)."""
        out: set[str] = set()
        ids = list(ids)
        for k in range(0, len(ids), 900):
            chunk = ids[k:k + 900]
            q = f"SELECT id FROM articles WHERE num > ? AND id IN ({','.join('?' * len(chunk))})"
            out.update(r[0] for r in self.db.execute(q, [int(mark), *chunk]))
        return out

    @_mapped
    def remove_articles(self, ids: Sequence[str]) -> list[str]:
        """Delete articles and their units (inside a transaction); the ids not found."""
        self._check_once()
        missing = []
        for aid in ids:
            self._require_layout()
            row = self.db.execute("SELECT num FROM articles WHERE id=?", (aid,)).fetchone()
            if row is None:
                missing.append(aid)
                continue
            self.db.execute("DELETE FROM units WHERE article=?", (row[0],))
            self.db.execute("DELETE FROM articles WHERE num=?", (row[0],))
        return missing

    @_mapped
    def write(self, batch: IndexBatch, keep: Sequence[bool] | None = None, pending: list[Any] | None = None) -> int:
        """Insert a prepared batch (inside a transaction), replacing articles
        with the same id (``keep[i]`` False: skip article i, unchanged).
        Its sorted keys become one key file; small files are merged by
        :meth:`flush`.  Returns the number of units written."""
        if not batch.articles:
            return 0
        self._check_once()
        keep = list(keep) if keep is not None else [True] * len(batch.articles)
        old = self.existing_hashes([a["id"] for a, k in zip(batch.articles, keep) if k])
        # numbered above every article before this write (also those it replaces), so what an add
        # writes is always numbered above its add_mark, even when it replaces the highest-numbered one
        base_num = self.db.execute("SELECT coalesce(max(num), 0) FROM articles").fetchone()[0]
        if old:
            self.remove_articles(list(old))
        self._require_layout()
        stamp = now()
        nums = []
        rows_a = []
        for a, k in zip(batch.articles, keep):
            if not k:
                nums.append(-1)
                continue
            base_num += 1
            nums.append(base_num)
            rows_a.append((base_num, a["id"], a["path"], a["title"], a["format"], a["hash"], a["sentences"],
                           a["units"], a["suppressed"], stamp, a["blob"]))
        self.db.executemany(
            "INSERT INTO articles(num, id, path, title, format, hash, sentences, units, suppressed, added, blob)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows_a)
        nums_arr = np.array(nums, dtype=np.int64)
        live = nums_arr[batch.art] >= 0 if len(batch) else np.zeros(0, dtype=bool)
        rows = np.flatnonzero(live)
        n = len(rows)
        if n == 0:
            return 0
        first = int(self.meta.get("next_unit", 1))
        ids = np.arange(first, first + n, dtype=np.int64)
        if ids[-1] >= 2**32:
            raise ArchiveIndexError("index has run out of unit ids; run dedupe index vacuum", self.location)
        store_sig = self.meta["settings"].get("hash") == "sha1"
        self.db.executemany("INSERT INTO units(article, first, n, data) VALUES (?,?,?,?)",
                            pack_units(batch, rows, nums_arr, first, store_sig))
        self.set_meta(next_unit=first + n)
        # the batch's keys, already sorted by the worker: unit rows -> unit ids
        idmap = np.full(len(batch), -1, dtype=np.int64)
        idmap[rows] = ids
        seg_keys, seg_rows = batch.seg_keys, batch.seg_rows
        if seg_keys is None or seg_rows is None:  # prepared without "segments" in needs
            raise ValueError("batch prepared without sorted key segments (needs must include 'segments')")
        u = idmap[seg_rows]
        m = u >= 0
        keys = seg_keys if m.all() else seg_keys[m]
        units = u[m].astype(np.uint32)
        if pending is None:
            self._write_segment(keys, units)
        else:  # kept in memory and written merged (each key entry is written once, not re-read and merged)
            pending.append((keys, units))
            if sum(len(k) for k, _ in pending) >= PENDING_CAP:
                self._write_pending(pending)
        del batch, keys, units, u, m, idmap
        release_heap()
        return n

    def _write_pending(self, pending: list[Any]) -> None:
        """The batches' sorted runs as one key file: cut into key ranges that
        are merged in threads (the C merge releases the GIL) while this thread
        writes the ranges already merged, in order."""
        if pending:
            runs = list(pending)
            pending.clear()
            n = sum(len(k) for k, _ in runs)
            self._write_chunks(merged_in_threads(key_ranges(runs, n)), n)

    @_mapped
    def flush(self, pending: list[Any] | None = None, final: bool = False) -> None:
        """Write the batches' keys kept in memory as one key file, merge files (:meth:`_compact`)."""
        if pending:
            self._write_pending(pending)
        self._compact()

    def _write_segment(self, keys: np.ndarray, units: np.ndarray) -> None:
        """Store one key file; ``keys`` sorted, then ``units`` (ids) within a key,
        so the newest entries of a key come last (:func:`lookup_keyfile`)."""
        self._write_chunks([(keys, units)], len(keys))

    def _write_chunks(self, chunks: Iterable[KeyRun], n: int) -> None:
        """Write a key file of ``n`` entries from consecutive sorted ``(keys,
        units)`` chunks (a merge streams through its inputs), under a
        temporary name, flushed to disk, renamed; then list it in the
        transaction."""
        if n == 0:
            return
        try:
            os.makedirs(self.keys_dir, exist_ok=True)
        except OSError as exc:
            raise ArchiveIndexError(f"cannot create the folder of key files {self.keys_dir}: {exc.strerror or exc}",
                              self.location) from None
        name = f"k{secrets.token_hex(8)}.keys"
        final = os.path.join(self.keys_dir, name)
        tmp = final + ".tmp"
        u_off, f_off, size = entry_layout(n)
        nf = -(-n // BLOCK)
        fences = np.zeros(nf, dtype=np.uint64)
        pos = 0
        self._created.append(name)  # deleted again if the transaction does not commit
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            syncer = Syncer(fd)
            try:
                for keys, units in chunks:
                    m = len(keys)
                    if not m:
                        continue
                    if pos + m > n:
                        raise RuntimeError("key file chunks longer than announced")  # pragma: no cover
                    keys = np.ascontiguousarray(keys, dtype=np.uint64)
                    units = np.ascontiguousarray(units, dtype=np.uint32)
                    pwrite_all(fd, keys, HEADER + 8 * pos)
                    pwrite_all(fd, units, u_off + 4 * pos)
                    first = (-pos) % BLOCK
                    fk = keys[first::BLOCK]
                    f0 = (pos + first) // BLOCK
                    fences[f0:f0 + len(fk)] = fk
                    pos += m
                    syncer.poke()  # the disk writes what is written while the next chunk is made
                    del keys, units, fk  # not held while the next chunk is merged
                if pos != n:
                    raise RuntimeError("key file chunks shorter than announced")  # pragma: no cover
                pwrite_all(fd, KEYS_MAGIC + struct.pack("<QQQ", n, BLOCK, nf) + bytes(HEADER - 32), 0)
                pwrite_all(fd, bytes(f_off - u_off - 4 * n), u_off + 4 * n)
                pwrite_all(fd, fences, f_off)
                syncer.wait()
                os.fsync(fd)
            finally:
                syncer.wait(raise_error=False)
                os.close(fd)
            os.replace(tmp, final)
        except OSError as exc:
            unlink_quietly(tmp)
            raise ArchiveIndexError(f"cannot write key file {final}: {exc.strerror or exc}", self.location) from None
        self.db.execute("INSERT INTO keyfiles(name, n, bytes) VALUES (?,?,?)", (name, n, size))
        release_heap()  # the merged chunks just written

    def _compact(self) -> None:
        """Size-tiered merging: when a tier (sizes TIER_BASE * FANOUT**t up to
        the next power) holds FANOUT files, they become one file of a higher
        tier.  An index of N key entries keeps at most (FANOUT - 1) files per
        tier, ~log4(N) tiers, and each entry is rewritten once per tier."""
        while True:
            tiers: dict[int, list[int]] = {}
            for sid, n in self.db.execute("SELECT id, n FROM keyfiles ORDER BY n").fetchall():
                t = int(math.log(max(n, 1) / TIER_BASE, FANOUT)) if n > TIER_BASE else 0
                tiers.setdefault(t, []).append(sid)
            full = [t for t in sorted(tiers) if len(tiers[t]) >= FANOUT]
            if not full:
                return
            self._merge(tiers[full[0]])

    def _open_checked(self, seg_id: int) -> KeyFile:
        """A key file, checked whole (for merges, which read it whole anyway)."""
        name, n, size = self.db.execute("SELECT name, n, bytes FROM keyfiles WHERE id=?", (seg_id,)).fetchone()
        return self._verified(name, n, size)

    def _verified(self, name: str, n: int, size: int) -> KeyFile:
        """Open a key file and check all of it: keys in order, fences equal
        to every BLOCK-th key, unit ids that exist(ed).  No checksum is kept
        (a CRC of the keys cost ~10% of a bulk add): zeros or garbage written
        over any part of a file break these with near certainty, a flipped bit
        in a unit id may not."""
        try:
            kf = open_keyfile(os.path.join(self.keys_dir, name), n, size, self.location)
        except FileNotFoundError:
            raise damaged(self.location, f"key file {name} is missing") from None
        max_unit = int(self.meta.get("next_unit", 1))
        step = 1 << 22  # a multiple of BLOCK
        for a in range(0, n, step):
            k = kf.keys[max(a - 1, 0):a + step]
            u = kf.units[a:a + step]
            if ((k[1:] < k[:-1]).any() or (u == 0).any() or (u >= max_unit).any()
                    or not np.array_equal(kf.fences[a // BLOCK:(a + step) // BLOCK], kf.keys[a:a + step:BLOCK])):
                raise damaged(self.location, f"key file {name} is corrupt")
            kf.release(max(a - 1, 0), a + step)
        return kf

    def _merge(self, seg_ids: list[int], live: np.ndarray | None = None) -> None:
        """Merge key files into one (``live``: keep only these unit ids),
        streaming: :data:`MERGE_CHUNK` entries at a time."""
        kfs = [self._open_checked(sid) for sid in seg_ids]
        for sid in seg_ids:
            name = self.db.execute("SELECT name FROM keyfiles WHERE id=?", (sid,)).fetchone()[0]
            self.db.execute("DELETE FROM keyfiles WHERE id=?", (sid,))
            if name in self._created:  # written in this transaction: nobody else has seen it
                self._created.remove(name)
                unlink_quietly(os.path.join(self.keys_dir, name))  # its mapping stays readable until merged
            else:
                self._obsolete.append(name)
        if live is None:
            n = sum(kf.n for kf in kfs)
        else:
            n = sum(int(np.isin(kf.units[a:a + MERGE_CHUNK], live).sum())
                    for kf in kfs for a in range(0, kf.n, MERGE_CHUNK))
        self._write_chunks(merged_chunks(kfs, live), n)

    # -- maintenance ----------------------------------------------------------
    @_mapped
    def articles(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT id, path, title, format, sentences, units, added FROM articles ORDER BY num").fetchall()
        return [{"id": r[0], "path": r[1], "title": r[2], "format": r[3], "sentences": r[4], "units": r[5], "added": r[6]}
                for r in rows]

    def iter_documents(self, batch: int = 500) -> Iterator[list[ArchivedDocument]]:
        """Every stored article, restored (for rebuild and Punkt training)."""
        self._check_once(rebuilding=True)
        last = 0
        while True:
            try:
                rows = self.db.execute("SELECT num, blob FROM articles WHERE num > ? ORDER BY num LIMIT ?",
                                       (last, batch)).fetchall()
            except sqlite3.Error as exc:
                raise db_error(exc, self.location) from None
            if not rows:
                return
            last = rows[-1][0]
            try:
                docs = [unpack_article(b) for _, b in rows]
            except (ValueError, KeyError, TypeError, zlib.error) as exc:
                raise damaged(self.location, f"a stored article cannot be read: {type(exc).__name__}") from None
            yield docs

    @_mapped
    def clear_units(self) -> None:
        """Drop every unit and key (inside a transaction; for rebuild)."""
        self._check_once(rebuilding=True)
        if self.old_layout:  # rebuilding converts an index of the older layout
            self.db.execute("DROP TABLE units")
            for stmt in UNITS_TABLE_V2.strip().split(";"):
                if stmt.strip():
                    self.db.execute(stmt)
            self.old_layout = False
        else:
            self.db.execute("DELETE FROM units")
        if self.old_keys:  # and of the layout with the keys inside the database
            self.db.execute("DROP TABLE IF EXISTS segments")
            self.db.execute(KEYFILES_TABLE)
            self.old_keys = False
        else:
            for (name,) in self.db.execute("SELECT name FROM keyfiles").fetchall():
                self._obsolete.append(name)
            self.db.execute("DELETE FROM keyfiles")
        self.db.execute("DELETE FROM articles")

    @_mapped
    def vacuum(self) -> dict[str, Any]:
        """Drop dead key entries, merge key files, compact the database."""
        before = self.size_bytes()
        with self.transaction():
            self._require_layout()
            self.quick_check(keyfiles=True)
            self._checked = True
            spans = self.db.execute("SELECT first, n FROM units").fetchall()
            live = (np.concatenate([np.arange(f, f + k, dtype=np.uint32) for f, k in spans]) if spans
                    else np.zeros(0, dtype=np.uint32))
            live.sort()
            total_before = sum(r[0] for r in self.db.execute("SELECT n FROM keyfiles"))
            seg_ids = [r[0] for r in self.db.execute("SELECT id FROM keyfiles ORDER BY id")]
            if seg_ids:
                self._merge(seg_ids, live)
            total_after = sum(r[0] for r in self.db.execute("SELECT n FROM keyfiles"))
            dead = total_before - total_after
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.execute("VACUUM")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return {"dead_entries_removed": int(dead), "size_before": before, "size_after": self.size_bytes()}

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.path.getsize(self.path + suffix)
            except OSError:
                pass
        if not self.old_keys:
            try:
                total += sum(r[0] for r in self.db.execute("SELECT bytes FROM keyfiles"))
            except sqlite3.Error:
                pass
        return total

    @_mapped
    def stats(self) -> IndexStats:
        gen = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        if self._fresh_gen is None or gen is None or json.loads(gen[0]) != self._fresh_gen:
            # not right after this object's own write (``index add`` prints stats: checked when it began)
            self.quick_check(keyfiles=True)
        a, s = self.db.execute("SELECT count(*), coalesce(sum(sentences), 0) FROM articles").fetchone()
        u = self.db.execute("SELECT count(*) FROM units" if self.old_layout
                            else "SELECT coalesce(sum(n), 0) FROM units").fetchone()[0]
        table = "segments" if self.old_keys else "keyfiles"
        try:
            segs = self.db.execute(f"SELECT count(*), coalesce(sum(n), 0) FROM {table}").fetchone()
        except sqlite3.OperationalError:
            segs = (0, 0)
        extra = {"file": self.path, "keys_dir": self.keys_dir, "segments": segs[0], "key_entries": segs[1]}
        if self.old_layout or self.old_keys:
            extra["layout"] = f"older layout: convert it with dedupe index rebuild --index {self.location}"
        return IndexStats(self.location, self.backend, a, u, s, self.size_bytes(), self.meta.get("settings") or {},
                          bool(self.meta.get("punkt")), self.meta.get("created"), self.meta.get("updated"), extra)

    # -- querying -------------------------------------------------------------
    def _keyfiles(self) -> list[KeyFile]:
        """The live key files, mapped (again when another process changed the index)."""
        gen = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        gen = gen[0] if gen else None
        if self._files is not None and gen == self._files_gen:
            return self._files
        self._require_layout()
        for attempt in range(5):
            self.db.execute("BEGIN")
            try:
                rows = self.db.execute("SELECT name, n, bytes FROM keyfiles ORDER BY id").fetchall()
                self.meta = self._load_meta()
                gen = self.meta.get("generation")
            finally:
                self.db.execute("COMMIT")
            try:
                files = [open_keyfile(os.path.join(self.keys_dir, name), n, size, self.location)
                         for name, n, size in rows]
                break
            except FileNotFoundError as exc:  # deleted by a writer that committed meanwhile: read the list again
                missing = os.path.basename(exc.filename or "?")
                if attempt == 4:
                    raise damaged(self.location, f"key file {missing} is missing") from None
                time.sleep(0.05 * (attempt + 1))
        self._files, self._files_gen = files, gen
        return files

    @_mapped
    def load(self) -> None:
        """Map the key files now (queries do it on first use; nothing is read whole)."""
        self._keyfiles()

    def _lookup(self, q: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        files = self._keyfiles()
        max_unit = int(self.meta.get("next_unit", 1))
        qi_parts, u_parts = [], []
        counts = np.zeros(len(q), dtype=np.int64)
        for kf in files:
            qi, u, c = lookup_keyfile(kf, q, cap, self.location, max_unit)
            counts += c
            qi_parts.append(qi)
            u_parts.append(u)
        if not qi_parts:
            z = np.zeros(0, dtype=np.int64)
            return z, z, counts
        return np.concatenate(qi_parts), np.concatenate(u_parts), counts

    @_mapped
    def candidate_units(self, table: UnitTable, rows: np.ndarray, settings: Settings) -> np.ndarray:
        from dedupe.sketch.lsh import band_keys

        self._require_layout()
        st = self.stored_settings
        bk = band_keys(table.sigs[rows], st["bands"], st["rows"]).reshape(-1)
        _, units, _ = self._lookup(bk, settings.max_bucket)
        parts = [units]
        parts.append(self.containment_pairs(table, rows, settings, self._lookup))
        return np.concatenate(parts)

    @_mapped
    def fetch(self, ids: np.ndarray, settings: Settings, exclude: set[str]) -> Corpus:
        from dedupe.engine.corpus import Corpus, DocCounts

        self._require_layout()
        urows = self._unit_rows(np.unique(ids), settings)
        arts = sorted({r[1] for r in urows})
        docs: list[Document] = []
        counts: list[DocCounts] = []
        pos: dict[int, int] = {}
        for k in range(0, len(arts), 900):
            chunk = arts[k:k + 900]
            for num, aid, sent, nu, sup, blob in self.db.execute(
                    f"SELECT num, id, sentences, units, suppressed, blob FROM articles WHERE num IN ({','.join('?' * len(chunk))})",
                    chunk):
                if aid in exclude:
                    continue
                pos[num] = len(docs)
                try:
                    docs.append(unpack_article(blob))
                except (ValueError, KeyError, TypeError, zlib.error) as exc:
                    raise damaged(self.location, f"stored article {aid!r} cannot be read: "
                                                 f"{type(exc).__name__}") from None
                counts.append(DocCounts(sent, nu, sup))
        urows = [r for r in urows if r[1] in pos]
        urows.sort(key=lambda r: (pos[r[1]], r[3]))
        table = build_archive_table(docs, [(pos[r[1]], r[2], r[3], r[4], r[5]) for r in urows], settings,
                                    [r[6] for r in urows] if settings.hash == "sha1" else None)
        return Corpus(docs, counts, table, [True] * len(docs))

    def _unit_rows(self, ids: np.ndarray, settings: Settings) -> list[tuple[Any, ...]]:
        """``(id, article, kind, start, end, fps bytes, sig bytes | None)`` of
        the units with these (sorted) ids that still exist."""
        out: list[tuple[Any, ...]] = []
        ids_l = ids.tolist()
        i = 0
        num_perm = settings.num_perm
        while i < len(ids_l):
            uid = ids_l[i]
            row = self.db.execute("SELECT article, first, n, data FROM units WHERE first <= ? ORDER BY first DESC LIMIT 1",
                                  (uid,)).fetchone()
            if row is None or uid >= row[1] + row[2]:
                i += 1  # a removed article's unit (dead key entry)
                continue
            art, first, n, data = row
            try:
                u = unpack_units(data, n, num_perm)
            except (ValueError, TypeError) as exc:
                raise damaged(self.location, f"units of article {art} cannot be read: {exc}") from None
            while i < len(ids_l) and ids_l[i] < first + n:
                k = ids_l[i] - first
                out.append((ids_l[i], art, u.kind[k], u.start[k], u.end[k],
                            u.fps[u.off[k]:u.off[k + 1]].tobytes(), None if u.sigs is None else u.sigs[k].tobytes()))
                i += 1
        return out


