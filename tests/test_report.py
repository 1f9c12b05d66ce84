"""`dedupe report`: one self-contained HTML file, and Markdown."""

from __future__ import annotations

import html.parser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "check"
HOSTILE = 'He wrote <script>alert("x")</script> then said 100% of "readers" & more & friends agreed.'


def run(*args, cwd=None):
    e = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "dedupe", *map(str, args)], cwd=cwd, env=e, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


class Collect(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.tags, self.srcs = set(), [], [], []
        self.marks = 0
        self.text = []
        self.diffs = 0

    def handle_data(self, data):
        self.text.append(data)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if "href" in a:
            self.hrefs.append(a["href"])
        if "src" in a:
            self.srcs.append(a["src"])
        if tag == "mark":
            self.marks += 1
        if a.get("class") == "diff":
            self.diffs += 1


def test_html_report_is_self_contained_escaped_and_linked(tmp_path):
    shutil.copytree(DATA / "drafts", tmp_path / "drafts")
    (tmp_path / "drafts" / "hostile.txt").write_text(f"{HOSTILE}\n\nA different line sits between the two copies here.\n\n{HOSTILE}\n")
    r = run("report", "drafts", "-o", "out/report.html", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "wrote out/report.html" in r.stderr
    page = (tmp_path / "out" / "report.html").read_text()
    p = Collect()
    p.feed(page)
    assert "script" not in p.tags and not p.srcs
    assert not re.search(r"(?i)(https?:)?//[a-z0-9]", page.replace("http://www.w3.org", ""))
    assert "<link" not in page and "@import" not in page and "<style>" in page
    assert "<script" not in page
    assert HOSTILE in "".join(p.text)  # escaped on the wire, intact once parsed
    # every internal link resolves; copies link to each other
    assert all(h.startswith("#") for h in p.hrefs)
    assert {h[1:] for h in p.hrefs} <= p.ids
    assert {"C1", "C1-m1", "C1-m2"} <= p.ids
    assert 'href="#C1-m2"' in page
    assert p.marks > 10 and p.diffs >= 1  # shared words highlighted; differing words marked (council/storm)
    # per-article share table
    assert "<th>share</th>" in page
    assert re.search(r'drafts/storm\.md(<br><span class="meta">[^<]*</span>)?</td><td class=num>5</td><td class=num>3</td>', page)  # the H1 is the title, not a sentence


def test_markdown_report(tmp_path):
    shutil.copytree(DATA / "drafts", tmp_path / "drafts")
    r = run("report", "drafts", "--format", "markdown", cwd=tmp_path)
    assert r.returncode == 0
    md = r.stdout
    assert md.startswith("# dedupe report\n")
    assert "| article | sentences | repeated sentences | share |" in md
    assert re.search(r"\| `drafts/storm\.md` \| 5 \| 3 \| 60% \|", md)
    assert '<a id="c1-m1"></a>' in md and "(#c1-m2)" in md
    r2 = run("report", "drafts", "-o", "r.md", cwd=tmp_path)  # format from the extension
    assert r2.returncode == 0, r2.stderr
    assert (tmp_path / "r.md").read_text() == md


def test_report_errors_exit_2(tmp_path):
    r = run("report", "missing.md", "-o", "r.html", cwd=tmp_path)
    assert r.returncode == 2 and "missing.md: no such file or directory" in r.stderr
    assert "Traceback" not in r.stderr


def test_sample_reports_are_up_to_date():
    """reports/seeds.* are generated from seeds/ (regenerate with the commands in docs/ci.md, "Reports")."""
    args = ["seeds/", "--exclude", "README.md", "--exclude", "archive/*", "--against", "seeds/archive"]
    for name, fmt in (("seeds.html", "html"), ("seeds.md", "markdown")):
        r = run("report", *args, "--format", fmt, cwd=REPO)
        assert r.returncode == 0, r.stderr
        assert (REPO / "reports" / name).read_text(encoding="utf-8") == r.stdout, f"reports/{name} is stale"


def test_report_links_per_copy_are_capped_and_counted(tmp_path):
    s = "The mayor said the new bridge over the river will open to traffic next spring after long delays."
    (tmp_path / "a.txt").write_text("\n\n".join([s] * 30) + "\n", encoding="utf-8")
    for fmt in ("html", "markdown"):
        r = run("report", "a.txt", "--format", fmt, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert r.stdout.count("and 19 more") == 30  # each of the 30 copies links 10 others and counts the rest
    page = run("report", "a.txt", cwd=tmp_path).stdout
    assert page.count('href="#C1-m') <= 30 * 11
