"""Near-copy series: does the scan's cost follow the input, or the pairs of near-copies?

Builds, from the Reuters-21578 stories (read from ../shared at run time, never copied into the
repository; the generated inputs go to ``bench/.cache``, git-ignored):

* the **near-copy** series: 1x, 2x, 4x and 8x the stories, where every extra copy of a story
  replaces one word per sentence (deterministically: copy ``k`` replaces word ``(7k + s) mod n`` of
  sentence ``s`` by a word of its own), as an archive of re-runs and write-thrus holds them;
* the **control** series: the same volumes, where every extra copy shares no shingle with any other
  (each word gets a suffix of its own copy), so only the volume grows.

Each input is one JSON-lines export per copy (``--id-field newid --text-field body``; ``--as files``
writes one ``.txt`` per story instead).  ``dedupe scan --format json -o out.json`` runs as a process
on each (through ``bench/scan_timed.py``, which runs the real CLI and records its stage timings):
wall time and its ratio to the 1x run of the same series in the same run, CPU, the peak RSS of the
process tree (workers included, sampled every 100 ms, or the scan process's own ``VmHWM`` when
larger: never ``getrusage``'s maximum, which a child inherits from its launcher), stage timings,
output size, clusters.  The report is not loaded into the benchmark's process (its summary is read
from the file's tail), so each measure starts from a small launcher.

Targets (issue 26): near-copy 4x within 5x the 1x time and under 1 GB peak; 8x within 10x and under
1.5 GB.

    .venv/bin/python bench/bench_nearcopy.py                 # 1x 2x 4x 8x, both series
    .venv/bin/python bench/bench_nearcopy.py --factors 1,4 --series nearcopy
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, REPO, REPORTS, load_reuters, machine_facts, measure  # noqa: E402

#: A sentence ends at . ! or ? followed by white space (good enough to place the replaced words).
_SENT_RE = re.compile(r"(?<=[.!?])\s+")
_WORD_RE = re.compile(r"[A-Za-z]{2,}")
TARGETS = {"nearcopy": {4: (5.0, 1024.0), 8: (10.0, 1536.0)}}


def near_copy(body: str, k: int) -> str:
    """Copy ``k`` (>= 1) of ``body``: one word of each sentence replaced by a word of its own."""
    out = []
    for s_i, sent in enumerate(_SENT_RE.split(body)):
        words = list(_WORD_RE.finditer(sent))
        if not words:
            out.append(sent)
            continue
        w = words[(7 * k + s_i) % len(words)]
        out.append(sent[:w.start()] + f"revised{'abcdefghij'[k % 10]}{'klmnopqrst'[k // 10 % 10]}" + sent[w.end():])
    return " ".join(out)


def control_copy(body: str, k: int) -> str:
    """Copy ``k`` (>= 1) sharing no shingle with any other copy: every word gets the suffix of ``k``."""
    suffix = "q" + "abcdefghij"[k % 10] + "klmnopqrst"[k // 10 % 10]
    return _WORD_RE.sub(lambda m: m.group(0) + suffix, body)


def build(series: str, factor: int, stories: list[tuple[str, str]], as_files: bool) -> Path:
    """The input of ``series`` at ``factor``x under bench/.cache (reused when complete)."""
    d = CACHE / f"nearcopy_{series}_{factor}x_{'files' if as_files else 'export'}_{len(stories)}"
    marker = d / ".complete"
    if marker.exists():
        return d
    d.mkdir(parents=True, exist_ok=True)
    make = near_copy if series == "nearcopy" else control_copy
    for k in range(factor):
        if as_files:
            sub = d / f"copy{k}"
            sub.mkdir(exist_ok=True)
            for newid, body in stories:
                (sub / f"{newid}.txt").write_text(body if k == 0 else make(body, k), encoding="utf-8")
        else:
            with open(d / f"copy{k}.jsonl", "w", encoding="utf-8") as fh:
                for newid, body in stories:
                    rec = {"newid": newid if k == 0 else f"{newid}-c{k}", "body": body if k == 0 else make(body, k)}
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    marker.write_text("ok")
    return d


def read_summary(path: Path) -> dict:
    """The ``summary`` of a JSON report, read from the file's tail (it follows the clusters and the
    roll-up): the report is not loaded whole into this process, whose size a later measure must not see."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - (1 << 20)))
        tail = fh.read().decode("utf-8", "replace")
    at = tail.rindex('"summary": ') + len('"summary": ')
    summ, _ = json.JSONDecoder().raw_decode(tail, at)
    return summ


def run(inp: Path, as_files: bool, jobs: int | None) -> dict:
    out = CACHE / "nearcopy_out.json"
    timings = CACHE / "nearcopy_timings.json"
    for p in (out, timings):
        if p.exists():
            p.unlink()
    cmd = [sys.executable, str(REPO / "bench" / "scan_timed.py"), str(timings), str(inp), "--isolated",
           "--format", "json", "-o", str(out)]
    if not as_files:
        cmd += ["--id-field", "newid", "--text-field", "body"]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    r = measure(cmd, cwd=str(REPO))
    if r["returncode"] not in (0, 1):
        sys.exit(f"scan failed ({r['returncode']}): {r.get('stderr', '')}")
    r["output_mb"] = round(out.stat().st_size / 2**20, 1) if out.exists() else None
    r["stages"] = json.loads(timings.read_text()) if timings.exists() else {}
    # Peak: the process tree's sampled sum (workers included) or the scan process's own VmHWM, whichever
    # is larger.  Not wait4's ru_maxrss: a child's maximum starts from its launcher's (this process's)
    # size, so one large run would be carried over into every later measure.
    own = r["stages"].pop("vmhwm_mb", None)
    r["own_peak_mb"] = own
    r["peak_tree_rss_mb"] = max(r["peak_tree_sampled_mb"], own or 0.0)
    if out.exists():
        summ = read_summary(out)
        r["clusters"] = summ["clusters"]
        r["members"] = summ["members"]
        r["duplicate_documents"] = summ["duplicate_documents"]
        out.unlink()
    r.pop("stdout", None)
    r.pop("stderr", None)
    return r


def render_md(res: dict) -> str:
    lines = ["# Near-copy series (issue 26)", "",
             f"{res['stories']} Reuters-21578 stories; input as {res['input']}; "
             f"`dedupe scan INPUT --format json -o out.json` (`bench/bench_nearcopy.py`), {res['facts']['nproc']} cores, "
             f"{res['facts']['date']}. Ratios are against the 1x run of the same series in the same run.", ""]
    for series, rows in res["series"].items():
        lines += [f"## {series}", "",
                  "| input | wall (s) | ratio to 1x | CPU (s) | peak RSS tree (MB) | output (MB) | clusters | members "
                  "| stages (s) |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for f, r in rows.items():
            st = ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items())
            lines.append(f"| {f}x | {r['wall_s']:.2f} | {r['ratio']:.2f}x | {r['cpu_s']:.2f} | {r['peak_tree_rss_mb']:.0f} "
                         f"| {r['output_mb']} | {r.get('clusters')} | {r.get('members')} | {st} |")
        lines.append("")
    if res.get("targets"):
        lines += ["## Targets", ""]
        for t in res["targets"]:
            lines.append(f"- near-copy {t['factor']}x: within {t['max_ratio']}x the 1x time ({t['ratio']:.2f}x) and under "
                         f"{t['max_rss_mb']:.0f} MB ({t['rss_mb']:.0f} MB): {'met' if t['met'] else 'NOT met'}")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--factors", default="1,2,4,8")
    ap.add_argument("--series", default="nearcopy,control")
    ap.add_argument("--as", dest="as_", choices=["export", "files"], default="export")
    ap.add_argument("--stories", type=int, default=None, help="first N stories only (default: all)")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--tag", default="", help="suffix of the report files (reports/bench_nearcopy<tag>.md/json)")
    a = ap.parse_args()
    factors = [int(x) for x in a.factors.split(",")]
    if 1 not in factors:
        factors = [1] + factors
    as_files = a.as_ == "files"
    stories = load_reuters(a.stories)
    res: dict = {"stories": len(stories), "input": "one .txt per story" if as_files else
                 "JSON lines, one export per copy (--id-field newid --text-field body)",
                 "facts": machine_facts(), "series": {}, "targets": []}
    for series in a.series.split(","):
        rows: dict[int, dict] = {}
        for f in factors:
            inp = build(series, f, stories, as_files)
            r = run(inp, as_files, a.jobs)
            rows[f] = r
            r["ratio"] = r["wall_s"] / rows[1]["wall_s"]
            print(f"{series} {f}x: {r['wall_s']:.2f} s ({r['ratio']:.2f}x), {r['peak_tree_rss_mb']:.0f} MB, "
                  f"output {r['output_mb']} MB, stages {r['stages']}", file=sys.stderr, flush=True)
            for tf, (max_ratio, max_rss) in TARGETS.get(series, {}).items():
                if tf == f:
                    res["targets"].append({"factor": f, "max_ratio": max_ratio, "max_rss_mb": max_rss,
                                           "ratio": r["ratio"], "rss_mb": r["peak_tree_rss_mb"],
                                           "met": r["ratio"] <= max_ratio and r["peak_tree_rss_mb"] < max_rss})
        res["series"][series] = rows
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"bench_nearcopy{a.tag}.json").write_text(json.dumps(res, indent=2) + "\n")
    (REPORTS / f"bench_nearcopy{a.tag}.md").write_text(render_md(res))
    print(render_md(res))
    os.sync()


if __name__ == "__main__":
    main()
