"""Sentence boundaries on real copy: hard-wrapped paragraphs inside unwrapped
text, wire abbreviations at line ends, tables and figures, titles.

Every test compares against the splitter's own output on the unwrapped text
(checked sentence by sentence in test_splitting.py) or against the copy it
builds, so a change in wrapping, spans or units shows up here.
"""

from __future__ import annotations

import json
import random
import re
import textwrap

import pytest
from click.testing import CliRunner

from dedupe import Settings, scan
from dedupe import kernels as native
from dedupe.cli.main import main
from dedupe.documents import Document
from dedupe.text.split import (
    NewsPunkt,
    paragraph_spans,
    sentence_spans,
    split_sentences,
    title_paragraphs,
)
from dedupe.text.units import extract_units, is_figures


def flat(sentences: list[str]) -> list[str]:
    """Sentences with line breaks and runs of spaces read as one space."""
    return [" ".join(s.split()) for s in sentences]


def wrap(paragraph: str, width: int, indent: str = "") -> str:
    """Hard-wrap one paragraph the way wire copy is (never inside a word)."""
    return textwrap.fill(paragraph, width, initial_indent=indent, break_on_hyphens=False, break_long_words=False)


@pytest.fixture
def seed_text(seed_path) -> str:
    return seed_path.read_text("utf-8")


@pytest.fixture
def seed_sentences(seed_text) -> list[str]:
    sents = split_sentences(seed_text)
    assert len(sents) == 22 and all("\n" not in s for s in sents)
    return flat(sents)


# -- hard-wrapped copy ----------------------------------------------------------


@pytest.mark.parametrize("width", [60, 70])
@pytest.mark.parametrize("style", ["plain", "indented", "blank-lines"])
def test_seed_wrapped_gives_the_same_sentences(seed_text, seed_sentences, width, style):
    paras = seed_text.split("\n")
    if style == "plain":
        text = "\n".join(wrap(p, width) for p in paras)
    elif style == "indented":  # Reuters: a new paragraph is indented
        text = "\n".join(wrap(p, width, "    ") for p in paras)
    else:
        text = "\n\n".join(wrap(p, width) for p in paras)
    assert text.count("\n") > 2 * len(paras)  # really wrapped
    assert flat(split_sentences(text)) == seed_sentences


@pytest.mark.parametrize("width", [60, 70])
def test_one_wrapped_paragraph_inside_unwrapped_copy(seed_text, seed_sentences, width):
    """Wire copy pasted into a draft that is otherwise one paragraph per line:
    the pasted paragraph is joined, every other line stays a paragraph."""
    paras = seed_text.split("\n")
    for k in range(len(paras)):
        if len(paras[k]) <= width:
            continue
        text = "\n".join(wrap(p, width) if i == k else p for i, p in enumerate(paras))
        got = split_sentences(text)
        assert flat(got) == seed_sentences, k
        # the pasted paragraph is one paragraph, its line breaks kept in the span
        assert wrap(paras[k], width) in [text[s:e] for s, e in paragraph_spans(text)]
        assert len(paragraph_spans(text)) == len(paragraph_spans(seed_text))


def test_random_mixes_of_wrapped_and_unwrapped_paragraphs(seed_text, seed_sentences):
    rng = random.Random(20261201)
    paras = seed_text.split("\n")
    for _ in range(60):
        out = []
        for p in paras:
            r = rng.random()
            if r < 0.4:
                out.append(p)
            else:
                out.append(wrap(p, rng.randint(55, 80), "    " if r > 0.85 else ""))
        sep = rng.choice(["\n", "\n", "\n\n"])
        text = sep.join(out)
        assert flat(split_sentences(text)) == seed_sentences


WIRE_SENTENCES = [
    "WASHINGTON, Jan. 12 (Reuters) - Gov. Gavin Newsom and Sen. Dianne Feinstein met officials from the U.S. Treasury and J.P. Morgan Chase & Co. on Monday to discuss the Jan. 9-10 U.S.-Russia security meeting.",
    "Acme Corp. and Widget Inc. said the No. 2 supplier to the Pentagon would join the talks.",
    "The companies said they expect a decision by Jan. 13.",
    "Officials at A.G. Edwards & Sons Inc. declined to comment on the U.S. position.",
    "Shares of Acme Corp. rose 5 pct to 42 dlrs in New York.",
]


def test_wire_abbreviations_hold_at_every_line_end():
    """Wrap a wire story at many widths, so that each abbreviation ends a line
    somewhere; the sentences never change."""
    story = " ".join(WIRE_SENTENCES[:3]) + "\n" + " ".join(WIRE_SENTENCES[3:])
    at_line_end: set[str] = set()
    for width in range(45, 90):
        text = "\n".join(wrap(p, width, "    ") for p in story.split("\n"))
        for line in text.split("\n"):
            at_line_end.add(line.split()[-1])
        assert flat(split_sentences(text)) == WIRE_SENTENCES, width
    # the widths really put the abbreviations at line ends
    assert {"Jan.", "Gov.", "Sen.", "Corp.", "Inc.", "No.", "J.P.", "U.S."} <= at_line_end


def test_short_line_that_ends_a_paragraph_still_does():
    text = (
        "The central bank said it provided the money market with 120 mln\n"
        "stg of assistance this afternoon, bringing total help so far to\n"
        "450 mln stg.\n"
        "Dealers said the shortage was smaller than expected and rates fell\n"
        "in late trading.\n"
        "Markets\n"
        "Shares closed higher in London after a quiet session in which\n"
        "volume was thin.\n"
    )
    assert flat(split_sentences(text)) == [
        "The central bank said it provided the money market with 120 mln stg of assistance this afternoon, bringing total help so far to 450 mln stg.",
        "Dealers said the shortage was smaller than expected and rates fell in late trading.",
        "Markets",
        "Shares closed higher in London after a quiet session in which volume was thin.",
    ]
    assert len(paragraph_spans(text)) == 4


def test_spans_line_and_column_are_exact(tmp_path, seed_text):
    """A draft mixing wrapped and unwrapped paragraphs: every reported member
    is the file's text at its offsets and at its line/column."""
    paras = seed_text.split("\n")
    text = "\n".join(wrap(p, 64) if i in (3, 6) else p for i, p in enumerate(paras))
    path = tmp_path / "draft.txt"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(path), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.output)
    members = [m for c in data["clusters"] for m in c["members"]]
    assert any("\n" in m["text"] for m in members)  # the wrapped Psaki paragraph is found
    lines = text.split("\n")
    for m in members:
        assert text[m["start"]:m["end"]] == m["text"]
        before = text[: m["start"]]
        assert m["line"] == before.count("\n") + 1
        assert m["column"] == m["start"] - (before.rfind("\n") + 1) + 1
        last = m["end"] - 1
        assert m["end_line"] == text[:last].count("\n") + 1
        assert lines[m["end_line"] - 1][: m["end_column"] - 1].endswith(m["text"].split("\n")[-1])
    kinds = {c["kind"] for c in data["clusters"]}
    assert {"repeated-sentence", "repeated-quote"} <= kinds


def test_sentence_spans_stay_inside_their_paragraphs(seed_text):
    text = "\n".join(wrap(p, 61) for p in seed_text.split("\n"))
    paras = paragraph_spans(text)
    for s, e, p in sentence_spans(text):
        ps, pe = paras[p]
        assert ps <= s < e <= pe
        assert text[s:e] == text[s:e].strip()


# -- tables and figures ---------------------------------------------------------

EARNINGS = """Shr 1.23 dlrs vs 1.01 dlrs
    Net 5,678,000 vs 4,567,000
    Revs 123.4 mln vs 101.2 mln
    Avg shrs 4,615,000 vs 4,522,000
    Nine mths
    Shr 3.45 dlrs vs 2.98 dlrs
    Net 15,901,000 vs 13,476,000
    Revs 367.8 mln vs 301.9 mln
    NOTE: Results include a gain of 1,200,000 dlrs from the sale of
the company's trucking unit in the second quarter.
 Reuter
"""

TABLE = """The Bank of England gave these money market rates (pct):
             Today     Prev
 7 days      10-7/8    10-15/16
 1 month     10-13/16  10-7/8
 3 months    10-3/4    10-13/16
TOPPING.........15.63......16.10......14.30
"""


def test_figures_are_not_units():
    tok = NewsPunkt()
    for body in (EARNINGS, TABLE):
        du = extract_units(Document(id="x", path="x.txt", text=body), Settings(quotes=False), tok)
        texts = [body[s:e] for s, e in zip(du.starts, du.ends)]
        assert all("vs" not in t and "10-7/8" not in t and "15.63" not in t for t in texts), texts
    du = extract_units(Document(id="x", path="x.txt", text=EARNINGS), Settings(quotes=False), tok)
    assert du.figures >= 3  # the rows of eight words or more
    assert [EARNINGS[s:e] for s, e in zip(du.starts, du.ends)] == [
        "NOTE: Results include a gain of 1,200,000 dlrs from the sale of\nthe company's trucking unit in the second quarter."
    ]
    # table rows stay rows: never glued to each other or to prose
    rows = [EARNINGS[s:e] for s, e in paragraph_spans(EARNINGS)]
    assert "Net 5,678,000 vs 4,567,000" in rows and "Nine mths" in rows


@pytest.mark.parametrize(
    "text, figures",
    [
        ("Net loss 3,175 vs profit 284,945", True),
        ("Shr loss one ct vs loss two cts", True),
        ("Qtly div 14 cts vs 14 cts prior", True),
        ("30-273 days  5.00 pct  5.00 pct   30-273 days", True),
        ("Non-performing assets totaled 1.24 billion vs 799 mln.", True),
        ("It put the 1985/86 crop at 78.10 mln tonnes, vs 78.10 mln tonnes last month.", False),
        ("The company said it earned 1.23 dlrs a share in the quarter, up from 1.01 dlrs.", False),
        ("Analysts said the Rams vs Bears game drew a record audience on Sunday night.", False),
        ("Volume was 4,200 lots against 3,900 a week earlier, traders said.", False),
    ],
)
def test_is_figures(text, figures):
    assert is_figures(text, 0, len(text)) is figures


def test_shared_table_is_not_reported_but_shared_prose_is(tmp_path):
    prose = "The company said the results reflected higher demand for its trucks in the Midwest and lower costs.\n"
    (tmp_path / "a.txt").write_text("Acme Corp said.\n" + EARNINGS + prose, encoding="utf-8")
    (tmp_path / "b.txt").write_text("Acme Corp reported.\n" + EARNINGS.replace("Reuter", "") + prose, encoding="utf-8")
    result = scan([str(tmp_path)])
    texts = [m.text for c in result.clusters for m in c.members]
    assert any("higher demand for its trucks" in t for t in texts)
    assert any("trucking unit" in t for t in texts)  # the prose note is a sentence
    assert not any(" vs " in t for t in texts)


def test_reuters_clusters_are_prose(reuters_path):
    """On Reuters stories, hardly any cluster is figures or a table, and the
    repeats of article prose are still found."""
    import gzip

    docs = []
    with gzip.open(reuters_path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            body = rec.get("body") or ""
            if body.strip():
                title = (rec.get("title") or "").strip()
                # as a draft: the headline on the first line, set apart
                docs.append(Document(id=f"r{rec['newid']}", path=f"r{rec['newid']}.txt",
                                     text=f"{title}\n\n{body}" if title else body))
            if len(docs) >= 3000:
                break
    result = scan(documents=docs)
    digits = re.compile(r"\d")
    words = re.compile(r"[^\W_]+(?:['.\-][^\W_]+)*")

    def not_prose(text: str) -> bool:
        w = words.findall(text)
        figures = sum(1 for x in w if digits.search(x)) >= 0.4 * len(w)
        return figures or not re.search("[a-z]", text) or bool(re.search(r"\bvs\b", text) and text[-1] not in ".?!")

    bad = [c for c in result.clusters if any(not_prose(m.text) for m in c.members)]
    assert len(result.clusters) > 300
    assert len(bad) <= 0.02 * len(result.clusters), [c.members[0].text for c in bad][:20]
    titles = {d.id: d.text.split("\n", 1)[0] for d in docs}
    assert not any(m.text == titles[m.doc] for c in result.clusters for m in c.members)


# -- titles ---------------------------------------------------------------------

HEADLINE = "Port strike spreads to a second terminal at Long Beach as talks stall"
LEDE = ("Dockworkers at Long Beach walked off the job on Tuesday and the port strike spreads to a second "
        "terminal at Long Beach as talks stall, the union said.")
MORE = [
    "The union said about 4,200 members joined the strike after talks with the terminal operators broke up.",
    "Gov. Elena Ruiz urged both sides to return to the table and warned of a long and costly shutdown.",
]


def _units(doc: Document) -> list[str]:
    du = extract_units(doc, Settings(quotes=False), NewsPunkt())
    return [doc.text[s:e] for s, e in zip(du.starts, du.ends)]


def test_title_line_set_apart_is_not_a_unit(tmp_path):
    text = HEADLINE + "\n\n" + LEDE + "\n" + "\n".join(MORE) + "\n"
    doc = Document(id="a", path="a.txt", text=text)
    assert title_paragraphs(text, paragraph_spans(text)) == [0]
    assert HEADLINE not in _units(doc) and LEDE in _units(doc)
    # before: the headline was contained in the lede and reported against it
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    assert not scan([str(tmp_path / "a.txt")]).clusters
    # without the blank line the first line is not taken for a title
    joined = HEADLINE + "\n" + LEDE + "\n"
    assert title_paragraphs(joined, paragraph_spans(joined)) == []
    # a first paragraph that ends like a sentence is no title
    sentence = HEADLINE + ".\n\n" + LEDE + "\n"
    assert title_paragraphs(sentence, paragraph_spans(sentence)) == []


@pytest.mark.parametrize("first", [
    'He adds: "She started beating me with her hands about the head until I ran into the other room."',
    "Officials said the talks would resume in Geneva on Monday, a week later than planned.\u201d",
    'The minister asked reporters: "Who will pay for the new bridge across the river?"',
    "The minister ended the briefing with a warning about the budget\u2026",
])
def test_a_lede_ending_in_a_quote_is_no_title(tmp_path, first):
    """A first paragraph of one line that ends as a sentence does (a period or a question inside closing
    quotes) is the lede, not a headline: its sentence is a unit and is matched."""
    text = first + "\n\n" + MORE[0] + "\n\n" + first + "\n"
    assert title_paragraphs(text, paragraph_spans(text)) == []
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    result = scan([str(tmp_path / "a.txt")])
    assert result.documents[0].title is None
    assert "repeated-sentence" in [c.kind for c in result.clusters]
    # a headline may still end in a bare question mark
    headline = "Who pays for the bridge?\n\n" + LEDE + "\n"
    assert title_paragraphs(headline, paragraph_spans(headline)) == [0]


def test_all_caps_slug_is_not_a_unit():
    slug = "PORT STRIKE SPREADS TO A SECOND TERMINAL AT LONG BEACH AS TALKS STALL"
    text = slug + "\n" + LEDE + "\n" + "\n".join(MORE)
    doc = Document(id="a", path="a.txt", text=text)
    assert slug not in " ".join(_units(doc)) and LEDE in _units(doc)
    # copy that is all capitals (old telex) keeps its sentences
    telex = (LEDE + " " + MORE[0]).upper()
    assert _units(Document(id="t", path="t.txt", text=telex))


def test_drafts_sharing_a_headline_are_not_reported_for_it(tmp_path):
    (tmp_path / "a.txt").write_text(HEADLINE + "\n\n" + MORE[0] + "\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text(HEADLINE + "\n\n" + MORE[1] + "\n", encoding="utf-8")
    assert not scan([str(tmp_path)]).clusters


def test_reader_title_is_not_a_unit(tmp_path):
    md = tmp_path / "a.md"
    md.write_text(f"# {HEADLINE}\n\n{LEDE}\n\n{MORE[0]}\n", encoding="utf-8")
    html = tmp_path / "b.html"
    html.write_text(f"<html><head><title>{HEADLINE} | Daily News</title></head><body><h1>{HEADLINE}</h1>"
                    f"<p>{MORE[1]}</p></body></html>", encoding="utf-8")
    result = scan([str(md), str(html)])
    texts = [m.text for c in result.clusters for m in c.members]
    assert HEADLINE not in texts
    assert not result.clusters
    # a paragraph equal to the reader's title, also in plain text
    text = HEADLINE + "\n" + LEDE
    doc = Document(id="x", path="x.txt", text=text, title=HEADLINE)
    assert title_paragraphs(text, paragraph_spans(text), HEADLINE) == [0]
    assert _units(doc) == [LEDE]


# -- compiled and pure-Python twins ---------------------------------------------


def _shaped_text(rng: random.Random) -> str:
    """Plain copy in every shape the splitter tells apart."""
    words = ["the", "U.S.", "talks", "said", "Jan.", "9-10", "Gov.", "\u201cquote\u201d", "x", "of", "and",
             "Shr", "vs", "1,234", "NET", "REUTER", "caf\u00e9", "\u00c9tat", "of,", "....", "......"]
    lines = []
    for _ in range(rng.randint(0, 30)):
        r = rng.random()
        if r < 0.1:
            lines.append(rng.choice(["", "  ", "\t", "\u00a0"]))
            continue
        width = rng.choice([rng.randint(3, 40), rng.randint(55, 80), rng.randint(90, 140)])
        ws = []
        while sum(len(w) + 1 for w in ws) < width:
            w = rng.choice(words)
            ws.append(w.upper() if r > 0.9 else w)
        sep = rng.choice([" ", " ", " ", "  ", "   ", "\t"]) if rng.random() < 0.2 else " "
        line = sep.join(ws) + rng.choice(["", "", ".", ",", ":", "\u2019", "\u2026", ")", " ", "\u2013"])
        if rng.random() < 0.25:
            line = rng.choice(["  ", "\t", "    ", " "]) + line
        lines.append(line)
    return rng.choice(["\n", "\n", "\r\n"]).join(lines) + rng.choice(["", "\n", "\n\n"])


def test_paragraph_spans_twins_agree(seed_text, reuters_path, monkeypatch):
    import gzip

    assert native.speedups is not None, "the compiled kernels are not built"
    rng = random.Random(5)
    texts = [_shaped_text(rng) for _ in range(4000)]
    texts += ["\n".join(wrap(p, w) for p in seed_text.split("\n")) for w in (30, 45, 60, 72)]
    with gzip.open(reuters_path, "rt", encoding="utf-8") as fh:
        for k, line in enumerate(fh):
            rec = json.loads(line)
            texts.append(rec.get("body") or "")
            texts.append(f"{rec.get('title') or ''}\n\n{rec.get('body') or ''}")
            if k >= 3000:
                break
    got = [paragraph_spans(t) for t in texts]
    monkeypatch.setattr(native, "speedups", None)
    assert got == [paragraph_spans(t) for t in texts]
    assert sum(len(g) for g in got) > 10000


def test_units_twins_agree_on_wrapped_titled_copy(seed_text, monkeypatch):
    paras = seed_text.split("\n")
    docs = [
        Document(id=str(w), path=f"{w}.txt",
                 text=HEADLINE + "\n\n" + EARNINGS + "\n".join(wrap(p, w) if i % 2 else p for i, p in enumerate(paras)))
        for w in (58, 66, 74)
    ]
    settings = Settings()
    tok = NewsPunkt()
    got = [(u.kinds, u.starts, u.ends, u.figures, u.titles) for u in (extract_units(d, settings, tok) for d in docs)]
    monkeypatch.setattr(native, "speedups", None)
    want = [(u.kinds, u.starts, u.ends, u.figures, u.titles) for u in (extract_units(d, settings, tok) for d in docs)]
    assert got == want
    assert all(f > 0 and t == 1 for *_, f, t in got)
