"""Reader scaling benchmark (not part of the test suite).

    .venv/bin/python bench/bench_readers.py [--records 5000] [--depth 10000] [--baseline-repo ../main]
                                            [--pages DIR]

Measures time and peak RSS of reading, in a fresh process each:

1. a JSON-lines export of ``--records`` x 1, 4, 8 records (Reuters stories
   from the shared corpus, repeated with new ids; gzip-compressed, as archives
   are kept), every record located once (``Document.location``, as the
   outputs do), which is where each record used to build the line starts of
   the whole file;
2. an HTML page nested ``--depth`` x 1, 4, 8 levels (``<div><span>`` pairs
   around one paragraph, plus a ``<nav>`` so that it counts as a full page).

Ratios against 1x show whether cost grows linearly (4x and 8x the input
should cost about 4x and 8x the time, and memory no faster).  With
``--baseline-repo`` the 1x cases are also run with that checkout's readers
(e.g. the main branch before this change).  Generated inputs go to a
temporary directory; only the figures are written: reports/bench_readers.md.  The issue's figure (19,000 records) is
``--records 19000`` (8x then reads ~150,000 records: minutes, a few GB).

``--pages DIR`` also scans a folder of real published pages (e.g. the
``tests/cache`` pages of trafilatura's repository, extracted to a temporary
folder) and counts the clusters, with the baseline checkout too when given.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DEDUPE_SHARED", REPO.parent / "shared"))
REUTERS = SHARED / "corpora" / "reuters21578" / "reuters21578.jsonl.gz"
SCALES = (1, 4, 8)

CHILD = r"""
import json, resource, sys, time
from dedupe.readers import ReadOptions, read_file
path, id_field, text_field = sys.argv[1:4]
t0 = time.perf_counter()
docs = read_file(path, ReadOptions(id_field=id_field, text_field=text_field))
for d in docs:
    d.location(0, len(d.text))
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "docs": len(docs), "chars": sum(len(d.text) for d in docs)}))
"""


def stories() -> list[dict]:
    out = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if (r.get("body") or "").strip():
                out.append({"title": r.get("title") or None, "text": r["body"]})
    return out


def write_export(path: Path, base: list[dict], n: int) -> None:
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as fh:
        for i in range(n):
            s = base[i % len(base)]
            fh.write(json.dumps({"id": f"r{i}", "title": s["title"], "text": s["text"]}, ensure_ascii=False) + "\n")


def write_deep_html(path: Path, depth: int) -> None:
    path.write_text(
        "<html><body><nav><a href='/'>Home</a></nav>\n" + "<div><span>" * (depth // 2)
        + "<p>The only paragraph of a page nested very deeply, read once.</p>"
        + "</span></div>" * (depth // 2) + "\n</body></html>\n",
        encoding="utf-8",
    )


def measure(repo: Path, path: Path, id_field: str = "id", text_field: str = "text") -> dict:
    env = dict(os.environ, PYTHONPATH=str(repo))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), id_field, text_field],
                          capture_output=True, text=True, env=env, timeout=900, check=False,
                          cwd=path.parent)  # not the repository: ``-c`` puts the cwd first on sys.path
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout)


def page_clusters(repo: Path, pages: Path) -> dict:
    """``dedupe scan`` of a folder of HTML pages with ``repo``'s code: clusters by kind."""
    env = dict(os.environ, PYTHONPATH=str(repo))
    proc = subprocess.run([sys.executable, "-m", "dedupe", "scan", str(pages), "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=900, check=False, cwd=pages)
    if proc.returncode not in (0, 1):
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    data = json.loads(proc.stdout)
    kinds: dict[str, int] = {}
    for c in data["clusters"]:
        kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
    return {"documents": len(data.get("documents", [])), "clusters": len(data["clusters"]), "kinds": kinds,
            "texts": [c["members"][0]["text"][:80] for c in data["clusters"]]}


def table(title: str, unit: str, rows: list[tuple[int, int, dict]]) -> list[str]:
    base = rows[0][2]
    out = [f"### {title}", "", f"| scale | {unit} | time (s) | time ratio | peak RSS (MB) | RSS ratio |",
           "|---|---:|---:|---:|---:|---:|"]
    for scale, size, r in rows:
        if "error" in r:
            out.append(f"| {scale}x | {size:,} | error: {r['error']} | | | |")
            continue
        out.append(f"| {scale}x | {size:,} | {r['seconds']:.2f} | {r['seconds'] / base['seconds']:.2f} | "
                   f"{r['rss_mb']:.0f} | {r['rss_mb'] / base['rss_mb']:.2f} |")
    return out + [""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=5000, help="JSON-lines records at 1x")
    ap.add_argument("--depth", type=int, default=10000, help="HTML nesting depth at 1x")
    ap.add_argument("--baseline-repo", type=Path, help="also run the 1x cases with this checkout's readers")
    ap.add_argument("--pages", type=Path, help="a folder of real HTML pages: clusters found there "
                    "(and with --baseline-repo, before); the pages are not copied anywhere")
    ap.add_argument("--out", type=Path, default=REPO / "reports")
    args = ap.parse_args()

    results: dict = {"records": args.records, "depth": args.depth, "jsonl": [], "html": [], "baseline": {}}
    base = stories()
    with tempfile.TemporaryDirectory() as tmp:
        for scale in SCALES:
            n = args.records * scale
            path = Path(tmp) / f"export{scale}.jsonl.gz"
            write_export(path, base, n)
            r = measure(REPO, path)
            results["jsonl"].append((scale, n, r))
            print(f"jsonl {scale}x {n:>8,} records: {r}", flush=True)
            path.unlink()
        for scale in SCALES:
            depth = args.depth * scale
            path = Path(tmp) / f"deep{scale}.html"
            write_deep_html(path, depth)
            r = measure(REPO, path)
            results["html"].append((scale, depth, r))
            print(f"html  {scale}x {depth:>8,} levels: {r}", flush=True)
        if args.baseline_repo:
            path = Path(tmp) / "export.jsonl"  # the baseline may not read .gz
            with open(path, "w", encoding="utf-8") as fh:
                for i in range(args.records):
                    s = base[i % len(base)]
                    fh.write(json.dumps({"id": f"r{i}", "title": s["title"], "text": s["text"]}) + "\n")
            results["baseline"]["jsonl"] = measure(args.baseline_repo, path)
            results["baseline"]["jsonl_new"] = measure(REPO, path)
            deep = Path(tmp) / "deep.html"
            write_deep_html(deep, args.depth)
            results["baseline"]["html"] = measure(args.baseline_repo, deep)
            print(f"baseline: {results['baseline']}", flush=True)

    if args.pages:
        results["pages"] = {"this branch": page_clusters(REPO, args.pages)}
        if args.baseline_repo:
            results["pages"]["baseline"] = page_clusters(args.baseline_repo, args.pages)
        print(f"pages: {results['pages']}", flush=True)

    lines = ["# Readers: cost against input size", "",
             f"`.venv/bin/python bench/bench_readers.py --records {args.records} --depth {args.depth}"
             + (f" --baseline-repo {args.baseline_repo}" if args.baseline_repo else "")
             + (f" --pages {args.pages}" if args.pages else "") + "`",
             "", ("Each case in a fresh process: read the file and locate every document once; time and peak RSS "
             "of that process (its interpreter included, ~30 MB)."), ""]
    lines += table("JSON lines (gzip, Reuters stories with new ids)", "records", results["jsonl"])
    lines += table("HTML nested `<div><span>` around one paragraph (with a `<nav>`)", "levels", results["html"])
    if results["baseline"]:
        b = results["baseline"]
        lines += ["### Against the baseline checkout (1x)", "", "| case | baseline | this branch |", "|---|---|---|"]
        for name, old, new in (("jsonl (uncompressed)", b["jsonl"], b["jsonl_new"]),
                               ("deep HTML", b["html"], results["html"][0][2])):
            def fmt(r: dict) -> str:
                return r["error"] if "error" in r else f"{r['seconds']:.2f} s, {r['rss_mb']:.0f} MB"
            lines.append(f"| {name} | {fmt(old)} | {fmt(new)} |")
        lines.append("")
    if args.pages:
        lines += [f"### Clusters on a folder of real pages (`--pages`, {args.pages.name})", "",
                  "| readers | documents | clusters | by kind |", "|---|---:|---:|---|"]
        for name, r in sorted(results["pages"].items()):
            if "error" in r:
                lines.append(f"| {name} | error: {r['error']} | | |")
            else:
                kinds = ", ".join(f"{k} {v}" for k, v in sorted(r["kinds"].items()))
                lines.append(f"| {name} | {r['documents']} | {r['clusters']} | {kinds} |")
        lines.append("")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_readers.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
