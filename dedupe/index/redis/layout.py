"""The Redis index's data layout ("packed-1"): postings grouped by key bits, delta- and varint-coded, and
the sizes of the unit-map and blob chunks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LAYOUT = "packed-1"
GROUP_BITS_MIN = 13  # group bits of the LSH and shingle postings: at least 8,192 group strings each,
BAND_BITS = SHINGLE_BITS = 14  # else chosen at the first write (and by rebuild) for ~400 postings per group
POSTINGS_PER_GROUP = 400
SHINGLES_PER_UNIT = 21  # distinct shingles per indexed unit on Reuters (to size groups at rebuild)
UNIT_CHUNK = 14  # units per unit-map string: 2**14
BLOB_CHUNK = 10  # articles per blob hash: 2**10
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix_keys(keys: np.ndarray) -> np.ndarray:
    """A bijective mix of uint64 keys (splitmix64's finaliser): group and check bits from well-spread bits."""
    x = keys.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= _M1
        x ^= x >> np.uint64(27)
        x *= _M2
        x ^= x >> np.uint64(31)
    return x




def split_keys(keys: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(group, 16 check bits) of posting keys."""
    h = mix_keys(keys)
    return h >> np.uint64(64 - bits), ((h >> np.uint64(48 - bits)) & np.uint64(0xFFFF)).astype(np.uint16)




def varints(v: np.ndarray) -> np.ndarray:
    """LEB128 bytes of integers in [0, 2**32) (uint8 array)."""
    v = v.astype(np.uint32)
    nb = np.ones(len(v), dtype=np.int64)
    for b in (7, 14, 21, 28):
        nb += v >= np.uint32(1 << b)
    ends = np.cumsum(nb)
    out = np.empty(int(ends[-1]) if len(v) else 0, dtype=np.uint8)
    starts = ends - nb
    sel = np.arange(len(v))
    for k in range(5):
        if k:
            sel = sel[nb[sel] > k]
            if not len(sel):
                break
        byte = ((v[sel] >> np.uint32(7 * k)) & np.uint32(0x7F)).astype(np.uint8)
        byte[nb[sel] > k + 1] |= 0x80
        out[starts[sel] + k] = byte
    return out




def unvarints(b: np.ndarray) -> np.ndarray | None:
    """Integers (< 2**32) of a LEB128 byte stream, or None when it is not one."""
    if not len(b):
        return np.zeros(0, dtype=np.uint32)
    term = b < 0x80
    if not term[-1]:
        return None
    n = len(b)
    idx = np.arange(n, dtype=np.int32)
    is_start = np.empty(n, dtype=bool)
    is_start[0] = True
    is_start[1:] = term[:-1]
    starts = np.flatnonzero(is_start)
    pos = idx - np.maximum.accumulate(np.where(is_start, idx, 0))
    if int(pos.max()) > 4:
        return None
    x = (b & 0x7F).astype(np.uint32) << (pos.astype(np.uint32) * np.uint32(7))
    return np.add.reduceat(x, starts)




def encode_group(check: np.ndarray, units: np.ndarray) -> bytes:
    """A group string: uint32 count, the uint16 check bits, then the unit ids
    (ascending) as LEB128 deltas (about 1.6 bytes each on Reuters)."""
    order = np.argsort(units, kind="stable")
    u = units[order].astype(np.int64)
    d = np.diff(u, prepend=0)
    return (len(u).to_bytes(4, "little") + check[order].astype("<u2").tobytes() + varints(d).tobytes())




def encode_groups(group: np.ndarray, check: np.ndarray, units: np.ndarray) -> tuple[list[int], list[bytes]]:
    """:func:`encode_group` of every group at once: the groups (ascending) and their strings."""
    order = np.lexsort((units, group))
    g, c, u = group[order], check[order].astype("<u2"), units[order].astype(np.int64)
    first = np.concatenate(([True], g[1:] != g[:-1]))
    d = np.diff(u, prepend=0)
    d[first] = u[first]
    nb = np.ones(len(d), dtype=np.int64)
    for b in (7, 14, 21, 28):
        nb += d >= (1 << b)
    vb = varints(d).tobytes()
    cb = c.tobytes()
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], len(g))
    bend = np.cumsum(nb)
    bstart = bend - nb
    out = []
    for s0, e0, b0, b1 in zip(starts.tolist(), ends.tolist(), bstart[starts].tolist(), bend[ends - 1].tolist()):
        out.append((e0 - s0).to_bytes(4, "little") + cb[2 * s0:2 * e0] + vb[b0:b1])
    return g[starts].tolist(), out




def decode_groups(values: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | int:
    """``(string index, check bits, unit ids)`` of group strings; the index of a malformed one otherwise."""
    ns, checks, streams = [], [], []
    for i, v in enumerate(values):
        if len(v) < 4:
            return i
        n = int.from_bytes(v[:4], "little")
        if len(v) < 4 + 3 * n:
            return i
        ns.append(n)
        checks.append(v[4:4 + 2 * n])
        streams.append(np.frombuffer(v, dtype=np.uint8, offset=4 + 2 * n))
    if not ns:
        z = np.zeros(0, dtype=np.int64)
        return z, np.zeros(0, dtype=np.uint16), z
    counts = np.array(ns, dtype=np.int64)
    d = unvarints(np.concatenate(streams))
    if d is None or len(d) != int(counts.sum()):
        for i, st in enumerate(streams):  # name the culprit
            x = unvarints(st)
            if x is None or len(x) != ns[i]:
                return i
        return 0
    cs = np.cumsum(d.astype(np.int64))
    first = np.cumsum(counts) - counts
    nz = counts > 0
    base = np.zeros(len(counts), dtype=np.int64)
    base[nz] = cs[first[nz]] - d[first[nz]].astype(np.int64)
    units = cs - np.repeat(base, counts)
    return (np.repeat(np.arange(len(ns)), counts), np.frombuffer(b"".join(checks), dtype="<u2"), units)




def group_bits(postings: int) -> int:
    """Group bits for about ``POSTINGS_PER_GROUP`` postings per group string."""
    return int(min(24, max(GROUP_BITS_MIN, np.ceil(np.log2(max(1, postings) / POSTINGS_PER_GROUP)))))




def make_zdict(blobs: Sequence[bytes], size: int = 32768) -> bytes:
    """A zlib preset dictionary from an even sample of articles: stored once,
    it saves about a quarter of each compressed article (short texts
    compress badly alone)."""
    total = sum(len(b) for b in blobs)
    wanted = max(1, -(-2 * size * len(blobs) // max(1, total)))  # articles for about 2 * size bytes
    step = max(1, len(blobs) // wanted)
    return b"".join(blobs[::step])[-size:]
