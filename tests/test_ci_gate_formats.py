"""CI formats against their official schemas and consumers; several formats in one run; stdin; bounded output."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import jsonschema
import junitparser
import pytest
import xmlschema
from sarif_kit.validate import validation_errors

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO / "tests" / "data" / "schemas"
SENTENCE = "The mayor said the new bridge over the river will open to traffic next spring after long delays."
QUOTE = "“We will not let this city down, whatever the cost of the repairs turns out to be,” she said."
OTHER = "Council members voted on Tuesday to approve a budget that raises spending on schools and parks."


def run(*args, cwd, input=None, env=None):
    e = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "DEDUPE_DOCS_URL")}
    e["PYTHONPATH"] = str(REPO)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "dedupe", *map(str, args)], check=False, cwd=cwd, env=e,
                          capture_output=True, text=True, encoding="utf-8", input=input, timeout=300)


@pytest.fixture
def news(tmp_path) -> Path:
    """In-article repeats (after curly quotes, so byte and code-point columns differ), a cross-article
    repeat, an archive match."""
    (tmp_path / ".git").mkdir()
    d = tmp_path / "drafts"
    d.mkdir()
    (d / "a.md").write_text(f"# Bridge\n\n“Ünïcode” comes first here. {SENTENCE}\n\n{OTHER}\n\n{QUOTE}\n\n"
                            f"Ça va — « oui » is the answer. {SENTENCE}\n\nLater, {QUOTE}\n", encoding="utf-8")
    (d / "b.txt").write_text(f"{SENTENCE}\n\nNothing else of note happened at the meeting on Sunday morning.\n",
                             encoding="utf-8")
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "old.txt").write_text(f"{OTHER}\n", encoding="utf-8")
    return tmp_path


def check(news, fmt, *extra, env=None):
    r = run("check", "drafts", "--against", "archive", "--format", fmt, *extra, cwd=news, env=env)
    assert r.returncode == 1, r.stderr
    return r.stdout


# -- official schemas and consumers ------------------------------------------------------------------


def test_sarif_validates_against_the_sarif_2_1_0_schema(news):
    log = json.loads(check(news, "sarif"))
    assert validation_errors(log) == []
    rules = {r["ruleId"] for r in log["runs"][0]["results"]}
    assert rules == {"DD101", "DD102", "DD201", "DD301"}
    # a failed run validates too
    r = run("check", "drafts", "gone.txt", "--format", "sarif", cwd=news)
    assert r.returncode == 2 and validation_errors(json.loads(r.stdout)) == []


def test_sarif_help_uris_resolve_to_the_rules_page(news):
    log = json.loads(check(news, "sarif"))
    for rule in log["runs"][0]["tool"]["driver"]["rules"]:
        u = urlparse(rule["helpUri"])
        assert u.scheme == "file" and u.fragment == rule["id"].lower()
        page = Path(unquote(u.path))
        assert page.is_file() and f'<a id="{u.fragment}"></a>' in page.read_text(encoding="utf-8")
    web = "https://github.com/someone/dedupe/blob/0123abc/dedupe/check/rules.md"
    log = json.loads(check(news, "sarif", env={"DEDUPE_DOCS_URL": web}))
    assert {r["helpUri"] for r in log["runs"][0]["tool"]["driver"]["rules"]} == {
        f"{web}#dd101", f"{web}#dd102", f"{web}#dd103", f"{web}#dd201", f"{web}#dd301", f"{web}#dd401"}
    rd = [json.loads(x) for x in check(news, "rdjsonl", env={"DEDUPE_DOCS_URL": web}).splitlines()]
    assert all(x["code"]["url"] == f"{web}#{x['code']['value'].lower()}" for x in rd)


def test_junit_validates_against_junit_10_xsd_and_parses_with_junitparser(news, tmp_path):
    out = check(news, "junit")
    xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd")).validate(out)
    f = tmp_path / "r.xml"
    f.write_text(out, encoding="utf-8")
    xml = junitparser.JUnitXml.fromfile(str(f))
    suites = {s.name: s for s in xml}
    assert set(suites) == {"drafts/a.md", "drafts/b.txt"}
    for name, s in suites.items():
        assert s._elem.get("file") == name and s.time >= 0
        [case] = list(s)
        assert case.time >= 0 and case.classname == "dedupe.check"
    assert suites["drafts/a.md"].failures == 1 and suites["drafts/b.txt"].failures == 0
    bad = run("check", "drafts", "gone.txt", "--format", "junit", cwd=news)
    xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd")).validate(bad.stdout)


def test_gitlab_code_quality_fields(news):
    issues = json.loads(check(news, "gitlab"))
    assert issues and isinstance(issues, list)
    for it in issues:  # the fields GitLab's Code Quality report reads
        assert isinstance(it["description"], str) and it["description"]
        assert isinstance(it["check_name"], str) and it["check_name"]
        assert isinstance(it["fingerprint"], str) and it["fingerprint"]
        assert it["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert isinstance(it["location"]["path"], str) and not it["location"]["path"].startswith("/")
        assert isinstance(it["location"]["lines"]["begin"], int) and it["location"]["lines"]["begin"] >= 1
    assert len({it["fingerprint"] for it in issues}) == len(issues)  # GitLab shows one issue per fingerprint


def test_rdjsonl_validates_against_reviewdogs_schema_with_byte_columns(news):
    schema = json.loads((SCHEMAS / "rdformat-diagnostic.schema.json").read_text(encoding="utf-8"))
    lines = check(news, "rdjsonl").splitlines()
    assert lines
    raw = (news / "drafts" / "a.md").read_bytes().split(b"\n")
    seen = []
    for line in lines:
        d = json.loads(line)
        jsonschema.Draft7Validator(schema).validate(d)
        loc = d["location"]
        if loc["path"] != "drafts/a.md" or d["code"]["value"] != "DD101":
            continue
        r = loc["range"]
        assert r["start"]["line"] == r["end"]["line"]
        b = raw[r["start"]["line"] - 1]
        # reviewdog counts UTF-8 bytes: the byte range holds exactly the sentence
        seen.append(b[r["start"]["column"] - 1: r["end"]["column"] - 1].decode("utf-8"))
    assert seen.count(SENTENCE) == 2 and all(x.endswith(".") for x in seen), seen
    # the same positions in code points (SARIF) are smaller after the curly quotes and accents
    res = json.loads(check(news, "sarif"))["runs"][0]["results"]
    cp = [x["locations"][0]["physicalLocation"]["region"]["startColumn"] for x in res if x["ruleId"] == "DD101"]
    by = [json.loads(x)["location"]["range"]["start"]["column"] for x in lines if '"DD101"' in x]
    assert all(b >= c for b, c in zip(sorted(by), sorted(cp))) and sorted(by) != sorted(cp)


# -- several formats in one run, standard input ----------------------------------------------------------


def test_several_formats_in_one_run(news):
    r = run("check", "drafts", "--format", "github", "--format", "sarif=out/dedupe.sarif", "--format",
            "junit=report.xml", cwd=news)
    assert r.returncode == 1, r.stderr
    assert r.stdout.startswith("::error ") and "title=Repeated sentence (DD101)" in r.stdout
    sarif = json.loads((news / "out" / "dedupe.sarif").read_text(encoding="utf-8"))
    assert validation_errors(sarif) == [] and sarif["runs"][0]["results"]
    assert (news / "report.xml").read_text(encoding="utf-8").startswith("<?xml")
    assert "check failed" in r.stderr  # the summary line, once
    two = run("check", "drafts", "--format", "github", "--format", "json", cwd=news)
    assert two.returncode == 2 and "at most one --format can go to standard output" in two.stderr
    assert two.stderr.count("\n") == 1
    bad = run("check", "drafts", "--format", "xml", cwd=news)
    assert bad.returncode == 2 and "unknown format 'xml'" in bad.stderr


def test_draft_from_stdin_compared_with_paths_and_archive(news):
    (news / "drafts" / "new.md").write_text("An old version of the draft, on disk, that must not be read.\n")
    text = f"# New\n\n{SENTENCE}\n\nThen {OTHER}\n\nAnd again: {SENTENCE}\n"
    r = run("check", "-", "drafts", "--stdin-filename", "drafts/new.md", "--against", "archive",
            "--format", "json", cwd=news, input=text)
    assert r.returncode == 1, r.stderr
    d = json.loads(r.stdout)
    new = [c for c in d["clusters"] if any(m["path"] == "drafts/new.md" for m in c["members"])]
    rules = sorted({c["rule"] for c in new})
    assert rules == ["DD101", "DD201", "DD301"]
    docs = [x["path"] for x in d["documents"] if not x.get("archive")]
    assert docs.count("drafts/new.md") == 1  # the on-disk file of that name is replaced
    dd101 = next(c for c in new if c["rule"] == "DD101")
    assert [m["line"] for m in dd101["members"]] == [3, 7]
    t = run("check", "-", "--stdin-filename", "drafts/new.md", "--format", "text", cwd=news, input=text)
    assert t.returncode == 1 and t.stdout.startswith("drafts/new.md:3:1: error DD101")
    miss = run("check", "drafts", "--stdin-filename", "x.md", cwd=news)
    assert miss.returncode == 2 and "--stdin-filename needs '-'" in miss.stderr


def test_stdin_rdjsonl_counts_bytes_of_the_stdin_text(news):
    text = f"« Déjà » vu, ça va. {SENTENCE} {SENTENCE}\n"
    r = run("check", "-", "--stdin-filename", "new.txt", "--format", "rdjsonl", cwd=news, input=text)
    assert r.returncode == 1
    starts = sorted(json.loads(x)["location"]["range"]["start"]["column"] for x in r.stdout.splitlines()
                    if '"DD101"' in x)
    b = text.encode("utf-8")
    assert [b[s - 1: s - 1 + len(SENTENCE)].decode("utf-8") for s in starts] == [SENTENCE, SENTENCE]


# -- bounded output --------------------------------------------------------------------------------------


def near_copies(folder: Path, n: int, sentences: int = 30, seed: int = 7) -> None:
    """``n`` drafts that are near-copies of each other, each with one sentence pasted twice."""
    rnd = random.Random(seed)
    words = ["city", "council", "mayor", "budget", "river", "bridge", "school", "police", "report", "officials", "said", "week", "plan", "vote", "residents", "district", "tax", "new", "old", "project", "state", "federal", "court", "judge"]
    base = [" ".join(rnd.choice(words) for _ in range(14)).capitalize() + "." for _ in range(sentences)]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        out = []
        for s in base:
            w = s[:-1].split()
            if rnd.random() < 0.3:
                w[rnd.randrange(len(w))] = rnd.choice(words)
            out.append(" ".join(w) + ".")
        out.append(out[0])  # an in-article repeat in every draft
        (folder / f"d{i:03}.txt").write_text(" ".join(out) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("batch")
    (root / ".git").mkdir()
    near_copies(root / "drafts", 60)
    return root


def test_github_annotations_capped_per_level_and_counted(batch):
    r = run("check", "drafts", "--format", "github", cwd=batch)
    assert r.returncode == 1  # every finding counts for the exit code
    cmds = [x for x in r.stdout.splitlines() if x.startswith("::")]
    assert sum(x.startswith("::error ") for x in cmds) == 10
    assert sum(x.startswith("::warning ") for x in cmds) == 10
    note = r.stdout.splitlines()[-1]
    assert note.startswith("dedupe: output capped: ") and "annotations not shown" in note
    assert "output capped (github: " in r.stderr and "annotations not shown" in r.stderr
    assert "check failed" in r.stderr
    more = run("check", "drafts", "--format", "github", "--max-annotations", "25", cwd=batch)
    assert sum(x.startswith("::error ") for x in more.stdout.splitlines()) == 25


def test_messages_and_related_locations_capped(batch):
    r = run("check", "drafts", "--format", "sarif", cwd=batch)
    assert r.returncode == 1
    log = json.loads(r.stdout)
    assert validation_errors(log) == []
    res = log["runs"][0]["results"]
    assert 0 < len(res) <= 5_000
    assert max(len(x["relatedLocations"]) for x in res) == 10
    assert max(len(x["message"]["text"]) for x in res) < 1200
    assert any("more places" in x["message"]["text"] for x in res)
    assert log["runs"][0]["properties"]["omitted"]["related locations not listed"] > 0
    wide = json.loads(run("check", "drafts", "--format", "sarif", "--max-copies", "100", cwd=batch).stdout)
    assert max(len(x["relatedLocations"]) for x in wide["runs"][0]["results"]) > 10


def test_step_summary_stays_within_1_mib(batch, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step output\n", encoding="utf-8")
    r = run("check", "drafts", "--format", "github", "--max-annotations", "100000", "--max-copies", "1000",
            cwd=batch, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert r.returncode == 1
    size = summary.stat().st_size
    assert size <= 1024 * 1024
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step output\n") and "## dedupe check" in text
    assert "not shown" in text  # what was cut is said in the summary itself


def test_one_sentence_in_300_archived_stories_gives_a_short_message(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.txt").write_text(SENTENCE + "\n", encoding="utf-8")
    arch = tmp_path / "archive"
    arch.mkdir()
    for i in range(300):
        (arch / f"s{i:03}.txt").write_text(f"Story {i} opens here with its own words. {SENTENCE}\n",
                                           encoding="utf-8")
    r = run("check", "a.txt", "--against", "archive", cwd=tmp_path)
    assert r.returncode == 1
    [line] = [x for x in r.stdout.splitlines() if " DD301 " in x]
    assert len(line) < 1000 and "and 290 more places" in line


def test_sarif_shrinks_to_the_gzip_limit_and_counts_what_it_left_out(batch, monkeypatch):
    import gzip

    from dedupe.api import scan
    from dedupe.check.rules import evaluate
    from dedupe.output import ci

    cr = evaluate(scan([str(batch / "drafts")]))
    full = ci.render_sarif(cr)
    limit = len(gzip.compress(full.encode("utf-8"))) // 4
    monkeypatch.setattr(ci, "SARIF_MAX_GZIP_BYTES", limit)
    cr = evaluate(scan([str(batch / "drafts")]))
    small = ci.render_sarif(cr)
    assert len(gzip.compress(small.encode("utf-8"))) <= limit
    log = json.loads(small)
    assert validation_errors(log) == []
    run_ = log["runs"][0]
    assert 0 < len(run_["results"]) < len(json.loads(full)["runs"][0]["results"])
    assert run_["properties"]["omitted"]["annotations not shown"] > 0
    assert all(r["level"] == "error" for r in run_["results"][:1])  # failing results are kept first
    assert cr.exit_code == 1 and "sarif: " in cr.summary_line()


def test_json_lists_are_capped_and_counted(batch, monkeypatch):
    from dedupe.api import scan
    from dedupe.check.rules import evaluate
    from dedupe.output import ci
    from dedupe.output.registry import render_check

    monkeypatch.setattr(ci, "JSON_MAX_MEMBERS", 5)
    monkeypatch.setattr(ci, "JSON_MAX_PAIRS", 3)
    monkeypatch.setattr(ci, "JSON_MAX_OVERLAPS", 7)
    cr = evaluate(scan([str(batch / "drafts")]))
    d = json.loads(render_check(cr, "json"))
    big = [c for c in d["clusters"] if "members_total" in c]
    assert big and all(len(c["members"]) == 5 and len(c["pairs"]) <= 3 for c in big)
    assert all(p["a"] < 5 and p["b"] < 5 for c in big for p in c["pairs"])
    assert len(d["overlaps"]) == 7 and d["check"]["overlaps_total"] > 7
    omitted = d["check"]["omitted"]["json"]
    assert omitted["copies not listed"] == sum(c["members_total"] - 5 for c in big)
    assert d["check"]["exit_code"] == 1
