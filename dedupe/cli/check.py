"""``dedupe check`` (CI gate) and ``dedupe report`` (HTML / Markdown report).

Exit codes of ``check``: 0 nothing fails, 1 findings fail the check, 2 usage
or input errors (bad flag, bad config, corrupt baseline, unreadable or
missing file, no input found, bad git ref), with a one-line message.  A run
that exits 2 never says "passed", and every output file it writes is marked
as failed (see :mod:`dedupe.output.ci`).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from typing import Any

import click

from dedupe.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    baseline_path,
    build_settings,
    emit,
    engine_options,
    read_options,
)
from dedupe.output.registry import CHECK_FORMATS

STDIN = "-"


def _policy(cfg, fail_on_flag):
    from dedupe.check.rules import Policy
    from dedupe.errors import ConfigError

    policy = Policy.from_config(cfg.get("rules"), cfg.get("fail_on"), cfg.path or "config")
    if fail_on_flag is not None:
        try:
            policy = policy.with_fail_on(fail_on_flag)
        except ConfigError as exc:
            raise click.BadParameter(exc.message, param_hint="'--fail-on'") from None
    return policy


def parse_formats(specs: tuple[str, ...], output: str | None, default: str) -> list[tuple[str, str | None]]:
    """``--format FORMAT`` / ``--format FORMAT=PATH`` (repeatable) into (format, path or None for stdout).

    ``-o PATH`` is where the one format without ``=PATH`` goes.  At most one
    format goes to standard output.
    """
    out: list[tuple[str, str | None]] = []
    for spec in specs or (default,):
        name, sep, path = spec.partition("=")
        name = name.strip().lower()
        if name not in CHECK_FORMATS:
            raise click.BadParameter(f"unknown format {name!r} (formats: {', '.join(CHECK_FORMATS)})",
                                     param_hint="'--format'")
        if sep and not path.strip():
            raise click.BadParameter(f"{spec!r}: no path after '='", param_hint="'--format'")
        out.append((name, path if sep else None))
    bare = [k for k, (_, p) in enumerate(out) if p is None]
    if output is not None:
        if len(bare) > 1:
            raise click.UsageError("-o/--output names the file of one format: give the others as FORMAT=PATH")
        if bare:
            out[bare[0]] = (out[bare[0]][0], output)
        elif not specs:
            out = [(default, output)]
        else:
            raise click.UsageError("-o/--output given, but every --format already names its file (FORMAT=PATH)")
    to_stdout = [n for n, p in out if p is None or p == STDIN]
    if len(to_stdout) > 1:
        raise click.UsageError(f"at most one --format can go to standard output (got {', '.join(to_stdout)}); "
                               "write the others to files with FORMAT=PATH")
    files = [os.path.normcase(os.path.abspath(p)) for _, p in out if p not in (None, STDIN)]
    if len(files) != len(set(files)):
        raise click.UsageError("two --format outputs name the same file")
    return [(n, None if p == STDIN else p) for n, p in out]


def _stdin_documents(name: str, options) -> tuple[list, str]:
    """The draft on standard input as documents named ``name`` (read by ``name``'s extension)."""
    from dedupe.errors import InputError
    from dedupe.readers import format_for, read_file

    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
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
    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    return out, text


def run_check_scan(paths: list[str], kw: dict[str, Any], cfg, settings, stdin_filename: str | None):
    """Scan PATHS (``-`` is the draft on standard input) with ``--against``; returns (result, sources)."""
    from dedupe.api import scan
    from dedupe.engine.pipeline import normalize_path
    from dedupe.readers import iter_paths

    options = read_options(cfg, kw)
    against = list(kw.get("against") or ()) or list(cfg.get("against", []) or [])
    documents = None
    sources: dict[str, str] = {}
    walk_errors: list = []
    files = [p for p in paths if p != STDIN]
    if STDIN in paths:
        name = normalize_path(stdin_filename or "stdin.txt")
        documents, sources[name] = _stdin_documents(name, options)
        # the draft on standard input replaces the file of the same name in the walk
        listed = []
        for p in files:
            if not os.path.exists(p):
                listed.append(p)  # reported by the scan
                continue
            listed.extend(f for f in iter_paths([p], options, on_error=walk_errors.append)
                          if normalize_path(f) != name)
        files = listed
    result = scan(files, settings, documents=documents, against=against or None, read_options=options)
    result.errors[:0] = walk_errors
    import gc

    gc.freeze()  # only rendering from here on (see cli.common.run_scan)
    return result, sources


@click.command()
@click.argument("paths", nargs=-1, required=True)
@engine_options
@click.option("--format", "formats", multiple=True, metavar="FORMAT[=PATH]",
              help=f"Output format, repeatable: FORMAT to standard output (at most one) or FORMAT=PATH to a file "
                   f"({', '.join(CHECK_FORMATS)}; default: github when GITHUB_ACTIONS=true, else text).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the output to this file (atomically).")
@click.option("--fail-on", "fail_on", metavar="LEVEL|KINDS",
              help="What fails the check: error (default), warning, note, none, or a comma-separated list of kinds / rule ids.")
@click.option("--baseline", "baseline_flag", type=click.Path(dir_okay=False),
              help="Baseline file (default: .dedupe-baseline.json, or 'baseline' in the config).")
@click.option("--no-baseline", is_flag=True, help="Ignore the baseline: report every finding.")
@click.option("--update-baseline", is_flag=True, help="Accept the current findings into the baseline (prunes stale entries, keeps suppressions) and exit 0.")
@click.option("--changed-since", "changed_since", metavar="REF",
              help="Report only findings in files changed since this git ref, in the repository of the checked paths (all PATHS are still compared).")
@click.option("--stdin-filename", metavar="PATH",
              help="With '-' in PATHS: the name of the draft read from standard input (its extension picks the reader; a file of that name among PATHS is replaced).")
@click.option("--context", "context", multiple=True, metavar="PATH",
              help="Also compare with the articles under PATH (repeatable), but report findings only in PATHS "
                   "(the pre-commit hook: staged drafts judged against the rest of the tree).")
@click.option("--allow-no-input", is_flag=True,
              help="Pass (exit 0) when PATHS hold no article; without it that is an error (exit 2).")
@click.option("--max-annotations", type=click.IntRange(0), metavar="N",
              help="Annotations of each severity per output format (default: 10 for github, GitHub's per-step limit; 5000 for sarif; 1000 otherwise). What is cut is counted; the exit code counts every finding.")
@click.option("--max-copies", type=click.IntRange(1), default=10, show_default=True, metavar="N",
              help="Other copies named in one message, and related locations of one result.")
def check(paths, formats, output, fail_on, baseline_flag, no_baseline, update_baseline, changed_since, stdin_filename,
          context, allow_no_input, max_annotations, max_copies, **kw):
    """Check PATHS for repeated sentences and quotes; exit 1 when findings fail.

    A sentence or quote repeated inside one article is that article's
    finding (DD101 / DD102) even when other articles or the archive share it
    too; the cross-article (DD201) or archive (DD301) finding is reported
    beside it.  '-' reads a draft from standard input (name it with
    --stdin-filename).  Findings in the baseline and inside inline-suppressed
    regions (<!-- dedupe-ignore -->, <!-- dedupe off --> ... <!-- dedupe on -->)
    do not fail; the summary says how many there were.
    """
    from dedupe.check.baseline import Baseline, settings_record
    from dedupe.check.rules import Caps, evaluate

    paths = list(paths)
    if update_baseline and no_baseline:
        raise click.UsageError("--update-baseline and --no-baseline cannot be combined")
    if update_baseline and (changed_since or context):
        raise click.UsageError("--update-baseline needs a full check: drop --changed-since / --context")
    if paths.count(STDIN) > 1:
        raise click.UsageError("'-' (standard input) can be given once")
    if stdin_filename is not None and STDIN not in paths:
        raise click.UsageError("--stdin-filename needs '-' among PATHS")
    cfg, settings = build_settings(kw)
    policy = _policy(cfg, fail_on)
    default_fmt = cfg.get("format") or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    targets = parse_formats(tuple(formats), output, default_fmt)
    bpath = baseline_path(cfg, baseline_flag)
    baseline = None if no_baseline else Baseline.load(bpath)
    changed = None
    if changed_since:
        from dedupe.check.gitdiff import changed_in

        changed = changed_in(changed_since, [p for p in paths if p != STDIN])

    scope = None
    if context:
        scope = _reported_files(paths, kw, cfg, stdin_filename)
        changed = scope if changed is None else (changed & scope)
    result, sources = run_check_scan(paths + [c for c in context if c not in paths], kw, cfg, settings,
                                     stdin_filename)
    for d in result.documents:
        for w in d.warnings:
            click.echo(f"dedupe: warning: {d.path}: {w}", err=True)
    for e in result.errors:
        click.echo(f"dedupe: error: {e}", err=True)
    no_input = not result.errors and not any(not d.archive for d in result.documents)
    if scope is not None and not scope and STDIN not in paths:
        no_input = True
    if no_input and not allow_no_input:
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        from dedupe.readers import supported_summary

        click.echo(f"dedupe: error: no input found in {shown}: no article to check (supported: "
                   f"{supported_summary()}; --allow-no-input to pass anyway)", err=True)

    if update_baseline:
        if result.errors or (no_input and not allow_no_input):
            click.echo(f"dedupe: error: {bpath}: not updated because some inputs could not be read", err=True)
            sys.exit(EXIT_USAGE)
        cr = evaluate(result, policy)
        stats = baseline.update([f.cluster for f in cr.findings], settings=settings_record(settings))
        baseline.save()
        click.echo(
            f"dedupe: baseline {bpath} updated: {stats['accepted']} accepted "
            f"({stats['added']} added, {stats['updated']} with new counts, {stats['pruned']} stale pruned), "
            f"{stats['suppressions']} suppressions kept",
            err=True,
        )
        sys.exit(EXIT_OK)

    shown_path = bpath if baseline is not None and (baseline.exists or baseline_flag) else None
    cr = evaluate(result, policy, baseline if shown_path else None, changed, baseline_path=shown_path,
                  caps=Caps(max_copies=max_copies, max_annotations=max_annotations))
    cr.no_input = no_input and not allow_no_input
    if context:
        cr.scope_label = "--changed-since, --context" if changed_since else "--context"
    cr.sources = sources
    render_outputs(cr, targets)
    sys.exit(cr.exit_code)


def _reported_files(paths: list[str], kw: dict[str, Any], cfg, stdin_filename: str | None) -> set[str]:
    """Real paths of the files PATHS name (walked as the scan walks them), for --context."""
    from dedupe.check.rules import real_path
    from dedupe.engine.pipeline import normalize_path
    from dedupe.readers import iter_paths

    out = {real_path(f) for f in iter_paths([p for p in paths if p != STDIN and os.path.exists(p)],
                                            read_options(cfg, kw))}
    if STDIN in paths:
        out.add(real_path(normalize_path(stdin_filename or "stdin.txt")))
    return out


def render_outputs(cr, targets: list[tuple[str, str | None]]) -> None:
    """Write every requested format (files first, standard output last), the
    GitHub step summary, and the summary line."""
    from dedupe.output.ci import STEP_SUMMARY_MAX_BYTES, github_step_summary
    from dedupe.output.registry import render_check as render_ci

    stdout = [(n, p) for n, p in targets if p is None]
    for name, path in targets:
        if path is not None:
            write_output(render_ci(cr, name), path)
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path and any(n == "github" for n, _ in targets):
        try:
            used = os.path.getsize(summary_path)
        except OSError:
            used = 0
        room = STEP_SUMMARY_MAX_BYTES - used - 1
        if room > 4096:
            _append_step_summary(summary_path, github_step_summary(cr, max_bytes=room))
        else:
            click.echo(f"dedupe: warning: {summary_path}: the step summary is full (1 MiB), not written", err=True)
    text_on_stdout = False
    if stdout and not cr.no_input:
        name = stdout[0][0]
        emit(render_ci(cr, name), None)
        text_on_stdout = name == "text"
    if not text_on_stdout and not cr.no_input:
        click.echo(cr.summary_line(), err=True)


def write_output(text: str, path: str) -> None:
    """Write an output file atomically; a path that cannot be written is one line, exit 2."""
    from dedupe.errors import InputError

    try:
        emit(text, path)
    except OSError as exc:
        raise InputError(f"cannot write the output: {exc.strerror or exc}", path) from None


def _append_step_summary(path: str, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text + "\n")
    except OSError as exc:
        click.echo(f"dedupe: warning: {path}: cannot write the step summary: {exc.strerror or exc}", err=True)


@click.command()
@click.argument("paths", nargs=-1, required=True)
@engine_options
@click.option("--format", "fmt", type=click.Choice(["html", "markdown"]),
              help="Report format (default: from the -o extension, html otherwise).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to this file (atomically).")
@click.option("--title", help="Report title.")
def report(paths, fmt, output, title, **kw):
    """Write a self-contained HTML (or Markdown) report of the repeats in PATHS.

    When an input cannot be read, no report is written (exit 2): a report
    that leaves an article out must not pass for a complete one.
    """
    from dedupe.cli.common import invocation, report_errors, run_scan
    from dedupe.output.report import render_html_report, render_markdown_report

    inv = invocation(kw)
    if fmt is None:
        fmt = "markdown" if output and output.lower().endswith((".md", ".markdown")) else "html"
    result = run_scan(paths, inv)
    status = report_errors(result)
    if not any(not d.archive for d in result.documents) and not result.errors:
        click.echo(f"dedupe: error: no input found in {', '.join(paths)}: no article to report on", err=True)
        sys.exit(EXIT_USAGE)
    if status:
        click.echo("dedupe: error: no report written because some inputs could not be read", err=True)
        sys.exit(status)
    render = render_markdown_report if fmt == "markdown" else render_html_report
    text = render(result, title=title)
    if output:
        write_output(text, output)
    else:
        emit(text, None)
    if output:
        s = result.summary()
        click.echo(f"dedupe: wrote {output}: {s['clusters']} clusters in {s['documents']} articles", err=True)
    sys.exit(status)
