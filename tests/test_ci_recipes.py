"""The GitHub Action (actionlint, and its scripts run on a shallow pull-request clone), the GitLab recipe on a
runner-like clone, the pre-commit hook, and --changed-since from outside the repository."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
ACTIONLINT = shutil.which("actionlint", path=os.path.dirname(sys.executable)) or shutil.which("actionlint")
S_OLD = "The storm flooded hundreds of homes along the northern coast on Tuesday night after the river rose."
S_NEW = "Officials said the emergency shelters would stay open for at least another week in the two towns."
FILL = [
    "Rescue teams worked through the night to reach families trapped on their roofs by the water.",
    "The weather service expects more rain to fall across the region by Friday morning, forecasters said.",
    "Schools in three counties will remain closed until the water has gone down, the officials added.",
]
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def env(**more) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "DEDUPE_DOCS_URL")}
    e.update(GIT_ENV)
    e["PYTHONPATH"] = str(REPO)
    e.update(more)
    return e


def git(cwd, *args) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env(), check=True, capture_output=True, text=True).stdout


def write(p: Path, *paras: str) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("\n\n".join(paras) + "\n", encoding="utf-8")


@pytest.fixture
def wrapper(tmp_path) -> Path:
    """A `dedupe` executable running this checkout (as the installed console script would)."""
    b = tmp_path / "bin"
    b.mkdir()
    exe = b / "dedupe"
    exe.write_text(f'#!/bin/sh\nPYTHONPATH="{REPO}" exec "{sys.executable}" -m dedupe "$@"\n')
    exe.chmod(0o755)
    return exe


@pytest.fixture
def origin(tmp_path) -> Path:
    """A bare 'origin' with main (a long history, an old in-article repeat) and a feature branch that adds a
    draft copying committed text and repeating a sentence, in a folder whose name has a space."""
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    write(work / "drafts" / "old.txt", S_OLD, FILL[0], S_OLD)  # committed long ago: not this PR's problem
    write(work / "drafts" / "background.txt", S_NEW, FILL[1])
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "base")
    for i in range(30):  # history deeper than a shallow clone
        (work / "log.txt").write_text(f"{i}\n")
        git(work, "add", "log.txt")
        git(work, "commit", "-q", "-m", f"c{i}")
    git(work, "checkout", "-q", "-b", "feature")
    for i in range(3):
        (work / "log.txt").write_text(f"f{i}\n")
        git(work, "add", "log.txt")
        git(work, "commit", "-q", "-m", f"f{i}")
    write(work / "more drafts" / "new story.md", "# New", FILL[2], S_NEW, "And again: " + FILL[2])
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "new draft")
    git(work, "checkout", "-q", "main")
    (work / "log.txt").write_text("main moved on\n")
    git(work, "commit", "-q", "-am", "main moves")
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare


def shallow_clone(origin: Path, dest: Path, branch: str = "feature", depth: int = 1) -> Path:
    """What actions/checkout (depth 1) or a GitLab runner (fetch of one ref, shallow) leaves."""
    dest.mkdir()
    git(dest, "init", "-q")
    git(dest, "remote", "add", "origin", origin.as_uri())
    git(dest, "fetch", "-q", "--no-tags", f"--depth={depth}", "origin", f"+refs/heads/{branch}:refs/pipelines/1")
    git(dest, "checkout", "-q", "--detach", "refs/pipelines/1")
    assert git(dest, "rev-parse", "--is-shallow-repository").strip() == "true"
    return dest


# -- the GitHub Action ---------------------------------------------------------------------------------

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


def action_step(step_id_or_name: str) -> dict:
    for s in ACTION["runs"]["steps"]:
        if step_id_or_name in (s.get("id"), s.get("name")):
            return s
    raise KeyError(step_id_or_name)


def actionlint(cwd: Path) -> subprocess.CompletedProcess:
    assert ACTIONLINT, "actionlint is not installed (the test extra installs it)"
    return subprocess.run([ACTIONLINT, "-no-color", "-oneline", "-shellcheck=", "-pyflakes="], cwd=cwd,
                          capture_output=True, text=True, check=False, timeout=120)


def test_action_passes_actionlint(tmp_path):
    lint = tmp_path / "lint"
    (lint / ".github" / "workflows").mkdir(parents=True)
    git(lint, "init", "-q")
    shutil.copy(REPO / "action.yml", lint / "action.yml")
    # 1. a workflow using the action: actionlint checks inputs and outputs against action.yml
    (lint / ".github" / "workflows" / "use.yml").write_text("""\
name: use
on: [pull_request]
permissions:
  contents: read
  security-events: write
jobs:
  dedupe:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: dedupe
        uses: ./
        with:
          paths: |
            drafts
            more drafts
          upload-sarif: "true"
      - run: echo "$FINDINGS $SARIF $CODE"
        env:
          FINDINGS: ${{ steps.dedupe.outputs.findings }}
          SARIF: ${{ steps.dedupe.outputs.sarif }}
          CODE: ${{ steps.dedupe.outputs.exit-code }}
""")
    # 2. the action's own steps as a reusable workflow: actionlint checks their expressions and `uses:`
    inputs = {k: {"type": "string", "required": False, "default": str(v.get("default", ""))}
              for k, v in ACTION["inputs"].items()}
    steps = json.loads(json.dumps(ACTION["runs"]["steps"]).replace("github.action_path", "github.workspace")
                       .replace("github.action_repository", "github.repository")
                       .replace("github.action_ref", "github.ref"))
    job = {"runs-on": "ubuntu-latest", "steps": steps,
           "outputs": {k: v["value"] for k, v in ACTION["outputs"].items()}}
    wf = {"name": "steps", "on": {"workflow_call": {"inputs": inputs}}, "permissions": {"contents": "read"},
          "jobs": {"dedupe": job}}
    (lint / ".github" / "workflows" / "steps.yml").write_text(yaml.safe_dump(wf, sort_keys=False))
    r = actionlint(lint)
    assert r.returncode == 0, r.stdout + r.stderr
    # the check is real: an output the action does not have is an error
    bad = (lint / ".github" / "workflows" / "use.yml").read_text().replace("outputs.findings", "outputs.nope")
    (lint / ".github" / "workflows" / "use.yml").write_text(bad)
    r = actionlint(lint)
    assert r.returncode == 1 and 'property "nope" is not defined' in r.stdout


def test_action_scripts_parse_and_python_is_left_alone():
    setup = action_step("python")
    assert setup["uses"].startswith("actions/setup-python@") and setup["with"]["update-environment"] is False
    for s in ACTION["runs"]["steps"]:
        if "run" in s:
            assert s["shell"] == "bash"
            r = subprocess.run(["bash", "-n"], input=s["run"], capture_output=True, text=True, check=False)
            assert r.returncode == 0, r.stderr
    install = action_step("Install dedupe into its own virtual environment")["run"]
    assert "-m venv" in install and "pip install" in install and "GITHUB_PATH" not in install
    upload = action_step("Upload SARIF to code scanning")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert set(ACTION["outputs"]) >= {"findings", "sarif", "exit-code"}


def run_step(step: dict, cwd: Path, **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=cwd, env=env(**variables),
                          capture_output=True, text=True, check=False, timeout=300)


def test_action_on_a_shallow_pull_request_checkout(origin, tmp_path, wrapper):
    clone = shallow_clone(origin, tmp_path / "checkout")
    fetch = run_step(action_step("Fetch the base for --changed-since"), clone, REF_INPUT="", BASE_REF="main")
    assert fetch.returncode == 0, fetch.stderr
    git(clone, "merge-base", "HEAD", "origin/main")  # the merge base is there now
    out = tmp_path / "github_output"
    temp = tmp_path / "runner_temp"
    temp.mkdir()
    r = run_step(action_step("check"), clone, DEDUPE_PATHS="drafts\nmore drafts\n", DEDUPE_AGAINST="",
                 DEDUPE_CHANGED_SINCE="", DEDUPE_FAIL_ON="", DEDUPE_BASELINE="", DEDUPE_CONFIG="",
                 DEDUPE_FORMAT="github", DEDUPE_SARIF="", DEDUPE_UPLOAD_SARIF="true", DEDUPE_MAX_ANNOTATIONS="",
                 DEDUPE_ARGS="--threshold\n0.7", EVENT_NAME="pull_request", BASE_REF="main",
                 ACTION_REPOSITORY="someone/dedupe", ACTION_REF="v1", SERVER_URL="https://github.com",
                 REPOSITORY="newsroom/site", SHA="abc", GITHUB_OUTPUT=str(out), RUNNER_TEMP=str(temp),
                 DEDUPE_BIN=str(wrapper), DEDUPE_PYTHON=sys.executable)
    assert r.returncode == 0, r.stderr  # the step records the exit code; the last step fails the job
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert outputs["exit-code"] == "1" and outputs["sarif"] == "dedupe.sarif"
    assert int(outputs["findings"]) >= 2 and int(outputs["failing"]) >= 1
    assert "::error file=more drafts/new story.md," in r.stdout  # a path with a space, not split
    assert "drafts/old.txt" not in r.stdout.replace("at drafts/old.txt", "")  # unchanged: not annotated
    sarif = json.loads((clone / "dedupe.sarif").read_text(encoding="utf-8"))
    help_uris = {x["helpUri"] for x in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert "https://github.com/someone/dedupe/blob/v1/dedupe/check/rules.md#dd101" in help_uris
    last = subprocess.run(["bash", "-c", action_step("Result")["run"]], env=env(CODE=outputs["exit-code"]),
                          check=False)
    assert last.returncode == 1


# -- the GitLab recipe ------------------------------------------------------------------------------------


def gitlab_job() -> dict:
    text = (REPO / "docs" / "gitlab-ci.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.DOTALL).group(1)
    return yaml.safe_load(block)["dedupe"]


def test_gitlab_recipe_works_with_a_runners_default_refspec(origin, tmp_path, wrapper):
    job = gitlab_job()
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    clone = shallow_clone(origin, tmp_path / "build", depth=20)
    with pytest.raises(subprocess.CalledProcessError):
        git(clone, "rev-parse", "--verify", "origin/main")  # the runner did not fetch the target branch
    script = "\n".join(job["script"]).replace("dedupe check drafts/", "dedupe check drafts/ 'more drafts'")
    r = subprocess.run(["bash", "-e", "-c", script], cwd=clone, capture_output=True, text=True, check=False,
                       env=env(CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main",
                               PATH=f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"), timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr  # the new draft's in-article repeat fails the job
    assert "more drafts/new story.md" in r.stdout and "error DD101" in r.stdout
    assert "drafts/old.txt:" not in r.stdout  # committed before the merge request: not reported
    issues = json.loads((clone / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert {i["location"]["path"] for i in issues} == {"more drafts/new story.md"}
    assert (clone / "dedupe-junit.xml").read_text(encoding="utf-8").startswith("<?xml")


# -- the pre-commit hook ----------------------------------------------------------------------------------


def test_pre_commit_hook_judges_staged_drafts_against_the_tree(tmp_path, wrapper):
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["pass_filenames"] is True and hook["require_serial"] is True
    repo = tmp_path / "newsroom"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo / "drafts" / "old.md", S_OLD, FILL[0], S_OLD)  # committed, with its own old repeat
    write(repo / "drafts" / "background.md", S_NEW, FILL[1])
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    write(repo / "drafts" / "new.md", "# New", S_NEW, FILL[2])  # copies a committed draft
    git(repo, "add", "drafts/new.md")
    files_re = re.compile(hook["files"])
    staged = [f for f in git(repo, "diff", "--cached", "--name-only").split() if files_re.search(f)]
    assert staged == ["drafts/new.md"]

    def hook_run(*more: str) -> subprocess.CompletedProcess:
        cmd = [str(wrapper), *hook["entry"].split()[1:], *hook.get("args", []), *more, *staged]
        return subprocess.run(cmd, cwd=repo, capture_output=True, text=True, check=False, env=env(), timeout=300)

    r = hook_run()
    assert r.returncode == 0, r.stdout + r.stderr  # a cross-article copy is a warning
    assert "drafts/new.md:3:1: warning DD201" in r.stdout and "at drafts/background.md line 1" in r.stdout
    assert "drafts/old.md:" not in r.stdout and "drafts/background.md:" not in r.stdout  # only staged reported
    assert hook_run("--fail-on", "warning").returncode == 1
    # staged only, without the tree, the copy would go unnoticed (what the old hook did)
    alone = subprocess.run([str(wrapper), "check", *staged], cwd=repo, capture_output=True, text=True,
                           check=False, env=env(), timeout=300)
    assert alone.returncode == 0 and "DD201" not in alone.stdout
    write(repo / "drafts" / "new.md", "# New", S_NEW, FILL[2], "Again: " + FILL[2])
    git(repo, "add", "drafts/new.md")
    assert hook_run().returncode == 1  # an in-article repeat in the staged draft fails the commit


# -- --changed-since from outside the repository -------------------------------------------------------------


def test_changed_since_uses_the_repository_of_the_checked_paths(origin, tmp_path):
    clone = tmp_path / "full"
    git(tmp_path, "clone", "-q", origin.as_uri(), str(clone))
    git(clone, "checkout", "-q", "feature")
    elsewhere = tmp_path / "elsewhere"  # the working directory: another repository entirely
    elsewhere.mkdir()
    git(elsewhere, "init", "-q")
    r = subprocess.run([sys.executable, "-m", "dedupe", "check", str(clone / "drafts"), str(clone / "more drafts"),
                        "--changed-since", "origin/main", "--format", "json"], cwd=elsewhere, capture_output=True,
                       text=True, check=False, env=env(), timeout=300)
    assert r.returncode == 1, r.stderr
    d = json.loads(r.stdout)
    reported = {m["path"] for c in d["clusters"] for m in c["members"]}
    assert any(p.endswith("new story.md") for p in reported)
    assert d["check"]["out_of_scope"] >= 1  # old.txt's committed repeat is outside the change
    nogit = tmp_path / "plain"
    nogit.mkdir()
    (nogit / "a.txt").write_text(S_OLD + "\n")
    r = subprocess.run([sys.executable, "-m", "dedupe", "check", str(nogit), "--changed-since", "main"],
                       cwd=tmp_path, capture_output=True, text=True, check=False, env=env(), timeout=120)
    assert r.returncode == 2 and "is not inside a git repository" in r.stderr
    shallow = shallow_clone(origin, tmp_path / "shallow")
    git(shallow, "fetch", "-q", "--depth=1", "origin", "+refs/heads/main:refs/remotes/origin/main")
    r = subprocess.run([sys.executable, "-m", "dedupe", "check", "drafts", "--changed-since", "origin/main"],
                       cwd=shallow, capture_output=True, text=True, check=False, env=env(), timeout=120)
    assert r.returncode == 2 and "shallow clone: fetch more history" in r.stderr
