"""The review UI's scanning state: analyse once, re-cluster many times.

The expensive half of a scan (reading, splitting, shingling, signing) is
kept in an :class:`Analysed` so that changing the similarity threshold only
redoes matching and clustering (``dedupe.engine.pipeline.finish_scan``), and saving one
article in the editor only re-analyses that file.

Nothing here touches widgets: these functions run in worker threads.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from dedupe.api import prepare
from dedupe.config import Settings
from dedupe.documents import Document
from dedupe.engine.analyse import analyse_documents
from dedupe.engine.corpus import Corpus, DocCounts, UnitTable
from dedupe.engine.pipeline import finish_scan
from dedupe.errors import DedupeError, InputError
from dedupe.findings import ScanResult

if TYPE_CHECKING:
    from dedupe.text.split import PunktModel

Progress = Callable[[str, int, int], None]


@dataclass(repr=False)
class Analysed:
    """Read and analysed documents, ready to be (re-)clustered.

    Its ``repr`` is a one-line summary: Textual's ``@work`` builds a worker's
    description from the ``repr`` of its arguments, and the dataclass default
    (every document's text, every signature) of the whole Reuters export took
    seconds and hundreds of megabytes each time the watcher polled.
    """

    paths: list[str]  # draft inputs as given
    against: list[str]  # archive inputs as given
    files: list[str]  # files walked (drafts then archive)
    archive_files: set[str]
    docs: list[Document]
    counts: list[DocCounts]
    table: UnitTable
    archive_flags: list[bool]
    errors: list[DedupeError]
    settings: Settings
    #: (mtime_ns, size) of every file walked when it was read: the watcher compares stats, never contents
    mtimes: dict[str, tuple[int, int]] = field(default_factory=dict)
    seconds: float = 0.0
    model: PunktModel | None = None  # Punkt model of an indexed archive the drafts were split with
    #: What re-clustering may reuse (the restatements found: they do not depend on the threshold).
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        return (f"Analysed({len(self.files)} files, {len(self.docs)} documents, {len(self.table)} units, "
                f"{len(self.errors)} errors)")

    @property
    def corpus(self) -> Corpus:
        """The analysed documents as the engine's :class:`~dedupe.engine.corpus.Corpus`."""
        return Corpus(list(self.docs), list(self.counts), self.table, list(self.archive_flags), list(self.errors))

    def document(self, doc_id: str) -> Document | None:
        if not hasattr(self, "_by_id"):
            self._by_id = {d.id: d for d in self.docs}
        return self._by_id.get(doc_id)

    def _reindex(self) -> None:
        if hasattr(self, "_by_id"):
            del self._by_id


def file_stamp(path: str) -> tuple[int, int]:
    """(mtime in ns, size) of ``path``; (-1, -1) when it cannot be stat'ed (gone, unreadable)."""
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)


def analyse(
    paths: Sequence[str],
    settings: Settings,
    *,
    against: Sequence[str] = (),
    read_options: Any = None,
    progress: Progress | None = None,
) -> Analysed:
    """The per-document half of ``dedupe.engine.pipeline`` over ``paths`` (and ``against``)."""
    t0 = time.perf_counter()
    settings = settings.validate()
    # signatures now, so that files re-read later (refresh) join a signed table
    p = prepare(paths, settings, against=against, read_options=read_options, progress=progress,
                with_signatures=True)
    files = p.draft_files + p.archive_files
    return Analysed(
        paths=list(paths), against=list(against), files=files, archive_files=set(p.archive_files),
        docs=p.corpus.documents, counts=p.corpus.counts, table=p.corpus.table, archive_flags=p.corpus.archive,
        errors=p.corpus.errors,
        settings=settings, mtimes={f: file_stamp(f) for f in files}, seconds=time.perf_counter() - t0, model=p.model,
    )


def cluster(analysed: Analysed, settings: Settings, progress: Progress | None = None) -> ScanResult:
    """Match and cluster analysed documents with ``settings`` (threshold, kinds...).

    Only settings that do not change the analysis may differ from the ones
    ``analysed`` was made with (threshold, containment, kinds, LSH banding).
    """
    settings = settings.validate()
    timings = {"analyse": analysed.seconds}
    return finish_scan(analysed.corpus, settings, timings, progress, cache=analysed.cache)


#: Settings that change the per-document analysis (re-analyse when they change).
ANALYSIS_KEYS = ("min_words", "shingle", "ngram", "num_perm", "seed", "hash", "quotes", "exclude_quotes",
                 "boilerplate")


def needs_reanalysis(old: Settings, new: Settings) -> bool:
    return any(getattr(old, k) != getattr(new, k) for k in ANALYSIS_KEYS)


def changed_files(analysed: Analysed, stamps: dict[str, tuple[int, int]] | None = None) -> list[str]:
    """Files whose modification time or size changed (or that vanished) since analysis.

    One ``stat`` per file, nothing read: an export of 21,578 stories is one
    stat, a folder of 20,000 articles 20,000 stats (a few milliseconds)."""
    return [f for f, t in (analysed.mtimes if stamps is None else stamps).items() if file_stamp(f) != t]


def _drop_docs(table: UnitTable, drop: np.ndarray) -> UnitTable:
    """``table`` without the units of the documents flagged in ``drop`` (bool per doc)."""
    if not len(table):
        return table
    keep = ~drop[table.doc]
    sizes = np.diff(table.offsets)
    fkeep = np.repeat(keep, sizes)
    offsets = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
    np.cumsum(sizes[keep], out=offsets[1:])
    return UnitTable(doc=table.doc[keep], kind=table.kind[keep], start=table.start[keep], end=table.end[keep],
                     offsets=offsets, fps=table.fps[fkeep], sigs=table.sigs[keep], setkey=table.setkey[keep])


def refresh(analysed: Analysed, files: Sequence[str], read_options: Any = None) -> Analysed:
    """A copy of ``analysed`` with ``files`` read and analysed again.

    A file that still yields the same number of documents keeps their places
    (so cluster order and ids stay stable); otherwise its documents move to
    the end.  A file that can no longer be read drops out with an error.
    """
    from dedupe.readers import read_file

    settings = analysed.settings
    n_old = len(analysed.docs)
    docs = list(analysed.docs)
    counts = list(analysed.counts)
    drop_units = np.zeros(n_old, dtype=bool)  # old units to discard
    remove_slot = np.zeros(n_old, dtype=bool)  # old documents gone for good
    inplace: list[tuple[list[int], UnitTable]] = []
    appended: list[tuple[list[Document], list[DocCounts], UnitTable, bool]] = []
    fileset = set(files)
    errors = [e for e in analysed.errors if getattr(e, "path", None) not in fileset]
    mtimes = dict(analysed.mtimes)
    for f in files:
        mtimes[f] = file_stamp(f)
        old = [i for i, d in enumerate(analysed.docs) if d.path == f]
        try:
            new_docs = read_file(f, read_options)
        except DedupeError as exc:
            errors.append(exc)
            new_docs = []
        except Exception as exc:  # a reader bug must not take the UI down
            errors.append(InputError(f"could not be read: {type(exc).__name__}: {exc}", f))
            new_docs = []
        a = analyse_documents(new_docs, settings, analysed.model)
        drop_units[old] = True
        if old and len(old) == len(new_docs):
            for i, d, c in zip(old, a.documents, a.counts):
                docs[i] = d
                counts[i] = c
            inplace.append((old, a.table))
        else:
            remove_slot[old] = True
            appended.append((a.documents, a.counts, a.table, f in analysed.archive_files))
    keep = np.flatnonzero(~remove_slot)
    new_pos = np.full(n_old, -1, dtype=np.int64)
    new_pos[keep] = np.arange(len(keep))
    base = _drop_docs(analysed.table, drop_units)
    base = replace(base, doc=new_pos[base.doc])
    out_docs = [docs[i] for i in keep]
    out_counts = [counts[i] for i in keep]
    flags = [analysed.archive_flags[i] for i in keep]
    tables = [base]
    shifts = [0]
    for old, t in inplace:
        remap = new_pos[np.array(old, dtype=np.int64)]
        tables.append(replace(t, doc=remap[t.doc]))
        shifts.append(0)
    for ds, cs, t, arch in appended:
        tables.append(t)
        shifts.append(len(out_docs))
        out_docs.extend(ds)
        out_counts.extend(cs)
        flags.extend([arch] * len(ds))
    table = UnitTable.concat(tables, shifts, settings.num_perm)
    return Analysed(paths=analysed.paths, against=analysed.against, files=analysed.files,
                    archive_files=analysed.archive_files, docs=out_docs, counts=out_counts, table=table,
                    archive_flags=flags, errors=errors, settings=settings, mtimes=mtimes,
                    seconds=analysed.seconds, model=analysed.model)


#: A row of a table or of aligned figures: a run of three spaces inside the line.
_TABLE_ROW = re.compile(r"\S {3,}\S")


def is_table_row(line: str) -> bool:
    return bool(_TABLE_ROW.search(line.strip()))


def looks_like_table(text: str) -> bool:
    """Two or more rows of columns (a run of spaces inside the line): shown line by line, never reflowed."""
    return sum(1 for line in text.split("\n") if is_table_row(line)) >= 2


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _line_start(text: str, i: int, floor: int) -> int:
    j = text.rfind("\n", floor, i)
    return floor if j < 0 else j + 1


def _line_end(text: str, i: int, ceil: int) -> int:
    j = text.find("\n", i, ceil)
    return ceil if j < 0 else j


def _paragraph_bounds(text: str, start: int, end: int, a: int, b: int) -> tuple[int, int]:
    """Inside the blank-line block ``text[a:b]`` of plain text: the paragraph around ``start:end``.

    Wire copy marks paragraphs by indenting their first line (no blank lines): a line indented more
    than the block's least indented line starts a paragraph.  The rows of a table (runs of spaces
    inside the line) are paragraphs of their own kind: a unit in a table gets the table's rows."""
    lines = text[a:b].split("\n")
    if len(lines) < 2:
        return a, b
    base = min((_indent(x) for x in lines if x.strip()), default=0)
    ls = _line_start(text, start, a)
    le = _line_end(text, max(start, end - 1), b)
    if is_table_row(text[ls:_line_end(text, ls, b)]):  # in a table: its contiguous rows
        while ls > a:
            prev = _line_start(text, ls - 1, a)
            if not is_table_row(text[prev:ls - 1]) or not text[prev:ls - 1].strip():
                break
            ls = prev
        while le < b:
            nxt = _line_end(text, le + 1, b)
            if not is_table_row(text[le + 1:nxt]) or not text[le + 1:nxt].strip():
                break
            le = nxt
        return ls, le
    if not any(_indent(x) > base for x in lines[1:] if x.strip()):
        return a, b  # no indented paragraph starts: the block is the paragraph

    def starts(i: int) -> bool:  # the line at ``i`` starts a paragraph (indented, or a table row)
        line = text[i:_line_end(text, i, b)]
        return not line.strip() or _indent(line) > base or is_table_row(line)

    while ls > a and not starts(ls):
        ls = _line_start(text, ls - 1, a)
    while le < b:
        nxt = _line_end(text, le + 1, b)
        if starts(le + 1):
            break
        le = nxt
    return ls, le


def paragraph(doc: Document, start: int, end: int, limit: int = 600) -> tuple[str, int]:
    """The paragraph around ``doc.text[start:end]`` and the offset of ``start`` in it.

    Paragraphs are separated by blank lines; in plain text, also by indented first lines (wire
    copy) and tables are kept to their rows (:func:`_paragraph_bounds`); a line is a paragraph when
    nothing else marks one and the block is long.  At most ``limit`` characters either side of the
    unit are kept (cut at a word, marked with an ellipsis).
    """
    text = doc.text
    sep = "\n\n"
    a = text.rfind(sep, 0, start)
    b = text.find(sep, end)
    a = 0 if a < 0 else a + 2
    b = len(text) if b < 0 else b
    if not doc.paragraphs_marked:
        a, b = _paragraph_bounds(text, start, end, a, b)
    if not doc.paragraphs_marked and (start - a > limit or b - end > limit):
        a2 = text.rfind("\n", 0, start)
        b2 = text.find("\n", end)
        a = max(a, 0 if a2 < 0 else a2 + 1)
        b = min(b, len(text) if b2 < 0 else b2)
    prefix = suffix = ""
    if start - a > limit:
        cut = text.find(" ", start - limit, start)
        a = cut + 1 if cut >= 0 else start - limit
        prefix = "…"
    if b - end > limit:
        cut = text.rfind(" ", end, end + limit)
        b = cut if cut > end else end + limit
        suffix = "…"
    return prefix + text[a:b] + suffix, start - a + len(prefix)
