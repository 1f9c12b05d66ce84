"""Benchmark: `dedupe scan` end to end versus the naive datasketch pipeline.

Writes the Reuters stories as .txt files under bench/.cache (git-ignored),
then runs, interleaved, N times each:

  (a) bench/naive.py DIR                               (subprocess)
  (b) dedupe scan DIR --format json -o out.json        (subprocess)

and reports median wall time, CPU time and peak RSS of each, the ratio
naive/dedupe, and the machine facts, to reports/bench_scan.md and .json.
Targets: ratio >= 15x, dedupe peak RSS < 1 GB.

    python bench/bench_scan.py [--stories N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, REPORTS, machine_facts, measure, median, write_txt_corpus  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stories", type=int, default=None, help="number of stories (default: all)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each pipeline (median reported)")
    ap.add_argument("--no-write", action="store_true", help="print only, do not write reports/")
    args = ap.parse_args()

    corpus = write_txt_corpus(args.stories)
    n_files = len(list(corpus.glob("*.txt")))
    py = sys.executable
    env = dict(os.environ, PYTHONPATH=str(REPO))
    naive_runs, dedupe_runs = [], []
    summary = None
    with tempfile.TemporaryDirectory() as tmp:
        out_json = Path(tmp) / "out.json"
        for k in range(args.repeat):
            n = measure([py, str(REPO / "bench" / "naive.py"), str(corpus)], cwd=tmp, env=env)
            if n["returncode"] != 0:
                sys.exit(f"naive pipeline failed: {n['stderr']}")
            n["detail"] = json.loads(n.pop("stdout"))
            n.pop("stderr")
            naive_runs.append(n)
            load = os.getloadavg()[0]  # the engine forks a helper for its tail only when a core looks free
            d = measure([py, "-m", "dedupe", "scan", str(corpus), "--format", "json", "-o", str(out_json)], cwd=tmp, env=env)
            if d["returncode"] != 0:
                sys.exit(f"dedupe scan failed ({d['returncode']}): {d['stderr']}")
            d.pop("stdout")
            d.pop("stderr")
            d["load_before"] = round(load, 2)
            summary = json.loads(out_json.read_text("utf-8"))["summary"]
            dedupe_runs.append(d)
            print(f"run {k + 1}: naive {n['wall_s']:.2f} s ({n['peak_tree_rss_mb']:.0f} MB), "
                  f"dedupe {d['wall_s']:.2f} s ({d['peak_tree_rss_mb']:.0f} MB)", file=sys.stderr)

    def med(runs, key):
        return median([r[key] for r in runs])

    ratios = [n["wall_s"] / d["wall_s"] for n, d in zip(naive_runs, dedupe_runs)]
    result = {
        "stories": n_files,
        "repeat": args.repeat,
        "naive": {
            "wall_s": med(naive_runs, "wall_s"),
            "cpu_s": med(naive_runs, "cpu_s"),
            "peak_tree_rss_mb": max(r["peak_tree_rss_mb"] for r in naive_runs),
            "stages_s_median": {
                k: median([r["detail"]["timings_s"][k] for r in naive_runs]) for k in naive_runs[0]["detail"]["timings_s"]
            },
            "sentences_8plus": naive_runs[0]["detail"]["minhashes"],
            "runs": naive_runs,
        },
        "dedupe": {
            "wall_s": med(dedupe_runs, "wall_s"),
            "cpu_s": med(dedupe_runs, "cpu_s"),
            "peak_tree_rss_mb": max(r["peak_tree_rss_mb"] for r in dedupe_runs),
            "max_process_rss_mb": max(r["max_rss_mb"] for r in dedupe_runs),
            "summary": summary,
            "runs": dedupe_runs,
        },
        "ratio_of_medians": round(med(naive_runs, "wall_s") / med(dedupe_runs, "wall_s"), 2),
        "ratio_per_run": [round(r, 2) for r in ratios],
        "targets": {"ratio": 15, "peak_rss_mb": 1024},
        "machine": machine_facts(),
    }
    result["meets_targets"] = {
        "ratio": result["ratio_of_medians"] >= 15,
        "rss": result["dedupe"]["peak_tree_rss_mb"] < 1024,
    }
    text = render_md(result)
    print(text)
    if not args.no_write:
        REPORTS.mkdir(exist_ok=True)
        (REPORTS / "bench_scan.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        (REPORTS / "bench_scan.md").write_text(text, encoding="utf-8")


def render_md(r: dict) -> str:
    n, d, m = r["naive"], r["dedupe"], r["machine"]
    stages = ", ".join(f"{k} {v:.2f} s" for k, v in n["stages_s_median"].items())
    s = d["summary"] or {}
    return f"""# Benchmark: `dedupe scan` vs the naive datasketch pipeline

Corpus: Reuters-21578, {r['stories']} stories as `.txt` files (research-only corpus, read from the shared
directory; not in the repository). Each pipeline run {r['repeat']}x as a subprocess, interleaved; medians.

| | wall (s) | CPU (s) | peak RSS, process tree (MB) |
|---|---:|---:|---:|
| naive: Punkt + `MinHash` per sentence + `MinHashLSH` | {n['wall_s']:.2f} | {n['cpu_s']:.2f} | {n['peak_tree_rss_mb']:.0f} |
| `dedupe scan DIR --format json -o out.json` | {d['wall_s']:.2f} | {d['cpu_s']:.2f} | {d['peak_tree_rss_mb']:.0f} |

**Speed-up (naive / dedupe, medians): {r['ratio_of_medians']:.1f}x** (per run: {', '.join(f'{x:.1f}x' for x in r['ratio_per_run'])}).
Target >= 15x: {'met' if r['meets_targets']['ratio'] else 'NOT met'}. Peak RSS < 1 GB: {'met' if r['meets_targets']['rss'] else 'NOT met'}
(largest single dedupe process: {d['max_process_rss_mb']:.0f} MB).

Naive stages (median): {stages}; {n['sentences_8plus']} sentences of 8+ words.
Note the naive pipeline only produces LSH candidates (no verification, no clusters, no output file);
dedupe's run includes reading, splitting, quotes, exact verification, clustering and writing the JSON report
({s.get('clusters')} clusters, {s.get('candidates')} candidates, bands x rows {s.get('settings', {}).get('bands')} x {s.get('settings', {}).get('rows')}).
CPU time of dedupe includes its worker processes. The 1-minute load average before each dedupe run:
{', '.join(f"{x['load_before']:.2f}" for x in d['runs'])} (with a core free, the clusters and the JSON are built half in a
forked child; the process tree's RSS then counts the pages the two share twice).

Machine: {m['nproc']} CPUs, Python {m['python']}, {m['platform']}; engine {m.get('engine')}; packages {', '.join(f'{k} {v}' for k, v in m['packages'].items())}; {m['date']}.
Re-run: `python bench/bench_scan.py [--stories N] [--repeat N]`.
"""


if __name__ == "__main__":
    main()
