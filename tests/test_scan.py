"""The scan pipeline end to end (library level): precision, offsets, options, clusters."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from dedupe import Settings, scan
from dedupe.engine.pipeline import normalize_path
from dedupe.readers import read_file
from dedupe.sketch.shingles import word_shingles
from dedupe.text.align import word_similarity
from dedupe.text.normalize import tokens

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

LEDE = "Dockworkers at the Port of Long Beach walked off the job at 6 a.m. Tuesday, halting cargo at the nation’s No. 2 container port."
PARA2 = "The union said about 4,200 members joined the strike after a late-night bargaining session with the terminal operators broke up."
QUOTE = "We are not going to let a robot crane take the job of a woman who has worked this waterfront for thirty years"
FILLER = [
    "Gov. Elena Ruiz urged both sides to return to the table and warned of a long and costly shutdown.",
    "Shipping analysts estimated that each day of the stoppage delays roughly one billion dollars in goods.",
    "Trucks lined up for more than a mile along Ocean Blvd. by midmorning, most of them turned away empty.",
    "The company said its offer included a raise over four years and guarantees for current employees.",
]


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def shingle_set(text: str, n: int = 3) -> set[str]:
    return set(word_shingles(tokens(text), n))


def assert_precise(result, settings: Settings) -> int:
    """Every reported pair really reaches a threshold on exact shingle sets."""
    checked = 0
    for c in result.clusters:
        for p in c.pairs:
            a, b = shingle_set(c.members[p.a].text, settings.ngram), shingle_set(c.members[p.b].text, settings.ngram)
            inter = len(a & b)
            jac = inter / len(a | b)
            con = inter / min(len(a), len(b))
            assert jac == pytest.approx(p.jaccard) and con == pytest.approx(p.containment)
            checked += 1
            if p.link == "words":  # a short sentence with a word or two changed: linked by word alignment
                sim, changed = word_similarity(tokens(c.members[p.a].text), tokens(c.members[p.b].text))
                assert sim == pytest.approx(p.similarity) and sim >= settings.threshold and changed <= 2
                continue
            floor = max(settings.containment, settings.threshold)  # --threshold governs containment too
            assert jac >= settings.threshold or con >= floor, (c.id, c.members[p.a].text, c.members[p.b].text)
            assert p.link == ("jaccard" if jac >= settings.threshold else "containment")
            assert p.similarity == p.jaccard  # a property of the texts, whatever the thresholds
        assert c.similarity == min(p.similarity for p in c.pairs)
    return checked


def test_seeds_precision_and_kinds():
    settings = Settings()
    result = scan([str(SEEDS)], settings)
    assert not result.errors
    kinds = {c.kind for c in result.clusters}
    assert kinds == {"repeated-sentence", "repeated-quote", "cross-article"}
    assert assert_precise(result, settings) >= len(result.clusters)


def test_precision_with_lower_thresholds():
    settings = Settings(threshold=0.5, containment=0.6, min_words=5)
    result = scan([str(SEEDS)], settings)
    assert assert_precise(result, settings) > 0


def _docs_by_path(paths):
    out = {}
    for p in paths:
        for d in read_file(normalize_path(str(p))):  # ids as scan() names them
            out[d.id] = d
    return out


def _assert_located(result, by_id):
    """member.text is the slice of the document text; line/column point at it in the file."""
    n = 0
    for c in result.clusters:
        for m in c.members:
            doc = by_id[m.doc]
            assert m.text == doc.text[m.start : m.end]
            lines = re.split(r"\r\n|\r|\n", Path(m.path).read_text("utf-8"))
            assert lines[m.line - 1][m.column - 1] == m.text[0], (m.path, m.line, m.column)
            assert lines[m.end_line - 1][m.end_column - 2] == m.text[-1], (m.path, m.end_line, m.end_column)
            n += 1
    return n


def test_offsets_and_positions_txt_md_html_jsonl(tmp_path):
    body = [LEDE, PARA2] + FILLER
    txt = write(tmp_path, "a.txt", "\n\n" + "\n".join(body[:3]) + "\n" + "   " + LEDE + "\n")
    md = write(
        tmp_path,
        "b.md",
        "# Strike\n\n*By A. Reporter*\n\n" + FILLER[3] + " " + PARA2 + "\n\n> " + LEDE + "\n\n- list item that is short\n",
    )
    html = write(
        tmp_path,
        "c.html",
        "<html><head><title>T</title></head><body>\n<h1>Strike &amp; talks</h1>\n<p>Intro &mdash; "
        + FILLER[1] + "</p>\n  <p><b>" + PARA2.replace("the strike", "the <i>strike</i>") + "</b></p>\n</body></html>\n",
    )
    rec = [
        {"id": "r1", "text": FILLER[2] + "\n\n" + LEDE.replace("’", "'")},
        {"id": "r2", "text": "Short intro.\n\n" + FILLER[0] + " " + PARA2},
    ]
    jl = write(tmp_path, "d.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rec) + "\n")
    paths = [txt, md, html, jl]
    result = scan([str(p) for p in paths])
    assert not result.errors
    by_id = _docs_by_path(paths)
    formats = {by_id[m.doc].format for c in result.clusters for m in c.members}
    assert formats == {"txt", "md", "html", "jsonl"}
    assert _assert_located(result, by_id) >= 8
    # the txt lede: repeated in the same file, second copy indented on line 6
    lede = [c for c in result.clusters if any(m.path == str(txt) and m.line == 6 for m in c.members)]
    assert lede and [m for m in lede[0].members if m.path == str(txt) and m.line == 6][0].column == 4


def test_seed_positions(seed_path):
    result = scan([str(seed_path)])
    assert _assert_located(result, _docs_by_path([seed_path])) == 4


def test_min_words(tmp_path):
    seven = "The mayor said the budget was late."  # 7 words
    write(tmp_path, "a.txt", f"{seven}\n{FILLER[0]}\n{seven}\n")
    assert scan([str(tmp_path)]).clusters == []
    res = scan([str(tmp_path)], Settings(min_words=7))
    assert [c.kind for c in res.clusters] == ["repeated-sentence"]
    assert [m.line for m in res.clusters[0].members] == [1, 3]


def test_boilerplate_not_flagged(tmp_path):
    sign = "Reporting by Ana Torres and Jonathan Smith in Long Beach; Editing by Mark Bell and Tom Jones"
    write(tmp_path, "a.txt", f"{LEDE}\n{sign}\n")
    write(tmp_path, "b.txt", f"{FILLER[0]}\n{sign}\n")
    assert scan([str(tmp_path)]).clusters == []
    # custom boilerplate pattern
    write(tmp_path, "c.txt", f"{FILLER[1]}\n{PARA2}\n")
    res = scan([str(tmp_path)])
    assert len(res.clusters) == 0
    write(tmp_path, "d.txt", f"{FILLER[2]}\n{PARA2}\n")
    assert len(scan([str(tmp_path)]).clusters) == 1
    assert scan([str(tmp_path)], Settings(boilerplate=(r"the union said",))).clusters == []


def test_kinds_filter(seed_path):
    all_kinds = {c.kind for c in scan([str(seed_path)]).clusters}
    assert all_kinds == {"repeated-sentence", "repeated-quote"}
    only = scan([str(seed_path)], Settings(kinds=("repeated-quote",)))
    assert [c.kind for c in only.clusters] == ["repeated-quote"]
    assert [c.rule for c in only.clusters] == ["DD102"]


def test_exclude_quotes(seed_path):
    result = scan([str(seed_path)], Settings(exclude_quotes=True))
    assert result.clusters == []
    # sentences that repeat outside quotes still count
    result = scan([str(SEEDS / "101_port_strike.txt")], Settings(exclude_quotes=True))
    assert [c.kind for c in result.clusters] == ["repeated-sentence"]


def test_no_quotes_keeps_sentences(seed_path):
    result = scan([str(seed_path)], Settings(quotes=False))
    assert [c.kind for c in result.clusters] == ["repeated-sentence"]


def test_fingerprints_stable_and_line_independent(tmp_path):
    a = write(tmp_path, "a.txt", f"{LEDE}\n{FILLER[0]}\n{PARA2}\n")
    b = write(tmp_path, "b.txt", f"{FILLER[1]}\n{LEDE}\n{FILLER[2]}\n“{QUOTE},” said Maria Delgado.\n{FILLER[3]}\n{QUOTE}.\n")
    first = scan([str(a), str(b)])
    second = scan([str(a), str(b)])
    fp1 = {c.kind: c.fingerprint for c in first.clusters}
    assert set(fp1) == {"cross-article", "repeated-sentence"}
    assert [c.fingerprint for c in first.clusters] == [c.fingerprint for c in second.clusters]
    lines_before = [[m.line for m in c.members] for c in first.clusters]
    b.write_text("\n\n" + b.read_text("utf-8"), encoding="utf-8")
    a.write_text("\n" + a.read_text("utf-8"), encoding="utf-8")
    shifted = scan([str(a), str(b)])
    assert {c.kind: c.fingerprint for c in shifted.clusters} == fp1
    lines_after = [[m.line for m in c.members] for c in shifted.clusters]
    assert lines_after != lines_before
    # editing the text (every copy) changes the fingerprint
    for p in (a, b):
        p.write_text(p.read_text("utf-8").replace("halting cargo", "stopping cargo"), encoding="utf-8")
    edited = {c.kind: c.fingerprint for c in scan([str(a), str(b)]).clusters}
    assert edited["cross-article"] != fp1["cross-article"]


def test_whole_article_duplicate_reported_once(tmp_path):
    text = "\n".join([LEDE, PARA2] + FILLER) + "\n"
    write(tmp_path, "a.txt", text)
    write(tmp_path, "b.txt", text)
    write(tmp_path, "c.txt", FILLER[0] + "\nSomething entirely different happened at the city council meeting on Monday night.\n")
    result = scan([str(tmp_path)])
    dups = result.duplicate_documents()
    assert len(dups) == 1
    assert {dups[0].doc, dups[0].other} == {str(tmp_path / "a.txt"), str(tmp_path / "b.txt")}
    assert dups[0].share == 1.0
    assert result.summary()["duplicate_documents"] == 1
    from dedupe.output.registry import render

    out = render(result, "text")
    assert len(re.findall(r"^  \S+ = \S+: whole-article duplicate", out, re.M)) == 1
    # the per-sentence clusters of the duplicate pair are folded in text output
    assert "clusters inside whole-article duplicates not listed" in out
    assert str(tmp_path / "c.txt") in out  # the partial overlap is still listed
    full = render(result, "text", show_all=True)
    assert full.count("cross-article") > out.count("cross-article")


def test_against_archive(tmp_path):
    drafts = tmp_path / "drafts"
    arch = tmp_path / "archive"
    write(drafts, "d.txt", f"{FILLER[0]}\n{PARA2}\n")
    write(arch, "old1.txt", f"{LEDE}\n{PARA2}\n")
    write(arch, "old2.txt", f"{FILLER[3]}\n{LEDE}\n")  # repeat inside the archive only
    result = scan([str(drafts)], against=[str(arch)])
    assert [c.kind for c in result.clusters] == ["archive-match"]
    c = result.clusters[0]
    assert c.rule == "DD301"
    assert [m.archive for m in c.members] == [False, True]
    assert c.members[1].path == str(arch / "old1.txt")
    s = result.summary()
    assert s["documents"] == 1 and s["archive_documents"] == 2
    # same files scanned as drafts: cross-article instead, archive repeat too
    plain = scan([str(drafts), str(arch)])
    assert sorted(c.kind for c in plain.clusters) == ["cross-article", "cross-article"]


def test_seeds_against_archive():
    result = scan([str(SEEDS / "102_port_strike_day2.md")], against=[str(SEEDS / "archive")])
    assert [c.kind for c in result.clusters] == ["archive-match", "archive-match"]


def test_containment_finds_sentence_inside_longer_one(tmp_path):
    longer = PARA2[:-1] + ", according to a statement released by the union late on Tuesday night."
    write(tmp_path, "a.txt", f"{PARA2}\n{FILLER[0]}\n")
    write(tmp_path, "b.txt", f"{FILLER[1]}\n{longer}\n")
    res = scan([str(tmp_path)])
    assert len(res.clusters) == 1
    c = res.clusters[0]
    assert c.containment == 1.0 and c.jaccard < 0.7
    assert scan([str(tmp_path)], Settings(containment=0)).clusters == []


def test_bad_file_does_not_stop_scan(tmp_path):
    write(tmp_path, "a.txt", f"{LEDE}\n{FILLER[0]}\n{LEDE}\n")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    result = scan([str(tmp_path), str(tmp_path / "missing.txt")])
    assert len(result.clusters) == 1
    assert len(result.errors) == 2
    assert any("missing.txt" in str(e) for e in result.errors)
    assert any("bin.txt" in str(e) for e in result.errors)


def test_to_dict_schema(seed_path):
    d = scan([str(seed_path)]).to_dict()
    assert d["version"] == 1
    assert set(d) >= {"version", "documents", "clusters", "summary"}
    json.dumps(d)


def test_progress_callback(seed_path):
    seen = []
    scan([str(seed_path)], progress=lambda stage, done, total: seen.append(stage))
    assert "analyse" in seen and "verify" in seen


def test_settings_validation_errors():
    from dedupe.errors import ConfigError

    for bad in (dict(threshold=0), dict(containment=1.5), dict(min_words=0), dict(shingle="x"), dict(bands=3)):
        with pytest.raises(ConfigError):
            scan([str(SEEDS)], replace(Settings(), **bad))


def test_streamed_walk_gives_the_same_result(tmp_path, monkeypatch):
    """A large tree is analysed while it is still being walked (workers start
    on the first chunks); the result must not depend on that."""
    import importlib

    engine = importlib.import_module("dedupe.engine.parallel")
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    for k, p in enumerate(sorted(seeds.rglob("*.txt")) * 4):
        sub = tmp_path / f"d{k % 3}"
        sub.mkdir(exist_ok=True)
        (sub / f"{k:03d}_{p.name}").write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "d1" / "zz_binary.txt").write_bytes(b"\x00\x01binary")
    progress = []

    def run():
        r = scan([str(tmp_path)], Settings(jobs=2), progress=lambda *a: progress.append(a))
        d = r.to_dict()
        d["summary"].pop("seconds", None)
        return d, [str(e) for e in r.errors]

    listed = run()
    monkeypatch.setattr(engine, "MANY_FILES", 5)
    monkeypatch.setattr(engine, "_STREAM_CHUNK", 3)
    progress.clear()
    streamed = run()
    assert streamed == listed
    assert len(listed[0]["clusters"]) > 5 and len(listed[1]) == 1  # the binary file, reported once
    steps = [a for a in progress if a[0] == "analyse"]
    assert len(steps) > 5 and steps[-1][1] == steps[-1][2]  # chunk progress ends complete


def test_a_sentence_shared_by_many_articles_keeps_the_roll_up_bounded(tmp_path):
    """N articles sharing one sentence: one cluster, no N*(N-1) roll-up; what was left out is counted."""
    shared = "The governor said the state would appeal the ruling to the supreme court next week."
    for i in range(150):
        (tmp_path / f"a{i:03d}.txt").write_text(
            f"Story number {i} opens with its own lede about topic {i} and {i * 7} other words.\n\n{shared}\n")
    r = scan([str(tmp_path)], Settings())
    assert len(r.clusters) == 1 and len(r.clusters[0].members) == 150
    assert r.overlaps == []
    s = r.summary()
    assert s["rollup_skipped_clusters"] == 1 and s["rollup_omitted_partners"] == 0


def test_pair_similarity_is_a_lookup_and_matches_the_pairs():
    r = scan([str(SEEDS)], Settings())
    for c in r.clusters:
        for p in c.pairs:
            assert c.pair_similarity(p.b, p.a) == p.similarity
        assert c.pair_similarity(0, 0) is None


def test_one_process_reads_every_file_of_a_long_walk(tmp_path, monkeypatch):
    """With one worker (--jobs 1, or one CPU) a walk longer than the streaming threshold is read whole."""
    import importlib

    parallel = importlib.import_module("dedupe.engine.parallel")
    monkeypatch.setattr(parallel, "MANY_FILES", 5)
    for i in range(12):
        (tmp_path / f"a{i:02d}.txt").write_text(f"Story {i} says the council met on day {i} to discuss the budget.\n")
    r = scan([str(tmp_path)], Settings(jobs=1))
    assert len(r.documents) == 12
