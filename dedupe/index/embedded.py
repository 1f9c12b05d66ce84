"""The embedded archive index: one SQLite database, no server.

Layout (``<location>/index.sqlite``, or the file itself when the location ends
in ``.sqlite``/``.db``)::

    meta      key -> JSON value: version, settings (incl. MinHash scheme),
              punkt model, created/updated, generation, next_unit
    articles  num, id (unique), path, title, format, hash, counts, blob
              (JSON: text, title, path, offset -> line/column map)
    units     one row per article: article, first unit id, n, data (its
              units packed: kind int8, start and end int64, shingle count
              uint32 each, then the distinct shingle fingerprints uint64,
              then, for hash=sha1 only, the MinHash signatures uint32).
              Unit ids of an article are first .. first + n - 1.
    segments  id, n, keys, units: sorted uint64 keys (LSH band keys and
              salted shingle fingerprints) with the uint32 unit ids they
              point to, as blobs

The key segments form a small log-structured index: each ``add`` appends
segments, which are merged while small; removed articles leave dead entries
(skipped at query time because their unit no longer exists) until
``vacuum``.  A query loads the segments into memory once per process (and
again when another process changed the index) and looks keys up with
``numpy.searchsorted``.

Safety: the database runs in WAL mode (except during the very first ``add`` into a new
index, which uses SQLite's rollback journal so the bulk load is written once); every command that writes
(``add``, ``remove``, ``rebuild``, ``vacuum``) is one transaction started
with ``BEGIN IMMEDIATE``, so a crash (even ``kill -9``) leaves either the old
or the new state, a second writer waits for the first, and readers keep
working on the last committed state meanwhile.  ``synchronous=NORMAL``: a
commit does not wait for the disk (no ``fsync`` of the WAL), so a power loss
right after an ``add`` may roll that ``add`` back, never half of it.

Bulk load: during an ``add`` the batches' sorted keys are kept in memory and
written as one merged segment per ~2M entries (each key entry is written
once, instead of a segment per batch merged and rewritten at the end), and
the workers send no signatures (only the sorted keys and fingerprints).
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Sequence

import numpy as np

from dedupe.config import Settings
from dedupe.errors import IndexError_
from dedupe.index.base import (FORMAT_VERSION, ArchiveIndex, IndexStats, IndexBatch, build_archive_table, check_add_settings,
                   index_settings, lookup_sorted, merge_keyed, now, shingle_keys, unpack_article)

DB_NAME = "index.sqlite"
_UNITS_V2 = """
CREATE TABLE units (
    article INTEGER PRIMARY KEY, first INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX units_first ON units(first);
"""
SEGMENT_CAP = 8_000_000  # entries per merged segment
MAX_SEGMENTS = 24
BUSY_MS = 60_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, path TEXT, title TEXT, format TEXT,
    hash TEXT NOT NULL, sentences INTEGER, units INTEGER, suppressed INTEGER, added TEXT, blob BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS units (
    article INTEGER PRIMARY KEY, first INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS units_first ON units(first);
CREATE TABLE IF NOT EXISTS segments (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, keys BLOB NOT NULL, units BLOB NOT NULL);
"""


def db_path(location: str) -> str:
    if location.endswith((".sqlite", ".db", ".sqlite3")):
        return location
    return os.path.join(location, DB_NAME)


def is_embedded_index(location: str) -> bool:
    p = db_path(location)
    if not os.path.isfile(p):
        return False
    try:
        with open(p, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


class EmbeddedIndex(ArchiveIndex):
    backend = "embedded"
    needs = frozenset({"segments"})

    def __init__(self, location: str, create: bool = False) -> None:
        self.location = location
        self.path = db_path(location)
        exists = os.path.isfile(self.path)
        if not exists and not create:
            raise IndexError_("no index here (create one with: dedupe index add --index LOCATION PATH...)",
                              location)
        if not exists:
            try:
                os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            except OSError as exc:
                raise IndexError_(f"cannot create index directory: {exc.strerror or exc}", location) from None
        try:
            self.db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None,
                                      check_same_thread=False)
            self.db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            # A new index takes its first add in rollback-journal mode (the data is written once,
            # not into the WAL and then again by the checkpoint: a third of a bulk load's time),
            # then switches to WAL for good; see _Txn.__exit__.  Both modes commit atomically.
            self._new = not exists
            if exists:
                self._ensure_wal()
            # WAL + NORMAL: each write is still one atomic transaction (a crash, even kill -9 or a power
            # loss, leaves the old or the new state); only a power loss right after a commit may lose it
            self.db.execute("PRAGMA synchronous=NORMAL")
            if not exists:
                # larger pages: the key segments are blobs of megabytes (fewer overflow pages to chain;
                # measured: 16 KB pages make a bulk add ~5% faster than 4 KB, 64 KB no faster still)
                self.db.execute("PRAGMA page_size=16384")
            if not exists or create:
                self.db.executescript(_SCHEMA)
            self.meta = self._load_meta()
        except sqlite3.DatabaseError as exc:
            raise IndexError_(f"not a valid index: {exc}", location) from None
        if self.meta.get("version", FORMAT_VERSION) != FORMAT_VERSION:
            raise IndexError_(f"index format version {self.meta.get('version')} is not supported "
                              f"(this dedupe reads version {FORMAT_VERSION}); rebuild it", location)
        cols = {r[1] for r in self.db.execute("PRAGMA table_info(units)")}
        self.old_layout = "kind" in cols  # one row per unit (dedupe 0.1 before the per-article layout)
        self._segs: list[tuple[np.ndarray, np.ndarray]] | None = None
        self._segs_gen = None

    # -- plumbing -----------------------------------------------------------
    def _begin(self) -> None:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise IndexError_(f"index is busy (another process is writing): {exc}", self.location) from None

    def _load_meta(self) -> dict:
        try:
            rows = self.db.execute("SELECT key, value FROM meta").fetchall()
        except sqlite3.OperationalError as exc:
            raise IndexError_(f"not a valid index: {exc}", self.location) from None
        return {k: json.loads(v) for k, v in rows}

    def _set_meta(self, **kv) -> None:
        for k, v in kv.items():
            self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (k, json.dumps(v)))
            self.meta[k] = v

    def close(self) -> None:
        try:
            self.db.close()
        except Exception:  # pragma: no cover
            pass

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
            raise IndexError_("this index uses an older layout (one row per sentence); convert it with: "
                              f"dedupe index rebuild --index {self.location}", self.location)

    # -- writing ------------------------------------------------------------
    class _Txn:
        def __init__(self, ix: "EmbeddedIndex") -> None:
            self.ix = ix

        def __enter__(self):
            self.ix._begin()
            self.ix.meta = self.ix._load_meta()
            return self.ix

        def __exit__(self, et, ev, tb) -> None:
            if et is None:
                self.ix._set_meta(updated=now(), generation=int(self.ix.meta.get("generation", 0)) + 1)
                self.ix.db.execute("COMMIT")
                if self.ix._new:  # the first write of a new index is done: WAL from now on
                    self.ix._new = False
                    self.ix._ensure_wal()
            else:
                try:
                    self.ix.db.execute("ROLLBACK")
                except sqlite3.Error:  # pragma: no cover
                    pass
                self.ix.meta = self.ix._load_meta()

    def transaction(self) -> "_Txn":
        """``with ix.transaction():`` one atomic write."""
        return EmbeddedIndex._Txn(self)

    def init_settings(self, settings: Settings, punkt: dict | None = None) -> None:
        """Record settings in a new index, or check them against an existing one (in a transaction)."""
        stored = self.meta.get("settings")
        if stored:
            check_add_settings(stored, settings, self.location)
            return
        self._set_meta(version=FORMAT_VERSION, settings=index_settings(settings), created=now(), next_unit=1)
        if punkt is not None:
            self._set_meta(punkt=punkt)

    def existing_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        out = {}
        ids = list(ids)
        for k in range(0, len(ids), 900):
            chunk = ids[k:k + 900]
            q = f"SELECT id, hash FROM articles WHERE id IN ({','.join('?' * len(chunk))})"
            out.update(dict(self.db.execute(q, chunk).fetchall()))
        return out

    def remove_articles(self, ids: Sequence[str]) -> list[str]:
        """Delete articles and their units (inside a transaction); the ids not found."""
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

    def write(self, batch: IndexBatch, keep: Sequence[bool] | None = None, pending: list | None = None) -> int:
        """Insert a prepared batch (inside a transaction), replacing articles
        with the same id (``keep[i]`` False: skip article i, unchanged).
        Its sorted keys become one segment; small segments are merged by
        :meth:`flush`.  Returns the number of units written."""
        if not batch.articles:
            return 0
        keep = list(keep) if keep is not None else [True] * len(batch.articles)
        old = self.existing_hashes([a["id"] for a, k in zip(batch.articles, keep) if k])
        if old:
            self.remove_articles(list(old))
        self._require_layout()
        stamp = now()
        base_num = self.db.execute("SELECT coalesce(max(num), 0) FROM articles").fetchone()[0]
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
            raise IndexError_("index has run out of unit ids; run dedupe index vacuum", self.location)
        store_sig = self.meta["settings"].get("hash") == "sha1"
        self.db.executemany("INSERT INTO units(article, first, n, data) VALUES (?,?,?,?)",
                            _pack_units(batch, rows, nums_arr, first, store_sig))
        self._set_meta(next_unit=first + n)
        # the batch's keys, already sorted by the worker: unit rows -> unit ids
        idmap = np.full(len(batch), -1, dtype=np.int64)
        idmap[rows] = ids
        u = idmap[batch.seg_rows]
        m = u >= 0
        keys = batch.seg_keys if m.all() else batch.seg_keys[m]
        units = u[m].astype(np.uint32)
        if pending is None:
            self.db.execute("INSERT INTO segments(n, keys, units) VALUES (?,?,?)",
                            (len(keys), keys.tobytes(), units.tobytes()))
        else:  # kept in memory and written merged (each key entry is written once, not re-read and merged)
            pending.append((keys, units))
            if sum(len(k) for k, _ in pending) >= SEGMENT_CAP // 4:  # as large as merges go (see _merge_small)
                self._write_pending(pending)
        return n

    def _write_pending(self, pending: list) -> None:
        if pending:
            keys, units = merge_keyed(pending)
            pending.clear()
            self._write_segment(keys, units)

    def flush(self, pending: list | None = None, final: bool = False) -> None:
        """Write the batches' keys kept in memory as one segment, merge small segments."""
        if pending:
            self._write_pending(pending)
        self._merge_small()

    def _write_segment(self, keys: np.ndarray, units: np.ndarray) -> None:
        """Store one segment; ``keys`` sorted, then ``units`` (ids) within a key,
        so the newest entries of a key come last (:func:`lookup_sorted`)."""
        if len(keys) == 0:
            return
        self.db.execute("INSERT INTO segments(n, keys, units) VALUES (?,?,?)",
                        (len(keys), keys.tobytes(), units.tobytes()))

    def _merge_small(self) -> None:
        segs = self.db.execute("SELECT id, n FROM segments ORDER BY n").fetchall()
        while len(segs) > MAX_SEGMENTS or (len(segs) >= 2 and segs[0][1] + segs[1][1] <= SEGMENT_CAP // 4):
            take = [segs[0], segs[1]]
            k = 2
            while k < len(segs) and sum(s[1] for s in take) + segs[k][1] <= SEGMENT_CAP and len(segs) - k + 1 > MAX_SEGMENTS:
                take.append(segs[k])
                k += 1
            self._merge([s[0] for s in take])
            segs = self.db.execute("SELECT id, n FROM segments ORDER BY n").fetchall()

    def _merge(self, seg_ids: list[int], live: np.ndarray | None = None) -> None:
        ks, us = [], []
        for sid in seg_ids:
            k, u = self.db.execute("SELECT keys, units FROM segments WHERE id=?", (sid,)).fetchone()
            ks.append(np.frombuffer(k, dtype=np.uint64))
            us.append(np.frombuffer(u, dtype=np.uint32))
            self.db.execute("DELETE FROM segments WHERE id=?", (sid,))
        keys, units = merge_keyed(list(zip(ks, us)))  # each segment is sorted
        del ks, us
        if live is not None:
            m = np.isin(units, live)
            keys, units = keys[m], units[m]
        self._write_segment(keys, units)

    # -- maintenance ----------------------------------------------------------
    def articles(self) -> list[dict]:
        rows = self.db.execute(
            "SELECT id, path, title, format, sentences, units, added FROM articles ORDER BY num").fetchall()
        return [dict(id=r[0], path=r[1], title=r[2], format=r[3], sentences=r[4], units=r[5], added=r[6])
                for r in rows]

    def iter_documents(self, batch: int = 500):
        """Every stored article, restored (for rebuild and Punkt training)."""
        last = 0
        while True:
            rows = self.db.execute("SELECT num, blob FROM articles WHERE num > ? ORDER BY num LIMIT ?",
                                   (last, batch)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [unpack_article(b) for _, b in rows]

    def clear_units(self) -> None:
        """Drop every unit and key (inside a transaction; for rebuild)."""
        if self.old_layout:  # rebuilding converts an index of the older layout
            self.db.execute("DROP TABLE units")
            for stmt in _UNITS_V2.strip().split(";"):
                if stmt.strip():
                    self.db.execute(stmt)
            self.old_layout = False
        else:
            self.db.execute("DELETE FROM units")
        self.db.execute("DELETE FROM segments")
        self.db.execute("DELETE FROM articles")

    def vacuum(self) -> dict:
        """Drop dead key entries, merge segments, compact the file."""
        before = self.size_bytes()
        with self.transaction():
            self._require_layout()
            spans = self.db.execute("SELECT first, n FROM units").fetchall()
            live = (np.concatenate([np.arange(f, f + k, dtype=np.uint32) for f, k in spans]) if spans
                    else np.zeros(0, dtype=np.uint32))
            live.sort()
            segs = [r[0] for r in self.db.execute("SELECT id FROM segments ORDER BY id")]
            dead = 0
            groups, acc, cur = [], 0, []
            for sid, n in self.db.execute("SELECT id, n FROM segments ORDER BY id").fetchall():
                if cur and acc + n > SEGMENT_CAP:
                    groups.append(cur)
                    cur, acc = [], 0
                cur.append(sid)
                acc += n
            if cur:
                groups.append(cur)
            total_before = sum(r[0] for r in self.db.execute("SELECT n FROM segments"))
            for g in groups:
                self._merge(g, live)
            total_after = sum(r[0] for r in self.db.execute("SELECT n FROM segments"))
            dead = total_before - total_after
            del segs
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
        return total

    def stats(self) -> IndexStats:
        a, s = self.db.execute("SELECT count(*), coalesce(sum(sentences), 0) FROM articles").fetchone()
        u = self.db.execute("SELECT count(*) FROM units" if self.old_layout
                            else "SELECT coalesce(sum(n), 0) FROM units").fetchone()[0]
        segs = self.db.execute("SELECT count(*), coalesce(sum(n), 0) FROM segments").fetchone()
        return IndexStats(self.location, self.backend, a, u, s, self.size_bytes(), self.meta.get("settings") or {},
                          bool(self.meta.get("punkt")), self.meta.get("created"), self.meta.get("updated"),
                          {"file": self.path, "segments": segs[0], "key_entries": segs[1]})

    # -- querying -------------------------------------------------------------
    def _segments(self) -> list[tuple[np.ndarray, np.ndarray]]:
        gen = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        gen = gen[0] if gen else None
        if self._segs is None or gen != self._segs_gen:
            self.db.execute("BEGIN")
            try:
                rows = self.db.execute("SELECT keys, units FROM segments").fetchall()
                self.meta = self._load_meta()
            finally:
                self.db.execute("COMMIT")
            self._segs = [(np.frombuffer(k, dtype=np.uint64), np.frombuffer(u, dtype=np.uint32)) for k, u in rows]
            self._segs_gen = gen
        return self._segs

    def load(self) -> None:
        """Load the key segments now (queries do it on first use)."""
        self._segments()

    def _lookup(self, q: np.ndarray, cap: int):
        return lookup_sorted(self._segments(), q, cap)

    def _candidate_units(self, table, rows: np.ndarray, settings: Settings) -> np.ndarray:
        from dedupe.index.base import band_keys

        st = self.stored_settings
        bk = band_keys(table.sigs[rows], st["bands"], st["rows"]).reshape(-1)
        _, units, _ = self._lookup(bk, settings.max_bucket)
        parts = [units]
        parts.append(self.containment_pairs(table, rows, settings, self._lookup))
        return np.concatenate(parts)

    def _fetch(self, ids: np.ndarray, settings: Settings, exclude: set[str]):
        from dedupe.engine.corpus import Corpus, DocCounts

        self._require_layout()
        urows = self._unit_rows(np.unique(ids), settings)
        arts = sorted({r[1] for r in urows})
        docs, counts, pos = [], [], {}
        for k in range(0, len(arts), 900):
            chunk = arts[k:k + 900]
            for num, aid, sent, nu, sup, blob in self.db.execute(
                    f"SELECT num, id, sentences, units, suppressed, blob FROM articles WHERE num IN ({','.join('?' * len(chunk))})",
                    chunk):
                if aid in exclude:
                    continue
                pos[num] = len(docs)
                docs.append(unpack_article(blob))
                counts.append(DocCounts(sent, nu, sup))
        urows = [r for r in urows if r[1] in pos]
        urows.sort(key=lambda r: (pos[r[1]], r[3]))
        table = build_archive_table(docs, [(pos[r[1]], r[2], r[3], r[4], r[5]) for r in urows], settings,
                                    [r[6] for r in urows] if settings.hash == "sha1" else None)
        return Corpus(docs, counts, table, [True] * len(docs))

    def _unit_rows(self, ids: np.ndarray, settings: Settings) -> list[tuple]:
        """``(id, article, kind, start, end, fps bytes, sig bytes | None)`` of
        the units with these (sorted) ids that still exist."""
        out: list[tuple] = []
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
            u = _unpack_units(data, n, num_perm)
            while i < len(ids_l) and ids_l[i] < first + n:
                k = ids_l[i] - first
                out.append((ids_l[i], art, u.kind[k], u.start[k], u.end[k],
                            u.fps[u.off[k]:u.off[k + 1]].tobytes(), None if u.sigs is None else u.sigs[k].tobytes()))
                i += 1
        return out


class _Units:
    __slots__ = ("kind", "start", "end", "off", "fps", "sigs")


def _unpack_units(data: bytes, n: int, num_perm: int) -> _Units:
    """Inverse of :func:`_pack_units` for one article."""
    u = _Units()
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


def _pack_units(batch: IndexBatch, rows: np.ndarray, nums: np.ndarray, first: int, store_sig: bool):
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
