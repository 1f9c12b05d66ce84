"""Bounded resources under a hostile pull request: bombs built on the fly (small files that expand to
gigabytes, or markup shapes that make a parser slow or hungry), each run through the real CLI in a process
whose address space is capped.  Every one must end with exit 2 (or a normal verdict where the file is fine),
one ``dedupe:`` line naming the file and the limit, within bounded memory and time.

The time bounds are generous (a loaded 2-core machine): they are correctness checks (linear, not
quadratic or worse), not benchmarks.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from helpers import cli_env

#: The address-space cap of the capped runs (Python, numpy and the CLI start in well under it).
CAP = 1 << 30
#: The most a capped run may take: seconds, and peak resident megabytes.
TIME_LIMIT = 20.0
RSS_LIMIT_MB = 450

_CAPPED = """
import atexit, os, resource, sys
cap = int(os.environ["DEDUPE_TEST_CAP"])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
def _rss():  # VmHWM: this process's own peak (getrusage's ru_maxrss keeps the launcher's across exec)
    with open("/proc/self/status") as st:
        kb = next(int(ln.split()[1]) for ln in st if ln.startswith("VmHWM:"))
    with open(os.environ["DEDUPE_TEST_RSS"], "w") as fh:
        fh.write(str(kb // 1024))
atexit.register(_rss)
from dedupe.cli.main import run
run()
"""


def capped(args: list[str], cwd: Path, stdin: object = None) -> tuple[int, str, float, int]:
    """``dedupe ARGS`` under the memory cap: exit code, stderr, seconds, peak RSS in MB."""
    rss = cwd / ".rss"
    env = {**cli_env(), "DEDUPE_TEST_CAP": str(CAP), "DEDUPE_TEST_RSS": str(rss)}
    t = time.monotonic()
    p = subprocess.run([sys.executable, "-c", _CAPPED, *args], cwd=cwd, env=env, stdin=stdin,  # type: ignore[arg-type]
                       capture_output=True, text=True, timeout=120)
    took = time.monotonic() - t
    mb = int(rss.read_text()) if rss.exists() else -1
    return p.returncode, p.stderr, took, mb


def assert_refused(args: list[str], cwd: Path, name: str, limit: str, stdin: object = None) -> str:
    code, err, took, mb = capped(args, cwd, stdin)
    assert code == 2, (args, err)
    assert err.count("\n") == 1 and err.startswith("dedupe: error: ") and "Traceback" not in err, err
    assert f"{name}: " in err and limit in err, err
    assert took < TIME_LIMIT and 0 < mb < RSS_LIMIT_MB, (args, took, mb)
    return err


# -- building bombs cheaply -----------------------------------------------------------------------------


def deflate_repeat(head: bytes, chunk: bytes, times: int, tail: bytes) -> bytes:
    """A raw deflate stream of ``head + chunk * times + tail``, made in milliseconds: after a full flush
    the compressor starts afresh, so every repeat of ``chunk`` compresses to the same bytes."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    assert block == again
    return first + block * times + c.compress(tail) + c.flush()


def test_deflate_repeat_is_what_it_says() -> None:
    raw = deflate_repeat(b"<a>", b"xyz" * 1000, 7, b"</a>")
    assert zlib.decompress(raw, -15) == b"<a>" + b"xyz" * 7000 + b"</a>"


def gzip_repeat(head: bytes, chunk: bytes, times: int, tail: bytes) -> bytes:
    """A gzip member of ``head + chunk * times + tail`` (its CRC is not checked before the cut)."""
    size = (len(head) + len(chunk) * times + len(tail)) & 0xFFFFFFFF
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + deflate_repeat(head, chunk, times, tail)
            + struct.pack("<LL", 0, size))


def make_zip(entries: list[tuple[str, bytes, int | None]]) -> bytes:
    """A zip of ``(name, content, declared size)``: content that is ``bytes`` is stored deflated as given
    when a declared size is given (a raw deflate stream, its size claimed as that), else compressed here."""
    out = bytearray()
    central = bytearray()
    for name, content, declared in entries:
        if declared is None:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            data, size, crc = c.compress(content) + c.flush(), len(content), zlib.crc32(content)
        else:
            data, size, crc = content, declared, 0
        raw = name.encode()
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size, len(raw), 0)
        out += raw + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                               len(raw), 0, 0, 0, 0, 0, offset)
        central += raw
    n = len(entries)
    return bytes(out + central + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(central), len(out), 0))


_CT = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="png" ContentType="image/png"/>'
       '<Override PartName="/word/{main}" ContentType="application/vnd.openxmlformats-officedocument.'
       'wordprocessingml.document.main+xml"/></Types>')
_RELS = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '{}</Relationships>')
_REL = ('<Relationship Id="{id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{type}" '
        'Target="{target}"/>')
_W = ('<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>')
_PARA = "<w:p><w:r><w:t>{}</w:t></w:r></w:p>"
SENTENCE = "The governor said the state would appeal the ruling to the supreme court next week."


def docx(main: str = "document.xml", body: bytes | None = None, body_size: int | None = None,
         extra: list[tuple[str, bytes, int | None]] = (), doc_rels: str = "") -> bytes:  # type: ignore[assignment]
    if body is None:
        body = (_W + _PARA.format(SENTENCE) * 2 + "</w:body></w:document>").encode()
    entries = [("[Content_Types].xml", _CT.format(main=main).encode(), None),
               ("_rels/.rels", _RELS.format(_REL.format(id="rId1", type="officeDocument",
                                                         target="word/" + main)).encode(), None),
               ("word/" + main, body, body_size), *extra]
    if doc_rels:
        entries.append((f"word/_rels/{main}.rels", _RELS.format(doc_rels).encode(), None))
    return make_zip(entries)


def xml_bomb(gigabytes: float) -> tuple[bytes, int]:
    """A main document part of ``gigabytes`` of paragraphs, deflated (a few megabytes), and its size."""
    chunk = (_PARA.format(SENTENCE) * 12000).encode()  # about 1 MB
    times = int(gigabytes * (1 << 30)) // len(chunk)
    head, tail = _W.encode(), b"</w:body></w:document>"
    return deflate_repeat(head, chunk, times, tail), len(head) + len(chunk) * times + len(tail)


# -- .docx -------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_renamed_main_part_of_a_docx_is_bounded(tmp_path: Path) -> None:
    """The main part renamed ``word/document.bin`` (the content types and rels point at it) holding 1.3 GB
    of XML: refused at the limit, which is named, reading no more than it."""
    body, size = xml_bomb(1.3)
    (tmp_path / "bomb.docx").write_bytes(docx("document.bin", body, size))
    assert_refused(["check", "bomb.docx"], tmp_path, "bomb.docx", "max-record-bytes")


@pytest.mark.slow
def test_a_docx_whose_zip_lies_about_sizes_is_bounded(tmp_path: Path) -> None:
    """The zip claims 2 KB for a main part that inflates to 1.3 GB: decompression is counted as it comes
    out, never trusted from the header (zipfile stops at the claimed size: the entry is then damaged)."""
    body, _ = xml_bomb(1.3)
    (tmp_path / "liar.docx").write_bytes(docx("document.xml", body, 2000))
    assert_refused(["check", "liar.docx"], tmp_path, "liar.docx", "not a valid .docx")
    # a main part claiming more than the limit is refused before a byte is decompressed
    (tmp_path / "claims.docx").write_bytes(docx("document.xml", body, 5 << 20))
    assert_refused(["check", "claims.docx"], tmp_path, "claims.docx", "max-record-bytes")


@pytest.mark.slow
def test_a_gigabyte_image_in_a_docx_is_never_decompressed(tmp_path: Path) -> None:
    """Media (and every part the text is not read from) is left compressed: a 1 GB png costs nothing."""
    png = deflate_repeat(b"\x89PNG", b"\0" * (1 << 20), 1024, b"")
    rel = _REL.format(id="rId5", type="image", target="media/image1.png")
    (tmp_path / "media.docx").write_bytes(docx(extra=[("word/media/image1.png", png, (1 << 30) + 4)], doc_rels=rel))
    code, err, took, mb = capped(["scan", "media.docx", "--format", "json"], tmp_path)
    assert code == 0 and err == "", err
    assert took < TIME_LIMIT and 0 < mb < RSS_LIMIT_MB, (took, mb)


def test_the_docx_limit_is_named_and_is_a_setting(tmp_path: Path) -> None:
    from dedupe.errors import InputError
    from dedupe.readers import ReadOptions, read_file

    body = (_W + _PARA.format(SENTENCE) * 200 + "</w:body></w:document>").encode()
    (tmp_path / "a.docx").write_bytes(docx(body=body))
    with pytest.raises(InputError, match=r"larger than max-record-bytes \(4,000 bytes\).*--max-record-bytes"):
        read_file(str(tmp_path / "a.docx"), ReadOptions(max_record_bytes=4000))
    with pytest.raises(InputError, match=r"larger than max-decompressed-bytes \(3,000 bytes\)"):
        read_file(str(tmp_path / "a.docx"), ReadOptions(max_decompressed_bytes=3000))
    (doc,) = read_file(str(tmp_path / "a.docx"), ReadOptions(max_record_bytes=40000))
    assert doc.text.count(SENTENCE) == 200


def test_a_docx_with_a_huge_zip_directory_is_refused_before_parsing_it(tmp_path: Path) -> None:
    from dedupe.errors import InputError
    from dedupe.readers import ReadOptions, read_file

    junk = [(f"junk/{i:06d}.bin", b"", None) for i in range(3000)]  # zipfile makes an object per entry
    (tmp_path / "dir.docx").write_bytes(docx(extra=junk))
    with pytest.raises(InputError, match=r"\.docx zip directory larger than max-record-bytes \(50,000 bytes\)"):
        read_file(str(tmp_path / "dir.docx"), ReadOptions(max_record_bytes=50_000))
    (doc,) = read_file(str(tmp_path / "dir.docx"))  # within the default: read, the junk never opened
    assert SENTENCE in doc.text


def test_running_out_of_memory_in_a_reader_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A memory cap met inside any reader is one line naming the file and the limit, not "not valid"."""
    from dedupe.errors import InputError
    from dedupe.readers import read_file, registry

    def starved(*args: object) -> list[object]:
        raise MemoryError

    (tmp_path / "a.md").write_text("# x\n")
    (tmp_path / "b.docx").write_bytes(docx())
    monkeypatch.setitem(registry.READERS, "md", starved)
    with pytest.raises(InputError, match="ran out of memory reading this .md file: not read .*max-record-bytes"):
        read_file(str(tmp_path / "a.md"))
    import docx as python_docx

    monkeypatch.setattr(python_docx, "Document", starved)
    with pytest.raises(InputError, match="ran out of memory reading this .docx: not read .*max-record-bytes") as e:
        read_file(str(tmp_path / "b.docx"))
    assert "not a valid" not in str(e.value) and str(tmp_path / "b.docx") in str(e.value)


def test_a_real_docx_still_reads_with_its_title_and_tables(tmp_path: Path) -> None:
    import docx as python_docx

    from dedupe.readers import read_file

    d = python_docx.Document()
    d.core_properties.title = "Core title"
    d.add_heading("The headline", level=1)
    d.add_paragraph(SENTENCE)
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Merged cell text appears once in the document."
    table.cell(1, 0).text = "Second row."
    d.save(str(tmp_path / "real.docx"))
    (doc,) = read_file(str(tmp_path / "real.docx"))
    assert doc.title == "Core title"
    assert doc.text.count("Merged cell text appears once") == 1 and SENTENCE in doc.text
    assert "Second row." in doc.text and "The headline" in doc.text



# -- .gz, standard input, one-article files -----------------------------------------------------------------


@pytest.mark.slow
def test_gzip_bombs_and_endless_input_are_bounded(tmp_path: Path) -> None:
    """The issue's bombs: one 1 GB JSON record in a 1 MB .jsonl.gz, 1 GB of newlines in a .gz, standard
    input from /dev/zero, a 50 MB single-paragraph .md."""
    record = gzip_repeat(b'{"id": "a", "text": "', b"a" * (1 << 20), 1024, b'"}\n')
    (tmp_path / "record.jsonl.gz").write_bytes(record)
    assert_refused(["check", "record.jsonl.gz"], tmp_path, "record.jsonl.gz", "line 1: record larger than max-record-bytes")
    (tmp_path / "lines.jsonl.gz").write_bytes(gzip_repeat(b"", b"\n" * (1 << 20), 1024, b""))
    assert_refused(["check", "lines.jsonl.gz"], tmp_path, "lines.jsonl.gz", "larger than max-decompressed-bytes")
    with open("/dev/zero", "rb") as zero:
        assert_refused(["check", "-", "--stdin-filename", "draft.txt"], tmp_path, "standard input",
                       "larger than max-file-bytes (268,435,456 bytes)", stdin=zero)
    (tmp_path / "para.md").write_text("All work and no play makes a dull story. " * ((50 << 20) // 42))
    assert_refused(["check", "para.md"], tmp_path, "para.md", "article larger than max-record-bytes")


@pytest.mark.slow
def test_the_trees_config_cannot_raise_the_limits(tmp_path: Path) -> None:
    """``max-record-bytes = 1 TiB`` in the pull request's own .dedupe.toml would let its bomb through: a
    tree config may lower the limits, never raise them (warned, capped at the default); a flag or a trusted
    --config may."""
    record = gzip_repeat(b'{"id": "a", "text": "', b"a" * (1 << 20), 1024, b'"}\n')
    (tmp_path / "record.jsonl.gz").write_bytes(record)
    (tmp_path / ".dedupe.toml").write_text("max-record-bytes = 1099511627776\nmax-decompressed-bytes = 1099511627776\n"
                                           "max-file-bytes = 1099511627776\n")
    code, err, took, mb = capped(["check", "record.jsonl.gz"], tmp_path)
    assert code == 2 and took < TIME_LIMIT and 0 < mb < RSS_LIMIT_MB, (err, took, mb)
    lines = err.splitlines()
    assert len(lines) == 4 and "record larger than max-record-bytes (4,194,304 bytes)" in lines[-1], err
    for name, default in (("max-record-bytes", "4,194,304"), ("max-decompressed-bytes", "268,435,456"),
                          ("max-file-bytes", "268,435,456")):
        assert any(f"{name} = 1,099,511,627,776 is above the default: capped at {default} bytes" in ln
                   and ".dedupe.toml" in ln and f"--{name}" in ln for ln in lines), (name, err)
    # lowering is the tree's to choose
    (tmp_path / ".dedupe.toml").write_text("max-file-bytes = 100\n")
    code, err, _, _ = capped(["check", "record.jsonl.gz"], tmp_path)
    assert code == 2 and err.count("\n") == 1 and "file larger than max-file-bytes (100 bytes)" in err, err
    # a flag, or a trusted configuration, raises them
    (tmp_path / ".dedupe.toml").write_text("max-record-bytes = 1099511627776\n")
    code, err, _, _ = capped(["check", "record.jsonl.gz", "--max-record-bytes", str(2 << 20)], tmp_path)
    assert code == 2 and "warning" not in err and "max-record-bytes (2,097,152 bytes)" in err, err
    (tmp_path / "trusted.toml").write_text("max-record-bytes = 8388608\n")
    code, err, _, _ = capped(["check", "record.jsonl.gz", "--config", "trusted.toml"], tmp_path)
    assert code == 2 and "warning" not in err and "max-record-bytes (8,388,608 bytes)" in err, err


# -- parser shapes: linear time, bounded memory ----------------------------------------------------------

#: Markup shapes that made a parser quadratic or hungry (3.9 MB of ``*a `` took a gigabyte; 1 MB of ``[``
#: over a minute; an HTML ``<a b='`` without end was retried at every ``<`` to the end of the file).
PARSER_BOMBS = {
    "stars.md": "*a " * 1_300_000,
    "brackets.md": "[" * 1_000_000,
    "angles.md": "<" * 1_000_000,
    "paragraphs.md": "a\n\n" * 1_000_000,
    "items.md": "- a\n" * 1_000_000,
    "angles.html": "<" * 400_000,
    "quote.html": "<a b='" * 160_000,
    "comment.html": "<!--" * 250_000,
    "refs.html": "&x" * 200_000,
    "nested.html": "<div><b>" * 100_000 + "text",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PARSER_BOMBS))
def test_parser_bombs_take_linear_time_and_bounded_memory(name: str, tmp_path: Path) -> None:
    (tmp_path / name).write_text(PARSER_BOMBS[name])
    code, err, took, mb = capped(["check", name], tmp_path)
    assert code == 0 and "Traceback" not in err and all(ln.startswith("dedupe: ") for ln in err.splitlines()), err
    assert took < TIME_LIMIT and 0 < mb < RSS_LIMIT_MB, (name, took, mb)
    if name.endswith(".md"):  # too much markup for the parser: read as text, and said so with the bound
        assert err.count("\n") == 1 and f"{name}: too much Markdown markup to parse within bounds" in err, err


def test_heavy_markdown_is_read_as_text_with_a_warning_and_real_markdown_is_parsed(tmp_path: Path) -> None:
    from dedupe.readers import read_file
    from dedupe.readers.markdown import MAX_MARKUP_COST, markup_cost

    heavy = tmp_path / "heavy.md"
    heavy.write_text("# Title\n\n" + SENTENCE + "\n\n" + "[" * 30_000 + "\n")
    (doc,) = read_file(str(heavy))
    assert SENTENCE in doc.text and "# Title" in doc.text  # nothing lost: the markup is kept as text
    (warning,) = doc.warnings
    assert warning.startswith("too much Markdown markup to parse within bounds (30,000 '['; estimated cost 300,0")
    assert warning.endswith(f", bound {MAX_MARKUP_COST:,}): read as plain text"), warning
    readme = Path(__file__).resolve().parent.parent / "docs" / "cli.md"  # a long real Markdown file is far under
    assert markup_cost(readme.read_text())[0] < MAX_MARKUP_COST // 10
    ok = tmp_path / "ok.md"
    ok.write_text("# Title\n\n" + ("A [link](http://x) and *emphasis* in a sentence of the story.\n\n" * 2000))
    (doc,) = read_file(str(ok))
    assert doc.warnings == [] and doc.title == "Title" and "[link]" not in doc.text and "A link and emphasis" in doc.text


def test_html_text_in_an_unended_construct_is_kept_as_text(tmp_path: Path) -> None:
    from dedupe.readers import read_file

    page = tmp_path / "a.html"
    page.write_text(f"<p>{SENTENCE}</p><p title='never closed {'x' * 5000} {SENTENCE} <!-- dedupe off --> tail")
    (doc,) = read_file(str(page))
    assert doc.text.count(SENTENCE) == 2 and "tail" in doc.text and not doc.suppressed
    page.write_text("<p>caf&eacute; &amp; &x &#233;t&eacute; &lt;b&gt;</p>")
    (doc,) = read_file(str(page))
    assert doc.text.strip() == "café & &x été <b>"
    assert doc.source_offsets is not None
    start = doc.source_offsets[doc.text.index("été")]
    assert page.read_text()[start:start + 6] == "&#233;"  # each character still maps into the source
