"""The embedded archive index backend (SQLite plus memory-mapped key files): see :mod:`dedupe.index.embedded.index`."""

from dedupe.index.embedded.index import EmbeddedIndex, db_path, is_embedded_index

__all__ = ["EmbeddedIndex", "db_path", "is_embedded_index"]
