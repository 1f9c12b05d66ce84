"""Command-line interface: parse flags, call the library, print, exit.

Exit codes: 0 success; 1 findings that fail a check (``dedupe check``);
2 usage or input errors (bad flag, bad config, unreadable file), with a
one-line message per problem on stderr.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from . import __version__
from .config import KINDS, Config, Settings, load_config, with_overrides
from .errors import DedupeError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class DedupeGroup(click.Group):
    """Turns library errors into one-line messages and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DedupeError as exc:
            click.echo(f"dedupe: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:  # bad flag value, unknown option: one line, exit 2
            click.echo(f"dedupe: error: {' '.join(exc.format_message().split())}", err=True)
            ctx.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            click.echo("dedupe: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=DedupeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedupe")
def main() -> None:
    """Find repeated sentences and quotes in news copy."""


def run() -> None:
    """The ``dedupe`` console script: :func:`main`, then a quick exit.

    Before the command, the allocator is told to keep freed memory for
    reuse (:func:`dedupe.native.tune_allocator`).

    A large scan leaves a heap of hundreds of megabytes; tearing it down
    object by object at interpreter exit costs about a tenth of a second
    and achieves nothing.  So once the command has finished (its output
    written and flushed, files closed, atexit handlers run) the process
    exits directly.  Library callers and tests use :func:`main` and keep
    normal shutdown.
    """
    import atexit
    import os

    from . import native

    native.tune_allocator()
    code: Any = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # e.g. `dedupe scan ... | head`: not an error
        pass
    except Exception:
        sys.exit(code)  # something went wrong flushing: let the normal exit report it
    os._exit(code)


# -- shared options -----------------------------------------------------------


def _kinds(ctx, param, value: str | None):
    if value is None:
        return None
    kinds = tuple(k.strip() for k in value.split(",") if k.strip())
    for k in kinds:
        if k not in KINDS:
            raise click.BadParameter(f"unknown kind {k!r} (kinds: {', '.join(KINDS)})")
    return kinds


def engine_options(f):
    """Flags shared by every command that runs the detection engine."""
    opts = [
        click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file (default: nearest .dedupe.toml or pyproject.toml [tool.dedupe])."),
        click.option("--threshold", type=click.FloatRange(0.0, 1.0, min_open=True), help="Jaccard similarity to report (default 0.7)."),
        click.option("--containment", type=click.FloatRange(0.0, 1.0), help="Share of the shorter unit found in the longer to report (default 0.8; 0 = off)."),
        click.option("--min-words", type=click.IntRange(1), help="Ignore sentences and quotes shorter than this (default 8)."),
        click.option("--ngram", type=click.IntRange(1, 32), help="Shingle size (default 3 words)."),
        click.option("--shingle", type=click.Choice(["word", "char"]), help="Shingle words or characters."),
        click.option("--num-perm", type=click.IntRange(16, 1024), help="MinHash permutations (default 128)."),
        click.option("--kinds", callback=_kinds, help=f"Comma-separated kinds to report ({', '.join(KINDS)})."),
        click.option("--exclude-quotes", is_flag=True, default=None, help="Ignore quoted words: no quote findings, quotes do not count in sentences."),
        click.option("--no-quotes", "quotes", flag_value=False, default=None, help="Do not report repeated quotes separately."),
        click.option("--include", multiple=True, help="Glob of files to read when walking directories (repeatable)."),
        click.option("--exclude", multiple=True, help="Glob of files or directories to skip (repeatable)."),
        click.option("--id-field", help="JSON lines: field holding the article id (default id)."),
        click.option("--text-field", help="JSON lines: field holding the article text (default text)."),
        click.option("--jobs", "-j", type=click.IntRange(0), help="Worker processes (0 = automatic)."),
        click.option("--against", multiple=True, help="Archive to compare against: article files or directories (repeatable)."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def build_settings(kw: dict[str, Any]) -> tuple[Config, Settings]:
    """Settings from config file plus flags (flags win)."""
    cfg = load_config(kw.get("config_path"))
    settings = with_overrides(
        cfg.settings,
        threshold=kw.get("threshold"),
        containment=kw.get("containment"),
        min_words=kw.get("min_words"),
        ngram=kw.get("ngram"),
        shingle=kw.get("shingle"),
        num_perm=kw.get("num_perm"),
        kinds=kw.get("kinds"),
        exclude_quotes=kw.get("exclude_quotes"),
        quotes=kw.get("quotes"),
        jobs=kw.get("jobs"),
    )
    return cfg, settings


def read_options(cfg: Config, kw: dict[str, Any]):
    from .readers import ReadOptions

    def pick(flag: str, key: str, default):
        v = kw.get(flag)
        if v:
            return v
        return cfg.get(key, default)

    include = tuple(kw.get("include") or ()) or tuple(cfg.get("include", ()))
    exclude = tuple(kw.get("exclude") or ()) or tuple(cfg.get("exclude", ()))
    return ReadOptions(
        id_field=pick("id_field", "id_field", "id"),
        text_field=pick("text_field", "text_field", "text"),
        include=include,
        exclude=exclude,
    )


def run_scan(
    paths, kw: dict[str, Any], progress=None, cfg: Config | None = None, settings: Settings | None = None
):
    """Run the engine for a command; returns (config, result).

    ``--against`` (or ``against`` in the config) takes archive files,
    directories and index locations alike.
    """
    from .scan import scan

    if cfg is None or settings is None:
        cfg, settings = build_settings(kw)
    against = list(kw.get("against") or ()) or cfg.get("against", []) or []
    if isinstance(against, str):
        against = [against]
    result = scan(list(paths), settings, against=list(against) or None, read_options=read_options(cfg, kw),
                  progress=progress)
    # The command only renders the result from here on: move the engine's
    # millions of objects out of the cyclic collector's sight, so rendering
    # large output does not pay for full collections that find nothing.
    import gc

    gc.freeze()
    return cfg, result


def report_errors(result) -> int:
    """Print input errors and warnings; the exit code they call for."""
    for d in result.documents:
        for w in d.warnings:
            click.echo(f"dedupe: warning: {d.path}: {w}", err=True)
    for e in result.errors:
        click.echo(f"dedupe: error: {e}", err=True)
    return EXIT_USAGE if result.errors else EXIT_OK


def emit(text: str, output: str | None) -> None:
    if output:
        from .atomic import write_atomic

        write_atomic(output, text)
    else:
        click.echo(text, nl=False, color=True)  # never strip codes the caller asked for (--color)


# -- commands -----------------------------------------------------------------


@main.command()
@click.argument("paths", nargs=-1, required=True)
@engine_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the output to this file (atomically).")
@click.option("--all", "show_all", is_flag=True, help="List clusters inside whole-article duplicates too.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when a terminal).")
def scan(paths, fmt, output, show_all, color, **kw):
    """Find repeated sentences and quotes in PATHS (files or directories)."""
    from .formats import render

    _, result = run_scan(paths, kw)
    if color is None:
        color = output is None and sys.stdout.isatty()
    options = {"color": color, "show_all": show_all} if fmt == "text" else {}
    emit(render(result, fmt, **options), output)
    sys.exit(report_errors(result))


# -- command modules --
from . import cli_check  # noqa: E402,F401
from . import cli_review  # noqa: E402,F401
from . import cli_index  # noqa: E402,F401


if __name__ == "__main__":  # pragma: no cover
    main()
