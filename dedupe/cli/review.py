"""``dedupe review``: open the Textual review UI on drafts.

Textual is imported only when the command runs (cold start of the other
commands stays fast; the headless core never imports it).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Any

import click

from dedupe.check.baseline import settings_record
from dedupe.cli.common import (
    baseline_path,
    build_settings,
    engine_options,
    info,
    read_options,
    warn,
)
from dedupe.errors import InputError
from dedupe.kinds import DEFAULT_KINDS
from dedupe.tui.keys import (
    help_text,  # the key table (imports neither Textual nor Rich)
)

HELP = f"""Review the findings in PATHS interactively; decisions go to the baseline.

Unsaved decisions are journalled next to the baseline (BASELINE.review-journal)
and offered back if the review ends without saving (a crash, a kill, a lost
terminal). Every way out (q, ctrl+c, the palette, SIGTERM) asks first.

\b
Keys:
{help_text()}
"""


@click.command(help=HELP)
@click.argument("paths", nargs=-1, required=True)
@engine_options
@click.option("--baseline", "baseline_flag", type=click.Path(dir_okay=False),
              help="Baseline file decisions are saved to (default: .dedupe-baseline.json, or 'baseline' in the config).")
@click.option("--show-resolved", is_flag=True, help="Also list findings the baseline already accepts or suppresses.")
@click.option("--no-watch", is_flag=True, help="Do not re-scan articles when they change on disk.")
@click.option("--advance", is_flag=True,
              help="Move to the next row after a decision (A toggles it in the review; off by default).")
def review(paths: tuple[str, ...], baseline_flag: str | None, show_resolved: bool, no_watch: bool, advance: bool, **kw: Any) -> None:
    from dedupe.check.baseline import Baseline
    from dedupe.check.rules import Policy

    cfg, settings = build_settings(kw)
    from dedupe.engine.restate import semantic_available

    if kw.get("kinds") is None and settings.kinds == DEFAULT_KINDS:
        # the review shows restatements too (notes for the editor); scan and check only when asked
        if semantic_available():
            settings = dataclasses.replace(settings, kinds=(*settings.kinds, "restatement"))
        else:  # never silently less than it would show
            from dedupe.capabilities import hint_for

            warn(f"restatements are off (the semantic model is not installed): {hint_for('semantic')}")
    from dedupe.readers.extract import extraction_missing

    if (why := extraction_missing("full site pages are reviewed whole", quick=True)) is not None:  # the UI shows no reader warnings
        warn(why)
    policy = Policy.from_config(cfg.get("rules"), None, cfg.path or "config")  # severities sort the list
    for p in paths:
        if not os.path.exists(p):
            raise InputError("no such file or directory", p)
    against = list(kw.get("against") or ()) or list(cfg.get("against", []) or [])
    if isinstance(against, str):
        against = [against]
    for p in against:
        if not os.path.exists(p) and not p.startswith(("redis://", "rediss://")):  # redis: dedupe.index
            raise InputError("no such file or directory", p)
    from dedupe.cli.common import refuse_indexes_outside_tree

    refuse_indexes_outside_tree(against)
    bpath = baseline_path(cfg, baseline_flag)
    from dedupe.paths import refuse_output_outside_tree
    from dedupe.tui.model import journal_path

    # the journal of unsaved decisions is written next to the baseline: a link of the tree there may not lead out
    refuse_output_outside_tree(journal_path(bpath), baseline_flag is not None or cfg.get("baseline") is not None,
                               "the review journal")
    baseline = Baseline.load(bpath)  # a corrupt baseline: one-line error, exit 2
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise click.UsageError("dedupe review needs an interactive terminal (use 'dedupe scan' or 'dedupe check')")

    from dedupe.tui.app import DedupeReviewApp

    app = DedupeReviewApp(list(paths), settings, read_options=read_options(cfg, kw), baseline=baseline,
                          baseline_path=bpath, against=against, show_resolved=show_resolved, watch=not no_watch,
                          severity=policy.severity, settings_record=settings_record, advance=advance)
    app.run()
    if app.model.unsaved:
        where = app.model.journal
        kept = f"; kept in {where}, offered back next time" if where and os.path.exists(where) else ""
        info(f"{app.model.unsaved} decision(s) not saved{kept}")
    if app.exit_status:  # 130 after ctrl+c, 143 after SIGTERM, 129 after SIGHUP: as a shell reports them
        click.get_current_context().exit(app.exit_status)
