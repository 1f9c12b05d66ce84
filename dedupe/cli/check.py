"""``dedupe check`` (CI gate) and ``dedupe report`` (HTML / Markdown report).

Exit codes of ``check``: 0 nothing fails, 1 findings fail the check, 2 usage
or input errors (bad flag, bad config, corrupt baseline, unreadable or
missing file, no input found, bad git ref), with a one-line message.  A run
that exits 2 never says "passed", and every output file it writes is marked
as failed (see :mod:`dedupe.output.ci`).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from dedupe.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    baseline_path,
    build_settings,
    emit,
    engine_options,
    error,
    fail,
    info,
    line,
    read_options,
    refuse_indexes_outside_tree,
    refuse_inputs,
    refuse_outputs_outside_tree,
    report_errors,
    warn,
)
from dedupe.output.registry import CHECK_FORMATS

STDIN = "-"


def _policy(cfg: Any, fail_on_flag: Any) -> Any:
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


def read_stdin(limit: int) -> bytes:
    """Standard input, at most ``limit`` bytes (more is a one-line error naming the limit)."""
    from dedupe.errors import InputError

    stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    if stream is None:
        data = sys.stdin.read(limit + 1).encode("utf-8", "surrogateescape")
    else:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"larger than max-file-bytes ({limit:,} bytes): not read; raise it with --max-file-bytes "
                         "or max-file-bytes in a trusted config (--config / DEDUPE_CONFIG)", "standard input")
    return data


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
def check(paths: Any, formats: tuple[str, ...], output: str | None, fail_on: str | None, baseline_flag: str | None,
          no_baseline: bool, update_baseline: bool, changed_since: str | None, stdin_filename: str | None,
          context: tuple[str, ...], allow_no_input: bool, max_annotations: int | None, max_copies: int, **kw: Any) -> None:
    """Check PATHS for repeated sentences and quotes; exit 1 when findings fail.

    A sentence or quote repeated inside one article is that article's
    finding (DD101 / DD102) even when other articles or the archive share it
    too; the cross-article (DD201) or archive (DD301) finding is reported
    beside it.  '-' reads a draft from standard input (name it with
    --stdin-filename).  Findings in the baseline and inside inline-suppressed
    regions (<!-- dedupe-ignore -->, <!-- dedupe off --> ... <!-- dedupe on -->)
    do not fail; the summary says how many there were.
    """
    from dedupe.api import STDIN
    from dedupe.api import check as run_check
    from dedupe.check.baseline import Baseline
    from dedupe.check.rules import Caps

    paths = list(paths)
    if update_baseline and no_baseline:
        raise click.UsageError("--update-baseline and --no-baseline cannot be combined")
    if update_baseline and (changed_since or context):
        raise click.UsageError("--update-baseline needs a full check: drop --changed-since / --context")
    if paths.count(STDIN) > 1:
        raise click.UsageError("'-' (standard input) can be given once")
    if stdin_filename is not None and STDIN not in paths:
        raise click.UsageError("--stdin-filename needs '-' among PATHS")
    if stdin_filename is not None and (not stdin_filename.strip() or stdin_filename.endswith(("/", os.sep))
                                       or os.path.isdir(stdin_filename)):
        raise click.BadParameter(f"{stdin_filename!r}: a file name is needed (not empty, not a directory)",
                                 param_hint="'--stdin-filename'")
    cfg, settings = build_settings(kw)
    policy = _policy(cfg, fail_on)
    default_fmt = cfg.get("format") or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    targets = parse_formats(tuple(formats), output, default_fmt)
    refuse_outputs_outside_tree(p for _, p in targets)
    bpath = "" if no_baseline else baseline_path(cfg, baseline_flag)  # --no-baseline: nothing read, nothing refused
    baseline = None if no_baseline else Baseline.load(bpath)
    if baseline is not None and not (baseline.exists or baseline_flag or update_baseline):
        baseline = None  # no baseline file: nothing to name in the verdict
    options = read_options(cfg, kw)
    against = list(kw.get("against") or ()) or list(cfg.get("against", []) or [])
    refuse_indexes_outside_tree(against)
    cr = run_check(paths, settings, policy=policy, baseline=baseline, update_baseline=update_baseline,
                   changed_since=changed_since, context=context,
                   stdin=read_stdin(options.max_file_bytes) if STDIN in paths else None,
                   stdin_filename=stdin_filename, against=against or None, read_options=options,
                   allow_no_input=allow_no_input, caps=Caps(max_copies=max_copies, max_annotations=max_annotations))
    import gc

    gc.freeze()  # only rendering from here on (see cli.common.run_scan)
    report_errors(cr.result)
    if cr.no_input:
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        from dedupe.readers import supported_summary

        if cr.excluded:
            error(f"no input found in {shown}: {cr.excluded_line()}, no article left to check (an exclude "
                  "that takes every article cannot pass; narrow the pattern)")
        else:
            error(f"no input found in {shown}: no article to check (supported: {supported_summary()}; "
                  "--allow-no-input to pass anyway)")
    if update_baseline:
        if cr.baseline_update is None:
            fail(f"{bpath}: not updated because some inputs could not be read", EXIT_USAGE)
        stats = cr.baseline_update
        info(f"baseline {bpath} updated: {stats['accepted']} accepted "
             f"({stats['added']} added, {stats['updated']} with new counts, {stats['pruned']} stale pruned), "
             f"{stats['suppressions']} suppressions kept")
        sys.exit(EXIT_OK)
    refuse_inputs([p for _, p in targets if p is not None], cr.result, config=cfg, against=against,
                  baseline=None if baseline is None else bpath)
    render_outputs(cr, targets)
    sys.exit(cr.exit_code)


def render_outputs(cr: Any, targets: list[tuple[str, str | None]]) -> None:
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
            warn(f"{summary_path}: the step summary is full (1 MiB), not written")
    text_on_stdout = False
    if stdout and not cr.no_input:
        name = stdout[0][0]
        emit(render_ci(cr, name), None)
        text_on_stdout = name == "text"
    if not text_on_stdout and not cr.no_input:
        line(cr.summary_line(), err=True)


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
        warn(f"{path}: cannot write the step summary: {exc.strerror or exc}")


@click.command()
@click.argument("paths", nargs=-1, required=True)
@engine_options
@click.option("--format", "fmt", type=click.Choice(["html", "markdown"]),
              help="Report format (default: from the -o extension, html otherwise).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to this file (atomically).")
@click.option("--title", help="Report title.")
def report(paths: tuple[str, ...], fmt: str, output: str | None, title: str | None, **kw: Any) -> None:
    """Write a self-contained HTML (or Markdown) report of the repeats in PATHS.

    When an input cannot be read, no report is written (exit 2): a report
    that leaves an article out must not pass for a complete one.
    """
    from dedupe.cli.common import invocation, run_scan
    from dedupe.output.report import render_html_report, render_markdown_report

    refuse_outputs_outside_tree([output])
    inv = invocation(kw)
    if fmt is None:
        fmt = "markdown" if output and output.lower().endswith((".md", ".markdown")) else "html"
    result = run_scan(paths, inv)
    status = report_errors(result)
    if not any(not d.archive for d in result.documents) and not result.errors:
        fail(f"no input found in {', '.join(paths)}: no article to report on", EXIT_USAGE)
    if status:
        fail("no report written because some inputs could not be read", status)
    render = render_markdown_report if fmt == "markdown" else render_html_report
    text = render(result, title=title)
    if output:
        refuse_inputs([output], result, config=inv.config, against=inv.against)
        write_output(text, output)
    else:
        emit(text, None)
    if output:
        s = result.summary()
        info(f"wrote {output}: {s['clusters']} clusters in {s['documents']} articles")
    sys.exit(status)
