"""The library's entry points: :func:`scan`, :func:`check` and :func:`prepare`.

They compose the engine (:mod:`dedupe.engine`) with the archive index
(:mod:`dedupe.index`): ``against`` entries that are index locations are
opened here and handed to the engine as archive sources, the others are
read as archive files.  This is the one module that knows both.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dedupe.config import Settings
from dedupe.documents import Document
from dedupe.engine import pipeline
from dedupe.engine.corpus import Progress
from dedupe.engine.parallel import gc_paused
from dedupe.engine.pipeline import ScanInput, finish_scan
from dedupe.errors import DedupeError
from dedupe.findings import ScanResult
from dedupe.index import open_for_query, split_against
from dedupe.readers import ReadOptions
from dedupe.safety import printable_name
from dedupe.text.split import PunktModel

if TYPE_CHECKING:
    from dedupe.check.baseline import Baseline
    from dedupe.check.rules import Caps, CheckResult, Policy

#: The name of standard input among ``check``'s paths.
STDIN = "-"


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


def read_stdin_draft(name: str, data: bytes, options: ReadOptions | None = None) -> list[Document]:
    """The draft ``data`` (read from standard input) as documents named ``name``
    (read by ``name``'s extension, ``.txt`` without a supported one)."""
    from dedupe.errors import InputError
    from dedupe.readers import format_for, read_file

    options = options or ReadOptions()
    fmt = format_for(name) or "txt"
    suffix = os.path.splitext(name)[1] if format_for(name) else ".txt"
    fd, tmp = tempfile.mkstemp(prefix="dedupe-stdin-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            docs = read_file(tmp, options, fmt=fmt)
        except InputError as exc:
            raise InputError(exc.message, name) from None
    finally:
        os.unlink(tmp)
    out = []
    for d in docs:
        doc_id = name + d.id[len(tmp):] if d.id.startswith(tmp) else name
        out.append(dataclasses.replace(d, id=doc_id, path=name))
    return out


def check(
    paths: Sequence[str],
    settings: Settings | None = None,
    *,
    policy: Policy | None = None,
    baseline: Baseline | None = None,
    update_baseline: bool = False,
    changed_since: str | None = None,
    context: Sequence[str] = (),
    stdin: bytes | None = None,
    stdin_filename: str | None = None,
    against: Sequence[str] | None = None,
    read_options: ReadOptions | None = None,
    allow_no_input: bool = False,
    caps: Caps | None = None,
) -> CheckResult:
    """The CI gate: scan ``paths``, apply the policy, the baseline and the scope; the verdict.

    Args:
        paths: files and folders to check; ``"-"`` is the draft given as
            ``stdin`` (bytes), named ``stdin_filename`` (default ``stdin.txt``).
        settings: detection settings (defaults if None).
        policy: severities and what fails (:class:`dedupe.check.rules.Policy`).
        baseline: accepted and suppressed findings (None: every finding is
            new); its path is named in the verdict.
        update_baseline: accept the current findings into ``baseline`` and
            save it (only when every input was read); the counts are in
            ``result.baseline_update`` (None when it was not updated).
        changed_since: report only findings in files changed since this git ref.
        context: also compare with these files and folders, but report
            findings only in ``paths``.
        against: archive files, folders or index locations.
        allow_no_input: no article in ``paths`` passes instead of failing.
        caps: output caps the renderers apply.

    Returns a :class:`~dedupe.check.rules.CheckResult`: ``exit_code`` is
    0 (pass), 1 (failing findings) or 2 (input errors, or no input).  Nothing
    is printed; read errors and warnings are in ``result.result``.

    Raises:
        DedupeError: a bad combination of arguments, a bad git ref, a
            baseline that cannot be written.
    """
    from dedupe.check.baseline import settings_record
    from dedupe.check.rules import evaluate, real_path
    from dedupe.errors import ConfigError
    from dedupe.readers import excluded_count, iter_paths

    settings = (settings or Settings()).validate()
    options = read_options or ReadOptions()
    paths = list(paths)
    context = list(context)
    if paths.count(STDIN) > 1:
        raise ConfigError("'-' (standard input) can be given once")
    if (stdin is not None) != (STDIN in paths):
        raise ConfigError("standard input is read when '-' is among the paths, and only then")
    if update_baseline and (baseline is None or changed_since or context):
        raise ConfigError("updating the baseline needs a baseline and a full check (no changed-since / context)")
    changed = None

    def doc_key(f: str) -> str:  # a walked file as evaluate() compares its document's (escaped) path
        return real_path(printable_name(normalize_draft_name(f)))

    drafts = ([] if not (changed_since or context) else
              list(iter_paths([p for p in paths if p != STDIN and os.path.exists(p)], options)))
    if changed_since:
        from dedupe.check.gitdiff import changed_in

        # git names the changed files as they are on disk (caf\xe9.txt, a newline, U+202E); the documents are
        # named escaped: each draft file is matched on disk, then keyed as its document is
        changed_on_disk = changed_in(changed_since, [p for p in paths if p != STDIN])
        changed = {doc_key(f) for f in drafts if real_path(f) in changed_on_disk}
    scope = None
    # shown, stored and hashed escaped like every walked name (a newline in --stdin-filename forges no line)
    stdin_name = printable_name(normalize_draft_name(stdin_filename or "stdin.txt"))
    if context:
        scope = {doc_key(f) for f in drafts}
        if STDIN in paths:
            scope.add(real_path(stdin_name))
        changed = scope if changed is None else (changed & scope)

    documents = None
    sources: dict[str, str] = {}
    walk_errors: list[DedupeError] = []
    files = [p for p in paths + [c for c in context if c not in paths] if p != STDIN]
    excluded = excluded_count([p for p in paths if p != STDIN and os.path.exists(p)], options)
    if stdin is not None:
        documents = read_stdin_draft(stdin_name, stdin, options)
        sources[stdin_name] = stdin.decode("utf-8", "replace").lstrip("\ufeff")
        listed = []  # the draft on standard input replaces the file of the same name in the walk
        for p in files:
            if not os.path.exists(p):
                listed.append(p)  # reported by the scan
                continue
            listed.extend(f for f in iter_paths([p], options, on_error=walk_errors.append)
                          if printable_name(normalize_draft_name(f)) != stdin_name)
        files = listed
    result = scan(files, settings, documents=documents, against=list(against or ()) or None, read_options=options)
    result.errors[:0] = [e for e in walk_errors if not e.warning]
    result.warnings[:0] = [e for e in walk_errors if e.warning]

    no_input = not result.errors and not any(not d.archive for d in result.documents)
    if scope is not None and not scope and STDIN not in paths:
        no_input = True
    # an exclude pattern (from the tree's config, maybe) that took every article never passes, --allow-no-input or not
    no_input = no_input and (not allow_no_input or excluded > 0)
    if update_baseline:
        assert baseline is not None
        cr = evaluate(result, policy)
        cr.no_input = no_input
        cr.excluded, cr.exclude_patterns = excluded, tuple(options.exclude)
        if not cr.input_failed:
            cr.baseline_update = baseline.update([f.cluster for f in cr.findings], settings=settings_record(settings))
            baseline.save()
        return cr
    shown = baseline.path if baseline is not None else None
    cr = evaluate(result, policy, baseline, changed, baseline_path=shown, caps=caps)
    cr.no_input = no_input
    cr.excluded, cr.exclude_patterns = excluded, tuple(options.exclude)
    if context:
        cr.scope_label = "--changed-since, --context" if changed_since else "--context"
    cr.sources = sources
    return cr


def normalize_draft_name(path: str) -> str:
    """How the engine names a document read from ``path`` (one rule for every front end)."""
    return pipeline.normalize_path(path)
