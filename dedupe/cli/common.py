"""What every command shares: exit codes, the error-to-message group, engine flags, settings, output."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from dedupe.config import ENGINE, KEYS, READ, SETTING_KEYS, Config, Key, Settings, load_config, with_overrides
from dedupe.errors import DedupeError
from dedupe.kinds import resolve as resolve_kind
from dedupe.kinds import spellings
from dedupe.output.sanitize import neutralize

if TYPE_CHECKING:
    from dedupe.findings import ScanResult
    from dedupe.readers import ReadOptions

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
F = TypeVar("F", bound=Callable[..., Any])


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
        from dedupe.safety import forget_secrets

        forget_secrets()  # the URL secrets redacted are this command's (dedupe.safety.remember_secrets)
        try:
            return super().invoke(ctx)
        except DedupeError as exc:
            fail(str(exc), exc.exit_code)
        except click.UsageError as exc:  # bad flag value, unknown option: one line, exit 2
            fail(" ".join(exc.format_message().split()), EXIT_USAGE)
        except (click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            info("interrupted")
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


# -- messages: the one path every line a command prints goes through ------------------
#
# Every message and line of the CLI is printed by the functions below, which
# neutralise what came from files and file names (control characters, ESC,
# BEL, bidi controls, newlines that would start a CI workflow command) and
# redact credentials of index URLs.  Rendered outputs (already made safe by
# their format's renderer) go through :func:`emit`.  tests/test_hostile.py
# fails when a ``click.echo(`` appears anywhere else in the package.


def line(text: str, err: bool = False) -> None:
    """Print one line (made safe for a terminal, credentials redacted) to stdout or stderr."""
    click.echo(safe(text), err=err)


def safe(text: str) -> str:
    """``text`` on one line, every unsafe character escaped, URL credentials redacted, not a workflow
    command (a leading ``::`` after spaces gets a backslash)."""
    from dedupe.output.sanitize import defuse_commands, redact

    return defuse_commands(neutralize(redact(text)))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``dedupe: error: MESSAGE`` (made safe for a terminal, on one line) and exit with ``code``."""
    error(message)
    sys.exit(code)


def error(message: str) -> None:
    """Print ``dedupe: error: MESSAGE`` without exiting (the caller decides the exit code)."""
    line(f"dedupe: error: {message}", err=True)


def warn(message: str) -> None:
    """Print ``dedupe: warning: MESSAGE`` (made safe for a terminal, on one line)."""
    line(f"dedupe: warning: {message}", err=True)


def info(message: str) -> None:
    """Print ``dedupe: MESSAGE`` on stderr (progress, what was written)."""
    line(f"dedupe: {message}", err=True)


def refuse_inputs(outputs: list[str], result: ScanResult, *, config: Config | None = None,
                  against: Iterable[str] = (), baseline: str | None = None) -> None:
    """Exit 2 when an output file is one of the inputs: an article of ``result``, the ``baseline`` read, the
    configuration file, or a file of an embedded index among ``against`` (its database, journal or key files)."""
    from dedupe.atomic import inputs_named

    inputs = [d.path for d in result.documents] + [e.path for e in result.errors if e.path]
    files = [p for p in (baseline, config.path if config is not None else None) if p]
    folders: list[str] = []
    for loc in against:
        ix_files, ix_folders = index_files(loc)
        files += ix_files
        folders += ix_folders
    named = inputs_named(outputs, files + inputs)  # the inputs' identities are read once for all the outputs
    for out in outputs:
        hit = named.get(out)
        where = "is the input"
        if hit is None and folders:
            real = os.path.realpath(out)
            hit = next((f for f in folders if real.startswith(os.path.realpath(f).rstrip(os.sep) + os.sep)), None)
            where = "is inside the index"
        if hit is not None:
            fail(f"{out}: {where} {hit}: an output never replaces an input (choose another path)", EXIT_USAGE)


def refuse_indexes_outside_tree(against: Iterable[str]) -> None:
    """Exit 2 (one line naming it) for an embedded index given to ``--against`` (or by a configuration) that
    names a place in the repository but that a link of the tree takes out of it (``.dedupe -> /home/runner``):
    its articles would be quoted in the findings.  Folders of articles are held in by the walk itself."""
    from dedupe.index.embedded.connection import is_embedded_index
    from dedupe.paths import refuse_output_outside_tree

    for loc in against:
        if isinstance(loc, str) and "://" not in loc and is_embedded_index(loc):
            refuse_output_outside_tree(loc, True, "the index")


def index_files(location: str) -> tuple[list[str], list[str]]:
    """The files (database, its journal) and folders (the index folder, its key files) of an embedded index at
    ``location``; nothing for a Redis URL or an article folder."""
    if "://" in location:
        return [], []
    from dedupe.index.embedded.connection import db_path, is_embedded_index

    if not is_embedded_index(location):
        return [], []
    db = db_path(location)
    folders = [db + "-keys"] + ([location] if os.path.isdir(location) else [])
    return [db, db + "-wal", db + "-shm", db + "-journal"], folders


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
    if not out:
        raise click.BadParameter(f"no kind given: an empty list would report nothing (kinds: {spellings()})")
    return tuple(out)


_CONFIG_FLAG = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False),
    help="Configuration file (default: $DEDUPE_CONFIG, else the nearest .dedupe.toml or pyproject.toml "
         "[tool.dedupe]).")
_ISOLATED_FLAG = click.option(
    "--isolated", is_flag=True, default=None,
    help="Ignore the configuration files of the tree (a pull request's): defaults, flags and --config / "
         "$DEDUPE_CONFIG only (also DEDUPE_ISOLATED=1).")


def CONFIG_OPTION(f: F) -> F:  # noqa: N802 - used as a decorator, like click.option
    """``--config`` and ``--isolated``: where the settings come from."""
    return _CONFIG_FLAG(_ISOLATED_FLAG(f))


class FiniteFloatRange(click.FloatRange):
    """A float flag in a range that is a real number: ``nan`` (which no range comparison refuses), ``inf``
    and ``1e999`` are usage errors, and ``-0`` is 0."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import math

        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number (expected a number in {self._describe_range()})", param, ctx)
        return super().convert(number + 0.0, param, ctx)  # -0.0 + 0.0 is 0.0


def key_option(key: Key) -> Callable[[F], F]:
    """The Click option of one key of the settings table (:data:`dedupe.config.KEYS`)."""
    decls = [key.flag or f"--{key.dashed}", *([key.short] if key.short else []), key.name]
    if key.type == "bool":
        if key.default:  # on by default: the flag switches it off
            return click.option(*decls, flag_value=False, default=None, help=key.help)
        return click.option(*decls, is_flag=True, default=None, help=key.help)
    if key.type == "kinds":
        return click.option(*decls, callback=_kinds, help=key.help)
    if key.type == "strs":
        return click.option(*decls, multiple=True, help=key.help)
    ptype: Any = None
    if key.choices is not None:
        ptype = click.Choice(list(key.choices))
    elif key.type == "float":
        ptype = FiniteFloatRange(key.low, key.high, min_open=key.low_open, max_open=key.high_open)
    elif key.type == "int":
        ptype = click.IntRange(None if key.low is None else int(key.low), None if key.high is None else int(key.high),
                               min_open=key.low_open, max_open=key.high_open)
    return click.option(*decls, type=ptype, help=key.help)


def setting_options(*groups: str) -> Callable[[F], F]:
    """``--config`` and the flag of every key of the settings table offered to ``groups`` (``engine``,
    ``index``, ``read``: see :class:`dedupe.config.Key`), in table order."""
    wanted = set(groups)
    opts = [CONFIG_OPTION, *(key_option(k) for k in KEYS.values() if k.commands & wanted)]

    def decorate(f: F) -> F:
        for opt in reversed(opts):
            f = opt(f)
        return f

    return decorate


#: Flags shared by every command that runs the detection engine.
engine_options = setting_options(ENGINE, READ)


def build_settings(kw: dict[str, Any]) -> tuple[Config, Settings]:
    """Settings from config file plus flags (flags win)."""
    from dedupe.output.registry import check_config_format

    cfg = trusted_config(kw)
    check_config_format(cfg.get("format"), cfg.path or "config")
    flags = {name: kw[name] for name in SETTING_KEYS if kw.get(name) is not None}
    settings = with_overrides(cfg.settings, **flags)
    cores = os.cpu_count() or 1
    if settings.jobs > cores:
        warn(f"jobs {settings.jobs} capped at the {cores} cores of this machine")
    return cfg, settings


def trusted_config(kw: dict[str, Any]) -> Config:
    """The configuration a command runs with: ``--config PATH``, else the file named by ``DEDUPE_CONFIG``
    (a trusted copy CI keeps outside the pull request's tree), else -- unless ``--isolated`` or
    ``DEDUPE_ISOLATED=1`` -- the nearest ``.dedupe.toml`` / ``pyproject.toml`` of the tree."""
    path = kw.get("config_path") or os.environ.get("DEDUPE_CONFIG") or None
    isolated = bool(kw.get("isolated")) or os.environ.get("DEDUPE_ISOLATED", "").lower() not in ("", "0", "false", "no")
    if path is None and isolated:
        return Config()
    cfg = load_config(path)
    cfg.trusted = path is not None
    if path is None and cfg.path is not None:
        refuse_paths_out_of_tree(cfg)
        ignore_untrusted_keys(cfg, kw)
        cap_tree_limits(cfg, kw)
    return cfg


def ignore_untrusted_keys(cfg: Config, flags: dict[str, Any] | None = None) -> None:
    """Drop, with a one-line warning each, the keys a configuration found in the tree may not set: those that
    widen what is read or written (``follow-external-symlinks``: a pull request would read the runner's files
    through its own links).  A flag or a trusted ``--config`` / ``DEDUPE_CONFIG`` sets them (given the flag, the
    tree's value is dropped without a word: the flag decides)."""
    for key in KEYS.values():
        if key.trusted and key.name in cfg.extra:
            value = cfg.extra.pop(key.name)
            if value != key.default and (flags or {}).get(key.name) is None:
                shown = str(value).lower() if isinstance(value, bool) else repr(value)
                warn(f"{cfg.path}: {key.dashed} = {shown} ignored: a configuration found in the tree may not set it "
                     f"(give {key.flag or '--' + key.dashed}, or a trusted --config / DEDUPE_CONFIG)")


def cap_tree_limits(cfg: Config, flags: dict[str, Any]) -> None:
    """A configuration found in the tree (a pull request's) may lower the readers' limits
    (:data:`dedupe.config.READ_LIMITS`), never raise them: a value above the default is warned and capped at
    it (else ``max-decompressed-bytes = 1099511627776`` would let the PR's own bomb through).  A flag or a
    trusted configuration (``--config``, ``DEDUPE_CONFIG``) may raise them."""
    from dedupe.config import READ_LIMITS

    for name, (default, _) in READ_LIMITS.items():
        value = cfg.get(name)
        if isinstance(value, int) and value > default and flags.get(name) is None:
            dashed = name.replace("_", "-")
            warn(f"{cfg.path}: {dashed} = {value:,} is above the default: capped at {default:,} bytes (a "
                 f"configuration in the tree may only lower the limits; raise it with --{dashed} or in a trusted "
                 "--config / DEDUPE_CONFIG)")
            cfg.extra[name] = default


#: Keys of a configuration that name files dedupe reads (and, for a baseline or an index, writes).
PATH_KEYS = ("against", "baseline", "index")


def refuse_paths_out_of_tree(cfg: Config) -> None:
    """A configuration found in the tree (a pull request's) may not point outside its repository: an
    ``against`` folder of the runner's files would be quoted in findings, a ``baseline`` or ``index`` there
    written by ``--update-baseline`` / ``index add``.  A trusted configuration (``--config``,
    ``DEDUPE_CONFIG``) and flags may."""
    from dedupe.errors import ConfigError
    from dedupe.readers.walk import repository_root

    assert cfg.path is not None
    root = os.path.realpath(repository_root(cfg.path) or os.path.dirname(os.path.abspath(cfg.path)))
    for key in PATH_KEYS:
        value = cfg.get(key)
        for p in [value] if isinstance(value, str) else (value if isinstance(value, (list, tuple)) else []):
            if not isinstance(p, str) or "://" in p:
                continue  # a Redis URL; mistyped values are the key's own error
            base = os.path.dirname(os.path.abspath(cfg.path)) if key == "baseline" else os.getcwd()  # as each is read
            real = os.path.realpath(os.path.join(base, p))
            if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
                raise ConfigError(f"{key.replace('_', '-')} {p!r} is outside the repository: a configuration found in "
                                  "the tree may not point outside it (remove it there and give it as a flag, or take the "
                                  "configuration from a trusted place: --config PATH or DEDUPE_CONFIG)", cfg.path)


def read_options(cfg: Config, kw: dict[str, Any]) -> ReadOptions:
    """How to read files: each ``read`` key of the table from its flag, else the config, else its default."""
    from dedupe.readers import ReadOptions

    values: dict[str, Any] = {}
    for key in KEYS.values():
        if READ in key.commands:
            v = kw.get(key.name) or cfg.get(key.name) or key.default
            values[key.name] = tuple(v) if key.type == "strs" else v
    from dedupe.readers import match_all_exclude

    bad = match_all_exclude(values.get("exclude", ()))
    if bad is not None:  # it would leave nothing to check: refused, like a boilerplate pattern matching everything
        from dedupe.errors import ConfigError

        where = "--exclude" if kw.get("exclude") else (cfg.path or "config")
        raise ConfigError(f"exclude pattern {bad!r} matches every file: it would switch the check off "
                          "(name the folders or files to skip, e.g. 'drafts/old/*')", where)
    return ReadOptions(**values)


@dataclass(frozen=True)
class Invocation:
    """What a command's flags and configuration file say, typed: the engine's input."""

    config: Config
    settings: Settings
    read: ReadOptions
    against: tuple[str, ...]


def invocation(kw: dict[str, Any]) -> Invocation:
    """The typed settings of a command from its Click parameters (the table's keys, ``config_path``)."""
    cfg, settings = build_settings(kw)
    against = list(kw.get("against") or ()) or cfg.get("against", []) or []
    if isinstance(against, str):
        against = [against]
    from dedupe.safety import remember_secrets

    for loc in against:
        if isinstance(loc, str):
            remember_secrets(loc)  # an index URL's credentials: redacted from every message of the command
    refuse_indexes_outside_tree(against)
    return Invocation(cfg, settings, read_options(cfg, kw), tuple(against))


def run_scan(paths: Iterable[str], inv: Invocation, engine: str = "embedded", spark_master: str | None = None,
             progress: Callable[..., None] | None = None, spark_conf: Sequence[str] = ()) -> ScanResult:
    """Run the engine for a command.

    ``--against`` (or ``against`` in the config) takes archive files,
    directories and index locations alike.
    """
    from dedupe.api import scan

    against = list(inv.against) or None
    if engine == "spark":  # the optional Spark engine: pyspark and Java are needed only here
        from dedupe.engine.spark import scan_command

        result = scan_command(list(paths), inv.settings, inv.read, spark_master, against=against,
                              spark_conf=spark_conf)
    else:
        if spark_master:
            raise click.UsageError("--spark-master needs --engine spark")
        if spark_conf:
            raise click.UsageError("--spark-conf needs --engine spark")
        result = scan(list(paths), inv.settings, against=against, read_options=inv.read, progress=progress)
    # The command only renders the result from here on: move the engine's
    # millions of objects out of the cyclic collector's sight, so rendering
    # large output does not pay for full collections that find nothing.
    import gc

    gc.freeze()
    return result


def report_errors(result: ScanResult) -> int:
    """Print notes, input errors and warnings; the exit code they call for."""
    for n in getattr(result, "notes", ()):
        line(f"dedupe: note: {n}", err=True)
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
        error(str(e))
    return EXIT_USAGE if result.errors else EXIT_OK


def emit(text: str | Iterable[str], output: str | None) -> None:
    """Write ``text`` (or its chunks, as they are produced) to ``output`` atomically, else to stdout."""
    if output:
        from dedupe.atomic import write_atomic
        from dedupe.errors import InputError

        try:
            write_atomic(output, text)
        except OSError as exc:  # a full disk, a folder that cannot be written: one line naming the file, exit 2
            raise InputError(f"cannot write the output: {exc.strerror or exc}", output) from None
    else:
        for chunk in [text] if isinstance(text, str) else text:
            click.echo(chunk, nl=False, color=True)  # never strip codes the caller asked for (--color)


def norm_path(p: str) -> str:
    from dedupe.engine.pipeline import normalize_path  # one rule for every front end; lazy to keep start-up light

    return normalize_path(p)


def baseline_path(cfg: Config, flag: str | None) -> str:
    from dedupe.check.baseline import DEFAULT_PATH
    from dedupe.errors import ConfigError
    from dedupe.paths import refuse_output_outside_tree

    if flag:
        refuse_output_outside_tree(flag, True, "the baseline")  # typed: anywhere, but no link of the tree out
        return flag
    value = cfg.get("baseline")
    if value is None:  # the default name: a link there (the PR's) may not take it out of the repository
        refuse_output_outside_tree(DEFAULT_PATH, False, "the baseline")
        return DEFAULT_PATH
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"baseline: expected a file path, got {value!r}", cfg.path or "config")
    if cfg.path and not os.path.isabs(value):
        value = norm_path(os.path.join(os.path.dirname(os.path.abspath(cfg.path)), value))
    if cfg.trusted:  # the tree's configuration was held inside its repository by refuse_paths_out_of_tree
        refuse_output_outside_tree(value, True, "the baseline")
    return value


def refuse_outputs_outside_tree(outputs: Iterable[str | None]) -> None:
    """Exit 2 (one line naming it) for an output path typed on the command line that names a place in the tree
    but that a symbolic link of the tree takes out of the repository (``dedupe.sarif -> /home/runner/x``).
    A path typed outside the repository is the user's choice and is written there."""
    from dedupe.paths import refuse_output_outside_tree

    for out in outputs:
        if out is not None and out != "-":
            refuse_output_outside_tree(out, True, "the output")
