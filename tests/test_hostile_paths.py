"""An untrusted pull request's paths (issue 23): links to folders with their own ``.git``, settings only a
trusted configuration may give, output paths that a link takes out of the repository, names git quotes, an
output over an input.  Every case is run through the CLI as an attacker would set it up."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers import invoke

GOOD = "The governor said the state would appeal the ruling to the supreme court next week."
OTHER = "Officials in the district said the new plan would cost about forty million dollars over ten years."
SECRET = "The secret ledger of the runner says the vault code is seven four one and must never be published."


def _write(p: Path, text: str) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")


def _article(*sentences: str) -> str:
    return "\n\n".join(sentences) + "\n"


def _repo_and_outside_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A repository whose tree links to a folder of the runner that is a repository of its own (a ``.git``)."""
    outside = tmp_path / "runner" / "other"
    _write(outside / "secret.txt", _article(SECRET, GOOD, SECRET))
    (outside / ".git").mkdir()
    (outside / "sub" / ".git").mkdir(parents=True)
    _write(outside / "sub" / "more.txt", _article(SECRET, GOOD))
    tree = tmp_path / "repo"
    _write(tree / "drafts" / "good.txt", _article(GOOD, OTHER, GOOD))
    (tree / ".git").mkdir()
    os.symlink(outside, tree / "evil")
    os.symlink(outside, tree / "drafts" / "evil")
    return outside, tree


@pytest.mark.parametrize("args", [
    ["check", "evil", "drafts/good.txt"],
    ["check", "evil/secret.txt", "drafts/good.txt"],
    ["check", "evil/sub", "drafts/good.txt"],
    ["check", "drafts/good.txt", "--context", "evil"],
    ["check", "drafts/good.txt", "--context", "drafts/evil"],
    ["check", "drafts/good.txt", "--against", "evil"],
    ["check", "drafts/good.txt", "--against", "drafts/evil/sub"],
    ["scan", "drafts/good.txt", "evil"],
])
def test_a_link_to_a_folder_with_its_own_git_is_not_the_repository(args: list[str], tmp_path: Path) -> None:
    _, tree = _repo_and_outside_repo(tmp_path)
    r = invoke(*args, "--format", "json", cwd=tree)
    assert "vault code" not in r.stdout and "more.txt" not in r.stdout, r.stdout
    named = next(a for a in args[1:] if "evil" in a)
    assert f"{named}: symbolic link pointing outside the repository, not read" in r.stderr, r.stderr
    assert r.stderr.count("\n") == sum(1 for ln in r.stderr.splitlines() if ln.startswith("dedupe: "))


def test_index_add_does_not_store_a_linked_repository(tmp_path: Path) -> None:
    _, tree = _repo_and_outside_repo(tmp_path)
    r = invoke("index", "add", "evil", "drafts", "--index", tmp_path / "ix", cwd=tree)
    assert r.returncode == 0, r.stderr
    assert "evil: symbolic link pointing outside the repository" in r.stderr
    listed = invoke("index", "list", "--index", tmp_path / "ix", cwd=tree).stdout
    assert "good.txt" in listed and "secret" not in listed and "more" not in listed


def test_the_repository_root_is_found_without_following_a_link_of_the_tree(tmp_path: Path) -> None:
    from dedupe.paths import repository_root

    outside, tree = _repo_and_outside_repo(tmp_path)
    old = os.getcwd()
    os.chdir(tree)
    try:
        for p in ("evil", "evil/secret.txt", "evil/sub", "evil/sub/more.txt", "drafts/evil/sub"):
            assert repository_root(p) == str(tree), p
        assert repository_root(str(outside / "sub")) == str(outside / "sub")  # the real folder is a repository
    finally:
        os.chdir(old)
    # a link above the tree (a home folder on another disk, /tmp -> /private/tmp) is not the tree's
    os.symlink(tree, tmp_path / "alias")
    os.chdir(outside)
    try:
        assert repository_root(str(tmp_path / "alias" / "drafts" / "good.txt")) == str(tmp_path / "alias")
    finally:
        os.chdir(old)


# -- names git would quote: --changed-since and --context check them (item 4) ---------------------------------------

_NAMES = ["caf\udce9.txt", "e\x1bsc.txt", "nl\nx.txt", "rlo\u202e.txt", "lrm\u200e.txt", "del\x7f.txt"]
_SHOWN = ["caf\\xe9.txt", "e\\x1bsc.txt", "nl\\nx.txt", "rlo\\u202e.txt", "lrm\\u200e.txt", "del\\x7f.txt"]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.mark.parametrize("committed", [True, False])
def test_changed_since_and_context_check_names_that_need_escaping(committed: bool, tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    _write(tree / "base.txt", _article(OTHER))
    _git(tree, "init", "-q")
    _git(tree, "add", "-A")
    _git(tree, "commit", "-qm", "base")
    for n in _NAMES:
        (tree / "drafts").mkdir(exist_ok=True)
        (tree / "drafts" / n).write_bytes(_article(GOOD, OTHER, GOOD).encode())
    if committed:  # committed on the branch (git diff REF...HEAD), else untracked (git ls-files --others)
        _git(tree, "add", "-A")
        _git(tree, "commit", "-qm", "drafts")
    ref = "HEAD~1" if committed else "HEAD"
    for args in (["--changed-since", ref], ["--context", "base.txt"], ["--changed-since", ref, "--context", "base.txt"]):
        r = invoke("check", "drafts", *args, "--format", "gitlab", cwd=tree)
        assert r.returncode == 1, (args, r.stderr)
        paths = {f["location"]["path"] for f in json.loads(r.stdout)}
        assert paths == {f"drafts/{s}" for s in _SHOWN}, (args, paths)
        text = invoke("check", "drafts", *args, cwd=tree)
        assert text.returncode == 1 and "check passed" not in text.stderr + text.stdout
        assert "\x1b" not in text.stdout and "\u202e" not in text.stdout and "drafts/nl\\nx.txt:" in text.stdout


# -- settings only a trusted configuration may give (item 2) --------------------------------------------------------


@pytest.mark.parametrize("where", [".dedupe.toml", "pyproject.toml", "drafts/.dedupe.toml"])
@pytest.mark.parametrize("cmd", [["check", "drafts", "--format", "json"], ["scan", "drafts", "--format", "json"],
                                 ["report", "drafts", "--format", "markdown"]])
def test_the_trees_config_cannot_switch_on_reading_links_out_of_it(where: str, cmd: list[str], tmp_path: Path) -> None:
    outside, tree = _repo_and_outside_repo(tmp_path)
    os.symlink(outside / "secret.txt", tree / "drafts" / "a.txt")
    body = "follow-external-symlinks = true\n"
    _write(tree / where, f"[tool.dedupe]\n{body}" if where == "pyproject.toml" else body)
    cwd = tree / "drafts" if where.startswith("drafts/") else tree
    args = [a if a != "drafts" else ("." if cwd != tree else "drafts") for a in cmd]
    r = invoke(*args, cwd=cwd)
    assert "vault code" not in r.stdout, r.stdout
    ignored = [ln for ln in r.stderr.splitlines() if "follow-external-symlinks = true ignored" in ln]
    assert len(ignored) == 1 and where.rsplit("/", 1)[-1] in ignored[0], r.stderr
    assert "a.txt: symbolic link pointing outside" in r.stderr
    # the flag, --config and DEDUPE_CONFIG are trusted
    trusted = tmp_path / "trusted.toml"
    _write(trusted, body)
    for extra, env in (([], {"DEDUPE_CONFIG": str(trusted)}), (["--config", trusted], {}),
                       (["--follow-external-symlinks"], {})):
        r = invoke(*args, *extra, cwd=cwd, env=env)
        assert "vault code" in r.stdout and "ignored" not in r.stderr, (extra, env, r.stderr)


def test_index_add_from_the_trees_config_does_not_follow_links(tmp_path: Path) -> None:
    outside, tree = _repo_and_outside_repo(tmp_path)
    os.symlink(outside / "secret.txt", tree / "drafts" / "a.txt")
    _write(tree / ".dedupe.toml", "follow-external-symlinks = true\n")
    r = invoke("index", "add", "drafts", "--index", tmp_path / "ix", cwd=tree)
    assert r.returncode == 0 and "follow-external-symlinks = true ignored" in r.stderr, r.stderr
    assert "secret" not in invoke("index", "list", "--index", tmp_path / "ix", cwd=tree).stdout


# -- default and typed output paths a link of the tree takes out of the repository (item 3) -------------------------


def _repo_with_outside(tmp_path: Path) -> tuple[Path, Path]:
    outside = tmp_path / "runner"
    _write(outside / "bl.json", '{"version": 1, "accepted": {}, "suppressions": {}}\n')
    _write(outside / "x", "keep\n")
    tree = tmp_path / "repo"
    _write(tree / "a.txt", _article(GOOD, OTHER, GOOD))
    (tree / ".git").mkdir()
    return outside, tree


def _contents(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", ["baseline-update", "baseline-read", "index-add", "index-list", "sarif", "report",
                                  "scan", "folder-link", "review-journal"])
def test_an_output_a_link_of_the_tree_takes_outside_is_refused(case: str, tmp_path: Path) -> None:
    outside, tree = _repo_with_outside(tmp_path)
    before = _contents(outside)
    link, target, args = {
        "baseline-update": (".dedupe-baseline.json", outside / "bl.json", ["check", "a.txt", "--update-baseline"]),
        "baseline-read": (".dedupe-baseline.json", outside / "bl.json", ["check", "a.txt"]),
        "index-add": (".dedupe", outside, ["index", "add", "a.txt"]),
        "index-list": (".dedupe", outside, ["index", "list"]),
        "sarif": ("dedupe.sarif", outside / "x", ["check", "a.txt", "--format", "sarif=dedupe.sarif"]),
        "report": ("report.html", outside / "x", ["report", "a.txt", "-o", "report.html"]),
        "scan": ("out.json", outside / "x", ["scan", "a.txt", "--format", "json", "-o", "out.json"]),
        "folder-link": ("out", outside, ["check", "a.txt", "--format", "sarif=out/dedupe.sarif"]),
        "review-journal": (".dedupe-baseline.json.review-journal", outside / "x", ["review", "a.txt"]),
    }[case]
    os.symlink(target, tree / link)
    r = invoke(*args, cwd=tree)
    assert r.returncode == 2, (case, r.returncode, r.stderr)
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("dedupe: error:")]
    assert len(errors) == 1 and "symbolic link" in errors[0] and "outside the repository" in errors[0], r.stderr
    assert errors[0].startswith(f"dedupe: error: {link.split('/')[0]}") or link in errors[0], errors
    assert _contents(outside) == before and (tree / link).is_symlink()


def test_typed_outputs_may_go_anywhere_and_links_inside_are_written_through(tmp_path: Path) -> None:
    outside, tree = _repo_with_outside(tmp_path)
    r = invoke("check", "a.txt", "--format", f"sarif={outside / 'new.sarif'}", "--baseline", outside / "bl.json",
               cwd=tree)
    assert r.returncode == 1 and (outside / "new.sarif").is_file(), r.stderr  # typed outside the tree: the user's
    assert invoke("check", "a.txt", "-o", "../up.txt", cwd=tree).returncode == 1 and (tmp_path / "up.txt").is_file()
    (outside / "deeper").mkdir()
    os.symlink(outside / "deeper", tree / "deep")  # '..' after a link of the tree climbs from the link's target
    r = invoke("check", "a.txt", "-o", "deep/../sneaky.txt", cwd=tree)
    assert r.returncode == 2 and not (outside / "sneaky.txt").exists(), r.stderr
    (tree / "out").mkdir()
    os.symlink(tree / "out" / "r.sarif", tree / "in.sarif")
    os.symlink(tree / "out" / "bl.json", tree / ".dedupe-baseline.json")
    assert invoke("check", "a.txt", "--format", "sarif=in.sarif", cwd=tree).returncode == 1
    assert json.loads((tree / "out" / "r.sarif").read_text())["runs"] and (tree / "in.sarif").is_symlink()
    assert invoke("check", "a.txt", "--update-baseline", cwd=tree).returncode == 0
    assert json.loads((tree / "out" / "bl.json").read_text())["accepted"]
    os.symlink(outside / "bl.json", tree / "shared-baseline.json")  # a link of the tree leading out: refused, typed or not
    r = invoke("check", "a.txt", "--baseline", "shared-baseline.json", cwd=tree)
    assert r.returncode == 2 and "shared-baseline.json: the baseline resolves through a symbolic link" in r.stderr
    os.unlink(tree / ".dedupe-baseline.json")
    os.symlink(outside / "bl.json", tree / ".dedupe-baseline.json")
    assert invoke("check", "a.txt", "--no-baseline", cwd=tree).returncode == 1  # nothing read: nothing refused


# -- an output over an input: the baseline, the configuration, the index (item 5) ------------------------------------


@pytest.mark.parametrize("case", ["baseline-o", "baseline-format", "config", "tree-config", "index-db", "index-keys",
                                  "index-folder"])
def test_an_output_over_the_baseline_config_or_index_is_refused(case: str, tmp_path: Path) -> None:
    _, tree = _repo_with_outside(tmp_path)
    _write(tree / "bl.json", '{"version": 1, "accepted": {}, "suppressions": {}}\n')
    _write(tmp_path / "trusted.toml", "min-words = 8\n")
    assert invoke("index", "add", "a.txt", "--index", "ix", cwd=tree).returncode == 0
    args = {
        "baseline-o": ["check", "a.txt", "--baseline", "bl.json", "-o", "bl.json"],
        "baseline-format": ["check", "a.txt", "--baseline", "bl.json", "--format", "sarif=bl.json"],
        "config": ["scan", "a.txt", "--config", tmp_path / "trusted.toml", "-o", tmp_path / "trusted.toml"],
        "tree-config": ["report", "a.txt", "-o", ".dedupe.toml"],
        "index-db": ["check", "a.txt", "--against", "ix", "-o", "ix/index.sqlite"],
        "index-keys": ["scan", "a.txt", "--against", "ix", "-o", "ix/index.sqlite-keys/x.json"],
        "index-folder": ["report", "a.txt", "--against", "ix", "-o", "ix/r.html"],
    }[case]
    if case == "tree-config":
        _write(tree / ".dedupe.toml", "min-words = 8\n")
    before = _contents(tree)
    r = invoke(*args, cwd=tree)
    assert r.returncode == 2 and "an output never replaces an input" in r.stderr, (case, r.stderr)
    assert r.stderr.count("dedupe: error:") == 1
    after = _contents(tree)
    assert {k: after.get(k) for k in before} == before  # (reading an index may add its -wal / -shm files)
    assert not {k for k in after if k not in before and not k.endswith(("-wal", "-shm"))}, after.keys()
    assert (tmp_path / "trusted.toml").read_text() == "min-words = 8\n"


@pytest.mark.parametrize("cmd", ["check", "scan", "report", "review"])
def test_an_against_index_a_link_of_the_tree_takes_outside_is_not_read(cmd: str, tmp_path: Path) -> None:
    outside, tree = _repo_with_outside(tmp_path)
    _write(outside / "archive" / "old.txt", _article(SECRET, GOOD))
    assert invoke("index", "add", outside / "archive", "--index", outside / "ix", cwd=tree).returncode == 0
    os.symlink(outside / "ix", tree / "linked-ix")
    r = invoke(cmd, "a.txt", "--against", "linked-ix", cwd=tree)
    assert r.returncode == 2 and "vault code" not in r.stdout and "old.txt" not in r.stdout, r.stderr
    assert "linked-ix: the index resolves through a symbolic link" in r.stderr and r.stderr.count("\n") == 1
    if cmd == "check":  # typed outside the repository: the user's choice
        r = invoke(cmd, "a.txt", "--against", outside / "ix", "--format", "json", cwd=tree)
        assert r.returncode == 1 and "old.txt" in r.stdout, r.stderr  # the archive's copy is named
