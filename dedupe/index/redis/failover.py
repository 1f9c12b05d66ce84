"""Riding out a Redis Cluster failover: idempotent reads and writes retried with backoff, for a bounded time.

When a cluster master dies, its slots answer nothing (connection refused, ``CLUSTERDOWN``, ``TRYAGAIN``)
until a replica is promoted: about ``cluster-node-timeout`` plus an election.  Every operation wrapped
here is idempotent (a read, a ``SET``/``SETRANGE``/``HSET`` of values fixed before the first try, a merge
of postings that drops postings already present, the commit script that writes the same records again), so
retrying it after a failure leaves the index as one success would.  Between tries the client's view of the
cluster is refreshed, so a promoted replica is found.

The window is ``DEDUPE_REDIS_FAILOVER_WAIT`` seconds when set, else twice the cluster's
``cluster-node-timeout`` (read with ``CONFIG GET`` at connect; 15 s, Redis's default, when the server
refuses) plus ``ELECTION_MARGIN``: a failover takes the node timeout, then up to a second or two for the
replicas' election and the new slot map to spread (measured here: 4.5 s with a 3 s node timeout).  A single
server is not retried (nothing takes over).

The node named in the URL may be the one that dies: the cluster client knows every node it has met (its
slot map), so a run already connected goes on through the others; a run that starts while it is down
connects through the URL's other nodes (``redis://H1:P1,H2:P2,H3:P3/0``, see connection.py).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
DEFAULT_NODE_TIMEOUT = 15.0  # seconds: Redis's default cluster-node-timeout
MAX_DELAY = 1.0  # seconds between tries, at most
ELECTION_MARGIN = 3.0  # seconds beyond twice the node timeout: the election and the new slot map


def failover_wait(client: Any) -> float:
    """Seconds to keep retrying through a failover: ``DEDUPE_REDIS_FAILOVER_WAIT``, else twice the
    cluster's node timeout plus :data:`ELECTION_MARGIN`."""
    env = os.environ.get("DEDUPE_REDIS_FAILOVER_WAIT", "").strip()
    if env:
        try:
            return max(0.0, float(env))
        except ValueError:
            from dedupe.errors import ConfigError

            raise ConfigError(f"DEDUPE_REDIS_FAILOVER_WAIT={env!r} is not a number of seconds") from None
    node_timeout = DEFAULT_NODE_TIMEOUT
    try:
        got = client.config_get("cluster-node-timeout")
        if isinstance(got, dict) and len(got) > 1:  # one answer per node: the largest
            vals = [v.get("cluster-node-timeout") if isinstance(v, dict) else v for v in got.values()]
        else:
            vals = [got.get("cluster-node-timeout") if isinstance(got, dict) else None]
        ms = [float(v) for v in vals if v is not None]
        if ms:
            node_timeout = max(ms) / 1000.0
    except Exception:  # noqa: BLE001 - CONFIG refused (managed services): Redis's default
        pass
    return 2.0 * node_timeout + ELECTION_MARGIN


def retryable(exc: BaseException | None) -> bool:
    """A failure a failover explains (the error itself, or the Redis error an ArchiveIndexError wraps)."""
    import socket

    import redis
    from redis.exceptions import AuthenticationError, AuthorizationError, ClusterDownError, RedisClusterException, TryAgainError

    from dedupe.errors import ArchiveIndexError

    if isinstance(exc, ArchiveIndexError):
        exc = exc.__context__
    if exc is None:
        return False
    if isinstance(exc, (AuthenticationError, AuthorizationError)):
        return False
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError, ClusterDownError, TryAgainError,
                        ConnectionError, socket.timeout)):
        return True
    if isinstance(exc, RedisClusterException):  # slots not covered, cluster unreachable
        return True
    msg = str(exc)
    return isinstance(exc, redis.ResponseError) and msg.startswith(("CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN",
                                                                   "LOADING", "READONLY"))


def _refresh(client: Any) -> None:
    """Ask the cluster client to re-read the slot map (a promoted replica)."""
    nm = getattr(client, "nodes_manager", None)
    if nm is None:
        return
    try:
        nm.initialize()
    except Exception:  # noqa: BLE001 - the next try meets the error itself
        pass


def call(ix: Any, fn: Callable[[], T], client: Any = None) -> T:
    """``fn()``, retried through a failover of ``ix``'s Redis Cluster (``ix.cluster``, ``ix.r``,
    ``ix.failover_wait``) with exponential backoff, for at most ``ix.failover_wait`` seconds;
    ``client`` (default ``ix.r``) is the cluster client refreshed between tries."""
    if getattr(ix, "_failover_active", False):  # inside a retried call: that one retries (one window, not nested)
        return fn()
    deadline: float | None = None
    delay = 0.1
    while True:
        try:
            ix._failover_active = True
            try:
                return fn()
            finally:
                ix._failover_active = False
        except Exception as exc:
            if not getattr(ix, "cluster", False) or not retryable(exc):
                raise
            now = time.monotonic()
            if deadline is None:
                deadline = now + float(getattr(ix, "failover_wait", 0.0) or 0.0)
            if now + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
            if (client or ix.r) is not None:
                _refresh(client or ix.r)


def retried(method: Callable[..., T]) -> Callable[..., T]:
    """A method of an index (an idempotent one) retried through a failover: see :func:`call`."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        return call(self, lambda: method(self, *args, **kwargs))

    return wrapper


def new_postings(old: tuple[Any, Any, Any], new: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
    """The postings of ``new`` (group, check, unit arrays) not already in ``old``: what makes a retried
    write of postings (after a failure that left some of them written) add nothing twice."""
    import numpy as np

    og, oc, ou = old
    g, c, u = new
    if not len(og) or not len(g):
        return g, c, u
    G, C, U = np.concatenate([og, g]), np.concatenate([oc, c]), np.concatenate([ou, u])
    src = np.concatenate([np.zeros(len(og), dtype=bool), np.ones(len(g), dtype=bool)])  # True: new
    order = np.lexsort((src, U, C, G))
    Gs, Cs, Us, Ss = G[order], C[order], U[order], src[order]
    start = np.ones(len(order), dtype=bool)
    start[1:] = (Gs[1:] != Gs[:-1]) | (Cs[1:] != Cs[:-1]) | (Us[1:] != Us[:-1])
    run = np.cumsum(start) - 1
    has_old = np.zeros(int(run[-1]) + 1, dtype=bool)
    has_old[run[~Ss]] = True
    drop = np.zeros(len(order), dtype=bool)
    drop[order] = Ss & has_old[run]
    keep = ~drop[len(og):]
    return g[keep], c[keep], u[keep]
