"""The embedded archive index backend: one SQLite database plus memory-mapped key files, no server.

* :mod:`~dedupe.index.embedded.connection`: where the database is, its schema, SQLite errors as one-line messages;
* :mod:`~dedupe.index.embedded.layout`: the key files on disk (written, checked, merged) and the packed units;
* :mod:`~dedupe.index.embedded.queries`: key lookups that read only the blocks a query key can be in;
* :mod:`~dedupe.index.embedded.index`: :class:`EmbeddedIndex`, the :class:`~dedupe.index.base.ArchiveIndex`
  over them (transactions, adds, merges, vacuum, stats).
"""

from dedupe.index.embedded.connection import db_path, is_embedded_index
from dedupe.index.embedded.index import EmbeddedIndex

__all__ = ["EmbeddedIndex", "db_path", "is_embedded_index"]
