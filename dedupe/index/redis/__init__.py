"""The Redis archive index backend (one server or a Redis Cluster): see :mod:`dedupe.index.redis.index`."""

from dedupe.index.redis.index import RedisIndex, parse_location

__all__ = ["RedisIndex", "parse_location"]
