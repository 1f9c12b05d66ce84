"""Near-copies: clusters list a spanning set of links (cost follows the copies, not their pairs), the JSON
is written as produced, and whole-story copies fold in the text output."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dedupe import Settings, scan
from dedupe.atomic import write_atomic
from dedupe.cli.main import main
from dedupe.output.json_format import iter_json, render_json
from dedupe.output.text import render_text

SENTENCES = [
    "Dockworkers at the Port of Long Beach walked off the job on Tuesday morning, halting cargo at the port.",
    "The union said about four thousand members joined the strike after a bargaining session broke up late.",
    "Shipping analysts estimated that each day of the stoppage delays roughly one billion dollars in goods.",
    "Trucks lined up for more than a mile along the boulevard by midmorning, most of them turned away empty.",
]
REPLACEMENTS = ["harbor", "laborers", "brokers", "lorries", "early", "vessels", "evening", "freight"]


def near_copies(tmp: Path, copies: int) -> list[Path]:
    """``copies`` files of one story; copy ``k`` replaces word ``k`` of each sentence."""
    out = []
    for k in range(copies):
        sents = []
        for s in SENTENCES:
            words = s.split()
            if k:
                words[k + 1] = REPLACEMENTS[k % len(REPLACEMENTS)]
            sents.append(" ".join(words))
        p = tmp / f"copy{k}.txt"
        p.write_text(" ".join(sents) + "\n", encoding="utf-8")
        out.append(p)
    return out


def test_cluster_lists_a_spanning_set_and_counts_every_link(tmp_path: Path) -> None:
    near_copies(tmp_path, 6)
    r = scan([str(tmp_path)], Settings())
    assert len(r.clusters) == len(SENTENCES)
    for c in r.clusters:
        n = len(c.members)
        assert n == 6
        assert len(c.pairs) == n - 1  # a spanning tree of verified links, not every pair
        assert c.links_total == n * (n - 1) // 2  # every pair of copies was verified: counted
        assert all(p.a == 0 for p in c.pairs)  # each copy linked to the representative directly
        # the cluster's similarity is its weakest verified link, listed or not: copies k and j (both
        # changed) differ in two words, each from the representative in one
        assert c.jaccard < min(p.jaccard for p in c.pairs)
        assert c.similarity <= min(p.similarity for p in c.pairs)
        d = c.to_dict()
        assert d["pairs_total"] == c.links_total and len(d["pairs"]) == n - 1
        assert all(len(p["differences"]) == 1 for p in d["pairs"])  # against the representative


def test_json_is_streamed_and_equals_the_whole_document(tmp_path: Path) -> None:
    near_copies(tmp_path, 4)
    r = scan([str(tmp_path)], Settings())
    whole = json.dumps(r.to_dict(), ensure_ascii=False) + "\n"
    assert render_json(r) == whole
    assert "".join(iter_json(r)) == whole
    out = tmp_path / "out" / "r.json"
    res = CliRunner().invoke(main, ["scan", str(tmp_path), "--isolated", "--format", "json", "-o", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["summary"]["clusters"] == len(SENTENCES)
    assert all(c["pairs_total"] == 6 and len(c["pairs"]) == 3 for c in data["clusters"])


def test_write_atomic_takes_chunks_and_leaves_the_old_file_when_one_fails(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    write_atomic(p, iter(["a", "b", "c"]))
    assert p.read_text() == "abc"

    def broken() -> object:
        yield "x"
        raise RuntimeError("renderer failed")

    try:
        write_atomic(p, broken())  # type: ignore[arg-type]
    except RuntimeError:
        pass
    assert p.read_text() == "abc"
    assert [f.name for f in tmp_path.iterdir()] == ["r.json"]  # no temporary file left


def test_copies_of_one_story_fold_into_one_roll_up_line(tmp_path: Path) -> None:
    near_copies(tmp_path, 4)
    r = scan([str(tmp_path)], Settings())
    assert len(r.duplicate_documents()) == 6  # every pair of the four copies
    text = render_text(r)
    assert "whole-article duplicates (4 copies of one story)" in text
    assert text.count(" = ") == 3  # one line naming the four copies, not six pair lines
    assert f"({len(SENTENCES)} clusters inside whole-article duplicates not listed; --all lists them)" in text
    assert render_text(r, show_all=True).count("similarity") == len(SENTENCES)


def test_members_and_pairs_hold_no_instance_dict() -> None:
    """A near-copy-heavy archive holds hundreds of thousands of members and verified pairs: slots, not a
    ``__dict__`` each (memory); the member's normalised key is still computed once and kept."""
    from dedupe.findings import Member, Pair
    from dedupe.sketch.verify import VerifiedPair

    m = Member("a.txt", "a.txt", 0, 9, 1, 1, 1, 10, "The \u2019Port\u2019")
    for obj in (m, Pair(0, 1, 0.8, 0.9), VerifiedPair(0, 1, 3, 0.8, 0.9)):
        assert not hasattr(obj, "__dict__")
    assert m.key == "the port" and m.key is m.key


def test_normalize_skips_the_table_only_where_it_changes_nothing() -> None:
    from dedupe.text.normalize import _TABLE, normalize, normalized_key, token_spans

    for text in ("plain ASCII text", "a `quoted` word", "caf\u00e9 \u201cquote\u201d \u2014 dash", ""):
        assert normalize(text) == text.translate(_TABLE)
    assert normalized_key("it`s") == normalized_key("it's") == "it's"
    assert [t for _, _, t in token_spans("Don`t stop")] == ["don't", "stop"]


def test_bench_reads_the_summary_from_the_tail_without_loading_the_report(tmp_path: Path) -> None:
    """bench/bench_nearcopy.py must not load a large report into its own process (each later measure's
    child would start from that size): it reads the summary from the file's tail, exactly."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from bench_nearcopy import read_summary

    for k in range(3):  # a story whose text holds the key itself, quoted as JSON writes it
        (tmp_path / f"s{k}.txt").write_text(SENTENCES[0] + ' He wrote "summary": none. ' + SENTENCES[1] + "\n",
                                            encoding="utf-8")
    r = scan([str(tmp_path)], Settings())
    out = tmp_path / "out.json"
    write_atomic(str(out), iter_json(r))
    assert read_summary(out) == json.loads(out.read_text(encoding="utf-8"))["summary"]


def test_rollup_counts_pairs_and_caps_partners_over_columns(tmp_path: Path) -> None:
    """The roll-up (numpy columns, not a dict of sets per pair of articles): shared sentences counted
    both ways, partners capped and counted, a cluster inside one article left out."""
    from dedupe.engine.cluster import build_overlaps

    near_copies(tmp_path, 4)
    r = scan([str(tmp_path)], Settings())
    assert len(r.overlaps) == 4 * 3
    assert all(o.shared == o.total == o.other_shared == len(SENTENCES) for o in r.overlaps)
    assert [o.clusters for o in r.overlaps][0] == [c.id for c in r.clusters]
    capped = build_overlaps([], [], [], [], max_partners=2)
    assert capped.overlaps == []
    docs = sorted({m.doc for c in r.clusters for m in c.members})
    assert len(docs) == 4
