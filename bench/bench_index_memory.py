"""Peak memory of one ``dedupe index add`` as the archive grows (not part of the test suite).

    .venv/bin/python bench/bench_index_memory.py [--scales 1,8,16] [--baseline CODE_DIR] [--workdir DIR]

``Nx`` is the shared Reuters corpus plus N-1 perturbed copies (every ~20th word replaced, new ids;
``bench_index.perturbed_copies``), one JSON-lines file per copy, generated into a temporary folder (never
the repository).  For each scale, one ``dedupe index add FILES --index NEW.db --jobs 2`` into a new index;
with ``--baseline CODE_DIR`` (a checkout of an older dedupe, e.g. ``git archive main | tar -x -C DIR``
plus its compiled kernels) the same add with that code runs at the same time (the two take turns on the
machine's cores), so before and after see the same load.  Reported: wall, peak RSS of the largest
process (``getrusage(RUSAGE_CHILDREN)`` of a helper whose only child is the add), the writer's peak
(sampled ``VmHWM``) and the key entries written; the two indexes must hold the same articles and units.

Results: reports/bench_index_memory.md and reports/bench_index_memory.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

TARGET_MB = 1024

HELPER = """import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
hwm = 0
while p.poll() is None:
    try:
        for line in open(f"/proc/{p.pid}/status"):
            if line.startswith("VmHWM:"):
                hwm = max(hwm, int(line.split()[1]))
    except OSError:
        pass
    time.sleep(0.2)
out, err = p.communicate()
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall_s": round(wall, 1), "rc": p.returncode, "max_rss_mb": round(ru.ru_maxrss / 1024),
                  "writer_hwm_mb": round(hwm / 1024), "cpu_s": round(ru.ru_utime + ru.ru_stime, 1),
                  "stdout": out[-600:], "stderr": err[-2000:]}))
"""


def start(files: list[str], loc: Path, code: Path) -> subprocess.Popen:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(loc) + suffix).unlink(missing_ok=True)
    shutil.rmtree(str(loc) + "-keys", ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(code)}
    cmd = [sys.executable, "-c", HELPER, sys.executable, "-m", "dedupe", "index", "add", *files,
           "--index", str(loc), "--jobs", "2"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env, cwd=tempfile.gettempdir())


def finish(p: subprocess.Popen, loc: Path) -> dict:
    out, _ = p.communicate()
    r = json.loads(out)
    if r["rc"] != 0:
        raise SystemExit(f"index add failed: {r['stderr']}")
    import sqlite3

    db = sqlite3.connect(str(loc))
    r["articles"], r["units"] = db.execute("SELECT count(*), coalesce(sum(n), 0) FROM units").fetchone()
    r["key_entries"], r["key_files"] = db.execute("SELECT coalesce(sum(n), 0), count(*) FROM keyfiles").fetchone()
    db.close()
    r.pop("stderr")
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="1,8,16")
    ap.add_argument("--baseline", type=Path, default=None, help="a checkout of the code to compare with")
    ap.add_argument("--workdir", type=Path, default=None, help="where the archives and indexes go (kept)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    from bench_index import load_stories, perturbed_copies

    scales = [int(s) for s in args.scales.split(",")]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="dedupe-ixmem-"))
    work.mkdir(parents=True, exist_ok=True)
    stories = load_stories()
    base = work / "reuters.jsonl"
    if not base.exists():
        with open(base, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps({"id": s["id"], "title": s["title"], "text": s["text"]}) + "\n" for s in stories)
    copies = work / "copies"
    copies.mkdir(exist_ok=True)
    if len(list(copies.glob("copy*.jsonl"))) < max(scales) - 1:
        perturbed_copies(stories, max(scales) - 1, copies)
    rows = []
    for scale in scales:
        files = [str(base)] + [str(copies / f"copy{c}.jsonl") for c in range(scale - 1)]
        runs = {"after": start(files, work / f"ix{scale}x.db", REPO)}
        if args.baseline:
            runs["before"] = start(files, work / f"ix{scale}x-before.db", args.baseline)
        row = {"scale": scale, **{k: finish(p, work / (f"ix{scale}x.db" if k == "after" else f"ix{scale}x-before.db"))
                                  for k, p in runs.items()}}
        if "before" in row and (row["before"]["articles"], row["before"]["units"], row["before"]["key_entries"]) != (
                row["after"]["articles"], row["after"]["units"], row["after"]["key_entries"]):
            raise SystemExit(f"{scale}x: the two indexes differ: {row}")
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
        for p in work.glob(f"ix{scale}x*.db-keys"):  # the key files are most of the disk: not kept
            shutil.rmtree(p, ignore_errors=True)
    result = {"rows": rows, "baseline": str(args.baseline) if args.baseline else None, "target_mb": TARGET_MB}
    text = render_md(result)
    print(text)
    if not args.no_write:
        (REPO / "reports" / "bench_index_memory.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        (REPO / "reports" / "bench_index_memory.md").write_text(text, encoding="utf-8")


def render_md(r: dict) -> str:
    lines = []
    for row in r["rows"]:
        a, b = row["after"], row.get("before")
        before = f"{b['max_rss_mb']} MB ({b['wall_s']:.0f} s)" if b else "not run"
        lines.append(f"| {row['scale']}x | {a['articles']:,} | {a['units']:,} | {a['key_entries']:,} ({a['key_files']}) "
                     f"| {before} | **{a['max_rss_mb']} MB** ({a['wall_s']:.0f} s) |")
    worst = max(row["after"]["max_rss_mb"] for row in r["rows"])
    return f"""# Peak memory of `dedupe index add` as the archive grows (`bench/bench_index_memory.py`)

One `dedupe index add FILES --index NEW.db --jobs 2` of Reuters plus N-1 perturbed copies (one JSON-lines
file per copy) into a new embedded index. Before (the code at `--baseline`) and after ran at the same time,
so both saw the same load (2 cores shared with other jobs: wall times are noisy, the memory is not).
Peak RSS: the largest process of the add (`getrusage(RUSAGE_CHILDREN)`). Both indexes hold the same
articles, units and key entries.

| archive | articles | units | key entries (files) | peak RSS before (wall) | peak RSS after (wall) |
|---|---|---|---|---|---|
{chr(10).join(lines)}

Largest peak after: {worst} MB (target under {r['target_mb']} MB at any size: {'met at these sizes' if worst < r['target_mb'] else 'NOT met'}).
Re-run: `python bench/bench_index_memory.py --scales 1,8,16 --baseline DIR` (DIR: `git archive REV | tar -x -C DIR`
and the compiled kernels copied in).
"""


if __name__ == "__main__":
    main()
