"""Real redis-server processes for tests: a single server, a 3-node cluster, and a silent port.

A test that needs redis-server fails (never skips) when it is missing.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port() -> int:
    """A free loopback port whose cluster bus port (+10000) is free too."""
    import random

    for _ in range(200):
        port = random.randint(20000, 50000)
        if _bindable(port) and _bindable(port + 10000):
            return port
    raise RuntimeError("no free port pair")


def _exe(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        pytest.fail(f"{name} is not installed (.ci/run installs Debian's redis-server)")
    return exe


def _wait_ping(port: int, proc: subprocess.Popen, timeout: float = 10.0, may_exit: bool = False) -> bool:
    """Wait until the server answers; ``False`` if it exited and ``may_exit`` (its port was taken)."""
    import redis

    r = redis.Redis(port=port, socket_connect_timeout=1, socket_timeout=1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            if may_exit:
                return False
            pytest.fail(f"redis-server on port {port} exited with {proc.returncode}")
        try:
            r.ping()
            if proc.poll() is None:  # ours answered (not another test's server on a port taken meanwhile)
                return True
        except redis.RedisError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail(f"redis-server on port {port} did not start")


class RedisServer:
    """One redis-server on a free loopback port (no persistence unless ``appendonly``)."""

    def __init__(self, *extra: str, directory: str | None = None, port: int | None = None) -> None:
        self.dir = directory or tempfile.mkdtemp(prefix="dedupe-redis-")
        for attempt in range(3):  # a free port taken meanwhile (tests run in parallel): another one
            self.port = port or free_port()
            self.proc = subprocess.Popen(
                [_exe("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", self.dir, "--daemonize", "no", *extra],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if _wait_ping(self.port, self.proc, may_exit=port is None and attempt < 2):
                break

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def client(self, db: int = 0):
        import redis

        return redis.Redis(port=self.port, db=db)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisCluster:
    """A Redis Cluster on free loopback ports: 3 masters, no replicas; with ``replicas=1``, 3 masters and
    3 replicas (6 nodes), so a killed master is replaced by its replica after ``node_timeout`` ms."""

    def __init__(self, nodes: int = 3, replicas: int = 0, node_timeout: int = 5000) -> None:
        nodes = nodes * (1 + replicas)
        self.dir = tempfile.mkdtemp(prefix="dedupe-rcluster-")
        self.servers: list[RedisServer] = []
        try:
            for i in range(nodes):
                d = Path(self.dir) / str(i)
                d.mkdir()
                self.servers.append(RedisServer("--cluster-enabled", "yes", "--cluster-config-file",
                                                str(d / "nodes.conf"), "--cluster-node-timeout", str(node_timeout),
                                                directory=str(d)))
            addrs = [f"127.0.0.1:{s.port}" for s in self.servers]
            r = subprocess.run([_exe("redis-cli"), "--cluster", "create", *addrs, "--cluster-replicas", str(replicas),
                                "--cluster-yes"], capture_output=True, text=True, timeout=60, check=False)
            if r.returncode != 0:
                pytest.fail(f"redis-cli --cluster create failed: {r.stdout[-500:]} {r.stderr[-500:]}")
            self._wait_ok()
            if replicas:
                self._wait_replicas_synced()
        except BaseException:
            self.stop()
            raise

    def _wait_ok(self, timeout: float = 30.0) -> None:
        import redis

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ok = 0
            for s in self.servers:
                try:
                    info = redis.Redis(port=s.port).execute_command("CLUSTER INFO")
                    if isinstance(info, dict):
                        ok += str(info.get("cluster_state")) == "ok"
                    else:
                        ok += "cluster_state:ok" in (info.decode() if isinstance(info, bytes) else str(info))
                except redis.RedisError:
                    pass
            if ok == len(self.servers):
                return
            time.sleep(0.1)
        pytest.fail("the Redis Cluster did not reach cluster_state:ok")

    def _wait_replicas_synced(self, timeout: float = 30.0) -> None:
        """Until every replica's link to its master is up (a replica that never synced cannot take over)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            infos = [s.client().info("replication") for s in self.servers]
            replicas = [i for i in infos if i.get("role") == "slave"]
            if replicas and all(i.get("master_link_status") == "up" for i in replicas):
                return
            time.sleep(0.1)
        pytest.fail("the Redis Cluster's replicas did not sync with their masters")

    def masters(self) -> list[int]:
        """The nodes (indexes into ``servers``) that are masters now."""
        out = []
        for i, s in enumerate(self.servers):
            try:
                role = s.client().execute_command("ROLE")
            except Exception:  # noqa: BLE001 - a killed node
                continue
            if (role[0].decode() if isinstance(role[0], bytes) else str(role[0])) == "master":
                out.append(i)
        return out

    def wait_ok(self, timeout: float = 30.0) -> None:
        """Until every live node says cluster_state:ok (after a failover)."""
        live = [s for s in self.servers if s.proc.poll() is None]
        saved, self.servers = self.servers, live
        try:
            self._wait_ok(timeout)
        finally:
            self.servers = saved

    def url(self, node: int = 0) -> str:
        return self.servers[node].url + "/0"

    def client(self):
        from redis.cluster import RedisCluster as RC

        return RC(host="127.0.0.1", port=self.servers[0].port)

    def flushall(self) -> None:
        for s in self.servers:
            s.client().flushall()

    def used_memory(self) -> int:
        return sum(int(s.client().info("memory")["used_memory"]) for s in self.servers)

    def stop(self) -> None:
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class SilentServer:
    """A TCP port that accepts connections and never replies."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                c, _ = self.sock.accept()
                self.conns.append(c)  # kept open, never answered
            except OSError:
                continue

    def stop(self) -> None:
        self._stop = True
        self.thread.join(2)
        for c in self.conns:
            c.close()
        self.sock.close()
