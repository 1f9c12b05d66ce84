"""Benchmark: `scan_spark` on Spark local[2] versus the embedded engine, at 1x / 4x / 8x input.

The input is the Reuters export as one JSON-lines file (id/title/text) under /tmp
(generated, never committed); 4x and 8x add perturbed copies of it (every
~20th word replaced, new ids), written next to it.  For each scale, each
engine runs once as a subprocess (interleaved):

  (a) python -m dedupe scan X.jsonl --format json -o e.json        (embedded)
  (b) python bench/bench_spark.py --run-spark X.jsonl s.json       (scan_spark, master local[2])

and the report gives wall time, CPU time (the Spark JVM and Python workers
included) and peak RSS of the process tree, the ratio spark/embedded, and
whether the two engines' clusters (fingerprints and members) are identical.
Writes reports/bench_spark.md and .json.

    python bench/bench_spark.py [--stories N] [--scales 1,4,8] [--master local[2]]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, REPORTS, load_reuters, machine_facts, measure

SCRATCH = Path(os.environ.get("DEDUPE_BENCH_TMP", tempfile.gettempdir())) / "dedupe-bench-spark"


def write_inputs(stories: list[tuple[str, str]], scales: list[int]) -> dict[int, Path]:
    """``{scale: path}``: the export, and the export plus perturbed copies."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    base = [{"id": i, "text": t} for i, t in stories]
    vocab = sorted({w for s in base[:500] for w in s["text"].split() if w.isalpha() and len(w) > 3})
    out = {}
    for scale in scales:
        path = SCRATCH / f"reuters_{len(base)}_x{scale}.jsonl"
        out[scale] = path
        if path.exists():
            continue
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(s) + "\n" for s in base)
            for c in range(scale - 1):
                rng = random.Random(c)
                for s in base:
                    words = s["text"].split(" ")
                    for i in range(rng.randrange(20), len(words), 20):
                        if words[i].isalpha():
                            words[i] = rng.choice(vocab)
                    fh.write(json.dumps({"id": f"c{c}-{s['id']}", "text": " ".join(words)}) + "\n")
        tmp.replace(path)
    return out


def run_spark(src: str, dst: str, master: str, driver_memory: str) -> None:
    """The Spark side, in its own process so its memory and time are its own."""
    from pyspark.sql import SparkSession

    from dedupe.atomic import write_atomic
    from dedupe.config import Settings
    from dedupe.engine.spark import scan_spark

    spark = (SparkSession.builder.master(master).config("spark.ui.enabled", "false")
             .config("spark.driver.memory", driver_memory)
             .config("spark.ui.showConsoleProgress", "false").config("spark.sql.shuffle.partitions", "8").getOrCreate())
    result = scan_spark([src], Settings(), spark=spark)
    write_atomic(dst, json.dumps(result.to_dict()))
    # CPU of the whole tree (JVM and Python workers are not waited for, so rusage misses them)
    print(json.dumps({"tree_cpu_s": round(tree_cpu(os.getpid()), 3), "timings": result.timings}))
    spark.stop()


def tree_cpu(root: int) -> float:
    """User + system seconds of ``root`` and every live descendant."""
    tick = os.sysconf("SC_CLK_TCK")
    parent, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(fields[1])
        cpu[int(entry)] = (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
    total = 0.0
    for pid, c in cpu.items():
        p = pid
        while p and p != root:
            p = parent.get(p, 0)
        if p == root:
            total += c
    return total


def clusters_of(path: Path) -> list:
    data = json.loads(path.read_text("utf-8"))
    return [(c["fingerprint"], [(m["doc"], m["start"], m["end"]) for m in c["members"]]) for c in data["clusters"]]


def render_md(runs: list[dict]) -> str:
    """Markdown for every recorded run (one table each), newest machine facts last."""
    out = ["# Benchmark: Spark engine (local[2]) vs embedded engine", ""]
    for r in sorted(runs, key=lambda r: r["stories"]):
        out.extend(render_run(r))
    f = runs[-1]["machine"]
    out.extend([
        ("Spark's CPU time is that of the whole process tree (driver, JVM, Python workers); its wall time includes "
        "starting the session."),
        ("\"identical\": the same clusters in the same order, each with the same fingerprint and the same members "
        "(document, start, end)."),
        "",
        (f"Machine: {f['nproc']} CPUs shared with other jobs (timings are noisy), Python {f['python']}, "
        f"{f['platform']}; engine {f['engine']}; {f['date']}."),
        "",
    ])
    return "\n".join(out)


def render_run(r: dict) -> list[str]:
    rows = []
    for s in r["scales"]:
        e, p = s["embedded"], s["spark"]
        rows.append(f"| {s['scale']}x | {s['documents']:,} | {s['units']:,} | {e['wall_s']:.1f} | {e['cpu_s']:.1f} | "
                    f"{e['peak_tree_rss_mb']:.0f} | {p['wall_s']:.1f} | {p['cpu_s']:.1f} | {p['peak_tree_rss_mb']:.0f} | "
                    f"{p['wall_s'] / e['wall_s']:.1f}x | {'yes' if s['identical'] else 'NO'} ({s['clusters']:,}) |")
    base = r["scales"][0]
    growth = []
    for s in r["scales"][1:]:
        growth.append(f"{s['scale']}x input: embedded {s['embedded']['wall_s'] / base['embedded']['wall_s']:.1f}x "
                      f"the {base['scale']}x time, Spark {s['spark']['wall_s'] / base['spark']['wall_s']:.1f}x")
    return [
        f"## {r['stories']:,} stories (1x)",
        "",
        (f"Input: the Reuters-21578 export, {r['stories']:,} stories with a body, as one JSON-lines file (1x); "
         "larger inputs add perturbed copies (every ~20th word replaced, new ids). Generated under /tmp, never "
         f"committed. Each engine run once per scale as a subprocess; Spark master `{r['master']}`, "
         f"driver memory {r.get('driver_memory', '1g')}, default settings otherwise."),
        "",
        ("| input | documents | units | embedded wall (s) | CPU (s) | peak RSS (MB) | Spark wall (s) | CPU (s) "
         "| peak RSS (MB) | Spark / embedded | identical clusters |"),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        *(["Scaling: " + "; ".join(growth) + "."] if growth else []),
        f"Re-run: `{r['command']}`.",
        "",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stories", type=int, default=None, help="stories in the 1x input (default: all)")
    ap.add_argument("--scales", default="1,4,8", help="input multiples (default 1,4,8)")
    ap.add_argument("--master", default="local[2]", help="Spark master URL")
    ap.add_argument("--driver-memory", default="6g",
                    help="spark.driver.memory (local masters run the executors in the driver's JVM; Spark's "
                         "default of 1g lost the JVM at 4x the Reuters export)")
    ap.add_argument("--no-write", action="store_true", help="print only, do not write reports/")
    ap.add_argument("--run-spark", nargs=2, metavar=("SRC", "DST"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run_spark:
        run_spark(args.run_spark[0], args.run_spark[1], args.master, args.driver_memory)
        return
    scales = [int(x) for x in args.scales.split(",")]
    stories = load_reuters(args.stories)
    inputs = write_inputs(stories, scales)
    py = sys.executable
    env = dict(os.environ, PYTHONPATH=str(REPO), PYSPARK_PYTHON=py)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for scale in scales:
            src = str(inputs[scale])
            e_out, s_out = Path(tmp) / "e.json", Path(tmp) / "s.json"
            e = measure([py, "-m", "dedupe", "scan", src, "--format", "json", "-o", str(e_out)], cwd=tmp, env=env)
            if e["returncode"] not in (0, 1):
                sys.exit(f"embedded scan failed: {e['stderr']}")
            p = measure([py, str(REPO / "bench" / "bench_spark.py"), "--master", args.master,
                         "--driver-memory", args.driver_memory, "--run-spark", src,
                         str(s_out)], cwd=tmp, env=env)
            if p["returncode"] != 0:
                sys.exit(f"spark scan failed: {p['stderr']}")
            extra = json.loads(p.pop("stdout").strip().splitlines()[-1])
            p["cpu_s"] = extra["tree_cpu_s"]
            p["timings"] = extra["timings"]
            e.pop("stdout")
            for m in (e, p):
                m.pop("stderr")
            summary = json.loads(e_out.read_text("utf-8"))["summary"]
            ce, cs = clusters_of(e_out), clusters_of(s_out)
            results.append({"scale": scale, "documents": summary["documents"], "units": summary["units"],
                            "clusters": len(ce), "identical": ce == cs, "embedded": e, "spark": p})
            print(f"{scale}x: embedded {e['wall_s']:.1f} s, spark {p['wall_s']:.1f} s, identical {ce == cs}",
                  file=sys.stderr)
    cmd = "python bench/bench_spark.py" + (f" --stories {args.stories}" if args.stories else "") + \
        (f" --scales {args.scales}" if args.scales != "1,4,8" else "")
    report = {"stories": len(stories), "master": args.master, "driver_memory": args.driver_memory, "scales": results, "machine": machine_facts(),
              "command": cmd}
    # a run replaces the recorded run of the same size and keeps the others
    path = REPORTS / "bench_spark.json"
    runs = json.loads(path.read_text("utf-8"))["runs"] if path.exists() else []
    runs = [r for r in runs if r["stories"] != report["stories"]] + [report]
    md = render_md(runs)
    print(md)
    if not args.no_write:
        from dedupe.atomic import write_atomic

        write_atomic(str(path), json.dumps({"runs": runs}, indent=2) + "\n")
        write_atomic(str(REPORTS / "bench_spark.md"), md)


if __name__ == "__main__":
    main()
