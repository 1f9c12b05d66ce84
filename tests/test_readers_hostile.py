"""Hostile input to the readers: special files, link loops, broken exports,
binary data, deep nesting; never a traceback, never a hang."""

from __future__ import annotations

import gzip
import json
import os
import socket
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedupe.cli.main import main
from dedupe.errors import InputError
from dedupe.readers import NotRegularFile, ReadOptions, iter_paths, read_documents, read_file

SENTENCE = "The minister said on Tuesday that the new bridge would open in the spring next year."


def run_with_deadline(fn, seconds: float = 30.0):
    """``fn()`` in a thread; fails (instead of hanging the suite) when it blocks."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked"
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.fixture
def folder_with_specials(tmp_path):
    (tmp_path / "good.txt").write_text(SENTENCE + "\n", encoding="utf-8")
    os.mkfifo(tmp_path / "x.txt")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(tmp_path / "s.md"))
    os.symlink("/dev/null", tmp_path / "null.html")
    yield tmp_path
    sock.close()


def test_walk_skips_fifos_sockets_devices_with_a_warning(folder_with_specials):
    tree = folder_with_specials
    # null.html -> /dev/null leaves the folder: not read, whatever it is
    docs, errors = run_with_deadline(lambda: read_documents([str(tree)]))
    assert [Path(d.path).name for d in docs] == ["good.txt"]
    assert [(Path(e.path).name, type(e).__name__) for e in errors if "outside" in e.message] == [
        ("null.html", "ExternalLink")]
    # allowed to follow links out of the tree, a device is still never opened
    docs, errors = run_with_deadline(lambda: read_documents([str(tree)], ReadOptions(follow_external_symlinks=True)))
    assert [Path(d.path).name for d in docs] == ["good.txt"]
    assert sorted((Path(e.path).name, e.message) for e in errors) == [
        ("null.html", "not a regular file (device), skipped"),
        ("s.md", "not a regular file (socket), skipped"),
        ("x.txt", "not a regular file (fifo), skipped"),
    ]
    assert all(isinstance(e, NotRegularFile) and e.warning for e in errors)


@pytest.mark.parametrize("name", ["x.txt", "s.md", "null.html"])
def test_special_file_given_directly_is_not_opened(folder_with_specials, name):
    path = folder_with_specials / name
    with pytest.raises(NotRegularFile) as info:
        run_with_deadline(lambda: read_file(str(path)))
    assert str(info.value).startswith(f"{path}: not a regular file (")
    docs, errors = run_with_deadline(lambda: read_documents([str(path)]))
    assert docs == [] and [e.path for e in errors] == [str(path)]


def test_cli_scan_with_a_fifo_does_not_hang(folder_with_specials):
    fifo = folder_with_specials / "x.txt"
    for args in (["scan", str(folder_with_specials)], ["scan", str(fifo), str(folder_with_specials / "good.txt")]):
        result = run_with_deadline(lambda args=args: CliRunner().invoke(main, args), 120)
        assert "Traceback" not in result.output
        assert f"{fifo}: not a regular file (fifo), skipped" in result.stderr


def test_symlink_loops_do_not_trap_the_walk(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "story.txt").write_text(SENTENCE, encoding="utf-8")
    os.symlink(tmp_path / "a", tmp_path / "a" / "loop")  # a directory containing itself
    os.symlink(tmp_path, tmp_path / "a" / "up")
    os.symlink("self.txt", tmp_path / "a" / "self.txt")  # a link to itself
    os.symlink("ping.md", tmp_path / "pong.md")
    os.symlink("pong.md", tmp_path / "ping.md")
    found = run_with_deadline(lambda: list(iter_paths([str(tmp_path)])))
    names = sorted(os.path.relpath(p, tmp_path) for p in found)
    assert names == ["a/self.txt", "a/story.txt", "ping.md", "pong.md"]
    docs, errors = run_with_deadline(lambda: read_documents([str(tmp_path)]))
    assert [d.text for d in docs] == [SENTENCE]
    assert sorted(e.message for e in errors) == ["too many levels of symbolic links"] * 3


def test_lone_surrogates_in_an_export_are_replaced_with_a_warning(tmp_path):
    broken = SENTENCE.replace("bridge", "bri\\ud800dge")
    lines = [
        '{"id": "a1", "title": "T\\udfff", "text": "' + broken + ' Second sentence of the first story here."}',
        '{"id": "a2", "text": "' + broken + ' Another sentence in the second story."}',
    ]
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs = read_file(str(path))
    assert [d.text.count("\ufffd") for d in docs] == [1, 1]
    assert docs[0].title == "T\ufffd"
    assert any("record 'a1'" in w and "U+FFFD" in w for w in docs[0].warnings)
    assert any("record 'a2'" in w for w in docs[1].warnings)
    i = docs[0].text.index("\ufffd")
    line, col, _, _ = docs[0].location(i, i + 1)
    assert path.read_text(encoding="utf-8").split("\n")[line - 1][col - 1 :].startswith("\\ud800")
    for fmt in ("json", "text"):
        result = CliRunner().invoke(main, ["scan", str(path), "--format", fmt])
        assert result.exit_code in (0, 1), result.output
        assert "Traceback" not in result.output and "record 'a1'" in result.stderr
    data = json.loads(CliRunner().invoke(main, ["scan", str(path), "--format", "json"]).stdout)
    assert any("\ufffd" in c["members"][0]["text"] for c in data["clusters"])


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.txt", b"Some text\x00with a NUL byte", "binary file, not an article"),
        ("a.md", bytes(range(256)) * 4, "binary file, not an article"),
        ("a.html", b"<p>x</p>\x00\x00\x00", "binary file, not an article"),
        ("a.jsonl", b'{"text": "a"}\n\x00\x01\x02', "binary file, not an article"),
        ("a.docx", b"PK\x03\x04 not really a zip", "not a valid .docx file"),
        ("a.jsonl.gz", gzip.compress(b"\x00\xff" * 100, mtime=0), "binary file, not an article"),
    ],
)
def test_binary_input_is_a_one_line_error(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        read_file(str(path))
    assert str(info.value) == f"{path}: {message}"
    result = CliRunner().invoke(main, ["scan", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{path}: {message}" in result.stderr


def test_docx_zip_without_document_is_a_one_line_error(tmp_path):
    path = tmp_path / "empty.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a document")
    with pytest.raises(InputError, match="not a valid .docx file"):
        read_file(str(path))


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"id": 2, "text": "unterminated', "invalid JSON: Unterminated string"),
        ("[" * 100_000, "invalid JSON"),
        ('{"id": 2, "text": "x", "n": ' + "9" * 5000 + "}", "invalid JSON"),
        ("{'single': 'quotes'}", "invalid JSON"),
    ],
)
def test_malformed_json_line_names_file_and_line(tmp_path, line, problem):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "text": "fine"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_file(str(path))
    message = str(info.value)
    assert message.startswith(f"{path}: line 2: {problem}")
    assert "\n" not in message


@pytest.mark.timeout(120)
def test_deeply_nested_html_is_read(tmp_path):
    depth = 10_000
    for html in (
        "<div>" * depth + "<p>Deep text here.</p>" + "</div>" * depth,
        "<body><nav>x</nav>" + "<div><span>" * depth + "Deep text here." + "</span></div>" * depth,
        "<p>" + "<b>" * depth + "Deep text here.",  # never closed
    ):
        path = tmp_path / "deep.html"
        path.write_text(html, encoding="utf-8")
        (doc,) = read_file(str(path))
        assert doc.text == "Deep text here."
        assert doc.source_text[doc.source_offsets[0] :].startswith("Deep text here.")


@pytest.mark.parametrize("deep", [">" * 5000 + " quoted", "- " * 3000 + "quoted", "[" * 3000 + "quoted" + "]" * 3000])
def test_deeply_nested_markdown_loses_no_text(tmp_path, deep):
    path = tmp_path / "deep.md"
    path.write_text("# Title\n\n" + deep + "\n\nLast paragraph.\n", encoding="utf-8")
    (doc,) = read_file(str(path))
    assert "quoted" in doc.text and doc.text.rstrip().endswith("Last paragraph.")
    i = doc.text.index("quoted")
    line, col, _, _ = doc.location(i, i + 6)
    assert path.read_text(encoding="utf-8").split("\n")[line - 1][col - 1 :].startswith("quoted")
