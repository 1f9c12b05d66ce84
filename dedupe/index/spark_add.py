"""``dedupe index add --engine spark``: articles read and prepared in Spark partitions.

The executors do what the embedded add's worker processes do
(:func:`dedupe.index.base.prepare_read`: read, split, shingle, sign, band
keys, sorted key segments); the driver receives the batches one partition at
a time, in the embedded add's order (plain files, then each export's
records), and :func:`dedupe.index.add_paths` writes them through the
backend's usual ``write``, so the index, the skipped unchanged articles and
the replaced changed ones are those of an embedded add.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

from dedupe.config import Settings
from dedupe.errors import DedupeError
from dedupe.index import BatchSource
from dedupe.index.prepare import IndexBatch, Progress, empty_batch, prepare_read
from dedupe.readers import ReadOptions


def _as_given(path: str) -> str:
    return path  # the embedded add names articles by the path as walked


def spark_batches(paths: Sequence[str], read_options: ReadOptions | None, master: str | None = None,
                  spark: Any = None, conf: dict[str, str] | None = None) -> BatchSource:
    """A batch source for :func:`dedupe.index.add_paths` running on Spark
    (``master`` with the properties ``conf``, or the session ``spark``); pyspark is imported when it runs."""

    def source(settings: Settings, model: Any, needs: frozenset[str], progress: Progress | None) -> Iterator[IndexBatch]:
        from dedupe.engine.spark import map_documents

        errors: list[DedupeError] = []
        fn = partial(prepare_read, settings=settings, model=model, needs=needs)
        report = (lambda done, total: progress("analyse", done, total)) if progress else None
        yield from map_documents(list(paths), read_options, master, fn, errors=errors, name=_as_given,
                                 progress=report, spark=spark, conf=conf)
        if errors:
            yield empty_batch(settings, errors)

    return source
