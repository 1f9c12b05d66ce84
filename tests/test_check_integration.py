"""Integration files: the composite action's script and the pre-commit hook definition."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SENT = "The storm flooded hundreds of homes along the northern coast on Tuesday night."
FILL = "Rescue teams worked through the night to reach families trapped on their roofs."


def action_script() -> str:
    text = (REPO / "action.yml").read_text()
    step = text.split("- name: dedupe check", 1)[1]
    block = step.split("run: |\n", 1)[1]
    lines = []
    for line in block.splitlines():
        if line.strip() and not line.startswith("        "):
            break
        lines.append(line[8:])
    return "\n".join(lines) + "\n"


def run_action(cwd: Path, **inputs: str):
    bindir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DEDUPE_"))}
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(REPO)
    defaults = {"paths": ".", "against": "", "changed-since": "", "fail-on": "", "baseline": "", "format": "github",
                "output": "", "args": ""}
    defaults.update(inputs)
    for k, v in defaults.items():
        env["DEDUPE_" + k.upper().replace("-", "_")] = v
    env.update(EVENT_NAME="push", BASE_REF="")
    return subprocess.run(["bash", "-e", "-c", action_script()], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_action_script_builds_the_command_and_fails_on_findings(tmp_path):
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "a b.txt").write_text(f"{SENT}\n\n{FILL}\n\n{SENT}\n")  # a space in the name
    r = run_action(tmp_path, paths="drafts", args="--threshold 0.8")
    assert r.returncode == 1, r.stderr
    assert r.stdout.splitlines()[0] == "dedupe check drafts --format github --threshold 0.8"
    assert "::error file=drafts/a b.txt,line=1," in r.stdout
    r = run_action(tmp_path, paths="drafts", **{"fail-on": "none", "format": "sarif", "output": "out.sarif"})
    assert r.returncode == 0, r.stderr
    assert '"version": "2.1.0"' in (tmp_path / "out.sarif").read_text()


def test_action_inputs_are_not_evaluated_by_the_shell(tmp_path):
    (tmp_path / "a.txt").write_text(f"{FILL}\n")
    r = run_action(tmp_path, paths="a.txt", args="$(touch pwned) `touch pwned2`")
    assert r.returncode == 2  # passed to dedupe as odd arguments, rejected there
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


def test_pre_commit_hook_definition():
    text = (REPO / ".pre-commit-hooks.yaml").read_text()
    assert re.search(r"^- id: dedupe$", text, re.M)
    assert re.search(r"^  entry: dedupe check$", text, re.M)
    assert re.search(r"^  language: python$", text, re.M)
    assert re.search(r"^  require_serial: true$", text, re.M)
    files = re.search(r"^  files: (.+)$", text, re.M).group(1)
    for name in ("a.md", "b.markdown", "c.txt", "d.html", "e.htm", "f.docx"):
        assert re.search(files, name), name
    for name in ("g.py", "h.json", "i.md.bak"):
        assert not re.search(files, name), name


def test_pre_commit_style_invocation_on_filenames(tmp_path):
    """pre-commit runs `dedupe check FILE...` on staged files: exit 1 blocks the commit."""
    (tmp_path / "ok.md").write_text(f"{FILL}\n")
    (tmp_path / "bad.md").write_text(f"{SENT}\n\n{FILL}\n\n{SENT}\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("GITHUB_ACTIONS", None)
    ok = subprocess.run([sys.executable, "-m", "dedupe", "check", "ok.md"], cwd=tmp_path, env=env, capture_output=True)
    bad = subprocess.run([sys.executable, "-m", "dedupe", "check", "ok.md", "bad.md"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert ok.returncode == 0 and bad.returncode == 1
    assert "bad.md:1:1: error DD101" in bad.stdout
