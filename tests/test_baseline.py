"""Baselines: API, file format, and round trips through `dedupe check`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dedupe import Settings, scan
from dedupe.check.baseline import DEFAULT_PATH, Baseline
from dedupe.errors import BaselineError

REPO = Path(__file__).resolve().parent.parent

SENT = "The storm flooded hundreds of homes along the northern coast on Tuesday night."
OTHER = "Officials said the emergency shelters would stay open for at least another week."
FILLER = [
    "Rescue teams worked through the night to reach families trapped on their roofs.",
    "The weather service expects more rain to fall across the region by Friday morning.",
    "Schools in three counties will remain closed until the water has gone down.",
]


def run(*args, cwd=None):
    e = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")}
    e["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "dedupe", *map(str, args)], cwd=cwd, env=e, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def write(p: Path, *paras: str) -> None:
    p.write_text("\n\n".join(paras) + "\n", encoding="utf-8")


@pytest.fixture
def repo(tmp_path) -> Path:
    (tmp_path / "drafts").mkdir()
    write(tmp_path / "drafts" / "a.txt", SENT, FILLER[0], SENT)
    write(tmp_path / "drafts" / "b.txt", FILLER[1], FILLER[2])
    return tmp_path


def test_update_then_check_passes_and_counts_what_the_baseline_hid(repo):
    assert run("check", "drafts", cwd=repo).returncode == 1
    r = run("check", "drafts", "--update-baseline", cwd=repo)
    assert r.returncode == 0, r.stderr
    assert "baseline .dedupe-baseline.json updated: 1 accepted (1 added" in r.stderr
    data = json.loads((repo / DEFAULT_PATH).read_text())
    assert data["version"] == 1 and data["tool"] == "dedupe"
    [(fp, entry)] = data["accepted"].items()
    assert entry == {"rule": "DD101", "kind": "repeated-sentence", "count": 2, "paths": ["drafts/a.txt"],
                     "text": SENT}
    assert data["suppressions"] == {}
    assert data["settings"]["ngram"] == 3
    r = run("check", "drafts", cwd=repo)
    assert r.returncode == 0, r.stdout
    assert "baseline .dedupe-baseline.json: 1 accepted, 0 suppressed" in r.stdout
    assert "0 findings" in r.stdout


def test_a_third_copy_of_an_accepted_repeat_fails(repo):
    run("check", "drafts", "--update-baseline", cwd=repo)
    write(repo / "drafts" / "a.txt", SENT, FILLER[0], SENT, OTHER, SENT)
    r = run("check", "drafts", cwd=repo)
    assert r.returncode == 1
    assert "3 copies now, the baseline accepted 2" in r.stdout and "[grown]" in r.stdout
    assert "1 accepted repeat has more copies than the baseline" in r.stdout
    d = json.loads(run("check", "drafts", "--format", "json", cwd=repo).stdout)
    assert [(c["status"], c["accepted_count"]) for c in d["clusters"]] == [("grown", 2)]


def test_a_new_repeat_fails_while_the_accepted_one_stays_quiet(repo):
    run("check", "drafts", "--update-baseline", cwd=repo)
    write(repo / "drafts" / "b.txt", FILLER[1], OTHER, FILLER[2], OTHER)
    r = run("check", "drafts", "--format", "json", cwd=repo)
    assert r.returncode == 1
    d = json.loads(r.stdout)
    assert sorted((c["status"], c["members"][0]["path"]) for c in d["clusters"]) == [
        ("accepted", "drafts/a.txt"), ("new", "drafts/b.txt")]
    assert d["check"]["baseline_accepted"] == 1
    text = run("check", "drafts", cwd=repo).stdout
    assert "drafts/a.txt" not in text.split("dedupe:")[0]  # accepted: not annotated
    assert "drafts/b.txt:3:1: error DD101" in text


def test_update_prunes_stale_entries_and_keeps_suppressions(repo):
    run("check", "drafts", "--update-baseline", cwd=repo)
    res = scan([str(repo / "drafts" / "a.txt")], Settings())
    # a suppression, added the way the review UI does it
    write(repo / "drafts" / "b.txt", FILLER[1], OTHER, FILLER[2], OTHER)
    os.chdir(repo)
    try:
        res_b = scan(["drafts/b.txt"], Settings())
    finally:
        os.chdir(REPO)
    b = Baseline.load(str(repo / DEFAULT_PATH))
    b.suppress(res_b.clusters[0], reason="intentional repetition for emphasis")
    b.save()
    assert res.clusters
    # fix a.txt: its accepted entry is now stale
    write(repo / "drafts" / "a.txt", SENT, FILLER[0])
    r = run("check", "drafts", cwd=repo)
    assert r.returncode == 0, r.stdout
    assert "0 accepted, 1 suppressed" in r.stdout
    r = run("check", "drafts", "--update-baseline", cwd=repo)
    assert "0 accepted (0 added, 0 with new counts, 1 stale pruned), 1 suppressions kept" in r.stderr
    data = json.loads((repo / DEFAULT_PATH).read_text())
    assert data["accepted"] == {}
    [sup] = data["suppressions"].values()
    assert sup["reason"] == "intentional repetition for emphasis" and sup["rule"] == "DD101"
    assert sup["created"].endswith("Z")
    # a third copy of a suppressed repeat stays suppressed (a suppression is for the passage)
    write(repo / "drafts" / "b.txt", FILLER[1], OTHER, FILLER[2], OTHER, OTHER)
    assert run("check", "drafts", cwd=repo).returncode == 0


def test_no_baseline_flag_and_custom_path(repo):
    run("check", "drafts", "--update-baseline", "--baseline", "ci/accepted.json", cwd=repo)
    assert (repo / "ci" / "accepted.json").exists() and not (repo / DEFAULT_PATH).exists()
    assert run("check", "drafts", "--baseline", "ci/accepted.json", cwd=repo).returncode == 0
    assert run("check", "drafts", cwd=repo).returncode == 1  # default path: no baseline there
    assert run("check", "drafts", "--baseline", "ci/accepted.json", "--no-baseline", cwd=repo).returncode == 1


def test_baseline_path_from_config_is_relative_to_the_config(repo):
    (repo / "conf").mkdir()
    (repo / "conf" / "dedupe.toml").write_text('baseline = "../ci/base.json"\n')
    r = run("check", "drafts", "--config", "conf/dedupe.toml", "--update-baseline", cwd=repo)
    assert r.returncode == 0, r.stderr
    assert (repo / "ci" / "base.json").exists()
    assert run("check", "drafts", "--config", "conf/dedupe.toml", cwd=repo).returncode == 0


@pytest.mark.parametrize("content, words", [
    ("{not json", "corrupt baseline: invalid JSON at line 1"),
    ('{"version": 2, "accepted": {}}', "unsupported baseline version 2"),
    ('{"accepted": {}}', "unsupported baseline version null"),
    ("[1, 2]", "expected a JSON object"),
    ('{"version": 1, "accepted": []}', "accepted: expected an object, got a list"),
    ('{"version": 1, "accepted": {"x": {"count": "two"}}}', "count: expected a whole number"),
    ('{"version": 1, "suppressions": {"x": 3}}', "suppressions['x']: expected an object"),
])
def test_corrupt_baseline_exit_2_one_line(repo, content, words):
    (repo / DEFAULT_PATH).write_text(content)
    r = run("check", "drafts", cwd=repo)
    assert r.returncode == 2, r.stdout
    err = r.stderr.strip()
    assert err.startswith("dedupe: error: .dedupe-baseline.json: ") and "\n" not in err
    assert words in err and "Traceback" not in err
    # --update-baseline does not overwrite a file it cannot read
    assert run("check", "drafts", "--update-baseline", cwd=repo).returncode == 2
    assert (repo / DEFAULT_PATH).read_text() == content


def test_update_refuses_when_inputs_are_unreadable(repo):
    run("check", "drafts", "--update-baseline", cwd=repo)
    before = (repo / DEFAULT_PATH).read_text()
    r = run("check", "drafts", "missing.txt", "--update-baseline", cwd=repo)
    assert r.returncode == 2 and "not updated" in r.stderr
    assert (repo / DEFAULT_PATH).read_text() == before


# -- API (what the review UI calls) -----------------------------------------------------------

def _clusters(tmp_path, *paras):
    write(tmp_path / "x.txt", *paras)
    return scan([str(tmp_path / "x.txt")], Settings()).clusters


def test_api_status_accept_suppress_forget_apply(tmp_path):
    [c] = _clusters(tmp_path, SENT, FILLER[0], SENT)
    b = Baseline.load(str(tmp_path / "none.json"))
    assert len(b) == 0 and b.status(c) == "new"
    b.accept(c)
    assert b.status(c) == "accepted"
    assert b.accepted[c.fingerprint]["count"] == 2
    b.suppress(c, "house style")
    assert b.status(c) == "suppressed" and c.fingerprint not in b.accepted
    assert b.reason(c.fingerprint) == "house style"
    b.forget(c.fingerprint)
    assert b.status(c) == "new" and len(b) == 0
    b.accept(c)
    [c3] = _clusters(tmp_path, SENT, FILLER[0], SENT, FILLER[1], SENT)
    assert c3.fingerprint == c.fingerprint and b.status(c3) == "grown"
    applied = b.apply([c3])
    assert applied.new == [c3] and applied.grown == [c3] and applied.accepted == []
    assert applied.counts == {"new": 0, "grown": 1, "accepted": 0, "suppressed": 0}
    assert b.apply([c]).accepted == [c]


def test_api_save_is_stable_sorted_and_round_trips(tmp_path):
    [c] = _clusters(tmp_path, SENT, FILLER[0], SENT)
    path = tmp_path / "b.json"
    b = Baseline.load(str(path))
    b.accept(c)
    b.extra["reviewer_notes"] = {"keep": True}  # unknown keys survive a rewrite
    b.save()
    first = path.read_text()
    b2 = Baseline.load(str(path))
    assert b2.accepted == b.accepted and b2.extra == {"reviewer_notes": {"keep": True}}
    b2.save()
    assert path.read_text() == first
    data = json.loads(first)
    assert list(data) == sorted(data)
    assert first.startswith('{\n  "accepted"')


def test_api_update_counts(tmp_path):
    [c] = _clusters(tmp_path, SENT, FILLER[0], SENT)
    b = Baseline(str(tmp_path / "b.json"))
    assert b.update([c]) == {"added": 1, "updated": 0, "kept": 0, "pruned": 0, "accepted": 1, "suppressions": 0}
    assert b.update([c])["kept"] == 1
    assert b.update([]) == {"added": 0, "updated": 0, "kept": 0, "pruned": 1, "accepted": 0, "suppressions": 0}


def test_api_load_errors(tmp_path):
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(BaselineError) as exc:
        Baseline.load(str(tmp_path / "bad.json"))
    assert exc.value.path == str(tmp_path / "bad.json")
    with pytest.raises(BaselineError):
        Baseline.load(str(tmp_path))  # a directory
