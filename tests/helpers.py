"""Helpers shared by the test modules: paths, the CLI in a subprocess or in-process, corpus loading.

Import them as ``from helpers import ...`` (pytest puts ``tests/`` on ``sys.path``).  Test modules never
import each other; whatever two of them share lives here or in ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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


# -- archives for the index tests ------------------------------------------------

WORDS = ("market oil price bank rate trade export import share profit loss growth council minister vote "
         "court ruling budget deficit harbour river storm flood farmer harvest wheat coffee cocoa union "
         "strike factory plant output demand supply dollar yen sterling bond yield index stock broker "
         "airline airport train bridge tunnel school hospital doctor nurse police mayor election poll").split()


def sentence(rng: random.Random, n: int = 14) -> str:
    w = [rng.choice(WORDS) for _ in range(n)]
    return w[0].capitalize() + " " + " ".join(w[1:]) + "."


def article(rng: random.Random, paras: int = 3, per: int = 3) -> str:
    return "\n\n".join(" ".join(sentence(rng) for _ in range(per)) for _ in range(paras)) + "\n"


def make_archive(root: Path, n: int, seed: int = 1, prefix: str = "story") -> list[Path]:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        p = root / f"{prefix}{i:04d}.txt"
        p.write_text(article(rng), encoding="utf-8")
        out.append(p)
    return out


def contained_case(root: Path) -> tuple[str, str]:
    """An archive whose story holds a 40-word sentence, and a draft sentence
    made of 10 of its words (containment 1.0, Jaccard ~0.2: LSH misses it)."""
    rng = random.Random(5)
    long = sentence(rng, 40)
    words = long.rstrip(".").split()
    short = " ".join(words[15:25]).capitalize() + "."
    make_archive(root, 3, seed=3)
    (root / "long.txt").write_text(article(rng, 1) + "\n" + long + "\n\n" + article(rng, 1), encoding="utf-8")
    return long, short


def archive_hits(res, short: str) -> list:
    return [c for c in res.clusters if c.kind == "archive-match"
            and any(m.text == short for m in c.members)]


# -- the review UI ------------------------------------------------------------------

#: The terminal size the UI tests run at unless they say otherwise.
SIZE = (120, 36)


def aio(fn):
    """Run an async test with asyncio (no pytest plugin needed)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return run


def make_app(tmp_path, paths=("seeds",), **kw):
    """The review app on ``paths`` with a baseline of its own in ``tmp_path`` (Textual imported here, lazily)."""
    from dedupe.check.baseline import Baseline
    from dedupe.config import Settings
    from dedupe.tui.app import DedupeReviewApp

    bpath = str(tmp_path / "baseline.json")
    kw.setdefault("watch", False)
    return DedupeReviewApp(list(paths), Settings(), baseline=Baseline.load(bpath), baseline_path=bpath, **kw)


async def settle(app, pilot) -> None:
    """Wait for running scans and for the UI to process their results."""
    for _ in range(50):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not app.scanning:
            return
    raise AssertionError("scan did not finish")


# A write-thru update (tests/test_write_thru.py, tests/test_spark.py): the first version of a story and a later
# one reusing its sentences with a figure, a word or a negation changed, and new sentences.
WRITE_THRU_FIRST = """Floods forced some 500 residents from their homes on Monday.

Rescue teams reached the area by boat, officials said.

The army destroyed 40 houses in the village during the night.

Police arrested 12 people after the protest in the capital.

The ministry said the bridge will reopen in the spring.

Schools in the district were closed for the rest of the week.
"""

# the update: figures changed, a word edited, a negation added, new sentences
WRITE_THRU_UPDATE = """Floods forced some 1001 residents from their homes on Monday.

Rescue teams reached the area by helicopter, officials said.

The army destroyed 45 houses in the village during the night.

Police arrested 15 people after the protest in the capital.

The ministry said the bridge will not reopen in the spring.

A second wave of rain is expected to reach the coast by Thursday evening.
"""
