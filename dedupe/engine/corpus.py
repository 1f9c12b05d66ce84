"""The analysed documents of a run and their unit table: what every stage after reading passes on.

A :class:`Corpus` holds the documents (drafts first, then archived ones),
per-document counts, whether each is archive, the input errors met on the
way, and the :class:`UnitTable`: one row per eligible unit (sentence or
quote) with its document, span, shingle set (CSR) and MinHash signature.
Scan, index, review and the benchmarks all build and pass this one type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from dedupe.config import Settings
from dedupe.documents import Document
from dedupe.errors import DedupeError
from dedupe.sketch.sets import csr_take
from dedupe.sketch.signatures import signatures
from dedupe.text.normalize import tokens

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; called from the thread running the work."""


@dataclass
class UnitTable:
    """Eligible units of a batch of documents, as parallel arrays."""

    doc: np.ndarray  # int64, index into the batch's documents
    kind: np.ndarray  # int8, SENTENCE or QUOTE
    start: np.ndarray  # int64
    end: np.ndarray  # int64
    offsets: np.ndarray  # int64 CSR into fps (distinct, sorted per unit)
    fps: np.ndarray  # uint64 shingle fingerprints
    sigs: np.ndarray  # uint32 (n, num_perm)
    setkey: np.ndarray  # uint64, equal for equal shingle sets

    @classmethod
    def empty(cls, num_perm: int) -> UnitTable:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z.astype(np.int8), z, z, np.zeros(1, dtype=np.int64), z.astype(np.uint64),
                   np.zeros((0, num_perm), dtype=np.uint32), z.astype(np.uint64))

    def __len__(self) -> int:
        return len(self.doc)

    @property
    def has_signatures(self) -> bool:
        return self.sigs.shape[1] > 0 or len(self) == 0

    def set_fps(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """CSR ``(fps, offsets)`` of the given units' shingle sets."""
        return csr_take(self.fps, self.offsets, rows)

    @staticmethod
    def concat(tables: Sequence[UnitTable], doc_shifts: Sequence[int], num_perm: int) -> UnitTable:
        pairs = [(t, s) for t, s in zip(tables, doc_shifts) if len(t)]
        if not pairs:
            return UnitTable.empty(num_perm)
        tables = [t for t, _ in pairs]
        shifts = [s for _, s in pairs]
        offs = [np.zeros(1, dtype=np.int64)]
        base = 0
        for t in tables:
            offs.append(t.offsets[1:] + base)
            base += int(t.offsets[-1])
        return UnitTable(
            doc=np.concatenate([t.doc + s for t, s in zip(tables, shifts)]),
            kind=np.concatenate([t.kind for t in tables]),
            start=np.concatenate([t.start for t in tables]),
            end=np.concatenate([t.end for t in tables]),
            offsets=np.concatenate(offs),
            fps=np.concatenate([t.fps for t in tables]),
            sigs=np.concatenate([t.sigs for t in tables]),
            setkey=np.concatenate([t.setkey for t in tables]),
        )


@dataclass
class DocCounts:
    """How many sentences a document has, and how many of its units were compared or suppressed."""

    sentences: int  # every sentence
    units: int  # eligible units compared (sentences and quotes)
    suppressed: int  # units switched off inline
    sentence_units: int = -1  # eligible sentences (-1: unknown, use units)
    boilerplate: int = 0  # units left out as boilerplate (default and configured patterns)

    @property
    def eligible_sentences(self) -> int:
        return self.units if self.sentence_units < 0 else self.sentence_units


@dataclass
class Corpus:
    """Analysed documents and their unit table (``table.doc`` indexes ``documents``)."""

    documents: list[Document]
    counts: list[DocCounts]
    table: UnitTable
    archive: list[bool] = field(default_factory=list)  # per document: read as archive
    errors: list[DedupeError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one-line notes for the user (not errors)

    def __post_init__(self) -> None:
        if len(self.archive) < len(self.documents):
            self.archive = self.archive + [False] * (len(self.documents) - len(self.archive))

    @classmethod
    def empty(cls, num_perm: int) -> Corpus:
        return cls([], [], UnitTable.empty(num_perm))

    def __len__(self) -> int:
        return len(self.documents)

    @staticmethod
    def concat(parts: Sequence[Corpus], num_perm: int) -> Corpus:
        """One corpus of ``parts`` in order (their tables re-based onto the joint document list)."""
        docs: list[Document] = []
        counts: list[DocCounts] = []
        archive: list[bool] = []
        errors: list[DedupeError] = []
        notes: list[str] = []
        shifts: list[int] = []
        for p in parts:
            shifts.append(len(docs))
            docs.extend(p.documents)
            counts.extend(p.counts)
            archive.extend(p.archive)
            errors.extend(p.errors)
            notes.extend(p.notes)
        table = UnitTable.concat([p.table for p in parts], shifts, num_perm)
        return Corpus(docs, counts, table, archive, errors, notes)

    def unit_words(self, row: int) -> list[str]:
        """The word tokens of unit ``row`` of the table (lower-cased, normalised, as shingled)."""
        t = self.table
        doc = self.documents[int(t.doc[row])]
        return tokens(doc.text[int(t.start[row]):int(t.end[row])])

    def marked_archive(self) -> Corpus:
        """This corpus with every document flagged as archive."""
        return Corpus(self.documents, self.counts, self.table, [True] * len(self.documents), self.errors, self.notes)

    def with_signatures(self, settings: Settings) -> Corpus:
        """The corpus with every unit's MinHash signature computed (deferred ones filled in)."""
        ensure_signatures(self.table, settings)
        return self


def ensure_signatures(table: UnitTable, settings: Settings) -> UnitTable:
    """``table`` with every unit's MinHash signature computed (words64 hashes)."""
    if table.has_signatures:
        return table
    table.sigs = signatures((table.fps >> np.uint64(32)).astype(np.uint32), table.offsets, settings.num_perm, settings.seed)
    return table
