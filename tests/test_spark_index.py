"""``dedupe index add --engine spark`` builds the embedded add's index (real SparkSession on local[2])."""

from __future__ import annotations

import gzip
import json
import sqlite3
import sys
from pathlib import Path

import pytest
from helpers import SEEDS, invoke

from dedupe.config import Settings
from dedupe.engine.spark import map_documents
from dedupe.errors import ConfigError
from dedupe.index import add_paths, open_index
from dedupe.index.spark_add import spark_batches
from dedupe.readers import iter_paths, read_file

ARCHIVE = SEEDS / "archive"


@pytest.fixture(scope="module")
def records(reuters_path) -> list[dict]:
    """A few hundred Reuters stories as a CMS export would hold them (id, title, text)."""
    out = []
    with gzip.open(reuters_path, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r.get("body"):
                out.append({"id": r["newid"], "title": r.get("title"), "text": r["body"]})
            if len(out) == 300:
                break
    return out


def export(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def add(tmp_path: Path, index: str, *paths: object, engine: str = "embedded", extra: tuple = ()):
    args = ["index", "add", *paths, "--index", index, *extra]
    if engine == "spark":
        args += ["--engine", "spark", "--spark-master", "local[2]"]
    return invoke(*args, cwd=tmp_path)


def listing(tmp_path: Path, index: str) -> list[dict]:
    r = invoke("index", "list", "--index", index, "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    arts = json.loads(r.stdout)
    for a in arts:
        a.pop("added")
    return arts


def stats(tmp_path: Path, index: str) -> dict:
    r = invoke("index", "stats", "--index", index, "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    for k in ("location", "created", "updated", "size_bytes", "file", "keys_dir"):  # where and when, not what
        d.pop(k, None)
    return d


def stored(tmp_path: Path, index: str) -> tuple[list, list]:
    """Every article's content hash and every unit row of an embedded index, in storage order."""
    db = sqlite3.connect(tmp_path / index / "index.sqlite")
    try:
        arts = db.execute("SELECT num, id, path, hash, sentences, units FROM articles ORDER BY num").fetchall()
        units = db.execute("SELECT article, first, n, data FROM units ORDER BY article, first").fetchall()
    finally:
        db.close()
    return arts, units


def check(tmp_path: Path, draft: str, index: str) -> tuple[int, dict]:
    r = invoke("check", draft, "--against", index, "--format", "json", cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    d = json.loads(r.stdout)
    d.get("summary", {}).pop("seconds", None)
    return r.returncode, d


def draft_from(tmp_path: Path, records: list[dict]) -> str:
    """A draft: a seed archive paragraph, sentences of three stories (one lightly edited), new text."""
    seed = sorted(ARCHIVE.glob("*.txt"))[0].read_text(encoding="utf-8").split("\n\n")
    parts = [max(seed, key=len)]
    for k, r in enumerate((records[10], records[150], records[290])):
        para = " ".join(r["text"].split())[:600]
        parts.append(para.replace(" the ", " a ", 2) if k == 1 else para)
    parts.append("Nothing in this closing paragraph was ever published before, the editor said on Tuesday.")
    (tmp_path / "draft.txt").write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return "draft.txt"


def test_spark_add_builds_the_embedded_index(spark, tmp_path, records):
    """Seeds and a Reuters export (split over several partitions): the same
    articles, units, key segments, stored settings and check findings."""
    export(tmp_path / "reuters.jsonl", records)
    e = add(tmp_path, "emb", ARCHIVE, "reuters.jsonl")
    s = add(tmp_path, "spk", ARCHIVE, "reuters.jsonl", engine="spark")
    assert e.returncode == 0 and s.returncode == 0, s.stderr
    assert f"{len(records) + 2} added, 0 replaced, 0 unchanged" in s.stdout
    assert listing(tmp_path, "spk") == listing(tmp_path, "emb")
    assert stats(tmp_path, "spk") == stats(tmp_path, "emb")
    # byte for byte: article blobs hash the same (positions in the export included), units the same
    assert stored(tmp_path, "spk") == stored(tmp_path, "emb")
    with open_index(str(tmp_path / "spk")) as a, open_index(str(tmp_path / "emb")) as b:
        assert a.stored_settings == b.stored_settings and a.punkt_model() == b.punkt_model()
    draft = draft_from(tmp_path, records)
    code_e, found_e = check(tmp_path, draft, "emb")
    code_s, found_s = check(tmp_path, draft, "spk")
    assert code_e == 1 and len(found_e["clusters"]) >= 4  # the seed paragraph's and the stories' sentences
    assert (code_s, found_s) == (code_e, found_e)
    # the embedded add sees the Spark-built articles as its own
    again = add(tmp_path, "spk", ARCHIVE, "reuters.jsonl")
    assert f"0 added, 0 replaced, {len(records) + 2} unchanged" in again.stdout


def test_spark_readd_skips_unchanged_and_replaces_changed(spark, tmp_path, records):
    export(tmp_path / "reuters.jsonl", records[:120])
    for engine, index in (("embedded", "emb"), ("spark", "spk")):
        assert add(tmp_path, index, ARCHIVE, "reuters.jsonl", engine=engine).returncode == 0
    again = add(tmp_path, "spk", ARCHIVE, "reuters.jsonl", engine="spark")
    assert again.returncode == 0 and "0 added, 0 replaced, 122 unchanged" in again.stdout
    changed = [dict(r) for r in records[:120]]
    # the same length: the records after it stay where they were in the file (a stored position
    # is the file's offset, so a longer or shorter record re-stores those after it, in both engines)
    changed[70]["text"] = changed[70]["text"].replace("the", "its").replace("a", "e")
    export(tmp_path / "reuters.jsonl", changed + records[120:125])
    outs = {}
    for engine, index in (("embedded", "emb"), ("spark", "spk")):
        r = add(tmp_path, index, "reuters.jsonl", engine=engine)
        assert r.returncode == 0, r.stderr
        outs[engine] = r.stdout.split(" in ")[0].split(": ", 1)[1]
    assert outs["spark"] == outs["embedded"] and outs["spark"].startswith("5 added, 1 replaced, 119 unchanged")
    assert stored(tmp_path, "spk") == stored(tmp_path, "emb")
    old = " ".join(records[70]["text"].split())[:400]
    (tmp_path / "old.txt").write_text(old + "\n", encoding="utf-8")
    assert check(tmp_path, "old.txt", "spk") == check(tmp_path, "old.txt", "emb")


def test_spark_add_into_redis(spark, tmp_path, records, url):
    """The Spark batches go through the Redis backend's write the same way."""
    export(tmp_path / "reuters.jsonl", records[:150])
    assert add(tmp_path, "emb", ARCHIVE, "reuters.jsonl").returncode == 0
    r = add(tmp_path, url, ARCHIVE, "reuters.jsonl", engine="spark")
    assert r.returncode == 0 and "152 added" in r.stdout, r.stderr
    assert listing(tmp_path, url) == listing(tmp_path, "emb")
    draft = draft_from(tmp_path, records[:150] + records[:150])
    code_r, found_r = check(tmp_path, draft, url)
    code_e, found_e = check(tmp_path, draft, "emb")
    assert code_r == code_e == 1 and found_r["clusters"] == found_e["clusters"]


def test_bad_inputs_like_the_embedded_add(spark, tmp_path, records):
    """A bad record or a duplicate id (in another partition) drops its export, an
    unreadable file is an error naming it, the rest is added; exit 2."""
    lines = [json.dumps(r) for r in records[:80]]
    bad = lines[:60] + ["{not json"] + lines[60:]
    (tmp_path / "bad.jsonl").write_text("\n".join(bad) + "\n", encoding="utf-8")
    (tmp_path / "dup.jsonl").write_text("\n".join(lines + [lines[0]]) + "\n", encoding="utf-8")
    export(tmp_path / "good.jsonl", records[100:140])
    (tmp_path / "notes.txt").write_bytes(b"\x00\x01binary")
    paths = ["bad.jsonl", "dup.jsonl", "good.jsonl", "notes.txt", "missing.txt", ARCHIVE]
    e = add(tmp_path, "emb", *paths)
    s = add(tmp_path, "spk", *paths, engine="spark")
    assert e.returncode == s.returncode == 2
    errors = [ln for ln in e.stderr.splitlines() if ln.startswith("dedupe: error:")]
    assert len(errors) == 4 and any("bad.jsonl: line 61: invalid JSON" in x for x in errors)
    assert any("dup.jsonl: line 81: duplicate id" in x for x in errors)
    assert sorted(ln for ln in s.stderr.splitlines() if ln.startswith("dedupe: error:")) == sorted(errors)
    assert s.stdout.split(" in ")[0].split(": ", 1)[1] == e.stdout.split(" in ")[0].split(": ", 1)[1]
    assert "42 added" in s.stdout
    assert stored(tmp_path, "spk") == stored(tmp_path, "emb")


def test_train_punkt_and_flags(spark, tmp_path, records):
    export(tmp_path / "reuters.jsonl", records[:100])
    e = add(tmp_path, "emb", "reuters.jsonl", extra=("--train-punkt",))
    s = add(tmp_path, "spk", "reuters.jsonl", engine="spark", extra=("--train-punkt",))
    assert e.returncode == s.returncode == 0 and "Punkt learnt" in s.stdout
    assert stats(tmp_path, "spk") == stats(tmp_path, "emb")
    assert stored(tmp_path, "spk") == stored(tmp_path, "emb")
    r = add(tmp_path, "x", "reuters.jsonl", extra=("--spark-master", "local[2]"))
    assert r.returncode == 2 and "--spark-master needs --engine spark" in r.stderr


def test_without_pyspark_one_line_error(tmp_path, monkeypatch):
    export(tmp_path / "a.jsonl", [{"id": 1, "text": "One sentence of enough words to be indexed here today."}])
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with open_index(str(tmp_path / "ix"), create=True) as ix:
        with pytest.raises(ConfigError, match=r"needs pyspark: .*pip install pyspark"):
            add_paths(ix, [str(tmp_path / "a.jsonl")], Settings(), batches=spark_batches([str(tmp_path / "a.jsonl")], None))
    r = add(tmp_path, "ix2", "a.jsonl", engine="spark")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "needs pyspark" in r.stderr


def test_parquet_and_url_inputs(spark, tmp_path, records):
    """A Parquet export's rows are articles under their record ids, as a JSON-lines export's are."""
    rows = [(str(r["id"]), r["title"] or "", r["text"]) for r in records[:60]]
    spark.createDataFrame(rows, "id string, title string, text string").write.parquet(str(tmp_path / "cms.parquet"))
    export(tmp_path / "more.jsonl", records[60:90])
    url = (tmp_path / "more.jsonl").as_uri()
    r = add(tmp_path, "spk", "cms.parquet", url, engine="spark")
    assert r.returncode == 0 and "90 added" in r.stdout, r.stderr
    arts = listing(tmp_path, "spk")
    assert [a["id"] for a in arts] == [str(x["id"]) for x in records[:90]]
    assert {a["format"] for a in arts[:60]} == {"parquet"} and arts[60]["path"].endswith("more.jsonl")
    again = add(tmp_path, "spk", "cms.parquet", url, engine="spark")
    assert "0 added, 0 replaced, 90 unchanged" in again.stdout
    only_url = add(tmp_path, "spk", url, engine="spark")  # a URL alone is not a missing path
    assert only_url.returncode == 0 and "0 added, 0 replaced, 30 unchanged" in only_url.stdout


def test_map_documents_yields_in_input_order(spark, tmp_path, records):
    """The generic map: plain files first, then each export's records, across many partitions
    (small batches make more of them), every document once."""
    export(tmp_path / "a.jsonl", records[:130])
    export(tmp_path / "b.jsonl", records[130:200])
    paths = [str(tmp_path / "a.jsonl"), str(ARCHIVE), str(tmp_path / "b.jsonl")]
    errors: list = []
    out = list(map_documents(paths, None, "local[2]", lambda docs: [d.id for d in docs], errors=errors,
                             batch=4, name=str, spark=spark))  # named as given
    files = [str(p) for p in iter_paths([str(ARCHIVE)])]
    expected = [d.id for f in files for d in read_file(f)]
    expected += [d.id for p in (paths[0], paths[2]) for d in read_file(p)]
    assert not errors and [i for chunk in out for i in chunk] == expected
    assert max(len(c) for c in out) <= 4 and len(out) >= 200 / 4
