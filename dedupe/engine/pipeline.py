"""The scan pipeline: documents in, clusters of repeated text out.

    read documents       ->  units (sentences, quotes) with offsets    [dedupe.readers, dedupe.text]
    analyse (in workers) ->  shingle sets, MinHash signatures           [engine.analyse, engine.parallel, sketch]
    archive sources      ->  candidate archived units join the corpus   [ArchiveSource, e.g. dedupe.index]
    match                ->  LSH + containment candidates, verified     [engine.match, sketch]
    cluster              ->  clusters, fingerprints, roll-ups           [engine.cluster]

:func:`prepare` runs the per-document half and returns a :class:`ScanInput`;
:func:`finish_scan` runs the rest over its :class:`~dedupe.engine.corpus.Corpus`.
The engine knows archives only through the :class:`ArchiveSource` protocol,
so the index (which builds on the engine) plugs in from above
(:mod:`dedupe.api`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from dedupe.config import Settings
from dedupe.documents import Document
from dedupe.engine.analyse import analyse_documents
from dedupe.engine.cluster import RollUp, build_clusters, build_clusters_in_two, build_overlaps, number_clusters
from dedupe.engine.corpus import Corpus, DocCounts, Progress, UnitTable, ensure_signatures
from dedupe.engine.match import match_units
from dedupe.engine.parallel import analyse_paths
from dedupe.errors import DedupeError, InputError
from dedupe.findings import Cluster, DocumentInfo, ScanResult
from dedupe.kinds import NEAR_COPY_KINDS
from dedupe.readers import ReadOptions, iter_paths
from dedupe.safety import printable_name, printable_title
from dedupe.text.split import PunktModel

if TYPE_CHECKING:
    from dedupe.engine.restate import RestatementStream


class ArchiveSource(Protocol):
    """Somewhere archived units come from at query time (an archive index).

    :meth:`query` gets the drafts' unit table (signatures computed), the
    draft documents and a mask of the table's draft rows, and returns the
    archived articles holding candidates, each with only its candidate units.
    """

    def punkt_model(self) -> PunktModel | None: ...

    def query(self, table: UnitTable, draft_docs: Sequence[Document], settings: Settings,
              draft_mask: np.ndarray | None = None) -> Corpus: ...

    def close(self) -> None: ...


class Described(Protocol):
    """What a result's document line reads of a document (a :class:`Document`, or the Spark engine's
    driver-side record of one)."""

    id: str
    path: str
    format: str
    title: str | None
    warnings: list[str]


def document_info(doc: Described, counts: DocCounts, archive: bool) -> DocumentInfo:
    """A document's line in a :class:`ScanResult` (every engine builds it here)."""
    return DocumentInfo(id=doc.id, path=doc.path, format=doc.format, title=doc.title, sentences=counts.sentences,
                        units=counts.units, suppressed=counts.suppressed, archive=archive, warnings=list(doc.warnings),
                        boilerplate=counts.boilerplate)


def scan_stats(units: int, forms: int, candidates: int, verified: int, bands: int, rows: int,
               rollup: RollUp | None = None, restatements_omitted: int = 0) -> dict[str, int]:
    """The ``stats`` of a :class:`ScanResult` (every engine builds them here, so they compare equal)."""
    rollup = rollup or RollUp([])
    return {
        "units": units,
        "forms": forms,
        "candidates": candidates,
        "verified": verified,
        "bands": bands,
        "rows": rows,
        "rollup_skipped_clusters": rollup.skipped_clusters,
        "rollup_omitted_partners": rollup.omitted_partners,
        "restatements_omitted": restatements_omitted,
    }


def scan_result(documents: list[DocumentInfo], clusters: list[Cluster], rollup: RollUp | None, settings: Settings,
                problems: Sequence[DedupeError], timings: dict[str, float], stats: dict[str, int],
                notes: Sequence[str] = ()) -> ScanResult:
    """A :class:`ScanResult`; ``problems`` are split into errors and warnings here (every engine's way)."""
    return ScanResult(documents=documents, clusters=clusters, overlaps=rollup.overlaps if rollup else [],
                      settings=settings, errors=[e for e in problems if not e.warning], timings=timings, stats=stats,
                      notes=list(notes), warnings=[e for e in problems if e.warning])


def normalize_path(p: str) -> str:
    """``p`` relative to the working directory when inside it, normalised, so
    that document ids (and so baseline fingerprints) do not depend on how the
    path was written (``./drafts/a.md``, ``drafts//a.md``, an absolute path)."""
    if os.path.isabs(p):
        rel = os.path.relpath(p)
        if not rel.startswith(".."):
            p = rel
    return os.path.normpath(p)


@dataclass
class ScanInput:
    """The per-document half of a scan, ready for :func:`finish_scan`."""

    corpus: Corpus
    draft_files: list[str] = field(default_factory=list)  # files read as drafts (normalised paths)
    archive_files: list[str] = field(default_factory=list)  # files read as archive (not also drafts)
    model: PunktModel | None = None  # the Punkt model the drafts were split with
    #: Restatements being found (``prepare(..., restatements=True)`` with the kind asked for): hand it to
    #: :func:`finish_scan`, which collects it.
    restatements: RestatementStream | None = None


def _archives_inside(paths: Sequence[str], against: Sequence[str]) -> list[tuple[str, str]]:
    """``(archive path, draft path)`` for every ``--against`` file or folder inside a draft folder (or equal to a draft path)."""
    out = []
    for a in against:
        if not os.path.exists(a):
            continue
        ra = os.path.realpath(a)
        for p in paths:
            if not os.path.exists(p):
                continue
            rp = os.path.realpath(p)
            if ra == rp or (os.path.isdir(rp) and ra.startswith(rp.rstrip(os.sep) + os.sep)):
                out.append((a, p))
                break
    return out


def join_archives(corpus: Corpus, sources: Sequence[ArchiveSource], settings: Settings) -> Corpus:
    """``corpus`` with the archived candidates of every source appended as archive documents,
    so matching, verification and clustering treat them exactly like archive files."""
    if not sources:
        return corpus
    table = ensure_signatures(corpus.table, settings)  # drafts' signatures may have been deferred
    flags = np.array(corpus.archive, dtype=bool)
    draft_mask = ~flags[table.doc] if len(table) else np.zeros(0, dtype=bool)
    draft_docs = [d for d, a in zip(corpus.documents, corpus.archive) if not a]
    parts = [corpus]
    for src in sources:
        found = src.query(table, draft_docs, settings, draft_mask)
        if len(found):
            parts.append(found.marked_archive())
    return Corpus.concat(parts, settings.num_perm) if len(parts) > 1 else corpus


def prepare(
    paths: Sequence[str] | None,
    settings: Settings,
    *,
    documents: Sequence[Document] | None = None,
    against: Sequence[str] | None = None,
    sources: Sequence[ArchiveSource] = (),
    read_options: ReadOptions | None = None,
    model: PunktModel | None = None,
    progress: Progress | None = None,
    with_signatures: bool = False,
    restatements: bool = False,
) -> ScanInput:
    """Walk, read and analyse ``paths`` (drafts) and ``against`` (archive files
    and directories); archived candidates from ``sources`` join as archive
    documents.  Every front end goes through here, so paths are walked and
    named (:func:`normalize_path`) one way.

    With ``restatements`` (and the kind in ``settings.kinds``) the drafts'
    restatements are looked for while the analysis goes on
    (:class:`~dedupe.engine.restate.RestatementStream`, returned in the
    result for :func:`finish_scan`)."""
    errors: list[DedupeError] = []
    notes: list[str] = []
    seen: set[str] = set()
    # An archive inside the drafts' folders is read as archive, not as drafts (archive wins).
    inside = _archives_inside(paths or [], against or [])
    archive_roots = tuple(os.path.abspath(a) for a, _ in inside)
    taken: set[str] = set()  # archive roots that took files away from the drafts

    def is_archived(f: str) -> bool:
        af = os.path.abspath(f)
        for r in archive_roots:
            if af == r or af.startswith(r + os.sep):
                taken.add(r)
                return True
        return False

    def walk(ps: Sequence[str], into: list[str], drafts: bool) -> Iterator[str]:
        normal_dirs: dict[str, str] = {}  # directory as walked -> normalised
        for p in ps:
            if not os.path.exists(p):
                errors.append(InputError("no such file or directory", p))
                continue
            for f in iter_paths([p], read_options, on_error=errors.append):
                if drafts and archive_roots and is_archived(f):
                    continue
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

    if model is None and sources:  # split drafts as the archive was split (trained Punkt)
        model = next((m for m in (s.punkt_model() for s in sources) if m is not None), None)
    draft_paths: list[str] = []
    archive_paths: list[str] = []
    if progress:
        progress("analyse", 0, 1)
    stream = None
    on_chunk = None
    if restatements and "restatement" in settings.kinds:
        from dedupe.engine.restate import RestatementStream

        stream = RestatementStream(settings)
        archived: set[str] = set()

        def on_chunk(part: Corpus) -> None:  # archive documents' paths were walked before they were read
            if len(archived) < len(archive_paths):
                archived.update(archive_paths)
            stream.feed(part, [d.path in archived for d in part.documents])

    # the walk is lazy: on a large tree the workers start before it ends
    found = chain(walk(paths or [], draft_paths, True), walk(against or [], archive_paths, False))
    corpus = analyse_paths(found, settings, read_options, model, progress, with_signatures=with_signatures,
                           on_chunk=on_chunk)
    errors.extend(corpus.errors)
    archive_set = set(archive_paths)
    corpus.archive = [d.path in archive_set for d in corpus.documents]
    for d in corpus.documents:  # names not UTF-8 (caf\xe9.txt) or holding controls are shown, stored, hashed escaped
        d.path, d.id = printable_name(d.path), printable_name(d.id)  # the id too: file.jsonl#<a record's id>
        if d.title is not None:
            d.title = printable_title(d.title)
    for e in errors:
        if e.path is not None:
            e.path = printable_name(e.path)
    if documents:
        extra = analyse_documents(list(documents), settings, model, with_signatures=with_signatures)
        corpus = Corpus.concat([corpus, extra], settings.num_perm)
        if stream is not None:
            stream.feed(extra, [False] * len(extra.documents))
    if stream is not None:
        stream.close()  # the rest goes to the workers; the matching starts meanwhile
    for (a, p), r in zip(inside, archive_roots):
        if r in taken:
            notes.append(f"{a} is inside {p}: read as archive (--against), not as drafts")
    corpus.errors = errors
    corpus.notes = notes + corpus.notes
    corpus = join_archives(corpus, sources, settings)
    return ScanInput(corpus, draft_paths, archive_paths, model, stream)


def finish_scan(corpus: Corpus, settings: Settings, timings: dict[str, float] | None = None,
                progress: Progress | None = None, restatements: RestatementStream | None = None,
                cache: dict[str, Any] | None = None) -> ScanResult:
    """Matching, clustering and roll-up over an analysed corpus (``restatements``: the stream
    :func:`prepare` started for it, else they are looked for here).  With ``cache`` (a dict the caller
    keeps with the corpus, as the review UI does), the restatements found are kept there and reused by the
    next call on the same corpus: they do not depend on the threshold."""
    timings = {} if timings is None else timings
    table = corpus.table
    pending = None
    known = None
    if "restatement" in settings.kinds:  # the semantic model is loaded only when the kind is asked for
        t0 = time.perf_counter()
        hit = cache.get("restatements") if cache is not None else None
        if hit is not None and hit[0] is table and hit[1] == settings.restate_across:
            known = hit[2]
        else:
            if restatements is None:
                from dedupe.engine.restate import start_restatements

                restatements = start_restatements(corpus, settings)  # in workers on a large run, beside the matching
            pending = restatements
        timings["restate"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    matches = match_units(table, settings, progress, words=corpus.unit_words)
    timings["match"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    restatements_omitted = 0
    if pending is not None or known is not None:
        from dedupe.engine.restate import restatement_clusters

        # every near-copy cluster, asked for or not: a pair one of them links is no restatement
        near = build_clusters(corpus.documents, table, matches, replace(settings, kinds=NEAR_COPY_KINDS),
                              corpus.archive)
        t3 = time.perf_counter()
        if known is None:
            assert pending is not None
            known = pending.found(corpus)
            if cache is not None:
                cache["restatements"] = (table, settings.restate_across, known)
        found, restatements_omitted = restatement_clusters(corpus, known, near)
        clusters = number_clusters(corpus.documents, [c for c in near if c.kind in settings.kinds] + found)
        timings["restate"] += time.perf_counter() - t3  # the wait: the part not hidden behind the matching
    else:
        clusters = build_clusters_in_two(corpus.documents, table, matches, settings, corpus.archive)
    rollup = build_overlaps(corpus.documents, corpus.counts, clusters, corpus.archive)
    timings["cluster"] = time.perf_counter() - t2
    infos = [document_info(d, c, a) for d, c, a in zip(corpus.documents, corpus.counts, corpus.archive)]
    forms = int(matches.form_of.max()) + 1 if len(matches.form_of) else 0
    stats = scan_stats(len(table), forms, matches.candidates, len(matches.pairs), matches.bands, matches.rows,
                       rollup, restatements_omitted)
    return scan_result(infos, clusters, rollup, settings, corpus.errors, timings, stats, corpus.notes)
