"""``--changed-since REF``: the files a pull request (or a working tree) changes.

Changed = committed since the merge base with ``REF`` (``git diff --name-only
REF...HEAD``) + staged and unstaged changes (``git diff --name-only HEAD``)
+ untracked files that are not ignored.  Deleted files are left out (there is
nothing to check).  Names are read with ``-z`` as bytes (git neither quotes
nor escapes them), so a name that is not UTF-8 or holds a newline, ESC or a
bidi control is listed as it is on disk.  Paths are returned as real absolute paths so that they
can be compared with whatever paths the user gave.

The repository is the one holding the checked paths (:func:`changed_in`),
not the working directory's: ``dedupe check ../newsroom/drafts
--changed-since origin/main`` diffs the newsroom repository.  Paths in
several repositories are diffed in each.  A shallow clone without the merge
base is reported with the fix (fetch more history).
"""

from __future__ import annotations

import os
import subprocess

from dedupe.errors import InputError


def _git(args: list[str], cwd: str) -> str:
    """git's standard output; file names (``-z``: never quoted) as the file system has them (``os.fsdecode``:
    a name that is not UTF-8 keeps its bytes, so it names the file on disk)."""
    try:
        proc = subprocess.run(["git", *args], check=False, cwd=cwd, capture_output=True, timeout=120)
    except FileNotFoundError:
        raise InputError("git is not installed or not on PATH", "--changed-since") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"git {' '.join(args)} timed out", "--changed-since") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace")
        msg = (err.strip().splitlines() or [f"git exited with {proc.returncode}"])[-1]
        raise _GitFailed(msg)
    return os.fsdecode(proc.stdout)


class _GitFailed(Exception):
    pass


def repo_root(cwd: str | None = None) -> str:
    cwd = cwd or os.getcwd()
    try:
        return _git(["rev-parse", "--show-toplevel"], cwd).rstrip("\n")
    except _GitFailed:
        raise InputError(f"{os.path.abspath(cwd)} is not inside a git repository", "--changed-since") from None


def changed_files(ref: str, cwd: str | None = None) -> set[str]:
    """Real paths of files changed since ``ref`` (see the module docstring)."""
    if not ref or ref.startswith("-"):
        raise InputError(f"invalid git ref {ref!r}", "--changed-since")
    cwd = cwd or os.getcwd()
    root = repo_root(cwd)
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    except _GitFailed:
        raise InputError(f"unknown git ref {ref!r}", "--changed-since") from None
    names: set[str] = set()
    try:
        names.update(_git(["diff", "--name-only", "--diff-filter=d", "-z", f"{ref}...HEAD", "--"], root).split("\0"))
    except _GitFailed as exc:
        hint = ""
        if _is_shallow(root):
            hint = (" (a shallow clone: fetch more history, e.g. `git fetch --deepen=200 origin` or "
                    "actions/checkout with fetch-depth: 0)")
        raise InputError(f"cannot diff against {ref!r} in {root}: {exc}{hint}", "--changed-since") from None
    try:
        names.update(_git(["diff", "--name-only", "--diff-filter=d", "-z", "HEAD", "--"], root).split("\0"))
    except _GitFailed:
        pass  # no commit yet
    names.update(_git(["ls-files", "--others", "--exclude-standard", "-z"], root).split("\0"))
    out = set()
    for n in names:
        if n:
            out.add(os.path.normcase(os.path.realpath(os.path.join(root, n))))
    return out


def _is_shallow(root: str) -> bool:
    try:
        return _git(["rev-parse", "--is-shallow-repository"], root).strip() == "true"
    except _GitFailed:
        return False


def _dir_of(path: str) -> str:
    p = os.path.abspath(path)
    while p and (not os.path.isdir(p) or os.path.islink(p)):  # a file, a link, a path no longer there: its folder
        parent = os.path.dirname(p)
        if parent == p:
            break
        p = parent
    return p or os.getcwd()


def changed_in(ref: str, paths: list[str]) -> set[str]:
    """:func:`changed_files` in every repository that holds one of ``paths``
    (the working directory's when ``paths`` is empty)."""
    roots: dict[str, str] = {}
    for p in paths or [os.getcwd()]:
        d = _dir_of(p)
        try:
            root = _git(["rev-parse", "--show-toplevel"], d).rstrip("\n")
        except _GitFailed:
            raise InputError(f"{p} is not inside a git repository", "--changed-since") from None
        roots.setdefault(os.path.normcase(os.path.realpath(root)), d)
    out: set[str] = set()
    for d in roots.values():
        out |= changed_files(ref, d)
    return out
