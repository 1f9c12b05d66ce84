"""The shared archive index: Redis, for editors' machines and CI runners.

Location: ``redis://HOST:PORT/DB`` (``?name=NAME`` picks a namespace,
default ``dedupe``).  Keys, all under ``NAME:``::

    NAME:meta      hash: settings (incl. MinHash scheme), punkt, created, updated, next_unit, generation
    NAME:art       hash: article id -> JSON (num, path, title, format, hash, counts, first unit, unit count)
    NAME:blob      hash: article id -> zlib JSON (text and position map, as in the embedded index)
    NAME:num       hash: article num -> article id
    NAME:units     hash: unit id -> packed (article num, kind, start, end) + shingle fingerprints
    NAME:lsh...    datasketch ``MinHashLSH`` Redis storage (basename ``NAME:lsh``), keyed by unit id
    NAME:lock      the writer lock (SET NX with expiry)

The LSH tables are datasketch's own: signatures computed by dedupe are
inserted as ``datasketch.MinHash(hashvalues=..., scheme="affine32")`` with
``params=(bands, rows)``, and any datasketch client with the same basename
can query them.  Queries read datasketch's bucket keys for every band of
every draft unit in one pipelined round trip.

Limits: Redis writes are not one transaction.  Units are written before the
article record and removed after it, and a query ignores units whose article
record is missing, so an interrupted ``add`` never yields wrong findings;
re-running it completes the article.  One writer at a time (lock key);
readers are never blocked.  Containment candidates (a short draft sentence
inside a longer archived one) come only from LSH here, not from shingle
postings as in the embedded index.
"""

from __future__ import annotations

import json
import struct
import time
from typing import Sequence
from urllib.parse import parse_qs, urlparse

import numpy as np

from ..config import Settings
from ..errors import IndexError_
from .base import (FORMAT_VERSION, ArchiveIndex, IndexStats, Prepared, build_archive_table, check_add_settings,
                   index_settings, now, unpack_article)

_HDR = struct.Struct("<qbqq")
LOCK_SECONDS = 3600


class RedisIndex(ArchiveIndex):
    backend = "redis"

    def __init__(self, location: str, create: bool = False) -> None:
        try:
            import redis
        except ImportError:  # pragma: no cover - a declared dependency
            raise IndexError_("the redis package is not installed", location) from None
        self.location = location
        u = urlparse(location)
        q = parse_qs(u.query)
        self.name = (q.get("name", ["dedupe"])[0]).encode()
        try:
            db = int((u.path or "/0").lstrip("/") or 0)
        except ValueError:
            raise IndexError_("bad Redis URL: the database must be a number (redis://HOST:PORT/DB)", location) from None
        self.host, self.port, self.dbn = u.hostname or "localhost", u.port or 6379, db
        self._redis_mod = redis
        try:
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            self.r = redis.Redis(host=self.host, port=self.port, db=db, password=u.password,
                                 socket_connect_timeout=3, socket_timeout=30, retry=Retry(NoBackoff(), 0))
            self.r.ping()
        except redis.RedisError as exc:
            raise IndexError_(f"cannot connect to Redis at {self.host}:{self.port}: {exc}", location) from None
        self._lsh = None
        self.meta = self._load_meta()
        if not self.meta.get("settings") and not create:
            if not self.r.exists(self._k("meta")):
                raise IndexError_("no index here (create one with: dedupe index add --index LOCATION PATH...)",
                                  location)
        self._locked = False

    # -- plumbing -----------------------------------------------------------
    def _k(self, suffix: str) -> bytes:
        return self.name + b":" + suffix.encode()

    def _load_meta(self) -> dict:
        try:
            raw = self.r.hgetall(self._k("meta"))
        except self._redis_mod.RedisError as exc:
            raise IndexError_(f"Redis error: {exc}", self.location) from None
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    def _set_meta(self, **kv) -> None:
        self.r.hset(self._k("meta"), mapping={k: json.dumps(v) for k, v in kv.items()})
        self.meta.update(kv)

    def lsh(self):
        if self._lsh is None:
            from datasketch import MinHashLSH

            st = self.stored_settings
            self._lsh = MinHashLSH(
                threshold=st["threshold"], num_perm=st["num_perm"], params=(st["bands"], st["rows"]),
                prepickle=False,
                storage_config={"type": "redis", "basename": self.name + b":lsh",
                                "redis": {"host": self.host, "port": self.port, "db": self.dbn}})
        return self._lsh

    def close(self) -> None:
        try:
            self.r.close()
        except Exception:  # pragma: no cover
            pass

    class _Txn:
        def __init__(self, ix: "RedisIndex") -> None:
            self.ix = ix

        def __enter__(self):
            ix = self.ix
            deadline = time.monotonic() + 60
            while not ix.r.set(ix._k("lock"), b"1", nx=True, ex=LOCK_SECONDS):
                if time.monotonic() > deadline:
                    raise IndexError_("index is busy (another process is writing)", ix.location)
                time.sleep(0.2)
            ix.meta = ix._load_meta()
            return ix

        def __exit__(self, et, ev, tb) -> None:
            ix = self.ix
            try:
                if et is None:
                    ix._set_meta(updated=now(), generation=int(ix.meta.get("generation", 0)) + 1)
            finally:
                ix.r.delete(ix._k("lock"))

    def transaction(self) -> "_Txn":
        return RedisIndex._Txn(self)

    # -- writing ------------------------------------------------------------
    def init_settings(self, settings: Settings, punkt: dict | None = None) -> None:
        stored = self.meta.get("settings")
        if stored:
            check_add_settings(stored, settings, self.location)
            return
        self._set_meta(version=FORMAT_VERSION, settings=index_settings(settings), created=now(), next_unit=1)
        self._lsh = None
        if punkt is not None:
            self._set_meta(punkt=punkt)

    def existing_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        ids = list(ids)
        if not ids:
            return {}
        vals = self.r.hmget(self._k("art"), ids)
        return {i: json.loads(v)["hash"] for i, v in zip(ids, vals) if v is not None}

    def remove_articles(self, ids: Sequence[str]) -> list[str]:
        missing = []
        lsh = self.lsh() if self.meta.get("settings") else None
        for aid in ids:
            raw = self.r.hget(self._k("art"), aid)
            if raw is None:
                missing.append(aid)
                continue
            a = json.loads(raw)
            pipe = self.r.pipeline()
            pipe.hdel(self._k("art"), aid)
            pipe.hdel(self._k("blob"), aid)
            pipe.hdel(self._k("num"), a["num"])
            pipe.execute()
            uids = [str(i).encode() for i in range(a["first"], a["first"] + a["n"])]
            if uids:
                with lsh.deletion_session(buffer_size=10000) as s:
                    for k in uids:
                        if k in lsh:
                            s.remove(k)
                self.r.hdel(self._k("units"), *uids)
        return missing

    def write(self, batch: Prepared, keep: Sequence[bool] | None = None, pending: list | None = None) -> int:
        from datasketch import MinHash

        if not batch.articles:
            return 0
        keep = list(keep) if keep is not None else [True] * len(batch.articles)
        old = self.existing_hashes([a["id"] for a, k in zip(batch.articles, keep) if k])
        if old:
            self.remove_articles(list(old))
        st = self.stored_settings
        lsh = self.lsh()
        first_art = int(self.r.hincrby(self._k("meta"), "next_article", sum(keep))) - sum(keep) + 1
        by_art: dict[int, list[int]] = {}
        for r, a in enumerate(batch.art.tolist()):
            by_art.setdefault(a, []).append(r)
        next_unit = int(self.meta.get("next_unit", 1))
        n = 0
        pipe = self.r.pipeline(transaction=False)
        art_records = {}
        num = first_art
        store_sig = st.get("hash") == "sha1"
        with lsh.insertion_session(buffer_size=20000) as sess:
            for i, (a, k) in enumerate(zip(batch.articles, keep)):
                if not k:
                    continue
                rows = by_art.get(i, [])
                first = next_unit
                units = {}
                for r in rows:
                    uid = str(next_unit).encode()
                    rec = _HDR.pack(num, int(batch.kind[r]), int(batch.start[r]), int(batch.end[r]))
                    rec += batch.fps[batch.offsets[r]:batch.offsets[r + 1]].tobytes()
                    if store_sig:
                        rec = rec[:_HDR.size] + b"S" + batch.sigs[r].tobytes() + rec[_HDR.size:]
                    units[uid] = rec
                    sess.insert(uid, MinHash(st["num_perm"], st["seed"], hashvalues=batch.sigs[r], scheme="affine32"),
                                check_duplication=False)
                    next_unit += 1
                if units:
                    pipe.hset(self._k("units"), mapping=units)
                art_records[a["id"]] = (num, json.dumps({
                    "num": num, "path": a["path"], "title": a["title"], "format": a["format"], "hash": a["hash"],
                    "sentences": a["sentences"], "units": a["units"], "suppressed": a["suppressed"],
                    "added": now(), "first": first, "n": len(rows)}), a["blob"])
                n += len(rows)
                num += 1
        pipe.execute()
        # article records last: a query ignores units whose article is not recorded yet
        pipe = self.r.pipeline(transaction=True)
        for aid, (num_, rec, blob) in art_records.items():
            pipe.hset(self._k("blob"), aid, blob)
            pipe.hset(self._k("num"), num_, aid)
            pipe.hset(self._k("art"), aid, rec)
        pipe.execute()
        self._set_meta(next_unit=next_unit)
        return n

    def flush(self, pending=None, final: bool = False) -> None:
        pass

    def iter_documents(self, batch: int = 500):
        buf = []
        for _, blob in self.r.hscan_iter(self._k("blob"), count=batch):
            buf.append(unpack_article(blob))
            if len(buf) >= batch:
                yield buf
                buf = []
        if buf:
            yield buf

    def clear_units(self) -> None:
        for pattern in (b"lsh*", b"units", b"art", b"num", b"blob"):
            keys = list(self.r.scan_iter(match=self.name + b":" + pattern, count=1000))
            for k in range(0, len(keys), 1000):
                self.r.delete(*keys[k:k + 1000])
        self._lsh = None

    def articles(self) -> list[dict]:
        out = []
        for aid, raw in self.r.hscan_iter(self._k("art"), count=1000):
            a = json.loads(raw)
            out.append(dict(id=aid.decode(), path=a["path"], title=a["title"], format=a["format"],
                            sentences=a["sentences"], units=a["units"], added=a["added"], num=a["num"]))
        out.sort(key=lambda a: a.pop("num"))
        return out

    def vacuum(self) -> dict:
        """Redis frees memory as keys are deleted; nothing to compact."""
        return {"size_after": self.size_bytes()}

    def size_bytes(self) -> int:
        try:
            return int(self.r.info("memory").get("used_memory", 0))
        except self._redis_mod.RedisError:  # pragma: no cover
            return 0

    def stats(self) -> IndexStats:
        arts = self.r.hvals(self._k("art"))
        recs = [json.loads(a) for a in arts]
        units = int(self.r.hlen(self._k("units")))
        return IndexStats(self.location, self.backend, len(recs), units, sum(r["sentences"] for r in recs),
                          self.size_bytes(), self.meta.get("settings") or {}, bool(self.meta.get("punkt")),
                          self.meta.get("created"), self.meta.get("updated"),
                          {"namespace": self.name.decode(), "size_is": "redis used_memory (whole database)"})

    # -- querying -------------------------------------------------------------
    def _candidate_units(self, table, rows: np.ndarray, settings: Settings) -> np.ndarray:
        lsh = self.lsh()
        pipe = self.r.pipeline(transaction=False)
        for r in rows.tolist():
            hv = table.sigs[r]
            for (start, end), ht in zip(lsh.hashranges, lsh.hashtables):
                pipe.smembers(ht.redis_key(lsh._H(hv[start:end])))
        found: set[int] = set()
        for members in pipe.execute():
            if len(members) <= settings.max_bucket:
                found.update(int(m) for m in members)
            else:  # boilerplate shared by many archived sentences: the newest few
                found.update(sorted(int(m) for m in members)[-settings.max_bucket:])
        return np.array(sorted(found), dtype=np.int64)

    def _fetch(self, ids: np.ndarray, settings: Settings, exclude: set[str]):
        from ..scan import DocCounts

        keys = [str(i).encode() for i in ids.tolist()]
        raws = self.r.hmget(self._k("units"), keys)
        urows = []
        for raw in raws:
            if raw is None:
                continue
            num, kind, start, end = _HDR.unpack_from(raw)
            rest = raw[_HDR.size:]
            sig = None
            if settings.hash == "sha1" and rest[:1] == b"S":
                sig, rest = rest[1:1 + 4 * settings.num_perm], rest[1 + 4 * settings.num_perm:]
            urows.append((num, kind, start, end, rest, sig))
        nums = sorted({u[0] for u in urows})
        aids = self.r.hmget(self._k("num"), nums) if nums else []
        pairs = [(n, a.decode()) for n, a in zip(nums, aids) if a is not None]
        pairs = [(n, a) for n, a in pairs if a not in exclude]
        blobs = self.r.hmget(self._k("blob"), [a for _, a in pairs]) if pairs else []
        recs = self.r.hmget(self._k("art"), [a for _, a in pairs]) if pairs else []
        docs, counts, pos = [], [], {}
        for (n, a), blob, rec in zip(pairs, blobs, recs):
            if blob is None or rec is None:
                continue
            r = json.loads(rec)
            if r["num"] != n:
                continue
            pos[n] = len(docs)
            docs.append(unpack_article(blob))
            counts.append(DocCounts(r["sentences"], r["units"], r["suppressed"]))
        urows = [u for u in urows if u[0] in pos]
        urows.sort(key=lambda u: (pos[u[0]], u[2]))
        table = build_archive_table(docs, [(pos[u[0]], u[1], u[2], u[3], u[4]) for u in urows], settings,
                                    [u[5] for u in urows] if settings.hash == "sha1" else None)
        return docs, counts, table
