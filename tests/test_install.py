"""The README's install, as a new user does it: a clean venv, the interpreter's own pip (no upgrade),
``python -m pip install /path/to/dedupe``; then the installed command must have its compiled kernels and
main-content extraction, and a full site page must lose its chrome.

This is the install `make` does not exercise (make installs editable, pinned by constraints.txt): with
the pip Python 3.11 ships (23.2), a dependency reached only through another package's extra was skipped
once, and extraction was silently off.  Slow (~1 minute: a build and a full dependency install).
"""

from __future__ import annotations

import ensurepip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "tests" / "data" / "readers" / "site_page.html"
REPEAT = "The council approved the new harbour budget by a narrow margin of five votes to four on Monday night."


def source_copy(dest: Path) -> Path:
    """What a clone holds for the build (never this worktree itself: an in-tree build would write into it)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.so", "*.egg-info", "build", ".venv*")
    shutil.copytree(ROOT / "dedupe", dest / "dedupe", ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, dest / name)
    return dest


@pytest.mark.slow
@pytest.mark.timeout(900)  # a build and a full dependency install; slower when the suite shares the cores
def test_readme_install_with_the_interpreters_own_pip(tmp_path):
    src = source_copy(tmp_path / "dedupe")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py, dedupe = venv / "bin" / "python", venv / "bin" / "dedupe"
    pip = subprocess.run([str(py), "-m", "pip", "--version"], capture_output=True, text=True, check=True).stdout
    assert pip.startswith(f"pip {ensurepip.version()} "), pip  # the bundled pip, not an upgraded one
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_CONSTRAINT", "VIRTUAL_ENV", "DEDUPE_"))}
    proc = subprocess.run([str(py), "-m", "pip", "install", "-q", str(src)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]

    doctor = subprocess.run([str(dedupe), "doctor", "--require", "extraction", "--require", "kernels"],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "yes  extraction" in doctor.stdout and "yes  kernels" in doctor.stdout

    page = tmp_path / "story.html"
    shutil.copy(PAGE, page)
    scan = subprocess.run([str(dedupe), "scan", str(page), "--format", "json"], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
    assert scan.returncode == 0 and scan.stderr == "", scan.stderr
    clusters = json.loads(scan.stdout)["clusters"]
    assert [c["members"][0]["text"] for c in clusters] == [REPEAT]  # the site chrome is gone
