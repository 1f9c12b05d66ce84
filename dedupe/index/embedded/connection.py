"""The embedded index's SQLite side: where the database is, its schema, opening errors as one-line messages."""

from __future__ import annotations

import os
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
    if "readonly" in low or "unable to open" in low:
        return ArchiveIndexError(f"cannot open the index: {msg}", location)
    return damaged(location, f"sqlite: {msg}")


def has_sqlite_header(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return True  # let SQLite say what is wrong
    return head == b"SQLite format 3\x00" or head == b""
