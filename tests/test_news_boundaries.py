"""Sentence boundaries of news copy after a quoted question or exclamation, and <br> in HTML."""

from __future__ import annotations

import pytest

from dedupe.readers import ReadOptions
from dedupe.readers.html import read_html
from dedupe.text.split import continues_after, split_sentences

WHOLE = [
    '"Why would anyone want to cut the school budget now?" he asked reporters.',
    '"Enough!" shouted the union leader as the crowd cheered.',
    "\u201cIs this the end of the talks?\u201d asked the deputy.",
    "\u201cWho will pay for this?\u201d said the mayor.",
    '"What did they expect?" she told reporters on Monday.',
    "'Is that all?' he said.",
    "It was the 'a-ha!' moment for the whole team.",
    "The group called it a (success!) what happened next was a surprise.",
    "Mother! is a movie by Darren Aronofsky.",
    '"Why now?" Smith asked.',
    '"Can we do it?" Mayor Jane Doe told the committee.',
    '"Stop!" Jones said on Monday.',
    '"Why did it take so long?" he asked, adding that the inquiry would go on.',
]


@pytest.mark.parametrize("sentence", WHOLE)
def test_quoted_question_or_exclamation_then_continuation_is_one_sentence(sentence):
    assert split_sentences(sentence) == [sentence]
    text = "The council met on Monday. " + sentence + " The vote is next week."
    assert split_sentences(text) == ["The council met on Monday.", sentence, "The vote is next week."]


APART = [
    ("Who pays?", "The taxpayers do."),
    ('He asked: "Why now?"', "The mayor said nothing."),
    ("Did it matter?", "Analysts said yes!"),
    ('"Can we do it?"', "Smith said the budget was cut."),
    ('"Enough!"', "The crowd went home."),
    ('"Why?"', "Reuters could not reach the company."),
]


@pytest.mark.parametrize("first,second", APART)
def test_real_ends_after_question_or_exclamation_still_split(first, second):
    assert split_sentences(f"{first} {second}") == [first, second]


def test_periods_are_left_to_punkt():
    text = "Profits rose 5 pct. shares fell."  # a lower-case word after a period: Punkt's decision
    assert continues_after(text, text.index("pct.") + 4, text.index("shares")) is False


def _html(body: str):
    (doc,) = read_html("a.html", f"<html><body>{body}</body></html>".encode(), ReadOptions())
    return doc


def test_single_br_is_a_line_break_inside_the_paragraph():
    doc = _html("<p>The council voted on Monday to close the library<br>\n   and the pool by June.</p>"
                "<p>A second paragraph.</p>")
    assert doc.text == "The council voted on Monday to close the library\nand the pool by June.\n\nA second paragraph."
    assert split_sentences(doc.text, marked=True) == [
        "The council voted on Monday to close the library\nand the pool by June.", "A second paragraph."]
    # the line break maps back to the <br> tag in the source
    src = doc.source_text
    k = doc.text.index("\n")
    assert src[doc.source_offsets[k]:doc.source_offsets[k] + 4] == "<br>"


def test_two_breaks_or_a_block_end_the_paragraph():
    doc = _html("<p>First paragraph here.<br><br>Second one.<br/> <br />Third one.</p><p>Fourth.</p>")
    assert doc.text.split("\n\n") == ["First paragraph here.", "Second one.", "Third one.", "Fourth."]


def test_br_at_the_start_or_end_of_a_paragraph_adds_nothing():
    doc = _html("<p><br>Opening words of the story.<br></p><p>Next.</p>")
    assert doc.text.split("\n\n") == ["Opening words of the story.", "Next."]
