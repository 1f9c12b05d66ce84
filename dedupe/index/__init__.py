"""Archive index: check drafts against everything already published.

Two backends behind one interface (:class:`~dedupe.index.base.ArchiveIndex`):

* **embedded** (default): a SQLite database under a directory (default
  ``.dedupe/index``, or the ``index`` key of the configuration), no server;
  atomic and crash-safe, one writer and any number of readers at once
  (:mod:`dedupe.index.embedded`);
* **redis**: a ``redis://HOST:PORT/DB`` URL (one server, or any node of a
  Redis Cluster), shared by editors' machines and CI runners; packed,
  delta-coded postings, about 400 bytes of Redis memory per indexed
  sentence (:mod:`dedupe.index.redis`).

Operations: :func:`add_paths` (re-adding a changed article replaces its
sentences; an unchanged one is skipped), :func:`remove`, :func:`rebuild`,
:func:`train_punkt`, plus ``stats()``, ``articles()`` and ``vacuum()`` on
the index object.  Queries: :func:`split_against` picks the index locations
among ``--against`` entries, :func:`open_for_query` opens them, and the scan
(:func:`dedupe.api.prepare`) passes them to the pipeline as archive sources,
whose ``query()`` each backend implements.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from dedupe.config import Settings
from dedupe.errors import ArchiveIndexError, DedupeError
from dedupe.index.base import (  # noqa: F401
    ArchiveIndex,
    IndexBatch,
    Progress,
    article_id,
    check_add_settings,
    prepared_batches,
)

if TYPE_CHECKING:
    from dedupe.documents import Document
    from dedupe.readers import ReadOptions

#: Where :func:`add_paths` gets its batches: ``(settings, punkt model, what the
#: backend's write needs, progress)`` -> batches in input order (the embedded
#: engine's :func:`prepared_batches` by default, :func:`dedupe.index.spark_add.spark_batches`).
BatchSource = Callable[[Settings, Any, frozenset[str], "Progress | None"], Iterable[IndexBatch]]

DEFAULT_LOCATION = os.path.join(".dedupe", "index")


def is_redis_location(location: str) -> bool:
    return location.startswith(("redis://", "rediss://", "unix://"))


def is_index_location(location: str) -> bool:
    """True for a ``redis://`` URL or an existing embedded index."""
    if is_redis_location(location):
        return True
    from dedupe.index.embedded import is_embedded_index

    return is_embedded_index(location)


def open_index(location: str, settings: Settings | None = None, create: bool = False,
               readonly: bool = False) -> ArchiveIndex:
    """Open (or with ``create``, create) the index at ``location``; with ``readonly`` (queries), an
    embedded index is opened without ever writing (a read-only file or folder works).

    Raises :class:`~dedupe.errors.ArchiveIndexError` when it is missing, corrupt or
    unreachable; with ``settings``, also when they do not match the index.
    """
    if is_redis_location(location):
        from dedupe.index.redis import RedisIndex
        from dedupe.safety import remember_secrets

        remember_secrets(location)  # every later message redacts its credentials, whatever quotes them

        ix: ArchiveIndex = RedisIndex(location, create=create)
    else:
        from dedupe.index.embedded import EmbeddedIndex, db_path

        if not create and os.path.exists(location) and not os.path.exists(db_path(location)):
            raise ArchiveIndexError("not an index (no index.sqlite here)", location)
        ix = EmbeddedIndex(location, create=create, readonly=readonly)
    if settings is not None and ix.meta.get("settings"):
        ix.check_query(settings)
    return ix


# -- writing ------------------------------------------------------------------


def add_paths(
    ix: ArchiveIndex,
    paths: Sequence[str],
    settings: Settings,
    read_options: ReadOptions | None = None,
    documents: Sequence[Document] | None = None,
    progress: Progress | None = None,
    train: bool = False,
    batches: BatchSource | None = None,
) -> dict[str, Any]:
    """Add (or replace) articles in one atomic write.

    An article whose stored content is unchanged is skipped; a changed one
    (same id) has its units replaced.  With ``train``, Punkt abbreviations
    are then learnt from the whole archive and everything is re-split with
    them (:func:`train_punkt`).  ``batches``, when given, reads and prepares
    the articles instead of this process's workers (``paths``,
    ``read_options`` and ``documents`` are then its business, e.g. Spark's:
    :func:`dedupe.index.spark_add.spark_batches`).  Returns counts and the
    read errors.
    """
    from dedupe.readers import iter_paths

    errors: list[DedupeError] = []

    def walk() -> Iterator[str]:  # lazy: the workers start on the first files while the walk goes on
        for p in paths:
            if not os.path.exists(p):
                from dedupe.errors import InputError

                errors.append(InputError("no such file or directory", p))
                continue
            yield from iter_paths([p], read_options, on_error=errors.append)  # links out of the tree, FIFOs

    files = walk()
    added = replaced = unchanged = units = 0
    from dedupe.engine.parallel import gc_paused

    with gc_paused(), ix.transaction():
        if ix.meta.get("settings"):
            check_add_settings(ix.meta["settings"], settings, ix.location)
            settings = ix.settings(settings)
        ix.init_settings(settings)
        model = ix.punkt_model()
        pending: list[Any] = []
        mark = ix.add_mark()
        source = (prepared_batches(files, settings, read_options, model, documents, progress, needs=ix.needs)
                  if batches is None else batches(settings, model, ix.needs, progress))
        for batch in source:
            errors.extend(batch.errors)
            if not batch.articles:
                continue
            ids = [a["id"] for a in batch.articles]
            old = ix.existing_hashes(ids)
            again = ix.added_since(ids, mark)  # written earlier in this add: the last one wins
            keep = []
            in_batch: set[str] = set()
            for a in batch.articles:
                h = None if a["id"] in again or a["id"] in in_batch else old.get(a["id"])
                in_batch.add(a["id"])
                if h == a["hash"]:
                    unchanged += 1
                    keep.append(False)
                else:
                    replaced += h is not None
                    added += h is None
                    keep.append(True)
            units += ix.write(batch, keep, pending)
        ix.flush(pending, final=True)
        result: dict[str, Any] = {"added": added, "replaced": replaced, "unchanged": unchanged, "units": units}
        if train:
            result["punkt"] = _train_and_rebuild(ix, settings, progress)
    result["errors"] = errors
    return result


def remove(ix: ArchiveIndex, ids: Sequence[str]) -> list[str]:
    """Remove articles by id (one atomic write); returns the ids not found.

    A record of an export is archived under its record id (``r17``), which is what ``index list``
    shows; the id a scan or check gives it (``archive.jsonl#r17``) is taken for it too."""
    with ix.transaction():
        missing = ix.remove_articles(list(ids))
        retry = {m.rsplit("#", 1)[1]: m for m in missing if "#" in m and m.rsplit("#", 1)[1]}
        if retry:
            still = set(ix.remove_articles(list(retry)))
            missing = [m for m in missing if m not in retry.values() or m.rsplit("#", 1)[1] in still]
    return missing


def _rebuild_inside(ix: ArchiveIndex, settings: Settings, progress: Progress | None) -> int:
    docs = [d for batch in ix.iter_documents() for d in batch]
    from dedupe.index.base import index_settings

    ix.clear_units()
    ix.set_meta(settings=index_settings(settings))
    model = ix.punkt_model()
    pending: list[Any] = []
    units = 0
    for batch in prepared_batches([], settings, None, model, docs, progress, needs=ix.needs):
        units += ix.write(batch, None, pending)
    ix.flush(pending, final=True)
    return units


def rebuild(ix: ArchiveIndex, settings: Settings, progress: Progress | None = None) -> dict[str, int]:
    """Re-split and re-sign every stored article with ``settings`` (atomic)."""
    with ix.transaction():
        units = _rebuild_inside(ix, settings, progress)
        n = ix.stats().articles
    return {"articles": n, "units": units}


def _train_and_rebuild(ix: ArchiveIndex, settings: Settings, progress: Progress | None) -> dict[str, int]:
    from dedupe.text.split import news_model, train_parameters

    if progress:
        progress("train", 0, 1)
    texts = (d.text for batch in ix.iter_documents() for d in batch)
    model = train_parameters(texts, news_model())
    learnt = len(model.abbrev_types - news_model().abbrev_types)
    ix.set_meta(punkt=model.to_json())
    if progress:
        progress("train", 1, 1)
    _rebuild_inside(ix, settings, progress)
    return {"abbreviations": len(model.abbrev_types), "learnt": learnt}


def train_punkt(ix: ArchiveIndex, progress: Progress | None = None) -> dict[str, int]:
    """Learn Punkt abbreviations from the archive, store them, re-split (atomic)."""
    with ix.transaction():
        settings = ix.settings()
        return _train_and_rebuild(ix, settings, progress)


# -- querying (the scan's hook) ---------------------------------------------


def split_against(against: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """``--against`` entries split into index locations and plain paths."""
    idx: list[str] = []
    files: list[str] = []
    for a in against or []:
        (idx if is_index_location(a) else files).append(a)
    return idx, files


def open_for_query(locations: Sequence[str], settings: Settings) -> list[ArchiveIndex]:
    out = []
    try:
        for loc in locations:
            out.append(open_index(loc, settings, readonly=True))
    except BaseException:
        for ix in out:
            ix.close()
        raise
    return out
