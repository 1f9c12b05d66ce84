"""The Spark engine gives exactly the embedded engine's findings (real SparkSession on local[2])."""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import SEEDS, invoke

from dedupe.api import scan
from dedupe.config import Settings
from dedupe.engine.pipeline import normalize_path
from dedupe.engine.spark import (
    SparkJobError,
    explain_failure,
    parse_spark_conf,
    scan_command,
    scan_spark,
    session_conf,
)
from dedupe.errors import ConfigError
from dedupe.findings import ScanResult, cluster_fingerprint
from dedupe.readers import ReadOptions


def as_dict(result: ScanResult, rename: dict[str, str] | None = None, positions: bool = True) -> dict:
    """The result's JSON without timings; ``rename`` maps input names (ids and
    fingerprints follow), ``positions=False`` drops line/column."""
    rename = rename or {}

    def ren(s: str) -> str:
        for old, new in rename.items():
            if s == old or s.startswith(old + "#"):
                return new + s[len(old):]
        return s

    d = result.to_dict()
    d["summary"].pop("seconds")
    for doc in d["documents"]:
        doc["id"], doc["path"] = ren(doc["id"]), ren(doc["path"])
        doc.pop("format")
    for c, obj in zip(d["clusters"], result.clusters):
        for m in c["members"]:
            m["doc"], m["path"] = ren(m["doc"]), ren(m["path"])
            if not positions:
                for k in ("line", "column", "end_line", "end_column"):
                    m.pop(k)
        if rename:  # the fingerprint names the documents
            c["fingerprint"] = cluster_fingerprint(obj.kind, [replace(m, doc=ren(m.doc)) for m in obj.members])
    for o in d["overlaps"]:
        o["doc"], o["other"] = ren(o["doc"]), ren(o["other"])
    d["errors"] = [ren(e) for e in d["errors"]]
    return d


def export(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def seed_records() -> list[dict]:
    """The seed articles as a CMS export, plus a lightly edited re-run of each."""
    out = []
    for i, f in enumerate(sorted(SEEDS.glob("*.txt"))):
        text = f.read_text(encoding="utf-8")
        out.append({"id": f"s{i}", "title": f.stem, "text": text})
        out.append({"id": i + 100, "text": text.replace(" the ", " a ", 3)})
    return out


def reuters_records(path: Path, n: int) -> list[dict]:
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["body"].strip():
                out.append(rec)
            if len(out) >= n:
                break
    return out


def test_plain_files_and_jsonl_identical(spark, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    jl = export(tmp_path / "cms.jsonl", seed_records())
    paths = [str(SEEDS), "cms.jsonl"]
    embedded = scan(paths, Settings())
    distributed = scan_spark(paths, Settings(), spark=spark)
    assert embedded.clusters, "the inputs must have repeats for this test to mean anything"
    assert len({c.kind for c in embedded.clusters}) >= 2
    assert as_dict(distributed) == as_dict(embedded)
    assert distributed.stats == embedded.stats
    assert jl.exists()


def test_parquet_gzip_and_url_inputs(spark, tmp_path):
    records = seed_records()
    jl = export(tmp_path / "cms.jsonl", records)
    gz = tmp_path / "copy.jsonl.gz"
    gz.write_bytes(gzip.compress(jl.read_bytes()))
    pq = tmp_path / "cms.parquet"
    rows = spark.sparkContext.parallelize([(str(r["id"]), r.get("title"), r["text"]) for r in records], 2)
    spark.createDataFrame(rows, "id string, title string, text string").write.parquet(str(pq))
    assert len(list(pq.glob("part-*.parquet"))) == 2  # rows must come back in part-file order
    embedded = scan([str(jl)], Settings())
    assert embedded.clusters
    via_gz = scan_spark(["file://" + str(gz)], Settings(), spark=spark)
    assert as_dict(via_gz, {"file:" + str(gz): normalize_path(str(jl))}) == as_dict(embedded)
    via_pq = scan_spark([str(pq)], Settings(), spark=spark)
    # the same documents and clusters; positions of a Parquet row are in its JSON rendering
    assert as_dict(via_pq, {normalize_path(str(pq)): normalize_path(str(jl))}, positions=False) == \
        as_dict(embedded, positions=False)
    assert {d.format for d in via_pq.documents} == {"parquet"}


def test_hadoop_directory_url(spark, tmp_path):
    """A directory given as a Hadoop URL is walked in the embedded engine's order;
    hidden and ``_``-prefixed files and unsupported extensions are left out."""
    d = tmp_path / "archive"
    (d / "0-sub").mkdir(parents=True)  # sorts before the files beside it; walked after them
    seeds = [f for f in sorted(SEEDS.iterdir()) if f.is_file()]
    assert len(seeds) >= 4
    for f in seeds[:2]:
        shutil.copy(f, d / f.name)
    for f in seeds[2:]:
        shutil.copy(f, d / "0-sub" / f.name)
    (d / "_SUCCESS").write_text("")
    (d / ".hidden.txt").write_text(seeds[0].read_text("utf-8"))
    (d / "image.png").write_bytes(b"\x89PNG")
    embedded = scan([str(d)], Settings())
    distributed = scan_spark(["file://" + str(d)], Settings(), spark=spark)
    rename = {"file:" + str(f): normalize_path(str(f)) for f in d.rglob("*") if f.is_file()}
    assert embedded.clusters and len(distributed.documents) == len(seeds)
    assert as_dict(distributed, rename) == as_dict(embedded)


def test_reuters_subset_identical(spark, tmp_path, reuters_path):
    jl = export(tmp_path / "reuters.jsonl", reuters_records(reuters_path, 400))
    opts = ReadOptions(id_field="newid", text_field="body")
    embedded = scan([str(jl)], Settings(), read_options=opts)
    distributed = scan_spark([str(jl)], Settings(), read_options=opts, spark=spark)
    assert len(embedded.clusters) > 20
    assert as_dict(distributed) == as_dict(embedded)
    assert distributed.stats == embedded.stats


def test_truncated_buckets_and_skipped_postings_identical(spark, tmp_path, reuters_path):
    """Tiny bucket and posting limits: the candidates the embedded engine
    leaves out must be left out the same way."""
    records = reuters_records(reuters_path, 150)
    for v in range(1, 4):  # near-copies: buckets of several forms, shingles held by many
        for r in records[:40]:
            words = r["body"].split(" ")
            for i in range(v * 4, len(words), 15):
                words[i] = f"zz{v}"
            records.append({**r, "newid": r["newid"] + 100000 * v, "body": " ".join(words)})
    jl = export(tmp_path / "reuters.jsonl", records)
    opts = ReadOptions(id_field="newid", text_field="body")
    settings = Settings(max_bucket=2, max_posting=3, containment=0.6)
    embedded = scan([str(jl)], settings, read_options=opts)
    distributed = scan_spark([str(jl)], settings, read_options=opts, spark=spark, partitions=3)
    unlimited = scan([str(jl)], Settings(containment=0.6), read_options=opts)
    assert unlimited.stats["candidates"] != embedded.stats["candidates"], "the limits must bite"
    assert as_dict(distributed) == as_dict(embedded)
    assert distributed.stats == embedded.stats


def test_bad_inputs_reported_like_embedded(spark, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recs = seed_records()
    lines = [json.dumps(r) for r in recs]
    lines.insert(3, "{not json")
    (tmp_path / "bad.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    dup = [json.dumps(r) for r in recs] + [json.dumps(recs[0])]
    (tmp_path / "dup.jsonl").write_text("\n".join(dup) + "\n", encoding="utf-8")
    export(tmp_path / "good.jsonl", recs)
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01")
    (tmp_path / "copy of seed.txt").write_text(recs[0]["text"], encoding="utf-8")
    paths = ["bad.jsonl", "dup.jsonl", "good.jsonl", "notes.bin", "missing.txt", "copy of seed.txt"]
    embedded = scan(paths, Settings())
    distributed = scan_spark(paths, Settings(), spark=spark, partitions=3)
    assert len(embedded.errors) == 4 and embedded.clusters
    assert as_dict(distributed) == as_dict(embedded)


def test_scan_command_refuses_against():
    with pytest.raises(ConfigError, match="--against"):
        scan_command(["x"], Settings(), ReadOptions(), "local[2]", against=["archive"])


def test_the_cli_runs_the_spark_engine(spark, tmp_path):
    """``dedupe scan --engine spark --spark-master local[2]``: the same clusters as the embedded engine."""
    args = ["scan", str(SEEDS), "--exclude", "README.md", "--exclude", "archive/*", "--format", "json"]
    embedded = invoke(*args, cwd=tmp_path)
    on_spark = invoke(*args, "--engine", "spark", "--spark-master", "local[2]", cwd=tmp_path)
    assert embedded.returncode == 0 and on_spark.returncode == 0, on_spark.stderr
    fp = [(c["fingerprint"], [(m["doc"], m["start"], m["end"]) for m in c["members"]])
          for c in json.loads(embedded.stdout)["clusters"]]
    assert fp and fp == [(c["fingerprint"], [(m["doc"], m["start"], m["end"]) for m in c["members"]])
                         for c in json.loads(on_spark.stdout)["clusters"]]
    bad = invoke("scan", str(SEEDS), "--spark-master", "local[2]", cwd=tmp_path)
    assert bad.returncode == 2 and "--spark-master needs --engine spark" in bad.stderr


def test_a_new_session_keeps_the_jvm_s_lines_off_the_terminal(tmp_path):
    """``dedupe scan --engine spark`` in a process of its own starts its own JVM: its start-up lines and
    warnings go to a log file, deleted after a run that worked; a master that cannot start is one line
    naming Spark's reason and the kept log."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "TMPDIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "dedupe", "scan", str(SEEDS), "--exclude", "README.md", "--exclude", "archive/*",
           "--engine", "spark", "--spark-master", "local[2]"]
    ok = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=240)
    assert ok.returncode == 0, ok.stderr
    assert "clusters" in ok.stdout and ok.stderr == ""
    assert list(tmp_path.glob("dedupe-spark-*.log")) == []
    bad = subprocess.run(cmd[:-1] + ["bogus://nowhere"], capture_output=True, text=True, env=env, timeout=240)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "could not start Spark (bogus://nowhere)" in lines[0]
    (log,) = tmp_path.glob("dedupe-spark-*.log")
    assert str(log) in lines[0] and "Master must either be yarn or start with spark, k8s, or local" in lines[0]
    assert "SparkSubmit" in log.read_text(errors="replace")  # the whole story is in the log


def members(result: ScanResult, rename: dict[str, str] | None = None, positions: bool = True) -> tuple:
    """What was read: every document with its units and sentences, and the input errors.  (Clusters are
    compared by the other tests; the embedded engine's word-level verification is not on Spark yet.)"""
    d = as_dict(result, rename, positions)
    return [(x["id"], x["path"], x["units"], x["sentences"]) for x in d["documents"]], d["errors"]


HOSTILE = ("c,d.txt", "e[1].txt", "f{x}.txt", "g*.txt", "g-extra.txt", "h\\i.txt", "j?.txt", "k{.txt",
           "p}q,r.txt", "x{a,b}.txt", "xa.txt", "n o%20.txt")


def test_hostile_names_read_exactly(spark, tmp_path, monkeypatch):
    """Names with glob and comma characters are read as those files, nothing more (Hadoop would
    split ``c,d.txt`` at the comma, expand ``g*.txt`` to ``g-extra.txt`` too, and fail on ``f{x}.txt``):
    the documents, units and clusters are the embedded engine's, for plain files, JSON lines and Parquet,
    given as local paths and as a Hadoop URL."""
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "in,[1]{x}*"
    d.mkdir()
    seeds = [f for f in sorted(SEEDS.glob("*.txt"))]
    for k, name in enumerate(HOSTILE):  # every name holds text another one repeats
        text = seeds[k % len(seeds)].read_text(encoding="utf-8")
        (d / name).write_text(text + f"\nA line of file number {k} for the paragraph count here.\n", encoding="utf-8")
    export(d / "cms,[1].jsonl", seed_records())
    export(d / "g*.jsonl", seed_records()[:2])
    export(d / "g-extra.jsonl", seed_records()[2:])
    embedded = scan([d.name], Settings())
    assert len(embedded.documents) == len(HOSTILE) + 2 * len(seed_records())
    assert len(embedded.clusters) > 5
    distributed = scan_spark([d.name], Settings(), spark=spark, partitions=3)
    assert [x.id for x in distributed.documents] == [x.id for x in embedded.documents]
    assert [x.units for x in distributed.documents] == [x.units for x in embedded.documents]
    assert members(distributed) == members(embedded)
    # a Hadoop URL of the folder: the same files
    via_url = scan_spark(["file://" + str(d)], Settings(), spark=spark)
    assert len(via_url.documents) == len(embedded.documents)
    rename = {"file:" + str(f): normalize_path(str(f.relative_to(tmp_path))) for f in d.iterdir()}
    assert members(via_url, rename) == members(embedded)
    # a Parquet dataset under a hostile name
    pq = tmp_path / "cms,[1]{a}.parquet"
    rows = spark.sparkContext.parallelize([(str(r["id"]), r.get("title"), r["text"]) for r in seed_records()], 2)
    spark.createDataFrame(rows, "id string, title string, text string").write.parquet("file://" + str(pq))
    via_pq = scan_spark([pq.name], Settings(), spark=spark)
    jl = scan([f"{d.name}/cms,[1].jsonl"], Settings())
    assert members(via_pq, {pq.name: f"{d.name}/cms,[1].jsonl"}, positions=False) == members(jl, positions=False)


def test_control_characters_in_names_shown_as_the_embedded_engine(spark, tmp_path, monkeypatch):
    """A name holding a newline or ESC is shown (and so fingerprinted) escaped, as by the embedded engine."""
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "in"
    d.mkdir()
    text = sorted(SEEDS.glob("*.txt"))[0].read_text(encoding="utf-8")
    for name in ("new\nline.txt", "esc\x1b[31m.txt", "plain.txt"):
        (d / name).write_text(text, encoding="utf-8")
    embedded = scan([d.name], Settings())
    distributed = scan_spark([d.name], Settings(), spark=spark, partitions=2)
    assert [x.id for x in distributed.documents] == [x.id for x in embedded.documents]
    assert not any("\n" in x.id or "\x1b" in x.id for x in distributed.documents)
    assert members(distributed) == members(embedded)


# -- executor-side failures: one line naming the cause and the fix ------------------------------------------


def _one_seed(tmp_path: Path) -> list[str]:
    src = sorted(SEEDS.glob("*.txt"))[0]
    dst = tmp_path / "seed.txt"
    shutil.copy(src, dst)
    return [str(dst)]


def test_executors_without_dedupe_are_told_how_to_ship_it(spark, tmp_path):
    """Executors whose Python lacks dedupe (the system python3 here): the one-line message says how to
    ship the package, never "a bug in dedupe"."""
    import subprocess

    bare = shutil.which("python3", path="/usr/bin")
    assert bare, "the system python3 is needed for this test"
    probe = subprocess.run([bare, "-c", "import dedupe, numpy"], capture_output=True, text=True, cwd=tmp_path)
    assert probe.returncode != 0, f"{bare} must not have dedupe installed for this test"
    sc = spark.sparkContext
    saved = sc.pythonExec
    sc.pythonExec = bare  # the Python the executors start for this job's tasks
    try:
        with pytest.raises(SparkJobError) as err:
            scan_spark(_one_seed(tmp_path), Settings(), spark=spark)
    finally:
        sc.pythonExec = saved
    msg = str(err.value)
    assert msg.startswith("Spark's executors cannot import ") and "dedupe" in msg and "spark.archives" in msg and "docs/spark.md" in msg
    assert "\n" not in msg and "bug" not in msg


def other_minor_python() -> str | None:
    """A real interpreter of another Python minor version than this one (pyenv's, the system's, uv's), or None."""
    import glob
    import os
    import subprocess

    here = sys.version_info[:2]
    names = [f"python3.{m}" for m in range(10, 16) if m != here[1]]  # pyspark's worker runs on 3.10+
    found = [p for n in names for p in [shutil.which(n, path="/usr/bin:/usr/local/bin")] if p]
    for root in ("~/.pyenv/versions", "~/.local/share/uv/python"):
        found += sorted(glob.glob(os.path.expanduser(f"{root}/*/bin/python3.1[0-9]")))
    for exe in found:
        r = subprocess.run([exe, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True, text=True)
        if r.returncode == 0 and tuple(map(int, r.stdout.split())) != here and int(r.stdout.split()[1]) >= 10:
            return exe
    return None


def test_python_version_mismatch_is_named(spark, tmp_path):
    """Executors running a real Python of another minor version (pyenv's 3.12 or 3.10 here): PySpark's worker
    refuses the driver ([PYTHON_VERSION_MISMATCH]), said in one line naming both versions and the fix."""
    import subprocess

    exe = other_minor_python()
    assert exe, ("this test needs a Python 3.10+ of another minor version than the driver's (e.g. "
                 "/usr/bin/python3.12 or a pyenv or uv Python)")
    theirs = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True,
                            text=True).stdout.strip()
    sc = spark.sparkContext
    saved = sc.pythonExec
    sc.pythonExec = exe  # the Python the executors start for this job's tasks
    try:
        with pytest.raises(SparkJobError) as err:
            scan_spark(_one_seed(tmp_path), Settings(), spark=spark)
    finally:
        sc.pythonExec = saved
    msg = str(err.value)
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert f"another Python minor version than the driver (executors {theirs}, driver {here})" in msg, msg
    assert "PYSPARK_PYTHON" in msg and "\n" not in msg and "bug" not in msg


def test_python_workers_out_of_memory_name_the_setting(spark, tmp_path):
    """A real out-of-memory on the executors: the Python workers capped at 160 MB of address space (what
    spark.executor.pyspark.memory does: PYSPARK_EXECUTOR_MEMORY_MB, an RLIMIT_AS in each worker) reading
    a 12 MB article of 130,000 sentences: one line naming the setting to raise."""
    import random

    words = (SEEDS / "000_f6852705ebf30c58.txt").read_text("utf-8").split()
    rng = random.Random(1)
    big = tmp_path / "big.txt"
    big.write_text("".join(" ".join(rng.choice(words) for _ in range(14)) + ".\n" for _ in range(130_000)))
    sc = spark.sparkContext
    sc.environment["PYSPARK_EXECUTOR_MEMORY_MB"] = "160"  # passed to the workers of this job's functions
    try:
        with pytest.raises(SparkJobError) as err:
            scan_spark([str(big)], Settings(), spark=spark)
    finally:
        sc.environment.pop("PYSPARK_EXECUTOR_MEMORY_MB", None)
    msg = str(err.value)
    assert msg.startswith("Spark ran out of memory: the Python workers' limit"), msg
    assert "spark.executor.pyspark.memory" in msg and "\n" not in msg and "bug" not in msg


def test_a_file_an_executor_cannot_see(spark, tmp_path, monkeypatch):
    """An input the driver listed but an executor cannot open: one line naming the rule, whether Spark
    raises (textFile: FileNotFoundException in the task) or silently gives nothing (binaryFiles)."""
    import dedupe.engine.spark as engine

    f = Path(_one_seed(tmp_path)[0])
    lines = spark.sparkContext.textFile("file://" + str(f))
    assert lines.getNumPartitions() >= 1  # listed by the driver
    f.rename(f.with_suffix(".gone"))  # not there when the executor reads it
    with pytest.raises(Exception) as raw:
        lines.collect()
    msg = str(explain_failure(raw.value))
    assert msg.startswith(f"an input file was not found on a Spark executor (file:{f})")
    assert "same absolute path on every executor" in msg and "hdfs://" in msg and "\n" not in msg
    f.with_suffix(".gone").rename(f)

    real = engine.binary_files

    def listed_then_gone(spark, uris, n):
        rdd = real(spark, uris, n)
        rdd.getNumPartitions()  # the driver lists the file...
        f.rename(f.with_suffix(".gone"))  # ...that the executors then cannot see
        return rdd

    monkeypatch.setattr(engine, "binary_files", listed_then_gone)
    with pytest.raises(SparkJobError, match=r"^an input file was not found on a Spark executor \(.*seed.txt\)"):
        scan_spark([str(f)], Settings(), spark=spark)


@pytest.mark.parametrize("text", [
    "org.apache.spark.SparkException: Job aborted\nCaused by: java.lang.OutOfMemoryError: Java heap space",
    "ExecutorLostFailure (executor 1 exited caused by one of the running tasks) Reason: Container killed by YARN "
    "for exceeding memory limits. 5.5 GB of 5.5 GB physical memory used.",
    "org.apache.spark.SparkException: Python worker exited unexpectedly (crashed)",
])
def test_out_of_memory_names_the_memory_settings(text):
    msg = str(explain_failure(RuntimeError(text)))
    assert msg.startswith("Spark ran out of memory") and "spark.executor.memory" in msg and "bug" not in msg


def test_spark_conf_and_defaults_precedence(tmp_path, monkeypatch):
    """dedupe's defaults < spark-defaults.conf ($SPARK_CONF_DIR) < --spark-conf < --spark-master."""
    (tmp_path / "spark-defaults.conf").write_text(
        "# the platform team's defaults\nspark.master  spark://127.0.0.1:7077\nspark.executor.memory 2g\n"
        "spark.ui.enabled=true\nspark.sql.shuffle.partitions   64\n", encoding="utf-8")
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))
    conf = session_conf(None, "dedupe scan", parse_spark_conf(["spark.executor.memory=4g", "spark.a=b=c"]))
    assert conf["spark.master"] == "spark://127.0.0.1:7077" and conf["spark.executor.memory"] == "4g"
    assert conf["spark.ui.enabled"] == "true" and conf["spark.sql.shuffle.partitions"] == "64"
    assert conf["spark.a"] == "b=c" and conf["spark.app.name"] == "dedupe scan"
    assert session_conf("local[3]", "x", {"spark.master": "yarn"})["spark.master"] == "local[3]"
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path / "none"))
    assert session_conf(None, "x")["spark.master"] == "local[2]"
    for bad in ("executor.memory=4g", "spark.executor.memory", "=4g", "spark.=x"):
        with pytest.raises(ConfigError, match="--spark-conf"):
            parse_spark_conf([bad])


def test_cli_spark_conf_flags(tmp_path):
    """--spark-conf on scan and index add: a bad value or one without --engine spark is one line, exit 2."""
    for cmd in (["scan", str(SEEDS)], ["index", "add", str(SEEDS), "--index", str(tmp_path / "ix")]):
        r = invoke(*cmd, "--engine", "spark", "--spark-conf", "executor.memory=4g", cwd=tmp_path)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "--spark-conf 'executor.memory=4g': expected KEY=VALUE" in r.stderr
        r = invoke(*cmd, "--spark-conf", "spark.executor.memory=4g", cwd=tmp_path)
        assert r.returncode == 2 and "--spark-conf needs --engine spark" in r.stderr
    assert not (tmp_path / "ix").exists()


def test_short_reused_sentences_linked_as_the_embedded_engine(spark, tmp_path):
    """A write-thru update (tests/test_write_thru.py): Spark links the short reused sentences with a word
    or two changed by the same candidates and word rule as the embedded engine."""
    from helpers import WRITE_THRU_FIRST as FIRST
    from helpers import WRITE_THRU_UPDATE as UPDATE

    a, b = tmp_path / "v1.txt", tmp_path / "v2.txt"
    a.write_text(FIRST, encoding="utf-8")
    b.write_text(UPDATE, encoding="utf-8")
    paths = [str(a), str(b)]
    embedded = scan(paths, settings=Settings())
    distributed = scan_spark(paths, Settings(), spark=spark)

    def shape(result):
        return sorted((c.kind, tuple(sorted(m.text for m in c.members)),
                       tuple((p.a, p.b, p.link, round(p.similarity, 4)) for p in c.pairs)) for c in result.clusters)

    assert shape(distributed) == shape(embedded)
    assert sum(p.link == "words" for c in distributed.clusters for p in c.pairs) >= 4
    assert {c.kind for c in distributed.clusters} == {"cross-article", "changed-detail"}
