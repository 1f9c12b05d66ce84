"""JSON-lines exports: records are articles (``path#id``, title), compressed
exports, per-record positions, bounded memory."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedupe.cli.main import main
from dedupe.errors import InputError
from dedupe.readers import ReadOptions, format_for, iter_paths, read_file

REPEAT = "The central bank held its benchmark rate at 4.5 percent for a third straight meeting on Thursday."


def records() -> list[dict]:
    return [
        {"id": "r-1", "title": "Rates  held\nagain", "text": f"First story opens here. {REPEAT}\n\nMore text “quoted” é."},
        {"text": f"No id on this one. {REPEAT}", "title": "Second"},
        {"id": 7, "text": "Third story, no title, with a tab\tand a \\ backslash."},
    ]


def dump(recs: list[dict], ascii_only: bool = False) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=ascii_only) for r in recs) + "\n"


def raw_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8").split("\n")


def assert_positions(doc, lines: list[str]) -> None:
    """Every character's line/column points at its JSON encoding in the raw file."""
    for i, ch in enumerate(doc.text):
        line, col, _, _ = doc.location(i, i + 1)
        raw = lines[line - 1][col - 1 :]
        encoded = json.dumps(ch, ensure_ascii=False)[1:-1]
        assert raw.startswith((encoded, json.dumps(ch)[1:-1])), (i, ch, raw[:8])


@pytest.mark.parametrize("name", ["export.jsonl", "export.ndjson", "export.jsonl.gz", "export.ndjson.gz"])
@pytest.mark.parametrize("ascii_only", [False, True])
def test_records_are_articles_with_ids_titles_and_positions(tmp_path, name, ascii_only):
    path = tmp_path / name
    content = dump(records(), ascii_only).encode("utf-8")
    path.write_bytes(gzip.compress(content) if name.endswith(".gz") else content)
    assert format_for(str(path)) == "jsonl"
    docs = read_file(str(path))
    assert [d.id for d in docs] == [f"{path}#r-1", f"{path}#2", f"{path}#7"]
    assert all(d.path == str(path) for d in docs)
    assert [d.title for d in docs] == ["Rates held again", "Second", None]
    assert [d.text for d in docs] == [r["text"] for r in records()]
    lines = raw_lines(path)
    for number, doc in enumerate(docs, start=1):
        assert doc.location(0, len(doc.text))[0] == number
        assert_positions(doc, lines)


def test_title_field_option(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(dump([{"id": "x", "headline": "Head", "title": "Other", "text": "Body text here."}]))
    (doc,) = read_file(str(path), ReadOptions(title_field="headline"))
    assert doc.title == "Head" and "Head" not in doc.text


def test_compressed_exports_are_found_by_walks(tmp_path):
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(dump(records()).encode()))
    (tmp_path / "b.ndjson.gz").write_bytes(gzip.compress(dump(records()).encode()))
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(b"not read"))
    found = sorted(Path(p).name for p in iter_paths([str(tmp_path)]))
    assert found == ["a.jsonl.gz", "b.ndjson.gz"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (gzip.compress(b'{"text": "a"}\n', mtime=0)[:-6], "truncated gzip file"),
        (b"\x1f\x8b" + b"garbage" * 5, "not a valid gzip file"),
    ],
)
def test_damaged_gzip_is_one_line_error(tmp_path, data, message):
    path = tmp_path / "bad.jsonl.gz"
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        read_file(str(path))
    assert str(info.value) == f"{path}: {message}"


def test_records_do_not_keep_the_whole_files_line_starts(tmp_path):
    n = 3000
    recs = [{"id": f"s{i}", "text": f"Story {i} says the usual thing about markets today."} for i in range(n)]
    path = tmp_path / "big.jsonl"
    path.write_text(dump(recs))
    docs = read_file(str(path))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    where = [d.location(0, len(d.text)) for d in docs]
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert [w[0] for w in where] == list(range(1, n + 1))
    # positions of every record cost O(1) each: the whole file's line starts
    # per record would be n * n * 8 bytes (72 MB here)
    assert after - before < 200 * n


def test_scan_names_records_by_id_and_title(tmp_path):
    path = tmp_path / "export.jsonl.gz"
    path.write_bytes(gzip.compress(dump(records()).encode()))
    result = CliRunner().invoke(main, ["scan", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (cluster,) = [c for c in data["clusters"] if REPEAT in c["members"][0]["text"]]
    assert cluster["kind"] == "cross-article"
    docs = {m["doc"]: m for m in cluster["members"]}
    assert set(docs) == {f"{path}#r-1", f"{path}#2"}
    assert {m["title"] for m in cluster["members"]} == {"Rates held again", "Second"}
    lines = raw_lines(path)
    for m in cluster["members"]:
        raw = lines[m["line"] - 1]
        assert raw[m["column"] - 1 :].startswith(REPEAT[:20])


def test_a_files_decode_warning_is_given_once(tmp_path):
    path = tmp_path / "legacy.jsonl"
    path.write_bytes("\n".join(json.dumps({"id": i, "text": "caf\u00e9 story"}, ensure_ascii=False)
                               for i in range(50)).encode("cp1252"))
    docs = read_file(str(path))
    assert [len(d.warnings) for d in docs] == [1] + [0] * 49
    assert "cp1252" in docs[0].warnings[0] and all(d.text == "café story" for d in docs)


def test_two_records_of_one_export_read_as_two_articles_in_check_messages(tmp_path):
    """A cross-article match between two records of one export names the other record, not 'line N'."""
    from helpers import invoke

    s = "The governor said the state would appeal the ruling to the supreme court next week."
    p = tmp_path / "exp.jsonl"
    p.write_text(json.dumps({"id": "s1", "title": "Port strike", "text": s}) + "\n"
                 + json.dumps({"id": "s2", "title": "Court fight", "text": "Other news first today.\n\n" + s}) + "\n",
                 encoding="utf-8")
    r = invoke("check", "exp.jsonl", "--no-baseline", "--format", "text", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "exp.jsonl#s1:1:" in r.stdout and "at exp.jsonl#s2 (Court fight) line 2" in r.stdout
    assert "repeats the sentence at line" not in r.stdout
