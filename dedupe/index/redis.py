"""The shared archive index: Redis, for editors' machines and CI runners.

Location: ``redis://HOST:PORT/DB`` (``?name=NAME`` picks a namespace,
default ``dedupe``).  Keys, all under ``NAME:``::

    NAME:meta      hash: settings (incl. MinHash scheme), punkt, created, updated, next_unit, generation
    NAME:art       hash: article id -> JSON (num, path, title, format, hash, counts, first unit, unit count)
    NAME:blob      hash: article id -> JSON (text and position map, as in the embedded index)
    NAME:num       hash: article num -> article id
    NAME:units     hash: unit id -> packed (article num, kind, start, end) + shingle fingerprints
    NAME:post:B    string: shingle postings of bucket B (top ``post_bits`` bits of the salted
                   fingerprint): packed (uint64 key, uint32 unit id) records, appended in unit order
    NAME:lsh_bucket_XX..., NAME:lsh_keys...
                   datasketch ``MinHashLSH`` Redis storage (basename ``NAME:lsh``), keyed by unit id
    NAME:lock      the writer lock (SET NX with expiry)

The LSH tables use datasketch's own Redis layout, written directly in bulk
(a server-side script per few thousand units, instead of datasketch's
``insertion_session`` with ~65 client commands per unit): for band ``i`` the
set ``NAME:lsh_bucket_`` + ``struct.pack(">H", i)`` + ``H`` holds the unit ids
whose band slice of the MinHash (uint32, ``affine32``) byte-swapped is ``H``
(datasketch's ``_byteswap``), and ``NAME:lsh_keys`` (hash) plus the list
``NAME:lsh_keys<uid>`` hold each unit's band values.  So a plain
``datasketch.MinHashLSH(params=(bands, rows), prepickle=False,
storage_config={"type": "redis", "basename": b"NAME:lsh", ...})`` can
query the tables (and test membership or remove keys).  Not written: the
per-table "bucket directory" hashes (``NAME:lsh_bucket_XX`` -> field ``H``),
which datasketch only reads for ``keys()``, ``size()``, ``itemcounts()`` and
``is_empty()``; they cost about as much memory as the buckets themselves.
Queries read the bucket sets of every band of every draft unit in one
pipelined round trip, and the shingle posting buckets in another
(containment: a short draft sentence inside a longer archived one, as in the
embedded index).

Limits: Redis writes are not one transaction.  Units, LSH entries and
postings are written before the article record and removed after it, and a
query ignores units whose article record is missing, so an interrupted
``add`` never yields wrong findings; re-running it completes the article.
One writer at a time (lock key); readers are never blocked.  Removed units
leave dead entries in the posting buckets (ignored by queries, dropped by
``dedupe index vacuum``).
"""

from __future__ import annotations

import json
import struct
import time
from typing import Sequence
from urllib.parse import parse_qs, urlparse

import numpy as np

from dedupe.config import Settings
from dedupe.errors import IndexError_
from dedupe.index.base import (FORMAT_VERSION, ArchiveIndex, IndexStats, IndexBatch, build_archive_table, check_add_settings,
                   index_settings, lookup_sorted, now, shingle_keys, unpack_article)

_HDR = struct.Struct("<qbqq")
LOCK_SECONDS = 3600
POST_BITS = 18  # 262,144 posting buckets
POST_REC = np.dtype([("k", "<u8"), ("u", "<u4")])  # 12 bytes, packed
LSH_CHUNK = 4000  # units per server-side script call (keeps each call short: Redis is single-threaded)
PENDING_POSTINGS = 6_000_000  # postings buffered before they (and the article records) are written
#: write datasketch's per-table bucket directory hashes too (only its keys()/size()/is_empty() read them)
BUCKET_DIRECTORY = False

# One call inserts many units into datasketch's layout: for each unit, SADD to
# its bucket set in every band, and its band values to the "_keys" storage.
_LSH_INSERT = """
local keys_name = ARGV[1]
local b = tonumber(ARGV[2])
local hl = tonumber(ARGV[3])
local dir = ARGV[4] == '1'
local hs = ARGV[5]
local tables = {}
for i = 1, b do tables[i] = ARGV[5 + i] end
local pos = 1
local hv = {}
for j = 6 + b, #ARGV do
  local uid = ARGV[j]
  for i = 1, b do
    local h = string.sub(hs, pos, pos + hl - 1)
    pos = pos + hl
    local rk = tables[i] .. h
    redis.call('SADD', rk, uid)
    if dir then redis.call('HSET', tables[i], h, rk) end
    hv[i] = h
  end
  redis.call('HSET', keys_name, uid, keys_name .. uid)
  redis.call('RPUSH', keys_name .. uid, unpack(hv, 1, b))
end
return #ARGV - 5 - b
"""

# Appends packed postings to many bucket strings: ARGV = prefix, then (bucket, bytes) pairs.
_POST_APPEND = """
local pre = ARGV[1]
for j = 2, #ARGV, 2 do redis.call('APPEND', pre .. ARGV[j], ARGV[j + 1]) end
return (#ARGV - 1) / 2
"""


def _band_values(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands * rows * 4) bytes: datasketch's ``_byteswap`` of each band slice, bands in order."""
    return np.ascontiguousarray(sigs[:, :bands * rows].astype(np.uint32, copy=False).byteswap()).view(np.uint8)


class RedisIndex(ArchiveIndex):
    backend = "redis"
    needs = frozenset({"sigs"})

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
                                 socket_connect_timeout=3, socket_timeout=300, retry=Retry(NoBackoff(), 0))
            self.r.ping()
        except redis.RedisError as exc:
            raise IndexError_(f"cannot connect to Redis at {self.host}:{self.port}: {exc}", location) from None
        self.meta = self._load_meta()
        if not self.meta.get("settings") and not create:
            if not self.r.exists(self._k("meta")):
                raise IndexError_("no index here (create one with: dedupe index add --index LOCATION PATH...)",
                                  location)
        self._locked = False
        self._script = self._append = None

    # -- plumbing -----------------------------------------------------------
    def _k(self, suffix: str) -> bytes:
        return self.name + b":" + suffix.encode()

    @property
    def _lsh_base(self) -> bytes:
        """datasketch's ``basename``."""
        return self.name + b":lsh"

    def _tables(self, bands: int) -> list[bytes]:
        """datasketch's hashtable names (the prefix of each band's bucket keys)."""
        return [self._lsh_base + b"_bucket_" + struct.pack(">H", i) for i in range(bands)]

    def _post_key(self, bucket: int) -> bytes:
        return self.name + b":post:" + str(bucket).encode()

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
        """A datasketch ``MinHashLSH`` attached to this index's tables."""
        from datasketch import MinHashLSH

        st = self.stored_settings
        return MinHashLSH(
            threshold=st["threshold"], num_perm=st["num_perm"], params=(st["bands"], st["rows"]),
            prepickle=False,
            storage_config={"type": "redis", "basename": self._lsh_base,
                            "redis": {"host": self.host, "port": self.port, "db": self.dbn}})

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
        self._set_meta(version=FORMAT_VERSION, settings=index_settings(settings), created=now(), next_unit=1,
                       post_bits=POST_BITS)
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
        ids = list(ids)
        raws = self.r.hmget(self._k("art"), ids) if ids else []
        uids: list[bytes] = []
        pipe = self.r.pipeline(transaction=False)
        for aid, raw in zip(ids, raws):
            if raw is None:
                missing.append(aid)
                continue
            a = json.loads(raw)
            pipe.hdel(self._k("art"), aid)
            pipe.hdel(self._k("blob"), aid)
            pipe.hdel(self._k("num"), a["num"])
            uids.extend(str(i).encode() for i in range(a["first"], a["first"] + a["n"]))
        pipe.execute()  # article records first: their units are now ignored by queries
        if uids and self.meta.get("settings"):
            self._remove_units(uids)
        return missing

    def _remove_units(self, uids: list[bytes]) -> None:
        """Units out of the LSH tables (datasketch's layout) and the unit hash."""
        keys_name = self._lsh_base + b"_keys"
        tables = self._tables(self.stored_settings["bands"])
        for k in range(0, len(uids), 5000):
            chunk = uids[k:k + 5000]
            pipe = self.r.pipeline(transaction=False)
            for uid in chunk:
                pipe.lrange(keys_name + uid, 0, -1)
            hvs = pipe.execute()
            pipe = self.r.pipeline(transaction=False)
            for uid, hv in zip(chunk, hvs):
                for t, h in zip(tables, hv):
                    pipe.srem(t + h, uid)  # (a bucket directory entry, if written, stays, as in datasketch)
                pipe.delete(keys_name + uid)
            pipe.hdel(keys_name, *chunk)
            pipe.hdel(self._k("units"), *chunk)
            pipe.execute()

    def _lsh_insert(self, uids: list[bytes], sigs: np.ndarray, bands: int, rows: int) -> None:
        tables = self._tables(bands)
        keys_name = self._lsh_base + b"_keys"
        hl = rows * 4
        hv = _band_values(sigs, bands, rows)
        if self._script is None:
            self._script = self.r.register_script(_LSH_INSERT)
        for k in range(0, len(uids), LSH_CHUNK):
            chunk = uids[k:k + LSH_CHUNK]
            try:
                self._script(args=[keys_name, bands, hl, "1" if BUCKET_DIRECTORY else "0",
                                   hv[k:k + LSH_CHUNK].tobytes(), *tables, *chunk])
            except self._redis_mod.ResponseError as exc:
                if "script" not in str(exc).lower() and "unknown command" not in str(exc).lower():
                    raise
                self._lsh_insert_pipelined(chunk, hv[k:k + LSH_CHUNK], tables, keys_name, hl)

    def _lsh_insert_pipelined(self, uids, hv, tables, keys_name, hl) -> None:
        """The same as the script, from the client (for servers without scripting)."""
        pipe = self.r.pipeline(transaction=False)
        for uid, row in zip(uids, hv):
            b = row.tobytes()
            hs = [b[i * hl:(i + 1) * hl] for i in range(len(tables))]
            for t, h in zip(tables, hs):
                pipe.sadd(t + h, uid)
                if BUCKET_DIRECTORY:
                    pipe.hset(t, h, t + h)
            pipe.hset(keys_name, uid, keys_name + uid)
            pipe.rpush(keys_name + uid, *hs)
        pipe.execute()

    def write(self, batch: IndexBatch, keep: Sequence[bool] | None = None, pending: list | None = None) -> int:
        """Units, their LSH entries and (buffered in ``pending``) their
        postings and article records; :meth:`flush` writes the buffered part,
        postings before article records."""
        if not batch.articles:
            return 0
        own = pending is None
        pending = [] if own else pending
        keep = list(keep) if keep is not None else [True] * len(batch.articles)
        old = self.existing_hashes([a["id"] for a, k in zip(batch.articles, keep) if k])
        if old:
            self.remove_articles(list(old))
        st = self.stored_settings
        bands, rws = st["bands"], st["rows"]
        nkeep = sum(keep)
        first_art = int(self.r.hincrby(self._k("meta"), "next_article", nkeep)) - nkeep + 1
        nums = np.full(len(batch.articles), -1, dtype=np.int64)
        nums[np.flatnonzero(keep)] = np.arange(first_art, first_art + nkeep)
        live = nums[batch.art] >= 0 if len(batch) else np.zeros(0, dtype=bool)
        rows = np.flatnonzero(live)
        n = len(rows)
        next_unit = int(self.meta.get("next_unit", 1))
        ids = np.arange(next_unit, next_unit + n, dtype=np.int64)
        uids = [str(i).encode() for i in ids.tolist()]
        # unit records
        store_sig = st.get("hash") == "sha1"
        off = batch.offsets
        fps_b = batch.fps.tobytes()
        o = off.tolist()
        art_l, kind_l, st_l, en_l = (nums[batch.art].tolist(), batch.kind.tolist(), batch.start.tolist(),
                                     batch.end.tolist())
        pipe = self.r.pipeline(transaction=False)
        units = {}
        for uid, r in zip(uids, rows.tolist()):
            rec = _HDR.pack(art_l[r], kind_l[r], st_l[r], en_l[r])
            if store_sig:
                rec += b"S" + batch.sigs[r].tobytes()
            units[uid] = rec + fps_b[o[r] * 8:o[r + 1] * 8]
            if len(units) >= 5000:
                pipe.hset(self._k("units"), mapping=units)
                units = {}
        if units:
            pipe.hset(self._k("units"), mapping=units)
        pipe.execute()
        # LSH tables
        if n:
            self._lsh_insert(uids, batch.sigs[rows], bands, rws)
        # postings (buffered)
        if self.meta.get("post_bits") and n:
            sizes = np.diff(off)[rows]
            idx = np.concatenate([np.arange(o[r], o[r + 1]) for r in rows.tolist()])
            pending.append(("post", shingle_keys(batch.fps[idx]), np.repeat(ids.astype(np.uint32), sizes)))
        # article records (buffered: written after the postings)
        first_of = {}
        counts = np.bincount(batch.art[rows], minlength=len(batch.articles)) if n else np.zeros(len(batch.articles), int)
        u = next_unit
        for i, k in enumerate(keep):
            if k:
                first_of[i] = u
                u += int(counts[i])
        stamp = now()
        for i, (a, k) in enumerate(zip(batch.articles, keep)):
            if not k:
                continue
            num = int(nums[i])
            rec = json.dumps({
                "num": num, "path": a["path"], "title": a["title"], "format": a["format"], "hash": a["hash"],
                "sentences": a["sentences"], "units": a["units"], "suppressed": a["suppressed"],
                "added": stamp, "first": first_of[i], "n": int(counts[i])})
            pending.append(("art", a["id"], num, rec, a["blob"]))
        self._set_meta(next_unit=next_unit + n)
        if own or sum(len(p[1]) for p in pending if p[0] == "post") >= PENDING_POSTINGS:
            self.flush(pending)
        return n

    def flush(self, pending: list | None = None, final: bool = False) -> None:
        """Write buffered postings (one APPEND per touched bucket), then the article records."""
        if not pending:
            return
        posts = [p for p in pending if p[0] == "post"]
        if posts:
            bits = int(self.meta["post_bits"])
            keys = np.concatenate([p[1] for p in posts])
            units = np.concatenate([p[2] for p in posts])
            bucket = keys >> np.uint64(64 - bits)
            order = np.argsort(bucket, kind="stable")  # unit order kept within a bucket
            rec = np.empty(len(keys), dtype=POST_REC)
            rec["k"] = keys[order]
            rec["u"] = units[order]
            bucket = bucket[order]
            buf = rec.tobytes()
            starts = np.flatnonzero(np.concatenate(([True], bucket[1:] != bucket[:-1])))
            ends = np.append(starts[1:], len(bucket))
            bl = bucket[starts].tolist()
            sl, el = (starts * POST_REC.itemsize).tolist(), (ends * POST_REC.itemsize).tolist()
            if self._append is None:
                self._append = self.r.register_script(_POST_APPEND)
            prefix = self.name + b":post:"
            for k in range(0, len(bl), 20000):
                args = [prefix]
                for b, s0, e0 in zip(bl[k:k + 20000], sl[k:k + 20000], el[k:k + 20000]):
                    args += (b, buf[s0:e0])
                try:
                    self._append(args=args)
                except self._redis_mod.ResponseError as exc:
                    if "script" not in str(exc).lower() and "unknown command" not in str(exc).lower():
                        raise
                    pipe = self.r.pipeline(transaction=False)
                    for j in range(1, len(args), 2):
                        pipe.append(prefix + str(args[j]).encode(), args[j + 1])
                    pipe.execute()
        # article records last: a query ignores units whose article is not recorded yet
        arts = [p for p in pending if p[0] == "art"]
        for k in range(0, len(arts), 2000):
            pipe = self.r.pipeline(transaction=True)
            for _, aid, num, rec, blob in arts[k:k + 2000]:
                pipe.hset(self._k("blob"), aid, blob)
                pipe.hset(self._k("num"), num, aid)
                pipe.hset(self._k("art"), aid, rec)
            pipe.execute()
        pending.clear()

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
        for pattern in (b"lsh*", b"post:*", b"units", b"art", b"num", b"blob"):
            keys = list(self.r.scan_iter(match=self.name + b":" + pattern, count=1000))
            for k in range(0, len(keys), 1000):
                self.r.delete(*keys[k:k + 1000])
        self._set_meta(post_bits=POST_BITS)

    def articles(self) -> list[dict]:
        out = []
        for aid, raw in self.r.hscan_iter(self._k("art"), count=1000):
            a = json.loads(raw)
            out.append(dict(id=aid.decode(), path=a["path"], title=a["title"], format=a["format"],
                            sentences=a["sentences"], units=a["units"], added=a["added"], num=a["num"]))
        out.sort(key=lambda a: a.pop("num"))
        return out

    def vacuum(self) -> dict:
        """Drop dead entries (units removed or replaced) from the posting buckets."""
        before = self.size_bytes()
        dead = 0
        with self.transaction():
            bits = self.meta.get("post_bits")
            if bits:
                live = np.array(sorted(int(u) for u in self.r.hkeys(self._k("units"))), dtype=np.uint32)
                keys = list(self.r.scan_iter(match=self.name + b":post:*", count=10000))
                for k in range(0, len(keys), 10000):
                    chunk = keys[k:k + 10000]
                    vals = self.r.mget(chunk)
                    pipe = self.r.pipeline(transaction=False)
                    for key, v in zip(chunk, vals):
                        if not v:
                            continue
                        rec = np.frombuffer(v, dtype=POST_REC)
                        m = np.isin(rec["u"], live)
                        if m.all():
                            continue
                        dead += int((~m).sum())
                        if m.any():
                            pipe.set(key, rec[m].tobytes())
                        else:
                            pipe.delete(key)
                    pipe.execute()
        return {"dead_entries_removed": dead, "size_before": before, "size_after": self.size_bytes()}

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
                          {"namespace": self.name.decode(), "size_is": "redis used_memory (whole database)",
                           "containment_postings": bool(self.meta.get("post_bits"))})

    # -- querying -------------------------------------------------------------
    def _lookup(self, q: np.ndarray, cap: int):
        """Posting lookup with the embedded index's semantics (:func:`lookup_sorted`)."""
        bits = int(self.meta["post_bits"])
        qb = q >> np.uint64(64 - bits)
        ub = np.unique(qb).tolist()
        pipe = self.r.pipeline(transaction=False)
        for b in ub:
            pipe.get(self._post_key(b))
        recs = [np.frombuffer(v, dtype=POST_REC) for v in pipe.execute() if v]
        if not recs:
            z = np.zeros(0, dtype=np.int64)
            return z, z, np.zeros(len(q), dtype=np.int64)
        rec = np.concatenate(recs)
        order = np.argsort(rec["k"], kind="stable")  # unit order (oldest first) kept per key
        return lookup_sorted([(rec["k"][order], rec["u"][order])], q, cap)

    def _candidate_units(self, table, rows: np.ndarray, settings: Settings) -> np.ndarray:
        st = self.stored_settings
        bands, rws = st["bands"], st["rows"]
        tables = self._tables(bands)
        hl = rws * 4
        hv = _band_values(table.sigs[rows], bands, rws)
        pipe = self.r.pipeline(transaction=False)
        for row in hv:
            b = row.tobytes()
            for i, t in enumerate(tables):
                pipe.smembers(t + b[i * hl:(i + 1) * hl])
        found: set[int] = set()
        for members in pipe.execute():
            if len(members) <= settings.max_bucket:
                found.update(int(m) for m in members)
            else:  # boilerplate shared by many archived sentences: the newest few
                found.update(sorted(int(m) for m in members)[-settings.max_bucket:])
        parts = [np.array(sorted(found), dtype=np.int64)]
        if self.meta.get("post_bits"):
            parts.append(self.containment_pairs(table, rows, settings, self._lookup))
        return np.concatenate(parts)

    def _fetch(self, ids: np.ndarray, settings: Settings, exclude: set[str]):
        from dedupe.engine.corpus import Corpus, DocCounts

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
        return Corpus(docs, counts, table, [True] * len(docs))
