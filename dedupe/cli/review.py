"""``dedupe review``: open the Textual review UI on drafts.

Textual is imported only when the command runs (cold start of the other
commands stays fast; the headless core never imports it).
"""

from __future__ import annotations

import os
import sys

import click

from dedupe.cli.common import build_settings, engine_options, read_options, baseline_path
from dedupe.errors import InputError


@click.command()
@click.argument("paths", nargs=-1, required=True)
@engine_options
@click.option("--baseline", "baseline_flag", type=click.Path(dir_okay=False),
              help="Baseline file decisions are saved to (default: .dedupe-baseline.json, or 'baseline' in the config).")
@click.option("--show-resolved", is_flag=True, help="Also list findings the baseline already accepts or suppresses.")
@click.option("--no-watch", is_flag=True, help="Do not re-scan articles when they change on disk.")
def review(paths, baseline_flag, show_resolved, no_watch, **kw):
    """Review the findings in PATHS interactively; decisions go to the baseline.

    Keys: up/down move, enter reads the detail, a accepts (intended repeat),
    i ignores (with a reason), u undoes, e opens the copy in $EDITOR,
    / filters, f cycles kinds, +/- change the threshold, s saves, q quits.
    """
    from dedupe.check.baseline import Baseline

    cfg, settings = build_settings(kw)
    for p in paths:
        if not os.path.exists(p):
            raise InputError("no such file or directory", p)
    against = list(kw.get("against") or ()) or list(cfg.get("against", []) or [])
    if isinstance(against, str):
        against = [against]
    for p in against:
        if not os.path.exists(p) and not p.startswith(("redis://", "rediss://")):  # redis: dedupe.index
            raise InputError("no such file or directory", p)
    bpath = baseline_path(cfg, baseline_flag)
    baseline = Baseline.load(bpath)  # a corrupt baseline: one-line error, exit 2
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise click.UsageError("dedupe review needs an interactive terminal (use 'dedupe scan' or 'dedupe check')")

    from dedupe.tui.app import DedupeReviewApp

    app = DedupeReviewApp(list(paths), settings, read_options=read_options(cfg, kw), baseline=baseline,
                          baseline_path=bpath, against=against, show_resolved=show_resolved, watch=not no_watch)
    app.run()
    if app.model.unsaved:
        click.echo(f"dedupe: {app.model.unsaved} decision(s) not saved", err=True)
