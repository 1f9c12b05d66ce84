"""Regenerate the command reference, docs/cli.md, from the CLI itself.

    python scripts/cli_reference.py          # rewrite docs/cli.md
    python scripts/cli_reference.py --check  # exit 1 if docs/cli.md is out of date

Every command's ``--help`` as Click renders it at 100 columns; tests run
``--check`` so the reference never drifts from the code (the sqlite-utils /
cog approach).  ``make docs`` runs it with the other generated examples.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

TARGET = Path(__file__).resolve().parent.parent / "docs" / "cli.md"

HEAD = """# Command reference

Generated from the CLI by `scripts/cli_reference.py` (`make docs`); `tests/test_readme_reference.py` fails
when it is out of date. Back to the [README](../README.md).

"""


def _walk(cmd: click.Command, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.commands):
            yield from _walk(cmd.commands[name], path + (name,))


def reference() -> str:
    from dedupe.cli.main import main

    parts = []
    for path, cmd in _walk(main, ()):
        name = " ".join(("dedupe",) + path)
        ctx = click.Context(cmd, info_name=name, terminal_width=100, max_content_width=100,
                            help_option_names=["-h", "--help"])  # as main's context_settings
        help_text = cmd.get_help(ctx)
        parts.append(f"## `{name}`\n\n```text\n{help_text}\n```\n")
    return HEAD + "\n".join(parts)


def main(argv: list[str]) -> int:
    new = reference()
    current = TARGET.read_text("utf-8") if TARGET.exists() else ""
    if "--check" in argv:
        if new != current:
            print("docs/cli.md is out of date: run make docs (or python scripts/cli_reference.py)", file=sys.stderr)
            return 1
        return 0
    if new != current:
        TARGET.write_text(new, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
