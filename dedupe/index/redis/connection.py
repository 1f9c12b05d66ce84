"""Where a Redis index is: its ``redis://`` URL parsed (host, port, database, password, namespace) and the
client timeouts.

A Redis Cluster may be named by several of its nodes, comma-separated
(``redis://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000/0``): a client connects
through the first that answers, so the run still starts when the node named
first is down (failing over).  :func:`parse_nodes` gives them all;
:func:`parse_location` the first.  A URL naming one node still reaches its
cluster while that node is down when an earlier run met the cluster's other
nodes (:func:`remembered_nodes`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from urllib.parse import parse_qs, unquote, urlparse

from dedupe.errors import ArchiveIndexError

CONNECT_TIMEOUT = 3.0  # seconds to connect and for the first reply
SOCKET_TIMEOUT = 60.0  # seconds for any later reply (a commit of a large add is one command)
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_NODES = 64  # nodes named in one URL, at most


def _one_node(netloc: str, location: str) -> tuple[str, int]:
    """``(host, port)`` of one ``HOST[:PORT]`` (``[v6]:PORT`` too) of a URL."""
    try:
        u = urlparse("redis://" + netloc)
        port = u.port
    except ValueError:
        raise ArchiveIndexError("bad Redis URL: the port must be a number from 1 to 65535", location) from None
    if port is not None and not 1 <= port <= 65535:
        raise ArchiveIndexError("bad Redis URL: the port must be a number from 1 to 65535", location)
    return u.hostname or "localhost", port or 6379


def parse_nodes(location: str) -> list[tuple[str, int]]:
    """Every ``(host, port)`` a ``redis://`` URL names, in its order (``HOST:PORT,HOST:PORT,...``)."""
    u = urlparse(location)
    if u.scheme not in ("redis", "rediss"):
        raise ArchiveIndexError("unsupported Redis URL (use redis://HOST:PORT/DB)", location)
    hosts = u.netloc.rpartition("@")[2]
    parts = hosts.split(",")
    if len(parts) > MAX_NODES:
        raise ArchiveIndexError(f"bad Redis URL: more than {MAX_NODES} nodes", location)
    if len(parts) > 1 and not all(p.strip() for p in parts):
        raise ArchiveIndexError("bad Redis URL: an empty node in the list (use redis://HOST:PORT,HOST:PORT/0)",
                                location)
    out: list[tuple[str, int]] = []
    for p in parts:
        node = _one_node(p.strip(), location)
        if node not in out:
            out.append(node)
    return out


def parse_location(location: str) -> tuple[str, int, int, str | None, bytes]:
    """``(host, port, db, password, namespace)`` of a ``redis://`` URL (its first node when it names
    several); a bad one is an :class:`ArchiveIndexError`."""
    host, port = parse_nodes(location)[0]
    u = urlparse(location)
    path = (u.path or "/").lstrip("/")
    if not path:
        db = 0
    elif path.isdigit() and int(path) < 1 << 31:
        db = int(path)
    else:
        raise ArchiveIndexError("bad Redis URL: the database must be a number (redis://HOST:PORT/DB)", location)
    names = parse_qs(u.query).get("name", ["dedupe"])
    name = names[-1]
    if not NAME_RE.match(name):
        raise ArchiveIndexError("bad Redis URL: name= must be 1-64 letters, digits, '_', '.' or '-'", location)
    return host, port, db, None if u.password is None else unquote(u.password), name.encode()  # as redis-py reads it


# -- the nodes of a cluster, remembered between runs ---------------------------
#
# A URL naming one node of a cluster cannot reach the cluster when that node is down (killed, failing over).
# Each run that reached a cluster records, under each node its URL named (and only those: a cluster cannot
# write an entry for a node the user never named), the nodes the cluster reported, in a small file of the
# user's cache folder (never the tree's).  A later run whose URL's nodes all refuse tries those, and takes
# one only if it answers as a member of a cluster that lists one of the URL's nodes (the same cluster, its
# node down); that is said in one line.  The file is written atomically (a temporary file renamed over it),
# bounded (MAX_REMEMBERED entries of at most MAX_NODES nodes, MAX_FILE_BYTES), and a missing, unreadable,
# oversized or corrupt one is as if empty.
MAX_REMEMBERED = 256  # URL nodes with an entry, at most (the least recently written go first)
MAX_FILE_BYTES = 1 << 20
MAX_TRIED = 16  # remembered nodes tried by one run, at most (a dead one costs up to CONNECT_TIMEOUT)
ADDR_RE = re.compile(r"^(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9._-]{1,253}):([1-9][0-9]{0,4})$")


def nodes_file() -> str | None:
    """``$XDG_CACHE_HOME/dedupe/redis-cluster-nodes.json`` (``~/.cache`` when unset or relative, as the
    XDG rule says: never a path relative to the tree); None when there is no home folder."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "dedupe", "redis-cluster-nodes.json")


def connection_addr(host: str, port: int) -> str:
    """``host:port`` as Redis Cluster names a node (``[v6]:port``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def split_addr(addr: str) -> tuple[str, int] | None:
    """``(host, port)`` of a remembered ``host:port`` (``[v6]:port``); None when it is not one."""
    m = ADDR_RE.match(addr)
    if not m or int(m.group(2)) > 65535:
        return None
    return m.group(1).strip("[]"), int(m.group(2))


def listed_nodes(reply: object) -> set[tuple[str, int]]:
    """The ``(host, port)`` of every node in a ``CLUSTER NODES`` reply (redis-py's parsed dict, or the raw
    text: ``ID HOST:PORT@BUS[,HOSTNAME] FLAGS ...`` per line)."""
    if isinstance(reply, (bytes, str)):
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        names = [ln.split()[1].split("@")[0] for ln in text.splitlines() if len(ln.split()) > 1]
    elif isinstance(reply, dict):
        names = [k.decode("utf-8", "replace") if isinstance(k, bytes) else str(k) for k in reply]
    else:
        return set()
    out = set()
    for name in names:
        host, _, port = name.rpartition(":")
        if host and port.isdigit():
            out.add((host.strip("[]"), int(port)))
    return out


def _load() -> dict[str, list[str]]:
    path = nodes_file()
    if path is None:
        return {}
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            return {}
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, list[str]] = {}
    for k, v in list(data.items())[-MAX_REMEMBERED:]:
        if isinstance(k, str) and split_addr(k) and isinstance(v, list):
            out[k] = [x for x in v if isinstance(x, str) and split_addr(x)][:MAX_NODES]
    return out


def remembered_nodes(seeds: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The nodes an earlier run met in the cluster reached through ``seeds`` (none when unknown)."""
    data = _load()
    out: list[tuple[str, int]] = []
    for seed in seeds:
        for item in data.get(connection_addr(*seed), []):
            node = split_addr(item)
            if node and node not in seeds and node not in out:
                out.append(node)
    return out


def remember_nodes(seeds: list[tuple[str, int]], met: list[tuple[str, int]]) -> None:
    """Record ``met``, the nodes of the cluster reached through the URL's ``seeds`` (best effort: a cache
    folder that cannot be written is no error)."""
    names = [n for n in dict.fromkeys(connection_addr(h, p) for h, p in met) if split_addr(n)][:MAX_NODES]
    keys = [k for k in dict.fromkeys(connection_addr(h, p) for h, p in seeds) if split_addr(k)]
    path = nodes_file()
    if not names or not keys or path is None:
        return
    data = _load()
    if all(data.get(k) == names for k in keys):
        return  # nothing new: no write
    for k in keys:
        data.pop(k, None)
        data[k] = names
    items = list(data.items())[-MAX_REMEMBERED:]
    text = json.dumps(dict(items))
    while len(text) > MAX_FILE_BYTES and len(items) > 1:  # long names: the oldest entries go
        items = items[len(items) // 4 or 1:]
        text = json.dumps(dict(items))
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".redis-cluster-nodes-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)  # no fsync: a file torn by a crash is as if empty (a cache)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        pass
