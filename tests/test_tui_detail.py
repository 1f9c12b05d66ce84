"""The detail view's honesty: only differing words marked, containment said, context the real paragraph."""

from __future__ import annotations

from dedupe.documents import Document
from dedupe.findings import Cluster, Member, Pair
from dedupe.tui.engine import looks_like_table, paragraph
from dedupe.tui.widgets import STYLE_DIFF, STYLE_TITLE, marks, render_cluster


def member(text: str, doc: str = "a.txt", title: str | None = None) -> Member:
    return Member(doc=doc, path=doc, start=0, end=len(text), line=1, column=1, end_line=1, end_column=len(text) + 1,
                  text=text, title=title)


def cluster(texts: list[str], kind: str = "repeated-sentence", sim: float = 0.8, cont: float = 0.8,
            restatement=None, title: str | None = None) -> Cluster:
    ms = [member(t, doc=f"d{i}.txt", title=title) for i, t in enumerate(texts)]
    return Cluster(id="C1", kind=kind, members=ms, pairs=[Pair(0, 1, sim, cont)], similarity=sim, jaccard=sim,
                   containment=cont, fingerprint="f", restatement=restatement)


def diff_words(c: Cluster, i: int) -> list[str]:
    return [c.members[i].text[s.start:s.end] for s in marks(c)[i] if not s.shared]


def test_a_restatement_marks_only_the_words_that_differ():
    a = "The council approved the new budget on Monday after a long debate."
    b = "After a long debate, the council passed the new budget on Monday."
    # the scorer found "budget" and "Monday" by meaning only; the words both sentences have are shared too
    spans = [[[a.index("budget"), a.index("budget") + 6]], [[b.index("budget"), b.index("budget") + 6]]]
    c = cluster([a, b], kind="restatement", restatement={"meaning": "0.91", "spans": spans})
    assert "council" not in diff_words(c, 0) and "the" not in diff_words(c, 1)
    assert "approved" in diff_words(c, 0) and "passed" in diff_words(c, 1)
    body = render_cluster(c, "new").plain
    assert "restatement score 0.91" in body


def test_a_containment_match_says_so():
    c = cluster(["The port strike entered its second day.",
                 "Officials said the port strike entered its second day on Tuesday as talks stalled."],
                sim=0.52, cont=1.0)
    head = render_cluster(c, "new", threshold=0.7).plain.splitlines()[0]
    assert "similarity 0.52, containment 1.00" in head and "containment match" in head  # under the threshold
    head = render_cluster(cluster(c.members and [m.text for m in c.members], sim=0.8, cont=1.0), "new",
                          threshold=0.7).plain.splitlines()[0]
    assert "similarity 0.80, containment 1.00 (one copy inside the other)" in head
    plain = cluster(["Same words here in both of them.", "Same words here in both of them."], sim=1.0, cont=1.0)
    assert "containment" not in render_cluster(plain, "new").plain.splitlines()[0]


def test_the_headline_has_a_style_of_its_own():
    c = cluster(["A repeated sentence of the story.", "A repeated sentence of the story."], title="PORT STRIKE")
    body = render_cluster(c, "new")
    styled = {str(sp.style) for sp in body.spans if body.plain[sp.start:sp.end] == "PORT STRIKE"}
    assert STYLE_TITLE in styled and STYLE_DIFF not in styled


WIRE = ("The U.S. Agriculture Department\nreported the reserve average\nprice as follows -\n"
        "    Wheat   2.55   2.40\n    Corn    1.35   1.92\n"
        "    The department said the reserve would be\nreleased next month, officials said.\n"
        "    Another paragraph starts\nhere and goes on.\n")


def test_indented_wire_copy_gives_the_whole_paragraph_not_its_line():
    d = Document(id="w", path="w", text=WIRE)
    i = WIRE.index("released")
    text, off = paragraph(d, i, i + 8)
    assert text.strip().startswith("The department said") and text.endswith("officials said.")
    assert text[off:off + 8] == "released"
    i = WIRE.index("goes on")
    assert paragraph(d, i, i + 7)[0].strip() == "Another paragraph starts\nhere and goes on."


def test_a_table_is_context_as_a_table():
    d = Document(id="w", path="w", text=WIRE)
    i = WIRE.index("Corn")
    text, _ = paragraph(d, i, i + 4)
    assert text == "    Wheat   2.55   2.40\n    Corn    1.35   1.92" and looks_like_table(text)
    # a sentence next to the table does not get the table as its context
    i = WIRE.index("reported")
    assert "Wheat" not in paragraph(d, i, i + 8)[0]
    # drawn line by line, never reflowed into one paragraph
    doc = Document(id="t.txt", path="t.txt", text=WIRE)
    c = cluster(["Corn    1.35   1.92", "Corn    1.35   1.92"])
    s, e = WIRE.index("Corn"), WIRE.index("Corn") + len("Corn    1.35   1.92")
    body = render_cluster(c, "new", paragraph=lambda m: paragraph(doc, s, e)).plain
    assert "    Wheat   2.55   2.40\n    Corn    1.35   1.92" in body
