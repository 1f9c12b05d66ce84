"""The ``json`` format: the documented machine schema of a scan (``version`` 1).

Written as it is produced (:func:`iter_json`): one cluster, document or roll-up entry at a time, so a
large result is never held as one string (nor as one dict of dicts) besides the result itself.

On a result of many clusters the second part of the clusters and the roll-up are encoded by a forked
child process on the other core while this one encodes the documents and the first clusters
(:func:`_forked`, when :func:`dedupe.engine.forked.may_fork`); the child's text is the same text this process would have written, and whenever the
child cannot be started or fails, that part is encoded here instead.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import accumulate, chain
from typing import Any

from dedupe.engine.forked import may_fork
from dedupe.engine.forked import reap as reap_child
from dedupe.findings import Cluster, ScanResult

#: Chunks of about this many characters are handed to the writer.
CHUNK_CHARS = 1 << 20

# Compact: json's C encoder only runs without indentation (10x faster on a large corpus); pipe through
# `jq` to read it.  The separators are json.dumps' defaults, so the stream equals
# ``json.dumps(result.to_dict(), ensure_ascii=False)`` byte for byte.
_dumps = json.JSONEncoder(ensure_ascii=False).encode


#: Entries encoded by one call of the encoder (one call per entry costs more than the encoding of a small one).
BATCH = 256

#: From this many clusters on, part of the encoding runs in a forked child process (below, forking and
#: reading the child's text back cost more than they save).
FORK_MIN_CLUSTERS = 1_000
#: The share of the clusters' encoding (by members and pairs) done here: this process also encodes the
#: documents and the summary, the child the roll-up.
HERE_SHARE = 0.6


def _items(items: Iterable[Any], to_dict: Callable[[Any], Any], sep: str = "") -> Iterator[str]:
    """The entries of a JSON list, without its brackets; ``sep`` goes before the first one."""
    batch: list[Any] = []
    for it in items:
        batch.append(to_dict(it))
        if len(batch) >= BATCH:
            yield sep + _dumps(batch)[1:-1]  # a list's items are written with the separator between them
            sep, batch = ", ", []
    if batch:
        yield sep + _dumps(batch)[1:-1]


def _array(items: Iterable[Any], to_dict: Callable[[Any], Any]) -> Iterator[str]:
    yield "["
    yield from _items(items, to_dict)
    yield "]"


def _forked(parts: Callable[[], Iterable[str]]) -> tuple[Callable[[], Iterator[str]], Callable[[], None]]:
    """Start encoding ``parts()`` in a forked child process; returns ``(collect, abandon)``.

    ``collect()`` waits for the child and yields its text (or, when the child could not be started or
    failed, encodes ``parts()`` here); ``abandon()`` stops and reaps a child not collected."""
    here = (lambda: iter(parts())), (lambda: None)
    if not may_fork():
        return here
    try:
        fh = tempfile.TemporaryFile()
    except OSError:
        return here
    try:
        pid = os.fork()
    except OSError:
        fh.close()
        return here
    if pid == 0:  # the child: encode, write, and leave at once (no exit handlers, no buffers of the parent)
        code = 1
        try:
            for s in parts():
                fh.write(s.encode("utf-8", "surrogatepass"))
            fh.flush()
            code = 0
        finally:
            os._exit(code)
    state = {"pid": pid}

    def reap(kill: bool) -> bool:
        child = state.pop("pid", None)
        if child is None:
            return False
        return reap_child(child, kill)

    def collect() -> Iterator[str]:
        try:
            ok = reap(False)
            text = None
            if ok:
                fh.seek(0)
                text = fh.read().decode("utf-8", "surrogatepass")
        finally:
            fh.close()
        if text is not None:
            yield text
        else:
            yield from parts()

    def abandon() -> None:
        reap(True)
        fh.close()

    return collect, abandon


def _split(clusters: Sequence[Cluster]) -> int:
    """How many of ``clusters`` this process encodes when the rest goes to a child (0: no child)."""
    if len(clusters) < FORK_MIN_CLUSTERS:
        return 0
    cost = list(accumulate(len(c.members) + len(c.pairs) for c in clusters))
    goal = cost[-1] * HERE_SHARE
    k = next((i for i, w in enumerate(cost) if w >= goal), len(clusters) - 1) + 1
    return min(max(k, 1), len(clusters) - 1)


def _parts(result: ScanResult) -> Iterator[str]:
    clusters = result.clusters
    k = _split(clusters)

    def later() -> Iterator[str]:  # the clusters from k on, and the roll-up
        return chain(_items(clusters[k:], Cluster.to_dict, ", " if k else ""), ['], "overlaps": '],
                     _array(result.overlaps, lambda o: o.to_dict()))

    collect, abandon = _forked(later) if k else ((lambda: later()), (lambda: None))
    try:
        yield '{"version": 1, "documents": '
        yield from _array(result.documents, lambda d: d.to_dict())
        yield ', "clusters": ['
        yield from _items(clusters[:k], Cluster.to_dict)
        yield from collect()
    finally:
        abandon()
    yield ', "summary": ' + _dumps(result.summary())
    yield ', "errors": ' + _dumps([str(e) for e in result.errors])
    yield ', "warnings": ' + _dumps([str(w) for w in result.warnings])
    yield ', "notes": ' + _dumps(list(result.notes)) + "}\n"


def iter_json(result: ScanResult) -> Iterator[str]:
    """The JSON document of ``result`` in chunks of about :data:`CHUNK_CHARS` characters."""
    buf: list[str] = []
    size = 0
    for part in _parts(result):
        buf.append(part)
        size += len(part)
        if size >= CHUNK_CHARS:
            yield "".join(buf)
            buf, size = [], 0
    if buf:
        yield "".join(buf)


def render_json(result: ScanResult) -> str:
    return "".join(iter_json(result))
