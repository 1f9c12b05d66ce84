"""``dedupe scan --engine spark`` on a real Spark standalone cluster: a master and two workers, all on 127.0.0.1.

    python bench/spark_standalone.py [--stories N] [--packed-env dedupe-env.tar.gz]

Started with pyspark's own launcher (``bin/spark-class`` of the installed pyspark: its ``sbin`` has no
start-master.sh), every socket bound to 127.0.0.1 (``SPARK_LOCAL_IP``, ``--host``, ``spark.driver.host``,
``spark.driver.bindAddress``).  Four runs, each a ``dedupe scan`` process of its own:

1. the same clusters (fingerprints and members) as Spark ``local[2]``, and that as the embedded engine;
2. a worker killed mid-run: the scan still finishes, with the same clusters;
3. executors whose Python lacks dedupe (the system python3): exit 2 and one line saying how to ship it;
4. the same executors given dedupe the documented way (docs/spark.md): a venv of the system python3 with
   dedupe built from this tree (its compiled kernels inside), packed with venv-pack and shipped with
   ``spark.archives=dedupe-env.tar.gz#env``, ``PYSPARK_PYTHON=./env/bin/python``: the same clusters.
   The archive is built here (about two minutes) unless ``--packed-env`` names one.

Too slow for the suite (a minute or more per run on this machine); prints what it checked, exits 1 on a
difference.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REUTERS = Path(os.environ.get("DEDUPE_SHARED", REPO.parent / "shared")) / "corpora" / "reuters21578" / "reuters21578.jsonl.gz"
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def spark_home() -> str:
    import pyspark

    return os.path.dirname(pyspark.__file__)


def wait_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.3)
    raise SystemExit(f"nothing listening on {LOOPBACK}:{port}")


class Cluster:
    """A standalone master and ``workers`` workers (one core, 1 GB each) on loopback."""

    def __init__(self, workdir: Path, workers: int = 2) -> None:
        self.home = spark_home()
        self.env = {**os.environ, "SPARK_HOME": self.home, "SPARK_LOCAL_IP": LOOPBACK,
                    "SPARK_WORKER_DIR": str(workdir / "work"), "SPARK_LOG_DIR": str(workdir / "logs")}
        self.port = free_port()
        cls = os.path.join(self.home, "bin", "spark-class")
        self.logs = workdir
        self.master = subprocess.Popen(
            [cls, "org.apache.spark.deploy.master.Master", "--host", LOOPBACK, "--port", str(self.port),
             "--webui-port", str(free_port())], env=self.env, stdout=open(workdir / "master.log", "wb"),
            stderr=subprocess.STDOUT)
        wait_port(self.port)
        self.workers = [
            subprocess.Popen([cls, "org.apache.spark.deploy.worker.Worker", "--host", LOOPBACK, "--cores", "1",
                              "--memory", "1g", "--webui-port", str(free_port()), self.url],
                             env=self.env, stdout=open(workdir / f"worker{i}.log", "wb"), stderr=subprocess.STDOUT)
            for i in range(workers)]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # both registered with the master
            if (workdir / "master.log").read_text(errors="replace").count("Registering worker") >= workers:
                return
            time.sleep(0.5)
        raise SystemExit("the workers did not register with the master")

    @property
    def url(self) -> str:
        return f"spark://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        for p in [*self.workers, self.master]:
            if p.poll() is None:
                p.terminate()
        for p in [*self.workers, self.master]:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


def scan_cmd(paths: list[str], master: str | None) -> list[str]:
    cmd = [sys.executable, "-m", "dedupe", "scan", *paths, "--id-field", "newid", "--text-field", "body",
           "--format", "json"]
    if master:
        cmd += ["--engine", "spark", "--spark-master", master,
                "--spark-conf", f"spark.driver.host={LOOPBACK}", "--spark-conf", f"spark.driver.bindAddress={LOOPBACK}",
                "--spark-conf", "spark.executor.memory=900m", "--spark-conf", "spark.task.maxFailures=4"]
    return cmd


def packed_env(work: Path) -> Path:
    """docs/spark.md's recipe: a venv of the system Python, dedupe built into it (not editable), venv-pack."""
    base = shutil.which("python3", path="/usr/bin") or "python3"
    env = work / "build-env"
    subprocess.run([base, "-m", "venv", str(env)], check=True)
    subprocess.run([str(env / "bin" / "pip"), "install", "-q", "-c", str(REPO / "constraints.txt"), str(REPO),
                    "venv-pack"], check=True, stdout=subprocess.DEVNULL)
    out = work / "dedupe-env.tar.gz"
    subprocess.run([str(env / "bin" / "venv-pack"), "-q", "-p", str(env), "-o", str(out)], check=True)
    shutil.rmtree(env)  # the executors must get dedupe from the archive, nowhere else
    return out


def clusters(out: str) -> list:
    return [(c["fingerprint"], [(m["doc"], m["start"], m["end"]) for m in c["members"]])
            for c in json.loads(out)["clusters"]]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stories", type=int, default=1000)
    ap.add_argument("--packed-env", help="a venv-pack archive holding dedupe (default: build one)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dedupe-standalone-"))
    export = work / "reuters.jsonl"
    with gzip.open(REUTERS, "rt", encoding="utf-8") as fh, export.open("w", encoding="utf-8") as out:
        n = 0
        for line in fh:
            if json.loads(line).get("body", "").strip():
                out.write(line)
                n += 1
                if n >= args.stories:
                    break
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": LOOPBACK, "TMPDIR": str(work)}
    failures = 0
    t0 = time.perf_counter()
    embedded = subprocess.run(scan_cmd([str(export)], None), capture_output=True, text=True, cwd=work, env=env)
    t_emb = time.perf_counter() - t0
    emb = clusters(embedded.stdout)
    print(f"embedded: {len(emb)} clusters, {t_emb:.1f} s")
    local = subprocess.run(scan_cmd([str(export)], "local[2]"), capture_output=True, text=True, cwd=work, env=env)
    want = clusters(local.stdout)
    print(f"Spark local[2]: {len(want)} clusters, {'identical to' if want == emb else 'DIFFERENT from'} the embedded "
          "engine's (the standalone runs below are compared with this run)")
    failures += want != emb
    cluster = Cluster(work)
    try:
        t0 = time.perf_counter()
        r = subprocess.run(scan_cmd([str(export)], cluster.url), capture_output=True, text=True, cwd=work, env=env)
        t_sp = time.perf_counter() - t0
        same = r.returncode in (0, 1) and clusters(r.stdout) == want
        failures += not same
        print(f"standalone, 2 workers: exit {r.returncode}, {'identical' if same else 'DIFFERENT'} clusters, "
              f"{t_sp:.1f} s ({t_sp / max(t_emb, 1e-9):.1f}x embedded) {r.stderr.strip()[:300]}")

        p = subprocess.Popen(scan_cmd([str(export)], cluster.url), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, cwd=work, env=env)
        deadline = time.monotonic() + 120  # kill a worker once executors run tasks
        while time.monotonic() < deadline and p.poll() is None:
            if list((work / "work").glob("app-*/*/stderr")):
                time.sleep(5)
                break
            time.sleep(0.5)
        cluster.workers[0].kill()
        out, err = p.communicate(timeout=900)
        same = p.returncode in (0, 1) and clusters(out) == want
        failures += not same
        print(f"a worker killed mid-run: exit {p.returncode}, {'identical' if same else 'DIFFERENT'} clusters "
              f"{err.strip()[:300]}")

        bare = shutil.which("python3", path="/usr/bin") or "/usr/bin/python3"
        r = subprocess.run(scan_cmd([str(export)], cluster.url), capture_output=True, text=True, cwd=work,
                           env={**env, "PYSPARK_PYTHON": bare})
        lines = r.stderr.strip().splitlines()
        ok = r.returncode == 2 and len(lines) == 1 and "cannot import" in lines[0] and "bug" not in lines[0]
        failures += not ok
        print(f"executors without dedupe ({bare}): exit {r.returncode}, {'one line' if len(lines) == 1 else lines}: "
              f"{lines[-1] if lines else ''}")

        t0 = time.perf_counter()
        archive = Path(args.packed_env).resolve() if args.packed_env else packed_env(work)
        t_pack = time.perf_counter() - t0
        cmd = scan_cmd([str(export)], cluster.url) + ["--spark-conf", f"spark.archives={archive}#env"]
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=work, env={**env, "PYSPARK_PYTHON": "./env/bin/python"})
        t_sp = time.perf_counter() - t0
        same = r.returncode in (0, 1) and clusters(r.stdout) == want
        failures += not same
        size = archive.stat().st_size / 1e6
        how = "given" if args.packed_env else f"built in {t_pack:.0f} s"
        print(f"the same executors given dedupe in a packed venv ({size:.0f} MB, {how}; spark.archives, "
              f"PYSPARK_PYTHON=./env/bin/python): exit {r.returncode}, {'identical' if same else 'DIFFERENT'} "
              f"clusters, {t_sp:.1f} s {r.stderr.strip()[:300]}")
    finally:
        cluster.stop()
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
