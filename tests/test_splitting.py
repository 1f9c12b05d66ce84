"""Sentence splitting: the seed, abbreviations, wire copy, Punkt equivalence, training."""

from __future__ import annotations

import gzip
import json
import random

from nltk.tokenize.punkt import PunktSentenceTokenizer

from dedupe.text.split import (
    NewsPunkt,
    news_model,
    paragraph_spans,
    sentence_spans,
    split_sentences,
    train_parameters,
)


def test_seed_has_exactly_22_sentences(seed_path):
    text = seed_path.read_text("utf-8")
    sents = split_sentences(text)
    assert len(sents) == 22
    # every non-empty line is one paragraph; no sentence crosses a line
    assert all("\n" not in s for s in sents)
    assert "– US support for Ukraine –" in sents
    assert sents[sents.index("– US support for Ukraine –") + 1].startswith("The January talks will see")
    joined = [s for s in sents if "Jan. 9-10 U.S.-Russia security meeting" in s]
    assert len(joined) == 1
    assert "on Jan. 12, and a broader conference" in joined[0]
    assert joined[0].endswith("slated for Jan. 13.")
    assert sents[0].startswith("WASHINGTON: US President") and sents[0].endswith("“colossal mistake.”")
    assert sents[2] == "During the phone call, both presidents indicated support for further diplomacy on the tense standoff between Russia and Western-backed Ukraine."
    assert sents[3] == "The call was requested by Putin."


def test_seed_spans_are_offsets_into_text(seed_path):
    text = seed_path.read_text("utf-8")
    for s, e, _ in sentence_spans(text):
        assert text[s:e] == text[s:e].strip() and text[s:e]


ABBREV_CASES = [
    "Gov. Jane Roe met Sen. Bob Poe in Sacramento, Calif. on Monday.",
    "Officials from the U.S. and the U.N. met at 9 a.m. and again at 3 p.m. in the capital.",
    "Acme Inc. and Widget Corp. said their merger would close by June.",
    "The company was the No. 2 supplier to St. Mary's hospital, where Dr. Lee works.",
    "Reps. from Mich. and Tex. signed the letter with Lt. Gov. Ann Fry.",
]


def test_abbreviations_do_not_end_sentences():
    for sentence in ABBREV_CASES:
        assert split_sentences(sentence) == [sentence], sentence
    text = " ".join(ABBREV_CASES)
    assert split_sentences(text) == ABBREV_CASES


def test_untrained_punkt_would_cut_these():
    # guards the test above: plain untrained Punkt does cut at these abbreviations
    plain = PunktSentenceTokenizer()
    assert len(plain.tokenize(" ".join(ABBREV_CASES))) > len(ABBREV_CASES)


def test_real_sentence_ends_still_split():
    text = "Profits rose 5 pct. Shares fell in New York. Did it matter? Analysts said yes!"
    assert split_sentences(text) == ["Profits rose 5 pct.", "Shares fell in New York.", "Did it matter?", "Analysts said yes!"]


WIRE = """    LONDON, March 3 - The Bank of England said it provided the
money market with 120 mln stg of assistance this afternoon,
bringing total help so far today to 450 mln stg. The central
bank bought bills in band one at 10-7/8 pct.
    It said the shortage was revised to 550 mln stg from 500
mln stg earlier, after Gov. Smith of the U.S. Treasury Corp.
met officials at 9 a.m. in London.
    The bank gave no further details of the operation, which
was its second of the day.
"""


def test_hard_wrapped_wire_copy():
    sents = split_sentences(WIRE)
    flat = [" ".join(s.split()) for s in sents]
    assert flat == [
        "LONDON, March 3 - The Bank of England said it provided the money market with 120 mln stg of assistance this afternoon, bringing total help so far today to 450 mln stg.",
        "The central bank bought bills in band one at 10-7/8 pct.",
        "It said the shortage was revised to 550 mln stg from 500 mln stg earlier, after Gov. Smith of the U.S. Treasury Corp. met officials at 9 a.m. in London.",
        "The bank gave no further details of the operation, which was its second of the day.",
    ]
    paras = paragraph_spans(WIRE)
    assert len(paras) == 3
    assert [p for *_, p in sentence_spans(WIRE)] == [0, 0, 1, 2]


def test_indented_paragraph_not_merged_even_without_period():
    text = (
        "    The company said first quarter results would be reported\n"
        "later this month, and it expected a small loss for the period\n"
        "    Shareholders will vote on the proposed merger at the annual\n"
        "meeting in Chicago on April 12, the company said in a filing\n"
    )
    sents = split_sentences(text)
    assert len(sents) == 2
    assert sents[1].startswith("Shareholders will vote")


def test_headings_and_blank_lines():
    text = (
        "Port strike spreads to second terminal\n"
        "\n"
        "Dockworkers at the Port of Long Beach walked off the job on Tuesday, halting cargo at the No. 2 port.\n"
        "The union said about 4,200 members joined the strike after talks with the operators broke up.\n"
        "Automation at the heart of the dispute\n"
        "Mediators arrived on Wednesday. They met both sides separately.\n"
        "\n\n\n"
        "The end came quickly.\n"
    )
    assert split_sentences(text) == [
        "Port strike spreads to second terminal",
        "Dockworkers at the Port of Long Beach walked off the job on Tuesday, halting cargo at the No. 2 port.",
        "The union said about 4,200 members joined the strike after talks with the operators broke up.",
        "Automation at the heart of the dispute",
        "Mediators arrived on Wednesday.",
        "They met both sides separately.",
        "The end came quickly.",
    ]


def test_marked_paragraphs_join_soft_breaks():
    text = "A sentence that is wrapped\nover two lines. Another one.\n\nHeading"
    assert split_sentences(text, marked=True) == ["A sentence that is wrapped\nover two lines.", "Another one.", "Heading"]
    assert paragraph_spans(text, marked=True) == [(0, 55), (57, 64)]


def test_empty_and_whitespace():
    assert split_sentences("") == []
    assert split_sentences("  \n\n \t\n") == []


def _reuters_bodies(path, n):
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            body = json.loads(line).get("body") or ""
            if body.strip():
                out.append(body)
            if len(out) >= n:
                break
    return out


def test_memoised_punkt_equals_plain_punkt(reuters_path):
    bodies = _reuters_bodies(reuters_path, 300)
    assert len(bodies) == 300
    fast = NewsPunkt()
    plain = PunktSentenceTokenizer(news_model().parameters())
    blocks = 0
    for body in bodies:
        for marked in (False, True):
            for ps, pe in paragraph_spans(body, marked):
                block = body[ps:pe]
                assert list(fast.span_tokenize(block)) == list(plain.span_tokenize(block))
                blocks += 1
        # whole text too (no paragraph pre-split): more contexts
        assert list(fast.span_tokenize(body)) == list(plain.span_tokenize(body))
    assert blocks > 1000
    assert len(fast._decisions) > 100  # the memo was actually used


def test_memo_is_hit_and_stays_correct():
    tok = NewsPunkt()
    text = "He said. The U.S. said. The firm said. The U.S. and Canada agreed."
    first = list(tok.span_tokenize(text))
    cached = len(tok._decisions)
    assert list(tok.span_tokenize(text)) == first
    assert len(tok._decisions) == cached
    assert list(PunktSentenceTokenizer(news_model().parameters()).span_tokenize(text)) == first


def test_train_parameters_learns_house_abbreviation():
    rng = random.Random(0)
    names = ["Kelly", "Ortiz", "Nguyen", "Baker", "Patel", "Larsen"]
    verbs = ["said the budget was late", "told the board about delays", "approved the new plan", "signed the contract"]
    corpus = " ".join(
        f"County Supvr. {rng.choice(names)} {rng.choice(verbs)} on Tuesday. The meeting ended early." for _ in range(60)
    )
    text = "The proposal came from Supvr. Kelly and the council agreed."
    assert "supvr" not in news_model().abbrev_types
    assert split_sentences(text) == ["The proposal came from Supvr.", "Kelly and the council agreed."]
    model = train_parameters([corpus])
    assert "supvr" in model.abbrev_types
    assert news_model().abbrev_types <= model.abbrev_types  # merged into the shipped model
    assert split_sentences(text, tokenizer=NewsPunkt(model)) == [text]
    # round-trips as plain data
    from dedupe.text.split import PunktModel

    assert PunktModel.from_json(json.loads(json.dumps(model.to_json()))) == model


def test_wrapped_lede_with_a_short_first_line_stays_one_sentence():
    # Reuters bodies lose their dateline, so the first wrapped line is short;
    # it must not be taken for a heading.
    story = (
        "BankAmerica Corp is not under\n"
        "pressure to act quickly on its proposed equity offering and\n"
        "would do well to delay it because of the stock's recent poor\n"
        "performance, banking analysts said.\n"
        "    Some analysts said they have recommended BankAmerica delay\n"
        "its up to one-billion-dlr equity offering, which has yet to be\n"
        "approved by the Securities and Exchange Commission.\n"
    )
    sents = split_sentences(story)
    assert sents[0].startswith("BankAmerica Corp is not under\npressure")
    assert sents[0].endswith("banking analysts said.")
    assert len(sents) == 2


def test_memo_canonical_next_word_with_closing_mark():
    """"Watson," after a period is judged like any capitalised word (Punkt's
    word tokenizer splits the comma off); the memo must still give exactly
    nltk's answer, including for sentence starters and abbreviations."""
    tok = NewsPunkt()
    plain = PunktSentenceTokenizer(news_model().parameters())
    texts = [
        "The deal was signed. Watson, the chairman, said so. Wheat; corn: oats) all rose.",
        "It rose 5 pct. However, analysts said. Shares fell. But: traders bought.",
        "Output at Acme Inc. Watson, said the firm. Gov. Smith, who spoke. U.S. Mint, said.",
        'He said it was "final. Done," and left. Prices fell. "We agree," he said.',
    ]
    for text in texts * 2:  # the second time from the memo
        assert list(tok.span_tokenize(text)) == list(plain.span_tokenize(text)), text
