"""The embedded index's SQLite side: where the database is, its schema, opening errors as one-line messages."""

from __future__ import annotations

import os
import pathlib
import sqlite3

from dedupe.errors import ArchiveIndexError

DB_NAME = "index.sqlite"


UNITS_TABLE_V2 = """
CREATE TABLE units (
    article INTEGER PRIMARY KEY, first INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX units_first ON units(first);
"""


BUSY_MS = 60_000


KEYFILES_TABLE = ("CREATE TABLE IF NOT EXISTS keyfiles (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
             "n INTEGER NOT NULL, bytes INTEGER NOT NULL)")


SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, path TEXT, title TEXT, format TEXT,
    hash TEXT NOT NULL, sentences INTEGER, units INTEGER, suppressed INTEGER, added TEXT, blob BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS units (
    article INTEGER PRIMARY KEY, first INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS units_first ON units(first);
""" + KEYFILES_TABLE + ";\n"


def db_path(location: str) -> str:
    if location.endswith((".sqlite", ".db", ".sqlite3")):
        return location
    return os.path.join(location, DB_NAME)


def is_embedded_index(location: str) -> bool:
    """True for a location that is (or claims to be) an embedded index: a
    ``.sqlite``/``.db`` file, or a folder holding ``index.sqlite``, damaged
    or not (opening it then says what is wrong, rather than a reader calling
    a damaged index an unsupported file type)."""
    return os.path.isfile(db_path(location))


def keys_folder(path: str) -> str:
    """The folder of an index's key files (beside its database file)."""
    return path + "-keys"


def rebuild_hint(location: str) -> str:
    return f"rebuild it with: dedupe index rebuild --index {location}"


def damaged(location: str, what: str) -> ArchiveIndexError:
    """The error for a damaged index: names the index, the damage and the fix."""
    return ArchiveIndexError(f"index is damaged ({what}); {rebuild_hint(location)} "
                       "(if that fails too: delete it and add the articles again with dedupe index add)", location)


def db_error(exc: sqlite3.Error, location: str) -> ArchiveIndexError:
    """An SQLite error as the one-line :class:`ArchiveIndexError` the CLI prints."""
    msg = str(exc) or type(exc).__name__
    low = msg.lower()
    if "locked" in low or "busy" in low:
        return ArchiveIndexError(f"index is busy (another process is writing): {msg}", location)
    if "disk is full" in low or "disk i/o" in low:
        return ArchiveIndexError(f"cannot write the index: {msg}", location)
    if "not a database" in low:
        return ArchiveIndexError(f"not a valid index ({msg}); delete it and add the articles again with "
                           "dedupe index add", location)
    if "readonly" in low:
        return read_only(location, msg)
    if "unable to open" in low:
        return ArchiveIndexError(f"cannot open the index: {msg}", location)
    return damaged(location, f"sqlite: {msg}")


def read_only(location: str, why: str) -> ArchiveIndexError:
    """The error for a write to an index that cannot be written (a read-only file or folder)."""
    return ArchiveIndexError(f"cannot write the index: it is read-only ({why}); checking against it works, "
                             "changing it needs write access to its file and its folder", location)


def has_sqlite_header(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return True  # let SQLite say what is wrong
    return head == b"SQLite format 3\x00" or head == b""


def writable(path: str) -> bool:
    """Whether this process could write the database and make its WAL files beside it."""
    try:
        os.close(os.open(path, os.O_RDWR))
    except OSError:
        return False
    return os.access(os.path.dirname(os.path.abspath(path)), os.W_OK | os.X_OK)


def open_readonly(path: str, location: str) -> sqlite3.Connection:
    """A connection that never writes, for queries (``check --against``, ``scan --against``).

    Where the index could be written, ``mode=ro``: it sees a live writer's committed state, WAL
    included.  Where it cannot (the file or its folder is read-only, e.g. a cache restored read-only in
    CI), it is opened ``immutable=1``: nothing can change it meanwhile, so no locks and no journal or
    WAL files are needed, none are made.  A read-only index whose write-ahead log still holds changes
    is opened ``mode=ro`` (SQLite reads the log) or refused in one line if that cannot work.
    """
    uri = pathlib.Path(os.path.abspath(path)).as_uri()
    try:
        wal = os.path.getsize(path + "-wal")
    except OSError:
        wal = 0
    if not wal and not writable(path):
        return sqlite3.connect(uri + "?immutable=1", uri=True, isolation_level=None, check_same_thread=False)
    db = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=BUSY_MS / 1000, isolation_level=None,
                         check_same_thread=False)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        db.close()
        raise ArchiveIndexError(f"cannot open the index read-only: {exc} (its write-ahead log {path}-wal holds "
                                "changes not yet in the database: open it once where it can be written)",
                                location) from None
    return db
