"""Where a Redis index is: its ``redis://`` URL parsed (host, port, database, password, namespace) and the
client timeouts."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from dedupe.errors import ArchiveIndexError

CONNECT_TIMEOUT = 3.0  # seconds to connect and for the first reply
SOCKET_TIMEOUT = 60.0  # seconds for any later reply (a commit of a large add is one command)
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def parse_location(location: str) -> tuple[str, int, int, str | None, bytes]:
    """``(host, port, db, password, namespace)`` of a ``redis://`` URL; a bad one is an :class:`ArchiveIndexError`."""
    u = urlparse(location)
    if u.scheme not in ("redis", "rediss"):
        raise ArchiveIndexError("unsupported Redis URL (use redis://HOST:PORT/DB)", location)
    try:
        port = u.port
    except ValueError:
        raise ArchiveIndexError("bad Redis URL: the port must be a number from 1 to 65535", location) from None
    if port is not None and not 1 <= port <= 65535:
        raise ArchiveIndexError("bad Redis URL: the port must be a number from 1 to 65535", location)
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
    return u.hostname or "localhost", port or 6379, db, u.password, name.encode()
