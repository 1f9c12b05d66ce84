"""``dedupe scan``: find repeated sentences and quotes and print them."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from itertools import chain
from typing import Any

import click

from dedupe.cli.common import (
    EXIT_USAGE,
    emit,
    engine_options,
    fail,
    invocation,
    refuse_inputs,
    refuse_outputs_outside_tree,
    report_errors,
    run_scan,
)
from dedupe.output.registry import SCAN_FORMATS, render_stream
from dedupe.output.sanitize import neutralize


@click.command()
@click.argument("paths", nargs=-1, required=True)
@engine_options
@click.option("--format", "fmt", type=click.Choice(SCAN_FORMATS), default="text", show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the output to this file (atomically).")
@click.option("--all", "show_all", is_flag=True, help="List clusters inside whole-article duplicates too.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when a terminal).")
@click.option("--allow-no-input", is_flag=True, help="Succeed when PATHS hold no article to read (default: exit 2).")
@click.option("--engine", type=click.Choice(["embedded", "spark"]), default="embedded", show_default=True,
              help="Run the analysis here (embedded) or on Apache Spark (needs pyspark and Java 17+: see dedupe doctor).")
@click.option("--spark-master", metavar="URL", default=None,
              help="Spark master for --engine spark (default: spark-defaults.conf's, else local[2]; spark://host:7077, yarn, k8s://...).")
@click.option("--spark-conf", "spark_conf", metavar="KEY=VALUE", multiple=True,
              help="Spark property for --engine spark (repeatable; over spark-defaults.conf in $SPARK_CONF_DIR), "
                   "e.g. spark.executor.memory=4g.")
def scan(paths: tuple[str, ...], fmt: str, output: str | None, show_all: bool, color: bool | None,
         allow_no_input: bool, engine: str, spark_master: str | None, spark_conf: tuple[str, ...], **kw: Any) -> None:
    """Find repeated sentences and quotes in PATHS (files or directories)."""
    refuse_outputs_outside_tree([output])
    inv = invocation(kw)
    result = run_scan(paths, inv, engine, spark_master, spark_conf=spark_conf)
    if color is None:
        color = output is None and sys.stdout.isatty()
    options = {"color": color, "show_all": show_all} if fmt == "text" else {}
    chunks: Iterable[str] = render_stream(result, fmt, **options)  # written as produced, after the checks below
    code = report_errors(result)
    no_input = not result.errors and not any(not d.archive for d in result.documents)
    if no_input and not allow_no_input:
        fail(f"no input found in {', '.join(paths)}: no article to scan (use --allow-no-input to accept that)", EXIT_USAGE)
    if output and result.errors and fmt == "text":  # a file must not read as a clean result after an input error
        tail = "".join(f"error: {neutralize(str(e))}\n" for e in result.errors)
        tail += f"scan incomplete: {len(result.errors)} input error(s)\n"
        chunks = chain(chunks, [tail])
    if output:
        refuse_inputs([output], result, config=inv.config, against=inv.against)
    emit(chunks, output)
    sys.exit(code)
