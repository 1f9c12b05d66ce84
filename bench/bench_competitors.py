"""Benchmark: `dedupe scan` against the naive datasketch script, datasketch's bulk API, a rensa pipeline and a floor.

All in one run, interleaved (each round runs every pipeline once, in a process of its own), ``--repeat``
rounds (default 3), medians.  Corpus: the Reuters-21578 stories with a body as ``.txt`` files under
``bench/.cache`` (``common.write_txt_corpus``, read from ../shared; nothing of it goes into the repository).

  dedupe   ``dedupe scan DIR --format json -o out.json`` (its default worker processes)
  naive    ``bench/naive.py DIR``: untrained Punkt, one ``MinHash`` per sentence of 8+ words (word
           3-shingles, ``update_batch``), ``MinHashLSH(threshold=0.7, num_perm=128)`` insert + query
  bulk     the same split and shingles, ``MinHash.bulk`` and ``MinHashLSH.insertion_session`` (same settings)
  rensa    the same split and shingles, ``rensa.RMinHash.digest_matrix_from_token_sets`` (128 permutations)
           and ``RMinHashLSH(threshold=0.7, num_perm=128, num_bands=16)``: ``insert_matrix`` + ``query_all``
           (skipped, and said so, when rensa is not installed: ``pip install -e '.[bench]'``)
  floor    reads every file, cuts it at sentence punctuation (one regex), hashes word 3-shingles and
           computes 128-permutation MinHash signatures in C (dedupe's compiled kernels), builds the band
           keys and sorts them into buckets: nothing else (no Punkt, no quotes, no verification, no output)

Each is timed as a subprocess: wall, CPU (its process tree, from ``wait4``) and peak RSS of the process
tree (sampled every 100 ms).  The competitors produce LSH candidates only; dedupe's run also verifies,
clusters and writes the JSON report.

    python bench/bench_competitors.py [--repeat N] [--stories N] [--only dedupe,naive,...] [--no-write]

Results: reports/bench_competitors.md and reports/bench_competitors.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, REPORTS, machine_facts, measure, median, write_txt_corpus  # noqa: E402

PIPELINES = ("dedupe", "naive", "bulk", "rensa", "floor")
WORD = re.compile(r"\w+")
SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*\s+")


def _split_and_shingle(directory: str, timings: dict[str, float]) -> tuple[int, int, list[list[str]]]:
    """The naive script's front end: untrained Punkt, lower-cased words, 3-shingles of sentences of 8+ words."""
    t = time.perf_counter()
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    timings["import_nltk"] = time.perf_counter() - t
    t = time.perf_counter()
    texts = [p.read_text("utf-8") for p in sorted(Path(directory).glob("*.txt"))]
    timings["read"] = time.perf_counter() - t
    t = time.perf_counter()
    tok = PunktSentenceTokenizer()
    sentences = [s for text in texts for s in tok.tokenize(text)]
    timings["punkt"] = time.perf_counter() - t
    t = time.perf_counter()
    shingles = []
    for s in sentences:
        words = WORD.findall(s.lower())
        if len(words) >= 8:
            shingles.append([" ".join(words[i:i + 3]) for i in range(len(words) - 2)])
    timings["shingle"] = time.perf_counter() - t
    return len(texts), len(sentences), shingles


def run_bulk(directory: str) -> dict:
    t0 = time.perf_counter()
    from datasketch import MinHash, MinHashLSH

    timings = {"import": time.perf_counter() - t0}
    n_texts, n_sent, shingles = _split_and_shingle(directory, timings)
    t = time.perf_counter()
    minhashes = MinHash.bulk(([s.encode("utf-8") for s in sh] for sh in shingles), num_perm=128)
    timings["minhash"] = time.perf_counter() - t
    t = time.perf_counter()
    lsh = MinHashLSH(threshold=0.7, num_perm=128)
    with lsh.insertion_session() as session:
        for i, m in enumerate(minhashes):
            session.insert(i, m)
    timings["insert"] = time.perf_counter() - t
    t = time.perf_counter()
    pairs = 0
    for i, m in enumerate(minhashes):
        pairs += sum(1 for j in lsh.query(m) if j > i)
    timings["query"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return {"stories": n_texts, "sentences": n_sent, "minhashes": len(minhashes), "candidate_pairs": pairs,
            "settings": {"num_perm": 128, "threshold": 0.7, "bands_rows": list(lsh.b_r) if hasattr(lsh, "b_r")
                         else [lsh.b, lsh.r]},
            "timings_s": {k: round(v, 3) for k, v in timings.items()}}


def run_rensa(directory: str) -> dict:
    t0 = time.perf_counter()
    from rensa import RMinHash, RMinHashLSH

    timings = {"import": time.perf_counter() - t0}
    n_texts, n_sent, shingles = _split_and_shingle(directory, timings)
    t = time.perf_counter()
    matrix = RMinHash.digest_matrix_from_token_sets(shingles, 128, 42)
    timings["minhash"] = time.perf_counter() - t
    t = time.perf_counter()
    lsh = RMinHashLSH(threshold=0.7, num_perm=128, num_bands=16)
    lsh.insert_matrix(matrix)
    timings["insert"] = time.perf_counter() - t
    t = time.perf_counter()
    minhashes = RMinHash.from_token_sets(shingles, 128, 42)  # query_all takes RMinHash objects
    pairs = 0
    for i, cands in enumerate(lsh.query_all(minhashes)):
        pairs += sum(1 for j in cands if j > i)
    timings["query"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return {"stories": n_texts, "sentences": n_sent, "minhashes": len(shingles), "candidate_pairs": pairs,
            "settings": {"num_perm": 128, "threshold": 0.7, "bands": 16},
            "timings_s": {k: round(v, 3) for k, v in timings.items()}}


def run_floor(directory: str) -> dict:
    t0 = time.perf_counter()
    import numpy as np

    from dedupe import kernels
    from dedupe.index.keys import sort_keyed
    from dedupe.sketch.lsh import band_keys, choose_bands
    from dedupe.sketch.signatures import signatures

    fast = kernels.compiled()
    if fast is None:
        raise SystemExit("the floor needs dedupe's compiled kernels (python setup.py build_ext --inplace)")
    timings = {"import": time.perf_counter() - t0}
    t = time.perf_counter()
    texts = [p.read_text("utf-8") for p in sorted(Path(directory).glob("*.txt"))]
    timings["read"] = time.perf_counter() - t
    t = time.perf_counter()
    srcs: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for text in texts:
        a = 0
        for m in SENTENCE_END.finditer(text):
            srcs.append(text)
            starts.append(a)
            ends.append(m.start() + 1)
            a = m.end()
        if a < len(text):
            srcs.append(text)
            starts.append(a)
            ends.append(len(text))
    timings["cut"] = time.perf_counter() - t
    t = time.perf_counter()
    raw_fp, raw_off, _ = fast.shingle_units(srcs, np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64), 3)
    fps = np.frombuffer(raw_fp, dtype=np.uint64)
    off = np.frombuffer(raw_off, dtype=np.int64)
    keep = np.flatnonzero(np.diff(off) > 0)
    if len(keep) < len(off) - 1:  # units too short for a shingle have no signature
        fps, off = fast_take(fast, fps, off, keep)
    timings["shingle"] = time.perf_counter() - t
    t = time.perf_counter()
    sigs = signatures((fps >> np.uint64(32)).astype(np.uint32), off, 128, 1)
    timings["minhash"] = time.perf_counter() - t
    t = time.perf_counter()
    bands, rows = choose_bands(128, 0.7)
    bk = band_keys(sigs, bands, rows)
    n = len(sigs)
    keys, units = sort_keyed(bk.reshape(-1), np.repeat(np.arange(n, dtype=np.uint32), bands))
    timings["bands"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return {"stories": len(texts), "units": n, "shingles": int(len(fps)), "band_keys": int(len(keys)),
            "settings": {"num_perm": 128, "bands": bands, "rows": rows},
            "timings_s": {k: round(v, 3) for k, v in timings.items()}}


def fast_take(fast, fps, off, rows):  # noqa: ANN001, ANN201 - bench helper
    import numpy as np

    v, o = fast.csr_take(fps, off, np.ascontiguousarray(rows, dtype=np.int64))
    return np.frombuffer(v, dtype=np.uint64), np.frombuffer(o, dtype=np.int64)


def rensa_available() -> str | None:
    try:
        from importlib import metadata

        return metadata.version("rensa")
    except Exception:  # noqa: BLE001 - missing or broken: reported
        return None


def command(name: str, corpus: Path, out_json: Path) -> list[str]:
    py = sys.executable
    if name == "dedupe":
        return [py, "-m", "dedupe", "scan", str(corpus), "--format", "json", "-o", str(out_json)]
    if name == "naive":
        return [py, str(REPO / "bench" / "naive.py"), str(corpus)]
    return [py, str(Path(__file__).resolve()), "--pipeline", name, str(corpus)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="rounds (each runs every pipeline once; medians)")
    ap.add_argument("--stories", type=int, default=None, help="number of stories (default: all)")
    ap.add_argument("--only", default=",".join(PIPELINES), help="comma-separated subset of " + ",".join(PIPELINES))
    ap.add_argument("--no-write", action="store_true", help="print only, do not write reports/")
    ap.add_argument("--pipeline", nargs=2, metavar=("NAME", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pipeline:
        name, directory = args.pipeline
        fn = {"bulk": run_bulk, "rensa": run_rensa, "floor": run_floor}[name]
        print(json.dumps(fn(directory)))
        return

    names = [n.strip() for n in args.only.split(",") if n.strip()]
    bad = [n for n in names if n not in PIPELINES]
    if bad:
        sys.exit(f"unknown pipeline(s): {', '.join(bad)} (choose from {', '.join(PIPELINES)})")
    notes = []
    rensa_version = rensa_available()
    if "rensa" in names and rensa_version is None:
        names.remove("rensa")
        notes.append("rensa is not installed (pip install -e '.[bench]'): its pipeline was not run")
        print(notes[-1], file=sys.stderr)
    corpus = write_txt_corpus(args.stories)
    n_files = len(list(corpus.glob("*.txt")))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    runs: dict[str, list[dict]] = {n: [] for n in names}
    summary = None
    with tempfile.TemporaryDirectory() as tmp:
        out_json = Path(tmp) / "out.json"
        for k in range(args.repeat):
            order = names[k % len(names):] + names[:k % len(names)]  # rotate: no pipeline always runs first
            line = []
            for name in order:
                r = measure(command(name, corpus, out_json), cwd=tmp, env=env)
                if r["returncode"] != 0:
                    sys.exit(f"{name} failed ({r['returncode']}): {r['stderr']}")
                out = r.pop("stdout")
                r.pop("stderr")
                if name == "dedupe":
                    summary = json.loads(out_json.read_text("utf-8"))["summary"]
                else:
                    r["detail"] = json.loads(out.strip().splitlines()[-1])
                runs[name].append(r)
                line.append(f"{name} {r['wall_s']:.2f} s / {r['cpu_s']:.2f} CPU s / {r['peak_tree_rss_mb']:.0f} MB")
            print(f"round {k + 1}: " + ", ".join(line), file=sys.stderr, flush=True)

    def med(name: str, key: str) -> float:
        return median([r[key] for r in runs[name]])

    result: dict = {"stories": n_files, "repeat": args.repeat, "pipelines": {}, "notes": notes,
                    "rensa_version": rensa_version, "machine": machine_facts()}
    for name in names:
        p = {"wall_s": med(name, "wall_s"), "cpu_s": med(name, "cpu_s"),
             "peak_tree_rss_mb": max(r["peak_tree_rss_mb"] for r in runs[name]), "runs": runs[name]}
        if name != "dedupe":
            det = [r["detail"] for r in runs[name]]
            p["stages_s_median"] = {s: median([d["timings_s"][s] for d in det]) for s in det[0]["timings_s"]}
            p["detail"] = {k: v for k, v in det[0].items() if k != "timings_s"}
        else:
            p["summary"] = summary
        result["pipelines"][name] = p
    if "dedupe" in names:
        d = result["pipelines"]["dedupe"]
        result["ratios"] = {
            name: {"wall": round(p["wall_s"] / d["wall_s"], 2), "cpu": round(p["cpu_s"] / d["cpu_s"], 2),
                   "wall_per_round": [round(a["wall_s"] / b["wall_s"], 2) for a, b in zip(p["runs"], d["runs"])]}
            for name, p in result["pipelines"].items() if name != "dedupe"}
    text = render_md(result)
    print(text)
    if not args.no_write:
        REPORTS.mkdir(exist_ok=True)
        (REPORTS / "bench_competitors.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        (REPORTS / "bench_competitors.md").write_text(text, encoding="utf-8")


LABELS = {
    "dedupe": "`dedupe scan DIR --format json -o out.json`",
    "naive": "naive datasketch: Punkt + `MinHash.update_batch` per sentence + `MinHashLSH` insert/query",
    "bulk": "datasketch bulk: Punkt + `MinHash.bulk` + `MinHashLSH.insertion_session`",
    "rensa": "rensa: Punkt + `RMinHash.digest_matrix_from_token_sets` + `RMinHashLSH` (16 bands)",
    "floor": "floor: read + regex cut + C word 3-shingles + C MinHash (128) + band keys sorted",
}


def render_md(r: dict) -> str:
    ps, m = r["pipelines"], r["machine"]
    rows = []
    for name, p in ps.items():
        if name == "dedupe":
            vs = "-"
        else:
            q = r.get("ratios", {}).get(name)
            vs = f"{q['wall']:.2f}x wall, {q['cpu']:.2f}x CPU" if q else "-"
        rows.append(f"| {LABELS[name]} | {p['wall_s']:.2f} | {p['cpu_s']:.2f} | {p['peak_tree_rss_mb']:.0f} | {vs} |")
    stages = []
    for name, p in ps.items():
        if "stages_s_median" in p:
            st = ", ".join(f"{k} {v:.2f} s" for k, v in p["stages_s_median"].items() if k != "total")
            det = p["detail"]
            what = (f"{det.get('minhashes')} MinHashes, {det.get('candidate_pairs')} candidate pairs"
                    if "minhashes" in det else f"{det.get('units')} units, {det.get('shingles')} shingles, "
                                               f"{det.get('band_keys')} band keys ({det['settings']['bands']} x {det['settings']['rows']})")
            stages.append(f"- {name}: {st}; {what}.")
    s = (ps.get("dedupe") or {}).get("summary") or {}
    verdict = []
    q = r.get("ratios", {})
    if "floor" in q:
        verdict.append(f"dedupe / floor: {1 / q['floor']['wall']:.2f}x the floor's wall time (target within 1.3x: "
                       f"{'met' if 1 / q['floor']['wall'] <= 1.3 else 'NOT met'})")
    if "naive" in q:
        verdict.append(f"naive / dedupe {q['naive']['wall']:.1f}x (target >= 20x: {'met' if q['naive']['wall'] >= 20 else 'NOT met'})")
    if "rensa" in q:
        verdict.append(f"rensa / dedupe {q['rensa']['wall']:.1f}x (target >= 6x: {'met' if q['rensa']['wall'] >= 6 else 'NOT met'})")
    per_round = "; ".join(f"{n} {', '.join(f'{x:.1f}x' for x in v['wall_per_round'])}" for n, v in q.items())
    notes = "".join(f"- {n}\n" for n in r["notes"])
    return f"""# Benchmark: `dedupe scan` against datasketch (naive and bulk), rensa and a floor (`bench/bench_competitors.py`)

Corpus: Reuters-21578, {r['stories']} stories as `.txt` files (read from the shared directory; not in the
repository). {r['repeat']} rounds, interleaved (each round runs every pipeline once as a subprocess, in rotated
order); medians. Peak RSS: the whole process tree (workers included), sampled every 100 ms, largest round.

| pipeline | wall (s) | CPU (s) | peak RSS (MB) | other / dedupe |
|---|---:|---:|---:|---:|
{chr(10).join(rows)}

{'. '.join(verdict)}.
Per round (other / dedupe wall): {per_round}.

Stages (medians, in the process's own timers):
{chr(10).join(stages)}
- dedupe: {s.get('clusters')} clusters, {s.get('candidates')} candidates; it also verifies every candidate exactly,
  clusters, and writes the JSON report. The competitors stop at LSH candidates; the floor stops at band buckets.
{notes}
Machine: {m['nproc']} CPUs, Python {m['python']}; engine {m.get('engine')}; packages
{', '.join(f'{k} {v}' for k, v in m['packages'].items())}, rensa {r.get('rensa_version')}; {m['date']}.
Re-run: `python bench/bench_competitors.py [--repeat N]` (rensa: `pip install -e '.[bench]'`).
"""


if __name__ == "__main__":
    main()
