"""Property tests over the readers (hypothesis): spans are exact in every
format, and arbitrary bytes give a document or an InputError, nothing else."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedupe.documents import Document
from dedupe.errors import InputError
from dedupe.readers import read_file

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789éüß’“”—€", min_size=1, max_size=9)
PUNCT = st.sampled_from(["", "", ".", ",", ";", "!", "?", ":"])


@st.composite
def sentences(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.tuples(WORD, PUNCT), min_size=1, max_size=12))
    return " ".join(w + p for w, p in words)


@st.composite
def html_inline(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        text = draw(sentences())
        kind = draw(st.sampled_from(["plain", "b", "a", "entity", "span"]))
        if kind == "b":
            parts.append(f"<b>{text}</b>")
        elif kind == "a":
            parts.append(f'<a href="/x?a=1&amp;b=2">{text}</a>')
        elif kind == "entity":
            parts.append(text + draw(st.sampled_from([" &amp; ", "&#8217;", " &ldquo;q&rdquo; ", "&nbsp;", " &bogus; "])))
        elif kind == "span":
            parts.append(f"<span class='c'>{text}</span>\n  ")
        else:
            parts.append(text)
    return " ".join(parts)


@st.composite
def html_pages(draw: st.DrawFn) -> str:
    blocks = []
    for _ in range(draw(st.integers(1, 8))):
        tag = draw(st.sampled_from(["p", "div", "li", "blockquote", "h2", "td"]))
        blocks.append(f"<{tag}>{draw(html_inline())}</{tag}>")
    body = "\n".join(blocks)
    if draw(st.booleans()):  # a full page: chrome around the article
        body = (f"<header><nav><a href='/'>Home</a></nav></header>\n<article>{body}</article>\n"
                "<footer>Footer text</footer>")
    return f"<html><head><title>{draw(sentences())}</title></head><body>\n{body}\n</body></html>\n"


@st.composite
def markdown_docs(draw: st.DrawFn) -> str:
    blocks = []
    for _ in range(draw(st.integers(1, 8))):
        text = draw(sentences())
        kind = draw(st.sampled_from(["p", "h", "li", "quote", "em", "code", "link", "wrap"]))
        if kind == "h":
            blocks.append(f"## {text}")
        elif kind == "li":
            blocks.append(f"- {text}\n- {draw(sentences())}")
        elif kind == "quote":
            blocks.append(f"> {text}")
        elif kind == "em":
            blocks.append(f"Some *{text}* and **{draw(sentences())}**")
        elif kind == "code":
            blocks.append(f"Use `{text}` here")
        elif kind == "link":
            blocks.append(f"See [{text}](http://example.com/a_(b)) now")
        else:
            blocks.append(text + "\n" + draw(sentences()))
    return "\n\n".join(blocks) + "\n"


def assert_exact(doc: Document, allowed: str = "") -> None:
    """Every character maps to itself in the source (separators and the
    first character of an entity or escape aside), offsets never go back,
    and line/column point at the mapped source character."""
    src = doc.source_text if doc.source_text is not None else doc.text
    offsets = doc.source_offsets if doc.source_offsets is not None else range(len(doc.text))
    assert len(offsets) == len(doc.text)
    lines = src.split("\n")
    previous = -1
    for i, ch in enumerate(doc.text):
        off = offsets[i]
        assert off >= previous
        previous = off
        if ch == "\n":
            continue
        assert src[off] == ch or src[off] in allowed, (i, ch, src[off : off + 8])
        line, col, _, _ = doc.location(i, i + 1)
        assert lines[line - 1][col - 1] == src[off]


def read_text(name: str, content: str | bytes) -> list[Document]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return read_file(str(path))


@SETTINGS
@given(html_pages())
def test_html_spans_exact(page):
    (doc,) = read_text("p.html", page)
    assert_exact(doc, allowed="&")


@SETTINGS
@given(markdown_docs())
def test_markdown_spans_exact(text):
    (doc,) = read_text("d.md", text)
    assert_exact(doc, allowed="&\\")


@SETTINGS
@given(st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=6), st.booleans())
def test_jsonl_spans_exact(texts, ascii_only):
    lines = [json.dumps({"id": f"r{i}", "text": t}, ensure_ascii=ascii_only) for i, t in enumerate(texts)]
    docs = read_text("e.jsonl", "\n".join(lines) + "\n")
    assert [d.id.rsplit("#", 1)[1] for d in docs] == [f"r{i}" for i in range(len(texts))]
    for doc, original, raw in zip(docs, texts, lines):
        expected = "".join("\ufffd" if 0xD800 <= ord(c) < 0xE000 else c for c in original)
        assert doc.text == expected
        for i in range(len(doc.text)):
            line, col, _, _ = doc.location(i, i + 1)
            assert line == docs.index(doc) + 1
            assert raw[col - 1] in ("\\", doc.text[i]) or doc.text[i] == "\ufffd"


@SETTINGS
@given(st.text(max_size=300))
def test_plain_text_is_identity(text):
    (doc,) = read_text("t.txt", text.replace("\x00", ""))
    expected = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    expected = expected.removeprefix("\ufeff")
    assert doc.text == expected


@SETTINGS
@given(st.binary(max_size=400), st.sampled_from(["txt", "md", "html", "jsonl", "docx", "jsonl.gz"]))
def test_arbitrary_bytes_give_documents_or_input_error(data, ext):
    try:
        docs = read_text(f"x.{ext}", data)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    for doc in docs:
        assert isinstance(doc.text, str)
        doc.text.encode("utf-8")  # no lone surrogates reach the outputs
