"""What every archive index backend shares: preparing articles, settings, querying.

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
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dedupe import kernels
from dedupe.config import Settings
from dedupe.documents import Document, line_starts
from dedupe.engine.match import min_contained
from dedupe.errors import DedupeError, IndexError_, InputError
from dedupe.safety import display_url, printable_name
from dedupe.sketch.lsh import band_keys
from dedupe.sketch.signatures import SCHEME

if TYPE_CHECKING:
    from dedupe.engine.corpus import Corpus

Progress = Callable[[str, int, int], None]

FORMAT_VERSION = 1
_SALT_MUL = np.uint64(0xD6E8FEB86659FD93)  # odd: a bijection of uint64
_SALT_ADD = np.uint64(0x632BE59BD9B4E019)

#: Settings that decide what an index holds; a query must agree on them.
INDEX_KEYS = ("shingle", "ngram", "num_perm", "seed", "hash", "scheme", "bands", "rows", "threshold",
              "min_words", "quotes", "exclude_quotes", "boilerplate")


# -- settings -----------------------------------------------------------------


def index_settings(settings: Settings) -> dict[str, Any]:
    """The settings an index is built with (recorded in the index)."""
    d = dict(settings.signature_settings())
    bands, rows = settings.band_plan()
    d.update(bands=bands, rows=rows, threshold=settings.threshold, min_words=settings.min_words,
             quotes=settings.quotes, exclude_quotes=settings.exclude_quotes,
             boilerplate=list(settings.boilerplate), scheme=SCHEME)
    return d


def settings_from_index(stored: dict[str, Any], base: Settings | None = None) -> Settings:
    """``base`` (defaults) with the index's recorded settings applied."""
    import dataclasses

    base = base or Settings()
    upd: dict[str, Any] = {k: stored[k] for k in ("shingle", "ngram", "num_perm", "seed", "hash", "threshold", "min_words",
                                  "quotes", "exclude_quotes") if k in stored}
    upd["boilerplate"] = tuple(stored.get("boilerplate", ()))
    # keep the index's banding only if it differs from what the threshold would choose
    return dataclasses.replace(base, **upd)


def _fmt(v: Any) -> str:
    return ",".join(v) if isinstance(v, (list, tuple)) else str(v)


def check_query_settings(stored: dict[str, Any], settings: Settings, location: str) -> None:
    """Refuse a query whose settings the index cannot answer."""
    want = index_settings(settings)
    for k in ("shingle", "ngram", "num_perm", "seed", "hash", "scheme"):
        if stored.get(k) != want.get(k):
            raise IndexError_(
                f"index built with {k.replace('_', '-')}={_fmt(stored.get(k))}, query uses {_fmt(want.get(k))}; "
                "rebuild the index (dedupe index rebuild) or use matching settings", location)
    if settings.threshold < stored["threshold"] - 1e-9:
        raise IndexError_(
            f"index built for threshold {stored['threshold']}, query asks {settings.threshold} "
            "(the index would miss pairs); rebuild the index with the lower threshold or raise it", location)
    if settings.min_words < stored["min_words"]:
        raise IndexError_(
            f"index built with min-words={stored['min_words']}, query uses {settings.min_words} "
            "(shorter archived sentences are not indexed); rebuild the index or use matching settings", location)


def check_add_settings(stored: dict[str, Any], settings: Settings, location: str) -> None:
    """Refuse to add with settings that differ from the index's."""
    want = index_settings(settings)
    for k in INDEX_KEYS:
        if k in ("threshold",):
            continue
        if stored.get(k) != want.get(k):
            raise IndexError_(
                f"index built with {k.replace('_', '-')}={_fmt(stored.get(k))}, this command uses "
                f"{_fmt(want.get(k))}; rebuild the index with the new settings (dedupe index rebuild) "
                "or use matching settings", location)


# -- archived documents -----------------------------------------------------


@dataclass
class ArchivedDocument(Document):
    """A document restored from an index: text plus a compact position map.

    ``runs`` maps text offsets to source offsets (piecewise linear, as
    :class:`dedupe.readers.OffsetMap`); ``lstarts`` are the source offsets of
    the lines the text spans, the first being line ``line0``.  Both are
    counted from the start of line ``line0`` (indexes written before
    2026-12-02 count from the start of the file; either reads the same).
    """

    runs: tuple[list[int], list[int]] | None = None
    line0: int = 1
    lstarts: list[int] | None = None

    def source_index(self, offset: int) -> int:
        if self.runs is None:
            return offset
        starts, sources = self.runs
        if not starts:
            return 0
        k = max(0, bisect_right(starts, offset) - 1)
        return sources[k] + (offset - starts[k])

    def line_col(self, source_index: int) -> tuple[int, int]:
        if self.lstarts is None:
            return super().line_col(source_index)
        k = max(0, bisect_right(self.lstarts, source_index) - 1)
        return self.line0 + k, source_index - self.lstarts[k] + 1


def article_id(doc: Document) -> str:
    """The id an article has in an index: the record id for JSON lines and
    Parquet exports (stable across export files), else the normalised path."""
    if doc.format in ("jsonl", "parquet") and doc.id.startswith(doc.path + "#"):
        return doc.id[len(doc.path) + 1:]
    return os.path.normpath(doc.id)


def to_archived(doc: Document, cache: dict[int, list[int]] | None = None) -> ArchivedDocument:
    """A self-contained copy of ``doc`` (no shared source text)."""
    aid = printable_name(article_id(doc))  # names not UTF-8 or with controls: stored escaped, as every output shows them
    common: dict[str, Any] = dict(id=aid, path=printable_name(doc.path), text=doc.text, format=doc.format, title=doc.title,
                  paragraphs_marked=doc.paragraphs_marked, suppressed=list(doc.suppressed))
    so = doc.source_offsets
    if so is None and doc.source_text is None:
        return ArchivedDocument(**common)
    src = doc.source_text if doc.source_text is not None else doc.text
    if cache is not None:
        full = cache.get(id(src))
        if full is None:
            full = cache[id(src)] = line_starts(src)
    else:
        full = line_starts(src)
    if so is None:
        return ArchivedDocument(**common, runs=None, line0=1, lstarts=list(full))
    from dedupe.readers import OffsetMap

    om = so if isinstance(so, OffsetMap) else OffsetMap.from_offsets(so)
    starts, sources = om.runs()
    if not starts:
        return ArchivedDocument(**common, runs=([], []), line0=1, lstarts=[0])
    n = len(so)
    lo = min(sources)
    ends = [s + ((starts[k + 1] if k + 1 < len(starts) else n) - starts[k]) for k, s in enumerate(sources)]
    hi = max(ends)
    a = max(0, bisect_right(full, lo) - 1)
    b = bisect_right(full, hi)
    # positions relative to the first line the article spans: a record of an export keeps the same stored
    # form (and content hash) when an earlier record changes length, so a re-add finds it unchanged
    base = full[a]
    return ArchivedDocument(**common, runs=(starts, [x - base for x in sources]), line0=a + 1,
                            lstarts=[x - base for x in full[a:b]])


def pack_article(doc: ArchivedDocument) -> tuple[bytes, str]:
    """The stored form of an article and its content hash.

    A JSON header (id, path, title, format, position map), a NUL byte, then
    the text as UTF-8: the text is not escaped into JSON, which halves the
    cost of packing.  Not compressed either: deflating every article cost a
    fifth of an ``index add`` for about half the size of the article blobs,
    the smaller part of an index (the key segments are the larger).  Blobs
    of earlier versions (JSON with the text inside, zlib-compressed or not)
    are still read (:func:`unpack_article`)."""
    header = json.dumps({
        "v": FORMAT_VERSION, "id": doc.id, "path": doc.path, "title": doc.title, "format": doc.format,
        "marked": doc.paragraphs_marked, "suppressed": doc.suppressed,
        "runs": doc.runs, "line0": doc.line0, "lstarts": doc.lstarts,
    }, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    payload = header + b"\0" + doc.text.encode("utf-8", "surrogatepass")
    digest = hashlib.blake2b(payload, digest_size=16).hexdigest()
    return payload, digest


def unpack_article(blob: bytes) -> ArchivedDocument:
    if blob[:1] != b"{":  # zlib-compressed JSON: written by dedupe 0.1
        blob = zlib.decompress(blob)
    cut = blob.find(b"\0")  # JSON never holds a raw NUL: header, NUL, text
    if cut >= 0:
        d = json.loads(blob[:cut])
        d["text"] = blob[cut + 1:].decode("utf-8", "surrogatepass")
    else:  # the text inside the JSON (earlier versions)
        d = json.loads(blob)
    runs = d.get("runs")
    return ArchivedDocument(
        id=d["id"], path=d["path"], text=d["text"], format=d.get("format", "txt"), title=d.get("title"),
        paragraphs_marked=d.get("marked", False), suppressed=[tuple(x) for x in d.get("suppressed", [])],
        runs=(runs[0], runs[1]) if runs else None, line0=d.get("line0", 1), lstarts=d.get("lstarts"),
    )


# -- keys ---------------------------------------------------------------------


def sort_keyed(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``keys`` (uint64) and ``rows`` (uint32) sorted by key, then row."""
    fast = kernels.compiled()
    if fast is not None:
        k, r = fast.sort_keyed(np.ascontiguousarray(keys, dtype=np.uint64), np.ascontiguousarray(rows, dtype=np.uint32))
        return np.frombuffer(k, dtype=np.uint64), np.frombuffer(r, dtype=np.uint32)
    order = np.lexsort((rows, keys))
    return keys[order], rows[order]


def merge_keyed(runs: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Runs of ``(keys, rows)``, each sorted by key then row, merged into one."""
    fast = kernels.compiled()
    if fast is not None:
        k, r = fast.merge_keyed([(np.ascontiguousarray(k, dtype=np.uint64), np.ascontiguousarray(u, dtype=np.uint32))
                                 for k, u in runs])
        return np.frombuffer(k, dtype=np.uint64), np.frombuffer(r, dtype=np.uint32)
    if not runs:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint32)
    return sort_keyed(np.concatenate([k for k, _ in runs]), np.concatenate([u for _, u in runs]))


def shingle_keys(fps: np.ndarray) -> np.ndarray:
    """Posting keys of shingle fingerprints (a bijection, kept apart from band keys)."""
    with np.errstate(over="ignore"):
        return fps * _SALT_MUL + _SALT_ADD


# -- preparing articles (runs in worker processes) ---------------------------


@dataclass
class IndexBatch:
    """Analysed articles, ready to be written by a backend."""

    articles: list[dict]  # id, path, title, format, hash, blob, sentences, units, suppressed
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


def prepare(docs: Sequence[ArchivedDocument], settings: Settings, model=None, errors=None,
            needs: frozenset = ALL_NEEDS) -> IndexBatch:
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


def prepare_read(docs: Sequence[Document], settings: Settings, model=None, needs: frozenset = ALL_NEEDS) -> IndexBatch:
    """:func:`prepare` of documents as a reader returned them (one file's, or several files')."""
    cache: dict[int, list[int]] = {}
    return prepare([to_archived(d, cache) for d in docs], settings, model, None, needs)


def _work(args) -> Any:
    """A worker's task: the prepared batch, shipped through ``folder`` when one is given
    (:mod:`dedupe.engine.shipping`)."""
    from dedupe.engine.parallel import gc_paused
    from dedupe.engine.shipping import ship

    *task, folder = args
    with gc_paused():  # as in the scan's workers: millions of small objects, no cycles
        return ship(_work_unpaused(task), folder)


def _work_unpaused(args) -> IndexBatch:
    kind, items, settings, read_options, model, needs = args
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


def _jobs(settings: Settings, work: int) -> int:
    if settings.jobs:
        return min(settings.jobs, os.cpu_count() or 1)  # never more workers than cores
    return 1 if work < _PARALLEL_FILES else max(1, min(os.cpu_count() or 1, 8))


def prepared_batches(
    paths: Iterable[str],
    settings: Settings,
    read_options=None,
    model=None,
    documents: Sequence[Document] | None = None,
    progress: Progress | None = None,
    batch: int = 1000,
    needs: frozenset = ALL_NEEDS,
) -> Iterable[IndexBatch]:
    """Read and analyse articles in parallel (``settings.jobs`` worker
    processes), yielding batches in input order (plain files first, then
    the documents of each ``.jsonl`` file).

    ``paths`` may be a lazy walk: the workers start on the first chunks of
    files while it goes on.  Files holding many articles (``.jsonl``) are
    read here one at a time, after the others, and their documents handed to
    the workers in batches (memory stays bounded by one file); other files
    are read by the workers themselves.
    """
    from collections import deque
    from itertools import chain, islice

    from dedupe.readers import format_for, read_file

    it = iter(paths)
    head = list(islice(it, _PARALLEL_FILES))
    big: list[str] = []
    found = [0]  # files found so far (the total once the walk is over)
    n_docs = len(documents or [])
    many = len(head) >= _PARALLEL_FILES or n_docs >= _PARALLEL_FILES or any(format_for(p) == "jsonl" for p in head)
    jobs = _jobs(settings, 10_000 if many else len(head) + n_docs)
    step = _FILES_PER_TASK
    sizes: deque = deque()  # files per submitted chunk, for progress

    def small_chunks():
        chunk: list[str] = []
        for p in chain(head, it):
            if format_for(p) == "jsonl":
                big.append(p)  # read here, after the plain files
                continue
            found[0] += 1
            chunk.append(p)
            if len(chunk) == step:
                sizes.append(len(chunk))
                yield ("paths", chunk)
                chunk = []
        if chunk:
            sizes.append(len(chunk))
            yield ("paths", chunk)

    def groups():
        if documents:
            docs = [to_archived(d) for d in documents]
            yield [("docs", docs[k:k + batch]) for k in range(0, len(docs), batch)], 0
        yield small_chunks(), 0
        for p in big:
            try:
                cache: dict[int, list[int]] = {}
                docs = [to_archived(d, cache) for d in read_file(p, read_options)]
            except DedupeError as exc:
                yield [("error", exc)], 1
                continue
            yield [("docs", docs[k:k + batch]) for k in range(0, len(docs), batch)], 1

    from contextlib import ExitStack

    from dedupe.engine.shipping import shipping_folder, unship

    pool = None
    done = 0
    folder = None
    stack = ExitStack()
    try:
        if jobs > 1:
            from dedupe.engine.parallel import worker_pool

            folder = stack.enter_context(shipping_folder())
            pool = worker_pool(jobs)
        for items, per_file in groups():
            if isinstance(items, list) and items and items[0][0] == "error":
                done += 1
                if progress:
                    progress("analyse", done, max(done, found[0] + len(big) + n_docs))
                yield empty_batch(settings, [items[0][1]])
                continue
            lazy = not isinstance(items, list)
            use_pool = pool is not None and (lazy or len(items) > 1)
            where = folder if use_pool else None
            args = ((kind, x, settings, read_options, model, needs, where) for kind, x in items)
            results = pool.imap(_work, args) if use_pool and pool is not None else map(_work, args)
            for k, shipped in enumerate(results):
                res = unship(shipped)
                if lazy:
                    done += sizes.popleft()
                elif not per_file:
                    done += len(items[k][1])
                if progress:
                    progress("analyse", done, max(done, found[0] + len(big) + n_docs))
                yield res
            if per_file:
                done += 1
                if progress:
                    progress("analyse", done, max(done, found[0] + len(big) + n_docs))
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        stack.close()


_PARALLEL_FILES = 400  # fewer files (and no .jsonl) are analysed in this process
# Files per worker task. Larger tasks give the writer longer sorted key runs to merge (measured on
# Reuters: 1,500 files per task add 8% faster than 500; 2,400 no faster still).
_FILES_PER_TASK = 1500


# -- querying -----------------------------------------------------------------


def lookup_sorted(segments: Sequence[tuple[np.ndarray, np.ndarray]], q: np.ndarray, cap: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For sorted ``(keys, units)`` segments: every ``(query index, unit)``
    with ``keys == q[i]`` (at most ``cap`` per key and segment, newest first),
    and the total count per query key."""
    qi_parts, u_parts = [], []
    counts = np.zeros(len(q), dtype=np.int64)
    for keys, units in segments:
        lo = np.searchsorted(keys, q, "left")
        hi = np.searchsorted(keys, q, "right")
        cnt = hi - lo
        counts += cnt
        take = np.minimum(cnt, cap)
        tot = int(take.sum())
        if not tot:
            continue
        qi = np.repeat(np.arange(len(q)), take)
        first = np.repeat(hi - take, take)
        pos = first + (np.arange(tot) - np.repeat(np.cumsum(take) - take, take))
        qi_parts.append(qi)
        u_parts.append(units[pos].astype(np.int64))
    if not qi_parts:
        z = np.zeros(0, dtype=np.int64)
        return z, z, counts
    return np.concatenate(qi_parts), np.concatenate(u_parts), counts


@dataclass
class IndexStats:
    location: str
    backend: str
    articles: int
    units: int
    sentences: int
    size_bytes: int
    settings: dict
    punkt: bool
    created: str | None = None
    updated: str | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = {
            "location": display_url(self.location), "backend": self.backend, "articles": self.articles,
            "units": self.units, "sentences": self.sentences, "size_bytes": self.size_bytes,
            "settings": self.settings, "scheme": self.settings.get("scheme"),
            "punkt_trained": self.punkt, "created": self.created, "updated": self.updated,
        }
        d.update(self.extra)
        return d


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


class ArchiveIndex:
    """The interface both backends implement (see :mod:`dedupe.index`)."""

    backend = "?"
    needs = ALL_NEEDS  # what write() reads from prepared batches
    location: str
    meta: dict

    # -- to implement -----------------------------------------------------
    def _candidate_units(self, table, draft_rows: np.ndarray, settings: Settings) -> np.ndarray:
        raise NotImplementedError

    def _fetch(self, unit_ids: np.ndarray, settings: Settings, exclude: set[str]) -> Corpus:
        raise NotImplementedError

    def _set_meta(self, **kv: Any) -> None:
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[Any]:
        """One atomic write: ``with ix.transaction(): ...``."""
        raise NotImplementedError

    def init_settings(self, settings: Settings, punkt: dict | None = None) -> None:
        raise NotImplementedError

    def existing_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        raise NotImplementedError

    def remove_articles(self, ids: Sequence[str]) -> list[str]:
        raise NotImplementedError

    def write(self, batch: IndexBatch, keep: Sequence[bool] | None = None, pending: list | None = None) -> int:
        raise NotImplementedError

    def flush(self, pending: list | None = None, final: bool = False) -> None:
        raise NotImplementedError

    def iter_documents(self, batch: int = 500) -> Iterator[list[ArchivedDocument]]:
        raise NotImplementedError

    def clear_units(self) -> None:
        raise NotImplementedError

    def stats(self) -> IndexStats:
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - trivial
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- shared -------------------------------------------------------------
    @property
    def stored_settings(self) -> dict:
        s = self.meta.get("settings")
        if not s:
            raise IndexError_("index is empty (no settings recorded yet); add articles first", self.location)
        return s

    def settings(self, base: Settings | None = None) -> Settings:
        return settings_from_index(self.stored_settings, base)

    def punkt_model(self):
        data = self.meta.get("punkt")
        if not data:
            return None
        from dedupe.text.split import PunktModel

        return PunktModel.from_json(data)

    def check_query(self, settings: Settings) -> None:
        check_query_settings(self.stored_settings, settings, self.location)

    def query(self, table, draft_docs: Sequence[Document], settings: Settings, draft_mask: np.ndarray | None = None):
        """Candidate archived units for the draft units of ``table``.

        Returns a :class:`~dedupe.engine.corpus.Corpus` of the archived articles
        holding candidates (its unit table holds only the candidates).
        """
        from dedupe.engine.corpus import Corpus

        self.check_query(settings)
        rows = np.arange(len(table)) if draft_mask is None else np.flatnonzero(draft_mask)
        if len(rows) == 0 or not self.meta.get("settings"):
            return Corpus.empty(settings.num_perm)
        ids = self._candidate_units(table, rows, settings)
        if len(ids) == 0:
            return Corpus.empty(settings.num_perm)
        own = {article_id(d) for d in draft_docs}
        return self._fetch(np.unique(ids), settings, own)

    def containment_pairs(self, table, rows: np.ndarray, settings: Settings, lookup) -> np.ndarray:
        """Archived units sharing enough shingles with a draft unit to reach
        the containment threshold: every shingle of each draft unit whose
        posting list is at most ``max_posting`` long is probed, and units with
        at least ``ceil(containment * min_contained)`` hits are kept (at most
        50 per draft unit, most hits first)."""
        if settings.containment <= 0:
            return np.zeros(0, dtype=np.int64)
        offs = table.offsets
        sizes = np.diff(offs)[rows]
        idx = np.concatenate([np.arange(offs[r], offs[r + 1]) for r in rows]) if len(rows) else np.zeros(0, np.int64)
        owner = np.repeat(np.arange(len(rows)), sizes)
        q = shingle_keys(table.fps[idx])
        qi, units, counts = lookup(q, settings.max_posting)
        if not len(qi):
            return np.zeros(0, dtype=np.int64)
        ok = counts[qi] <= settings.max_posting
        qi, units = qi[ok], units[ok]
        need = max(2, math.ceil(settings.containment * min_contained(settings) - 1e-9))
        d = owner[qi]
        code = d * (np.int64(1) << 32) + units
        uc, hits = np.unique(code, return_counts=True)
        keep = hits >= need
        uc, hits = uc[keep], hits[keep]
        if not len(uc):
            return np.zeros(0, dtype=np.int64)
        du = uc >> 32
        order = np.lexsort((-hits, du))
        uc, du = uc[order], du[order]
        first = np.concatenate(([True], du[1:] != du[:-1]))
        rank = np.arange(len(du)) - np.maximum.accumulate(np.where(first, np.arange(len(du)), 0))
        return (uc[rank < 50] & 0xFFFFFFFF).astype(np.int64)


def build_archive_table(docs_rows: list, unit_rows: list, settings: Settings, stored_sigs: list | None = None):
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
