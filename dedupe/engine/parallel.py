"""Read and analyse many files, in worker processes when it pays.

Reading, splitting, shingling and signing are per document, so they run in
forked workers over chunks of the input.  The cyclic garbage collector is
paused meanwhile (:func:`gc_paused`): the work allocates millions of small
objects freed by reference counting, and full collections find nothing.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import chain, islice
from typing import Any

from dedupe.config import Settings
from dedupe.documents import Document
from dedupe.engine.analyse import analyse_documents
from dedupe.engine.corpus import Corpus, Progress
from dedupe.engine.shipping import ship, shipping_folder, unship
from dedupe.errors import DedupeError, InputError
from dedupe.readers import ReadOptions, read_file
from dedupe.text.split import PunktModel


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector.

    The pipeline allocates millions of small lists and strings and frees them
    by reference counting; the collector's full passes over an ever larger
    heap cost a quarter of the analysis time and find nothing.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@dataclass(frozen=True)
class Task:
    """One worker's share: files to read and analyse, and how."""

    paths: list[str]
    settings: Settings
    read_options: ReadOptions | None
    model: PunktModel | None
    with_signatures: bool
    ship_to: str | None = None  # a worker's result goes back through this folder (dedupe.engine.shipping)


def read_documents(task: Task) -> tuple[list[Document], list[DedupeError]]:
    """The documents of ``task.paths`` and the errors of those that could not be read."""
    docs: list[Document] = []
    errors: list[DedupeError] = []
    for p in task.paths:
        try:
            docs.extend(read_file(p, task.read_options))
        except DedupeError as exc:
            errors.append(exc)
        except Exception as exc:  # a reader bug must not lose the whole run
            errors.append(InputError(f"could not be read: {type(exc).__name__}: {exc}", p))
    return docs, errors


def read_and_analyse(task: Task) -> Corpus:
    """Read ``task.paths`` and analyse them (what a worker process runs); unreadable files become errors."""
    with gc_paused():
        docs, errors = read_documents(task)
        a = analyse_documents(docs, task.settings, task.model, task.with_signatures)
        a.errors = errors
        return a


def _analyse_in_worker(task: Task) -> Any:
    """:func:`read_and_analyse` in a worker process, its corpus shipped through shared memory."""
    return ship(read_and_analyse(task), task.ship_to)


def _chunks(items: list[str], sizes: list[int], n: int) -> list[list[str]]:
    """Split ``items`` into ``n`` contiguous chunks of similar total size."""
    total = sum(sizes) or 1
    out: list[list[str]] = [[]]
    acc = 0
    for item, sz in zip(items, sizes):
        if acc >= total * len(out) / n and len(out) < n:
            out.append([])
        out[-1].append(item)
        acc += sz
    return [c for c in out if c]


_PARALLEL_BYTES = 4_000_000  # below this much text one process is faster than forking workers
_MANY_FILES = 5_000


def auto_jobs(settings: Settings, total_bytes: int) -> int:
    if settings.jobs:
        return min(settings.jobs, os.cpu_count() or 1)  # never more workers than cores (a PR's config asks)
    if total_bytes < _PARALLEL_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def analyse_paths(
    paths: Iterable[str],
    settings: Settings,
    read_options: ReadOptions | None = None,
    model: PunktModel | None = None,
    progress: Progress | None = None,
    with_signatures: bool = True,
    on_chunk: Callable[[Corpus], None] | None = None,
) -> Corpus:
    """Read and analyse files, in parallel when it pays.

    ``paths`` may be a lazy iterable (a directory walk): once it has yielded
    more than a few thousand files the worker processes start on the first
    chunks while the rest is still being found.  ``on_chunk`` is given each
    analysed part as it is done, in order (the corpus returned is their
    concatenation); in this process a file of many articles (an export) is
    analysed :data:`CHUNK_DOCUMENTS` articles at a time for it.
    """
    it = iter(paths)
    head = list(islice(it, _MANY_FILES))
    how = Task([], settings, read_options, model, with_signatures)
    if len(head) >= _MANY_FILES and auto_jobs(settings, _PARALLEL_BYTES) > 1:
        results = _analyse_streamed(head, it, how, progress, on_chunk)
    else:
        head.extend(it)  # one process: the rest of a long walk is read here too (never dropped)
        results = _analyse_listed(head, how, progress, on_chunk)
    return Corpus.concat(results, settings.num_perm)


#: Articles analysed at a time in this process when a caller follows the parts (``on_chunk``).
CHUNK_DOCUMENTS = 2_000


def read_and_analyse_parts(task: Task, on_chunk: Callable[[Corpus], None]) -> list[Corpus]:
    """:func:`read_and_analyse` in parts of at most :data:`CHUNK_DOCUMENTS` articles, each handed to
    ``on_chunk`` as it is done (read errors go with the first part)."""
    with gc_paused():
        docs, errors = read_documents(task)
        parts: list[Corpus] = []
        for k in range(0, max(1, len(docs)), CHUNK_DOCUMENTS):
            a = analyse_documents(docs[k:k + CHUNK_DOCUMENTS], task.settings, task.model, task.with_signatures)
            if not parts:
                a.errors = errors
            parts.append(a)
            on_chunk(a)
        return parts


def worker_pool(jobs: int, initializer: Any = None) -> Any:
    """Worker processes (forked where the platform can: they inherit the loaded engine); each runs
    ``initializer()`` first if given."""
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    return ctx.Pool(jobs, initializer=initializer)


_STREAM_CHUNK = 1500  # files per task when streaming (a few tenths of a second of work)


def _analyse_streamed(head: list[str], rest: Iterator[str], how: Task, progress: Progress | None,
                      on_chunk: Callable[[Corpus], None] | None = None) -> list[Corpus]:
    """Many files: chunks of a fixed number of files go to the workers as the
    walk finds them (balanced by count; no stat per file).  Progress counts
    chunks: done of those submitted so far (the walk is over long before
    the analysis)."""
    submitted = [0]

    def chunks(base: Task) -> Iterator[Task]:
        it = chain(head, rest)
        while True:
            buf = list(islice(it, _STREAM_CHUNK))
            if not buf:
                return
            submitted[0] += 1
            yield replace(base, paths=buf)

    results: list[Corpus] = []
    with shipping_folder() as folder, worker_pool(auto_jobs(how.settings, _PARALLEL_BYTES)) as pool:
        for shipped in pool.imap(_analyse_in_worker, chunks(replace(how, ship_to=folder))):
            res = unship(shipped)
            results.append(res)
            if on_chunk:
                on_chunk(res)
            if progress:
                progress("analyse", len(results), max(len(results), submitted[0]))
    return results


def _analyse_listed(paths: list[str], how: Task, progress: Progress | None,
                    on_chunk: Callable[[Corpus], None] | None = None) -> list[Corpus]:
    sizes: list[int] = []
    for p in paths:
        try:
            sizes.append(os.stat(p).st_size)
        except OSError:
            sizes.append(0)
    jobs = auto_jobs(how.settings, sum(sizes))
    results: list[Corpus] = []
    if jobs > 1 and len(paths) >= 2 * jobs:
        chunks = _chunks(list(paths), sizes, jobs * 4)
        with shipping_folder() as folder, worker_pool(jobs) as pool:
            done = 0
            for shipped in pool.imap(_analyse_in_worker, [replace(how, paths=c, ship_to=folder) for c in chunks]):
                res = unship(shipped)
                results.append(res)
                if on_chunk:
                    on_chunk(res)
                done += 1
                if progress:
                    progress("analyse", done, len(chunks))
    else:
        step = 256
        for k in range(0, len(paths), step):
            task = replace(how, paths=list(paths[k : k + step]))
            if on_chunk:
                results.extend(read_and_analyse_parts(task, on_chunk))
            else:
                results.append(read_and_analyse(task))
            if progress:
                progress("analyse", min(len(paths), k + step), len(paths))
    return results
