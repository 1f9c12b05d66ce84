"""The command reference in README.md is generated from the CLI and must be current."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_command_reference_is_current():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr


def test_reference_lists_every_command():
    text = (ROOT / "README.md").read_text("utf-8")
    block = text.split("<!-- cli-reference start -->", 1)[1].split("<!-- cli-reference end -->", 1)[0]
    for name in ("dedupe scan", "dedupe check", "dedupe report", "dedupe review", "dedupe index add"):
        assert f"### `{name}`" in block
