"""Preparing articles for an index (in worker processes): read, split, shingle, sign, band and sort keys.

The work is cut into parts (files, or batches of an export's records) that the engine's one worker
scheduler runs (:func:`dedupe.engine.parallel.map_parts`, sized by :func:`dedupe.engine.parallel.plan_jobs`).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

import numpy as np

from dedupe.config import Settings
from dedupe.documents import Document
from dedupe.errors import DedupeError, InputError
from dedupe.index.archived import ArchivedDocument, pack_article, to_archived
from dedupe.index.keys import band_keys, shingle_keys, sort_keyed

if TYPE_CHECKING:
    from dedupe.text.split import PunktModel

Progress = Callable[[str, int, int], None]



@dataclass
class IndexBatch:
    """Analysed articles, ready to be written by a backend."""

    articles: list[dict[str, Any]]  # id, path, title, format, hash, blob, sentences, units, suppressed
    art: np.ndarray  # int64, unit -> index into articles
    kind: np.ndarray
    start: np.ndarray
    end: np.ndarray
    offsets: np.ndarray
    fps: np.ndarray
    sigs: np.ndarray
    keys: np.ndarray  # (n, bands) band keys
    errors: list[DedupeError] = field(default_factory=list)
    seg_keys: np.ndarray | None = None  # sorted band + shingle keys of all units
    seg_rows: np.ndarray | None = None  # uint32 unit row of each key

    def __len__(self) -> int:
        return len(self.art)

    def unit_fps(self, i: int) -> np.ndarray:
        return self.fps[self.offsets[i]:self.offsets[i + 1]]


#: What a backend's ``write`` reads from a :class:`IndexBatch` batch besides the
#: units and fingerprints: "sigs" (signatures and band keys) and/or "segments"
#: (sorted band + shingle keys).  Leaving out what is not needed saves the
#: workers' sorting and the transfer to the writing process.
ALL_NEEDS = frozenset({"sigs", "segments"})


def prepare(docs: Sequence[ArchivedDocument], settings: Settings, model: PunktModel | None = None,
            errors: Sequence[DedupeError] | None = None, needs: frozenset[str] = ALL_NEEDS) -> IndexBatch:
    """Units, fingerprints, signatures and band keys of archived documents
    (signatures are always kept for ``hash=sha1``, which stores them)."""
    from dedupe.engine.analyse import analyse_documents

    a = analyse_documents(list(docs), settings, model)
    t = a.table
    bands, rows = settings.band_plan()
    arts = []
    for d, c in zip(docs, a.counts):
        blob, digest = pack_article(d)
        arts.append(dict(id=d.id, path=d.path, title=d.title, format=d.format, hash=digest, blob=blob,
                         sentences=c.sentences, units=c.units, suppressed=c.suppressed))
    bk = band_keys(t.sigs, bands, rows)
    n = len(t)
    seg_keys = seg_rows = None
    if "segments" in needs:
        keys = np.concatenate([bk.reshape(-1), shingle_keys(t.fps)])
        rws = np.concatenate([np.repeat(np.arange(n, dtype=np.uint32), bands),
                              np.repeat(np.arange(n, dtype=np.uint32), np.diff(t.offsets))])
        seg_keys, seg_rows = sort_keyed(keys, rws)
    sigs = t.sigs
    if "sigs" not in needs:
        bk = np.zeros((n, 0), dtype=np.uint64)
        if settings.hash != "sha1":
            sigs = np.zeros((n, 0), dtype=np.uint32)
    return IndexBatch(arts, t.doc, t.kind, t.start, t.end, t.offsets, t.fps, sigs, bk, list(errors or []),
                    seg_keys, seg_rows)


def empty_batch(settings: Settings, errors: list[DedupeError] | None = None) -> IndexBatch:
    """A batch without articles (it carries read errors)."""
    z = np.zeros(0, dtype=np.int64)
    return IndexBatch([], z, z, z, z, np.zeros(1, dtype=np.int64),
                      np.zeros(0, dtype=np.uint64), np.zeros((0, settings.num_perm), dtype=np.uint32),
                      np.zeros((0, settings.band_plan()[0]), dtype=np.uint64), list(errors or []),
                      np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint32))


def prepare_read(docs: Sequence[Document], settings: Settings, model: PunktModel | None = None,
                 needs: frozenset[str] = ALL_NEEDS) -> IndexBatch:
    """:func:`prepare` of documents as a reader returned them (one file's, or several files')."""
    cache: dict[int, list[int]] = {}
    return prepare([to_archived(d, cache) for d in docs], settings, model, None, needs)


#: One part of an add: ``("paths", files)`` read by the worker, ``("docs", documents)`` already read, or
#: ``("errors", errors)`` (a file that could not be read: an empty batch carrying its error).
Part = tuple[str, list[Any]]


def prepare_part(part: Part, settings: Settings, read_options: Any, model: PunktModel | None, needs: frozenset[str]) -> IndexBatch:
    """What a worker does with one part: the prepared batch (read errors inside it)."""
    kind, items = part
    if kind == "errors":
        return empty_batch(settings, items)
    errors: list[DedupeError] = []
    docs: list[ArchivedDocument] = []
    if kind == "paths":
        from dedupe.readers import read_file

        for p in items:
            try:
                cache: dict[int, list[int]] = {}
                docs.extend(to_archived(d, cache) for d in read_file(p, read_options))
            except DedupeError as exc:
                errors.append(exc)
            except Exception as exc:  # a reader bug must not lose the whole batch
                errors.append(InputError(f"could not be read: {type(exc).__name__}: {exc}", p))
    else:
        docs = items
    return prepare(docs, settings, model, errors, needs)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def prepared_batches(
    paths: Iterable[str],
    settings: Settings,
    read_options: Any = None,
    model: Any = None,
    documents: Sequence[Document] | None = None,
    progress: Progress | None = None,
    batch: int = 1000,
    needs: frozenset[str] = ALL_NEEDS,
) -> Iterator[IndexBatch]:
    """Read and analyse articles in parallel (as many worker processes as
    :func:`~dedupe.engine.parallel.plan_jobs` gives the job), yielding batches
    in input order: ``documents`` first, then the plain files, then the
    documents of each file holding many articles (``.jsonl``).

    ``paths`` may be a lazy walk: the workers start on the first parts of
    :data:`~dedupe.engine.parallel.FILES_PER_TASK` files while it goes on.  An
    export is read here one file at a time, after the others, and its
    documents handed to the workers in batches of ``batch`` (memory stays
    bounded by one file); other files are read by the workers themselves.
    """
    from dedupe.engine import parallel
    from dedupe.readers import read_file, spec_for

    it = iter(paths)
    head = list(islice(it, parallel.MANY_FILES))
    big: list[str] = []
    found = [0]  # plain files found so far (the total once the walk is over)
    docs_in = list(documents or [])
    n_docs = len(docs_in)
    text_bytes = sum(_size(p) for p in head) + sum(len(d.text) for d in docs_in)
    jobs = parallel.plan_jobs(settings, len(head) + n_docs, text_bytes)
    step = parallel.FILES_PER_TASK
    advance: deque[int] = deque()  # what each part adds to the progress, in order

    def parts() -> Iterator[Part]:
        if docs_in:
            docs = [to_archived(d) for d in docs_in]
            for k in range(0, len(docs), batch):
                advance.append(len(docs[k:k + batch]))
                yield ("docs", docs[k:k + batch])
        chunk: list[str] = []
        for p in chain(head, it):
            if (spec := spec_for(p)) is not None and spec.many:
                big.append(p)  # an export (many records): read here, after the plain files
                continue
            found[0] += 1
            chunk.append(p)
            if len(chunk) == step:
                advance.append(len(chunk))
                yield ("paths", chunk)
                chunk = []
        if chunk:
            advance.append(len(chunk))
            yield ("paths", chunk)
        for p in big:
            try:
                cache: dict[int, list[int]] = {}
                docs = [to_archived(d, cache) for d in read_file(p, read_options)]
            except DedupeError as exc:
                advance.append(1)
                yield ("errors", [exc])
                continue
            if not docs:
                advance.append(1)
                yield ("errors", [])
                continue
            for k in range(0, len(docs), batch):
                advance.append(1 if k + batch >= len(docs) else 0)  # the file counts once its last batch is done
                yield ("docs", docs[k:k + batch])

    work = partial(prepare_part, settings=settings, read_options=read_options, model=model, needs=needs)
    done = 0
    for res in parallel.map_parts(work, parts(), jobs):
        done += advance.popleft()
        if progress:
            progress("analyse", done, max(done, found[0] + len(big) + n_docs))
        yield res
