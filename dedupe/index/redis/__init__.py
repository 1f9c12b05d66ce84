"""The Redis archive index backend (one server, or any node of a Redis Cluster).

* :mod:`~dedupe.index.redis.connection`: the ``redis://`` URL and the client timeouts;
* :mod:`~dedupe.index.redis.layout`: the data layout ("packed-1": grouped, delta- and varint-coded postings);
* :mod:`~dedupe.index.redis.index`: :class:`RedisIndex`, the :class:`~dedupe.index.base.ArchiveIndex` over
  them (the writer lock and its heartbeat, atomic commits, queries, vacuum, stats).
"""

from dedupe.index.redis.connection import parse_location
from dedupe.index.redis.index import RedisIndex

__all__ = ["RedisIndex", "parse_location"]
