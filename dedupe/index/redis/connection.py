"""Where a Redis index is: its ``redis://`` URL parsed (host, port, database, password, namespace) and the
client timeouts.

A Redis Cluster may be named by several of its nodes, comma-separated
(``redis://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000/0``): a client connects
through the first that answers, so the run still starts when the node named
first is down (failing over).  :func:`parse_nodes` gives them all;
:func:`parse_location` the first.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

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
    return host, port, db, u.password, name.encode()
