"""Benchmark: what within-article restatements add to `dedupe scan` on Reuters-21578.

The Reuters stories with a body are written under bench/.cache (git-ignored) in the two shapes a newsroom
scans: one JSON-lines export (``--layout export``) and a folder of plain-text files (``--layout files``).
For each layout, interleaved, N times each, as fresh processes:

  (a) dedupe scan INPUT --format json -o out.json
  (b) dedupe scan INPUT --kinds <the defaults>,restatement --format json -o out.json

It reports the medians of wall and CPU time (CPU includes the worker processes), of the peak RSS of the
whole process tree (workers included, sampled every 100 ms), the added share
((b) - (a)) / (a) per run and of the medians, restatements per 100 articles, and a fixed random sample of
30 flagged pairs to read (reports/bench_restatement_sample.md, from the export's run); the figures go to
reports/bench_restatement.json.  reports/bench_restatement.md is written by hand from these (the sample has
to be read).

    python bench/bench_restatement.py [--stories N] [--repeat N] [--layout export|files|both] [--sample 30]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, REPORTS, load_reuters, machine_facts, measure, median, write_txt_corpus  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dedupe.atomic import write_atomic  # noqa: E402
from dedupe.kinds import DEFAULT_KINDS  # noqa: E402


def write_jsonl(n: int | None) -> Path:
    stories = load_reuters(n)
    path = CACHE / f"reuters_{len(stories)}.jsonl"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for newid, body in stories:
                fh.write(json.dumps({"id": newid, "text": body}) + "\n")
        tmp.rename(path)
    return path


def run_layout(name: str, corpus: Path, repeat: int, tmp: str) -> tuple[dict, dict]:
    dedupe = str(Path(sys.executable).parent / "dedupe")
    out = Path(tmp) / f"{name}.json"
    kinds = ",".join((*DEFAULT_KINDS, "restatement"))
    base, more, base_cpu, more_cpu, shares = [], [], [], [], []
    base_mem: list[float] = []
    more_mem: list[float] = []
    last = {}
    for k in range(repeat):
        a = measure([dedupe, "scan", str(corpus), "--format", "json", "-o", str(out)], cwd=tmp)
        if a["returncode"] not in (0, 1):
            sys.exit(f"dedupe scan failed ({a['returncode']}): {a['stderr']}")
        b = measure([dedupe, "scan", str(corpus), "--kinds", kinds, "--format", "json", "-o", str(out)], cwd=tmp)
        if b["returncode"] not in (0, 1):
            sys.exit(f"dedupe scan --kinds ...,restatement failed ({b['returncode']}): {b['stderr']}")
        last = json.loads(out.read_text(encoding="utf-8"))
        base.append(a["wall_s"])
        more.append(b["wall_s"])
        base_cpu.append(a["cpu_s"])
        more_cpu.append(b["cpu_s"])
        base_mem.append(a["peak_tree_rss_mb"])
        more_mem.append(b["peak_tree_rss_mb"])
        shares.append(round((b["wall_s"] - a["wall_s"]) / a["wall_s"], 3))
        print(f"{name} run {k + 1}: scan {a['wall_s']:.2f} s ({a['cpu_s']:.2f} CPU-s), with restatements "
              f"{b['wall_s']:.2f} s ({b['cpu_s']:.2f} CPU-s): +{100 * shares[-1]:.0f}%; peak RSS "
              f"{a['peak_tree_rss_mb']:.0f} / {b['peak_tree_rss_mb']:.0f} MB", file=sys.stderr)
    flagged = [c for c in last["clusters"] if c["kind"] == "restatement"]
    articles = last["summary"]["documents"]
    result = {
        "layout": name, "input": corpus.name, "articles": articles, "units": last["summary"]["units"],
        "repeat": repeat,
        "scan_wall_s": median(base), "scan_runs_s": base,
        "with_restatements_wall_s": median(more), "with_restatements_runs_s": more,
        "added_share": round((median(more) - median(base)) / median(base), 3),
        "added_share_runs": shares,
        "scan_cpu_s": median(base_cpu), "with_restatements_cpu_s": median(more_cpu),
        "added_share_cpu": round((median(more_cpu) - median(base_cpu)) / median(base_cpu), 3),
        "scan_peak_rss_mb": median(base_mem), "with_restatements_peak_rss_mb": median(more_mem),
        "added_peak_rss_mb": round(median(more_mem) - median(base_mem), 1),
        "flagged": len(flagged),
        "per_100_articles": round(100 * len(flagged) / max(1, articles), 2),
        "restatements_omitted": last["summary"].get("restatements_omitted", 0),
    }
    return result, {"flagged": flagged}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stories", type=int, default=None, help="number of stories (default: all)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each (median reported)")
    ap.add_argument("--layout", choices=["export", "files", "both"], default="both")
    ap.add_argument("--sample", type=int, default=30, help="flagged pairs to sample for reading")
    ap.add_argument("--no-write", action="store_true", help="print only, do not write reports/")
    args = ap.parse_args()
    layouts = []
    if args.layout in ("export", "both"):
        layouts.append(("export", write_jsonl(args.stories)))
    if args.layout in ("files", "both"):
        layouts.append(("files", write_txt_corpus(args.stories)))
    results, flagged = [], None
    with tempfile.TemporaryDirectory() as tmp:
        for name, corpus in layouts:
            r, extra = run_layout(name, corpus, args.repeat, tmp)
            results.append(r)
            if flagged is None:
                flagged = extra["flagged"]
    report = {"runs": results, "machine": machine_facts()}
    print(json.dumps(results, indent=1))
    if args.no_write:
        return
    REPORTS.mkdir(exist_ok=True)
    write_atomic(REPORTS / "bench_restatement.json", json.dumps(report, indent=1) + "\n")
    rng = random.Random(14)
    picked = rng.sample(flagged or [], min(args.sample, len(flagged or [])))
    lines = ["# Sample of flagged restatements (Reuters-21578, within article)", "",
             f"{len(picked)} pairs drawn with seed 14 from {len(flagged or [])} flagged "
             f"(layout {results[0]['layout']}).", ""]
    for k, c in enumerate(picked, 1):
        a, b = c["members"]
        info = c["restatement"]
        lines += [f"## {k}. {a['doc']} — {info['meaning']}", "",
                  "A: " + " ".join(a["text"].split()), "",
                  "B: " + " ".join(b["text"].split()), "",
                  f"shared words: {', '.join(info['shared_words']) or '-'}; "
                  f"figures: {', '.join(info['shared_figures']) or '-'}", ""]
    write_atomic(REPORTS / "bench_restatement_sample.md", "\n".join(lines))


if __name__ == "__main__":
    main()
