"""Redis index: bytes of Redis memory per indexed unit and add time on Reuters-21578.

    python bench/bench_redis.py [--stories N] [--out reports/bench_redis]

Starts its own redis-server processes on loopback ports (a single server and a
3-node Redis Cluster, no persistence), runs ``dedupe index add`` on the Reuters
export (``--id-field newid --text-field body``) into each, and measures Redis
``used_memory`` (summed over a cluster's nodes) before and after, divided by the
indexed units.  Then a cold ``dedupe check`` of a 60-sentence draft against each.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DEDUPE_SHARED", REPO.parent / "shared"))
REUTERS = SHARED / "corpora" / "reuters21578" / "reuters21578.jsonl.gz"
DEDUPE = [sys.executable, "-m", "dedupe"]


NOTE = ('Times were taken on 2 cores shared with other jobs (load average about 11), so they are noisy; the memory figures are exact. A cold check includes process start, the posting lookups (one pipelined round trip per kind, per node) and re-analysing the candidate articles (fingerprints are not stored). "findings = embedded index\'s": `dedupe scan DRAFT --against INDEX --format json` gives the same clusters (kinds, members, positions, texts) as against an embedded index built from the same file.')


def free_port() -> int:
    for _ in range(200):
        port = random.randint(20000, 50000)
        ok = True
        for p in (port, port + 10000):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
        if ok:
            return port
    raise SystemExit("no free port")


def start_server(d: Path, *extra: str) -> tuple[subprocess.Popen, int]:
    import redis

    port = free_port()
    d.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                             "no", "--dir", str(d), "--daemonize", "no", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = redis.Redis(port=port)
    for _ in range(200):
        try:
            r.ping()
            return proc, port
        except redis.RedisError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def used_memory(ports: list[int]) -> int:
    import redis

    return sum(int(redis.Redis(port=p).info("memory")["used_memory"]) for p in ports)


def run(args: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    if r.returncode not in (0, 1):
        raise SystemExit(f"failed: {' '.join(args)}\n{r.stderr}")
    return time.perf_counter() - t0, r.stdout


def breakdown(ports: list[int]) -> dict[str, int]:
    """``MEMORY USAGE`` summed by kind of key (postings, unit map, blobs, records)."""
    import re

    import redis

    kinds = {"b": "LSH band postings", "s": "shingle postings", "u": "unit map", "t": "article blobs"}
    out: dict[str, int] = {}
    for p in ports:
        r = redis.Redis(port=p)
        keys = list(r.scan_iter(count=5000))
        pipe = r.pipeline(transaction=False)
        for k in keys:
            pipe.memory_usage(k, samples=0)
        for k, n in zip(keys, pipe.execute()):
            m = re.match(rb"^[^:]+:\d+:([bsut]):", k)
            name = kinds[m.group(1).decode()] if m else "article records and metadata"
            out[name] = out.get(name, 0) + int(n or 0)
    return out


def findings(out: str) -> list:
    """The clusters of a ``scan --format json``, comparable across indexes."""
    data = json.loads(out)
    return sorted([c["kind"], sorted([m["doc"], m["line"], m["column"], m.get("archive", False), m.get("text")]
                                     for m in c["members"])] for c in data["clusters"])


def measure(label: str, url: str, ports: list[int], jsonl: Path, draft: Path) -> dict:
    before = used_memory(ports)
    add_s, _ = run([*DEDUPE, "index", "add", str(jsonl), "--id-field", "newid", "--text-field", "body",
                    "--index", url, "--no-progress"])
    after = used_memory(ports)
    _, out = run([*DEDUPE, "index", "stats", "--index", url, "--format", "json"])
    st = json.loads(out)
    check_s, _ = run([*DEDUPE, "check", str(draft), "--against", url])
    _, found = run([*DEDUPE, "scan", str(draft), "--against", url, "--format", "json"])
    res = {"setup": label, "articles": st["articles"], "units": st["units"], "used_memory_before": before,
           "used_memory_after": after, "bytes_per_unit": (after - before) / max(1, st["units"]),
           "add_s": add_s, "check_s": check_s, "breakdown": breakdown(ports), "findings": findings(found)}
    print(json.dumps({k: v for k, v in res.items() if k != "findings"}), flush=True)
    return res


def make_draft(stories: list[dict], path: Path, n: int = 60) -> None:
    rng = random.Random(7)
    sents = []
    for s in rng.sample(stories, 200):
        for line in s["body"].split(". "):
            if len(line.split()) >= 10:
                sents.append(" ".join(line.split()) + ".")
    rng.shuffle(sents)
    path.write_text("# Draft\n\n" + "\n\n".join(sents[:n]) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stories", type=int, default=0, help="first N records only (0: all)")
    ap.add_argument("--out", default=str(REPO / "reports" / "bench_redis"))
    ap.add_argument("--no-cluster", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    procs: list[subprocess.Popen] = []
    try:
        jsonl = tmp / "reuters.jsonl"
        stories = []
        with gzip.open(REUTERS, "rt", encoding="utf-8") as fh, open(jsonl, "w", encoding="utf-8") as out:
            for k, line in enumerate(fh):
                if args.stories and k >= args.stories:
                    break
                out.write(line)
                r = json.loads(line)
                if (r.get("body") or "").strip():
                    stories.append(r)
        draft = tmp / "draft.md"
        make_draft(stories, draft)
        results = []
        t_emb, _ = run([*DEDUPE, "index", "add", str(jsonl), "--id-field", "newid", "--text-field", "body",
                        "--index", str(tmp / "emb"), "--no-progress"])
        _, emb_found = run([*DEDUPE, "scan", str(draft), "--against", str(tmp / "emb"), "--format", "json"])
        emb_found = findings(emb_found)
        print(json.dumps({"embedded_add_s": t_emb}), flush=True)
        proc, port = start_server(tmp / "single")
        procs.append(proc)
        results.append(measure("single server", f"redis://127.0.0.1:{port}/0", [port], jsonl, draft))
        if not args.no_cluster:
            ports = []
            for i in range(3):
                d = tmp / f"node{i}"
                proc, port = start_server(d, "--cluster-enabled", "yes", "--cluster-config-file", str(d / "nodes.conf"))
                procs.append(proc)
                ports.append(port)
            subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in ports],
                            "--cluster-replicas", "0", "--cluster-yes"], capture_output=True, check=True)
            import redis

            for _ in range(300):
                if all(redis.Redis(port=p).cluster("info").get("cluster_state") == "ok" for p in ports):
                    break
                time.sleep(0.1)
            results.append(measure("3-node cluster", f"redis://127.0.0.1:{ports[1]}/0", ports, jsonl, draft))
        for r in results:
            r["same_findings_as_embedded"] = r.pop("findings") == emb_found
        Path(args.out + ".json").write_text(json.dumps(results, indent=1) + "\n")
        cmd = "python bench/bench_redis.py" + (f" --stories {args.stories}" if args.stories else "")
        lines = ["# Redis index: memory per indexed unit on Reuters-21578", "",
                 (f"`{cmd}` ({time.strftime('%Y-%m-%d')}, redis-server {redis_version()}, 2 shared cores). "
                  "Memory is Redis `used_memory` after minus before the add (summed over the nodes of the "
                  "cluster), divided by the indexed units. Add time includes reading, splitting and signing."), "",
                 ("| setup | articles | indexed units | Redis memory | bytes/unit | add (s) | cold check, 60 sentences (s) "
                  "| findings = embedded index's |"),
                 "|---|---:|---:|---:|---:|---:|---:|---|"]
        for r in results:
            mem = r["used_memory_after"] - r["used_memory_before"]
            lines.append(f"| {r['setup']} | {r['articles']:,} | {r['units']:,} | {mem / 2**20:.1f} MB | "
                         f"{r['bytes_per_unit']:.0f} | {r['add_s']:.1f} | {r['check_s']:.2f} | "
                         f"{'yes' if r['same_findings_as_embedded'] else 'NO'} ({len(emb_found)} clusters) |")
        lines += ["", (f"The embedded index's `index add` of the same file, same machine, same run: {t_emb:.1f} s "
                       "(roughly the part of the add times above spent reading, splitting and signing)."), "",
                  "Where the memory goes (`MEMORY USAGE` of every key, summed; bytes per indexed unit):", "",
                  "| part | " + " | ".join(r["setup"] for r in results) + " |",
                  "|---|" + "---:|" * len(results)]
        for part in results[0]["breakdown"]:
            lines.append(f"| {part} | " + " | ".join(f"{r['breakdown'].get(part, 0) / max(1, r['units']):.0f}"
                                                      for r in results) + " |")
        lines += ["", NOTE, "", ("Before (datasketch's one-set-per-bucket layout, issue 13): 617 MB for 118k units, about 5 KB "
                       "per unit, and no cluster support."), ""]
        Path(args.out + ".md").write_text("\n".join(lines))
        print("\n".join(lines))
    finally:
        for p in procs:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def redis_version() -> str:
    out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True, check=False).stdout
    return out.split("v=")[1].split()[0] if "v=" in out else "?"


if __name__ == "__main__":
    main()
