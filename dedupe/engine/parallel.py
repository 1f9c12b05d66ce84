"""Read and analyse many files, in worker processes when it pays: the one worker scheduler.

Reading, splitting, shingling and signing are per document, so they run in
forked workers over chunks of the input.  :func:`plan_jobs` decides how many
processes a job gets and :func:`map_parts` runs a function over the parts of a
job in them, in order; the scan (:func:`analyse_paths`) and the archive
index's add (:func:`dedupe.index.prepare.prepared_batches`) both hand it their
parts.  The cyclic garbage collector is
paused meanwhile (:func:`gc_paused`): the work allocates millions of small
objects freed by reference counting, and full collections find nothing.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import chain, islice
from typing import Any, TypeVar

from dedupe.config import Settings
from dedupe.documents import Document
from dedupe.engine import shipping
from dedupe.engine.analyse import analyse_documents
from dedupe.engine.corpus import Corpus, Progress
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
MANY_FILES = 5_000  # from this many files on, workers (and the streamed walk) without a stat per file
#: Files per task when a job is cut by count (a streamed walk, an index add): a few tenths of a second of
#: work.  Larger tasks give the index's writer longer sorted key runs to merge (measured on Reuters: 1,500
#: files per task add 8% faster than 500; 2,400 no faster still).
FILES_PER_TASK = 1500
_STREAM_CHUNK = FILES_PER_TASK

T = TypeVar("T")
R = TypeVar("R")


def plan_jobs(settings: Settings, files: int, total_bytes: int) -> int:
    """How many processes a job of ``files`` inputs and ``total_bytes`` of text gets: ``settings.jobs``
    when set; else one below :data:`_PARALLEL_BYTES` and :data:`MANY_FILES` files (forking costs more
    than it saves), else one per CPU (at most 8).  The one policy of the scan and the index add."""
    if settings.jobs:
        return min(settings.jobs, os.cpu_count() or 1)  # never more workers than cores (a PR's config may ask)
    if files < MANY_FILES and total_bytes < _PARALLEL_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def auto_jobs(settings: Settings, total_bytes: int) -> int:
    """:func:`plan_jobs` of a job known by its size only."""
    return plan_jobs(settings, 0, total_bytes)


def _run_part(arg: tuple[Callable[[Any], Any], Any, str | None]) -> Any:
    """One part in a worker process: ``work(part)``, shipped back through ``folder`` (shared memory)."""
    work, part, folder = arg
    with gc_paused():
        return shipping.ship(work(part), folder)


def map_parts(work: Callable[[T], R], parts: Iterable[T], jobs: int, ahead: int | None = None) -> Iterator[R]:
    """``work(part)`` for every part, the results yielded in the parts' order.

    With ``jobs > 1`` the parts run in that many forked worker processes (:func:`worker_pool`), each
    result shipped back through shared memory (:mod:`dedupe.engine.shipping`); ``work`` must then be
    picklable (a module-level function or a :func:`functools.partial` of one).  At most ``ahead``
    parts (default ``2 * jobs + 1``) are taken from ``parts`` before their results are consumed, so a
    lazy ``parts`` (a directory walk, an export read file by file) is produced while the workers run and
    memory stays bounded.  With one job everything runs here.  The cyclic garbage collector is paused
    during each part (:func:`gc_paused`)."""
    if jobs <= 1:
        for part in parts:
            with gc_paused():
                res = work(part)
            yield res
        return
    window = ahead or 2 * jobs + 1
    with shipping.shipping_folder() as folder, worker_pool(jobs) as pool:
        pending: deque[Any] = deque()
        for part in parts:
            pending.append(pool.apply_async(_run_part, ((work, part, folder),)))
            if len(pending) >= window:
                yield shipping.unship(pending.popleft().get())
        while pending:
            yield shipping.unship(pending.popleft().get())


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
    head = list(islice(it, MANY_FILES))
    how = Task([], settings, read_options, model, with_signatures)
    if len(head) >= MANY_FILES and plan_jobs(settings, len(head), 0) > 1:
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
    jobs = plan_jobs(how.settings, MANY_FILES, 0)
    for res in map_parts(read_and_analyse, chunks(how), jobs, ahead=4 * jobs):
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
    jobs = plan_jobs(how.settings, len(paths), sum(sizes))
    results: list[Corpus] = []
    if jobs > 1 and len(paths) >= 2 * jobs:
        chunks = _chunks(list(paths), sizes, jobs * 4)
        tasks = [replace(how, paths=c) for c in chunks]
        for done, res in enumerate(map_parts(read_and_analyse, tasks, jobs, ahead=len(tasks)), 1):
            results.append(res)
            if on_chunk:
                on_chunk(res)
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
