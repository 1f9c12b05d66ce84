"""`dedupe check --changed-since REF` in a temporary git repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SENT = "The storm flooded hundreds of homes along the northern coast on Tuesday night."
SHARED = "Officials said the emergency shelters would stay open for at least another week."
FILL = [
    "Rescue teams worked through the night to reach families trapped on their roofs.",
    "The weather service expects more rain to fall across the region by Friday morning.",
    "Schools in three counties will remain closed until the water has gone down.",
    "The council will meet again next month to decide on the new flood defences.",
]


def run(*args, cwd=None):
    e = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")}
    e["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "dedupe", *map(str, args)], cwd=cwd, env=e, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def git(cwd, *args):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def write(p: Path, *paras: str) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("\n\n".join(paras) + "\n", encoding="utf-8")


@pytest.fixture
def repo(tmp_path) -> Path:
    r = tmp_path / "newsroom"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    write(r / "drafts" / "old.txt", SENT, FILL[0], SENT)  # an old in-article repeat
    write(r / "drafts" / "background.txt", SHARED, FILL[1])
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "base")
    git(r, "checkout", "-q", "-b", "feature")
    # the pull request adds a draft that reuses background.txt's paragraph
    write(r / "drafts" / "new.txt", FILL[2], SHARED, FILL[3])
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "add new draft")
    return r


def test_only_findings_touching_changed_files_are_reported(repo):
    full = run("check", "drafts", "--fail-on", "warning", "--format", "json", cwd=repo)
    assert {c["rule"] for c in json.loads(full.stdout)["clusters"]} == {"DD101", "DD201"}
    r = run("check", "drafts", "--changed-since", "main", "--fail-on", "warning", "--format", "json", cwd=repo)
    assert r.returncode == 1, r.stderr
    d = json.loads(r.stdout)
    [c] = d["clusters"]
    # the unchanged background.txt still took part in the comparison
    assert c["rule"] == "DD201" and {m["path"] for m in c["members"]} == {"drafts/new.txt", "drafts/background.txt"}
    assert d["check"]["out_of_scope"] == 1 and d["check"]["checked_documents"] == 1
    # only the copy in the changed file is annotated; it points at the unchanged copy
    gh = run("check", "drafts", "--changed-since", "main", "--format", "github", cwd=repo).stdout.splitlines()
    assert len(gh) == 1 and gh[0].startswith("::warning file=drafts/new.txt,line=3,")
    assert "drafts/background.txt line 1" in gh[0]
    text = run("check", "drafts", "--changed-since", "main", cwd=repo)
    assert text.returncode == 0  # a warning does not fail by default; the old error is out of scope
    assert "1 cluster outside the changed files not reported" in text.stdout


def test_uncommitted_and_untracked_changes_count(repo):
    assert run("check", "drafts", "--changed-since", "HEAD", cwd=repo).stdout.startswith("dedupe: 0 findings")
    mayor = "The mayor promised that every family would get help before the end of the month."
    write(repo / "drafts" / "untracked.txt", FILL[0], mayor, FILL[1], mayor)
    r = run("check", "drafts", "--changed-since", "HEAD", cwd=repo)
    assert r.returncode == 1 and "drafts/untracked.txt:3:1: error DD101" in r.stdout
    (repo / "drafts" / "untracked.txt").unlink()
    write(repo / "drafts" / "old.txt", SENT, FILL[0], SENT, FILL[3])  # modified, not staged
    r = run("check", "drafts", "--changed-since", "HEAD", cwd=repo)
    assert r.returncode == 1 and "drafts/old.txt:1:1: error DD101" in r.stdout


def test_works_from_a_subdirectory(repo):
    r = run("check", ".", "--changed-since", "main", "--fail-on", "warning", "--format", "json", cwd=repo / "drafts")
    [c] = json.loads(r.stdout)["clusters"]
    assert {m["path"] for m in c["members"]} == {"new.txt", "background.txt"}


def test_bad_ref_and_not_a_repo_exit_2(repo, tmp_path):
    r = run("check", "drafts", "--changed-since", "no-such-branch", cwd=repo)
    assert r.returncode == 2
    assert r.stderr.strip() == "dedupe: error: --changed-since: unknown git ref 'no-such-branch'"
    outside = tmp_path / "plain"
    write(outside / "a.txt", SENT, FILL[0])
    r = run("check", ".", "--changed-since", "main", cwd=outside)
    assert r.returncode == 2 and "is not inside a git repository" in r.stderr and "Traceback" not in r.stderr
    r = run("check", "drafts", "--changed-since", "--oops", cwd=repo)
    assert r.returncode == 2
