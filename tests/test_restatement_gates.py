"""The explicit gates of the restatement kind: facts must agree, templated lines and table rows are never
restatements (each pair below would otherwise score near or above the threshold)."""

from __future__ import annotations

import pytest

from dedupe.semantic.features import analyse, fact_conflict, substitutions
from dedupe.semantic.restatements import find_restatements, is_heading, is_table_row

SAME = ("Local officials also said GM violated contract provisions on health and safety issues, work rules, "
        "seniority and job classifications.",
        "The local also said that GM had violated contract language on work rules, seniority, job "
        "classification and health and safety issues.")


@pytest.mark.parametrize(("a", "b", "gate"), [
    ("A plane hit the north tower of the World Trade Center at 8.46 am.",
     "Another plane hit the south tower of the World Trade Center minutes later.", "event"),
    ("The first round of talks ended without an agreement on the border.",
     "A second round of talks ended without an agreement on the border.", "event"),
    ("Netbacks for other grades of oil refined in Northern Europe are shown below in dlrs a barrel.",
     "Netbacks for other grades of oil refined in Singapore are shown below in dlrs a barrel.", "names"),
    ("It said Ramon Morales has relinquished his role as president and chief operating officer.",
     "It also said Rafael Collado has assumed the role of president and chief operating officer.", "names"),
    ("Irving's senior debt was reduced to A-plus from AA-minus by the rating agency.",
     "Mellon's senior debt was reduced to A-plus from AA-minus by the rating agency.", "names"),
    ("The company said its net profit rose to 3.5 mln dlrs in the first quarter.",
     "The company said its net profit rose to 4.1 mln dlrs in the first quarter.", "figures"),
    ("The strike at the port began on Monday, union officials said.",
     "The strike at the port began on Thursday, union officials said.", "dates"),
    ("The minister said the government would raise the fuel tax this year.",
     "The minister said the government would not raise the fuel tax this year.", "negation"),
    ("Shares of the company rose sharply in early trading on the news.",
     "Shares of the company fell sharply in early trading on the news.", "direction"),
    ("The agency said wet weather in the rice areas lessened the need for irrigation during planting.",
     "The agency said dry weather in the rice areas increased the need for irrigation during planting.",
     "direction"),
    ("Fleet has A-plus senior debt, A subordinated debt and A-1 commercial paper, the agency said.",
     "Norstar has AA senior debt, AA-minus subordinated debt and A-1-plus commercial paper, the agency said.",
     "ratings"),
    ("Non-callable for two years, the issue is rated A-2 by Moody's and AA by Standard and Poor's.",
     "Non-callable for two years, the issue is rated B-2 by Moody's and B-minus by Standard and Poor's.",
     "ratings"),
    ("The survey covered Deutsche Bank AG <DBKG.F>, Dresdner Bank AG <DRSD.F>, Commerzbank AG <CBKG.F>, "
     "Bayerische Vereinsbank AG <BVMG.F> and Bayerische Hypotheken- und Wechsel-Bank AG <BHWG.F>.",
     "It also covered Berliner Handels- und Frankfurter Bank <BHFG.F>, <Berliner Bank AG>, "
     "<Industriekreditbank AG>, Vereins- und Westbank AG <VHBG.F> and <Baden-Wuerttembergische Bank AG>.",
     "parties"),
])
def test_pairs_whose_facts_differ_fail_a_gate_and_are_not_found(a: str, b: str, gate: str) -> None:
    assert fact_conflict(analyse(a), analyse(b)) == gate
    assert find_restatements([a, b]) == []


@pytest.mark.parametrize(("a", "b"), [
    SAME,
    ("President Reagan said a further decline in the value of the dollar could be counterproductive.",
     "\"We all believe a further decline of the dollar could be counterproductive,\" Reagan said."),
    ("The Federal Home Loan Bank Board placed Investors Federal Bank in receivership on Friday.",
     "The FHLBB placed Investors Federal Bank in receivership on Friday."),
    ("There were no plans to build permanent US bases in Africa, Pentagon officials said.",
     "There are no plans to build permanent U.S. bases in Africa, Defense Department officials say."),
    ("\"He would often call me for advice,\" said Ronald L. Kuby, a friend and lawyer.",
     "\"He would often call me for advice,\" said lawyer Ronald Kuby, a friend."),
])
def test_the_same_fact_in_other_words_passes_every_gate(a: str, b: str) -> None:
    assert fact_conflict(analyse(a), analyse(b)) is None
    assert not substitutions(analyse(a), analyse(b))


def test_different_named_speakers_are_different_claims() -> None:
    a = ("Nazer said Saudi Arabia will keep restraining its oil output as long as other OPEC members "
         "adhere to the pact.")
    b = ("Saudi Arabia will go on restraining its output as long as the other OPEC members adhere to the "
         "pact, Yamani told reporters.")
    assert fact_conflict(analyse(a), analyse(b)) == "speakers"
    assert find_restatements([a, b]) == []
    same = b.replace("Yamani", "Nazer")
    assert fact_conflict(analyse(a), analyse(same)) is None
    # the speaker is found past an auxiliary ("Yamani has said", "Nazer also said")
    aux = b.replace("Yamani told reporters", "Yamani has said")
    assert fact_conflict(analyse(a.replace("Nazer said", "Nazer also said")), analyse(aux)) == "speakers"


def test_ratings_are_read_as_written_in_wire_copy() -> None:
    from dedupe.semantic.features import ratings

    s = analyse("Cut were its senior debt to AA from AA-plus, A-1-plus paper, Baa-2 notes and P-1 paper.")
    assert ratings(s) == {"AA", "AA-plus", "A-1-plus", "Baa-2", "P-1"}
    assert ratings(analyse("A spokesman for Avis said a B-52 and AAA batteries were used.")) == {"AAA"}


def test_a_restatement_is_still_found() -> None:
    assert [(r.a, r.b) for r in find_restatements(list(SAME))] == [(0, 1)]


def test_a_page_of_templated_lines_gives_no_notes() -> None:
    films = ["Oppenheimer", "Barbie", "Dune", "Wonka", "Napoleon", "Saltburn", "Maestro", "Priscilla",
             "Killers of the Flower Moon", "The Holdovers", "Past Lives", "Anatomy of a Fall"]
    services = ["Netflix", "Hulu", "Max", "Peacock", "Prime Video", "Disney+", "Paramount+", "Apple TV+"]
    page = [f"{f} is streaming on {services[k % len(services)]} now, and it is one of the best films of the "
            f"year to watch at home." for k, f in enumerate(films)]
    page += [SAME[0], "The union will meet on Tuesday to decide whether to call a strike.", SAME[1]]
    found = find_restatements(page)
    assert [(page[r.a], page[r.b]) for r in found] == [SAME]  # the real pair, none of the templated lines


def test_table_rows_notes_and_headings_are_not_prose() -> None:
    assert is_table_row("Average CD rates of city, trust and long-term banks")  # no sentence end: a heading
    assert is_table_row("Net profit   1,234,000    987,000")
    assert is_table_row("Shr 1.25 dlrs vs 98 cts, net 4.5 mln vs 3.6 mln.")
    assert is_heading("Note - World imports/exports may not balance due to grain in transit.")
    assert is_heading("NOTE: Company's full name is On-Line Software International Inc.")
    assert not is_table_row(SAME[0]) and not is_heading(SAME[0])
    rows = ["Avg shrs 6,000,000 vs 6,000,000 in the first quarter.",
            "Average yen bankers' acceptance rates of city, trust and long-term banks",
            "Average CD rates of city, trust and long-term banks",
            "Note - Imports and exports may not balance due to cotton in transit.",
            "Note - World imports/exports may not balance due to grain in transit."]
    assert find_restatements(rows) == []


def test_a_note_says_its_measured_precision_on_real_copy() -> None:
    from dedupe.semantic.score import calibration, default_model, meaning, measured

    bands = calibration()
    assert bands and all(0.0 <= b.precision <= 1.0 and b.same_fact <= b.notes for b in bands)
    band = measured(default_model().threshold)  # the default threshold is inside a measured band
    assert band is not None
    text = meaning(default_model().threshold)
    assert f"{band.precision:.0%}" in text and f"{band.same_fact} of {band.notes}" in text
    assert "not measured" in meaning(0.2)
