"""Shared helpers for the benchmarks (not part of the test suite).

The Reuters corpus is read from the shared directory (never copied into the
repository); the plain-text copy the benchmarks scan is written to
``bench/.cache`` (git-ignored).
"""

from __future__ import annotations

import datetime as _dt
import gzip
import json
import os
import platform
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DEDUPE_SHARED", REPO.parent / "shared"))
REUTERS = SHARED / "corpora" / "reuters21578" / "reuters21578.jsonl.gz"
CACHE = REPO / "bench" / ".cache"
REPORTS = REPO / "reports"


def load_reuters(n: int | None = None) -> list[tuple[str, str]]:
    """``(newid, body)`` of the stories with a body, in file order."""
    if not REUTERS.exists():
        sys.exit(f"corpus missing: {REUTERS}")
    out = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            body = rec.get("body") or ""
            if body.strip():
                out.append((f"{int(rec['newid']):05d}", body))
            if n is not None and len(out) >= n:
                break
    return out


def write_txt_corpus(n: int | None) -> Path:
    """The stories as ``NNNNN.txt`` files under ``bench/.cache`` (reused when complete)."""
    stories = load_reuters(n)
    d = CACHE / f"reuters_txt_{len(stories)}"
    marker = d / ".complete"
    if not marker.exists():
        d.mkdir(parents=True, exist_ok=True)
        for newid, body in stories:
            (d / f"{newid}.txt").write_text(body, encoding="utf-8")
        marker.write_text(str(len(stories)))
    return d


def machine_facts() -> dict:
    pkgs = {}
    for name in ("dedupe-newsroom", "datasketch", "nltk", "numpy", "click"):
        try:
            pkgs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pkgs[name] = None
    try:
        from dedupe import kernels as native

        engine = native.describe()
    except Exception:  # noqa: BLE001 - facts only
        engine = None
    return {
        "engine": engine,  # "compiled" (dedupe.kernels._speedups built) or "pure Python"
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": pkgs,
    }


def _tree_rss_kb(root: int) -> int:
    """Sum of VmRSS (kB) of ``root`` and all its descendants."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                ppid = vm = 0
                for line in fh:
                    if line.startswith("PPid:"):
                        ppid = int(line.split()[1])
                    elif line.startswith("VmRSS:"):
                        vm = int(line.split()[1])
        except OSError:
            continue
        parents[int(entry)] = ppid
        rss[int(entry)] = vm
    total = 0
    for pid in rss:
        p = pid
        while p and p != root:
            p = parents.get(p, 0)
        if p == root:
            total += rss[pid]
    return total


def measure(cmd: list[str], cwd: str | None = None, env: dict | None = None) -> dict:
    """Run ``cmd``: wall time, peak RSS of its largest process (``wait4``
    rusage) and the sampled peak RSS of the whole process tree (worker
    processes included, sampled every 100 ms)."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                try:
                    peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
                except Exception:
                    pass
                done.wait(0.1)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        th.join()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")[-2000:]
    return {
        "returncode": proc.returncode,
        "wall_s": round(wall, 3),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
        "max_rss_mb": round(ru.ru_maxrss / 1024, 1),
        "peak_tree_rss_mb": round(max(peak[0], ru.ru_maxrss) / 1024, 1),
        # sampled only: ru_maxrss is carried across exec, so a child of a large process reports its parent's size
        "peak_tree_sampled_mb": round(peak[0] / 1024, 1),
        "stdout": stdout,
        "stderr": stderr,
    }


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def brute_force_pairs(sets: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact: ``(i, j, jaccard)`` for every pair of sets sharing at least one
    element, from an inverted index (posting lists -> all pairs -> counts)."""
    n = len(sets)
    ids: dict = {}
    sh, un = [], []
    for i, s in enumerate(sets):
        for x in s:
            sh.append(ids.setdefault(x, len(ids)))
            un.append(i)
    sh_a = np.array(sh, dtype=np.int64)
    un_a = np.array(un, dtype=np.int64)
    del sh, un, ids
    order = np.lexsort((un_a, sh_a))
    sh_a, un_a = sh_a[order], un_a[order]
    bounds = np.flatnonzero(np.diff(sh_a)) + 1
    codes = []
    for g in np.split(un_a, bounds):
        if len(g) > 1:
            a, b = np.triu_indices(len(g), 1)
            codes.append(g[a] * n + g[b])
    if not codes:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z.astype(float)
    code, shared = np.unique(np.concatenate(codes), return_counts=True)
    del codes
    i, j = code // n, code % n
    size = np.array([len(s) for s in sets], dtype=np.int64)
    return i, j, shared / (size[i] + size[j] - shared)
