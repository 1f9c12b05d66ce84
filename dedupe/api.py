"""The library's entry points: :func:`scan` and :func:`prepare`.

They compose the engine (:mod:`dedupe.engine`) with the archive index
(:mod:`dedupe.index`): ``against`` entries that are index locations are
opened here and handed to the engine as archive sources, the others are
read as archive files.  This is the one module that knows both.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from dedupe.config import Settings
from dedupe.documents import Document
from dedupe.engine import pipeline
from dedupe.engine.corpus import Progress
from dedupe.engine.parallel import gc_paused
from dedupe.engine.pipeline import ScanInput, finish_scan
from dedupe.findings import ScanResult
from dedupe.index import open_for_query, split_against
from dedupe.readers import ReadOptions
from dedupe.text.split import PunktModel


def prepare(
    paths: Sequence[str] | None,
    settings: Settings,
    *,
    documents: Sequence[Document] | None = None,
    against: Sequence[str] | None = None,
    read_options: ReadOptions | None = None,
    model: PunktModel | None = None,
    progress: Progress | None = None,
    with_signatures: bool = False,
    restatements: bool = False,
) -> ScanInput:
    """Read and analyse drafts and archive (files, directories, index locations): :func:`dedupe.engine.pipeline.prepare`
    with ``against``'s index locations opened as archive sources (closed again before it returns)."""
    index_locs, files = split_against(against)
    indexes = open_for_query(index_locs, settings) if index_locs else []
    try:
        return pipeline.prepare(paths, settings, documents=documents, against=files, sources=indexes,
                                read_options=read_options, model=model, progress=progress,
                                with_signatures=with_signatures, restatements=restatements)
    finally:
        for ix in indexes:
            ix.close()


def scan(
    paths: Sequence[str] | None = None,
    settings: Settings | None = None,
    *,
    documents: Sequence[Document] | None = None,
    against: Sequence[str] | None = None,
    read_options: ReadOptions | None = None,
    model: PunktModel | None = None,
    progress: Progress | None = None,
) -> ScanResult:
    """Find repeated sentences and quotes.

    Args:
        paths: files and directories to read (walked recursively).
        settings: detection settings (defaults if None).
        documents: already-read documents, scanned with ``paths``.
        against: archive files, directories or index locations: their
            sentences are matched against the drafts (``archive-match``) but
            never flagged among themselves.
        read_options: :class:`dedupe.readers.ReadOptions`.
        model: Punkt parameters (default: the shipped news model).
        progress: optional ``progress(stage, done, total)`` callback.

    Unreadable inputs do not stop the scan: they are returned in
    ``result.errors``.
    """
    settings = (settings or Settings()).validate()
    with gc_paused():
        t0 = time.perf_counter()
        p = prepare(paths, settings, documents=documents, against=against, read_options=read_options, model=model,
                    progress=progress, restatements=True)
        timings = {"analyse": time.perf_counter() - t0}
        return finish_scan(p.corpus, settings, timings, progress, p.restatements)
