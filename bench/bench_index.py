"""Archive index benchmark (not part of the test suite).

    .venv/bin/python bench/bench_index.py [--repeat N] [--skip-1m] [--skip-redis]

Measures, on the shared Reuters corpus (read from ../shared; nothing derived
from it is written into the repository, only to a temporary directory):

1. indexing speed: the naive datasketch pipeline (untrained Punkt split,
   sentences of 8+ words, one ``MinHash`` per sentence with ``update_batch``,
   ``MinHashLSH.insert``) vs ``dedupe index add`` of the same stories, in the
   same run, interleaved ``--repeat`` times (medians);
2. query latency: a 60-sentence draft made of corpus sentences against the
   loaded index (median of 50), and ``dedupe check draft.md --against INDEX``
   from a cold process (median of 5);
3. scale: a ~1,000,000-sentence index (Reuters plus perturbed copies: one
   word replaced in every ~20, new ids) with build time, peak RSS, size on
   disk and query latency; embedded and Redis.

Results: reports/bench_index.md and reports/bench_index.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DEDUPE_SHARED", REPO.parent / "shared"))
REUTERS = SHARED / "corpora" / "reuters21578" / "reuters21578.jsonl.gz"
DEDUPE = [sys.executable, "-m", "dedupe"]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def load_stories() -> list[dict]:
    out = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if (r.get("body") or "").strip():
                out.append({"id": str(r["newid"]), "title": r.get("title") or None, "text": r["body"]})
    return out


def write_txt(stories, d: Path) -> None:
    d.mkdir(parents=True, exist_ok=True)
    for s in stories:
        (d / f"{int(s['id']):05d}.txt").write_text(s["text"], encoding="utf-8")


def naive(stories) -> dict:
    from datasketch import MinHash, MinHashLSH
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    t0 = time.perf_counter()
    tok = PunktSentenceTokenizer()
    sents = []
    for s in stories:
        for sent in tok.tokenize(s["text"]):
            w = re.findall(r"\w+", sent.lower())
            if len(w) >= 8:
                sents.append(w)
    t1 = time.perf_counter()
    mhs = []
    for w in sents:
        m = MinHash(num_perm=128)
        m.update_batch([" ".join(w[i:i + 3]).encode() for i in range(len(w) - 2)])
        mhs.append(m)
    t2 = time.perf_counter()
    lsh = MinHashLSH(threshold=0.7, num_perm=128)
    for i, m in enumerate(mhs):
        lsh.insert(i, m)
    t3 = time.perf_counter()
    return {"sentences": len(sents), "split_s": t1 - t0, "minhash_s": t2 - t1, "insert_s": t3 - t2, "total_s": t3 - t0}


def run_child(args, env=None) -> tuple[float, float, str]:
    """Wall time, peak RSS (MB) of this child's process tree (it and its
    workers, sampled every 100 ms), stdout."""
    from common import measure

    r = measure(args, env=env)
    if r["returncode"] != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{r['stderr']}")
    return r["wall_s"], max(r["peak_tree_sampled_mb"], r["max_rss_mb"]), r["stdout"]


def dir_size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def make_draft(stories, path: Path, n: int = 60, seed: int = 7) -> None:
    from dedupe.config import Settings
    from dedupe.documents import Document
    from dedupe.engine.analyse import analyse_documents

    rng = random.Random(seed)
    picks = rng.sample(stories, 200)
    sents = []
    for s in picks:
        d = Document(id=s["id"], path=s["id"], text=s["text"])
        a = analyse_documents([d], Settings(quotes=False))
        for st, en in zip(a.table.start.tolist(), a.table.end.tolist()):
            sents.append(" ".join(s["text"][st:en].split()))
    rng.shuffle(sents)
    body = sents[:n]
    paras = ["\n".join(body[k:k + 4]) for k in range(0, n, 4)]
    path.write_text("# Draft\n\n" + "\n\n".join(p.replace("\n", " ") for p in paras) + "\n", encoding="utf-8")


def query_latency(location: str, draft: Path, reps: int = 50) -> dict:
    """Median in-process latency: index opened and loaded once, then per query
    the draft is analysed, candidates fetched, matched and clustered."""
    from dedupe.config import Settings
    from dedupe.engine.analyse import analyse_documents
    from dedupe.engine.pipeline import finish_scan
    from dedupe.index import open_index, query_indexes
    from dedupe.readers import read_file

    settings = Settings()
    t0 = time.perf_counter()
    ix = open_index(location, settings)
    if hasattr(ix, "load"):
        ix.load()
    load_s = time.perf_counter() - t0
    docs = read_file(str(draft))
    full, lookup = [], []
    found = 0
    for _ in range(reps):
        t = time.perf_counter()
        a = analyse_documents(docs, settings)
        t1 = time.perf_counter()
        d2, c2, tab, flags = query_indexes([ix], list(a.documents), list(a.counts), a.table, [False], settings)
        t2 = time.perf_counter()
        res = finish_scan(d2, c2, tab, flags, settings, [], {})
        t3 = time.perf_counter()
        full.append(t3 - t)
        lookup.append(t2 - t1)
        found = sum(1 for c in res.clusters if c.kind == "archive-match")
    ix.close()
    return {"load_s": load_s, "median_ms": statistics.median(full) * 1000,
            "median_lookup_ms": statistics.median(lookup) * 1000, "draft_units": len(a.table),
            "archive_matches": found}


def cold_check(location: str, draft: Path, reps: int = 5) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        p = subprocess.run(DEDUPE + ["check", str(draft), "--against", location], capture_output=True, text=True,
                           cwd=REPO)
        times.append(time.perf_counter() - t)
        if p.returncode not in (0, 1):
            raise SystemExit(p.stderr)
    return statistics.median(times)


def perturbed_copies(stories, copies: int, out: Path) -> int:
    """JSON lines files, one per copy: every ~20th word replaced (new ids)."""
    vocab = sorted({w for s in stories[:500] for w in s["text"].split() if w.isalpha() and len(w) > 3})
    n = 0
    for c in range(copies):
        rng = random.Random(c)
        with open(out / f"copy{c}.jsonl", "w", encoding="utf-8") as fh:
            for s in stories:
                words = s["text"].split(" ")
                for i in range(rng.randrange(20), len(words), 20):
                    if words[i].isalpha():
                        words[i] = rng.choice(vocab)
                fh.write(json.dumps({"id": f"c{c}-{s['id']}", "title": s["title"], "text": " ".join(words)}) + "\n")
                n += 1
    return n


def start_redis() -> tuple[subprocess.Popen, str]:
    exe = shutil.which("redis-server")
    if not exe:
        raise SystemExit("redis-server not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                         stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    return p, f"redis://127.0.0.1:{port}/0"


def render_md(r: dict) -> str:
    """reports/bench_index.md from the figures (written by every run)."""
    n, ix, q = r["naive"], r["index_reuters"], r["query_reuters"]
    rd, m, r1 = r.get("redis_reuters"), r.get("index_1m"), r.get("redis_1m")
    runs = ", ".join(f"{x:.2f}" for x in ix["runs_wall_s"])
    per_run = ", ".join(f"{x:.1f}x" for x in ix["speedup_per_run"])
    met = ix["speedup_vs_naive"] >= 15
    out = [
        "# Archive index benchmark (`bench/bench_index.py`)",
        "",
        f"Machine: {r['machine']['cpus']} cores; `--jobs {r['jobs']}`"
        + (f"; engine {r['machine']['engine']}" if r["machine"].get("engine") else "") + ". Corpus: the shared",
        f"Reuters-21578 stories ({r['stories']} with a body), written as `.txt` files into a temporary directory.",
        "Raw figures: `reports/bench_index.json`. Re-run: `.venv/bin/python bench/bench_index.py`.",
        "",
        "## 1. Indexing the Reuters corpus",
        "",
        f"The naive pipeline and `dedupe index add` run interleaved, {len(ix['runs_wall_s'])} times each, each in a process of",
        "its own (the naive one timed by its own stage timers, without its imports); medians.",
        "",
        "| pipeline | sentences | time |",
        "|---|---|---|",
        f"| naive datasketch: untrained Punkt split ({n['split_s']:.1f} s), `MinHash` + `update_batch` ({n['minhash_s']:.1f} s), "
        f"`MinHashLSH.insert` ({n['insert_s']:.1f} s) | {n['sentences']:,} of 8+ words | **{n['total_s']:.1f} s** "
        f"(runs: {', '.join(f'{x:.1f}' for x in n['runs_total_s'])}) |",
        f"| `dedupe index add` (embedded, new index, cold process: walk + read + split + quotes + sign + store) | "
        f"{ix['sentences']:,} sentences, {ix['units']:,} indexed units | **{ix['wall_s']:.2f} s** (runs: {runs}) |",
    ]
    if rd:
        out.append(f"| `dedupe index add --index redis://...` | same | **{rd['wall_s']:.1f} s** |")
    out += [
        "",
        f"Speed-up of the embedded index over the naive pipeline, same run: **{ix['speedup_vs_naive']:.1f}x** (per run {per_run}).",
        f"**Target >= 15x: {'met' if met else 'NOT met'}.** Peak RSS of the `index add` process tree: {ix['peak_rss_mb']:.0f} MB.",
        f"Index size on disk: {ix['size_mb']:.0f} MB." + (f" Redis memory (`used_memory`): {rd['used_memory_mb']:.0f} MB." if rd else ""),
        "",
        "## 2. Query (index of the Reuters corpus)",
        "",
        f"Draft: 60 sentences drawn at random from 200 corpus stories ({q['draft_units']} eligible units), Markdown.",
        "",
        "| | embedded | Redis |",
        "|---|---|---|",
    ]

    def col(x, key, fmt):
        return fmt.format(x[key]) if x else "not run"

    out += [
        f"| open + load index (once per process) | {q['load_s'] * 1000:.0f} ms | {col(rd, 'load_s', '{:.3f} s')} |",
        f"| query, median of 50, index loaded: analyse draft + look up + fetch + verify + cluster | **{q['median_ms']:.1f} ms** | {col(rd, 'median_ms', '{:.1f} ms')} |",
        f"| of which index lookup + fetch of candidates | {q['median_lookup_ms']:.1f} ms | {col(rd, 'median_lookup_ms', '{:.1f} ms')} |",
        f"| archive-match clusters found | {q['archive_matches']} | {col(rd, 'archive_matches', '{}')} |",
        f"| `dedupe check draft.md --against INDEX`, cold process, median of 5 | **{q['cold_check_s']:.2f} s** | {col(rd, 'cold_check_s', '{:.2f} s')} |",
        "",
        f"Targets: < 50 ms median once loaded ({'met' if q['median_ms'] < 50 and (not rd or rd['median_ms'] < 50) else 'NOT met'}), "
        f"< 1 s cold `dedupe check` ({'met' if q['cold_check_s'] < 1 and (not rd or rd['cold_check_s'] < 1) else 'NOT met'}).",
        "",
    ]
    if m:
        kept = " (kept from the previous run: `--skip-1m`)" if m.get("kept_from_previous_run") else ""
        out += [
            f"## 3. Scale: ~1,000,000 sentences{kept}",
            "",
            f"Reuters plus {m['copies']} perturbed copies (every ~20th word replaced, new ids; {m['perturbed_articles']:,} JSON-lines",
            f"records): {m['articles']:,} articles, **{m['sentences']:,} sentences**, {m['units']:,} indexed units.",
            "",
            "| | embedded | Redis |",
            "|---|---|---|",
            f"| build time (one `dedupe index add`) | **{m['wall_s']:.1f} s** | {col(r1, 'wall_s', '{:.0f} s')} |",
            f"| peak RSS of the `index add` process tree (target < 2 GB) | **{m['peak_rss_mb']:.0f} MB** | {col(r1, 'peak_rss_mb', '{:.0f} MB (client side)')} |",
            f"| size | {m['size_mb']:.0f} MB on disk | {col(r1, 'used_memory_mb', '{:.0f} MB of Redis memory')} |",
            f"| load (first query in a process) | {m['load_s']:.2f} s | {col(r1, 'load_s', '{:.3f} s')} |",
            f"| query median (20 runs, loaded), 60-sentence draft | {m['median_ms']:.0f} ms | {col(r1, 'median_ms', '{:.0f} ms')} |",
            f"| cold `dedupe check draft.md --against INDEX` | {m['cold_check_s']:.2f} s | {col(r1, 'cold_check_s', '{:.2f} s')} |",
            "",
            "Each draft sentence has ~9 near-copies here, so every query fetches and verifies ~9x the candidates.",
            "",
        ]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-1m", action="store_true")
    ap.add_argument("--skip-redis", action="store_true")
    ap.add_argument("--copies", type=int, default=8, help="perturbed copies for the scale test")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs of the naive pipeline and index add")
    ap.add_argument("--naive-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--render-only", action="store_true",
                    help="rewrite reports/bench_index.md from reports/bench_index.json, measuring nothing")
    args = ap.parse_args()
    if args.render_only:
        results = json.loads((REPO / "reports" / "bench_index.json").read_text())
        (REPO / "reports" / "bench_index.md").write_text(render_md(results))
        return
    if args.naive_only:  # the child the benchmark runs for each naive measurement
        print(json.dumps(naive(load_stories())))
        return
    tmp = Path(tempfile.mkdtemp(prefix="dedupe-bench-index-"))
    from common import machine_facts

    results: dict = {"machine": {"cpus": os.cpu_count(), "engine": machine_facts()["engine"]}, "jobs": args.jobs}
    try:
        stories = load_stories()
        txt = tmp / "reuters"
        write_txt(stories, txt)
        results["stories"] = len(stories)
        print(f"{len(stories)} stories", flush=True)
        # 1. build speed: naive and dedupe interleaved, --repeat times each (medians)
        naive_runs, add_runs = [], []
        for k in range(args.repeat):
            # in a child process: the bench process stays small, so the dedupe child forked from it
            # starts as it would from a shell (a 1 GB parent made every fork cost more, and polluted
            # the child's max RSS, which Linux carries across exec)
            out = subprocess.run([sys.executable, __file__, "--naive-only"], capture_output=True, text=True, check=True)
            naive_runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            loc = str(tmp / f"ix{k}")
            wall, rss, out = run_child(DEDUPE + ["index", "add", str(txt), "--index", loc, "--jobs", str(args.jobs)])
            add_runs.append((wall, rss))
            print(f"run {k + 1}: naive {naive_runs[-1]['total_s']:.2f} s, dedupe index add {wall:.2f} s", flush=True)
            if k + 1 < args.repeat:
                shutil.rmtree(loc, ignore_errors=True)
        nv = {key: statistics.median(r[key] for r in naive_runs) for key in naive_runs[0]}
        nv["runs_total_s"] = [r["total_s"] for r in naive_runs]
        results["naive"] = nv
        print("naive", nv, flush=True)
        wall = statistics.median(w for w, _ in add_runs)
        st = json.loads(subprocess.run(DEDUPE + ["index", "stats", "--index", loc, "--format", "json"],
                                       capture_output=True, text=True).stdout)
        results["index_reuters"] = {"wall_s": wall, "runs_wall_s": [w for w, _ in add_runs],
                                    "peak_rss_mb": max(r for _, r in add_runs), "units": st["units"],
                                    "sentences": st["sentences"], "size_mb": dir_size(Path(loc)) / 2**20,
                                    "speedup_vs_naive": nv["total_s"] / wall,
                                    "speedup_per_run": [n["total_s"] / w for n, (w, _) in zip(naive_runs, add_runs)]}
        print("index", results["index_reuters"], flush=True)
        # 2. query
        draft = tmp / "draft.md"
        make_draft(stories, draft)
        results["query_reuters"] = query_latency(loc, draft)
        results["query_reuters"]["cold_check_s"] = cold_check(loc, draft)
        print("query", results["query_reuters"], flush=True)
        # Redis at Reuters size
        if not args.skip_redis:
            proc, url = start_redis()
            try:
                wall, rss, _ = run_child(DEDUPE + ["index", "add", str(txt), "--index", url, "--jobs", str(args.jobs)])
                import redis

                mem = redis.Redis.from_url(url).info("memory")["used_memory"]
                q = query_latency(url, draft)
                q["cold_check_s"] = cold_check(url, draft)
                results["redis_reuters"] = {"wall_s": wall, "peak_rss_mb": rss, "used_memory_mb": mem / 2**20,
                                            "speedup_vs_naive": nv["total_s"] / wall, **q}
                print("redis", results["redis_reuters"], flush=True)
            finally:
                proc.terminate()
                proc.wait()
        # 3. scale
        if not args.skip_1m:
            big = tmp / "big"
            big.mkdir()
            n = perturbed_copies(stories, args.copies, big)
            loc2 = str(tmp / "ix1m")
            files = [str(txt)] + sorted(str(p) for p in big.glob("*.jsonl"))
            wall, rss, _ = run_child(DEDUPE + ["index", "add", *files, "--index", loc2, "--jobs", str(args.jobs)])
            st = json.loads(subprocess.run(DEDUPE + ["index", "stats", "--index", loc2, "--format", "json"],
                                           capture_output=True, text=True).stdout)
            q = query_latency(loc2, draft, reps=20)
            q["cold_check_s"] = cold_check(loc2, draft, reps=3)
            results["index_1m"] = {"articles": st["articles"], "sentences": st["sentences"], "units": st["units"],
                                   "wall_s": wall, "peak_rss_mb": rss, "size_mb": dir_size(Path(loc2)) / 2**20,
                                   "copies": args.copies, "perturbed_articles": n, **q}
            print("1m", results["index_1m"], flush=True)
            if not args.skip_redis:  # the same ~1M sentences into Redis
                proc, url = start_redis()
                try:
                    wall, rss, _ = run_child(DEDUPE + ["index", "add", *files, "--index", url, "--jobs", str(args.jobs)])
                    import redis

                    mem = redis.Redis.from_url(url).info("memory")["used_memory"]
                    st = json.loads(subprocess.run(DEDUPE + ["index", "stats", "--index", url, "--format", "json"],
                                                   capture_output=True, text=True).stdout)
                    q = query_latency(url, draft, reps=20)
                    q["cold_check_s"] = cold_check(url, draft, reps=3)
                    results["redis_1m"] = {"articles": st["articles"], "units": st["units"], "wall_s": wall,
                                           "peak_rss_mb": rss, "used_memory_mb": mem / 2**20, **q}
                    print("redis 1m", results["redis_1m"], flush=True)
                finally:
                    proc.terminate()
                    proc.wait()
        elif (REPO / "reports" / "bench_index.json").is_file():  # keep the previous run's figures, marked
            prev = json.loads((REPO / "reports" / "bench_index.json").read_text()).get("index_1m")
            if prev:
                results["index_1m"] = {**prev, "kept_from_previous_run": True}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    (REPO / "reports").mkdir(exist_ok=True)
    (REPO / "reports" / "bench_index.json").write_text(json.dumps(results, indent=1) + "\n")
    (REPO / "reports" / "bench_index.md").write_text(render_md(results))
    print(render_md(results))


if __name__ == "__main__":
    main()
