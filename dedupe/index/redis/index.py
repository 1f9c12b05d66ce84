"""The shared archive index: Redis (one server or a Redis Cluster), for editors' machines and CI runners.

Location: ``redis://HOST:PORT/DB`` (``?name=NAME`` picks a namespace,
default ``dedupe``).  Any node of a Redis Cluster works (cluster mode is
detected with ``INFO cluster``; a cluster has only database 0).

Layout ("packed-1": 385 bytes of Redis memory per indexed unit on Reuters,
391 on a 3-node cluster, against ~5 KB for datasketch's one-set-per-bucket
layout of dedupe 0.2, which is refused until ``dedupe index rebuild``
converts it):

    {NAME}:meta        hash: settings (incl. MinHash scheme), punkt, layout, epoch, bucket bits,
                       created, updated, generation, unit and sentence totals (values JSON)
    {NAME}:art         hash: article id -> JSON (number, content hash, first unit id, unit count,
                       sentence/unit/suppressed counts, added); path and title are in the blob
    {NAME}:ctr         hash: the unit and article number counters (HINCRBY; never reused)
    {NAME}:lock        the writer lock: owner (host, pid, token), short TTL refreshed while writing
    NAME:E:b:G         string: LSH postings of group G, for every (unit, band) whose mixed band key
                       falls in group G: uint32 count, uint16 check bits each, then the unit ids
                       (ascending) as LEB128 deltas (~1.7 bytes each)
    NAME:E:s:G         string: the same for shingle keys (containment: a short draft sentence inside
                       a longer archived one)
    NAME:E:u:C         string: packed uint32 article number of units C * 16384 ...
    NAME:E:t:C         hash: article number -> the article (text and position map), zlib-compressed
                       with a preset dictionary sampled from the first articles (meta "zdict"),
                       for article numbers C * 1024 ...

``E`` is the layout epoch (a rebuild writes a fresh epoch and switches to it
at commit).  The three ``{NAME}`` keys share a hash tag, hence one cluster
slot, so the commit (a server-side script checking the lock and writing the
article records and metadata) is one atomic operation, on a cluster too; the
data keys are spread over the cluster's slots and read and written with
pipelines the cluster client splits by node.

There are ``2**bits`` groups of each kind, ``bits`` chosen when the first
postings are written (about 400 postings per group; at least 2**13) and
again by ``rebuild`` (an archive grown far past its first add reads longer
group strings per query until rebuilt).  A unit's shingle fingerprints are
not stored: a query re-analyses the candidate articles (exactly as ``index add`` analysed them, with the index's
settings and Punkt model) and takes the units it needs, so verification is
the scan's own.  A posting matches a query key when the group and the 16
check bits agree (29-30 key bits on Reuters: a spurious match is a rare
extra candidate, rejected by exact verification).

Writes: new units get fresh ids and new articles fresh numbers (counters are
never reused); their postings, unit map and article blobs are written
first, invisible to queries until the commit writes the article records
(a query keeps a unit only when its article's record names its number and
unit range).  So an interrupted ``add`` (client or server killed, network
gone) leaves the index as it was; a replaced or removed article's entries
become dead, dropped by ``dedupe index vacuum``.  One writer at a time: the
lock has a TTL of a few seconds (``LOCK_TTL``), refreshed by a thread while
the writer runs, so a killed writer's lock lapses within seconds; a commit
checks it still holds the lock.  Readers are never blocked.  Every client
has connect and reply timeouts; every Redis error ends as a one-line
:class:`~dedupe.errors.ArchiveIndexError`, and keys under the index's names that
are not its data (wrong type, not JSON, not postings) are refused by name,
never overwritten.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import socket
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import numpy as np

from dedupe.config import Settings
from dedupe.errors import ArchiveIndexError
from dedupe.index.base import (
    FORMAT_VERSION,
    ArchiveIndex,
    IndexBatch,
    IndexStats,
    check_add_settings,
    check_query_settings,
    index_settings,
    lookup_sorted,
    now,
    settings_from_index,
    shingle_keys,
    unpack_article,
)
from dedupe.index.redis import failover
from dedupe.index.redis.connection import (
    CONNECT_TIMEOUT,
    MAX_TRIED,
    SOCKET_TIMEOUT,
    connection_addr,
    listed_nodes,
    nodes_file,
    parse_location,
    parse_nodes,
    remember_nodes,
    remembered_nodes,
)
from dedupe.index.redis.layout import (
    BAND_BITS,
    BLOB_CHUNK,
    LAYOUT,
    SHINGLE_BITS,
    SHINGLES_PER_UNIT,
    UNIT_CHUNK,
    decode_groups,
    encode_group,
    encode_groups,
    group_bits,
    make_zdict,
    split_keys,
)
from dedupe.safety import display_url

if TYPE_CHECKING:
    from dedupe.engine.corpus import Corpus, UnitTable
    from dedupe.index.archived import ArchivedDocument

LOCK_TTL = float(os.environ.get("DEDUPE_REDIS_LOCK_TTL", "10"))  # seconds; refreshed every TTL/4 while writing
LOCK_WAIT = LOCK_TTL * 3  # how long a writer waits for another one
PENDING_POSTINGS = int(os.environ.get("DEDUPE_REDIS_PENDING", "8000000"))  # postings buffered before a write

# Commit: check the lock is ours, then write article records and metadata in one step.
_COMMIT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('DEDUPE_LOCK_LOST') end
local i = 2
if ARGV[i] == '1' then redis.call('DEL', KEYS[2]) end
i = i + 1
local nd = tonumber(ARGV[i]); i = i + 1
for j = 1, nd do redis.call('HDEL', KEYS[2], ARGV[i]); i = i + 1 end
local nm = tonumber(ARGV[i]); i = i + 1
for j = 1, nm do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]); i = i + 2 end
while i <= #ARGV do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]); i = i + 2 end
return 1
"""
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisIndex(ArchiveIndex):
    backend = "redis"
    needs = frozenset({"sigs"})

    def __init__(self, location: str, create: bool = False) -> None:
        import redis

        self._redis_mod = redis
        self.location = display_url(location)  # shown in messages and stats: never the password
        self.host, self.port, self.dbn, password, self.name = parse_location(location)
        self.nodes = parse_nodes(location)  # every node the URL names: a cluster is reached through any of them
        self._ssl = location.startswith("rediss://")
        self._tx: dict[str, Any] | None = None
        self._hb: tuple[threading.Thread, threading.Event] | None = None
        self._scripts: dict[str, Any] = {}
        self.cluster = False
        self.r: Any = None
        self.failover_wait = 0.0  # seconds to retry through a Redis Cluster failover (see failover.py)
        self._password = password
        user = urlparse(location).username
        self._username = unquote(user) if user else None  # a Redis 6 ACL user (redis://USER:PASSWORD@...)
        self._zdict_cache: tuple[Any, bytes] | None = None
        self._fresh = False  # this epoch's data keys are known not to exist yet (no read before writing them)
        self._written: dict[str, set[Any]] = {}
        self.legacy = False
        self._legacy_drop = False
        with self._errors():
            self.r = self._connect()
            self.meta = self._load_meta()
            if not self.meta:
                self.legacy = self._detect_legacy()
                if self.legacy and create:
                    raise ArchiveIndexError(self._legacy_message(), location)
                if not self.legacy:
                    if not create:
                        raise ArchiveIndexError("no index here (create one with: dedupe index add --index LOCATION PATH...)",
                                          location)
                    self._refuse_foreign()
            elif self.meta.get("layout") != LAYOUT:
                raise ArchiveIndexError(f"index layout {self.meta.get('layout')!r} is not supported by this dedupe "
                                  f"(expected {LAYOUT!r}); rebuild it: dedupe index rebuild --index {location}",
                                  location)

    # -- connection and errors ----------------------------------------------
    def _client_kwargs(self) -> dict[str, Any]:
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        return {"username": self._username, "password": self._password, "ssl": self._ssl, "socket_connect_timeout": CONNECT_TIMEOUT,
                "socket_timeout": SOCKET_TIMEOUT, "retry": Retry(NoBackoff(), 0)}

    def _cluster_kwargs(self) -> dict[str, Any]:
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        kw = self._client_kwargs()
        kw["retry"] = Retry(NoBackoff(), 2)  # redirections (MOVED) after a topology change
        return kw

    def _connect(self) -> Any:
        unreachable: BaseException | None = None
        for host, port in self.nodes:  # the first node named that answers (another may be failing over)
            try:
                self._probe(host, port)
                break
            except (self._redis_mod.ConnectionError, self._redis_mod.TimeoutError, OSError) as exc:
                unreachable = unreachable or exc
        else:
            if not self._probe_remembered():
                assert unreachable is not None
                raise unreachable
        r: Any
        if self.cluster:
            from redis.cluster import RedisCluster

            if self.dbn != 0:
                raise ArchiveIndexError("a Redis Cluster has only database 0 (use redis://HOST:PORT/0)", self.location)
            r = RedisCluster(startup_nodes=self._startup_nodes(), **self._cluster_kwargs())
            with contextlib.suppress(Exception):  # for a later run while the URL's nodes are down
                remember_nodes(self.nodes, [(n.host, int(n.port)) for n in r.get_nodes()])
        else:
            if len(self.nodes) > 1:
                raise ArchiveIndexError(f"{self._where()} is a single Redis server, not a Redis Cluster node: name "
                                        "several nodes only of a cluster (redis://HOST:PORT/DB for one server)",
                                        self.location)
            r = self._redis_mod.Redis(host=self.host, port=self.port, db=self.dbn, **self._client_kwargs())
        failover.call(self, r.ping, client=r)
        return r

    def _probe(self, host: str, port: int, member_of: list[tuple[str, int]] | None = None) -> None:
        """Ask ``host:port`` whether it is a cluster node (``INFO cluster``); it becomes the node used.
        ``member_of``: accept it only as a node of a cluster listing one of those (a remembered node)."""
        redis = self._redis_mod
        kw = self._client_kwargs()
        kw["socket_timeout"] = CONNECT_TIMEOUT  # a port that accepts but never answers: fail fast
        probe = redis.Redis(host=host, port=port, db=0, **kw)
        try:
            try:
                info = probe.info("cluster")
            except redis.ResponseError:  # INFO restricted (ACL): a single server
                info = {}
            except (AttributeError, TypeError):
                info = None  # redis-py choked on the handshake's reply: the port speaks something else
            if member_of is not None:
                listed = set()
                if isinstance(info, dict) and int(info.get("cluster_enabled", 0) or 0):
                    listed = listed_nodes(probe.execute_command("CLUSTER NODES"))
                if not listed & set(member_of):
                    raise redis.ConnectionError(f"{connection_addr(host, port)} is not a node of the cluster of "
                                                + ", ".join(connection_addr(h, p) for h, p in member_of))
            self.host, self.port = host, port
            if not isinstance(info, dict):
                raise ArchiveIndexError(f"{self._where()} does not answer as a Redis server (its replies are "
                                        "not Redis's): check the host and port", self.location)
            self.cluster = bool(int(info.get("cluster_enabled", 0) or 0))
            if self.cluster:  # asked of the node that answered (any other may be failing over)
                self.failover_wait = failover.failover_wait(probe)
        finally:
            probe.close()

    def _probe_remembered(self) -> bool:
        """None of the URL's nodes answers: connect through a node an earlier run met in their cluster
        (connection.remembered_nodes), if one answers as a member of a cluster listing one of them; said
        in one line (the run depends on the cache folder: naming several nodes does not)."""
        for host, port in remembered_nodes(self.nodes)[:MAX_TRIED]:
            try:
                self._probe(host, port, member_of=self.nodes)
            except (self._redis_mod.RedisError, OSError):
                continue
            named = ", ".join(connection_addr(h, p) for h, p in self.nodes)
            sys.stderr.write(f"dedupe: warning: Redis at {named} does not answer; connected to its cluster "
                             f"through {connection_addr(host, port)}, a node an earlier run met there (remembered "
                             f"in {nodes_file()}); name several nodes in the URL: "
                             "redis://HOST:PORT,HOST:PORT,HOST:PORT/0\n")
            return True
        return False

    def _startup_nodes(self) -> list[Any]:
        """A new cluster client's seeds: the node that answered, every node the cluster client has met
        (so a client made later, like the lock's heartbeat, still starts when the URL's node is gone), then
        the URL's others."""
        from redis.cluster import ClusterNode

        seen: list[tuple[str, int]] = [(self.host, self.port)]
        if self.r is not None:
            with contextlib.suppress(Exception):
                seen += [(n.host, int(n.port)) for n in self.r.get_nodes()]
        seen += self.nodes
        return [ClusterNode(h, p) for h, p in dict.fromkeys(seen)]  # type: ignore[no-untyped-call]

    def _errors(self) -> _RedisErrors:
        return _RedisErrors(self)

    def _where(self) -> str:
        if self.r is None and len(self.nodes) > 1 and not self.cluster:  # none answered yet
            return "Redis at " + ", ".join(f"{h}:{p}" for h, p in self.nodes)
        return f"Redis{' Cluster' if self.cluster else ''} at {self.host}:{self.port}"

    # -- keys ---------------------------------------------------------------
    def _tag(self, suffix: str) -> bytes:
        return b"{" + self.name + b"}:" + suffix.encode()

    def _dk(self, kind: str, n: int, epoch: int | None = None) -> bytes:
        e = self._epoch() if epoch is None else epoch
        return b"%s:%d:%s:%d" % (self.name, e, kind.encode(), n)

    def _epoch(self) -> int:
        if self._tx is not None and self._tx.get("epoch") is not None:
            return int(self._tx["epoch"])
        return int(self.meta.get("epoch", 1))

    def _bits(self, kind: str) -> int:
        return int(self.meta.get("bbits" if kind == "b" else "sbits", BAND_BITS if kind == "b" else SHINGLE_BITS))

    @failover.retried
    def _type(self, key: bytes) -> str:
        t = self.r.type(key)
        return t.decode() if isinstance(t, bytes) else str(t)

    def _refuse(self, key: bytes, problem: str) -> ArchiveIndexError:
        return ArchiveIndexError(f"key {key.decode(errors='replace')!r} {problem}: not this index's data, refusing to use "
                           "or overwrite it (delete it, or pick another namespace with ?name=)", self.location)

    @failover.retried
    def _load_meta(self) -> dict[str, Any]:
        key = self._tag("meta")
        t = self._type(key)
        if t == "none":
            return {}
        if t != "hash":
            raise self._refuse(key, f"holds a {t}, not a hash")
        out = {}
        for k, v in self.r.hgetall(key).items():
            try:
                out[k.decode()] = json.loads(v)
            except (UnicodeDecodeError, ValueError):
                raise self._refuse(key, f"has a field {k.decode(errors='replace')!r} that is not JSON") from None
        if out.get("layout") == LAYOUT:
            st = out.get("settings", {})
            want = index_settings(Settings())
            if not isinstance(st, dict) or any(
                    k in st and type(st[k]) is not type(v) and not (isinstance(v, float) and type(st[k]) is int)
                    for k, v in want.items()):
                raise self._refuse(key, "has settings of the wrong types")
            for k in ("epoch", "bbits", "sbits", "units", "sentences", "generation"):
                if k in out and (type(out[k]) is not int or not 0 <= out[k] < (1 << 40)):
                    raise self._refuse(key, f"has a field {k!r} that is not a number")
            if not 1 <= out.get("bbits", 13) <= 28 or not 1 <= out.get("sbits", 13) <= 28:
                raise self._refuse(key, "has group bits out of range")
            if "zdict" in out and not isinstance(out["zdict"], str):
                raise self._refuse(key, "has a zdict field that is not text")
        return out

    def _detect_legacy(self) -> bool:
        """An index written by dedupe <= 0.2 (datasketch's layout, ``NAME:meta``)?"""
        key = self.name + b":meta"
        if self._type(key) != "hash":
            return False
        raw = self.r.hgetall(key)
        try:
            meta = {k.decode(): json.loads(v) for k, v in raw.items()}
        except (UnicodeDecodeError, ValueError):
            return False
        if not isinstance(meta.get("settings"), dict):
            return False
        self.meta = {"settings": meta["settings"], "punkt": meta.get("punkt"), "created": meta.get("created")}
        return True

    def _legacy_message(self) -> str:
        return (f"this index uses the old datasketch layout (about 5 KB of Redis memory per sentence, no cluster "
                f"support); convert it with: dedupe index rebuild --index {self.location}")

    def _require_current(self) -> None:
        if self.legacy:
            raise ArchiveIndexError(self._legacy_message(), self.location)

    def _scan(self, pattern: bytes) -> Iterator[bytes]:
        yield from self.r.scan_iter(match=pattern, count=1000)

    def _refuse_foreign(self) -> None:
        """A new index: refuse if keys under its names exist that are not its own leftovers."""
        ours = re.compile(rb"^" + re.escape(self.name) + rb":\d+:[bsut]:\d+$")
        allowed = {self._tag("ctr"), self._tag("lock")}
        for pattern in (self.name + b":*", b"{" + self.name + b"}:*"):
            for key in self._scan(pattern):
                if key in allowed or ours.match(key):
                    continue
                raise self._refuse(key, "exists")

    def _drop_orphans(self) -> bool:
        """A new index, under the writer lock: drop the data keys an interrupted first add left (after checking
        they are ours), so this add need not read them back."""
        ours = re.compile(rb"^" + re.escape(self.name) + rb":\d+:([bsut]):\d+$")
        found = []
        for key in self._scan(self.name + b":*"):
            m = ours.match(key)
            if m:
                want = "hash" if m.group(1) == b"t" else "string"
                t = self._type(key)
                if t not in (want, "none"):
                    raise self._refuse(key, f"holds a {t}")
                found.append(key)
        self._delete_keys(found)
        return True

    def _script(self, name: str, src: str) -> Any:
        s = self._scripts.get(name)
        if s is None:
            s = self._scripts[name] = self.r.register_script(src)
        return s

    def _exec(self, pipe: Any, keys: Sequence[bytes], expect: str = "") -> list[Any]:
        """Run a pipeline; a reply that is an error names its key (e.g. WRONGTYPE: a foreign key)."""
        res = pipe.execute(raise_on_error=False)
        for key, v in zip(keys, res):
            if isinstance(v, self._redis_mod.ResponseError):
                if "WRONGTYPE" in str(v):
                    raise self._refuse(key, f"holds a {self._type(key)}{expect}")
                raise v
            if isinstance(v, Exception):
                raise v
        out: list[Any] = res
        return out

    def close(self) -> None:
        self._stop_heartbeat()
        if self.r is not None:
            with contextlib.suppress(Exception):
                self.r.close()

    # -- meta ---------------------------------------------------------------
    def set_meta(self, **kv: Any) -> None:
        """Inside a transaction: written at commit; outside: now."""
        self.meta.update(kv)
        if self._tx is not None:
            self._tx["meta"].update(kv)
        else:
            with self._errors():
                self.r.hset(self._tag("meta"), mapping={k: json.dumps(v) for k, v in kv.items()})

    def check_query(self, settings: Settings) -> None:
        self._require_current()
        check_query_settings(self.stored_settings, settings, self.location)

    # -- the writer lock and transactions -----------------------------------
    def _acquire(self) -> str:
        key = self._tag("lock")
        token = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "token": uuid.uuid4().hex,
                            "since": now()})
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            if failover.call(self, lambda: self.r.set(key, token, nx=True, px=int(LOCK_TTL * 1000))):
                return token
            t = self._type(key)
            if t not in ("string", "none"):
                raise self._refuse(key, f"holds a {t}, not the writer lock")
            if failover.call(self, lambda: self.r.get(key)) == token.encode():  # set by a try whose reply was lost
                return token
            if time.monotonic() > deadline:
                raw = self.r.get(key)
                try:
                    o = json.loads(raw) if raw else {}
                    who = f" (process {o['pid']} on {o['host']}, writing since {o['since']})"
                except (ValueError, TypeError, KeyError):
                    raise self._refuse(key, "does not hold a writer lock") from None
                raise ArchiveIndexError(f"index is busy: another writer holds the lock{who}; try again later",
                                  self.location)
            time.sleep(0.2)

    def _start_heartbeat(self, token: str) -> None:
        stop = threading.Event()
        redis = self._redis_mod
        kw = self._client_kwargs()
        kw["socket_timeout"] = max(1.0, LOCK_TTL / 4)
        if self.cluster:
            from redis.cluster import RedisCluster

            kw.update(self._cluster_kwargs(), socket_timeout=kw["socket_timeout"])
            client = RedisCluster(startup_nodes=self._startup_nodes(), **kw)
        else:
            client = redis.Redis(host=self.host, port=self.port, db=self.dbn, **kw)
        extend = client.register_script(_EXTEND)
        key = self._tag("lock")

        def beat() -> None:
            try:
                while not stop.wait(LOCK_TTL / 4):
                    try:
                        if not extend(keys=[key], args=[token, int(LOCK_TTL * 1000)]):
                            return  # lost: the commit will refuse
                    except redis.RedisError:
                        continue  # the writer itself will meet the error
            finally:
                with contextlib.suppress(Exception):
                    client.close()

        th = threading.Thread(target=beat, name="dedupe-redis-lock", daemon=True)
        th.start()
        self._hb = (th, stop)

    def _stop_heartbeat(self) -> None:
        if self._hb is not None:
            th, stop = self._hb
            stop.set()
            th.join(5)
            self._hb = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[RedisIndex]:
        """``with ix.transaction():`` one atomic write under the index's writer lock (heart-beaten while
        the block runs), committed when it ends; when it raises, nothing is committed."""
        self._open_transaction()
        ok = False
        try:
            yield self
            ok = True
        finally:
            self._close_transaction(ok)

    def _open_transaction(self) -> None:
        with self._errors():
            token = self._acquire()
            self._start_heartbeat(token)
            try:
                fresh = self._load_meta()
                if fresh or not self.legacy:
                    self.meta = fresh
                    if fresh.get("layout") not in (None, LAYOUT):
                        raise ArchiveIndexError(f"index layout {fresh.get('layout')!r} is not supported", self.location)
                for k in (self._tag("ctr"), self._tag("art")):
                    t = self._type(k)
                    if t not in ("hash", "none"):
                        raise self._refuse(k, f"holds a {t}, not a hash")
                self._written = {}
                self._fresh = not self.meta.get("settings") and not self.legacy and self._drop_orphans()
            except BaseException:
                self._stop_heartbeat()
                self._release(token)
                raise
        self._tx = {"token": token, "meta": {}, "art_set": {}, "art_del": set(), "dead_nums": set(),
                   "reset": False, "epoch": None, "old_epoch": None, "totals": None}

    def _close_transaction(self, commit: bool) -> None:
        tx = self._tx
        try:
            with self._errors():
                if commit:
                    self._commit()
                elif tx is not None and tx.get("epoch") is not None:
                    self._drop_epoch(int(tx["epoch"]), quiet=True)  # a failed rebuild: its new keys go
        finally:
            self._tx = None
            self._stop_heartbeat()
            if tx is not None:
                self._release(tx["token"])

    def _release(self, token: str) -> None:
        try:
            self._script("release", _RELEASE)(keys=[self._tag("lock")], args=[token])
        except self._redis_mod.RedisError:
            pass  # expires by itself within LOCK_TTL


    def _require_tx(self) -> dict[str, Any]:
        if self._tx is None:
            raise RuntimeError("RedisIndex writes need ix.transaction()")
        return self._tx

    def _commit(self) -> None:
        tx = self._require_tx()
        if self.legacy:  # opened for rebuild, nothing rebuilt
            return
        art = self._tag("art")
        totals = self._totals_after()
        meta = dict(self.meta)
        meta.update(version=FORMAT_VERSION, layout=LAYOUT, updated=now(),
                    generation=int(meta.get("generation", 0)) + 1, units=totals[0], sentences=totals[1])
        meta.setdefault("created", now())
        meta.setdefault("bbits", BAND_BITS)
        meta.setdefault("sbits", SHINGLE_BITS)
        if tx["epoch"] is not None:
            meta["epoch"] = int(tx["epoch"])
        meta.setdefault("epoch", 1)
        args: list[Any] = [tx["token"], "1" if tx["reset"] else "0", len(tx["art_del"]), *sorted(tx["art_del"])]
        args.append(len(meta))
        for k, v in meta.items():
            args += (k, json.dumps(v))
        for aid, rec in tx["art_set"].items():
            args += (aid, json.dumps(rec, separators=(",", ":")))
        try:
            commit = self._script("commit", _COMMIT)  # idempotent: the same records written again
            failover.call(self, lambda: commit(keys=[self._tag("lock"), art, self._tag("meta")], args=args))
        except self._redis_mod.ResponseError as exc:
            if "DEDUPE_LOCK_LOST" in str(exc):
                raise ArchiveIndexError("lost the writer lock (this process stalled for more than "
                                  f"{LOCK_TTL:.0f}s); nothing was changed, run the command again",
                                  self.location) from None
            if "WRONGTYPE" in str(exc):
                raise self._refuse(art, f"holds a {self._type(art)}") from None
            raise
        self.meta = meta
        # after the commit: drop what is no longer referenced (best effort; vacuum finishes it)
        try:
            if tx["old_epoch"] is not None and tx["old_epoch"] != meta["epoch"]:
                self._drop_epoch(int(tx["old_epoch"]), quiet=True)
            if self._legacy_drop:
                self._drop_legacy()
                self._legacy_drop = False
            elif tx["dead_nums"]:
                pipe = self.r.pipeline(transaction=False)
                for num in tx["dead_nums"]:
                    pipe.hdel(self._dk("t", num >> BLOB_CHUNK), num)
                pipe.execute(raise_on_error=False)
        except self._redis_mod.RedisError:
            pass

    def _totals_after(self) -> tuple[int, int]:
        tx = self._require_tx()
        if tx["reset"]:
            u0 = s0 = 0
        else:
            u0, s0 = int(self.meta.get("units", 0)), int(self.meta.get("sentences", 0))
        for rec in tx["art_set"].values():
            u0 += rec["c"]
            s0 += rec["s"]
        for rec in (tx["totals"] or {}).values():  # records replaced or removed
            u0 -= rec["c"]
            s0 -= rec["s"]
        return u0, s0

    def _drop_epoch(self, epoch: int, quiet: bool = False) -> None:
        try:
            self._delete_keys(self._scan(b"%s:%d:*" % (self.name, epoch)))
        except self._redis_mod.RedisError:
            if not quiet:
                raise

    def _delete_keys(self, keys: Iterable[bytes]) -> None:
        pipe = self.r.pipeline(transaction=False)
        for n, key in enumerate(keys, 1):
            pipe.unlink(key)
            if n % 2000 == 0:
                pipe.execute()
                pipe = self.r.pipeline(transaction=False)
        pipe.execute()

    def _drop_legacy(self) -> None:
        self._delete_keys(k for pattern in (b"lsh*", b"post:*", b"units", b"art", b"num", b"blob", b"meta", b"lock")
                          for k in self._scan(self.name + b":" + pattern))

    # -- reading records ----------------------------------------------------
    @failover.retried
    def _records(self, ids: Sequence[str]) -> list[dict[str, Any] | None]:
        if not ids:
            return []
        key = self._tag("art")
        t = self._type(key)
        if t not in ("hash", "none"):
            raise self._refuse(key, f"holds a {t}, not a hash")
        out: list[dict[str, Any] | None] = []
        for k in range(0, len(ids), 5000):
            for v in self.r.hmget(key, list(ids[k:k + 5000])):
                out.append(None if v is None else self._parse_record(v))
        return out

    def _parse_record(self, v: bytes) -> dict[str, Any]:
        try:
            rec = json.loads(v)
            if not isinstance(rec, dict) or not isinstance(rec.get("h"), str):
                raise TypeError
            for k in ("n", "f", "c", "s", "u", "x"):
                if type(rec.get(k, 0)) is not int or rec.get(k, 0) < 0:
                    raise TypeError
            if "n" not in rec or "f" not in rec or "c" not in rec:
                raise TypeError
            return rec
        except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
            raise self._refuse(self._tag("art"), "holds an article record that is not this index's JSON") from None

    def _all_records(self) -> Iterator[tuple[str, dict[str, Any]]]:
        key = self._tag("art")
        t = self._type(key)
        if t not in ("hash", "none"):
            raise self._refuse(key, f"holds a {t}, not a hash")
        for aid, raw in self.r.hscan_iter(key, count=2000):
            yield aid.decode("utf-8", "surrogateescape"), self._parse_record(raw)

    # -- writing ------------------------------------------------------------
    def init_settings(self, settings: Settings, punkt: dict[str, Any] | None = None) -> None:
        self._require_current()
        stored = self.meta.get("settings")
        if stored:
            check_add_settings(stored, settings, self.location)
            return
        self.set_meta(version=FORMAT_VERSION, layout=LAYOUT, settings=index_settings(settings), created=now(),
                       epoch=int(self.meta.get("epoch", 1)))
        if punkt is not None:
            self.set_meta(punkt=punkt)

    def existing_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        self._require_current()
        ids = list(ids)
        with self._errors():
            recs = self._records(ids)
        tx = self._tx
        out = {}
        for i, rec in zip(ids, recs):
            if tx is not None and tx["reset"]:
                rec = None
            if tx is not None:
                if i in tx["art_del"]:
                    rec = None
                if i in tx["art_set"]:
                    rec = tx["art_set"][i]
            if rec is not None:
                out[i] = rec["h"]
        return out

    def _forget(self, aid: str, rec: dict[str, Any] | None) -> None:
        """An article's current record (committed or pending) is being replaced or removed."""
        tx = self._require_tx()
        pend = tx["art_set"].pop(aid, None)
        if pend is not None:
            tx["dead_nums"].add(int(pend["n"]))  # a pending record is simply not committed
            return
        if rec is not None and not tx["reset"]:
            tx["dead_nums"].add(int(rec["n"]))
            tx["totals"] = tx["totals"] or {}
            tx["totals"][aid] = rec

    def remove_articles(self, ids: Sequence[str]) -> list[str]:
        self._require_current()
        tx = self._require_tx()
        ids = list(ids)
        with self._errors():
            recs = self._records(ids)
        missing = []
        for aid, rec in zip(ids, recs):
            if aid in tx["art_del"]:
                rec = None
            if rec is None and aid not in tx["art_set"]:
                missing.append(aid)
                continue
            self._forget(aid, rec)
            if rec is not None:
                tx["art_del"].add(aid)
        return missing

    def write(self, batch: IndexBatch, keep: Sequence[bool] | None = None, pending: list[Any] | None = None) -> int:
        """Postings, unit map and blobs of the kept articles (buffered in
        ``pending``, written by :meth:`flush`); their records at commit."""
        tx = self._require_tx()
        if not batch.articles:
            return 0
        own = pending is None
        if pending is None:
            pending = []
        keep = list(keep) if keep is not None else [True] * len(batch.articles)
        kept = [i for i, k in enumerate(keep) if k]
        with self._errors():
            committed = dict(zip([batch.articles[i]["id"] for i in kept],
                                 self._records([batch.articles[i]["id"] for i in kept])))
            for aid, rec in committed.items():
                if aid in tx["art_del"] or tx["reset"]:
                    rec = None
                self._forget(aid, rec)
                tx["art_del"].discard(aid)
            st = self.stored_settings
            bands = st["bands"]
            nkeep = len(kept)
            ctr = self._tag("ctr")
            # counters are never reused: one bumped twice by a retry only skips numbers
            first_art = int(failover.call(self, lambda: self.r.hincrby(ctr, "article", nkeep))) - nkeep + 1 if nkeep else 0
            nums = np.full(len(batch.articles), -1, dtype=np.int64)
            nums[kept] = np.arange(first_art, first_art + nkeep)
            live = nums[batch.art] >= 0 if len(batch) else np.zeros(0, dtype=bool)
            rows = np.flatnonzero(live)
            n = len(rows)
            first_uid = int(failover.call(self, lambda: self.r.hincrby(ctr, "unit", n))) - n + 1 if n else 0
        uids = np.arange(first_uid, first_uid + n, dtype=np.uint32)
        if n:
            if batch.keys.shape[1] != bands:
                raise RuntimeError("prepared batch without band keys")
            pending.append(("b", np.ascontiguousarray(batch.keys[rows]).reshape(-1), np.repeat(uids, bands)))
            off = batch.offsets
            sizes = np.diff(off)[rows]
            tot = int(sizes.sum())
            idx = np.repeat(off[rows] - (np.cumsum(sizes) - sizes), sizes) + np.arange(tot)  # fps of the kept rows
            pending.append(("s", shingle_keys(batch.fps[idx]), np.repeat(uids, sizes)))
            pending.append(("u", first_uid, nums[batch.art[rows]].astype("<u4")))
        counts = np.bincount(batch.art[rows], minlength=len(batch.articles)) if n else np.zeros(len(batch.articles), int)
        stamp = now()
        u = first_uid
        for i in kept:
            a = batch.articles[i]
            c = int(counts[i])
            num = int(nums[i])
            pending.append(("t", num, a["blob"]))
            tx["art_set"][a["id"]] = {
                "n": num, "h": a["hash"], "f": u if c else 0, "c": c, "s": a["sentences"], "u": a["units"],
                "x": a["suppressed"], "a": stamp}  # path, title, format: in the blob
            u += c
        if own or sum(len(p[1]) for p in pending if p[0] in ("b", "s")) >= PENDING_POSTINGS:
            self.flush(pending)
        return n

    @failover.retried  # idempotent: the same values set again, postings already merged not added twice
    def flush(self, pending: list[Any] | None = None, final: bool = False) -> None:
        """Write buffered postings (each touched group string rewritten once, at its exact size),
        unit map entries and article blobs."""
        if not pending:
            return
        with self._errors():
            for kind in "bs":
                parts = [p for p in pending if p[0] == kind]
                if parts:
                    self._append_postings(kind, np.concatenate([p[1] for p in parts]),
                                          np.concatenate([p[2] for p in parts]))
            self._write_units([p for p in pending if p[0] == "u"])
            blobs = [p for p in pending if p[0] == "t"]
            if blobs and "zdict" not in self.meta:
                self.set_meta(zdict=base64.b64encode(make_zdict([p[2] for p in blobs])).decode())
            base = zlib.compressobj(6, zdict=self._zdict())  # copied per article: the dictionary is set up once
            pipe = self.r.pipeline(transaction=False)
            keys = []
            for p in blobs:
                key = self._dk("t", p[1] >> BLOB_CHUNK)
                c = base.copy()
                pipe.hset(key, p[1], b"D" + c.compress(p[2]) + c.flush())
                keys.append(key)
                if len(keys) % 2000 == 0:
                    self._exec(pipe, keys, ", not a hash of article blobs")
                    pipe, keys = self.r.pipeline(transaction=False), []
            self._exec(pipe, keys, ", not a hash of article blobs")
        pending.clear()

    def _zdict(self) -> bytes:
        z = self._zdict_cache
        if z is None or z[0] != self.meta.get("zdict"):
            try:
                z = (self.meta.get("zdict"), base64.b64decode(self.meta.get("zdict") or ""))
            except ValueError:
                raise self._refuse(self._tag("meta"), "has a zdict field that is not base64") from None
            self._zdict_cache = z
        zd: bytes = z[1]
        return zd

    def _unpack(self, blob: bytes, key: bytes | None = None) -> ArchivedDocument:
        """An article from its stored form (zlib with the index's preset dictionary; older forms as stored)."""
        try:
            if blob[:1] == b"D":
                d = zlib.decompressobj(zdict=self._zdict())
                blob = d.decompress(blob[1:]) + d.flush()
            doc = unpack_article(blob)
            if not isinstance(doc.text, str) or not isinstance(doc.id, str):
                raise TypeError
            return doc
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, zlib.error, UnicodeDecodeError):
            raise self._refuse(key or self._dk("t", 0)[:-1] + b"*", "holds an article that cannot be read") from None

    def _append_postings(self, kind: str, keys: np.ndarray, units: np.ndarray) -> None:
        if not len(keys):
            return
        bkey = "bbits" if kind == "b" else "sbits"
        if bkey not in self.meta:  # a new index: about 400 postings per group string
            self.set_meta(**{bkey: group_bits(len(keys))})
        bits = self._bits(kind)
        group, check = split_keys(keys, bits)
        units = units.astype(np.int64)
        gl = np.unique(group).tolist()
        written = self._written.setdefault(kind, set())
        step = 8000
        for k in range(0, len(gl), step):
            chunk = gl[k:k + step]
            sel = np.isin(group, np.array(chunk, dtype=np.uint64)) if len(gl) > step else slice(None)
            g, c, u = group[sel], check[sel], units[sel]
            # a group string is read (and merged) unless this epoch's keys are known to be new
            need = [x for x in chunk if not self._fresh or x in written]
            if need:
                names = [self._dk(kind, x) for x in need]
                pipe = self.r.pipeline(transaction=False)
                for key in names:
                    pipe.get(key)
                old = [(key, x, v) for key, x, v in zip(names, need, self._exec(pipe, names, ", not this index's postings"))
                       if v]
                if old:
                    dec = decode_groups([v for _, _, v in old])
                    if isinstance(dec, int):
                        raise self._refuse(old[dec][0], "does not hold this index's postings")
                    which, oc, ou = dec
                    og = np.array([x for _, x, _ in old], dtype=np.uint64)[which]
                    g, c, u = failover.new_postings((og, oc, ou), (g, c, u))  # none twice after a retry
                    g, c, u = np.concatenate([og, g]), np.concatenate([oc, c]), np.concatenate([ou, u])
            groups, values = encode_groups(g, c, u)
            names = [self._dk(kind, x) for x in groups]
            pipe = self.r.pipeline(transaction=False)
            for key, v in zip(names, values):
                pipe.set(key, v)  # written whole, at its exact size
            self._exec(pipe, names)
            written.update(groups)

    def _write_units(self, parts: list[Any]) -> None:
        """Unit id -> article number, packed uint32 per unit in strings of 2**UNIT_CHUNK units."""
        if not parts:
            return
        pipe = self.r.pipeline(transaction=False)
        keys = []
        per = 1 << UNIT_CHUNK
        for _, first, nums in parts:
            u, i = first, 0
            while i < len(nums):
                c = u >> UNIT_CHUNK
                take = min(len(nums) - i, per - (u & (per - 1)))
                key = self._dk("u", c)
                pipe.setrange(key, (u & (per - 1)) * 4, nums[i:i + take].tobytes())
                keys.append(key)
                u += take
                i += take
        self._exec(pipe, keys, ", not this index's unit map")

    def iter_documents(self, batch: int = 500) -> Iterator[list[ArchivedDocument]]:
        """Every stored article (also of an index in the old layout, for ``rebuild``)."""
        with self._errors():
            it: Iterator[tuple[str, bytes, bytes]]
            if self.legacy:
                it = (("", self.name + b":blob", v) for _, v in self.r.hscan_iter(self.name + b":blob", count=batch))
            else:
                it = self._iter_blobs()
            buf = []
            for _, key, blob in it:
                buf.append(self._unpack(blob, key))
                if len(buf) >= batch:
                    yield buf
                    buf = []
            if buf:
                yield buf

    def _iter_blobs(self, records: dict[str, Any] | None = None) -> Iterator[tuple[str, bytes, bytes]]:
        """``(article id, key, stored blob)`` of every article, in article-number order."""
        src = records.items() if records is not None else self._all_records()
        recs = sorted(((rec["n"], aid) for aid, rec in src))
        for k in range(0, len(recs), 500):
            chunk = recs[k:k + 500]
            pipe = self.r.pipeline(transaction=False)
            keys = []
            for num, _ in chunk:
                key = self._dk("t", num >> BLOB_CHUNK)
                pipe.hget(key, num)
                keys.append(key)
            for (_num, aid), key, blob in zip(chunk, keys, self._exec(pipe, keys, ", not a hash of article blobs")):
                if blob is None:
                    raise ArchiveIndexError(f"the text of article {aid!r} is missing; re-add it "
                                      "(dedupe index add) or remove it (dedupe index remove)", self.location)
                yield aid, key, blob

    def clear_units(self) -> None:
        """Start a fresh layout epoch (switched to at commit: a rebuild is atomic)."""
        tx = self._require_tx()
        old = self._epoch() if not self.legacy else None
        tx["old_epoch"] = old
        tx["epoch"] = int(self._scan_max_epoch()) + 1
        self._drop_epoch(tx["epoch"])  # leftovers of an interrupted rebuild
        self._fresh, self._written = True, {}
        tx["reset"] = True
        tx["art_set"].clear()
        tx["art_del"].clear()
        tx["dead_nums"].clear()
        tx["totals"] = None
        if self.legacy:
            self.legacy, self._legacy_drop = False, True
        # groups sized again for what the index holds (else by the first write of the new epoch)
        self.meta.pop("bbits", None)
        self.meta.pop("sbits", None)
        units = int(self.meta.get("units", 0) or 0)
        if units and isinstance(self.meta.get("settings"), dict):
            bands = int(self.meta["settings"].get("bands", 32))
            self.meta["bbits"] = group_bits(units * bands)
            self.meta["sbits"] = group_bits(units * SHINGLES_PER_UNIT)

    def _scan_max_epoch(self) -> int:
        return max(int(self.meta.get("epoch", 1)), 1)

    # -- maintenance --------------------------------------------------------
    def articles(self) -> list[dict[str, Any]]:
        self._require_current()
        with self._errors():
            recs = dict(self._all_records())
            out = []
            for aid, key, blob in self._iter_blobs(recs):
                d = self._unpack(blob, key)
                rec = recs[aid]
                out.append({"id": aid, "path": d.path, "title": d.title, "format": d.format, "sentences": rec["s"],
                            "units": rec["u"], "added": rec["a"], "num": rec["n"]})
        out.sort(key=lambda a: a.pop("num"))
        return out

    def damaged_keys(self, limit: int = 5) -> tuple[int, list[str]]:
        """Every key of this index that ``check`` would refuse (wrong type, postings or a unit map that do not
        decode, article records or texts that cannot be read): their count and the first ``limit`` of them,
        each as "'KEY' PROBLEM".  Keys of other layout epochs are skipped (vacuum drops them)."""
        found: list[str] = []
        count = 0

        def bad(key: bytes, problem: str) -> None:
            nonlocal count
            count += 1
            if len(found) < limit:
                found.append(f"{key.decode(errors='replace')!r} {problem}")

        for key, want in ((self._tag("meta"), "hash"), (self._tag("art"), "hash"), (self._tag("ctr"), "hash")):
            t = self._type(key)
            if t not in (want, "none"):
                bad(key, f"holds a {t}, not a {want}")
        nums: set[int] = set()
        if self._type(self._tag("art")) == "hash":
            for aid, raw in self.r.hscan_iter(self._tag("art"), count=2000):
                try:
                    nums.add(int(self._parse_record(raw)["n"]))
                except ArchiveIndexError:
                    bad(self._tag("art"), f"has a record for {aid.decode(errors='replace')!r} that is not this "
                        "index's JSON")
        epoch = self._epoch()
        pat = re.compile(rb"^" + re.escape(self.name) + rb":(\d+):([bsut]):(\d+)$")
        keys = sorted(key for key in self._scan(self.name + b":*")
                      if (m := pat.match(key)) and int(m.group(1)) == epoch)
        per_unit_map = 4 << UNIT_CHUNK
        for k in range(0, len(keys), 1000):
            chunk = keys[k:k + 1000]
            pipe = self.r.pipeline(transaction=False)
            for key in chunk:  # one round trip: a value of the wrong type answers WRONGTYPE
                if key.split(b":")[-2] == b"t":
                    pipe.hlen(key)
                else:
                    pipe.get(key)
            replies = pipe.execute(raise_on_error=False)
            groups: list[tuple[bytes, bytes]] = []
            for key, v in zip(chunk, replies):
                kind = key.split(b":")[-2]
                want = "hash" if kind == b"t" else "string"
                if isinstance(v, self._redis_mod.ResponseError) and "WRONGTYPE" in str(v):
                    bad(key, f"holds a {self._type(key)}, not a {want}")
                elif isinstance(v, Exception):
                    raise v
                elif v is None or v == 0:
                    continue  # deleted meanwhile
                elif kind in (b"b", b"s"):
                    groups.append((key, v))
                elif kind == b"u":
                    if len(v) % 4 or len(v) > per_unit_map:
                        bad(key, "does not hold this index's unit map")
            while groups:  # decoded together (one numpy pass); a malformed one is named and the rest decoded again
                got = decode_groups([v for _, v in groups])
                if not isinstance(got, int):
                    break
                bad(groups[got][0], "does not hold this index's postings")
                groups = groups[got + 1:]
            for key, v in zip(chunk, replies):
                if key.split(b":")[-2] != b"t" or isinstance(v, Exception) or not v:
                    continue
                for field, blob in self.r.hscan_iter(key, count=500):
                    try:
                        if int(field) in nums:
                            self._unpack(blob, key)
                    except ValueError:
                        bad(key, f"has a field {field.decode(errors='replace')!r} that is not an article number")
                    except ArchiveIndexError:
                        bad(key, f"holds article {int(field)}'s text in a form that cannot be read")
        return count, found

    def _refuse_damage(self, doing: str) -> None:
        """One line naming the damage (count, first keys, the fix) when there is any."""
        count, found = self.damaged_keys()
        if count:
            more = f" and {count - len(found)} more" if count > len(found) else ""
            raise ArchiveIndexError(
                f"index is damaged: {count} key{'' if count == 1 else 's'} that check --against refuses on reading "
                f"({'; '.join(found)}{more})"
                f"; {doing}. Postings and unit maps are made again by: dedupe index rebuild --index {self.location}; "
                "a damaged article record or text: remove that article (dedupe index remove) or delete the key",
                self.location)

    def vacuum(self) -> dict[str, Any]:
        """Drop dead entries (of removed or replaced articles, or interrupted adds): postings, unit map,
        article blobs and keys of other epochs; every string rewritten at its exact size."""
        self._require_current()
        with self._errors():
            self._refuse_damage("nothing was vacuumed")  # never rewrite around damage: it would hide it
            before = self.size_bytes()
            dead = 0
            with self.transaction():
                recs = [rec for _, rec in self._all_records()]
                top = int(self.r.hget(self._tag("ctr"), "unit") or 0) + 1
                live = np.zeros(top, dtype=bool)
                for rec in recs:
                    if rec["c"]:
                        live[rec["f"]:rec["f"] + rec["c"]] = True
                nums = {int(rec["n"]) for rec in recs}
                epoch = self._epoch()
                pat = re.compile(rb"^" + re.escape(self.name) + rb":(\d+):([bsut]):(\d+)$")
                todo: dict[str, list[bytes]] = {"b": [], "s": [], "u": [], "t": []}
                stale = []
                for key in self._scan(self.name + b":*"):
                    m = pat.match(key)
                    if not m:
                        continue
                    if int(m.group(1)) != epoch:
                        stale.append(key)
                    else:
                        todo[m.group(2).decode()].append(key)
                self._delete_keys(stale)
                for kind in "bs":
                    keys = todo[kind]
                    for k in range(0, len(keys), 2000):
                        chunk = keys[k:k + 2000]
                        pipe = self.r.pipeline(transaction=False)
                        for key in chunk:
                            pipe.get(key)
                        vals = self._exec(pipe, chunk)
                        pipe = self.r.pipeline(transaction=False)
                        for key, v in zip(chunk, vals):
                            got = decode_groups([v]) if v else 0
                            if isinstance(got, int):
                                continue
                            _, c, u = got
                            m = (u < top) & live[np.minimum(u, top - 1)]
                            dead += int((~m).sum())
                            if m.any():
                                pipe.set(key, encode_group(c[m], u[m]))
                            else:
                                pipe.unlink(key)
                        pipe.execute()
                pipe = self.r.pipeline(transaction=False)
                for key in todo["t"]:
                    fields = [f for f in self.r.hkeys(key) if int(f) not in nums]
                    if fields:
                        pipe.hdel(key, *fields)
                per = 1 << UNIT_CHUNK
                for key in todo["u"]:
                    chunk_no = int(key.rsplit(b":", 1)[1])
                    if not live[chunk_no * per:(chunk_no + 1) * per].any():
                        pipe.unlink(key)
                pipe.execute()
        return {"dead_entries_removed": dead, "size_before": before, "size_after": self.size_bytes()}

    def size_bytes(self) -> int:
        """Redis ``used_memory`` of the server (summed over a cluster's nodes)."""
        try:
            if self.cluster:
                info = self.r.info("memory", target_nodes=self.r.PRIMARIES)
                vals = info.values() if isinstance(info, dict) and all(isinstance(v, dict) for v in info.values()) \
                    else [info]
                return int(sum(int(v.get("used_memory", 0)) for v in vals))
            return int(self.r.info("memory").get("used_memory", 0))
        except self._redis_mod.RedisError:  # pragma: no cover
            return 0

    def stats(self) -> IndexStats:
        self._require_current()
        with self._errors():
            if self._tx is None:  # the stats of the index as it is (a write in progress checks its own data)
                self._refuse_damage("no numbers shown for a damaged index")
            arts = int(self.r.hlen(self._tag("art"))) if self._type(self._tag("art")) == "hash" else 0
            units, sentences = int(self.meta.get("units", 0)), int(self.meta.get("sentences", 0))
            if self._tx is not None:  # inside a write: what the commit will leave
                tx = self._tx
                units, sentences = self._totals_after()
                new = sum(1 for a in tx["art_set"] if not tx["reset"] and a not in (tx["totals"] or {}))
                arts = len(tx["art_set"]) if tx["reset"] else arts + new - len(tx["art_del"])
            return IndexStats(self.location, self.backend, arts, units, sentences,
                              self.size_bytes(), self.meta.get("settings") or {}, bool(self.meta.get("punkt")),
                              self.meta.get("created"), self.meta.get("updated"),
                              {"namespace": self.name.decode(), "cluster": self.cluster, "layout": LAYOUT,
                               "size_is": "Redis used_memory (whole server" + ("s" if self.cluster else "") + ")",
                               "containment_postings": True})

    # -- querying -----------------------------------------------------------
    def _lookup(self, kind: str, q: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Posting lookup with the embedded index's semantics (:func:`lookup_sorted`)."""
        bits = self._bits(kind)
        qg, qf = split_keys(q, bits)
        ub = np.unique(qg).tolist()
        names = [self._dk(kind, g) for g in ub]
        pipe = self.r.pipeline(transaction=False)
        for key in names:
            pipe.get(key)
        got = [(key, g, v) for key, g, v in zip(names, ub, self._exec(pipe, names, ", not this index's postings"))
               if v]
        dec = decode_groups([v for _, _, v in got])
        if isinstance(dec, int):
            raise self._refuse(got[dec][0], "does not hold this index's postings")
        which, check, units = dec
        if not len(units):
            z = np.zeros(0, dtype=np.int64)
            return z, z, np.zeros(len(q), dtype=np.int64)
        gs = np.array([g for _, g, _ in got], dtype=np.uint64)
        keys = (gs[which] << np.uint64(16)) | check.astype(np.uint64)
        qk = (qg << np.uint64(16)) | qf.astype(np.uint64)
        uq = np.unique(qk)  # keep only the records of queried keys before sorting
        hit = uq[np.minimum(np.searchsorted(uq, keys), len(uq) - 1)] == keys
        keys, units = keys[hit], units[hit]
        order = np.lexsort((units, keys))  # by key, then unit id (oldest first)
        return lookup_sorted([(keys[order], units[order])], qk, cap)

    @failover.retried
    def candidate_units(self, table: UnitTable, rows: np.ndarray, settings: Settings) -> np.ndarray:
        from dedupe.sketch.lsh import band_keys

        self._require_current()
        st = self.stored_settings
        with self._errors():
            bk = band_keys(table.sigs[rows], st["bands"], st["rows"]).reshape(-1)
            _, units, _ = self._lookup("b", bk, settings.max_bucket)
            parts = [units, self.containment_pairs(table, rows, settings, partial(self._lookup, "s"))]
        return np.concatenate(parts)

    @failover.retried
    def fetch(self, ids: np.ndarray, settings: Settings, exclude: set[str]) -> Corpus:
        from dedupe.engine.analyse import analyse_documents
        from dedupe.engine.corpus import Corpus, DocCounts
        from dedupe.index.base import build_archive_table

        with self._errors():
            ids_l = [int(i) for i in ids.tolist()]
            per = 1 << UNIT_CHUNK
            pipe = self.r.pipeline(transaction=False)
            keys = []
            for u in ids_l:
                key = self._dk("u", u >> UNIT_CHUNK)
                pipe.getrange(key, (u & (per - 1)) * 4, (u & (per - 1)) * 4 + 3)
                keys.append(key)
            unit_num = {}
            for u, v in zip(ids_l, self._exec(pipe, keys, ", not this index's unit map")):
                if v and len(v) == 4:
                    unit_num[u] = int.from_bytes(v, "little")
            nums = sorted(set(unit_num.values()) - {0})
            pipe = self.r.pipeline(transaction=False)
            keys = []
            for num in nums:
                key = self._dk("t", num >> BLOB_CHUNK)
                pipe.hget(key, num)
                keys.append(key)
            docs_by_num = {}
            for num, blob in zip(nums, self._exec(pipe, keys, ", not a hash of article blobs")):
                if blob is not None:
                    try:
                        docs_by_num[num] = self._unpack(blob, self._dk("t", num >> BLOB_CHUNK))
                    except (ValueError, zlib.error, KeyError, UnicodeDecodeError):
                        raise self._refuse(self._dk("t", num >> BLOB_CHUNK), "holds an article that cannot be "
                                           "read") from None
            cand = [(num, d) for num, d in docs_by_num.items() if d.id not in exclude]
            recs = self._records([d.id for _, d in cand])
        docs: list[Any] = []
        counts: list[Any] = []
        pos: dict[int, int] = {}
        recs_of: dict[int, dict[str, Any]] = {}
        for (num, d), rec in zip(cand, recs):
            if rec is None or int(rec["n"]) != num:
                continue  # replaced, removed, or not committed yet
            pos[num] = len(docs)
            recs_of[num] = rec
            docs.append(d)
            counts.append(DocCounts(rec["s"], rec["u"], rec["x"]))
        if not docs:
            return Corpus.empty(settings.num_perm)
        ixs = settings_from_index(self.stored_settings, settings)
        a = analyse_documents(docs, ixs, self.punkt_model())
        t = a.table
        first_row = np.searchsorted(t.doc, np.arange(len(docs) + 1))
        for num, k in pos.items():
            if first_row[k + 1] - first_row[k] != recs_of[num]["c"]:
                raise ArchiveIndexError(f"article {docs[k].id!r} no longer splits as when it was indexed (dedupe or its "
                                  f"settings changed); rebuild the index: dedupe index rebuild --index {self.location}",
                                  self.location)
        want = []
        for u, num in unit_num.items():
            rec = recs_of.get(num)
            if rec is None or not rec["f"] <= u < rec["f"] + rec["c"]:
                continue
            want.append(int(first_row[pos[num]]) + u - rec["f"])
        want.sort()
        off = t.offsets
        fb = t.fps.tobytes()
        urows = [(int(t.doc[r]), int(t.kind[r]), int(t.start[r]), int(t.end[r]), fb[off[r] * 8:off[r + 1] * 8])
                 for r in want]
        sigs = [t.sigs[r].tobytes() for r in want] if settings.hash == "sha1" else None
        return Corpus(docs, counts, build_archive_table(docs, urows, settings, sigs), [True] * len(docs))


class _RedisErrors:
    """Turns Redis and socket errors into one-line :class:`ArchiveIndexError` messages."""

    def __init__(self, ix: RedisIndex) -> None:
        self.ix = ix

    def __enter__(self) -> None:
        return None

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if et is None or isinstance(ev, ArchiveIndexError):
            return
        redis = self.ix._redis_mod
        where = self.ix._where()
        loc = self.ix.location
        if isinstance(ev, (redis.TimeoutError, socket.timeout)):
            raise ArchiveIndexError(f"{where} did not answer within {SOCKET_TIMEOUT if self.ix.r else CONNECT_TIMEOUT:.0f}s "
                              "(is it a Redis server?)", loc) from None
        if isinstance(ev, (redis.ConnectionError, ConnectionError, OSError)):
            first = " ".join(str(ev).split()) or type(ev).__name__
            verb = "cannot connect to" if self.ix.r is None else "lost the connection to"
            hint = ""
            if self.ix.r is None and len(self.ix.nodes) == 1:
                hint = " (of a Redis Cluster, name several nodes: redis://HOST:PORT,HOST:PORT,HOST:PORT/0)"
            raise ArchiveIndexError(f"{verb} {where}: {first}{hint}", loc) from None
        if isinstance(ev, redis.RedisError):
            msg = " ".join(str(ev).split())
            if "WRONGTYPE" in msg:
                raise ArchiveIndexError(f"a key of this index holds the wrong type of value: not this index's data ({msg})",
                                  loc) from None
            raise ArchiveIndexError(f"{where}: {msg}", loc) from None
        return
