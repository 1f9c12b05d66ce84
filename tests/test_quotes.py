"""Quotations as units: marks, spans across sentences, unclosed quotes, apostrophes."""

from __future__ import annotations

from dedupe import Settings
from dedupe.documents import Document
from dedupe.text.quotes import quote_spans
from dedupe.text.split import NewsPunkt
from dedupe.text.units import QUOTE, SENTENCE, extract_units


def quotes(text: str) -> list[str]:
    return [text[s:e] for s, e in quote_spans(text, 0, len(text))]


def test_curly_double_quotes():
    t = "He said “we will win the vote.” Then “again and again,” she added."
    assert quotes(t) == ["we will win the vote.", "again and again,"]


def test_straight_double_quotes_paired_in_order():
    t = 'He said "we will win the vote." Then "again and again," she added.'
    assert quotes(t) == ["we will win the vote.", "again and again,"]


def test_offsets_point_inside_the_marks():
    t = "Ushakov said this would be “a colossal mistake.”"
    (s, e), = quote_spans(t, 0, len(t))
    assert t[s - 1] == "“" and t[e] == "”"


def test_single_curly_quotes_and_apostrophes():
    t = "She called it ‘the Kremlin’s biggest bluff in years’ and left."
    assert quotes(t) == ["the Kremlin’s biggest bluff in years"]


def test_apostrophes_alone_are_not_quotes():
    assert quotes("Russia’s troops and the leaders’ talks went on, he said.") == []
    assert quotes("It’s the company’s third quarterly loss in a row.") == []


def test_quote_spanning_a_sentence_break():
    t = "“It is over. We lost the vote and we accept it,” the senator said."
    assert quotes(t) == ["It is over. We lost the vote and we accept it,"]


def test_unclosed_quote_runs_to_end_of_range():
    t = "He said “this never closes and just goes on"
    assert quotes(t) == ["this never closes and just goes on"]
    # ... but never past the paragraph it is given
    t2 = "para one “open quote here\n\npara two is separate"
    end = t2.index("\n\n")
    assert [t2[s:e] for s, e in quote_spans(t2, 0, end)] == ["open quote here"]


def test_guillemets():
    assert quotes("«Nous ne céderons pas» a déclaré le ministre.") == ["Nous ne céderons pas"]


def test_range_limits_respected():
    t = "“first quote here” and “second quote here”"
    mid = t.index(" and ")
    assert [t[s:e] for s, e in quote_spans(t, mid, len(t))] == ["second quote here"]


def _units(text: str, **kw):
    doc = Document(id="d", path="d.txt", text=text)
    du = extract_units(doc, Settings(**kw), NewsPunkt())
    return [(k, text[s:e]) for k, s, e in zip(du.kinds, du.starts, du.ends)]


def test_quote_units_extracted_across_sentences():
    text = (
        "“The talks are over. We will not return to the table until the company withdraws its offer,” "
        "said local president Maria Delgado on Tuesday evening."
    )
    units = _units(text)
    q = [t for k, t in units if k == QUOTE]
    assert q == ["The talks are over. We will not return to the table until the company withdraws its offer,"]
    assert [t for k, t in units if k == SENTENCE][0].startswith("We will not return")


def test_no_quote_units_when_excluded_or_off():
    text = "“We will not return to the table until the company withdraws its offer,” said Maria Delgado on Tuesday."
    assert any(k == QUOTE for k, _ in _units(text))
    assert not any(k == QUOTE for k, _ in _units(text, quotes=False))
    assert not any(k == QUOTE for k, _ in _units(text, exclude_quotes=True))
