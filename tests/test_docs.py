"""Every command and every long option is documented in README.md."""

from __future__ import annotations

import re
from pathlib import Path

import click

from dedupe.cli.main import main

README = Path(__file__).resolve().parent.parent / "README.md"


def walk(group: click.Group, prefix: tuple[str, ...] = ()):
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


def test_commands_exist():
    names = [" ".join(path) for path, _ in walk(main) if path]
    assert "scan" in names


def test_every_command_documented():
    readme = README.read_text("utf-8")
    missing = []
    for path, _ in walk(main):
        if not path:
            continue
        name = "dedupe " + " ".join(path)
        if name not in readme:
            missing.append(name)
    assert not missing, f"commands not documented in README.md: {missing}"


def test_every_long_option_documented():
    readme = README.read_text("utf-8")
    missing = []
    for path, cmd in walk(main):
        for opt in sorted(long_options(cmd)):
            if opt == "--help":
                continue
            if not re.search(re.escape(opt) + r"(?![\w-])", readme):
                missing.append(f"{' '.join(('dedupe',) + path)} {opt}")
    assert not missing, f"options not documented in README.md: {missing}"
