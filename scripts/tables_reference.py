"""Regenerate docs/tables.md, the reference of every table (settings, output formats, input formats, kinds).

    python scripts/tables_reference.py          # rewrite docs/tables.md
    python scripts/tables_reference.py --check  # exit 1 if docs/tables.md is out of date

Everything in the page comes from the tables themselves (``dedupe.config.KEYS``,
``dedupe.output.registry.FORMATS``, ``dedupe.readers.SPECS``, ``dedupe.kinds.REGISTRY``); tests run
``--check`` so the page never drifts from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "docs" / "tables.md"

HEAD = """# The tables

Generated from the code by `python scripts/tables_reference.py` (checked by the tests): do not edit by hand.
Each concept has one table; every list the CLI, the configuration, the outputs and these pages show derives
from it. How to add an entry: [How it works](architecture.md#adding-a-format-a-kind-or-a-setting).
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(value) if value else "(none)"
    return "(none)" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def reference() -> str:
    from dedupe.config import KEYS
    from dedupe.kinds import REGISTRY
    from dedupe.output.registry import FORMATS
    from dedupe.readers import SPECS

    out = [HEAD, "## Settings and configuration keys (`dedupe/config.py`)", "",
           "Keys take dashes or underscores in a configuration file. *Flags of*: `engine` is scan, check, "
           "report and review; `index` is index add and rebuild; `read` every command that reads files.", "",
           "| key | type | default | range or choices | flags of | stored in | meaning |", "|---|---|---|---|---|---|---|"]
    for k in KEYS.values():
        rng = " / ".join(k.choices) if k.choices else (k.range_text() if k.low is not None or k.high is not None else "")
        flag = (k.flag or f"--{k.dashed}") if k.commands else ""
        where = f"`{flag}`: " + ", ".join(sorted(k.commands)) if k.commands else "config only"
        stored = ", ".join(sorted(k.stored))
        out.append(f"| `{k.dashed}` | {k.type} | {_cell(_default(k.default))} | {_cell(rng)} | {where} | {stored} "
                   f"| {_cell(k.help)} |")
    out += ["", "## Output formats (`dedupe/output/registry.py`)", "", "| format | `scan --format` | `check --format` | what |",
            "|---|---|---|---|"]
    for f in FORMATS.values():
        out.append(f"| `{f.name}` | {'yes' if f.scan else ''} | {'yes' if f.check else ''} | {_cell(f.description)} |")
    out += ["", "## Input formats (`dedupe/readers/formats.py`)", "",
            "| format | extensions | records per file | line numbers are the file's lines |", "|---|---|---|---|"]
    for s in SPECS.values():
        out.append(f"| `{s.name}` | {', '.join(f'`{e}`' for e in s.extensions)} | {'many' if s.many else 'one'} "
                   f"| {'yes' if s.byte_lines else 'no'} |")
    out += ["", "## Finding kinds (`dedupe/kinds.py`)", "", "| kind | rule | default level | labels | reported by default | title |",
            "|---|---|---|---|---|---|"]
    for k in REGISTRY:
        out.append(f"| `{k.name}` | {k.rule} | {k.level} | {' / '.join(dict.fromkeys(k.short_forms))} "
                   f"| {'yes' if k.default else 'no'} | {_cell(k.title)} |")
    out += ["", "Back to [How it works](architecture.md).", ""]
    return "\n".join(out)


def main() -> int:
    new = reference()
    current = TARGET.read_text("utf-8") if TARGET.exists() else ""
    if "--check" in sys.argv[1:]:
        if new != current:
            print("docs/tables.md is out of date: run python scripts/tables_reference.py", file=sys.stderr)
            return 1
        return 0
    if new != current:
        TARGET.write_text(new, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
