"""The canonical example: the repeated Psaki quote in the seed wire story."""

from dedupe import scan
from dedupe.text.split import split_sentences


def test_seed_psaki_quote_found(seed_path):
    result = scan([str(seed_path)])
    kinds = {c.kind: c for c in result.clusters}
    sent = kinds["repeated-sentence"]
    assert [m.line for m in sent.members] == [4, 7]
    assert "said White House press secretary Jen Psaki" in sent.members[0].text
    assert sent.members[1].text.endswith("Psaki said.")
    quote = kinds["repeated-quote"]
    assert quote.members[0].text.startswith("President Biden reiterated")
    assert quote.similarity == 1.0


def test_seed_not_cut_at_abbreviations(seed_path):
    sents = split_sentences(seed_path.read_text("utf-8"))
    joined = [s for s in sents if "Jan. 9-10 U.S.-Russia security meeting" in s]
    assert len(joined) == 1 and joined[0].endswith("slated for Jan. 13.")
    assert "– US support for Ukraine –" in sents
