"""One similarity an editor can reason about: a property of the two texts, with --threshold governing every match."""

from __future__ import annotations

from helpers import SEEDS

from dedupe import Settings, scan

DRAFTS = [str(p) for p in sorted(SEEDS.glob("*.txt"))]
ARCHIVE = [str(SEEDS / "archive")]


def _pairs(threshold: float) -> dict[tuple[str, ...], tuple[float, float, float]]:
    r = scan(DRAFTS, Settings(threshold=threshold), against=ARCHIVE)
    out = {}
    for c in r.clusters:
        for p in c.pairs:
            key = tuple(sorted((f"{c.members[p.a].doc}:{c.members[p.a].start}", f"{c.members[p.b].doc}:{c.members[p.b].start}")))
            out[key] = (p.similarity, p.jaccard, p.containment)
    return out


def test_a_pairs_similarity_does_not_depend_on_the_threshold():
    low, high = _pairs(0.5), _pairs(0.85)
    common = set(low) & set(high)
    assert common
    for k in common:
        assert low[k] == high[k]
    for sim, jac, con in low.values():
        assert sim == jac and con >= jac  # similarity is the Jaccard; containment is shown beside it


def test_a_higher_threshold_never_reports_more_and_governs_containment_too():
    counts = []
    for t in (0.5, 0.7, 0.9, 1.0):
        r = scan(DRAFTS, Settings(threshold=t), against=ARCHIVE)
        counts.append(len(r.clusters))
        for c in r.clusters:
            for p in c.pairs:
                assert p.jaccard >= t or p.containment >= max(t, r.settings.containment)
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]


def test_the_seed_quote_pair_reads_the_same_at_any_threshold():
    seed = str(SEEDS / "000_f6852705ebf30c58.txt")
    sims = set()
    for t in (0.6, 0.65, 0.7, 0.8):
        r = scan([seed], Settings(threshold=t))
        psaki = [c for c in r.clusters if c.kind == "repeated-sentence" and "Psaki" in " ".join(m.text for m in c.members)]
        assert psaki
        sims.add((round(psaki[0].similarity, 4), round(psaki[0].containment, 4)))
    assert len(sims) == 1


def test_an_archive_inside_the_drafts_folder_is_read_as_archive_with_a_note(tmp_path):
    from helpers import invoke

    drafts = tmp_path / "drafts"
    (drafts / "archive").mkdir(parents=True)
    s = "The city council approved the new budget after a long debate on Tuesday night in the town hall."
    (drafts / "a.txt").write_text(f"{s}\n\nSomething else entirely happened on the other side of town today.\n")
    (drafts / "archive" / "old.txt").write_text(f"{s}\n")
    r = invoke("scan", drafts, "--against", drafts / "archive", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    import json

    d = json.loads(r.stdout)
    assert [c["kind"] for c in d["clusters"]] == ["archive-match"]
    assert r.stderr.count("note:") == 1 and "inside" in r.stderr and "read as archive" in r.stderr
    assert any("inside" in n for n in d["notes"])
