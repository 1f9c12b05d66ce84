"""Regenerate the command reference in README.md from the CLI itself.

    python scripts/cli_reference.py          # rewrite the block in README.md
    python scripts/cli_reference.py --check  # exit 1 if README.md is out of date

The block sits between ``<!-- cli-reference start -->`` and
``<!-- cli-reference end -->``; tests run ``--check`` so the reference never
drifts from the code (the sqlite-utils / cog approach).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

README = Path(__file__).resolve().parent.parent / "README.md"
START = "<!-- cli-reference start -->"
END = "<!-- cli-reference end -->"


def _walk(cmd: click.Command, path: tuple[str, ...]):
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.commands):
            yield from _walk(cmd.commands[name], path + (name,))


def reference() -> str:
    from dedupe.cli.main import main

    parts = []
    for path, cmd in _walk(main, ()):
        name = " ".join(("dedupe",) + path)
        ctx = click.Context(cmd, info_name=name, terminal_width=100, max_content_width=100)
        help_text = cmd.get_help(ctx)
        parts.append(f"### `{name}`\n\n```text\n{help_text}\n```\n")
    return "\n".join(parts)


def render(readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n\n{reference()}\n{END}{tail}"


def main() -> int:
    current = README.read_text("utf-8")
    new = render(current)
    if "--check" in sys.argv[1:]:
        if new != current:
            print("README.md command reference is out of date: run python scripts/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    if new != current:
        README.write_text(new, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
