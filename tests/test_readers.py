"""Tests for dedupe.readers: formats, encodings, offsets, suppression, walking."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dedupe.documents import Document
from dedupe.errors import InputError
from dedupe.readers import (
    SUPPORTED_EXTENSIONS,
    OffsetMap,
    ReadOptions,
    iter_paths,
    read_documents,
    read_file,
)

DATA = Path(__file__).parent / "data" / "readers"


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def file_lines(path: Path, encoding: str = "utf-8-sig") -> list[str]:
    """The lines of the file as an editor shows them (independent of readers)."""
    return re.split(r"\r\n|\r|\n", path.read_bytes().decode(encoding))


def assert_located(doc: Document, lines: list[str], sentence: str, first: str, last: str) -> None:
    """``sentence`` (in doc.text) starts with ``first`` and ends with ``last``
    at the line/column that doc.location reports, in the original file."""
    start = doc.text.index(sentence)
    end = start + len(sentence)
    assert doc.text[start : start + len(first)] == first
    assert doc.text[end - len(last) : end] == last
    line, col, end_line, end_col = doc.location(start, end)
    assert lines[line - 1][col - 1 : col - 1 + len(first)] == first
    assert lines[end_line - 1][end_col - 1 - len(last) : end_col - 1] == last


def assert_offsets_faithful(doc: Document, allowed: str = "") -> None:
    """Every extracted char sits at its offset in the source (separators,
    entities/escapes, whose offset points at a char in ``allowed``, aside)."""
    assert doc.source_offsets is not None
    assert len(doc.source_offsets) == len(doc.text)
    src = doc.source_text
    assert src is not None
    previous = -1
    for i, ch in enumerate(doc.text):
        offset = doc.source_offsets[i]
        assert offset >= previous, f"offsets go backwards at {i}"
        previous = offset
        if ch == "\n" or src[offset] == ch:
            continue
        assert src[offset] in allowed, (i, ch, src[offset : offset + 10])


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def suppressed_texts(doc: Document) -> list[str]:
    return [doc.text[s:e] for s, e in doc.suppressed]


# ---------------------------------------------------------------------------
# encodings
# ---------------------------------------------------------------------------


def test_utf8_bom_is_stripped_and_columns_ignore_it():
    path = DATA / "bom_crlf.txt"
    (doc,) = read_file(str(path))
    assert not doc.text.startswith("\ufeff")
    assert doc.text.startswith("First line")
    assert doc.warnings == []
    assert doc.location(0, 5) == (1, 1, 1, 6)
    lines = file_lines(path)
    assert_located(doc, lines, "“we will rebuild”", "“we", "rebuild”")


def test_crlf_is_normalised_and_lines_stay_right():
    path = DATA / "bom_crlf.txt"
    (doc,) = read_file(str(path))
    assert "\r" not in doc.text
    start = doc.text.index("The second")
    assert doc.location(start, start + 3) == (2, 1, 2, 4)


def test_lone_cr_line_endings(tmp_path):
    path = write(tmp_path, "mac.txt", b"One line.\rTwo line.\r")
    (doc,) = read_file(str(path))
    assert doc.text == "One line.\nTwo line.\n"
    assert doc.location(10, 13)[:2] == (2, 1)


def test_cp1252_fallback_with_warning():
    path = DATA / "cp1252.txt"
    (doc,) = read_file(str(path))
    assert "“a colossal mistake.”" in doc.text
    assert "café" in doc.text
    assert doc.warnings == ["not valid UTF-8; decoded as cp1252"]
    assert_located(doc, file_lines(path, "cp1252"), "“a colossal mistake.”", "“a", "mistake.”")


def test_latin1_fallback_when_not_cp1252(tmp_path):
    # 0x81 is undefined in cp1252
    path = write(tmp_path, "odd.txt", b"Caf\xe9 \x81 text")
    (doc,) = read_file(str(path))
    assert doc.text == "Café \x81 text"
    assert doc.warnings == ["not valid UTF-8; decoded as latin-1"]


def test_utf16_with_bom(tmp_path):
    path = write(tmp_path, "u16.txt", "Hello “there”\r\nline two".encode("utf-16"))
    (doc,) = read_file(str(path))
    assert doc.text == "Hello “there”\nline two"


def test_non_utf8_markdown_and_crlf(tmp_path):
    path = write(tmp_path, "a.md", b"# Title\r\n\r\nShe said \x93no\x94 to **the** plan.\r\n")
    (doc,) = read_file(str(path))
    assert doc.text == "Title\n\nShe said “no” to the plan."
    assert doc.warnings == ["not valid UTF-8; decoded as cp1252"]
    assert_located(doc, file_lines(path, "cp1252"), "She said “no” to the plan.", "She", "plan.")


def test_binary_file_is_an_error(tmp_path):
    path = write(tmp_path, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError) as info:
        read_file(str(path))
    assert info.value.message == "binary file, not an article"
    assert str(info.value) == f"{path}: binary file, not an article"


# ---------------------------------------------------------------------------
# plain text
# ---------------------------------------------------------------------------


def test_txt_document_fields(tmp_path):
    path = write(tmp_path, "story.txt", "Para one.\n\nPara two.\n")
    (doc,) = read_file(str(path))
    assert doc.id == str(path)
    assert doc.path == str(path)
    assert doc.format == "txt"
    assert doc.text == "Para one.\n\nPara two.\n"
    assert doc.source_offsets is None
    assert doc.source_text is None
    assert doc.paragraphs_marked is False
    assert doc.title is None
    assert doc.suppressed == []
    start = doc.text.index("Para two")
    assert doc.location(start, start + 9) == (3, 1, 3, 10)


def test_empty_txt(tmp_path):
    path = write(tmp_path, "empty.txt", b"")
    (doc,) = read_file(str(path))
    assert doc.text == ""


# ---------------------------------------------------------------------------
# markdown
# ---------------------------------------------------------------------------


def test_markdown_prose_only():
    (doc,) = read_file(str(DATA / "article.md"))
    assert doc.format == "md"
    assert doc.paragraphs_marked is True
    text = doc.text
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == "Minister promises new bridge"
    assert paragraphs[1] == (
        "The minister said on Tuesday that the new bridge will open in\n"
        "the spring, according to the ministry."
    )
    assert '"We will not let the river divide this town," she told reporters\n' in text
    assert "Construction begins in March." in paragraphs
    assert "The budget is 42 million euros & rising." in paragraphs
    assert ["Year", "Cost", "2024", "High"] == paragraphs[-5:-1]
    assert paragraphs[-1] == "Critics called the plan *reckless* and “too expensive”."
    for absent in ("title:", "tags", "print(", "indented code", "Advertisement",
                   "https://", "Aerial photo", "**", "](", "# ", "> ", "- ", "```"):
        assert absent not in text, absent


def test_markdown_title_from_heading_or_front_matter(tmp_path):
    (doc,) = read_file(str(DATA / "article.md"))
    assert doc.title == "Minister promises new bridge"
    path = write(tmp_path, "fm.md", "---\ntitle: 'Only In Front Matter'\n---\nBody text.\n")
    (doc,) = read_file(str(path))
    assert doc.title == "Only In Front Matter"
    assert doc.text == "Body text."
    path = write(tmp_path, "toml.md", '+++\ntitle = "Toml Title"\ndraft = true\n+++\n\nBody.\n')
    (doc,) = read_file(str(path))
    assert doc.title == "Toml Title"
    assert doc.text == "Body."
    path = write(tmp_path, "none.md", "Just text.\n")
    assert read_file(str(path))[0].title is None


def test_markdown_offsets_point_at_each_character():
    (doc,) = read_file(str(DATA / "article.md"))
    # entities (&amp; &ldquo;) and backslash escapes map to their first char
    assert_offsets_faithful(doc, allowed="&\\")
    src = doc.source_text
    i = doc.text.index("&")
    assert src[doc.source_offsets[i] :].startswith("&amp;")
    i = doc.text.index("“too")
    assert src[doc.source_offsets[i] :].startswith("&ldquo;too")


def test_markdown_locations():
    path = DATA / "article.md"
    (doc,) = read_file(str(path))
    lines = file_lines(path)
    assert_located(doc, lines, "Minister promises new bridge", "Minister", "bridge")
    assert_located(
        doc, lines,
        "The minister said on Tuesday that the new bridge will open in\nthe spring, according to the ministry",
        "The", "ministry",
    )
    # punctuation after a link maps past the URL, still on the same line
    end = doc.text.index("ministry.") + len("ministry.")
    line, _, end_line, end_col = doc.location(end - 1, end)
    assert lines[end_line - 1][end_col - 2] == "."
    assert_located(doc, lines, "she told reporters\ngathered outside the town hall.", "she", "hall.")
    assert_located(doc, lines, "Construction begins in March.", "Construction", "March.")
    assert_located(doc, lines, "2024", "2024", "2024")
    start = doc.text.index("The minister")
    assert doc.location(start, start + 3)[:2] == (8, 1)
    start = doc.text.index("Critics")
    line, _col, _, _ = doc.location(start, start + 7)
    assert lines[line - 1].startswith("Critics called")


def test_markdown_separators_map_after_previous_char():
    (doc,) = read_file(str(DATA / "article.md"))
    i = doc.text.index("\n\n")
    assert doc.source_offsets[i] == doc.source_offsets[i - 1] + 1
    assert doc.source_offsets[i + 1] == doc.source_offsets[i - 1] + 1


def test_markdown_links_images_and_autolinks(tmp_path):
    src = (
        "See [the report](http://example.com/r_(1).html \"T\") and ![alt text](pic.png) "
        "or <https://auto.example/link> then [ref link][r] done.\n\n[r]: http://example.com/ref\n"
    )
    path = write(tmp_path, "links.md", src)
    (doc,) = read_file(str(path))
    assert doc.text == "See the report and  or  then ref link done."
    assert_offsets_faithful(doc)
    assert src[doc.source_offsets[doc.text.index("done")] :].startswith("done.")


def test_markdown_nested_lists_and_quotes(tmp_path):
    src = "1. First *item*\n   continues here\n2. Second\n   - nested **bold**\n\n> > deep quote\n> > second line\n"
    path = write(tmp_path, "lists.md", src)
    (doc,) = read_file(str(path))
    assert doc.text.split("\n\n") == [
        "First item\ncontinues here", "Second", "nested bold", "deep quote\nsecond line"
    ]
    assert_offsets_faithful(doc)
    assert_located(doc, src.split("\n"), "continues here", "continues", "here")
    assert_located(doc, src.split("\n"), "deep quote\nsecond line", "deep", "line")


def test_markdown_setext_heading_and_hard_break(tmp_path):
    src = "Big News\n========\n\nLine with hard break  \nnext line\\\nlast line\n"
    path = write(tmp_path, "setext.md", src)
    (doc,) = read_file(str(path))
    assert doc.title == "Big News"
    assert doc.text == "Big News\n\nLine with hard break\nnext line\nlast line"
    assert_offsets_faithful(doc)


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------


def test_html_article_text_only():
    (doc,) = read_file(str(DATA / "article.html"))
    assert doc.format == "html"
    assert doc.paragraphs_marked is True
    paragraphs = doc.text.split("\n\n")
    # a full site page (header, nav, footer): the headline is the title, the
    # extractor keeps the article body (not the photo caption)
    assert paragraphs[0].startswith("The minister said on Tuesday that the new bridge will open in\n")
    assert paragraphs[0].endswith("the spring, according to the ministry.")
    assert paragraphs[1] == "“We will not let the river divide this town,” she told reporters."
    # a single <br> is a line break inside the paragraph, not a paragraph break
    assert paragraphs[2] == "Costs rose to €42\xa0million & counting…\nCritics disagree."
    assert len(paragraphs) == 3
    for absent in ("Home", "teaser", "Related", "Search", "JavaScript", "Copyright",
                   "color", "not text", "Town News", "<", "&amp;", "Minister promises"):
        assert absent not in doc.text, absent


def test_html_draft_loses_nothing_but_its_headline(tmp_path):
    source = (DATA / "article.html").read_text(encoding="utf-8")
    draft = re.sub(r"<header>.*?</header>|<footer>.*?</footer>|<aside>.*?</aside>", "", source)
    path = write(tmp_path, "draft.html", draft)
    (doc,) = read_file(str(path))
    assert doc.title == "Minister promises new bridge"
    paragraphs = doc.text.split("\n\n")
    assert paragraphs[-1] == "The bridge site." and len(paragraphs) == 4  # the <br> breaks no paragraph
    assert "Minister promises" not in doc.text
    assert_offsets_faithful(doc, allowed="&")


def test_html_title():
    (doc,) = read_file(str(DATA / "article.html"))
    assert doc.title == "Minister promises new bridge"  # the <h1>, not the <title>


def test_html_title_from_title_element_without_h1(tmp_path):
    path = write(tmp_path, "a.html", "<html><head><title>Page &ndash; Site</title></head><body><p>Text.</p></body></html>")
    (doc,) = read_file(str(path))
    assert doc.title == "Page – Site" and doc.text == "Text."


def test_html_headline_in_site_header_is_not_the_title(tmp_path):
    html = ("<body><header><h1>Site Name</h1></header><article><h1>Real headline</h1><p>Body text here.</p>"
            "</article></body>")
    (doc,) = read_file(str(write(tmp_path, "a.html", html)))
    assert doc.title == "Real headline" and "Real headline" not in doc.text


def test_html_title_falls_back_to_h1(tmp_path):
    path = write(tmp_path, "a.html", "<body><h1>The <i>Headline</i></h1><p>Text.</p></body>")
    (doc,) = read_file(str(path))
    assert doc.title == "The Headline"


def test_html_entities_map_to_entity_start():
    (doc,) = read_file(str(DATA / "article.html"))
    assert_offsets_faithful(doc, allowed="&")
    src = doc.source_text
    for decoded, raw in (("“We", "&ldquo;We"), ("€42", "&euro;42"), ("\xa0million", "&nbsp;million"),
                         ("& counting", "&amp; counting"), ("…", "&#8230;")):
        i = doc.text.index(decoded)
        assert src[doc.source_offsets[i] :].startswith(raw), decoded


def test_html_locations():
    path = DATA / "article.html"
    (doc,) = read_file(str(path))
    lines = file_lines(path)
    sentence = doc.text.split("\n\n")[0].rstrip(".")
    assert_located(doc, lines, sentence, "The", "ministry")
    line, col, end_line, _ = doc.location(doc.text.index(sentence), doc.text.index(sentence) + len(sentence))
    assert (line, end_line) == (14, 15)
    assert_located(doc, lines, "she told reporters.", "she", "reporters.")
    assert_located(doc, lines, "Critics disagree.", "Critics", "disagree.")
    # a sentence that starts with an entity: its column is the entity's
    start = doc.text.index("“We")
    line, col, _, _ = doc.location(start, start + 3)
    assert lines[line - 1][col - 1 :].startswith("&ldquo;We")


@pytest.mark.parametrize(
    "html, expected",
    [
        ("<body><p>Body text.</p><main><p>Main text.</p></main></body>", "Main text."),
        ("<body><div>Only body.</div></body><p>after</p>", "Only body."),
        ("<p>No body at all.</p><p>Second.</p>", "No body at all.\n\nSecond."),
        (
            ("<body><article><p>Short teaser.</p></article>"
            "<article><p>The long main article text wins.</p><article><p>Nested comment.</p></article></article></body>"),
            "The long main article text wins.\n\nNested comment.",
        ),
        ("<main><article></article><p>Main wins when the article is empty.</p></main>",
         "Main wins when the article is empty."),
    ],
)
def test_html_container_choice(tmp_path, html, expected):
    path = write(tmp_path, "page.htm", html)
    (doc,) = read_file(str(path))
    assert doc.text == expected
    assert_offsets_faithful(doc)


def test_html_blocks_and_inline(tmp_path):
    html = ("<div>One <em>two</em> three<br/>four<ul><li>item a<li>item b</ul>"
            "<table><tr><td>cell 1</td><td>cell 2</td></tr></table>"
            "tail <span>text</span><aside>ad</aside>resumes</div>")
    path = write(tmp_path, "blocks.html", html)
    (doc,) = read_file(str(path))
    assert doc.text.split("\n\n") == [
        "One two three", "four", "item a", "item b", "cell 1", "cell 2", "tail text", "resumes"
    ]
    assert_offsets_faithful(doc)


def test_html_unknown_entity_and_bare_ampersand(tmp_path):
    html = "<p>AT & T &bogus; x &#x201C;q&#x201D; &amp</p>"
    path = write(tmp_path, "amp.html", html)
    (doc,) = read_file(str(path))
    assert doc.text == "AT & T &bogus; x “q” &"
    assert_offsets_faithful(doc, allowed="&")


# ---------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------


def make_docx(path: Path, title: str | None = None) -> Path:
    import docx

    document = docx.Document()
    if title is not None:
        document.core_properties.title = title
    document.add_heading("Bridge plan unveiled", level=1)
    document.add_paragraph("The minister said on Tuesday that the bridge will open.")
    document.add_paragraph("")
    document.add_paragraph("Critics called the plan reckless.")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Cell quote one."
    table.cell(0, 1).text = "Cell quote two."
    document.add_paragraph("Closing paragraph after the table.")
    document.save(str(path))
    return path


def test_docx_paragraphs_and_offsets(tmp_path):
    import docx

    path = make_docx(tmp_path / "story.docx")
    (doc,) = read_file(str(path))
    assert doc.format == "docx"
    assert doc.paragraphs_marked is True
    assert doc.text.split("\n\n") == [
        "Bridge plan unveiled",
        "The minister said on Tuesday that the bridge will open.",
        "Critics called the plan reckless.",
        "Cell quote one.",
        "Cell quote two.",
        "Closing paragraph after the table.",
    ]
    assert doc.title == "Bridge plan unveiled"
    assert_offsets_faithful(doc)
    source_lines = doc.source_text.split("\n")
    assert source_lines[:4] == [
        "Bridge plan unveiled",
        "The minister said on Tuesday that the bridge will open.",
        "",
        "Critics called the plan reckless.",
    ]
    # lines are paragraph numbers in the document (body paragraphs)
    body = [p.text for p in docx.Document(str(path)).paragraphs]
    assert source_lines[3] == body[3]
    start = doc.text.index("Critics")
    assert doc.location(start, start + len("Critics called")) == (4, 1, 4, 15)
    assert_located(doc, source_lines, "the bridge will open.", "the", "open.")
    assert_located(doc, source_lines, "Cell quote two.", "Cell", "two.")


def test_docx_title_from_core_properties(tmp_path):
    path = make_docx(tmp_path / "titled.docx", title="Core Title")
    assert read_file(str(path))[0].title == "Core Title"


def test_docx_line_break_inside_paragraph(tmp_path):
    import docx

    document = docx.Document()
    paragraph = document.add_paragraph("First half")
    paragraph.add_run().add_break()
    paragraph.add_run("second half.")
    document.add_paragraph("Next paragraph.")
    path = tmp_path / "br.docx"
    document.save(str(path))
    (doc,) = read_file(str(path))
    assert doc.text == "First half\nsecond half.\n\nNext paragraph."
    assert doc.source_text == "First half second half.\nNext paragraph."
    start = doc.text.index("Next")
    assert doc.location(start, start + 4) == (2, 1, 2, 5)


@pytest.mark.parametrize("content", [os.urandom(64).replace(b"PK", b"pk"), b"just some text, not a zip\n"],
                         ids=["random-bytes", "plain-text"])
def test_corrupt_docx(tmp_path, content):
    path = write(tmp_path, "bad.docx", content)
    with pytest.raises(InputError) as info:
        read_file(str(path))
    assert info.value.message == "not a valid .docx file"
    assert info.value.path == str(path)


def test_zip_that_is_not_a_docx(tmp_path):
    import zipfile

    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(InputError, match="not a valid .docx file"):
        read_file(str(path))


# ---------------------------------------------------------------------------
# JSON lines
# ---------------------------------------------------------------------------


def test_jsonl_records():
    path = DATA / "articles.jsonl"
    docs = read_file(str(path))
    assert [d.id for d in docs] == [f"{path}#a1", f"{path}#a2", f"{path}#4"]
    assert [d.title for d in docs] == ["Bridge", None, None]
    assert docs[0].text == 'The minister said the bridge will open.\n\nCritics called it "reckless".'
    assert docs[1].text == "Café owners cheered 😀 the news — finally."
    assert [d.paragraphs_marked for d in docs] == [True, False, False]
    assert all(d.format == "jsonl" and d.path == str(path) for d in docs)
    assert docs[0].source_text == path.read_text(encoding="utf-8")


def test_jsonl_offsets_point_into_raw_json():
    path = DATA / "articles.jsonl"
    docs = read_file(str(path))
    raw_lines = file_lines(path)
    for doc in docs:
        assert len(doc.source_offsets) == len(doc.text)
        for i, ch in enumerate(doc.text):
            line, col = doc.line_col(doc.source_offsets[i])
            raw = raw_lines[line - 1][col - 1 :]
            encodings = {ch, json.dumps(ch)[1:-1], json.dumps(ch, ensure_ascii=False)[1:-1]}
            assert any(raw.startswith(e) for e in encodings), (doc.id, i, ch, raw[:12])
    assert docs[0].location(0, 3)[:2] == (1, raw_lines[0].index('"The minister') + 2)
    start = docs[1].text.index("😀")
    line, col, end_line, end_col = docs[1].location(start, start + 1)
    assert line == end_line == 3
    assert raw_lines[2][col - 1 : end_col - 1] == "\\"
    assert raw_lines[2][col - 1 :].startswith("\\ud83d\\ude00")
    assert_located(docs[0], raw_lines, 'Critics called it "reckless".', "Critics", ".")
    start = docs[0].text.index('"reckless"')
    line, col, end_line, end_col = docs[0].location(start, start + len('"reckless"'))
    assert raw_lines[0][col - 1 : end_col - 1] == '\\"reckless\\'


def test_jsonl_escapes_and_configurable_fields(tmp_path):
    record = {"key": 7, "headline": "H", "body": 'A\tb "q" \\ é \u2014 \U0001F600 end\nline two', "text": 5}
    content = "\n" + json.dumps(record) + "\n" + json.dumps(record | {"key": 8}, ensure_ascii=False) + "\n"
    path = write(tmp_path, "feed.ndjson", content)
    options = ReadOptions(id_field="key", text_field="body", title_field="headline")
    docs = read_file(str(path), options)
    assert [d.id for d in docs] == [f"{path}#7", f"{path}#8"]
    assert [d.title for d in docs] == ["H", "H"]
    lines = content.split("\n")
    for doc, line_no in zip(docs, (2, 3)):
        assert doc.text == record["body"]
        start = doc.text.index("end")
        assert doc.location(start, start + 3)[:2] == (line_no, lines[line_no - 1].index("end") + 1)
        for i, ch in enumerate(doc.text):
            line, col = doc.line_col(doc.source_offsets[i])
            raw = lines[line - 1][col - 1 :]
            assert line == line_no
            assert raw.startswith((ch, json.dumps(ch)[1:-1], json.dumps(ch, ensure_ascii=False)[1:-1]))


def test_jsonl_duplicate_keys_last_wins(tmp_path):
    path = write(tmp_path, "dup.jsonl", '{"text": "first", "id": 1, "text": "second value"}\n')
    (doc,) = read_file(str(path))
    assert doc.text == "second value"
    assert doc.source_text[doc.source_offsets[0] :].startswith("second value")


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"id": 1, "text": "ok"}\n{"id": 2, "text": "broken\n', "line 2: invalid JSON: "),
        ('{"id": 1, "text": "ok"}\n\n{"id": 2, "body": "x"}\n',
         "line 3: no 'text' field (text fields here: body; choose one with --text-field)"),
        ('{"id": 1, "text": 42}\n', "line 1: 'text' is not a string"),
        ('["a", "list"]\n', "line 1: not a JSON object"),
        ('{"id": "x", "text": "a"}\n{"id": "x", "text": "b"}\n', "line 2: duplicate id 'x' (first on line 1)"),
    ],
)
def test_jsonl_errors(tmp_path, content, message):
    path = write(tmp_path, "bad.jsonl", content)
    with pytest.raises(InputError) as info:
        read_file(str(path))
    assert info.value.message.startswith(message)
    assert info.value.path == str(path)
    assert "\n" not in str(info.value)


def test_jsonl_blank_lines_and_crlf(tmp_path):
    path = write(tmp_path, "crlf.jsonl", b'\r\n{"text": "one"}\r\n   \r\n{"text": "two"}\r\n')
    docs = read_file(str(path))
    assert [d.id for d in docs] == [f"{path}#2", f"{path}#4"]
    assert docs[1].location(0, 3) == (4, 11, 4, 14)


# ---------------------------------------------------------------------------
# inline suppression
# ---------------------------------------------------------------------------


def test_txt_suppression_blank_line_paragraphs(tmp_path):
    text = (
        "Keep this.\n\n<!-- dedupe-ignore -->\n\nIgnore this paragraph\nand its second line.\n\n"
        "Keep again.\n[dedupe off]\nOff one.\n\nOff two.\n[dedupe on]\nKeep at end.\n"
    )
    path = write(tmp_path, "s.txt", text)
    (doc,) = read_file(str(path))
    assert doc.text == text  # marker lines stay: identity mapping
    assert suppressed_texts(doc) == [
        "Ignore this paragraph\nand its second line.",
        "Off one.\n\nOff two.\n",
    ]
    assert not doc.is_suppressed(0, 10)
    assert not doc.is_suppressed(doc.text.index("Keep at end"), len(doc.text))


def test_txt_suppression_one_paragraph_per_line(tmp_path):
    text = "Line one.\n[dedupe-ignore]\nIgnored line.\nKept line.\n<!-- dedupe off -->\nOff to the end.\nStill off.\n"
    path = write(tmp_path, "lines.txt", text)
    (doc,) = read_file(str(path))
    assert suppressed_texts(doc) == ["Ignored line.", "Off to the end.\nStill off.\n"]


def test_markers_must_be_alone_on_their_line_in_txt(tmp_path):
    path = write(tmp_path, "inline.txt", "Text <!-- dedupe-ignore --> more.\nNext line.\n")
    assert read_file(str(path))[0].suppressed == []


def test_markdown_suppression(tmp_path):
    src = (
        "# Head\n\nKeep one.\n\n<!-- dedupe-ignore -->\nIgnored *para*\nsecond line.\n\nKeep two.\n\n"
        "<!-- dedupe off -->\n\n- off item\n\n> off quote\n\n<!-- dedupe on -->\n\nKeep three.\n\n"
        "<!--dedupe off-->\n\nOff to the end.\n"
    )
    path = write(tmp_path, "s.md", src)
    (doc,) = read_file(str(path))
    assert "dedupe" not in doc.text
    assert suppressed_texts(doc) == ["Ignored para\nsecond line.", "off item\n\noff quote", "Off to the end."]
    for kept in ("Head", "Keep one.", "Keep two.", "Keep three."):
        start = doc.text.index(kept)
        assert not doc.is_suppressed(start, start + len(kept))


def test_html_suppression(tmp_path):
    html = (
        "<article><p>Keep one.</p>\n<!-- dedupe-ignore -->\n<p>Ignored <b>para</b>.</p><p>Keep two.</p>"
        "<!-- dedupe off --><p>Off a.</p><div>Off b.</div><!-- dedupe on --><p>Keep three.</p></article>"
    )
    path = write(tmp_path, "s.html", html)
    (doc,) = read_file(str(path))
    assert suppressed_texts(doc) == ["Ignored para.", "Off a.\n\nOff b."]
    start = doc.text.index("Keep three.")
    assert not doc.is_suppressed(start, start + 5)


def test_jsonl_suppression(tmp_path):
    text = "Keep.\n\n<!-- dedupe-ignore -->\nIgnored quote.\n\nKept."
    path = write(tmp_path, "s.jsonl", json.dumps({"id": 1, "text": text}) + "\n")
    (doc,) = read_file(str(path))
    assert suppressed_texts(doc) == ["Ignored quote."]


def test_docx_suppression(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Keep.")
    document.add_paragraph("<!-- dedupe-ignore -->")
    document.add_paragraph("Ignored paragraph.")
    document.add_paragraph("[dedupe off]")
    document.add_paragraph("Off paragraph.")
    document.add_paragraph("[dedupe on]")
    document.add_paragraph("Kept.")
    path = tmp_path / "s.docx"
    document.save(str(path))
    (doc,) = read_file(str(path))
    assert "dedupe" not in doc.text
    assert suppressed_texts(doc) == ["Ignored paragraph.", "Off paragraph."]
    start = doc.text.index("Kept.")
    assert doc.location(start, start + 5)[:2] == (7, 1)


# ---------------------------------------------------------------------------
# file errors and format selection
# ---------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.txt"
    with pytest.raises(InputError) as info:
        read_file(str(path))
    assert str(info.value) == f"{path}: no such file or directory"


def test_directory_is_an_error(tmp_path):
    (tmp_path / "dir.md").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        read_file(str(tmp_path / "dir.md"))


def test_permission_denied_even_as_root(tmp_path, monkeypatch):
    path = write(tmp_path, "secret.md", "hidden")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("dedupe.readers.decode.os.open", refuse)
    docs, errors = read_documents([str(path)])
    assert docs == []
    assert [str(e) for e in errors] == [f"{path}: permission denied"]


def test_unsupported_extension(tmp_path):
    path = write(tmp_path, "report.pdf", b"%PDF-1.4")
    with pytest.raises(InputError) as info:
        read_file(str(path))
    message = info.value.message
    assert message.startswith("unsupported file type '.pdf' (supported: ")
    for ext in SUPPORTED_EXTENSIONS:
        assert ext in message


def test_fmt_overrides_extension(tmp_path):
    path = write(tmp_path, "page.xyz", "<p>Hello &amp; bye</p>")
    (doc,) = read_file(str(path), fmt="html")
    assert doc.text == "Hello & bye"
    (doc,) = read_file(str(path), fmt=".txt")
    assert doc.text == "<p>Hello &amp; bye</p>"
    with pytest.raises(InputError, match="unknown format 'pdf'"):
        read_file(str(path), fmt="pdf")


def test_extensions_are_case_insensitive(tmp_path):
    path = write(tmp_path, "LOUD.MD", "# Title\n\nBody.")
    assert read_file(str(path))[0].format == "md"


# ---------------------------------------------------------------------------
# walking
# ---------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path):
    for rel in (
        "b.txt", "a.md", "notes.pdf", "c.html", "page.min.html", "zz/deep.jsonl",
        "drafts/old/x.txt", "drafts/new/y.txt", ".git/config.txt", ".dedupe/cache.txt",
        ".venv/lib/site.txt", ".hidden.txt", "sub/inner.txt", "sub/image.png",
    ):
        content = '{"text": "t"}\n' if rel.endswith(".jsonl") else "Some text.\n"
        write(tmp_path, rel, content)
    return tmp_path


def rels(paths, root):
    return [os.path.relpath(p, root).replace(os.sep, "/") for p in paths]


def test_iter_paths_walks_sorted_and_skips_hidden(tree):
    found = rels(iter_paths([str(tree)]), tree)
    assert found == [
        "a.md", "b.txt", "c.html", "page.min.html",
        "drafts/new/y.txt", "drafts/old/x.txt", "sub/inner.txt", "zz/deep.jsonl",
    ]
    assert found == rels(iter_paths([str(tree)], ReadOptions()), tree)  # deterministic


def test_iter_paths_exclude_prunes(tree):
    options = ReadOptions(exclude=("drafts/old/*", "*.min.html", "zz"))
    found = rels(iter_paths([str(tree)], options), tree)
    assert found == ["a.md", "b.txt", "c.html", "drafts/new/y.txt", "sub/inner.txt"]


def test_iter_paths_include(tree):
    found = rels(iter_paths([str(tree)], ReadOptions(include=("*.txt",))), tree)
    assert found == ["b.txt", "drafts/new/y.txt", "drafts/old/x.txt", "sub/inner.txt"]
    found = rels(iter_paths([str(tree)], ReadOptions(include=("sub/*",))), tree)
    assert found == ["sub/image.png", "sub/inner.txt"]


def test_iter_paths_files_as_given(tree):
    given = [str(tree / "notes.pdf"), str(tree / "missing.txt"), str(tree / "b.txt"), str(tree / "b.txt")]
    assert list(iter_paths(given, ReadOptions())) == given[:3]


def test_read_documents_collects_errors(tree):
    write(tree, "broken.jsonl", "{not json}\n")
    seen: list[InputError] = []
    docs, errors = read_documents(
        [str(tree), str(tree / "notes.pdf"), str(tree / "missing.md")], on_error=seen.append
    )
    assert seen == errors
    assert [e.path for e in errors] == [
        str(tree / "broken.jsonl"), str(tree / "notes.pdf"), str(tree / "missing.md")
    ]
    assert errors[0].message.startswith("line 1: invalid JSON")
    assert errors[1].message.startswith("unsupported file type '.pdf'")
    assert errors[2].message == "no such file or directory"
    assert rels([d.path for d in docs], tree) == [
        "a.md", "b.txt", "c.html", "page.min.html",
        "drafts/new/y.txt", "drafts/old/x.txt", "sub/inner.txt", "zz/deep.jsonl",
    ]
    assert docs[-1].id == f"{tree / 'zz' / 'deep.jsonl'}#1"


def test_read_documents_accepts_single_path_string(tree):
    docs, errors = read_documents(str(tree / "b.txt"))
    assert [d.text for d in docs] == ["Some text.\n"] and errors == []


# ---------------------------------------------------------------------------
# speed and laziness
# ---------------------------------------------------------------------------


def test_reading_text_does_not_import_heavy_modules(tmp_path):
    write(tmp_path, "a.txt", "Hello.")
    code = (
        "import sys\nimport dedupe.readers as r\nbefore = set(sys.modules)\n"
        f"docs, errors = r.read_documents([{str(tmp_path)!r}])\n"
        "assert len(docs) == 1 and not errors\n"
        "print(','.join(sorted(set(sys.modules) - before)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True,
        cwd=Path(__file__).resolve().parents[1], check=True,
    )
    added = set(result.stdout.strip().split(","))
    assert not added & {"markdown_it", "docx", "lxml", "html.parser", "json"}, added


def test_readers_modules_import_format_libraries_lazily():
    import ast

    from dedupe import readers

    modules = sorted(Path(readers.__file__).parent.glob("*.py"))
    assert len(modules) > 5  # one module per format plus the shared pieces
    for module in modules:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        top_level = set()
        for node in tree.body:
            if isinstance(node, ast.Import):
                top_level.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                top_level.add(node.module)
        heavy = {"markdown_it", "docx", "lxml", "html.parser", "json", "zipfile", "trafilatura", "gzip"}
        assert not top_level & heavy, (module.name, top_level & heavy)


def test_many_small_text_files_are_cheap(tmp_path):
    for i in range(2000):
        (tmp_path / f"{i:05d}.txt").write_text(f"Story number {i}.\nA quote “here”.\n", encoding="utf-8")
    docs, errors = read_documents([str(tmp_path)])
    assert len(docs) == 2000 and not errors
    assert docs[0].text.startswith("Story number 0.")  # timings: bench/bench_readers.py


# ---------------------------------------------------------------------------
# OffsetMap
# ---------------------------------------------------------------------------


def test_documents_pickle_and_copy():
    import copy
    import pickle

    for name in ("article.md", "article.html", "articles.jsonl"):
        for doc in read_file(str(DATA / name)):
            clone = pickle.loads(pickle.dumps(doc))
            assert list(clone.source_offsets) == list(doc.source_offsets)
            assert clone.location(0, len(clone.text)) == doc.location(0, len(doc.text))
            assert list(copy.deepcopy(doc).source_offsets) == list(doc.source_offsets)


def test_offset_map_behaves_like_a_list():
    offsets = [0, 1, 2, 5, 5, 6, 10, 11, 3]
    mapped = OffsetMap.from_offsets(offsets)
    assert len(mapped) == len(offsets)
    assert list(mapped) == offsets
    assert [mapped[i] for i in range(len(offsets))] == offsets
    assert mapped[-1] == 3 and mapped[2:5] == [2, 5, 5]
    assert mapped == offsets
    with pytest.raises(IndexError):
        mapped[len(offsets)]
    assert OffsetMap() == [] and len(OffsetMap()) == 0


def test_offset_map_runs_round_trip():
    mapped = OffsetMap.from_offsets([4, 5, 6, 9, 9, 10, 2])
    starts, sources = mapped.runs()
    assert starts == [0, 3, 4, 6] and sources == [4, 9, 9, 2]
    assert OffsetMap.from_runs(starts, sources, len(mapped)) == mapped


def test_package_reexports_the_public_api():
    from dedupe import readers
    from dedupe.readers.offsets import OffsetMap as Direct
    from dedupe.readers.registry import format_for
    from dedupe.readers.registry import read_file as direct_read

    assert readers.OffsetMap is Direct and readers.read_file is direct_read
    assert readers.format_for is format_for
    for name in ("ReadOptions", "OffsetMap", "read_file", "read_documents", "iter_paths", "format_for"):
        assert name in readers.__all__
