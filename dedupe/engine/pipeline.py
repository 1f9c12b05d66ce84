"""The scan pipeline: documents in, clusters of repeated text out.

    read documents  ->  units (sentences, quotes) with offsets   [units]
                    ->  shingle fingerprints, MinHash signatures  [shingles, signatures]
                    ->  candidates: LSH bands + containment index [lsh, containment]
                    ->  exact verification                        [verify]
                    ->  clusters, fingerprints, roll-ups           [this module]

Reading, splitting, shingling and signing are per document, so they run in
worker processes (``Settings.jobs``) over chunks of the input; everything
after works on whole-run numpy arrays in the main process.  Units whose
shingle sets are identical are collapsed into one *form* first, so the
thousands of verbatim repeats of a large corpus cost one comparison each.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from contextlib import contextmanager
from itertools import chain, islice
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from dedupe import kernels as native
from dedupe.config import Settings
from dedupe.sketch.containment import containment_candidates, element_frequencies, shared_counts
from dedupe.documents import Document
from dedupe.errors import DedupeError, InputError
from dedupe.findings import Cluster, DocumentInfo, Member, Overlap, Pair, ScanResult, cluster_fingerprint
from dedupe.sketch.lsh import candidate_pairs
from dedupe.sketch.shingles import WordHasher, batch_char_shingles, batch_word_shingles, char_shingles, sha1_hash32, word_shingles
from dedupe.sketch.signatures import signatures
from dedupe.text.split import NewsPunkt, PunktModel
from dedupe.text.units import QUOTE, SENTENCE, DocumentUnits, extract_units
from dedupe.sketch.verify import verify_pairs

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; called from the thread running the scan."""

_M64a = np.uint64(0xFF51AFD7ED558CCD)
_M64b = np.uint64(0xC4CEB9FE1A85EC53)


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h.copy()
    with np.errstate(over="ignore"):
        h ^= h >> np.uint64(33)
        h *= _M64a
        h ^= h >> np.uint64(33)
        h *= _M64b
        h ^= h >> np.uint64(33)
    return h


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
    def empty(cls, num_perm: int) -> "UnitTable":
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
        return _subset_csr(self.fps, self.offsets, rows)


    @staticmethod
    def concat(tables: Sequence["UnitTable"], doc_shifts: Sequence[int], num_perm: int) -> "UnitTable":
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


def ensure_signatures(table: UnitTable, settings: Settings) -> UnitTable:
    """``table`` with every unit's MinHash signature computed (words64 hashes)."""
    if table.has_signatures:
        return table
    table.sigs = signatures((table.fps >> np.uint64(32)).astype(np.uint32), table.offsets, settings.num_perm, settings.seed)
    return table


@dataclass
class DocCounts:
    sentences: int  # every sentence
    units: int  # eligible units compared (sentences and quotes)
    suppressed: int  # units switched off inline
    sentence_units: int = -1  # eligible sentences (-1: unknown, use units)

    @property
    def eligible_sentences(self) -> int:
        return self.units if self.sentence_units < 0 else self.sentence_units


@dataclass
class Analysis:
    """The per-document half of the pipeline for a batch of documents."""

    documents: list[Document]
    counts: list[DocCounts]
    table: UnitTable
    errors: list[DedupeError] = field(default_factory=list)


def _dedupe_sorted(fp: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct fingerprints per unit, sorted within each unit (CSR in, CSR out).

    A stable sort by fingerprint, then a stable sort by unit, puts each
    unit's fingerprints in ascending order (as the compiled
    ``shingle_units`` does); equal ones end up adjacent and are dropped.
    """
    n = len(offsets) - 1
    sizes = np.diff(offsets)
    unit_of = np.repeat(np.arange(n, dtype=np.int64), sizes)
    order = np.argsort(fp, kind="stable")
    order = order[np.argsort(unit_of[order], kind="stable")]
    f = fp[order]
    u = unit_of[order]
    keep = np.ones(len(f), dtype=bool)
    if len(f) > 1:
        keep[1:] = (f[1:] != f[:-1]) | (u[1:] != u[:-1])
    f = f[keep]
    u = u[keep]
    counts = np.bincount(u, minlength=n)
    out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return f, out


def _set_keys(fps: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """A key per set, equal for equal sets: the sum of mixed fingerprints plus
    the size (mod 2**64).  Every set is non-empty."""
    sizes = np.diff(offsets)
    mixed = _fmix64(fps)
    with np.errstate(over="ignore"):
        return np.add.reduceat(mixed, offsets[:-1]) + sizes.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)


_HASHER = WordHasher()
_TOKENIZERS: dict[PunktModel | None, NewsPunkt] = {}


def _tokenizer(model: PunktModel | None) -> NewsPunkt:
    """One tokenizer per model and process, so its decision cache is reused."""
    tok = _TOKENIZERS.get(model)
    if tok is None:
        tok = _TOKENIZERS[model] = NewsPunkt(model)
    return tok


def analyse_documents(
    docs: Sequence[Document],
    settings: Settings,
    model: PunktModel | None = None,
    with_signatures: bool = True,
) -> Analysis:
    """Units, shingles and signatures of ``docs`` (the parallelisable half).

    With ``with_signatures=False`` (and ``hash="words64"``) the signatures
    are left out (an empty ``(n, 0)`` array): a scan computes them later, in
    one pass, only for the units that can match anything at all.
    """
    tokenizer = _tokenizer(model)
    counts: list[DocCounts] = []
    kinds: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    docix: list[int] = []
    units: list[DocumentUnits] = []
    srcs: list[str] = []
    src_starts: list[int] = []
    src_ends: list[int] = []
    for i, doc in enumerate(docs):
        du = extract_units(doc, settings, tokenizer)
        counts.append(DocCounts(du.sentences, len(du.kinds), du.suppressed, du.kinds.count(SENTENCE)))
        kinds.extend(du.kinds)
        starts.extend(du.starts)
        ends.extend(du.ends)
        docix.extend([i] * len(du.kinds))
        src, src_s, src_e = du.sources()
        srcs.extend(src)
        src_starts.extend(src_s)
        src_ends.extend(src_e)
        units.append(du)
    n = len(kinds)
    if n == 0:
        return Analysis(list(docs), counts, UnitTable.empty(settings.num_perm))
    fast = native.speedups
    token_lists: list[list[str]] | None = None

    def all_tokens() -> list[list[str]]:
        out: list[list[str]] = []
        for du in units:
            out.extend(du.tokens if du.tokens else (du.unit_tokens(k) for k in range(len(du.kinds))))
        return out

    if settings.shingle == "word" and fast is not None:
        raw_fp, raw_off, raw_key = fast.shingle_units(srcs, np.array(src_starts, dtype=np.int64),
                                                      np.array(src_ends, dtype=np.int64), settings.ngram)
        fps = np.frombuffer(raw_fp, dtype=np.uint64)
        uoff = np.frombuffer(raw_off, dtype=np.int64)
        setkey = np.frombuffer(raw_key, dtype=np.uint64)
    else:
        token_lists = all_tokens()
        if settings.shingle == "word":
            fp, off = batch_word_shingles(token_lists, settings.ngram, _HASHER)
        else:
            fp, off = batch_char_shingles([" ".join(t) for t in token_lists], settings.ngram)
        fps, uoff = _dedupe_sorted(fp, off)
        setkey = _set_keys(fps, uoff)
    if settings.hash == "sha1":
        if token_lists is None:
            token_lists = all_tokens()
        h32: list[int] = []
        hoff = [0]
        for toks in token_lists:
            if settings.shingle == "word":
                sh = word_shingles(toks, settings.ngram)
            else:
                sh = char_shingles(" ".join(toks), settings.ngram)
            h32.extend(sha1_hash32(s.encode("utf-8")) for s in sh)
            hoff.append(len(h32))
        sigs = signatures(np.array(h32, dtype=np.uint32), np.array(hoff, dtype=np.int64), settings.num_perm, settings.seed)
    elif with_signatures:
        sigs = signatures((fps >> np.uint64(32)).astype(np.uint32), uoff, settings.num_perm, settings.seed)
    else:
        sigs = np.zeros((n, 0), dtype=np.uint32)
    table = UnitTable(
        doc=np.array(docix, dtype=np.int64),
        kind=np.array(kinds, dtype=np.int8),
        start=np.array(starts, dtype=np.int64),
        end=np.array(ends, dtype=np.int64),
        offsets=uoff,
        fps=fps,
        sigs=sigs,
        setkey=setkey,
    )
    return Analysis(list(docs), counts, table)


@contextmanager
def _gc_paused():
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


# -- worker processes ---------------------------------------------------------


def _read_and_analyse(args) -> Analysis:
    with _gc_paused():
        return _read_and_analyse_unpaused(args)


def _read_and_analyse_unpaused(args) -> Analysis:
    paths, settings, read_options, model, with_signatures = args
    from dedupe.readers import read_file

    docs: list[Document] = []
    errors: list[DedupeError] = []
    for p in paths:
        try:
            docs.extend(read_file(p, read_options))
        except DedupeError as exc:
            errors.append(exc)
        except Exception as exc:  # a reader bug must not lose the whole run
            errors.append(InputError(f"could not be read: {type(exc).__name__}: {exc}", p))
    a = analyse_documents(docs, settings, model, with_signatures)
    a.errors = errors
    return a


def _chunks(items: list, sizes: list[int], n: int) -> list[list]:
    """Split ``items`` into ``n`` contiguous chunks of similar total size."""
    total = sum(sizes) or 1
    out: list[list] = [[]]
    acc = 0
    for item, sz in zip(items, sizes):
        if acc >= total * len(out) / n and len(out) < n:
            out.append([])
        out[-1].append(item)
        acc += sz
    return [c for c in out if c]


_PARALLEL_BYTES = 4_000_000  # below this much text one process is faster than forking workers
_MANY_FILES = 5_000


def _auto_jobs(settings: Settings, total_bytes: int) -> int:
    if settings.jobs:
        return settings.jobs
    if total_bytes < _PARALLEL_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def analyse_paths(
    paths: Iterable[str],
    settings: Settings,
    read_options=None,
    model: PunktModel | None = None,
    progress: Progress | None = None,
    with_signatures: bool = True,
) -> tuple[list[Document], list[DocCounts], UnitTable, list[DedupeError]]:
    """Read and analyse files, in parallel when it pays.

    ``paths`` may be a lazy iterable (a directory walk): once it has yielded
    more than a few thousand files the worker processes start on the first
    chunks while the rest is still being found.
    """
    it = iter(paths)
    head = list(islice(it, _MANY_FILES))
    if len(head) >= _MANY_FILES and _auto_jobs(settings, _PARALLEL_BYTES) > 1:
        results = _analyse_streamed(head, it, settings, read_options, model, progress, with_signatures)
    else:
        results = _analyse_listed(head, settings, read_options, model, progress, with_signatures)
    docs: list[Document] = []
    counts: list[DocCounts] = []
    errors: list[DedupeError] = []
    shifts = []
    for r in results:
        shifts.append(len(docs))
        docs.extend(r.documents)
        counts.extend(r.counts)
        errors.extend(r.errors)
    table = UnitTable.concat([r.table for r in results], shifts, settings.num_perm)
    return docs, counts, table, errors


def _pool(jobs: int):
    """Worker processes (forked where the platform can: they inherit the loaded engine)."""
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    return ctx.Pool(jobs)


_STREAM_CHUNK = 1500  # files per task when streaming (a few tenths of a second of work)


def _analyse_streamed(head, rest, settings, read_options, model, progress, with_signatures) -> list[Analysis]:
    """Many files: chunks of a fixed number of files go to the workers as the
    walk finds them (balanced by count; no stat per file).  Progress counts
    chunks: done of those submitted so far (the walk is over long before
    the analysis)."""
    submitted = [0]

    def chunks():
        it = chain(head, rest)
        while True:
            buf = list(islice(it, _STREAM_CHUNK))
            if not buf:
                return
            submitted[0] += 1
            yield (buf, settings, read_options, model, with_signatures)

    results: list[Analysis] = []
    with _pool(_auto_jobs(settings, _PARALLEL_BYTES)) as pool:
        for res in pool.imap(_read_and_analyse, chunks()):
            results.append(res)
            if progress:
                progress("analyse", len(results), max(len(results), submitted[0]))
    return results


def _analyse_listed(paths, settings, read_options, model, progress, with_signatures) -> list[Analysis]:
    sizes = []
    for p in paths:
        try:
            sizes.append(os.stat(p).st_size)
        except OSError:
            sizes.append(0)
    jobs = _auto_jobs(settings, sum(sizes))
    results: list[Analysis] = []
    if jobs > 1 and len(paths) >= 2 * jobs:
        chunks = _chunks(list(paths), sizes, jobs * 4)
        with _pool(jobs) as pool:
            done = 0
            for res in pool.imap(_read_and_analyse, [(c, settings, read_options, model, with_signatures) for c in chunks]):
                results.append(res)
                done += 1
                if progress:
                    progress("analyse", done, len(chunks))
    else:
        step = 256
        for k in range(0, len(paths), step):
            results.append(_read_and_analyse((list(paths[k : k + step]), settings, read_options, model, with_signatures)))
            if progress:
                progress("analyse", min(len(paths), k + step), len(paths))
    return results


# -- matching -----------------------------------------------------------------


@dataclass
class Matches:
    """Verified links between units: forms and form pairs."""

    form_of: np.ndarray  # form index of each unit
    pairs: list  # VerifiedPair over forms
    candidates: int
    bands: int
    rows: int


def match_units(table: UnitTable, settings: Settings, progress: Progress | None = None) -> Matches:
    """Collapse identical units into forms, find and verify candidate form pairs.

    Before any MinHash work, an exact filter: a form can only reach Jaccard
    ``t`` with another if at least ``t * |A|`` of its shingles occur in some
    other form (``|A & B| >= J * |A|``), and only be part of a containment
    pair if at least ``c * min_size`` do.  Forms below that cannot match
    anything, so only the others are signed, banded and indexed.
    """
    n = len(table)
    bands, rows = settings.band_plan()
    if n == 0:
        return Matches(np.zeros(0, dtype=np.int64), [], 0, bands, rows)
    key = table.setkey ^ (table.kind.astype(np.uint64) * np.uint64(0xA24BAED4963EE407))
    _, rep, form_of = np.unique(key, return_index=True, return_inverse=True)
    form_of = form_of.reshape(-1)
    ffps, foff = table.set_fps(rep)
    fkind = table.kind[rep]
    sizes = np.diff(foff)
    min_contained = max(1, settings.min_words - settings.ngram + 1) if settings.shingle == "word" else 1
    # how many forms hold each shingle (each form's shingles are distinct)
    order = np.argsort(ffps) if native.speedups is None else None  # the pure-Python path sorts once, for both
    freq = element_frequencies(ffps, order)
    n_shared = shared_counts(freq, foff)
    has_shared = n_shared > 0
    # Jaccard candidates (LSH): only forms with enough shingles found elsewhere
    jlive = np.flatnonzero(has_shared & (n_shared >= np.ceil(settings.threshold * sizes - 1e-9)))
    if progress:
        progress("candidates", 0, 1)
    # Containment candidates (exact prefix filter) in a second thread: the
    # compiled version releases the GIL, so it runs beside the LSH below.
    contained: list = []
    worker = None
    if settings.containment > 0:
        def contain() -> None:
            try:
                contained.append(containment_candidates(ffps, foff, settings.containment, settings.max_posting,
                                                        order=order, freq=freq))
            except BaseException as exc:  # re-raised in the calling thread
                contained.append(exc)

        if native.speedups is not None and len(ffps) > 200_000:
            worker = threading.Thread(target=contain, name="dedupe-containment")
            worker.start()
        else:
            contain()
    jfps, joff = _subset_csr(ffps, foff, jlive)
    if table.has_signatures and table.sigs.shape[1]:
        jsigs = table.sigs[rep[jlive]]
    else:
        jsigs = signatures((jfps >> np.uint64(32)).astype(np.uint32), joff, settings.num_perm, settings.seed)
    cand = [jlive[candidate_pairs(jsigs, bands, rows, settings.max_bucket)]]
    if worker is not None:
        worker.join()
    for c in contained:
        if isinstance(c, BaseException):
            raise c
        cand.append(c)
    pairs = np.concatenate(cand) if len(cand) > 1 else cand[0]
    if len(cand) > 1 and len(pairs):
        nf = len(rep)
        code = np.unique(pairs[:, 0] * nf + pairs[:, 1])
        pairs = np.stack((code // nf, code % nf), axis=1)
    if len(pairs):
        pairs = pairs[fkind[pairs[:, 0]] == fkind[pairs[:, 1]]]
    if progress:
        progress("verify", 0, 1)
    verified = verify_pairs(pairs, ffps, foff, settings.threshold, settings.containment, min_contained)
    return Matches(form_of, verified, len(pairs), bands, rows)


def _subset_csr(fps: np.ndarray, offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fast = native.speedups
    if fast is not None:
        raw_v, raw_o = fast.csr_take(np.ascontiguousarray(fps, dtype=np.uint64),
                                     np.ascontiguousarray(offsets, dtype=np.int64),
                                     np.ascontiguousarray(rows, dtype=np.int64))
        return np.frombuffer(raw_v, dtype=np.uint64), np.frombuffer(raw_o, dtype=np.int64)
    sizes = np.diff(offsets)[rows]
    off = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(sizes, out=off[1:])
    gather = np.repeat(offsets[:-1][rows] - off[:-1], sizes) + np.arange(int(off[-1]))
    return fps[gather], off


# -- clusters -----------------------------------------------------------------


def _components(n: int, edges: Iterable[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(i) for i in range(n)]


def build_clusters(
    docs: Sequence[Document],
    table: UnitTable,
    matches: Matches,
    settings: Settings,
    archive: Sequence[bool] | None = None,
) -> list[Cluster]:
    """Group linked units into clusters with members, pairs and fingerprints."""
    n_forms = int(matches.form_of.max()) + 1 if len(matches.form_of) else 0
    if n_forms == 0:
        return []
    archive = archive or [False] * len(docs)
    comp = _components(n_forms, ((p.a, p.b) for p in matches.pairs))
    comp_arr = np.array(comp, dtype=np.int64)
    unit_comp = comp_arr[matches.form_of]
    # only components with at least two units can be clusters
    multi = np.flatnonzero(np.bincount(unit_comp, minlength=n_forms)[unit_comp] >= 2)
    order = multi[np.lexsort((table.start[multi], table.doc[multi], unit_comp[multi]))]
    uc = unit_comp[order]
    bounds = (np.flatnonzero(np.diff(uc)) + 1).tolist()
    order_list = order.tolist()
    groups = [order_list[a:b] for a, b in zip([0] + bounds, bounds + [len(order_list)])] if order_list else []
    # plain lists of the columns involved: cheaper than indexing numpy per group
    col_doc = dict(zip(order_list, table.doc[order].tolist()))
    col_start = dict(zip(order_list, table.start[order].tolist()))
    col_end = dict(zip(order_list, table.end[order].tolist()))
    col_kind = dict(zip(order_list, table.kind[order].tolist()))
    col_form = dict(zip(order_list, matches.form_of[order].tolist()))
    pairs_by_comp: dict[int, list] = {}
    for p in matches.pairs:
        pairs_by_comp.setdefault(comp[p.a], []).append(p)
    clusters: list[Cluster] = []
    cthr = settings.containment or 2.0
    for g in groups:
        if len(g) < 2:
            continue
        units = g
        udocs = [col_doc[u] for u in g]
        ustarts = [col_start[u] for u in g]
        uends = [col_end[u] for u in g]
        # drop a unit that overlaps another in the same document (nested quotes)
        keep = []
        for k in range(len(units)):
            if keep and udocs[keep[-1]] == udocs[k] and ustarts[k] < uends[keep[-1]]:
                continue
            keep.append(k)
        if len(keep) < 2:
            continue
        arch = [archive[udocs[k]] for k in keep]
        if all(arch):
            continue  # repeats inside the archive are not the draft's problem
        kind_code = col_kind[units[0]]
        member_docs = {udocs[k] for k in keep}
        if kind_code == QUOTE:
            kind = "repeated-quote"
        elif any(arch):
            kind = "archive-match"
        elif len(member_docs) > 1:
            kind = "cross-article"
        else:
            kind = "repeated-sentence"
        if kind not in settings.kinds:
            continue
        members: list[Member] = []
        first_of_form: dict[int, int] = {}
        cluster_pairs: list[Pair] = []
        for k in keep:
            u = units[k]
            d = docs[udocs[k]]
            s, e = ustarts[k], uends[k]
            line, col, eline, ecol = d.location(s, e)
            idx = len(members)
            members.append(
                Member(doc=d.id, path=d.path, start=s, end=e, line=line, column=col, end_line=eline,
                       end_column=ecol, text=d.text[s:e], unit="quote" if kind_code == QUOTE else "sentence",
                       title=d.title, archive=archive[udocs[k]])
            )
            f = col_form[u]
            if f in first_of_form:
                cluster_pairs.append(Pair(first_of_form[f], idx, 1.0, 1.0, 1.0))
            else:
                first_of_form[f] = idx
        for p in pairs_by_comp.get(comp[col_form[units[keep[0]]]], []):
            ia, ib = first_of_form.get(p.a), first_of_form.get(p.b)
            if ia is not None and ib is not None:
                sim = p.jaccard if p.jaccard >= settings.threshold or p.containment < cthr else p.containment
                cluster_pairs.append(Pair(min(ia, ib), max(ia, ib), p.jaccard, p.containment, sim))
        if not cluster_pairs:
            continue
        cluster_pairs.sort(key=lambda p: (p.a, p.b))
        clusters.append(
            Cluster(
                id="",
                kind=kind,
                members=members,
                pairs=cluster_pairs,
                similarity=min(p.similarity for p in cluster_pairs),
                jaccard=min(p.jaccard for p in cluster_pairs),
                containment=min(p.containment for p in cluster_pairs),
                fingerprint=cluster_fingerprint(kind, members),
            )
        )
    doc_pos = {d.id: i for i, d in enumerate(docs)}
    clusters.sort(key=lambda c: (doc_pos[c.members[0].doc], c.members[0].start, c.kind))
    for i, c in enumerate(clusters, 1):
        c.id = f"C{i}"
    return clusters


def build_overlaps(docs: Sequence[Document], counts: Sequence[DocCounts], clusters: Sequence[Cluster],
                   archive: Sequence[bool]) -> list[Overlap]:
    """Per article, which other articles it shares sentences with, and how much."""
    info = {d.id: (c, a, d.title) for d, c, a in zip(docs, counts, archive)}
    shared: dict[tuple[str, str], set] = {}
    cl: dict[tuple[str, str], list[str]] = {}
    for c in clusters:
        if c.kind not in ("cross-article", "archive-match"):
            continue
        docs_in = c.documents
        for m in c.members:
            for other in docs_in:
                if other == m.doc:
                    continue
                key = (m.doc, other)
                shared.setdefault(key, set()).add(m.start)
                lst = cl.setdefault(key, [])
                if not lst or lst[-1] != c.id:
                    lst.append(c.id)
    out = []
    for (doc, other), starts in shared.items():
        counts_d, is_archive, _ = info[doc]
        if is_archive:
            continue  # the roll-up speaks for the drafts
        sentence_units = counts_d.eligible_sentences
        back = shared.get((other, doc), set())
        other_units = info[other][0].eligible_sentences
        out.append(Overlap(doc, other, len(starts), max(sentence_units, len(starts)), cl[(doc, other)],
                           other_title=info[other][2], other_shared=len(back),
                           other_total=max(other_units, len(back))))
    pos = {d.id: i for i, d in enumerate(docs)}
    out.sort(key=lambda o: (pos[o.doc], -o.share, pos[o.other]))
    return out


# -- public entry point -------------------------------------------------------


def normalize_path(p: str) -> str:
    """``p`` relative to the working directory when inside it, normalised, so
    that document ids (and so baseline fingerprints) do not depend on how the
    path was written (``./drafts/a.md``, ``drafts//a.md``, an absolute path)."""
    if os.path.isabs(p):
        rel = os.path.relpath(p)
        if not rel.startswith(".."):
            p = rel
    return os.path.normpath(p)


def scan(
    paths: Sequence[str] | None = None,
    settings: Settings | None = None,
    *,
    documents: Sequence[Document] | None = None,
    against: Sequence[str] | None = None,
    read_options=None,
    model: PunktModel | None = None,
    progress: Progress | None = None,
) -> ScanResult:
    """Find repeated sentences and quotes.

    Args:
        paths: files and directories to read (walked recursively).
        settings: detection settings (defaults if None).
        documents: already-read documents, scanned with ``paths``.
        against: archive files or directories: their sentences are matched
            against the drafts (``archive-match``) but never flagged among
            themselves.
        read_options: :class:`dedupe.readers.ReadOptions`.
        model: Punkt parameters (default: the shipped news model).
        progress: optional ``progress(stage, done, total)`` callback.

    Unreadable inputs do not stop the scan: they are returned in
    ``result.errors``.
    """
    settings = (settings or Settings()).validate()
    with _gc_paused():
        return _scan(paths, settings, documents, against, read_options, model, progress)


def _scan(paths, settings, documents, against, read_options, model, progress) -> ScanResult:
    t0 = time.perf_counter()
    p = prepare(paths, settings, documents=documents, against=against, read_options=read_options, model=model,
                progress=progress)
    timings = {"analyse": time.perf_counter() - t0}
    return finish_scan(p.docs, p.counts, p.table, p.archive_flags, settings, p.errors, timings, progress)


@dataclass
class Prepared:
    """The per-document half of a scan, ready for :func:`finish_scan`."""

    docs: list[Document]
    counts: list[DocCounts]
    table: UnitTable
    archive_flags: list[bool]
    errors: list[DedupeError]
    draft_files: list[str]  # files read as drafts (normalised paths)
    archive_files: list[str]  # files read as archive (not also drafts)
    model: PunktModel | None  # the Punkt model the drafts were split with


def prepare(
    paths: Sequence[str] | None,
    settings: Settings,
    *,
    documents: Sequence[Document] | None = None,
    against: Sequence[str] | None = None,
    read_options=None,
    model: PunktModel | None = None,
    progress: Progress | None = None,
    with_signatures: bool = False,
) -> Prepared:
    """Walk, read and analyse ``paths`` (drafts) and ``against`` (archive files
    or index locations); archived candidates from indexes join as archive
    documents.  Every front end goes through here, so paths are walked and
    named (:func:`normalize_path`) one way."""
    from dedupe.readers import iter_paths

    errors: list[DedupeError] = []
    seen: set[str] = set()

    def walk(ps: Sequence[str], into: list[str]) -> Iterator[str]:
        normal_dirs: dict[str, str] = {}  # directory as walked -> normalised
        for p in ps:
            if not os.path.exists(p):
                errors.append(InputError("no such file or directory", p))
                continue
            for f in iter_paths([p], read_options, on_error=errors.append):
                head, tail = os.path.split(f)
                if head and tail not in ("", ".", ".."):
                    nd = normal_dirs.get(head)
                    if nd is None:
                        nd = normal_dirs[head] = normalize_path(head)
                    n = tail if nd == "." else os.path.join(nd, tail)
                else:
                    n = normalize_path(f)
                if n not in seen:
                    seen.add(n)
                    into.append(n)
                    yield n

    indexes: list = []
    if against:
        from dedupe.index import open_for_query, split_against

        index_locs, against = split_against(against)
        indexes = open_for_query(index_locs, settings) if index_locs else []
    try:
        if model is None and indexes:  # split drafts as the archive was split (trained Punkt)
            model = next((m for m in (ix.punkt_model() for ix in indexes) if m is not None), None)
        draft_paths: list[str] = []
        archive_paths: list[str] = []
        if progress:
            progress("analyse", 0, 1)
        # the walk is lazy: on a large tree the workers start before it ends
        found = chain(walk(paths or [], draft_paths), walk(against or [], archive_paths))
        docs, counts, table, read_errors = analyse_paths(found, settings, read_options, model,
                                                         progress, with_signatures=with_signatures)
        errors.extend(read_errors)
        archive_set = set(archive_paths)
        archive_flags = [d.path in archive_set for d in docs]
        if documents:
            extra = analyse_documents(list(documents), settings, model, with_signatures=with_signatures)
            shift = len(docs)
            docs.extend(extra.documents)
            counts.extend(extra.counts)
            archive_flags.extend([False] * len(extra.documents))
            table = UnitTable.concat([table, extra.table], [0, shift], settings.num_perm)
        if indexes:  # archived candidates become archive documents, matched like archive files
            from dedupe.index import query_indexes

            docs, counts, table, archive_flags = query_indexes(indexes, docs, counts, table, archive_flags, settings)
    finally:
        for ix in indexes:
            ix.close()
    return Prepared(docs, counts, table, archive_flags, errors, draft_paths, archive_paths, model)


def finish_scan(docs, counts, table, archive_flags, settings, errors, timings, progress=None) -> ScanResult:
    """Matching, clustering and roll-up over analysed documents."""
    t1 = time.perf_counter()
    matches = match_units(table, settings, progress)
    timings["match"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    clusters = build_clusters(docs, table, matches, settings, archive_flags)
    overlaps = build_overlaps(docs, counts, clusters, archive_flags)
    timings["cluster"] = time.perf_counter() - t2
    infos = [
        DocumentInfo(id=d.id, path=d.path, format=d.format, title=d.title, sentences=c.sentences,
                     units=c.units, suppressed=c.suppressed, archive=a, warnings=list(d.warnings))
        for d, c, a in zip(docs, counts, archive_flags)
    ]
    stats = {
        "units": len(table),
        "forms": int(matches.form_of.max()) + 1 if len(matches.form_of) else 0,
        "candidates": matches.candidates,
        "verified": len(matches.pairs),
        "bands": matches.bands,
        "rows": matches.rows,
    }
    return ScanResult(documents=infos, clusters=clusters, overlaps=overlaps, settings=settings,
                      errors=errors, timings=timings, stats=stats)
