"""Full published pages: the article body only (main-content extraction),
mapped back to exact source offsets; clean drafts lose nothing."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedupe.cli.main import main
from dedupe.readers import read_file

REPEAT = "The council approved the new harbour budget by a narrow margin of five votes to four on Monday night."

HEADLINES = [
    "Storm warning issued for the whole coast as winds reach record speeds overnight",
    "Local school wins national science prize for the third year in a row",
    "Transport minister resigns after weeks of pressure over the delayed rail project",
    "Hospital waiting times fall for the first time in a decade, figures show",
    "Football club confirms the sale of its stadium to a property developer",
]
TEASERS = [
    "Watch: the moment a rescue crew reached the stranded fishing boat in heavy seas off the cape.",
    "Video: residents describe the night the river burst its banks and flooded the old town.",
]
BODY = [
    "Councillors met for more than four hours at the town hall to debate the spending plan for the port.",
    REPEAT,
    "Opponents said the money would be better spent on housing and on repairing the sea wall.",
    "“We cannot keep patching the same wall every winter,” said the deputy mayor, Ana Costa.",
    "The plan includes a new ferry terminal, dredging of the main channel and a cycle path along the quay.",
    "Work is expected to start in the spring, subject to approval by the regional government. " + REPEAT,
    "The port handled 1.2 million tonnes of cargo last year, a rise of 8 percent on the year before.",
]


def headline_list(title: str, rng: random.Random, css: str) -> str:
    items = "".join(f'<li><a href="/news/{rng.randrange(10**6)}">{h}</a></li>' for h in rng.sample(HEADLINES, 4))
    return f'<div class="{css}"><h3>{title}</h3><ul>{items}</ul></div>\n'


def teaser_block(rng: random.Random) -> str:
    cards = "".join(
        f'<div class="card"><a href="/video/{rng.randrange(10**6)}"><img src="t.jpg" alt=""><span>{t}</span></a></div>'
        for t in TEASERS
    )
    return f'<div class="video-teasers"><h3>Videos</h3>{cards}</div>\n'


SHARE = ('<div class="share"><a href="https://facebook.com/share">Share on Facebook</a> '
         '<a href="https://x.com/share">Share on X</a> <a href="mailto:?">Email this story</a></div>\n')


def full_page(layout: int, rng: random.Random) -> str:
    """A site's article page: navigation, trending and related headline lists
    (the same headlines twice), video teasers (twice), share widgets, footer."""
    nav = "".join(f'<li><a href="/{s.lower()}">{s}</a></li>' for s in ("World", "Politics", "Business", "Sport", "Culture"))
    paragraphs = []
    for i, text in enumerate(BODY):
        text = text.replace("new ferry", '<a href="/ferry">new ferry</a>').replace("&", "&amp;")
        paragraphs.append(f"<p>{text}</p>\n")
        if layout == 2 and i == 2:
            paragraphs.append('<p class="read-more"><strong>Read more:</strong> '
                              f'<a href="/x">{HEADLINES[0]}</a></p>\n')
    body = "".join(paragraphs)
    headline = '<h1 class="headline">Council backs harbour budget after late-night vote</h1>\n'
    if layout != 1:  # the article's own header: headline and a dek that repeats the lede
        headline = f'<header class="article-head">{headline}<p class="dek">{BODY[0]}</p></header>\n'
    article = (
        headline +
        '<div class="byline">By <a href="/staff/jd">Jane Doe</a>, Local Affairs Reporter</div>\n'
        + SHARE + '<figure><img src="harbour.jpg" alt="The harbour"><figcaption>The harbour at dawn. Photo: J. Doe</figcaption></figure>\n'
        + body + SHARE + headline_list("Related stories", rng, "related")
    )
    if layout in (0, 2):
        main = f"<main><article>\n{article}</article></main>\n"
    else:
        main = f'<div id="content"><div class="story">\n{article}</div></div>\n'
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<title>Council backs harbour budget after late-night vote | Example News</title>\n"
        "<script>window.dataLayer = [];</script></head>\n<body>\n"
        f'<header class="site"><a class="logo" href="/">Example News</a><nav><ul>{nav}</ul></nav></header>\n'
        + headline_list("Trending now", rng, "trending") + teaser_block(rng)
        + main
        + headline_list("Most read", rng, "most-read") + teaser_block(rng)
        + '<footer><p>© 2026 Example News. All rights reserved.</p><a href="/terms">Terms</a> <a href="/privacy">Privacy</a></footer>\n'
        "</body></html>\n"
    )


def scan_json(paths: list[Path]) -> dict:
    result = CliRunner().invoke(main, ["scan", *map(str, paths), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def assert_members_exact(cluster: dict) -> None:
    for m in cluster["members"]:
        (doc,) = read_file(m["path"])
        assert doc.text[m["start"] : m["end"]] == m["text"]
        lines = Path(m["path"]).read_text(encoding="utf-8").split("\n")
        assert lines[m["line"] - 1][m["column"] - 1 :].startswith(m["text"][:25])
        assert lines[m["end_line"] - 1][: m["end_column"] - 1].endswith(m["text"][-10:])


@pytest.mark.parametrize("layout", [0, 1, 2])
def test_full_page_reports_body_repeats_only(tmp_path, layout):
    rng = random.Random(layout)
    page = tmp_path / "story.html"
    page.write_text(full_page(layout, rng), encoding="utf-8")
    (doc,) = read_file(str(page))
    assert doc.title == "Council backs harbour budget after late-night vote"
    for chrome in HEADLINES[1:] + TEASERS + ["Share on", "Trending", "Most read", "Related stories", "All rights",
                                             "Politics", "Council backs harbour"]:
        assert chrome not in doc.text, chrome
    for para in BODY:
        assert para.replace("new ferry", "new ferry") in doc.text
    data = scan_json([page])
    texts = [c["members"][0]["text"] for c in data["clusters"]]
    assert texts == [REPEAT], texts
    assert_members_exact(data["clusters"][0])


def test_two_full_pages_share_only_their_body_sentence(tmp_path):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    a.write_text(full_page(0, random.Random(1)), encoding="utf-8")
    # another story from the same site: same chrome, its own body but one shared sentence
    other = full_page(1, random.Random(2))
    for para in BODY[2:]:
        other = other.replace(para.replace("new ferry", '<a href="/ferry">new ferry</a>'), "")
    other = other.replace(BODY[0], "A different story about the schools budget opened with this sentence today.")
    b.write_text(other, encoding="utf-8")
    data = scan_json([a, b])
    kinds = {(c["kind"], c["members"][0]["text"]) for c in data["clusters"]}
    assert {t for _, t in kinds} == {REPEAT}, kinds  # the shared chrome is not reported
    assert "cross-article" in {k for k, _ in kinds}
    for c in data["clusters"]:
        assert_members_exact(c)


DRAFTS = [
    # a CMS fragment
    (("<h1>Council backs budget</h1>\n<p>First paragraph of the draft with a <a href='/x'>link</a>.</p>\n"
    "<p>Second paragraph &amp; more.</p>\n<ul><li>A list item</li><li>Another item</li></ul>\n"
    "<blockquote><p>“A quote,” she said.</p></blockquote>\n<p><a href='/a'>Only a link</a></p>\n"),
     ["First paragraph of the draft with a link.", "Second paragraph & more.", "A list item", "Another item",
      "“A quote,” she said.", "Only a link"]),
    # a simple page
    (("<html><head><title>Draft</title></head><body>\n<h1>Council backs budget</h1>\n"
    "<p>First paragraph of the draft.</p>\n<p>Photo caption style line.</p>\n<div>A div paragraph.</div>\n"
    "<figure><figcaption>The caption stays.</figcaption></figure>\n</body></html>\n"),
     ["First paragraph of the draft.", "Photo caption style line.", "A div paragraph.", "The caption stays."]),
    # an article with its own header and footer (a CMS's semantic markup)
    (("<article><header><h1>Council backs budget</h1><p class='dek'>A short dek line.</p></header>\n"
     "<p>Body one.</p><p>Ok.</p><blockquote>“Quoted,” he said.</blockquote>\n"
     "<footer><p>Filed by the desk.</p></footer></article>\n"),
     ["A short dek line.", "Body one.", "Ok.", "“Quoted,” he said.", "Filed by the desk."]),
]


@pytest.mark.parametrize(("html", "paragraphs"), DRAFTS)
def test_clean_drafts_lose_nothing(tmp_path, html, paragraphs):
    path = tmp_path / "draft.html"
    path.write_text(html, encoding="utf-8")
    (doc,) = read_file(str(path))
    assert doc.title == "Council backs budget"
    assert doc.text.split("\n\n") == paragraphs
    for i, ch in enumerate(doc.text):
        if ch != "\n":
            assert doc.source_text[doc.source_offsets[i]] in (ch, "&")


def test_deep_nesting_is_read(tmp_path):
    depth = 3000
    html = "<div>" * depth + "<p>Deep text here.</p>" + "</div>" * depth + "<nav><a>x</a></nav>"
    path = tmp_path / "deep.html"
    path.write_text(html, encoding="utf-8")
    (doc,) = read_file(str(path))
    assert doc.text == "Deep text here."
    assert doc.source_text[doc.source_offsets[0] :].startswith("Deep text")
