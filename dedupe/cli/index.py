"""``dedupe index``: build and maintain the archive index.

    dedupe index add PATH... [--index LOCATION] [--train-punkt] [--jobs N]
    dedupe index remove ID...
    dedupe index list | stats [--format text|json]
    dedupe index rebuild | vacuum | train

LOCATION is a path for the embedded index (default ``.dedupe/index``, or the
``index`` key of the configuration) or a ``redis://HOST:PORT/DB`` URL.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import click

from dedupe.cli.common import CONFIG_OPTION, F, build_settings, emit, line, read_options, setting_options, warn
from dedupe.config import INDEX, READ, Config
from dedupe.output.sanitize import neutralize


def _location(cfg: Config, flag: str | None) -> str:
    from dedupe.index import DEFAULT_LOCATION

    loc = flag or cfg.get("index") or DEFAULT_LOCATION
    if not isinstance(loc, str):
        from dedupe.errors import ConfigError

        raise ConfigError("index: expected a path or redis:// URL", cfg.path or "config")
    from dedupe.safety import remember_secrets

    remember_secrets(loc)  # no message of this command shows its credentials, whatever quotes them
    if "://" not in loc and (flag or cfg.trusted or loc == DEFAULT_LOCATION):
        from dedupe.paths import refuse_output_outside_tree

        # the default .dedupe/index must stay in the repository (a PR's `.dedupe -> /elsewhere` is refused); a typed
        # one may be anywhere but not led out by a link of the tree; the tree's config: held in by trusted_config
        refuse_output_outside_tree(loc, bool(flag or cfg.trusted), "the index")
    return loc


class _Progress:
    """A one-line stderr progress bar with rate and ETA (only on a terminal)."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.t0 = time.monotonic()
        self.stage: str | None = None
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if stage != self.stage:
            self.stage, self.t0 = stage, now
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        el = max(now - self.t0, 1e-6)
        rate = done / el
        eta = (total - done) / rate if rate > 0 else 0
        width = 30
        fill = int(width * done / total) if total else width
        sys.stderr.write(f"\r{stage:>8} [{'#' * fill}{'.' * (width - fill)}] {done}/{total} "
                         f"{rate:,.0f}/s ETA {eta:4.0f}s ")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _index_option(f: F) -> F:
    return click.option("--index", "index_flag", metavar="LOCATION",
                        help="Index path (default .dedupe/index or 'index' in config) or redis://HOST:PORT/DB.")(f)


_PROGRESS = click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when a terminal).")


def _settings_options(f: F) -> F:
    """The settings table's ``index`` keys (those that decide what an index holds), and ``--progress``."""
    return setting_options(INDEX)(_PROGRESS(f))


@click.group("index", invoke_without_command=True)
@click.pass_context
def index_group(ctx: click.Context) -> None:
    """Build and maintain the archive index drafts are checked against."""
    if ctx.invoked_subcommand is None:  # `dedupe index` alone: its help, not a one-line error
        emit(ctx.get_help() + "\n", None)
        ctx.exit(0)


@index_group.command("add")
@click.argument("paths", nargs=-1, required=True)
@_index_option
@setting_options(INDEX, READ)
@_PROGRESS
@click.option("--train-punkt", is_flag=True, help="Learn the archive's abbreviations (Punkt) and re-split everything.")
@click.option("--engine", type=click.Choice(["embedded", "spark"]), default="embedded", show_default=True,
              help="Read and sign the articles here (embedded) or on Apache Spark (needs pyspark and Java 17+: see dedupe doctor).")
@click.option("--spark-master", metavar="URL", default=None,
              help="Spark master for --engine spark (default: spark-defaults.conf's, else local[2]; spark://host:7077, yarn, k8s://...).")
@click.option("--spark-conf", "spark_conf", metavar="KEY=VALUE", multiple=True,
              help="Spark property for --engine spark (repeatable; over spark-defaults.conf in $SPARK_CONF_DIR), "
                   "e.g. spark.executor.memory=4g.")
def add_cmd(paths: tuple[str, ...], index_flag: str | None, progress: bool | None, train_punkt: bool, engine: str,
            spark_master: str | None, spark_conf: tuple[str, ...], **kw: Any) -> None:
    """Add articles (files, directories, .jsonl exports); a changed article replaces its old sentences."""
    from dedupe.index import add_paths, open_index

    if spark_master and engine != "spark":
        raise click.UsageError("--spark-master needs --engine spark")
    if spark_conf and engine != "spark":
        raise click.UsageError("--spark-conf needs --engine spark")
    cfg, settings = build_settings(kw)
    loc = _location(cfg, index_flag)
    batches = None
    remote = set()
    if engine == "spark":
        from dedupe.engine.spark import is_url, parse_spark_conf
        from dedupe.index.spark_add import spark_batches

        batches = spark_batches(list(paths), read_options(cfg, kw), spark_master, conf=parse_spark_conf(spark_conf))
        remote = {p for p in paths if is_url(p)}  # hdfs://, s3a://: Spark lists them
    missing = [p for p in paths if p not in remote and not os.path.exists(p)]
    if len(missing) == len(paths):  # nothing to add: do not create an empty index
        for p in missing:
            line(f"dedupe: error: {p}: no such file or directory", err=True)
        sys.exit(2)
    from dedupe.readers.extract import extraction_missing

    if (why := extraction_missing("full site pages among the inputs are indexed whole", quick=True)) is not None:
        warn(why)  # a broken install, said before anything is indexed
    t0 = time.perf_counter()
    with open_index(loc, create=True) as ix:
        res = add_paths(ix, list(paths), settings, read_options(cfg, kw), progress=_Progress(progress), train=train_punkt,
                        batches=batches)
        st = ix.stats()
    for e in res["errors"]:
        line(f"dedupe: {'warning' if e.warning else 'error'}: {e}", err=True)
    msg = (f"{loc}: {res['added']} added, {res['replaced']} replaced, {res['unchanged']} unchanged "
           f"({res['units']} sentences/quotes indexed) in {time.perf_counter() - t0:.1f} s; "
           f"index holds {st.articles} articles, {st.units} units")
    if "punkt" in res:
        msg += f"; Punkt learnt {res['punkt']['learnt']} abbreviations"
    line(msg)
    sys.exit(2 if any(not e.warning for e in res["errors"]) else 0)


@index_group.command("remove")
@click.argument("ids", nargs=-1, required=True)
@_index_option
@CONFIG_OPTION
def remove_cmd(ids: tuple[str, ...], index_flag: str | None, **kw: Any) -> None:
    """Remove articles by id (as shown by 'dedupe index list')."""
    from dedupe.index import open_index, remove

    cfg, _ = build_settings(kw)
    loc = _location(cfg, index_flag)
    with open_index(loc) as ix:
        missing = remove(ix, ids)
    for m in missing:
        line(f"dedupe: error: {loc}: no article with id {m!r}", err=True)
    line(f"{loc}: {len(ids) - len(missing)} removed")
    sys.exit(2 if missing else 0)


@index_group.command("list")
@_index_option
@CONFIG_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_cmd(index_flag: str | None, fmt: str, **kw: Any) -> None:
    """List the archived articles."""
    from dedupe.index import open_index

    cfg, _ = build_settings(kw)
    with open_index(_location(cfg, index_flag)) as ix:
        arts = ix.articles()
    if fmt == "json":
        emit(json.dumps(arts, ensure_ascii=True, indent=1) + "\n", None)
        return
    for a in arts:  # archived text and names are shown safely (control and direction characters escaped)
        title = f"  {neutralize(a['title'])}" if a.get("title") else ""
        line(f"{neutralize(str(a['id']))}\t{a['units']} units\t{neutralize(str(a['path']))}{title}")


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@index_group.command("stats")
@_index_option
@CONFIG_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def stats_cmd(index_flag: str | None, fmt: str, **kw: Any) -> None:
    """Articles, sentences, size, settings and MinHash scheme of the index."""
    from dedupe.index import open_index

    cfg, _ = build_settings(kw)
    with open_index(_location(cfg, index_flag)) as ix:
        d = ix.stats().to_dict()
    if fmt == "json":
        emit(json.dumps(d, ensure_ascii=True, indent=1) + "\n", None)
        return
    s = d["settings"] or {}
    line(f"index:      {d['location']} ({d['backend']})")
    line(f"articles:   {d['articles']}")
    line(f"sentences:  {d['sentences']} ({d['units']} indexed units: sentences and quotes of {s.get('min_words', '?')}+ words)")
    if d["backend"] == "redis":
        where = "the Redis Cluster's nodes" if d.get("cluster") else "the Redis server"
        line(f"size:       {_human(d['size_bytes'])} of Redis memory (used by {where} as a whole)")
        line(f"layout:     {d.get('layout')}, namespace {d.get('namespace')}")
    else:
        line(f"size:       {_human(d['size_bytes'])}")
    line(f"minhash:    scheme {d['scheme']}, {s.get('num_perm')} permutations, seed {s.get('seed')}, hash {s.get('hash')}")
    line(f"shingles:   {s.get('shingle')} {s.get('ngram')}-grams")
    line(f"lsh:        threshold {s.get('threshold')}, {s.get('bands')} bands x {s.get('rows')} rows")
    line(f"punkt:      {'trained on the archive' if d['punkt_trained'] else 'shipped news model'}")
    line(f"updated:    {d.get('updated')}")


@index_group.command("rebuild")
@_index_option
@_settings_options
def rebuild_cmd(index_flag: str | None, progress: bool | None, **kw: Any) -> None:
    """Re-split and re-sign every article (e.g. with new settings from flags/config)."""
    from dedupe.index import open_index, rebuild

    cfg, settings = build_settings(kw)
    loc = _location(cfg, index_flag)
    with open_index(loc) as ix:
        res = rebuild(ix, settings, _Progress(progress))
    line(f"{loc}: rebuilt {res['articles']} articles, {res['units']} units")


@index_group.command("vacuum")
@_index_option
@CONFIG_OPTION
def vacuum_cmd(index_flag: str | None, **kw: Any) -> None:
    """Drop entries of removed articles and compact the index."""
    from dedupe.index import open_index

    cfg, _ = build_settings(kw)
    loc = _location(cfg, index_flag)
    with open_index(loc) as ix:
        res = ix.vacuum()
    line(vacuum_sentence(loc, res))


def vacuum_sentence(loc: str, res: dict[str, Any]) -> str:
    """What ``vacuum`` did, as a sentence."""
    dead = int(res.get("dead_entries_removed", 0))
    what = (f"removed {dead:,} dead {'entry' if dead == 1 else 'entries'} (of removed or replaced articles)"
            if dead else "no dead entries to remove")
    size = ""
    if "size_before" in res and "size_after" in res:
        size = f"; size {_human(res['size_before'])} before, {_human(res['size_after'])} after"
    extra = [f"{k.replace('_', ' ')} {v}" for k, v in res.items()
             if k not in ("dead_entries_removed", "size_before", "size_after")]
    return f"{loc}: vacuumed: {what}{size}" + (f" ({', '.join(extra)})" if extra else "")


@index_group.command("train")
@_index_option
@CONFIG_OPTION
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when a terminal).")
def train_cmd(index_flag: str | None, progress: bool | None, **kw: Any) -> None:
    """Learn Punkt abbreviations from the archive, store them, re-split every article."""
    from dedupe.index import open_index, train_punkt

    cfg, _ = build_settings(kw)
    loc = _location(cfg, index_flag)
    with open_index(loc) as ix:
        res = train_punkt(ix, _Progress(progress))
    line(f"{loc}: Punkt model with {res['abbreviations']} abbreviations ({res['learnt']} learnt from the archive)")
