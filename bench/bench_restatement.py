"""Benchmark: within-article restatements on Reuters-21578 vs `dedupe scan`.

Writes the Reuters stories with a body as one JSON-lines file under
bench/.cache (git-ignored), then, interleaved, N times each:

  (a) dedupe scan FILE --format json -o out.json               (subprocess)
  (b) this script --child FILE: in a fresh process, the scan's units
      (``analyse_documents``, not timed: the scan has them already), then,
      timed, importing ``dedupe.semantic``, loading the model and
      ``find_restatements`` over every article's eligible sentences.

It reports the medians of wall and CPU time (the scan's CPU time includes its
worker processes), the added share ((b) / (a)), restatements per 100
articles, and a fixed random sample of 30 flagged pairs to read
(reports/bench_restatement_sample.md); the figures go to
reports/bench_restatement.json.  reports/bench_restatement.md is written by
hand from these (the sample has to be read).

    python bench/bench_restatement.py [--stories N] [--repeat N] [--sample 30]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, REPO, REPORTS, load_reuters, machine_facts, measure, median


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


def child(path: str, sample: int) -> None:
    """Units of every article (untimed), then restatements (timed); JSON on stdout."""
    sys.path.insert(0, str(REPO))
    from dedupe.config import Settings
    from dedupe.engine.pipeline import analyse_documents
    from dedupe.readers import read_file
    from dedupe.text.units import SENTENCE

    docs = read_file(path)
    settings = Settings()
    t0 = time.perf_counter()
    analysis = analyse_documents(docs, settings, with_signatures=False)
    t_units = time.perf_counter() - t0
    table = analysis.table
    rows = [k for k in range(len(table)) if table.kind[k] == SENTENCE]
    sentences = [docs[table.doc[k]].text[table.start[k]:table.end[k]] for k in rows]
    groups = [int(table.doc[k]) for k in rows]

    t0 = time.perf_counter()
    c0 = time.process_time()
    from dedupe.semantic.model import embedder
    from dedupe.semantic.restatements import find_restatements

    emb = embedder()
    t_load = time.perf_counter() - t0
    t1 = time.perf_counter()
    found = find_restatements(sentences, groups, embedder=emb)
    t_find = time.perf_counter() - t1
    cpu = time.process_time() - c0
    rng = random.Random(14)
    picked = rng.sample(found, min(sample, len(found)))
    out = {
        "articles": len(docs),
        "sentences": len(sentences),
        "units_s": round(t_units, 3),
        "import_and_load_s": round(t_load, 3),
        "find_s": round(t_find, 3),
        "restatements_s": round(t_load + t_find, 3),
        "restatements_cpu_s": round(cpu, 3),
        "flagged": len(found),
        "sample": [{"doc": docs[groups[r.a]].id, "score": round(r.score, 3), "meaning": r.meaning,
                    "a": sentences[r.a], "b": sentences[r.b],
                    "words": [w.text_a for w in r.words], "figures": [f.text_a for f in r.figures]}
                   for r in picked],
    }
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stories", type=int, default=None, help="number of stories (default: all)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each (median reported)")
    ap.add_argument("--sample", type=int, default=30, help="flagged pairs to sample for reading")
    ap.add_argument("--child", metavar="FILE", help=argparse.SUPPRESS)
    ap.add_argument("--no-write", action="store_true", help="print only, do not write reports/")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.sample)
        return

    corpus = write_jsonl(args.stories)
    py = sys.executable
    env = dict(os.environ, PYTHONPATH=str(REPO))
    scans, rests, scan_cpu, rest_cpu = [], [], [], []
    detail = None
    with tempfile.TemporaryDirectory() as tmp:
        out_json = Path(tmp) / "out.json"
        for k in range(args.repeat):
            d = measure([py, "-m", "dedupe", "scan", str(corpus), "--format", "json", "-o", str(out_json)],
                        cwd=tmp, env=env)
            if d["returncode"] not in (0, 1):
                sys.exit(f"dedupe scan failed ({d['returncode']}): {d['stderr']}")
            scans.append(d["wall_s"])
            scan_cpu.append(d["cpu_s"])
            r = measure([py, str(Path(__file__).resolve()), "--child", str(corpus), "--sample", str(args.sample)],
                        cwd=tmp, env=env)
            if r["returncode"] != 0:
                sys.exit(f"restatement run failed: {r['stderr']}")
            detail = json.loads(r["stdout"])
            rests.append(detail["restatements_s"])
            rest_cpu.append(detail["restatements_cpu_s"])
            print(f"run {k + 1}: scan {d['wall_s']:.2f} s ({d['cpu_s']:.2f} CPU-s), "
                  f"restatements {detail['restatements_s']:.2f} s ({detail['restatements_cpu_s']:.2f} CPU-s) "
                  f"(load {detail['import_and_load_s']:.2f} s, find {detail['find_s']:.2f} s)", file=sys.stderr)
    assert detail is not None
    result = {
        "articles": detail["articles"],
        "sentences": detail["sentences"],
        "repeat": args.repeat,
        "scan_wall_s": median(scans),
        "scan_runs_s": scans,
        "restatements_s": median(rests),
        "restatement_runs_s": rests,
        "added_share": round(median(rests) / median(scans), 3),
        "scan_cpu_s": median(scan_cpu),
        "restatements_cpu_s": median(rest_cpu),
        "added_share_cpu": round(median(rest_cpu) / median(scan_cpu), 3),
        "flagged": detail["flagged"],
        "per_100_articles": round(100 * detail["flagged"] / detail["articles"], 2),
        "last_run": {k: detail[k] for k in ("units_s", "import_and_load_s", "find_s")},
        "machine": machine_facts(),
    }
    print(json.dumps(result, indent=1))
    if args.no_write:
        return
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench_restatement.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    lines = ["# Sample of flagged restatements (Reuters-21578, within article)", "",
             f"{len(detail['sample'])} pairs drawn with seed 14 from {detail['flagged']} flagged.", ""]
    for k, s in enumerate(detail["sample"], 1):
        lines += [f"## {k}. {s['doc']} — {s['meaning']}", "",
                  "A: " + " ".join(s["a"].split()), "",
                  "B: " + " ".join(s["b"].split()), "",
                  f"shared words: {', '.join(s['words']) or '-'}; figures: {', '.join(s['figures']) or '-'}", ""]
    (REPORTS / "bench_restatement_sample.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
