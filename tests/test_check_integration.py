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


def action_step(name: str) -> str:
    import yaml

    action = yaml.safe_load((REPO / "action.yml").read_text())
    return next(s["run"] for s in action["runs"]["steps"] if name in (s.get("id"), s.get("name")))


def run_action(cwd: Path, **inputs: str):
    """The action's check step, then its result step: (exit code of the job, check step's stdout, outputs)."""
    bindir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DEDUPE_"))}
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(REPO)
    defaults = {"paths": ".", "against": "", "changed-since": "", "fail-on": "", "baseline": "", "config": "",
                "format": "github", "sarif": "", "upload-sarif": "false", "max-annotations": "", "args": ""}
    defaults.update(inputs)
    for k, v in defaults.items():
        env["DEDUPE_" + k.upper().replace("-", "_")] = v
    out = cwd / ".github_output"
    out.write_text("")
    env.update(EVENT_NAME="push", BASE_REF="", GITHUB_OUTPUT=str(out), RUNNER_TEMP=str(cwd),
               DEDUPE_PYTHON=sys.executable)
    wrapper = cwd / ".dedupe"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m dedupe "$@"\n')
    wrapper.chmod(0o755)
    env["DEDUPE_BIN"] = str(wrapper)
    step = subprocess.run(["bash", "-e", "-c", action_step("check")], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)
    assert step.returncode == 0, step.stderr  # the step records the code; the last step fails the job
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    last = subprocess.run(["bash", "-c", action_step("Result")], env={**env, "CODE": outputs["exit-code"]})
    return last.returncode, step.stdout, outputs


def test_action_script_builds_the_command_and_fails_on_findings(tmp_path):
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "a b.txt").write_text(f"{SENT}\n\n{FILL}\n\n{SENT}\n")  # a space in the name
    code, stdout, outputs = run_action(tmp_path, paths="drafts", args="--threshold\n0.8")
    assert code == 1
    assert stdout.splitlines()[0].startswith(f"{tmp_path / '.dedupe'} check drafts --format github ")
    assert stdout.splitlines()[0].endswith(" --threshold 0.8 ")
    assert "::error file=drafts/a b.txt,line=1," in stdout
    assert outputs["findings"] == "1" and outputs["failing"] == "1" and outputs["sarif"] == ""
    code, _, outputs = run_action(tmp_path, paths="drafts", **{"fail-on": "none", "sarif": "out.sarif"})
    assert code == 0 and outputs["sarif"] == "out.sarif"
    assert '"version": "2.1.0"' in (tmp_path / "out.sarif").read_text()


def test_action_inputs_are_not_evaluated_by_the_shell(tmp_path):
    (tmp_path / "a.txt").write_text(f"{FILL}\n")
    code, _, outputs = run_action(tmp_path, paths="a.txt", args="$(touch pwned)\n`touch pwned2`")
    assert code == 2 and outputs["exit-code"] == "2"  # passed to dedupe as odd arguments, rejected there
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


def test_pre_commit_hook_definition():
    text = (REPO / ".pre-commit-hooks.yaml").read_text()
    assert re.search(r"^- id: dedupe$", text, re.M)
    assert re.search(r"^  entry: dedupe check$", text, re.M)
    assert re.search(r"^  args: \[--context, \.\]$", text, re.M)
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
