"""``dedupe scan``: find repeated sentences and quotes and print them."""

from __future__ import annotations

import sys

import click

from dedupe.cli.common import emit, engine_options, report_errors, run_scan
from dedupe.output.registry import SCAN_FORMATS, render

@click.command()
@click.argument("paths", nargs=-1, required=True)
@engine_options
@click.option("--format", "fmt", type=click.Choice(SCAN_FORMATS), default="text", show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the output to this file (atomically).")
@click.option("--all", "show_all", is_flag=True, help="List clusters inside whole-article duplicates too.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when a terminal).")
def scan(paths, fmt, output, show_all, color, **kw):
    """Find repeated sentences and quotes in PATHS (files or directories)."""
    _, result = run_scan(paths, kw)
    if color is None:
        color = output is None and sys.stdout.isatty()
    options = {"color": color, "show_all": show_all} if fmt == "text" else {}
    emit(render(result, fmt, **options), output)
    sys.exit(report_errors(result))
