"""Every command output and screen shown in README.md and docs/ is what the tool prints today
(scripts/docs_examples.py re-runs each; `make docs` regenerates them)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.tui
@pytest.mark.timeout(900)
def test_shown_examples_are_current():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "docs_examples.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr


def test_the_readme_shows_examples():
    text = (ROOT / "README.md").read_text("utf-8")
    assert text.count("```console") >= 3 and "<!-- screen: review-seed -->" in text
