"""``dedupe check`` (CI gate) and ``dedupe report`` (HTML / Markdown report).

Exit codes of ``check``: 0 nothing fails, 1 findings fail the check, 2 usage
or input errors (bad flag, bad config, corrupt baseline, unreadable file, bad
git ref), with a one-line message.
"""

from __future__ import annotations

import os
import sys

import click

from dedupe.cli.common import (EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, baseline_path, build_settings, emit, engine_options,
                                report_errors, run_scan)



CHECK_FORMATS = ("text", "github", "sarif", "junit", "gitlab", "rdjsonl", "json", "markdown")



def _policy(cfg, fail_on_flag):
    from dedupe.errors import ConfigError
    from dedupe.check.rules import Policy

    policy = Policy.from_config(cfg.get("rules"), cfg.get("fail_on"), cfg.path or "config")
    if fail_on_flag is not None:
        try:
            policy = policy.with_fail_on(fail_on_flag)
        except ConfigError as exc:
            raise click.BadParameter(exc.message, param_hint="'--fail-on'") from None
    return policy


@click.command()
@click.argument("paths", nargs=-1, required=True)
@engine_options
@click.option("--format", "fmt", type=click.Choice(CHECK_FORMATS),
              help="Output format (default: github when GITHUB_ACTIONS=true, else text).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the output to this file (atomically).")
@click.option("--fail-on", "fail_on", metavar="LEVEL|KINDS",
              help="What fails the check: error (default), warning, note, none, or a comma-separated list of kinds / rule ids.")
@click.option("--baseline", "baseline_flag", type=click.Path(dir_okay=False),
              help="Baseline file (default: .dedupe-baseline.json, or 'baseline' in the config).")
@click.option("--no-baseline", is_flag=True, help="Ignore the baseline: report every finding.")
@click.option("--update-baseline", is_flag=True, help="Accept the current findings into the baseline (prunes stale entries, keeps suppressions) and exit 0.")
@click.option("--changed-since", "changed_since", metavar="REF",
              help="Report only findings in files changed since this git ref (all PATHS are still compared).")
def check(paths, fmt, output, fail_on, baseline_flag, no_baseline, update_baseline, changed_since, **kw):
    """Check PATHS for repeated sentences and quotes; exit 1 when findings fail.

    Findings in the baseline and inside inline-suppressed regions
    (<!-- dedupe-ignore -->, <!-- dedupe off --> ... <!-- dedupe on -->) do
    not fail; the summary says how many there were.
    """
    from dedupe.check.baseline import Baseline
    from dedupe.output.ci import render_ci
    from dedupe.check.rules import evaluate

    if update_baseline and no_baseline:
        raise click.UsageError("--update-baseline and --no-baseline cannot be combined")
    if update_baseline and changed_since:
        raise click.UsageError("--update-baseline needs a full check: drop --changed-since")
    cfg, settings = build_settings(kw)
    policy = _policy(cfg, fail_on)
    bpath = baseline_path(cfg, baseline_flag)
    baseline = None if no_baseline else Baseline.load(bpath)
    changed = None
    if changed_since:
        from dedupe.check.gitdiff import changed_files

        changed = changed_files(changed_since)

    _, result = run_scan(paths, kw, cfg=cfg, settings=settings)
    status = report_errors(result)

    if update_baseline:
        if result.errors:
            click.echo(f"dedupe: error: {bpath}: not updated because some inputs could not be read", err=True)
            sys.exit(EXIT_USAGE)
        cr = evaluate(result, policy)
        stats = baseline.update([f.cluster for f in cr.findings], settings=_baseline_settings(settings))
        baseline.save()
        click.echo(
            f"dedupe: baseline {bpath} updated: {stats['accepted']} accepted "
            f"({stats['added']} added, {stats['updated']} with new counts, {stats['pruned']} stale pruned), "
            f"{stats['suppressions']} suppressions kept",
            err=True,
        )
        sys.exit(EXIT_OK)

    shown_path = bpath if baseline is not None and (baseline.exists or baseline_flag) else None
    cr = evaluate(result, policy, baseline if shown_path else None, changed, baseline_path=shown_path)
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    emit(render_ci(cr, fmt), output)
    if fmt != "text" or output:
        click.echo(cr.summary_line(), err=True)
    if fmt == "github" and os.environ.get("GITHUB_STEP_SUMMARY"):
        _append_step_summary(os.environ["GITHUB_STEP_SUMMARY"], render_ci(cr, "markdown"))
    if status:
        sys.exit(status)
    sys.exit(EXIT_FINDINGS if cr.failed else EXIT_OK)


def _baseline_settings(settings) -> dict:
    d = dict(settings.signature_settings())
    d.update(threshold=settings.threshold, containment=settings.containment, min_words=settings.min_words)
    return d


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
    """Write a self-contained HTML (or Markdown) report of the repeats in PATHS."""
    from dedupe.output.report import render_html_report, render_markdown_report

    cfg, settings = build_settings(kw)
    if fmt is None:
        fmt = "markdown" if output and output.lower().endswith((".md", ".markdown")) else "html"
    _, result = run_scan(paths, kw, cfg=cfg, settings=settings)
    status = report_errors(result)
    render = render_markdown_report if fmt == "markdown" else render_html_report
    emit(render(result, title=title), output)
    if output:
        s = result.summary()
        click.echo(f"dedupe: wrote {output}: {s['clusters']} clusters in {s['documents']} articles", err=True)
    sys.exit(status)
