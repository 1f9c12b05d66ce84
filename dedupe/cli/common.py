"""What every command shares: exit codes, the error-to-message group, engine flags, settings, output."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from dedupe.config import KINDS, Config, Settings, load_config, with_overrides
from dedupe.errors import DedupeError
from dedupe.kinds import resolve as resolve_kind
from dedupe.kinds import spellings
from dedupe.output.sanitize import neutralize

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class DedupeGroup(click.Group):
    """The one place library errors become messages: one line on stderr and an exit code.

    A :class:`~dedupe.errors.DedupeError` prints its message (exit 2); a bad
    flag prints Click's message on one line (exit 2); an operating-system
    error (a file that cannot be written, a full disk) names the file (exit
    2); anything unexpected prints one line with the hint to rerun with
    ``--debug``, which shows the traceback instead (as Ruff and pip do).
    """

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug")) or os.environ.get("DEDUPE_DEBUG", "") not in ("", "0")
        try:
            return super().invoke(ctx)
        except DedupeError as exc:
            fail(str(exc), exc.exit_code)
        except click.UsageError as exc:  # bad flag value, unknown option: one line, exit 2
            fail(" ".join(exc.format_message().split()), EXIT_USAGE)
        except (click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("dedupe: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # `dedupe scan ... | head`: not an error
            sys.stderr.close()
            ctx.exit(0)
        except OSError as exc:
            if debug:
                raise
            where = exc.filename if exc.filename is not None else ""
            fail(f"{where}: {exc.strerror or exc}" if where else f"{exc.strerror or exc}", EXIT_USAGE)
        except ImportError as exc:  # a core package missing or broken: name it and the fix
            if debug:
                raise
            from dedupe.capabilities import install_hint, missing_core

            dist = missing_core(exc.name)
            if dist is not None:
                fail(f"the core package {dist} does not import ({exc}); reinstall it: {install_hint((dist,))}", EXIT_USAGE)
            fail(f"unexpected {type(exc).__name__}: {exc} (this is a bug in dedupe; rerun with --debug for the "
                 "traceback)", EXIT_USAGE)
        except MemoryError:
            fail("out of memory (the input is too large for this machine; try fewer files at once)", EXIT_USAGE)
        except Exception as exc:
            if debug:
                raise
            fail(f"unexpected {type(exc).__name__}: {exc} (this is a bug in dedupe; rerun with --debug for the "
                 "traceback)", EXIT_USAGE)


def fail(message: str, code: int = 2) -> None:
    """Print ``dedupe: error: MESSAGE`` (made safe for a terminal, on one line) and exit with ``code``."""
    click.echo(f"dedupe: error: {neutralize(message)}", err=True)
    sys.exit(code)


def warn(message: str) -> None:
    """Print ``dedupe: warning: MESSAGE`` (made safe for a terminal, on one line)."""
    click.echo(f"dedupe: warning: {neutralize(message)}", err=True)


# -- shared options -----------------------------------------------------------


def _kinds(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...] | None:
    """``--kinds``: kind names, rule ids or the short labels the review UI shows."""
    if value is None:
        return None
    out: list[str] = []
    for k in (k.strip() for k in value.split(",")):
        if not k:
            continue
        kind = resolve_kind(k)
        if kind is None:
            raise click.BadParameter(f"unknown kind {k!r} (kinds: {spellings()})")
        if kind.name not in out:
            out.append(kind.name)
    return tuple(out)


def engine_options(f):
    """Flags shared by every command that runs the detection engine."""
    opts = [
        click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file (default: nearest .dedupe.toml or pyproject.toml [tool.dedupe])."),
        click.option("--threshold", type=click.FloatRange(0.0, 1.0, min_open=True), help="Jaccard similarity to report (default 0.7); also the least containment for --containment matches."),
        click.option("--containment", type=click.FloatRange(0.0, 1.0), help="Share of the shorter unit found in the longer to report (default 0.8; 0 = off)."),
        click.option("--min-words", type=click.IntRange(1), help="Ignore sentences and quotes shorter than this (default 8)."),
        click.option("--ngram", type=click.IntRange(1, 32), help="Shingle size (default 3 words)."),
        click.option("--shingle", type=click.Choice(["word", "char"]), help="Shingle words or characters."),
        click.option("--num-perm", type=click.IntRange(16, 1024), help="MinHash permutations (default 128)."),
        click.option("--kinds", callback=_kinds, help=f"Comma-separated kinds to report: names, rule ids or labels ({', '.join(KINDS)})."),
        click.option("--restate-across", is_flag=True, default=None,
                     help="Look for restatements (--kinds restatement) across the articles of the run too, not only inside each."),
        click.option("--exclude-quotes", is_flag=True, default=None, help="Ignore quoted words: no quote findings, quotes do not count in sentences."),
        click.option("--no-quotes", "quotes", flag_value=False, default=None, help="Do not report repeated quotes separately."),
        click.option("--include", multiple=True, help="Glob of files to read when walking directories (repeatable)."),
        click.option("--exclude", multiple=True, help="Glob of files or directories to skip (repeatable)."),
        click.option("--id-field", help="JSON lines: field holding the article id (default id)."),
        click.option("--text-field", help="JSON lines: field holding the article text (default text)."),
        click.option("--title-field", help="JSON lines: field holding the article title (default title)."),
        click.option("--jobs", "-j", type=click.IntRange(0), help="Worker processes (0 = automatic)."),
        click.option("--against", multiple=True, help="Archive to compare against: article files or directories (repeatable)."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def build_settings(kw: dict[str, Any]) -> tuple[Config, Settings]:
    """Settings from config file plus flags (flags win)."""
    from dedupe.output.registry import check_config_format

    cfg = load_config(kw.get("config_path"))
    check_config_format(cfg.get("format"), cfg.path or "config")
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
        restate_across=kw.get("restate_across"),
        quotes=kw.get("quotes"),
        jobs=kw.get("jobs"),
    )
    return cfg, settings


def read_options(cfg: Config, kw: dict[str, Any]):
    from dedupe.readers import ReadOptions

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
        title_field=pick("title_field", "title_field", "title"),
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
    from dedupe.api import scan

    if cfg is None or settings is None:
        cfg, settings = build_settings(kw)
    against = list(kw.get("against") or ()) or cfg.get("against", []) or []
    if isinstance(against, str):
        against = [against]
    if kw.get("engine") == "spark":  # the optional Spark engine: pyspark and Java are needed only here
        from dedupe.engine.spark import scan_command

        result = scan_command(list(paths), settings, read_options(cfg, kw), kw.get("spark_master") or "local[2]",
                              against=list(against) or None)
    else:
        if kw.get("spark_master"):
            raise click.UsageError("--spark-master needs --engine spark")
        result = scan(list(paths), settings, against=list(against) or None, read_options=read_options(cfg, kw),
                      progress=progress)
    # The command only renders the result from here on: move the engine's
    # millions of objects out of the cyclic collector's sight, so rendering
    # large output does not pay for full collections that find nothing.
    import gc

    gc.freeze()
    return cfg, result


def report_errors(result) -> int:
    """Print notes, input errors and warnings; the exit code they call for."""
    for n in getattr(result, "notes", ()):
        click.echo(f"dedupe: note: {neutralize(n)}", err=True)
    seen: dict[str, list[str]] = {}  # a warning several files share is one line, the others counted
    for d in result.documents:
        for w in d.warnings:
            seen.setdefault(w, []).append(d.path)
    for w, where in seen.items():
        more = f" (and {len(where) - 1} more file{'s' if len(where) > 2 else ''})" if len(where) > 1 else ""
        warn(f"{where[0]}{more}: {w}")
    for w in getattr(result, "warnings", ()):
        warn(str(w))
    for e in result.errors:
        click.echo(f"dedupe: error: {neutralize(str(e))}", err=True)
    return EXIT_USAGE if result.errors else EXIT_OK


def emit(text: str, output: str | None) -> None:
    if output:
        from dedupe.atomic import write_atomic

        write_atomic(output, text)
    else:
        click.echo(text, nl=False, color=True)  # never strip codes the caller asked for (--color)


def norm_path(p: str) -> str:
    from dedupe.engine.pipeline import normalize_path  # one rule for every front end; lazy to keep start-up light

    return normalize_path(p)


def baseline_path(cfg, flag: str | None) -> str:
    from dedupe.check.baseline import DEFAULT_PATH
    from dedupe.errors import ConfigError

    if flag:
        return flag
    value = cfg.get("baseline")
    if value is None:
        return DEFAULT_PATH
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"baseline: expected a file path, got {value!r}", cfg.path or "config")
    if cfg.path and not os.path.isabs(value):
        return norm_path(os.path.join(os.path.dirname(os.path.abspath(cfg.path)), value))
    return value
