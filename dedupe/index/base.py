"""The contract every archive index backend implements (:class:`ArchiveIndex`) and the table a query returns.

An index stores, per archived article, everything needed to show a finding
without the original file: the analysed text, its title and path, and the map
from text offsets to line/column in the original file (so ``location()`` gives
the same positions a scan of the file would).  Per eligible unit (sentence or
quote) it stores kind, offsets and the distinct shingle fingerprints used for
exact verification, and it indexes

* the unit's LSH band keys (MinHash bands, ``Settings.band_plan()``), for
  near-duplicates (Jaccard), and
* (embedded backend) one posting per distinct shingle, for containment: a
  short draft sentence inside a longer archived one, which LSH cannot find.

A query takes the draft's :class:`~dedupe.engine.corpus.UnitTable`, finds the candidate
archived units, and returns them as ordinary documents and units flagged as
archive, which the scan appends before matching; verification and clustering
are then exactly the code path used for archive files.

The package's modules, one job each: :mod:`~dedupe.index.settings` (what an
index records and accepts), :mod:`~dedupe.index.archived` (the stored form of
an article), :mod:`~dedupe.index.keys` (band and shingle keys, sorted runs),
:mod:`~dedupe.index.prepare` (articles prepared in the engine's workers), this
module (the contract every backend implements and the archive table a query
returns), and one package per backend (:mod:`~dedupe.index.embedded`,
:mod:`~dedupe.index.redis`).  The names of the other modules are re-exported
here for the code written against the single module this used to be.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dedupe.config import Settings
from dedupe.documents import Document
from dedupe.engine.match import min_contained
from dedupe.errors import ArchiveIndexError
from dedupe.index.archived import (
    FORMAT_VERSION,
    ArchivedDocument,
    article_id,
    pack_article,
    to_archived,
    unpack_article,
)
from dedupe.index.keys import band_keys, lookup_sorted, merge_keyed, shingle_keys, sort_keyed
from dedupe.index.prepare import (
    ALL_NEEDS,
    IndexBatch,
    Progress,
    empty_batch,
    prepare,
    prepare_read,
    prepared_batches,
)
from dedupe.index.settings import (
    INDEX_KEYS,
    check_add_settings,
    check_query_settings,
    index_settings,
    settings_from_index,
)
from dedupe.safety import display_url

if TYPE_CHECKING:
    from dedupe.engine.corpus import Corpus, UnitTable
    from dedupe.text.split import PunktModel

#: ``lookup(query keys, cap) -> (query index, unit, count per query key)``: a backend's posting lookup
#: (:func:`~dedupe.index.keys.lookup_sorted` over its key runs).
Lookup = Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray, np.ndarray]]

__all__ = [
    "ALL_NEEDS", "FORMAT_VERSION", "INDEX_KEYS", "ArchiveIndex", "ArchivedDocument", "IndexBatch", "IndexStats",
    "Progress", "article_id", "band_keys", "build_archive_table", "check_add_settings", "check_query_settings",
    "empty_batch", "index_settings", "lookup_sorted", "merge_keyed", "min_contained", "now", "pack_article",
    "prepare", "prepare_read", "prepared_batches", "settings_from_index", "shingle_keys", "sort_keyed",
    "to_archived", "unpack_article",
]


# -- the contract -------------------------------------------------------------


@dataclass
class IndexStats:
    location: str
    backend: str
    articles: int
    units: int
    sentences: int
    size_bytes: int
    settings: dict[str, Any]
    punkt: bool
    created: str | None = None
    updated: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "location": display_url(self.location), "backend": self.backend, "articles": self.articles,
            "units": self.units, "sentences": self.sentences, "size_bytes": self.size_bytes,
            "settings": self.settings, "scheme": self.settings.get("scheme"),
            "punkt_trained": self.punkt, "created": self.created, "updated": self.updated,
        }
        d.update(self.extra)
        return d


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


class ArchiveIndex(ABC):
    """The contract every backend implements (see :mod:`dedupe.index`): a backend subclasses this,
    implements the abstract methods, and is opened by :func:`dedupe.index.open_index`.

    Writes happen inside ``with ix.transaction():`` (one atomic write: committed when the block ends,
    nothing of it when it raises); queries (:meth:`query`) are built here from :meth:`candidate_units`
    and :meth:`fetch`, so every backend answers them the same way."""

    backend = "?"
    needs: frozenset[str] = ALL_NEEDS  # what write() reads from prepared batches
    location: str
    meta: dict[str, Any]

    # -- reading -------------------------------------------------------------
    @abstractmethod
    def candidate_units(self, table: UnitTable, draft_rows: np.ndarray, settings: Settings) -> np.ndarray:
        """Ids of the archived units that may match the draft units ``table[draft_rows]``: those sharing
        an LSH band key with one, and :meth:`containment_pairs` (the shingle postings)."""

    @abstractmethod
    def fetch(self, unit_ids: np.ndarray, settings: Settings, exclude: set[str]) -> Corpus:
        """The archived articles holding ``unit_ids`` (sorted, distinct) as a corpus of archive documents
        whose unit table holds only those units; articles whose id is in ``exclude`` are left out."""

    @abstractmethod
    def iter_documents(self, batch: int = 500) -> Iterator[list[ArchivedDocument]]:
        """Every stored article, ``batch`` at a time (what a rebuild re-analyses)."""

    @abstractmethod
    def articles(self) -> list[dict[str, Any]]:
        """One row per stored article (id, path, title, counts, when added), for ``index list``."""

    @abstractmethod
    def stats(self) -> IndexStats:
        """Counts, size and settings of the index, for ``index stats``."""

    @abstractmethod
    def size_bytes(self) -> int:
        """What the index takes up (bytes on disk, or of Redis memory)."""

    # -- writing (inside transaction()) -------------------------------------
    @abstractmethod
    def transaction(self) -> AbstractContextManager[Any]:
        """One atomic write: ``with ix.transaction(): ...``."""

    @abstractmethod
    def set_meta(self, **kv: Any) -> None:
        """Record index metadata (settings, the Punkt model...) in this transaction; also in :attr:`meta`."""

    @abstractmethod
    def init_settings(self, settings: Settings, punkt: dict[str, Any] | None = None) -> None:
        """Record ``settings`` in a new index, or check them against an existing one's."""

    @abstractmethod
    def existing_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """The content hash of each stored article among ``ids`` (unchanged articles are skipped)."""

    def add_mark(self) -> Any:
        """A mark taken when an ``add`` starts (inside its transaction), for :meth:`added_since`."""
        return set()

    def added_since(self, ids: Sequence[str], mark: Any) -> set[str]:
        """Which of ``ids`` this ``add`` (begun at ``mark``) has already written.  This default keeps
        every id of the add in memory (in ``mark``); the embedded index asks its database instead,
        so an ``add`` of millions of articles does not hold all their ids."""
        seen: set[str] = mark
        out = {i for i in ids if i in seen}
        seen.update(ids)
        return out

    @abstractmethod
    def remove_articles(self, ids: Sequence[str]) -> list[str]:
        """Remove articles by id; returns the ids not found."""

    @abstractmethod
    def write(self, batch: IndexBatch, keep: Sequence[bool] | None = None, pending: list[Any] | None = None) -> int:
        """Store the articles of ``batch`` (those ``keep`` marks; replacing an article of the same id) and
        their units; keys may be buffered in ``pending`` until :meth:`flush`.  Returns the units written."""

    @abstractmethod
    def flush(self, pending: list[Any] | None = None, final: bool = False) -> None:
        """Write the keys buffered in ``pending`` (all of them with ``final``)."""

    @abstractmethod
    def clear_units(self) -> None:
        """Drop every unit and key, keeping the articles (a rebuild writes them again)."""

    @abstractmethod
    def vacuum(self) -> dict[str, Any]:
        """Reclaim the space of removed articles; returns what was done."""

    def close(self) -> None:  # noqa: B027 - a backend without resources to release needs nothing here
        """Release connections and mapped files."""

    def __enter__(self) -> ArchiveIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- shared -------------------------------------------------------------
    @property
    def stored_settings(self) -> dict[str, Any]:
        s: dict[str, Any] | None = self.meta.get("settings")
        if not s:
            raise ArchiveIndexError("index is empty (no settings recorded yet); add articles first", self.location)
        return s

    def settings(self, base: Settings | None = None) -> Settings:
        return settings_from_index(self.stored_settings, base)

    def punkt_model(self) -> PunktModel | None:
        data = self.meta.get("punkt")
        if not data:
            return None
        from dedupe.text.split import PunktModel

        return PunktModel.from_json(data)

    def check_query(self, settings: Settings) -> None:
        check_query_settings(self.stored_settings, settings, self.location)

    def query(self, table: UnitTable, draft_docs: Sequence[Document], settings: Settings,
              draft_mask: np.ndarray | None = None) -> Corpus:
        """Candidate archived units for the draft units of ``table``.

        Returns a :class:`~dedupe.engine.corpus.Corpus` of the archived articles
        holding candidates (its unit table holds only the candidates).
        """
        from dedupe.engine.corpus import Corpus

        self.check_query(settings)
        rows = np.arange(len(table)) if draft_mask is None else np.flatnonzero(draft_mask)
        if len(rows) == 0 or not self.meta.get("settings"):
            return Corpus.empty(settings.num_perm)
        ids = self.candidate_units(table, rows, settings)
        if len(ids) == 0:
            return Corpus.empty(settings.num_perm)
        own = {article_id(d) for d in draft_docs}
        return self.fetch(np.unique(ids), settings, own)

    def containment_pairs(self, table: UnitTable, rows: np.ndarray, settings: Settings, lookup: Lookup) -> np.ndarray:
        """Archived units sharing enough shingles with a draft unit to reach
        the containment threshold: every shingle of each draft unit whose
        posting list is at most ``max_posting`` long is probed, and units with
        at least ``ceil(containment * min_contained)`` hits are kept (at most
        50 per draft unit, most hits first).

        Short draft units (:func:`dedupe.sketch.verify.short_size`) also get the archived units that
        share at least ``max(2, size - 2 * ngram)`` of their shingles: the same sentence with a word
        or two changed, which the scan then links word by word (:func:`dedupe.engine.match.short_pairs`)."""
        from dedupe.sketch.verify import short_size

        short_max = short_size(settings.ngram) if settings.shingle == "word" else -1
        offs = table.offsets
        all_sizes = np.diff(offs)
        if settings.containment <= 0:
            rows = rows[all_sizes[rows] <= short_max]  # only the short units are probed
            if not len(rows):
                return np.zeros(0, dtype=np.int64)
        sizes = all_sizes[rows]
        idx = np.concatenate([np.arange(offs[r], offs[r + 1]) for r in rows]) if len(rows) else np.zeros(0, np.int64)
        owner = np.repeat(np.arange(len(rows)), sizes)
        q = shingle_keys(table.fps[idx])
        qi, units, counts = lookup(q, settings.max_posting)
        if not len(qi):
            return np.zeros(0, dtype=np.int64)
        ok = counts[qi] <= settings.max_posting
        qi, units = qi[ok], units[ok]
        need = max(2, math.ceil(settings.containment * min_contained(settings) - 1e-9)) if settings.containment > 0 else 1 << 30
        d = owner[qi]
        code = d * (np.int64(1) << 32) + units
        uc, hits = np.unique(code, return_counts=True)
        size_of = sizes[uc >> 32]
        keep = (hits >= need) | ((size_of <= short_max) & (hits >= np.maximum(2, size_of - 2 * settings.ngram)))
        uc, hits = uc[keep], hits[keep]
        if not len(uc):
            return np.zeros(0, dtype=np.int64)
        du = uc >> 32
        order = np.lexsort((-hits, du))
        uc, du = uc[order], du[order]
        first = np.concatenate(([True], du[1:] != du[:-1]))
        rank = np.arange(len(du)) - np.maximum.accumulate(np.where(first, np.arange(len(du)), 0))
        out: np.ndarray = (uc[rank < 50] & 0xFFFFFFFF).astype(np.int64)
        return out


def build_archive_table(docs_rows: list[Any], unit_rows: list[tuple[Any, ...]], settings: Settings,
                        stored_sigs: list[bytes] | None = None) -> UnitTable:
    """A :class:`~dedupe.engine.corpus.UnitTable` of fetched archived units.

    ``unit_rows``: ``(doc index, kind, start, end, fps bytes)``; signatures
    are recomputed from the fingerprints exactly as the scan computes them
    (``hash=words64``) or taken from ``stored_sigs`` (``hash=sha1``).
    """
    from dedupe.engine.corpus import UnitTable
    from dedupe.sketch.sets import set_keys
    from dedupe.sketch.signatures import signatures

    n = len(unit_rows)
    if n == 0:
        return UnitTable.empty(settings.num_perm)
    fps_parts = [np.frombuffer(r[4], dtype=np.uint64) for r in unit_rows]
    sizes = np.array([len(f) for f in fps_parts], dtype=np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    fps = np.concatenate(fps_parts)
    if stored_sigs is not None and settings.hash == "sha1":
        sigs = np.stack([np.frombuffer(s, dtype=np.uint32) for s in stored_sigs])
    else:
        sigs = signatures((fps >> np.uint64(32)).astype(np.uint32), offsets, settings.num_perm, settings.seed)
    setkey = set_keys(fps, offsets)
    return UnitTable(
        doc=np.array([r[0] for r in unit_rows], dtype=np.int64),
        kind=np.array([r[1] for r in unit_rows], dtype=np.int8),
        start=np.array([r[2] for r in unit_rows], dtype=np.int64),
        end=np.array([r[3] for r in unit_rows], dtype=np.int64),
        offsets=offsets, fps=fps, sigs=np.ascontiguousarray(sigs, dtype=np.uint32), setkey=setkey,
    )
