"""The documentation: every relative link resolves, every page in docs/ is reachable from the README,
and every command and long option is documented (the generated reference included)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import click

from dedupe.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text("utf-8"))
    return [a or b for a, b in LINK.findall(text)]


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes."""
    out = set()
    for line in FENCE.sub("", page.read_text("utf-8")).splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            out.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return out


def resolve(page: Path, target: str) -> tuple[Path, str]:
    path, _, frag = target.partition("#")
    return ((page.parent / unquote(path)).resolve() if path else page), frag


def test_every_relative_link_resolves():
    broken = []
    for page in [README, *DOCS, ROOT / "seeds" / "README.md"]:
        for target in links(page):
            if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
                continue
            path, frag = resolve(page, target)
            if not path.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
            elif frag and path.suffix == ".md" and frag not in anchors(path):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, broken


def test_every_docs_page_is_reachable_from_the_readme():
    seen, todo = set(), [README.resolve()]
    while todo:
        page = todo.pop()
        if page in seen or page.suffix != ".md" or not page.exists():
            continue
        seen.add(page)
        for target in links(page):
            if not re.match(r"[a-z]+:", target):
                todo.append(resolve(page, target)[0])
    unreachable = [p.name for p in DOCS if p.resolve() not in seen]
    assert not unreachable, f"docs pages no link leads to from README.md: {unreachable}"


def test_the_readme_stays_short():
    assert len(README.read_text("utf-8").splitlines()) <= 300


def walk(group: click.Command, prefix: tuple[str, ...] = ()):
    yield prefix, group
    if isinstance(group, click.Group):
        for name, cmd in sorted(group.commands.items()):
            yield from walk(cmd, prefix + (name,))


def long_options(cmd: click.Command) -> set[str]:
    out = set()
    for p in cmd.params:
        if isinstance(p, click.Option):
            for o in list(p.opts) + list(p.secondary_opts):
                if o.startswith("--"):
                    out.add(o)
    return out


def documentation() -> str:
    return "\n".join(p.read_text("utf-8") for p in [README, *DOCS])


def test_every_command_documented():
    docs = documentation()
    missing = ["dedupe " + " ".join(path) for path, _ in walk(main) if path and "dedupe " + " ".join(path) not in docs]
    assert not missing, f"commands not documented: {missing}"


def test_every_long_option_documented():
    docs = documentation()
    missing = []
    for path, cmd in walk(main):
        for opt in sorted(long_options(cmd) - {"--help"}):
            if not re.search(re.escape(opt) + r"(?![\w-])", docs):
                missing.append(f"{' '.join(('dedupe',) + path)} {opt}")
    assert not missing, f"options not documented: {missing}"


def test_configuration_examples_are_accepted(tmp_path):
    """Every TOML block in docs/ is a configuration dedupe accepts (an unknown key or bad value is exit 2)."""
    import shutil
    import subprocess
    import sys

    blocks = [(p.name, b) for p in DOCS for b in re.findall(r"^```toml\n(.*?)^```", p.read_text("utf-8"), re.S | re.M)]
    assert len(blocks) >= 2
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    cli = [sys.executable, "-m", "dedupe"]
    subprocess.run([*cli, "index", "add", "seeds/archive"], cwd=tmp_path, check=True, capture_output=True)
    for name, block in blocks:
        (tmp_path / ".dedupe.toml").write_text(block, "utf-8")
        r = subprocess.run([*cli, "check", "seeds/000_f6852705ebf30c58.txt", "--config", ".dedupe.toml"],
                           cwd=tmp_path, capture_output=True, text=True)
        assert r.returncode in (0, 1) and "error:" not in r.stderr, (name, r.stderr)
