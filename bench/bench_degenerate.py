"""Degenerate and hostile-sized input: time, peak memory and output size at 1x, 4x and 8x.

Each case generates its input in a temporary folder (the Reuters records come from ../shared, never copied
into the repository) and runs the ``dedupe`` command as a user would, in a fresh process capped at 8 GB of
address space and 10 minutes.  What matters is how cost grows: near-linear means ~4x and ~8x; the script
prints the ratios against the 1x run measured in the same session.

    python bench/bench_degenerate.py            # all cases, writes reports/bench_degenerate.{json,md}
    python bench/bench_degenerate.py --quick    # 1x and 4x only
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPORTS, REUTERS, machine_facts, measure  # noqa: E402

DEDUPE = [sys.executable, "-m", "dedupe"]
CAP = ("import resource, os, sys; lim = 8 << 30; resource.setrlimit(resource.RLIMIT_AS, (lim, lim)); "
       "os.execvp(sys.argv[1], sys.argv[1:])")
SENTENCE = "The governor said the state would appeal the ruling to the supreme court next week."


def capped(cmd: list[str]) -> list[str]:
    return ["timeout", "600", sys.executable, "-c", CAP, *cmd]


def same_sentence(d: Path, n: int) -> list[str]:
    """One file holding the same sentence ``n`` times (one cluster of n copies)."""
    p = d / "same.txt"
    p.write_text("\n\n".join([SENTENCE] * n) + "\n", encoding="utf-8")
    return [str(p)]


def shared_by_articles(d: Path, n: int) -> list[str]:
    """``n`` articles sharing one sentence (one cluster over n articles)."""
    for i in range(n):
        (d / f"a{i:05d}.txt").write_text(
            f"Story number {i} opens with its own lede about topic {i} and {i * 7} other words.\n\n{SENTENCE}\n",
            encoding="utf-8")
    return [str(d)]


def near_identical_drafts(d: Path, n: int) -> list[str]:
    """``n`` drafts of 30 sentences, each a near-copy of the others (one word changed per sentence)."""
    rnd = random.Random(7)
    base = [f"Officials in district {k} said the new plan would cost about {k * 13} million dollars over "
            f"the next {k % 9 + 2} years and would start in the spring." for k in range(30)]
    for i in range(n):
        sents = [s.replace("Officials", rnd.choice(["Officials", "Authorities", "Leaders"]), 1) for s in base]
        (d / f"draft{i:04d}.txt").write_text("\n\n".join(sents) + "\n", encoding="utf-8")
    return [str(d)]


def jsonl_records(d: Path, n: int) -> list[str]:
    """``n`` Reuters records in one JSON-lines export (recycled when ``n`` exceeds the corpus)."""
    lines = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as fh:
        lines = [ln for ln in fh if ln.strip()]
    p = d / "export.jsonl"
    with open(p, "w", encoding="utf-8") as out:
        for i in range(n):
            rec = json.loads(lines[i % len(lines)])
            rec["newid"] = f"{rec['newid']}-{i // len(lines)}"
            out.write(json.dumps(rec) + "\n")
    return [str(p), "--id-field", "newid", "--text-field", "body"]


def deep_html(d: Path, n: int) -> list[str]:
    """An HTML page nested ``n`` levels deep with a repeated sentence at the bottom."""
    p = d / "deep.html"
    p.write_text("<html><body>" + "<div>" * n + f"<p>{SENTENCE}</p><p>{SENTENCE}</p>" + "</div>" * n
                 + "</body></html>", encoding="utf-8")
    return [str(p)]


CASES: list[tuple[str, Callable[[Path, int], list[str]], int, list[list[str]]]] = [
    ("same sentence in one file", same_sentence, 2500,
     [["scan", "--format", "json"], ["check", "--no-baseline", "--format", "text"],
      ["check", "--no-baseline", "--format", "sarif"]]),
    ("one sentence shared by N articles", shared_by_articles, 750,
     [["scan", "--format", "json"], ["check", "--no-baseline", "--format", "github"]]),
    ("near-identical drafts", near_identical_drafts, 19,
     [["check", "--no-baseline", "--format", "sarif"], ["check", "--no-baseline", "--format", "github"]]),
    ("JSON-lines records", jsonl_records, 2375, [["scan", "--format", "json"]]),
    ("deeply nested HTML", deep_html, 1250, [["scan", "--format", "json"]]),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1x and 4x only")
    ap.add_argument("--case", help="run only cases whose name contains this")
    args = ap.parse_args()
    scales = (1, 4) if args.quick else (1, 4, 8)
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "CI")}
    results = []
    for name, make, base, commands in CASES:
        if args.case and args.case not in name:
            continue
        for cmd in commands:
            rows = []
            for x in scales:
                with tempfile.TemporaryDirectory() as tmp:
                    inputs = make(Path(tmp), base * x)
                    out = Path(tmp) / "out"
                    m = measure(capped([*DEDUPE, cmd[0], *inputs, *cmd[1:], "-o", str(out)]), env=env)
                    size = out.stat().st_size if out.exists() else 0
                rows.append({"scale": x, "n": base * x, "wall_s": m["wall_s"], "peak_rss_mb": m["peak_tree_rss_mb"],
                             "output_bytes": size, "returncode": m["returncode"], "stderr": m["stderr"][-300:]})
                print(f"{name:36s} {' '.join(cmd):40s} {x}x n={base * x:<6d} {m['wall_s']:7.2f} s "
                      f"{m['peak_tree_rss_mb']:8.1f} MB out {size / 1e6:8.2f} MB exit {m['returncode']}", flush=True)
            t1 = rows[0]["wall_s"] or 1e-9
            for r in rows:
                r["time_ratio"] = round(r["wall_s"] / t1, 2)
            results.append({"case": name, "command": " ".join(cmd), "rows": rows})
    data = {"machine": machine_facts(), "results": results}
    (REPORTS / "bench_degenerate.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    lines = ["# Degenerate input: cost at 1x, 4x, 8x", "",
             "Generated by `python bench/bench_degenerate.py` (fresh process per run, 8 GB address-space cap, 10 min "
             "limit). Time ratios are against the 1x run of the same session; near-linear growth reads ~4 and ~8.", "",
             f"Machine: {data['machine']['nproc']} cores, Python {data['machine']['python']}, "
             f"engine {data['machine']['engine']}, {data['machine']['date']}.", "",
             "| case | command | scale | n | time (s) | ratio | peak RSS (MB) | output (MB) | exit |",
             "|---|---|---|---|---|---|---|---|---|"]
    for res in results:
        for r in res["rows"]:
            lines.append(f"| {res['case']} | `{res['command']}` | {r['scale']}x | {r['n']} | {r['wall_s']:.2f} | "
                         f"{r['time_ratio']:.2f} | {r['peak_rss_mb']:.0f} | {r['output_bytes'] / 1e6:.2f} | {r['returncode']} |")
    (REPORTS / "bench_degenerate.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {REPORTS / 'bench_degenerate.md'}")


if __name__ == "__main__":
    main()
