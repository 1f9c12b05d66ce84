"""The core library never imports a terminal-UI library."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: Every module of the headless core: everything but the front ends (cli/, tui/, __main__).
CORE = sorted(
    ".".join(p.relative_to(REPO / "dedupe").with_suffix("").parts).removesuffix(".__init__").removesuffix("__init__")
    for p in (REPO / "dedupe").rglob("*.py")
    if p.relative_to(REPO / "dedupe").parts[0] not in ("cli", "tui", "__main__.py")
)


def test_core_module_list_is_complete():
    for name in ("", "engine.pipeline", "output.registry", "findings", "text.split", "text.quotes", "text.units",
                 "sketch.shingles", "sketch.signatures", "sketch.lsh", "sketch.containment", "sketch.verify", "config",
                 "readers", "documents", "text.normalize", "index", "check.rules", "kernels"):
        assert name in CORE, name


def test_core_imports_no_textual_or_rich(tmp_path):
    mods = ["dedupe"] + [f"dedupe.{m}" for m in CORE if m]
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(len(sys.modules))\n"
        "assert not bad, bad\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert p.returncode == 0, p.stderr


def test_scan_runs_without_ui_libraries(tmp_path):
    seed = REPO / "seeds" / "000_f6852705ebf30c58.txt"
    code = (
        "import sys\n"
        "from dedupe import scan\n"
        "from dedupe.output.registry import render\n"
        f"r = scan([{str(seed)!r}])\n"
        "render(r, 'text'); render(r, 'json')\n"
        "assert len(r.clusters) == 2\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "assert not bad, bad\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert p.returncode == 0, p.stderr


def test_cli_scan_does_not_load_textual(tmp_path):
    seed = REPO / "seeds" / "000_f6852705ebf30c58.txt"
    code = (
        "import sys\n"
        "from dedupe.cli.main import main\n"
        f"try:\n    main(['scan', {str(seed)!r}, '--format', 'json'])\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "assert 'textual' not in sys.modules\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
