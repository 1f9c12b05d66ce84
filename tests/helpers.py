"""Helpers shared by the test modules: paths, the CLI in a subprocess or in-process, corpus loading.

Import them as ``from helpers import ...`` (pytest puts ``tests/`` on ``sys.path``).  Test modules never
import each other; whatever two of them share lives here or in ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from click.testing import CliRunner

from dedupe.documents import Document

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SEED = SEEDS / "000_f6852705ebf30c58.txt"
SHARED = Path(os.environ.get("DEDUPE_SHARED", REPO.parent / "shared"))
REUTERS = SHARED / "corpora" / "reuters21578" / "reuters21578.jsonl.gz"

#: Variables of the environment the CLI reads that a developer's shell or CI may have set.
_CI_VARS = ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "CI", "GITLAB_CI", "DEDUPE_DEBUG")


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CI_VARS}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra or {})
    return env


def run_cli(*args: object, cwd: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None,
            input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m dedupe ARGS`` in a subprocess, as a user runs it (exit code, stdout, stderr)."""
    return subprocess.run([sys.executable, "-m", "dedupe", *map(str, args)], cwd=cwd, env=cli_env(env),
                          capture_output=True, text=True, encoding="utf-8", input=input, timeout=timeout)


@dataclass
class Ran:
    """What an in-process run of the CLI gave, shaped like ``subprocess.CompletedProcess``."""

    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def _cwd(path: str | os.PathLike[str] | None) -> Iterator[None]:
    old = os.getcwd()
    if path is not None:
        os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def invoke(*args: object, cwd: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None,
           input: str | None = None) -> Ran:
    """The CLI in-process (Click's ``CliRunner``): the same exit codes and output, without a new interpreter."""
    from dedupe.cli.main import main

    unset: dict[str, str | None] = {k: None for k in _CI_VARS}
    unset.update(env or {})
    with _cwd(cwd):
        r = CliRunner().invoke(main, [str(a) for a in args], env=unset, input=input, catch_exceptions=False)
    return Ran(r.exit_code, r.stdout, r.stderr)


def load_documents(path: str | os.PathLike[str], n: int) -> list[Document]:
    """The first ``n`` non-empty Reuters stories of the shared export, as documents."""
    docs = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            body = rec.get("body") or ""
            if body.strip():
                docs.append(Document(id=f"r{rec['newid']}", path=f"r{rec['newid']}.txt", text=body))
            if len(docs) >= n:
                break
    return docs
