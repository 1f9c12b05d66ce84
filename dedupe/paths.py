"""Where the tree ends: the repository root, found without following a link of the tree, and which paths stay inside.

Everything under the repository may come from a hostile pull request, symbolic links too.  A link in the tree
to a folder of the runner that has its own ``.git`` must not make that folder "the repository": the root is
found walking up from the path as written, and a ``.git`` that is only reached through a symbolic link of the
tree (a link below the working directory, a link inside a repository, or the named path itself) is not a root.
Links above the tree (``/tmp -> /private/tmp``, a home folder on another disk) are not the tree's and count.

:func:`output_outside_tree` is the rule for what dedupe writes (and the baseline it reads back): a path given
implicitly (a default name such as ``.dedupe-baseline.json`` or ``.dedupe/index``, or a value from the tree's
configuration) must resolve inside the repository; a path typed on the command line may name any place, but
one that names a place in the tree and resolves out of it through a link is refused too (the link is the pull
request's, not the user's).  A leaf module (the errors only).
"""

from __future__ import annotations

import os

from dedupe.errors import InputError

__all__ = ["inside", "output_outside_tree", "repository_root", "refuse_output_outside_tree", "tree_root"]


def inside(path: str, root: str) -> bool:
    """True when ``path`` is ``root`` or below it (compared as given: pass real paths, or lexical ones)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _chain(d: str) -> list[str]:
    """``d`` and every folder above it, nearest first."""
    out = [d]
    while (parent := os.path.dirname(d)) != d:
        out.append(parent)
        d = parent
    return out


def _holds_git(d: str) -> bool:
    return os.path.lexists(os.path.join(d, ".git"))


def _tree_link(d: str, named: str, cwd: str) -> str | None:
    """The nearest symbolic link among ``d`` and the folders above it that belongs to the tree (the named path
    itself, a link below the working directory, or one inside a repository), or None."""
    for c in _chain(d):
        if not os.path.islink(c):
            continue
        parent = os.path.dirname(c)
        if c == named or inside(parent, cwd) or any(_holds_git(p) for p in _chain(parent)):
            return c
    return None


def repository_root(path: str) -> str | None:
    """The nearest folder at or above ``path`` holding a ``.git`` entry, as written (not resolved), or None.

    A ``.git`` reached through a symbolic link of the tree does not count (``drafts/x -> /home/runner/other``,
    which has its own ``.git``, is not a repository of its own: the search goes on above the link)."""
    named = os.path.normpath(os.path.abspath(path))
    cwd = os.getcwd()
    d = named if os.path.isdir(named) else os.path.dirname(named)
    while True:
        if _holds_git(d):
            link = _tree_link(d, named, cwd)
            if link is None:
                return d
            d = os.path.dirname(link)  # the .git was seen through a link of the tree: look above the link
            continue
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def tree_root(path: str | None = None) -> str:
    """The tree ``path`` (default: the working directory) belongs to, resolved: its repository, else the
    working directory."""
    root = repository_root(path or os.getcwd())
    return os.path.realpath(root or os.getcwd())


def output_outside_tree(path: str, explicit: bool) -> str | None:
    """Why writing ``path`` (or reading it back, for a baseline) would leave the tree, or None when it may.

    ``explicit``: the user typed the path on the command line (or in a trusted configuration).  Such a path
    may name a place outside the repository; a path in the tree that a symbolic link takes out of it may not.
    A path that is not explicit (a default name, the tree's configuration) must resolve inside the repository.
    """
    lexical = os.path.normpath(os.path.abspath(path))
    repo = repository_root(lexical)
    root_lexical = os.path.normpath(repo) if repo is not None else os.getcwd()
    root = os.path.realpath(root_lexical)
    real = os.path.realpath(path)  # physically: a '..' after a link climbs from the link's target
    if inside(real, root):
        return None
    if explicit and not inside(lexical, root_lexical) and os.path.realpath(lexical) == real:
        return None  # typed by the user and outside the tree as written: no link of the tree takes it there
    where = "the repository" if repo is not None else "the working directory"
    if real != lexical:
        return f"resolves through a symbolic link to {real}, outside {where}"
    return f"is outside {where}"


def refuse_output_outside_tree(path: str, explicit: bool, what: str) -> None:
    """An :class:`~dedupe.errors.InputError` (exit 2) naming ``path`` when :func:`output_outside_tree` says it
    leaves the tree; ``what`` says which file it is (``the baseline``, ``the index``, ``an output``)."""
    why = output_outside_tree(path, explicit)
    if why is not None:
        raise InputError(f"{what} {why}: refused (a link in the tree may point anywhere on the runner; give a path "
                         "inside the repository)", path)
