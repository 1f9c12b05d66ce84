"""The scan pipeline on Apache Spark: the embedded engine's analysis, distributed.

    list inputs (driver)  ->  read + split + shingle + sign per partition     [dedupe's readers, analyse_documents]
                          ->  forms: identical shingle sets collapsed         [reduceByKey]
                          ->  shingle frequencies, posting lists              [groupByKey]
                          ->  candidates: LSH bands + containment prefix filter
                          ->  exact verification                              [join, set intersection]
                          ->  connected components (large-star / small-star)
                          ->  units of multi-unit components to the driver    ->  build_clusters, build_overlaps

Every step reproduces :func:`dedupe.engine.pipeline.match_units` exactly: the
same forms, the same jlive filter, the same band keys and the same truncation
of large buckets (members in form order), the same containment prefixes
(rarest shared shingles by frequency, then fingerprint; posting lists longer
than ``max_posting`` skipped), the same kind filter and thresholds.  The
driver then runs the embedded engine's own :func:`build_clusters` and
:func:`build_overlaps` over the few units that are in clusters, so members,
pairs and fingerprints are those of the embedded engine.

Inputs: JSON lines (``.jsonl``, ``.ndjson``, also gzip-compressed), Parquet
(files or a directory written by Spark; columns ``id``/``title``/``text`` or
the configured fields) and every format :func:`dedupe.readers.read_file`
reads, from local paths or any Hadoop filesystem URL (``hdfs://``,
``s3a://``, ``file:///``).  pyspark is imported only when this engine runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TypeVar, cast
from urllib.parse import unquote

import numpy as np

from dedupe.config import Settings
from dedupe.documents import Document
from dedupe.engine.analyse import analyse_documents
from dedupe.engine.cluster import build_clusters, build_overlaps
from dedupe.engine.corpus import DocCounts, UnitTable
from dedupe.engine.match import SHORT_POSTING, Matches, containment_floor, form_keys, merge_word_links, min_contained
from dedupe.engine.pipeline import document_info, normalize_path, scan_result, scan_stats
from dedupe.errors import ConfigError, DedupeError, InputError
from dedupe.findings import ScanResult
from dedupe.readers import ReadOptions, iter_paths, read_file
from dedupe.readers.formats import EXPORT_FORMATS, PARQUET, SPECS
from dedupe.safety import printable_name
from dedupe.sketch.lsh import band_keys
from dedupe.sketch.verify import VerifiedPair, accepts, short_size, word_link
from dedupe.text.normalize import tokens
from dedupe.text.split import PunktModel

_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_LINES = "jsonl"  # the reader of every "lines" input (a Parquet row is read as a JSON-lines record too)
_LINE_SUFFIXES = SPECS[_LINES].extensions
_SIGN = np.uint64(1 << 63)
_MIN64 = -(1 << 63)
T = TypeVar("T")
Row = tuple[Any, ...]  # a tagged record of the analysis ("D", "U" or "E" first)


def is_url(path: str) -> bool:
    """True for a Hadoop filesystem URL (``hdfs://...``, ``file:/...``), not a Windows drive."""
    return bool(_URL_RE.match(path)) and not re.match(r"^[A-Za-z]:[\\/]", path)


# -- inputs -------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """One input file (or Parquet dataset) as the driver found it."""

    index: int  # position in the scan: documents are ordered by it
    name: str  # the path as documents name it (normalised like the embedded engine's)
    uri: str  # what Spark reads
    kind: str  # "lines" (JSON lines), "parquet" or "file" (anything read_file reads)


def _kind_of(name: str) -> str:
    low = name.lower().rstrip("/")
    if low.endswith("." + PARQUET):
        return PARQUET
    if low.endswith(_LINE_SUFFIXES):
        return "lines"
    return "file"


def list_inputs(spark: Any, paths: Sequence[str], options: ReadOptions,
                name: Callable[[str], str] = normalize_path) -> tuple[list[Input], list[DedupeError]]:
    """The files to scan, in the embedded engine's order and with its names.

    Local paths are walked with :func:`dedupe.readers.iter_paths` and named
    with ``name`` (:func:`normalize_path`, exactly as ``dedupe scan`` does); Hadoop URLs
    are listed through Hadoop's ``FileSystem`` (recursively, sorted, hidden
    and ``_``-prefixed files skipped).  A directory ending in ``.parquet`` is
    one Parquet dataset.
    """
    errors: list[DedupeError] = []
    found: list[tuple[str, str]] = []  # (name, uri)
    seen: set[str] = set()

    def add(shown: str, uri: str) -> None:
        if shown not in seen:
            seen.add(shown)
            found.append((shown, uri))

    for p in paths:
        if is_url(p):
            for uri in _hadoop_list(spark, p, options, errors):
                add(uri, uri)
            continue
        if not os.path.exists(p):
            errors.append(InputError("no such file or directory", p))
            continue
        if os.path.isdir(p) and p.lower().rstrip("/").endswith(".parquet"):
            add(printable_name(name(p)), _file_uri(p))
            continue
        for f in iter_paths([p], options, on_error=errors.append):  # names shown escaped, as the embedded engine's
            add(printable_name(name(f)), _file_uri(f))
    return [Input(i, n, u, _kind_of(n)) for i, (n, u) in enumerate(found)], errors


def _file_uri(path: str) -> str:
    return "file://" + os.path.abspath(path)  # Hadoop's Path escapes what needs escaping


_GLOB_CHARS = frozenset("\\*?[]{}")


def glob_escape(uri: str) -> str:
    """``uri`` as a Hadoop glob matching that one path: its glob characters
    (``\\ * ? [ ] { }``) escaped with a backslash, so ``e[1].txt`` or
    ``g*.txt`` name themselves (``g*.txt`` would also read ``g-extra.txt``)."""
    return "".join("\\" + c if c in _GLOB_CHARS else c for c in uri)


def one_path(uri: str) -> str:
    """``uri`` for an API that takes one comma-separated string of globs
    (``textFile``): escaped as :func:`glob_escape`, each comma as the
    one-alternative group ``{\\,}``, so Hadoop neither splits the name at it
    nor expands anything."""
    return glob_escape(uri).replace(",", "{\\,}")


def binary_files(spark: Any, uris: Sequence[str], min_partitions: int) -> Any:
    """``sc.binaryFiles`` over exactly ``uris`` (no globbing, no splitting at commas): ``(uri, bytes)``.

    ``binaryFiles`` takes one comma-joined string of globs; this hands
    Hadoop's ``FileInputFormat`` the list of paths itself (glob characters
    escaped), so a name such as ``c,d.txt``, ``f{x}.txt`` or ``g*.txt`` is
    read as that file and nothing else.
    """
    from pyspark.rdd import RDD
    from pyspark.serializers import NoOpSerializer, PairDeserializer, UTF8Deserializer

    sc = spark.sparkContext
    jvm = sc._jvm
    job = jvm.org.apache.hadoop.mapreduce.Job.getInstance(sc._jsc.hadoopConfiguration())
    Path = jvm.org.apache.hadoop.fs.Path
    arr = sc._gateway.new_array(Path, len(uris))
    for i, u in enumerate(uris):
        arr[i] = Path(glob_escape(u))
    jvm.org.apache.hadoop.mapreduce.lib.input.FileInputFormat.setInputPaths(job, arr)  # escapes the commas
    cls = jvm.java.lang.Class.forName
    key, value = cls("java.lang.String"), cls("org.apache.spark.input.PortableDataStream")
    rdd = jvm.org.apache.spark.rdd.BinaryFileRDD(sc._jsc.sc(), cls("org.apache.spark.input.StreamInputFormat"),
                                                 key, value, job.getConfiguration(), min_partitions)
    tag = jvm.scala.reflect.ClassTag.apply
    jrdd = jvm.org.apache.spark.api.java.JavaPairRDD.fromRDD(rdd.setName("dedupe inputs"), tag(key), tag(value))
    return RDD(jrdd, sc, PairDeserializer(UTF8Deserializer(), NoOpSerializer()))  # type: ignore[no-untyped-call]


def _hadoop_list(spark: Any, url: str, options: ReadOptions, errors: list[DedupeError]) -> list[str]:
    from fnmatch import fnmatch

    from dedupe.readers import format_for

    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    path = jvm.org.apache.hadoop.fs.Path(url)
    try:
        fs = path.getFileSystem(conf)
        if not fs.exists(path):
            errors.append(InputError("no such file or directory", url))
            return []
        status = fs.getFileStatus(path)
    except Exception as exc:  # noqa: BLE001 - any filesystem failure is this input's error
        errors.append(InputError(f"cannot be listed: {_java_message(exc)}", url))
        return []
    qualified = str(fs.makeQualified(path).toString())
    if not status.isDirectory() or url.lower().rstrip("/").endswith(".parquet"):
        return [qualified]
    out: list[tuple[tuple[tuple[int, str], ...], str]] = []
    it = fs.listFiles(path, True)
    base = qualified.rstrip("/") + "/"
    while it.hasNext():
        st = it.next()
        uri = str(st.getPath().toString())
        rel = uri[len(base):] if uri.startswith(base) else uri.rsplit("/", 1)[-1]
        parts = rel.split("/")
        if any(x.startswith((".", "_")) for x in parts):
            continue
        name = parts[-1]
        if options.include:
            if not any(fnmatch(rel, g) or fnmatch(name, g) for g in options.include):
                continue
        elif format_for(name) is None and _kind_of(name) == "file":
            continue
        if options.exclude and any(fnmatch(rel, g) or fnmatch(name, g) for g in options.exclude):
            continue
        # os.walk's order, as the embedded engine walks: a directory's files (sorted), then its subdirectories
        out.append((tuple((1, x) for x in parts[:-1]) + ((0, name),), uri))
    return [u for _, u in sorted(out)]


def _java_message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


# -- per-partition reading and analysis (runs on the executors) ---------------

# Records emitted by the analysis, tagged by their first element:
#   ("D", doc_key, meta)       one per document
#   ("U", okey, unit)          one per eligible unit
#   ("E", file_index, line, message)   an input error (the file is dropped)


@dataclass
class DocMeta:
    """A document's identity and counts, without its text."""

    id: str
    path: str
    format: str
    title: str | None
    warnings: list[str]
    counts: DocCounts
    line: int  # JSON lines: the record's line (0 otherwise)


@dataclass
class UnitRow:
    """An eligible unit with what a cluster member needs."""

    key: tuple[int, int, int]  # (file index, record, unit number in the document)
    kind: int
    start: int
    end: int
    text: str
    location: tuple[int, int, int, int]
    fps: list[int] = field(default_factory=list)  # shingle fingerprints (uint64 bits as int64)
    bands: list[int] = field(default_factory=list)  # LSH band keys (uint64 bits as int64)


@dataclass
class _Job:
    """What every task needs: pickled once into the closures."""

    settings: Settings
    options: ReadOptions
    model: PunktModel | None
    names: dict[int, str] = field(default_factory=dict)  # file index -> document path
    formats: dict[int, str] = field(default_factory=dict)  # file index -> format shown ("parquet")
    lines: dict[int, bool] = field(default_factory=dict)  # file index -> read as records (JSON lines, Parquet)


def _okeys(setkey: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Form keys as int64 whose signed order is the unsigned order of the
    embedded engine's form keys (so form order, and with it the truncation
    of large LSH buckets, is the same)."""
    out: np.ndarray = (form_keys(setkey, kind) ^ _SIGN).view(np.int64)
    return out


def _emit(job: _Job, file_index: int, records: list[tuple[int, Document]],
          locate: Callable[[Document, int, int], tuple[int, int, int, int]]) -> Iterator[Row]:
    """Analyse documents of one file (``(record, document)``) and emit rows."""
    if not records:
        return
    docs = [d for _, d in records]
    a = analyse_documents(docs, job.settings, job.model, with_signatures=True)
    t = a.table
    for (rec, d), c in zip(records, a.counts):
        yield ("D", (file_index, rec), DocMeta(d.id, d.path, d.format, d.title, list(d.warnings), c,
                                                rec if file_index in job.formats or d.format in EXPORT_FORMATS else 0))
    if not len(t):
        return
    okeys = _okeys(t.setkey, t.kind).tolist()
    bands, rows = job.settings.band_plan()
    bkeys = band_keys(np.ascontiguousarray(t.sigs, dtype=np.uint32), bands, rows).view(np.int64)
    offsets = t.offsets.tolist()
    fps = np.ascontiguousarray(t.fps, dtype=np.uint64).view(np.int64)
    k_in_doc = 0
    prev = -1
    for i, (di, kind, s, e) in enumerate(zip(t.doc.tolist(), t.kind.tolist(), t.start.tolist(), t.end.tolist())):
        k_in_doc = k_in_doc + 1 if di == prev else 0
        prev = di
        rec, d = records[di]
        yield ("U", okeys[i], UnitRow((file_index, rec, k_in_doc), kind, s, e, d.text[s:e], locate(d, s, e),
                                      fps[offsets[i]:offsets[i + 1]].tolist(), bkeys[i].tolist()))


def _renamed(doc: Document, tmp: str, name: str, fmt: str | None = None) -> Document:
    """``doc`` as read from its scratch copy ``tmp``, named after the real input."""
    rest = doc.id[len(tmp):] if doc.id.startswith(tmp) else ""
    return replace(doc, id=name + rest, path=name, format=fmt or doc.format)


Locate = Callable[[Document, int, int], tuple[int, int, int, int]]


@dataclass
class _Read:
    """One input file's documents as a partition read them, or its error."""

    file_index: int
    records: list[tuple[int, Document]]  # (record: line for JSON lines, else position in the file; document)
    locate: Locate | None = None
    error: tuple[int, str] | None = None  # (line or 0, message): the file is dropped


def _read_lines(job: _Job, rows: Iterable[tuple[tuple[int, int], str]],
                bases: dict[int, int] | None = None) -> Iterator[_Read]:
    """JSON-lines records ``((file, line), text)``, sorted, one or more files.

    Each file's lines are written to a scratch file at their own line numbers
    (the gaps left blank, which the reader skips) and read with
    :func:`dedupe.readers.read_file`, so record ids, offsets, titles and
    errors are exactly the embedded reader's.  With ``bases`` (file index ->
    character offset of this partition's first line of that file in the
    decoded file), the gaps are padded so that every record also starts at
    its offset in the original file (what an index stores).
    """
    by_file: dict[int, list[tuple[int, str]]] = {}
    for (fi, line), text in rows:
        by_file.setdefault(fi, []).append((line, text))
    tmpdir = tempfile.mkdtemp(prefix="dedupe-spark-")
    try:
        for fi, lines in by_file.items():
            lines.sort()
            name = job.names[fi]
            tmp = os.path.join(tmpdir, f"part{fi}.jsonl")
            written: list[int] = []  # the non-blank lines: one record each, in order
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                at, pos = 1, 0
                offset = None if bases is None else bases.get(fi, 0)
                for line, text in lines:
                    if line == 1 and text.startswith("\ufeff"):
                        text = text[1:]
                    gap = line - at
                    if offset is not None and gap and offset - pos > gap:
                        # a blank line of spaces in the gap keeps the characters' offsets
                        fh.write("\n" + " " * (offset - pos - gap) + "\n" * (gap - 1))
                    else:
                        fh.write("\n" * gap)
                    fh.write(text)
                    at = line
                    if offset is not None:
                        pos = offset + len(text)
                        offset = pos + 1
                    if text.strip():
                        written.append(line)
            try:
                docs = read_file(tmp, job.options, fmt=_LINES)
            except InputError as exc:
                m = re.match(r"line (\d+):", exc.message)
                yield _Read(fi, [], error=(int(m.group(1)) if m else 0, exc.message))
                continue
            if not docs:
                continue
            # one line-start table per scratch file, shared by its documents
            locator = Document(id="", path="", text="", source_text=docs[0].source_text)

            def locate(d: Document, s: int, e: int, locator: Document = locator) -> tuple[int, int, int, int]:
                line, col = locator.line_col(d.source_index(s))
                eline, ecol = locator.line_col(d.source_index(max(s, e - 1)))
                return line, col, eline, ecol + 1

            fmt = job.formats.get(fi, _LINES)
            yield _Read(fi, [(ln, _renamed(d, tmp, name, fmt)) for ln, d in zip(written, docs)], locate)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _read_files(job: _Job, rows: Iterable[tuple[int, bytes]]) -> Iterator[_Read]:
    """Whole files ``(file index, bytes)``: read with :func:`read_file` from a scratch copy."""
    tmpdir = tempfile.mkdtemp(prefix="dedupe-spark-")
    try:
        for fi, data in rows:
            name = job.names[fi]
            base = name.rstrip("/").rsplit("/", 1)[-1] or "input"
            tmp = os.path.join(tmpdir, f"{fi}-{base}")
            with open(tmp, "wb") as fh:
                fh.write(data)
            try:
                docs = read_file(tmp, job.options)
            except InputError as exc:
                yield _Read(fi, [], error=(0, exc.message))
                continue
            finally:
                os.unlink(tmp)
            yield _Read(fi, [(k, _renamed(d, tmp, name)) for k, d in enumerate(docs)],
                        lambda d, s, e: d.location(s, e))
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _scan_rows(job: _Job, reads: Iterable[_Read]) -> Iterator[Row]:
    """The scan's rows of what a partition read."""
    for r in reads:
        if r.error is not None:
            yield ("E", r.file_index, r.error[0], r.error[1])
        elif r.locate is not None:
            yield from _emit(job, r.file_index, r.records, r.locate)


def _read_lines_partition(job: _Job, rows: Iterable[tuple[tuple[int, int], str]]) -> Iterator[Row]:
    return _scan_rows(job, _read_lines(job, rows))


def _read_files_partition(job: _Job, rows: Iterable[tuple[int, bytes]]) -> Iterator[Row]:
    for r in _read_files(job, rows):
        yield ("F", r.file_index)  # this file reached an executor (see :func:`check_all_read`)
        yield from _scan_rows(job, [r])


def check_all_read(job: _Job, wanted: Iterable[int], rows: Iterable[Row]) -> None:
    """Every plain file the driver listed reached an executor (an ``("F", index)`` row each).

    Spark's ``binaryFiles`` gives no record, and no error, for a listed file
    that an executor cannot open: without this check a file only the driver
    can see would drop out of the scan silently."""
    seen = {r[1] for r in rows if r[0] == "F"}
    missing = [job.names[i] for i in sorted(set(wanted) - seen)]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise SparkJobError(
            f"an input file was not found on a Spark executor ({missing[0]}{more}): inputs must exist at the same "
            "absolute path on every executor, or be given as shared-filesystem or object-store URLs (hdfs://, "
            f"s3a://, a file:/// path on a shared mount) ({_DOCS})")


# -- Spark helpers --------------------------------------------------------------


def connected_components(edges: Any, max_rounds: int = 64) -> Any:
    """``(u, v)`` rows: every node ``u`` of a DataFrame of edges ``(u, v)``
    with the smallest node ``v`` of its component (roots map to themselves).

    Alternating large-star and small-star rounds (Kiveris et al.,
    "Connected Components in MapReduce and Beyond", the scheme text-dedup's
    Spark job uses) until the edge set stops changing; each round's edges
    are checkpointed so the plan does not grow.
    """
    from pyspark.sql import functions as F

    cur = edges.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v")).distinct().localCheckpoint()
    for _ in range(max_rounds):
        # large star: every neighbour above a node hangs off the smallest node it sees
        nb = cur.unionByName(cur.select(F.col("v").alias("u"), F.col("u").alias("v")))
        low = nb.groupBy("u").agg(F.least(F.min("v"), F.first("u")).alias("m"))
        large = (nb.join(low, "u").filter(F.col("v") > F.col("u"))
                 .select(F.col("v").alias("u"), F.col("m").alias("v")).distinct())
        # small star: a node and its lower neighbours hang off the smallest of them
        o = large.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v"))
        low2 = o.groupBy("u").agg(F.least(F.min("v"), F.first("u")).alias("m"))
        small = (o.join(low2, "u").select(F.explode(F.array("u", "v")).alias("n"), "m")
                 .filter(F.col("n") != F.col("m")).select(F.col("n").alias("u"), F.col("m").alias("v"))
                 .distinct().localCheckpoint())
        changed = small.exceptAll(cur).limit(1).count() > 0 or cur.exceptAll(small).limit(1).count() > 0
        cur = small
        if not changed:
            break
    roots = cur.select(F.col("v").alias("u"), F.col("v").alias("v")).distinct()
    return cur.unionByName(roots)


# -- the driver-side stand-in for documents ------------------------------------


class _Spans:
    """``text[s:e]`` of a document's clustered units, without the whole text."""

    def __init__(self, spans: dict[tuple[int, int], str]) -> None:
        self.spans = spans

    def __getitem__(self, key: slice) -> str:
        return self.spans[(key.start, key.stop)]


class MemberSource:
    """What :func:`build_clusters` and :func:`build_overlaps` read of a
    document (id, path, title, a unit's text and location), gathered from
    the executors for the documents that have clustered units only."""

    def __init__(self, meta: DocMeta) -> None:
        self.id = meta.id
        self.path = meta.path
        self.title = meta.title
        self.locations: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        self.text = _Spans({})

    def add(self, unit: UnitRow) -> None:
        self.locations[(unit.start, unit.end)] = unit.location
        self.text.spans[(unit.start, unit.end)] = unit.text

    def location(self, start: int, end: int) -> tuple[int, int, int, int]:
        return self.locations[(start, end)]


# -- entry points ---------------------------------------------------------------


class _Started:
    """A Spark session this process started, and the log file its JVM writes to."""

    def __init__(self, spark: Any, log: str) -> None:
        self.spark, self.log = spark, log
        self.named = False  # an error message already names the log

    def failure(self, exc: BaseException) -> SparkJobError:
        """``exc`` explained (:func:`explain_failure`), naming this run's log."""
        err = explain_failure(exc, _master_of(self.spark))
        err.message = err.message + f" (Spark's log: {self.log})"
        err.args = (err.message,)
        self.named = True
        return err

    def stop(self, ok: bool) -> None:
        """Stop the session; the JVM's log is deleted after a run that worked and kept (its path
        written to stderr) after one that failed."""
        try:
            self.spark.stop()
        finally:
            if ok:
                try:
                    os.unlink(self.log)
                except OSError:
                    pass
            elif not self.named:
                print(f"dedupe: note: Spark's own log of this run: {self.log}", file=sys.stderr)


def _log_tail(path: str) -> str:
    """What a JVM log says went wrong last (its last exception's message, else its last line)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = [x.strip() for x in fh.read().splitlines()[-200:] if x.strip()]
    except OSError:
        return ""
    lines = [x for x in lines if not x.startswith(("at ", "..."))]  # not the stack frames
    stamp = r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (ERROR|WARN|INFO) [\w.$]+: "
    for x in reversed(lines):  # Spark's last ERROR, else the last exception's message, else the last line
        m = re.match(stamp, x)
        if m and m.group(1) == "ERROR":
            return x[m.end():][:200]
    for x in reversed(lines):
        m = re.search(r"[\w.$]+(?:Exception|Error): (.+)$", x)
        if m:
            return m.group(1)[:200]
    telling = [x for x in lines if re.search(r"no such file|not found|not set|cannot|unable|permission denied", x, re.I)]
    return re.sub(stamp, "", (telling or lines)[0])[:200] if lines else ""


_BUILTIN_CONF = {  # dedupe's own defaults: spark-defaults.conf and --spark-conf override them
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
}


def parse_spark_conf(values: Iterable[str]) -> dict[str, str]:
    """``--spark-conf KEY=VALUE`` values as a dict (the last one of a key wins); a value that is not
    ``spark.KEY=VALUE`` is a :class:`ConfigError` naming it."""
    out: dict[str, str] = {}
    for v in values:
        key, eq, value = v.partition("=")
        key = key.strip()
        if not eq or not key.startswith("spark.") or len(key) <= len("spark.") or any(c.isspace() for c in key):
            raise ConfigError(f"--spark-conf {v!r}: expected KEY=VALUE with a Spark property as KEY "
                              "(e.g. spark.executor.memory=4g)", "--spark-conf")
        out[key] = value
    return out


def spark_defaults_file() -> str | None:
    """The ``spark-defaults.conf`` spark-submit reads: ``$SPARK_CONF_DIR``, else ``$SPARK_HOME/conf``."""
    conf_dir = os.environ.get("SPARK_CONF_DIR")
    if not conf_dir and os.environ.get("SPARK_HOME"):
        conf_dir = os.path.join(os.environ["SPARK_HOME"], "conf")
    if not conf_dir:
        return None
    path = os.path.join(conf_dir, "spark-defaults.conf")
    return path if os.path.isfile(path) else None


def spark_defaults() -> dict[str, str]:
    """The properties of :func:`spark_defaults_file` (``key value`` or ``key=value`` lines, ``#`` comments),
    read as spark-submit reads them (Java properties, whitespace or ``=`` between key and value)."""
    path = spark_defaults_file()
    if path is None:
        return {}
    out: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for raw in fh:
                line = raw.strip()
                if not line or line.startswith(("#", "!")):
                    continue
                m = re.match(r"^(\S+?)\s*(?:[=:]\s*|\s+)(.*)$", line)
                if m and m.group(1).startswith("spark."):
                    out[m.group(1)] = m.group(2).strip()
    except OSError as exc:
        raise ConfigError(f"cannot read Spark's defaults: {exc.strerror or exc}", path) from None
    return out


def session_conf(master: str | None, app: str, conf: dict[str, str] | None = None) -> dict[str, str]:
    """What a new session is started with: dedupe's defaults, then ``spark-defaults.conf``, then
    ``--spark-conf`` (``conf``), then ``--spark-master`` (``master``; without one the defaults' ``spark.master``,
    else ``local[2]``)."""
    out = {**_BUILTIN_CONF, **spark_defaults(), **(conf or {})}
    if master:
        out["spark.master"] = master
    out.setdefault("spark.master", "local[2]")
    out.setdefault("spark.app.name", app)
    return out


def _session(master: str | None, app: str = "dedupe scan",
             conf: dict[str, str] | None = None) -> tuple[Any, _Started | None]:
    """The active Spark session, or a new one named ``app`` (then also returned as :class:`_Started`).

    A new session's JVM writes its start-up lines and warnings (log4j's
    profile, the host's loopback address, the native Hadoop library...) to a
    log file, not to the terminal: what the user sees on stderr is dedupe's
    own messages.  Its properties are :func:`session_conf`'s.  The executors
    run ``PYSPARK_PYTHON`` (or ``spark.pyspark.python``); for a ``local``
    master it defaults to this interpreter, for a cluster Spark's own
    default applies (``python3`` on each executor's PATH), see docs/spark.md.
    """
    try:
        from pyspark import SparkConf, SparkContext
        from pyspark.java_gateway import launch_gateway
        from pyspark.sql import SparkSession
    except ImportError:
        from dedupe.capabilities import hint_for

        raise ConfigError(f"the Spark engine needs pyspark: {hint_for('spark')} (and Java 17+)") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active, None
    props = session_conf(master, app, conf)
    master = props["spark.master"]
    spark_conf = SparkConf()
    for k, v in props.items():
        spark_conf.set(k, v)
    if props.get("spark.pyspark.python"):  # the executors' Python, as spark-submit honours it
        os.environ["PYSPARK_PYTHON"] = props["spark.pyspark.python"]
    elif master.startswith("local"):
        # the workers run this interpreter (and so find dedupe and numpy)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    fd, log = tempfile.mkstemp(prefix="dedupe-spark-", suffix=".log")
    try:
        with os.fdopen(fd, "wb") as out:  # the JVM keeps its own copy of the descriptor
            gateway = launch_gateway(spark_conf, popen_kwargs={"stdout": out, "stderr": out})  # type: ignore[no-untyped-call]
        sc = SparkContext(conf=spark_conf, gateway=gateway)
        spark = SparkSession(sc)
    except Exception as exc:  # noqa: BLE001 - no Java, bad master URL
        why = _log_tail(log) or _java_message(exc)
        raise ConfigError(f"could not start Spark ({master}): {why} (Spark's log: {log})", "--spark-master") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark, _Started(spark, log)


class SparkJobError(DedupeError):
    """A Spark job failed for a reason outside dedupe (the executors' environment, memory, inputs)."""


_DOCS = "see docs/spark.md"


def explain_failure(exc: BaseException, master: str = "") -> SparkJobError:
    """A failed Spark job as one line naming the cause and the fix.

    Spark reports an executor's failure as a Java exception whose text holds
    the executor's Python traceback or Java stack; this picks out what went
    wrong: the package missing on the executors, another Python version
    there, an input file an executor cannot see, memory, a Python that does
    not run.  Anything else is Spark's own first line (never "a bug in
    dedupe": the job ran outside this process)."""
    text = str(exc)
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc:
        text += "\n" + str(cause)
    m = re.search(r"ModuleNotFoundError: No module named '([\w.]+)'", text)
    if m:
        mod = m.group(1).split(".")[0]
        what = "dedupe" if mod == "dedupe" else f"{mod} (a dependency of dedupe)"
        return SparkJobError(
            f"Spark's executors cannot import {what}: their Python does not have dedupe installed; ship it with "
            "a packed environment (venv-pack or conda-pack: --spark-conf spark.archives=env.tar.gz#env and "
            "PYSPARK_PYTHON=./env/bin/python) or install the same dedupe wheel on every worker "
            f"({_DOCS})")
    if "PYTHON_VERSION_MISMATCH" in text or "different version" in text and "Python in worker" in text:
        m = re.search(r"Python in worker has different version:?\s*\(?([\d.]+)\)?\s*than that in driver:?\s*"
                      r"\(?([\d.]+)\)?", text)
        versions = f" (executors {m.group(1)}, driver {m.group(2)})" if m else ""
        return SparkJobError(
            f"Spark's executors run another Python minor version than the driver{versions}: they must match; "
            "point PYSPARK_PYTHON (or --spark-conf spark.pyspark.python=...) at a Python "
            f"{sys.version_info.major}.{sys.version_info.minor} with dedupe installed on every worker, "
            f"or ship one in a packed environment ({_DOCS})")
    m = re.search(r"Cannot run program \"([^\"]+)\"", text)
    if m:
        return SparkJobError(
            f"Spark's executors cannot run the Python {m.group(1)!r}: set PYSPARK_PYTHON (or --spark-conf "
            f"spark.pyspark.python=...) to a Python that exists on every worker, with dedupe installed ({_DOCS})")
    m = re.search(r"FileNotFoundException: (?:File )?(\S+?)(?: does not exist|\s*\(No such file or directory\))", text)
    if m or "FileNotFoundException" in text:
        which = f" ({m.group(1)})" if m else ""
        return SparkJobError(
            f"an input file was not found on a Spark executor{which}: inputs must exist at the same absolute "
            "path on every executor, or be given as shared-filesystem or object-store URLs (hdfs://, s3a://, "
            f"a file:/// path on a shared mount) ({_DOCS})")
    if re.search(r"OutOfMemoryError|Java heap space|GC overhead limit exceeded|\bMemoryError\b|"
                 r"failed to map segment from shared object|Cannot allocate memory|"
                 r"exceeding memory limits|Container killed .{0,80}memory|exit code 137|"
                 r"Python worker exited unexpectedly|Total size of serialized results .{0,80}bigger than "
                 r"spark.driver.maxResultSize", text, re.S):
        if "maxResultSize" in text:
            fix = "raise spark.driver.maxResultSize and spark.driver.memory"
        elif re.search(r"OutOfMemoryError|Java heap space|GC overhead limit exceeded", text):
            fix = ("the JVM's heap: raise spark.executor.memory (with a local[N] master, spark.driver.memory, "
                   "which holds the executors)")
        elif re.search(r"\bMemoryError\b|failed to map segment|Cannot allocate memory", text):
            fix = ("the Python workers' limit: raise spark.executor.pyspark.memory (when set) or "
                   "spark.executor.memoryOverhead, which the Python workers use")
        else:
            fix = "raise spark.executor.memoryOverhead (the Python workers use it) and spark.executor.memory"
        return SparkJobError(
            f"Spark ran out of memory: {fix} (e.g. --spark-conf spark.executor.memory=4g, or in "
            f"spark-defaults.conf), or give more partitions ({_DOCS})")
    first = _spark_reason(text)
    where = f" on {master}" if master else ""
    return SparkJobError(f"the Spark job failed{where}: {first} ({_DOCS})")


def _spark_reason(text: str) -> str:
    """The most telling line of a Spark failure: the innermost exception's message."""
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    lines = [x for x in lines if not x.startswith(("at ", "...", "File ", "^"))]
    for x in reversed(lines):
        m = re.match(r"^(?:Caused by: )?([\w.$]+(?:Exception|Error)): (.+)$", x)
        if m and "Py4JJavaError" not in m.group(1):
            return f"{m.group(1).rsplit('.', 1)[-1]}: {m.group(2)}"[:300]
    return (lines[0] if lines else type(text).__name__)[:300]


def _is_spark_failure(exc: BaseException) -> bool:
    """An exception that comes from Spark or its JVM (a failed job), not from dedupe's own code."""
    mod = type(exc).__module__ or ""
    return mod.startswith(("py4j", "pyspark"))


def scan_spark(
    paths: Sequence[str],
    settings: Settings | None = None,
    master: str | None = None,
    read_options: ReadOptions | None = None,
    *,
    model: PunktModel | None = None,
    partitions: int | None = None,
    spark: Any = None,
    conf: dict[str, str] | None = None,
) -> ScanResult:
    """:func:`dedupe.engine.pipeline.scan` on Apache Spark: the same clusters.

    Args:
        paths: files, directories, Parquet datasets or Hadoop URLs.
        settings: detection settings (defaults if None).
        master: Spark master URL (ignored when a session is active or given;
            default: ``spark.master`` of spark-defaults.conf, else ``local[2]``).
        read_options: JSON-lines / Parquet field names, include/exclude globs.
        model: Punkt parameters (default: the shipped news model).
        partitions: partitions for the shuffles (default: twice the
            default parallelism).
        spark: a SparkSession to use (else the active one, else a new one,
            stopped at the end).
        conf: Spark properties for a new session (``--spark-conf``), over
            ``spark-defaults.conf``.

    A failed Spark job raises :class:`SparkJobError`, one line naming the
    cause and the fix (:func:`explain_failure`).
    """
    settings = (settings or Settings()).validate()
    if "restatement" in settings.kinds:
        raise ConfigError("the restatement kind is not supported with --engine spark yet (use the embedded engine)",
                          "--kinds")
    options = read_options or ReadOptions()
    started = None
    if spark is None:
        spark, started = _session(master, "dedupe scan", conf)
    ok = False
    try:
        try:
            result = _scan(spark, list(paths), settings, options, model, partitions)
        except Exception as exc:
            if not _is_spark_failure(exc):
                raise
            raise (started.failure(exc) if started else explain_failure(exc, _master_of(spark))) from exc
        ok = True
        return result
    finally:
        if started is not None:
            started.stop(ok)


def scan_command(paths: Sequence[str], settings: Settings, read_options: ReadOptions, master: str | None,
                 against: Sequence[str] | None = None, spark_conf: Sequence[str] = ()) -> ScanResult:
    """What ``dedupe scan --engine spark`` runs (the CLI wires its flags here): ``master`` is
    ``--spark-master`` (``None``: spark-defaults.conf's, else ``local[2]``), ``spark_conf`` the
    ``--spark-conf KEY=VALUE`` values."""
    if against:
        raise ConfigError("--against is not supported with --engine spark yet (use the embedded engine)",
                          "--engine")
    return scan_spark(paths, settings, master, read_options, conf=parse_spark_conf(spark_conf))


def _master_of(spark: Any) -> str:
    try:
        return str(spark.sparkContext.master)
    except Exception:  # noqa: BLE001 - a session already gone
        return ""


def _scan(spark: Any, paths: list[str], settings: Settings, options: ReadOptions,
          model: PunktModel | None, partitions: int | None) -> ScanResult:
    from pyspark import StorageLevel

    sc = spark.sparkContext
    nparts = partitions or max(2, sc.defaultParallelism * 2)
    t0 = time.perf_counter()
    inputs, errors = list_inputs(spark, paths, options)
    job = _Job(settings, options, model, {i.index: i.name for i in inputs},
               {i.index: PARQUET for i in inputs if i.kind == PARQUET})

    # -- read and analyse ----------------------------------------------------
    parts = []
    every = _line_records(spark, inputs, options, errors)
    if every is not None:
        lines = every.sortByKey(numPartitions=nparts)
        parts.append(lines.mapPartitions(lambda rows: _read_lines_partition(job, rows)))
    files = [i for i in inputs if i.kind == "file"]
    if files:
        by_uri = {_qualify(spark, i.uri): i.index for i in files}
        raw = binary_files(spark, [i.uri for i in files], nparts)
        keyed = raw.map(lambda kv: (by_uri.get(kv[0], -1), kv[1]))
        parts.append(keyed.repartition(min(nparts, len(files)))
                     .mapPartitions(lambda rows: _read_files_partition(job, rows)))
    if not parts:
        return _empty_result(settings, errors, time.perf_counter() - t0)
    analysed = (sc.union(parts) if len(parts) > 1 else parts[0]).persist(StorageLevel.MEMORY_AND_DISK)

    # input errors drop the whole file, as in the embedded engine (its first error by line)
    collected = analysed.filter(lambda r: r[0] != "U").collect()
    first_error: dict[int, tuple[int, str]] = {}
    for r in collected:
        if r[0] == "E" and (r[1] not in first_error or r[2] < first_error[r[1]][0]):
            first_error[r[1]] = (r[2], r[3])
    metas = sorted(((r[1], r[2]) for r in collected if r[0] == "D"), key=lambda kv: kv[0])
    # a duplicate record id across partitions (within one, the reader reports it)
    first_line: dict[tuple[int, str], int] = {}
    for (fi, _), m in metas:
        if not m.line:
            continue
        seen = first_line.setdefault((fi, m.id), m.line)
        if seen != m.line and (fi not in first_error or m.line < first_error[fi][0]):
            rid = m.id[len(job.names[fi]) + 1:]
            first_error[fi] = (m.line, f"line {m.line}: duplicate id '{rid}' (first on line {seen})")
    check_all_read(job, [i.index for i in inputs if i.kind == "file"], collected)
    bad = set(first_error)
    for fi in sorted(bad):
        errors.append(InputError(first_error[fi][1], job.names[fi]))
    rows = analysed
    if bad:
        metas = [kv for kv in metas if kv[0][0] not in bad]
        rows = analysed.filter(lambda r: r[0] == "U" and r[2].key[0] not in bad)
    units = rows.filter(lambda r: r[0] == "U").map(lambda r: (r[1], r[2]))
    t1 = time.perf_counter()
    timings = {"analyse": t1 - t0}

    # -- match (DataFrames: the shuffles run in the JVM) ----------------------
    from pyspark.sql import functions as F

    bands, rows_per_band = settings.band_plan()
    thr, cset = settings.threshold, containment_floor(settings)  # containment is raised to the threshold
    cthr = cset if cset else 2.0
    min_size = min_contained(settings)
    n_units = sum(m.counts.units for _, m in metas)
    schema = ("okey long, f long, r long, k long, kind int, start long, end long, text string, "
              "loc array<long>, fps array<long>, bk array<long>")
    U = spark.createDataFrame(
        units.map(lambda kv: (kv[0], *kv[1].key, kv[1].kind, kv[1].start, kv[1].end, kv[1].text,
                              list(kv[1].location), kv[1].fps, kv[1].bands)), schema
    ).persist(StorageLevel.MEMORY_AND_DISK)
    # forms: identical (shingle set, kind) collapse; the first unit represents them
    forms = (U.groupBy("okey").agg(F.min(F.struct("f", "r", "k", "kind", "fps", "bk", "text")).alias("m"))
             .select("okey", "m.kind", "m.fps", "m.bk", F.size("m.fps").alias("size"), "m.text")
             .persist(StorageLevel.MEMORY_AND_DISK))
    n_forms = forms.count()
    # posting lists: which forms hold each shingle held by two or more
    post = (forms.select("okey", F.explode("fps").alias("fp")).groupBy("fp")
            .agg(F.collect_list("okey").alias("holders"), F.count("*").alias("freq"))
            .filter(F.col("freq") >= 2).persist(StorageLevel.MEMORY_AND_DISK))
    # per form, its shared shingles ranked by (frequency, fingerprint as unsigned)
    shared = (post.select("fp", "freq", F.explode("holders").alias("okey")).groupBy("okey")
              .agg(F.count("*").alias("nshared"),
                   F.collect_list(F.struct("freq", (F.col("fp").bitwiseXOR(F.lit(_MIN64))).alias("ford"),
                                           "fp")).alias("shared")))
    live = forms.join(shared, "okey")
    need_j = F.ceil(F.lit(thr) * F.col("size") - F.lit(1e-9))
    buckets = (live.filter(F.col("nshared") >= need_j).select("okey", F.posexplode("bk").alias("band", "key"))
               .groupBy("band", "key").agg(F.sort_array(F.collect_list("okey")).alias("m"))
               .filter(F.size("m") >= 2))
    # within a bucket, each form with the next max_bucket - 1 in form order
    cands = (buckets.select("m", F.posexplode("m").alias("p", "a"))
             .select("a", F.explode(F.slice("m", F.col("p") + 2, F.lit(settings.max_bucket - 1))).alias("b")))
    if cset > 0:
        need_c = F.ceil(F.lit(cset) * F.col("size") - F.lit(1e-9))
        slots = F.greatest(F.col("size") - need_c + 1, F.lit(1)) - (F.col("size") - F.col("nshared"))
        probes = (live.withColumn("slots", slots).filter(F.col("slots") > 0)
                  .select("okey", F.explode(F.slice(F.sort_array("shared"), F.lit(1), F.col("slots").cast("int"))).alias("e"))
                  .filter(F.col("e.freq") <= settings.max_posting).select("okey", F.col("e.fp").alias("fp")))
        contained = (probes.join(post.select("fp", "holders"), "fp")
                     .select("okey", F.explode("holders").alias("d")).filter(F.col("d") != F.col("okey"))
                     .select(F.least("okey", "d").alias("a"), F.greatest("okey", "d").alias("b")))
        cands = cands.unionByName(contained)
    fa = forms.select(F.col("okey").alias("a"), F.col("kind").alias("ka"), F.col("fps").alias("fa"))
    fb = forms.select(F.col("okey").alias("b"), F.col("kind").alias("kb"), F.col("fps").alias("fb"))
    cand = (cands.distinct().join(fa, "a").join(fb, "b").filter(F.col("ka") == F.col("kb"))
            .persist(StorageLevel.MEMORY_AND_DISK))
    n_cand = cand.count()
    inter, la, lb = F.size(F.array_intersect("fa", "fb")), F.size("fa"), F.size("fb")
    scored = cand.select("a", "b", inter.alias("inter"), la.alias("la"), lb.alias("lb")).filter(F.col("inter") > 0)
    # the embedded engine's rule (dedupe.sketch.verify.accepts) decides, on the executors
    verified = (spark.createDataFrame(scored.rdd.mapPartitions(partial(_verified_rows, thr, cthr, min_size)),
                                      "a long, b long, inter long, la long, lb long")
                .persist(StorageLevel.MEMORY_AND_DISK))
    # short units with a word or two changed: the embedded engine's candidates (shared rare shingles,
    # dedupe.sketch.containment.short_candidates) and its word rule (dedupe.sketch.verify.word_link)
    worded = None
    if settings.shingle == "word":
        smax, slack = short_size(settings.ngram), 2 * settings.ngram
        posting = min(settings.max_posting, SHORT_POSTING)
        # as short_candidates with the engine's element frequencies: a shingle is probed when at most
        # `posting` forms of any length hold it and at least two short ones do
        held = (forms.select(F.explode("fps").alias("fp")).groupBy("fp").count()
                .filter(F.col("count") <= posting).select("fp"))
        short_fp = forms.filter(F.col("size") <= smax).select("okey", "kind", "size", F.explode("fps").alias("fp"))
        rare = short_fp.join(held, "fp").groupBy("fp").count().filter(F.col("count") >= 2).select("fp")
        sf = short_fp.join(rare, "fp")
        sa = sf.select("fp", F.col("okey").alias("a"), F.col("kind").alias("ka"), F.col("size").alias("la"))
        sb = sf.select("fp", F.col("okey").alias("b"), F.col("kind").alias("kb"), F.col("size").alias("lb"))
        spairs = (sa.join(sb, "fp").filter((F.col("a") < F.col("b")) & (F.col("ka") == F.col("kb")))
                  .groupBy("a", "b", "la", "lb").agg(F.count("*").alias("inter"))
                  .filter(F.col("inter") >= F.greatest(F.lit(2), F.greatest("la", "lb") - F.lit(slack))))
        ta = forms.select(F.col("okey").alias("a"), F.col("text").alias("tx"))
        tb = forms.select(F.col("okey").alias("b"), F.col("text").alias("ty"))
        # pairs whose shingle Jaccard reaches the threshold are linked (and measured) already, as in match_units
        done = (verified.filter(F.col("inter") / (F.col("la") + F.col("lb") - F.col("inter")) >= F.lit(thr))
                .select(F.least("a", "b").alias("a"), F.greatest("a", "b").alias("b")))
        spairs = spairs.join(done, ["a", "b"], "left_anti")
        scand = spairs.join(ta, "a").join(tb, "b").select("a", "b", "inter", "la", "lb", "tx", "ty")
        n_cand += scand.count()
        worded = spark.createDataFrame(scand.rdd.mapPartitions(partial(_word_rows, thr)),
                                       "a long, b long, inter long, la long, lb long, words double"
                                       ).persist(StorageLevel.MEMORY_AND_DISK)
        edges = verified.select("a", "b").unionByName(worded.select("a", "b"))
    else:
        edges = verified.select("a", "b")
    comp = connected_components(edges.select(F.col("a").alias("u"), F.col("b").alias("v")))
    # units of components with at least two units (identical repeats count)
    labelled = (U.join(comp.select(F.col("u").alias("okey"), F.col("v").alias("label")), "okey", "left")
                .withColumn("label", F.coalesce("label", "okey")))
    big = labelled.groupBy("label").count().filter(F.col("count") >= 2).select("label")
    kept_rows = (labelled.join(big, "label")
                 .select("okey", "f", "r", "k", "kind", "start", "end", "text", "loc").collect())
    kept = [(row[0], UnitRow((row[1], row[2], row[3]), row[4], row[5], row[6], row[7], tuple(row[8])))
            for row in kept_rows]
    pairs = []
    for a, b, n, x, y in verified.select("a", "b", "inter", "la", "lb").collect():
        pairs.append((a, b, n, *_similarities(n, x, y), -1.0))
    if worded is not None:
        for a, b, n, x, y, w in worded.collect():
            pairs.append((a, b, n, *_similarities(n, x, y), w))
        worded.unpersist()
    t2 = time.perf_counter()
    timings["match"] = t2 - t1
    for r in (analysed, U, forms, post, cand, verified):
        r.unpersist()

    result = _finish(metas, kept, pairs, settings, errors, timings, n_units, n_forms, n_cand, bands, rows_per_band)
    timings["cluster"] = time.perf_counter() - t2
    return result


def _similarities(shared: int, la: int, lb: int) -> tuple[float, float]:
    """Jaccard and containment of a pair: the embedded engine's float divisions."""
    return shared / (la + lb - shared), shared / (la if la < lb else lb)


def _word_rows(threshold: float, rows: Iterable[Row]) -> Iterator[Row]:
    """The short candidate pairs ``(a, b, shared, |A|, |B|, text a, text b)`` the word rule
    (:func:`dedupe.sketch.verify.word_link`) links, with their word similarity."""
    for a, b, n, x, y, ta, tb in rows:
        w = word_link(tokens(ta), tokens(tb), threshold)
        if w is not None:
            yield (a, b, n, x, y, w)


def _verified_rows(threshold: float, min_containment: float, min_size: int,
                   rows: Iterable[Row]) -> Iterator[Row]:
    """The scored candidate pairs ``(a, b, shared, |A|, |B|)`` that pass :func:`accepts`."""
    for a, b, n, x, y in rows:
        jac, con = _similarities(n, x, y)
        if accepts(jac, con, min(x, y), threshold, min_containment, min_size):
            yield (a, b, n, x, y)


# -- documents mapped in Spark, results on the driver (the index's add) --------


def _line_sizes(rows: Iterable[tuple[tuple[int, int], str]]) -> Iterator[dict[int, int]]:
    """Characters per file in a partition of sorted lines (each line and its newline)."""
    sizes: dict[int, int] = {}
    for (fi, line), text in rows:
        sizes[fi] = sizes.get(fi, 0) + len(text) + 1 - (line == 1 and text.startswith("\ufeff"))
    yield sizes


def _map_partition(job: _Job, fn: Callable[[list[Document]], Any], batch: int,
                   reads: Iterable[_Read]) -> Iterator[Row]:
    """``fn`` over a partition's documents, ``batch`` at a time, in input order:
    ``("R", key, count, result)`` rows (``key`` orders them: plain files by
    file index, then JSON-lines records by file and line), ``("I", file,
    line, id)`` per JSON-lines record (duplicate ids across partitions) and
    ``("E", file, line, message)`` per input error."""
    docs: list[Document] = []
    first: tuple[int, int, int] | None = None
    for r in reads:
        if not job.lines.get(r.file_index, False):
            yield ("F", r.file_index)  # this file reached an executor (see :func:`check_all_read`)
        if r.error is not None:
            yield ("E", r.file_index, r.error[0], r.error[1])
            continue
        lines = job.lines.get(r.file_index, False)
        if lines:  # a JSON-lines file's records: never batched with another file's
            for rec, d in r.records:
                yield ("I", r.file_index, rec, d.id)
            for k in range(0, len(r.records), batch):
                chunk = r.records[k:k + batch]
                yield ("R", (1, r.file_index, chunk[0][0]), len(chunk), fn([d for _, d in chunk]))
            continue
        for _, d in r.records:
            if first is None:
                first = (0, r.file_index, 0)
            docs.append(d)
            if len(docs) >= batch:
                yield ("R", first, len(docs), fn(docs))
                docs, first = [], None
    if docs and first is not None:
        yield ("R", first, len(docs), fn(docs))


def map_documents(
    paths: Sequence[str],
    options: ReadOptions | None,
    master: str | None,
    fn: Callable[[list[Document]], T],
    *,
    errors: list[DedupeError] | None = None,
    batch: int = 1000,
    name: Callable[[str], str] = normalize_path,
    progress: Callable[[int, int], None] | None = None,
    partitions: int | None = None,
    spark: Any = None,
    conf: dict[str, str] | None = None,
) -> Iterator[T]:
    """``fn`` applied in Spark partitions to the documents of ``paths``, the
    results yielded on the driver in input order: plain files first (in the
    walk's order, up to ``batch`` documents of several files per call), then
    each JSON-lines file's or Parquet dataset's records (at most ``batch``
    per call, one file per call).

    Inputs are listed and read exactly as ``dedupe scan --engine spark``
    reads them; documents are named with ``name`` (the scan's
    :func:`normalize_path` by default).  ``fn`` must be picklable (a
    module-level function or a :func:`functools.partial` of one).  Input
    errors go to ``errors`` (all of them before the first result): an
    unreadable file, or a JSON-lines file with a bad record or a duplicate
    id, is dropped whole, as the embedded readers drop it.  The results are
    kept by the executors (memory, then disk) and fetched one partition at a
    time (``partitions``, by default twice the default parallelism and at
    least one per ``8 * batch`` files or records); ``progress(done, total)``
    counts documents.
    """
    options = options or ReadOptions()
    errors = errors if errors is not None else []
    started = None
    if spark is None:  # without pyspark: the scan's one-line ConfigError
        spark, started = _session(master, "dedupe index add", conf)
    ok = False
    try:
        yield from _map_documents(spark, paths, options, fn, errors, batch, name, progress, partitions)
        ok = True
    except GeneratorExit:  # the caller stopped early (an error of its own is reported by the caller)
        ok = True
        raise
    except Exception as exc:
        if not _is_spark_failure(exc):
            raise
        raise (started.failure(exc) if started else explain_failure(exc, _master_of(spark))) from exc
    finally:
        if started is not None:
            started.stop(ok)


def _map_documents(spark: Any, paths: Sequence[str], options: ReadOptions, fn: Callable[[list[Document]], T],
                   errors: list[DedupeError], batch: int, name: Callable[[str], str],
                   progress: Callable[[int, int], None] | None, partitions: int | None) -> Iterator[T]:
    from pyspark import StorageLevel

    sc = spark.sparkContext
    nparts = partitions or max(2, sc.defaultParallelism * 2)
    # the driver holds one partition's results at a time: more partitions for more documents
    per_partition = max(1, 8 * batch)
    inputs, listed = list_inputs(spark, paths, options, name=name)
    errors.extend(listed)
    job = _Job(Settings(), options, None, {i.index: i.name for i in inputs},
               {i.index: PARQUET for i in inputs if i.kind == PARQUET},
               {i.index: i.kind != "file" for i in inputs})
    parts = []
    files = [i for i in inputs if i.kind == "file"]
    if files:  # sorted by file index, so the partitions hold runs of files in the walk's order
        by_uri = {_qualify(spark, i.uri): i.index for i in files}
        raw = binary_files(spark, [i.uri for i in files], nparts)
        nfiles = min(len(files), nparts if partitions else max(nparts, -(-len(files) // per_partition)))
        keyed = raw.map(lambda kv: (by_uri.get(kv[0], -1), kv[1])).sortByKey(numPartitions=nfiles)
        parts.append(keyed.mapPartitions(lambda rows: _map_partition(job, fn, batch, _read_files(job, rows))))
    every = _line_records(spark, inputs, options, errors)
    if every is not None:
        nlines = nparts if partitions else max(nparts, -(-every.count() // per_partition))
        lines = every.sortByKey(numPartitions=nlines)
        # where each partition's lines start in their file (characters), so offsets are the file's
        sizes = lines.mapPartitions(_line_sizes).collect()
        bases: list[dict[int, int]] = []
        total: dict[int, int] = {}
        for part in sizes:
            bases.append({fi: total.get(fi, 0) for fi in part})
            for fi, n in part.items():
                total[fi] = total.get(fi, 0) + n
        parts.append(lines.mapPartitionsWithIndex(
            lambda k, rows: _map_partition(job, fn, batch, _read_lines(job, rows, bases[k]))))
    if not parts:
        return
    mapped = (sc.union(parts) if len(parts) > 1 else parts[0]).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        meta = mapped.map(lambda r: ("C", r[1][1], r[2]) if r[0] == "R" else r).collect()
        check_all_read(job, [i.index for i in files], meta)
        bad = _bad_files(job, meta, errors)
        todo = sum(r[2] for r in meta if r[0] == "C" and r[1] not in bad)
        done = 0
        for r in mapped.filter(lambda r: r[0] == "R" and r[1][1] not in bad).toLocalIterator():
            done += r[2]
            if progress:
                progress(done, todo)
            yield r[3]
    finally:
        mapped.unpersist()


def _bad_files(job: _Job, meta: list[Row], errors: list[DedupeError]) -> set[int]:
    """Files to drop: an input error in any partition, or a record id seen on
    two lines (the embedded reader's first error by line is reported)."""
    first_error: dict[int, tuple[int, str]] = {}
    for r in meta:
        if r[0] == "E" and (r[1] not in first_error or r[2] < first_error[r[1]][0]):
            first_error[r[1]] = (r[2], r[3])
    first_line: dict[tuple[int, str], int] = {}
    for _, fi, line, did in sorted(r for r in meta if r[0] == "I"):
        seen = first_line.setdefault((fi, did), line)
        if seen != line and (fi not in first_error or line < first_error[fi][0]):
            rid = did[len(job.names[fi]) + 1:]
            first_error[fi] = (line, f"line {line}: duplicate id '{rid}' (first on line {seen})")
    for fi in sorted(first_error):
        errors.append(InputError(first_error[fi][1], job.names[fi]))
    return set(first_error)


def _line_records(spark: Any, inputs: Sequence[Input], options: ReadOptions, errors: list[DedupeError]) -> Any:
    """One RDD of ``((file index, line number), text)`` over every JSON-lines and Parquet input (unsorted),
    or ``None`` when there is none."""
    sc = spark.sparkContext
    rdds = []
    for inp in inputs:
        if inp.kind == "lines":
            rdds.append(sc.textFile(one_path(inp.uri)).zipWithIndex().map(lambda x, fi=inp.index: ((fi, x[1] + 1), x[0])))
        elif inp.kind == PARQUET:
            rdds.append(_parquet_lines(spark, inp, options, errors))
    rdds = [r for r in rdds if r is not None]
    return sc.union(rdds) if rdds else None


def _qualify(spark: Any, uri: str) -> str:
    """The URI as ``binaryFiles`` names it (qualified by Hadoop)."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    p = jvm.org.apache.hadoop.fs.Path(uri)
    return str(p.getFileSystem(conf).makeQualified(p).toString())


def _parquet_lines(spark: Any, inp: Input, options: ReadOptions, errors: list[DedupeError]) -> Any:
    """A Parquet dataset as JSON-lines records (one per row, in file order):
    its id/title/text columns are read like a JSON-lines export's fields."""
    try:
        df = spark.read.parquet(glob_escape(inp.uri))
    except Exception as exc:  # noqa: BLE001 - unreadable or not Parquet
        errors.append(InputError(f"not a readable Parquet dataset: {_java_message(exc)}", inp.name))
        return None
    cols = [c for c in dict.fromkeys((options.id_field, options.title_field, options.text_field)) if c in df.columns]
    if options.text_field not in df.columns:
        errors.append(InputError(f"no '{options.text_field}' column", inp.name))
        return None
    files = sorted(unquote(f) for f in df.inputFiles())  # part files in name order, rows in file order
    rdds = [spark.read.parquet(glob_escape(f)).select(*cols).rdd for f in files]
    allrows = spark.sparkContext.union(rdds) if len(rdds) > 1 else rdds[0]
    return (allrows.zipWithIndex()
            .map(lambda x, fi=inp.index: ((fi, x[1] + 1), json.dumps(x[0].asDict(), ensure_ascii=False, default=str))))


def _finish(metas: list[tuple[tuple[int, int], DocMeta]], kept: list[tuple[int, UnitRow]],
            pairs: list[tuple[int, int, int, float, float, float]], settings: Settings, errors: list[DedupeError], timings: dict[str, float],
            n_units: int, n_forms: int, n_cand: int, bands: int, rows: int) -> ScanResult:
    """Clusters and roll-ups on the driver, by the embedded engine's own code."""
    infos = [document_info(m, m.counts, False) for _, m in metas]
    kept.sort(key=lambda x: x[1].key)
    needed = sorted({u.key[:2] for _, u in kept})
    meta_of = dict(metas)
    sources = {k: MemberSource(meta_of[k]) for k in needed}
    doc_index = {k: i for i, k in enumerate(needed)}
    for _, u in kept:
        sources[u.key[:2]].add(u)
    okeys = np.array([o for o, _ in kept], dtype=np.int64)
    uniq, form_of = np.unique(okeys, return_inverse=True) if len(okeys) else (okeys, okeys)
    form_index = {int(o): i for i, o in enumerate(uniq.tolist())}
    vpairs: list[VerifiedPair] = []
    words: list[VerifiedPair] = []
    for a, b, inter, jac, con, w in sorted(pairs):
        ia, ib = form_index[a], form_index[b]
        vp = VerifiedPair(min(ia, ib), max(ia, ib), inter, jac, con, w)
        (words if w >= 0 else vpairs).append(vp)
    vpairs = merge_word_links(sorted(vpairs, key=lambda p: (p.a, p.b)), words, settings.threshold)  # as the embedded engine
    n = len(kept)
    table = UnitTable(
        doc=np.array([doc_index[u.key[:2]] for _, u in kept], dtype=np.int64),
        kind=np.array([u.kind for _, u in kept], dtype=np.int8),
        start=np.array([u.start for _, u in kept], dtype=np.int64),
        end=np.array([u.end for _, u in kept], dtype=np.int64),
        offsets=np.zeros(n + 1, dtype=np.int64),
        fps=np.zeros(0, dtype=np.uint64),
        sigs=np.zeros((n, 0), dtype=np.uint32),
        setkey=np.zeros(n, dtype=np.uint64),
    )
    matches = Matches(np.asarray(form_of, dtype=np.int64).reshape(-1), vpairs, n_cand, bands, rows)
    docs = cast(Sequence[Document], [sources[k] for k in needed])
    archive = [False] * len(needed)
    clusters = build_clusters(docs, table, matches, settings, archive)
    rollup = build_overlaps(docs, [meta_of[k].counts for k in needed], clusters, archive)
    stats = scan_stats(n_units, n_forms, n_cand, len(vpairs), bands, rows, rollup)  # merged, as the embedded engine
    return scan_result(infos, clusters, rollup, settings, errors, timings, stats)


def _empty_result(settings: Settings, errors: list[DedupeError], seconds: float) -> ScanResult:
    bands, rows = settings.band_plan()
    return scan_result([], [], None, settings, errors, {"analyse": seconds}, scan_stats(0, 0, 0, 0, bands, rows))
