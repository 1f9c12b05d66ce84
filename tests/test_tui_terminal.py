"""``dedupe review`` in a real terminal: tmux runs it, send-keys types, capture-pane reads the screen.

tmux is part of the project's set-up (the apt installs); without it these tests fail, they do not skip.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED_ARGS = ["seeds/", "--exclude", "README.md", "--exclude", "archive/*", "--against", "seeds/archive"]


class Term:
    """One tmux session running one command (its own server socket: nothing shared with the user's tmux)."""

    def __init__(self, args: list[str], width: int, height: int, cwd: Path, env: dict[str, str] | None = None) -> None:
        tmux = shutil.which("tmux")
        assert tmux, "tmux is not installed: the project's set-up must install it (apt-get install tmux)"
        self.tmux = [tmux, "-L", f"dedupe-test-{uuid.uuid4().hex[:8]}", "-f", "/dev/null"]
        self.name = "review"
        extra = {"PYTHONPATH": str(REPO), "TERM": "xterm-256color", "COLORTERM": "truecolor", **(env or {})}
        env_words = " ".join(f"{k}={shlex.quote(v)}" for k, v in extra.items())
        # COLUMNS/LINES (set by some runners) would override the pane's size in Textual
        # the shell stays to write the review's exit status (tmux's own #{pane_dead_status} came back empty)
        self.status_file = Path(f"/tmp/dedupe-test-{uuid.uuid4().hex[:8]}.status")
        cmd = (f"cd {shlex.quote(str(cwd))} && unset COLUMNS LINES && {env_words} "
               f"{shlex.join([sys.executable, '-m', 'dedupe', *args])}; echo $? > {self.status_file}")
        subprocess.run([*self.tmux, "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), cmd],
                       check=True, timeout=30)
        subprocess.run([*self.tmux, "set-option", "-t", self.name, "remain-on-exit", "on"], check=True, timeout=10)
        shell = int(self._out("display-message", "-p", "-t", self.name, "#{pane_pid}"))
        self.pid = self._child(shell)  # the review itself: signals and RSS go to it

    @staticmethod
    def _child(parent: int) -> int:
        end = time.monotonic() + 30
        while time.monotonic() < end:
            for d in Path("/proc").iterdir():
                if d.name.isdigit():
                    try:
                        stat = (d / "stat").read_text()
                    except OSError:
                        continue
                    if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                        return int(d.name)
            time.sleep(0.05)
        raise AssertionError("the review did not start")

    def _out(self, *args: str) -> str:
        return subprocess.run([*self.tmux, *args], check=False, capture_output=True, text=True, timeout=30).stdout

    def screen(self) -> str:
        return self._out("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str, pause: float = 0.3) -> None:
        """Send keys one at a time (an Escape followed at once by a key would read as alt+key)."""
        for k in keys:
            subprocess.run([*self.tmux, "send-keys", "-t", self.name, k], check=True, timeout=10)
            time.sleep(pause)

    def type(self, text: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, "-l", text], check=True, timeout=10)
        time.sleep(0.3)

    def wait_for(self, pred, what: str, timeout: float = 60.0) -> str:
        """Poll the screen until ``pred(screen)`` holds (the limit only bounds a broken run)."""
        end = time.monotonic() + timeout
        s = ""
        while time.monotonic() < end:
            s = self.screen()
            if pred(s):
                return s
            time.sleep(0.2)
        raise AssertionError(f"never saw {what}; the screen was:\n{s}")

    def wait_text(self, text: str, timeout: float = 60.0) -> str:
        return self.wait_for(lambda s: text in s, repr(text), timeout)

    def dead(self) -> bool:
        return self._out("display-message", "-p", "-t", self.name, "#{pane_dead}").strip() == "1"

    def wait_exit(self, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.dead():
                return
            time.sleep(0.2)
        raise AssertionError(f"the review did not exit; the screen was:\n{self.screen()}")

    def exit_status(self) -> int:
        """The review's exit status, as its shell saw it."""
        end = time.monotonic() + 10
        while time.monotonic() < end:
            out = self.status_file.read_text().strip() if self.status_file.exists() else ""
            if out.isdigit():
                return int(out)
            time.sleep(0.1)
        raise AssertionError("the review's exit status was never written")

    def resize(self, width: int, height: int) -> None:
        subprocess.run([*self.tmux, "resize-window", "-t", self.name, "-x", str(width), "-y", str(height)],
                       check=True, timeout=10)

    def rss_mb(self) -> float:
        """Resident memory of the review (the pane runs it with exec: the pane's pid is the review's)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def close(self) -> None:
        self.status_file.unlink(missing_ok=True)
        subprocess.run([*self.tmux, "kill-server"], check=False, capture_output=True, timeout=30)


@pytest.fixture
def term_factory():
    made: list[Term] = []

    def make(args: list[str], size: tuple[int, int], cwd: Path = REPO, env: dict[str, str] | None = None) -> Term:
        t = Term(args, *size, cwd=cwd, env=env)
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()


def status_line(screen: str) -> str:
    """The status line: the first line, and the next ones while a line ends with its separator."""
    lines = screen.splitlines()
    out = []
    for line in lines:
        out.append(line.strip())
        if not line.rstrip().endswith(" ·"):
            break
    return " ".join(out)


def toasts(screen: str) -> str:
    """The text of the notifications (drawn at the right, each line after a ``▌``), joined into words."""
    return " ".join(" ".join(line.rsplit("▌", 1)[1].split()) for line in screen.splitlines() if "▌" in line)


def footer(screen: str) -> str:
    lines = screen.rstrip("\n").splitlines()
    return lines[-1] if lines else ""


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_open_move_filter_decide_threshold_save_quit(term_factory, tmp_path, size):
    bpath = tmp_path / "baseline.json"
    t = term_factory(["review", *SEED_ARGS, "--baseline", str(bpath), "--no-watch"], size)
    s = t.wait_for(lambda s: "0.70" in status_line(s) and "Quit" in footer(s), "the status line and the footer")
    top = status_line(s)  # it may take two lines at 80 columns, never cut
    for words in ("4 articles + 2 archive", "9 clusters", "9 rows listed", "0 hidden", "threshold 0.70",
                  "sort: severity"):
        assert words in top, (words, top)
    assert all(len(line) <= size[0] for line in s.splitlines())
    assert all(k in footer(s) for k in ("s Save", "? Help", "q Quit", "a Accept", "/ Filter"))
    t.keys("Down", "Down", "Up")
    # filter by a name that is in the copies' paragraph (not in the repeated sentence itself)
    t.keys("/")
    t.type("Psaki")
    t.keys("Enter")
    s = t.wait_for(lambda s: "Psaki" in status_line(s), "the filter in the status line")
    assert "Nothing matches" not in s
    t.wait_text("President Biden")
    # decide: the unsaved count shows
    t.keys("a")
    t.wait_for(lambda s: "1 unsaved" in status_line(s), "1 unsaved")
    # + raises the threshold: the new value shows
    t.keys("+")
    s = t.wait_for(lambda s: "0.75" in status_line(s), "threshold 0.75")
    assert "Psaki" in status_line(s) and "1 unsaved" in status_line(s)
    # quitting from the palette with an unsaved decision asks first
    t.keys("C-p")
    t.wait_text("🔎")
    t.type("quit")
    s = t.wait_text("Quit review")
    assert "Quit the application" not in s  # Textual's own quit (no question asked) is gone
    t.keys("Enter")
    t.wait_text("Save them to the baseline before quitting?")
    assert not t.dead()
    t.keys("Escape", pause=0.6)
    t.wait_for(lambda s: "before quitting" not in s, "the dialog closed")
    # save, then q quits at once
    t.keys("s")
    t.wait_for(lambda s: "unsaved" not in status_line(s), "saved")
    data = json.loads(bpath.read_text())
    assert len(data["accepted"]) == 1
    assert data["settings"]["threshold"] == 0.75 and data["settings"]["ngram"]  # like check --update-baseline
    t.keys("q")
    t.wait_exit()


def test_psaki_cluster_shows_literal_markup_and_q_quits(term_factory, tmp_path):
    d = tmp_path / "drafts"
    d.mkdir()
    quote = ("“We will respond [decisively] if Russia [bold]invades[/bold] Ukraine again,” "
             "press secretary Jen Psaki said on Tuesday.")
    (d / "psaki.txt").write_text(f"{quote}\n\nOfficials met in Geneva for talks.\n\n{quote}\n", encoding="utf-8")
    t = term_factory(["review", "drafts", "--baseline", str(tmp_path / "b.json"), "--no-watch"], (120, 36),
                     cwd=tmp_path)
    s = t.wait_text("Psaki said")
    assert len(s.splitlines()[0]) > 80  # the pane's own size, not a default
    flat = " ".join(s.split())
    assert "[decisively]" in flat and "[bold]invades[/bold]" in flat
    t.keys("q")
    t.wait_exit()


def test_killed_review_offers_its_decisions_back(term_factory, tmp_path):
    bpath = tmp_path / "baseline.json"
    args = ["review", *SEED_ARGS, "--baseline", str(bpath), "--no-watch"]
    t = term_factory(args, (80, 24))
    t.wait_for(lambda s: "0.70" in status_line(s), "the seed opened")
    t.keys("a", "j", "a")
    t.wait_for(lambda s: "2 unsaved" in status_line(s), "2 unsaved")
    journal = Path(str(bpath) + ".review-journal")
    assert len(json.loads(journal.read_text())["decisions"]) == 2
    os.kill(t.pid, signal.SIGKILL)  # a crash: nothing runs on the way out
    t.wait_exit()
    assert not bpath.exists()
    t2 = term_factory(args, (80, 24))
    t2.wait_text("2 unsaved decisions from an earlier review")
    t2.keys("r")
    t2.wait_for(lambda s: "2 unsaved" in status_line(s), "the decisions restored")
    t2.keys("s")
    t2.wait_for(lambda s: "unsaved" not in status_line(s), "saved")
    assert len(json.loads(bpath.read_text())["accepted"]) == 2 and not journal.exists()
    t2.keys("q")
    t2.wait_exit()


def test_sigterm_asks_and_ctrl_c_asks(term_factory, tmp_path):
    bpath = tmp_path / "baseline.json"
    t = term_factory(["review", *SEED_ARGS, "--baseline", str(bpath), "--no-watch"], (80, 24))
    t.wait_for(lambda s: "0.70" in status_line(s), "the seed opened")
    t.keys("a")
    t.wait_for(lambda s: "1 unsaved" in status_line(s), "1 unsaved")
    t.keys("C-c")
    t.wait_text("before quitting?")
    t.keys("Escape", pause=0.6)
    t.wait_for(lambda s: "before quitting" not in s, "the dialog closed")
    os.kill(t.pid, signal.SIGTERM)
    t.wait_text("before quitting?")
    assert not t.dead()
    os.kill(t.pid, signal.SIGTERM)  # asked twice: quit, the decision kept in the journal
    t.wait_exit()
    assert t.exit_status() == 143  # as a shell reports a SIGTERM
    assert Path(str(bpath) + ".review-journal").exists() and not bpath.exists()
    # SIGHUP (the terminal went away): quits at once, journal kept
    t2 = term_factory(["review", *SEED_ARGS, "--baseline", str(bpath), "--no-watch"], (80, 24))
    t2.wait_text("from an earlier review")
    t2.keys("r")
    t2.wait_for(lambda s: "1 unsaved" in status_line(s), "restored")
    os.kill(t2.pid, signal.SIGHUP)
    t2.wait_exit()
    assert len(json.loads(Path(str(bpath) + ".review-journal").read_text())["decisions"]) == 1


def test_a_missing_or_broken_editor_gives_the_screen_back(term_factory, tmp_path):
    broken = tmp_path / "broken-editor"
    broken.write_bytes(b"\x7fELF not really a program")
    broken.chmod(0o755)  # found on the PATH, but exec fails (inside the suspended terminal)
    for editor, said in (("/nonexistent/editor", "no such program"), (str(broken), "Could not run")):
        t = term_factory(["review", *SEED_ARGS, "--baseline", str(tmp_path / "b.json"), "--no-watch"], (80, 24),
                         env={"EDITOR": editor, "VISUAL": ""})
        t.wait_for(lambda s: "0.70" in status_line(s) and "Quit" in footer(s), "the review opened")
        t.keys("e")
        s = t.wait_for(lambda s, said=said: said in toasts(s), f"{said!r} in a notice")
        assert "Quit" in footer(s) and "0.70" in status_line(s)  # the screen came back
        before = s
        t.keys("j", "j")
        t.wait_for(lambda s, before=before: s != before and "Quit" in footer(s), "the list moving after the failure")
        t.keys("q")
        t.wait_exit()


def test_whole_export_while_watching_stays_bounded_and_answers_keys(term_factory, tmp_path):
    """The whole Reuters export, watched (the default), at 80x24, 120x36 then 200x50: RSS sampled throughout."""
    from helpers import REUTERS

    assert REUTERS.exists(), f"the Reuters export is missing: {REUTERS}"
    t = term_factory(["review", str(REUTERS), "--id-field", "newid", "--text-field", "body",
                      "--baseline", str(tmp_path / "b.json")], (80, 24), cwd=tmp_path)
    samples: list[float] = []

    def opened(s: str) -> bool:
        samples.append(t.rss_mb())
        return "21,578" in status_line(s) and "Quit" in footer(s)

    t.wait_for(opened, "the export listed", timeout=150)
    # watching: a few polls (one a second) must neither grow memory nor stall the keys
    for size in ((80, 24), (120, 36), (200, 50)):
        t.resize(*size)
        for _ in range(3):
            before = t.screen()
            t0 = time.monotonic()
            t.keys("j", pause=0.0)
            t.wait_for(lambda s, before=before: s != before, "the cursor moving", timeout=3.0)
            assert time.monotonic() - t0 < 3.0
            samples.append(t.rss_mb())
            time.sleep(1.0)
            samples.append(t.rss_mb())
        s = t.screen()
        assert all(len(line) <= size[0] for line in s.splitlines())
        assert "21,578" in status_line(s)
    assert max(samples) < 1500, f"RSS grew to {max(samples):.0f} MB: {samples}"
    assert samples[-1] - samples[len(samples) // 2] < 150, f"RSS still growing while watching: {samples}"
    t.keys("q")
    t.wait_exit()


def test_ctrl_c_exits_130_and_q_exits_0(term_factory, tmp_path):
    for key, status in (("C-c", 130), ("q", 0)):
        t = term_factory(["review", *SEED_ARGS, "--baseline", str(tmp_path / "b.json"), "--no-watch"], (80, 24))
        t.wait_for(lambda s: "0.70" in status_line(s) and "Quit" in footer(s), "the review opened")
        t.keys(key)
        t.wait_exit()
        assert t.exit_status() == status, key
