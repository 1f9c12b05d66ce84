"""The command reference, docs/cli.md, is generated from the CLI and must be current."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_command_reference_is_current():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr


def test_reference_lists_every_command():
    text = (ROOT / "docs" / "cli.md").read_text("utf-8")
    for name in ("dedupe scan", "dedupe check", "dedupe report", "dedupe review", "dedupe index add", "dedupe doctor"):
        assert f"## `{name}`" in text
