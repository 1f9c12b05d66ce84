"""The ``restatement`` kind end to end: off by default, a note when asked for, explained, never failing check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, invoke

ARTICLE = """Some 100,000 Russian troops are massed near the border with Ukraine, officials said on Monday.

The talks in Geneva ended without agreement, and both sides said they would consult their capitals.

The company said its net profit rose to 3.5 mln dlrs in the first quarter of the year.

Diplomats said the next round could take place in Brussels later this month.

The company said first-quarter net profit increased to 3.5 mln dlrs from a year earlier.
"""


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    p = tmp_path / "draft.txt"
    p.write_text(ARTICLE, encoding="utf-8")
    return p


def test_off_by_default_and_the_model_is_not_loaded(draft: Path) -> None:
    code = ("import sys, json\nfrom dedupe import scan\n"
            f"r = scan([{str(draft)!r}])\n"
            "print(json.dumps([c.kind for c in r.clusters]))\n"
            "print('wordllama' in sys.modules, 'dedupe.semantic.model' in sys.modules)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert p.returncode == 0, p.stderr
    kinds, loaded = p.stdout.splitlines()
    assert "restatement" not in json.loads(kinds)
    assert loaded == "False False"


def test_asked_for_it_is_found_explained_and_located(draft: Path, tmp_path: Path) -> None:
    r = invoke("scan", draft, "--kinds", "restatement", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    (c,) = [c for c in d["clusters"] if c["kind"] == "restatement"]
    assert c["rule"] == "DD401" and len(c["members"]) == 2
    text = draft.read_text(encoding="utf-8")
    for m in c["members"]:
        assert text[m["start"]:m["end"]] == m["text"]
    assert {"profit", "net"} <= set(c["restatement"]["shared_words"]) and "3.5" in c["restatement"]["shared_figures"]
    assert c["similarity"] == pytest.approx(c["restatement"]["score"], abs=1e-4) and c["restatement"]["score"] >= 0.69
    for m, spans in zip(c["members"], c["restatement"]["spans"]):
        for s, e in spans:
            assert m["text"][s:e].strip()
    measured = c["restatement"]["measured_precision"]  # what a note at this score means on real copy
    assert 0 < measured["same_fact"] <= measured["notes"] and measured["band"][0] <= c["restatement"]["score"]
    assert f"{measured['precision']:.0%} of such notes on real copy" in c["restatement"]["meaning"]
    t = invoke("scan", draft, "--kinds", "DD401", cwd=tmp_path)
    assert "restatement (DD401) score" in t.stdout and "both say:" in t.stdout


def test_a_restatement_is_a_note_that_never_fails_check_unless_configured(draft: Path, tmp_path: Path) -> None:
    r = invoke("check", draft, "--kinds", "restatement", "--format", "json", "--no-baseline", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    (c,) = [c for c in d["clusters"] if c["kind"] == "restatement"]
    assert c["severity"] == "note" and c["fails"] is False
    strict = invoke("check", draft, "--kinds", "restatement", "--fail-on", "note", "--no-baseline", cwd=tmp_path)
    assert strict.returncode == 1
    sarif = json.loads(invoke("check", draft, "--kinds", "restatement", "--format", "sarif", "--no-baseline",
                              cwd=tmp_path).stdout)
    rules = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert "DD401" in rules
    assert any(res["ruleId"] == "DD401" and res["level"] == "note" for res in sarif["runs"][0]["results"])


def test_near_copies_are_left_to_the_near_duplicate_kinds(tmp_path: Path) -> None:
    s = "The company said its net profit rose to 3.5 mln dlrs in the first quarter of the year."
    p = tmp_path / "a.txt"
    p.write_text(f"{s}\n\nSomething else happened in the town on the other side of the river.\n\n{s}\n",
                 encoding="utf-8")
    d = json.loads(invoke("scan", p, "--kinds", "restatement,sentence", "--format", "json", cwd=tmp_path).stdout)
    assert [c["kind"] for c in d["clusters"]] == ["repeated-sentence"]


def test_across_articles_only_on_request(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("The company said its net profit rose to 3.5 mln dlrs in the first quarter of the year.\n",
                                    encoding="utf-8")
    (tmp_path / "b.txt").write_text("The company said first-quarter net profit increased to 3.5 mln dlrs from a year earlier.\n",
                                    encoding="utf-8")
    inside = json.loads(invoke("scan", tmp_path, "--kinds", "restatement", "--format", "json", cwd=tmp_path).stdout)
    assert inside["clusters"] == []
    across = json.loads(invoke("scan", tmp_path, "--kinds", "restatement", "--restate-across", "--format", "json",
                               cwd=tmp_path).stdout)
    (c,) = across["clusters"]
    assert {m["doc"] for m in c["members"]} == {str(tmp_path / "a.txt"), str(tmp_path / "b.txt")} or len(
        {m["doc"] for m in c["members"]}) == 2


QUOTED = ('Meanwhile, Lt. Gov. David Dewhurst alluded to an interparty political struggle: "Sounds like the '
          'Republican primary started early this year."\n\nThe hearing in Austin was adjourned until Thursday '
          'afternoon after a long day of testimony.\n\nLt. Gov. David Dewhurst suggested a political motive for '
          'the report, saying: "It sounds like the Republican primary started early this year."\n')


@pytest.mark.parametrize("kinds", ["restatement", "restatement,quote", "restatement,sentence,quote"])
def test_a_pair_a_near_copy_finding_links_is_never_a_restatement(tmp_path: Path, kinds: str) -> None:
    """The two sentences share a quote the near-copy engine reports: they are its finding, whatever kinds
    are asked for (with only restatements asked for, nothing), never a restatement on top."""
    p = tmp_path / "a.txt"
    p.write_text(QUOTED, encoding="utf-8")
    d = json.loads(invoke("scan", p, "--kinds", kinds, "--format", "json", cwd=tmp_path).stdout)
    got = [c["kind"] for c in d["clusters"]]
    assert "restatement" not in got
    assert got == (["repeated-quote"] if "quote" in kinds else [])
    # the semantic score alone would call them a restatement: the near-copy finding is what rules it out
    from dedupe.semantic.restatements import find_restatements

    a, _, b = (x for x in QUOTED.split("\n\n"))
    assert find_restatements([a.strip(), b.strip()], near_copy=2.0, near_containment=2.0)


def test_worker_processes_find_what_one_process_finds(reuters_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """1,500 Reuters stories: restatements found by two worker processes (batches of whole articles sent
    while the analysis goes on) are exactly those one process finds, in the same order."""
    from helpers import load_documents

    from dedupe import Settings, scan
    from dedupe.engine import restate
    from dedupe.kinds import DEFAULT_KINDS

    docs = load_documents(reuters_path, 1500)
    settings = Settings(kinds=(*DEFAULT_KINDS, "restatement"), jobs=2)

    def found() -> list[tuple[str, ...]]:
        r = scan(documents=docs, settings=settings)
        return [(c.id, c.kind, c.fingerprint, str(c.similarity)) for c in r.clusters]

    monkeypatch.setattr(restate, "BATCH_SENTENCES", 10**9)
    one = found()
    monkeypatch.setattr(restate, "BATCH_SENTENCES", 1000)
    # this process has the model now; the engine would not fork it (nor should it, for a TUI), the test may
    import dedupe.semantic.model as model

    monkeypatch.setattr(model, "is_loaded", lambda: False)
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    calls: list[int] = []

    monkeypatch.setattr(restate, "RESTATE_WORKERS", 2)
    original = restate.worker_pool
    monkeypatch.setattr(restate, "worker_pool", lambda jobs: calls.append(jobs) or original(jobs))
    two = found()
    assert calls == [2], "the restatements ran in two worker processes"
    assert one == two and any(k == "restatement" for _, k, _, _ in one)


def test_re_clustering_in_the_review_reuses_the_restatements(draft: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The review UI re-clusters on + and -: the restatements of an unchanged analysis are found once and
    filtered again by each threshold's near-copy clusters, with the findings a fresh scan gives."""
    from dedupe import Settings, scan
    from dedupe.engine import restate
    from dedupe.kinds import DEFAULT_KINDS
    from dedupe.tui.engine import analyse, cluster

    calls: list[int] = []
    real = restate.find_share
    monkeypatch.setattr(restate, "find_share", lambda share: calls.append(len(share.texts)) or real(share))
    settings = Settings(kinds=(*DEFAULT_KINDS, "restatement"))
    analysed = analyse([str(draft)], settings)
    for thr in (0.7, 0.5, 0.9, 0.7):
        got = cluster(analysed, Settings(kinds=settings.kinds, threshold=thr))
        fresh = scan([str(draft)], Settings(kinds=settings.kinds, threshold=thr))
        assert [(c.kind, c.fingerprint) for c in got.clusters] == [(c.kind, c.fingerprint) for c in fresh.clusters]
        assert any(c.kind == "restatement" for c in got.clusters)
    assert len(calls) == 1 + 4, "once for the review's analysis, once per fresh scan"
