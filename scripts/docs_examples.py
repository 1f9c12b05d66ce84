"""Regenerate (or check) every example in README.md and docs/ from the real tool.

    python scripts/docs_examples.py          # rewrite the outputs, the review screens and docs/cli.md
    python scripts/docs_examples.py --check  # exit 1 when one differs (tests/test_examples.py runs this)

``make docs`` runs the first.  Three kinds of example:

* **Command blocks**: every fenced block marked ``console`` in README.md or docs/*.md.  A line starting
  with ``$ `` is a command, run by ``bash -c`` in a scratch folder holding a copy of ``seeds/`` and
  ``tests/data/``, with this Python's ``dedupe`` first on ``PATH``, no colour, 100 columns; the lines up to
  the next command are what it prints (standard output and error, in the order written).  The commands of one
  block share the folder, in order; each block starts from a fresh copy.  Only timings are normalised
  (``0.04 s``, ``12 ms`` and JSON's ``"seconds"`` compare equal to any other figure).
* **Screens**: a ``text`` block right after ``<!-- screen: NAME -->`` is the review UI of :data:`SCREENS`
  ``NAME``, run as ``dedupe review`` runs it (the same command function, in this process) at a fixed
  size, the keys pressed, rendered as text; the SVG beside it (``docs/NAME.svg``) is the same frame.
* **The key table** in docs/review.md (``<!-- keys start -->``): the review UI's own ``dedupe.tui.keys.KEYS``.
* **The module map** in docs/architecture.md (between ``<!-- modules start -->`` and ``<!-- modules end -->``):
  every module of ``dedupe/``, layer by layer, with the first line of its docstring.
* **docs/cli.md**: the command reference, from the CLI itself (``scripts/cli_reference.py``).
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

FENCE = re.compile(r"^```console\n(.*?)^```\n", re.S | re.M)
SCREEN = re.compile(r"^<!-- screen: ([\w-]+) -->\n```text\n(.*?)^```\n", re.S | re.M)
TIMING = re.compile(r"\b\d+(?:\.\d+)? ?(?:s|ms)\b")


@dataclass(frozen=True)
class Screen:
    args: tuple[str, ...]
    keys: tuple[str, ...]
    size: tuple[int, int] = (120, 36)


SCREENS = {
    "review-seed": Screen(("seeds/", "--exclude", "README.md", "--exclude", "archive/*", "--against", "seeds/archive",
                           "--no-watch"), ("down",)),
    "review-seed-80": Screen(("seeds/", "--exclude", "README.md", "--exclude", "archive/*", "--against", "seeds/archive",
                              "--no-watch"), (), (80, 24)),
}


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def scratch() -> Path:
    """A folder with what the examples read: copies of seeds/ and tests/data/."""
    where = Path(tempfile.mkdtemp(prefix="dedupe-docs-"))
    shutil.copytree(ROOT / "seeds", where / "seeds")
    shutil.copytree(ROOT / "tests" / "data", where / "tests" / "data")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=where, check=True)
    return where


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEDUPE_", "GITHUB_", "CI", "FORCE_COLOR"))}
    env.update(NO_COLOR="1", COLUMNS="100", LINES="40", TERM="dumb", LC_ALL="C.UTF-8", PYTHONHASHSEED="0",
               PYTHONUNBUFFERED="1",  # standard output and error interleaved as a terminal shows them
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               GIT_AUTHOR_NAME="dedupe", GIT_AUTHOR_EMAIL="docs@example.org", GIT_COMMITTER_NAME="dedupe",
               GIT_COMMITTER_EMAIL="docs@example.org")
    return env


def run_block(body: str) -> str:
    """The block with each command's output replaced by what it prints now."""
    out: list[str] = []
    where = scratch()
    try:
        env = environment()
        for line in body.splitlines():
            if not line.startswith("$ "):
                continue
            proc = subprocess.run(["bash", "-c", line[2:]], cwd=where, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=300)
            out.append(line)
            printed = proc.stdout.replace(str(where) + "/", "").replace(str(where), ".")
            out.extend(printed.rstrip("\n").splitlines() if printed.strip() else [])
    finally:
        shutil.rmtree(where, ignore_errors=True)
    return "\n".join(out) + "\n"


def screen(name: str) -> tuple[str, str]:
    """The review UI of SCREENS[name]: (text, svg)."""
    spec = SCREENS[name]
    where = scratch()
    captured: dict[str, str] = {}
    from dedupe.tui.app import DedupeReviewApp

    def capture(app: DedupeReviewApp, *_args: object, **_kwargs: object) -> None:
        async def go() -> None:
            async with app.run_test(size=spec.size) as pilot:
                for _ in range(100):
                    await app.workers.wait_for_complete()
                    await pilot.pause()
                    if not app.scanning:
                        break
                for key in spec.keys:
                    await pilot.press(key)
                await pilot.pause()
                await pilot.pause(0.2)
                captured["svg"] = app.export_screenshot(title="dedupe review")
                captured["text"] = render_text(app)

        asyncio.run(go())

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    from dedupe.cli.main import main

    old = (os.getcwd(), DedupeReviewApp.run, sys.stdin, sys.stdout, dict(os.environ))
    try:
        os.chdir(where)
        os.environ.update({k: v for k, v in environment().items() if k in ("NO_COLOR", "COLUMNS", "LINES", "TERM")})
        DedupeReviewApp.run = capture  # type: ignore[method-assign,assignment]
        sys.stdin, sys.stdout = Tty(), Tty()
        try:
            main.main(["review", *spec.args], standalone_mode=False)
        finally:
            sys.stdin, sys.stdout = old[2], old[3]
    finally:
        DedupeReviewApp.run = old[1]  # type: ignore[method-assign]
        os.chdir(old[0])
        os.environ.clear()
        os.environ.update(old[4])
        shutil.rmtree(where, ignore_errors=True)
    if "svg" not in captured:
        raise SystemExit(f"screen {name}: dedupe review {' '.join(spec.args)} did not open the app")
    svg = captured["svg"]
    svg = re.sub(r"terminal-\d+", "terminal", svg)  # rich's id hashes the content: keep it stable
    return captured["text"], svg


def render_text(app) -> str:  # noqa: ANN001 - a running textual App
    """The current frame as plain text, as the SVG export renders it."""
    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system=None,
                      record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    lines = [line.rstrip() for line in console.export_text().splitlines()]
    return "\n".join(lines).rstrip("\n") + "\n"


SECONDS = re.compile(r'("seconds": )[0-9.e-]+')


#: The layers, bottom up (the order of the module map); top-level modules first.
LAYERS = ("", "readers", "text", "sketch", "kernels", "engine", "semantic", "index", "check", "output", "cli", "tui")
MODULES = re.compile(r"(<!-- modules start -->\n).*?(<!-- modules end -->)", re.S)


def module_map() -> str:
    """One table row per module of dedupe/, in layer order: path and the first line of its docstring."""
    import ast

    package = ROOT / "dedupe"
    rows: list[tuple[int, str, str]] = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        layer = rel.split("/")[0] if "/" in rel else ""
        doc = ast.get_docstring(ast.parse(path.read_text("utf-8"))) or ""
        first = " ".join(doc.strip().split("\n\n")[0].split()) if doc.strip() else ""
        first = first.split(". ")[0].rstrip(".").replace("|", "\\|")
        if not first or first == layer:
            first = {"__main__.py": "``python -m dedupe``", "tui/__init__.py": "the review UI package"}.get(
                rel, f"the {layer or 'dedupe'} package")
        first = re.sub(r":(?:func|class|mod|meth|data):`~?([^`]+)`", r"`\1`", first).replace("``", "`")
        rank = LAYERS.index(layer) if layer in LAYERS else len(LAYERS)
        rows.append((rank, rel, first))
    rows.sort(key=lambda r: (r[0], r[1].count("/") > 1, r[1]))
    lines = ["| module | what |", "|---|---|"] + [f"| `dedupe/{rel}` | {what} |" for _, rel, what in rows]
    return "\n".join(lines) + "\n"


KEYS_BLOCK = re.compile(r"(<!-- keys start -->\n).*?(<!-- keys end -->)", re.S)


def key_table() -> str:
    """The review UI's keys as its own table (dedupe.tui.keys) lists them."""
    from dedupe.tui.keys import KEYS

    rows = ["| key | in | what it does |", "|---|---|---|"]
    for k in KEYS:
        keys = " ".join(f"`{d}`" for d in k.display.split())
        what = k.help.replace("|", "\\|")
        where = {"app": "anywhere", "list": "the list", "detail": "the detail"}.get(k.scope, k.scope)
        rows.append(f"| {keys} | {where} | {what} |")
    return "\n".join(rows) + "\n"


def normal(text: str) -> str:
    return SECONDS.sub(r"\1N", TIMING.sub("N s", text))


def update_page(path: Path, check: bool, svgs: dict[str, str]) -> list[str]:
    """Regenerate one page's examples; the names of those that differ."""
    text = path.read_text("utf-8")
    stale: list[str] = []

    def block(m: re.Match[str]) -> str:
        new = run_block(m.group(1))
        if normal(new) != normal(m.group(1)):
            stale.append(f"{path.relative_to(ROOT)}: {m.group(1).splitlines()[0]}")
            return f"```console\n{new}```\n"
        return m.group(0)

    def shot(m: re.Match[str]) -> str:
        name = m.group(1)
        new, svg = screen(name)
        svgs[name] = svg
        if new != m.group(2):
            stale.append(f"{path.relative_to(ROOT)}: screen {name}")
            return f"<!-- screen: {name} -->\n```text\n{new}```\n"
        return m.group(0)

    updated = SCREEN.sub(shot, FENCE.sub(block, text))
    if KEYS_BLOCK.search(updated):
        table = key_table()
        new_text = KEYS_BLOCK.sub(lambda m: m.group(1) + table + m.group(2), updated)
        if new_text != updated:
            stale.append(f"{path.relative_to(ROOT)}: the key table")
            updated = new_text
    if MODULES.search(updated):
        table = module_map()
        new_text = MODULES.sub(lambda m: m.group(1) + table + m.group(2), updated)
        if new_text != updated:
            stale.append(f"{path.relative_to(ROOT)}: the module map")
            updated = new_text
    if not check and updated != text:
        path.write_text(updated, "utf-8")
    return stale


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale: list[str] = []
    svgs: dict[str, str] = {}
    for page in pages():
        stale += update_page(page, check, svgs)
    for name, svg in svgs.items():
        target = ROOT / "docs" / f"{name}.svg"
        if not target.exists() or target.read_text("utf-8") != svg:
            stale.append(f"docs/{name}.svg")
            if not check:
                target.write_text(svg, "utf-8")
    import cli_reference

    run_reference: Callable[[list[str]], int] = cli_reference.main
    if run_reference(["--check"] if check else []) != 0:
        stale.append("docs/cli.md")
    if stale:
        verb = "out of date (run make docs)" if check else "regenerated"
        print(f"{verb}:\n  " + "\n  ".join(stale), file=sys.stderr)
        return 1 if check else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
